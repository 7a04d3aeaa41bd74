package dev.laocoon.core.sign;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bundles written by the reference Python implementation (model_signing v0.2.0 to v1.1.0, test data
 * of sigstore/model-transparency, see the NOTICE beside them) verify, and tampered copies do not.
 */
class ReferenceBundlesTest {
    @TempDir
    Path tmp;

    static Path ref() throws URISyntaxException {
        return Path.of(ReferenceBundlesTest.class.getResource("/sign/reference/NOTICE").toURI()).getParent();
    }

    static Stream<String> keyAndCertificateCases() {
        return Stream.of("v0.2.0-certificate", "v0.3.1-certificate", "v0.3.1-elliptic-key", "v1.0.0-certificate",
                "v1.0.0-elliptic-key", "v1.0.1-certificate", "v1.0.1-elliptic-key", "v1.1.0-certificate",
                "v1.1.0-elliptic-key");
    }

    /** Copies a reference model to a temp dir: single-file cases (one signme file) are a file model. */
    Path copy(String name) throws Exception {
        Path src = ref().resolve(name);
        Path dst = tmp.resolve(name);
        Files.createDirectories(dst);
        try (Stream<Path> s = Files.list(src)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.copy(p, dst.resolve(p.getFileName()));
            }
        }
        return dst;
    }

    static boolean singleFile(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("signme")).count() == 1;
        }
    }

    static Trust trust(String name) throws Exception {
        return name.endsWith("elliptic-key")
                ? new Trust.Key(ref().resolve("keys/certificate/signing-key-pub.pem"))
                : new Trust.Certificates(List.of(ref().resolve("keys/certificate/ca-cert.pem")));
    }

    static VerifyRequest request(Path dir, Trust trust) throws IOException {
        Path model = singleFile(dir) ? dir.resolve("signme-1") : dir;
        return VerifyRequest.of(model, dir.resolve("model.sig"), trust).withIgnorePaths(
                Files.exists(dir.resolve("ignore-me")) ? List.of("ignore-me") : List.of());
    }

    @ParameterizedTest
    @MethodSource("keyAndCertificateCases")
    void referenceBundleVerifies(String name) throws Exception {
        Path dir = copy(name);
        VerifyResult r = Signatures.verify(request(dir, trust(name)));
        assertThat(r.failure()).isNull();
        assertThat(r.verified()).isTrue();
        assertThat(r.files()).allMatch(f -> f.status().equals("ok"));
        assertThat(r.files()).isNotEmpty();
        if (name.startsWith("v0.2")) {
            assertThat(r.format()).contains("legacy PAE").contains("Digests/v0.1");
        }
    }

    @ParameterizedTest
    @MethodSource("keyAndCertificateCases")
    void tamperedContentFails(String name) throws Exception {
        Path dir = copy(name);
        Files.writeString(dir.resolve("signme-1"), "x", StandardOpenOption.APPEND);
        VerifyResult r = Signatures.verify(request(dir, trust(name)));
        assertThat(r.verified()).isFalse();
        assertThat(r.failure()).startsWith("digest mismatch: ").contains(singleFile(dir) ? "." : "signme-1");
    }

    @ParameterizedTest
    @MethodSource("keyAndCertificateCases")
    void alteredPayloadFails(String name) throws Exception {
        Path dir = copy(name);
        Path sig = dir.resolve("model.sig");
        String b = Files.readString(sig);
        // flip one character of the base64 payload: the signature no longer holds
        int i = b.indexOf("\"payload\"");
        int q = b.indexOf('"', b.indexOf(':', i) + 1) + 20;
        char c = b.charAt(q);
        Files.writeString(sig, b.substring(0, q) + (c == 'A' ? 'B' : 'A') + b.substring(q + 1));
        VerifyResult r = Signatures.verify(request(dir, trust(name)));
        assertThat(r.verified()).isFalse();
        assertThat(r.failure()).contains("signature does not verify");
    }
}
