package dev.laocoon.core.report;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Severity;

/**
 * Which findings of a report were accepted (by a {@link Baseline}) and why. Accepted findings are
 * still reported, marked as accepted; a file's verdict stays what all its findings say, and only
 * the gate ({@code --fail-on}) leaves accepted findings out.
 */
public interface Accepted {
    /** Nothing accepted. */
    Accepted NONE = new Accepted() { // not a lambda: start-up time (DEVELOPERS.md)
        @Override
        public String justification(int file, int finding) {
            return null;
        }
    };

    /** The justification of finding {@code finding} of file {@code file} of the report, or null when not accepted. */
    String justification(int file, int finding);

    /** The verdict of the file's findings that were not accepted ({@code safe} when all were). */
    default Severity unaccepted(ScanReport report, int file) {
        FileReport f = report.files().get(file);
        Severity v = Severity.SAFE;
        for (int k = 0; k < f.findings().size(); k++) {
            Finding x = f.findings().get(k);
            if (justification(file, k) == null) {
                v = Severity.max(v, x.severity());
            }
        }
        return v;
    }

    /** True when a file that was read has findings not accepted of at least {@code failOn}. */
    default boolean reaches(ScanReport report, Severity failOn) {
        for (int i = 0; i < report.files().size(); i++) {
            if (!report.files().get(i).failed() && unaccepted(report, i).atLeast(failOn)) {
                return true;
            }
        }
        return false;
    }

    /** How many findings of the report are accepted. */
    default int count(ScanReport report) {
        int n = 0;
        for (int i = 0; i < report.files().size(); i++) {
            for (int k = 0; k < report.files().get(i).findings().size(); k++) {
                if (justification(i, k) != null) {
                    n++;
                }
            }
        }
        return n;
    }
}
