package dev.laocoon.cli;

import dev.laocoon.core.explain.PickleExplainer;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.pickle.PickleMachine;
import dev.laocoon.core.pickle.PickleTrace;
import dev.laocoon.core.scan.FileReport;
import dev.laocoon.core.scan.Scanner;
import dev.laocoon.core.source.FileByteSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "explain", mixinStandardHelpOptions = true,
        description = "Show what a loader would do with FILE, as pseudo-Python, with findings marked inline.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:explained", "2:usage or I/O error"})
final class ExplainCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "The model file to explain.")
    Path file;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(file)) {
            System.err.println("laocoon explain: " + file + ": not a regular file");
            return Main.ERROR;
        }
        Scanner scanner = new Scanner(common.knowledgeBase(), common.limits());
        FileReport report = scanner.scanFile(file, file.toString());
        if (report.error() != null) {
            System.err.println("laocoon explain: " + file + ": " + report.error());
            return Main.ERROR;
        }
        if (!report.format().equals("pickle")) {
            System.out.println("# " + file + ": not a pickle (format " + report.format()
                    + "); nothing a loader would run was found. Verdict: " + report.verdictLabel());
            return Main.OK;
        }
        PickleTrace trace;
        try (FileByteSource src = new FileByteSource(file)) {
            trace = PickleMachine.run(src, 0, common.limits());
        }
        System.out.print(PickleExplainer.explain(trace, report.findings(), Location.of(file.toString())));
        System.out.println("\n# verdict: " + report.verdictLabel());
        return Main.OK;
    }
}
