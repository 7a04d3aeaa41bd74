package dev.laocoon.s3;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.laocoon.cli.CliTest;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** laocoon scan s3://... in this process, the lister found on the class path as the launcher's -cp gives it. */
class S3CliTest {

    @BeforeAll
    static void start() throws Exception {
        S3ScanTest.start();
        // the SDK's default chain: system properties come before anything that would connect
        System.setProperty("aws.accessKeyId", S3ScanTest.KEY);
        System.setProperty("aws.secretAccessKey", S3ScanTest.SECRET);
    }

    @AfterAll
    static void stop() throws Exception {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
        S3ScanTest.stop();
    }

    static CliTest.Run run(String... args) {
        return CliTest.run(args);
    }

    @Test
    void aPrefixIsScannedWithTheVerdictsAndSourcesInTheJson() throws Exception {
        CliTest.Run r = run("scan", "--format", "json", "--s3-endpoint", S3ScanTest.options.get("endpoint"), "--s3-path-style",
                "--allow-host", "127.0.0.1", "s3://models/org/");
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        Map<String, JsonNode> byPath = new HashMap<>();
        for (JsonNode f : new ObjectMapper().readTree(r.out()).get("files")) {
            byPath.put(f.get("path").asText(), f);
        }
        assertThat(byPath.get("s3://models/org/evil/pytorch_model.bin").get("verdict").asText()).isEqualTo("malicious");
        assertThat(byPath.get("s3://models/org/clean/weights.pkl").get("verdict").asText()).isEqualTo("safe");
        assertThat(byPath.get("s3://models/org/evil/copy.bin").get("source").get("url").asText())
                .isEqualTo("s3://models/org/evil/copy.bin");
        assertThat(r.out()).doesNotContain("X-Amz-Signature").doesNotContain(S3ScanTest.SECRET);
    }

    @Test
    void theGateLandsACleanPrefixAndRefusesAHostileOne(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        String endpoint = S3ScanTest.options.get("endpoint");
        java.nio.file.Path ok = tmp.resolve("clean");
        CliTest.Run r = run("gate", "--s3-endpoint", endpoint, "--s3-path-style", "--allow-host", "127.0.0.1",
                "s3://models/org/clean/", ok.toString());
        assertThat(r.code()).as(r.err()).isZero();
        // the prefix is the model's folder: its keys land relative to it
        assertThat(java.nio.file.Files.readAllBytes(ok.resolve("weights.pkl"))).isEqualTo(S3ScanTest.clean());
        JsonNode rep = new ObjectMapper().readTree(ok.resolve("laocoon-report.json").toFile());
        assertThat(rep.get("gate").get("passed").asBoolean()).isTrue();
        assertThat(rep.toString()).doesNotContain("X-Amz-Signature");

        java.nio.file.Path bad = tmp.resolve("evil");
        CliTest.Run e = run("gate", "--s3-endpoint", endpoint, "--s3-path-style", "--allow-host", "127.0.0.1",
                "s3://models/org/evil/", bad.toString());
        assertThat(e.code()).isEqualTo(1);
        assertThat(e.err()).contains("refused").contains("malicious").doesNotContain("X-Amz-Signature");
        assertThat(bad).satisfiesAnyOf(p -> assertThat(p).doesNotExist(), p -> assertThat(p).isEmptyDirectory());
        try (java.util.stream.Stream<java.nio.file.Path> left = java.nio.file.Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".laocoon-staging-"));
        }
    }

    @Test
    void anEndpointOnLoopbackIsRefusedWithoutAnAllow() {
        CliTest.Run r = run("scan", "--s3-endpoint", S3ScanTest.options.get("endpoint"), "--s3-path-style", "s3://models/org/");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("refused by the network guard");
    }
}
