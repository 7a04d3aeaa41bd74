package dev.laocoon.core.report;

/**
 * Makes text from scanned files safe to print on a terminal. File names, template excerpts,
 * tensor names and other strings a hostile file controls could otherwise carry escape sequences
 * that erase or rewrite report lines, set the window title, or reorder text (bidirectional
 * controls). Control characters (C0, DEL, C1), bidirectional and zero-width format characters
 * and lone surrogates are shown as {@code \xNN} or {@code \\uNNNN}; everything else is unchanged.
 */
public final class Printable {
    private Printable() {
    }

    public static String of(String s) {
        if (s == null) {
            return "null";
        }
        int i = 0;
        while (i < s.length() && !unsafe(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length() + 16).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(++i));
            } else if (c == '\t') {
                sb.append("\\t");
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (unsafe(c)) {
                sb.append(c < 0x100 ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** As {@link #of}, but line breaks are kept (for multi-line text such as explanations). */
    public static String lines(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder(s.length() + 16);
        int from = 0;
        for (int nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', from)) {
            sb.append(of(s.substring(from, nl))).append('\n');
            from = nl + 1;
        }
        return sb.append(of(s.substring(from))).toString();
    }

    private static boolean unsafe(char c) {
        return c < 0x20 || (c >= 0x7f && c < 0xa0) || (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e)
                || (c >= 0x2066 && c <= 0x2069) || c == 0xfeff || Character.isSurrogate(c);
    }
}
