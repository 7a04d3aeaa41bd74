package dev.laocoon.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POST /v1/admission: AdmissionReview v1 in, the audit module's verdict out. */
class AdmissionTest {
    static final String WEBHOOK = "webhook-token-for-tests-0123456789";

    @TempDir
    Path dir;

    static String review(String uid, String operation, String object) {
        return "{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\", \"request\": {\"uid\": \"" + uid
                + "\", \"kind\": {\"group\": \"\", \"version\": \"v1\", \"kind\": \"Pod\"}, \"namespace\": \"ml\","
                + " \"name\": \"serve\", \"operation\": \"" + operation + "\", \"object\": " + object + "}}";
    }

    static String pod(String securityContext) {
        return "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"serve\", \"namespace\": \"ml\"},"
                + " \"spec\": {\"automountServiceAccountToken\": false, \"containers\": [{\"name\": \"model\","
                + " \"image\": \"registry.example/serve@sha256:" + "a".repeat(64) + "\"" + securityContext + "}]}}";
    }

    static HttpResponse<String> post(TestServer s, String token, String body) throws Exception {
        return s.post("/v1/admission", token, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aPrivilegedPodIsDeniedWithItsFindingsAndAPlainOneAllowed() throws Exception {
        try (TestServer s = new TestServer(dir, c -> c.admissionTokenHashes = List.of(TestServer.hash(WEBHOOK)))) {
            HttpResponse<String> r = post(s, WEBHOOK, review("uid-1", "CREATE",
                    pod(", \"securityContext\": {\"privileged\": true}")));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode j = TestServer.json(r);
            assertThat(j.get("apiVersion").asText()).isEqualTo("admission.k8s.io/v1");
            assertThat(j.get("kind").asText()).isEqualTo("AdmissionReview");
            JsonNode resp = j.get("response");
            assertThat(resp.get("uid").asText()).isEqualTo("uid-1");
            assertThat(resp.get("allowed").asBoolean()).as(r.body()).isFalse();
            assertThat(resp.get("status").get("code").asInt()).isEqualTo(403);
            assertThat(resp.get("status").get("message").asText()).contains("LAO903").contains("Pod ml/serve");

            JsonNode plain = TestServer.json(post(s, WEBHOOK, review("uid-2", "CREATE", pod(""))));
            assertThat(plain.get("response").get("uid").asText()).isEqualTo("uid-2");
            assertThat(plain.get("response").get("allowed").asBoolean()).as(plain.toString()).isTrue();
            assertThat(plain.get("response").has("status")).isFalse();

            // DELETE has no object: allowed
            JsonNode del = TestServer.json(post(s, WEBHOOK, review("uid-3", "DELETE", "null")));
            assertThat(del.get("response").get("allowed").asBoolean()).isTrue();

            // tenants' tokens work as well; no token, another token: 401
            assertThat(TestServer.json(post(s, TestServer.ACME, review("uid-4", "CREATE", pod(""))))
                    .get("response").get("allowed").asBoolean()).isTrue();
            assertThat(post(s, null, review("uid-5", "CREATE", pod(""))).statusCode()).isEqualTo(401);
            assertThat(post(s, "not-a-token-0123456789", review("uid-6", "CREATE", pod(""))).statusCode()).isEqualTo(401);
            // not an AdmissionReview: 400
            assertThat(post(s, WEBHOOK, "{\"kind\": \"Pod\"}").statusCode()).isEqualTo(400);
            assertThat(post(s, WEBHOOK, "not json").statusCode()).isEqualTo(400);
            // every review is an audit log line; the webhook's token never is
            String log = Files.readString(s.config.auditLog());
            assertThat(log).contains("\"source\":\"admission\"").contains("\"status\":\"denied\"")
                    .contains("\"status\":\"allowed\"").contains("LAO903").doesNotContain(WEBHOOK);
        }
    }

    @Test
    void theDenyingSeverityIsConfigurable() throws Exception {
        String privileged = review("uid-7", "CREATE", pod(", \"securityContext\": {\"privileged\": true}"));
        try (TestServer s = new TestServer(dir, c -> c.admissionDenyAt = dev.laocoon.core.finding.Severity.MALICIOUS)) {
            JsonNode r = TestServer.json(post(s, TestServer.ACME, privileged));
            assertThat(r.get("response").get("allowed").asBoolean()).as(r.toString()).isTrue();
            assertThat(r.get("response").get("warnings").toString()).contains("LAO903");
        }
    }

    @Test
    void anObjectThatIsNotAManifestIsDenied() throws Exception {
        try (TestServer s = new TestServer(dir, c -> { })) {
            // an object without apiVersion/kind: it cannot be audited as a manifest, so it is not admitted
            JsonNode r = TestServer.json(post(s, TestServer.ACME, review("uid-8", "CREATE", "{\"x\": [1, 2]}")));
            assertThat(r.get("response").get("uid").asText()).isEqualTo("uid-8");
            assertThat(r.get("response").get("allowed").asBoolean()).as(r.toString()).isFalse();
        }
    }
}
