package dev.laocoon.core.internal.format.jinja;

import dev.laocoon.core.internal.format.jinja.JinjaValue.Alt;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Builtin;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Dict;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Gadget;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Kind;
import dev.laocoon.core.internal.format.jinja.JinjaValue.NoneV;
import dev.laocoon.core.internal.format.jinja.JinjaValue.NsRef;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Num;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Seq;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Str;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Unknown;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python {@code str} semantics on abstract values, for the template analysis: {@code str()} and
 * {@code repr} of constants, concatenation, {@code %} formatting, {@code format} specs, slicing (of
 * strings and sequences) and {@code strip(chars)}. Pure functions: unknown inputs give
 * {@link JinjaValue.Unknown} results that keep the flags the attribute-name checks need.
 */
final class PyStr {
    private PyStr() {
    }

    /** Python's {@code str()} of a value, as far as it is known. */
    static JinjaValue toStr(JinjaValue v) {
        if (v instanceof Str) {
            return v;
        }
        if (v instanceof Alt a) {
            List<JinjaValue> outs = new ArrayList<>();
            for (JinjaValue o : a.options()) {
                outs.add(toStr(o));
            }
            return JinjaValue.alt(outs);
        }
        if (v instanceof Unknown u) {
            return u.kind() == Kind.STR ? u : new Unknown(Kind.STR, u.prefix(), u.underscore(), u.computed());
        }
        String r = repr(v, 0);
        if (r != null) {
            return JinjaValue.str(r);
        }
        if (v instanceof Gadget g) {
            return switch (g.name()) {
                case "cycler" -> new Str("<class 'jinja2.utils.Cycler'>");
                case "joiner" -> new Str("<class 'jinja2.utils.Joiner'>");
                case "namespace" -> new Str("<class 'jinja2.utils.Namespace'>");
                case "lipsum" -> new Unknown(Kind.STR, "<function generate_lorem_ipsum at 0x", true, true);
                default -> new Unknown(Kind.STR, "<", true, true);
            };
        }
        if (v instanceof Builtin b) {
            return new Str("<class '" + b.name() + "'>");
        }
        if (v instanceof NsRef) {
            return new Unknown(Kind.STR, "<Namespace ", false, true);
        }
        return JinjaValue.opaque(Kind.STR, true, v);
    }

    /** Python's {@code repr} of a constant, or null when it is not constant. */
    private static String repr(JinjaValue v, int depth) {
        if (depth > 8) {
            return null;
        }
        if (v instanceof Str s) {
            return depth == 0 ? s.s() : JinjaValue.repr(s.s());
        }
        if (v instanceof NoneV) {
            return "None";
        }
        if (v instanceof Num n) {
            if (n.n() instanceof Boolean b) {
                return b ? "True" : "False";
            }
            if (n.n() instanceof Double d) {
                return d.isInfinite() ? (d > 0 ? "inf" : "-inf") : d.isNaN() ? "nan"
                        : d == Math.rint(d) && Math.abs(d) < 1e16 ? String.format("%.1f", d) : Double.toString(d);
            }
            return n.n().toString();
        }
        if (v instanceof Seq s) {
            StringBuilder sb = new StringBuilder(s.tuple() ? "(" : "[");
            for (int i = 0; i < s.items().size(); i++) {
                String r = repr(s.items().get(i), depth + 1);
                if (r == null) {
                    return null;
                }
                sb.append(i > 0 ? ", " : "").append(r);
            }
            if (s.tuple() && s.items().size() == 1) {
                sb.append(',');
            }
            return sb.append(s.tuple() ? ")" : "]").toString();
        }
        if (v instanceof Dict d) {
            StringBuilder sb = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<String, JinjaValue> e : d.map().entrySet()) {
                String r = repr(e.getValue(), depth + 1);
                if (r == null) {
                    return null;
                }
                sb.append(first ? "" : ", ").append(JinjaValue.repr(e.getKey())).append(": ").append(r);
                first = false;
            }
            return sb.append('}').toString();
        }
        return null;
    }

    /** String concatenation of two string values. */
    static JinjaValue concat(JinjaValue l, JinjaValue r) {
        if (l instanceof Str a && a.s().isEmpty()) {
            return r;
        }
        if (r instanceof Str b && b.s().isEmpty()) {
            return l;
        }
        if (l instanceof Alt || r instanceof Alt) {
            List<JinjaValue> ls = JinjaValue.options(l);
            List<JinjaValue> rs = JinjaValue.options(r);
            if (ls.size() * rs.size() > JinjaValue.MAX_ALT) {
                return concat(JinjaValue.widen(ls), JinjaValue.widen(rs));
            }
            List<JinjaValue> outs = new ArrayList<>();
            for (JinjaValue x : ls) {
                for (JinjaValue y : rs) {
                    outs.add(concat(x, y));
                }
            }
            return JinjaValue.alt(outs);
        }
        if (l instanceof Str a && r instanceof Str b) {
            return JinjaValue.str(a.s() + b.s());
        }
        if (l instanceof Str a && r instanceof Unknown u) {
            String p = a.s() + u.prefix();
            return new Unknown(Kind.STR, p.length() > 256 ? p.substring(0, 256) : p,
                    u.underscore() || a.s().indexOf('_') >= 0, u.computed());
        }
        if (l instanceof Unknown u) {
            return new Unknown(Kind.STR, u.prefix(), u.underscore() || JinjaValue.underscore(r),
                    u.computed() || JinjaValue.computed(r));
        }
        return JinjaValue.opaque(Kind.STR, false, l, r);
    }

    /** {@code fmt % args} with the conversions that can build names: s r a d i u c x X o and %%. */
    static JinjaValue percentFormat(String fmt, JinjaValue args) {
        List<JinjaValue> positional = args instanceof Seq s && s.tuple() ? s.items() : List.of(args);
        Map<String, JinjaValue> named = args instanceof Dict d ? d.map() : Map.of();
        JinjaValue out = JinjaValue.EMPTY;
        int next = 0;
        int i = 0;
        StringBuilder lit = new StringBuilder();
        while (i < fmt.length()) {
            char c = fmt.charAt(i);
            if (c != '%') {
                lit.append(c);
                i++;
                continue;
            }
            int j = i + 1;
            String key = null;
            if (j < fmt.length() && fmt.charAt(j) == '(') {
                int close = fmt.indexOf(')', j);
                if (close < 0) {
                    return JinjaValue.opaque(Kind.STR, true, new Str(fmt), args);
                }
                key = fmt.substring(j + 1, close);
                j = close + 1;
            }
            int specStart = j;
            while (j < fmt.length() && "-+ #0123456789.*".indexOf(fmt.charAt(j)) >= 0) {
                j++;
            }
            if (j >= fmt.length()) {
                return JinjaValue.opaque(Kind.STR, true, new Str(fmt), args);
            }
            char conv = fmt.charAt(j);
            String spec = fmt.substring(specStart, j);
            i = j + 1;
            if (conv == '%') {
                lit.append('%');
                continue;
            }
            boolean unknownStar = false;
            if (key == null && spec.indexOf('*') >= 0) {
                // each '*' takes the width or precision from the next argument: '%*c' % (1, 95) is '_'
                StringBuilder sp = new StringBuilder();
                for (char ch : spec.toCharArray()) {
                    if (ch != '*') {
                        sp.append(ch);
                        continue;
                    }
                    JinjaValue w = next < positional.size() ? positional.get(next) : JinjaValue.UNKNOWN;
                    next++;
                    if (w instanceof Num n && n.n() instanceof BigInteger b && b.bitLength() < 16) {
                        sp.append(b);
                    } else {
                        unknownStar = true;
                    }
                }
                spec = sp.toString();
            }
            JinjaValue arg;
            if (key != null) {
                arg = named.getOrDefault(key, JinjaValue.UNKNOWN);
            } else {
                arg = next < positional.size() ? positional.get(next) : JinjaValue.UNKNOWN;
                next++;
            }
            out = concat(out, new Str(lit.toString()));
            lit.setLength(0);
            out = concat(out, unknownStar ? JinjaValue.opaque(Kind.STR, true, arg) : conversion(conv, spec, arg));
        }
        return concat(out, new Str(lit.toString()));
    }

    private static JinjaValue conversion(char conv, String spec, JinjaValue arg) {
        if (arg instanceof Alt a) {
            List<JinjaValue> outs = new ArrayList<>();
            for (JinjaValue o : a.options()) {
                outs.add(conversion(conv, spec, o));
            }
            return JinjaValue.alt(outs);
        }
        BigInteger n = arg instanceof Num x && x.n() instanceof BigInteger b ? b
                : arg instanceof Num x2 && x2.n() instanceof Boolean bo ? (bo ? BigInteger.ONE : BigInteger.ZERO) : null;
        String s = switch (conv) {
            case 's' -> arg instanceof Str str ? str.s() : repr(arg, 0);
            case 'r', 'a' -> repr(arg, 1);
            case 'd', 'i', 'u' -> n == null ? null : n.toString();
            case 'x' -> n == null ? null : n.toString(16);
            case 'X' -> n == null ? null : n.toString(16).toUpperCase(java.util.Locale.ROOT);
            case 'o' -> n == null ? null : n.toString(8);
            case 'c' -> n != null && n.signum() >= 0 && n.compareTo(BigInteger.valueOf(Character.MAX_CODE_POINT)) <= 0
                    ? new String(Character.toChars(n.intValue())) : arg instanceof Str str && str.s().length() == 1
                    ? str.s() : null;
            default -> null;
        };
        if (s == null) {
            // a character made from an unknown number can be anything, '_' included
            return JinjaValue.opaque(Kind.STR, conv == 'c' || !(arg instanceof Unknown), arg);
        }
        String digits = spec.replaceAll("[^0-9.]", "");
        int dot = digits.indexOf('.');
        String w = dot < 0 ? digits : digits.substring(0, dot);
        if (!w.isEmpty() && w.length() < 5) {
            int width = Integer.parseInt(w);
            if (s.length() < width) {
                String pad = (spec.contains("0") && !spec.contains("-") && "diuxXo".indexOf(conv) >= 0 ? "0" : " ")
                        .repeat(width - s.length());
                s = spec.contains("-") ? s + pad.replace('0', ' ') : pad + s;
            }
        }
        return JinjaValue.str(s);
    }

    /**
     * Python's [[fill]align][width][.precision][s] spec applied to a string, and [[fill]align][width]c
     * to an integer (the character with that code); other specs are opaque.
     */
    private static final java.util.regex.Pattern STR_SPEC =
            java.util.regex.Pattern.compile("(?s)(?:(.)?([<>^]))?([0-9]{0,4})(?:\\.([0-9]{1,4}))?s?");
    private static final java.util.regex.Pattern CHAR_SPEC =
            java.util.regex.Pattern.compile("(?s)(?:(.)?([<>^]))?([0-9]{0,4})()c");

    static JinjaValue formatSpec(JinjaValue arg, String spec) {
        java.util.regex.Matcher str = STR_SPEC.matcher(spec);
        java.util.regex.Matcher chr = CHAR_SPEC.matcher(spec);
        List<JinjaValue> outs = new ArrayList<>();
        for (JinjaValue o : JinjaValue.options(arg)) {
            String v;
            java.util.regex.Matcher m;
            if (o instanceof Str s && str.matches() && !str.group(3).startsWith("0")) {
                v = s.s();
                m = str;
            } else if (o instanceof Num n && n.n() instanceof BigInteger b && b.signum() >= 0
                    && b.compareTo(BigInteger.valueOf(Character.MAX_CODE_POINT)) <= 0 && chr.matches()
                    && !chr.group(3).startsWith("0")) {
                v = new String(Character.toChars(b.intValue()));
                m = chr;
            } else {
                // the fill character, '_' grouping of a number, or a 'c' character may be an underscore
                return JinjaValue.opaque(Kind.STR, spec.endsWith("c"), arg, new Str(spec));
            }
            if (m.group(4) != null && !m.group(4).isEmpty()) {
                int p = Integer.parseInt(m.group(4));
                if (v.codePointCount(0, v.length()) > p) {
                    v = v.substring(0, v.offsetByCodePoints(0, p));
                }
            }
            int width = m.group(3).isEmpty() ? 0 : Integer.parseInt(m.group(3));
            int pad = Math.max(0, width - v.codePointCount(0, v.length()));
            String fill = m.group(1) == null ? " " : m.group(1);
            String align = m.group(2) != null ? m.group(2) : m == chr ? ">" : "<";
            int left = align.equals(">") ? pad : align.equals("^") ? pad / 2 : 0;
            outs.add(new Str(fill.repeat(left) + v + fill.repeat(pad - left)));
        }
        return JinjaValue.alt(outs);
    }

    static JinjaValue slice(JinjaValue obj, JinjaValue a, JinjaValue b, JinjaValue c) {
        Long start = bound(a);
        Long stop = bound(b);
        Long step = bound(c);
        boolean known = (start != null || a instanceof NoneV) && (stop != null || b instanceof NoneV)
                && (step != null || c instanceof NoneV);
        if (known && (obj instanceof Str || obj instanceof Seq)) {
            int size = obj instanceof Str s ? s.s().length() : ((Seq) obj).items().size();
            long st = step == null ? 1 : step;
            if (st == 0) {
                return JinjaValue.UNKNOWN;
            }
            List<Integer> idx = new ArrayList<>();
            if (st > 0) {
                long from = clamp(start == null ? 0 : start, size, false);
                long to = clamp(stop == null ? size : stop, size, false);
                for (long i = from; i < to; i += st) {
                    idx.add((int) i);
                }
            } else {
                long from = start == null ? size - 1 : clamp(start, size, true);
                long to = stop == null ? -1 : clamp(stop, size, true);
                for (long i = from; i > to; i += st) {
                    idx.add((int) i);
                }
            }
            if (obj instanceof Str s) {
                StringBuilder sb = new StringBuilder();
                for (int i : idx) {
                    sb.append(s.s().charAt(i));
                }
                return new Str(sb.toString());
            }
            List<JinjaValue> items = new ArrayList<>();
            for (int i : idx) {
                items.add(((Seq) obj).items().get(i));
            }
            return new Seq(List.copyOf(items), ((Seq) obj).tuple());
        }
        if (obj instanceof Unknown u && u.kind() == Kind.SEQ) {
            return new Unknown(Kind.SEQ, "", u.underscore(), u.computed());
        }
        return JinjaValue.opaque(obj instanceof Seq ? Kind.SEQ : Kind.STR, !(obj instanceof Seq), obj);
    }

    static Long bound(JinjaValue v) {
        return v instanceof Num n && n.n() instanceof BigInteger b && b.bitLength() < 40 ? b.longValue() : null;
    }

    private static long clamp(long i, int size, boolean backwards) {
        if (i < 0) {
            i += size;
            if (i < 0) {
                return backwards ? -1 : 0;
            }
        }
        if (i >= size) {
            return backwards ? size - 1 : size;
        }
        return i;
    }

    static String stripChars(String t, String chars, boolean left, boolean right) {
        int a = 0;
        int b = t.length();
        while (left && a < b && chars.indexOf(t.charAt(a)) >= 0) {
            a++;
        }
        while (right && b > a && chars.indexOf(t.charAt(b - 1)) >= 0) {
            b--;
        }
        return t.substring(a, b);
    }
}
