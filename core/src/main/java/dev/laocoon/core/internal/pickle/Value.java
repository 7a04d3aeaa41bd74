package dev.laocoon.core.internal.pickle;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * A bounded summary of an object on the unpickler's stack or in its memo. Constants keep
 * their content up to a cap, containers keep their size and the first few items, globals
 * and call results keep what produced them. Nothing here is ever executed.
 */
public abstract class Value {
    /** Items of a container kept for previews and argument inspection. */
    public static final int PREVIEW_ITEMS = 8;

    public enum Kind {
        NONE, BOOL, INT, FLOAT, STR, BYTES, BYTEARRAY, LIST, TUPLE, DICT, SET, FROZENSET,
        GLOBAL, CALL, PERSISTENT, OPAQUE
    }

    public abstract Kind kind();

    /** True when the object's type is certain (a constant or a builtin container). */
    public boolean isBuiltin() {
        return false;
    }

    /** True when hashing the object would certainly fail (list, dict, set, bytearray, ...). */
    public boolean unhashable() {
        return false;
    }

    /** Python-like rendering limited to about {@code budget} characters. */
    public final String render(int budget) {
        StringBuilder sb = new StringBuilder();
        render(sb, budget, 3);
        return sb.toString();
    }

    abstract void render(StringBuilder sb, int budget, int depth);

    @Override
    public String toString() {
        return render(200);
    }

    // ------------------------------------------------------------------ constants

    public static final Value NONE = new Simple(Kind.NONE, "None");
    public static final Value TRUE = new Simple(Kind.BOOL, "True");
    public static final Value FALSE = new Simple(Kind.BOOL, "False");

    /** None, booleans. */
    static final class Simple extends Value {
        private final Kind kind;
        private final String text;

        Simple(Kind kind, String text) {
            this.kind = kind;
            this.text = text;
        }

        @Override
        public Kind kind() {
            return kind;
        }

        @Override
        public boolean isBuiltin() {
            return true;
        }

        @Override
        void render(StringBuilder sb, int budget, int depth) {
            sb.append(text);
        }
    }

    public static final class Int extends Value {
        private static final Int[] SMALL = new Int[256];

        static {
            for (int i = 0; i < SMALL.length; i++) {
                SMALL[i] = new Int(i, null);
            }
        }

        private final long small;
        private final BigInteger big;

        private Int(long small, BigInteger big) {
            this.small = small;
            this.big = big;
        }

        public static Int of(long v) {
            return v >= 0 && v < SMALL.length ? SMALL[(int) v] : new Int(v, null);
        }

        public static Int of(BigInteger v) {
            return v.bitLength() < 64 ? of(v.longValue()) : new Int(0, v);
        }

        public BigInteger value() {
            return big != null ? big : BigInteger.valueOf(small);
        }

        @Override
        public Kind kind() {
            return Kind.INT;
        }

        @Override
        public boolean isBuiltin() {
            return true;
        }

        @Override
        void render(StringBuilder sb, int budget, int depth) {
            String s = big != null ? big.toString() : Long.toString(small);
            if (s.length() > Math.max(budget, 24)) {
                sb.append(s, 0, 20).append("...(").append(s.length()).append(" digits)");
            } else {
                sb.append(s);
            }
        }
    }

    public static final class Float extends Value {
        private final double value;

        public Float(double value) {
            this.value = value;
        }

        public double value() {
            return value;
        }

        @Override
        public Kind kind() {
            return Kind.FLOAT;
        }

        @Override
        public boolean isBuiltin() {
            return true;
        }

        @Override
        void render(StringBuilder sb, int budget, int depth) {
            if (Double.isNaN(value)) {
                sb.append("nan");
            } else if (Double.isInfinite(value)) {
                sb.append(value > 0 ? "inf" : "-inf");
            } else {
                sb.append(value);
            }
        }
    }

    /**
     * A str. Text whose characters all fit in Latin-1 is kept as those bytes (half the memory of
     * a String); {@code complete} is false when only a prefix of a long string was kept.
     */
    public static class Str extends Value {
        private final Object content; // String, or byte[] holding Latin-1 characters

        public Str(String text) {
            this.content = text;
        }

        private Str(byte[] latin1) {
            this.content = latin1;
        }

        /** A complete str from Latin-1 bytes (also right for ASCII UTF-8). */
        public static Str latin1(byte[] bytes) {
            return new Str(bytes);
        }

        /** A str of which only {@code prefix} was kept; {@code length} is the full size. */
        public static Str partial(String prefix, long length) {
            return new Partial(prefix, length);
        }

        public String text() {
            return content instanceof String t ? t : new String((byte[]) content, StandardCharsets.ISO_8859_1);
        }

        public long length() {
            return content instanceof String t ? t.length() : ((byte[]) content).length;
        }

        public boolean complete() {
            return true;
        }

        @Override
        public Kind kind() {
            return Kind.STR;
        }

        @Override
        public boolean isBuiltin() {
            return true;
        }

        @Override
        void render(StringBuilder sb, int budget, int depth) {
            Repr.str(sb, text(), Math.max(budget, 16), complete() ? -1 : length());
        }

        private static final class Partial extends Str {
            private final long length;

            Partial(String prefix, long length) {
                super(prefix);
                this.length = length;
            }

            @Override
            public long length() {
                return length;
            }

            @Override
            public boolean complete() {
                return false;
            }
        }
    }

    /** bytes or bytearray; {@code complete} is false when only a prefix was kept. */
    public static final class Bytes extends Value {
        private final byte[] data;
        private final long length;
        private final boolean complete;
        private final boolean mutable;

        public Bytes(byte[] data, long length, boolean complete, boolean mutable) {
            this.data = data;
            this.length = length;
            this.complete = complete;
            this.mutable = mutable;
        }

        public byte[] data() {
            return data;
        }

        public long length() {
            return length;
        }

        public boolean complete() {
            return complete;
        }

        @Override
        public Kind kind() {
            return mutable ? Kind.BYTEARRAY : Kind.BYTES;
        }

        @Override
        public boolean isBuiltin() {
            return true;
        }

        @Override
        public boolean unhashable() {
            return mutable;
        }

        @Override
        void render(StringBuilder sb, int budget, int depth) {
            if (mutable) {
                sb.append("bytearray(");
            }
            Repr.bytes(sb, data, Math.max(budget, 16), complete ? -1 : length);
            if (mutable) {
                sb.append(')');
            }
        }
    }

    // ------------------------------------------------------------------ containers

    /** list, tuple, dict, set, frozenset: size plus the first few items (dict: keys and values alternate). */
    public static final class Container extends Value {
        /** Distinct imported globals a container remembers beyond its preview. */
        public static final int MAX_GLOBALS = 32;
        private final Kind kind;
        /** Items (dict: entries) kept at most. */
        private final int cap;
        private boolean unhashableItem;
        private Global[] globals;
        private int globalCount;
        private boolean globalsOverflow;
        private int kept;
        private long size;
        private Value[] items;

        public Container(Kind kind) {
            this(kind, true);
        }

        /** {@code keepItems} false: only the size is tracked (used when the preview budget is spent). */
        public Container(Kind kind, boolean keepItems) {
            this(kind, keepItems ? PREVIEW_ITEMS : 0);
        }

        /** Keeps up to {@code cap} items (dict: entries); {@link #complete()} says whether all were kept. */
        public Container(Kind kind, int cap) {
            this.kind = kind;
            this.cap = cap;
        }

        /** True when every item was kept. */
        public boolean complete() {
            return kept == (kind == Kind.DICT ? 2 * size : size);
        }

        @Override
        public Kind kind() {
            return kind;
        }

        @Override
        public boolean isBuiltin() {
            return true;
        }

        @Override
        public boolean unhashable() {
            return switch (kind) {
                case LIST, DICT, SET -> true;
                case TUPLE, FROZENSET -> unhashableItem;
                default -> false;
            };
        }

        /** Number of items (dict: number of entries). */
        public long size() {
            return size;
        }

        /** Items kept for inspection, in order (dict: key, value, key, value, ...). */
        public int keptCount() {
            return kept;
        }

        public Value item(int i) {
            return items[i];
        }

        /*
         * The imported globals among the items, kept or not, and among the items of container
         * items as they were when added (at most MAX_GLOBALS distinct ones).
         */
        public int globalCount() {
            return globalCount;
        }

        /** The {@code i}-th of the globals {@link #globalCount()} counts (no copy: read on every call). */
        public Global global(int i) {
            return globals[i];
        }

        /** True when more distinct globals were added than {@link #globalCount()} counts. */
        public boolean globalsOverflow() {
            return globalsOverflow;
        }

        private void note(Value v) {
            if (v instanceof Global g) {
                noteGlobal(g);
            } else if (v instanceof Container c && c.globals != null) {
                for (int i = 0; i < c.globalCount; i++) {
                    noteGlobal(c.globals[i]);
                }
                globalsOverflow |= c.globalsOverflow;
            }
        }

        private void noteGlobal(Global g) {
            if (globals == null) {
                globals = new Global[2];
            }
            for (int i = 0; i < globalCount; i++) {
                if (globals[i].name == g.name) {
                    return;
                }
            }
            if (globalCount == MAX_GLOBALS) {
                globalsOverflow = true;
                return;
            }
            if (globalCount == globals.length) {
                globals = java.util.Arrays.copyOf(globals, globals.length * 2);
            }
            globals[globalCount++] = g;
        }

        void add(Value v) {
            size++;
            note(v);
            keep(v);
            if (kind == Kind.TUPLE && v.unhashable()) {
                unhashableItem = true;
            }
        }

        void put(Value k, Value v) {
            size++;
            note(k);
            note(v);
            if (kept + 2 <= (long) cap * 2) {
                keep(k);
                keep(v);
            }
        }

        private void keep(Value v) {
            int max = kind == Kind.DICT ? (int) Math.min(Integer.MAX_VALUE - 8, cap * 2L) : cap;
            if (kept >= max) {
                return;
            }
            if (items == null) {
                items = new Value[Math.min(max, 4)];
            } else if (kept == items.length) {
                items = java.util.Arrays.copyOf(items, (int) Math.min(max, kept * 2L));
            }
            items[kept++] = v;
        }

        @Override
        void render(StringBuilder sb, int budget, int depth) {
            String open;
            String close;
            switch (kind) {
                case LIST -> { open = "["; close = "]"; }
                case TUPLE -> { open = "("; close = size == 1 ? ",)" : ")"; }
                case DICT -> { open = "{"; close = "}"; }
                case SET -> { open = size == 0 ? "set(" : "{"; close = size == 0 ? ")" : "}"; }
                default -> { open = "frozenset({"; close = "})"; }
            }
            sb.append(open);
            int start = sb.length();
            if (depth <= 0 && size > 0) {
                sb.append("...");
            } else {
                int step = kind == Kind.DICT ? 2 : 1;
                for (int i = 0; i + step - 1 < kept; i += step) {
                    if (i > 0) {
                        sb.append(", ");
                    }
                    if (sb.length() - start > budget) {
                        sb.append("...");
                        break;
                    }
                    int left = Math.max(8, budget - (sb.length() - start));
                    items[i].render(sb, left, depth - 1);
                    if (step == 2) {
                        sb.append(": ");
                        items[i + 1].render(sb, Math.max(8, budget - (sb.length() - start)), depth - 1);
                    }
                }
                long shown = kept / step;
                if (shown < size && sb.charAt(sb.length() - 1) != '.') {
                    sb.append(", ...(").append(size).append(" items)");
                }
            }
            sb.append(close);
        }
    }

    // ------------------------------------------------------------------ code-bearing values

    /** The object a GLOBAL, STACK_GLOBAL, INST or EXT resolved (a class, function or module). */
    public static final class Global extends Value {
        private final GlobalName name;

        public Global(GlobalName name) {
            this.name = name;
        }

        public GlobalName name() {
            return name;
        }

        @Override
        public Kind kind() {
            return Kind.GLOBAL;
        }

        @Override
        void render(StringBuilder sb, int budget, int depth) {
            sb.append(name.display());
        }
    }

    /** What a call returned: REDUCE, INST, OBJ, NEWOBJ, NEWOBJ_EX. Named {@code _vN} in explanations. */
    public static final class Call extends Value {
        private final Value callee;
        private final Value args;
        private final String variable;
        private Value state;

        public Call(Value callee, Value args, String variable) {
            this.callee = callee;
            this.args = args;
            this.variable = variable;
        }

        public Value callee() {
            return callee;
        }

        public Value args() {
            return args;
        }

        public String variable() {
            return variable;
        }

        /** The state the last BUILD applied to this object (its __setstate__ argument), or null. */
        public Value state() {
            return state;
        }

        void setState(Value s) {
            state = s;
        }

        /** The global that was ultimately called, following calls of call results; null if none. */
        public GlobalName rootGlobal() {
            Value c = callee;
            while (c instanceof Call call) {
                c = call.callee;
            }
            return c instanceof Global g ? g.name() : null;
        }

        @Override
        public Kind kind() {
            return Kind.CALL;
        }

        @Override
        void render(StringBuilder sb, int budget, int depth) {
            sb.append(variable);
        }
    }

    /** The object a loader's persistent_load returns for a persistent id. */
    public static final class Persistent extends Value {
        private final Value pid;

        public Persistent(Value pid) {
            this.pid = pid;
        }

        public Value pid() {
            return pid;
        }

        @Override
        public Kind kind() {
            return Kind.PERSISTENT;
        }

        @Override
        void render(StringBuilder sb, int budget, int depth) {
            sb.append("persistent_load(");
            pid.render(sb, budget, depth - 1);
            sb.append(')');
        }
    }

    /** Something the scanner cannot know: an extension-registry object, an out-of-band buffer. */
    public static final class Opaque extends Value {
        private final String description;

        public Opaque(String description) {
            this.description = description;
        }

        @Override
        public Kind kind() {
            return Kind.OPAQUE;
        }

        @Override
        void render(StringBuilder sb, int budget, int depth) {
            sb.append(description);
        }
    }
}
