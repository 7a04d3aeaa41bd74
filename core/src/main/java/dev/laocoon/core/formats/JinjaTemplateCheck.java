package dev.laocoon.core.formats;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Static checks of a Jinja template (a GGUF chat template) without rendering it: a lexer that
 * follows Jinja's delimiters, strings and operators, then rules over the token stream. What a
 * sandbox escape needs is reported: attributes that are dunders or start with an underscore
 * (by dot, by a string subscript, or through the {@code attr} filter), attribute access on the
 * template globals known as gadgets, and {@code import}/{@code include}/{@code extends}.
 */
public final class JinjaTemplateCheck {
    private static final Set<String> GADGETS = Set.of("cycler", "joiner", "namespace", "lipsum", "self", "config",
            "request", "url_for", "get_flashed_messages");
    private static final Set<String> LOADING = Set.of("import", "include", "extends", "from");

    /** A problem: its severity word ("malicious" or "suspicious"), message and offset in the template. */
    public record Problem(boolean malicious, String message, int offset) {
    }

    private enum T { NAME, STRING, NUMBER, OP, BLOCK_START, BLOCK_END }

    private record Tok(T type, String text, int offset) {
    }

    private JinjaTemplateCheck() {
    }

    public static List<Problem> check(String template) {
        List<Problem> out = new ArrayList<>();
        List<Tok> toks = new ArrayList<>();
        if (!lex(template, toks, out)) {
            return out;
        }
        for (int i = 0; i < toks.size(); i++) {
            Tok t = toks.get(i);
            Tok next = i + 1 < toks.size() ? toks.get(i + 1) : null;
            Tok prev = i > 0 ? toks.get(i - 1) : null;
            if (t.type() == T.OP && t.text().equals(".") && next != null && next.type() == T.NAME
                    && next.text().startsWith("_")) {
                out.add(new Problem(true, "reads the attribute '" + next.text() + "'", next.offset()));
            }
            if (t.type() == T.OP && t.text().equals("[") && next != null && next.type() == T.STRING) {
                String s = next.text();
                Tok after = i + 2 < toks.size() ? toks.get(i + 2) : null;
                if (s.startsWith("_") || (after != null && after.type() == T.OP && (after.text().equals("~")
                        || after.text().equals("+")))) {
                    out.add(new Problem(true, "reads the attribute or key '" + s + "' by subscript", next.offset()));
                }
            }
            if (t.type() == T.STRING && (t.text().matches("_+") || t.text().contains("__")
                    || t.text().contains("%c") || t.text().matches(".*\\\\x5[fF].*"))) {
                // pieces of dunder names assembled at render time ('_' * 2 ~ 'class' ~ ...), or char formatting
                out.add(new Problem(false, "string '" + t.text() + "' looks like a piece of a dunder name", t.offset()));
            }
            if (t.type() == T.OP && t.text().equals("|") && next != null && next.type() == T.NAME
                    && next.text().equals("attr")) {
                out.add(new Problem(true, "uses the attr filter to read attributes by name", next.offset()));
            }
            if (t.type() == T.NAME && GADGETS.contains(t.text()) && next != null && next.type() == T.OP
                    && (next.text().equals(".") || next.text().equals("["))
                    && (prev == null || !(prev.type() == T.OP && prev.text().equals(".")))) {
                out.add(new Problem(true, "reaches into the template global '" + t.text() + "'", t.offset()));
            }
            if (t.type() == T.BLOCK_START && next != null && next.type() == T.NAME && LOADING.contains(next.text())) {
                out.add(new Problem(true, "'" + next.text() + "' loads another template", next.offset()));
            }
        }
        return out;
    }

    /** Splits the template into tokens inside {{ }}, {% %}; skips text and {# #} comments. */
    private static boolean lex(String s, List<Tok> out, List<Problem> problems) {
        int i = 0;
        int n = s.length();
        while (i < n) {
            int open = s.indexOf('{', i);
            if (open < 0 || open + 1 >= n) {
                return true;
            }
            char c = s.charAt(open + 1);
            if (c == '#') {
                int close = s.indexOf("#}", open + 2);
                if (close < 0) {
                    problems.add(new Problem(false, "unterminated comment", open));
                    return false;
                }
                i = close + 2;
                continue;
            }
            if (c != '{' && c != '%') {
                i = open + 1;
                continue;
            }
            String end = c == '{' ? "}}" : "%}";
            out.add(new Tok(T.BLOCK_START, c == '{' ? "{{" : "{%", open));
            int p = open + 2;
            if (p < n && (s.charAt(p) == '-' || s.charAt(p) == '+')) {
                p++;
            }
            boolean closed = false;
            while (p < n) {
                char ch = s.charAt(p);
                if (Character.isWhitespace(ch)) {
                    p++;
                } else if ((ch == '-' || ch == '+') && s.startsWith(end, p + 1) || s.startsWith(end, p)) {
                    p = s.indexOf(end, p) + 2;
                    closed = true;
                    break;
                } else if (Character.isLetter(ch) || ch == '_') {
                    int q = p;
                    while (q < n && (Character.isLetterOrDigit(s.charAt(q)) || s.charAt(q) == '_')) {
                        q++;
                    }
                    out.add(new Tok(T.NAME, s.substring(p, q), p));
                    p = q;
                } else if (Character.isDigit(ch)) {
                    int q = p;
                    while (q < n && (Character.isLetterOrDigit(s.charAt(q)) || s.charAt(q) == '.' || s.charAt(q) == '_')) {
                        q++;
                    }
                    out.add(new Tok(T.NUMBER, s.substring(p, q), p));
                    p = q;
                } else if (ch == '\'' || ch == '"') {
                    StringBuilder v = new StringBuilder();
                    int q = p + 1;
                    while (q < n && s.charAt(q) != ch) {
                        if (s.charAt(q) == '\\' && q + 1 < n) {
                            q++;
                            char e = s.charAt(q);
                            int hex = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
                            if (hex > 0 && q + hex < n) {
                                // '\x5f\x5fclass\x5f\x5f' is '__class__': decode escapes before judging
                                try {
                                    v.appendCodePoint(Integer.parseInt(s.substring(q + 1, q + 1 + hex), 16));
                                    q += hex;
                                } catch (IllegalArgumentException bad) {
                                    v.append(e);
                                }
                            } else {
                                v.append(switch (e) {
                                    case 'n' -> '\n';
                                    case 't' -> '\t';
                                    default -> e;
                                });
                            }
                        } else {
                            v.append(s.charAt(q));
                        }
                        q++;
                    }
                    if (q >= n) {
                        problems.add(new Problem(false, "unterminated string", p));
                        return false;
                    }
                    out.add(new Tok(T.STRING, v.toString(), p));
                    p = q + 1;
                } else {
                    out.add(new Tok(T.OP, String.valueOf(ch), p));
                    p++;
                }
            }
            if (!closed) {
                problems.add(new Problem(false, "unterminated " + (c == '{' ? "{{" : "{%") + " block", open));
                return false;
            }
            out.add(new Tok(T.BLOCK_END, end, p - 2));
            i = p;
        }
        return true;
    }
}
