package dev.laocoon.core.sign;

import static dev.laocoon.core.sign.SignTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SignaturesTest {
    @TempDir
    Path tmp;

    static Stream<Arguments> variants() {
        return Stream.of(
                Arguments.of("secp256r1", "sha256", 0L),
                Arguments.of("secp384r1", "sha256", 0L),
                Arguments.of("secp521r1", "sha256", 0L),
                Arguments.of("secp256r1", "blake2b", 0L),
                Arguments.of("secp256r1", "sha256", 65536L),
                Arguments.of("secp384r1", "blake2b", 100_000L));
    }

    private Path signKey(Path model, KeyPair kp) throws Exception {
        Path bundle = tmp.resolve("model.sig");
        Signatures.sign(SignRequest.key(model, bundle, writeKey(tmp, "k", kp)));
        return bundle;
    }

    private VerifyResult verifyKey(Path model, Path bundle) throws Exception {
        return Signatures.verify(VerifyRequest.of(model, bundle, new Trust.Key(tmp.resolve("k.pub.pem"))));
    }

    @ParameterizedTest
    @MethodSource("variants")
    void keyRoundTrip(String curve, String hash, long shard) throws Exception {
        Path model = model(tmp);
        KeyPair kp = ecKey(curve);
        Path bundle = tmp.resolve("out.sig");
        SignResult s = Signatures.sign(SignRequest.key(model, bundle, writeKey(tmp, "k", kp)).withHash(hash, shard)
                .withThreads(2));
        assertThat(s.method()).isEqualTo("key");
        assertThat(s.resources()).allMatch(x -> x.algorithm().equals(hash));
        if (shard == 0) {
            assertThat(s.resources()).extracting(Resource::name).containsExactly("config.json", "empty.txt",
                    "sub/weights.bin");
        } else {
            // empty files have no shard; 300000 bytes in shards of `shard`
            assertThat(s.resources()).extracting(Resource::name).doesNotContain("empty.txt:0:0")
                    .contains("sub/weights.bin:0:" + shard)
                    .contains("sub/weights.bin:" + (299_999 / shard) * shard + ":300000");
        }
        VerifyResult r = Signatures.verify(VerifyRequest.of(model, bundle, new Trust.Key(tmp.resolve("k.pub.pem"))));
        assertThat(r.failure()).isNull();
        assertThat(r.verified()).isTrue();
        assertThat(r.subjectDigest()).isEqualTo(s.subjectDigest());
        assertThat(r.identity()).isEqualTo("key " + s.keyHint());

        Files.write(model.resolve("sub/weights.bin"), new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
        VerifyResult bad = Signatures.verify(VerifyRequest.of(model, bundle, new Trust.Key(tmp.resolve("k.pub.pem"))));
        assertThat(bad.verified()).isFalse();
        assertThat(bad.failure()).startsWith("digest mismatch: sub/weights.bin");
    }

    @Test
    void sec1KeyWithTextBeforeThePemBlock() throws Exception {
        assumeOpenssl();
        openssl(tmp, "ecparam", "-name", "secp384r1", "-genkey", "-out", "sec1.pem");
        Path key = tmp.resolve("k.pem");
        Files.writeString(key, "This key signs our models.\nBag Attributes: none\n" + Files.readString(tmp.resolve("sec1.pem")));
        openssl(tmp, "ec", "-in", "sec1.pem", "-pubout", "-out", "k.pub.pem");
        assertThat(Files.readString(key)).contains("BEGIN EC PARAMETERS").contains("BEGIN EC PRIVATE KEY");
        Path model = model(tmp);
        Path bundle = tmp.resolve("m.sig");
        SignResult s = Signatures.sign(SignRequest.key(model, bundle, key));
        assertThat(verifyKey(model, bundle).verified()).isTrue();
        // the hint is the reference's: sha256 of the PEM public key as openssl writes it
        assertThat(s.keyHint()).isEqualTo(dev.laocoon.core.internal.sign.Hex.of(java.security.MessageDigest
                .getInstance("SHA-256").digest(Files.readAllBytes(tmp.resolve("k.pub.pem")))));
    }

    @Test
    void opensslOracleChecksSignatureAndSha256sumTheDigests() throws Exception {
        assumeOpenssl();
        for (String[] c : new String[][] {{"secp256r1", "-sha256"}, {"secp384r1", "-sha384"}, {"secp521r1", "-sha512"}}) {
            Path dir = Files.createDirectories(tmp.resolve(c[0]));
            Path model = model(dir);
            KeyPair kp = ecKey(c[0]);
            Path bundle = dir.resolve("b.sig");
            SignResult s = Signatures.sign(SignRequest.key(model, bundle, writeKey(dir, "k", kp)));
            ObjectNode b = read(bundle);
            byte[] payload = payload(b);
            String type = b.path("dsseEnvelope").path("payloadType").asText();
            // PAE written out independently of Dsse.pae
            byte[] head = ("DSSEv1 " + type.length() + " " + type + " " + payload.length + " ")
                    .getBytes(StandardCharsets.US_ASCII);
            byte[] pae = new byte[head.length + payload.length];
            System.arraycopy(head, 0, pae, 0, head.length);
            System.arraycopy(payload, 0, pae, head.length, payload.length);
            Files.write(dir.resolve("pae.bin"), pae);
            Files.write(dir.resolve("sig.der"), java.util.Base64.getDecoder().decode(
                    b.path("dsseEnvelope").path("signatures").get(0).path("sig").asText()));
            Out o = run(dir, "openssl", "dgst", c[1], "-verify", "k.pub.pem", "-signature", "sig.der", "pae.bin");
            assertThat(o.out()).contains("Verified OK");
            // a flipped PAE byte fails in openssl too
            pae[10] ^= 1;
            Files.write(dir.resolve("pae.bin"), pae);
            assertThat(run(dir, "openssl", "dgst", c[1], "-verify", "k.pub.pem", "-signature", "sig.der", "pae.bin")
                    .out()).contains("Verification failure");

            Out sums = run(model, "sha256sum", "config.json", "empty.txt", "sub/weights.bin");
            assertThat(sums.code()).isZero();
            StringBuilder concat = new StringBuilder();
            for (String line : sums.out().strip().split("\n")) {
                String[] parts = line.split("\\s+");
                assertThat(s.resources()).contains(new Resource(parts[1], "sha256", parts[0]));
                concat.append(parts[0]);
            }
            Files.write(dir.resolve("digests.bin"), dev.laocoon.core.internal.sign.Hex.parse(concat.toString()));
            assertThat(run(dir, "sha256sum", "digests.bin").out()).startsWith(s.subjectDigest() + " ");
        }
    }

    @Test
    void missingExtraAndIgnoredFiles() throws Exception {
        Path model = model(tmp);
        Path bundle = signKey(model, ecKey("secp256r1"));
        Files.writeString(model.resolve("sub/extra.py"), "import os");
        VerifyResult r = verifyKey(model, bundle);
        assertThat(r.verified()).isFalse();
        assertThat(r.failure()).isEqualTo("unsigned file: sub/extra.py is in " + model
                + " but not covered by the signature");
        assertThat(Signatures.verify(VerifyRequest.of(model, bundle, new Trust.Key(tmp.resolve("k.pub.pem")))
                .withIgnoreUnsigned(true)).verified()).isTrue();
        assertThat(Signatures.verify(VerifyRequest.of(model, bundle, new Trust.Key(tmp.resolve("k.pub.pem")))
                .withIgnorePaths(List.of(model.resolve("sub/extra.py").toAbsolutePath().toString()))).verified()).isTrue();
        assertThat(Signatures.verify(VerifyRequest.of(model, bundle, new Trust.Key(tmp.resolve("k.pub.pem")))
                .withIgnorePaths(List.of("sub/extra.py"))).verified()).isTrue();
        Files.delete(model.resolve("sub/extra.py"));
        Files.delete(model.resolve("config.json"));
        r = verifyKey(model, bundle);
        assertThat(r.verified()).isFalse();
        assertThat(r.failure()).isEqualTo("missing file: config.json is signed but not in " + model);
        // ignore-unsigned never excuses a missing file
        assertThat(Signatures.verify(VerifyRequest.of(model, bundle, new Trust.Key(tmp.resolve("k.pub.pem")))
                .withIgnoreUnsigned(true)).verified()).isFalse();
    }

    @Test
    void gitPathsTheBundleAndIgnoredPathsAreLeftOut() throws Exception {
        Path model = model(tmp);
        Files.createDirectories(model.resolve(".git"));
        Files.writeString(model.resolve(".git/HEAD"), "ref");
        Files.writeString(model.resolve(".gitattributes"), "*");
        Files.createDirectories(model.resolve("cache"));
        Files.writeString(model.resolve("cache/x"), "x");
        Files.createDirectories(model.resolve("sub/.git"));
        Files.writeString(model.resolve("sub/.git/y"), "nested .git is not a default exclusion");
        Path bundle = model.resolve("model.sig");
        SignResult s = Signatures.sign(SignRequest.key(model, bundle, writeKey(tmp, "k", ecKey("secp256r1")))
                .withIgnorePaths(List.of("cache")));
        assertThat(s.resources()).extracting(Resource::name).containsExactly("config.json", "empty.txt", "sub/.git/y",
                "sub/weights.bin");
        ObjectNode st = statement(read(bundle));
        assertThat(st.path("predicate").path("serialization").path("ignore_paths").toString())
                .contains("\"cache\"").contains("\"model.sig\"").contains("\".git\"");
        // the ignore paths recorded in the bundle apply when verifying
        Files.writeString(model.resolve("cache/new"), "more cache");
        assertThat(verifyKey(model, bundle).verified()).isTrue();
    }

    @Test
    void singleFileModels() throws Exception {
        Path f = tmp.resolve("model.safetensors");
        Files.writeString(f, "tensor bytes");
        Path bundle = tmp.resolve("model.sig");
        SignResult s = Signatures.sign(SignRequest.key(f, bundle, writeKey(tmp, "k", ecKey("secp256r1"))));
        assertThat(s.resources()).extracting(Resource::name).containsExactly("model.safetensors");
        assertThat(s.subjectName()).isEqualTo("model.safetensors");
        assertThatThrownBy(() -> Signatures.sign(SignRequest.key(f, f, tmp.resolve("k.pem"))))
                .isInstanceOf(SignException.class).hasMessageContaining("would overwrite the model");
        assertThat(Files.readString(f)).isEqualTo("tensor bytes");
        assertThat(verifyKey(f, bundle).verified()).isTrue();
        // the reference layout names the file "."
        SignResult dot = Signatures.sign(SignRequest.key(f, bundle, tmp.resolve("k.pem")).withReferenceLayout(true)
                .withHash("sha256", 5));
        assertThat(dot.resources()).extracting(Resource::name).containsExactly(".:0:5", ".:5:10", ".:10:12");
        // as the reference tools name shard digests
        assertThat(dot.resources()).extracting(Resource::algorithm).containsOnly("sha256-sharded-5");
        assertThat(statement(read(bundle)).path("predicate").path("serialization").path("hash_type").asText())
                .isEqualTo("sha256");
        assertThat(verifyKey(f, bundle).verified()).isTrue();
        Files.writeString(f, "tensor bytez");
        assertThat(verifyKey(f, bundle).failure()).startsWith("digest mismatch: .:10:12");
    }

    @Test
    void referenceOrderSortsByPathPartsAndShardOffsets() throws Exception {
        Path m = Files.createDirectories(tmp.resolve("m/a"));
        Files.writeString(m.resolve("b"), "x".repeat(25));
        Files.writeString(tmp.resolve("m/a-b"), "y");
        Path bundle = tmp.resolve("s.sig");
        SignResult spec = Signatures.sign(SignRequest.key(tmp.resolve("m"), bundle, writeKey(tmp, "k", ecKey("secp256r1")))
                .withHash("sha256", 10));
        assertThat(spec.resources()).extracting(Resource::name)
                .containsExactly("a-b:0:1", "a/b:0:10", "a/b:10:20", "a/b:20:25");
        SignResult ref = Signatures.sign(SignRequest.key(tmp.resolve("m"), bundle, tmp.resolve("k.pem"))
                .withHash("sha256", 10).withReferenceLayout(true));
        assertThat(ref.resources()).extracting(Resource::name)
                .containsExactly("a/b:0:10", "a/b:10:20", "a/b:20:25", "a-b:0:1");
        assertThat(verifyKey(tmp.resolve("m"), bundle).verified()).isTrue();
    }

    @Test
    void symlinksAreRefusedUnlessAllowed() throws Exception {
        Path model = model(tmp);
        Path outside = Files.writeString(tmp.resolve("outside.bin"), "secret");
        Files.createSymbolicLink(model.resolve("link.bin"), outside);
        assertThatThrownBy(() -> Signatures.sign(SignRequest.key(model, tmp.resolve("x.sig"),
                writeKey(tmp, "k", ecKey("secp256r1")))))
                .isInstanceOf(SignException.class).hasMessageContaining("symbolic link refused: link.bin");
        Path bundle = tmp.resolve("x.sig");
        SignResult s = Signatures.sign(SignRequest.key(model, bundle, tmp.resolve("k.pem")).withSymlinks(true));
        assertThat(s.resources()).extracting(Resource::name).contains("link.bin");
        assertThat(verifyKey(model, bundle).verified()).isTrue();
        Files.writeString(outside, "changed");
        assertThat(verifyKey(model, bundle).failure()).startsWith("digest mismatch: link.bin");

        // a bundle made without allow_symlinks fails on a model that now has a link
        Files.delete(model.resolve("link.bin"));
        Path plain = tmp.resolve("plain.sig");
        Signatures.sign(SignRequest.key(model, plain, tmp.resolve("k.pem")));
        Files.createSymbolicLink(model.resolve("link.bin"), outside);
        VerifyResult r = verifyKey(model, plain);
        assertThat(r.verified()).isFalse();
        assertThat(r.failure()).isEqualTo("symbolic link refused: link.bin (the signature was made without"
                + " allow_symlinks: links are not followed)");

        // loops are refused even when links are allowed
        Files.delete(model.resolve("link.bin"));
        Files.createSymbolicLink(model.resolve("sub/loop"), model);
        assertThatThrownBy(() -> Signatures.sign(SignRequest.key(model, tmp.resolve("y.sig"), tmp.resolve("k.pem"))
                .withSymlinks(true))).isInstanceOf(SignException.class).hasMessageContaining("symbolic link loop: sub/loop");
    }

    @Test
    void emptyModelAndBadKeysAreRefused() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty/.git"));
        Files.writeString(empty.resolve("HEAD"), "x");
        Path key = writeKey(tmp, "k", ecKey("secp256r1"));
        assertThatThrownBy(() -> Signatures.sign(SignRequest.key(tmp.resolve("empty"), tmp.resolve("e.sig"), key)))
                .isInstanceOf(SignException.class).hasMessageContaining("nothing to sign");
        Path rsa = tmp.resolve("rsa.pem");
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        Files.writeString(rsa, pem("PRIVATE KEY", g.generateKeyPair().getPrivate().getEncoded()));
        Path model = model(tmp);
        assertThatThrownBy(() -> Signatures.sign(SignRequest.key(model, tmp.resolve("r.sig"), rsa)))
                .isInstanceOf(SignException.class).hasMessageContaining("not an EC private key");
        Files.writeString(rsa, "no pem here");
        assertThatThrownBy(() -> Signatures.sign(SignRequest.key(model, tmp.resolve("r.sig"), rsa)))
                .isInstanceOf(SignException.class).hasMessageContaining("no PRIVATE KEY");
        Path k256k1 = tmp.resolve("k1.pem");
        assertThatThrownBy(() -> Signatures.sign(SignRequest.key(model, tmp.resolve("r.sig"), rsa).withHash("md5", 0)))
                .isInstanceOf(SignException.class).hasMessageContaining("unsupported hash");
        assertThat(k256k1).doesNotExist();
    }

    @Test
    void wrongKey() throws Exception {
        Path model = model(tmp);
        Path bundle = signKey(model, ecKey("secp256r1"));
        writeKey(tmp, "other", ecKey("secp256r1"));
        VerifyResult r = Signatures.verify(VerifyRequest.of(model, bundle, new Trust.Key(tmp.resolve("other.pub.pem"))));
        assertThat(r.verified()).isFalse();
        assertThat(r.failure()).startsWith("wrong key: ").contains("other.pub.pem");
        // without the hint (a pre-1.1 shape) the signature check itself refuses the key
        ObjectNode b = read(bundle);
        ((ObjectNode) b.path("verificationMaterial")).remove("publicKey");
        ((ObjectNode) b.path("verificationMaterial")).putObject("publicKey").put("rawBytes", "AAAA");
        write(bundle, b);
        r = Signatures.verify(VerifyRequest.of(model, bundle, new Trust.Key(tmp.resolve("other.pub.pem"))));
        assertThat(r.failure()).startsWith("signature does not verify with ");
        assertThat(verifyKey(model, bundle).verified()).isTrue();
    }

    @Test
    void malformedBundles() throws Exception {
        Path model = model(tmp);
        Path bundle = signKey(model, ecKey("secp256r1"));
        byte[] good = Files.readAllBytes(bundle);
        Files.write(bundle, new byte[0]);
        assertThat(verifyKey(model, bundle).failure()).isEqualTo("malformed bundle: " + bundle + " is empty");
        Files.write(bundle, java.util.Arrays.copyOf(good, good.length / 2));
        assertThat(verifyKey(model, bundle).failure()).startsWith("malformed bundle: " + bundle + " is not valid JSON");
        Files.writeString(bundle, "\u0000\u0001garbage");
        assertThat(verifyKey(model, bundle).failure()).startsWith("malformed bundle: " + bundle + " is not valid JSON");
        Files.writeString(bundle, "[1,2]");
        assertThat(verifyKey(model, bundle).failure()).contains("is not a JSON object");

        ObjectNode b = (ObjectNode) JSON.readTree(good);
        b.remove("dsseEnvelope");
        write(bundle, b);
        assertThat(verifyKey(model, bundle).failure()).isEqualTo("malformed bundle: " + bundle
                + " has no DSSE envelope (dsseEnvelope)");

        b = (ObjectNode) JSON.readTree(good);
        b.put("mediaType", "application/vnd.dev.sigstore.bundle.v0.9+json");
        write(bundle, b);
        assertThat(verifyKey(model, bundle).failure()).startsWith("wrong media type in " + bundle);

        b = (ObjectNode) JSON.readTree(good);
        ((ArrayNode) b.path("dsseEnvelope").path("signatures")).removeAll();
        write(bundle, b);
        assertThat(verifyKey(model, bundle).failure()).contains("has no DSSE signature");

        // duplicate keys are refused rather than read one way or the other
        String dup = new String(good, StandardCharsets.UTF_8).replaceFirst("\\{", "{\"mediaType\":\"x\",");
        Files.writeString(bundle, dup);
        assertThat(verifyKey(model, bundle).failure()).contains("not valid JSON").contains("Duplicate");
    }

    /** Statements that are signed correctly but are not what an OMS verifier may accept. */
    @Test
    void wrongStatementsSignedWithTheRightKey() throws Exception {
        Path model = model(tmp);
        KeyPair kp = ecKey("secp256r1");
        Path bundle = signKey(model, kp);
        ObjectNode good = read(bundle);

        record Case(String payloadType, java.util.function.Consumer<ObjectNode> edit, String failure) {
        }
        List<Case> cases = List.of(
                new Case("application/json", st -> { }, "wrong payload type in " + bundle + ": 'application/json'"),
                new Case(Signatures.PAYLOAD_TYPE, st -> st.put("_type", "https://in-toto.io/Statement/v0.1"),
                        "wrong statement type in " + bundle + ": 'https://in-toto.io/Statement/v0.1'"),
                new Case(Signatures.PAYLOAD_TYPE, st -> st.put("predicateType", "https://slsa.dev/provenance/v1"),
                        "wrong predicate type in " + bundle + ": 'https://slsa.dev/provenance/v1'"),
                new Case(Signatures.PAYLOAD_TYPE, st -> st.remove("subject"), "no subject: "),
                new Case(Signatures.PAYLOAD_TYPE, st -> st.putArray("subject"), "no subject: "),
                new Case(Signatures.PAYLOAD_TYPE, st -> ((ObjectNode) st.path("predicate")).putArray("resources"),
                        "empty resources: "),
                new Case(Signatures.PAYLOAD_TYPE, st -> ((ObjectNode) st.path("predicate").path("resources").get(0))
                        .put("digest", "00".repeat(32)), "inconsistent statement in " + bundle),
                new Case(Signatures.PAYLOAD_TYPE, st -> ((ObjectNode) st.path("predicate").path("serialization"))
                        .put("hash_type", "blake3"), "unsupported hash 'blake3'"),
                new Case(Signatures.PAYLOAD_TYPE, st -> ((ObjectNode) st.path("predicate").path("serialization"))
                        .put("method", "shards"), "malformed statement in " + bundle
                        + ": shards without a positive integer shard_size"));
        for (Case c : cases) {
            ObjectNode b = good.deepCopy();
            ObjectNode st = statement(b);
            c.edit().accept(st);
            resign(b, JSON.writeValueAsBytes(st), c.payloadType(), kp, "SHA256withECDSA");
            write(bundle, b);
            VerifyResult r = verifyKey(model, bundle);
            assertThat(r.verified()).as(c.failure()).isFalse();
            assertThat(r.failure()).as(c.failure()).startsWith(c.failure());
        }
        // and the unchanged statement, re-signed the same way, verifies (the cases fail for their edit)
        ObjectNode b = good.deepCopy();
        resign(b, payload(b), Signatures.PAYLOAD_TYPE, kp, "SHA256withECDSA");
        write(bundle, b);
        assertThat(verifyKey(model, bundle).verified()).isTrue();
    }

    @Test
    void shardSizeAsAProtobufJsonStringIsAccepted() throws Exception {
        Path model = model(tmp);
        KeyPair kp = ecKey("secp256r1");
        Path bundle = tmp.resolve("s.sig");
        Signatures.sign(SignRequest.key(model, bundle, writeKey(tmp, "k", kp)).withHash("sha256", 100_000));
        ObjectNode b = read(bundle);
        ObjectNode st = statement(b);
        ((ObjectNode) st.path("predicate").path("serialization")).put("shard_size", "100000");
        resign(b, JSON.writeValueAsBytes(st), Signatures.PAYLOAD_TYPE, kp, "SHA256withECDSA");
        write(bundle, b);
        assertThat(verifyKey(model, bundle).verified()).isTrue();
        // a truncated weights file no longer has the signed shards
        Files.write(model.resolve("sub/weights.bin"), new byte[250_000]);
        assertThat(verifyKey(model, bundle).failure())
                .isEqualTo("digest mismatch: sub/weights.bin has 250000 bytes, the signature covers 300000 bytes in 3"
                        + " shards of 100000");
    }

    // ------------------------------------------------------------------ certificates

    static final String CODE_SIGNING = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
            + "extendedKeyUsage=codeSigning\n";

    @Test
    void certificateRoundTripAndFailures() throws Exception {
        assumeOpenssl();
        Path ca = Files.createDirectories(tmp.resolve("ca"));
        caChain(ca, "leaf", CODE_SIGNING, 2);
        Path model = model(tmp);
        Path bundle = tmp.resolve("c.sig");
        SignResult s = Signatures.sign(SignRequest.key(model, bundle, ca.resolve("leaf.key"))
                .withCertificate(ca.resolve("leaf.pem"), List.of(ca.resolve("int.pem"))));
        assertThat(s.method()).isEqualTo("certificate");
        assertThat(read(bundle).path("verificationMaterial").path("x509CertificateChain").path("certificates").size())
                .isEqualTo(2);
        Trust root = new Trust.Certificates(List.of(ca.resolve("root.pem")));
        VerifyResult r = Signatures.verify(VerifyRequest.of(model, bundle, root));
        assertThat(r.failure()).isNull();
        assertThat(r.identity()).isEqualTo("CN=leaf");

        // expired: the leaf is valid for two days
        VerifyResult later = Signatures.verify(VerifyRequest.of(model, bundle, root)
                .at(Instant.now().plus(Duration.ofDays(3))));
        assertThat(later.failure()).startsWith("expired certificate: 'CN=leaf' in " + bundle + " expired on ");
        VerifyResult earlier = Signatures.verify(VerifyRequest.of(model, bundle, root)
                .at(Instant.now().minus(Duration.ofDays(3))));
        assertThat(earlier.failure()).startsWith("certificate not yet valid: ");

        // wrong CA: another root with the same name
        Path other = Files.createDirectories(tmp.resolve("other"));
        caChain(other, "leaf", CODE_SIGNING, 2);
        VerifyResult wrong = Signatures.verify(VerifyRequest.of(model, bundle,
                new Trust.Certificates(List.of(other.resolve("root.pem")))));
        assertThat(wrong.failure()).startsWith("untrusted certificate: no valid chain from 'CN=leaf'");

        // the certificate method is not the key method
        writeKey(tmp, "k", ecKey("secp256r1"));
        assertThat(Signatures.verify(VerifyRequest.of(model, bundle, new Trust.Key(tmp.resolve("k.pub.pem")))).failure())
                .startsWith("wrong verification method: ").contains("--certificate-chain");

        // content still matters
        Files.writeString(model.resolve("config.json"), "{}");
        assertThat(Signatures.verify(VerifyRequest.of(model, bundle, root)).failure())
                .startsWith("digest mismatch: config.json");
    }

    @Test
    void certificateWithoutCodeSigningUseIsRefused() throws Exception {
        assumeOpenssl();
        Path ca = Files.createDirectories(tmp.resolve("ca"));
        caChain(ca, "tls", "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n", 2);
        caChain(ca, "enc", "basicConstraints=CA:FALSE\nkeyUsage=critical,keyEncipherment\n", 2);
        Path model = model(tmp);
        Trust root = new Trust.Certificates(List.of(ca.resolve("root.pem")));
        for (String[] c : new String[][] {{"tls", "is not for code signing"}, {"enc", "lacks digitalSignature"}}) {
            Path bundle = tmp.resolve(c[0] + ".sig");
            Signatures.sign(SignRequest.key(model, bundle, ca.resolve(c[0] + ".key"))
                    .withCertificate(ca.resolve(c[0] + ".pem"), List.of(ca.resolve("int.pem"))));
            assertThat(Signatures.verify(VerifyRequest.of(model, bundle, root)).failure()).contains(c[1]);
        }
        // a certificate that is not the key's own is refused when signing
        assertThatThrownBy(() -> Signatures.sign(SignRequest.key(model, tmp.resolve("x.sig"), ca.resolve("tls.key"))
                .withCertificate(ca.resolve("enc.pem"), List.of())))
                .isInstanceOf(SignException.class).hasMessageContaining("does not match the private key");
    }

    @Test
    void intermediateMissingFromTheBundleIsUntrusted() throws Exception {
        assumeOpenssl();
        Path ca = Files.createDirectories(tmp.resolve("ca"));
        caChain(ca, "leaf", CODE_SIGNING, 2);
        Path model = model(tmp);
        Path bundle = tmp.resolve("c.sig");
        Signatures.sign(SignRequest.key(model, bundle, ca.resolve("leaf.key")).withCertificate(ca.resolve("leaf.pem"),
                List.of()));
        assertThat(Signatures.verify(VerifyRequest.of(model, bundle,
                new Trust.Certificates(List.of(ca.resolve("root.pem"))))).failure()).startsWith("untrusted certificate");
        // trusting the intermediate directly works, as with the reference verifier
        assertThat(Signatures.verify(VerifyRequest.of(model, bundle,
                new Trust.Certificates(List.of(ca.resolve("int.pem"))))).verified()).isTrue();
    }
}
