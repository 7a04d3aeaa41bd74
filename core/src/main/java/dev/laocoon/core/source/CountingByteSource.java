package dev.laocoon.core.source;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/** Counts the bytes actually read from another source (to prove what a scan touches). */
public final class CountingByteSource implements ByteSource {
    private final ByteSource inner;
    private final AtomicLong bytesRead = new AtomicLong();

    public CountingByteSource(ByteSource inner) {
        this.inner = inner;
    }

    public long bytesRead() {
        return bytesRead.get();
    }

    @Override
    public long size() {
        return inner.size();
    }

    @Override
    public int read(long position, byte[] dst, int off, int len) throws IOException {
        int n = inner.read(position, dst, off, len);
        if (n > 0) {
            bytesRead.addAndGet(n);
        }
        return n;
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
