package dev.laocoon.core.sign;

import static dev.laocoon.core.sign.SignTestSupport.JSON;
import static dev.laocoon.core.sign.SignTestSupport.read;
import static dev.laocoon.core.sign.SignTestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Keyless bundles that the reference implementation signed through the public Sigstore instance
 * (model_signing v0.3.1 to v1.1.0), verified offline against the public-good trusted root kept
 * beside them.
 */
class SigstoreBundlesTest {
    static final String IDENTITY = "stefanb@us.ibm.com";
    static final String ISSUER = "https://sigstore.verify.ibm.com/oauth2";

    @TempDir
    Path tmp;

    static Stream<String> cases() {
        return Stream.of("v0.3.1-sigstore", "v1.0.0-sigstore", "v1.0.1-sigstore", "v1.1.0-sigstore");
    }

    Path copy(String name) throws Exception {
        Path src = ReferenceBundlesTest.ref().resolve(name);
        Path dst = Files.createDirectories(tmp.resolve(name));
        try (Stream<Path> s = Files.list(src)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.copy(p, dst.resolve(p.getFileName()));
            }
        }
        return dst;
    }

    static Path trustRoot() throws Exception {
        return ReferenceBundlesTest.ref().resolve("custom_trust_config.json");
    }

    VerifyResult verify(Path dir, String identity, String issuer) throws Exception {
        return verify(dir, identity, issuer, trustRoot());
    }

    VerifyResult verify(Path dir, String identity, String issuer, Path root) throws Exception {
        return Signatures.verify(VerifyRequest.of(dir, dir.resolve("model.sig"), new Trust.Sigstore(root, identity, issuer))
                .withIgnorePaths(Files.exists(dir.resolve("ignore-me")) ? List.of("ignore-me") : List.of()));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void referenceKeylessBundleVerifies(String name) throws Exception {
        Path dir = copy(name);
        VerifyResult r = verify(dir, IDENTITY, ISSUER);
        assertThat(r.failure()).isNull();
        assertThat(r.verified()).isTrue();
        assertThat(r.identity()).isEqualTo(IDENTITY + " (" + ISSUER + ")");
        assertThat(r.format()).contains("not checked: certificate transparency SCTs, RFC 3161 timestamps");
        assertThat(r.files()).isNotEmpty().allMatch(f -> f.status().equals("ok"));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void wrongIdentityIssuerOrContentFails(String name) throws Exception {
        Path dir = copy(name);
        assertThat(verify(dir, "mallory@example.com", ISSUER).failure())
                .isEqualTo("wrong identity: " + dir.resolve("model.sig") + " was signed by " + IDENTITY
                        + ", not mallory@example.com");
        assertThat(verify(dir, IDENTITY, "https://accounts.google.com").failure()).startsWith("wrong issuer: ");
        Files.writeString(dir.resolve("signme-2"), "!", StandardOpenOption.APPEND);
        assertThat(verify(dir, IDENTITY, ISSUER).failure()).startsWith("digest mismatch: signme-2");
    }

    /** Each edit breaks one thing the verifier must check, and must fail with that reason. */
    @Test
    void alteredLogEntriesFail() throws Exception {
        Path dir = copy("v1.1.0-sigstore");
        Path sig = dir.resolve("model.sig");
        ObjectNode good = read(sig);
        record Case(String expected, Consumer<ObjectNode> edit) {
        }
        List<Case> cases = List.of(
                new Case("bad log promise: ", e -> e.put("integratedTime", Long.toString(e.path("integratedTime").asLong() + 1))),
                new Case("bad log promise: ", e -> e.put("logIndex", "1")),
                new Case("bad inclusion proof: ", e -> {
                    ArrayNode h = (ArrayNode) e.path("inclusionProof").path("hashes");
                    h.set(0, JSON.getNodeFactory().textNode(Base64.getEncoder().encodeToString(new byte[32])));
                }),
                new Case("bad inclusion proof: ", e -> ((ObjectNode) e.path("inclusionProof")).put("logIndex", "5")),
                new Case("bad checkpoint: ", e -> {
                    ObjectNode cp = (ObjectNode) e.path("inclusionProof").path("checkpoint");
                    String env = cp.path("envelope").asText();
                    int dash = env.lastIndexOf(' ');
                    cp.put("envelope", env.substring(0, dash + 1) + "wNI9ajBFAiEA" + env.substring(dash + 13));
                }),
                new Case("malformed bundle: ", e -> ((ObjectNode) e).remove("inclusionProof")),
                new Case("untrusted log: ", e -> ((ObjectNode) e.path("logId")).put("keyId",
                        Base64.getEncoder().encodeToString(new byte[32]))),
                new Case("unsupported log entry", e -> ((ObjectNode) e.path("kindVersion")).put("kind", "hashedrekord")),
                new Case("log entry mismatch: ", e -> {
                    // the body of another entry: the SET fails first unless the body is about this envelope
                    String body = new String(Base64.getDecoder().decode(e.path("canonicalizedBody").asText()));
                    String other = body.replaceFirst("\"payloadHash\":\\{\"algorithm\":\"sha256\",\"value\":\"[0-9a-f]{4}",
                            "\"payloadHash\":{\"algorithm\":\"sha256\",\"value\":\"0000");
                    e.put("canonicalizedBody", Base64.getEncoder().encodeToString(other.getBytes()));
                }));
        for (Case c : cases) {
            ObjectNode b = good.deepCopy();
            c.edit().accept((ObjectNode) b.path("verificationMaterial").path("tlogEntries").get(0));
            write(sig, b);
            VerifyResult r = verify(dir, IDENTITY, ISSUER);
            assertThat(r.verified()).as(c.expected()).isFalse();
            assertThat(r.failure()).as(c.expected()).startsWith(c.expected());
        }
        // the certificate of someone else, or none
        ObjectNode b = good.deepCopy();
        ((ObjectNode) b.path("verificationMaterial")).remove("certificate");
        write(sig, b);
        assertThat(verify(dir, IDENTITY, ISSUER).failure()).startsWith("wrong verification method: ");
        b = good.deepCopy();
        ((ObjectNode) b.path("verificationMaterial")).remove("tlogEntries");
        write(sig, b);
        assertThat(verify(dir, IDENTITY, ISSUER).failure()).contains("has no transparency log entry");
        // the DSSE signature of the envelope is checked against the certificate
        b = good.deepCopy();
        ObjectNode s0 = (ObjectNode) b.path("dsseEnvelope").path("signatures").get(0);
        byte[] raw = Base64.getDecoder().decode(s0.path("sig").asText());
        raw[raw.length - 1] ^= 1;
        s0.put("sig", Base64.getEncoder().encodeToString(raw));
        write(sig, b);
        assertThat(verify(dir, IDENTITY, ISSUER).failure()).startsWith("log entry mismatch: ");
        write(sig, good);
        assertThat(verify(dir, IDENTITY, ISSUER).verified()).isTrue();
    }

    @Test
    void trustRootWithoutTheFulcioCaOrTheLogFails() throws Exception {
        Path dir = copy("v1.1.0-sigstore");
        ObjectNode cfg = (ObjectNode) JSON.readTree(trustRoot().toFile());
        ObjectNode root = (ObjectNode) cfg.path("trustedRoot");
        // keep only the 2021-2022 CA: the 2025 certificate does not chain to a CA valid then
        ArrayNode cas = (ArrayNode) root.path("certificateAuthorities");
        cas.remove(1);
        Path noCa = tmp.resolve("no-ca.json");
        write(noCa, root); // a bare trusted root works as well as a client trust config
        assertThat(verify(dir, IDENTITY, ISSUER, noCa).failure()).startsWith("untrusted certificate: ");

        ObjectNode other = (ObjectNode) JSON.readTree(trustRoot().toFile());
        ObjectNode tlog = (ObjectNode) other.path("trustedRoot").path("tlogs").get(0);
        ((ObjectNode) tlog.path("publicKey")).put("rawBytes", Base64.getEncoder().encodeToString(
                SignTestSupport.ecKey("secp256r1").getPublic().getEncoded()));
        Path wrongLog = tmp.resolve("wrong-log.json");
        write(wrongLog, other);
        assertThat(verify(dir, IDENTITY, ISSUER, wrongLog).failure()).startsWith("bad log promise: ");
    }
    @Test
    void olderBundleShapesKeepTheCertificateInTheChain() throws Exception {
        Path dir = copy("v1.1.0-sigstore");
        Path sig = dir.resolve("model.sig");
        ObjectNode good = read(sig);
        // bundle v0.2 (media type with a version parameter) carries the Fulcio certificate as a chain
        ObjectNode b = good.deepCopy();
        ObjectNode vm = (ObjectNode) b.path("verificationMaterial");
        ObjectNode cert = (ObjectNode) vm.remove("certificate");
        vm.putObject("x509CertificateChain").putArray("certificates").add(cert);
        b.put("mediaType", "application/vnd.dev.sigstore.bundle+json;version=0.2");
        write(sig, b);
        VerifyResult r = verify(dir, IDENTITY, ISSUER);
        assertThat(r.failure()).isNull();
        assertThat(r.verified()).isTrue();
        // in a v0.3 bundle that shape is the certificate method, not Sigstore
        b.put("mediaType", Signatures.BUNDLE_MEDIA_TYPE);
        write(sig, b);
        assertThat(verify(dir, IDENTITY, ISSUER).failure()).startsWith("wrong verification method: ")
                .contains("--certificate-chain");
        // and a keyless bundle is no key bundle
        write(sig, good);
        SignTestSupport.writeKey(tmp, "k", SignTestSupport.ecKey("secp256r1"));
        assertThat(Signatures.verify(VerifyRequest.of(dir, sig, new Trust.Key(tmp.resolve("k.pub.pem")))
                .withIgnorePaths(List.of("ignore-me"))).failure()).startsWith("wrong verification method: ")
                .contains("--trust-root");
    }
}
