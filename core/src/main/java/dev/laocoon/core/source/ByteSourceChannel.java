package dev.laocoon.core.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/** A read-only channel over a source (for readers that need a seekable channel, such as 7z). */
public final class ByteSourceChannel implements SeekableByteChannel {
    private final ByteSource src;
    private long pos;
    private boolean open = true;

    public ByteSourceChannel(ByteSource src) {
        this.src = src;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (pos >= src.size()) {
            return -1;
        }
        byte[] b = new byte[Math.min(dst.remaining(), 65536)];
        int n = src.read(pos, b, 0, b.length);
        if (n <= 0) {
            return -1;
        }
        dst.put(b, 0, n);
        pos += n;
        return n;
    }

    @Override
    public int write(ByteBuffer s) {
        throw new NonWritableChannelException();
    }

    @Override
    public long position() {
        return pos;
    }

    @Override
    public SeekableByteChannel position(long p) {
        pos = p;
        return this;
    }

    @Override
    public long size() {
        return src.size();
    }

    @Override
    public SeekableByteChannel truncate(long size) {
        throw new NonWritableChannelException();
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
    }
}
