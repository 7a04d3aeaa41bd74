package dev.laocoon.core.scan;

import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.kb.KnowledgeBase;
import dev.laocoon.core.pickle.PickleLimits;
import dev.laocoon.core.pickle.PickleTrace;
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
     * Scans each argument; directories recursively (symbolic links to directories are not
     * followed). Throws NoSuchFileException for an argument that does not exist.
     */
    public ScanReport scan(List<Path> arguments) throws IOException {
        long t0 = System.nanoTime();
        List<FileReport> out = new ArrayList<>();
        for (Path arg : arguments) {
            if (!Files.exists(arg)) {
                throw new NoSuchFileException(arg.toString(), null, "no such file or directory");
            }
            if (Files.isDirectory(arg)) {
                List<Path> files;
                try (Stream<Path> s = Files.walk(arg, new FileVisitOption[0])) {
                    files = s.filter(p -> Files.isRegularFile(p)).sorted(Comparator.comparing(Path::toString)).toList();
                } catch (UncheckedIOException e) {
                    throw e.getCause();
                }
                for (Path f : files) {
                    out.add(scanFile(f, arg.resolve(arg.relativize(f)).toString()));
                }
            } else {
                out.add(scanFile(arg, arg.toString()));
            }
        }
        return new ScanReport(out, System.nanoTime() - t0);
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
