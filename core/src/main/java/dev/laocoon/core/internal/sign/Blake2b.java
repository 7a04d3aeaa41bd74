package dev.laocoon.core.internal.sign;

/**
 * BLAKE2b (RFC 7693), unkeyed, with a 64-byte digest: what OMS calls {@code blake2b} (the JDK has no
 * BLAKE2). Written from the RFC's description; checked against its appendix A vector and
 * Python's {@code hashlib.blake2b} in the tests.
 */
public final class Blake2b {
    private static final long[] IV = {
        0x6a09e667f3bcc908L, 0xbb67ae8584caa73bL, 0x3c6ef372fe94f82bL, 0xa54ff53a5f1d36f1L,
        0x510e527fade682d1L, 0x9b05688c2b3e6c1fL, 0x1f83d9abfb41bd6bL, 0x5be0cd19137e2179L};

    private static final byte[][] SIGMA = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
        {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
        {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
        {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
        {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
        {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
        {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
        {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
        {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
        {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0}};

    /** Digest length in bytes. */
    public static final int LENGTH = 64;

    private final long[] h = new long[8];
    private final long[] v = new long[16];
    private final long[] m = new long[16];
    private final byte[] buf = new byte[128];
    private int bufLen;
    private long t0;
    private long t1;

    public Blake2b() {
        reset();
    }

    public void reset() {
        System.arraycopy(IV, 0, h, 0, 8);
        h[0] ^= 0x01010000L ^ LENGTH; // parameter block: digest length, no key, fanout 1, depth 1
        bufLen = 0;
        t0 = 0;
        t1 = 0;
    }

    public void update(byte[] in, int off, int len) {
        while (len > 0) {
            if (bufLen == 128) {
                // the last block is compressed only in digest(), with the final flag
                increment(128);
                compress(buf, 0, false);
                bufLen = 0;
            }
            if (bufLen == 0) {
                while (len > 128) {
                    increment(128);
                    compress(in, off, false);
                    off += 128;
                    len -= 128;
                }
            }
            int n = Math.min(128 - bufLen, len);
            System.arraycopy(in, off, buf, bufLen, n);
            bufLen += n;
            off += n;
            len -= n;
        }
    }

    public byte[] digest() {
        increment(bufLen);
        for (int i = bufLen; i < 128; i++) {
            buf[i] = 0;
        }
        compress(buf, 0, true);
        byte[] out = new byte[LENGTH];
        for (int i = 0; i < 8; i++) {
            long x = h[i];
            for (int j = 0; j < 8; j++) {
                out[i * 8 + j] = (byte) (x >>> (8 * j));
            }
        }
        reset();
        return out;
    }

    private void increment(int n) {
        long old = t0;
        t0 += n;
        if (Long.compareUnsigned(t0, old) < 0) {
            t1++;
        }
    }

    private void compress(byte[] block, int off, boolean last) {
        for (int i = 0; i < 16; i++) {
            int p = off + i * 8;
            m[i] = (block[p] & 0xffL) | (block[p + 1] & 0xffL) << 8 | (block[p + 2] & 0xffL) << 16
                    | (block[p + 3] & 0xffL) << 24 | (block[p + 4] & 0xffL) << 32 | (block[p + 5] & 0xffL) << 40
                    | (block[p + 6] & 0xffL) << 48 | (block[p + 7] & 0xffL) << 56;
        }
        System.arraycopy(h, 0, v, 0, 8);
        System.arraycopy(IV, 0, v, 8, 8);
        v[12] ^= t0;
        v[13] ^= t1;
        if (last) {
            v[14] = ~v[14];
        }
        for (int r = 0; r < 12; r++) {
            byte[] s = SIGMA[r % 10];
            g(0, 4, 8, 12, m[s[0]], m[s[1]]);
            g(1, 5, 9, 13, m[s[2]], m[s[3]]);
            g(2, 6, 10, 14, m[s[4]], m[s[5]]);
            g(3, 7, 11, 15, m[s[6]], m[s[7]]);
            g(0, 5, 10, 15, m[s[8]], m[s[9]]);
            g(1, 6, 11, 12, m[s[10]], m[s[11]]);
            g(2, 7, 8, 13, m[s[12]], m[s[13]]);
            g(3, 4, 9, 14, m[s[14]], m[s[15]]);
        }
        for (int i = 0; i < 8; i++) {
            h[i] ^= v[i] ^ v[i + 8];
        }
    }

    private void g(int a, int b, int c, int d, long x, long y) {
        long[] w = v;
        w[a] = w[a] + w[b] + x;
        w[d] = Long.rotateRight(w[d] ^ w[a], 32);
        w[c] = w[c] + w[d];
        w[b] = Long.rotateRight(w[b] ^ w[c], 24);
        w[a] = w[a] + w[b] + y;
        w[d] = Long.rotateRight(w[d] ^ w[a], 16);
        w[c] = w[c] + w[d];
        w[b] = Long.rotateRight(w[b] ^ w[c], 63);
    }
}
