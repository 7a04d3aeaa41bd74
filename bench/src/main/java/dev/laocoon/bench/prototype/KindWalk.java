package dev.laocoon.bench.prototype;

import dev.laocoon.core.pickle.PickleError;
import dev.laocoon.core.pickle.PickleInput;
import dev.laocoon.core.pickle.PickleLimits;
import dev.laocoon.core.pickle.PickleMachine;
import dev.laocoon.core.pickle.PickleTrace;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.FileByteSource;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * PROTOTYPE, for measurement only: how fast can a pickle be walked when no Value objects are
 * built? A "kind" walk keeps one byte per stack slot and per memo slot (NONE, INT, STR, LIST,
 * DICT, ...), which is enough for most of the C unpickler's errors on data-only pickles
 * (underflow, marks, memo misses, unhashable keys, append to a non-list), and bails out at the
 * first opcode that imports, calls or needs real values (GLOBAL, STACK_GLOBAL, REDUCE, BUILD,
 * PERSID, EXT*, ...): the full machine would then run that pickle. Two variants:
 * {@code input} reads through {@link PickleInput} (the C-unpickler file model the machine uses),
 * {@code array} reads a byte[] of the whole file directly (the floor for any design).
 *
 * <pre>java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx256m -cp bench/target/benchmarks.jar \
 *     dev.laocoon.bench.prototype.KindWalk FILE input|array|machine [reps]</pre>
 */
public final class KindWalk {
    static final byte NONE = 1, BOOL = 2, INT = 3, FLOAT = 4, STR = 5, BYTES = 6, LIST = 7, TUPLE = 8,
            DICT = 9, SET = 10, FROZENSET = 11, UNHASHABLE_TUPLE = 12;

    private byte[] stack = new byte[256];
    private int sp;
    private int[] marks = new int[32];
    private int nmarks;
    private byte[] memo = new byte[1024];
    private long opcodes;
    /** Why the walk stopped early (null: it reached STOP). */
    String bail;

    public static void main(String[] args) throws Exception {
        Path path = Path.of(args[0]);
        String mode = args.length > 1 ? args[1] : "input";
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        System.out.printf("JVM uptime at main: %d ms%n", ManagementFactory.getRuntimeMXBean().getUptime());
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            String what;
            if (mode.equals("machine")) {
                PickleTrace t;
                try (ByteSource src = new FileByteSource(path)) {
                    t = PickleMachine.run(src, 0, PickleLimits.DEFAULT);
                }
                what = "machine: opcodes " + t.pickles().get(0).opcodes() + ", clean " + t.clean();
            } else {
                KindWalk w = new KindWalk();
                if (mode.equals("array")) {
                    w.walkArray(Files.readAllBytes(path));
                } else {
                    try (ByteSource src = new FileByteSource(path)) {
                        w.walkInput(new PickleInput(src, 0, PickleInput.DEFAULT_BUFFER_SIZE, (1 << 20) + 64 * 1024));
                    }
                }
                what = mode + " walk: opcodes " + w.opcodes + ", bail " + w.bail;
            }
            System.out.printf("rep %d: %.1f ms  %s  (JVM uptime %d ms)%n", r, (System.nanoTime() - t0) / 1e6, what,
                    ManagementFactory.getRuntimeMXBean().getUptime());
        }
    }

    // ------------------------------------------------------------------ through PickleInput

    void walkInput(PickleInput in) throws PickleError {
        in.beginPickle();
        while (true) {
            long off = in.position();
            int op = in.readOpcode();
            if (op < 0) {
                bail = "truncated";
                return;
            }
            opcodes++;
            switch (op) {
                case 0x80 -> in.read(1, off);
                case 0x95 -> in.frame(in.littleEndian(in.read(8, off), 8), off);
                case '.' -> {
                    return;
                }
                case 'K' -> { in.read(1, off); push(INT); }
                case 'M' -> { in.read(2, off); push(INT); }
                case 'J' -> { in.read(4, off); push(INT); }
                case 'G' -> { in.read(8, off); push(FLOAT); }
                case 0x8c -> { in.read(in.byteAt(in.read(1, off)), off); push(STR); }
                case 'X' -> { in.read(in.littleEndian(in.read(4, off), 4), off); push(STR); }
                case 'C' -> { in.read(in.byteAt(in.read(1, off)), off); push(BYTES); }
                case 'h' -> memoGet(in.byteAt(in.read(1, off)));
                case 'j' -> memoGet(in.littleEndian(in.read(4, off), 4));
                case 'q' -> memoPut(in.byteAt(in.read(1, off)));
                case 'r' -> memoPut(in.littleEndian(in.read(4, off), 4));
                default -> {
                    if (!simple(op)) {
                        return;
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ straight from a byte[]

    void walkArray(byte[] b) {
        int p = 0;
        int n = b.length;
        while (p < n) {
            int op = b[p++] & 0xff;
            opcodes++;
            switch (op) {
                case 0x80 -> p += 1;
                case 0x95 -> p += 8;
                case '.' -> {
                    return;
                }
                case 'K' -> { p += 1; push(INT); }
                case 'M' -> { p += 2; push(INT); }
                case 'J' -> { p += 4; push(INT); }
                case 'G' -> { p += 8; push(FLOAT); }
                case 0x8c -> { p += 1 + (b[p] & 0xff); push(STR); }
                case 'h' -> { memoGet(b[p] & 0xff); p += 1; }
                case 'j' -> { memoGet(le4(b, p)); p += 4; }
                case 'q' -> { memoPut(b[p] & 0xff); p += 1; }
                case 'r' -> { memoPut(le4(b, p)); p += 4; }
                default -> {
                    if (!simple(op)) {
                        return;
                    }
                }
            }
        }
        bail = "truncated";
    }

    private static long le4(byte[] b, int p) {
        return (b[p] & 0xffL) | (b[p + 1] & 0xffL) << 8 | (b[p + 2] & 0xffL) << 16 | (b[p + 3] & 0xffL) << 24;
    }

    // ------------------------------------------------------------------ opcodes without operands

    /** Returns false (and sets bail) at an opcode the kind walk leaves to the full machine. */
    private boolean simple(int op) {
        switch (op) {
            case '(' -> {
                if (nmarks == marks.length) {
                    marks = Arrays.copyOf(marks, nmarks * 2);
                }
                marks[nmarks++] = sp;
            }
            case 'N' -> push(NONE);
            case 0x88, 0x89 -> push(BOOL);
            case '}' -> push(DICT);
            case ']' -> push(LIST);
            case ')' -> push(TUPLE);
            case 0x8f -> push(SET);
            case 0x94 -> {
                if (sp < 1) {
                    return bail("underflow");
                }
                memoPut(memoLen);
            }
            case 'e' -> {
                int m = mark();
                if (m < 1 || stack[m - 1] != LIST) {
                    return bail("APPENDS target is not a list");
                }
                sp = m;
            }
            case 'a' -> {
                if (sp < 2 || stack[sp - 2] != LIST) {
                    return bail("APPEND target is not a list");
                }
                sp--;
            }
            case 'u' -> {
                int m = mark();
                if (m < 1 || stack[m - 1] != DICT || ((sp - m) & 1) != 0) {
                    return bail("SETITEMS target is not a dict");
                }
                for (int k = m; k < sp; k += 2) {
                    if (unhashable(stack[k])) {
                        return bail("unhashable key");
                    }
                }
                sp = m;
            }
            case 's' -> {
                if (sp < 3 || stack[sp - 3] != DICT || unhashable(stack[sp - 2])) {
                    return bail("SETITEM");
                }
                sp -= 2;
            }
            case 't' -> {
                int m = mark();
                boolean bad = false;
                for (int k = m; k < sp; k++) {
                    bad |= unhashable(stack[k]);
                }
                sp = m;
                push(bad ? UNHASHABLE_TUPLE : TUPLE);
            }
            case 0x85, 0x86, 0x87 -> {
                int n = op - 0x84;
                if (sp < n) {
                    return bail("underflow");
                }
                boolean bad = false;
                for (int k = sp - n; k < sp; k++) {
                    bad |= unhashable(stack[k]);
                }
                sp -= n;
                push(bad ? UNHASHABLE_TUPLE : TUPLE);
            }
            case '0' -> sp--;
            case '2' -> push(stack[sp - 1]);
            default -> {
                return bail("opcode 0x" + Integer.toHexString(op) + " goes to the full machine");
            }
        }
        return true;
    }

    private boolean bail(String why) {
        bail = why;
        return false;
    }

    private static boolean unhashable(byte k) {
        return k == LIST || k == DICT || k == SET || k == UNHASHABLE_TUPLE;
    }

    private int mark() {
        return nmarks > 0 ? marks[--nmarks] : 0;
    }

    private void push(byte k) {
        if (sp == stack.length) {
            stack = Arrays.copyOf(stack, sp * 2);
        }
        stack[sp++] = k;
    }

    private int memoLen;

    private void memoPut(long idx) {
        if (idx >= memo.length) {
            memo = Arrays.copyOf(memo, (int) Math.max(idx + 1, memo.length * 2L));
        }
        if (memo[(int) idx] == 0) {
            memoLen++;
        }
        memo[(int) idx] = stack[sp - 1];
    }

    private void memoGet(long idx) {
        push(idx < memo.length ? memo[(int) idx] : 0);
    }
}
