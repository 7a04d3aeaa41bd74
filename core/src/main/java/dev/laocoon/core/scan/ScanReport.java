package dev.laocoon.core.scan;

import dev.laocoon.core.finding.Severity;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** All files of one scan, in a stable order. */
public record ScanReport(List<FileReport> files, long nanos) {

    public ScanReport {
        files = List.copyOf(files);
    }

    public Map<Severity, Integer> countByVerdict() {
        Map<Severity, Integer> m = new EnumMap<>(Severity.class);
        for (Severity s : Severity.values()) {
            m.put(s, 0);
        }
        for (FileReport f : files) {
            if (f.verdict() != null) {
                m.merge(f.verdict(), 1, Integer::sum);
            }
        }
        return m;
    }

    public int errors() {
        return (int) files.stream().filter(f -> f.verdict() == null).count();
    }

    public int findings() {
        return files.stream().mapToInt(f -> f.findings().size()).sum();
    }

    /** True when some file's verdict is at least {@code failOn}. */
    public boolean reaches(Severity failOn) {
        return files.stream().anyMatch(f -> f.verdict() != null && f.verdict().atLeast(failOn));
    }
}
