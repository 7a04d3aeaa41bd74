package dev.laocoon.core.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A regular file read with positional reads; nothing is mapped or read ahead. */
public final class FileByteSource implements ByteSource {
    private static final int PIECE = 1 << 18;
    private final FileChannel channel;
    private final long size;
    private final Path path;

    public FileByteSource(Path path) throws IOException {
        this.path = path;
        this.channel = FileChannel.open(path, StandardOpenOption.READ);
        this.size = channel.size();
    }

    /** The file read (for libraries that need a path). */
    @Override
    public Path path() {
        return path;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int read(long position, byte[] dst, int off, int len) throws IOException {
        if (position >= size) {
            return 0;
        }
        // NIO reads a heap buffer through a temporary direct buffer of the same size: large reads in
        // one call would allocate (and page-fault) a second copy of the data; pieces reuse one.
        int n = channel.read(ByteBuffer.wrap(dst, off, Math.min(len, PIECE)), position);
        return Math.max(n, 0);
    }

    @Override
    public FileRegion region() {
        return new FileRegion(channel, 0);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
