package dev.laocoon.bench;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes the benchmark pickle in Java, opcode for opcode as CPython's C pickler writes
 * {@code pickle.dumps([{"id": i, "name": "item%d" % i, "score": i * 0.5, "tags": ["a", "b"], "ok": True}
 * for i in range(n)], protocol=4)}: 64 KiB frames, APPENDS batches of 1000, interned key strings
 * memoized once and fetched with BINGET afterwards. scripts/bench-pickle.sh writes the same list
 * with Python; sizes and opcode counts agree (frame boundaries may differ by a few bytes).
 */
public final class BenchPickle {
    private static final int FRAME_TARGET = 64 * 1024;
    private static final int BATCH = 1000;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 20);
    private final ByteArrayOutputStream frame = new ByteArrayOutputStream(FRAME_TARGET * 2);
    private final Map<String, Integer> interned = new HashMap<>();
    private int memo;

    private BenchPickle() {
    }

    /**
     * {@code BenchPickle FILE}: prints the size and opcode count of a pickle stream (used by
     * scripts/bench-pickle.sh); {@code BenchPickle --write N FILE}: writes the Java-generated pickle.
     */
    public static void main(String[] args) throws java.io.IOException {
        if (args.length == 3 && args[0].equals("--write")) {
            java.nio.file.Files.write(java.nio.file.Path.of(args[2]), generate(Integer.parseInt(args[1])));
            return;
        }
        byte[] data = java.nio.file.Files.readAllBytes(java.nio.file.Path.of(args[0]));
        dev.laocoon.core.internal.pickle.PickleTrace t = dev.laocoon.core.internal.pickle.PickleMachine.run(
                new dev.laocoon.core.source.ArrayByteSource(data), 0, dev.laocoon.core.internal.pickle.PickleLimits.DEFAULT);
        long opcodes = t.pickles().stream().mapToLong(p -> p.opcodes()).sum();
        System.out.println("bytes=" + data.length + " opcodes=" + opcodes + " clean=" + t.clean());
    }

    public static byte[] generate(int n) {
        return new BenchPickle().write(n);
    }

    private byte[] write(int n) {
        out.write(0x80);
        out.write(4);
        op(']');
        memoize();
        for (int start = 0; start < n; start += BATCH) {
            op('(');
            for (int i = start; i < Math.min(n, start + BATCH); i++) {
                item(i);
                boundary();
            }
            op('e');
        }
        op('.');
        commitFrame();
        return out.toByteArray();
    }

    private void item(int i) {
        op('}');
        memoize();
        op('(');
        key("id");
        integer(i);
        key("name");
        unicode("item" + i);
        memoize();
        key("score");
        op('G');
        long bits = Double.doubleToLongBits(i * 0.5);
        for (int s = 56; s >= 0; s -= 8) {
            frame.write((int) (bits >>> s) & 0xff);
        }
        key("tags");
        op(']');
        memoize();
        op('(');
        key("a");
        key("b");
        op('e');
        key("ok");
        op(0x88);
        op('u');
    }

    /** An interned string: written and memoized the first time, fetched from the memo afterwards. */
    private void key(String s) {
        Integer idx = interned.get(s);
        if (idx == null) {
            unicode(s);
            interned.put(s, memo);
            memoize();
        } else if (idx < 256) {
            op('h');
            frame.write(idx);
        } else {
            op('j');
            le(idx, 4);
        }
    }

    private void integer(int v) {
        if (v >= 0 && v < 256) {
            op('K');
            frame.write(v);
        } else if (v >= 0 && v < 65536) {
            op('M');
            le(v, 2);
        } else {
            op('J');
            le(v, 4);
        }
    }

    private void unicode(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op(0x8c);
        frame.write(b.length);
        frame.writeBytes(b);
    }

    private void memoize() {
        op(0x94);
        memo++;
    }

    private void op(int code) {
        frame.write(code);
    }

    private void le(long v, int n) {
        for (int k = 0; k < n; k++) {
            frame.write((int) (v >>> (8 * k)) & 0xff);
        }
    }

    /** The C pickler commits a frame at an opcode boundary once it reaches the target size. */
    private void boundary() {
        if (frame.size() >= FRAME_TARGET) {
            commitFrame();
        }
    }

    private void commitFrame() {
        if (frame.size() == 0) {
            return;
        }
        if (frame.size() >= 4) {
            out.write(0x95);
            long len = frame.size();
            for (int k = 0; k < 8; k++) {
                out.write((int) (len >>> (8 * k)) & 0xff);
            }
        }
        out.writeBytes(frame.toByteArray());
        frame.reset();
    }
}
