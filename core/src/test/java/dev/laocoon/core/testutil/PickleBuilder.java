package dev.laocoon.core.testutil;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes pickle opcodes by hand so that each test shows the exact stream it feeds the scanner.
 * Methods are named after the opcodes; helpers such as {@link #str} pick the usual encoding.
 */
public final class PickleBuilder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public static PickleBuilder create() {
        return new PickleBuilder();
    }

    public byte[] bytes() {
        return out.toByteArray();
    }

    public int size() {
        return out.size();
    }

    public PickleBuilder raw(int... bs) {
        for (int b : bs) {
            out.write(b);
        }
        return this;
    }

    public PickleBuilder raw(byte[] bs) {
        out.writeBytes(bs);
        return this;
    }

    public PickleBuilder raw(byte[] bs, int from, int to) {
        out.write(bs, from, to - from);
        return this;
    }

    public PickleBuilder ascii(String s) {
        return raw(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    private PickleBuilder le(long v, int n) {
        for (int i = 0; i < n; i++) {
            out.write((int) (v >>> (8 * i)) & 0xff);
        }
        return this;
    }

    public PickleBuilder proto(int p) {
        return raw(0x80, p);
    }

    public PickleBuilder stop() {
        return raw('.');
    }

    public PickleBuilder mark() {
        return raw('(');
    }

    public PickleBuilder pop() {
        return raw('0');
    }

    public PickleBuilder popMark() {
        return raw('1');
    }

    public PickleBuilder dup() {
        return raw('2');
    }

    /** GLOBAL 'module\nname\n'. */
    public PickleBuilder global(String module, String name) {
        return raw('c').utf8(module).raw('\n').utf8(name).raw('\n');
    }

    /** INST 'module\nname\n' (needs a MARK before the arguments). */
    public PickleBuilder inst(String module, String name) {
        return raw('i').utf8(module).raw('\n').utf8(name).raw('\n');
    }

    public PickleBuilder stackGlobal() {
        return raw(0x93);
    }

    /** SHORT_BINUNICODE / BINUNICODE depending on length. */
    public PickleBuilder str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length < 256) {
            raw(0x8c).raw(b.length);
        } else {
            raw('X').le(b.length, 4);
        }
        return raw(b);
    }

    public PickleBuilder binunicode(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return raw('X').le(b.length, 4).raw(b);
    }

    public PickleBuilder binunicode8(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return raw(0x8d).le(b.length, 8).raw(b);
    }

    /** Protocol 0 STRING with the given (already quoted) literal, e.g. {@code "'os'"}. */
    public PickleBuilder string(String quotedLiteral) {
        return raw('S').ascii(quotedLiteral).raw('\n');
    }

    public PickleBuilder binstring(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return raw('T').le(b.length, 4).raw(b);
    }

    public PickleBuilder shortBinstring(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return raw('U').raw(b.length).raw(b);
    }

    public PickleBuilder unicode(String rawUnicodeEscaped) {
        return raw('V').ascii(rawUnicodeEscaped).raw('\n');
    }

    public PickleBuilder bytes(byte[] b) {
        if (b.length < 256) {
            return raw('C').raw(b.length).raw(b);
        }
        return raw('B').le(b.length, 4).raw(b);
    }

    public PickleBuilder binbytes8(byte[] b) {
        return raw(0x8e).le(b.length, 8).raw(b);
    }

    public PickleBuilder bytearray8(byte[] b) {
        return raw(0x96).le(b.length, 8).raw(b);
    }

    public PickleBuilder intText(String digits) {
        return raw('I').ascii(digits).raw('\n');
    }

    public PickleBuilder longText(String digits) {
        return raw('L').ascii(digits).raw('\n');
    }

    public PickleBuilder floatText(String text) {
        return raw('F').ascii(text).raw('\n');
    }

    public PickleBuilder binint(int v) {
        return raw('J').le(v, 4);
    }

    public PickleBuilder binint1(int v) {
        return raw('K', v);
    }

    public PickleBuilder binint2(int v) {
        return raw('M').le(v, 2);
    }

    public PickleBuilder long1(byte[] le) {
        return raw(0x8a, le.length).raw(le);
    }

    public PickleBuilder binfloat(double d) {
        out.write('G');
        long bits = Double.doubleToLongBits(d);
        for (int i = 7; i >= 0; i--) {
            out.write((int) (bits >>> (8 * i)) & 0xff);
        }
        return this;
    }

    public PickleBuilder none() {
        return raw('N');
    }

    public PickleBuilder newTrue() {
        return raw(0x88);
    }

    public PickleBuilder newFalse() {
        return raw(0x89);
    }

    public PickleBuilder emptyTuple() {
        return raw(')');
    }

    public PickleBuilder tuple() {
        return raw('t');
    }

    public PickleBuilder tuple1() {
        return raw(0x85);
    }

    public PickleBuilder tuple2() {
        return raw(0x86);
    }

    public PickleBuilder tuple3() {
        return raw(0x87);
    }

    public PickleBuilder emptyList() {
        return raw(']');
    }

    public PickleBuilder list() {
        return raw('l');
    }

    public PickleBuilder append() {
        return raw('a');
    }

    public PickleBuilder appends() {
        return raw('e');
    }

    public PickleBuilder emptyDict() {
        return raw('}');
    }

    public PickleBuilder dict() {
        return raw('d');
    }

    public PickleBuilder setitem() {
        return raw('s');
    }

    public PickleBuilder setitems() {
        return raw('u');
    }

    public PickleBuilder emptySet() {
        return raw(0x8f);
    }

    public PickleBuilder additems() {
        return raw(0x90);
    }

    public PickleBuilder frozenset() {
        return raw(0x91);
    }

    public PickleBuilder reduce() {
        return raw('R');
    }

    public PickleBuilder build() {
        return raw('b');
    }

    public PickleBuilder obj() {
        return raw('o');
    }

    public PickleBuilder newobj() {
        return raw(0x81);
    }

    public PickleBuilder newobjEx() {
        return raw(0x92);
    }

    public PickleBuilder put(int i) {
        return raw('p').ascii(Integer.toString(i)).raw('\n');
    }

    public PickleBuilder get(int i) {
        return raw('g').ascii(Integer.toString(i)).raw('\n');
    }

    public PickleBuilder binput(int i) {
        return raw('q', i);
    }

    public PickleBuilder binget(int i) {
        return raw('h', i);
    }

    public PickleBuilder longBinput(long i) {
        return raw('r').le(i, 4);
    }

    public PickleBuilder longBinget(long i) {
        return raw('j').le(i, 4);
    }

    public PickleBuilder memoize() {
        return raw(0x94);
    }

    public PickleBuilder persid(String pid) {
        return raw('P').ascii(pid).raw('\n');
    }

    public PickleBuilder binpersid() {
        return raw('Q');
    }

    public PickleBuilder ext1(int code) {
        return raw(0x82, code);
    }

    public PickleBuilder ext2(int code) {
        return raw(0x83).le(code, 2);
    }

    public PickleBuilder ext4(int code) {
        return raw(0x84).le(code, 4);
    }

    /** FRAME with an explicit length (which may lie about what follows). */
    public PickleBuilder frame(long length) {
        return raw(0x95).le(length, 8);
    }

    public PickleBuilder nextBuffer() {
        return raw(0x97);
    }

    public PickleBuilder readonlyBuffer() {
        return raw(0x98);
    }

    private PickleBuilder utf8(String s) {
        return raw(s.getBytes(StandardCharsets.UTF_8));
    }

    /** The classic payload: {@code module.name(arg)} with protocol 2 opcodes. */
    public static byte[] call(String module, String name, String arg) {
        return create().proto(2).global(module, name).str(arg).tuple1().reduce().stop().bytes();
    }
}
