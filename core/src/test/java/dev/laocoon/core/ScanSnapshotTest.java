package dev.laocoon.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.source.ArrayByteSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Pins the scanner's behaviour: every fixture the test suite scans, every test resource and (when
 * present) the labelled corpus are scanned, and verdict, formats and every finding (rule,
 * severity, location, message, evidence) must equal a committed snapshot.
 *
 * <p>{@code snapshot-inputs.tar.gz} holds the inputs of up to 256 KiB that the test suite's own
 * builders produced and scanned at commit 500b40c (captured once, named by SHA-256; all payloads
 * are the suite's inert ones). A deliberate behaviour change regenerates the snapshots with
 * {@code -Dlaocoon.snapshot.update=true} and shows up as a diff of the {@code .txt} files.
 */
class ScanSnapshotTest {
    private static final Path EXPECTED = Path.of("src/test/resources/dev/laocoon/core/scan");
    private static final boolean UPDATE = Boolean.getBoolean("laocoon.snapshot.update");

    @Test
    void fixturesScanAsInTheSnapshot() throws IOException {
        TreeMap<String, byte[]> inputs = new TreeMap<>();
        try (InputStream raw = ScanSnapshotTest.class.getResourceAsStream("/dev/laocoon/core/scan/snapshot-inputs.tar.gz");
             TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(raw))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                if (e.isFile()) {
                    inputs.put("captured/" + Path.of(e.getName()).getFileName(), tar.readAllBytes());
                }
            }
        }
        Path resources = Path.of("src/test/resources");
        try (Stream<Path> s = Files.walk(resources)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String rel = resources.relativize(p).toString().replace('\\', '/');
                // not the snapshot's own files, nor oracle scripts, nor the signing tests' models and bundles
                if (!rel.startsWith("dev/laocoon/core/scan/") && !rel.endsWith(".py") && !rel.startsWith("sign/")) {
                    // named by folder and file only, so that moving a test package keeps the name
                    String name = "resources/" + (rel.contains("Inputs/") || rel.contains("chat-templates/")
                            ? p.getParent().getFileName() + "/" : "") + p.getFileName();
                    assertThat(inputs.put(name, Files.readAllBytes(p))).as(name).isNull();
                }
            }
        }
        assertThat(inputs).hasSizeGreaterThan(400);
        check("snapshot-expected.txt", render(inputs));
    }

    @Test
    void corpusScansAsInTheSnapshot() throws IOException {
        Path corpus = CorpusAcceptanceTest.corpus();
        Assumptions.assumeTrue(corpus != null, "../shared/corpus not present");
        TreeMap<String, byte[]> inputs = new TreeMap<>();
        try (Stream<Path> s = Files.walk(corpus)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String rel = corpus.relativize(p).toString().replace('\\', '/');
                if (!rel.equals("manifest.json") && !rel.equals("README.md")) {
                    inputs.put(rel, Files.readAllBytes(p));
                }
            }
        }
        check("corpus-snapshot-expected.txt", render(inputs));
    }

    /** One block per input: name, formats and verdict, then one line per finding. */
    static String render(TreeMap<String, byte[]> inputs) {
        Scanner scanner = Scanner.builder().build();
        StringBuilder out = new StringBuilder();
        inputs.forEach((name, bytes) -> {
            FileReport r = scanner.scan(new ArrayByteSource(bytes), name);
            out.append(name).append(" | ").append(oneLine(r.formatLabel())).append(" | ").append(r.verdictLabel()).append('\n');
            for (Finding f : r.findings()) {
                out.append("  ").append(f.ruleId()).append(' ').append(f.severity().label()).append(' ')
                        .append(oneLine(f.location().render())).append(" | ").append(oneLine(f.message()))
                        .append(" | ").append(oneLine(f.evidence())).append('\n');
            }
        });
        return out.toString();
    }

    private static String oneLine(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\\') {
                b.append(c == '\\' ? "\\\\" : String.format("\\x%02x", c));
            } else if (Character.isSurrogate((char) c)) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }

    private static void check(String file, String actual) throws IOException {
        Path expected = EXPECTED.resolve(file);
        if (UPDATE || !Files.exists(expected)) {
            Files.writeString(expected, actual, StandardCharsets.UTF_8);
            Assumptions.assumeTrue(UPDATE, "snapshot " + file + " written (first run); commit it");
        }
        String want = Files.readString(expected, StandardCharsets.UTF_8);
        if (!want.equals(actual)) {
            List<String> diff = diff(want.lines().toList(), actual.lines().toList());
            assertThat(diff).as("scan results differ from %s (first differences; -Dlaocoon.snapshot.update=true "
                    + "rewrites it after a deliberate change)", file).isEmpty();
        }
    }

    /** The first differing lines of the two snapshots, each with its file block name. */
    private static List<String> diff(List<String> want, List<String> got) {
        List<String> out = new ArrayList<>();
        java.util.Set<String> a = new java.util.LinkedHashSet<>(want);
        java.util.Set<String> b = new java.util.LinkedHashSet<>(got);
        for (String l : want) {
            if (!b.contains(l) && out.size() < 40) {
                out.add("- " + l);
            }
        }
        for (String l : got) {
            if (!a.contains(l) && out.size() < 80) {
                out.add("+ " + l);
            }
        }
        if (out.isEmpty()) {
            out.add("(same lines, different order or repetition)");
        }
        return out;
    }
}
