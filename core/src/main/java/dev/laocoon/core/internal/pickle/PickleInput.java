package dev.laocoon.core.internal.pickle;

import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The bytes a pickle loader sees, reproducing how CPython's C unpickler reads a real file
 * ({@code pickle.load(open(path, "rb"))}): the unpickler's input window, filled by
 * {@code peek()} (up to 128 KiB requested, at most what the buffered reader holds) or by
 * {@code read(n)}, and the {@code io.BufferedReader} underneath with its block-sized buffer.
 *
 * <p>This matters for {@code FRAME}: the C unpickler reads the whole frame into its window and
 * then reads opcodes from it. When the window came from {@code read(n)} and an opcode needs
 * more bytes than the window still holds, the rest of the window is dropped and the opcode
 * is read from the file after the frame. Parsers that honour frame boundaries see something
 * else, which is why such frames are reported. Every position here is an absolute offset in
 * the source; all reads move forward, so only a small cache of the source is kept.
 */
public final class PickleInput {
    /** CPython's _pickle.c PREFETCH (8192 * 16). */
    static final int PREFETCH = 8192 * 16;
    /** st_blksize of a typical Linux file system: what {@code open()} uses as buffer size. */
    public static final int DEFAULT_BUFFER_SIZE = 4096;

    private final ByteSource source;
    private final long size;
    private final int bufferSize;

    // Cache of source bytes: [cacheStart, cacheStart + cacheLen).
    private byte[] cache = new byte[64 * 1024];
    private long cacheStart;
    private int cacheLen;
    private final int maxCache;

    // io.BufferedReader model: logical position and buffered bytes [brStart, brEnd).
    private long brPos;
    private long brStart;
    private long brEnd;

    // Unpickler input window (absolute start, length), next read index and prefetched index.
    private long inStart;
    private long inLen;
    private long idx;
    private long prefetched;
    /** End of the most recent FRAME as the C unpickler buffered it; -1 when none is open. */
    private long frameEnd = -1;
    /** Set when bytes of a read() window were skipped over; the machine reports and clears it. */
    boolean frameSkipped;
    private long skippedFrom;
    private long skippedTo;

    public PickleInput(ByteSource source, long start, int bufferSize, int maxCache) {
        this.source = source;
        this.size = source.size();
        this.bufferSize = bufferSize;
        this.maxCache = Math.max(maxCache, 64 * 1024);
        this.brPos = start;
        this.brStart = start;
        this.brEnd = start;
        this.cacheStart = start;
    }

    public long size() {
        return size;
    }

    /** Starts a new {@code load()} on the same file object: a fresh unpickler window. */
    public void beginPickle() {
        inStart = brPos;
        inLen = 0;
        idx = 0;
        prefetched = 0;
        frameEnd = -1;
    }

    /** Called after STOP: the C unpickler tells the file how much of the peeked data it used. */
    public void endPickle() {
        skipConsumed();
    }

    /** Absolute position of the next byte the unpickler will read. */
    public long position() {
        return inStart + idx;
    }

    /** Where the next {@code load()} on the same file would start. */
    public long filePosition() {
        long c = idx - prefetched;
        return c > 0 ? brPos + c : brPos;
    }

    public boolean atEnd() {
        return position() >= size && idx >= inLen;
    }

    // ---------------------------------------------------------------- unpickler reads

    /** Reads one opcode byte, or returns -1 at the end of the data. */
    public int readOpcode() throws PickleError {
        if (idx < inLen) {
            return byteAt(inStart + idx++);
        }
        long pos = position();
        long got = readFromFile(1);
        if (got < 1) {
            idx = 0;
            inLen = 0;
            return -1;
        }
        if (windowDropped(pos)) {
            frameSkipped = true;
        }
        idx = 1;
        return byteAt(inStart);
    }

    /** Reads {@code n} bytes (an operand); returns the absolute offset where they start. */
    public long read(long n, long opOffset) throws PickleError {
        if (n <= inLen - idx) {
            long p = inStart + idx;
            idx += n;
            return p;
        }
        long pos = position();
        long got = readFromFile(n);
        if (got < n) {
            throw new PickleError(PickleError.Kind.TRUNCATED, opOffset, "pickle data was truncated");
        }
        noteDrop(pos);
        idx = n;
        return inStart;
    }

    /**
     * Reads a line including its newline, as the C unpickler does; returns {start, length}.
     * The line is copied by the caller from {@link #bytes}.
     */
    public long[] readLine(long opOffset) throws PickleError {
        long from = inStart + idx;
        long end = inStart + inLen;
        long nl = indexOfNewline(from, end);
        if (nl >= 0) {
            idx = nl + 1 - inStart;
            return new long[] {from, nl + 1 - from};
        }
        long got = readFromFile(-1);
        if (got == 0 || byteAt(inStart + got - 1) != '\n') {
            throw new PickleError(PickleError.Kind.TRUNCATED, opOffset, "pickle data was truncated");
        }
        noteDrop(from);
        idx = got;
        return new long[] {inStart, got};
    }

    /**
     * Reads a large operand the way {@code _Unpickler_ReadInto} does: the rest of the window,
     * then straight from the file. Always contiguous; returns the start offset.
     */
    public long readInto(long n, long opOffset) throws PickleError {
        long start = inStart + idx;
        long inBuffer = inLen - idx;
        if (inBuffer > 0) {
            long take = Math.min(inBuffer, n);
            idx += take;
            if (take == n) {
                return start;
            }
            n -= take;
        } else {
            start = -1;
        }
        skipConsumed();
        long p = brPos;
        long got = brReadInto(n);
        if (got < n) {
            throw new PickleError(PickleError.Kind.TRUNCATED, opOffset, "pickle data was truncated");
        }
        // The unpickler's window is exhausted; the file is past the operand.
        inStart = brPos;
        inLen = 0;
        idx = 0;
        prefetched = 0;
        return start >= 0 ? start : p;
    }

    /** FRAME: reads the frame into the window and rewinds to its start, like load_frame. */
    public void frame(long frameLen, long opOffset) throws PickleError {
        if (frameLen > size) {
            throw new PickleError(PickleError.Kind.TRUNCATED, opOffset, "pickle data was truncated");
        }
        long start = read(frameLen, opOffset);
        idx -= frameLen;
        frameEnd = start + frameLen;
    }

    /** End of the current frame as buffered, or -1. */
    public long frameEnd() {
        return frameEnd;
    }

    public void clearFrame() {
        frameEnd = -1;
    }

    public long skippedFrom() {
        return skippedFrom;
    }

    public long skippedTo() {
        return skippedTo;
    }

    private void noteDrop(long logicalPos) {
        if (windowDropped(logicalPos)) {
            frameSkipped = true;
        }
    }

    /** After a refill: did the new window start after the logical position (bytes were dropped)? */
    private boolean windowDropped(long logicalPos) {
        if (inStart > logicalPos) {
            skippedFrom = logicalPos;
            skippedTo = inStart;
            return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- C unpickler helpers

    private void skipConsumed() {
        long consumed = idx - prefetched;
        if (consumed <= 0) {
            return;
        }
        brRead(consumed);
        prefetched = idx;
    }

    /** _Unpickler_ReadFromFile: n == -1 reads a whole line. Returns bytes now in the window. */
    private long readFromFile(long n) {
        skipConsumed();
        if (n == -1) {
            long start = brPos;
            long len = brReadline();
            setWindow(start, len);
            return len;
        }
        if (n < PREFETCH) {
            long start = brPos;
            long len = brPeek();
            setWindow(start, len);
            prefetched = 0;
            if (n <= len) {
                return n;
            }
        }
        long start = brPos;
        long len = brRead(n);
        setWindow(start, len);
        return len;
    }

    private void setWindow(long start, long len) {
        inStart = start;
        inLen = len;
        idx = 0;
        prefetched = len;
    }

    // ---------------------------------------------------------------- io.BufferedReader model

    private long brPeek() {
        if (brPos < brEnd) {
            return brEnd - brPos;
        }
        brStart = brPos;
        brEnd = Math.min(size, brPos + bufferSize);
        if (brEnd < brStart) {
            brEnd = brStart;
        }
        return brEnd - brPos;
    }

    private long brRead(long n) {
        long avail = brEnd - brPos;
        if (n <= avail) {
            brPos += n;
            return n;
        }
        long start = brPos;
        long p = brEnd;
        long remaining = n - avail;
        // whole blocks go straight to the caller
        long direct = (remaining / bufferSize) * bufferSize;
        long directGot = Math.max(0, Math.min(direct, size - p));
        p += directGot;
        remaining -= directGot;
        brStart = p;
        brEnd = p;
        brPos = p;
        if (directGot == direct && remaining > 0) {
            long r = Math.max(0, Math.min(bufferSize, size - p));
            brEnd = p + r;
            long take = Math.min(r, remaining);
            brPos = p + take;
            remaining -= take;
        }
        return brPos - start;
    }

    private long brReadInto(long n) {
        long avail = brEnd - brPos;
        long start = brPos;
        if (avail >= n) {
            brPos += n;
            return n;
        }
        brPos = brEnd;
        long remaining = n - Math.max(avail, 0);
        brStart = brPos;
        brEnd = brPos;
        while (remaining > 0) {
            if (remaining > bufferSize) {
                long r = Math.max(0, Math.min(remaining, size - brPos));
                if (r == 0) {
                    break;
                }
                brPos += r;
                brStart = brPos;
                brEnd = brPos;
                remaining -= r;
            } else {
                long r = Math.max(0, Math.min(bufferSize, size - brPos));
                if (r == 0) {
                    break;
                }
                brStart = brPos;
                brEnd = brPos + r;
                long take = Math.min(r, remaining);
                brPos += take;
                remaining -= take;
            }
        }
        return brPos - start;
    }

    private long brReadline() {
        long start = brPos;
        long nl = indexOfNewline(brPos, brEnd);
        if (nl >= 0) {
            brPos = nl + 1;
            return brPos - start;
        }
        long cur = Math.max(brEnd, brPos);
        while (true) {
            long r = Math.max(0, Math.min(bufferSize, size - cur));
            brStart = cur;
            brEnd = cur + r;
            if (r == 0) {
                brPos = cur;
                return brPos - start;
            }
            nl = indexOfNewline(cur, cur + r);
            if (nl >= 0) {
                brPos = nl + 1;
                return brPos - start;
            }
            cur += r;
        }
    }

    // ---------------------------------------------------------------- source cache

    private void ensure(long pos, int n) {
        if (pos >= cacheStart && pos + n <= cacheStart + cacheLen) {
            return;
        }
        if (n > cache.length) {
            int cap = cache.length;
            while (cap < n) {
                cap *= 2;
            }
            cache = new byte[Math.min(Math.max(cap, n), Math.max(maxCache, n))];
        }
        try {
            cacheStart = pos;
            cacheLen = source.readFully(pos, cache, 0, (int) Math.min(cache.length, Math.max(0, size - pos)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int byteAt(long pos) {
        long rel = pos - cacheStart;
        if (rel >= 0 && rel < cacheLen) {
            return cache[(int) rel] & 0xff;
        }
        ensure(pos, 1);
        if (pos - cacheStart >= cacheLen) {
            throw new IllegalStateException("read past end at " + pos);
        }
        return cache[(int) (pos - cacheStart)] & 0xff;
    }

    /** Copies {@code n} bytes at {@code pos} (n small enough to hold in memory). */
    public byte[] bytes(long pos, int n) {
        byte[] out = new byte[n];
        copy(pos, out, 0, n);
        return out;
    }

    public void copy(long pos, byte[] dst, int off, int n) {
        int done = 0;
        while (done < n) {
            int chunk = Math.min(n - done, cache.length);
            ensure(pos + done, chunk);
            System.arraycopy(cache, (int) (pos + done - cacheStart), dst, off + done, chunk);
            done += chunk;
        }
    }

    /** Little-endian unsigned value of {@code n} (1..8) bytes at {@code pos}. */
    public long littleEndian(long pos, int n) {
        long rel = pos - cacheStart;
        if (rel < 0 || rel + n > cacheLen) {
            ensure(pos, n);
            rel = pos - cacheStart;
        }
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (cache[(int) rel + i] & 0xff);
        }
        return v;
    }

    private long indexOfNewline(long from, long to) {
        long p = from;
        while (p < to) {
            int chunk = (int) Math.min(to - p, cache.length);
            ensure(p, chunk);
            int base = (int) (p - cacheStart);
            int lim = base + (int) Math.min(chunk, cacheLen - base);
            if (lim <= base) {
                return -1;
            }
            byte[] c = cache;
            for (int i = base; i < lim; i++) {
                if (c[i] == '\n') {
                    return cacheStart + i;
                }
            }
            p += lim - base;
        }
        return -1;
    }
}
