package dev.laocoon.audit;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.Format;
import dev.laocoon.core.PathFilter;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.audit.Auditor;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.RuleDescriptor;
import dev.laocoon.core.finding.Severity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The audit of the configuration around the models (found by core through {@link Auditor}):
 * Kubernetes manifests ({@code *.yaml}, {@code *.yml} with an apiVersion and a kind), Dockerfiles
 * ({@code Dockerfile}, {@code Dockerfile.*}, {@code *.Dockerfile}, {@code Containerfile}), GitHub
 * workflows ({@code .github/workflows/*.yml}) and GitLab CI ({@code .gitlab-ci.yml},
 * {@code *.gitlab-ci.yml}). Files are recognised by name, and YAML by content; nothing is run,
 * fetched or connected to.
 */
public final class LaocoonAuditor implements Auditor {
    /** Larger files are not parsed (reported as not audited). */
    static final long MAX_BYTES = 8L * 1024 * 1024;

    public LaocoonAuditor() {
    }

    @Override
    public List<? extends RuleDescriptor> rules() {
        return List.of(AuditRule.values());
    }

    enum Kind { DOCKERFILE, GITHUB, GITLAB, YAML }

    /** What a file is by its name (YAML is a candidate: it is a manifest only when its content says so). */
    static Kind kindOf(Path file) {
        Path n = file.getFileName();
        if (n == null) {
            return null;
        }
        String name = n.toString();
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.equals("dockerfile") || lower.equals("containerfile") || lower.startsWith("dockerfile.")
                || lower.endsWith(".dockerfile") || lower.startsWith("containerfile.")) {
            return Kind.DOCKERFILE;
        }
        if (lower.equals(".gitlab-ci.yml") || lower.equals(".gitlab-ci.yaml") || lower.endsWith(".gitlab-ci.yml")
                || lower.endsWith(".gitlab-ci.yaml")) {
            return Kind.GITLAB;
        }
        if (lower.endsWith(".yaml") || lower.endsWith(".yml")) {
            Path parent = file.getParent();
            if (parent != null && parent.getFileName() != null && parent.getFileName().toString().equals("workflows")
                    && parent.getParent() != null && parent.getParent().getFileName() != null
                    && parent.getParent().getFileName().toString().equals(".github")) {
                return Kind.GITHUB;
            }
            return Kind.YAML;
        }
        return null;
    }

    /** A file to audit: where it is, how reports name it, the folder argument it was found under (or null). */
    record Input(Path file, String display, Path tree) {
    }

    /** What the audit made of a file: its format and findings (null format: not recognised). */
    record Result(Format format, List<Finding> findings, long size, String sha256, long nanos) {
    }

    // ------------------------------------------------------------------ laocoon audit

    @Override
    public ScanReport audit(List<Path> arguments, List<String> includes, List<String> excludes,
                            Function<Path, FileReport> models) throws IOException {
        long t0 = System.nanoTime();
        PathFilter filter = PathFilter.of(includes, excludes);
        List<FileReport> errors = new ArrayList<>();
        List<Input> inputs = new ArrayList<>();
        List<Input> treeFiles = new ArrayList<>();
        for (Path arg : arguments) {
            if (!Files.exists(arg, LinkOption.NOFOLLOW_LINKS)) {
                errors.add(failed(arg.toString(), "no such file or directory"));
            } else if (Files.isDirectory(arg)) {
                for (Input in : walk(arg, filter)) {
                    treeFiles.add(in);
                    if (kindOf(in.file()) != null) {
                        inputs.add(in);
                    }
                }
            } else if (kindOf(arg) != null) {
                inputs.add(new Input(arg, arg.toString(), null));
            }
        }
        Map<String, FileReport> scanned = new HashMap<>();
        Function<Input, FileReport> verdicts = new Function<>() {
            @Override
            public FileReport apply(Input in) {
                FileReport r = scanned.get(in.display());
                if (r == null) {
                    r = models.apply(in.file());
                    scanned.put(in.display(), r);
                }
                return r;
            }
        };
        Result[] results = run(inputs, treeFiles, verdicts);
        List<FileReport> out = new ArrayList<>(errors);
        for (int k = 0; k < inputs.size(); k++) {
            Input in = inputs.get(k);
            Result r = results[k];
            if (r != null && r.format() != null) {
                out.add(report(in.display(), List.of(r.format()), r.findings(), r));
            }
        }
        out.sort(new Comparator<FileReport>() {
            @Override
            public int compare(FileReport a, FileReport b) {
                return a.path().compareTo(b.path());
            }
        });
        return new ScanReport(out, System.nanoTime() - t0);
    }

    // ------------------------------------------------------------------ laocoon scan of a tree

    @Override
    public ScanReport merge(ScanReport scanned, List<Path> arguments) {
        List<Path> dirs = new ArrayList<>();
        for (Path a : arguments) {
            if (Files.isDirectory(a)) {
                dirs.add(a);
            }
        }
        if (dirs.isEmpty()) {
            return scanned;
        }
        List<Input> inputs = new ArrayList<>();
        List<Input> treeFiles = new ArrayList<>();
        Map<String, FileReport> byPath = new HashMap<>();
        List<Integer> index = new ArrayList<>();
        for (int i = 0; i < scanned.files().size(); i++) {
            FileReport f = scanned.files().get(i);
            byPath.put(f.path(), f);
            Path p = Path.of(f.path());
            Path tree = null;
            for (Path d : dirs) {
                if (p.startsWith(d) && !p.equals(d) && (tree == null || d.getNameCount() > tree.getNameCount())) {
                    tree = d;
                }
            }
            if (tree == null || f.failed()) {
                continue;
            }
            Input in = new Input(p, f.path(), tree);
            treeFiles.add(in);
            if (kindOf(p) != null && !Files.isSymbolicLink(p)) {
                inputs.add(in);
                index.add(i);
            }
        }
        if (inputs.isEmpty()) {
            return scanned;
        }
        // no lambda on this path: a scan's start-up (their first use costs milliseconds)
        Result[] results = run(inputs, treeFiles, new Function<Input, FileReport>() {
            @Override
            public FileReport apply(Input in) {
                return byPath.get(in.display());
            }
        });
        List<FileReport> files = new ArrayList<>(scanned.files());
        for (int k = 0; k < inputs.size(); k++) {
            Result r = results[k];
            if (r == null || r.format() == null) {
                continue;
            }
            int i = index.get(k);
            FileReport f = files.get(i);
            List<Format> formats = new ArrayList<>(f.formats());
            List<Finding> findings = new ArrayList<>();
            for (Finding x : f.findings()) {
                if (x.rule() != Rule.FORMAT_UNKNOWN) {
                    findings.add(x); // "no format Laocoon analyses" no longer holds: the audit read it
                }
            }
            formats.add(r.format());
            findings.addAll(r.findings());
            Severity v = Severity.SAFE;
            for (Finding x : findings) {
                v = Severity.max(v, x.severity());
            }
            files.set(i, new FileReport(f.path(), formats, v, findings, null, f.size(), f.sha256() != null ? f.sha256()
                    : r.sha256(), f.bytesRead(), f.elapsed().plusNanos(r.nanos())));
        }
        return new ScanReport(files, scanned.nanos());
    }

    // ------------------------------------------------------------------ both

    /** The results of the inputs, in their order (null: not recognised). */
    private Result[] run(List<Input> inputs, List<Input> treeFiles, Function<Input, FileReport> verdicts) {
        Result[] out = new Result[inputs.size()];
        K8sAudit k8s = null; // made when a manifest is found: a tree without one loads none of it
        Linker linker = new Linker(treeFiles, verdicts);
        for (int k = 0; k < inputs.size(); k++) {
            Input in = inputs.get(k);
            long t0 = System.nanoTime();
            Kind kind = kindOf(in.file());
            Sink sink = new Sink(in.display());
            byte[] bytes;
            try {
                long size = Files.size(in.file());
                if (size > MAX_BYTES) {
                    if (kind != Kind.YAML) {
                        sink.add(AuditRule.UNREADABLE, "the file is larger than " + MAX_BYTES / (1024 * 1024)
                                + " MiB; it was not audited", "", 1, 1, "");
                        out[k] = (new Result(format(kind), sink.findings, size, null, System.nanoTime() - t0));
                    }
                    continue;
                }
                bytes = Files.readAllBytes(in.file());
            } catch (IOException e) {
                if (kind != Kind.YAML) {
                    sink.add(AuditRule.UNREADABLE, "the file could not be read (" + e.getMessage() + "); it was not audited",
                            "", 1, 1, "");
                    out[k] = (new Result(format(kind), sink.findings, -1, null, System.nanoTime() - t0));
                }
                continue;
            }
            if (kind == Kind.YAML && (indexOf(bytes, API_VERSION) < 0 || indexOf(bytes, KIND) < 0)) {
                if (indexOf(bytes, JOBS) < 0 || indexOf(bytes, ON) < 0) {
                    continue; // YAML that is no manifest or workflow (a config, a dataset card): not the audit's
                }
                kind = Kind.GITHUB; // perhaps a workflow kept elsewhere (an example to copy): read as one if it is
            }
            String text = new String(bytes, StandardCharsets.UTF_8);
            String sha = sha256(bytes);
            String[] lines = text.split("\n", -1);
            Format format = format(kind);
            switch (kind) {
                case DOCKERFILE -> DockerAudit.audit(text, sink);
                case GITHUB, GITLAB -> {
                    try {
                        List<Yaml.Y> docs = Yaml.documents(text, Yaml.Rules.YAML_1_2);
                        if (docs.isEmpty() || !docs.get(0).isMap()) {
                            format = null;
                        } else if (kind == Kind.GITHUB) {
                            boolean inWorkflows = kindOf(in.file()) == Kind.GITHUB;
                            Yaml.Y jobs = docs.get(0).get("jobs");
                            if (inWorkflows ? docs.get(0).has("jobs") || docs.get(0).has("on")
                                    : docs.get(0).has("on") && jobs != null && jobs.isMap()) {
                                WorkflowAudit.github(docs.get(0), lines, sink, linker);
                            } else {
                                format = null;
                            }
                        } else {
                            WorkflowAudit.gitlab(docs.get(0), lines, sink, linker);
                        }
                    } catch (RuntimeException | StackOverflowError e) { // a nesting too deep for the composer too
                        if (kind == Kind.GITHUB && kindOf(in.file()) != Kind.GITHUB) {
                            format = null; // YAML elsewhere that only might have been a workflow
                        } else {
                            unparsed(sink, e);
                        }
                    }
                }
                default -> {
                    try {
                        List<Yaml.Y> docs = Yaml.documents(text, Yaml.Rules.KUBERNETES);
                        boolean any = false;
                        for (Yaml.Y d : docs) {
                            any |= K8sAudit.isObject(d);
                        }
                        if (any) {
                            if (k8s == null) {
                                k8s = new K8sAudit();
                            }
                            k8s.add(docs, sink);
                        } else {
                            format = null;
                        }
                    } catch (RuntimeException | StackOverflowError e) { // a nesting too deep for the composer too
                        if (text.contains("{{")) {
                            format = null; // a Helm template, not a manifest: render it (helm template) and audit that
                        } else {
                            unparsed(sink, e);
                        }
                    }
                }
            }
            out[k] = new Result(format, sink.findings, bytes.length, sha, System.nanoTime() - t0);
        }
        // manifests are evaluated together: ServiceAccounts and NetworkPolicies may be in other files
        if (k8s != null) {
            k8s.evaluate(linker);
        }
        for (int k = 0; k < out.length; k++) {
            Result r = out[k];
            if (r == null || r.findings().size() < 2) {
                continue;
            }
            List<Finding> sorted = new ArrayList<>(r.findings());
            sorted.sort(BY_PLACE);
            out[k] = new Result(r.format(), sorted, r.size(), r.sha256(), r.nanos());
        }
        return out;
    }

    private static final Comparator<Finding> BY_PLACE = new Comparator<>() {
        @Override
        public int compare(Finding a, Finding b) {
            int la = a.location().within() == null ? 0 : a.location().within().line();
            int lb = b.location().within() == null ? 0 : b.location().within().line();
            if (la != lb) {
                return Integer.compare(la, lb);
            }
            int ca = a.location().within() == null ? 0 : a.location().within().column();
            int cb = b.location().within() == null ? 0 : b.location().within().column();
            return Integer.compare(ca, cb);
        }
    };

    private static final byte[] API_VERSION = "apiVersion".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KIND = "kind".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] JOBS = "jobs:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ON = "on:".getBytes(StandardCharsets.US_ASCII);

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static void unparsed(Sink sink, Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        int line = 1;
        int col = 1;
        if (e instanceof org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException me && me.getProblemMark().isPresent()) {
            line = me.getProblemMark().get().getLine() + 1;
            col = me.getProblemMark().get().getColumn() + 1;
        }
        String first = m.lines().findFirst().orElse(m);
        sink.add(AuditRule.UNREADABLE, "the YAML could not be parsed (" + first + "); it was not audited", "", line, col, "");
    }

    private static Format format(Kind k) {
        return switch (k) {
            case DOCKERFILE -> Format.DOCKERFILE;
            case GITHUB -> Format.GITHUB_WORKFLOW;
            case GITLAB -> Format.GITLAB_CI;
            default -> Format.KUBERNETES;
        };
    }

    private static FileReport report(String display, List<Format> formats, List<Finding> findings, Result r) {
        Severity v = Severity.SAFE;
        for (Finding x : findings) {
            v = Severity.max(v, x.severity());
        }
        return new FileReport(display, formats, v, findings, null, r.size(), r.sha256(), r.size(), Duration.ofNanos(r.nanos()));
    }

    static FileReport failed(String display, String error) {
        Finding f = new Finding(Rule.FILE_UNREADABLE, Severity.SUSPICIOUS, error, Location.of(display), "");
        return new FileReport(display, List.of(), Severity.SUSPICIOUS, List.of(f), error, -1, null, 0, Duration.ZERO);
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ the walk

    private static List<Input> walk(Path root, PathFilter filter) throws IOException {
        List<Input> out = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return !dir.equals(root) && filter.skipsFolder(root.relativize(dir))
                        ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && filter.selected(root.relativize(f))) {
                    out.add(new Input(f, root.resolve(root.relativize(f)).toString(), root));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) {
                return FileVisitResult.CONTINUE;
            }
        });
        out.sort(new Comparator<Input>() {
            @Override
            public int compare(Input a, Input b) {
                return a.file().toString().compareTo(b.file().toString());
            }
        });
        return out;
    }


    // ------------------------------------------------------------------ the chain link

    /**
     * Links a pod or workflow job to the model files of the same tree it names (a storageUri such
     * as {@code pvc://claim/models/x.bin}, a path such as {@code /mnt/models/x.bin} or
     * {@code --model=models/x.bin}): when such a file's verdict is suspicious or malicious, a
     * LAO950 finding with the model file as related location.
     */
    static final class Linker implements K8sAudit.Chain, WorkflowAudit.Chain {
        private final Map<String, List<Input>> byRel = new HashMap<>();
        private final Map<String, List<Input>> byFolder = new HashMap<>();
        private final Function<Input, FileReport> verdicts;

        private final List<Input> treeFiles;
        private boolean indexed;

        Linker(List<Input> treeFiles, Function<Input, FileReport> verdicts) {
            this.verdicts = verdicts;
            this.treeFiles = treeFiles;
        }

        /** Indexed when first asked: a tree whose manifests and workflows name nothing costs no index. */
        private void index() {
            indexed = true;
            for (Input in : treeFiles) {
                if (in.tree() == null || kindOf(in.file()) != null && kindOf(in.file()) != Kind.YAML) {
                    continue;
                }
                String rel = in.tree().relativize(in.file()).toString().replace(java.io.File.separatorChar, '/');
                put(byRel, rel, in);
                for (int s = rel.indexOf('/'); s > 0; s = rel.indexOf('/', s + 1)) {
                    put(byFolder, rel.substring(0, s), in);
                }
            }
        }

        private static void put(Map<String, List<Input>> m, String k, Input in) {
            List<Input> l = m.get(k);
            if (l == null) {
                l = new ArrayList<>();
                m.put(k, l);
            }
            l.add(in);
        }

        @Override
        public void link(Sink sink, Yaml.Y scope, Yaml.Y at, String subject, String reach) {
            if (!indexed) {
                index();
            }
            if (byRel.isEmpty()) {
                return;
            }
            List<Yaml.Y> scalars = new ArrayList<>();
            collect(scope, scalars, 0);
            java.util.Set<String> done = new java.util.HashSet<>();
            for (Yaml.Y s : scalars) {
                for (String c : candidates(s.str())) {
                    for (Input m : matches(c)) {
                        if (!done.add(m.display())) {
                            continue;
                        }
                        FileReport r = verdicts.apply(m);
                        if (r == null || r.failed() || !r.verdict().atLeast(Severity.SUSPICIOUS)
                                || r.formats().isEmpty() || kindOf(m.file()) == Kind.YAML && isAudited(r)) {
                            continue;
                        }
                        String rel = m.tree().relativize(m.file()).toString().replace(java.io.File.separatorChar, '/');
                        String who = subject.equals("pod") ? "this pod" : "this " + subject;
                        String msg = who + " loads `" + rel + "`, which is " + r.verdict().label()
                                + (reach == null ? "" : ", and " + reach);
                        Location model = r.findings().isEmpty() ? Location.of(m.display()) : modelLocation(m, r);
                        sink.add(AuditRule.CHAIN, r.verdict(), msg, s.path(), s.line(), s.column(), s.str(), List.of(model));
                    }
                }
            }
        }

        private static boolean isAudited(FileReport r) {
            for (Format f : r.formats()) {
                if (f == Format.KUBERNETES) {
                    return true;
                }
            }
            return false;
        }

        private static Location modelLocation(Input m, FileReport r) {
            for (Finding f : r.findings()) {
                if (f.severity() == r.verdict()) {
                    return new Location(m.display(), f.location().members(), f.location().pickleIndex(), f.location().offset(),
                            f.location().within());
                }
            }
            return Location.of(m.display());
        }

        private static void collect(Yaml.Y n, List<Yaml.Y> out, int depth) {
            if (n == null || depth > 64 || out.size() > 5000) {
                return;
            }
            if (n.isScalar()) {
                out.add(n);
                return;
            }
            for (Yaml.Y i : n.items()) {
                collect(i, out, depth + 1);
            }
            for (String k : n.keys()) {
                collect(n.get(k), out, depth + 1);
            }
        }

        /** Path-like parts of a value, without scheme and bucket or claim. */
        static List<String> candidates(String v) {
            List<String> out = new ArrayList<>();
            if (v == null || v.length() > 4096) {
                return out;
            }
            for (String tok : v.split("\\s+")) {
                String t = tok.replaceAll("^[\"'\\[(,]+|[\"'\\]),;]+$", "");
                if (!t.contains("://") && t.indexOf('=') >= 0) {
                    t = t.substring(t.lastIndexOf('=') + 1); // --model=models/x.bin
                }
                if (t.contains("://")) {
                    String sch = t.substring(0, t.indexOf("://")).toLowerCase(Locale.ROOT);
                    String rest = t.substring(t.indexOf("://") + 3);
                    if (sch.equals("file")) {
                        t = rest;
                    } else if (List.of("pvc", "s3", "gs", "gcs", "az", "abfs", "hdfs", "webhdfs", "oss", "minio").contains(sch)) {
                        int slash = rest.indexOf('/');
                        t = slash < 0 ? "" : rest.substring(slash + 1);
                    } else {
                        continue; // hf://, http(s)://, oci://: not in the tree
                    }
                }
                while (t.startsWith("/") || t.startsWith("./")) {
                    t = t.startsWith("/") ? t.substring(1) : t.substring(2);
                }
                while (t.endsWith("/")) {
                    t = t.substring(0, t.length() - 1);
                }
                if (!t.isEmpty()) {
                    out.add(t);
                }
            }
            return out;
        }

        private List<Input> matches(String c) {
            List<Input> out = new ArrayList<>();
            String s = c;
            while (true) {
                List<Input> exact = byRel.get(s);
                if (exact != null) {
                    out.addAll(exact);
                    return out;
                }
                List<Input> folder = byFolder.get(s);
                if (folder != null && c.indexOf('/') >= 0) {
                    out.addAll(folder.subList(0, Math.min(folder.size(), 50)));
                    return out;
                }
                int slash = s.indexOf('/');
                if (slash < 0) {
                    return out;
                }
                s = s.substring(slash + 1);
            }
        }
    }
}
