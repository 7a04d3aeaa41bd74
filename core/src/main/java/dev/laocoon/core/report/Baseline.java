package dev.laocoon.core.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Known findings accepted by fingerprint (the SARIF {@code laocoonFindingHash/v1}), each with a
 * justification, so that a CI gate fails only on new findings. The file is JSON:
 * {@code {"version": 1, "findings": [{"fingerprint", "rule", "path", "justification"}]}}.
 */
public final class Baseline {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, String> accepted;

    private Baseline(Map<String, String> accepted) {
        this.accepted = accepted;
    }

    /** Reads a baseline; every entry needs a fingerprint and a non-empty justification. */
    public static Baseline read(Path file) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        if (root == null || !root.path("findings").isArray()) {
            throw new IllegalArgumentException(file + ": not a Laocoon baseline (expected {\"findings\": [...]})");
        }
        Map<String, String> m = new HashMap<>();
        int i = 0;
        for (JsonNode e : root.get("findings")) {
            String fp = e.path("fingerprint").asText("");
            String why = e.path("justification").asText("").strip();
            if (fp.isEmpty() || why.isEmpty()) {
                throw new IllegalArgumentException(file + ": entry " + i + " needs a fingerprint and a justification");
            }
            m.put(fp, why);
            i++;
        }
        return new Baseline(m);
    }

    /** Writes every finding of {@code report} as an accepted entry with a placeholder justification. */
    public static int write(ScanReport report, List<Path> roots, Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", 1);
        ArrayNode arr = root.putArray("findings");
        for (FileReport f : report.files()) {
            String rel = SarifReport.relativeToRoot(f.path(), roots);
            for (Finding x : f.findings()) {
                ObjectNode e = arr.addObject();
                e.put("fingerprint", SarifReport.fingerprint(x, rel));
                e.put("rule", x.rule().id());
                e.put("severity", x.severity().label());
                e.put("path", rel + (x.location().members().isEmpty() ? "" : "!" + x.location().memberPath()));
                e.put("message", x.message());
                e.put("justification", "accepted when this baseline was written; replace with the reason");
            }
        }
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
        return arr.size();
    }

    /** The report without accepted findings (verdicts recomputed), and how many were accepted. */
    public Applied apply(ScanReport report, List<Path> roots) {
        List<FileReport> files = new ArrayList<>();
        int dropped = 0;
        for (FileReport f : report.files()) {
            if (f.error() != null) {
                files.add(f);
                continue;
            }
            String rel = SarifReport.relativeToRoot(f.path(), roots);
            List<Finding> keep = new ArrayList<>();
            for (Finding x : f.findings()) {
                if (accepted.containsKey(SarifReport.fingerprint(x, rel))) {
                    dropped++;
                } else {
                    keep.add(x);
                }
            }
            files.add(f.withFindings(keep));
        }
        return new Applied(new ScanReport(files, report.nanos()), dropped);
    }

    /** A filtered report. */
    public record Applied(ScanReport report, int accepted) {
    }
}
