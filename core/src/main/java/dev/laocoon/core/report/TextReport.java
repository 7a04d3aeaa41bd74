package dev.laocoon.core.report;

import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import java.io.PrintWriter;
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
        for (FileReport f : report.files()) {
            if (f.error() != null) {
                out.println(paint("ERROR", 31) + "  " + Printable.of(f.path()) + ": " + Printable.of(f.error()));
                continue;
            }
            if (verbose || f.verdict() != Severity.SAFE) {
                out.println(paint(f.verdictLabel().toUpperCase(), colourOf(f.verdict())) + "  " + Printable.of(f.path())
                        + (f.formats().isEmpty() ? "" : "  (" + f.formatLabel() + ")"));
            }
            for (Finding x : f.findings()) {
                StringBuilder sb = new StringBuilder("  ");
                sb.append(paint(pad(x.severity().label(), 10), colourOf(x.severity())))
                        .append(' ').append(x.rule().id()).append(' ')
                        .append(Printable.of(x.location().render())).append("  ").append(Printable.of(x.message()));
                if (!x.evidence().isEmpty()) {
                    sb.append("  [").append(Printable.of(x.evidence())).append(']');
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
        if (report.reaches(failOn)) {
            out.println(paint("FAIL", 31) + ": at least one file is " + failOn.label() + " or worse");
        }
        out.flush();
    }

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
