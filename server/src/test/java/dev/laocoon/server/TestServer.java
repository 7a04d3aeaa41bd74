package dev.laocoon.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/** A service on an ephemeral loopback port with a throw-away data folder, and requests to it. */
final class TestServer implements AutoCloseable {
    static final String ADMIN = "admin-token-for-tests-0123456789";
    static final String ACME = "acme-token-for-tests-0123456789";
    static final String GLOBEX = "globex-token-for-tests-0123456789";

    final Path dir;
    final ServeConfig config;
    final Server server;
    final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    TestServer(Path dir, Consumer<ServeConfig> setup) throws Exception {
        this.dir = dir;
        config = new ServeConfig();
        config.bind = "127.0.0.1";
        config.port = 0;
        config.data = dir.resolve("data");
        config.tenants.put("acme", new Tenants.TenantSpec("acme", java.util.List.of(hash(ACME)), config.defaultQuota,
                null, "acme-callback-secret"));
        config.tenants.put("globex", new Tenants.TenantSpec("globex", java.util.List.of(hash(GLOBEX)),
                config.defaultQuota, null, null));
        setup.accept(config);
        server = Server.start(config, ADMIN, new Log(new PrintStream(logBytes, true, StandardCharsets.UTF_8), false));
    }

    static String hash(String token) {
        return Hashes.sha256Hex(token.getBytes(StandardCharsets.UTF_8));
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    HttpResponse<String> get(String path, String token) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String token, byte[] body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return Http.JSON.readTree(r.body());
    }

    String log() {
        return logBytes.toString(StandardCharsets.UTF_8);
    }

    /** Files left in the temporary folder. */
    long tempFiles() throws IOException {
        try (var s = Files.list(server.tempDir())) {
            return s.count();
        }
    }

    /** Waits (bounded) until the temporary folder is empty; returns what is left. */
    long awaitNoTempFiles() throws Exception {
        for (int i = 0; i < 100 && tempFiles() > 0; i++) {
            Thread.sleep(50);
        }
        return tempFiles();
    }

    @Override
    public void close() {
        server.close();
    }
}
