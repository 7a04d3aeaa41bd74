package dev.laocoon.core.internal.format;

import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GGUF header, typed key-value metadata and tensor infos, read as llama.cpp's
 * {@code ggml/src/gguf.cpp} ({@code gguf_init_from_file_impl}) and gguf-py's
 * {@code gguf/gguf_reader.py} ({@code GGUFReader}, gguf 0.19) read them, with every count and length
 * checked against the bytes that remain before it is used. Everything either reader refuses, or
 * reads differently from the other, is a problem (a {@code gguf-malformed} finding); reading stops
 * at the first problem that makes the rest unreadable.
 *
 * <p>Byte order: gguf-py reads the version in host order and, when its low 16 bits are zero, takes
 * the file to be of the other byte order and reads everything after the magic byte-swapped
 * ({@code GGUFReader.__init__}; the writer puts the magic in little-endian order always,
 * {@code GGUFWriter.write_header_to_file}). Big-endian files are read the same way here.
 *
 * <p>Chat template values ({@code tokenizer.chat_template} and {@code tokenizer.chat_template.*},
 * compared as C code compares keys: up to the first NUL byte) are kept up to {@link #MAX_TEMPLATE}
 * bytes; a longer one is kept to that bound and reported in {@code incomplete}.
 */
public final class GgufReader {
    /** Byte sizes of the scalar value types 0..12 (gguf.cpp {@code GGUF_TYPE_SIZE}); -1 for string and array. */
    private static final int[] FIXED = {1, 1, 2, 2, 4, 4, 4, 1, -1, -1, 8, 8, 8};
    private static final int STRING = 8;
    private static final int ARRAY = 9;
    private static final int UINT32 = 4;
    /** Templates are analysed whole up to this many bytes. */
    public static final int MAX_TEMPLATE = 8 << 20;
    private static final int MAX_KEEP = 4096;
    /** ggml.h {@code GGML_MAX_DIMS}. */
    static final int MAX_DIMS = 4;
    /** ggml.h {@code GGML_MAX_NAME}: gguf.cpp refuses tensor names of this length or longer. */
    static final int MAX_NAME = 64;
    /** The GGUF specification (docs/gguf.md): a key is at most 2^16-1 bytes. */
    static final int MAX_KEY = 65535;
    /** gguf-py {@code GGUF_DEFAULT_ALIGNMENT}, gguf.cpp {@code GGUF_DEFAULT_ALIGNMENT}. */
    static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_REPORTED = 3;

    /**
     * ggml types: {block size, type size} by type id, from gguf-py 0.19 {@code constants.py}
     * {@code GGML_QUANT_SIZES} (QK_K = 256), which matches ggml.c's {@code type_traits}. Ids without an
     * entry (4 and 5, the removed Q4_2/Q4_3; 31-33 and 36-38, the removed repacked types) have block
     * size 0 in ggml, which gguf.cpp refuses, and are not members of gguf-py's
     * {@code GGMLQuantizationType}, which raises on them.
     */
    static final Map<Integer, int[]> GGML_TYPES = Map.ofEntries(
            Map.entry(0, new int[] {1, 4}), Map.entry(1, new int[] {1, 2}), Map.entry(2, new int[] {32, 18}),
            Map.entry(3, new int[] {32, 20}), Map.entry(6, new int[] {32, 22}), Map.entry(7, new int[] {32, 24}),
            Map.entry(8, new int[] {32, 34}), Map.entry(9, new int[] {32, 40}), Map.entry(10, new int[] {256, 84}),
            Map.entry(11, new int[] {256, 110}), Map.entry(12, new int[] {256, 144}), Map.entry(13, new int[] {256, 176}),
            Map.entry(14, new int[] {256, 210}), Map.entry(15, new int[] {256, 292}), Map.entry(16, new int[] {256, 66}),
            Map.entry(17, new int[] {256, 74}), Map.entry(18, new int[] {256, 98}), Map.entry(19, new int[] {256, 50}),
            Map.entry(20, new int[] {32, 18}), Map.entry(21, new int[] {256, 110}), Map.entry(22, new int[] {256, 82}),
            Map.entry(23, new int[] {256, 136}), Map.entry(24, new int[] {1, 1}), Map.entry(25, new int[] {1, 2}),
            Map.entry(26, new int[] {1, 4}), Map.entry(27, new int[] {1, 8}), Map.entry(28, new int[] {1, 8}),
            Map.entry(29, new int[] {256, 56}), Map.entry(30, new int[] {1, 2}), Map.entry(34, new int[] {256, 54}),
            Map.entry(35, new int[] {256, 66}), Map.entry(39, new int[] {32, 17}), Map.entry(40, new int[] {64, 36}),
            Map.entry(41, new int[] {128, 18}));

    /**
     * What was read: the chat template values (and {@code general.architecture}/{@code general.name})
     * in file order ({@code strings}; a key given twice appears twice, since readers disagree on which
     * one counts; a template stored as an array of strings appears as the text llama.cpp makes of it),
     * tensor names, problems, and the values that were cut at a limit ({@code incomplete}).
     */
    public record Gguf(int version, boolean bigEndian, List<Map.Entry<String, String>> strings, List<String> tensors,
                       List<String> problems, List<String> incomplete) {
    }

    private record Tensor(String name, long offset, long bytes) {
    }

    /** Metadata keys remembered for the repetition checks (16 bytes each); no real model has a thousandth of this. */
    static final int MAX_TRACKED_KEYS = 1_000_000;
    private final ByteSource src;
    private final long size;
    private long pos;
    private int version;
    private boolean big;
    private final List<String> problems = new ArrayList<>();
    private final List<String> incomplete = new ArrayList<>();
    private final Map<String, Integer> kinds = new LinkedHashMap<>();

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

    /** A template key as C code sees it: {@code strcmp} on the key's bytes up to the first NUL. */
    public static boolean templateKey(String key) {
        String c = cView(key);
        return c.equals("tokenizer.chat_template") || c.startsWith("tokenizer.chat_template.");
    }

    /** A string as C code sees it ({@code c_str()}, {@code strcmp}): up to the first NUL. */
    public static String cView(String s) {
        int nul = s.indexOf('\0');
        return nul < 0 ? s : s.substring(0, nul);
    }

    /** Records a problem of a kind; after {@link #MAX_REPORTED} of one kind, only counts them. */
    private void problem(String kind, String message) {
        int n = kinds.merge(kind, 1, Integer::sum);
        if (n <= MAX_REPORTED) {
            problems.add(message);
        }
    }

    private Gguf read() throws IOException {
        List<Map.Entry<String, String>> strings = new ArrayList<>();
        List<String> tensors = new ArrayList<>();
        try {
            pos = 4;
            long raw = u(4);
            // gguf_reader.py: "if temp_version[0] & 65535 == 0" the file is of the other byte order;
            // gguf.cpp refuses such a file on this host ("is there a mismatch between the host and model endianness?")
            if ((raw & 0xffff) == 0 && raw != 0) {
                big = true;
                raw = Integer.toUnsignedLong(Integer.reverseBytes((int) raw));
            }
            version = (int) raw;
            if (version < 1 || version > 3) {
                throw new Bad("unknown GGUF version " + Long.toUnsignedString(raw));
            }
            long tensorCount = version == 1 ? u(4) : u(8);
            long kvCount = version == 1 ? u(4) : u(8);
            // every key-value pair takes at least 13 bytes, every tensor info at least 24; gguf.cpp reads
            // both counts as int64 and refuses negative ones
            if (kvCount < 0 || kvCount > (size - pos) / 13) {
                throw new Bad("metadata count " + Long.toUnsignedString(kvCount) + " cannot fit in the file");
            }
            if (tensorCount < 0 || tensorCount > (size - pos) / 24) {
                throw new Bad("tensor count " + Long.toUnsignedString(tensorCount) + " cannot fit in the file");
            }
            long alignment = metadata(kvCount, strings);
            List<Tensor> infos = new ArrayList<>();
            for (long i = 0; i < tensorCount; i++) {
                Tensor t = tensorInfo();
                tensors.add(t.name());
                infos.add(t);
            }
            data(infos, alignment);
        } catch (Bad e) {
            problems.add(e.getMessage());
        }
        kinds.forEach((kind, n) -> {
            if (n > MAX_REPORTED) {
                problems.add((n - MAX_REPORTED) + " more of the same kind: " + kind);
            }
        });
        return new Gguf(version, big, strings, tensors, problems, incomplete);
    }

    /** The key-value pairs; returns the alignment the loaders use (the default when it is invalid). */
    private long metadata(long kvCount, List<Map.Entry<String, String>> strings) throws IOException, Bad {
        HashedNames keys = new HashedNames();
        HashedNames nulViews = new HashedNames(); // the C views of keys holding a NUL (rare)
        long alignment = DEFAULT_ALIGNMENT;
        for (long i = 0; i < kvCount; i++) {
            long at = pos;
            byte[] kb = bytes(MAX_KEY + 1);
            String key = utf8(kb);
            if (lastLength > MAX_KEY) {
                problem("key length", "metadata key of " + lastLength + " bytes at offset " + at
                        + " is longer than the 65535 bytes the GGUF specification allows");
            }
            checkName("metadata key", key, kb);
            if (i == MAX_TRACKED_KEYS) {
                incomplete.add("the file has more than " + MAX_TRACKED_KEYS + " metadata keys; keys after the first "
                        + MAX_TRACKED_KEYS + " were not checked for repetition");
            }
            boolean nul = key.indexOf('\0') >= 0;
            if (i >= MAX_TRACKED_KEYS) {
                // no memory spent per key beyond this point; templates are still judged below
            } else if (!keys.add(key)) {
                // gguf.cpp refuses duplicate keys ("duplicate key"), gguf-py raises KeyError ("Duplicate ...")
                problems.add("metadata key '" + printable(key) + "' is given more than once; readers disagree on which value counts");
            } else if (nul ? keys.contains(cView(key)) || !nulViews.add(cView(key)) : nulViews.contains(key)) {
                problems.add("metadata key '" + printable(key) + "' is the same key to C code (strcmp) as another key"
                        + " of the file, a different one to gguf-py");
            }
            int type = (int) u(4);
            boolean template = templateKey(key);
            if (key.equals("general.alignment")) {
                // gguf.cpp: gguf_get_val_u32 asserts the type (an abort); gguf_reader.py: "Bad type for
                // general.alignment field"; both refuse 0 and non-powers of two
                if (type != UINT32) {
                    problems.add("general.alignment has value type " + type + ", not uint32: gguf.cpp aborts, gguf-py refuses the file");
                    skipValue(type, key, 0);
                } else {
                    long a = u(4);
                    if (a == 0 || (a & (a - 1)) != 0) {
                        problems.add("general.alignment is " + a + ", not a power of two: both gguf.cpp and gguf-py refuse the file");
                    } else {
                        alignment = a;
                    }
                }
            } else if (type == STRING && (template || key.equals("general.architecture") || key.equals("general.name"))) {
                // the architecture and name are kept whole too: transformers rewrites templates with them
                byte[] v = bytes(MAX_TEMPLATE);
                if (lastLength > MAX_TEMPLATE) {
                    incomplete.add("the value of '" + printable(key) + "' has " + lastLength + " bytes; only the first "
                            + MAX_TEMPLATE + " were analysed" + (template ? " as a template" : ""));
                }
                strings.add(Map.entry(key, new String(v, StandardCharsets.UTF_8)));
            } else if (type == ARRAY && template) {
                strings.add(Map.entry(key, templateArray(key)));
            } else {
                skipValue(type, key, 0);
            }
        }
        return alignment;
    }

    /**
     * A template key holding an array: llama.cpp's {@code gguf_kv_to_str} (src/llama-impl.cpp) makes
     * the text {@code ["a", "b"]} of a string array (each element up to its NUL, backslashes and quotes
     * escaped) and {@code llama_model_chat_template} uses that text as the template.
     */
    private String templateArray(String key) throws IOException, Bad {
        long start = pos;
        int elem = (int) u(4);
        long count = version == 1 ? u(4) : u(8);
        if (elem != STRING) {
            pos = start;
            skipValue(ARRAY, key, 0);
            problems.add("'" + printable(key) + "' holds an array, not a string");
            return "";
        }
        if (count < 0 || count > (size - pos) / 8) {
            throw new Bad("array '" + printable(key) + "' claims " + Long.toUnsignedString(count) + " strings");
        }
        problems.add("'" + printable(key) + "' holds an array of strings, not a string; llama.cpp uses its text as the template");
        StringBuilder text = new StringBuilder("[");
        boolean cut = false;
        for (long i = 0; i < count; i++) {
            boolean room = text.length() < MAX_TEMPLATE;
            String s = cView(new String(bytes(room ? MAX_TEMPLATE : 0), StandardCharsets.UTF_8));
            cut |= !room || lastLength > MAX_TEMPLATE;
            if (room) {
                text.append(i == 0 ? "" : ", ").append('"').append(s.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        }
        if (cut) {
            incomplete.add("the array '" + printable(key) + "' is longer than " + MAX_TEMPLATE
                    + " characters; only its beginning was analysed as a template");
        }
        return text.append(']').toString();
    }

    private Tensor tensorInfo() throws IOException, Bad {
        byte[] nb = bytes(MAX_KEEP);
        String name = utf8(nb);
        String shown = printable(name);
        if (lastLength >= MAX_NAME) {
            // gguf.cpp: "tensor name %zu is too long: %zu >= %d" (GGML_MAX_NAME)
            problem("tensor name length", "tensor name '" + shown + "' has " + lastLength + " bytes; llama.cpp refuses names of "
                    + MAX_NAME + " bytes or more");
        }
        checkName("tensor name", name, nb);
        long nDims = u(4);
        if (nDims > MAX_DIMS) {
            // gguf.cpp: "has invalid number of dimensions"; gguf-py reads any number
            problem("dimension count", "tensor '" + shown + "' has " + nDims + " dimensions; llama.cpp allows at most " + MAX_DIMS);
        }
        need(nDims * 8 + 12);
        long[] ne = {1, 1, 1, 1};
        boolean overflow = false;
        java.math.BigInteger elements = java.math.BigInteger.ONE;
        for (long j = 0; j < nDims; j++) {
            long d = u(8);
            if (j < MAX_DIMS) {
                ne[(int) j] = d;
            }
            if (d < 0) {
                // gguf.cpp reads dimensions as int64: "has invalid number of elements ... < 0"; gguf-py reads uint64
                problem("negative dimension", "tensor '" + shown + "' dimension " + j + " is " + d
                        + " to llama.cpp (int64) and " + Long.toUnsignedString(d) + " to gguf-py (uint64)");
            } else if (d == 0 && j > 0 && j < MAX_DIMS) {
                // gguf.cpp's element-count check computes INT64_MAX/ne[1], /ne[2], /ne[3]
                problem("zero dimension", "tensor '" + shown + "' dimension " + j
                        + " is 0: llama.cpp's element-count check divides by it");
            }
            elements = elements.multiply(new java.math.BigInteger(Long.toUnsignedString(d)));
        }
        if (elements.bitLength() > 63 || elements.longValue() == Long.MAX_VALUE) {
            // gguf.cpp: "total number of elements in tensor ... is >= INT64_MAX"; numpy's prod wraps in gguf-py
            overflow = true;
            problem("element count", "tensor '" + shown + "' has " + elements + " elements, more than int64 holds;"
                    + " llama.cpp refuses it and gguf-py's element count wraps around");
        }
        long type = u(4);
        long offset = u(8);
        int[] traits = type <= Integer.MAX_VALUE ? GGML_TYPES.get((int) type) : null;
        long bytes = -1;
        if (traits == null) {
            // gguf.cpp: "has invalid ggml type" or block size 0; gguf-py: GGMLQuantizationType(raw) raises
            problem("tensor type", "tensor '" + shown + "' has unknown ggml type " + Long.toUnsignedString(type));
        } else if (ne[0] >= 0 && ne[0] % traits[0] != 0) {
            // gguf.cpp: "elements per row, not a multiple of block size"
            problem("block size", "tensor '" + shown + "' has " + ne[0] + " elements per row, not a multiple of its type's block size "
                    + traits[0]);
        } else if (!overflow && elements.signum() >= 0) {
            java.math.BigInteger b = elements.divide(java.math.BigInteger.valueOf(traits[0]))
                    .multiply(java.math.BigInteger.valueOf(traits[1]));
            if (b.bitLength() > 63) {
                // ggml_nbytes is a size_t product of ne[] and nb[]: it wraps
                problem("byte size", "tensor '" + shown + "' needs " + b + " bytes, which wraps around in 64-bit size arithmetic");
            } else {
                bytes = b.longValue();
            }
        }
        return new Tensor(cView(name), offset, bytes);
    }

    /**
     * The tensor data as both readers place it: after the tensor infos, padded to the alignment.
     * gguf.cpp requires each tensor at exactly the running sum of the padded sizes before it
     * ("tensor '%s' has offset %" PRIu64 ", expected %zu"); llama.cpp's model loader refuses data
     * outside the file ("data is not within the file bounds"); gguf-py takes any offset, so tensors
     * that overlap are read by it as shared bytes.
     */
    private void data(List<Tensor> infos, long alignment) {
        long start = pad(pos, alignment);
        Map<String, Integer> names = new HashMap<>();
        long expected = 0;
        List<long[]> ranges = new ArrayList<>();
        for (int i = 0; i < infos.size(); i++) {
            Tensor t = infos.get(i);
            String shown = printable(t.name());
            Integer first = names.putIfAbsent(t.name(), i);
            if (first != null) {
                // gguf.cpp compares names with strcmp ("duplicate tensor name"); gguf-py raises too
                problem("duplicate tensor", "tensors " + first + " and " + i + " are both named '" + shown + "'");
            }
            if (t.bytes() < 0) {
                expected = -1;
                continue;
            }
            if (Long.remainderUnsigned(t.offset(), alignment) != 0) {
                problem("unaligned", "tensor '" + shown + "' data offset " + Long.toUnsignedString(t.offset())
                        + " is not a multiple of the alignment " + alignment);
            } else if (expected >= 0 && t.offset() != expected) {
                problem("offset", "tensor '" + shown + "' data offset " + Long.toUnsignedString(t.offset()) + " is not where llama.cpp"
                        + " expects it (" + expected + ": tensors end to end in order, each padded to the alignment)");
            }
            if (expected >= 0) {
                expected = pad(expected + t.bytes(), alignment);
            }
            long end = t.offset() < 0 || start + t.offset() < 0 ? -1 : start + t.offset() + t.bytes();
            if (end < 0 || end > size) {
                problem("past end", "tensor '" + shown + "' data (" + t.bytes() + " bytes at data offset "
                        + Long.toUnsignedString(t.offset()) + ") runs past the end of the file");
            } else if (t.bytes() > 0) {
                ranges.add(new long[] {t.offset(), t.offset() + t.bytes(), i});
            }
        }
        ranges.sort((a, b) -> Long.compare(a[0], b[0]));
        for (int i = 1; i < ranges.size(); i++) {
            long[] a = ranges.get(i - 1);
            long[] b = ranges.get(i);
            if (b[0] < a[1]) {
                problem("overlap", "the data of tensors '" + printable(infos.get((int) a[2]).name()) + "' and '"
                        + printable(infos.get((int) b[2]).name()) + "' overlap");
            }
        }
    }

    private static long pad(long v, long alignment) {
        long r = Long.remainderUnsigned(v, alignment);
        return r == 0 ? v : v + alignment - r;
    }

    /** A key or tensor name that gguf-py cannot decode, or that C code reads shorter. */
    private void checkName(String what, String name, byte[] raw) {
        if (name.indexOf('\0') >= 0) {
            problem("NUL in " + what, what + " '" + printable(name) + "' contains a NUL byte: C code (strcmp, c_str) reads it as '"
                    + printable(cView(name)) + "', gguf-py reads all of it");
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw));
        } catch (CharacterCodingException e) {
            problem("UTF-8 in " + what, what + " '" + printable(name) + "' is not valid UTF-8: gguf-py cannot read the file");
        }
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** A name for a message: NUL and other control characters escaped, long names cut. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 200; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return b.length() < 200 ? b.toString() : b + "...";
    }

    private void need(long n) throws Bad {
        if (n < 0 || n > size - pos) {
            throw new Bad("a length of " + Long.toUnsignedString(n) + " at offset " + pos + " runs past the end of the file");
        }
    }

    /** A window over the file: metadata is millions of small fields, one read call each was the cost. */
    private final byte[] window = new byte[1 << 16];
    private long windowStart = -1;
    private int windowLength;

    private void read(long at, byte[] b, int n) throws IOException {
        if (n > window.length) {
            src.readFully(at, b, 0, n);
            return;
        }
        if (windowStart < 0 || at < windowStart || at + n > windowStart + windowLength) {
            windowStart = at;
            windowLength = src.readFully(at, window, 0, (int) Math.min(window.length, size - at));
        }
        System.arraycopy(window, (int) (at - windowStart), b, 0, Math.min(n, Math.max(0, windowLength - (int) (at - windowStart))));
    }

    private long u(int n) throws IOException, Bad {
        need(n);
        byte[] b = new byte[n];
        read(pos, b, n);
        pos += n;
        long v = 0;
        for (int i = 0; i < n; i++) {
            int k = big ? i : n - 1 - i;
            v = (v << 8) | (b[k] & 0xff);
        }
        return v;
    }

    private long lastLength;

    /** A GGUF string: its first {@code keep} bytes; {@link #lastLength} is its whole length. */
    private byte[] bytes(int keep) throws IOException, Bad {
        long len = version == 1 ? u(4) : u(8);
        need(len);
        lastLength = len;
        int k = (int) Math.min(len, keep);
        byte[] b = new byte[k];
        read(pos, b, k);
        pos += len;
        return b;
    }

    private void skipValue(int type, String key, int depth) throws IOException, Bad {
        if (type < 0 || type >= FIXED.length) {
            throw new Bad("key '" + printable(key) + "' has unknown value type " + type);
        }
        if (type == STRING) {
            long len = version == 1 ? u(4) : u(8);
            need(len);
            pos += len;
        } else if (type == ARRAY) {
            int elem = (int) u(4);
            long count = version == 1 ? u(4) : u(8);
            if (elem < 0 || elem >= FIXED.length) {
                throw new Bad("array '" + printable(key) + "' has element type " + elem);
            }
            if (elem == ARRAY) {
                // gguf.cpp refuses arrays of arrays ("invalid GGUF type"); gguf-py reads them recursively
                if (depth > 8 || count < 0 || count > (size - pos) / 12) {
                    throw new Bad("array '" + printable(key) + "' nests arrays too deeply or claims too many");
                }
                if (depth == 0) {
                    problems.add("array '" + printable(key) + "' holds arrays: gguf.cpp refuses the file, gguf-py reads it");
                }
                for (long i = 0; i < count; i++) {
                    skipValue(ARRAY, key, depth + 1);
                }
            } else if (elem == STRING) {
                if (count < 0 || count > (size - pos) / 8) {
                    throw new Bad("array '" + printable(key) + "' claims " + Long.toUnsignedString(count) + " strings");
                }
                for (long i = 0; i < count; i++) {
                    long len = version == 1 ? u(4) : u(8);
                    need(len);
                    pos += len;
                }
            } else {
                if (count < 0 || count > (size - pos) / FIXED[elem]) {
                    throw new Bad("array '" + printable(key) + "' claims " + Long.toUnsignedString(count) + " elements");
                }
                pos += count * FIXED[elem];
            }
        } else {
            need(FIXED[type]);
            pos += FIXED[type];
        }
    }
}
