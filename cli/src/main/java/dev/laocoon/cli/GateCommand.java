package dev.laocoon.cli;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.ServingPolicy;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.report.Printable;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code laocoon gate SRC DEST}: the fail-closed step before a model server loads a model (the
 * KServe storage-initializer contract: two arguments, exit 0 to let the pod start). The model is
 * fetched into a private staging folder on DEST's file system, scanned, checked against the
 * serving policy, and only then moved into DEST, with {@code laocoon-report.json} beside it; on any
 * failure DEST is as it was and the staging folder is gone. README: Deploy gate.
 */
final class GateCommand {
    static final String REPORT = "laocoon-report.json";
    static final String JOURNAL = ".laocoon-journal";
    static final String STAGING = ".laocoon-staging-";

    /** A refusal: exit code 1, the reason in one line. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    private final PrintStream out;
    private final PrintStream err;

    GateCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    static final List<Args.Option> OPTIONS = List.of(
            new Args.Option(List.of("--fail-on"), "SEVERITY",
                    "Refuse the model when a file's verdict is at least this (default suspicious)."),
            new Args.Option(List.of("--allow"), "NAMES",
                    "Let these kinds of code through the serving policy, comma-separated: torchscript,"
                    + " trust-remote-code, python-files, torchserve-mar, triton-python, gguf-template."),
            new Args.Option(List.of("--public-key"), "KEY.pem", "Verify the model's OpenSSF Model Signing bundle with this key."),
            new Args.Option(List.of("--certificate-chain"), "CA.pem",
                    "Verify the bundle's signing certificate against these CA certificates (repeatable)."),
            new Args.Option(List.of("--trust-root"), "FILE",
                    "Verify a Sigstore keyless bundle against this trusted_root.json (with --identity, --issuer)."),
            new Args.Option(List.of("--identity"), "ID", "With --trust-root: the signer's certificate identity."),
            new Args.Option(List.of("--issuer"), "URL", "With --trust-root: the signer's OIDC issuer."),
            new Args.Option(List.of("--signature"), "BUNDLE",
                    "The bundle: a local file, or a path in SRC (default model.sig in SRC, never copied or scanned)."),
            new Args.Option(List.of("--require-signature"), null,
                    "Refuse a model without a valid signature (needs --public-key, --certificate-chain or --trust-root)."),
            new Args.Option(List.of("--policy"), "FILE", "Add or override knowledge-base entries (see Policy files)."),
            new Args.Option(List.of("--max-bytes"), "N", "Refuse a model larger than N bytes in all (default 256 GiB)."),
            new Args.Option(List.of("--report"), "FILE", "Also write the JSON report to FILE (passed or not)."),
            new Args.Option(List.of("--allow-host"), "HOST[:PORT]", "Let remote SRC reach HOST although it is loopback or private."),
            new Args.Option(List.of("--allow-private"), null, "Let remote SRC reach private and unique-local addresses."),
            new Args.Option(List.of("--hub-url"), "URL", "The hub of hf:// SRC (default $HF_ENDPOINT, else the public hub)."),
            new Args.Option(List.of("--token-file"), "FILE", "The hub token (default $HF_TOKEN), sent to the hub's host only."),
            new Args.Option(List.of("--s3-endpoint"), "URL", "The S3 server of s3:// SRC (default $AWS_ENDPOINT_URL_S3)."),
            new Args.Option(List.of("--s3-region"), "REGION", "The S3 region (default $AWS_REGION, else us-east-1)."),
            new Args.Option(List.of("--s3-path-style"), null, "Address buckets as a path (MinIO and most servers but AWS)."),
            new Args.Option(List.of("--max-seconds"), "N", "Time limit per file's scan, in seconds (default 60)."),
            new Args.Option(List.of("-h", "--help"), null, "Show this help and exit."));

    static String usage() {
        return Args.usage("laocoon gate [OPTIONS] SRC DEST",
                "Fetch the model at SRC (a folder, file://, http(s)://, hf://org/name@revision, s3://bucket/prefix)\n"
                + "into DEST only if every file passes the scan and the serving policy: the fail-closed step before a\n"
                + "model server loads a model (a KServe storage initializer, an init container, a deploy job).", OPTIONS)
                + "\nExit codes:\n  0  the model passed and is in DEST, with laocoon-report.json\n"
                + "  1  the model was refused (a finding, the serving policy); DEST is as it was\n"
                + "  2  the gate could not run (usage, SRC missing, I/O, disk full); DEST is as it was\n";
    }

    int run(List<String> argv) throws Args.UsageException {
        Args a = Args.parse(OPTIONS, argv);
        if (a.flag("--help")) {
            out.print(usage());
            return 0;
        }
        if (a.positionals().size() != 2) {
            throw new Args.UsageException("gate needs SRC and DEST");
        }
        Severity failOn;
        try {
            failOn = Severity.parse(a.value("--fail-on", "suspicious"));
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("--fail-on: " + e.getMessage());
        }
        if (failOn == Severity.SAFE) {
            throw new Args.UsageException("--fail-on safe would refuse every model");
        }
        Set<String> allowed = new LinkedHashSet<>();
        for (String v : a.all("--allow")) {
            for (String n : v.split(",")) {
                String t = n.trim().toLowerCase(Locale.ROOT);
                if (t.isEmpty()) {
                    continue;
                }
                if (!ServingPolicy.NAMES.contains(t)) {
                    throw new Args.UsageException("--allow: unknown name '" + t + "' (expected one of "
                            + String.join(", ", new java.util.TreeSet<>(ServingPolicy.NAMES)) + ")");
                }
                allowed.add(t);
            }
        }
        long maxBytes;
        try {
            maxBytes = Long.parseLong(a.value("--max-bytes", Long.toString(256L << 30)));
        } catch (NumberFormatException e) {
            throw new Args.UsageException("--max-bytes takes a number of bytes");
        }
        String src = a.positionals().get(0);
        Path dest = Path.of(a.positionals().get(1)).toAbsolutePath().normalize();
        Path staging = null;
        dev.laocoon.core.sign.Trust trust;
        try {
            trust = SignCommands.trust(a);
        } catch (IOException e) {
            err.println("laocoon gate: could not run: " + Printable.of(e.getMessage()) + "; " + dest + " is as it was");
            return 2;
        }
        if (a.flag("--require-signature") && trust == null) {
            throw new Args.UsageException("--require-signature needs --public-key, --certificate-chain or --trust-root");
        }
        String sigName = a.value("--signature", "model.sig");
        try {
            Scanner scanner = Main.scanner(a);
            recover(dest);
            staging = stagingFor(dest);
            Path model = staging.resolve("model");
            Files.createDirectories(model);
            // a signed model is hashed while it is copied (one pass over the bytes), as the bundle's
            // statement says it was hashed; verification still decides from the verified statement
            dev.laocoon.core.sign.HashPlan plan = trust == null ? null : hashPlan(sigName, src);
            GateFetch.Fetched got = new GateFetch.Fetched(plan, trust != null);
            GateFetch.fetch(src, model, maxBytes, a, got);
            Path bundle = bundle(sigName, model, staging);
            VerifiedBy signature = null;
            if (trust != null) {
                if (bundle == null) {
                    throw new Refused("no signature: " + sigName + " is neither a file nor in " + src
                            + (a.value("--signature", null) == null ? " (--signature names another)" : ""));
                }
                signature = verify(model, bundle, trust, got.known);
            }
            ScanReport report = scanner.scan(List.of(model));
            List<String> refusals = new ArrayList<>();
            for (FileReport f : report.files()) {
                if (f.failed() || f.verdict().atLeast(failOn)) {
                    refusals.add(rel(model, f.path()) + " is " + f.verdictLabel() + first(f));
                }
            }
            for (ServingPolicy.Refusal r : ServingPolicy.check(report, model, allowed)) {
                refusals.add(r.path() + ": " + r.reason() + " (--allow " + r.allowName() + " lets it through)");
            }
            String json = json(report, model, src, got, refusals, failOn, signature);
            String reportFile = a.value("--report", null);
            if (reportFile != null) {
                Files.writeString(Path.of(reportFile), json, StandardCharsets.UTF_8);
            }
            if (!refusals.isEmpty()) {
                throw new Refused(refusals.get(0) + (refusals.size() > 1 ? " (and " + (refusals.size() - 1)
                        + " more reasons; --report FILE lists them)" : ""));
            }
            Files.writeString(model.resolve(REPORT), json, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
            commit(staging, model, dest);
            out.println("laocoon gate: passed: " + report.files().size() + (report.files().size() == 1 ? " file, " : " files, ") + got.bytes + " bytes from " + src
                    + " into " + dest + " (report " + dest.resolve(REPORT) + ")");
            return 0;
        } catch (Refused e) {
            err.println("laocoon gate: refused: " + Printable.of(e.getMessage()));
            return 1;
        } catch (IOException | RuntimeException e) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (e instanceof java.nio.file.FileSystemException fs && m.contains("No space left")) {
                m = "no space left on the device of " + dest;
            }
            err.println("laocoon gate: could not run: " + Printable.of(m) + "; " + dest + " is as it was");
            return 2;
        } finally {
            if (staging != null) {
                deleteTree(staging);
            }
        }
    }

    private static String first(FileReport f) {
        if (f.failed()) {
            return " (" + f.error() + ")";
        }
        for (Finding x : f.findings()) {
            if (x.severity() == f.verdict()) {
                return " (" + x.ruleId() + " " + x.rule().slug() + ": " + x.message() + ")";
            }
        }
        return "";
    }

    static String rel(Path root, String path) {
        Path p = Path.of(path).toAbsolutePath().normalize();
        return p.startsWith(root) ? root.relativize(p).toString().replace('\\', '/') : path;
    }

    // ------------------------------------------------------------------ staging and commit

    /**
     * Leftovers of a gate that was killed: staging folders (beside DEST or in it) and a journal of
     * a move that did not finish, whose entries are removed (they are the gate's own). A DEST
     * with anything else in it, other than a previous gate's model, is refused.
     */
    static void recover(Path dest) throws IOException {
        Path parent = dest.getParent();
        if (parent != null && Files.isDirectory(parent)) {
            String prefix = "." + dest.getFileName() + STAGING;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, prefix + "*")) {
                for (Path p : ds) {
                    deleteTree(p);
                }
            } catch (java.nio.file.AccessDeniedException e) {
                // a parent the gate cannot list: nothing of its own is there
            }
        }
        if (!Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(dest + " exists and is not a folder");
        }
        Path journal = dest.resolve(JOURNAL);
        if (Files.exists(journal)) {
            for (String name : Files.readAllLines(journal, StandardCharsets.UTF_8)) {
                if (!name.isEmpty() && !name.contains("/") && !name.equals("..") && !name.equals(".")) {
                    deleteTree(dest.resolve(name));
                }
            }
            Files.delete(journal);
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dest, STAGING + "*")) {
            for (Path p : ds) {
                deleteTree(p);
            }
        }
        List<String> foreign = new ArrayList<>();
        Set<String> previous = previousModel(dest);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dest)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!previous.contains(n)) {
                    foreign.add(n);
                }
            }
        }
        if (!foreign.isEmpty()) {
            throw new IOException(dest + " is not empty and holds no model of an earlier gate (" + foreign.get(0)
                    + (foreign.size() > 1 ? ", ..." : "") + "); the gate fills an empty folder only");
        }
    }

    /** The top-level names of the model an earlier gate put into DEST (empty when there is none). */
    static Set<String> previousModel(Path dest) throws IOException {
        Set<String> names = new LinkedHashSet<>();
        Path report = dest.resolve(REPORT);
        if (!Files.isRegularFile(report, LinkOption.NOFOLLOW_LINKS)) {
            return names;
        }
        try {
            com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(report.toFile()).get("gate");
            if (n != null && n.get("entries") != null) {
                for (com.fasterxml.jackson.databind.JsonNode e : n.get("entries")) {
                    names.add(e.asText());
                }
            }
        } catch (IOException e) {
            return names; // not a report of ours: the folder is foreign
        }
        names.add(REPORT);
        return names;
    }

    /** A private staging folder on DEST's file system: beside DEST when it can be, else inside it. */
    static Path stagingFor(Path dest) throws IOException {
        Path parent = dest.getParent();
        String tag = Long.toHexString(System.nanoTime()) + Long.toHexString(Double.doubleToLongBits(Math.random()));
        boolean empty = !Files.exists(dest) || isEmpty(dest);
        if (parent != null && empty && Files.isWritable(parent) && (!Files.exists(dest) || sameStore(parent, dest))) {
            try {
                return Files.createDirectory(parent.resolve("." + dest.getFileName() + STAGING + tag), privateDir());
            } catch (IOException e) {
                // a parent the gate may not write after all: stage inside DEST
            }
        }
        Files.createDirectories(dest);
        return Files.createDirectory(dest.resolve(STAGING + tag), privateDir());
    }

    private static java.nio.file.attribute.FileAttribute<?>[] privateDir() {
        try {
            if (java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                return new java.nio.file.attribute.FileAttribute<?>[] {java.nio.file.attribute.PosixFilePermissions
                        .asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"))};
            }
        } catch (UnsupportedOperationException e) {
            // not POSIX
        }
        return new java.nio.file.attribute.FileAttribute<?>[0];
    }

    private static boolean sameStore(Path a, Path b) throws IOException {
        FileStore x = Files.getFileStore(a);
        FileStore y = Files.getFileStore(b);
        return x.equals(y);
    }

    private static boolean isEmpty(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            return !ds.iterator().hasNext();
        }
    }

    /**
     * Moves the checked model into DEST. Staged beside DEST (DEST absent or empty): one rename of
     * the whole folder. Staged inside DEST (DEST is a mount point, or holds an earlier model): a
     * journal names every entry first, the earlier model's entries are removed, the new ones
     * renamed in, the journal removed last; a gate killed half-way leaves the journal, and the next
     * one removes what it names before anything else.
     */
    static void commit(Path staging, Path model, Path dest) throws IOException {
        if (!staging.getParent().equals(dest)) {
            if (Files.exists(dest)) {
                Files.delete(dest); // empty (checked), so that the rename replaces it
            }
            try {
                Files.move(model, dest, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename the checked model into " + dest + " (" + e.getMessage() + ")");
            }
            return;
        }
        Set<String> old = previousModel(dest);
        List<String> fresh = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(model)) {
            for (Path p : ds) {
                fresh.add(p.getFileName().toString());
            }
        }
        Set<String> all = new LinkedHashSet<>(old);
        all.addAll(fresh);
        Path journal = dest.resolve(JOURNAL);
        Files.write(journal, all, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.SYNC);
        for (String n : old) {
            deleteTree(dest.resolve(n));
        }
        // the report last: a folder with laocoon-report.json holds a whole checked model
        fresh.remove(REPORT);
        fresh.add(REPORT);
        for (String n : fresh) {
            Files.move(model.resolve(n), dest.resolve(n), StandardCopyOption.ATOMIC_MOVE);
        }
        Files.delete(journal);
    }

    static void deleteTree(Path p) {
        try {
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                    for (Path c : ds) {
                        deleteTree(c);
                    }
                }
            }
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // best effort: what is left is a staging folder the next gate removes
        }
    }

    // ------------------------------------------------------------------ signature

    /** Who signed the model, as the report shows it. */
    record VerifiedBy(String method, String identity, int files) {
    }

    /**
     * The bundle: {@code name} as a local file when it is one, else the file of that name the source
     * brought, moved out of the model (so it is neither scanned nor copied into DEST); null when neither.
     */
    static Path bundle(String name, Path model, Path staging) throws IOException, Refused {
        Path local = Path.of(name);
        if (local.isAbsolute() || name.startsWith("./") || name.startsWith("../")) {
            return Files.isRegularFile(local) ? local : null;
        }
        Path inModel = GateFetch.safe(model, name);
        if (Files.isRegularFile(inModel, LinkOption.NOFOLLOW_LINKS)) {
            Path out = staging.resolve("bundle.sig");
            Files.move(inModel, out);
            return out;
        }
        return Files.isRegularFile(local) ? local : null;
    }

    /**
     * The hash plan of the bundle {@link #bundle} will pick ({@code name} as a local file, or in a
     * local SRC), read before the copy; null for a remote SRC or a bundle that cannot be read (the
     * staged files are then hashed after the copy, as without a plan).
     */
    static dev.laocoon.core.sign.HashPlan hashPlan(String name, String src) {
        try {
            Path local = Path.of(name);
            Path found = null;
            if (local.isAbsolute() || name.startsWith("./") || name.startsWith("../")) {
                found = local;
            } else {
                String lower = src.toLowerCase(Locale.ROOT);
                if (!lower.contains("://") || lower.startsWith("file://")) {
                    Path root = lower.startsWith("file://") ? Path.of(URI.create(src)) : Path.of(src);
                    Path in = Files.isDirectory(root) ? root.resolve(name) : null;
                    found = in != null && Files.isRegularFile(in, LinkOption.NOFOLLOW_LINKS) ? in : local;
                } else {
                    found = local;
                }
            }
            return Files.isRegularFile(found) ? dev.laocoon.core.sign.Signatures.hashPlan(found) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Verifies the staged model against the bundle; a failure refuses the model with its reason. */
    static VerifiedBy verify(Path model, Path bundle, dev.laocoon.core.sign.Trust trust,
            dev.laocoon.core.sign.KnownDigests known) throws IOException, Refused {
        dev.laocoon.core.sign.VerifyResult r = dev.laocoon.core.sign.Signatures.verify(
                dev.laocoon.core.sign.VerifyRequest.of(model, bundle, trust).withKnownDigests(known));
        if (!r.verified()) {
            throw new Refused("signature: " + r.failure());
        }
        return new VerifiedBy(r.method(), r.identity(), r.files().size());
    }

    // ------------------------------------------------------------------ report

    private static String json(ScanReport report, Path model, String src, GateFetch.Fetched got, List<String> refusals,
                               Severity failOn, VerifiedBy signature) throws IOException {
        List<FileReport> files = new ArrayList<>();
        for (FileReport f : report.files()) {
            files.add(f.withSource(rel(model, f.path()), f.source(), null));
        }
        StringWriter w = new StringWriter();
        dev.laocoon.core.report.JsonReport.write(new ScanReport(files, report.nanos()), failOn,
                Main.version(), w);
        com.fasterxml.jackson.databind.ObjectMapper m = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode root = (com.fasterxml.jackson.databind.node.ObjectNode) m
                .readTree(w.toString());
        com.fasterxml.jackson.databind.node.ObjectNode gate = root.putObject("gate");
        gate.put("source", src);
        if (got.revision != null) {
            gate.put("revision", got.revision);
        }
        gate.put("passed", refusals.isEmpty());
        if (signature != null) {
            com.fasterxml.jackson.databind.node.ObjectNode sg = gate.putObject("signature");
            sg.put("verified", true);
            sg.put("method", signature.method());
            if (signature.identity() != null) {
                sg.put("identity", signature.identity());
            }
            sg.put("files", signature.files());
        }
        gate.put("bytes", got.bytes);
        com.fasterxml.jackson.databind.node.ArrayNode r = gate.putArray("refusals");
        for (String s : refusals) {
            r.add(s);
        }
        com.fasterxml.jackson.databind.node.ArrayNode e = gate.putArray("entries");
        for (String s : got.entries) {
            e.add(s);
        }
        return m.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }
}
