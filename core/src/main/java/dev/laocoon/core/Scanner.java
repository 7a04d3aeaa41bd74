package dev.laocoon.core;

import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.analysis.AnalysisContext;
import dev.laocoon.core.internal.pickle.PickleLimits;
import dev.laocoon.core.internal.pickle.PickleTrace;
import dev.laocoon.core.internal.scan.Formats;
import dev.laocoon.core.internal.scan.Pipeline;
import dev.laocoon.core.kb.KnowledgeBase;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.CountingByteSource;
import dev.laocoon.core.source.FileByteSource;
import dev.laocoon.core.source.Spool;
import dev.laocoon.core.source.remote.RemoteFetcher;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Scans model files: detects each file's formats from its content (never its name), analyses
 * each with the knowledge base and limits given to the builder, and judges the findings. Never
 * runs anything from the files.
 *
 * <p>Immutable and thread-safe: one instance may scan from many threads at once. It starts no
 * threads of its own; tree scans run on the executor given to the builder, if any, and otherwise
 * on the calling thread.
 *
 * <pre>{@code
 * Scanner scanner = Scanner.builder().limits(ScanLimits.DEFAULT.withMaxTimePerFile(Duration.ofSeconds(10))).build();
 * FileReport r = scanner.scan(Path.of("pytorch_model.bin"));
 * if (r.verdict() != Severity.SAFE) { ... }
 * }</pre>
 */
public final class Scanner {
    private final KnowledgeBase kb;
    private final ScanLimits limits;
    private final PickleLimits pickleLimits;
    private final Executor executor;
    private final boolean contentHash;
    private final boolean followSymlinks;
    private final Pipeline pipeline;

    private Scanner(Builder b) {
        this.kb = b.kb;
        this.limits = b.limits;
        this.executor = b.executor;
        this.contentHash = b.contentHash;
        this.followSymlinks = b.followSymlinks;
        this.pickleLimits = pickleLimits(b.limits);
        this.pipeline = new Pipeline(Formats.BUILT_IN);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link Scanner}; every setting has a default (the built-in knowledge base, {@link ScanLimits#DEFAULT}). */
    public static final class Builder {
        private KnowledgeBase kb = KnowledgeBase.builtin();
        private ScanLimits limits = ScanLimits.DEFAULT;
        private Executor executor;
        private boolean contentHash;
        private boolean followSymlinks;

        private Builder() {
        }

        /** The knowledge base to judge with (default: the built-in one). */
        public Builder knowledgeBase(KnowledgeBase kb) {
            this.kb = Objects.requireNonNull(kb);
            return this;
        }

        /** Applies a policy file on top of the current knowledge base; an invalid line throws IllegalArgumentException. */
        public Builder policy(Path policyFile) throws IOException {
            this.kb = kb.withPolicy(policyFile);
            return this;
        }

        /** Applies policy text on top of the current knowledge base ({@code origin} names it in messages). */
        public Builder policyText(String text, String origin) {
            this.kb = kb.withPolicyText(text, origin);
            return this;
        }

        public Builder limits(ScanLimits limits) {
            this.limits = Objects.requireNonNull(limits);
            return this;
        }

        /**
         * Runs the files of a tree scan on this executor, and lets the scan read the knowledge base
         * on it ahead of need (default: none; files are scanned one after the other on the caller's thread).
         */
        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        /**
         * Computes each file's SHA-256 ({@link FileReport#sha256()}; default off, because it reads
         * the whole file where the analysis reads a few kilobytes of a large checkpoint). Streams
         * given to {@link #scan(InputStream, String)} are always hashed (it costs nothing there).
         */
        public Builder contentHash(boolean on) {
            this.contentHash = on;
            return this;
        }

        /**
         * In directory scans, follows symbolic links that leave the scanned tree to the regular
         * files they name and reports those files' verdicts under the link's path (default off:
         * such a link is reported as LAO803 and not read). Links of a Hugging Face cache snapshot
         * ({@code models--org--name/snapshots/REV/FILE -> ../../blobs/HASH}) are always followed.
         */
        public Builder followSymlinks(boolean on) {
            this.followSymlinks = on;
            return this;
        }

        public Scanner build() {
            return new Scanner(this);
        }
    }

    public KnowledgeBase knowledgeBase() {
        return kb;
    }

    public ScanLimits limits() {
        return limits;
    }

    /** True when directory scans follow links that leave the tree ({@link Builder#followSymlinks}). */
    public boolean followsSymlinks() {
        return followSymlinks;
    }

    // ------------------------------------------------------------------ single files

    /** Scans one file under its own path as name. */
    public FileReport scan(Path file) {
        return scan(file, file.toString());
    }

    /** Scans one regular file, reported as {@code name}; a file that cannot be read gives a failed report. */
    public FileReport scan(Path file, String name) {
        return scan(file, name, null);
    }

    /**
     * As {@link #scan(Path, String)}, adding every pickle stream's trace with its location to
     * {@code traces} when it is not null (what a batch rescan keeps to decide later whether a
     * knowledge-base change can change the verdict).
     */
    public FileReport scan(Path file, String name, List<Map.Entry<Location, PickleTrace>> traces) {
        long t0 = System.nanoTime();
        if (!java.nio.file.Files.isRegularFile(file) && java.nio.file.Files.exists(file)) {
            // opening a FIFO would wait for a writer, a device may never end: never read, never a pass
            return failed(name, TreeScan.NOT_REGULAR, System.nanoTime() - t0);
        }
        try (ByteSource src = new FileByteSource(file)) {
            return run(src, name, null, t0, traces);
        } catch (IOException | UncheckedIOException e) {
            return failed(name, "cannot read: " + describe(e instanceof UncheckedIOException u ? u.getCause() : e),
                    System.nanoTime() - t0);
        }
    }

    /** An I/O failure in words: the JDK's messages for missing or forbidden files are only the path. */
    static String describe(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Scans bytes from any source (the caller keeps ownership: it is not closed). */
    public FileReport scan(ByteSource src, String name) {
        long t0 = System.nanoTime();
        try {
            return run(src, name, null, t0, null);
        } catch (IOException | UncheckedIOException e) {
            String msg = e instanceof UncheckedIOException u ? u.getCause().getMessage() : e.getMessage();
            return failed(name, "cannot read: " + msg, System.nanoTime() - t0);
        }
    }

    /**
     * Scans a stream: it is spooled (in memory up to 8 MiB, else to a temporary file that is deleted
     * afterwards) up to {@link ScanLimits#maxSpoolBytes()}; a longer stream gives a failed report.
     * The report always carries the content's SHA-256. The stream is read to its end, not closed.
     */
    public FileReport scan(InputStream in, String name) {
        long t0 = System.nanoTime();
        try (Spool.Spooled s = Spool.of(in, limits.maxSpoolBytes())) {
            return run(s.source(), name, s.sha256(), t0, null);
        } catch (Spool.TooLarge e) {
            return failed(name, e.getMessage() + "; it was not scanned", System.nanoTime() - t0);
        } catch (IOException | UncheckedIOException e) {
            String msg = e instanceof UncheckedIOException u ? u.getCause().getMessage() : e.getMessage();
            return failed(name, "cannot read: " + msg, System.nanoTime() - t0);
        }
    }

    /**
     * Scans an http(s) object by range reads (see {@link dev.laocoon.core.source.remote.HttpRangeSource})
     * with a fetcher of its own for {@code guard}; see {@link #scan(java.net.URI, RemoteFetcher)}.
     */
    public FileReport scan(java.net.URI url, dev.laocoon.core.source.remote.NetworkGuard guard) {
        try (RemoteFetcher f = RemoteFetcher.builder(guard).requestTimeout(limits.maxTimePerFile()).build()) {
            return scan(url, f, java.util.Map.of(), url.toString(), null);
        }
    }

    /**
     * Scans an http(s) object by range reads (see {@link dev.laocoon.core.source.remote.HttpRangeSource}):
     * only what the analysis needs is transferred, and every connection's address is checked by the
     * fetcher's network guard, redirects included. A server that ignores {@code Range} is read as
     * one stream to a temporary file, bounded by {@link ScanLimits#maxSpoolBytes()}. An object that
     * changes during the scan gets a {@code remote-inconsistent} finding; a refused address or any
     * other failure gives a failed report. Never {@code safe} in either case.
     */
    public FileReport scan(java.net.URI url, RemoteFetcher fetcher) {
        return scan(url, fetcher, java.util.Map.of(), url.toString(), null);
    }

    /**
     * As {@link #scan(java.net.URI, RemoteFetcher)}, reported under {@code name} with {@code headers}
     * sent on every request; {@code claimedSha256} (a hub's LFS object id, or null) is the report's
     * SHA-256 unless the content was hashed.
     */
    public FileReport scan(java.net.URI url, RemoteFetcher fetcher, java.util.Map<String, String> headers, String name,
                           String claimedSha256) {
        return scan(url, fetcher, headers, name, claimedSha256, "http", null);
    }

    /** The remote scan with the source's kind and revision for the report's {@code source}. */
    public FileReport scan(java.net.URI url, RemoteFetcher fetcher, java.util.Map<String, String> headers, String name,
                           String claimedSha256, String kind, String revision) {
        // in a class of its own: the remote classes stay unloaded in local scans
        return RemoteScan.scan(this, url, fetcher, headers, name, claimedSha256, kind, revision, null);
    }

    /**
     * The remote scan, adding every pickle stream's trace with its location to {@code traces}
     * when it is not null (see {@link #scan(Path, String, List)}).
     */
    public FileReport scan(java.net.URI url, RemoteFetcher fetcher, java.util.Map<String, String> headers, String name,
                           String claimedSha256, String kind, String revision,
                           List<Map.Entry<Location, PickleTrace>> traces) {
        return RemoteScan.scan(this, url, fetcher, headers, name, claimedSha256, kind, revision, traces);
    }

    /**
     * Scans a hub repository, {@code hf://[datasets/|spaces/]org/name[@revision][/path]}: the revision
     * is resolved to its commit, the files are listed at that commit and each distinct content (by the
     * hub's SHA-256 of LFS files; small files are each scanned) is scanned once by range reads;
     * files with the same LFS SHA-256 get the same findings under their own names. Reports are named
     * {@code hf://org/name@<commit>/path} and carry the commit as their source's revision.
     *
     * @throws IOException when the repository cannot be listed (missing, gated, private, not a hub)
     */
    public ScanReport scanHub(String hf, dev.laocoon.core.source.remote.HubClient client) throws IOException {
        return RemoteScan.hub(this, hf, client);
    }

    /**
     * Scans listed remote objects (see {@link dev.laocoon.core.source.remote.ObjectLister}) by range
     * reads through {@code fetcher}, a few at a time; a listed size that differs from the object's is
     * a {@code remote-inconsistent} finding.
     */
    public ScanReport scanObjects(List<dev.laocoon.core.source.remote.ObjectLister.RemoteObject> objects,
                                  RemoteFetcher fetcher) throws IOException {
        return RemoteScan.objects(this, objects, fetcher);
    }

    FileReport analyse(ByteSource src, String name, String sha256, long t0) throws IOException {
        return run(src, name, sha256, t0, null);
    }

    FileReport analyse(ByteSource src, String name, String sha256, long t0,
                       List<Map.Entry<Location, PickleTrace>> traces) throws IOException {
        return run(src, name, sha256, t0, traces);
    }

    /** A report for a file that could not be read: never safe. */
    static FileReport failed(String name, String error, long nanos) {
        Finding f = new Finding(Rule.FILE_UNREADABLE, Severity.SUSPICIOUS, error, Location.of(name), "");
        return new FileReport(name, List.of(), Severity.SUSPICIOUS, List.of(f), error, -1, null, -1, Duration.ofNanos(nanos));
    }

    // ------------------------------------------------------------------ trees

    /** Progress of a tree scan: files done so far and the total; called from any thread. */
    public interface Progress {
        void update(int done, int total);
    }

    /** See {@link #scan(List, List, List, Progress)}. */
    public ScanReport scan(List<Path> arguments) throws IOException {
        return scan(arguments, List.of(), List.of(), null);
    }

    /** See {@link #scan(List, List, List, Progress)}. */
    public ScanReport scan(List<Path> arguments, List<String> includes, List<String> excludes) throws IOException {
        return scan(arguments, includes, excludes, null);
    }

    /**
     * Scans each argument; directories recursively, results in sorted order. Version-control
     * folders are skipped; symbolic links to directories are not followed, and a link whose target
     * leaves the scanned tree is reported instead of read. Only files whose path inside the tree
     * (or name) matches an include glob (if any) and no exclude glob are scanned. An argument that
     * does not exist, a folder that cannot be listed and a file that is not regular are failed
     * entries of the report, and the scan goes on.
     */
    public ScanReport scan(List<Path> arguments, List<String> includes, List<String> excludes, Progress progress)
            throws IOException {
        return TreeScan.scan(this, arguments, includes, excludes, executor, progress);
    }

    // ------------------------------------------------------------------ explain

    /** A file's report plus every pickle stream in it with its location, for explanations. */
    public record Explained(FileReport report, List<Map.Entry<Location, PickleTrace>> traces) {
    }

    public Explained explain(Path file, String name) throws IOException {
        List<Map.Entry<Location, PickleTrace>> traces = new ArrayList<>();
        try (ByteSource src = new FileByteSource(file)) {
            return new Explained(run(src, name, null, System.nanoTime(), traces), traces);
        }
    }

    // ------------------------------------------------------------------ the scan itself

    private FileReport run(ByteSource raw, String name, String sha256, long t0,
                           List<Map.Entry<Location, PickleTrace>> traces) throws IOException {
        CountingByteSource src = new CountingByteSource(raw);
        String hash = sha256 != null ? sha256 : contentHash ? Spool.sha256(raw) : null;
        Location where = Location.of(name);
        dev.laocoon.core.internal.analysis.PickleStreamAnalyzer.anticipate(raw, executor);
        AnalysisContext ctx = new AnalysisContext(kb, limits, pickleLimits, pipeline, traces, executor);
        try {
            pipeline.analyze(src, where, ctx);
        } catch (IOException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError | LinkageError e) {
            // A reader failed on this input: the file is not fully analysed, so it cannot be safe.
            ctx.report(Rule.ANALYSIS_INCOMPLETE, Severity.SUSPICIOUS, "analysis stopped by an internal error ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                    + "); please report it", where, "");
        } catch (OutOfMemoryError e) {
            if (Boolean.getBoolean("laocoon.debug.oom")) {
                e.printStackTrace();
            }
            // Whatever held the memory is unreachable once this frame is left: report, never crash.
            ctx.close();
            return new FileReport(name, ctx.formats(), Severity.SUSPICIOUS, List.of(new Finding(Rule.ANALYSIS_INCOMPLETE,
                    Severity.SUSPICIOUS, "the analysis ran out of memory (give the JVM more with -Xmx); the file was"
                    + " not analysed completely", where, "")), "out of memory", src.size(), hash, src.bytesRead(),
                    Duration.ofNanos(System.nanoTime() - t0));
        } finally {
            ctx.close();
        }
        List<Finding> findings = ctx.findings(where);
        Severity verdict = Severity.SAFE;
        for (Finding f : findings) {
            verdict = Severity.max(verdict, f.severity());
        }
        return new FileReport(name, ctx.formats(), verdict, findings, null, src.size(), hash, src.bytesRead(),
                Duration.ofNanos(System.nanoTime() - t0));
    }

    private static PickleLimits pickleLimits(ScanLimits l) {
        return PickleLimits.DEFAULT.withMaxOpcodes(l.maxPickleOpcodes()).withMaxMemo(l.maxPickleMemo())
                .withMaxStack(l.maxPickleStack()).withMaxPickles(l.maxPickles()).withMaxTime(l.maxTimePerFile());
    }

    /** For tree scans: a symbolic link that leaves the tree, reported without reading it. */
    static FileReport link(String name, String message) {
        Finding f = new Finding(Rule.REPO_SYMLINK_ESCAPE, Severity.SUSPICIOUS, message, Location.of(name), "");
        return new FileReport(name, List.of(Format.SYMLINK), Severity.SUSPICIOUS, List.of(f), null, -1, null, -1,
                Duration.ZERO);
    }
}
