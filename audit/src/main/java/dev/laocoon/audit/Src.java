package dev.laocoon.audit;

import java.util.Arrays;

/** Text with the file line and column (1-based) of each of its characters, for findings inside it. */
final class Src {
    private final StringBuilder text = new StringBuilder();
    private int[] lines = new int[64];
    private int[] cols = new int[64];
    private final int fallbackLine;
    private final int fallbackCol;

    Src(int fallbackLine, int fallbackCol) {
        this.fallbackLine = fallbackLine;
        this.fallbackCol = fallbackCol;
    }

    /** Text whose characters all sit at one place (a value whose layout in the file is not followed). */
    static Src flat(String s, int line, int col) {
        Src r = new Src(line, col);
        for (int i = 0; i < s.length(); i++) {
            r.add(s.charAt(i), line, col);
        }
        return r;
    }

    void add(char c, int line, int col) {
        int n = text.length();
        if (n == lines.length) {
            lines = Arrays.copyOf(lines, n * 2);
            cols = Arrays.copyOf(cols, n * 2);
        }
        text.append(c);
        lines[n] = line;
        cols[n] = col;
    }

    int length() {
        return text.length();
    }

    char charAt(int i) {
        return text.charAt(i);
    }

    String text() {
        return text.toString();
    }

    /** The characters from {@code from} on, keeping their places. */
    Src from(int from) {
        Src r = new Src(line(from), col(from));
        for (int i = from; i < text.length(); i++) {
            r.add(text.charAt(i), lines[i], cols[i]);
        }
        return r;
    }

    /** The characters {@code [from, to)}, keeping their places. */
    Src slice(int from, int to) {
        Src r = new Src(line(from), col(from));
        for (int i = from; i < to && i < text.length(); i++) {
            r.add(text.charAt(i), lines[i], cols[i]);
        }
        return r;
    }

    int line(int i) {
        return i >= 0 && i < text.length() ? lines[i] : (text.length() > 0 && i >= text.length() ? lines[text.length() - 1] : fallbackLine);
    }

    int col(int i) {
        return i >= 0 && i < text.length() ? cols[i] : (text.length() > 0 && i >= text.length() ? cols[text.length() - 1] : fallbackCol);
    }
}
