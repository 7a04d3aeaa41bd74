package dev.laocoon.core.source.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Range reads over loopback HTTP (a JDK HttpServer fixture on 127.0.0.1; nothing else is contacted). */
class HttpRangeSourceTest {
    enum Mode { RANGES, IGNORE_RANGE, ETAG_CHANGES }

    HttpServer server;
    final AtomicInteger connections = new AtomicInteger();
    volatile Mode mode = Mode.RANGES;
    volatile byte[] body;

    static final NetworkGuard LOOPBACK = NetworkGuard.allowing(List.of("127.0.0.1"), false);
    static final HttpClient CLIENT = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    URI serve(byte[] content) throws IOException {
        body = content;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4)); // a real server answers concurrently
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/model.bin");
    }

    private void handle(HttpExchange x) throws IOException {
        int n = connections.incrementAndGet();
        byte[] b = body;
        String range = x.getRequestHeaders().getFirst("Range");
        Matcher m = Pattern.compile("bytes=(\\d+)-(\\d+)").matcher(range == null ? "" : range);
        x.getResponseHeaders().add("ETag", mode == Mode.ETAG_CHANGES && n > 1 ? "\"v2\"" : "\"v1\"");
        if (mode == Mode.IGNORE_RANGE || !m.matches()) {
            x.sendResponseHeaders(200, b.length);
            try (OutputStream o = x.getResponseBody()) {
                o.write(b);
            } catch (IOException gone) {
                // the client stopped reading the whole object it did not ask for
            }
            return;
        }
        int s = Integer.parseInt(m.group(1));
        int e = Math.min(Integer.parseInt(m.group(2)), b.length - 1);
        x.getResponseHeaders().add("Content-Range", "bytes " + s + "-" + e + "/" + b.length);
        x.sendResponseHeaders(206, e - s + 1);
        try (OutputStream o = x.getResponseBody()) {
            o.write(b, s, e - s + 1);
        }
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
            ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
        }
    }

    /** A PyTorch zip checkpoint whose data.pkl runs os.system, with 8 MiB of stored tensor data before it. */
    static byte[] hostileCheckpoint() {
        byte[] pkl = PickleBuilder.call("os", "system", "echo laocoon");
        return new ZipBuilder().add("archive/data/0", new byte[8 << 20]).add("archive/data.pkl", pkl)
                .add("archive/version", "3\n".getBytes()).bytes();
    }

    @Test
    void aRemoteCheckpointIsJudgedFromAFewRanges() throws IOException {
        byte[] ckpt = hostileCheckpoint();
        try (HttpRangeSource src = new HttpRangeSource(serve(ckpt), CLIENT, LOOPBACK, Duration.ofSeconds(10))) {
            FileReport r = Scanner.builder().build().scan(src, src.uri().toString());
            assertThat(r.verdict()).as(r.toString()).isEqualTo(Severity.MALICIOUS);
            assertThat(src.bytesTransferred()).as("bytes over the wire").isLessThan(ckpt.length / 8);
            assertThat(src.requests()).isEqualTo(connections.get()).isLessThanOrEqualTo(16);
        }
    }

    @Test
    void aServerThatIgnoresRangesIsRefused() throws IOException {
        mode = Mode.IGNORE_RANGE;
        URI u = serve(hostileCheckpoint());
        assertThatThrownBy(() -> new HttpRangeSource(u, CLIENT, LOOPBACK, Duration.ofSeconds(10)))
                .isInstanceOf(HttpRangeSource.RemoteInconsistency.class).hasMessageContaining("ignored the Range");
    }

    @Test
    void anObjectThatChangesDuringTheScanIsNeverSafe() throws IOException {
        mode = Mode.ETAG_CHANGES;
        byte[] ckpt = hostileCheckpoint();
        try (HttpRangeSource src = new HttpRangeSource(serve(ckpt), CLIENT, LOOPBACK, Duration.ofSeconds(10))) {
            byte[] b = new byte[16];
            assertThatThrownBy(() -> src.readFully(ckpt.length - 16, b, 0, 16))
                    .isInstanceOf(HttpRangeSource.RemoteInconsistency.class).hasMessageContaining("ETag");
            FileReport r = Scanner.builder().build().scan(src, src.uri().toString());
            assertThat(r.verdict()).isNotEqualTo(Severity.SAFE);
        }
    }

    @Test
    void loopbackWithoutAnAllowIsRefusedBeforeAnyConnection() throws IOException {
        URI u = serve(hostileCheckpoint());
        assertThatThrownBy(() -> new HttpRangeSource(u, CLIENT, NetworkGuard.strict(), Duration.ofSeconds(10)))
                .hasMessageContaining("refused by the network guard").hasMessageContaining("loopback");
        assertThat(connections.get()).isZero();
    }

    @Test
    void theScannerReadsAServerThatIgnoresRangesAsOneBoundedStream() throws IOException {
        mode = Mode.IGNORE_RANGE;
        URI u = serve(hostileCheckpoint());
        FileReport r = Scanner.builder().build().scan(u, LOOPBACK);
        assertThat(r.verdict()).as(r.toString()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.path()).isEqualTo(u.toString());
    }

    @Test
    void theScannerReportsARefusedAddressAsUnreadNeverSafe() throws IOException {
        URI u = serve(hostileCheckpoint());
        FileReport r = Scanner.builder().build().scan(u, NetworkGuard.strict());
        assertThat(r.failed()).isTrue();
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
        assertThat(r.error()).contains("refused by the network guard");
        assertThat(connections.get()).isZero();
    }
}
