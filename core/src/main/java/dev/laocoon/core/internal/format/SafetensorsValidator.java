package dev.laocoon.core.internal.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validates a safetensors file as the reference implementation does: an 8-byte little-endian
 * header length within the file and at most 100 MB, a UTF-8 JSON object starting with '{', no
 * duplicate keys, {@code __metadata__} mapping strings to strings, known dtypes, shape times
 * dtype size equal to each tensor's span, spans that tile the data buffer from 0 with no holes
 * or overlaps, and no bytes after the buffer. Returns the problems found, with the tensor name.
 */
public final class SafetensorsValidator {
    public static final long MAX_HEADER = 100_000_000L;
    /** Bits per element of every dtype the reference implementation knows. */
    private static final Map<String, Integer> BITS = Map.ofEntries(
            Map.entry("BOOL", 8), Map.entry("U8", 8), Map.entry("I8", 8), Map.entry("F8_E5M2", 8),
            Map.entry("F8_E4M3", 8), Map.entry("F8_E8M0", 8), Map.entry("I16", 16), Map.entry("U16", 16),
            Map.entry("F16", 16), Map.entry("BF16", 16), Map.entry("I32", 32), Map.entry("U32", 32),
            Map.entry("F32", 32), Map.entry("F64", 64), Map.entry("I64", 64), Map.entry("U64", 64),
            Map.entry("C64", 64), Map.entry("F4", 4), Map.entry("F6_E2M3", 6), Map.entry("F6_E3M2", 6));

    /** One problem, with where it is (a tensor name, a key, or the header). */
    public record Problem(String where, String message) {
    }

    /** The validation result; {@code dataEnd} is where the data buffer should end (-1 if unknown). */
    public record Result(List<Problem> problems, long headerLength, long dataEnd) {
    }

    private SafetensorsValidator() {
    }

    /**
     * True when the content starts like a safetensors file: a length, then a JSON object (its first
     * two characters, even when the length runs past the end: a cut-short file), or a length that
     * fits in the file followed by '{' whatever comes next (a loader reads such a header and
     * rejects it when it is not valid JSON: a broken safetensors file, not an unknown format).
     */
    public static boolean looksLike(ByteSource src) throws IOException {
        byte[] h = new byte[10];
        if (src.size() < 10 || src.readFully(0, h, 0, 10) != 10 || h[8] != '{') {
            return false;
        }
        if (h[9] == '"' || h[9] == '}' || h[9] == ' ') {
            return true;
        }
        long n = 0;
        for (int i = 7; i >= 0; i--) {
            n = (n << 8) | (h[i] & 0xff);
        }
        return n >= 2 && n <= MAX_HEADER && 8 + n <= src.size();
    }

    public static Result validate(ByteSource src) throws IOException {
        List<Problem> problems = new ArrayList<>();
        byte[] h = new byte[8];
        src.readFully(0, h, 0, 8);
        long n = 0;
        for (int i = 7; i >= 0; i--) {
            n = (n << 8) | (h[i] & 0xff);
        }
        if (n < 0 || n > MAX_HEADER) {
            problems.add(new Problem("header", "header length " + Long.toUnsignedString(n) + " exceeds the 100 MB limit"));
            return new Result(problems, n, -1);
        }
        if (8 + n > src.size()) {
            problems.add(new Problem("header", "header length " + n + " runs past the end of the file ("
                    + src.size() + " bytes)"));
            return new Result(problems, n, -1);
        }
        byte[] json = new byte[(int) n];
        src.readFully(8, json, 0, json.length);
        long buffer = src.size() - 8 - n;
        List<long[]> spans = new ArrayList<>();
        List<String> names = new ArrayList<>();
        try (JsonParser p = new JsonFactory().createParser(json)) {
            if (json.length == 0 || json[0] != '{' || p.nextToken() != JsonToken.START_OBJECT) {
                problems.add(new Problem("header", "header is not a JSON object starting with '{'"));
                return new Result(problems, n, -1);
            }
            Set<String> keys = new HashSet<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                if (!keys.add(key)) {
                    problems.add(new Problem(key, "duplicate key"));
                }
                p.nextToken();
                if (key.equals("__metadata__")) {
                    metadata(p, problems);
                    continue;
                }
                tensor(p, key, problems, spans, names);
            }
            if (p.currentToken() != JsonToken.END_OBJECT) {
                problems.add(new Problem("header", "header JSON is not a single object"));
            }
            // Only spaces may follow the object (padding).
            JsonToken extra = p.nextToken();
            if (extra != null) {
                problems.add(new Problem("header", "data after the header's JSON object"));
            }
        } catch (IOException e) {
            problems.add(new Problem("header", "header is not valid JSON: " + firstLine(e.getMessage())));
            return new Result(problems, n, -1);
        }
        // spans must tile [0, buffer) exactly
        Integer[] order = new Integer[spans.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Long.compare(spans.get(a)[0], spans.get(b)[0]));
        long expected = 0;
        for (int i : order) {
            long[] s = spans.get(i);
            if (s[0] > expected) {
                problems.add(new Problem(names.get(i), "hole in the data buffer: bytes " + expected + ".." + s[0]
                        + " belong to no tensor"));
            } else if (s[0] < expected) {
                problems.add(new Problem(names.get(i), "data_offsets overlap another tensor (starts at " + s[0]
                        + ", previous ends at " + expected + ")"));
            }
            expected = Math.max(expected, s[1]);
        }
        if (expected > buffer) {
            problems.add(new Problem("header", "tensors end at " + expected + " but the data buffer has only "
                    + buffer + " bytes"));
        } else if (expected < buffer) {
            problems.add(new Problem("header", (buffer - expected) + " bytes follow the last tensor's data"));
        }
        return new Result(problems, n, 8 + n + expected);
    }

    private static void metadata(JsonParser p, List<Problem> problems) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            problems.add(new Problem("__metadata__", "__metadata__ is not an object"));
            p.skipChildren();
            return;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String k = p.currentName();
            JsonToken v = p.nextToken();
            if (v != JsonToken.VALUE_STRING) {
                problems.add(new Problem("__metadata__." + k, "metadata value is not a string"));
                p.skipChildren();
            }
        }
    }

    private static void tensor(JsonParser p, String name, List<Problem> problems, List<long[]> spans, List<String> names)
            throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            problems.add(new Problem(name, "tensor entry is not an object"));
            p.skipChildren();
            return;
        }
        String dtype = null;
        List<BigInteger> shape = null;
        List<BigInteger> offsets = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            JsonToken v = p.nextToken();
            switch (f) {
                case "dtype" -> {
                    if (v == JsonToken.VALUE_STRING) {
                        dtype = p.getText();
                    } else {
                        p.skipChildren();
                    }
                }
                case "shape" -> shape = ints(p);
                case "data_offsets" -> offsets = ints(p);
                default -> {
                    problems.add(new Problem(name, "unknown field '" + f + "'"));
                    p.skipChildren();
                }
            }
        }
        if (dtype == null || !BITS.containsKey(dtype)) {
            problems.add(new Problem(name, dtype == null ? "missing dtype" : "unknown dtype " + dtype));
            return;
        }
        if (shape == null) {
            problems.add(new Problem(name, "shape is missing or not a list of non-negative integers"));
            return;
        }
        if (offsets == null || offsets.size() != 2 || offsets.get(0).compareTo(offsets.get(1)) > 0
                || offsets.get(1).bitLength() > 62) {
            problems.add(new Problem(name, "data_offsets must be [begin, end] with begin <= end"));
            return;
        }
        BigInteger numel = BigInteger.ONE;
        for (BigInteger d : shape) {
            numel = numel.multiply(d);
        }
        BigInteger bits = numel.multiply(BigInteger.valueOf(BITS.get(dtype)));
        BigInteger span = offsets.get(1).subtract(offsets.get(0));
        if (bits.mod(BigInteger.valueOf(8)).signum() != 0 || !bits.shiftRight(3).equals(span)) {
            problems.add(new Problem(name, "shape " + shape + " of " + dtype + " needs " + bits.shiftRight(3)
                    + " bytes but data_offsets span " + span));
        }
        spans.add(new long[] {offsets.get(0).longValue(), offsets.get(1).longValue()});
        names.add(name);
    }

    /** A JSON list of non-negative integers, or null. */
    private static List<BigInteger> ints(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            p.skipChildren();
            return null;
        }
        List<BigInteger> out = new ArrayList<>();
        boolean ok = true;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() == JsonToken.VALUE_NUMBER_INT && p.getBigIntegerValue().signum() >= 0) {
                out.add(p.getBigIntegerValue());
            } else {
                ok = false;
                p.skipChildren();
            }
        }
        return ok ? out : null;
    }

    private static String firstLine(String s) {
        int i = s == null ? -1 : s.indexOf('\n');
        return i < 0 ? String.valueOf(s) : s.substring(0, i);
    }
}
