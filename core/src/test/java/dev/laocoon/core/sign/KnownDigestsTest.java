package dev.laocoon.core.sign;

import static dev.laocoon.core.sign.SignTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.laocoon.core.internal.sign.Hashing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Hashing while copying: the digests a copy records are the ones verification would compute, and are used. */
class KnownDigestsTest {
    @TempDir
    Path tmp;

    static Stream<Arguments> plans() {
        return Stream.of(Arguments.of("sha256", 0L), Arguments.of("blake2b", 0L), Arguments.of("sha256", 65536L),
                Arguments.of("blake2b", 100_000L), Arguments.of("sha256", 1L << 20));
    }

    /** Copies the model's files into a new folder, hashing them on the way; returns the digests. */
    private KnownDigests copyModel(Path model, Path to, HashPlan plan) throws IOException {
        KnownDigests k = new KnownDigests();
        try (Stream<Path> s = Files.walk(model)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path t = to.resolve(model.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    assertThat(k.copy(p, t, plan, Files.size(p))).isEqualTo(Files.size(p));
                    assertThat(Files.readAllBytes(t)).isEqualTo(Files.readAllBytes(p));
                }
            }
        }
        return k;
    }

    @ParameterizedTest
    @MethodSource("plans")
    void copyRecordsTheDigestsVerificationComputes(String hash, long shard) throws Exception {
        Path model = model(tmp);
        Path bundle = tmp.resolve("out.sig");
        Signatures.sign(SignRequest.key(model, bundle, writeKey(tmp, "k", ecKey("secp256r1"))).withHash(hash, shard));
        HashPlan plan = Signatures.hashPlan(bundle);
        assertThat(plan).isEqualTo(new HashPlan(hash, shard));

        Path copy = tmp.resolve("copy");
        KnownDigests k = copyModel(model, copy, plan);
        Path w = copy.resolve("sub/weights.bin");
        long size = Files.size(w);
        if (shard == 0) {
            byte[] expected = Hashing.hash(List.of(new Hashing.Range(w, 0, -1)), hash, 1).get(0).value();
            assertThat(k.get(w, 0, size, hash)).isEqualTo(expected);
        } else {
            for (long s = 0; s < size; s += shard) {
                long e = Math.min(size, s + shard);
                byte[] expected = Hashing.hash(List.of(new Hashing.Range(w, s, e)), hash, 1).get(0).value();
                assertThat(k.get(w, s, e, hash)).as("shard %d", s).isEqualTo(expected);
            }
        }
        Trust key = new Trust.Key(tmp.resolve("k.pub.pem"));
        assertThat(Signatures.verify(VerifyRequest.of(copy, bundle, key).withKnownDigests(k)).verified()).isTrue();
    }

    @Test
    void verificationUsesKnownDigestsForTheSameFileAndSizeOnly() throws Exception {
        Path model = model(tmp);
        Path bundle = tmp.resolve("out.sig");
        Signatures.sign(SignRequest.key(model, bundle, writeKey(tmp, "k", ecKey("secp256r1"))));
        Trust key = new Trust.Key(tmp.resolve("k.pub.pem"));
        Path w = model.resolve("sub/weights.bin");
        long size = Files.size(w);

        // a (wrong) known digest of the file as it is: used, so the file "mismatches" without being read
        KnownDigests lie = new KnownDigests();
        lie.put(w, 0, size, "sha256", new byte[32]);
        VerifyResult r = Signatures.verify(VerifyRequest.of(model, bundle, key).withKnownDigests(lie));
        assertThat(r.verified()).isFalse();
        assertThat(r.failure()).startsWith("digest mismatch: sub/weights.bin");

        // recorded for another size or algorithm: not used, the file is read and verifies
        KnownDigests other = new KnownDigests();
        other.put(w, 0, size - 1, "sha256", new byte[32]);
        other.put(w, 0, size, "blake2b", new byte[64]);
        assertThat(Signatures.verify(VerifyRequest.of(model, bundle, key).withKnownDigests(other)).verified()).isTrue();
    }

    @Test
    void aSourceThatIsNotTheExpectedSizeFailsTheCopy() throws Exception {
        Path src = tmp.resolve("src.bin");
        Files.write(src, new byte[3000]);
        KnownDigests k = new KnownDigests();
        HashPlan plan = new HashPlan("sha256", 0);
        assertThatThrownBy(() -> k.copy(src, tmp.resolve("a"), plan, 2000)).isInstanceOf(IOException.class)
                .hasMessageContaining("grew");
        assertThatThrownBy(() -> k.copy(src, tmp.resolve("b"), plan, 4000)).isInstanceOf(IOException.class)
                .hasMessageContaining("shrank");
        assertThat(k.size()).isZero();
        // the target must be new: an existing file is never overwritten
        Files.write(tmp.resolve("c"), new byte[1]);
        assertThatThrownBy(() -> k.copy(src, tmp.resolve("c"), plan, 3000))
                .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
    }

    @Test
    void hashPlanOfWhatIsNotABundleIsNull() throws Exception {
        Path p = tmp.resolve("x.sig");
        Files.writeString(p, "{\"mediaType\": \"x\"}");
        assertThat(Signatures.hashPlan(p)).isNull();
        Files.writeString(p, "not json");
        assertThat(Signatures.hashPlan(p)).isNull();
    }
}
