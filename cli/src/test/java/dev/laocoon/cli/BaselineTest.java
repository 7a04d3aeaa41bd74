package dev.laocoon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.laocoon.core.testutil.PickleBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BaselineTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** Writes a baseline of {@code repo} and fills in every justification, as a reviewer does. */
    Path reviewedBaseline(Path repo, String... extra) throws IOException {
        Path baseline = dir.resolve("baseline.json");
        String[] args = new String[4 + extra.length];
        args[0] = "scan";
        args[1] = "--write-baseline";
        args[2] = baseline.toString();
        System.arraycopy(extra, 0, args, 3, extra.length);
        args[args.length - 1] = repo.toString();
        CliTest.run(args);
        JsonNode b = JSON.readTree(baseline.toFile());
        for (JsonNode e : b.get("findings")) {
            ((ObjectNode) e).put("justification", "reviewed: our own test fixture");
        }
        JSON.writeValue(baseline.toFile(), b);
        return baseline;
    }

    Path repo(String name, byte[] pickle) throws IOException {
        Path repo = dir.resolve("repo");
        Files.createDirectories(repo);
        Files.write(repo.resolve(name), pickle);
        return repo;
    }

    @Test
    void roundTrip() throws IOException {
        Path repo = repo("legacy.pkl", PickleBuilder.create().proto(2).global("mypkg", "Thing").stop().bytes());
        Path baseline = reviewedBaseline(repo);
        assertThat(JSON.readTree(baseline.toFile()).get("findings")).hasSize(1);

        CliTest.Run same = CliTest.run("scan", "--baseline", baseline.toString(), repo.toString());
        assertThat(same.code()).isZero();
        assertThat(same.err()).contains("1 findings accepted");

        Files.write(repo.resolve("new.pkl"), PickleBuilder.call("os", "system", "id"));
        CliTest.Run after = CliTest.run("scan", "-f", "json", "--baseline", baseline.toString(), repo.toString());
        assertThat(after.code()).isEqualTo(1);
        for (JsonNode f : JSON.readTree(after.out()).get("files")) {
            if (f.get("path").asText().endsWith("new.pkl")) {
                assertThat(f.get("findings").get(0).has("suppressed")).isFalse();
                assertThat(f.get("unacceptedVerdict").asText()).isEqualTo("malicious");
            }
        }
        assertThat(after.out()).contains("os.system('id')");
    }

    @Test
    void acceptedFindingsAreReportedAsAcceptedAndTheVerdictStays() throws IOException {
        Path repo = repo("evil.pkl", PickleBuilder.call("os", "system", "echo accepted"));
        Path baseline = reviewedBaseline(repo, "--allow-malicious-baseline");
        String b = baseline.toString();

        CliTest.Run json = CliTest.run("scan", "-f", "json", "--baseline", b, "--allow-malicious-baseline", repo.toString());
        assertThat(json.code()).isZero(); // accepted findings do not count for --fail-on
        JsonNode doc = JSON.readTree(json.out());
        JsonNode file = doc.get("files").get(0);
        assertThat(file.get("verdict").asText()).isEqualTo("malicious"); // not 'safe': the file is what it is
        assertThat(file.get("unacceptedVerdict").asText()).isEqualTo("safe");
        JsonNode finding = file.get("findings").get(0);
        assertThat(finding.get("rule").asText()).isEqualTo("LAO101");
        assertThat(finding.get("suppressed").asBoolean()).isTrue();
        assertThat(finding.get("justification").asText()).isEqualTo("reviewed: our own test fixture");
        assertThat(doc.get("summary").get("accepted").asInt()).isEqualTo(file.get("findings").size());
        assertThat(doc.get("summary").get("failed").asBoolean()).isFalse();
        assertThat(doc.get("summary").get("malicious").asInt()).isEqualTo(1);

        CliTest.Run text = CliTest.run("scan", "--baseline", b, "--allow-malicious-baseline", repo.toString());
        assertThat(text.code()).isZero();
        assertThat(text.out()).contains("MALICIOUS").contains("evil.pkl").contains("every finding accepted by the baseline")
                .contains("ACCEPTED: reviewed: our own test fixture").contains("1 malicious").doesNotContain("FAIL");

        CliTest.Run sarif = CliTest.run("scan", "-f", "sarif", "--baseline", b, "--allow-malicious-baseline",
                repo.toString());
        assertThat(SchemaCheck.errors(SchemaCheck.SARIF_210, JSON.readTree(sarif.out()))).isEmpty();
        JsonNode result = JSON.readTree(sarif.out()).get("runs").get(0).get("results").get(0);
        JsonNode sup = result.get("suppressions").get(0);
        assertThat(sup.get("kind").asText()).isEqualTo("external");
        assertThat(sup.get("status").asText()).isEqualTo("accepted");
        assertThat(sup.get("justification").asText()).isEqualTo("reviewed: our own test fixture");
        JsonNode broken = JSON.readTree(sarif.out()); // the schema knows the kinds inSource and external only
        ((ObjectNode) broken.get("runs").get(0).get("results").get(0).get("suppressions").get(0)).put("kind", "ignored");
        assertThat(SchemaCheck.errors(SchemaCheck.SARIF_210, broken)).isNotEmpty();
    }

    @Test
    void writtenBaselineHasEmptyJustificationsThatMustBeFilledIn() throws IOException {
        Path repo = repo("legacy.pkl", PickleBuilder.create().proto(2).global("mypkg", "Thing").stop().bytes());
        Path baseline = dir.resolve("fresh.json");
        CliTest.Run w = CliTest.run("scan", "--write-baseline", baseline.toString(), repo.toString());
        assertThat(w.code()).isEqualTo(1);
        assertThat(w.err()).contains("empty justifications");
        JsonNode b = JSON.readTree(baseline.toFile());
        assertThat(b.get("version").asInt()).isEqualTo(2);
        assertThat(b.get("findings").get(0).get("justification").asText()).isEmpty();

        CliTest.Run r = CliTest.run("scan", "--baseline", baseline.toString(), repo.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("1 of 1 entries have no justification").contains("LAO102 legacy.pkl");
    }

    @Test
    void maliciousFindingsNeedAnExplicitOption() throws IOException {
        Path repo = repo("evil.pkl", PickleBuilder.call("os", "system", "echo x"));
        Path plain = dir.resolve("plain.json");
        CliTest.Run w = CliTest.run("scan", "--write-baseline", plain.toString(), repo.toString());
        assertThat(w.err()).contains("malicious findings were left out").contains("--allow-malicious-baseline")
                .contains("LAO101 evil.pkl");
        for (JsonNode e : JSON.readTree(plain.toFile()).get("findings")) {
            assertThat(e.get("severity").asText()).isNotEqualTo("malicious");
        }
        // a baseline that does accept it (written with the option) is not honoured without it
        Path baseline = reviewedBaseline(repo, "--allow-malicious-baseline");
        CliTest.Run r = CliTest.run("scan", "--baseline", baseline.toString(), repo.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("accepts a malicious finding").contains("--allow-malicious-baseline");
        assertThat(r.out()).contains("FAIL").doesNotContain("ACCEPTED");
    }

    @Test
    void aPayloadChangedBeyondTheEvidencePreviewIsNoLongerAccepted() throws IOException {
        // same length, same first kilobytes: the evidence preview cannot tell the two apart
        String head = "echo " + "a".repeat(4000);
        Path repo = repo("evil.pkl", PickleBuilder.call("os", "system", head + " harmless"));
        Path baseline = reviewedBaseline(repo, "--allow-malicious-baseline");
        assertThat(CliTest.run("scan", "--baseline", baseline.toString(), "--allow-malicious-baseline",
                repo.toString()).code()).isZero();

        Files.write(repo.resolve("evil.pkl"), PickleBuilder.call("os", "system", head + " rm -rf /"));
        CliTest.Run r = CliTest.run("scan", "-f", "json", "--baseline", baseline.toString(), "--allow-malicious-baseline",
                repo.toString());
        assertThat(r.code()).isEqualTo(1);
        JsonNode f = JSON.readTree(r.out()).get("files").get(0);
        assertThat(f.get("findings").get(0).has("suppressed")).isFalse();
    }

    @Test
    void rewritingABaselineKeepsTheJustificationsItHas() throws IOException {
        Path repo = repo("legacy.pkl", PickleBuilder.create().proto(2).global("mypkg", "Thing").stop().bytes());
        Path baseline = reviewedBaseline(repo);
        Files.write(repo.resolve("other.pkl"), PickleBuilder.create().proto(2).global("otherpkg", "Obj").stop().bytes());
        Path next = dir.resolve("next.json");
        CliTest.Run r = CliTest.run("scan", "--baseline", baseline.toString(), "--write-baseline", next.toString(),
                repo.toString());
        assertThat(r.err()).contains("justifications of --baseline kept");
        java.util.Map<String, String> why = new java.util.HashMap<>();
        for (JsonNode e : JSON.readTree(next.toFile()).get("findings")) {
            why.put(e.get("path").asText(), e.get("justification").asText());
        }
        assertThat(why).containsEntry("legacy.pkl", "reviewed: our own test fixture").containsEntry("other.pkl", "");
    }

    @Test
    void symbolicLinksCanBeBaselined() throws IOException {
        Path repo = repo("x.pkl", PickleBuilder.create().proto(2).none().stop().bytes());
        Files.createSymbolicLink(repo.resolve("escape.bin"), Path.of("/etc/hostname"));
        Path baseline = reviewedBaseline(repo);
        assertThat(JSON.readTree(baseline.toFile()).get("findings").toString()).contains("LAO803");
        CliTest.Run r = CliTest.run("scan", "--baseline", baseline.toString(), repo.toString());
        assertThat(r.code()).as(r.err()).isZero();
    }

    @Test
    void aVersion1BaselineIsRefusedWithTheWayOut() throws IOException {
        Path repo = repo("x.pkl", PickleBuilder.create().proto(2).none().stop().bytes());
        Path baseline = dir.resolve("old.json");
        Files.writeString(baseline, "{\"version\": 1, \"findings\": [{\"fingerprint\": \"abc\", \"justification\": \"ok\"}]}");
        CliTest.Run r = CliTest.run("scan", "--baseline", baseline.toString(), repo.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("version 1").contains("--write-baseline");
    }

    @Test
    void entriesWithoutJustificationAreRejected() throws IOException {
        Path repo = repo("x.pkl", PickleBuilder.create().proto(2).none().stop().bytes());
        Path baseline = dir.resolve("b.json");
        Files.writeString(baseline, "{\"version\": 2, \"findings\": [{\"fingerprint\": \"abc\", \"rule\": \"LAO101\","
                + " \"path\": \"x.pkl\", \"justification\": \"  \"}]}");
        CliTest.Run r = CliTest.run("scan", "--baseline", baseline.toString(), repo.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("justification").contains("entry 0 (LAO101 x.pkl)");
    }
}
