package dev.laocoon.core.internal.container;

import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;

/**
 * .xz and .lzma read as Python's lzma.open reads them (format auto-detected): stream after
 * stream, each one either xz or LZMA-alone, whichever the first one was, until the data ends or
 * the rest is not a stream (Python ignores such trailing data). The JDK-side readers read one
 * LZMA-alone stream, or only xz streams, so a pickle's later streams were never seen.
 *
 * <p>Problems (trailing data, a stream that breaks off) are listed in {@link #problems()}; the
 * bytes decoded so far are kept.
 */
public final class PyLzmaInputStream extends PythonLikeInputStream {
    private static final int MEMORY_KIB = 64 * 1024;

    private final PushbackInputStream in;
    private InputStream stream;
    private int streams;
    private boolean eof;
    private boolean firstXz;

    /** A candidate (no signature, only an LZMA-alone header): it counts only when it decodes to something. */
    private final boolean candidate;

    public PyLzmaInputStream(InputStream raw) {
        this(raw, false);
    }

    private PyLzmaInputStream(InputStream raw, boolean candidate) {
        in = new PushbackInputStream(raw, 32);
        this.candidate = candidate;
    }

    /**
     * A reader for data that merely starts like an LZMA-alone header (no signature): when every
     * stream in it decodes to nothing (zero bytes read so are empty streams, every 18 bytes: tensor
     * data, a zero user block, a sparse file), the end is an IOException, as for data that does not
     * decode at all. Python's lzma.open reads such data as b'' (trailing data ignored): there is no
     * content to judge, and the data is left to the other formats it may be.
     */
    public static PyLzmaInputStream candidate(InputStream raw) {
        return new PyLzmaInputStream(raw, true);
    }

    /**
     * True when the first bytes are an LZMA-alone header liblzma's auto decoder accepts:
     * properties below 225, a dictionary size of 2^n or 2^n + 2^(n-1), an uncompressed size
     * that is unknown or below 2^38.
     */
    public static boolean looksLikeAlone(byte[] h, int n) {
        if (n < 13 || (h[0] & 0xff) >= 225) {
            return false;
        }
        long dict = ZipArchive.u32(h, 1);
        long d = dict - 1;
        d |= d >> 2;
        d |= d >> 3;
        d |= d >> 4;
        d |= d >> 8;
        d |= d >> 16;
        d++;
        if (d != dict) { // liblzma's check (a size of 0 passes it too)
            return false;
        }
        long size = ZipArchive.u32(h, 5) | ZipArchive.u32(h, 9) << 32;
        return size == -1 || (size >= 0 && size < (1L << 38));
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (!eof) {
            if (stream == null && !next()) {
                eof = true;
                break;
            }
            int n;
            try {
                n = stream.read(b, off, len);
            } catch (IOException e) {
                if (streams == 1) {
                    throw e; // the file itself is damaged: the caller reports it
                }
                problems.add("lzma stream " + streams + " is damaged (" + e.getMessage() + ")");
                eof = true;
                break;
            }
            if (n > 0) {
                decoded += n;
                return n;
            }
            stream = null;
        }
        if (candidate && decoded == 0 && !capped) {
            throw new IOException("decodes to nothing: not an lzma stream");
        }
        return -1;
    }

    /** Streams read from one file at most (a loader reads more; the rest is reported as not read). */
    static final int MAX_STREAMS = 1000;
    private boolean mixedReported;
    private long decoded;

    /** Zero bytes read as empty streams without a decoder (see {@link #next}), at most this many. */
    static final long MAX_ZERO_RUN = 16L << 20;
    private long zeroRun;
    private boolean capped;

    /** Opens the next stream; false at the end or where the rest is not a stream. */
    private boolean next() throws IOException {
        byte[] h = new byte[18];
        int n;
        while (true) {
            n = 0;
            while (n < 18) {
                int r = in.read(h, n, 18 - n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
            if (n == 0) {
                return false;
            }
            // 18 zero bytes are one empty LZMA-alone stream to liblzma (a 13-byte header: properties 0,
            // dictionary 0, size 0; then the range coder's 5 bytes): Python's lzma decodes b'' from them
            // and goes on with the next 18. A zero run (tensor data, padding) is skipped so, cheaply.
            if (n == 18 && zeroRun < MAX_ZERO_RUN && allZero(h)) {
                zeroRun += 18;
                streams++;
                continue;
            }
            break;
        }
        in.unread(h, 0, n);
        n = Math.min(n, 13);
        boolean xz = n >= 6 && (h[0] & 0xff) == 0xfd && h[1] == '7' && h[2] == 'z' && h[3] == 'X' && h[4] == 'Z' && h[5] == 0;
        if (!xz && !looksLikeAlone(h, n)) {
            if (streams > 0) {
                problems.add("data after lzma stream " + streams + " is not a stream (Python ignores it, "
                        + "other readers may not)");
                return false;
            }
            throw new java.io.IOException("not an xz or lzma stream");
        }
        if (streams - zeroRun / 18 >= MAX_STREAMS) {
            capped = true;
            // zero bytes read as LZMA-alone are an empty stream every 13-18 bytes: a long run of zeros
            // (a preallocated or sparse file) would be millions of streams
            problems.add("more than " + MAX_STREAMS + " lzma streams" + (decoded == 0 ? ", all empty (as a run of zero bytes"
                    + " reads: a preallocated or sparse file?)" : "") + "; the rest was not read");
            return false;
        }
        try {
            stream = xz ? new org.tukaani.xz.SingleXZInputStream(in, MEMORY_KIB)
                    : new org.tukaani.xz.LZMAInputStream(in, MEMORY_KIB);
        } catch (IOException e) {
            if (streams == 0) {
                throw e;
            }
            problems.add("data after lzma stream " + streams + " is not a stream (" + e.getMessage() + ")");
            return false;
        }
        streams++;
        if (streams == 1) {
            firstXz = xz;
        } else if ((!xz || !firstXz) && !mixedReported) {
            mixedReported = true; // once: a run of empty streams would otherwise give one finding each
            problems.add("lzma stream " + streams + " follows an " + (firstXz ? "xz" : "LZMA-alone") + " stream: Python's"
                    + " lzma.open reads it, xz and LZMA-alone readers stop before it");
        }
        return true;
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
