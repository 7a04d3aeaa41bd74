package dev.laocoon.core.internal.format.jinja;

import dev.laocoon.core.internal.format.jinja.JinjaToken.Kind;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into tokens the way Jinja's default lexer does: text, {@code {{ }}} and
 * {@code {% %}} tags (with {@code -} whitespace control applied to the neighbouring text),
 * {@code {# #}} comments dropped, {@code {% raw %}} bodies kept as text. Inside tags: names,
 * string literals (decoded with Python's escapes, as Jinja decodes them), numbers and operators;
 * a closing delimiter only counts outside brackets, as in Jinja. Linear in the input length.
 */
public final class JinjaLexer {
    private static final String[] OPS = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "/", "*", "%", "~", "[", "]",
        "(", ")", "{", "}", "<", ">", "=", ".", ":", "|", ",", ";"};

    private final String s;
    private final int n;
    private final List<JinjaToken> out = new ArrayList<>();
    private boolean stripNextText;

    private JinjaLexer(String s) {
        this.s = s;
        this.n = s.length();
    }

    static final int MAX_TOKENS = 400_000;

    public static List<JinjaToken> tokenize(String template) throws JinjaSyntaxError {
        JinjaLexer l = new JinjaLexer(template);
        l.run();
        return l.out;
    }

    private void run() throws JinjaSyntaxError {
        int i = 0;
        while (i < n) {
            int open = nextOpen(i);
            if (open < 0) {
                text(i, n);
                break;
            }
            char c = s.charAt(open + 1);
            boolean minus = open + 2 < n && s.charAt(open + 2) == '-';
            text(i, open, minus);
            if (c == '#') {
                int close = s.indexOf("#}", open + 2);
                if (close < 0) {
                    throw new JinjaSyntaxError("unterminated comment", open);
                }
                stripNextText = close > open + 2 && s.charAt(close - 1) == '-';
                i = close + 2;
                continue;
            }
            int body = open + 2 + (open + 2 < n && (s.charAt(open + 2) == '-' || s.charAt(open + 2) == '+') ? 1 : 0);
            if (c == '%') {
                int afterRaw = rawTag(body, "raw");
                if (afterRaw >= 0) {
                    i = raw(open, afterRaw);
                    continue;
                }
            }
            i = tag(open, body, c == '{');
        }
        out.add(new JinjaToken(Kind.EOF, "", null, n));
    }

    private int nextOpen(int from) {
        for (int i = s.indexOf('{', from); i >= 0 && i + 1 < n; i = s.indexOf('{', i + 1)) {
            char c = s.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
        }
        return -1;
    }

    private void text(int from, int to) {
        text(from, to, false);
    }

    private void text(int from, int to, boolean stripRight) {
        String t = s.substring(from, to);
        if (stripNextText) {
            t = t.stripLeading();
            stripNextText = false;
        }
        if (stripRight) {
            t = t.stripTrailing();
        }
        if (!t.isEmpty()) {
            out.add(new JinjaToken(Kind.TEXT, t, null, from));
        }
    }

    /** When {@code s[p..]} is {@code \s* word \s* [-+]? %}}, the index after it; else -1. */
    private int rawTag(int p, String word) {
        while (p < n && PyStr.isSpace(s.charAt(p))) {
            p++;
        }
        if (!s.startsWith(word, p)) {
            return -1;
        }
        p += word.length();
        while (p < n && PyStr.isSpace(s.charAt(p))) {
            p++;
        }
        if (p < n && (s.charAt(p) == '-' || s.charAt(p) == '+')) {
            p++;
        }
        return s.startsWith("%}", p) ? p + 2 : -1;
    }

    private int raw(int open, int bodyStart) throws JinjaSyntaxError {
        stripNextText = s.charAt(bodyStart - 3) == '-';
        for (int i = s.indexOf("{%", bodyStart); i >= 0; i = s.indexOf("{%", i + 2)) {
            int b = i + 2 + (i + 2 < n && (s.charAt(i + 2) == '-' || s.charAt(i + 2) == '+') ? 1 : 0);
            int end = rawTag(b, "endraw");
            if (end >= 0) {
                text(bodyStart, i, b > i + 2 && s.charAt(i + 2) == '-');
                stripNextText = s.charAt(end - 3) == '-';
                return end;
            }
        }
        throw new JinjaSyntaxError("missing endraw", open);
    }

    /** Tokens of one {{ }} or {% %} tag; returns the index after its closing delimiter. */
    private int tag(int open, int p, boolean variable) throws JinjaSyntaxError {
        out.add(new JinjaToken(variable ? Kind.VAR_BEGIN : Kind.BLOCK_BEGIN, variable ? "{{" : "{%", null, open));
        String end = variable ? "}}" : "%}";
        StringBuilder balance = new StringBuilder();
        while (true) {
            if (out.size() > MAX_TOKENS) {
                // no chat template comes near this; the tree of more would not fit in memory
                throw new JinjaSyntaxError("more than " + MAX_TOKENS + " tokens, more than the analysis reads", p);
            }
            // jinja2's lexer skips whitespace as Python's re \s matches it (str.isspace)
            while (p < n && PyStr.isSpace(s.charAt(p))) {
                p++;
            }
            if (p >= n) {
                throw new JinjaSyntaxError("unterminated " + (variable ? "{{" : "{%") + " tag", open);
            }
            char ch = s.charAt(p);
            if (balance.isEmpty()) {
                boolean ws = (ch == '-' || ch == '+') && s.startsWith(end, p + 1);
                if (ws || s.startsWith(end, p)) {
                    int close = ws ? p + 1 : p;
                    out.add(new JinjaToken(variable ? Kind.VAR_END : Kind.BLOCK_END, end, null, close));
                    stripNextText = ws && ch == '-';
                    return close + 2;
                }
            }
            if (Character.isLetter(ch) || ch == '_') {
                int q = p + 1;
                while (q < n && (Character.isLetterOrDigit(s.charAt(q)) || s.charAt(q) == '_')) {
                    q++;
                }
                out.add(new JinjaToken(Kind.NAME, s.substring(p, q), null, p));
                p = q;
            } else if (ch >= '0' && ch <= '9') {
                p = number(p);
            } else if (ch == '\'' || ch == '"') {
                p = string(p, ch);
            } else {
                String op = null;
                for (String o : OPS) {
                    if (s.startsWith(o, p)) {
                        op = o;
                        break;
                    }
                }
                if (op == null) {
                    throw new JinjaSyntaxError("unexpected character '" + ch + "'", p);
                }
                switch (op) {
                    case "(" -> balance.append(')');
                    case "[" -> balance.append(']');
                    case "{" -> balance.append('}');
                    case ")", "]", "}" -> {
                        if (balance.isEmpty() || balance.charAt(balance.length() - 1) != op.charAt(0)) {
                            throw new JinjaSyntaxError("unexpected '" + op + "'", p);
                        }
                        balance.setLength(balance.length() - 1);
                    }
                    default -> {
                    }
                }
                out.add(new JinjaToken(Kind.OP, op, null, p));
                p += op.length();
            }
        }
    }

    private int number(int p) throws JinjaSyntaxError {
        int start = p;
        boolean afterDot = !out.isEmpty() && out.get(out.size() - 1).isOp(".");
        if (s.charAt(p) == '0' && p + 1 < n && "xXoObB".indexOf(s.charAt(p + 1)) >= 0) {
            int radix = switch (Character.toLowerCase(s.charAt(p + 1))) {
                case 'x' -> 16;
                case 'o' -> 8;
                default -> 2;
            };
            int q = p + 2;
            while (q < n && (Character.digit(s.charAt(q), radix) >= 0 || s.charAt(q) == '_')) {
                q++;
            }
            String digits = s.substring(p + 2, q).replace("_", "");
            if (digits.isEmpty()) {
                throw new JinjaSyntaxError("invalid number", p);
            }
            out.add(new JinjaToken(Kind.INT, s.substring(start, q), new BigInteger(digits, radix), start));
            return q;
        }
        int q = digits(p);
        boolean isFloat = false;
        if (!afterDot && q + 1 < n && s.charAt(q) == '.' && Character.isDigit(s.charAt(q + 1))) {
            q = digits(q + 1);
            isFloat = true;
        }
        if (!afterDot && q < n && (s.charAt(q) == 'e' || s.charAt(q) == 'E')) {
            int e = q + 1;
            if (e < n && (s.charAt(e) == '+' || s.charAt(e) == '-')) {
                e++;
            }
            if (e < n && Character.isDigit(s.charAt(e))) {
                q = digits(e);
                isFloat = true;
            }
        }
        String lit = s.substring(start, q).replace("_", "");
        if (isFloat) {
            out.add(new JinjaToken(Kind.FLOAT, s.substring(start, q), Double.parseDouble(lit), start));
        } else {
            out.add(new JinjaToken(Kind.INT, s.substring(start, q), new BigInteger(lit), start));
        }
        return q;
    }

    private int digits(int p) {
        while (p < n && (Character.isDigit(s.charAt(p)) || s.charAt(p) == '_' && p + 1 < n
                && Character.isDigit(s.charAt(p + 1)))) {
            p++;
        }
        return p;
    }

    /** A string literal, decoded as Python's unicode-escape codec decodes it (which is what Jinja does). */
    private int string(int p, char quote) throws JinjaSyntaxError {
        StringBuilder v = new StringBuilder();
        int q = p + 1;
        while (true) {
            if (q >= n) {
                throw new JinjaSyntaxError("unterminated string", p);
            }
            char c = s.charAt(q);
            if (c == quote) {
                break;
            }
            if (c != '\\') {
                if (c == '\r') {
                    v.append('\n');
                    if (q + 1 < n && s.charAt(q + 1) == '\n') {
                        q++;
                    }
                } else {
                    v.append(c);
                }
                q++;
                continue;
            }
            if (q + 1 >= n) {
                throw new JinjaSyntaxError("unterminated string", p);
            }
            char e = s.charAt(q + 1);
            q += 2;
            switch (e) {
                case '\n' -> {
                }
                case '\\', '\'', '"' -> v.append(e);
                case 'a' -> v.append('\u0007');
                case 'b' -> v.append('\b');
                case 'f' -> v.append('\f');
                case 'n' -> v.append('\n');
                case 'r' -> v.append('\r');
                case 't' -> v.append('\t');
                case 'v' -> v.append('\u000b');
                case 'x', 'u', 'U' -> {
                    int len = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    int cp = 0;
                    for (int k = 0; k < len; k++) {
                        int d = q + k < n ? Character.digit(s.charAt(q + k), 16) : -1;
                        if (d < 0) {
                            throw new JinjaSyntaxError("truncated \\" + e + " escape", q - 2);
                        }
                        cp = cp * 16 + d;
                    }
                    if (cp > Character.MAX_CODE_POINT || cp < 0) {
                        throw new JinjaSyntaxError("illegal Unicode character", q - 2);
                    }
                    v.appendCodePoint(cp);
                    q += len;
                }
                case 'N' -> {
                    int close = q < n && s.charAt(q) == '{' ? s.indexOf('}', q) : -1;
                    if (close < 0 || s.lastIndexOf(quote, close) > q) {
                        throw new JinjaSyntaxError("malformed \\N character escape", q - 2);
                    }
                    String name = s.substring(q + 1, close).strip();
                    // Only the name that matters for attribute names is decoded; others become U+FFFD,
                    // which the analysis treats as "cannot tell" when it ends up in a name.
                    v.append(name.equalsIgnoreCase("LOW LINE") || name.equalsIgnoreCase("SPACING UNDERSCORE") ? '_'
                            : '\ufffd');
                    q = close + 1;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int cp = e - '0';
                        for (int k = 0; k < 2 && q < n && s.charAt(q) >= '0' && s.charAt(q) <= '7'; k++) {
                            cp = cp * 8 + (s.charAt(q) - '0');
                            q++;
                        }
                        v.append((char) cp);
                    } else {
                        v.append('\\').append(e);
                    }
                }
            }
        }
        out.add(new JinjaToken(Kind.STRING, v.toString(), null, p));
        return q + 1;
    }
}
