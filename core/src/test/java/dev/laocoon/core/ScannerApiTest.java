package dev.laocoon.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The public Java API: builder, the three scan entry points, reports, limits, threads. */
class ScannerApiTest {
    static final byte[] EVIL = PickleBuilder.create().proto(2).global("os", "system").str("echo laocoon").tuple1()
            .reduce().stop().bytes();
    static final byte[] DATA = PickleBuilder.create().proto(2).emptyList().stop().bytes();

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void theThreeEntryPointsAgree(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.pkl");
        Files.write(f, EVIL);
        Scanner s = Scanner.builder().build();
        FileReport byPath = s.scan(f, "m.pkl");
        FileReport bySource = s.scan(new ArrayByteSource(EVIL), "m.pkl");
        FileReport byStream = s.scan(new ByteArrayInputStream(EVIL), "m.pkl");
        assertThat(byPath.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(byPath.formats()).containsExactly(Format.PICKLE);
        assertThat(bySource.findings()).isEqualTo(byPath.findings());
        assertThat(byStream.findings()).isEqualTo(byPath.findings());
        // streams are always hashed; paths and sources only when asked
        assertThat(byStream.sha256()).isEqualTo(sha256(EVIL));
        assertThat(byPath.sha256()).isNull();
        assertThat(Scanner.builder().contentHash(true).build().scan(f, "m.pkl").sha256()).isEqualTo(sha256(EVIL));
    }

    @Test
    void reportsAreEqualWhateverTheTimeTaken() {
        Scanner s = Scanner.builder().build();
        FileReport a = s.scan(new ArrayByteSource(EVIL), "x");
        FileReport b = s.scan(new ArrayByteSource(EVIL), "x");
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a.elapsed()).isPositive();
        assertThat(s.scan(new ArrayByteSource(DATA), "x")).isNotEqualTo(a);
    }

    @Test
    void aPolicyChangesTheVerdict() {
        byte[] custom = PickleBuilder.create().proto(2).global("mylib.layers", "Dense").emptyTuple().reduce().stop().bytes();
        assertThat(Scanner.builder().build().scan(new ArrayByteSource(custom), "c").verdict()).isEqualTo(Severity.SUSPICIOUS);
        Scanner trusting = Scanner.builder().policyText("mylib.layers.Dense safe my own layer\n", "test-policy").build();
        assertThat(trusting.scan(new ArrayByteSource(custom), "c").verdict()).isEqualTo(Severity.SAFE);
    }

    @Test
    void largeStreamsAreSpooledToAFileThatIsRemoved() throws Exception {
        byte[] big = new byte[9 << 20]; // over the 8 MiB kept in memory
        System.arraycopy(EVIL, 0, big, 0, EVIL.length);
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Set<Path> before = spools(tmp);
        FileReport r = Scanner.builder().build().scan(new ByteArrayInputStream(big), "big.bin");
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.size()).isEqualTo(big.length);
        assertThat(r.sha256()).isEqualTo(sha256(big));
        assertThat(spools(tmp)).isEqualTo(before);
    }

    private static Set<Path> spools(Path tmp) throws IOException {
        try (var s = Files.list(tmp)) {
            return s.filter(p -> p.getFileName().toString().startsWith("laocoon-spool-")).collect(Collectors.toSet());
        }
    }

    @Test
    void aStreamOverTheLimitIsNeverSafe() {
        Scanner s = Scanner.builder().limits(ScanLimits.DEFAULT.withMaxSpoolBytes(100)).build();
        FileReport r = s.scan(new ByteArrayInputStream(new byte[101]), "zeros.bin");
        assertThat(r.failed()).isTrue();
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
        assertThat(r.verdictLabel()).isEqualTo("error");
        assertThat(r.findings()).extracting(Finding::rule).containsExactly(Rule.FILE_UNREADABLE);
        assertThat(s.scan(new ByteArrayInputStream(DATA), "ok.pkl").verdict()).isEqualTo(Severity.SAFE);
    }

    @Test
    void aStreamThatFailsIsNeverSafe() {
        InputStream broken = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        };
        FileReport r = Scanner.builder().build().scan(broken, "upload");
        assertThat(r.failed()).isTrue();
        assertThat(r.error()).contains("connection reset");
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
    }

    @Test
    void findingsOfOneRuleAreCappedWithoutLosingTheirSeverity() {
        ZipBuilder z = new ZipBuilder();
        for (int i = 0; i < 30; i++) {
            z.addTricky("m" + i + ".pkl", "m" + i + ".pkl", DATA, 0, true);
        }
        byte[] zip = z.bytes();
        FileReport all = Scanner.builder().build().scan(new ArrayByteSource(zip), "z.zip");
        FileReport capped = Scanner.builder().limits(ScanLimits.DEFAULT.withMaxFindingsPerRule(5)).build()
                .scan(new ArrayByteSource(zip), "z.zip");
        long anomalies = all.findings().stream().filter(f -> f.rule() == Rule.ZIP_ANOMALY).count();
        assertThat(anomalies).isGreaterThanOrEqualTo(30);
        List<Finding> kept = capped.findings().stream().filter(f -> f.rule() == Rule.ZIP_ANOMALY).toList();
        assertThat(kept).hasSize(6);
        assertThat(kept.get(5).message()).contains((anomalies - 5) + " more LAO201 findings");
        assertThat(capped.verdict()).isEqualTo(all.verdict());
    }

    @Test
    void theDeadlineCoversTheWholeFile() {
        Scanner s = Scanner.builder().limits(ScanLimits.DEFAULT.withMaxTimePerFile(Duration.ofNanos(1))).build();
        FileReport r = s.scan(new ArrayByteSource(DATA), "slow.pkl");
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
        assertThat(r.findings()).extracting(Finding::rule).contains(Rule.ANALYSIS_INCOMPLETE);
        assertThat(r.findings().get(0).message()).contains("time limit");
    }

    @Test
    void anInterruptedScanIsNeverSafe() {
        Thread.currentThread().interrupt();
        FileReport r;
        try {
            r = Scanner.builder().build().scan(new ArrayByteSource(DATA), "cancelled.pkl");
        } finally {
            Thread.interrupted();
        }
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
        assertThat(r.findings()).extracting(Finding::message).anySatisfy(m -> assertThat(m).contains("cancelled"));
    }

    @Test
    void bytesReadShowWhatTheScanTouched() {
        byte[] ckpt = ZipBuilder.torchZip(ZipBuilder.torchStateDict("w", "0", 1 << 20), 1 << 20);
        FileReport r = Scanner.builder().build().scan(new ArrayByteSource(ckpt), "model.pt");
        assertThat(r.verdict()).isEqualTo(Severity.SAFE);
        assertThat(r.bytesRead()).isPositive().isLessThan(ckpt.length / 4);
    }

    @Test
    void oneScannerServesManyThreads() throws Exception {
        List<byte[]> inputs = List.of(EVIL, DATA, ZipBuilder.torchZip(ZipBuilder.torchStateDict("w", "0", 4), 4),
                new byte[] {1, 2, 3}, "{\"a\": 1}".getBytes());
        Scanner s = Scanner.builder().build();
        List<FileReport> expected = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            expected.add(s.scan(new ArrayByteSource(inputs.get(i)), "f" + i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<FileReport>> got = new ArrayList<>();
            for (int round = 0; round < 40; round++) {
                int i = round % inputs.size();
                got.add(pool.submit(() -> s.scan(new ArrayByteSource(inputs.get(i)), "f" + i)));
            }
            for (int round = 0; round < got.size(); round++) {
                assertThat(got.get(round).get()).isEqualTo(expected.get(round % inputs.size()));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void coreStartsNoThreadsAndUsesTheExecutorItIsGiven(@TempDir Path dir) throws Exception {
        for (int i = 0; i < 4; i++) {
            Files.write(dir.resolve("f" + i + ".pkl"), i % 2 == 0 ? EVIL : DATA);
        }
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        ScanReport sequential = Scanner.builder().knowledgeBase(dev.laocoon.core.kb.KnowledgeBase.builtin()
                .withPolicyText("", "fresh")).build().scan(List.of(dir));
        Set<Thread> after = Thread.getAllStackTraces().keySet();
        assertThat(after.stream().filter(t -> !before.contains(t) && t.isAlive()).map(Thread::getName)
                .filter(n -> !n.equals("Attach Listener") && !n.startsWith("process reaper")).toList()).isEmpty();
        AtomicInteger tasks = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            ScanReport parallel = Scanner.builder().knowledgeBase(dev.laocoon.core.kb.KnowledgeBase.builtin()
                    .withPolicyText("", "fresh")).executor(r -> {
                        tasks.incrementAndGet();
                        pool.execute(r);
                    }).build().scan(List.of(dir));
            assertThat(parallel.files()).isEqualTo(sequential.files());
            assertThat(tasks.get()).isGreaterThanOrEqualTo(2); // a worker besides the caller, and the knowledge-base preload
        } finally {
            pool.shutdownNow();
        }
    }
}
