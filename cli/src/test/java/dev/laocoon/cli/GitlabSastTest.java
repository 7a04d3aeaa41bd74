package dev.laocoon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.laocoon.core.testutil.PickleBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --format gitlab-sast}: GitLab's SAST report, valid against the published 15.0.7 schema. */
class GitlabSastTest {
    @TempDir
    Path dir;

    Path project() throws IOException {
        Path root = dir.resolve("project");
        Files.createDirectories(root.resolve("models"));
        Files.write(root.resolve("models/evil.pkl"), PickleBuilder.call("os", "system", "echo hi"));
        Files.write(root.resolve("models/other.pkl"), PickleBuilder.call("posix", "system", "echo ho"));
        Files.write(root.resolve("models/data.pkl"), PickleBuilder.create().proto(2).none().stop().bytes());
        for (int i = 0; i < 5; i++) {
            Files.writeString(root.resolve("notes" + i + ".txt"), "text " + i);
        }
        return root;
    }

    JsonNode report(String... paths) throws IOException {
        List<String> args = new ArrayList<>(List.of("scan", "--format", "gitlab-sast"));
        args.addAll(List.of(paths));
        CliTest.Run r = CliTest.run(args.toArray(new String[0]));
        assertThat(r.code()).isEqualTo(1);
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void reportIsValidAgainstGitlabsSchema() throws IOException {
        Path root = project();
        JsonNode doc = report(root.toString(), root.resolve("missing.pkl").toString());
        assertThat(SchemaCheck.errors(SchemaCheck.GITLAB_SAST, doc)).isEmpty();
        assertThat(doc.get("version").asText()).isEqualTo("15.0.7");
        JsonNode scan = doc.get("scan");
        assertThat(scan.get("type").asText()).isEqualTo("sast");
        assertThat(scan.get("analyzer").get("id").asText()).isEqualTo("laocoon");
        assertThat(scan.get("start_time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d");
        assertThat(scan.get("messages").toString()).contains("missing.pkl").contains("not scanned")
                .contains("5 files or members are of no format Laocoon analyses");
    }

    @Test
    void theValidatorRejectsWhatTheSchemaForbids() throws IOException {
        JsonNode doc = report(project().toString());
        ((com.fasterxml.jackson.databind.node.ObjectNode) doc.get("vulnerabilities").get(0)).put("severity", "malicious");
        ((com.fasterxml.jackson.databind.node.ObjectNode) doc.get("scan")).remove("scanner");
        assertThat(SchemaCheck.errors(SchemaCheck.GITLAB_SAST, doc)).hasSize(2);
    }

    @Test
    void severitiesIdsAndLocations() throws IOException {
        Path root = project();
        JsonNode doc = report(root.toString(), root.resolve("missing.pkl").toString());
        Set<String> ids = new HashSet<>();
        boolean unreadable = false;
        for (JsonNode v : doc.get("vulnerabilities")) {
            ids.add(v.get("id").asText());
            String rule = v.get("identifiers").get(0).get("value").asText();
            assertThat(rule).isNotEqualTo("LAO002");
            String file = v.get("location").get("file").asText();
            assertThat(v.get("location").has("start_line")).isFalse(); // a binary file has no lines
            if (file.endsWith("evil.pkl") && rule.equals("LAO101")) {
                assertThat(v.get("severity").asText()).isEqualTo("Critical");
                assertThat(v.get("description").asText()).contains("os.system");
            }
            if (rule.equals("LAO001")) {
                unreadable = true;
                assertThat(file).endsWith("missing.pkl");
                assertThat(v.get("severity").asText()).isEqualTo("High");
            }
            assertThat(file).doesNotContain("\\");
        }
        assertThat(unreadable).isTrue();
        assertThat(ids).hasSize(doc.get("vulnerabilities").size());
        for (String id : ids) {
            assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        }
        // stable: the same findings get the same ids in the next pipeline
        Set<String> again = new HashSet<>();
        for (JsonNode v : report(root.toString(), root.resolve("missing.pkl").toString()).get("vulnerabilities")) {
            again.add(v.get("id").asText());
        }
        assertThat(again).isEqualTo(ids);
    }

    @Test
    void locationsAreRelativeToTheProjectDirectory() throws IOException {
        // CI runs the scan in the checkout: a path under the working directory is given relative to it
        Path rel = Path.of("target", "gitlab-sast-test");
        Files.createDirectories(rel);
        Files.write(rel.resolve("evil.pkl"), PickleBuilder.call("os", "system", "echo hi"));
        JsonNode doc = report(rel.toAbsolutePath().toString());
        assertThat(doc.get("vulnerabilities").get(0).get("location").get("file").asText())
                .isEqualTo("target/gitlab-sast-test/evil.pkl");
    }

    @Test
    void theCiSnippetRunsTheFormatItDocuments() throws IOException {
        Path snippet = Path.of("..", "ci", "gitlab", "laocoon.gitlab-ci.yml");
        String yml = Files.readString(snippet);
        assertThat(yml).contains("--format gitlab-sast").contains("sast: gl-sast-laocoon.json")
                .contains("image: eclipse-temurin:17-jdk").contains("cache:");
        assertThat(yml).doesNotContain("git clone");
    }
}
