package dev.laocoon.core.internal.format;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Python literals as {@code ast.literal_eval} reads them, for headers that loaders evaluate that
 * way (NumPy's {@code .npy} header). Strings with every prefix, quote style, escape and implicit
 * concatenation; ints in every base with underscores; floats; {@code True}, {@code False},
 * {@code None}; tuples, lists, dicts (a repeated key keeps its last value, as in Python) and
 * sets; parentheses, comments and line continuations. What is not understood throws
 * {@link Bad}: callers then treat the header as unknown, never as harmless.
 *
 * <p>Values: {@code String}, {@link Bytes}, {@code BigInteger}, {@code Double}, {@code Boolean},
 * {@link #NONE}, {@link Tuple}, {@code List}, {@link Dict} and {@code Set}.
 */
public final class PyLiteral {
    /** Python's None. */
    public static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    private static final int MAX_DEPTH = 100;

    /** A tuple. */
    public record Tuple(List<Object> items) {
    }

    /** A dict; {@link #repeatedKeys} tells whether the text gave some key twice (the last value counts). */
    public static final class Dict extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;
        private boolean repeatedKeys;

        public boolean repeatedKeys() {
            return repeatedKeys;
        }
    }

    /** A bytes literal. */
    public record Bytes(byte[] value) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Bytes b && Arrays.equals(value, b.value);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "b" + new String(value, StandardCharsets.ISO_8859_1);
        }
    }

    /** Text that is not a literal this reader understands (or not a literal at all). */
    public static final class Bad extends Exception {
        Bad(String message) {
            super(message, null, false, false);
        }
    }

    private final String s;
    private int i;

    private PyLiteral(String s) {
        this.s = s;
    }

    /** The value of {@code text}; leading spaces and tabs are ignored, as literal_eval does. */
    public static Object parse(String text) throws Bad {
        PyLiteral p = new PyLiteral(text);
        while (p.i < text.length() && (text.charAt(p.i) == ' ' || text.charAt(p.i) == '\t')) {
            p.i++;
        }
        // blank and comment lines before the expression; then it must start at the line's start
        while (p.i < text.length() && (text.charAt(p.i) == '\n' || text.charAt(p.i) == '\r' || text.charAt(p.i) == '#')) {
            while (p.i < text.length() && text.charAt(p.i) != '\n' && text.charAt(p.i) != '\r') {
                p.i++;
            }
            p.i++;
            if (p.i < text.length() && (text.charAt(p.i) == ' ' || text.charAt(p.i) == '\t')) {
                throw new Bad("indented first line");
            }
        }
        if (p.i < text.length() && text.charAt(p.i) == '\\') {
            throw new Bad("line continuation before the expression"); // Python's rules there are subtle
        }
        Object v = p.expression(0, false);
        p.skip(false);
        if (p.i != text.length()) {
            throw new Bad("unexpected text at " + p.i);
        }
        return v;
    }

    /** Every string anywhere in {@code v} (keys and values, nested), for conservative checks. */
    public static List<String> strings(Object v) {
        List<String> out = new ArrayList<>();
        collect(v, out, 0);
        return out;
    }

    private static void collect(Object v, List<String> out, int depth) {
        if (depth > MAX_DEPTH) {
            return;
        }
        if (v instanceof String str) {
            out.add(str);
        } else if (v instanceof Tuple t) {
            for (Object x : t.items()) {
                collect(x, out, depth + 1);
            }
        } else if (v instanceof java.util.Collection<?> c) {
            for (Object x : c) {
                collect(x, out, depth + 1);
            }
        } else if (v instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                collect(e.getKey(), out, depth + 1);
                collect(e.getValue(), out, depth + 1);
            }
        }
    }

    // ------------------------------------------------------------------ grammar

    /** Whitespace and comments; newlines only inside brackets ({@code nested}). */
    private void skip(boolean nested) throws Bad {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\t' || c == '\f') {
                i++;
            } else if (c == '\\' && i + 1 < s.length() && (s.charAt(i + 1) == '\n' || s.charAt(i + 1) == '\r')) {
                i += s.startsWith("\r\n", i + 1) ? 3 : 2; // explicit line joining
                if (i >= s.length() || s.charAt(i) == '\n' || s.charAt(i) == '\r') {
                    throw new Bad("line continuation at the end of the text");
                }
            } else if (c == '#') {
                while (i < s.length() && s.charAt(i) != '\n' && s.charAt(i) != '\r') {
                    i++;
                }
            } else if ((c == '\n' || c == '\r') && (nested || atEndAfterNewlines())) {
                i++;
            } else {
                return;
            }
        }
    }

    /**
     * Trailing newlines, blank lines and comment lines after the expression are allowed in eval
     * mode, except a last line of spaces or tabs with no newline after it (Python reports an
     * unexpected indent there).
     */
    private boolean atEndAfterNewlines() {
        int lineStart = i;
        boolean comment = false;
        for (int j = i; j < s.length(); j++) {
            char c = s.charAt(j);
            if (c == '\n' || c == '\r') {
                lineStart = j + 1;
                comment = false;
            } else if (c == '#') {
                comment = true;
                while (j + 1 < s.length() && s.charAt(j + 1) != '\n' && s.charAt(j + 1) != '\r') {
                    j++;
                }
            } else if (c != ' ' && c != '\t' && c != '\f') {
                return false;
            }
        }
        if (comment) {
            return true;
        }
        String last = s.substring(lineStart);
        return last.substring(last.lastIndexOf('\f') + 1).isEmpty();
    }

    private Object expression(int depth, boolean nested) throws Bad {
        if (depth > MAX_DEPTH) {
            throw new Bad("nested too deeply");
        }
        skip(nested);
        if (i >= s.length()) {
            throw new Bad("unexpected end");
        }
        char c = s.charAt(i);
        if (c == '(') {
            i++;
            return group(depth);
        }
        if (c == '[') {
            i++;
            return new ArrayList<>(items(']', depth));
        }
        if (c == '{') {
            i++;
            return braces(depth);
        }
        if (c == '-' || c == '+') {
            // one sign before a number literal, as literal_eval allows
            i++;
            skip(nested);
            if (i >= s.length() || !(s.charAt(i) == '.' || Character.isDigit(s.charAt(i)))) {
                throw new Bad("sign before something that is not a number");
            }
            Object v = number();
            if (v instanceof BigInteger n) {
                return c == '-' ? n.negate() : n;
            }
            double d = (Double) v;
            return c == '-' ? -d : d;
        }
        if (c == '.' || (c >= '0' && c <= '9')) {
            return number();
        }
        if (Character.isLetter(c) || c == '_' || c == '"' || c == '\'') {
            int start = i;
            while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                i++;
            }
            String word = s.substring(start, i);
            if (i < s.length() && (s.charAt(i) == '\'' || s.charAt(i) == '"') && isPrefix(word)) {
                i = start;
                return strings(nested);
            }
            switch (word) {
                case "True":
                    return Boolean.TRUE;
                case "False":
                    return Boolean.FALSE;
                case "None":
                    return NONE;
                default:
                    throw new Bad("name '" + word + "' is not a literal");
            }
        }
        throw new Bad("unexpected '" + c + "'");
    }

    private static boolean isPrefix(String w) {
        String l = w.toLowerCase(java.util.Locale.ROOT);
        return l.isEmpty() || l.equals("r") || l.equals("u") || l.equals("b") || l.equals("br") || l.equals("rb");
    }

    /** {@code (} seen: an empty tuple, a parenthesised value or a tuple. */
    private Object group(int depth) throws Bad {
        skip(true);
        if (i < s.length() && s.charAt(i) == ')') {
            i++;
            return new Tuple(List.of());
        }
        Object first = expression(depth + 1, true);
        skip(true);
        if (i < s.length() && s.charAt(i) == ')') {
            i++;
            return first;
        }
        if (i >= s.length() || s.charAt(i) != ',') {
            throw new Bad("expected ',' or ')'");
        }
        i++;
        List<Object> rest = new ArrayList<>();
        rest.add(first);
        rest.addAll(items(')', depth));
        return new Tuple(List.copyOf(rest));
    }

    /** Comma-separated values up to {@code close} (a trailing comma allowed). */
    private List<Object> items(char close, int depth) throws Bad {
        List<Object> out = new ArrayList<>();
        while (true) {
            skip(true);
            if (i < s.length() && s.charAt(i) == close) {
                i++;
                return out;
            }
            out.add(expression(depth + 1, true));
            skip(true);
            if (i < s.length() && s.charAt(i) == ',') {
                i++;
            } else if (i < s.length() && s.charAt(i) == close) {
                i++;
                return out;
            } else {
                throw new Bad("expected ',' or '" + close + "'");
            }
        }
    }

    /** {@code {} seen: a dict (repeated keys keep their last value) or a set. */
    private Object braces(int depth) throws Bad {
        skip(true);
        if (i < s.length() && s.charAt(i) == '}') {
            i++;
            return new Dict();
        }
        Object first = expression(depth + 1, true);
        skip(true);
        if (i < s.length() && s.charAt(i) == ':') {
            // Python's rules: equal keys (1, 1.0, True) are one key, which keeps its first spelling
            // and its place, and takes the last value.
            Map<Object, Object> firstKey = new LinkedHashMap<>();
            Map<Object, Object> values = new LinkedHashMap<>();
            boolean repeated = false;
            Object key = first;
            while (true) {
                i++; // ':'
                Object norm = key(key);
                repeated |= firstKey.putIfAbsent(norm, key) != null;
                values.put(norm, expression(depth + 1, true));
                skip(true);
                if (i < s.length() && s.charAt(i) == ',') {
                    i++;
                    skip(true);
                } else if (i >= s.length() || s.charAt(i) != '}') {
                    throw new Bad("expected ',' or '}'");
                }
                if (i < s.length() && s.charAt(i) == '}') {
                    i++;
                    Dict m = new Dict();
                    for (Map.Entry<Object, Object> e : values.entrySet()) {
                        m.put(firstKey.get(e.getKey()), e.getValue());
                    }
                    m.repeatedKeys = repeated;
                    return m;
                }
                key = expression(depth + 1, true);
                skip(true);
                if (i >= s.length() || s.charAt(i) != ':') {
                    throw new Bad("expected ':'");
                }
            }
        }
        List<Object> members = new ArrayList<>();
        members.add(first);
        skip(true);
        if (i < s.length() && s.charAt(i) == ',') {
            i++;
            members.addAll(items('}', depth));
        } else if (i < s.length() && s.charAt(i) == '}') {
            i++;
        } else {
            throw new Bad("expected ',' or '}'");
        }
        Map<Object, Object> set = new LinkedHashMap<>(); // equal members: the first one stays
        for (Object o : members) {
            set.putIfAbsent(key(o), o);
        }
        return new LinkedHashSet<>(set.values());
    }

    /**
     * A dict key or set member as Python compares it: equal numbers are one key (1, 1.0 and
     * True), so they are normalised; unhashable values are refused.
     */
    private static Object key(Object k) throws Bad {
        if (k instanceof List || k instanceof Map || k instanceof Set) {
            throw new Bad("unhashable key");
        }
        if (k instanceof Tuple t) {
            List<Object> items = new ArrayList<>();
            for (Object x : t.items()) {
                items.add(key(x));
            }
            return new Tuple(items);
        }
        if (k instanceof Boolean b) {
            return BigInteger.valueOf(b ? 1 : 0);
        }
        if (k instanceof Double d && !d.isInfinite() && !d.isNaN() && d == Math.rint(d)) {
            return new java.math.BigDecimal(d).toBigInteger();
        }
        return k;
    }

    private Object number() throws Bad {
        int start = i;
        if (s.startsWith("0x", i) || s.startsWith("0X", i) || s.startsWith("0o", i) || s.startsWith("0O", i)
                || s.startsWith("0b", i) || s.startsWith("0B", i)) {
            char base = Character.toLowerCase(s.charAt(i + 1));
            i += 2;
            int from = i;
            while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                i++;
            }
            String digits = underscores(s.substring(from, i), true);
            try {
                return new BigInteger(digits, base == 'x' ? 16 : base == 'o' ? 8 : 2);
            } catch (NumberFormatException e) {
                throw new Bad("bad number " + s.substring(start, i));
            }
        }
        while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '_')) {
            i++;
        }
        boolean isFloat = false;
        if (i < s.length() && s.charAt(i) == '.') {
            isFloat = true;
            i++;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                i++;
            }
        }
        if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            isFloat = true;
            i++;
            if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            int exp = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                i++;
            }
            if (exp == i) {
                throw new Bad("bad exponent");
            }
        }
        if (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
            // 'j' (complex), 'L' (Python 2 long) and the like: not read here
            throw new Bad("number followed by '" + s.charAt(i) + "'");
        }
        String text = s.substring(start, i);
        if (text.equals(".")) {
            throw new Bad("'.' is not a number");
        }
        String plain = underscores(text, false);
        try {
            if (isFloat) {
                return Double.valueOf(plain);
            }
            if (plain.length() > 1 && plain.charAt(0) == '0' && new BigInteger(plain).signum() != 0) {
                throw new Bad("leading zeros in " + text);
            }
            return new BigInteger(plain);
        } catch (NumberFormatException e) {
            throw new Bad("bad number " + text);
        }
    }

    /** Removes single underscores between digits; any other underscore is an error. */
    private static String underscores(String t, boolean afterPrefix) throws Bad {
        if (t.isEmpty()) {
            throw new Bad("missing digits");
        }
        StringBuilder b = new StringBuilder(t.length());
        for (int k = 0; k < t.length(); k++) {
            char c = t.charAt(k);
            if (c == '_') {
                // between two digits (of the base: letters too after 0x, 0o, 0b), or right after the prefix
                boolean ok = k + 1 < t.length() && digit(t.charAt(k + 1), afterPrefix)
                        && (k > 0 ? digit(t.charAt(k - 1), afterPrefix) : afterPrefix);
                if (!ok) {
                    throw new Bad("misplaced '_' in " + t);
                }
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean digit(char c, boolean prefixed) {
        return prefixed ? Character.isLetterOrDigit(c) : c >= '0' && c <= '9';
    }

    /** One or more adjacent string literals, concatenated (str with str, bytes with bytes). */
    private Object strings(boolean nested) throws Bad {
        StringBuilder text = new StringBuilder();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        Boolean isBytes = null;
        while (true) {
            int start = i;
            while (i < s.length() && Character.isLetter(s.charAt(i))) {
                i++;
            }
            String prefix = s.substring(start, i).toLowerCase(java.util.Locale.ROOT);
            if (!isPrefix(prefix) || i >= s.length() || (s.charAt(i) != '\'' && s.charAt(i) != '"')) {
                i = start;
                break;
            }
            boolean b = prefix.contains("b");
            if (isBytes != null && isBytes != b) {
                throw new Bad("cannot mix bytes and nonbytes literals");
            }
            isBytes = b;
            literal(prefix.contains("r"), b, text, bytes);
            skip(nested);
        }
        if (isBytes == null) {
            throw new Bad("expected a string");
        }
        return isBytes ? new Bytes(bytes.toByteArray()) : text.toString();
    }

    private void literal(boolean raw, boolean isBytes, StringBuilder text, java.io.ByteArrayOutputStream bytes) throws Bad {
        char q = s.charAt(i);
        boolean triple = s.startsWith(String.valueOf(q).repeat(3), i);
        i += triple ? 3 : 1;
        StringBuilder out = new StringBuilder();
        while (true) {
            if (i >= s.length()) {
                throw new Bad("unterminated string");
            }
            char c = s.charAt(i);
            if (triple ? s.startsWith(String.valueOf(q).repeat(3), i) : c == q) {
                i += triple ? 3 : 1;
                break;
            }
            if (!triple && (c == '\n' || c == '\r')) {
                throw new Bad("newline in a single-quoted string");
            }
            if (isBytes && c > 0x7f) {
                throw new Bad("bytes can only contain ASCII literal characters");
            }
            if (c != '\\') {
                out.append(c);
                i++;
                continue;
            }
            if (i + 1 >= s.length()) {
                throw new Bad("unterminated string");
            }
            char e = s.charAt(i + 1);
            if (raw) {
                // a raw string keeps the backslash; it still escapes a quote or a newline
                out.append(c).append(e);
                i += 2;
                continue;
            }
            i += 2;
            switch (e) {
                case '\n' -> {
                }
                case '\r' -> {
                    if (i < s.length() && s.charAt(i) == '\n') {
                        i++;
                    }
                }
                case '\\', '\'', '"' -> out.append(e);
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'v' -> out.append('\u000b');
                case 'x' -> out.appendCodePoint(hex(2));
                case '0', '1', '2', '3', '4', '5', '6', '7' -> {
                    int v = e - '0';
                    for (int k = 0; k < 2 && i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '7'; k++) {
                        v = v * 8 + (s.charAt(i++) - '0');
                    }
                    if (isBytes && v > 0xff) {
                        throw new Bad("octal escape out of range in bytes");
                    }
                    out.appendCodePoint(v);
                }
                case 'u', 'U' -> {
                    if (isBytes) {
                        out.append('\\').append(e); // not an escape in bytes
                    } else {
                        int cp = hex(e == 'u' ? 4 : 8);
                        if (cp < 0 || cp > 0x10ffff) { // eight hex digits can overflow an int
                            throw new Bad("\\U escape out of range");
                        }
                        out.appendCodePoint(cp);
                    }
                }
                case 'N' -> {
                    if (isBytes) {
                        out.append('\\').append(e);
                    } else {
                        throw new Bad("\\N{...} escapes are not read here"); // needs the Unicode name table
                    }
                }
                default -> out.append('\\').append(e); // unknown escapes keep the backslash
            }
        }
        if (isBytes) {
            for (int k = 0; k < out.length(); k++) {
                bytes.write(out.charAt(k));
            }
        } else {
            text.append(out);
        }
    }

    private int hex(int n) throws Bad {
        if (i + n > s.length()) {
            throw new Bad("truncated escape");
        }
        int v = 0;
        for (int k = 0; k < n; k++) {
            int d = Character.digit(s.charAt(i + k), 16);
            if (d < 0) {
                throw new Bad("bad hex escape");
            }
            v = v * 16 + d;
        }
        i += n;
        return v;
    }
}
