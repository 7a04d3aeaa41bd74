package dev.laocoon.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.testutil.PickleBuilder;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Limits that fail closed, quotas and token rotation, each on its own small service. */
class ServerLimitsTest {
    @TempDir
    Path dir;

    static final byte[] EVIL = PickleBuilder.call("os", "system", "echo pwned");

    /** A raw connection that has sent the headers of an upload (and maybe part of its body). */
    static Socket startUpload(TestServer s, String token, long length, int firstBytes) throws IOException {
        Socket c = new Socket("127.0.0.1", s.server.port());
        c.setSoTimeout(20_000);
        OutputStream o = c.getOutputStream();
        o.write(("POST /v1/scans?name=held.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        o.write(new byte[firstBytes]);
        o.flush();
        return c;
    }

    static int status(Socket c) throws IOException {
        String head = ServerApiTest.readHead(c.getInputStream());
        assertThat(head).startsWith("HTTP/1.1 ");
        return Integer.parseInt(head.substring(9, 12));
    }

    static String head(Socket c) throws IOException {
        return ServerApiTest.readHead(c.getInputStream());
    }

    @Test
    void slowAndStalledBodiesGet408AndLeaveNoFile() throws Exception {
        try (TestServer s = new TestServer(dir, c -> {
            c.readTimeout = java.time.Duration.ofSeconds(1);
            c.minBytesPerSecond = 1000;
        })) {
            try (Socket slow = startUpload(s, TestServer.ACME, 100_000, 10)) {
                OutputStream o = slow.getOutputStream();
                Thread feeder = new Thread(() -> {
                    try {
                        for (int i = 0; i < 100; i++) { // a slow loris: 10 bytes every 200 ms
                            Thread.sleep(200);
                            o.write(new byte[10]);
                            o.flush();
                        }
                    } catch (IOException | InterruptedException e) {
                        // the server closed the connection: expected
                    }
                });
                feeder.setDaemon(true);
                feeder.start();
                assertThat(head(slow)).startsWith("HTTP/1.1 408").containsIgnoringCase("Content-Type: application/json");
                feeder.interrupt();
            }
            try (Socket stalled = startUpload(s, TestServer.ACME, 100_000, 100)) {
                assertThat(head(stalled)).startsWith("HTTP/1.1 408");
            }
            assertThat(s.awaitNoTempFiles()).isZero();
            assertThat(s.server.inflightUploads()).isZero();
            // the service is still up and whole
            assertThat(s.post("/v1/scans", TestServer.ACME, EVIL).statusCode()).isEqualTo(200);
            assertThat(s.get("/metrics", null).body()).contains("laocoon_rejections_total{reason=\"slow_client\"} 2.0");
        }
    }

    @Test
    void sixtyFourUploadsAgainstAPoolOfFourAndAQueueOfSixteen() throws Exception {
        try (TestServer s = new TestServer(dir, c -> {
            c.workers = 4;
            c.queue = 16;
            c.defaultQuota = new Tenants.Quota(1000, 0, 100_000);
            c.tenants.clear();
            c.tenants.put("acme", new Tenants.TenantSpec("acme", List.of(TestServer.hash(TestServer.ACME)), c.defaultQuota,
                    null, null));
        })) {
            System.gc();
            long heapBefore = usedHeap();
            byte[] body = new byte[64 * 1024];
            System.arraycopy(EVIL, 0, body, 0, EVIL.length); // a pickle and trailing zeros
            List<Socket> held = new ArrayList<>();
            List<Integer> statuses = new ArrayList<>();
            try {
                for (int i = 0; i < 20; i++) {
                    held.add(startUpload(s, TestServer.ACME, body.length, 1000));
                }
                for (int i = 0; i < 200 && s.server.freeSlots() > 0; i++) {
                    Thread.sleep(20);
                }
                assertThat(s.server.freeSlots()).isZero();
                for (int i = 0; i < 44; i++) {
                    try (Socket c = startUpload(s, TestServer.ACME, body.length, 0)) {
                        String h = head(c);
                        statuses.add(Integer.parseInt(h.substring(9, 12)));
                        assertThat(h).containsIgnoringCase("Retry-After:");
                    }
                }
                assertThat(s.get("/readyz", null).statusCode()).isEqualTo(503);
                for (Socket c : held) {
                    c.getOutputStream().write(body, 1000, body.length - 1000);
                    c.getOutputStream().flush();
                }
                for (Socket c : held) {
                    statuses.add(status(c));
                }
            } finally {
                for (Socket c : held) {
                    c.close();
                }
            }
            assertThat(statuses.stream().filter(x -> x == 503).count()).isEqualTo(44);
            assertThat(statuses.stream().filter(x -> x == 200).count()).isEqualTo(20);
            assertThat(s.awaitNoTempFiles()).isZero();
            for (int i = 0; i < 100 && s.server.freeSlots() < 20; i++) {
                Thread.sleep(20);
            }
            assertThat(s.server.freeSlots()).isEqualTo(20);
            assertThat(s.get("/readyz", null).statusCode()).isEqualTo(200);
            held.clear();
            statuses.clear();
            System.gc();
            // no memory kept per upload: the heap is back near where it was (uploads go to disk, not memory)
            assertThat(usedHeap() - heapBefore).isLessThan(32L << 20);
        }
    }

    private static long usedHeap() throws InterruptedException {
        Runtime r = Runtime.getRuntime();
        System.gc();
        Thread.sleep(50);
        return r.totalMemory() - r.freeMemory();
    }

    @Test
    void fullTemporarySpaceIs507() throws Exception {
        try (TestServer s = new TestServer(dir, c -> c.maxTempBytes = 64 * 1024)) {
            HttpResponse<String> r;
            try {
                r = s.post("/v1/scans", TestServer.ACME, new byte[200 * 1024]);
                assertThat(r.statusCode()).isEqualTo(507);
                assertThat(r.headers().firstValue("Retry-After")).isPresent();
            } catch (IOException e) {
                // closed while the client still sent: the status is checked below through a raw socket
                try (Socket c = startUpload(s, TestServer.ACME, 200 * 1024, 100 * 1024)) {
                    assertThat(head(c)).startsWith("HTTP/1.1 507");
                }
            }
            assertThat(s.awaitNoTempFiles()).isZero();
            assertThat(s.post("/v1/scans", TestServer.ACME, EVIL).statusCode()).isEqualTo(200); // room again
        }
    }

    @Test
    void quotasAnswer429WithRetryAfter() throws Exception {
        try (TestServer s = new TestServer(dir, c -> {
            c.tenants.put("rate", new Tenants.TenantSpec("rate", List.of(TestServer.hash("rate-token-0123456789")),
                    new Tenants.Quota(10, 0, 2), null, null));
            c.tenants.put("bytes", new Tenants.TenantSpec("bytes", List.of(TestServer.hash("bytes-token-0123456789")),
                    new Tenants.Quota(10, 1000, 100), null, null));
            c.tenants.put("one", new Tenants.TenantSpec("one", List.of(TestServer.hash("one-token-0123456789")),
                    new Tenants.Quota(1, 0, 100), null, null));
        })) {
            assertThat(s.get("/v1/scans", "rate-token-0123456789").statusCode()).isEqualTo(200);
            assertThat(s.get("/v1/scans", "rate-token-0123456789").statusCode()).isEqualTo(200);
            HttpResponse<String> over = s.get("/v1/scans", "rate-token-0123456789");
            assertThat(over.statusCode()).isEqualTo(429);
            assertThat(Integer.parseInt(over.headers().firstValue("Retry-After").orElseThrow())).isBetween(1, 60);
            assertThat(s.get("/v1/scans", TestServer.ACME).statusCode()).isEqualTo(200); // others are not affected

            assertThat(s.post("/v1/scans", "bytes-token-0123456789", new byte[600]).statusCode()).isEqualTo(200);
            HttpResponse<String> bytes = s.post("/v1/scans", "bytes-token-0123456789", new byte[600]);
            assertThat(bytes.statusCode()).isEqualTo(429);
            assertThat(bytes.headers().firstValue("Retry-After")).isPresent();

            try (Socket held = startUpload(s, "one-token-0123456789", 10_000, 10)) {
                for (int i = 0; i < 100 && s.tempFiles() == 0; i++) {
                    Thread.sleep(10);
                }
                assertThat(s.post("/v1/scans", "one-token-0123456789", EVIL).statusCode()).isEqualTo(429);
                held.getOutputStream().write(new byte[10_000 - 10]);
                assertThat(status(held)).isEqualTo(200);
            }
            assertThat(s.post("/v1/scans", "one-token-0123456789", EVIL).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void tokensRotateWithoutRestart() throws Exception {
        Path conf = dir.resolve("serve.properties");
        Files.writeString(conf, "tenant.rot.tokenSha256=" + TestServer.hash("old-token-0123456789") + "\n");
        java.util.Properties initial = load(conf);
        try (TestServer s = new TestServer(dir, c -> {
            c.file = conf;
            c.tenants.clear();
            c.tenants.putAll(ServeConfig.tenants(initial, c.defaultQuota, dir));
        })) {
            assertThat(s.get("/v1/scans", "old-token-0123456789").statusCode()).isEqualTo(200);
            Thread.sleep(1100);
            Files.writeString(conf, "tenant.rot.tokenSha256=" + TestServer.hash("new-token-0123456789") + "\n"
                    + "# rotated\n");
            Thread.sleep(1100);
            assertThat(s.get("/v1/scans", "old-token-0123456789").statusCode()).isEqualTo(401);
            assertThat(s.get("/v1/scans", "new-token-0123456789").statusCode()).isEqualTo(200);
            // a file that does not parse keeps the tenants in force
            Thread.sleep(1100);
            Files.writeString(conf, "tenant.rot.tokenSha256=not-a-hash\n");
            Thread.sleep(1100);
            assertThat(s.get("/v1/scans", "new-token-0123456789").statusCode()).isEqualTo(200);
            assertThat(s.log()).contains("not re-read").doesNotContain("new-token-0123456789");
            // the admin token stays valid throughout
            assertThat(s.get("/v1/scans", TestServer.ADMIN).statusCode()).isEqualTo(200);
        }
    }

    static java.util.Properties load(Path p) throws IOException {
        return ServeConfig.load(p);
    }

    @Test
    void leftoverTemporaryFilesAreRemovedAtStartUp() throws Exception {
        Path tmp = dir.resolve("data").resolve("tmp");
        Files.createDirectories(tmp);
        Files.write(tmp.resolve("upload-123.part"), new byte[10]);
        try (TestServer s = new TestServer(dir, c -> { })) {
            assertThat(s.tempFiles()).isZero();
            assertThat(s.log()).contains("removed 1 temporary files");
        }
    }

    @Test
    void aNewStoreMakesAnAdminTokenOnceAndKeepsItsHash() throws Exception {
        ServeConfig c = new ServeConfig();
        c.port = 0;
        c.data = dir.resolve("fresh");
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        String token;
        try (Server s = Server.start(c, null, new Log(new java.io.PrintStream(log, true, StandardCharsets.UTF_8), false))) {
            token = s.newAdminToken();
            assertThat(token).startsWith("lao_").hasSizeGreaterThan(40);
            assertThat(s.newAdminToken()).isNull(); // shown once
        }
        try (Server s = Server.start(c, null, new Log(new java.io.PrintStream(log, true, StandardCharsets.UTF_8), false))) {
            assertThat(s.newAdminToken()).isNull(); // the stored hash stands: no new token
            var http = java.net.http.HttpClient.newHttpClient();
            var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + s.port() + "/v1/scans"))
                    .header("Authorization", "Bearer " + token).build();
            assertThat(http.send(req, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        }
        assertThat(log.toString(StandardCharsets.UTF_8)).doesNotContain(token);
        String store = new String(Files.readAllBytes(c.data.resolve("store.mv.db")), StandardCharsets.ISO_8859_1);
        assertThat(store).doesNotContain(token).contains(Hashes.sha256Hex(token.getBytes(StandardCharsets.UTF_8)));
    }
}
