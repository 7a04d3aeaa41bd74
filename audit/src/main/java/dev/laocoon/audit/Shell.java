package dev.laocoon.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A small POSIX shell tokenizer, enough to see what a RUN step or CI script runs: words with quote
 * removal (single, double, backslash), command and process substitutions tokenized as nested
 * scripts, pipelines ({@code |}, {@code |&}) and lists ({@code ;}, {@code &&}, {@code ||},
 * {@code &}, newlines), redirections (their targets are not arguments), here-documents (their
 * bodies are data, skipped) and comments. Nothing is expanded and nothing runs.
 */
final class Shell {
    private Shell() {
    }

    /** A word: its text after quote removal, where it starts, and the scripts substituted into it. */
    record Word(String text, int start, List<Pipeline> substitutions) {
    }

    /** A simple command: its words (assignments and redirections left out). */
    record Command(List<Word> words) {
        /** The program run: the first word after assignments and prefixes such as sudo and env, as a base name. */
        Word program() {
            int i = programIndex();
            return i < 0 ? null : words.get(i);
        }

        int programIndex() {
            for (int i = 0; i < words.size(); i++) {
                String w = words.get(i).text();
                if (assignment(w) || KEYWORDS.contains(w)) {
                    continue;
                }
                if (PREFIXES.contains(base(w)) && i + 1 < words.size()) {
                    // their options (sudo -u x, env -i) are skipped with them
                    while (i + 1 < words.size() && words.get(i + 1).text().startsWith("-")) {
                        i++;
                        if (base(w).equals("sudo") && (words.get(i).text().equals("-u") || words.get(i).text().equals("-g"))) {
                            i++;
                        }
                    }
                    continue;
                }
                return i;
            }
            return -1;
        }

        String name() {
            Word p = program();
            return p == null ? "" : base(p.text());
        }

        /** Words after the program. */
        List<Word> args() {
            int i = programIndex();
            return i < 0 ? List.of() : words.subList(i + 1, words.size());
        }
    }

    /** Commands joined by pipes. */
    record Pipeline(List<Command> commands) {
    }

    static final Set<String> KEYWORDS = Set.of("if", "then", "else", "elif", "fi", "do", "done", "while", "until",
            "for", "case", "esac", "!", "{", "}", "in");
    static final Set<String> PREFIXES = Set.of("sudo", "env", "exec", "nohup", "time", "command", "builtin", "nice",
            "doas");

    static boolean assignment(String w) {
        int eq = w.indexOf('=');
        if (eq <= 0) {
            return false;
        }
        for (int i = 0; i < eq; i++) {
            char c = w.charAt(i);
            if (!(Character.isLetter(c) || c == '_' || (i > 0 && Character.isDigit(c)))) {
                return false;
            }
        }
        return true;
    }

    static String base(String w) {
        int s = w.lastIndexOf('/');
        return s >= 0 ? w.substring(s + 1) : w;
    }

    /** Every pipeline of the script, the substituted ones included (after those of the top level). */
    static List<Pipeline> all(String script) {
        List<Pipeline> top = parse(script);
        List<Pipeline> out = new ArrayList<>();
        collect(top, out, 0);
        return out;
    }

    private static void collect(List<Pipeline> ps, List<Pipeline> out, int depth) {
        for (Pipeline p : ps) {
            out.add(p);
            if (depth < MAX_DEPTH) {
                for (Command c : p.commands()) {
                    for (Word w : c.words()) {
                        collect(w.substitutions(), out, depth + 1);
                    }
                }
            }
        }
    }

    /** Substitutions are tokenized this deep; a script that nests deeper is not fully analysed. */
    static final int MAX_DEPTH = 16;

    /** True when the script nests command or process substitutions deeper than {@link #MAX_DEPTH} (a rough count). */
    static boolean tooDeep(String s) {
        int d = 0;
        for (int i = 0; i + 1 < s.length(); i++) {
            char c = s.charAt(i);
            if ((c == '$' || c == '<' || c == '>') && s.charAt(i + 1) == '(') {
                if (++d > MAX_DEPTH) {
                    return true;
                }
                i++;
            } else if (c == ')' && d > 0) {
                d--;
            }
        }
        return false;
    }

    static List<Pipeline> parse(String s) {
        return new Parser(s, 0, 0).run();
    }

    private static final class Parser {
        private final String s;
        private final int base;
        private final int depth;
        private int i;
        private final List<Pipeline> pipelines = new ArrayList<>();
        private List<Command> commands = new ArrayList<>();
        private List<Word> words = new ArrayList<>();
        private StringBuilder word;
        private int wordStart;
        private List<Pipeline> subs = new ArrayList<>();
        private boolean redirectTarget;
        private final List<String> pendingHeredocs = new ArrayList<>();
        private boolean heredocDelimiterNext;
        private boolean heredocStripTabs;

        Parser(String s, int base, int depth) {
            this.s = s;
            this.base = base;
            this.depth = depth;
        }

        List<Pipeline> run() {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == ' ' || c == '\t' || c == '\r') {
                    endWord();
                    i++;
                } else if (c == '\n') {
                    endWord();
                    endPipeline();
                    i++;
                    skipHeredocBodies();
                } else if (c == '#' && word == null) {
                    while (i < s.length() && s.charAt(i) != '\n') {
                        i++;
                    }
                } else if (c == '\\') {
                    if (i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                        i += 2; // a line continuation
                    } else {
                        start();
                        if (i + 1 < s.length()) {
                            word.append(s.charAt(i + 1));
                        }
                        i += 2;
                    }
                } else if (c == '\'') {
                    start();
                    int e = s.indexOf('\'', i + 1);
                    e = e < 0 ? s.length() : e;
                    word.append(s, i + 1, e);
                    i = e + 1;
                } else if (c == '"') {
                    start();
                    i++;
                    while (i < s.length() && s.charAt(i) != '"') {
                        char d = s.charAt(i);
                        if (d == '\\' && i + 1 < s.length() && "$`\"\\\n".indexOf(s.charAt(i + 1)) >= 0) {
                            if (s.charAt(i + 1) != '\n') {
                                word.append(s.charAt(i + 1));
                            }
                            i += 2;
                        } else if (d == '$' && i + 1 < s.length() && s.charAt(i + 1) == '(') {
                            substitution(i + 2, ')');
                        } else if (d == '`') {
                            backtick();
                        } else {
                            word.append(d);
                            i++;
                        }
                    }
                    i++;
                } else if (c == '$' && i + 1 < s.length() && s.charAt(i + 1) == '(') {
                    start();
                    substitution(i + 2, ')');
                } else if (c == '`') {
                    start();
                    backtick();
                } else if ((c == '<' || c == '>') && i + 1 < s.length() && s.charAt(i + 1) == '(' && word == null) {
                    start(); // process substitution: a word naming a file the nested script writes or reads
                    substitution(i + 2, ')');
                } else if (c == '<' || c == '>') {
                    if (word != null && isDigits(word)) {
                        word = null; // a file descriptor number (2>&1)
                    }
                    endWord();
                    if (c == '<' && s.startsWith("<<", i) && !s.startsWith("<<<", i)) {
                        i += 2;
                        heredocStripTabs = i < s.length() && s.charAt(i) == '-';
                        if (heredocStripTabs) {
                            i++;
                        }
                        heredocDelimiterNext = true;
                    } else {
                        while (i < s.length() && "<>&|".indexOf(s.charAt(i)) >= 0) {
                            i++;
                        }
                        if (i < s.length() && s.charAt(i) == '-' ) {
                            i++;
                        }
                    }
                    redirectTarget = true;
                } else if (c == '|') {
                    endWord();
                    if (i + 1 < s.length() && s.charAt(i + 1) == '|') {
                        endPipeline();
                        i += 2;
                    } else {
                        endCommand();
                        i += i + 1 < s.length() && s.charAt(i + 1) == '&' ? 2 : 1;
                    }
                } else if (c == '&' || c == ';') {
                    endWord();
                    endPipeline();
                    i += i + 1 < s.length() && (s.charAt(i + 1) == c) ? 2 : 1;
                } else if (c == '(' || c == ')') {
                    endWord();
                    endPipeline();
                    i++;
                } else {
                    start();
                    word.append(c);
                    i++;
                }
            }
            endWord();
            endPipeline();
            return pipelines;
        }

        private static boolean isDigits(StringBuilder b) {
            if (b.length() == 0) {
                return false;
            }
            for (int k = 0; k < b.length(); k++) {
                if (!Character.isDigit(b.charAt(k))) {
                    return false;
                }
            }
            return true;
        }

        private void start() {
            if (word == null) {
                word = new StringBuilder();
                wordStart = base + i;
            }
        }

        /** {@code $(...)} or {@code <(...)}: up to the matching parenthesis, tokenized as a script of its own. */
        private void substitution(int from, char close) {
            int d = 1;
            int k = from;
            char quote = 0;
            while (k < s.length()) {
                char x = s.charAt(k);
                if (quote != 0) {
                    if (x == quote) {
                        quote = 0;
                    } else if (x == '\\' && quote == '"') {
                        k++;
                    }
                } else if (x == '\'' || x == '"') {
                    quote = x;
                } else if (x == '\\') {
                    k++;
                } else if (x == '(') {
                    d++;
                } else if (x == close && --d == 0) {
                    break;
                }
                k++;
            }
            int end = Math.min(k, s.length());
            if (depth < MAX_DEPTH) {
                subs.addAll(new Parser(s.substring(from, end), base + from, depth + 1).run());
            }
            word.append("$(").append(s, from, end).append(')');
            i = end + 1;
        }

        private void backtick() {
            int e = s.indexOf('`', i + 1);
            e = e < 0 ? s.length() : e;
            if (depth < MAX_DEPTH) {
                subs.addAll(new Parser(s.substring(i + 1, e), base + i + 1, depth + 1).run());
            }
            word.append('`').append(s, i + 1, e).append('`');
            i = e + 1;
        }

        private void endWord() {
            if (word == null) {
                return;
            }
            if (heredocDelimiterNext) {
                pendingHeredocs.add((heredocStripTabs ? "-" : "") + word);
                heredocDelimiterNext = false;
            } else if (!redirectTarget) {
                words.add(new Word(word.toString(), wordStart, subs));
            } else if (!subs.isEmpty()) {
                words.add(new Word("", wordStart, subs)); // > $(cmd): the substitution still runs
            }
            redirectTarget = false;
            word = null;
            subs = new ArrayList<>();
        }

        private void endCommand() {
            if (!words.isEmpty()) {
                commands.add(new Command(words));
            }
            words = new ArrayList<>();
        }

        private void endPipeline() {
            endCommand();
            if (!commands.isEmpty()) {
                pipelines.add(new Pipeline(commands));
            }
            commands = new ArrayList<>();
        }

        /** Here-document bodies begin after the line that opened them: they are data, not commands. */
        private void skipHeredocBodies() {
            for (String h : pendingHeredocs) {
                boolean strip = h.startsWith("-");
                String delim = strip ? h.substring(1) : h;
                while (i < s.length()) {
                    int e = s.indexOf('\n', i);
                    int end = e < 0 ? s.length() : e;
                    String line = s.substring(i, end);
                    i = e < 0 ? s.length() : e + 1;
                    if ((strip ? line.replaceFirst("^\t+", "") : line).equals(delim)) {
                        break;
                    }
                }
            }
            pendingHeredocs.clear();
        }
    }
}
