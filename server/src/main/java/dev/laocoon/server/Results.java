package dev.laocoon.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.report.JsonReport;
import java.io.IOException;
import java.io.StringWriter;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The answers' JSON: the per-file object of {@code laocoon scan --format json}, plus the service's fields. */
final class Results {
    private Results() {
    }

    /** The per-file JSON object core's {@link JsonReport} writes for this report. */
    static ObjectNode fileObject(FileReport r, String version) {
        StringWriter w = new StringWriter();
        try {
            JsonReport.write(new ScanReport(List.of(r), r.elapsed().toNanos()), Severity.SUSPICIOUS, version, w);
            JsonNode all = Http.JSON.readTree(w.toString());
            return (ObjectNode) all.get("files").get(0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code scanId}, {@code status}, the per-file fields, then {@code sha256}. */
    static ObjectNode answer(String scanId, String status, ObjectNode file, String sha256) {
        ObjectNode n = Http.JSON.createObjectNode();
        n.put("scanId", scanId);
        n.put("status", status);
        n.setAll(file);
        n.put("sha256", sha256);
        return n;
    }

    /** Distinct rule ids of a report's findings, in order. */
    static Set<String> rules(FileReport r) {
        Set<String> s = new LinkedHashSet<>();
        for (Finding f : r.findings()) {
            s.add(f.rule().id());
        }
        return s;
    }

    /** The outermost format's id, for metrics. */
    static String outerFormat(FileReport r) {
        return r.formats().isEmpty() ? "unknown" : r.formats().get(0).id();
    }

    /**
     * The clamd signature for a report: {@code null} when the verdict is below {@code foundAt}; else
     * {@code Laocoon.Incomplete} when the worst finding says the file was not fully analysed, or
     * {@code Laocoon.<rule id>.<rule name>} of the worst finding.
     */
    static String signature(FileReport r, Severity foundAt) {
        if (!r.failed() && !r.verdict().atLeast(foundAt)) {
            return null;
        }
        Finding worst = null;
        for (Finding f : r.findings()) {
            if (worst == null || f.severity().compareTo(worst.severity()) > 0) {
                worst = f;
            }
        }
        if (r.failed() || worst == null || worst.rule() == Rule.ANALYSIS_INCOMPLETE || worst.rule() == Rule.FILE_UNREADABLE) {
            return "Laocoon.Incomplete";
        }
        return "Laocoon." + worst.rule().id() + "." + worst.rule().slug();
    }
}
