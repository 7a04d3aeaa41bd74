package dev.laocoon.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Severity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The project's own deploy/ examples (the deploy gate's KServe, Kubernetes and CI examples) have no high finding. */
class DeployExamplesTest {

    @Test
    void deployExamplesHaveNoHighFinding() throws Exception {
        Path deploy = Path.of("../deploy");
        Assumptions.assumeTrue(Files.isDirectory(deploy), "no deploy/ folder in this checkout; skipped");
        ScanReport r = new LaocoonAuditor().audit(List.of(deploy), List.of(), List.of(), p -> null);
        assertThat(r.files()).as("the examples are recognised").isNotEmpty();
        List<String> high = new ArrayList<>();
        for (FileReport f : r.files()) {
            for (Finding x : f.findings()) {
                if (x.severity().atLeast(Severity.SUSPICIOUS)) {
                    high.add(x.location().render() + " " + x.rule().id() + " " + x.message());
                }
            }
        }
        assertThat(high).isEmpty();
    }
}
