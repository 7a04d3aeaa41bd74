package dev.laocoon.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API on an ephemeral loopback port with the embedded store: endpoints, statuses, isolation. */
class ServerApiTest {
    @TempDir
    static Path dir;
    static TestServer s;
    static final byte[] EVIL = PickleBuilder.call("os", "system", "echo pwned");
    static final byte[] CHECKPOINT = ZipBuilder.torchZip(ZipBuilder.torchStateDict("weight", "0", 4), 4);

    @BeforeAll
    static void start() throws Exception {
        s = new TestServer(dir, c -> {
            c.byUrlAllowHosts = List.of("127.0.0.1");
            c.syncMaxBytes = 1 << 20;
            c.maxBodyBytes = 4 << 20;
        });
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    @Test
    void healthReadyInfo() throws Exception {
        assertThat(s.get("/healthz", null).statusCode()).isEqualTo(200);
        HttpResponse<String> ready = s.get("/readyz", null);
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(TestServer.json(ready).get("store").asText()).isEqualTo("ok");
        JsonNode info = TestServer.json(s.get("/v1/info", null));
        assertThat(info.get("knowledgeBaseSha256").asText()).matches("[0-9a-f]{64}");
        assertThat(info.get("limits").get("maxBodyBytes").asLong()).isEqualTo(4 << 20);
        assertThat(info.get("schemaVersion").asInt()).isEqualTo(Store.MIGRATIONS.length);
    }

    @Test
    void tokensAreNeededAndChecked() throws Exception {
        HttpResponse<String> none = s.post("/v1/scans", null, EVIL);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(s.post("/v1/scans", "not-a-token", EVIL).statusCode()).isEqualTo(401);
        assertThat(s.get("/v1/scans", TestServer.ACME + "x").statusCode()).isEqualTo(401);
    }

    @Test
    void maliciousUploadAnswersTheCliJsonPlusIdAndHash() throws Exception {
        HttpResponse<String> r = s.post("/v1/scans?name=evil.pkl", TestServer.ACME, EVIL);
        assertThat(r.statusCode()).isEqualTo(200);
        ObjectNode got = (ObjectNode) TestServer.json(r);
        assertThat(got.get("verdict").asText()).isEqualTo("malicious");
        assertThat(got.get("findings").get(0).get("rule").asText()).isEqualTo("LAO101");
        assertThat(got.get("sha256").asText()).isEqualTo(Hashes.sha256Hex(EVIL));
        assertThat(got.get("scanId").asText()).matches("[0-9a-f]{32}");
        assertThat(r.headers().firstValue("Location")).contains("/v1/scans/" + got.get("scanId").asText());
        // the same object a local scan of the same bytes gives, field for field
        Path f = dir.resolve("evil.pkl");
        Files.write(f, EVIL);
        FileReport local = Scanner.builder().build().scan(f, "evil.pkl");
        ObjectNode expected = Results.fileObject(local, s.server.version);
        ObjectNode stripped = got.deepCopy();
        // bytesRead measures how the bytes were read (a spooled upload, a file), not what they are
        stripped.remove(List.of("scanId", "status", "sha256", "bytesRead"));
        expected.remove("bytesRead");
        assertThat(stripped).isEqualTo(expected);
        assertThat(s.awaitNoTempFiles()).isZero();
    }

    @Test
    void benignCheckpointIsSafe() throws Exception {
        HttpResponse<String> r = s.post("/v1/scans?name=model.pt", TestServer.ACME, CHECKPOINT);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode j = TestServer.json(r);
        assertThat(j.get("verdict").asText()).isEqualTo("safe");
        assertThat(j.get("format").asText()).startsWith("pytorch");
    }

    @Test
    void nameFromContentDispositionAndCleaned() throws Exception {
        var req = java.net.http.HttpRequest.newBuilder(s.uri("/v1/scans"))
                .header("Authorization", "Bearer " + TestServer.ACME)
                .header("Content-Type", "application/octet-stream")
                .header("Content-Disposition", "attachment; filename=\"../../etc/x.pkl\"")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(EVIL)).build();
        JsonNode j = TestServer.json(s.http.send(req, HttpResponse.BodyHandlers.ofString()));
        assertThat(j.get("path").asText()).isEqualTo("x.pkl");
    }

    @Test
    void tenantsSeeOnlyTheirOwnScans() throws Exception {
        byte[] unique = PickleBuilder.call("os", "system", "echo acme-only-" + System.nanoTime());
        JsonNode mine = TestServer.json(s.post("/v1/scans?name=a.pkl", TestServer.ACME, unique));
        String id = mine.get("scanId").asText();
        String sha = mine.get("sha256").asText();
        HttpResponse<String> own = s.get("/v1/scans/" + id, TestServer.ACME);
        assertThat(own.statusCode()).isEqualTo(200);
        assertThat(TestServer.json(own).get("verdict").asText()).isEqualTo("malicious");
        HttpResponse<String> other = s.get("/v1/scans/" + id, TestServer.GLOBEX);
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(other.body()).doesNotContain(sha).doesNotContain("a.pkl");
        assertThat(s.get("/v1/files/" + sha, TestServer.ACME).statusCode()).isEqualTo(200);
        assertThat(s.get("/v1/files/" + sha, TestServer.GLOBEX).statusCode()).isEqualTo(404);
        assertThat(s.get("/v1/scans", TestServer.GLOBEX).body()).doesNotContain(id);
        assertThat(s.get("/v1/scans", TestServer.ACME).body()).contains(id);
        // the other tenant uploading the same content is scanned afresh: never told it is known
        JsonNode theirs = TestServer.json(s.post("/v1/scans?name=b.pkl", TestServer.GLOBEX, unique));
        assertThat(theirs.has("cached")).isFalse();
        JsonNode again = TestServer.json(s.post("/v1/scans?name=c.pkl", TestServer.ACME, unique));
        assertThat(again.get("cached").asBoolean()).isTrue();
        assertThat(again.get("verdict").asText()).isEqualTo("malicious");
        assertThat(again.get("scanId").asText()).isNotEqualTo(id);
    }

    @Test
    void asyncAnswers202AndIsPolled() throws Exception {
        byte[] unique = PickleBuilder.call("subprocess", "call", "async-" + System.nanoTime());
        HttpResponse<String> r = s.post("/v1/scans?async=true&name=a.pkl", TestServer.GLOBEX, unique);
        assertThat(r.statusCode()).isEqualTo(202);
        String loc = r.headers().firstValue("Location").orElseThrow();
        JsonNode j = null;
        for (int i = 0; i < 200; i++) {
            j = TestServer.json(s.get(loc, TestServer.GLOBEX));
            if (j.get("status").asText().equals("done")) {
                break;
            }
            assertThat(j.get("status").asText()).isIn("queued", "running");
            Thread.sleep(25);
        }
        assertThat(j.get("status").asText()).isEqualTo("done");
        assertThat(j.get("verdict").asText()).isEqualTo("malicious");
    }

    @Test
    void aBodyAboveTheSyncThresholdIsAsync() throws Exception {
        byte[] big = new byte[(1 << 20) + 10]; // zeros: an unknown format
        HttpResponse<String> r = s.post("/v1/scans?name=zeros.bin", TestServer.GLOBEX, big);
        assertThat(r.statusCode()).isEqualTo(202);
    }

    @Test
    void declaredLengthOverTheLimitIs413BeforeAnyBodyIsRead() throws Exception {
        try (Socket c = new Socket("127.0.0.1", s.server.port())) {
            c.setSoTimeout(10_000);
            OutputStream o = c.getOutputStream();
            // a 2 GB body against the limit: only the headers are sent
            o.write(("POST /v1/scans HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestServer.ACME
                    + "\r\nContent-Type: application/octet-stream\r\nContent-Length: 2147483648\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            o.flush();
            String head = readHead(c.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 413");
        }
    }

    @Test
    void chunkedBodyOverTheLimitIs413() throws Exception {
        var req = java.net.http.HttpRequest.newBuilder(s.uri("/v1/scans"))
                .header("Authorization", "Bearer " + TestServer.ACME)
                .header("Content-Type", "application/octet-stream")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(new byte[(4 << 20) + 1]))).build();
        HttpResponse<String> r;
        try {
            r = s.http.send(req, HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(413);
        } catch (java.io.IOException e) {
            // the server closes after answering; the client may see that before the answer
        }
        assertThat(s.awaitNoTempFiles()).isZero();
    }

    @Test
    void methodsAndPaths() throws Exception {
        assertThat(s.get("/nothing-here", null).statusCode()).isEqualTo(404);
        HttpResponse<String> m = s.http.send(java.net.http.HttpRequest.newBuilder(s.uri("/healthz"))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(m.statusCode()).isEqualTo(405);
        assertThat(m.headers().firstValue("Allow")).isPresent();
        assertThat(s.post("/v1/scans/by-url", TestServer.ACME, "{}".getBytes(StandardCharsets.UTF_8)).statusCode())
                .isEqualTo(400);
        // (hf:// and s3:// sources: ByUrlTest, against loopback fixtures; nothing here reaches a public hub)
        HttpResponse<String> hf = s.post("/v1/scans/by-url", TestServer.ACME,
                "{\"url\": \"hf://org/model?revision=main\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(hf.statusCode()).isEqualTo(400);
        assertThat(hf.body()).contains("no query");
        assertThat(s.post("/v1/scans/by-url", TestServer.ACME, "{\"url\": \"ftp://x/y\"}".getBytes(StandardCharsets.UTF_8))
                .statusCode()).isEqualTo(400);
        assertThat(s.get("/v1/scans/0123", TestServer.ACME).statusCode()).isEqualTo(404);
        assertThat(s.get("/v1/files/zz", TestServer.ACME).statusCode()).isEqualTo(400);
        var wrongType = java.net.http.HttpRequest.newBuilder(s.uri("/v1/scans"))
                .header("Authorization", "Bearer " + TestServer.ACME).header("Content-Type", "text/plain")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("x")).build();
        assertThat(s.http.send(wrongType, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(415);
    }

    @Test
    void clientThatDisconnectsMidUploadLeavesNoTemporaryFile() throws Exception {
        try (Socket c = new Socket("127.0.0.1", s.server.port())) {
            OutputStream o = c.getOutputStream();
            o.write(("POST /v1/scans HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestServer.ACME
                    + "\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            o.write(new byte[300_000]);
            o.flush();
            for (int i = 0; i < 100 && s.tempFiles() == 0; i++) {
                Thread.sleep(10); // the upload's file exists
            }
        }
        assertThat(s.awaitNoTempFiles()).isZero();
        assertThat(s.get("/healthz", null).statusCode()).isEqualTo(200);
    }

    @Test
    void auditLogHasOneJsonLinePerScanAndNoToken() throws Exception {
        byte[] unique = PickleBuilder.call("os", "system", "echo audit-" + System.nanoTime());
        String id = TestServer.json(s.post("/v1/scans?name=audit.pkl", TestServer.ACME, unique)).get("scanId").asText();
        List<String> lines = Files.readAllLines(s.config.auditLog());
        JsonNode line = null;
        for (String l : lines) {
            JsonNode n = Http.JSON.readTree(l);
            if (n.get("scanId").asText().equals(id)) {
                line = n;
            }
        }
        assertThat(line).isNotNull();
        assertThat(line.get("tenant").asText()).isEqualTo("acme");
        assertThat(line.get("sha256").asText()).isEqualTo(Hashes.sha256Hex(unique));
        assertThat(line.get("verdict").asText()).isEqualTo("malicious");
        assertThat(line.get("rules").get(0).asText()).isEqualTo("LAO101");
        assertThat(line.get("durationMs").asDouble()).isPositive();
        String all = String.join("\n", lines) + s.log();
        for (String token : List.of(TestServer.ADMIN, TestServer.ACME, TestServer.GLOBEX)) {
            assertThat(all).doesNotContain(token);
        }
    }

    @Test
    void metricsCountScansAndRejections() throws Exception {
        s.post("/v1/scans?name=m.pkl", TestServer.ACME, PickleBuilder.call("os", "system", "m" + System.nanoTime()));
        s.post("/v1/scans", "bad", EVIL);
        HttpResponse<String> m = s.get("/metrics", null);
        assertThat(m.statusCode()).isEqualTo(200);
        assertThat(m.body()).contains("laocoon_scans_total{format=\"pickle\",verdict=\"malicious\"}")
                .contains("laocoon_rejections_total{reason=\"unauthorized\"}")
                .contains("laocoon_scan_duration_seconds_bucket").contains("laocoon_queue_depth");
    }

    @Test
    void byUrlReadsThroughTheGuard() throws Exception {
        com.sun.net.httpserver.HttpServer origin = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 8);
        origin.createContext("/evil.pkl", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(200, EVIL.length); // ignores Range: read as one bounded stream
            ex.getResponseBody().write(EVIL);
            ex.close();
        });
        origin.start();
        try {
            String url = "http://127.0.0.1:" + origin.getAddress().getPort() + "/evil.pkl";
            HttpResponse<String> r = s.post("/v1/scans/by-url", TestServer.ACME,
                    ("{\"url\": \"" + url + "\"}").getBytes(StandardCharsets.UTF_8));
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode j = TestServer.json(r);
            assertThat(j.get("verdict").asText()).isEqualTo("malicious");
            assertThat(j.get("sha256").asText()).isEqualTo(Hashes.sha256Hex(EVIL));
            assertThat(s.get("/v1/scans/" + j.get("scanId").asText(), TestServer.GLOBEX).statusCode()).isEqualTo(404);
        } finally {
            origin.stop(0);
        }
        // the metadata address is refused by the guard's decision (a literal: nothing is looked up or connected)
        HttpResponse<String> meta = s.post("/v1/scans/by-url", TestServer.ACME,
                "{\"url\": \"http://169.254.169.254/latest/meta-data/\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(meta.statusCode()).isEqualTo(200);
        assertThat(TestServer.json(meta).get("verdict").asText()).isEqualTo("error");
        assertThat(TestServer.json(meta).get("error").asText()).contains("169.254.169.254");
    }

    static byte[] multipart(String boundary, String... parts) {
        StringBuilder b = new StringBuilder();
        for (String p : parts) {
            b.append("--").append(boundary).append("\r\n").append(p).append("\r\n");
        }
        b.append("--").append(boundary).append("--\r\n");
        return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    static HttpResponse<String> postMultipart(String boundary, byte[] body, String token) throws Exception {
        var b = java.net.http.HttpRequest.newBuilder(s.uri("/v1/scans"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return s.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void multipartFormWithTheTokenInAFieldAnswersAPage() throws Exception {
        String evil = new String(EVIL, StandardCharsets.ISO_8859_1);
        byte[] body = multipart("XyZ", "Content-Disposition: form-data; name=\"answer\"\r\n\r\nhtml",
                "Content-Disposition: form-data; name=\"token\"\r\n\r\n" + TestServer.ACME,
                "Content-Disposition: form-data; name=\"file\"; filename=\"evil.pkl\"\r\n"
                        + "Content-Type: application/octet-stream\r\n\r\n" + evil);
        HttpResponse<String> r = postMultipart("XyZ", body, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        assertThat(r.headers().firstValue("Content-Security-Policy").orElse("")).contains("default-src 'self'");
        assertThat(r.body()).contains("id=\"verdict\"").contains(">malicious<").contains("os.system(")
                .contains("LAO101").doesNotContain(TestServer.ACME);
        // the same bytes as a plain upload: same hash, so the multipart framing was removed exactly
        assertThat(r.body()).contains(Hashes.sha256Hex(EVIL));
        // JSON by default, token in the header
        byte[] json = multipart("b0undary", "Content-Disposition: form-data; name=\"file\"; filename=\"x.pkl\"\r\n\r\n"
                + evil);
        HttpResponse<String> j = postMultipart("b0undary", json, TestServer.GLOBEX);
        assertThat(j.statusCode()).isEqualTo(200);
        assertThat(TestServer.json(j).get("verdict").asText()).isEqualTo("malicious");
        assertThat(TestServer.json(j).get("path").asText()).isEqualTo("x.pkl");
    }

    @Test
    void malformedMultipartIs400AndLeavesNoFile() throws Exception {
        assertThat(postMultipart("abc", "no boundary here at all".getBytes(StandardCharsets.US_ASCII), TestServer.ACME)
                .statusCode()).isEqualTo(400);
        byte[] noFile = multipart("abc", "Content-Disposition: form-data; name=\"a\"\r\n\r\nx");
        assertThat(postMultipart("abc", noFile, TestServer.ACME).statusCode()).isEqualTo(400);
        byte[] two = multipart("abc", "Content-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\nx",
                "Content-Disposition: form-data; name=\"g\"; filename=\"b\"\r\n\r\ny");
        HttpResponse<String> r = postMultipart("abc", two, TestServer.ACME);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("one file part");
        String manyParts = "Content-Disposition: form-data; name=\"a\"\r\n\r\nx";
        String[] parts = new String[Multipart.MAX_PARTS + 1];
        java.util.Arrays.fill(parts, manyParts);
        assertThat(postMultipart("abc", multipart("abc", parts), TestServer.ACME).statusCode()).isEqualTo(400);
        byte[] hugeHeader = multipart("abc", "X-Pad: " + "p".repeat(Multipart.MAX_HEADER_BYTES + 10) + "\r\n"
                + "Content-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\nx");
        assertThat(postMultipart("abc", hugeHeader, TestServer.ACME).statusCode()).isEqualTo(400);
        byte[] cut = java.util.Arrays.copyOf(multipart("abc",
                "Content-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\n" + "x".repeat(1000)), 500);
        assertThat(postMultipart("abc", cut, TestServer.ACME).statusCode()).isEqualTo(400);
        assertThat(s.awaitNoTempFiles()).isZero();
    }

    @Test
    void hubShapedAndSarifViews() throws Exception {
        byte[] unique = PickleBuilder.call("os", "system", "echo views-" + System.nanoTime());
        HttpResponse<String> r = s.post("/v1/scans?name=v.pkl&view=hf", TestServer.ACME, unique);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode hf = TestServer.json(r);
        JsonNode st = hf.get("securityFileStatus");
        assertThat(st.get("status").asText()).isEqualTo("unsafe");
        assertThat(st.get("pickleImportScan").get("highestSafetyLevel").asText()).isEqualTo("dangerous");
        assertThat(st.get("pickleImportScan").get("imports").get(0).get("module").asText()).isEqualTo("os");
        assertThat(st.get("pickleImportScan").get("imports").get(0).get("name").asText()).isEqualTo("system");
        assertThat(st.get("pickleImportScan").get("imports").get(0).get("safety").asText()).isEqualTo("dangerous");
        String id = hf.get("scanId").asText();
        JsonNode sarif = TestServer.json(s.get("/v1/scans/" + id + "?view=sarif", TestServer.ACME));
        assertThat(sarif.get("version").asText()).isEqualTo("2.1.0");
        assertThat(sarif.get("runs").get(0).get("results").get(0).get("ruleId").asText()).isEqualTo("LAO101");
        JsonNode ok = TestServer.json(s.post("/v1/scans?name=m.pt&view=hf", TestServer.ACME, CHECKPOINT));
        assertThat(ok.get("securityFileStatus").get("status").asText()).isEqualTo("safe");
        assertThat(ok.get("securityFileStatus").get("pickleImportScan").get("highestSafetyLevel").asText())
                .isEqualTo("innocuous");
        JsonNode explained = TestServer.json(s.get("/v1/scans/" + id + "?explain=true", TestServer.ACME));
        assertThat(explained.get("explain").get(0).get("text").asText()).contains("os.system('echo views-");
        assertThat(s.get("/v1/scans/" + id + "?view=xml", TestServer.ACME).statusCode()).isEqualTo(400);
    }

    @Test
    void openApiAndThePageAreServed() throws Exception {
        HttpResponse<String> o = s.get("/openapi.json", null);
        assertThat(o.statusCode()).isEqualTo(200);
        JsonNode api = TestServer.json(o);
        assertThat(api.get("openapi").asText()).isEqualTo("3.1.0");
        for (String p : List.of("/v1/scans", "/v1/scans/{id}", "/v1/files/{sha256}", "/v1/scans/by-url", "/v1/admission", "/healthz",
                "/readyz", "/metrics", "/v1/info")) {
            assertThat(api.get("paths").has(p)).as(p).isTrue();
        }
        HttpResponse<String> page = s.get("/", null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("action=\"/v1/scans\"").contains("enctype=\"multipart/form-data\"")
                .doesNotContain("http://").doesNotContain("https://");
        assertThat(s.get("/app.js", null).body()).contains("XMLHttpRequest");
        assertThat(s.get("/style.css", null).headers().firstValue("Content-Type").orElse("")).startsWith("text/css");
    }

    static String readHead(InputStream in) throws java.io.IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            b.append((char) c);
            if (b.length() >= 4 && b.substring(b.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        return b.toString();
    }
}
