package dev.laocoon.core.internal.pickle;

/** Python repr() of str and bytes, shortened to a budget. */
public final class Repr {
    private Repr() {
    }

    /** Python's {@code repr} of a whole str. */
    public static String of(String s) {
        StringBuilder sb = new StringBuilder();
        str(sb, s, Integer.MAX_VALUE, -1);
        return sb.toString();
    }

    static void str(StringBuilder sb, String s, int budget, long fullLength) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        sb.append(quote);
        int n = s.length();
        int shown = 0;
        for (int i = 0; i < n; i++) {
            if (shown >= budget) {
                sb.append("...");
                fullLength = Math.max(fullLength, n);
                break;
            }
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c == quote) {
                        sb.append('\\').append(c);
                    } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || Character.isSurrogate(c)) {
                        if (c < 0x100) {
                            sb.append(String.format("\\x%02x", (int) c));
                        } else {
                            sb.append(String.format("\\u%04x", (int) c));
                        }
                    } else {
                        sb.append(c);
                    }
                }
            }
            shown++;
        }
        sb.append(quote);
        if (fullLength >= 0) {
            sb.append("(").append(fullLength).append(" chars)");
        }
    }

    static void bytes(StringBuilder sb, byte[] data, int budget, long fullLength) {
        sb.append("b'");
        int shown = 0;
        for (byte b : data) {
            if (shown >= budget) {
                sb.append("...");
                fullLength = Math.max(fullLength, data.length);
                break;
            }
            int c = b & 0xff;
            if (c == '\\' || c == '\'') {
                sb.append('\\').append((char) c);
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c == '\t') {
                sb.append("\\t");
            } else if (c < 0x20 || c >= 0x7f) {
                sb.append(String.format("\\x%02x", c));
            } else {
                sb.append((char) c);
            }
            shown++;
        }
        sb.append('\'');
        if (fullLength >= 0) {
            sb.append("(").append(fullLength).append(" bytes)");
        }
    }
}
