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
                return floatRepr(d);
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
        boolean alt = spec.contains("#");
        String s = switch (conv) {
            case 's' -> arg instanceof Str str ? str.s() : repr(arg, 0);
            case 'r', 'a' -> repr(arg, 1);
            case 'd', 'i', 'u' -> n == null ? null : n.abs().toString();
            case 'x' -> n == null ? null : (alt ? "0x" : "") + n.abs().toString(16);
            case 'X' -> n == null ? null : (alt ? "0X" : "") + n.abs().toString(16).toUpperCase(java.util.Locale.ROOT);
            case 'o' -> n == null ? null : (alt ? "0o" : "") + n.abs().toString(8);
            case 'c' -> n != null && n.signum() >= 0 && n.compareTo(BigInteger.valueOf(Character.MAX_CODE_POINT)) <= 0
                    ? new String(Character.toChars(n.intValue())) : arg instanceof Str str && length(str.s()) == 1
                    ? str.s() : null;
            default -> null;
        };
        if (s == null) {
            // a character made from an unknown number can be anything, '_' included
            return JinjaValue.opaque(Kind.STR, conv == 'c' || !(arg instanceof Unknown), arg);
        }
        // Objects/unicodeobject.c (PyUnicode_Format): flags, width, then precision; the precision cuts
        // s/r/a to that many code points and gives integers that many digits at least
        String flags = spec.replaceAll("[1-9.].*$", "");
        String rest = spec.substring(flags.length());
        int dot = rest.indexOf('.');
        String w = dot < 0 ? rest : rest.substring(0, dot);
        String prec = dot < 0 ? null : rest.substring(dot + 1);
        if (!w.matches("\\d{0,4}") || prec != null && !prec.matches("\\d{0,4}")) {
            return JinjaValue.opaque(Kind.STR, true, arg);
        }
        boolean number = "diuxXo".indexOf(conv) >= 0;
        if (prec != null) {
            int p = prec.isEmpty() ? 0 : Integer.parseInt(prec);
            if ("sra".indexOf(conv) >= 0 && length(s) > p) {
                s = s.substring(0, s.offsetByCodePoints(0, p));
            } else if (number) {
                int prefix = alt && conv != 'd' && conv != 'i' && conv != 'u' ? 2 : 0;
                String digits = s.substring(prefix);
                if (digits.length() < p) {
                    s = s.substring(0, prefix) + "0".repeat(p - digits.length()) + digits;
                }
            }
        }
        String sign = number && n.signum() < 0 ? "-" : number && flags.contains("+") ? "+" : number && flags.contains(" ") ? " " : "";
        int width = w.isEmpty() ? 0 : Integer.parseInt(w);
        int len = length(s) + sign.length();
        if (len < width) {
            if (flags.contains("-")) {
                s = sign + s + " ".repeat(width - len);
            } else if (flags.contains("0") && number) {
                int prefix = alt && conv != 'd' && conv != 'i' && conv != 'u' ? 2 : 0;
                s = sign + s.substring(0, prefix) + "0".repeat(width - len) + s.substring(prefix);
            } else {
                s = " ".repeat(width - len) + sign + s;
            }
        } else {
            s = sign + s;
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
            int size = obj instanceof Str s ? length(s.s()) : ((Seq) obj).items().size();
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
                int[] cps = s.s().codePoints().toArray(); // Python slices code points, not UTF-16 units
                StringBuilder sb = new StringBuilder();
                for (int i : idx) {
                    sb.appendCodePoint(cps[i]);
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

    /**
     * Python's {@code repr(float)} (Python/pystrtod.c, format code 'r'): the shortest digits that
     * read back as the same double, in positional notation when the decimal exponent is from -4 to
     * 15 (with ".0" when there is no fraction), otherwise as {@code d.ddde+XX}.
     */
    static String floatRepr(double d) {
        if (d != d) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        String sign = d < 0 || d == 0 && 1 / d < 0 ? "-" : "";
        if (d == 0) {
            return sign + "0.0";
        }
        java.math.BigDecimal b = new java.math.BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = b.unscaledValue().toString();
        int exp = digits.length() - b.scale() - 1;
        if (exp >= -4 && exp < 16) {
            String plain = b.toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }

    /**
     * Python's case and padding methods on ASCII text ({@code capitalize}, {@code swapcase},
     * {@code casefold}, {@code title}, {@code expandtabs} without tabs, {@code zfill}); null when
     * the text is not ASCII or the method is not one of these (Unicode case rules are not modelled).
     */
    static String caseMethod(String name, String t, JinjaValue a0) {
        if (!t.chars().allMatch(c -> c < 0x80)) {
            return null;
        }
        java.util.Locale root = java.util.Locale.ROOT;
        switch (name) {
            case "capitalize":
                return t.isEmpty() ? t : t.substring(0, 1).toUpperCase(root) + t.substring(1).toLowerCase(root);
            case "casefold":
                return t.toLowerCase(root);
            case "swapcase": {
                StringBuilder b = new StringBuilder();
                for (char c : t.toCharArray()) {
                    b.append(Character.isUpperCase(c) ? Character.toLowerCase(c) : Character.toUpperCase(c));
                }
                return b.toString();
            }
            case "title": {
                // str.title(): a letter after a non-letter is upper case, after a letter lower case
                StringBuilder b = new StringBuilder();
                boolean prevCased = false;
                for (char c : t.toCharArray()) {
                    boolean letter = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
                    b.append(!letter ? c : prevCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
                    prevCased = letter;
                }
                return b.toString();
            }
            case "expandtabs":
                return t.indexOf('\t') < 0 ? t : null;
            case "zfill": {
                Long w = bound(a0);
                if (w == null || w > 4096) {
                    return null;
                }
                int pad = (int) Math.max(0, w - t.length());
                boolean sign = !t.isEmpty() && (t.charAt(0) == '+' || t.charAt(0) == '-');
                return sign ? t.charAt(0) + "0".repeat(pad) + t.substring(1) : "0".repeat(pad) + t;
            }
            default:
                return null;
        }
    }

    /**
     * Jinja's {@code title} filter (jinja2.filters.do_title) on ASCII text: words split at runs of
     * {@code - ( { [ <} and whitespace, each word's first character upper case and the rest lower;
     * null when the text is not ASCII.
     */
    static String jinjaTitle(String t) {
        if (!t.chars().allMatch(c -> c < 0x80)) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([-\\s({\\[<]+)").matcher(t);
        int last = 0;
        while (true) {
            boolean found = m.find();
            String word = t.substring(last, found ? m.start() : t.length());
            if (!word.isEmpty()) {
                b.append(word.substring(0, 1).toUpperCase(java.util.Locale.ROOT)).append(word.substring(1).toLowerCase(java.util.Locale.ROOT));
            }
            if (!found) {
                return b.toString();
            }
            b.append(m.group());
            last = m.end();
        }
    }

    /** {@code str.center}, {@code ljust}, {@code rjust} with a one-character fill, as CPython pads. */
    static String pad(String name, String t, long width, String fill) {
        long margin = Math.min(width, JinjaValue.MAX_STRING + 1L) - length(t);
        if (margin <= 0) {
            return t;
        }
        long w = Math.min(width, JinjaValue.MAX_STRING + 1L);
        long left = name.equals("ljust") ? 0 : name.equals("rjust") ? margin : margin / 2 + (margin & w & 1);
        return fill.repeat((int) left) + t + fill.repeat((int) (margin - left));
    }

    /** {@code str.strip(chars)}: the code points in {@code chars} removed from the ends. */
    static String stripChars(String t, String chars, boolean left, boolean right) {
        int[] cps = chars.codePoints().toArray();
        return strip(t, left, right, c -> java.util.Arrays.stream(cps).anyMatch(x -> x == c));
    }

    /**
     * Python's {@code str.isspace()} for one code point: bidirectional class WS, B or S, or category
     * Zs (Objects/unicodectype.c {@code _PyUnicode_IsWhitespace}). Java's {@code Character.isWhitespace}
     * leaves out U+0085, U+00A0, U+2007 and U+202F, so {@code String.strip()} keeps what Python removes.
     */
    static boolean isSpace(int c) {
        return c >= 0x09 && c <= 0x0d || c >= 0x1c && c <= 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680
                || c >= 0x2000 && c <= 0x200a || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
    }

    /** {@code str.strip()}, {@code lstrip()}, {@code rstrip()} without arguments, as Python strips. */
    static String strip(String t, boolean left, boolean right) {
        return strip(t, left, right, PyStr::isSpace);
    }

    private static String strip(String t, boolean left, boolean right, java.util.function.IntPredicate drop) {
        int a = 0;
        int b = t.length();
        while (left && a < b && drop.test(t.codePointAt(a))) {
            a += Character.charCount(t.codePointAt(a));
        }
        while (right && b > a && drop.test(t.codePointBefore(b))) {
            b -= Character.charCount(t.codePointBefore(b));
        }
        return t.substring(a, b);
    }

    /** {@code str.split()} without arguments: runs of Python whitespace separate, empty parts dropped. */
    static List<String> splitWhitespace(String t) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        t.codePoints().forEach(c -> {
            if (isSpace(c)) {
                if (cur.length() > 0) {
                    out.add(cur.toString());
                    cur.setLength(0);
                }
            } else {
                cur.appendCodePoint(c);
            }
        });
        if (cur.length() > 0) {
            out.add(cur.toString());
        }
        return out;
    }

    /** The number of code points: Python's {@code len(str)}. */
    static int length(String s) {
        return s.codePointCount(0, s.length());
    }

    /** The code point at Python index {@code i} (0 <= i < length), as a string: Python's {@code s[i]}. */
    static String at(String s, int i) {
        int k = s.offsetByCodePoints(0, i);
        return new String(Character.toChars(s.codePointAt(k)));
    }
}
