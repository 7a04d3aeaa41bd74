package dev.laocoon.core.internal.format;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Builds GGUF files for tests, the way gguf-py's GGUFWriter lays them out (header, key-value pairs,
 * tensor infos, padding to the alignment, tensor data), in either byte order, with every field
 * settable to a value a writer would never produce.
 */
final class GgufFile {
    private final boolean big;
    private final ByteArrayOutputStream kvs = new ByteArrayOutputStream();
    private final ByteArrayOutputStream infos = new ByteArrayOutputStream();
    private int kvCount;
    private int tensorCount;
    private long nextOffset;
    private long alignment = 32;
    private long dataBytes = -1;

    private GgufFile(boolean big) {
        this.big = big;
    }

    static GgufFile little() {
        return new GgufFile(false);
    }

    static GgufFile big() {
        return new GgufFile(true);
    }

    void num(ByteArrayOutputStream o, long v, int n) {
        for (int i = 0; i < n; i++) {
            int shift = 8 * (big ? n - 1 - i : i);
            o.write((int) (v >>> shift) & 0xff);
        }
    }

    void str(ByteArrayOutputStream o, byte[] b) {
        num(o, b.length, 8);
        o.writeBytes(b);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A key-value pair with raw key bytes, a type and the encoded value. */
    GgufFile kv(byte[] key, int type, byte[] value) {
        str(kvs, key);
        num(kvs, type, 4);
        kvs.writeBytes(value);
        kvCount++;
        return this;
    }

    GgufFile str(String key, String value) {
        return str(utf8(key), value);
    }

    GgufFile str(byte[] key, String value) {
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        str(v, utf8(value));
        return kv(key, 8, v.toByteArray());
    }

    GgufFile u32(String key, long value) {
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        num(v, value, 4);
        if (key.equals("general.alignment") && value > 0 && (value & (value - 1)) == 0) {
            alignment = value;
        }
        return kv(utf8(key), 4, v.toByteArray());
    }

    GgufFile strings(String key, String... values) {
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        num(v, 8, 4);
        num(v, values.length, 8);
        for (String s : values) {
            str(v, utf8(s));
        }
        return kv(utf8(key), 9, v.toByteArray());
    }

    /** A tensor info with everything given. */
    GgufFile tensor(byte[] name, long type, long offset, long... dims) {
        str(infos, name);
        num(infos, dims.length, 4);
        for (long d : dims) {
            num(infos, d, 8);
        }
        num(infos, type, 4);
        num(infos, offset, 8);
        tensorCount++;
        return this;
    }

    /** An F32 tensor placed where a writer places it: after the previous one, padded to the alignment. */
    GgufFile f32(String name, long... dims) {
        long n = 4;
        for (long d : dims) {
            n *= d;
        }
        tensor(utf8(name), 0, nextOffset, dims);
        nextOffset += (n + alignment - 1) / alignment * alignment;
        return this;
    }

    /** How many data bytes follow the padding (by default as many as the laid-out tensors need). */
    GgufFile dataBytes(long n) {
        dataBytes = n;
        return this;
    }

    byte[] bytes() {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        num(o, 3, 4);
        num(o, tensorCount, 8);
        num(o, kvCount, 8);
        o.writeBytes(kvs.toByteArray());
        o.writeBytes(infos.toByteArray());
        if (tensorCount > 0) {
            while (o.size() % alignment != 0) {
                o.write(0);
            }
            o.writeBytes(new byte[(int) (dataBytes >= 0 ? dataBytes : nextOffset)]);
        }
        return o.toByteArray();
    }
}
