package dev.laocoon.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.finding.Finding;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Input written to break the auditor: never a crash, never safe when it was not read. */
class HostileInputTest {

    private static List<String> rules(Path dir) throws Exception {
        ScanReport r = new LaocoonAuditor().audit(List.of(dir), List.of(), List.of(), p -> null);
        List<String> out = new ArrayList<>();
        for (FileReport f : r.files()) {
            for (Finding x : f.findings()) {
                out.add(dir.relativize(Path.of(f.path())) + " " + x.rule().id());
            }
        }
        return out;
    }

    @Test
    void deepNestingAndAliasBombsAreNotAudited(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("deep.yaml"), "apiVersion: v1\nkind: Pod\nspec: " + "[".repeat(200_000) + "\n");
        StringBuilder bomb = new StringBuilder("apiVersion: v1\nkind: ConfigMap\na: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 0; i < 9; i++) {
            char c = (char) ('b' + i);
            char p = (char) ('a' + i);
            bomb.append(c).append(": &").append(c).append(" [");
            for (int k = 0; k < 10; k++) {
                bomb.append(k == 0 ? "" : ", ").append('*').append(p);
            }
            bomb.append("]\n");
        }
        Files.writeString(dir.resolve("bomb.yaml"), bomb.toString());
        Files.writeString(dir.resolve("Dockerfile"), "RUN " + "$(".repeat(10_000) + "curl x | sh\n");
        List<String> r = rules(dir);
        assertThat(r).contains("deep.yaml LAO900", "bomb.yaml LAO900");
        // a script nested beyond the tokenizer's depth is reported as not fully audited
        assertThat(r).contains("Dockerfile LAO900");
    }

    @Test
    void printingTheEnvironmentIsASecretExposureOnlyWithSecretsInIt(@TempDir Path dir) throws Exception {
        Path wf = dir.resolve(".github/workflows");
        Files.createDirectories(wf);
        Files.writeString(wf.resolve("a.yml"), "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
                + "    steps:\n      - run: env | sort\n");
        assertThat(rules(dir)).isEmpty();
        Files.writeString(wf.resolve("a.yml"), "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
                + "    env:\n      KEY: ${{ secrets.KEY }}\n    steps:\n      - run: env | sort\n");
        assertThat(rules(dir)).containsExactly(".github/workflows/a.yml LAO935");
    }

    @Test
    void reusableWorkflowsArePinned(@TempDir Path dir) throws Exception {
        Path wf = dir.resolve(".github/workflows");
        Files.createDirectories(wf);
        Files.writeString(wf.resolve("a.yml"), "on: push\npermissions: {}\njobs:\n  a:\n"
                + "    uses: example-org/workflows/.github/workflows/build.yml@main\n");
        assertThat(rules(dir)).containsExactly(".github/workflows/a.yml LAO933");
    }
}
