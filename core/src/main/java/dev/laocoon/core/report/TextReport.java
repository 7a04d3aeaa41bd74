package dev.laocoon.core.report;

import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

/** Human-readable output: one line per finding (and per file in verbose mode), then a summary. */
public final class TextReport {
    private final boolean colour;
    private final boolean verbose;

    public TextReport(boolean colour, boolean verbose) {
        this.colour = colour;
        this.verbose = verbose;
    }

    public void write(ScanReport report, Severity failOn, PrintWriter out) {
        write(report, Accepted.NONE, failOn, out);
    }

    /**
     * As {@link #write(ScanReport, Severity, PrintWriter)}; findings {@code accepted} (by a
     * baseline) are listed as accepted with their justification and do not fail the scan.
     */
    public void write(ScanReport report, Accepted accepted, Severity failOn, PrintWriter out) {
        List<FileReport> files = report.files();
        for (int i = 0; i < files.size(); i++) {
            FileReport f = files.get(i);
            if (f.error() != null) {
                out.println(paint("ERROR", 31) + "  " + Printable.of(f.path()) + ": " + Printable.of(f.error()));
                continue;
            }
            int ok = 0;
            for (int k = 0; k < f.findings().size(); k++) {
                ok += accepted.justification(i, k) != null ? 1 : 0;
            }
            if (verbose || f.verdict() != Severity.SAFE) {
                out.println(paint(f.verdictLabel().toUpperCase(), colourOf(f.verdict())) + "  " + Printable.of(f.path())
                        + (f.formats().isEmpty() ? "" : "  (" + f.formatLabel() + ")")
                        + (ok == 0 ? "" : ok == f.findings().size() ? "  [every finding accepted by the baseline]"
                        : "  [" + ok + " of " + f.findings().size() + " findings accepted by the baseline]"));
            }
            for (int k : inFileOrder(f.findings())) {
                Finding x = f.findings().get(k);
                String why = accepted.justification(i, k);
                StringBuilder sb = new StringBuilder("  ");
                sb.append(paint(pad(x.severity().label(), 10), colourOf(x.severity())))
                        .append(' ').append(x.rule().id()).append(' ')
                        .append(Printable.of(x.location().render())).append("  ").append(Printable.of(x.message()));
                if (!x.evidence().isEmpty()) {
                    sb.append("  [").append(Printable.of(x.evidence())).append(']');
                }
                if (why != null) {
                    sb.append("  ACCEPTED: ").append(Printable.of(why));
                }
                out.println(sb);
            }
        }
        Map<Severity, Integer> c = report.countByVerdict();
        StringBuilder s = new StringBuilder();
        s.append(report.files().size()).append(report.files().size() == 1 ? " file" : " files").append(" scanned: ");
        s.append(c.get(Severity.MALICIOUS)).append(" malicious, ")
                .append(c.get(Severity.SUSPICIOUS)).append(" suspicious, ")
                .append(c.get(Severity.NOTICE)).append(" notice, ")
                .append(c.get(Severity.SAFE)).append(" safe");
        if (report.errors() > 0) {
            s.append(", ").append(report.errors()).append(" unreadable");
        }
        long centis = Math.round(report.nanos() / 1e7);
        s.append(" (").append(centis / 100).append('.').append(centis % 100 < 10 ? "0" : "").append(centis % 100).append(" s)");
        out.println(s);
        int pointers = 0;
        for (var f : report.files()) {
            for (var x : f.findings()) {
                if (x.rule() == dev.laocoon.core.finding.Rule.REPO_LFS_POINTER) {
                    pointers++;
                    break;
                }
            }
        }
        if (pointers > 0) {
            out.println(pointers + (pointers == 1 ? " file was" : " files were") + " not scanned: Git LFS pointers whose"
                    + " content was never downloaded (git lfs pull; actions/checkout with lfs: true)");
        }
        int acceptedCount = accepted.count(report);
        if (acceptedCount > 0) {
            out.println(acceptedCount + (acceptedCount == 1 ? " finding is" : " findings are") + " accepted by the"
                    + " baseline: listed as ACCEPTED, verdicts unchanged, not counted for --fail-on");
        }
        if (accepted.reaches(report, failOn)) {
            out.println(paint("FAIL", 31) + ": at least one file is " + failOn.label() + " or worse"
                    + (acceptedCount > 0 ? " (findings the baseline accepts left aside)" : "") + ":");
            int listed = 0;
            int failing = 0;
            for (int i = 0; i < files.size(); i++) {
                FileReport f = files.get(i);
                Severity v = accepted.unaccepted(report, i);
                if (!f.failed() && v.atLeast(failOn)) {
                    failing++;
                    if (listed++ < MAX_LISTED) {
                        out.println("  " + paint(v.label(), colourOf(v)) + "  " + Printable.of(f.path()));
                    }
                }
            }
            if (failing > MAX_LISTED) {
                out.println("  ... and " + (failing - MAX_LISTED) + " more");
            }
        }
        out.flush();
    }

    /**
     * Indices of the findings in the order of their place in the file: member path, then pickle,
     * then byte offset (findings without an offset first); rules in their order among equals.
     */
    static Integer[] inFileOrder(List<Finding> findings) {
        Integer[] order = new Integer[findings.size()];
        for (int k = 0; k < order.length; k++) {
            order[k] = k;
        }
        java.util.Arrays.sort(order, new java.util.Comparator<Integer>() { // not a lambda: start-up time
            @Override
            public int compare(Integer a, Integer b) {
                var x = findings.get(a).location();
                var y = findings.get(b).location();
                int c = x.memberPath().compareTo(y.memberPath());
                if (c == 0) {
                    c = Integer.compare(x.pickleIndex(), y.pickleIndex());
                }
                return c != 0 ? c : Long.compare(x.offset(), y.offset());
            }
        });
        return order;
    }

    /** Failing files named at the end of the report; the rest are counted. */
    private static final int MAX_LISTED = 50;

    private static String pad(String s, int n) {
        return s.length() >= n ? s : s + " ".repeat(n - s.length());
    }

    private static int colourOf(Severity s) {
        if (s == null) {
            return 31;
        }
        return switch (s) {
            case SAFE -> 32;
            case NOTICE -> 36;
            case SUSPICIOUS -> 33;
            case MALICIOUS -> 31;
        };
    }

    private String paint(String s, int code) {
        return colour ? "\u001b[" + code + "m" + s + "\u001b[0m" : s;
    }
}
