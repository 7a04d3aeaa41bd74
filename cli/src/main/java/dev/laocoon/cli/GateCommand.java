package dev.laocoon.cli;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.ServingPolicy;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.report.Printable;
import dev.laocoon.core.source.remote.HubClient;
import dev.laocoon.core.source.remote.NetworkGuard;
import dev.laocoon.core.source.remote.ObjectLister;
import dev.laocoon.core.source.remote.RemoteFetcher;
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
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
            Fetched got = new Fetched(plan, trust != null);
            fetch(src, model, maxBytes, a, got);
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
            out.println("laocoon gate: passed: " + report.files().size() + " files, " + got.bytes + " bytes from " + src
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

    // ------------------------------------------------------------------ fetching

    /** What was fetched: bytes and files, and the source's revision (a hub commit) when known. */
    static final class Fetched {
        long bytes;
        int files;
        String revision;
        final List<String> entries = new ArrayList<>();
        /** How to hash while copying (null: no signature to check, or a bundle the plan cannot be read from). */
        final dev.laocoon.core.sign.HashPlan plan;
        /** The digests computed while copying or downloading (a signature is checked), or null. */
        final dev.laocoon.core.sign.KnownDigests known;

        Fetched(dev.laocoon.core.sign.HashPlan plan, boolean signed) {
            this.plan = plan;
            this.known = signed ? new dev.laocoon.core.sign.KnownDigests() : null;
        }
    }

    /** A file to copy into the staging folder, with the size its bound was checked on. */
    private record Copy(Path from, Path to, long size) {
    }

    void fetch(String src, Path model, long maxBytes, Args a, Fetched got) throws IOException, Refused {
        String lower = src.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://") || lower.startsWith("hf://")
                || lower.startsWith("s3://")) {
            fetchRemote(src, model, maxBytes, a, got);
        } else {
            Path root = lower.startsWith("file://") ? Path.of(URI.create(src)) : Path.of(src);
            if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
                throw new NoSuchFileException(src + ": no such file or folder");
            }
            root = root.toRealPath();
            List<Copy> copies = new ArrayList<>();
            if (Files.isDirectory(root)) {
                copyTree(root, root, model, maxBytes, got, copies);
            } else {
                copyFile(root, root.getParent(), model.resolve(root.getFileName().toString()), maxBytes, got, copies);
            }
            copy(copies, got);
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(model)) {
            for (Path p : ds) {
                got.entries.add(p.getFileName().toString());
            }
        }
        if (got.files == 0) {
            throw new Refused(src + " holds no file");
        }
    }

    private void copyTree(Path root, Path dir, Path to, long maxBytes, Fetched got, List<Copy> copies)
            throws IOException, Refused {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                children.add(p);
            }
        }
        children.sort(null);
        for (Path p : children) {
            String name = p.getFileName().toString();
            if (dir.equals(root) && (name.equals(".git") || name.equals(REPORT))) {
                continue;
            }
            Path target = to.resolve(name);
            if (Files.isSymbolicLink(p)) {
                Path real;
                try {
                    real = p.toRealPath();
                } catch (IOException e) {
                    throw new Refused(root.relativize(p) + " is a symbolic link to nothing");
                }
                if (!real.startsWith(root)) {
                    throw new Refused(root.relativize(p) + " is a symbolic link out of " + root + " (to " + real + ")");
                }
                if (Files.isDirectory(real)) {
                    throw new Refused(root.relativize(p) + " is a symbolic link to a folder (not copied)");
                }
                copyFile(real, root, target, maxBytes, got, copies);
            } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(target);
                copyTree(root, p, target, maxBytes, got, copies);
            } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                copyFile(p, root, target, maxBytes, got, copies);
            } else {
                throw new Refused(root.relativize(p) + " is not a regular file (a device, pipe or socket)");
            }
        }
    }

    /** Checks a file against the bound and adds it to the copies (made by {@link #copy}). */
    private static void copyFile(Path from, Path root, Path to, long maxBytes, Fetched got, List<Copy> copies)
            throws Refused, IOException {
        long size = Files.size(from);
        if (got.bytes + size > maxBytes) {
            throw new Refused((root == null ? from : root.relativize(from)) + " takes the model past --max-bytes "
                    + maxBytes);
        }
        copies.add(new Copy(from, to, size));
        got.bytes += size;
        got.files++;
    }

    /**
     * Makes the copies, on as many threads as there are processors. With a hash plan each file is
     * hashed from the bytes written while it is copied ({@link dev.laocoon.core.sign.KnownDigests#copy});
     * without one the JDK copies it. Either way a file that is not the size it was checked at
     * (it changed in SRC meanwhile) fails the gate.
     */
    private static void copy(List<Copy> copies, Fetched got) throws IOException {
        int n = Math.min(copies.size(), Math.max(1, Runtime.getRuntime().availableProcessors()));
        if (n <= 1) {
            for (Copy c : copies) {
                copyOne(c, got);
            }
            return;
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, "laocoon-gate-copy");
            t.setDaemon(true);
            return t;
        });
        try {
            // largest first, so that the last file to start is a small one
            List<Copy> order = new ArrayList<>(copies);
            order.sort((x, y) -> Long.compare(y.size(), x.size()));
            List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
            for (Copy c : order) {
                fs.add(pool.submit(() -> {
                    copyOne(c, got);
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : fs) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof IOException io) {
                        throw io;
                    }
                    if (e.getCause() instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IOException(e.getCause());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while copying");
        } finally {
            // the others stop (interrupted) before the staging folder is removed, so that none
            // creates a file in it afterwards
            pool.shutdownNow();
            try {
                pool.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void copyOne(Copy c, Fetched got) throws IOException {
        if (got.plan == null) {
            Files.copy(c.from(), c.to(), StandardCopyOption.COPY_ATTRIBUTES);
            long now = Files.size(c.to());
            if (now != c.size()) {
                throw new IOException(c.from() + " changed while it was copied (" + c.size() + " bytes, then " + now + ")");
            }
            return;
        }
        got.known.copy(c.from(), c.to(), got.plan, c.size());
        try {
            Files.setLastModifiedTime(c.to(), Files.getLastModifiedTime(c.from()));
            java.nio.file.attribute.PosixFileAttributeView v = Files.getFileAttributeView(c.to(),
                    java.nio.file.attribute.PosixFileAttributeView.class);
            if (v != null) {
                v.setPermissions(Files.getPosixFilePermissions(c.from()));
            }
        } catch (UnsupportedOperationException e) {
            // a file system without POSIX permissions: the copy keeps its defaults
        }
    }

    private void fetchRemote(String src, Path model, long maxBytes, Args a, Fetched got) throws IOException, Refused {
        NetworkGuard guard = NetworkGuard.allowing(a.all("--allow-host"), a.flag("--allow-private"));
        String lower = src.toLowerCase(Locale.ROOT);
        RemoteFetcher.Builder b = RemoteFetcher.builder(guard);
        URI hub = null;
        String token = null;
        if (lower.startsWith("hf://")) {
            hub = RemoteCommands.hubUrl(a);
            token = RemoteCommands.token(a.value("--token-file", null));
            if (token != null && hub.getHost() != null) {
                b.authorization(hub.getHost(), "Bearer " + token);
            }
        }
        try (RemoteFetcher fetcher = b.build()) {
            List<String[]> items = new ArrayList<>(); // {relative path, url, expected size or -1}
            Map<String, String> headers = new HashMap<>();
            if (lower.startsWith("hf://")) {
                HubClient client = new HubClient(fetcher, hub, token != null);
                HubClient.Ref ref = HubClient.parse(src);
                String commit = client.resolve(ref);
                got.revision = commit;
                for (HubClient.Entry e : client.list(ref, commit)) {
                    items.add(new String[] {e.path(), client.fileUrl(ref, commit, e.path()).toString(), Long.toString(e.size())});
                }
            } else if (lower.startsWith("s3://")) {
                Map<String, String> options = RemoteCommands.s3Options(a);
                String prefix = src.substring(5);
                prefix = prefix.indexOf('/') < 0 ? "" : prefix.substring(prefix.indexOf('/') + 1);
                int cut = prefix.endsWith("/") || prefix.isEmpty() ? prefix.length() : prefix.lastIndexOf('/') + 1;
                for (ObjectLister.RemoteObject o : RemoteCommands.lister("s3").list(src, guard, options)) {
                    String key = o.name().substring(o.name().indexOf('/', 5) + 1);
                    String rel = key.length() > cut && key.startsWith(prefix.substring(0, cut)) ? key.substring(cut) : key;
                    items.add(new String[] {rel, o.url().toString(), Long.toString(o.size())});
                    headers.putAll(o.headers());
                }
            } else {
                URI u = URI.create(src);
                String path = u.getPath() == null ? "" : u.getPath();
                String name = path.substring(path.lastIndexOf('/') + 1);
                items.add(new String[] {name.isEmpty() ? "model" : name, src, "-1"});
            }
            for (String[] it : items) {
                String rel = it[0];
                Path to = safe(model, rel);
                Files.createDirectories(to.getParent());
                long room = maxBytes - got.bytes;
                RemoteFetcher.Download d = fetcher.download(URI.create(it[1]), headers, to, room,
                        java.time.Duration.ofHours(6));
                if (d.status() != 200) {
                    throw new IOException(rel + ": " + RemoteFetcher.shown(d.uri()) + " answered HTTP " + d.status());
                }
                if (d.truncated()) {
                    throw new Refused(rel + " takes the model past --max-bytes " + maxBytes);
                }
                long expected = Long.parseLong(it[2]);
                if (expected >= 0 && d.length() != expected) {
                    throw new IOException(rel + " is " + d.length() + " bytes, the listing says " + expected);
                }
                if (got.known != null && d.sha256() != null) {
                    // the download hashed what it wrote: a whole-file SHA-256 signature need not read it again
                    got.known.put(to, 0, d.length(), "sha256", java.util.HexFormat.of().parseHex(d.sha256()));
                }
                got.bytes += d.length();
                got.files++;
            }
        }
    }

    /** {@code model/rel}, refused when {@code rel} would leave the folder or is not a plain relative name. */
    static Path safe(Path model, String rel) throws Refused {
        if (rel.isEmpty() || rel.startsWith("/") || rel.contains("\\") || rel.contains("\0")) {
            throw new Refused("unsafe file name '" + rel + "' in the source");
        }
        for (String part : rel.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new Refused("unsafe file name '" + rel + "' in the source (path traversal)");
            }
        }
        Path p = model.resolve(rel).normalize();
        if (!p.startsWith(model) || p.equals(model)) {
            throw new Refused("unsafe file name '" + rel + "' in the source");
        }
        return p;
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
        Path inModel = safe(model, name);
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

    private static String json(ScanReport report, Path model, String src, Fetched got, List<String> refusals,
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
