package dev.laocoon.cli;

import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.report.JsonReport;
import dev.laocoon.core.report.TextReport;
import dev.laocoon.core.scan.ScanReport;
import dev.laocoon.core.scan.Scanner;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "scan", mixinStandardHelpOptions = true,
        description = "Scan model files and directories (recursively) and judge each file.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:no file reached --fail-on", "1:a file reached --fail-on",
                        "2:usage or I/O error (and nothing reached --fail-on)"})
final class ScanCommand implements Callable<Integer> {

    enum Format { text, json }

    @Parameters(paramLabel = "PATH", arity = "1..*", description = "Files or directories to scan.")
    List<Path> paths;

    @Option(names = {"-f", "--format"}, defaultValue = "text", description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = "--fail-on", defaultValue = "suspicious", paramLabel = "SEVERITY",
            description = "Exit 1 when a file's verdict is at least this: notice, suspicious or malicious (default: ${DEFAULT-VALUE}).")
    String failOn;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the report to FILE instead of standard output.")
    Path output;

    @Option(names = {"-v", "--verbose"}, description = "Text output: also list files with no findings.")
    boolean verbose;

    @Option(names = "--no-color", description = "Never colour text output (colour is used only on a terminal).")
    boolean noColor;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws IOException {
        Severity gate;
        try {
            gate = Severity.parse(failOn);
        } catch (IllegalArgumentException e) {
            System.err.println("laocoon scan: --fail-on: " + e.getMessage());
            return Main.ERROR;
        }
        if (gate == Severity.SAFE) {
            System.err.println("laocoon scan: --fail-on safe would fail every scan; use notice, suspicious or malicious");
            return Main.ERROR;
        }
        ScanReport report;
        try {
            report = new Scanner(common.knowledgeBase(), common.limits()).scan(paths);
        } catch (NoSuchFileException e) {
            System.err.println("laocoon scan: " + e.getFile() + ": no such file or directory");
            return Main.ERROR;
        } catch (IllegalArgumentException e) {
            System.err.println("laocoon scan: " + e.getMessage());
            return Main.ERROR;
        }
        Writer w = output == null
                ? new OutputStreamWriter(System.out, StandardCharsets.UTF_8)
                : Files.newBufferedWriter(output, StandardCharsets.UTF_8);
        try {
            if (format == Format.json) {
                JsonReport.write(report, gate, Main.version(), w);
                w.write('\n');
            } else {
                boolean colour = output == null && !noColor && System.console() != null
                        && System.getenv("NO_COLOR") == null && !"dumb".equals(System.getenv("TERM"));
                new TextReport(colour, verbose).write(report, gate, new PrintWriter(w));
            }
            w.flush();
        } finally {
            if (output != null) {
                w.close(); // standard output stays open
            }
        }
        for (var f : report.files()) {
            if (f.error() != null) {
                System.err.println("laocoon scan: " + f.path() + ": " + f.error());
            }
        }
        if (report.reaches(gate)) {
            return Main.FOUND;
        }
        return report.errors() > 0 ? Main.ERROR : Main.OK;
    }
}
