package dev.laocoon.core.internal.pickle;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;

/**
 * Parsing of the text operands of protocol 0 opcodes exactly as CPython's C unpickler accepts
 * them: {@code strtol(s, &end, 0)} then {@code int(s, 0)} for INT, {@code int(s, 0)} for LONG,
 * {@code int(s, 10)} for GET/PUT, {@code PyOS_string_to_double} for FLOAT, bytes escapes for
 * STRING and raw-unicode-escape for UNICODE. Each method returns null when CPython would raise.
 * Lines are passed without their trailing newline; CPython sees them NUL-terminated, so parsing
 * stops at an embedded NUL byte.
 */
final class TextOperands {
    private TextOperands() {
    }

    /** The line up to (not including) the first NUL, as C string functions see it. */
    private static int cLength(byte[] s) {
        for (int i = 0; i < s.length; i++) {
            if (s[i] == 0) {
                return i;
            }
        }
        return s.length;
    }

    private static boolean isCSpace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000b' || c == '\f' || c == '\r';
    }

    /** INT: C strtol with base 0, falling back to Python's int(s, 0). Returns Boolean for "00"/"01" forms. */
    static Object parseIntOpcode(byte[] line) {
        int n = cLength(line);
        // strtol(s, &endptr, 0); accepted when *endptr is '\n' or '\0' (end of our line) and no overflow.
        int i = 0;
        while (i < n && isCSpace(line[i])) {
            i++;
        }
        boolean neg = false;
        if (i < n && (line[i] == '+' || line[i] == '-')) {
            neg = line[i] == '-';
            i++;
        }
        int base = 10;
        int digitsStart = i;
        if (i + 1 < n && line[i] == '0' && (line[i + 1] == 'x' || line[i + 1] == 'X') && i + 2 < n && digit(line[i + 2], 16) >= 0) {
            base = 16;
            i += 2;
            digitsStart = i;
        } else if (i < n && line[i] == '0') {
            base = 8;
        }
        BigInteger v = BigInteger.ZERO;
        int j = digitsStart;
        boolean overflow = false;
        while (j < n && digit(line[j], base) >= 0) {
            if (!overflow) {
                v = v.multiply(BigInteger.valueOf(base)).add(BigInteger.valueOf(digit(line[j], base)));
                overflow = v.bitLength() > 64; // strtol's ERANGE; stop the arithmetic, keep scanning
            }
            j++;
        }
        boolean converted = j > digitsStart;
        if (!converted && n == 0) {
            // strtol converted nothing and *endptr is the NUL at the start: CPython accepts 0
            return line.length == 2 ? (Object) Boolean.FALSE : BigInteger.ZERO;
        }
        int end = converted ? j : 0;
        if (converted && end == n) {
            if (neg) {
                v = v.negate();
            }
            if (v.bitLength() < 64) {
                // On LP64 a long holds it: no ERANGE.
                if (line.length == 2 && (v.signum() == 0 || v.equals(BigInteger.ONE))) {
                    return v.signum() != 0;
                }
                return v;
            }
        }
        // PyLong_FromString(s, NULL, 0)
        return pyLong(line, n, 0);
    }

    /** LONG: strip a trailing 'L', then int(s, 0). */
    static BigInteger parseLongOpcode(byte[] line) {
        byte[] s = line;
        if (s.length >= 1 && s[s.length - 1] == 'L') {
            s = java.util.Arrays.copyOf(s, s.length - 1);
        }
        return pyLong(s, cLength(s), 0);
    }

    /** GET/PUT: int(s, 10) as a memo index; null when CPython would raise (including overflow). */
    static Long parseMemoIndex(byte[] line) {
        BigInteger v = pyLong(line, cLength(line), 10);
        if (v == null || v.bitLength() >= 64) {
            return null;
        }
        return v.longValue();
    }

    /**
     * CPython's default limit on the digits of an int parsed in a base that is not a power of
     * two (sys.int_info.default_max_str_digits, since 3.11 and 3.10.7). A process can change it
     * (sys.set_int_max_str_digits, PYTHONINTMAXSTRDIGITS); loaders run with the default.
     */
    static final int MAX_STR_DIGITS = 4300;

    /** PyLong_FromString over the first n bytes (trailing whitespace allowed). */
    static BigInteger pyLong(byte[] s, int n, int base) {
        int i = 0;
        while (i < n && isPySpace(s[i])) {
            i++;
        }
        boolean neg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            neg = s[i] == '-';
            i++;
        }
        boolean prefixed = false;
        boolean decimalZeroRule = false;
        if (base == 0) {
            if (i + 1 < n && s[i] == '0') {
                int p = s[i + 1] | 0x20;
                if (p == 'x') {
                    base = 16;
                } else if (p == 'o') {
                    base = 8;
                } else if (p == 'b') {
                    base = 2;
                }
                if (base != 0) {
                    i += 2;
                    prefixed = true;
                }
            }
            if (base == 0) {
                base = 10;
                decimalZeroRule = true;
            }
        }
        // digits with single underscores between them (one allowed right after a base prefix)
        StringBuilder digits = new StringBuilder();
        boolean lastUnderscore = prefixed;
        boolean any = false;
        if (prefixed && i < n && s[i] == '_') {
            i++;
            lastUnderscore = true;
            if (i >= n || digit(s[i], base) < 0) {
                return null;
            }
        }
        lastUnderscore = false;
        while (i < n) {
            int c = s[i];
            if (c == '_') {
                if (lastUnderscore || !any) {
                    return null;
                }
                lastUnderscore = true;
                i++;
                continue;
            }
            int d = digit(c, base);
            if (d < 0) {
                break;
            }
            digits.append((char) c);
            any = true;
            lastUnderscore = false;
            i++;
        }
        if (!any || lastUnderscore) {
            return null;
        }
        while (i < n && isPySpace(s[i])) {
            i++;
        }
        if (i != n) {
            return null;
        }
        if (decimalZeroRule && digits.charAt(0) == '0' && !digits.toString().matches("0+")) {
            return null; // int('012', 0) is an error
        }
        if (Integer.bitCount(base) != 1 && digits.length() > MAX_STR_DIGITS) {
            return null; // ValueError: Exceeds the limit (4300 digits) for integer string conversion
        }
        BigInteger v;
        if (digits.length() > MAX_STR_DIGITS) {
            // power-of-two base: CPython accepts any length; keep the magnitude without quadratic work
            int bits = Integer.numberOfTrailingZeros(base);
            v = new BigInteger(digits.substring(0, MAX_STR_DIGITS), base)
                    .shiftLeft(bits * (digits.length() - MAX_STR_DIGITS));
        } else {
            v = new BigInteger(digits.toString(), base);
        }
        return neg ? v.negate() : v;
    }

    /** Py_ISSPACE: the ASCII whitespace of C (not 0x1c..0x1f, which only str.isspace() accepts). */
    private static boolean isPySpace(int c) {
        return isCSpace(c);
    }

    private static int digit(int c, int base) {
        int d;
        if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if (c >= 'a' && c <= 'z') {
            d = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'Z') {
            d = c - 'A' + 10;
        } else {
            return -1;
        }
        return d < base ? d : -1;
    }

    /** FLOAT: PyOS_string_to_double with the rest of the line empty; null on error or overflow. */
    static Double parseFloat(byte[] line) {
        int n = cLength(line);
        String s = new String(line, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1);
        int i = 0;
        int start = 0;
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            i++;
        }
        String rest = s.substring(i).toLowerCase(java.util.Locale.ROOT);
        boolean neg = s.startsWith("-");
        if (rest.startsWith("inf") || rest.startsWith("nan")) {
            int len = rest.startsWith("infinity") ? 8 : 3;
            if (i + len != n) {
                return null;
            }
            if (rest.startsWith("nan")) {
                return Double.NaN;
            }
            return neg ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        int digits = 0;
        while (i < n && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) {
            i++;
            digits++;
        }
        if (i < n && s.charAt(i) == '.') {
            i++;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
                digits++;
            }
        }
        if (digits == 0) {
            return null;
        }
        int mantEnd = i;
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            int j = i + 1;
            if (j < n && (s.charAt(j) == '+' || s.charAt(j) == '-')) {
                j++;
            }
            int ed = 0;
            while (j < n && s.charAt(j) >= '0' && s.charAt(j) <= '9') {
                j++;
                ed++;
            }
            if (ed > 0) {
                mantEnd = j;
            }
        }
        if (mantEnd != n) {
            return null;
        }
        double d;
        try {
            d = Double.parseDouble(s.substring(start, mantEnd));
        } catch (NumberFormatException e) {
            return null;
        }
        if (Double.isInfinite(d)) {
            return null; // OverflowError
        }
        return d;
    }

    /** STRING: the quoted body decoded with Python bytes escapes; null on a bad escape. */
    static byte[] decodeStringEscapes(byte[] s, int from, int to) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
        int i = from;
        while (i < to) {
            int c = s[i] & 0xff;
            if (c != '\\') {
                out.write(c);
                i++;
                continue;
            }
            i++;
            if (i >= to) {
                return null; // "Trailing \ in string"
            }
            c = s[i++] & 0xff;
            switch (c) {
                case '\n' -> { }
                case '\\' -> out.write('\\');
                case '\'' -> out.write('\'');
                case '"' -> out.write('"');
                case 'b' -> out.write('\b');
                case 'f' -> out.write('\f');
                case 't' -> out.write('\t');
                case 'n' -> out.write('\n');
                case 'r' -> out.write('\r');
                case 'v' -> out.write(0x0b);
                case 'a' -> out.write(0x07);
                case '0', '1', '2', '3', '4', '5', '6', '7' -> {
                    int v = c - '0';
                    for (int k = 0; k < 2 && i < to && s[i] >= '0' && s[i] <= '7'; k++) {
                        v = v * 8 + (s[i++] - '0');
                    }
                    out.write(v & 0xff);
                }
                case 'x' -> {
                    if (i + 1 < to && digit(s[i], 16) >= 0 && digit(s[i + 1], 16) >= 0) {
                        out.write(digit(s[i], 16) * 16 + digit(s[i + 1], 16));
                        i += 2;
                    } else {
                        return null; // invalid \x escape
                    }
                }
                default -> {
                    out.write('\\');
                    out.write(c);
                }
            }
        }
        return out.toByteArray();
    }

    /** UNICODE: raw-unicode-escape; null when a \\u or \\U escape is truncated or out of range. */
    static String decodeRawUnicodeEscape(byte[] s) {
        StringBuilder sb = new StringBuilder(s.length);
        int i = 0;
        int n = s.length;
        while (i < n) {
            int c = s[i++] & 0xff;
            if (c != '\\' || i >= n) {
                sb.append((char) c);
                continue;
            }
            c = s[i++] & 0xff;
            int count;
            if (c == 'u') {
                count = 4;
            } else if (c == 'U') {
                count = 8;
            } else {
                sb.append('\\').append((char) c);
                continue;
            }
            long ch = 0;
            for (; count > 0; count--, i++) {
                if (i >= n) {
                    return null;
                }
                int d = digit(s[i], 16);
                if (d < 0) {
                    return null;
                }
                ch = (ch << 4) + d;
            }
            if (ch > 0x10ffff) {
                return null;
            }
            sb.appendCodePoint((int) ch);
        }
        return sb.toString();
    }
}
