package dev.laocoon.core.source;

import java.io.IOException;

/** A window of another source (e.g. a stored zip member): no copy, reads go to the parent. */
public final class SliceByteSource implements ByteSource {
    private final ByteSource parent;
    private final long start;
    private final long length;

    public SliceByteSource(ByteSource parent, long start, long length) {
        this.parent = parent;
        this.start = start;
        this.length = Math.max(0, Math.min(length, parent.size() - start));
    }

    @Override
    public long size() {
        return length;
    }

    @Override
    public int read(long position, byte[] dst, int off, int len) throws IOException {
        if (position < 0 || position >= length) {
            return 0;
        }
        int n = (int) Math.min(len, length - position);
        return parent.read(start + position, dst, off, n);
    }

    @Override
    public void prefetch(long[] positions, int len) {
        long[] shifted = new long[positions.length];
        int n = 0;
        for (long p : positions) {
            if (p >= 0 && p < length) {
                shifted[n++] = start + p;
            }
        }
        if (n > 0) {
            parent.prefetch(java.util.Arrays.copyOf(shifted, n), len);
        }
    }

    @Override
    public FileRegion region() {
        FileRegion r = parent.region();
        return r == null ? null : new FileRegion(r.channel(), r.offset() + start);
    }
}
