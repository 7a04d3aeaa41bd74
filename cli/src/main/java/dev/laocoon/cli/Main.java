package dev.laocoon.cli;

import dev.laocoon.core.explain.PickleExplainer;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.kb.KnowledgeBase;
import dev.laocoon.core.ScanLimits;
import dev.laocoon.core.report.JsonReport;
import dev.laocoon.core.report.Printable;
import dev.laocoon.core.report.TextReport;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.Scanner;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Entry point of the {@code laocoon} command: {@code scan} and {@code explain}. */
public final class Main {
    public static final int OK = 0;
    public static final int FOUND = 1;
    public static final int ERROR = 2;

    private static final String DESCRIPTION =
            "Finds code hidden in machine-learning model files without running anything.";

    private static final List<Args.Option> COMMON = List.of(
            new Args.Option(List.of("--policy"), "FILE",
                    "Policy file that adds or overrides knowledge-base entries (README: Policy files)."),
            new Args.Option(List.of("--max-seconds"), "N",
                    "Time limit per file in seconds (default 60); hitting it makes the file suspicious."),
            new Args.Option(List.of("-h", "--help"), null, "Show this help and exit."));

    private static final List<Args.Option> SCAN = concat(List.of(
            new Args.Option(List.of("-f", "--format"), "FORMAT", "Output format: text, json, sarif, gitlab-sast or cyclonedx (default text)."),
            new Args.Option(List.of("--fail-on"), "SEVERITY",
                    "Exit 1 when a file's verdict is at least this: notice, suspicious (default) or malicious."),
            new Args.Option(List.of("-o", "--output"), "FILE", "Write the report to FILE instead of standard output."),
            new Args.Option(List.of("-v", "--verbose"), null, "Text output: also list files with no findings."),
            new Args.Option(List.of("--baseline"), "FILE",
                    "Accept the findings listed in FILE (by fingerprint, each with a justification): they are reported"
                    + " as accepted and do not count for --fail-on."),
            new Args.Option(List.of("--write-baseline"), "FILE",
                    "Write the findings of this scan to FILE as a baseline; fill in each justification before using it."),
            new Args.Option(List.of("--allow-malicious-baseline"), null,
                    "Let --write-baseline and --baseline accept malicious findings too (never by default)."),
            new Args.Option(List.of("--include"), "GLOB",
                    "Only scan files whose path in the tree (or name) matches GLOB; repeatable."),
            new Args.Option(List.of("--exclude"), "GLOB",
                    "Skip files whose path in the tree (or name) matches GLOB, and folders it names; repeatable."),
            new Args.Option(List.of("--allow-host"), "HOST[:PORT]",
                    "Let remote PATHs reach HOST (a name or literal address; with :PORT that port only) although it"
                    + " is loopback or private; repeatable. Link-local and cloud metadata addresses are never reached"
                    + " otherwise."),
            new Args.Option(List.of("--allow-private"), null,
                    "Let remote PATHs reach private and unique-local addresses (not loopback or link-local)."),
            new Args.Option(List.of("--hub-url"), "URL",
                    "The hub hf:// PATHs are read from (default $HF_ENDPOINT, else https://huggingface.co)."),
            new Args.Option(List.of("--token-file"), "FILE",
                    "Read the hub token from FILE (default $HF_TOKEN); it is sent to the hub's host only."),
            new Args.Option(List.of("--s3-endpoint"), "URL",
                    "The S3 server of s3:// PATHs (MinIO, Ceph, R2; default $AWS_ENDPOINT_URL_S3, else AWS)."),
            new Args.Option(List.of("--s3-region"), "REGION", "The S3 region (default $AWS_REGION, else us-east-1)."),
            new Args.Option(List.of("--s3-path-style"), null,
                    "Address buckets as a path (https://host/bucket/key), as MinIO and most other servers need."),
            new Args.Option(List.of("--sha256"), null,
                    "Hash every file whole and report its SHA-256 (a full read of each file; remote files keep"
                    + " the hub's claimed hash unless read whole)."),
            new Args.Option(List.of("--follow-symlinks"), null,
                    "Follow symbolic links that leave a scanned folder and scan the files they name (Hugging Face"
                    + " cache snapshots are always followed into their blobs)."),
            new Args.Option(List.of("--no-color"), null,
                    "Never colour text output (colour is used only on a terminal)."),
            new Args.Option(List.of("--server"), "URL",
                    "Send the files to a running 'laocoon serve' at URL instead of scanning here (token in"
                    + " LAOCOON_TOKEN); same output and exit codes.")), COMMON);

    private static final List<Args.Option> AUDIT = concat(List.of(
            new Args.Option(List.of("-f", "--format"), "FORMAT", "Output format: text, json, sarif, gitlab-sast or cyclonedx (default text)."),
            new Args.Option(List.of("--fail-on"), "SEVERITY",
                    "Exit 1 when a file's verdict is at least this: notice, suspicious (default) or malicious."),
            new Args.Option(List.of("-o", "--output"), "FILE", "Write the report to FILE instead of standard output."),
            new Args.Option(List.of("-v", "--verbose"), null, "Text output: also list files with no findings."),
            new Args.Option(List.of("--baseline"), "FILE",
                    "Accept the findings listed in FILE (as for scan): reported as accepted, not counted for --fail-on."),
            new Args.Option(List.of("--write-baseline"), "FILE",
                    "Write the findings of this audit to FILE as a baseline; fill in each justification before using it."),
            new Args.Option(List.of("--allow-malicious-baseline"), null,
                    "Let --write-baseline and --baseline accept malicious findings (the chain link) too."),
            new Args.Option(List.of("--include"), "GLOB", "Only audit files whose path in the tree (or name) matches GLOB; repeatable."),
            new Args.Option(List.of("--exclude"), "GLOB", "Skip files and folders GLOB names; repeatable."),
            new Args.Option(List.of("--no-color"), null, "Never colour text output (colour is used only on a terminal).")), COMMON);

    private static final String MAIN_HELP = "Usage: laocoon COMMAND [OPTIONS] ...\n\n" + DESCRIPTION + "\n\n"
            + "Commands:\n"
            + "  scan PATH...    Scan model files and directories (recursively) and judge each file.\n"
            + "  audit PATH...   Audit Kubernetes manifests, Dockerfiles and CI workflows around the models.\n"
            + "  explain FILE    Show what a loader would do with FILE, as pseudo-Python.\n"
            + "  convert FILE -o OUT.safetensors\n"
            + "                  Convert a PyTorch checkpoint or NumPy arrays to safetensors without running it.\n"
            + "  inspect FILE    List the tensors of a checkpoint, NumPy or safetensors file.\n"
            + "  sign MODEL -o BUNDLE --private-key KEY.pem\n"
            + "                  Sign a model (folder or file) into an OpenSSF Model Signing bundle.\n"
            + "  verify MODEL --signature BUNDLE --public-key KEY.pem|--certificate-chain CA.pem|--trust-root FILE\n"
            + "                  Verify a model against an OpenSSF Model Signing bundle.\n"
            + "  gate SRC DEST   Put the model at SRC into DEST only if it passes the scan and the serving policy.\n"
            + "  selftest        Scan built-in samples and check the verdicts (verifies an installation).\n"
            + "  help [COMMAND]  Show help.\n\n"
            + "Options:\n  -h, --help      Show this help.\n  -V, --version   Show the version.\n\n"
            + "Exit codes of scan (other commands: see 'laocoon help COMMAND'):\n"
            + "  0  no file reached --fail-on\n  1  a file reached --fail-on\n"
            + "  2  usage or I/O error (and nothing reached --fail-on)\n";

    /** The report formats of {@code scan --format}. */
    static final List<String> FORMATS = List.of("text", "json", "sarif", "gitlab-sast", "cyclonedx");

    private final PrintStream out;
    private final PrintStream err;

    private Main(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        // The launcher asks for 10 + the code, so that a Java VM that failed on its own (exit 1
        // when it cannot start, 134 when it crashes) is never taken for "a file reached --fail-on".
        int base = Integer.getInteger("laocoon.exit.base", 0);
        int code;
        try {
            code = execute(args);
        } catch (OutOfMemoryError e) {
            System.err.println("laocoon: out of memory (" + e.getMessage() + "); raise -Xmx through LAOCOON_JAVA_OPTS");
            code = ERROR;
        } catch (RuntimeException | Error e) {
            System.err.println("laocoon: internal error: " + e);
            code = ERROR;
        }
        System.out.flush();
        System.exit(base + code);
    }

    /** Runs the command line and returns the exit code (used by tests). */
    public static int execute(String... args) {
        return new Main(System.out, System.err).run(Arrays.asList(args));
    }

    private int run(List<String> argv) {
        if (argv.isEmpty()) {
            err.print(MAIN_HELP);
            return ERROR;
        }
        String cmd = argv.get(0);
        List<String> rest = argv.subList(1, argv.size());
        try {
            switch (cmd) {
                case "scan":
                    return scan(rest, false);
                case "audit":
                    return scan(rest, true);
                case "explain":
                    return explain(rest);
                case "convert":
                    return new ConvertCommands(out, err).convert(rest);
                case "inspect":
                    return new ConvertCommands(out, err).inspect(rest);
                case "gate":
                    return new GateCommand(out, err).run(rest);
                case "sign":
                    return new SignCommands(out, err).sign(rest);
                case "verify":
                    return new SignCommands(out, err).verify(rest);
                case "help":
                    return help(rest);
                case "selftest":
                    if (!rest.isEmpty()) {
                        if (rest.get(0).equals("--help") || rest.get(0).equals("-h")) {
                            out.println("Usage: laocoon selftest\n\nWrites a small sample of every format Laocoon reads to a"
                                    + " temporary folder, scans them and checks formats and verdicts.\nExit codes: 0 ok, 2 failed.");
                            return OK;
                        }
                        throw new Args.UsageException("selftest takes no arguments");
                    }
                    return selftest();
                case "-h":
                case "--help":
                    out.print(MAIN_HELP);
                    return OK;
                case "-V":
                case "--version":
                    out.println("laocoon " + version());
                    return OK;
                default:
                    throw new Args.UsageException("unknown command '" + cmd + "' (expected scan, audit, explain, convert, inspect, sign, verify or gate)");
            }
        } catch (Args.UsageException e) {
            err.println("laocoon: " + e.getMessage());
            err.println("Run 'laocoon " + (List.of("scan", "audit", "explain", "convert", "inspect", "sign", "verify", "gate").contains(cmd) ? cmd + " " : "")
                    + "--help' for usage.");
            return ERROR;
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            String m = e instanceof UncheckedIOException u ? u.getCause().getMessage() : e.getMessage();
            err.println("laocoon: " + m);
            return ERROR;
        }
    }

    private int help(List<String> rest) {
        if (rest.isEmpty()) {
            out.print(MAIN_HELP);
        } else if (rest.get(0).equals("scan")) {
            out.print(scanUsage());
        } else if (rest.get(0).equals("audit")) {
            out.print(auditUsage());
        } else if (rest.get(0).equals("explain")) {
            out.print(explainUsage());
        } else if (rest.get(0).equals("convert")) {
            out.print(ConvertCommands.convertUsage());
        } else if (rest.get(0).equals("inspect")) {
            out.print(ConvertCommands.inspectUsage());
        } else if (rest.get(0).equals("gate")) {
            out.print(GateCommand.usage());
        } else if (rest.get(0).equals("sign")) {
            out.print(SignCommands.signUsage());
        } else if (rest.get(0).equals("verify")) {
            out.print(SignCommands.verifyUsage());
        } else {
            err.println("laocoon: no help for '" + rest.get(0) + "'");
            return ERROR;
        }
        return OK;
    }

    private static String scanUsage() {
        return Args.usage("laocoon scan [OPTIONS] PATH...",
                "Scan model files and directories (recursively) and judge each file.", SCAN)
                + "\nExit codes:\n  0  no file reached --fail-on\n  1  a file reached --fail-on\n"
                + "  2  usage or I/O error (and nothing reached --fail-on)\n";
    }

    private static String auditUsage() {
        return Args.usage("laocoon audit [OPTIONS] PATH...",
                "Audit the configuration around the models: Kubernetes manifests (pods, workloads, KServe"
                + "\nInferenceServices, ServiceAccounts, NetworkPolicies), Dockerfiles and CI workflows (GitHub Actions,"
                + "\nGitLab CI), found in the folders given (recursively) by name and content. Model files the"
                + "\nmanifests name are scanned to link them (LAO950). Needs the audit module (README: laocoon audit).", AUDIT)
                + "\nExit codes:\n  0  no file reached --fail-on\n  1  a file reached --fail-on\n"
                + "  2  usage or I/O error, or the audit module is missing (and nothing reached --fail-on)\n";
    }

    /** Where the launcher finds the audit module, and how it is built. */
    static final String AUDIT_MISSING = "the audit module is not on the class path: build it with"
            + " './mvnw -B -DskipTests package' in the project (it makes audit/target/laocoon-audit.jar, which the"
            + " ./laocoon launcher adds to the class path), or run java -cp laocoon.jar:laocoon-audit.jar dev.laocoon.cli.Main";

    private static String explainUsage() {
        return Args.usage("laocoon explain [OPTIONS] FILE",
                "Show what a loader would do with FILE, as pseudo-Python, with findings marked inline.", COMMON)
                + "\nExit codes:\n  0  explained\n  2  usage or I/O error\n";
    }

    // ------------------------------------------------------------------ scan

    private int scan(List<String> argv, boolean auditOnly) throws Args.UsageException, IOException {
        Args a = Args.parse(auditOnly ? AUDIT : SCAN, argv);
        String cmd = auditOnly ? "audit" : "scan";
        if (a.flag("--help")) {
            out.print(auditOnly ? auditUsage() : scanUsage());
            return OK;
        }
        String format = a.value("--format", "text");
        if (!FORMATS.contains(format)) {
            throw new Args.UsageException("--format: expected " + String.join(", ", FORMATS) + ", got '" + format + "'");
        }
        Severity gate;
        try {
            gate = Severity.parse(a.value("--fail-on", "suspicious"));
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("--fail-on: " + e.getMessage());
        }
        if (gate == Severity.SAFE) {
            throw new Args.UsageException("--fail-on safe would fail every scan; use notice, suspicious or malicious");
        }
        if (a.positionals().isEmpty()) {
            throw new Args.UsageException(cmd + " needs at least one PATH");
        }
        List<Path> paths = new ArrayList<>();
        List<java.net.URI> urls = new ArrayList<>();
        List<String> hubRefs = new ArrayList<>();
        List<String> objectUrls = new ArrayList<>();
        int stdin = -1; // where '-' (standard input) is among the arguments
        for (String p : a.positionals()) {
            String lower = p.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("s3://")) {
                objectUrls.add(p);
            } else if (lower.startsWith("hf://")) {
                try {
                    dev.laocoon.core.source.remote.HubClient.parse(p);
                } catch (IllegalArgumentException e) {
                    throw new Args.UsageException(e.getMessage());
                }
                hubRefs.add(p);
            } else if (lower.startsWith("http://") || lower.startsWith("https://")) {
                try {
                    urls.add(new java.net.URI(p));
                } catch (java.net.URISyntaxException e) {
                    throw new Args.UsageException("not a valid URL: " + p + " (" + e.getReason() + ")");
                }
            } else if (p.equals("-")) {
                if (stdin >= 0) {
                    throw new Args.UsageException("'-' (standard input) can be given once");
                }
                stdin = paths.size();
            } else {
                paths.add(Path.of(p));
            }
        }
        if (auditOnly && (stdin >= 0 || !urls.isEmpty() || !hubRefs.isEmpty() || !objectUrls.isEmpty())) {
            throw new Args.UsageException("audit takes files and folders, not standard input or URLs");
        }
        // the audit module, looked for only when asked or when a folder is scanned: a scan of model
        // files alone loads none of it (nor ServiceLoader)
        dev.laocoon.core.audit.Auditor auditor = null;
        if (auditOnly) {
            auditor = dev.laocoon.core.audit.Auditor.find();
            if (auditor == null) {
                err.println("laocoon audit: " + AUDIT_MISSING);
                return ERROR;
            }
        } else {
            for (Path p : paths) {
                if (Files.isDirectory(p)) {
                    auditor = dev.laocoon.core.audit.Auditor.find();
                    break;
                }
            }
        }
        if (!auditOnly) {
            Startup.anticipate(paths);
        }
        ScanReport report;
        // A progress line on stderr only when a person is watching a terminal.
        // (the launcher says which of its outputs are terminals: Java itself only knows whether stdin and stdout both are)
        boolean tty = terminal("err") && err == System.err && System.getenv("CI") == null;
        Scanner.Progress progress = !tty ? null : (done, total) -> {
            if (total > 1 && (done == total || done % 10 == 0)) {
                synchronized (err) {
                    err.print("\rscanned " + done + "/" + total + " files" + (done == total ? "\n" : ""));
                    err.flush();
                }
            }
        };
        // a bill of materials lists each file's SHA-256: only then is every file read to its end
        String writeBaseline = a.value("--write-baseline", null);
        String baselineFile = a.value("--baseline", null);
        boolean allowMalicious = a.flag("--allow-malicious-baseline");
        dev.laocoon.core.report.Baseline baseline = null;
        if (baselineFile != null) {
            // read before scanning: a baseline that cannot be used is a usage error, not a late surprise
            if (!Files.isRegularFile(Path.of(baselineFile))) {
                throw new IOException("baseline file not found: " + baselineFile);
            }
            baseline = dev.laocoon.core.report.Baseline.read(Path.of(baselineFile));
        }
        String server = a.value("--server", null);
        Scanner scanner = null;
        if (server != null) {
            // the service scans (README: laocoon serve); the report is rendered here as a local one
            if (!urls.isEmpty() || !hubRefs.isEmpty() || !objectUrls.isEmpty() || stdin >= 0) {
                throw new Args.UsageException("--server sends local files; remote PATHs and '-' are not sent");
            }
            if (!a.all("--include").isEmpty() || !a.all("--exclude").isEmpty() || a.flag("--follow-symlinks")
                    || a.value("--policy", null) != null || a.value("--max-seconds", null) != null) {
                throw new Args.UsageException("--server does not take --include, --exclude, --follow-symlinks, --policy"
                        + " or --max-seconds (the service's settings and the tenant's policy apply)");
            }
            String token = System.getenv("LAOCOON_TOKEN");
            if (token == null || token.isBlank()) {
                throw new Args.UsageException("--server needs the tenant's token in the environment variable LAOCOON_TOKEN");
            }
            report = new ServerScan(server, token.trim()).scan(paths);
        } else {
            // baselines fingerprint each file's whole content; a bill of materials lists it
            Scanner local = scanner(a, format.equals("cyclonedx") || writeBaseline != null || baseline != null
                    || a.flag("--sha256"));
            scanner = local;
            if (auditOnly) {
                report = auditor.audit(paths, a.all("--include"), a.all("--exclude"), new java.util.function.Function<Path, FileReport>() {
                    @Override
                    public FileReport apply(Path model) {
                        return local.scan(model, model.toString());
                    }
                });
            } else {
                report = scanner.scan(paths, a.all("--include"), a.all("--exclude"), progress);
                if (auditor != null) {
                    report = auditor.merge(report, paths); // manifests, Dockerfiles and workflows of the tree
                }
            }
        }
        if (stdin >= 0) {
            // spooled within ScanLimits.maxSpoolBytes; its report stands where '-' was given
            List<FileReport> files = new ArrayList<>(report.files());
            int at = 0;
            for (int i = 0; i < stdin; i++) {
                String arg = paths.get(i).toString();
                while (at < files.size() && (files.get(at).path().equals(arg) || files.get(at).path().startsWith(arg
                        + java.io.File.separator))) {
                    at++;
                }
            }
            files.add(at, scanner.scan(System.in, "-"));
            report = new ScanReport(files, report.nanos());
        }
        if (!urls.isEmpty() || !hubRefs.isEmpty() || !objectUrls.isEmpty()) {
            report = new RemoteCommands().scan(scanner, report, urls, hubRefs, objectUrls, a);
        }
        if (writeBaseline != null) {
            var written = dev.laocoon.core.report.Baseline.write(report, paths, Path.of(writeBaseline), allowMalicious,
                    baseline);
            err.println("laocoon " + cmd + ": wrote " + written.entries() + " findings to " + writeBaseline
                    + (baseline == null ? " with empty justifications" : " (justifications of --baseline kept, new ones empty)")
                    + ": write why each is acceptable before using it as --baseline");
            if (!written.maliciousLeftOut().isEmpty()) {
                err.println("laocoon " + cmd + ": " + written.maliciousLeftOut().size() + " malicious findings were left out"
                        + " (baselining them needs --allow-malicious-baseline): "
                        + String.join(", ", written.maliciousLeftOut().subList(0, Math.min(10, written.maliciousLeftOut().size())))
                        + (written.maliciousLeftOut().size() > 10 ? ", ..." : ""));
            }
        }
        dev.laocoon.core.report.Accepted accepted = dev.laocoon.core.report.Accepted.NONE;
        int acceptedByBaseline = 0;
        if (baseline != null) {
            var applied = baseline.apply(report, paths, allowMalicious);
            accepted = applied;
            acceptedByBaseline = applied.accepted();
            for (String m : applied.maliciousRefused()) {
                err.println("laocoon " + cmd + ": the baseline accepts a malicious finding, " + Printable.of(m)
                        + "; it still fails the scan unless --allow-malicious-baseline is given");
            }
        }
        String output = a.value("--output", null);
        Writer w;
        try {
            w = output == null ? new OutputStreamWriter(out, StandardCharsets.UTF_8)
                    : Files.newBufferedWriter(Path.of(output), StandardCharsets.UTF_8);
        } catch (IOException e) {
            // the scan ran: say what it found, since its report cannot be written
            err.println("laocoon " + cmd + ": cannot write the report to " + output + " ("
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such directory"
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage()) + ")");
            err.println("laocoon " + cmd + ": " + report.files().size() + " files scanned; "
                    + (accepted.reaches(report, gate) ? "at least one is " + gate.label() + " or worse"
                    : "none reached --fail-on"));
            return ERROR;
        }
        try {
            if (format.equals("json")) {
                JsonReport.write(report, accepted, baseline != null, gate, version(), w);
                w.write('\n');
            } else if (format.equals("cyclonedx")) {
                dev.laocoon.core.report.CycloneDxReport.write(report, accepted, version(), docsBase(), java.time.Instant.now(),
                        java.util.UUID.randomUUID(), w);
                w.write('\n');
            } else if (format.equals("gitlab-sast")) {
                dev.laocoon.core.report.GitlabSastReport.write(report, accepted, paths, version(), docsBase(),
                        java.time.Instant.now(), w);
                w.write('\n');
            } else if (format.equals("sarif")) {
                String docs = System.getenv("LAOCOON_DOCS_URL");
                dev.laocoon.core.report.SarifReport.write(report, accepted, paths, version(),
                        new dev.laocoon.core.report.SarifReport.Options(auditor == null
                                ? dev.laocoon.core.finding.RuleCatalog.builtIn()
                                : dev.laocoon.core.finding.RuleCatalog.builtIn().with(auditor.rules()),
                                docs == null || docs.isBlank() ? dev.laocoon.core.report.SarifReport.DEFAULT_DOCS : docs), w);
                w.write('\n');
            } else {
                boolean colour = output == null && out == System.out && !a.flag("--no-color")
                        && terminal("out") && (System.getenv("NO_COLOR") == null || System.getenv("NO_COLOR").isEmpty())
                        && !"dumb".equals(System.getenv("TERM"));
                new TextReport(colour, a.flag("--verbose")).write(report, accepted, gate, new PrintWriter(w));
            }
            w.flush();
        } finally {
            if (output != null) {
                w.close(); // standard output stays open
            }
        }
        for (FileReport f : report.files()) {
            if (f.error() != null) {
                err.println("laocoon " + cmd + ": " + Printable.of(f.path()) + ": " + Printable.of(f.error()));
            }
        }
        if (baselineFile != null) {
            err.println("laocoon " + cmd + ": " + acceptedByBaseline + " findings accepted by the baseline " + baselineFile
                    + " (reported as accepted; they do not count for --fail-on)");
        }
        if (accepted.reaches(report, gate)) {
            return FOUND;
        }
        return report.errors() > 0 ? ERROR : OK;
    }

    // ------------------------------------------------------------------ explain

    private int explain(List<String> argv) throws Args.UsageException, IOException {
        Args a = Args.parse(COMMON, argv);
        if (a.flag("--help")) {
            out.print(explainUsage());
            return OK;
        }
        if (a.positionals().size() != 1) {
            throw new Args.UsageException("explain needs exactly one FILE");
        }
        Path file = Path.of(a.positionals().get(0));
        if (!Files.isRegularFile(file)) {
            err.println("laocoon explain: " + file + ": not a regular file");
            return ERROR;
        }
        Scanner.Explained x = scanner(a).explain(file, file.toString());
        FileReport report = x.report();
        if (x.traces().isEmpty()) {
            out.println("# " + Printable.of(file.toString()) + ": no pickle inside (format " + report.formatLabel()
                    + "), so there is no pickle program to show. " + (report.findings().isEmpty()
                    ? "Verdict: " + report.verdictLabel() + "."
                    : "Verdict: " + report.verdictLabel() + ", from these findings (see 'laocoon scan'):"));
            report.findings().forEach(this::printFindingComment);
            return OK;
        }
        List<dev.laocoon.core.finding.Finding> remaining = new ArrayList<>(report.findings());
        for (var t : x.traces()) {
            List<dev.laocoon.core.finding.Finding> mine = new ArrayList<>();
            remaining.removeIf(f -> {
                boolean m = f.location().members().size() >= t.getKey().members().size()
                        && f.location().members().subList(0, t.getKey().members().size()).equals(t.getKey().members());
                if (m) {
                    mine.add(f);
                }
                return m;
            });
            out.print(Printable.lines(PickleExplainer.explain(t.getValue(), mine, t.getKey())));
            out.println();
        }
        remaining.forEach(this::printFindingComment);
        out.println("# format: " + report.formatLabel() + ", verdict: " + report.verdictLabel());
        return OK;
    }

    private void printFindingComment(dev.laocoon.core.finding.Finding f) {
        out.println("# " + f.severity().label().toUpperCase() + " " + f.rule().id() + " "
                + Printable.of(f.location().render()) + ": " + Printable.of(f.message()));
    }

    // ------------------------------------------------------------------ selftest

    /**
     * Writes a small sample of every format Laocoon reads ({@link Samples}) to a temporary folder,
     * scans each and checks its format, and the verdicts of a shell-command pickle, plain data and
     * PyTorch checkpoints with and without a payload. Also used by the launcher to record a
     * class-data-sharing archive: the samples go through the scan, explain and inspect commands as
     * a user's runs do, so that every class a scan of any format loads is then mapped instead.
     */
    private int selftest() throws IOException {
        Path dir = Files.createTempDirectory("laocoon-selftest");
        List<String> problems = new ArrayList<>();
        try {
            java.util.Map<String, String> expected = Samples.write(dir);
            // with the command line's executor, as a scan has it: the knowledge-base preload then
            // runs here too, and every class of a scan is in the launcher's archive
            Scanner scanner = Scanner.builder().executor(Startup.executor()).build();
            for (var e : expected.entrySet()) {
                FileReport r = scanner.scan(List.of(dir.resolve(e.getKey()))).files().get(0);
                if (!r.formatLabel().equals(e.getValue())) {
                    problems.add(e.getKey() + ": format " + r.formatLabel() + ", expected " + e.getValue());
                }
                Severity want = switch (e.getKey()) {
                    case "evil.pkl", "model.pt" -> Severity.MALICIOUS;
                    case "data.pkl", "weights.pt" -> Severity.SAFE;
                    default -> null;
                };
                if (want != null && r.verdict() != want) {
                    problems.add(e.getKey() + ": verdict " + r.verdictLabel() + ", expected " + want.label());
                }
            }
            PrintStream sink = new PrintStream(java.io.OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
            Main quiet = new Main(sink, sink);
            quiet.run(List.of("scan", dir.resolve("data.pkl").toString()));
            for (String format : FORMATS) { // every writer's classes go into the launcher's archive
                quiet.run(List.of("scan", "--format", format, dir.toString()));
            }
            quiet.run(List.of("explain", dir.resolve("model.pt").toString()));
            quiet.run(List.of("inspect", dir.resolve("weights.pt").toString()));
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
        out.println(problems.isEmpty() ? "selftest ok" : "selftest FAILED:\n  " + String.join("\n  ", problems));
        return problems.isEmpty() ? OK : ERROR;
    }

    // ------------------------------------------------------------------ shared

    static KnowledgeBase knowledgeBase(Args a) throws IOException {
        KnowledgeBase kb = KnowledgeBase.builtin();
        String policy = a.value("--policy", null);
        if (policy != null) {
            Path p = Path.of(policy);
            if (!Files.isRegularFile(p)) {
                throw new IOException("policy file not found: " + policy);
            }
            kb = kb.withPolicy(p);
        }
        return kb;
    }

    /** The scanner a command's options ask for; tree scans and the knowledge-base preload use the CLI's pool. */
    static Scanner scanner(Args a) throws Args.UsageException, IOException {
        return scanner(a, false);
    }

    static Scanner scanner(Args a, boolean contentHash) throws Args.UsageException, IOException {
        return Scanner.builder().knowledgeBase(knowledgeBase(a)).limits(limits(a)).executor(Startup.executor())
                .contentHash(contentHash).followSymlinks(a.flag("--follow-symlinks")).build();
    }

    private static ScanLimits limits(Args a) throws Args.UsageException {
        String s = a.value("--max-seconds", "60");
        long n;
        try {
            n = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new Args.UsageException("--max-seconds: expected a whole number of seconds, got '" + s + "'");
        }
        if (n < 1) {
            throw new Args.UsageException("--max-seconds: must be at least 1");
        }
        return ScanLimits.DEFAULT.withMaxTimePerFile(Duration.ofSeconds(n));
    }

    /**
     * Whether standard output ({@code "out"}) or standard error ({@code "err"}) is a terminal: the
     * launcher tests it ({@code [ -t 1 ]}, {@code [ -t 2 ]}) and passes {@code -Dlaocoon.tty.out}
     * and {@code -Dlaocoon.tty.err}; without it, {@link System#console()} (stdin and stdout both terminals).
     */
    static boolean terminal(String stream) {
        String v = System.getProperty("laocoon.tty." + stream);
        return v != null ? v.equals("true") : System.console() != null;
    }

    /** Where rule pages are published: LAOCOON_DOCS_URL, or the built-in base. */
    static String docsBase() {
        String docs = System.getenv("LAOCOON_DOCS_URL");
        return docs == null || docs.isBlank() ? dev.laocoon.core.report.SarifReport.DEFAULT_DOCS : docs;
    }

    static String version() {
        Package p = Main.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v == null ? "0.1.0-dev" : v;
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> l = new ArrayList<>(a);
        l.addAll(b);
        return List.copyOf(l);
    }
}
