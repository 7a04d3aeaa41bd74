package dev.laocoon.core.internal.pickle;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random pickle streams for the differential test: well-formed pickles of protocols 0 to 5 made
 * of many opcode kinds (imports, calls, memo, text operands with tricky literals, frames that
 * tell the truth or lie, several pickles per stream), optionally mutated afterwards. A stream is
 * kept as a list of chunks (one opcode with its operands, or a frame header) so that mutations
 * can also work on whole opcodes.
 */
final class PickleGenerator {
    /** What a generated value is, as far as later opcodes care. */
    private enum Kind { SCALAR, STR, BYTES, LIST, TUPLE, DICT, SET, FROZENSET, GLOBAL, OBJECT }

    private record V(Kind kind, boolean hashable) {
    }

    static final String[][] NAMES = {
        {"os", "system"}, {"builtins", "eval"}, {"__builtin__", "getattr"}, {"copy_reg", "_reconstructor"},
        {"torch._utils", "_rebuild_tensor_v2"}, {"collections", "OrderedDict"}, {"numpy.core.multiarray", "_reconstruct"},
        {"posix", "system"}, {"m\u00f3dulo", "na\u00efve"}, {"a b", "c\td"}, {"x", "y.z"}, {"UserDict", "UserDict"},
        {"exceptions", "Exception"}, {"os\r", "system\r"}, {"o\u0000s", "sys\u0000tem"}, {"\u4e2d", "\u6587"},
        {"subprocess", "Popen"}, {"__main__", "Evil"}, {"_codecs", "encode"}, {"x", "\ud83d\ude00"},
    };

    static final String[] INT_OK = {
        "0", "1", "00", "01", "-1", "+1", "007", "0x1F", "0X1f", "-0", "  42", "42  ", " -3", "\t5",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
        "123456789012345678901234567890", "0o17", "0b101", "1_000", "0x_1f", "-0x10", "99",
    };
    static final String[] INT_TRICKY = {
        "0x", "1e3", "0.5", "1L", "12\u0000ab", "\u00001", "08", "0_0", "00_0", "+", "-", "0x__1", " ", "1 2",
        "\u0661", "True", "0_7", "017", "1__0", "_1", "1_", "0b", "0o8", "\u000b7", "7\u000c", "\u001c7",
        "0x7fffffffffffffff", "0xffffffffffffffff", "-0x8000000000000000", "0x8000000000000000", "00", "0\u0000",
        "1".repeat(4300), "1".repeat(4301), "0x" + "f".repeat(5000), "+0", "-00", "0 ", "\r1", "1\r",
    };
    static final String[] LONG_OK = {
        "0L", "1L", "-1L", "123456789012345678901234567890L", "0", "42", "0x10L", "0o7L", "1_0L", " 5 L".trim(),
        "-9223372036854775809L",
    };
    static final String[] LONG_TRICKY = {
        "L", "LL", "1LL", "012L", "00L", "0_0L", "1 L", " 1L", "1L ", "0xL", "\u00001L", "1\u0000L", "abc",
    };
    static final String[] FLOAT_OK = {
        "0", "1.5", "-2.25", "1e10", "1E-5", "inf", "-inf", "nan", "Infinity", "-INFINITY", "NaN", ".5", "5.",
        "1e-400", "0.1", "+3", "00012", "1.7976931348623157e308", "4.9e-324", "123456789.123456789e-10",
    };
    static final String[] FLOAT_TRICKY = {
        "1e500", "-1e500", "1e", "1e+", "1_0", " 1.5", "1.5 ", "0x10", "in", "infinit", "nanx", ".", "e5", "",
        "1.5\u0000junk", "\u00001", "1.5d", "1.5f", "+-1", "1e-99999999999999999999", "1e99999999999999999999",
        "infinityy", "+nan", "-nan", "1.0e+0400", "\u0661", "1.7976931348623158e308", "1.7976931348623159e308",
        "2.4703282292062327e-324", "0e99999999999999999999", "1" + "0".repeat(400), "0." + "0".repeat(500) + "1e500",
        "nan(1)", "inF", "-Infinity", "1e0400", "\t1",
    };
    static final String[] STRING_OK = {
        "'os'", "\"system\"", "''", "'a\\'b'", "'\\x41\\x42'", "'\\101'", "'tab\\there'", "'\\n'", "'\\\\'",
        "'\\q'", "'\\777'", "'\\0'", "'\\1234'", "'a\"b'", "\"a'b\"", "'\\\n'", "'caf\u00e9'", "'\\a\\b\\f\\v\\r'",
    };
    static final String[] STRING_TRICKY = {
        "'", "\"", "'abc\"", "abc", "'\\x4'", "'\\x'", "'\\'", "'\\xzz'", " 'a'", "'a' ", "'\\X41'",
    };
    static final String[] UNICODE_OK = {
        "os", "system", "", "\\u0041", "\\U0001f600", "\\\\u0041", "\\x41", "caf\u00e9", "\\u00e9t\\u00e9",
        "back\\", "a\\nb", "\\ud800", "\\U0010ffff", "\\\\\\u0042",
    };
    static final String[] UNICODE_TRICKY = {
        "\\u004", "\\U00110000", "\\u", "\\Ug", "\\uzzzz", "\\U0000004",
    };

    private final Random r;
    private List<byte[]> ops;
    private Map<Long, V> memo;
    private long memoLen;
    private int proto;
    private boolean anyOpcode;
    private boolean trickyPickle;
    private int budget;
    /** Streams that aim at the C unpickler's buffering: padding, many frames, frames ending inside opcodes. */
    private boolean torture;
    /** Bytes of padding a stream may still use. */
    private int bigBudget;

    PickleGenerator(long seed) {
        this.r = new Random(seed);
    }

    // ------------------------------------------------------------------ streams

    /** One stream: one or more pickles, maybe framed, maybe mutated. */
    byte[] stream(StringBuilder label) {
        List<byte[]> chunks = new ArrayList<>();
        int pickles = r.nextInt(10) < 6 ? 1 : 2 + r.nextInt(4);
        bigBudget = r.nextInt(3) == 0 ? 300_000 : r.nextBoolean() ? 20_000 : 0;
        torture = r.nextInt(4) == 0;
        if (torture) {
            bigBudget = Math.max(bigBudget, 40_000);
            label.append("torture ");
        }
        label.append("pickles=").append(pickles);
        for (int i = 0; i < pickles; i++) {
            List<byte[]> p = pickle();
            label.append(" p").append(proto);
            chunks.addAll(maybeFrame(p, label));
        }
        if (r.nextInt(20) == 0) {
            chunks.add(randomBytes(1 + r.nextInt(6)));
            label.append(" +junk");
        }
        if (r.nextInt(100) < 45) {
            int n = 1 + r.nextInt(3);
            for (int i = 0; i < n; i++) {
                chunks = mutate(chunks, label);
            }
        }
        return concat(chunks);
    }

    private List<byte[]> pickle() {
        ops = new ArrayList<>();
        memo = new HashMap<>();
        memoLen = 0;
        proto = torture ? 4 + r.nextInt(2) : r.nextInt(6);
        anyOpcode = r.nextInt(6) == 0;
        trickyPickle = r.nextBoolean();
        budget = 6 + r.nextInt(40);
        if (proto >= 2 || r.nextInt(8) == 0) {
            ops.add(new byte[] {(byte) 0x80, (byte) proto});
        }
        int tops = torture ? 3 + r.nextInt(6) : r.nextInt(4) == 0 ? 2 + r.nextInt(3) : 1;
        for (int i = 0; i < tops; i++) {
            if (torture && bigBudget > 0 && r.nextInt(5) < 2) {
                padding();
            } else {
                value(0);
            }
            if (i + 1 < tops) {
                op('0');
            }
        }
        op('.');
        return ops;
    }

    // ------------------------------------------------------------------ frames

    private List<byte[]> maybeFrame(List<byte[]> p, StringBuilder label) {
        boolean frame = torture || (proto >= 4 && r.nextInt(4) != 0) || r.nextInt(15) == 0;
        if (!frame) {
            return p;
        }
        int first = p.size() > 0 && (p.get(0)[0] & 0xff) == 0x80 ? 1 : 0;
        List<byte[]> out = new ArrayList<>(p.subList(0, first));
        int mode = r.nextInt(10);
        boolean split = torture ? r.nextInt(5) < 3 : mode == 8;
        int splits = 0;
        int target = torture ? (r.nextInt(4) == 0 ? 1 + r.nextInt(64) : 1000 + r.nextInt(12000)) : switch (r.nextInt(4)) {
            case 0 -> 1 + r.nextInt(16);
            case 1 -> 64 + r.nextInt(512);
            case 2 -> 4096 + r.nextInt(4096);
            default -> Integer.MAX_VALUE;
        };
        int lies = 0;
        int i = first;
        while (i < p.size()) {
            List<byte[]> group = new ArrayList<>();
            long len = 0;
            while (i < p.size() && (group.isEmpty() || len < target)) {
                group.add(p.get(i));
                len += p.get(i).length;
                i++;
            }
            long declared = len;
            if (mode >= 5 && r.nextInt(3) == 0) {
                long rest = 0;
                for (int k = i; k < p.size(); k++) {
                    rest += p.get(k).length;
                }
                long delta = switch (r.nextInt(7)) {
                    case 0 -> -1;
                    case 1 -> 1;
                    case 2 -> -(1 + r.nextInt(12));
                    case 3 -> 1 + r.nextInt(12);
                    case 4 -> r.nextInt(2) == 0 ? 4096 : -Math.min(len, 4096);
                    case 5 -> (long) (r.nextDouble() * rest); // ends somewhere in a later opcode
                    default -> -(long) (r.nextDouble() * len); // ends somewhere in its own opcodes
                };
                declared = Math.max(0, len + delta);
                lies++;
            }
            if (mode == 9 && r.nextInt(4) == 0) {
                out.add(frameHeader(0));
                lies++;
            }
            byte[] last = group.get(group.size() - 1);
            if (split && declared == len && last.length >= 2 && r.nextBoolean()) {
                // The frame ends inside its last opcode. Where the C unpickler's window came from
                // read(n), the part of the opcode in the window is dropped and the operand is read
                // from the bytes after the frame: follow it with a plausible continuation.
                int j = 1 + r.nextInt(last.length - 1);
                out.add(frameHeader(len - last.length + j));
                out.addAll(group.subList(0, group.size() - 1));
                out.add(java.util.Arrays.copyOfRange(last, 0, j));
                int from = switch (r.nextInt(8)) {
                    case 0, 1, 2 -> j; // the window came from peek(): nothing is dropped
                    case 3, 4, 5 -> readStart(last, j); // from read(n): the straddling read starts again
                    case 6 -> 1;
                    default -> r.nextInt(last.length);
                };
                out.add(java.util.Arrays.copyOfRange(last, Math.min(from, last.length), last.length));
                splits++;
                continue;
            }
            out.add(frameHeader(declared));
            out.addAll(group);
        }
        if (splits > 0) {
            label.append(" split(").append(splits).append(')');
        }
        label.append(lies > 0 ? " frames(lying " + lies + ")" : " frames").append(target == Integer.MAX_VALUE ? "*" : "")
                .append(target >= 4096 ? ">4k" : "");
        return out;
    }

    /**
     * Where, in an opcode cut after {@code j} bytes, the C unpickler's read that crosses the cut
     * starts: line operands are read line by line, counted operands length first, then data.
     * Data read with readinto (BINBYTES and friends) never restarts, so the cut itself is returned.
     */
    static int readStart(byte[] op, int j) {
        int code = op[0] & 0xff;
        if ("cigILFSVpP".indexOf(code) >= 0) {
            int lineStart = 1;
            for (int k = 1; k < j; k++) {
                if (op[k] == '\n') {
                    lineStart = k + 1;
                }
            }
            return lineStart;
        }
        int lenBytes = switch (code) {
            case 'U', 'C', 0x8c, 0x8a -> 1;
            case 'T', 'X', 'B', 0x8b -> 4;
            case 0x8d, 0x8e, 0x96 -> 8;
            default -> 0;
        };
        if (lenBytes > 0) {
            if (j <= 1 + lenBytes) {
                return 1;
            }
            boolean readInto = code == 'C' || code == 'B' || code == 0x8e || code == 0x96;
            return readInto ? j : 1 + lenBytes;
        }
        return 1;
    }

    private static byte[] frameHeader(long len) {
        byte[] b = new byte[9];
        b[0] = (byte) 0x95;
        for (int k = 0; k < 8; k++) {
            b[1 + k] = (byte) (len >>> (8 * k));
        }
        return b;
    }

    // ------------------------------------------------------------------ values

    private boolean allowed(int protocol) {
        return anyOpcode || protocol <= proto;
    }

    /** Emits opcodes that push exactly one value. */
    private V value(int depth) {
        budget--;
        if (budget <= 0 || depth > 5) {
            return scalarOrString();
        }
        if (torture && bigBudget > 0 && r.nextInt(100) < 12) {
            return padding();
        }
        int c = r.nextInt(100);
        V v;
        if (c < 14) {
            v = scalarOrString();
        } else if (c < 22) {
            v = global();
        } else if (c < 34) {
            v = reduce(depth);
        } else if (c < 40 && allowed(2)) {
            v = newobj(depth);
        } else if (c < 44 && allowed(4)) {
            v = newobjEx(depth);
        } else if (c < 49) {
            v = inst(depth);
        } else if (c < 53 && allowed(1)) {
            v = obj(depth);
        } else if (c < 58) {
            v = build(depth);
        } else if (c < 66) {
            v = list(depth);
        } else if (c < 72) {
            v = tuple(depth);
        } else if (c < 79) {
            v = dict(depth);
        } else if (c < 82 && allowed(4)) {
            v = set(depth);
        } else if (c < 86 && !memo.isEmpty()) {
            v = memoGet();
        } else if (c < 89) {
            v = persistent(depth);
        } else if (c < 92) {
            v = noise(depth);
        } else if (c < 95) {
            v = objectWithItems(depth);
        } else if (c < 96 && r.nextBoolean()) {
            v = builtinTarget(depth);
        } else if (c < 96 && bigBudget > 0) {
            v = padding();
        } else if (c < 97 && r.nextInt(4) == 0) {
            op(0x82, 1 + r.nextInt(255)); // EXT1: unregistered for CPython, a superset for the machine
            v = new V(Kind.OBJECT, true);
        } else {
            v = scalarOrString();
        }
        if (r.nextInt(100) < 30) {
            memoPut(v);
        }
        return v;
    }

    /**
     * A bytes or str operand sized to move what follows across the 4096-byte blocks of the
     * buffered reader, or past the unpickler's 128 KiB prefetch size.
     */
    private V padding() {
        int n = torture && r.nextBoolean() ? 2000 + r.nextInt(7000) : switch (r.nextInt(8)) {
            case 0 -> 4096 - 64 + r.nextInt(128);
            case 1 -> 8192 - 64 + r.nextInt(128);
            case 2 -> PickleInput.PREFETCH - 64 + r.nextInt(128);
            case 3 -> 1000 + r.nextInt(9000);
            default -> r.nextInt(3000);
        };
        n = Math.min(n, Math.max(0, bigBudget));
        bigBudget -= n + 64;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        boolean text = r.nextInt(3) == 0;
        boolean wide = allowed(4) && r.nextBoolean(); // 8-byte length
        o.write(text ? (wide ? 0x8d : 'X') : (wide ? 0x8e : 'B'));
        if (wide) {
            le64(o, n);
        } else {
            le32(o, n);
        }
        if (text) {
            byte[] b = new byte[n];
            java.util.Arrays.fill(b, (byte) 'x');
            o.writeBytes(b);
        } else {
            o.writeBytes(randomBytes(n));
        }
        ops.add(o.toByteArray());
        return new V(text ? Kind.STR : Kind.BYTES, true);
    }

    private V scalarOrString() {
        int c = r.nextInt(10);
        if (c < 5) {
            return scalar();
        }
        if (c < 8) {
            str(randomText());
            return new V(Kind.STR, true);
        }
        return new V(Kind.BYTES, !bytesValue());
    }

    private V scalar() {
        switch (r.nextInt(14)) {
            case 0 -> op('N');
            case 1 -> {
                if (allowed(2)) {
                    op(r.nextBoolean() ? 0x88 : 0x89);
                } else {
                    line('I', r.nextBoolean() ? "01" : "00");
                }
            }
            case 2 -> op('K', r.nextInt(256));
            case 3 -> op('M', r.nextInt(256), r.nextInt(256));
            case 4 -> op('J', r.nextInt(256), r.nextInt(256), r.nextInt(256), r.nextInt(256));
            case 5, 6 -> line('I', pick(tricky() ? INT_TRICKY : INT_OK));
            case 7 -> line('L', pick(tricky() ? LONG_TRICKY : LONG_OK));
            case 8, 9 -> line('F', pick(tricky() ? FLOAT_TRICKY : FLOAT_OK));
            case 10 -> {
                long bits = r.nextLong();
                byte[] b = new byte[9];
                b[0] = 'G';
                for (int k = 0; k < 8; k++) {
                    b[1 + k] = (byte) (bits >>> (8 * (7 - k)));
                }
                ops.add(b);
            }
            case 11 -> {
                byte[] le = randomBytes(r.nextInt(10));
                ByteArrayOutputStream o = new ByteArrayOutputStream();
                o.write(0x8a);
                o.write(le.length);
                o.writeBytes(le);
                ops.add(o.toByteArray());
            }
            case 12 -> {
                byte[] le = randomBytes(r.nextInt(10));
                ByteArrayOutputStream o = new ByteArrayOutputStream();
                o.write(0x8b);
                le32(o, le.length);
                o.writeBytes(le);
                ops.add(o.toByteArray());
            }
            default -> line('I', Integer.toString(r.nextInt(2000) - 1000));
        }
        return new V(Kind.SCALAR, true);
    }

    private String randomText() {
        return switch (r.nextInt(6)) {
            case 0 -> NAMES[r.nextInt(NAMES.length)][0];
            case 1 -> NAMES[r.nextInt(NAMES.length)][1];
            case 2 -> "";
            case 3 -> "k" + r.nextInt(100);
            case 4 -> "line\nbreak";
            default -> "caf\u00e9 \u2603";
        };
    }

    /** Pushes a str with one of the string opcodes. */
    private void str(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        boolean latin1 = s.chars().allMatch(ch -> ch < 256);
        int c = r.nextInt(9);
        if (c == 0 && allowed(4) && utf8.length < 256) {
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            o.write(0x8c);
            o.write(utf8.length);
            o.writeBytes(utf8);
            ops.add(o.toByteArray());
        } else if (c == 1 && allowed(1)) {
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            o.write('X');
            le32(o, utf8.length);
            o.writeBytes(utf8);
            ops.add(o.toByteArray());
        } else if (c == 2 && allowed(4)) {
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            o.write(0x8d);
            le64(o, utf8.length);
            o.writeBytes(utf8);
            ops.add(o.toByteArray());
        } else if (c == 3 && latin1 && allowed(1)) {
            byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            if (b.length < 256 && r.nextBoolean()) {
                o.write('U');
                o.write(b.length);
            } else {
                o.write('T');
                le32(o, b.length);
            }
            o.writeBytes(b);
            ops.add(o.toByteArray());
        } else if (c == 4 && latin1) {
            line('S', quoteString(s));
        } else if (c == 5) {
            line('S', pick(tricky() ? STRING_TRICKY : STRING_OK));
        } else if (c == 6) {
            line('V', pick(tricky() ? UNICODE_TRICKY : UNICODE_OK));
        } else {
            line('V', rawUnicodeEscape(s));
        }
    }

    private static String quoteString(String s) {
        StringBuilder sb = new StringBuilder("'");
        for (char ch : s.toCharArray()) {
            if (ch == '\\' || ch == '\'') {
                sb.append('\\').append(ch);
            } else if (ch < 0x20 || ch >= 0x7f) {
                sb.append(String.format("\\x%02x", (int) ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.append('\'').toString();
    }

    private static String rawUnicodeEscape(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (cp >= 0x10000) {
                sb.append(String.format("\\U%08x", cp));
            } else if (cp >= 0x100 || cp == '\\' || cp == '\n') {
                sb.append(String.format("\\u%04x", cp));
            } else {
                sb.append((char) cp);
            }
        });
        return sb.toString();
    }

    /** Pushes bytes or a bytearray; true for a bytearray (unhashable). */
    private boolean bytesValue() {
        int n = r.nextInt(40) == 0 ? 3000 + r.nextInt(3000) : r.nextInt(300) == 0 ? 140_000 : r.nextInt(20);
        byte[] data = randomBytes(n);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        boolean mutable = false;
        int c = r.nextInt(4);
        if (c == 0 && n < 256) {
            o.write('C');
            o.write(n);
        } else if (c == 1 && allowed(4)) {
            o.write(0x8e);
            le64(o, n);
        } else if (c == 2 && allowed(5)) {
            o.write(0x96);
            le64(o, n);
            mutable = true;
        } else {
            o.write('B');
            le32(o, n);
        }
        o.writeBytes(data);
        ops.add(o.toByteArray());
        if (allowed(5) && r.nextInt(8) == 0) {
            op(0x98);
        }
        return mutable;
    }

    /** Raw name bytes that are not plain UTF-8: surrogates, overlong forms, stray bytes, a long name. */
    static final byte[][] RAW_NAMES = {
        {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, // U+D800 encoded: only surrogatepass accepts it
        {'a', (byte) 0xed, (byte) 0xb2, (byte) 0x80, 'b'},
        {(byte) 0xed, (byte) 0xa0, (byte) 0xbd, (byte) 0xed, (byte) 0xb8, (byte) 0x80}, // CESU-8 pair
        {(byte) 0xc0, (byte) 0x80}, {(byte) 0xe0, (byte) 0x80, (byte) 0x80}, {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
        {(byte) 0xff}, {'o', 's', (byte) 0xc3}, {(byte) 0x80, 'x'}, {(byte) 0xf0, (byte) 0x9f, (byte) 0x98},
        {(byte) 0xc3, (byte) 0xa9}, {'o', 0, 's'}, {'\\', 'u', '0', '0', '4', '1'},
    };

    private byte[] rawName() {
        if (r.nextInt(8) == 0) {
            byte[] b = new byte[3000 + r.nextInt(3000)];
            java.util.Arrays.fill(b, (byte) 'n');
            return b;
        }
        return RAW_NAMES[r.nextInt(RAW_NAMES.length)];
    }

    private V global() {
        String[] nm = NAMES[r.nextInt(NAMES.length)];
        if (tricky()) {
            byte[] m = r.nextBoolean() ? rawName() : nm[0].getBytes(StandardCharsets.UTF_8);
            byte[] n = r.nextBoolean() ? rawName() : nm[1].getBytes(StandardCharsets.UTF_8);
            if (allowed(4) && r.nextBoolean()) {
                rawStr(m);
                rawStr(n);
                op(0x93);
            } else {
                ByteArrayOutputStream o = new ByteArrayOutputStream();
                boolean inst = r.nextInt(4) == 0;
                if (inst) {
                    op('(');
                }
                o.write(inst ? 'i' : 'c');
                o.writeBytes(m);
                o.write('\n');
                o.writeBytes(n);
                o.write('\n');
                ops.add(o.toByteArray());
            }
            return new V(Kind.GLOBAL, true);
        }
        if (allowed(4) && r.nextInt(3) != 0) {
            stackGlobalOperand(nm[0]);
            stackGlobalOperand(nm[1]);
            op(0x93);
        } else {
            // GLOBAL names cannot contain a newline
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            o.write('c');
            o.writeBytes(nm[0].getBytes(StandardCharsets.UTF_8));
            o.write('\n');
            o.writeBytes(nm[1].getBytes(StandardCharsets.UTF_8));
            o.write('\n');
            ops.add(o.toByteArray());
        }
        return new V(Kind.GLOBAL, true);
    }

    /** A str pushed from raw bytes: the UTF-8 opcodes decode with surrogatepass, STRING/BINSTRING as latin-1. */
    private void rawStr(byte[] b) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        switch (r.nextInt(5)) {
            case 0 -> {
                o.write('X');
                le32(o, b.length);
            }
            case 1 -> {
                o.write(0x8d);
                le64(o, b.length);
            }
            case 2 -> {
                o.write('T');
                le32(o, b.length);
            }
            case 3 -> {
                o.write('V');
                for (byte x : b) {
                    if (x == '\n') {
                        o.writeBytes("\\u000a".getBytes(StandardCharsets.ISO_8859_1));
                    } else {
                        o.write(x);
                    }
                }
                o.write('\n');
                ops.add(o.toByteArray());
                return;
            }
            default -> {
                if (b.length < 256) {
                    o.write(0x8c);
                    o.write(b.length);
                } else {
                    o.write('X');
                    le32(o, b.length);
                }
            }
        }
        o.writeBytes(b);
        ops.add(o.toByteArray());
    }

    private void stackGlobalOperand(String s) {
        if (r.nextInt(6) == 0) {
            // through the memo
            str(s);
            long idx = memoPut(new V(Kind.STR, true));
            op('0');
            memoGetIndex(idx);
        } else {
            str(s);
        }
    }

    private V reduce(int depth) {
        global();
        argsTuple(depth);
        op('R');
        return new V(Kind.OBJECT, true);
    }

    private V newobj(int depth) {
        global();
        argsTuple(depth);
        op(0x81);
        return new V(Kind.OBJECT, true);
    }

    private V newobjEx(int depth) {
        global();
        argsTuple(depth);
        op('}');
        if (r.nextBoolean()) {
            op('(');
            str("kw");
            value(depth + 1);
            op('u');
        }
        op(0x92);
        return new V(Kind.OBJECT, true);
    }

    private V inst(int depth) {
        op('(');
        int n = r.nextInt(3);
        for (int i = 0; i < n; i++) {
            value(depth + 1);
        }
        String[] nm = NAMES[r.nextInt(NAMES.length)];
        String m = ascii(nm[0]);
        String name = ascii(nm[1]);
        if (tricky()) {
            m = nm[0]; // maybe non-ASCII: CPython rejects it
        }
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write('i');
        o.writeBytes(m.getBytes(StandardCharsets.UTF_8));
        o.write('\n');
        o.writeBytes(name.getBytes(StandardCharsets.UTF_8));
        o.write('\n');
        ops.add(o.toByteArray());
        return new V(Kind.OBJECT, true);
    }

    private static String ascii(String s) {
        StringBuilder sb = new StringBuilder();
        for (char ch : s.toCharArray()) {
            sb.append(ch < 128 ? ch : '_');
        }
        return sb.toString();
    }

    private V obj(int depth) {
        op('(');
        global();
        int n = r.nextInt(3);
        for (int i = 0; i < n; i++) {
            value(depth + 1);
        }
        op('o');
        return new V(Kind.OBJECT, true);
    }

    private V build(int depth) {
        if (r.nextBoolean()) {
            reduce(depth);
        } else {
            global();
        }
        switch (r.nextInt(3)) {
            case 0 -> dict(depth);
            case 1 -> op('N');
            default -> value(depth + 1);
        }
        op('b');
        return new V(Kind.OBJECT, true);
    }

    private void argsTuple(int depth) {
        int n = r.nextInt(4);
        if (n == 0) {
            if (allowed(1)) {
                op(')');
            } else {
                op('(');
                op('t');
            }
            return;
        }
        if (n <= 3 && allowed(2) && r.nextBoolean()) {
            for (int i = 0; i < n; i++) {
                value(depth + 1);
            }
            op(0x84 + n);
            return;
        }
        op('(');
        for (int i = 0; i < n; i++) {
            value(depth + 1);
        }
        op('t');
    }

    private V list(int depth) {
        int n = r.nextInt(4);
        if (allowed(1) && r.nextBoolean()) {
            op(']');
            if (n > 0) {
                memoMaybe(new V(Kind.LIST, false));
                if (r.nextBoolean()) {
                    op('(');
                    for (int i = 0; i < n; i++) {
                        value(depth + 1);
                    }
                    op('e');
                } else {
                    for (int i = 0; i < n; i++) {
                        value(depth + 1);
                        op('a');
                    }
                }
            }
        } else {
            op('(');
            for (int i = 0; i < n; i++) {
                value(depth + 1);
            }
            op('l');
        }
        return new V(Kind.LIST, false);
    }

    private V tuple(int depth) {
        int n = r.nextInt(4);
        boolean hashable = true;
        if (n == 0 && allowed(1)) {
            op(')');
        } else if (n >= 1 && allowed(2) && r.nextBoolean()) {
            for (int i = 0; i < n; i++) {
                hashable &= value(depth + 1).hashable();
            }
            op(0x84 + n);
        } else {
            op('(');
            for (int i = 0; i < n; i++) {
                hashable &= value(depth + 1).hashable();
            }
            op('t');
        }
        return new V(Kind.TUPLE, hashable);
    }

    private V dict(int depth) {
        int n = r.nextInt(4);
        if (allowed(1) && r.nextBoolean()) {
            op('}');
            memoMaybe(new V(Kind.DICT, false));
            if (n == 1 || r.nextInt(3) == 0) {
                for (int i = 0; i < n; i++) {
                    key(depth);
                    value(depth + 1);
                    op('s');
                }
            } else if (n > 0) {
                op('(');
                for (int i = 0; i < n; i++) {
                    key(depth);
                    value(depth + 1);
                }
                op('u');
            }
        } else {
            op('(');
            for (int i = 0; i < n; i++) {
                key(depth);
                value(depth + 1);
            }
            op('d');
        }
        return new V(Kind.DICT, false);
    }

    private void key(int depth) {
        int c = r.nextInt(5);
        if (c == 0) {
            global();
        } else if (c == 1 && !memo.isEmpty()) {
            List<Long> ok = new ArrayList<>();
            for (Map.Entry<Long, V> e : memo.entrySet()) {
                if (e.getValue().hashable()) {
                    ok.add(e.getKey());
                }
            }
            if (ok.isEmpty()) {
                scalarOrString();
            } else {
                memoGetIndex(ok.get(r.nextInt(ok.size())));
            }
        } else if (c == 2 && depth < 4) {
            reduce(depth + 1);
        } else {
            scalarOrString();
        }
    }

    private V set(int depth) {
        int n = r.nextInt(4);
        if (r.nextBoolean()) {
            op(0x8f);
            memoMaybe(new V(Kind.SET, false));
            if (n > 0) {
                op('(');
                for (int i = 0; i < n; i++) {
                    key(depth);
                }
                op(0x90);
            }
            return new V(Kind.SET, false);
        }
        op('(');
        for (int i = 0; i < n; i++) {
            key(depth);
        }
        op(0x91);
        return new V(Kind.FROZENSET, true);
    }

    /**
     * APPEND(S), SETITEM(S), ADDITEMS, BUILD or READONLY_BUFFER applied to a builtin object of any
     * type, with items of any type: what CPython accepts depends on both (bytearray.extend takes
     * ints below 256, list indexes may be bools, BUILD on a str passes for state None, ...).
     */
    private V builtinTarget(int depth) {
        int size;
        Kind kind;
        switch (r.nextInt(9)) {
            case 0, 1 -> {
                size = r.nextInt(3);
                op('(');
                for (int i = 0; i < size; i++) {
                    smallItem(depth);
                }
                op('l');
                kind = Kind.LIST;
            }
            case 2 -> {
                op('}');
                size = 0;
                kind = Kind.DICT;
            }
            case 3 -> {
                op(0x8f);
                size = 0;
                kind = Kind.SET;
            }
            case 4, 5 -> {
                size = r.nextInt(4);
                ByteArrayOutputStream o = new ByteArrayOutputStream();
                o.write(0x96);
                le64(o, size);
                o.writeBytes(randomBytes(size));
                ops.add(o.toByteArray());
                kind = Kind.BYTES;
            }
            case 6 -> {
                str("s");
                size = 1;
                kind = Kind.STR;
            }
            case 7 -> {
                op(')');
                size = 0;
                kind = Kind.TUPLE;
            }
            default -> {
                scalar();
                size = 0;
                kind = Kind.SCALAR;
            }
        }
        switch (r.nextInt(7)) {
            case 0 -> {
                smallItem(depth);
                op('a');
            }
            case 1 -> {
                op('(');
                int n = r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    smallItem(depth);
                }
                op('e');
            }
            case 2 -> {
                index(size);
                smallItem(depth);
                op('s');
            }
            case 3 -> {
                op('(');
                int n = r.nextInt(3);
                for (int i = 0; i < n; i++) {
                    index(size);
                    smallItem(depth);
                }
                op('u');
            }
            case 4 -> {
                op('(');
                int n = r.nextInt(3);
                for (int i = 0; i < n; i++) {
                    smallItem(depth);
                }
                op(0x90);
            }
            case 5 -> {
                switch (r.nextInt(6)) {
                    case 0 -> op('N');
                    case 1 -> op('N', '}', 0x86);
                    case 2 -> op('N', 'N', 0x86);
                    case 3 -> op('}');
                    case 4 -> op(')', '}', 0x86);
                    default -> smallItem(depth);
                }
                op('b');
            }
            default -> {
                op(0x98);
                if (r.nextBoolean()) {
                    // use it as a dict key: a read-only view of a bytearray is hashable
                    op('}');
                    op(0x8c, 1, 'k');
                    op('s');
                    op('0');
                    op('N');
                }
            }
        }
        return new V(kind, false);
    }

    /** An index for SETITEM: around the container's size, sometimes a bool or a computed value. */
    private void index(int size) {
        switch (r.nextInt(6)) {
            case 0 -> op(r.nextBoolean() ? 0x88 : 0x89);
            case 1 -> op('J', 0xff, 0xff, 0xff, 0xff); // -1
            case 2 -> op('J', (-size) & 0xff, 0xff, 0xff, 0xff);
            case 3 -> smallItem(0);
            default -> op('K', r.nextInt(size + 2));
        }
    }

    /** An item for a builtin container: small and large ints, bools, None, a str, a call result. */
    private void smallItem(int depth) {
        switch (r.nextInt(9)) {
            case 0, 1 -> op('K', r.nextInt(256));
            case 2 -> op('M', 0, 1); // 256
            case 3 -> op('J', 0xff, 0xff, 0xff, 0xff);
            case 4 -> op(r.nextBoolean() ? 0x88 : 0x89);
            case 5 -> op('N');
            case 6 -> str("v");
            case 7 -> {
                if (depth < 4) {
                    reduce(depth + 1);
                } else {
                    op('K', 1);
                }
            }
            default -> line('I', r.nextBoolean() ? "01" : "00");
        }
    }

    /** A stub instance filled with APPEND(S), SETITEM(S) or ADDITEMS: method calls on the object. */
    private V objectWithItems(int depth) {
        reduce(depth);
        int n = 1 + r.nextInt(3);
        switch (r.nextInt(5)) {
            case 0 -> {
                op('(');
                for (int i = 0; i < n; i++) {
                    value(depth + 1);
                }
                op('e');
            }
            case 1 -> {
                value(depth + 1);
                op('a');
            }
            case 2 -> {
                op('(');
                for (int i = 0; i < n; i++) {
                    key(depth);
                    value(depth + 1);
                }
                op('u');
            }
            case 3 -> {
                key(depth);
                value(depth + 1);
                op('s');
            }
            default -> {
                op('(');
                for (int i = 0; i < n; i++) {
                    key(depth);
                }
                op(0x90);
            }
        }
        return new V(Kind.OBJECT, true);
    }

    private V persistent(int depth) {
        if (allowed(1) && r.nextBoolean()) {
            value(depth + 1);
            op('Q');
        } else {
            String pid = tricky() ? "caf\u00e9" : "pid" + r.nextInt(100);
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            o.write('P');
            o.writeBytes(pid.getBytes(StandardCharsets.UTF_8));
            o.write('\n');
            ops.add(o.toByteArray());
        }
        return new V(Kind.OBJECT, true);
    }

    /** Opcodes that leave the stack as they found it around a value. */
    private V noise(int depth) {
        switch (r.nextInt(3)) {
            case 0 -> {
                V v = value(depth + 1);
                op('2');
                op('0');
                return v;
            }
            case 1 -> {
                op('(');
                int n = r.nextInt(3);
                for (int i = 0; i < n; i++) {
                    value(depth + 1);
                }
                op('1');
                return value(depth + 1);
            }
            default -> {
                op('(');
                op('0'); // POP of a MARK
                return value(depth + 1);
            }
        }
    }

    // ------------------------------------------------------------------ memo

    private void memoMaybe(V v) {
        if (r.nextInt(3) == 0) {
            memoPut(v);
        }
    }

    private long memoPut(V v) {
        long idx;
        int c = r.nextInt(6);
        if (c == 0 && allowed(4)) {
            idx = memoLen;
            op(0x94);
        } else if (c == 1) {
            idx = r.nextInt(5) == 0 ? r.nextInt(100000) : memoLen;
            line('p', r.nextInt(8) == 0 ? "0" + idx : Long.toString(idx));
        } else if (c == 2 && allowed(1)) {
            idx = r.nextInt(4) == 0 ? 300 + r.nextInt(1 << 20) : memoLen + r.nextInt(3);
            op('r', (int) idx & 0xff, (int) (idx >> 8) & 0xff, (int) (idx >> 16) & 0xff, (int) (idx >> 24) & 0xff);
        } else if (allowed(1)) {
            idx = r.nextInt(256);
            op('q', (int) idx);
        } else {
            idx = memoLen;
            line('p', Long.toString(idx));
        }
        if (memo.put(idx, v) == null) {
            memoLen++;
        }
        return idx;
    }

    private V memoGet() {
        List<Long> keys = new ArrayList<>(memo.keySet());
        long idx = keys.get(r.nextInt(keys.size()));
        memoGetIndex(idx);
        return memo.get(idx);
    }

    private void memoGetIndex(long idx) {
        int c = r.nextInt(3);
        if (c == 0 || !allowed(1)) {
            line('g', r.nextInt(10) == 0 ? " " + idx + " " : Long.toString(idx));
        } else if (c == 1 && idx < 256) {
            op('h', (int) idx);
        } else {
            op('j', (int) idx & 0xff, (int) (idx >> 8) & 0xff, (int) (idx >> 16) & 0xff, (int) (idx >> 24) & 0xff);
        }
    }

    // ------------------------------------------------------------------ mutations

    private static final int[] OPCODES = {
        '(', '.', '0', '1', '2', 'F', 'I', 'J', 'K', 'L', 'M', 'N', 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'X', 'a',
        'b', 'c', 'd', '}', 'e', 'g', 'h', 'i', 'j', 'l', ']', 'o', 'p', 'q', 'r', 's', 't', ')', 'u', 'G', 'B',
        'C', 0x80, 0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91, 0x92,
        0x93, 0x94, 0x95, 0x96, 0x98,
    };

    private List<byte[]> mutate(List<byte[]> chunks, StringBuilder label) {
        byte[] all = concat(chunks);
        if (all.length == 0) {
            return chunks;
        }
        int pos = r.nextInt(all.length);
        switch (r.nextInt(7)) {
            case 0 -> {
                label.append(" flip@").append(pos);
                all[pos] = r.nextBoolean() ? (byte) r.nextInt(256) : (byte) (all[pos] ^ (1 << r.nextInt(8)));
                return List.of(all);
            }
            case 1 -> {
                pos = all.length > 1 ? 1 + r.nextInt(all.length - 1) : pos;
                label.append(" truncate@").append(pos);
                return List.of(java.util.Arrays.copyOf(all, pos));
            }
            case 2 -> {
                byte[] ins = r.nextBoolean() ? new byte[] {(byte) OPCODES[r.nextInt(OPCODES.length)]}
                        : randomBytes(1 + r.nextInt(4));
                label.append(" insert@").append(pos).append('x').append(ins.length);
                return List.of(splice(all, pos, ins, pos));
            }
            case 3 -> {
                int n = Math.min(1 + r.nextInt(8), all.length - pos);
                label.append(" delete@").append(pos).append('x').append(n);
                return List.of(splice(all, pos, new byte[0], pos + n));
            }
            case 4 -> {
                if (chunks.size() < 3) {
                    return chunks;
                }
                List<byte[]> c = new ArrayList<>(chunks);
                int i = r.nextInt(c.size() - 1);
                int j = r.nextInt(4) == 0 ? r.nextInt(c.size()) : i + 1;
                byte[] t = c.get(i);
                c.set(i, c.get(j));
                c.set(j, t);
                label.append(" swap#").append(i).append('#').append(j);
                return c;
            }
            case 5 -> {
                if (chunks.size() < 2) {
                    return chunks;
                }
                List<byte[]> c = new ArrayList<>(chunks);
                int i = r.nextInt(c.size());
                byte[] b = c.get(i).clone();
                if (b.length == 0) {
                    return chunks;
                }
                b[0] = (byte) OPCODES[r.nextInt(OPCODES.length)];
                c.set(i, b);
                label.append(" opcode#").append(i).append('=').append(Integer.toHexString(b[0] & 0xff));
                return c;
            }
            default -> {
                if (chunks.size() < 2) {
                    return chunks;
                }
                List<byte[]> c = new ArrayList<>(chunks);
                int i = r.nextInt(c.size());
                label.append(" dropop#").append(i);
                c.remove(i);
                return c;
            }
        }
    }

    // ------------------------------------------------------------------ bytes

    private void op(int... bs) {
        byte[] b = new byte[bs.length];
        for (int i = 0; i < bs.length; i++) {
            b[i] = (byte) bs[i];
        }
        ops.add(b);
    }

    private void line(int opcode, String text) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(opcode);
        o.writeBytes(text.getBytes(StandardCharsets.UTF_8));
        o.write('\n');
        ops.add(o.toByteArray());
    }

    /** Whether to use a literal CPython may reject: never in half of the pickles, else 1 in 6. */
    private boolean tricky() {
        return trickyPickle && r.nextInt(6) == 0;
    }

    private String pick(String[] a) {
        return a[r.nextInt(a.length)];
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static void le32(ByteArrayOutputStream o, long v) {
        for (int k = 0; k < 4; k++) {
            o.write((int) (v >>> (8 * k)) & 0xff);
        }
    }

    private static void le64(ByteArrayOutputStream o, long v) {
        for (int k = 0; k < 8; k++) {
            o.write((int) (v >>> (8 * k)) & 0xff);
        }
    }

    private static byte[] splice(byte[] all, int cut, byte[] insert, int resume) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(all, 0, cut);
        o.writeBytes(insert);
        o.write(all, resume, all.length - resume);
        return o.toByteArray();
    }

    static byte[] concat(List<byte[]> chunks) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] c : chunks) {
            o.writeBytes(c);
        }
        return o.toByteArray();
    }
}
