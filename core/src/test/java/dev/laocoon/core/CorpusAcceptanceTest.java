package dev.laocoon.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.laocoon.core.finding.Severity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Acceptance against the labelled corpus in ../shared/corpus (real model files), when it exists:
 * malicious entries are flagged, safe entries are exactly safe, benign entries at most notice.
 * Only formats this build analyses are checked. Skipped when the corpus is absent.
 */
public class CorpusAcceptanceTest {
    static final Set<String> FORMATS = Set.of("pickle", "pickle-gzip", "pytorch-zip", "pytorch-legacy", "torchscript",
            "npy", "npy-object", "npz", "joblib", "joblib-bz2", "joblib-xz", "joblib-zlib", "zip", "tar-gzip", "polyglot", "safetensors", "gguf", "keras-h5", "keras-v3", "onnx", "tf-savedmodel", "raw");

    public static Path corpus() {
        String env = System.getenv("LAOCOON_CORPUS");
        if (env != null) {
            return Path.of(env);
        }
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            Path c = p.resolveSibling("shared").resolve("corpus");
            if (Files.isRegularFile(c.resolve("manifest.json"))) {
                return c;
            }
        }
        return null;
    }

    @Test
    void everyPickleEntryIsJudgedAsLabelled() throws IOException {
        Path corpus = corpus();
        Assumptions.assumeTrue(corpus != null, "../shared/corpus not present");
        JsonNode manifest = new ObjectMapper().readTree(corpus.resolve("manifest.json").toFile());
        Scanner scanner = Scanner.builder().build();
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (JsonNode e : manifest) {
            if (!FORMATS.contains(e.get("format").asText())) {
                continue;
            }
            checked++;
            String rel = e.get("path").asText();
            FileReport r = scanner.scan(corpus.resolve(rel), rel);
            String expect = e.get("expect").asText();
            Severity v = r.verdict();
            boolean ok = v != null && switch (expect) {
                case "malicious" -> v.atLeast(Severity.SUSPICIOUS);
                case "safe" -> v == Severity.SAFE;
                case "benign" -> !v.atLeast(Severity.SUSPICIOUS);
                default -> false;
            };
            if (!ok) {
                failures.add(rel + ": expected " + expect + ", got " + r.verdictLabel() + " " + r.findings());
            }
        }
        assertThat(checked).isPositive();
        assertThat(failures).isEmpty();
    }
}
