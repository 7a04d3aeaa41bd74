package dev.laocoon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.testutil.PickleBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SARIF 2.1.0 output: the properties the specification requires and GitHub code scanning reads. */
class SarifTest {
    @TempDir
    Path dir;

    JsonNode sarif(Path root) throws IOException {
        CliTest.Run r = CliTest.run("scan", "--format", "sarif", root.toString());
        assertThat(r.code()).isEqualTo(1);
        return new ObjectMapper().readTree(r.out());
    }

    Path repo(String name) throws IOException {
        Path root = dir.resolve(name);
        Files.createDirectories(root.resolve("models"));
        Files.write(root.resolve("models/evil.pkl"), PickleBuilder.call("os", "system", "id"));
        Files.write(root.resolve("models/data.pkl"), PickleBuilder.create().proto(2).none().stop().bytes());
        return root;
    }

    @Test
    void unrecognisedFilesAreNotResultsAndUnreadableOnesAreNotifications() throws IOException {
        Path root = repo("texts");
        for (int i = 0; i < 50; i++) {
            Files.writeString(root.resolve("notes" + i + ".txt"), "just text " + i);
        }
        java.util.List<String> args = java.util.List.of("scan", "--format", "sarif", root.toString(),
                root.resolve("missing.pkl").toString());
        CliTest.Run r = CliTest.run(args.toArray(new String[0]));
        JsonNode run = new ObjectMapper().readTree(r.out()).get("runs").get(0);
        for (JsonNode res : run.get("results")) {
            assertThat(res.get("ruleId").asText()).isNotEqualTo("LAO002");
        }
        assertThat(run.get("results")).hasSize(1); // the os.system pickle
        JsonNode notes = run.get("invocations").get(0).get("toolExecutionNotifications");
        assertThat(notes.toString()).contains("missing.pkl: no such file or directory (not scanned)")
                .contains("50 files or members are of no format Laocoon analyses");
        assertThat(run.get("invocations").get(0).get("executionSuccessful").asBoolean()).isFalse();
    }

    @Test
    void structureFollowsSarif210() throws IOException {
        JsonNode s = sarif(repo("a"));
        assertThat(SchemaCheck.errors(SchemaCheck.SARIF_210, s)).isEmpty();
        assertThat(s.get("version").asText()).isEqualTo("2.1.0");
        assertThat(s.get("$schema").asText()).contains("sarif-2.1.0");
        assertThat(s.get("runs")).hasSize(1);
        JsonNode driver = s.get("runs").get(0).get("tool").get("driver");
        assertThat(driver.get("name").asText()).isEqualTo("Laocoon");
        JsonNode rules = driver.get("rules");
        Set<String> ids = new HashSet<>();
        for (JsonNode r : rules) {
            ids.add(r.get("id").asText());
            assertThat(r.get("shortDescription").get("text").asText()).isNotBlank();
            assertThat(r.get("fullDescription").get("text").asText()).isNotBlank();
            assertThat(r.get("help").get("text").asText()).isNotBlank();
            assertThat(r.get("helpUri").asText()).startsWith("https://");
            assertThat(r.get("defaultConfiguration").get("level").asText()).isIn("error", "warning", "note");
            assertThat(Double.parseDouble(r.get("properties").get("security-severity").asText())).isBetween(0.0, 10.0);
            assertThat(r.get("properties").get("tags")).isNotEmpty();
        }
        for (Rule r : Rule.values()) {
            assertThat(ids).contains(r.id());
        }
        JsonNode results = s.get("runs").get(0).get("results");
        assertThat(results).isNotEmpty();
        JsonNode first = results.get(0);
        assertThat(first.get("ruleId").asText()).isEqualTo("LAO101");
        assertThat(rules.get(first.get("ruleIndex").asInt()).get("id").asText()).isEqualTo("LAO101");
        assertThat(first.get("level").asText()).isEqualTo("error");
        assertThat(first.get("message").get("text").asText()).contains("os.system('id')");
        JsonNode loc = first.get("locations").get(0).get("physicalLocation");
        assertThat(loc.get("artifactLocation").get("uri").asText()).endsWith("models/evil.pkl").doesNotStartWith("/");
        assertThat(loc.get("region").get("byteOffset").asLong()).isEqualTo(2);
        assertThat(loc.get("region").has("startLine")).as("no line region in a binary file").isFalse();
        assertThat(first.get("partialFingerprints").fields().next().getValue().asText()).hasSize(32);
    }

    @Test
    void fingerprintsAreStableAcrossRunsAndScanLocations() throws IOException {
        String a = sarif(repo("one")).get("runs").get(0).get("results").get(0).get("partialFingerprints").toString();
        String again = sarif(dir.resolve("one")).get("runs").get(0).get("results").get(0).get("partialFingerprints").toString();
        String b = sarif(repo("elsewhere/two")).get("runs").get(0).get("results").get(0).get("partialFingerprints").toString();
        assertThat(again).isEqualTo(a);
        assertThat(b).isEqualTo(a);
    }

    @Test
    void exitCodeTextJsonAndSarifAgree() throws IOException {
        Path root = repo("agree");
        CliTest.Run text = CliTest.run("scan", root.toString());
        CliTest.Run json = CliTest.run("scan", "-f", "json", root.toString());
        JsonNode s = sarif(root);
        assertThat(text.code()).isEqualTo(json.code()).isEqualTo(1);
        int findings = new ObjectMapper().readTree(json.out()).get("summary").get("findings").asInt();
        assertThat(s.get("runs").get(0).get("results")).hasSize(findings);
    }
}
