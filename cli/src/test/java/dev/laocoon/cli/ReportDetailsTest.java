package dev.laocoon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.Format;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.report.TextReport;
import dev.laocoon.core.testutil.PickleBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Smaller report and option details from issue 18's list. */
class ReportDetailsTest {
    @TempDir
    Path dir;

    @Test
    void textReportListsFindingsInTheirOrderInTheFileAndEndsWithTheFailingFiles() {
        Finding late = new Finding(Rule.PICKLE_DANGEROUS_GLOBAL, Severity.MALICIOUS, "imports os.system",
                new Location("m.pkl", List.of(), 0, 50), "os.system('x')");
        Finding early = new Finding(Rule.PICKLE_UNKNOWN_GLOBAL, Severity.SUSPICIOUS, "imports a.b",
                new Location("m.pkl", List.of(), 0, 2), "a.b()");
        FileReport bad = new FileReport("m.pkl", List.of(Format.PICKLE), Severity.MALICIOUS, List.of(late, early), null,
                60, null, 60, null);
        FileReport ok = new FileReport("ok.pkl", List.of(Format.PICKLE), Severity.SAFE, List.of(), null, 4, null, 4, null);
        StringWriter s = new StringWriter();
        new TextReport(false, false).write(new ScanReport(List.of(bad, ok), 0), Severity.SUSPICIOUS, new PrintWriter(s));
        String text = s.toString();
        assertThat(text.indexOf("m.pkl@2")).isPositive().isLessThan(text.indexOf("m.pkl@50"));
        assertThat(text).contains("FAIL: at least one file is suspicious or worse:\n  malicious  m.pkl\n")
                .doesNotContain("  safe  ok.pkl");
    }

    @Test
    void excludeNamesAFolder() throws IOException {
        Path root = dir.resolve("repo");
        Files.createDirectories(root.resolve("tests/fixtures"));
        Files.write(root.resolve("tests/fixtures/evil.pkl"), PickleBuilder.call("os", "system", "echo fixture"));
        Files.write(root.resolve("model.pkl"), PickleBuilder.create().proto(2).none().stop().bytes());
        for (String glob : List.of("tests", "tests/", "fixtures")) {
            CliTest.Run r = CliTest.run("scan", "--exclude", glob, root.toString());
            assertThat(r.code()).as(glob + ": " + r.out()).isZero();
            assertThat(r.out()).doesNotContain("evil.pkl").contains("1 file scanned");
        }
        assertThat(CliTest.run("scan", root.toString()).code()).isEqualTo(1);
    }

    @Test
    void aBackslashInAFileNameIsEncodedInSarifUris() throws IOException {
        Path rel = Path.of("target", "sarif-backslash-test");
        Files.createDirectories(rel);
        Files.write(rel.resolve("a\\b.pkl"), PickleBuilder.call("os", "system", "echo hi"));
        CliTest.Run r = CliTest.run("scan", "-f", "sarif", rel.resolve("a\\b.pkl").toAbsolutePath().toString());
        assertThat(r.out()).contains("\"uri\" : \"target/sarif-backslash-test/a%5Cb.pkl\"");
    }

    @Test
    void explainOfAMaliciousFileWithoutPickleDoesNotSayNothingWasFound() throws IOException {
        Path model = dir.resolve("model.json");
        Files.writeString(model, "{\"class_name\": \"Lambda\", \"config\": {\"function\": [\"4wAAANoEZWNobw==\", null, null],"
                + " \"function_type\": \"lambda\"}}");
        CliTest.Run r = CliTest.run("explain", model.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).doesNotContain("nothing a loader would run was found").contains("Verdict: malicious, from these findings")
                .contains("LAO301");
    }
}
