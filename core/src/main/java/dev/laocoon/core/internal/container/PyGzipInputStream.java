package dev.laocoon.core.internal.container;

import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * gzip read as Python's gzip module reads it (gzip.open, GzipFile, joblib's gzip files): member
 * after member, zero bytes between members skipped, the optional header CRC skipped unchecked.
 * The JDK's GZIPInputStream stops silently where Python goes on (a header CRC it rejects, zero
 * padding, the next member out of its buffer), so data Python unpickles was never seen.
 *
 * <p>Where Python raises (a wrong CRC or length, data after a member that is not a member, an
 * unfinished member), the bytes decoded so far are kept, the reading stops or goes on as far as
 * possible, and the reason is listed in {@link #problems()}; the caller reports them.
 */
public final class PyGzipInputStream extends PythonLikeInputStream {
    private static final int FHCRC = 2;
    private static final int FEXTRA = 4;
    private static final int FNAME = 8;
    private static final int FCOMMENT = 16;

    private final PushbackInputStream in;
    private final Inflater inf = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private final byte[] buf = new byte[65536];
    private int bufLen;
    private boolean inMember;
    private boolean eof;
    private long memberSize;
    private int members;

    public PyGzipInputStream(InputStream raw) {
        in = new PushbackInputStream(raw, buf.length);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (!eof) {
            if (!inMember && !header()) {
                eof = true;
                break;
            }
            int n;
            try {
                n = inf.inflate(b, off, len);
            } catch (DataFormatException e) {
                throw new ZipException("invalid deflate data in gzip member " + members + ": " + e.getMessage());
            }
            if (n > 0) {
                crc.update(b, off, n);
                memberSize += n;
                return n;
            }
            if (inf.finished()) {
                int rem = inf.getRemaining();
                if (rem > 0) {
                    in.unread(buf, bufLen - rem, rem);
                }
                trailer();
                inMember = false;
            } else if (inf.needsDictionary()) {
                throw new ZipException("gzip member " + members + " needs a preset dictionary");
            } else if (inf.needsInput()) {
                bufLen = in.read(buf, 0, buf.length);
                if (bufLen <= 0) {
                    problems.add("gzip member " + members + " ends before its compressed data does (Python raises EOFError there)");
                    eof = true;
                    break;
                }
                inf.setInput(buf, 0, bufLen);
            }
        }
        return -1;
    }

    /** Reads a member header; false at the end of the data or where Python's gzip raises. */
    private boolean header() throws IOException {
        int m0 = in.read();
        if (m0 < 0) {
            if (members == 0) {
                problems.add("empty gzip data");
            }
            return false;
        }
        int m1 = in.read();
        if (m0 != 0x1f || m1 != 0x8b) {
            problems.add((members == 0 ? "data is" : "data after gzip member " + members + " is")
                    + " not a gzip member (Python's gzip raises 'Not a gzipped file' there; other readers stop silently)");
            return false;
        }
        byte[] h = new byte[8];
        if (!exact(h, 8)) {
            return false;
        }
        if ((h[0] & 0xff) != 8) {
            problems.add("gzip member " + (members + 1) + " uses compression method " + (h[0] & 0xff)
                    + " (Python's gzip raises there)");
            return false;
        }
        int flags = h[1] & 0xff;
        if ((flags & FEXTRA) != 0) {
            byte[] x = new byte[2];
            if (!exact(x, 2) || !exact(new byte[(x[0] & 0xff) | (x[1] & 0xff) << 8], (x[0] & 0xff) | (x[1] & 0xff) << 8)) {
                return false;
            }
        }
        for (int f : new int[] {FNAME, FCOMMENT}) {
            if ((flags & f) != 0) {
                int c;
                while ((c = in.read()) > 0) {
                    // a zero-terminated name or comment
                }
                if (c < 0) {
                    problems.add("gzip member " + (members + 1) + " header is cut short");
                    return false;
                }
            }
        }
        if ((flags & FHCRC) != 0 && !exact(new byte[2], 2)) { // Python reads the header CRC and ignores it
            return false;
        }
        members++;
        inf.reset();
        crc.reset();
        memberSize = 0;
        inMember = true;
        return true;
    }

    private void trailer() throws IOException {
        byte[] t = new byte[8];
        if (!exact(t, 8)) {
            eof = true;
            return;
        }
        long c = ZipArchive.u32(t, 0);
        long size = ZipArchive.u32(t, 4);
        if (c != crc.getValue() || size != (memberSize & 0xffffffffL)) {
            problems.add("gzip member " + members + " does not match its CRC-32 or length (Python's gzip raises"
                    + " once it has returned the member's data)");
        }
        // Python skips zero bytes between members
        int z;
        while ((z = in.read()) == 0) {
            // padding
        }
        if (z > 0) {
            in.unread(z);
        }
    }

    private boolean exact(byte[] b, int n) throws IOException {
        int got = 0;
        while (got < n) {
            int r = in.read(b, got, n - got);
            if (r < 0) {
                problems.add("gzip data ends inside a member header or trailer (Python raises EOFError there)");
                return false;
            }
            got += r;
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        inf.end();
        in.close();
    }
}
