package dev.laocoon.core.internal.pickle;

import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.util.Arrays;

/**
 * A fast first pass for pickles that hold only plain data (the bulk of large files): it walks
 * the opcodes keeping one byte per stack and memo slot and builds no values. It answers "clean"
 * only when every opcode is one that cannot import or call anything and every structural check
 * CPython makes is certainly satisfied; at the first import or call opcode, text opcode, doubtful
 * operand or error it gives up, and the full {@link PickleMachine} analyses the data instead.
 * "Clean" therefore means exactly: the machine would record no event and no error for this data.
 * It also gives up before any of the machine's limits (opcodes, stack, memo, marks, pickles)
 * could be reached, so the machine's limit findings are never skipped.
 *
 * <p>The data streams through a window of about a megabyte: memory does not grow with the file,
 * and no copy of a large file is allocated (zeroing and faulting in a 20 MB array costs more
 * than reading it).
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
    /** Bit k set when kind k cannot be a dict key or set member. */
    private static final int UNHASHABLE = 1 << LIST | 1 << DICT | 1 << SET | 1 << UNHASHABLE_TUPLE | 1 << BYTEARRAY;
    private static final long MAX_DENSE_MEMO = 1L << 26;
    /** Checks made per segment instead of per opcode: a segment of N bytes holds at most N opcodes. */
    static final int SEGMENT = 1 << 14;
    /** Bytes kept in the window beyond a segment: the longest operand read in place (1 + 255) fits. */
    private static final int SLACK = 512;
    /** Spare bytes after the window: fixed-size operands are read before their bounds are checked. */
    private static final int PAD = 16;
    static final int WINDOW = 1 << 20;
    /** Positions relative to the window stay below this; a longer frame or operand gives up. */
    private static final int FAR = 1 << 30;


    /*
     * Opcode classes, numbered by how often they occur in real pickles: the client compiler turns
     * a switch into a chain of comparisons in key order, so the common opcodes must come first.
     */
    private static final int C_MEMOIZE_PUT = 0;
    private static final int C_MARK = 1;
    private static final int C_SHORT_BINUNICODE = 2;
    private static final int C_BININT1 = 3;
    private static final int C_BININT = 4;
    private static final int C_BININT2 = 5;
    private static final int C_BINFLOAT = 6;
    private static final int C_EMPTY_LIST = 7;
    private static final int C_EMPTY_DICT = 8;
    private static final int C_APPENDS = 9;
    private static final int C_SETITEMS = 10;
    private static final int C_APPEND = 11;
    private static final int C_SETITEM = 12;
    private static final int C_BOOL = 13;
    private static final int C_NONE = 14;
    private static final int C_EMPTY_TUPLE = 15;
    private static final int C_TUPLE_N = 16;
    private static final int C_TUPLE = 17;
    private static final int C_LONG_BINGET = 18;
    private static final int C_BINUNICODE = 19;
    private static final int C_SHORT_BYTES = 20;
    private static final int C_BYTES = 21;
    private static final int C_LONG1 = 22;
    private static final int C_FRAME = 23;
    private static final int C_PROTO = 24;
    private static final int C_STOP = 25;
    private static final int C_LIST = 26;
    private static final int C_DICT = 27;
    private static final int C_POP = 28;
    private static final int C_DUP = 29;
    private static final int C_EMPTY_SET = 30;
    private static final int C_ADDITEMS = 31;
    private static final int C_FROZENSET = 32;
    private static final int C_OTHER = 255;
    private static final byte[] CLASS = new byte[256];

    static {
        Arrays.fill(CLASS, (byte) C_OTHER);
        k(C_MEMOIZE_PUT, 'q', 'r', 0x94);
        k(C_MARK, '(');
        k(C_SHORT_BINUNICODE, 0x8c);
        k(C_BININT1, 'K');
        k(C_BININT, 'J');
        k(C_BININT2, 'M');
        k(C_BINFLOAT, 'G');
        k(C_EMPTY_LIST, ']');
        k(C_EMPTY_DICT, '}');
        k(C_APPENDS, 'e');
        k(C_SETITEMS, 'u');
        k(C_APPEND, 'a');
        k(C_SETITEM, 's');
        k(C_BOOL, 0x88, 0x89);
        k(C_NONE, 'N');
        k(C_EMPTY_TUPLE, ')');
        k(C_TUPLE_N, 0x85, 0x86, 0x87);
        k(C_TUPLE, 't');
        k(C_LONG_BINGET, 'j');
        k(C_BINUNICODE, 'X');
        k(C_SHORT_BYTES, 'U', 'C');
        k(C_BYTES, 'T', 'B');
        k(C_LONG1, 0x8a);
        k(C_FRAME, 0x95);
        k(C_PROTO, 0x80);
        k(C_STOP, '.');
        k(C_LIST, 'l');
        k(C_DICT, 'd');
        k(C_POP, '0');
        k(C_DUP, '2');
        k(C_EMPTY_SET, 0x8f);
        k(C_ADDITEMS, 0x90);
        k(C_FROZENSET, 0x91);
    }

    private static void k(int cls, int... ops) {
        for (int op : ops) {
            CLASS[op] = (byte) cls;
        }
    }

    // The walk's state between segments.
    private final ByteSource src;
    private final int maxMarks;
    private final byte[] b; // the window: source bytes [base, base + end), then PAD spare bytes
    private long base;
    private int end;
    private int p;
    private int lim; // no opcode or operand may reach past this: the frame's end or the data's
    private int frameEnd = -1;
    private byte[] st;
    private int sp;
    private int[] marks;
    private int nmarks;
    private int fence;
    private byte[] memo;
    private int memoLen;

    private DataOnlyWalk(ByteSource src, int maxMarks, byte[] window) {
        this.src = src;
        this.maxMarks = maxMarks;
        this.b = window;
    }

    /**
     * True when {@code data[0..length)} is one or more complete data-only pickles, back to back,
     * with honest frames, and nothing else; {@code deadlineNanos} bounds the time spent.
     */
    public static boolean clean(byte[] data, int length, long deadlineNanos) {
        try {
            return clean(new ArrayByteSource(data, 0, length), PickleLimits.DEFAULT, deadlineNanos);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Runs the walk on a small built-in data pickle until the JIT compiler has been asked to
     * compile it: called on a spare core at start-up, so that a large file's walk starts in
     * compiled code instead of spending its first tens of milliseconds in the interpreter.
     * Pure computation on constant data; returns whether every run said clean (always true).
     */
    public static boolean warmUp() {
        // pickle.dumps([{'id': 1, 'x': 1.5, 'tags': ['a', 70000], 'ok': True},
        //               {'id': 300, 'x': None, 'tags': [], 'ok': False}, ('t', 2)], protocol=4)
        byte[] sample = {-128, 4, -107, 82, 0, 0, 0, 0, 0, 0, 0, 93, -108, 40, 125, -108, 40, -116, 2, 105, 100, -108,
            75, 1, -116, 1, 120, -108, 71, 63, -8, 0, 0, 0, 0, 0, 0, -116, 4, 116, 97, 103, 115, -108, 93, -108, 40, -116,
            1, 97, -108, 74, 112, 17, 1, 0, 101, -116, 2, 111, 107, -108, -120, 117, 125, -108, 40, 104, 2, 77, 44, 1,
            104, 3, 78, 104, 4, 93, -108, 104, 7, -119, 117, -116, 1, 116, -108, 75, 2, -122, -108, 101, 46};
        ArrayByteSource src = new ArrayByteSource(sample);
        boolean all = true;
        for (int i = 0; i < 150; i++) {
            try {
                all &= clean(src, PickleLimits.DEFAULT, Long.MAX_VALUE, 64, 64);
            } catch (IOException e) {
                return false;
            }
        }
        return all;
    }

    /** As {@link #clean(byte[], int, long)}, for a whole source read through a window. */
    public static boolean clean(ByteSource src, PickleLimits limits, long deadlineNanos) throws IOException {
        return clean(src, limits, deadlineNanos, SEGMENT, WINDOW);
    }

    /**
     * The walk: pickles one after another, each as segments of opcodes ({@link #segment}) with
     * the window slid and the limits checked between them. Positions {@code p}, {@code lim},
     * {@code seg} and {@code frameEnd} are relative to the window start {@code base}. Tests pass a
     * small {@code segment} and {@code window} so that the window slides often.
     */
    static boolean clean(ByteSource src, PickleLimits limits, long deadlineNanos, int segment, int window)
            throws IOException {
        long size = src.size();
        if (size <= 0) {
            return false;
        }
        byte[] first = new byte[(int) Math.min(size, window + (long) SLACK) + PAD];
        DataOnlyWalk w = new DataOnlyWalk(src, limits.maxMarks(), first);
        w.end = src.readFully(0, w.b, 0, w.b.length - PAD);
        if (w.end != w.b.length - PAD) {
            return false; // the source is shorter than it says
        }
        // Give up early enough that no limit of the machine can be reached within one segment
        // (the segment that ends a pickle runs at most `segment` opcodes, each at least a byte).
        long maxBytes = limits.maxOpcodes() - segment;
        int maxStack = limits.maxStack() - segment;
        int maxMemo = limits.maxMemo() - segment;
        w.st = new byte[Math.max(256, segment + 2)];
        w.marks = new int[Math.max(0, Math.min(32, limits.maxMarks()))]; // full at the machine's limit
        w.memo = new byte[1024];
        int pickles = 0;
        while (w.base + w.p < size) {
            // one pickle: a fresh stack, marks and memo, as each pickle.load call has
            if (++pickles > limits.maxPickles()) {
                return false;
            }
            w.sp = 0;
            w.nmarks = 0;
            w.fence = 0;
            w.memoLen = 0;
            if (w.memo.length > 1024) {
                // not a fill of the grown memo per pickle: after one pickle with a memo of
                // millions, each of thousands of tiny pickles would clear megabytes
                w.memo = new byte[1024];
            } else {
                Arrays.fill(w.memo, (byte) 0);
            }
            w.frameEnd = -1;
            w.lim = (int) Math.min(size - w.base, FAR); // no opcode or operand may reach past this
            while (true) {
                if (w.p >= w.lim) {
                    if (w.p != w.frameEnd) {
                        return false; // an operand ran past the frame or the data, or no STOP
                    }
                    w.frameEnd = -1; // the frame ended exactly on an opcode boundary
                    w.lim = (int) Math.min(size - w.base, FAR);
                    if (w.p >= w.lim) {
                        return false;
                    }
                }
                if (w.end - w.p < segment + SLACK && w.base + w.end < size && !w.slide(size)) {
                    return false;
                }
                if (w.base + w.p > maxBytes || w.sp > maxStack || w.memoLen > maxMemo
                        || System.nanoTime() > deadlineNanos) {
                    return false;
                }
                // A segment of at most `segment` bytes holds at most that many opcodes, each pushing
                // at most one item; every opcode starting in it has its short operands in the window.
                int seg = w.lim - w.p > segment ? w.p + segment : w.lim;
                if (w.sp + segment + 1 > w.st.length) {
                    w.st = Arrays.copyOf(w.st, Math.max(w.st.length * 2, w.sp + segment + 1));
                }
                int r = w.segment(seg);
                if (r == FAIL) {
                    return false;
                }
                if (r == STOPPED) {
                    break;
                }
            }
        }
        return true;
    }

    /** Slides the window: keeps the unread bytes and reads what follows; false when the source ends early. */
    private boolean slide(long size) throws IOException {
        int shift = Math.min(p, end);
        System.arraycopy(b, shift, b, 0, end - shift);
        end -= shift;
        base += shift;
        p -= shift;
        if (frameEnd >= 0) {
            frameEnd -= shift;
        }
        if (p > 0) {
            // an operand skipped past the window: continue after it
            base += p;
            if (frameEnd >= 0) {
                frameEnd -= p;
            }
            p = 0;
            end = 0;
        }
        int want = (int) Math.min(b.length - PAD - end, size - base - end);
        if (src.readFully(base + end, b, end, want) != want) {
            return false;
        }
        end += want;
        lim = frameEnd >= 0 ? frameEnd : (int) Math.min(size - base, FAR);
        return true;
    }

    private static final int FAIL = -1;
    private static final int MORE = 0;
    private static final int STOPPED = 1;

    /**
     * Walks the opcodes that start before {@code seg}: MORE when it got there, STOPPED after a
     * pickle's STOP, FAIL to give up. One call per segment rather than one for the whole file:
     * a method compiled while the walk runs is used from the next segment on, without waiting
     * for an on-stack replacement of a running interpreted loop. The state lives in fields
     * between calls and in local variables within one, where the compiler keeps it in registers.
     */
    private int segment(int seg) throws IOException {
        byte[] b = this.b;
        int end = this.end;
        int p = this.p;
        int lim = this.lim;
        int frameEnd = this.frameEnd;
        byte[] st = this.st;
        int sp = this.sp;
        int[] marks = this.marks;
        int nmarks = this.nmarks;
        int fence = this.fence;
        byte[] memo = this.memo;
        int memoLen = this.memoLen;
        while (p < seg) {
            int op = b[p++] & 0xff;
            if (op == 'h') {
                // BINGET, a third of the opcodes of plain data, before the switch (which the client
                // compiler turns into a chain of comparisons). Its index is below 256 and the memo
                // never shorter. Like every fixed-size operand it is read before its bounds are
                // checked: PAD keeps the read in the array, and an operand that crossed the end of
                // its frame or of the data leaves p past lim, which ends the walk at the segment's end.
                int idx = b[p++] & 0xff;
                byte k;
                if ((k = memo[idx]) == 0) {
                    return FAIL;
                }
                st[sp++] = k;
                continue;
            }
            int cls = CLASS[op] & 0xff;
            switch (cls) {
                case C_PROTO -> { // PROTO
                    if (p >= lim || (b[p] & 0xff) > 5) {
                        return FAIL;
                    }
                    p++;
                }
                case C_FRAME -> { // FRAME
                    if (p + 8 > lim || frameEnd >= 0) {
                        return FAIL;
                    }
                    long len = le(b, p, 8);
                    p += 8;
                    if (len < 0 || len > lim - p) {
                        return FAIL;
                    }
                    frameEnd = p + (int) len;
                    lim = frameEnd;
                    if (seg > lim) {
                        seg = lim;
                    }
                }
                case C_STOP -> { // STOP
                    if (sp <= fence || (frameEnd >= 0 && p != frameEnd)) {
                        return FAIL;
                    }
                    // the pickle is complete: the next one starts with a fresh stack, marks and memo
                    this.p = p;
                    this.st = st;
                    this.marks = marks;
                    this.memo = memo;
                    return STOPPED;
                }
                case C_NONE -> st[sp++] = NONE;
                case C_BOOL -> st[sp++] = SCALAR;
                case C_BININT1 -> {
                    p += 1;
                    st[sp++] = SCALAR;
                }
                case C_BININT2 -> {
                    p += 2;
                    st[sp++] = SCALAR;
                }
                case C_BININT -> {
                    p += 4;
                    st[sp++] = SCALAR;
                }
                case C_BINFLOAT -> {
                    p += 8;
                    st[sp++] = SCALAR;
                }
                case C_LONG1 -> { // LONG1
                    p += 1 + (b[p] & 0xff);
                    st[sp++] = SCALAR;
                }
                case C_SHORT_BINUNICODE -> { // SHORT_BINUNICODE
                    int len = b[p] & 0xff;
                    p += 1;
                    if (len > lim - p) {
                        return FAIL;
                    }
                    for (int i = p, e = p + len; i < e; i++) {
                        if (b[i] < 0) {
                            if (!utf8(b, p, len)) {
                                return FAIL;
                            }
                            break;
                        }
                    }
                    p += len;
                    st[sp++] = SCALAR;
                    if (p < lim && b[p] == (byte) 0x94 && memoLen < memo.length && memo[memoLen] == 0) {
                        memo[memoLen++] = SCALAR; // the MEMOIZE that follows nearly every such push
                        p++;
                    }
                }
                case C_BINUNICODE -> { // BINUNICODE
                    if (p + 4 > lim) {
                        return FAIL;
                    }
                    long len = le(b, p, 4);
                    p += 4;
                    if (len > lim - p) {
                        return FAIL;
                    }
                    if (p + len <= end ? !utf8(b, p, (int) len) : !utf8(src, base + p, len)) {
                        return FAIL;
                    }
                    p += (int) len; // past the window when long: the window slides
                    st[sp++] = SCALAR;
                }
                case C_SHORT_BYTES -> { // SHORT_BINSTRING, SHORT_BINBYTES
                    p += 1 + (b[p] & 0xff);
                    st[sp++] = SCALAR;
                }
                case C_BYTES -> { // BINSTRING, BINBYTES
                    if (p + 4 > lim) {
                        return FAIL;
                    }
                    long len = le(b, p, 4);
                    p += 4;
                    if (len > lim - p) {
                        return FAIL;
                    }
                    p += (int) len;
                    st[sp++] = SCALAR;
                }
                case C_MARK -> { // MARK
                    if (nmarks == marks.length) { // never longer than the machine allows
                        if (nmarks >= maxMarks) {
                            return FAIL;
                        }
                        marks = Arrays.copyOf(marks, Math.min(nmarks * 2, maxMarks));
                    }
                    marks[nmarks++] = sp;
                    fence = sp;
                }
                case C_POP -> { // POP: a MARK on top is popped instead
                    if (nmarks > 0 && marks[nmarks - 1] == sp) {
                        nmarks--;
                        fence = nmarks > 0 ? marks[nmarks - 1] : 0;
                    } else if (sp <= fence) {
                        return FAIL;
                    } else {
                        sp--;
                    }
                }
                case C_DUP -> { // DUP
                    if (sp <= fence) {
                        return FAIL;
                    }
                    st[sp] = st[sp - 1];
                    sp++;
                }
                case C_EMPTY_LIST -> {
                    st[sp++] = LIST;
                    if (p < lim && b[p] == (byte) 0x94 && memoLen < memo.length && memo[memoLen] == 0) {
                        memo[memoLen++] = LIST; // the MEMOIZE that follows nearly every such push
                        p++;
                    }
                }
                case C_EMPTY_DICT -> {
                    st[sp++] = DICT;
                    if (p < lim && b[p] == (byte) 0x94 && memoLen < memo.length && memo[memoLen] == 0) {
                        memo[memoLen++] = DICT; // the MEMOIZE that follows nearly every such push
                        p++;
                    }
                }
                case C_EMPTY_TUPLE -> st[sp++] = TUPLE;
                case C_EMPTY_SET -> st[sp++] = SET;
                case C_LIST -> { // LIST
                    if (nmarks < 1) {
                        return FAIL;
                    }
                    sp = marks[--nmarks];
                    fence = nmarks > 0 ? marks[nmarks - 1] : 0;
                    st[sp++] = LIST;
                }
                case C_TUPLE -> { // TUPLE
                    if (nmarks < 1) {
                        return FAIL;
                    }
                    int m = marks[--nmarks];
                    fence = nmarks > 0 ? marks[nmarks - 1] : 0;
                    byte k = tupleKind(st, m, sp);
                    sp = m;
                    st[sp++] = k;
                }
                case C_TUPLE_N -> { // TUPLE1..3
                    int k = op - 0x84;
                    if (sp - k < fence) {
                        return FAIL;
                    }
                    byte kind = tupleKind(st, sp - k, sp);
                    sp -= k;
                    st[sp++] = kind;
                    if (p < lim && b[p] == (byte) 0x94 && memoLen < memo.length && memo[memoLen] == 0) {
                        memo[memoLen++] = kind; // the MEMOIZE that follows nearly every such push
                        p++;
                    }
                }
                case C_DICT -> { // DICT
                    if (nmarks < 1) {
                        return FAIL;
                    }
                    int m = marks[--nmarks];
                    fence = nmarks > 0 ? marks[nmarks - 1] : 0;
                    if (((sp - m) & 1) != 0 || !hashable(st, m, sp, 2)) {
                        return FAIL;
                    }
                    sp = m;
                    st[sp++] = DICT;
                }
                case C_FROZENSET -> { // FROZENSET
                    if (nmarks < 1) {
                        return FAIL;
                    }
                    int m = marks[--nmarks];
                    fence = nmarks > 0 ? marks[nmarks - 1] : 0;
                    if (!hashable(st, m, sp, 1)) {
                        return FAIL;
                    }
                    sp = m;
                    st[sp++] = FROZENSET;
                }
                case C_APPEND -> { // APPEND
                    if (sp - 1 <= fence || st[sp - 2] != LIST) {
                        return FAIL;
                    }
                    sp--;
                }
                case C_APPENDS -> { // APPENDS
                    if (nmarks < 1) {
                        return FAIL;
                    }
                    int m = marks[--nmarks];
                    fence = nmarks > 0 ? marks[nmarks - 1] : 0;
                    if (m <= fence || st[m - 1] != LIST) {
                        return FAIL;
                    }
                    sp = m;
                }
                case C_SETITEM -> { // SETITEM
                    int x = sp - 2;
                    if (x <= fence || st[x - 1] != DICT || unhashable(st[x])) {
                        return FAIL;
                    }
                    sp = x;
                }
                case C_SETITEMS -> { // SETITEMS
                    if (nmarks < 1) {
                        return FAIL;
                    }
                    int m = marks[--nmarks];
                    fence = nmarks > 0 ? marks[nmarks - 1] : 0;
                    if (m <= fence || ((sp - m) & 1) != 0 || (sp > m && st[m - 1] != DICT)) {
                        return FAIL;
                    }
                    for (int i = m; i < sp; i += 2) {
                        if ((UNHASHABLE >>> st[i] & 1) != 0) {
                            return FAIL;
                        }
                    }
                    sp = m;
                }
                case C_ADDITEMS -> { // ADDITEMS
                    if (nmarks < 1) {
                        return FAIL;
                    }
                    int m = marks[--nmarks];
                    fence = nmarks > 0 ? marks[nmarks - 1] : 0;
                    if (m <= fence || (sp > m && st[m - 1] != SET) || !hashable(st, m, sp, 1)) {
                        return FAIL;
                    }
                    sp = m;
                }
                case C_LONG_BINGET -> { // LONG_BINGET
                    long idx = le(b, p, 4);
                    p += 4;
                    byte k;
                    if (idx >= memo.length || (k = memo[(int) idx]) == 0) {
                        return FAIL;
                    }
                    st[sp++] = k;
                }
                case C_MEMOIZE_PUT -> { // BINPUT, LONG_BINPUT, MEMOIZE
                    long idx;
                    if (op == 0x94) {
                        idx = memoLen;
                    } else if (op == 'q') {
                        idx = b[p++] & 0xff;
                    } else {
                        idx = le(b, p, 4);
                        p += 4;
                    }
                    if (sp <= fence) {
                        return FAIL;
                    }
                    if (idx >= memo.length) {
                        if (idx > MAX_DENSE_MEMO || idx > 2L * memoLen + 1024) {
                            return FAIL;
                        }
                        memo = Arrays.copyOf(memo, (int) Math.max(idx + 1, memo.length * 2L));
                    }
                    if (memo[(int) idx] == 0) {
                        memoLen++;
                    }
                    memo[(int) idx] = st[sp - 1];
                }
                default -> {
                    return FAIL; // imports, calls, text opcodes and the rest: the full machine decides
                }
            }
        }
        this.p = p;
        this.lim = lim;
        this.frameEnd = frameEnd;
        this.st = st;
        this.sp = sp;
        this.marks = marks;
        this.nmarks = nmarks;
        this.fence = fence;
        this.memo = memo;
        this.memoLen = memoLen;
        return MORE;
    }

    private static byte tupleKind(byte[] st, int from, int to) {
        for (int i = from; i < to; i++) {
            if (unhashable(st[i])) {
                return UNHASHABLE_TUPLE;
            }
        }
        return TUPLE;
    }

    /** Items (every {@code step}-th, from {@code from}) that must be hashable are. */
    private static boolean hashable(byte[] st, int from, int to, int step) {
        for (int i = from; i < to; i += step) {
            if (unhashable(st[i])) {
                return false;
            }
        }
        return true;
    }

    private static boolean unhashable(byte k) {
        return (UNHASHABLE >>> k & 1) != 0;
    }

    /** UTF-8 validity of a string too long for the window, read in pieces from the source. */
    private static boolean utf8(ByteSource src, long at, long len) throws IOException {
        Utf8 u = new Utf8(true);
        byte[] piece = new byte[(int) Math.min(len, 1 << 16)];
        for (long done = 0; done < len; ) {
            int n = (int) Math.min(piece.length, len - done);
            if (src.readFully(at + done, piece, 0, n) != n || !u.feed(piece, 0, n)) {
                return false;
            }
            done += n;
        }
        return u.finish();
    }

    private static boolean utf8(byte[] b, int p, int len) {
        Utf8 u = new Utf8(true);
        return u.feed(b, p, len) && u.finish();
    }

    private static long le(byte[] b, int p, int w) {
        long v = 0;
        for (int i = w - 1; i >= 0; i--) {
            v = (v << 8) | (b[p + i] & 0xff);
        }
        return v;
    }
}
