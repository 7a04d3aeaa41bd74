package dev.laocoon.core.source;

import java.io.IOException;

/**
 * Counts the bytes actually read from another source (to prove what a scan touches). Meant for
 * one reader at a time (a scan reads a source from one thread); the count is a plain field.
 */
public final class CountingByteSource implements ByteSource {
    private final ByteSource inner;
    private final long size;
    private long bytesRead;

    public CountingByteSource(ByteSource inner) {
        this.inner = inner;
        this.size = inner.size();
    }

    public long bytesRead() {
        return bytesRead;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int read(long position, byte[] dst, int off, int len) throws IOException {
        int n = inner.read(position, dst, off, len);
        if (n > 0) {
            bytesRead += n;
        }
        return n;
    }

    @Override
    public void prefetch(long[] positions, int length) {
        inner.prefetch(positions, length);
    }

    @Override
    public FileRegion region() {
        return inner.region();
    }

    @Override
    public java.nio.file.Path path() {
        return inner.path();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
