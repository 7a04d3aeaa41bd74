package dev.laocoon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.laocoon.core.testutil.PickleBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BaselineTest {
    @TempDir
    Path dir;

    @Test
    void roundTrip() throws IOException {
        Path repo = dir.resolve("repo");
        Files.createDirectories(repo);
        Files.write(repo.resolve("legacy.pkl"), PickleBuilder.create().proto(2).global("mypkg", "Thing").stop().bytes());
        Path baseline = dir.resolve("baseline.json");

        CliTest.Run first = CliTest.run("scan", "--write-baseline", baseline.toString(), repo.toString());
        assertThat(first.code()).isEqualTo(1);
        JsonNode b = new ObjectMapper().readTree(baseline.toFile());
        assertThat(b.get("findings")).hasSize(1);
        assertThat(b.get("findings").get(0).get("justification").asText()).isNotBlank();

        CliTest.Run same = CliTest.run("scan", "--baseline", baseline.toString(), repo.toString());
        assertThat(same.code()).isZero();
        assertThat(same.err()).contains("1 findings accepted");

        Files.write(repo.resolve("new.pkl"), PickleBuilder.call("os", "system", "id"));
        CliTest.Run after = CliTest.run("scan", "-f", "json", "--baseline", baseline.toString(), repo.toString());
        assertThat(after.code()).isEqualTo(1);
        JsonNode files = new ObjectMapper().readTree(after.out()).get("files");
        int findings = 0;
        for (JsonNode f : files) {
            findings += f.get("findings").size();
            if (f.get("path").asText().endsWith("legacy.pkl")) {
                assertThat(f.get("verdict").asText()).isEqualTo("safe");
            }
        }
        assertThat(findings).isEqualTo(1);
        assertThat(after.out()).contains("os.system('id')");
    }

    @Test
    void entriesWithoutJustificationAreRejected() throws IOException {
        Path repo = dir.resolve("r");
        Files.createDirectories(repo);
        Files.write(repo.resolve("x.pkl"), PickleBuilder.create().proto(2).none().stop().bytes());
        Path baseline = dir.resolve("b.json");
        Files.writeString(baseline, "{\"version\": 1, \"findings\": [{\"fingerprint\": \"abc\", \"justification\": \"\"}]}");
        CliTest.Run r = CliTest.run("scan", "--baseline", baseline.toString(), repo.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("justification");
    }
}
