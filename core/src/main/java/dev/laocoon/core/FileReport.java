package dev.laocoon.core;

import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Severity;
import java.util.List;

/**
 * The result for one regular file. {@code verdict} is the highest finding severity
 * ({@code safe} when there are none); {@code error} is set when the file could not be read,
 * in which case the verdict is null and reports show {@code error}.
 */
public record FileReport(String path, String format, Severity verdict, List<Finding> findings, String error,
                         long size, long nanos) {

    public FileReport {
        findings = List.copyOf(findings);
    }

    public static FileReport failed(String path, String error) {
        return new FileReport(path, "unknown", null, List.of(), error, -1, 0);
    }

    public String verdictLabel() {
        return verdict == null ? "error" : verdict.label();
    }
}
