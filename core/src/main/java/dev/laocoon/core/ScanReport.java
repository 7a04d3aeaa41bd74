package dev.laocoon.core;

import dev.laocoon.core.finding.Severity;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * All files of one scan, in a stable order, and how long it took. Files that could not be read
 * count as errors, not under a verdict.
 */
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
            if (!f.failed()) {
                m.put(f.verdict(), m.get(f.verdict()) + 1);
            }
        }
        return m;
    }

    // Plain loops rather than streams (see DEVELOPERS.md, start-up).

    public int errors() {
        int n = 0;
        for (FileReport f : files) {
            if (f.failed()) {
                n++;
            }
        }
        return n;
    }

    public int findings() {
        int n = 0;
        for (FileReport f : files) {
            n += f.findings().size();
        }
        return n;
    }

    /** True when some file that was read has a verdict of at least {@code failOn}. */
    public boolean reaches(Severity failOn) {
        for (FileReport f : files) {
            if (!f.failed() && f.verdict().atLeast(failOn)) {
                return true;
            }
        }
        return false;
    }
}
