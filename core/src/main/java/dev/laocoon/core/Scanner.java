package dev.laocoon.core;

import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.internal.scan.FileAnalysis;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.kb.KnowledgeBase;
import dev.laocoon.core.internal.pickle.PickleLimits;
import dev.laocoon.core.internal.pickle.PickleTrace;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.FileByteSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Scans files and directories: detects each file's format from its content (never its name),
 * runs the matching analysers and turns their findings into a verdict.
 */
public final class Scanner {
    private final KnowledgeBase kb;
    private final PickleLimits limits;

    public Scanner(KnowledgeBase kb, PickleLimits limits) {
        this.kb = kb;
        this.limits = limits;
    }

    public Scanner() {
        this(KnowledgeBase.builtin(), PickleLimits.DEFAULT);
    }

    /**
     * Scans each argument; directories recursively, in parallel on all cores, in sorted order.
     * Version-control folders are skipped; symbolic links to directories are not followed, and a
     * link whose target leaves the scanned tree is reported instead of read. Throws
     * NoSuchFileException for an argument that does not exist.
     */
    public ScanReport scan(List<Path> arguments) throws IOException {
        return scan(arguments, List.of(), List.of());
    }

    /** As {@link #scan(List)}, keeping only files whose path inside the tree matches the include globs (if any) and none of the excludes. */
    public ScanReport scan(List<Path> arguments, List<String> includes, List<String> excludes) throws IOException {
        return scan(arguments, includes, excludes, null);
    }

    /** Progress of a scan: files done so far and the total. */
    public interface Progress {
        void update(int done, int total);
    }

    /** As {@link #scan(List, List, List)}, reporting progress (from any thread) to {@code progress} when not null. */
    public ScanReport scan(List<Path> arguments, List<String> includes, List<String> excludes, Progress progress)
            throws IOException {
        long t0 = System.nanoTime();
        List<java.nio.file.PathMatcher> inc = matchers(includes);
        List<java.nio.file.PathMatcher> exc = matchers(excludes);
        List<Work> work = new ArrayList<>();
        for (Path arg : arguments) {
            if (!Files.exists(arg, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new NoSuchFileException(arg.toString(), null, "no such file or directory");
            }
            if (Files.isDirectory(arg)) {
                Path realRoot = arg.toRealPath();
                List<Path> files;
                try (Stream<Path> s = Files.walk(arg, new FileVisitOption[0])) {
                    files = s.filter(p -> !inVcs(arg.relativize(p)))
                            .filter(p -> Files.isRegularFile(p) || Files.isSymbolicLink(p))
                            .filter(p -> selected(arg.relativize(p), inc, exc))
                            .sorted(Comparator.comparing(Path::toString)).toList();
                } catch (UncheckedIOException e) {
                    throw e.getCause();
                }
                for (Path f : files) {
                    work.add(new Work(f, arg.resolve(arg.relativize(f)).toString(), Files.isSymbolicLink(f) ? realRoot : null));
                }
            } else {
                work.add(new Work(arg, arg.toString(), null));
            }
        }
        int total = work.size();
        List<FileReport> out;
        if (total > 1) {
            java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
            out = work.parallelStream().map(w -> {
                FileReport r = run(w);
                if (progress != null) {
                    progress.update(done.incrementAndGet(), total);
                }
                return r;
            }).toList();
        } else {
            // One file: no streams or lambdas, whose first use costs milliseconds of start-up.
            out = new ArrayList<>(total);
            for (Work w : work) {
                out.add(run(w));
                if (progress != null) {
                    progress.update(out.size(), total);
                }
            }
        }
        return new ScanReport(out, System.nanoTime() - t0);
    }

    /** One file to scan; {@code linkRoot} is set for a symbolic link found in the tree under it. */
    private record Work(Path file, String display, Path linkRoot) {
    }

    private FileReport run(Work w) {
        return w.linkRoot() != null ? link(w.file(), w.linkRoot(), w.display()) : scanFile(w.file(), w.display());
    }

    private static List<java.nio.file.PathMatcher> matchers(List<String> globs) {
        List<java.nio.file.PathMatcher> m = new ArrayList<>();
        for (String g : globs) {
            m.add(java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + g));
        }
        return m;
    }

    private static boolean selected(Path rel, List<java.nio.file.PathMatcher> inc, List<java.nio.file.PathMatcher> exc) {
        Path name = rel.getFileName();
        for (java.nio.file.PathMatcher m : exc) {
            if (m.matches(rel) || (name != null && m.matches(name))) {
                return false;
            }
        }
        if (inc.isEmpty()) {
            return true;
        }
        for (java.nio.file.PathMatcher m : inc) {
            if (m.matches(rel) || (name != null && m.matches(name))) {
                return true;
            }
        }
        return false;
    }

    private static boolean inVcs(Path rel) {
        for (Path part : rel) {
            String n = part.toString();
            if (n.equals(".git") || n.equals(".hg") || n.equals(".svn")) {
                return true;
            }
        }
        return false;
    }

    /** A symbolic link: scanned when it stays inside the tree, reported when it leaves it. */
    private FileReport link(Path f, Path realRoot, String display) {
        try {
            Path target = f.toRealPath();
            if (!target.startsWith(realRoot)) {
                return new FileReport(display, "symlink", Severity.SUSPICIOUS, List.of(new dev.laocoon.core.finding.Finding(
                        dev.laocoon.core.finding.Rule.REPO_SYMLINK_ESCAPE, Severity.SUSPICIOUS,
                        "symbolic link to " + target + ", outside the scanned tree; not followed",
                        Location.of(display), "")), null, -1, 0);
            }
            if (!Files.isRegularFile(target)) {
                return scanFile(f, display);
            }
            return scanFile(target, display);
        } catch (IOException e) {
            return new FileReport(display, "symlink", Severity.SUSPICIOUS, List.of(new dev.laocoon.core.finding.Finding(
                    dev.laocoon.core.finding.Rule.REPO_SYMLINK_ESCAPE, Severity.SUSPICIOUS,
                    "broken symbolic link (" + e.getMessage() + ")", Location.of(display), "")), null, -1, 0);
        }
    }

    /** Scans one regular file; read errors become an {@code error} entry, never a verdict. */
    public FileReport scanFile(Path file, String display) {
        long t0 = System.nanoTime();
        try (ByteSource src = new FileByteSource(file)) {
            return scanSource(src, display, t0);
        } catch (IOException | UncheckedIOException e) {
            String msg = e instanceof UncheckedIOException u ? u.getCause().getMessage() : e.getMessage();
            return FileReport.failed(display, "cannot read: " + msg);
        }
    }

    public FileReport scanSource(ByteSource src, String display, long t0) {
        return scanSource(src, display, t0, null);
    }

    /** A file's report plus every pickle stream in it with its location, for explanations. */
    public record Explained(FileReport report, List<java.util.Map.Entry<Location, PickleTrace>> traces) {
    }

    public Explained explain(Path file, String display) throws IOException {
        List<java.util.Map.Entry<Location, PickleTrace>> traces = new ArrayList<>();
        try (ByteSource src = new FileByteSource(file)) {
            return new Explained(scanSource(src, display, System.nanoTime(), traces), traces);
        }
    }

    private FileReport scanSource(ByteSource src, String display, long t0,
                                  List<java.util.Map.Entry<Location, PickleTrace>> traces) {
        Location where = Location.of(display);
        FileAnalysis a = new FileAnalysis(kb, limits);
        a.traces = traces;
        try {
            a.analyze(src, where, 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException | StackOverflowError | LinkageError e) {
            // A reader failed on this input: the file is not fully analysed, so it cannot be safe.
            a.findings.add(new dev.laocoon.core.finding.Finding(dev.laocoon.core.finding.Rule.ANALYSIS_INCOMPLETE,
                    Severity.SUSPICIOUS, "analysis stopped by an internal error (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); please report it", where, ""));
        }
        Severity verdict = Severity.SAFE;
        for (Finding f : a.findings) {
            verdict = Severity.max(verdict, f.severity());
        }
        String format = a.formats.isEmpty() ? "unknown" : String.join("+", a.formats);
        return new FileReport(display, format, verdict, a.findings, null, src.size(), System.nanoTime() - t0);
    }

}
