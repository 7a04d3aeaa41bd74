package dev.laocoon.core.internal.sign;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;

/** Writes the OMS in-toto statement and the Sigstore bundle around its DSSE envelope. */
public final class BundleWriter {
    private BundleWriter() {
    }

    /** The statement; {@code res} holds name, algorithm and hex digest of each resource, in order. */
    public static byte[] statement(String name, String root, List<String[]> res, String hash, long shard,
            boolean symlinks, List<String> ignores) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(bo)) {
            g.writeStartObject();
            g.writeStringField("_type", Oms.STATEMENT_TYPE);
            g.writeArrayFieldStart("subject");
            g.writeStartObject();
            g.writeStringField("name", name);
            g.writeObjectFieldStart("digest");
            g.writeStringField("sha256", root);
            g.writeEndObject();
            g.writeEndObject();
            g.writeEndArray();
            g.writeStringField("predicateType", Oms.PREDICATE_TYPE);
            g.writeObjectFieldStart("predicate");
            g.writeArrayFieldStart("resources");
            for (String[] x : res) {
                g.writeStartObject();
                g.writeStringField("name", x[0]);
                g.writeStringField("algorithm", x[1]);
                g.writeStringField("digest", x[2]);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeObjectFieldStart("serialization");
            g.writeStringField("method", shard == 0 ? "files" : "shards");
            g.writeStringField("hash_type", hash);
            if (shard != 0) {
                g.writeNumberField("shard_size", shard);
            }
            g.writeBooleanField("allow_symlinks", symlinks);
            g.writeArrayFieldStart("ignore_paths");
            for (String s : ignores) {
                g.writeString(s);
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
            g.writeEndObject();
        }
        return bo.toByteArray();
    }

    public static byte[] bundleJson(byte[] payload, byte[] sig, String hint, List<X509Certificate> chain)
            throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        Base64.Encoder b64 = Base64.getEncoder();
        try (JsonGenerator g = new JsonFactory().createGenerator(bo)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("mediaType", Oms.BUNDLE_MEDIA_TYPE);
            g.writeObjectFieldStart("verificationMaterial");
            if (hint != null) {
                g.writeObjectFieldStart("publicKey");
                g.writeStringField("hint", hint);
                g.writeEndObject();
            } else {
                g.writeObjectFieldStart("x509CertificateChain");
                g.writeArrayFieldStart("certificates");
                for (X509Certificate c : chain) {
                    g.writeStartObject();
                    try {
                        g.writeStringField("rawBytes", b64.encodeToString(c.getEncoded()));
                    } catch (GeneralSecurityException e) {
                        throw new IOException("cannot encode certificate: " + e.getMessage());
                    }
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeArrayFieldStart("tlogEntries");
            g.writeEndArray();
            g.writeEndObject();
            g.writeObjectFieldStart("dsseEnvelope");
            g.writeStringField("payload", b64.encodeToString(payload));
            g.writeStringField("payloadType", Oms.PAYLOAD_TYPE);
            g.writeArrayFieldStart("signatures");
            g.writeStartObject();
            g.writeStringField("sig", b64.encodeToString(sig));
            g.writeStringField("keyid", "");
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
            g.writeRaw('\n');
        }
        return bo.toByteArray();
    }

    /** SHA-256 over the concatenated raw digests, in order (the OMS subject digest); null if one is not hex. */
    public static String rootDigest(List<String> hexDigests) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            for (String h : hexDigests) {
                byte[] d = Hex.parse(h);
                if (d == null) {
                    return null;
                }
                md.update(d);
            }
            return Hex.of(md.digest());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
