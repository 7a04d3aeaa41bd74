package dev.laocoon.core.pickle;

import java.util.Arrays;

/**
 * A fast first pass for pickles that hold only plain data (the bulk of large files): it walks
 * the opcodes keeping one byte per stack and memo slot and builds no values. It answers "clean"
 * only when every opcode is one that cannot import or call anything and every structural check
 * CPython makes is certainly satisfied; at the first import or call opcode, text opcode, doubtful
 * operand or error it gives up, and the full {@link PickleMachine} analyses the data instead.
 * "Clean" therefore means exactly: the machine would record no event and no error for this data.
 */
public final class DataOnlyWalk {
    private static final byte NONE = 1;
    private static final byte SCALAR = 2; // bool, int, float, str, bytes: hashable, not a container
    private static final byte LIST = 3;
    private static final byte DICT = 4;
    private static final byte SET = 5;
    private static final byte TUPLE = 6;
    private static final byte UNHASHABLE_TUPLE = 7;
    private static final byte FROZENSET = 8;
    private static final byte BYTEARRAY = 9;
    private static final long MAX_DENSE_MEMO = 1L << 26;
    private static final int MAX_MARKS = 100_000;

    private byte[] stack = new byte[256];
    private int sp;
    private int[] marks = new int[32];
    private int nmarks;
    private int fence;
    private byte[] memo = new byte[1024];
    private int memoLen;

    private DataOnlyWalk() {
    }

    /**
     * True when {@code data[0..length)} is one or more complete data-only pickles, back to back,
     * with honest frames, and nothing else; {@code deadlineNanos} bounds the time spent.
     */
    public static boolean clean(byte[] data, int length, long deadlineNanos) {
        DataOnlyWalk w = new DataOnlyWalk();
        int p = 0;
        long ops = 0;
        while (p < length) {
            p = w.pickle(data, p, length, deadlineNanos);
            if (p < 0) {
                return false;
            }
            ops++;
        }
        return ops > 0;
    }

    /** Walks one pickle from {@code p}; returns the offset after its STOP, or -1 to give up. */
    private int pickle(byte[] b, int p, int n, long deadline) {
        sp = 0;
        nmarks = 0;
        fence = 0;
        memoLen = 0;
        Arrays.fill(memo, (byte) 0);
        long frameEnd = -1;
        int count = 0;
        while (true) {
            if (frameEnd >= 0 && p >= frameEnd) {
                if (p != frameEnd) {
                    return -1; // an opcode crossed the end of its frame
                }
                frameEnd = -1;
            }
            if (p >= n) {
                return -1;
            }
            if ((++count & 0xffff) == 0 && System.nanoTime() > deadline) {
                return -1;
            }
            int op = b[p++] & 0xff;
            switch (op) {
                case 0x80 -> { // PROTO
                    if (p >= n || (b[p] & 0xff) > 5) {
                        return -1;
                    }
                    p++;
                }
                case 0x95 -> { // FRAME
                    if (p + 8 > n || frameEnd >= 0) {
                        return -1;
                    }
                    long len = le(b, p, 8);
                    p += 8;
                    if (len < 0 || len > n - p) {
                        return -1;
                    }
                    frameEnd = p + len;
                }
                case '.' -> { // STOP
                    if (sp <= fence) {
                        return -1;
                    }
                    return frameEnd >= 0 && p != frameEnd ? -1 : p;
                }
                case 'N' -> push(NONE);
                case 0x88, 0x89 -> push(SCALAR);
                case 'K' -> {
                    p += 1;
                    push(SCALAR);
                }
                case 'M' -> {
                    p += 2;
                    push(SCALAR);
                }
                case 'J' -> {
                    p += 4;
                    push(SCALAR);
                }
                case 'G' -> {
                    p += 8;
                    push(SCALAR);
                }
                case 0x8a -> { // LONG1
                    if (p >= n) {
                        return -1;
                    }
                    p += 1 + (b[p] & 0xff);
                    push(SCALAR);
                }
                case 0x8c -> { // SHORT_BINUNICODE
                    if (p >= n) {
                        return -1;
                    }
                    int len = b[p] & 0xff;
                    p += 1;
                    if (len > n - p || !utf8(b, p, len)) {
                        return -1;
                    }
                    p += len;
                    push(SCALAR);
                }
                case 'X' -> { // BINUNICODE
                    if (p + 4 > n) {
                        return -1;
                    }
                    long len = le(b, p, 4);
                    p += 4;
                    if (len > n - p || !utf8(b, p, (int) len)) {
                        return -1;
                    }
                    p += (int) len;
                    push(SCALAR);
                }
                case 'U', 'C' -> { // SHORT_BINSTRING, SHORT_BINBYTES
                    if (p >= n) {
                        return -1;
                    }
                    p += 1 + (b[p] & 0xff);
                    push(SCALAR);
                }
                case 'T', 'B' -> { // BINSTRING, BINBYTES
                    if (p + 4 > n) {
                        return -1;
                    }
                    long len = le(b, p, 4);
                    p += 4;
                    if (len > n - p) {
                        return -1;
                    }
                    p += (int) len;
                    push(SCALAR);
                }
                case '(' -> {
                    if (nmarks >= MAX_MARKS) {
                        return -1;
                    }
                    if (nmarks == marks.length) {
                        marks = Arrays.copyOf(marks, nmarks * 2);
                    }
                    marks[nmarks++] = sp;
                    fence = sp;
                }
                case '0' -> { // POP: a MARK on top is popped instead
                    if (nmarks > 0 && marks[nmarks - 1] == sp) {
                        nmarks--;
                        fence = nmarks > 0 ? marks[nmarks - 1] : 0;
                    } else if (sp <= fence) {
                        return -1;
                    } else {
                        sp--;
                    }
                }
                case '2' -> { // DUP
                    if (sp <= fence) {
                        return -1;
                    }
                    push(stack[sp - 1]);
                }
                case ']' -> push(LIST);
                case '}' -> push(DICT);
                case ')' -> push(TUPLE);
                case 0x8f -> push(SET);
                case 'l' -> { // LIST
                    int m = marker();
                    if (m < 0) {
                        return -1;
                    }
                    sp = m;
                    push(LIST);
                }
                case 't' -> { // TUPLE
                    int m = marker();
                    if (m < 0) {
                        return -1;
                    }
                    byte k = tupleKind(m, sp);
                    sp = m;
                    push(k);
                }
                case 0x85, 0x86, 0x87 -> { // TUPLE1..3
                    int k = op - 0x84;
                    if (sp - k < fence) {
                        return -1;
                    }
                    byte kind = tupleKind(sp - k, sp);
                    sp -= k;
                    push(kind);
                }
                case 'd' -> { // DICT
                    int m = marker();
                    if (m < 0 || ((sp - m) & 1) != 0 || !hashable(m, sp, 2)) {
                        return -1;
                    }
                    sp = m;
                    push(DICT);
                }
                case 0x91 -> { // FROZENSET
                    int m = marker();
                    if (m < 0 || !hashable(m, sp, 1)) {
                        return -1;
                    }
                    sp = m;
                    push(FROZENSET);
                }
                case 'a' -> { // APPEND
                    if (sp - 1 <= fence || stack[sp - 2] != LIST) {
                        return -1;
                    }
                    sp--;
                }
                case 'e' -> { // APPENDS
                    int m = marker();
                    if (m < 0 || m <= fence || stack[m - 1] != LIST) {
                        return -1;
                    }
                    sp = m;
                }
                case 's' -> { // SETITEM
                    int x = sp - 2;
                    if (x <= fence || stack[x - 1] != DICT || !hashable(x, x + 1, 1)) {
                        return -1;
                    }
                    sp = x;
                }
                case 'u' -> { // SETITEMS
                    int m = marker();
                    if (m < 0 || m <= fence || ((sp - m) & 1) != 0 || (sp > m && stack[m - 1] != DICT)
                            || !hashable(m, sp, 2)) {
                        return -1;
                    }
                    sp = m;
                }
                case 0x90 -> { // ADDITEMS
                    int m = marker();
                    if (m < 0 || m <= fence || (sp > m && stack[m - 1] != SET) || !hashable(m, sp, 1)) {
                        return -1;
                    }
                    sp = m;
                }
                case 'h', 'j' -> { // BINGET, LONG_BINGET
                    int w = op == 'h' ? 1 : 4;
                    if (p + w > n) {
                        return -1;
                    }
                    long idx = le(b, p, w);
                    p += w;
                    if (idx >= memo.length || memo[(int) idx] == 0) {
                        return -1;
                    }
                    push(memo[(int) idx]);
                }
                case 'q', 'r', 0x94 -> { // BINPUT, LONG_BINPUT, MEMOIZE
                    long idx;
                    if (op == 0x94) {
                        idx = memoLen;
                    } else {
                        int w = op == 'q' ? 1 : 4;
                        if (p + w > n) {
                            return -1;
                        }
                        idx = le(b, p, w);
                        p += w;
                    }
                    if (sp <= fence || idx > MAX_DENSE_MEMO || (idx >= memo.length && idx > 2L * memoLen + 1024)) {
                        return -1;
                    }
                    if (idx >= memo.length) {
                        memo = Arrays.copyOf(memo, (int) Math.max(idx + 1, memo.length * 2L));
                    }
                    if (memo[(int) idx] == 0) {
                        memoLen++;
                    }
                    memo[(int) idx] = stack[sp - 1];
                }
                default -> {
                    return -1; // imports, calls, text opcodes and the rest: the full machine decides
                }
            }
            if (p > n) {
                return -1;
            }
        }
    }

    private void push(byte k) {
        if (sp == stack.length) {
            stack = Arrays.copyOf(stack, sp * 2);
        }
        stack[sp++] = k;
    }

    /** Pops the top MARK and returns its stack position, or -1 when there is none. */
    private int marker() {
        if (nmarks < 1) {
            return -1;
        }
        int m = marks[--nmarks];
        fence = nmarks > 0 ? marks[nmarks - 1] : 0;
        return m;
    }

    private byte tupleKind(int from, int to) {
        for (int i = from; i < to; i++) {
            if (unhashable(stack[i])) {
                return UNHASHABLE_TUPLE;
            }
        }
        return TUPLE;
    }

    /** Items (every {@code step}-th, from {@code from}) that must be hashable are. */
    private boolean hashable(int from, int to, int step) {
        for (int i = from; i < to; i += step) {
            if (unhashable(stack[i])) {
                return false;
            }
        }
        return true;
    }

    private static boolean unhashable(byte k) {
        return k == LIST || k == DICT || k == SET || k == UNHASHABLE_TUPLE || k == BYTEARRAY;
    }

    private static boolean utf8(byte[] b, int p, int len) {
        for (int i = p; i < p + len; i++) {
            if (b[i] < 0) {
                Utf8 u = new Utf8(true);
                return u.feed(b, p, len) && u.finish();
            }
        }
        return true;
    }

    private static long le(byte[] b, int p, int w) {
        long v = 0;
        for (int i = w - 1; i >= 0; i--) {
            v = (v << 8) | (b[p + i] & 0xff);
        }
        return v;
    }
}
