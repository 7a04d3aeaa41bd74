package dev.laocoon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.laocoon.core.testutil.HttpFixture;
import dev.laocoon.core.testutil.HubFixture;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** laocoon scan https://... and hf://... against loopback fixtures (127.0.0.1 and 127.0.0.2 only). */
class RemoteScanCliTest {
    static final String COMMIT = "89abcdef0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    static byte[] hostile() {
        return new ZipBuilder().add("archive/data/0", new byte[4 << 20])
                .add("archive/data.pkl", PickleBuilder.call("os", "system", "echo laocoon"))
                .add("archive/version", "3\n".getBytes()).bytes();
    }

    static Map<String, byte[]> repo() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("config.json", "{}".getBytes());
        m.put("pytorch_model.bin", hostile());
        return m;
    }

    @Test
    void aHubRepositoryIsScannedAtItsCommitWithTheSourceInTheJson() throws IOException {
        try (HubFixture hub = new HubFixture().repo("model", "org/name", COMMIT, repo(), false)) {
            CliTest.Run r = CliTest.run("scan", "--format", "json", "--hub-url", hub.url().toString(),
                    "--allow-host", "127.0.0.1", "--allow-host", "127.0.0.2", "hf://org/name");
            assertThat(r.code()).as(r.err()).isEqualTo(1);
            JsonNode files = new ObjectMapper().readTree(r.out()).get("files");
            JsonNode ckpt = null;
            for (JsonNode f : files) {
                if (f.get("path").asText().endsWith("/pytorch_model.bin")) {
                    ckpt = f;
                }
            }
            assertThat(ckpt).isNotNull();
            assertThat(ckpt.get("path").asText()).isEqualTo("hf://org/name@" + COMMIT + "/pytorch_model.bin");
            assertThat(ckpt.get("verdict").asText()).isEqualTo("malicious");
            assertThat(ckpt.get("source").get("kind").asText()).isEqualTo("hf");
            assertThat(ckpt.get("source").get("revision").asText()).isEqualTo(COMMIT);
            assertThat(ckpt.get("source").get("sha256").asText()).isEqualTo("claimed");
            assertThat(ckpt.get("source").get("bytesRead").asLong()).isLessThan(1 << 20);
            assertThat(ckpt.get("sha256").asText()).hasSize(64);
        }
    }

    @Test
    void aGatedRepositoryIsAClearErrorAndTheTokenNeverShows() throws IOException {
        try (HubFixture hub = new HubFixture().repo("model", "org/gated", COMMIT, repo(), true)) {
            CliTest.Run no = CliTest.run("scan", "--hub-url", hub.url().toString(), "--allow-host", "127.0.0.1",
                    "hf://org/gated");
            assertThat(no.code()).isEqualTo(2);
            assertThat(no.err()).contains("private or gated").doesNotContain("Exception").doesNotContain("\tat ");
            Path tf = Files.writeString(dir.resolve("token"), "hf_wrong_token\n");
            CliTest.Run wrong = CliTest.run("scan", "--hub-url", hub.url().toString(), "--allow-host", "127.0.0.1",
                    "--token-file", tf.toString(), "hf://org/gated");
            assertThat(wrong.code()).isEqualTo(2);
            assertThat(wrong.err()).contains("not been granted").doesNotContain("hf_wrong_token");
            Files.writeString(tf, HubFixture.TOKEN + "\n");
            CliTest.Run ok = CliTest.run("scan", "--format", "sarif", "--hub-url", hub.url().toString(), "--allow-host",
                    "127.0.0.1", "--allow-host", "127.0.0.2", "--token-file", tf.toString(), "hf://org/gated");
            assertThat(ok.code()).as(ok.err()).isEqualTo(1);
            assertThat(ok.out()).contains("\"uri\" : \"hf://org/gated@" + COMMIT + "/pytorch_model.bin\"")
                    .doesNotContain(HubFixture.TOKEN);
            assertThat(ok.err()).doesNotContain(HubFixture.TOKEN);
        }
    }

    @Test
    void aHubOnLoopbackIsRefusedWithoutAnAllow() throws IOException {
        try (HubFixture hub = new HubFixture().repo("model", "org/name", COMMIT, repo(), false)) {
            CliTest.Run r = CliTest.run("scan", "--hub-url", hub.url().toString(), "hf://org/name");
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains("refused by the network guard");
            assertThat(hub.http().requests()).isZero();
        }
    }

    @Test
    void anHttpUrlIsScannedByRangesAndARefusedOneIsAnErrorNeverClean() throws IOException {
        try (HttpFixture fx = new HttpFixture().put("/m.bin", hostile())) {
            CliTest.Run r = CliTest.run("scan", "--allow-host", "127.0.0.1", fx.url("/m.bin").toString());
            assertThat(r.code()).as(r.err()).isEqualTo(1);
            assertThat(r.out()).contains("MALICIOUS").contains(fx.url("/m.bin").toString());
            CliTest.Run refused = CliTest.run("scan", fx.url("localhost", "/m.bin").toString());
            assertThat(refused.code()).isNotZero();
            assertThat(refused.out() + refused.err()).contains("refused by the network guard");
        }
    }

    @Test
    void badReferencesAreUsageErrors() {
        CliTest.Run r = CliTest.run("scan", "hf://gpt2");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("organisation and a name");
        CliTest.Run h = CliTest.run("scan", "--hub-url", "ftp://x", "hf://o/n");
        assertThat(h.code()).isEqualTo(2);
        assertThat(h.err()).contains("--hub-url");
    }

    @Test
    void sha256HashesLocalFilesWhole() throws IOException {
        Path f = Files.write(dir.resolve("m.pt"), hostile());
        CliTest.Run plain = CliTest.run("scan", "--format", "json", f.toString());
        assertThat(new ObjectMapper().readTree(plain.out()).get("files").get(0).has("sha256")).isFalse();
        CliTest.Run hashed = CliTest.run("scan", "--format", "json", "--sha256", f.toString());
        String expected = java.util.HexFormat.of().formatHex(sha256(hostile()));
        assertThat(new ObjectMapper().readTree(hashed.out()).get("files").get(0).get("sha256").asText()).isEqualTo(expected);
    }

    static byte[] sha256(byte[] b) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
