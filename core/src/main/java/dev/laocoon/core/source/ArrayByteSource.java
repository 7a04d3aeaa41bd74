package dev.laocoon.core.source;

/** Bytes held in memory. */
public final class ArrayByteSource implements ByteSource {
    private final byte[] data;
    private final int from;
    private final int length;

    public ArrayByteSource(byte[] data) {
        this(data, 0, data.length);
    }

    public ArrayByteSource(byte[] data, int from, int length) {
        this.data = data;
        this.from = from;
        this.length = length;
    }

    @Override
    public long size() {
        return length;
    }

    @Override
    public int read(long position, byte[] dst, int off, int len) {
        if (position >= length || position < 0) {
            return 0;
        }
        int n = (int) Math.min(len, length - position);
        System.arraycopy(data, from + (int) position, dst, off, n);
        return n;
    }
}
