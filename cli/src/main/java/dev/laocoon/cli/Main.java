package dev.laocoon.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code laocoon} command. */
@Command(name = "laocoon", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Finds code hidden in machine-learning model files without running anything.",
        subcommands = {ScanCommand.class, ExplainCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:no file reached --fail-on", "1:a file reached --fail-on", "2:usage or I/O error"})
public final class Main implements Runnable {
    public static final int OK = 0;
    public static final int FOUND = 1;
    public static final int ERROR = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: use 'scan' or 'explain'");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code (used by tests). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            cmd.getErr().println("laocoon: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            return ERROR;
        });
        return cl.execute(args);
    }

    static String version() {
        Package p = Main.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v == null ? "0.1.0-dev" : v;
    }

    /** Reports the version from the jar manifest. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"laocoon " + version()};
        }
    }
}
