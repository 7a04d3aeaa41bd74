package dev.laocoon.core.sign;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.laocoon.core.internal.sign.Hashing;
import dev.laocoon.core.internal.sign.Hex;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reading a bundle's JSON and its statement's manifest (what was signed, how it was hashed) for {@link Signatures}. */
final class Manifests {
    private Manifests() {
    }

    /** A verification failure, carried to {@link #verify} which turns it into a result. */
    static final class Fail extends Exception {
        Fail(String message) {
            super(message);
        }
    }


    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

    static JsonNode parse(byte[] raw, String what) throws Fail {
        if (raw.length == 0) {
            throw new Fail(what + " is empty");
        }
        try {
            JsonParser p = JSON.createParser(raw);
            JsonNode n = JSON.readTree(p);
            if (p.nextToken() != null) {
                throw new Fail(what + " is not valid JSON: text after the document");
            }
            if (n == null || !n.isObject()) {
                throw new Fail(what + " is not a JSON object");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new Fail(what + " is not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new Fail(what + " cannot be read as JSON (" + e.getMessage() + ")");
        }
    }

    static String text(JsonNode n, String field, String where) throws Fail {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new Fail(where + " has no '" + field + "'");
        }
        if (!v.isTextual()) {
            throw new Fail(where + ": '" + field + "' is not a string");
        }
        return v.asText();
    }

    static byte[] base64(String s, String what) throws Fail {
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            try {
                return Base64.getUrlDecoder().decode(s);
            } catch (IllegalArgumentException e2) {
                throw new Fail(what + " is not valid base64");
            }
        }
    }

    // ------------------------------------------------------------------ manifest

    static final class Manifest {
        String method = "files";
        String hash = "sha256";
        long shardSize;
        boolean allowSymlinks;
        List<String> ignorePaths = List.of();
        String subjectDigest;
        Map<String, Resource> resources = new LinkedHashMap<>();
    }

    static Manifest manifestV1(JsonNode st, Path bundle) throws Fail {
        String where = "statement in " + bundle;
        JsonNode subj = st.get("subject");
        if (subj == null || !subj.isArray() || subj.isEmpty()) {
            throw new Fail("no subject: the " + where + " names no model");
        }
        if (subj.size() != 1) {
            throw new Fail("malformed " + where + ": " + subj.size() + " subjects (expected one)");
        }
        Manifest m = new Manifest();
        m.subjectDigest = subj.get(0).path("digest").path("sha256").asText(null);
        if (m.subjectDigest == null) {
            throw new Fail("malformed " + where + ": the subject has no sha256 digest");
        }
        JsonNode pred = st.get("predicate");
        if (pred == null || !pred.isObject()) {
            throw new Fail("malformed " + where + ": no predicate");
        }
        JsonNode ser = pred.get("serialization");
        if (ser == null || !ser.isObject()) {
            throw new Fail("malformed " + where + ": the predicate has no serialization");
        }
        m.method = text(ser, "method", where + " serialization");
        m.hash = text(ser, "hash_type", where + " serialization");
        if (!m.method.equals("files") && !m.method.equals("shards")) {
            throw new Fail("unsupported serialization method '" + m.method + "' in " + bundle);
        }
        if (Hashing.length(m.hash) < 0) {
            throw new Fail("unsupported hash '" + m.hash + "' in " + bundle + " (Laocoon verifies sha256 and blake2b)");
        }
        JsonNode sym = ser.get("allow_symlinks");
        if (sym == null) {
            throw new Fail("malformed " + where + ": serialization has no allow_symlinks");
        }
        // the reference wrote a string "false" in one compatibility path
        m.allowSymlinks = sym.isBoolean() ? sym.asBoolean() : sym.asText().equalsIgnoreCase("true");
        if (m.method.equals("shards")) {
            JsonNode ss = ser.get("shard_size");
            long v = -1;
            if (ss != null && ss.canConvertToExactIntegral() && ss.canConvertToLong()) {
                v = ss.asLong();
            } else if (ss != null && ss.isTextual() && ss.asText().matches("[0-9]{1,18}")) {
                v = Long.parseLong(ss.asText()); // int64 as a protobuf-JSON string
            }
            if (v <= 0) {
                throw new Fail("malformed " + where + ": shards without a positive integer shard_size");
            }
            m.shardSize = v;
        }
        JsonNode ig = ser.get("ignore_paths");
        if (ig != null && ig.isArray()) {
            List<String> l = new ArrayList<>();
            for (JsonNode n : ig) {
                if (n.isTextual()) {
                    l.add(n.asText());
                }
            }
            m.ignorePaths = l;
        }
        JsonNode res = pred.get("resources");
        if (res == null || !res.isArray()) {
            throw new Fail("malformed " + where + ": the predicate has no resources");
        }
        if (res.isEmpty()) {
            throw new Fail("empty resources: the " + where + " signs no file");
        }
        List<Resource> listed = new ArrayList<>();
        int len = Hashing.length(m.hash);
        for (JsonNode n : res) {
            String name = text(n, "name", where + " resource");
            String alg = text(n, "algorithm", where + " resource '" + name + "'");
            String dig = text(n, "digest", where + " resource '" + name + "'").toLowerCase(java.util.Locale.ROOT);
            // the Python and Go tools name shard digests "<hash>-sharded-<shard size>"
            if (!alg.equals(m.hash) && !(m.method.equals("shards") && alg.equals(m.hash + "-sharded-" + m.shardSize))) {
                throw new Fail("malformed " + where + ": resource '" + name + "' uses " + alg + ", serialization says "
                        + m.hash);
            }
            byte[] d = Hex.parse(dig);
            if (d == null || d.length != len) {
                throw new Fail("malformed " + where + ": resource '" + name + "' has no valid " + alg + " digest");
            }
            Resource x = new Resource(name, m.hash, dig);
            if (m.resources.put(name, x) != null) {
                throw new Fail("malformed " + where + ": resource '" + name + "' is listed twice");
            }
            listed.add(x);
        }
        String root = Signatures.rootDigest(listed);
        if (!m.subjectDigest.equalsIgnoreCase(root)) {
            throw new Fail("inconsistent " + where + ": the subject digest " + m.subjectDigest
                    + " is not the digest of the listed resources (" + root + ")");
        }
        return m;
    }

    static Manifest manifestV01(JsonNode st, Path bundle) throws Fail {
        String where = "statement in " + bundle;
        JsonNode subj = st.get("subject");
        if (subj == null || !subj.isArray() || subj.isEmpty()) {
            throw new Fail("no subject: the " + where + " names no file");
        }
        Manifest m = new Manifest();
        for (JsonNode n : subj) {
            String name = text(n, "name", where + " subject");
            String dig = n.path("digest").path("sha256").asText("").toLowerCase(java.util.Locale.ROOT);
            byte[] d = Hex.parse(dig);
            if (d == null || d.length != 32) {
                throw new Fail("malformed " + where + ": subject '" + name + "' has no sha256 digest");
            }
            if (m.resources.put(name, new Resource(name, "sha256", dig)) != null) {
                throw new Fail("malformed " + where + ": subject '" + name + "' is listed twice");
            }
        }
        return m;
    }

    // ------------------------------------------------------------------ comparison
}
