package dev.laocoon.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Dockerfile lexer (BuildKit's syntax): parser directives at the top ({@code # escape=`},
 * {@code # syntax=...}), comment lines, line continuations with the escape character (comment and
 * empty lines inside a continued instruction skipped, as BuildKit does), here-documents for RUN,
 * COPY and ADD ({@code <<EOF}, {@code <<-EOF}, quoted delimiters, several per instruction), JSON
 * (exec) and shell forms, and the leading {@code --flag=value} options of an instruction.
 * Every character keeps its line and column.
 */
final class Dockerfile {
    private Dockerfile() {
    }

    /** A here-document: its delimiter and body. */
    record Heredoc(String delimiter, Src body) {
    }

    /**
     * One instruction: its keyword (upper case), the flags before its arguments
     * ({@code --mount=type=secret,id=x}), the arguments (after the flags), the exec form's words
     * when it is JSON, and its here-documents.
     */
    record Instruction(String keyword, int line, int column, List<String> flags, Src args, List<String> exec,
                       List<Heredoc> heredocs) {
        boolean hasFlag(String prefix) {
            for (String f : flags) {
                if (f.startsWith(prefix)) {
                    return true;
                }
            }
            return false;
        }
    }

    record Parsed(List<Instruction> instructions, char escape, String syntax) {
    }

    private static final Pattern DIRECTIVE = Pattern.compile("^#\\s*([A-Za-z]+)\\s*=\\s*(.*?)\\s*$");
    private static final Pattern HEREDOC = Pattern.compile("<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_.-]*)\\2");

    static Parsed parse(String text) {
        String[] lines = text.split("\n", -1);
        for (int k = 0; k < lines.length; k++) {
            if (lines[k].endsWith("\r")) {
                lines[k] = lines[k].substring(0, lines[k].length() - 1);
            }
        }
        char escape = '\\';
        String syntax = null;
        int i = 0;
        // parser directives: only at the very top, before any comment, blank line or instruction
        for (; i < lines.length; i++) {
            String l = i == 0 && lines[i].startsWith("\uFEFF") ? lines[i].substring(1) : lines[i];
            Matcher m = DIRECTIVE.matcher(l.trim());
            if (!m.matches()) {
                break;
            }
            String name = m.group(1).toLowerCase(Locale.ROOT);
            if (name.equals("escape") && (m.group(2).equals("`") || m.group(2).equals("\\"))) {
                escape = m.group(2).charAt(0);
            } else if (name.equals("syntax")) {
                syntax = m.group(2);
            } else if (!name.equals("check")) {
                break; // an unknown directive is a comment, and ends the directives
            }
        }
        List<Instruction> out = new ArrayList<>();
        while (i < lines.length) {
            String l = lines[i];
            String t = l.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                i++;
                continue;
            }
            int startLine = i + 1;
            Src src = new Src(startLine, 1);
            boolean first = true;
            while (true) {
                String cur = lines[i];
                if (!first) {
                    String ct = cur.strip();
                    if (ct.startsWith("#") || ct.isEmpty()) {
                        i++;
                        if (i >= lines.length) {
                            break;
                        }
                        continue;
                    }
                }
                first = false;
                int end = cur.length();
                while (end > 0 && (cur.charAt(end - 1) == ' ' || cur.charAt(end - 1) == '\t')) {
                    end--;
                }
                boolean continued = end > 0 && cur.charAt(end - 1) == escape;
                int upto = continued ? end - 1 : cur.length();
                for (int c = 0; c < upto; c++) {
                    src.add(cur.charAt(c), i + 1, c + 1);
                }
                i++;
                if (!continued || i >= lines.length) {
                    break;
                }
            }
            // keyword
            int p = 0;
            while (p < src.length() && Character.isWhitespace(src.charAt(p))) {
                p++;
            }
            int ks = p;
            while (p < src.length() && !Character.isWhitespace(src.charAt(p))) {
                p++;
            }
            String keyword = src.text().substring(ks, p).toUpperCase(Locale.ROOT);
            int kline = src.line(ks);
            int kcol = src.col(ks);
            while (p < src.length() && Character.isWhitespace(src.charAt(p))) {
                p++;
            }
            List<String> flags = new ArrayList<>();
            if (!keyword.equals("ONBUILD")) {
                while (src.text().startsWith("--", p)) {
                    int fs = p;
                    while (p < src.length() && !Character.isWhitespace(src.charAt(p))) {
                        p++;
                    }
                    flags.add(src.text().substring(fs, p));
                    while (p < src.length() && Character.isWhitespace(src.charAt(p))) {
                        p++;
                    }
                }
            }
            Src args = src.from(p);
            List<Heredoc> heredocs = new ArrayList<>();
            if (keyword.equals("RUN") || keyword.equals("COPY") || keyword.equals("ADD")) {
                Matcher m = HEREDOC.matcher(args.text());
                while (m.find()) {
                    boolean strip = !m.group(1).isEmpty();
                    String delim = m.group(3);
                    Src body = new Src(i + 1, 1);
                    while (i < lines.length) {
                        String bl = lines[i];
                        String cmp = strip ? bl.replaceFirst("^\t+", "") : bl;
                        if (cmp.equals(delim)) {
                            i++;
                            break;
                        }
                        int from = strip ? bl.length() - cmp.length() : 0;
                        for (int c = from; c < bl.length(); c++) {
                            body.add(bl.charAt(c), i + 1, c + 1);
                        }
                        body.add('\n', i + 1, bl.length() + 1);
                        i++;
                    }
                    heredocs.add(new Heredoc(delim, body));
                }
            }
            out.add(new Instruction(keyword, kline, kcol, flags, args, jsonArray(args.text()), heredocs));
        }
        return new Parsed(out, escape, syntax);
    }

    /** The exec form's strings, or null when the arguments are not a JSON array of strings (then they are the shell form). */
    static List<String> jsonArray(String s) {
        String t = s.strip();
        if (!t.startsWith("[") || !t.endsWith("]")) {
            return null;
        }
        List<String> out = new ArrayList<>();
        int i = 1;
        int n = t.length() - 1;
        boolean expectValue = true;
        while (true) {
            while (i < n && Character.isWhitespace(t.charAt(i))) {
                i++;
            }
            if (i >= n) {
                return expectValue && !out.isEmpty() ? null : out;
            }
            char c = t.charAt(i);
            if (expectValue) {
                if (c != '"') {
                    return null;
                }
                StringBuilder b = new StringBuilder();
                i++;
                while (i < n && t.charAt(i) != '"') {
                    char d = t.charAt(i);
                    if (d == '\\' && i + 1 < n) {
                        char e = t.charAt(++i);
                        switch (e) {
                            case 'n' -> b.append('\n');
                            case 't' -> b.append('\t');
                            case 'r' -> b.append('\r');
                            case 'b' -> b.append('\b');
                            case 'f' -> b.append('\f');
                            case 'u' -> {
                                if (i + 4 >= n) {
                                    return null;
                                }
                                try {
                                    b.append((char) Integer.parseInt(t.substring(i + 1, i + 5), 16));
                                } catch (NumberFormatException x) {
                                    return null;
                                }
                                i += 4;
                            }
                            default -> b.append(e);
                        }
                    } else {
                        b.append(d);
                    }
                    i++;
                }
                if (i >= n) {
                    return null;
                }
                i++;
                out.add(b.toString());
                expectValue = false;
            } else {
                if (c != ',') {
                    return null;
                }
                i++;
                expectValue = true;
            }
        }
    }
}
