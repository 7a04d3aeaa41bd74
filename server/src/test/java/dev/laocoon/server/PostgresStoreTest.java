package dev.laocoon.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.laocoon.core.testutil.PickleBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL store on a throw-away cluster (Debian's postgresql; initdb into a temporary folder,
 * run as the postgres user when the tests run as root, on a loopback port): migrations, two
 * replicas sharing state, and the store going away and coming back. Skips with a log line where
 * PostgreSQL is not installed.
 */
class PostgresStoreTest {
    static Path bin;
    static Path root;
    static Path data;
    static int port;
    static boolean asPostgres;

    static Path findBin() {
        Path base = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(base)) {
            return null;
        }
        try (var s = Files.list(base)) {
            for (Path v : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                if (Files.isExecutable(v.resolve("bin/initdb")) && Files.isExecutable(v.resolve("bin/pg_ctl"))) {
                    return v.resolve("bin");
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    static int run(List<String> cmd) throws Exception {
        List<String> full = new ArrayList<>();
        if (asPostgres) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(cmd);
        Process p = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(root.resolve("pg.log").toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    @BeforeAll
    static void cluster() throws Exception {
        bin = findBin();
        if (bin == null) {
            System.out.println("PostgresStoreTest: PostgreSQL not installed (Debian package postgresql); skipped");
            return;
        }
        asPostgres = "root".equals(System.getProperty("user.name"));
        root = Files.createTempDirectory("laocoon-pg");
        data = root.resolve("data");
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        if (asPostgres) {
            new ProcessBuilder("chown", "-R", "postgres", root.toString()).start().waitFor(30, TimeUnit.SECONDS);
        }
        if (run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-A", "trust", "-U", "laocoon",
                "--no-sync")) != 0) {
            System.out.println("PostgresStoreTest: initdb failed (" + Files.readString(root.resolve("pg.log")).trim()
                    + "); skipped");
            bin = null;
            return;
        }
        if (!start()) {
            System.out.println("PostgresStoreTest: the cluster did not start (" + Files.readString(root.resolve("pg.log"))
                    .trim() + "); skipped");
            bin = null;
        }
    }

    static boolean start() throws Exception {
        return run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "-l", root.resolve("server.log")
                .toString(), "-o", "-p " + port + " -k " + root + " -c listen_addresses=127.0.0.1 -c fsync=off", "start")) == 0;
    }

    static void stop() throws Exception {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "-m", "fast", "stop"));
    }

    @AfterAll
    static void down() throws Exception {
        if (bin != null) {
            stop();
        }
        if (root != null) {
            try (var w = Files.walk(root)) {
                for (Path p : w.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    static TestServer replica(Path dir) throws Exception {
        return new TestServer(dir, c -> {
            c.storeUrl = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
            c.storeUser = "laocoon";
            c.retryAfterSeconds = 1;
            c.tenants.put("bytes", new Tenants.TenantSpec("bytes", List.of(TestServer.hash("bytes-token-0123456789")),
                    new Tenants.Quota(10, 1000, 1000), null, null));
        });
    }

    @Test
    void twoReplicasShareScansAndQuotasAndSurviveAStoreOutage() throws Exception {
        Assumptions.assumeTrue(bin != null, "PostgreSQL not available");
        Path dir = Files.createTempDirectory("laocoon-pg-replicas");
        try (TestServer a = replica(dir.resolve("a")); TestServer b = replica(dir.resolve("b"))) {
            JsonNode info = TestServer.json(a.get("/v1/info", null));
            assertThat(info.get("store").asText()).isEqualTo("postgresql");
            assertThat(info.get("schemaVersion").asInt()).isEqualTo(Store.MIGRATIONS.length);
            byte[] evil = PickleBuilder.call("os", "system", "echo pg-" + System.nanoTime());
            JsonNode r = TestServer.json(a.post("/v1/scans?name=e.pkl", TestServer.ACME, evil));
            assertThat(r.get("verdict").asText()).isEqualTo("malicious");
            String id = r.get("scanId").asText();
            // the other replica answers from the shared store; isolation holds there too
            HttpResponse<String> there = b.get("/v1/scans/" + id, TestServer.ACME);
            assertThat(there.statusCode()).isEqualTo(200);
            assertThat(TestServer.json(there).get("verdict").asText()).isEqualTo("malicious");
            assertThat(b.get("/v1/scans/" + id, TestServer.GLOBEX).statusCode()).isEqualTo(404);
            assertThat(TestServer.json(b.post("/v1/scans?name=again.pkl", TestServer.ACME, evil)).get("cached").asBoolean())
                    .isTrue();
            // the bytes-per-day quota counts on both
            assertThat(a.post("/v1/scans", "bytes-token-0123456789", new byte[600]).statusCode()).isEqualTo(200);
            assertThat(b.post("/v1/scans", "bytes-token-0123456789", new byte[600]).statusCode()).isEqualTo(429);

            stop();
            HttpResponse<String> ready = a.get("/readyz", null);
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(TestServer.json(ready).get("store").asText()).isEqualTo("unreachable");
            HttpResponse<String> down = a.post("/v1/scans?name=x.pkl", TestServer.ACME, evil);
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.headers().firstValue("Retry-After")).isPresent();
            assertThat(a.get("/healthz", null).statusCode()).isEqualTo(200); // the service stays up
            assertThat(a.awaitNoTempFiles()).isZero();

            assertThat(start()).isTrue();
            HttpResponse<String> back = null;
            for (int i = 0; i < 50; i++) {
                back = a.get("/readyz", null);
                if (back.statusCode() == 200) {
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(back.statusCode()).isEqualTo(200);
            assertThat(a.post("/v1/scans?name=y.pkl", TestServer.ACME, evil).statusCode()).isEqualTo(200);
            assertThat(b.get("/v1/scans/" + id, TestServer.ACME).statusCode()).isEqualTo(200);
        }
    }
}
