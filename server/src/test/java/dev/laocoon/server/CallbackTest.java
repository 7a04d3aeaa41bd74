package dev.laocoon.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.laocoon.core.testutil.PickleBuilder;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Asynchronous scans' callbacks: signed with HMAC-SHA256, and refused for guarded addresses without connecting. */
class CallbackTest {
    @TempDir
    Path dir;

    record Received(String signature, String timestamp, String scan, byte[] body) {
    }

    @Test
    void theResultIsPostedSignedToALoopbackReceiverTheConfigAllows() throws Exception {
        BlockingQueue<Received> got = new ArrayBlockingQueue<>(4);
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        receiver.createContext("/hook", ex -> {
            byte[] b = ex.getRequestBody().readAllBytes();
            got.add(new Received(ex.getRequestHeaders().getFirst("X-Laocoon-Signature"),
                    ex.getRequestHeaders().getFirst("X-Laocoon-Timestamp"), ex.getRequestHeaders().getFirst("X-Laocoon-Scan"), b));
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        receiver.start();
        try (TestServer s = new TestServer(dir, c -> c.callbackAllowHosts = List.of("127.0.0.1"))) {
            String hook = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
            HttpResponse<String> r = s.post("/v1/scans?name=e.pkl&callback=" + java.net.URLEncoder.encode(hook, "UTF-8"),
                    TestServer.ACME, PickleBuilder.call("os", "system", "echo cb"));
            assertThat(r.statusCode()).isEqualTo(202);
            String id = TestServer.json(r).get("scanId").asText();
            Received rec = got.poll(30, TimeUnit.SECONDS);
            assertThat(rec).isNotNull();
            assertThat(rec.scan()).isEqualTo(id);
            assertThat(rec.signature()).isEqualTo(Callbacks.sign("acme-callback-secret", rec.timestamp(), rec.body()));
            assertThat(rec.signature()).isNotEqualTo(Callbacks.sign("another-secret", rec.timestamp(), rec.body()));
            JsonNode body = Http.JSON.readTree(rec.body());
            assertThat(body.get("verdict").asText()).isEqualTo("malicious");
            assertThat(body.get("scanId").asText()).isEqualTo(id);
            assertThat(new String(rec.body(), java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("acme-callback-secret");
            // a tenant without a secret cannot ask for callbacks
            assertThat(s.post("/v1/scans?callback=" + hook, TestServer.GLOBEX, new byte[10]).statusCode()).isEqualTo(400);
        } finally {
            receiver.stop(0);
        }
    }

    @Test
    void guardedAddressesAreRefusedWithoutConnecting() throws Exception {
        try (TestServer s = new TestServer(dir, c -> { })) {
            // literals only: judged by the guard as addresses, never looked up, never connected to
            for (String url : List.of("http://169.254.169.254/latest/meta-data/", "http://10.0.0.7/hook",
                    "http://127.0.0.1:9/hook", "http://[fd00:ec2::254]/", "http://2852039166/", "http://0251.0376.0251.0376/",
                    "http://[::ffff:169.254.169.254]/", "file:///etc/passwd", "http://user@127.0.0.1/")) {
                HttpResponse<String> r = s.post("/v1/scans?callback=" + java.net.URLEncoder.encode(url, "UTF-8"),
                        TestServer.ACME, PickleBuilder.call("os", "system", "x"));
                assertThat(r.statusCode()).as(url).isEqualTo(400);
                assertThat(r.body()).as(url).contains("callback refused");
            }
            assertThat(s.tempFiles()).isZero(); // refused before the body was read
            assertThat(s.get("/metrics", null).body()).contains("laocoon_rejections_total{reason=\"callback_refused\"} 9.0");
        }
    }
}
