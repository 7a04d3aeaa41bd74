package dev.laocoon.core;

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
                m.put(f.verdict(), m.get(f.verdict()) + 1);
            }
        }
        return m;
    }

    // Plain loops rather than streams here: these run in every scan, and the first lambda of a
    // run costs milliseconds of start-up.

    public int errors() {
        int n = 0;
        for (FileReport f : files) {
            if (f.verdict() == null) {
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

    /** True when some file's verdict is at least {@code failOn}. */
    public boolean reaches(Severity failOn) {
        for (FileReport f : files) {
            if (f.verdict() != null && f.verdict().atLeast(failOn)) {
                return true;
            }
        }
        return false;
    }
}
