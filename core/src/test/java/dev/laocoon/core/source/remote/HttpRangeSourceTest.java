package dev.laocoon.core.source.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.testutil.HttpFixture;
import dev.laocoon.core.testutil.HttpFixture.Mode;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.TestTls;
import dev.laocoon.core.testutil.ZipBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Range reads over loopback HTTP(S) fixtures on 127.0.0.1 and 127.0.0.2; nothing else is contacted. */
class HttpRangeSourceTest {
    static final NetworkGuard LOOPBACK = NetworkGuard.allowing(List.of("127.0.0.1"), false);

    final List<AutoCloseable> open = new ArrayList<>();

    HttpFixture fixture() throws IOException {
        return track(new HttpFixture());
    }

    <T extends AutoCloseable> T track(T c) {
        open.add(c);
        return c;
    }

    RemoteFetcher fetcher(NetworkGuard g) {
        return track(RemoteFetcher.builder(g).requestTimeout(Duration.ofSeconds(2)).firstBackoff(Duration.ofMillis(10))
                .build());
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    /** A PyTorch zip checkpoint whose data.pkl runs os.system, with 8 MiB of stored tensor data before it. */
    static byte[] hostileCheckpoint() {
        byte[] pkl = PickleBuilder.call("os", "system", "echo laocoon");
        return new ZipBuilder().add("archive/data/0", new byte[8 << 20]).add("archive/data.pkl", pkl)
                .add("archive/version", "3\n".getBytes()).bytes();
    }

    /** A checkpoint whose pickle is a plain dict, after 1 MiB of tensor data. */
    static byte[] safeCheckpoint() {
        byte[] pkl = PickleBuilder.create().proto(4).mark().str("w").binint(1).dict().stop().bytes();
        return new ZipBuilder().add("archive/data/0", new byte[1 << 20]).add("archive/data.pkl", pkl)
                .add("archive/version", "3\n".getBytes()).bytes();
    }

    static FileReport scan(URI u, RemoteFetcher f) {
        return Scanner.builder().build().scan(u, f);
    }

    static List<String> rules(FileReport r) {
        List<String> ids = new ArrayList<>();
        for (Finding f : r.findings()) {
            ids.add(f.rule().id());
        }
        return ids;
    }

    @Test
    void aRemoteCheckpointIsJudgedFromAFewRanges() throws IOException {
        byte[] ckpt = hostileCheckpoint();
        HttpFixture fx = fixture().put("/model.bin", ckpt);
        RemoteFetcher f = fetcher(LOOPBACK);
        try (HttpRangeSource src = new HttpRangeSource(fx.url("/model.bin"), f)) {
            FileReport r = Scanner.builder().build().scan(src, src.uri().toString());
            assertThat(r.verdict()).as(r.toString()).isEqualTo(Severity.MALICIOUS);
            assertThat(src.bytesTransferred()).as("bytes over the wire").isLessThan(ckpt.length / 8);
            assertThat(src.requests()).isEqualTo(fx.requests()).isLessThanOrEqualTo(16);
        }
    }

    @Test
    void theReportCarriesTheSourceWithRequestsAndBytes() throws IOException {
        HttpFixture fx = fixture().put("/model.bin", hostileCheckpoint());
        FileReport r = scan(fx.url("/model.bin"), fetcher(LOOPBACK));
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.source()).isNotNull();
        assertThat(r.source().kind()).isEqualTo("http");
        assertThat(r.source().url()).isEqualTo(fx.url("/model.bin").toString());
        assertThat(r.source().requests()).isEqualTo(fx.requests());
        assertThat(r.source().transferred()).isEqualTo(fx.bytesSent()).isLessThan(1 << 20);
    }

    @Test
    void aServerThatIgnoresRangesIsRefusedByTheSourceAndReadWholeByTheScanner() throws IOException {
        HttpFixture fx = fixture().mode(Mode.IGNORE_RANGE).put("/model.bin", hostileCheckpoint());
        RemoteFetcher f = fetcher(LOOPBACK);
        assertThatThrownBy(() -> new HttpRangeSource(fx.url("/model.bin"), f))
                .isInstanceOf(HttpRangeSource.RangesIgnored.class).hasMessageContaining("ignored the Range");
        FileReport r = scan(fx.url("/model.bin"), f);
        assertThat(r.verdict()).as(r.toString()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.sha256()).hasSize(64);
        assertThat(r.source().sha256Claimed()).isFalse();
    }

    @Test
    void aServerThatIgnoresRangesIsReadOnlyUpToTheSpoolLimit() throws IOException {
        HttpFixture fx = fixture().mode(Mode.IGNORE_RANGE).put("/model.bin", hostileCheckpoint());
        FileReport r = Scanner.builder().limits(dev.laocoon.core.ScanLimits.DEFAULT.withMaxSpoolBytes(1 << 20)).build()
                .scan(fx.url("/model.bin"), fetcher(LOOPBACK));
        assertThat(r.failed()).isTrue();
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
        assertThat(r.error()).contains("longer than the spool limit");
    }

    @Test
    void anObjectThatChangesDuringTheScanIsRemoteInconsistentNeverSafe() throws IOException {
        HttpFixture fx = fixture().mode(Mode.ETAG_CHANGES).put("/model.bin", hostileCheckpoint());
        FileReport r = scan(fx.url("/model.bin"), fetcher(LOOPBACK));
        assertThat(rules(r)).contains(Rule.REMOTE_INCONSISTENT.id());
        assertThat(r.verdict()).isNotEqualTo(Severity.SAFE);
        assertThat(r.findings().toString()).contains("ETag");
    }

    @Test
    void aContentRangeOtherThanTheOneAskedForIsRemoteInconsistent() throws IOException {
        byte[] safe = safeCheckpoint();
        HttpFixture fx = fixture().mode(Mode.WRONG_CONTENT_RANGE).put("/model.bin", safe);
        FileReport r = scan(fx.url("/model.bin"), fetcher(LOOPBACK));
        assertThat(rules(r)).contains(Rule.REMOTE_INCONSISTENT.id());
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
    }

    @Test
    void aServerThatStopsHonouringRangesIsRemoteInconsistent() throws IOException {
        HttpFixture fx = fixture().mode(Mode.RANGES_STOP_AFTER_FIRST).put("/model.bin", hostileCheckpoint());
        FileReport r = scan(fx.url("/model.bin"), fetcher(LOOPBACK));
        assertThat(rules(r)).contains(Rule.REMOTE_INCONSISTENT.id());
        assertThat(r.verdict()).isNotEqualTo(Severity.SAFE);
    }

    @Test
    void aTruncatedBodyIsAFailedReadNeverSafe() throws IOException {
        byte[] safe = safeCheckpoint();
        HttpFixture fx = fixture().mode(Mode.TRUNCATED_BODY).put("/model.bin", safe);
        FileReport r = scan(fx.url("/model.bin"), fetcher(LOOPBACK));
        assertThat(r.verdict()).as(r.toString()).isNotEqualTo(Severity.SAFE);
        assertThat(r.failed()).isTrue();
    }

    @Test
    void aSlowBodyMeetsTheDeadlineAndFailsNeverSafe() throws IOException {
        byte[] safe = safeCheckpoint();
        HttpFixture fx = fixture().mode(Mode.SLOW_BODY).put("/model.bin", safe);
        RemoteFetcher f = track(RemoteFetcher.builder(LOOPBACK).requestTimeout(Duration.ofMillis(500)).build());
        FileReport r = scan(fx.url("/model.bin"), f);
        assertThat(r.failed()).as(r.toString()).isTrue();
        assertThat(r.error()).contains("no complete answer");
    }

    @Test
    void tooManyRequestsIsRetriedAfterItsRetryAfter() throws IOException {
        HttpFixture fx = fixture().put("/model.bin", hostileCheckpoint()).failFirst(2, 429);
        FileReport r = scan(fx.url("/model.bin"), fetcher(LOOPBACK));
        assertThat(r.verdict()).as(r.toString()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.source().requests()).isEqualTo(fx.requests());
        assertThat(fx.seen().get(0).range()).isEqualTo(fx.seen().get(2).range());
    }

    @Test
    void aServerErrorThatLastsFailsAfterTheRetries() throws IOException {
        HttpFixture fx = fixture().put("/model.bin", hostileCheckpoint()).failFirst(100, 503);
        FileReport r = scan(fx.url("/model.bin"), fetcher(LOOPBACK));
        assertThat(r.failed()).isTrue();
        assertThat(r.error()).contains("HTTP 503");
        assertThat(fx.requests()).isEqualTo(4); // the default attempts, then it gives up
    }

    @Test
    void aRedirectIsFollowedWithItsRangeAndItsTargetIsReadDirectly() throws IOException {
        HttpFixture cdn = fixture().put("/blob/abc", hostileCheckpoint());
        HttpFixture hub = fixture().redirect("/org/m/resolve/main/model.bin", cdn.url("/blob/abc").toString());
        FileReport r = scan(hub.url("/org/m/resolve/main/model.bin"), fetcher(LOOPBACK));
        assertThat(r.verdict()).as(r.toString()).isEqualTo(Severity.MALICIOUS);
        assertThat(hub.requests()).as("the hub is asked once").isEqualTo(1);
        assertThat(cdn.seen()).allSatisfy(s -> assertThat(s.range()).startsWith("bytes="));
        // the URL asked for, not where it led (a pre-signed URL carries a signature that is not for reports)
        assertThat(r.source().url()).isEqualTo(hub.url("/org/m/resolve/main/model.bin").toString());
        assertThat(r.source().requests()).isEqualTo(hub.requests() + cdn.requests());
    }

    @Test
    void aRedirectToAnAddressNotAllowedIsRefusedBeforeItIsConnected() throws IOException {
        HttpFixture other = track(new HttpFixture("127.0.0.2", null)).put("/blob/abc", hostileCheckpoint());
        HttpFixture hub = fixture().redirect("/model.bin", other.url("/blob/abc").toString());
        FileReport r = scan(hub.url("/model.bin"), fetcher(LOOPBACK)); // allows 127.0.0.1 only
        assertThat(r.failed()).isTrue();
        assertThat(r.error()).contains("refused by the network guard").contains("127.0.0.2");
        assertThat(other.requests()).isZero();
    }

    @Test
    void credentialsGoOnlyToTheirHostNotWhereARedirectLeads() throws IOException {
        HttpFixture cdn = track(new HttpFixture("127.0.0.2", null)).put("/blob/abc", hostileCheckpoint());
        HttpFixture hub = fixture().redirect("/model.bin", cdn.url("/blob/abc").toString());
        RemoteFetcher f = track(RemoteFetcher.builder(NetworkGuard.allowing(List.of("127.0.0.1", "127.0.0.2"), false))
                .authorization("127.0.0.1", "Bearer hf_secret").build());
        FileReport r = scan(hub.url("/model.bin"), f);
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(hub.seen().get(0).authorization()).isEqualTo("Bearer hf_secret");
        assertThat(cdn.seen()).isNotEmpty().allSatisfy(s -> assertThat(s.authorization()).isNull());
        assertThat(r.toString()).doesNotContain("hf_secret");
    }

    @Test
    void loopbackWithoutAnAllowIsRefusedBeforeAnyConnection() throws IOException {
        HttpFixture fx = fixture().put("/model.bin", hostileCheckpoint());
        RemoteFetcher f = fetcher(NetworkGuard.strict());
        assertThatThrownBy(() -> new HttpRangeSource(fx.url("/model.bin"), f))
                .hasMessageContaining("refused by the network guard").hasMessageContaining("loopback");
        assertThatThrownBy(() -> new HttpRangeSource(fx.url("localhost", "/model.bin"), f))
                .hasMessageContaining("refused by the network guard");
        FileReport r = scan(fx.url("/model.bin"), f);
        assertThat(r.failed()).isTrue();
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
        assertThat(fx.requests()).isZero();
    }

    @Test
    void httpsGoesThroughTheTunnelToTheCheckedAddressWithTheCertificateChecked() throws IOException {
        HttpFixture fx = track(new HttpFixture("127.0.0.1", TestTls.server())).put("/model.bin", hostileCheckpoint());
        RemoteFetcher f = track(RemoteFetcher.builder(NetworkGuard.allowing(List.of("localhost"), false))
                .sslContext(TestTls.client()).build());
        FileReport r = scan(fx.url("localhost", "/model.bin"), f);
        assertThat(r.verdict()).as(r.toString()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.source().requests()).isEqualTo(fx.requests());
        // a client that does not trust the certificate gets no answer
        RemoteFetcher untrusting = fetcher(NetworkGuard.allowing(List.of("localhost"), false));
        FileReport u = scan(fx.url("localhost", "/model.bin"), untrusting);
        assertThat(u.failed()).isTrue();
    }

    @Test
    void aRedirectFromHttpsToHttpIsRefused() throws IOException {
        HttpFixture plain = fixture().put("/model.bin", hostileCheckpoint());
        HttpFixture tls = track(new HttpFixture("127.0.0.1", TestTls.server()))
                .redirect("/model.bin", plain.url("/model.bin").toString());
        RemoteFetcher f = track(RemoteFetcher.builder(NetworkGuard.allowing(List.of("localhost", "127.0.0.1"), false))
                .sslContext(TestTls.client()).build());
        FileReport r = scan(tls.url("localhost", "/model.bin"), f);
        assertThat(r.failed()).isTrue();
        assertThat(r.error()).contains("from https to http refused");
        assertThat(plain.requests()).isZero();
    }

    @Test
    void theTunnelRefusesAnOriginThatWasNotPinned() throws IOException {
        HttpFixture fx = fixture();
        try (Tunnel t = new Tunnel(Duration.ofSeconds(2))) {
            t.pin("localhost:1", new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 1));
            try (Socket s = new Socket(t.address().getAddress(), t.address().getPort())) {
                OutputStream o = s.getOutputStream();
                o.write(("CONNECT 127.0.0.1:" + fx.port() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                o.flush();
                InputStream in = s.getInputStream();
                String answer = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
                assertThat(answer).isEqualTo("HTTP/1.1 403");
            }
        }
        assertThat(fx.requests()).isZero();
    }

    @Test
    void headersGivenByTheCallerAreSent() throws IOException {
        HttpFixture fx = fixture().put("/model.bin", hostileCheckpoint());
        FileReport r = Scanner.builder().build().scan(fx.url("/model.bin"), fetcher(LOOPBACK),
                Map.of("X-Test", "1"), "renamed.bin", "ab".repeat(32));
        assertThat(r.path()).isEqualTo("renamed.bin");
        assertThat(r.sha256()).isEqualTo("ab".repeat(32));
        assertThat(r.source().sha256Claimed()).isTrue();
    }

    @Test
    void anAllowedHostAndPortLetsThatPortOnlyAndARedirectToAnotherPortIsRefused() throws IOException {
        HttpFixture other = fixture().put("/blob", hostileCheckpoint());
        HttpFixture allowed = fixture().redirect("/model.bin", other.url("/blob").toString());
        RemoteFetcher f = fetcher(NetworkGuard.allowing(List.of("127.0.0.1:" + allowed.port()), false));
        FileReport r = scan(allowed.url("/model.bin"), f);
        assertThat(r.failed()).isTrue();
        assertThat(r.error()).contains("refused by the network guard").contains(":" + other.port())
                .contains("only other ports of it are allowed");
        assertThat(allowed.requests()).isEqualTo(1);
        assertThat(other.requests()).isZero();
        FileReport direct = scan(other.url("/blob"), f);
        assertThat(direct.failed()).isTrue();
        assertThat(other.requests()).isZero();
    }
}
