package dev.laocoon.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.laocoon.core.testutil.HttpFixture;
import dev.laocoon.core.testutil.HubFixture;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import dev.laocoon.s3.testutil.S3Fixture;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * POST /v1/scans/by-url for hf:// (core's loopback HubFixture, its CDN on 127.0.0.2), s3:// (s3proxy
 * in this process, on 127.0.0.1) and http(s):// with a query (never shown). Loopback only.
 */
class ByUrlTest {
    static final String COMMIT = "c".repeat(40);
    static final String KEY = S3Fixture.KEY;
    static final String SECRET = S3Fixture.SECRET;
    static S3Fixture s3;

    @TempDir
    Path dir;

    static byte[] hostile() {
        return new ZipBuilder().add("archive/data/0", new byte[1 << 20])
                .add("archive/data.pkl", PickleBuilder.call("os", "system", "echo laocoon"))
                .add("archive/version", "3\n".getBytes()).bytes();
    }

    static byte[] clean() {
        return PickleBuilder.create().proto(4).mark().str("w").binint(1).dict().stop().bytes();
    }

    @BeforeAll
    static void startS3() throws Exception {
        s3 = new S3Fixture().put("models/org/evil/pytorch_model.bin", hostile()).put("models/org/clean/weights.pkl", clean());
        // the SDK's default credentials chain reads these first
        System.setProperty("aws.accessKeyId", KEY);
        System.setProperty("aws.secretAccessKey", SECRET);
    }

    @AfterAll
    static void stopS3() throws Exception {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
        if (s3 != null) {
            s3.close();
        }
    }

    static HttpResponse<String> byUrl(TestServer s, String url) throws Exception {
        return s.post("/v1/scans/by-url", TestServer.ACME, ("{\"url\": \"" + url + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    static Map<String, JsonNode> files(JsonNode answer) {
        Map<String, JsonNode> m = new LinkedHashMap<>();
        answer.get("files").forEach(f -> m.put(f.get("path").asText(), f));
        return m;
    }

    @Test
    void aHubRepositoryIsAnsweredLikeARepositoryUpload() throws Exception {
        Map<String, byte[]> repo = new LinkedHashMap<>();
        repo.put("README.md", "# a model\n".getBytes());
        repo.put("pytorch_model.bin", hostile());
        repo.put("weights/clean.pkl", clean());
        Path tokenFile = dir.resolve("hub-token");
        Files.writeString(tokenFile, HubFixture.TOKEN + "\n");
        try (HubFixture hub = new HubFixture().repo("model", "org/name", COMMIT, repo, false)
                .repo("model", "org/gated", COMMIT, repo, true);
             TestServer s = new TestServer(dir, c -> {
                 c.byUrlHubUrl = hub.url().toString();
                 c.byUrlHubTokenFile = tokenFile;
                 c.byUrlAllowHosts = List.of("127.0.0.1", "127.0.0.2");
             })) {
            HttpResponse<String> r = byUrl(s, "hf://org/name@main");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode j = TestServer.json(r);
            assertThat(j.get("format").asText()).isEqualTo("repository");
            assertThat(j.get("verdict").asText()).isEqualTo("malicious");
            assertThat(j.get("path").asText()).isEqualTo("hf://org/name@main");
            String base = "hf://org/name@" + COMMIT + "/";
            Map<String, JsonNode> f = files(j);
            assertThat(f.keySet()).containsExactlyInAnyOrder(base + "README.md", base + "pytorch_model.bin",
                    base + "weights/clean.pkl");
            assertThat(f.get(base + "pytorch_model.bin").get("verdict").asText()).isEqualTo("malicious");
            assertThat(f.get(base + "weights/clean.pkl").get("verdict").asText()).isEqualTo("safe");
            assertThat(j.get("summary")).isNotNull();
            // kept for the tenant, like an upload's result
            String id = j.get("scanId").asText();
            assertThat(TestServer.json(s.get("/v1/scans/" + id, TestServer.ACME)).get("verdict").asText()).isEqualTo("malicious");
            assertThat(s.get("/v1/scans/" + id, TestServer.GLOBEX).statusCode()).isEqualTo(404);
            assertThat(TestServer.json(s.get("/v1/scans/" + id + "?view=sarif", TestServer.ACME)).get("runs").get(0)
                    .get("results").get(0).get("ruleId").asText()).startsWith("LAO");
            // the token (from byUrl.hubTokenFile) opens a gated repository; it is sent to the hub's host only
            JsonNode gated = TestServer.json(byUrl(s, "hf://org/gated"));
            assertThat(gated.get("verdict").asText()).as(gated.toString()).isEqualTo("malicious");
            assertThat(hub.cdn().seen()).allSatisfy(x -> assertThat(x.authorization()).isNull());
            assertThat(s.log()).doesNotContain(HubFixture.TOKEN);
            assertThat(Files.readString(s.config.auditLog())).doesNotContain(HubFixture.TOKEN)
                    .contains("\"source\":\"url\"").contains("hf://org/name@main");
            // a repository that does not exist is never safe
            JsonNode missing = TestServer.json(byUrl(s, "hf://org/none"));
            assertThat(missing.get("verdict").asText()).isNotEqualTo("safe");
            assertThat(missing.get("files").get(0).get("error").asText()).isNotEmpty();
        }
    }

    @Test
    void anS3ObjectOrPrefixIsScannedWithTheServicesConfiguredEndpoint() throws Exception {
        try (TestServer s = new TestServer(dir, c -> {
            c.byUrlS3Endpoint = s3.endpoint();
            c.byUrlS3Region = "us-east-1";
            c.byUrlS3PathStyle = true;
            c.byUrlAllowHosts = List.of("127.0.0.1");
        })) {
            JsonNode one = TestServer.json(byUrl(s, "s3://models/org/evil/pytorch_model.bin"));
            assertThat(one.get("format").asText()).isEqualTo("repository");
            assertThat(one.get("verdict").asText()).as(one.toString()).isEqualTo("malicious");
            assertThat(files(one).keySet()).containsExactly("s3://models/org/evil/pytorch_model.bin");
            JsonNode prefix = TestServer.json(byUrl(s, "s3://models/org/"));
            Map<String, JsonNode> f = files(prefix);
            assertThat(f.keySet()).containsExactlyInAnyOrder("s3://models/org/evil/pytorch_model.bin",
                    "s3://models/org/clean/weights.pkl");
            assertThat(f.get("s3://models/org/clean/weights.pkl").get("verdict").asText()).isEqualTo("safe");
            assertThat(prefix.get("verdict").asText()).isEqualTo("malicious");
            // what is shown never has a pre-signed URL's credentials
            String all = prefix.toString() + one + Files.readString(s.config.auditLog()) + s.log();
            assertThat(all).doesNotContain("X-Amz-Signature").doesNotContain("X-Amz-Credential").doesNotContain(KEY)
                    .doesNotContain(SECRET);
            JsonNode none = TestServer.json(byUrl(s, "s3://nothing-here/x.bin"));
            assertThat(none.get("verdict").asText()).isNotEqualTo("safe");
        }
    }

    @Test
    void aUrlsQueryIsNeverShown() throws Exception {
        try (HttpFixture origin = new HttpFixture().put("/evil.pkl", PickleBuilder.call("os", "system", "echo laocoon"));
             TestServer s = new TestServer(dir, c -> c.byUrlAllowHosts = List.of("127.0.0.1"))) {
            String url = origin.url("/evil.pkl") + "?X-Amz-Credential=AKIDSECRET&X-Amz-Signature=deadbeefsecret";
            HttpResponse<String> r = byUrl(s, url);
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode j = TestServer.json(r);
            assertThat(j.get("verdict").asText()).isEqualTo("malicious");
            assertThat(j.get("path").asText()).isEqualTo(origin.url("/evil.pkl") + "?...");
            String id = j.get("scanId").asText();
            String shown = r.body() + s.get("/v1/scans/" + id, TestServer.ACME).body()
                    + s.get("/v1/scans/" + id + "?view=sarif", TestServer.ACME).body()
                    + s.get("/v1/scans/" + id + "?view=hf", TestServer.ACME).body()
                    + s.get("/v1/scans", TestServer.ACME).body() + Files.readString(s.config.auditLog()) + s.log();
            assertThat(shown).contains("evil.pkl").doesNotContain("AKIDSECRET").doesNotContain("deadbeefsecret");
            // the object was read with its query (the credentials are for the origin)
            assertThat(origin.seen()).anySatisfy(x -> assertThat(x.path()).startsWith("/evil.pkl"));
        }
    }
}
