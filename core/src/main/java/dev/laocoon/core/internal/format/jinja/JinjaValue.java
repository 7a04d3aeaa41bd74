package dev.laocoon.core.internal.format.jinja;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Abstract values of the template analysis: constants where the template computes them from
 * constants, and otherwise {@link Unknown} summaries that remember what matters for attribute
 * names (a known prefix, whether a constant piece with an underscore flowed in, whether the value
 * was cut out of another value's characters). {@link Alt} holds a few alternatives (branches,
 * loop elements).
 */
public sealed interface JinjaValue {
    /** At most this many alternatives; more are widened into an {@link Unknown}. */
    int MAX_ALT = 16;
    /** Longer constant strings are widened (keeping a prefix), so folding stays linear. */
    int MAX_STRING = 2048;

    /** What an unknown value is known to be. */
    enum Kind { ANY, STR, NUM, SEQ }

    record Str(String s) implements JinjaValue {
    }

    /** A {@code BigInteger}, {@code Double} or {@code Boolean}. */
    record Num(Object n) implements JinjaValue {
    }

    record NoneV() implements JinjaValue {
    }

    /** A list or tuple of known length. */
    record Seq(List<JinjaValue> items, boolean tuple) implements JinjaValue {
    }

    /** A dict whose keys are known strings. */
    record Dict(Map<String, JinjaValue> map) implements JinjaValue {
    }

    /** A template global that gives access to Python internals when reached into. */
    record Gadget(String name) implements JinjaValue {
    }

    /** A builtin function of the template environment that is harmless ({@code range}, {@code dict}). */
    record Builtin(String name) implements JinjaValue {
    }

    /** A namespace object made by {@code namespace(...)}; its attributes live in the analysis state. */
    record NsRef(int id) implements JinjaValue {
    }

    record MacroV(JinjaAst.Macro macro) implements JinjaValue {
    }

    /** A method of a known value, e.g. {@code 'x'.join}. */
    record Method(JinjaValue receiver, String name) implements JinjaValue {
    }

    /**
     * A value the analysis cannot compute. {@code prefix}: known leading characters of its string
     * form; {@code underscore}: a constant piece containing '_' went into it; {@code computed}: it
     * was cut out of, or rearranged from, characters of a value the analysis does not know.
     */
    record Unknown(Kind kind, String prefix, boolean underscore, boolean computed) implements JinjaValue {
    }

    record Alt(List<JinjaValue> options) implements JinjaValue {
    }

    JinjaValue NONE = new NoneV();
    JinjaValue UNKNOWN = new Unknown(Kind.ANY, "", false, false);
    JinjaValue UNKNOWN_NUM = new Unknown(Kind.NUM, "", false, false);
    JinjaValue EMPTY = new Str("");

    static JinjaValue str(String s) {
        if (s.length() > MAX_STRING) {
            return new Unknown(Kind.STR, s.substring(0, 256), s.indexOf('_') >= 0, false);
        }
        return new Str(s);
    }

    static JinjaValue num(long v) {
        return new Num(BigInteger.valueOf(v));
    }

    /** Whether a constant piece with '_' flowed into {@code v} (bounded walk). */
    static boolean underscore(JinjaValue v) {
        return flags(v, 0)[0];
    }

    static boolean computed(JinjaValue v) {
        return flags(v, 0)[1];
    }

    private static boolean[] flags(JinjaValue v, int depth) {
        boolean[] f = new boolean[2];
        if (depth > 8) {
            f[0] = true;
            f[1] = true;
            return f;
        }
        if (v instanceof Str s) {
            f[0] = s.s().indexOf('_') >= 0;
        } else if (v instanceof Unknown u) {
            f[0] = u.underscore() || u.prefix().indexOf('_') >= 0;
            f[1] = u.computed();
        } else if (v instanceof Seq s) {
            for (JinjaValue x : s.items()) {
                or(f, flags(x, depth + 1));
            }
        } else if (v instanceof Dict d) {
            for (Map.Entry<String, JinjaValue> e : d.map().entrySet()) {
                f[0] |= e.getKey().indexOf('_') >= 0;
                or(f, flags(e.getValue(), depth + 1));
            }
        } else if (v instanceof Alt a) {
            for (JinjaValue x : a.options()) {
                or(f, flags(x, depth + 1));
            }
        } else if (v instanceof Method m) {
            or(f, flags(m.receiver(), depth + 1));
        }
        return f;
    }

    private static void or(boolean[] a, boolean[] b) {
        a[0] |= b[0];
        a[1] |= b[1];
    }

    /** An unknown of {@code kind} carrying the flags of all {@code inputs}. */
    static JinjaValue opaque(Kind kind, boolean computed, JinjaValue... inputs) {
        boolean u = false;
        boolean c = computed;
        for (JinjaValue i : inputs) {
            if (i != null) {
                boolean[] f = flags(i, 0);
                u |= f[0];
                c |= f[1];
            }
        }
        return new Unknown(kind, "", u, c);
    }

    /** The possible values ({@link Alt} flattened). */
    static List<JinjaValue> options(JinjaValue v) {
        return v instanceof Alt a ? a.options() : List.of(v);
    }

    /** One of {@code a} or {@code b}. */
    static JinjaValue join(JinjaValue a, JinjaValue b) {
        if (a.equals(b)) {
            return a;
        }
        List<JinjaValue> all = new ArrayList<>();
        for (JinjaValue v : options(a)) {
            if (!all.contains(v)) {
                all.add(v);
            }
        }
        for (JinjaValue v : options(b)) {
            if (!all.contains(v)) {
                all.add(v);
            }
        }
        return all.size() == 1 ? all.get(0) : all.size() > MAX_ALT ? widen(all) : new Alt(List.copyOf(all));
    }

    static JinjaValue alt(List<JinjaValue> values) {
        JinjaValue r = null;
        for (JinjaValue v : values) {
            r = r == null ? v : join(r, v);
        }
        return r == null ? UNKNOWN : r;
    }

    /** One unknown summarising all {@code values}: their common prefix and all their flags. */
    static JinjaValue widen(List<JinjaValue> values) {
        String prefix = null;
        boolean u = false;
        boolean c = false;
        Kind kind = null;
        for (JinjaValue v : values) {
            String p = v instanceof Str s ? s.s() : v instanceof Unknown x ? x.prefix() : "";
            Kind k = v instanceof Str ? Kind.STR : v instanceof Num ? Kind.NUM : v instanceof Seq ? Kind.SEQ
                    : v instanceof Unknown x ? x.kind() : Kind.ANY;
            kind = kind == null || kind == k ? k : Kind.ANY;
            prefix = prefix == null ? p : common(prefix, p);
            u |= underscore(v);
            c |= computed(v);
        }
        return new Unknown(kind == null ? Kind.ANY : kind, prefix == null ? "" : prefix, u, c);
    }

    private static String common(String a, String b) {
        int i = 0;
        while (i < a.length() && i < b.length() && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        return a.substring(0, i);
    }

    /** Python's {@code repr} of a constant string. */
    static String repr(String s) {
        return dev.laocoon.core.internal.pickle.Repr.of(s);
    }

    /** A dict from entries. */
    static Dict dict(List<String> keys, List<JinjaValue> values) {
        Map<String, JinjaValue> m = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            m.put(keys.get(i), values.get(i));
        }
        return new Dict(m);
    }
}
