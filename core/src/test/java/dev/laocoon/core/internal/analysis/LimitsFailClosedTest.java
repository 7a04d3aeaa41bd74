package dev.laocoon.core.internal.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanLimits;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * A limit of Laocoon's is not a limit of the loader: a stream that ran into one is never "not a
 * pickle", and a payload placed after it keeps its malicious verdict (issue: limits that turned
 * into passes).
 */
class LimitsFailClosedTest {
    static final byte[] PAYLOAD = "cos\nsystem\n(S'echo laocoon'\ntR.".getBytes(StandardCharsets.ISO_8859_1);

    static FileReport scan(byte[] b) {
        return Scanner.builder().build().scan(new ArrayByteSource(b), "m.pkl");
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static byte[] repeat(char c, int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) c);
        return b;
    }

    static void assertPayloadFound(FileReport r) {
        assertThat(r.verdict()).as(r.toString()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).extracting(Finding::rule).contains(Rule.ANALYSIS_INCOMPLETE, Rule.PICKLE_DANGEROUS_GLOBAL);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.evidence()).isEqualTo("os.system"));
    }

    @Test
    void marksBeforeTheFirstImportAreAPickleAndThePayloadIsFound() {
        // protocol 0: no PROTO, nothing imported before the limit (100,000 marks)
        assertPayloadFound(scan(concat(repeat('(', 100_001), PAYLOAD)));
        // protocol 2
        assertPayloadFound(scan(concat(concat(new byte[] {(byte) 0x80, 2}, repeat('(', 1_000_000)), PAYLOAD)));
    }

    @Test
    void aHugeOperandFirstIsAPickleAndThePayloadIsFound() {
        byte[] v = concat(concat("V".getBytes(), repeat('a', 2 << 20)), "\np0\n0".getBytes());
        assertPayloadFound(scan(concat(v, PAYLOAD)));
    }

    @Test
    void anOpcodeLimitFirstIsAPickleAndThePayloadIsFound() {
        FileReport r = Scanner.builder().limits(ScanLimits.DEFAULT.withMaxPickleOpcodes(1000)).build()
                .scan(new ArrayByteSource(concat(repeat('(', 70_000), PAYLOAD)), "m.pkl"); // the opcode budget is checked every 65,536 opcodes
        assertPayloadFound(r);
    }

    @Test
    void aFileOutOfTimeIsNeverSafe() {
        FileReport r = Scanner.builder().limits(ScanLimits.DEFAULT.withMaxTimePerFile(java.time.Duration.ofNanos(1)))
                .build().scan(new ArrayByteSource(concat(repeat('(', 100), PAYLOAD)), "m.pkl");
        assertThat(r.verdict()).isGreaterThanOrEqualTo(Severity.SUSPICIOUS);
    }

    @Test
    void aStackGlobalAfterTheLimitIsFoundToo() {
        byte[] tail = PickleBuilder.create().binunicode("posix").binunicode("system").raw(0x93).binunicode("echo x")
                .tuple1().reduce().stop().bytes();
        assertPayloadFound(scan(concat(concat(new byte[] {(byte) 0x80, 4}, repeat('(', 100_001)), tail)));
    }

    @Test
    void thePayloadAfterALimitInAZipOrAGzipIsFound() throws Exception {
        byte[] stream = concat(repeat('(', 100_001), PAYLOAD);
        byte[] zip = new ZipBuilder().add("archive/data.pkl", stream).add("archive/version", "3\n".getBytes()).bytes();
        FileReport z = Scanner.builder().build().scan(new ArrayByteSource(zip), "m.pt");
        assertThat(z.verdict()).isEqualTo(Severity.MALICIOUS);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(b)) {
            g.write(stream);
        }
        assertThat(scan(b.toByteArray()).verdict()).isEqualTo(Severity.MALICIOUS);
    }

    @Test
    void onlyNamesTheKnowledgeBaseKnowsAsDangerousAreRaisedAfterALimit() {
        FileReport r = scan(concat(repeat('(', 100_001), "ccollections\nOrderedDict\n)R.".getBytes()));
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
        assertThat(r.findings()).extracting(Finding::rule).containsOnly(Rule.ANALYSIS_INCOMPLETE);
    }

    @Test
    void textThatIsNoPickleStaysUnrecognised() {
        FileReport r = scan("just some text\nthat is no pickle\n".getBytes());
        assertThat(r.findings()).extracting(Finding::rule).containsExactly(Rule.FORMAT_UNKNOWN);
    }

    static byte[] gzipThenZeros(byte[] head, int zeros) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(b)) {
            g.write(head);
            byte[] z = new byte[1 << 16];
            for (int n = 0; n < zeros; n += z.length) {
                g.write(z, 0, Math.min(z.length, zeros - n));
            }
        }
        return b.toByteArray();
    }

    @Test
    void whatWasDecodedBeforeTheInflationBudgetIsAnalysed() throws Exception {
        byte[] gz = gzipThenZeros(PAYLOAD, 4 << 20);
        FileReport r = Scanner.builder().limits(ScanLimits.DEFAULT.withMaxInflatedBytes(1 << 20)).build()
                .scan(new ArrayByteSource(gz), "m.pkl.gz");
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> {
            assertThat(f.rule()).isEqualTo(Rule.CONTAINER_LIMIT);
            assertThat(f.message()).contains("were analysed, the rest was not");
        });
    }

    @Test
    void largeDecodedDataGoesToATemporaryFileThatIsRemoved() throws Exception {
        java.nio.file.Path tmp = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));
        java.util.function.Supplier<Long> spills = () -> {
            try (var l = java.nio.file.Files.list(tmp)) {
                return l.filter(p -> p.getFileName().toString().startsWith("laocoon-inflate-")).count();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        long before = spills.get();
        FileReport r = scan(gzipThenZeros(PAYLOAD, 20 << 20)); // over the 8 MiB kept in memory, no bomb
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).extracting(Finding::rule).doesNotContain(Rule.CONTAINER_LIMIT);
        assertThat(spills.get()).isEqualTo(before);
    }

    /** A list of {@code n} arrays as NumPy pickles them: _reconstruct(ndarray, (0,), b'b') then BUILD. */
    static PickleBuilder manyArrays(int n) {
        PickleBuilder b = PickleBuilder.create().proto(2).global("numpy.core.multiarray", "_reconstruct").binput(0)
                .global("numpy", "ndarray").binput(1).global("numpy", "dtype").binput(2).emptyList().mark();
        for (int i = 0; i < n; i++) {
            b.binget(0).binget(1).binint1(0).tuple1().shortBinstring("b").tuple3().reduce()
                    .mark().binint1(1).binint1(1).tuple1().binget(2).shortBinstring("f8").newFalse().newTrue().tuple3().reduce()
                    .newFalse().shortBinstring("\0\0\0\0\0\0\0\0").tuple().build();
        }
        return b;
    }

    @Test
    void ordinaryLargeDataDoesNotReachTheEventLimit() {
        // 120,000 arrays: 360,000 calls and BUILDs of the same three data-only callables (issue: false alarms)
        FileReport r = scan(manyArrays(120_000).appends().stop().bytes());
        assertThat(r.verdict()).as(r.toString()).isEqualTo(Severity.SAFE);
    }

    @Test
    void aNewCallableHandedToARepeatedCallIsStillJudged() {
        // numpy.dtype was called 5,000 times with constants; then numpy.dtype(load_image)
        byte[] p = manyArrays(5_000).binget(2).global("transformers.image_utils", "load_image").tuple1().reduce()
                .appends().stop().bytes();
        FileReport r = scan(p);
        assertThat(r.verdict()).as(r.toString()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.message()).contains("transformers.image_utils.load_image"));
    }
}
