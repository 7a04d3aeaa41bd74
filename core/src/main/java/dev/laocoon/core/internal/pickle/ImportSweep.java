package dev.laocoon.core.internal.pickle;

import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A cheap scan of bytes the symbolic machine did not reach (after a safety limit), for the names a
 * loader would import there: {@code GLOBAL}/{@code INST} operands ({@code c}/{@code i}, then
 * {@code module\nname\n}) and the two string operands before a {@code STACK_GLOBAL}. It does not
 * follow opcode boundaries, so it may find names in data and miss computed ones; a caller only
 * raises what the knowledge base already knows to be dangerous, so that a payload after a limit
 * keeps its verdict.
 */
public final class ImportSweep {
    /** A name found at {@code offset}. */
    public record Hit(GlobalName name, long offset) {
    }

    private static final int CHUNK = 1 << 16;
    private static final int OVERLAP = 512;
    private static final int MAX_NAME = 200;

    private ImportSweep() {
    }

    /**
     * Names in {@code [from, to)} of {@code src}, at most {@code maxHits}, stopping at the absolute
     * {@link System#nanoTime()} {@code deadline} or when the thread is interrupted.
     */
    public static List<Hit> sweep(ByteSource src, long from, long to, int maxHits, long deadline) throws IOException {
        List<Hit> hits = new ArrayList<>();
        byte[] buf = new byte[CHUNK + OVERLAP];
        String last = null;
        String beforeLast = null;
        for (long base = Math.max(0, from); base < to && hits.size() < maxHits; base += CHUNK) {
            if (System.nanoTime() > deadline || Thread.currentThread().isInterrupted()) {
                break;
            }
            int n = src.readFully(base, buf, 0, (int) Math.min(buf.length, to - base));
            int end = Math.min(n, CHUNK);
            for (int i = 0; i < end && hits.size() < maxHits; i++) {
                int op = buf[i] & 0xff;
                if (op == 'c' || op == 'i') {
                    int a = line(buf, i + 1, n);
                    int b = a < 0 ? -1 : line(buf, a + 1, n);
                    if (b > 0) {
                        String module = new String(buf, i + 1, a - i - 1, StandardCharsets.US_ASCII);
                        String name = new String(buf, a + 1, b - a - 1, StandardCharsets.US_ASCII);
                        hits.add(new Hit(new GlobalName(module, name, module, name, 2, true), base + i));
                    }
                } else if (op == 0x8c && i + 1 < n) { // SHORT_BINUNICODE
                    int len = buf[i + 1] & 0xff;
                    if (identifierLike(buf, i + 2, len, n)) {
                        beforeLast = last;
                        last = new String(buf, i + 2, len, StandardCharsets.UTF_8);
                    }
                } else if (op == 'X' && i + 4 < n) { // BINUNICODE
                    long len = (buf[i + 1] & 0xff) | (buf[i + 2] & 0xff) << 8 | (buf[i + 3] & 0xff) << 16
                            | (long) (buf[i + 4] & 0xff) << 24;
                    if (len <= MAX_NAME && identifierLike(buf, i + 5, (int) len, n)) {
                        beforeLast = last;
                        last = new String(buf, i + 5, (int) len, StandardCharsets.UTF_8);
                    }
                } else if (op == 0x93 && last != null && beforeLast != null) { // STACK_GLOBAL
                    hits.add(new Hit(new GlobalName(beforeLast, last, beforeLast, last, 4, true), base + i));
                    last = null;
                    beforeLast = null;
                }
            }
        }
        return hits;
    }

    /** The index of the newline ending a dotted identifier that starts at {@code from}, or -1. */
    private static int line(byte[] b, int from, int n) {
        for (int i = from; i < n && i - from <= MAX_NAME; i++) {
            int c = b[i] & 0xff;
            if (c == '\n') {
                return i > from ? i : -1;
            }
            if (!(c == '.' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')) {
                return -1;
            }
        }
        return -1;
    }

    private static boolean identifierLike(byte[] b, int from, int len, int n) {
        if (len < 1 || len > MAX_NAME || from + len > n) {
            return false;
        }
        for (int i = from; i < from + len; i++) {
            int c = b[i] & 0xff;
            if (!(c == '.' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')) {
                return false;
            }
        }
        return true;
    }
}
