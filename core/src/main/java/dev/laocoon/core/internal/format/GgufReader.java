package dev.laocoon.core.internal.format;

import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * GGUF header, typed key-value metadata and tensor infos, with every count and length checked
 * against the bytes that remain before it is used. String values are kept (bounded); other
 * values are skipped. Problems are collected; reading stops at the first one that makes the
 * rest unreadable.
 */
public final class GgufReader {
    private static final int[] FIXED = {1, 1, 2, 2, 4, 4, 4, 1, -1, -1, 8, 8, 8};
    private static final int MAX_KEEP = 1 << 20;

    /** The parsed file: string metadata (key to value), tensor names, and the problems found. */
    /**
     * What was read: every string key-value pair in file order ({@code strings}; a key given
     * twice appears twice, since readers disagree on which one counts), tensor names, problems.
     */
    public record Gguf(int version, List<Map.Entry<String, String>> strings, List<String> tensors,
                       List<String> problems) {
    }

    private final ByteSource src;
    private final long size;
    private long pos;
    private int version;

    private GgufReader(ByteSource src) {
        this.src = src;
        this.size = src.size();
    }

    public static boolean looksLike(ByteSource src) throws IOException {
        byte[] m = new byte[4];
        return src.size() >= 8 && src.readFully(0, m, 0, 4) == 4 && m[0] == 'G' && m[1] == 'G' && m[2] == 'U'
                && m[3] == 'F';
    }

    public static Gguf read(ByteSource src) throws IOException {
        return new GgufReader(src).read();
    }

    private static final class Bad extends Exception {
        Bad(String m) {
            super(m, null, false, false);
        }
    }

    private Gguf read() throws IOException {
        List<Map.Entry<String, String>> strings = new ArrayList<>();
        java.util.Set<String> keys = new java.util.HashSet<>();
        List<String> tensors = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        try {
            pos = 4;
            version = (int) u(4);
            if (version < 1 || version > 3) {
                throw new Bad("unknown GGUF version " + version);
            }
            long tensorCount = version == 1 ? u(4) : u(8);
            long kvCount = version == 1 ? u(4) : u(8);
            // every key-value pair takes at least 13 bytes, every tensor info at least 24
            if (kvCount < 0 || kvCount > (size - pos) / 13) {
                throw new Bad("metadata count " + Long.toUnsignedString(kvCount) + " cannot fit in the file");
            }
            if (tensorCount < 0 || tensorCount > (size - pos) / 24) {
                throw new Bad("tensor count " + Long.toUnsignedString(tensorCount) + " cannot fit in the file");
            }
            for (long i = 0; i < kvCount; i++) {
                String key = string(false);
                if (!keys.add(key)) {
                    // ggml refuses such files; gguf-py keeps the first value under the key, others the last
                    problems.add("metadata key '" + key + "' is given more than once; readers disagree on which value counts");
                }
                int type = (int) u(4);
                if (type == 8) {
                    strings.add(Map.entry(key, string(true)));
                } else {
                    skipValue(type, key);
                }
            }
            for (long i = 0; i < tensorCount; i++) {
                String name = string(true);
                long dims = u(4);
                if (dims > 8) {
                    throw new Bad("tensor '" + name + "' has " + dims + " dimensions");
                }
                need(dims * 8 + 12);
                pos += dims * 8 + 12;
                tensors.add(name);
            }
        } catch (Bad e) {
            problems.add(e.getMessage());
        }
        return new Gguf(version, strings, tensors, problems);
    }

    private void need(long n) throws Bad {
        if (n < 0 || n > size - pos) {
            throw new Bad("a length of " + Long.toUnsignedString(n) + " at offset " + pos + " runs past the end of the file");
        }
    }

    private long u(int n) throws IOException, Bad {
        need(n);
        byte[] b = new byte[n];
        src.readFully(pos, b, 0, n);
        pos += n;
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xff);
        }
        return v;
    }

    private String string(boolean keep) throws IOException, Bad {
        long len = version == 1 ? u(4) : u(8);
        need(len);
        int k = (int) Math.min(len, keep ? MAX_KEEP : 4096);
        byte[] b = new byte[k];
        src.readFully(pos, b, 0, k);
        pos += len;
        return new String(b, StandardCharsets.UTF_8);
    }

    private void skipValue(int type, String key) throws IOException, Bad {
        if (type < 0 || type >= FIXED.length) {
            throw new Bad("key '" + key + "' has unknown value type " + type);
        }
        if (type == 8) {
            string(false);
        } else if (type == 9) {
            int elem = (int) u(4);
            long count = version == 1 ? u(4) : u(8);
            if (elem < 0 || elem >= FIXED.length || elem == 9) {
                throw new Bad("array '" + key + "' has element type " + elem);
            }
            if (elem == 8) {
                if (count < 0 || count > (size - pos) / 8) {
                    throw new Bad("array '" + key + "' claims " + Long.toUnsignedString(count) + " strings");
                }
                for (long i = 0; i < count; i++) {
                    long len = version == 1 ? u(4) : u(8);
                    need(len);
                    pos += len;
                }
            } else {
                if (count < 0 || count > (size - pos) / FIXED[elem]) {
                    throw new Bad("array '" + key + "' claims " + Long.toUnsignedString(count) + " elements");
                }
                pos += count * FIXED[elem];
            }
        } else {
            need(FIXED[type]);
            pos += FIXED[type];
        }
    }
}
