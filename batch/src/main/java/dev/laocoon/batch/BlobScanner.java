package dev.laocoon.batch;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.Format;
import dev.laocoon.core.RemoteSource;
import dev.laocoon.core.ScanLimits;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.internal.pickle.PickleResult;
import dev.laocoon.core.internal.pickle.PickleTrace;
import dev.laocoon.core.internal.pickle.TraceEvent;
import dev.laocoon.core.kb.KnowledgeBase;
import dev.laocoon.core.source.remote.NetworkGuard;
import dev.laocoon.core.source.remote.ObjectLister;
import dev.laocoon.core.source.remote.RemoteFetcher;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Scans the references of one partition: one {@link Scanner} and one {@link RemoteFetcher} for the
 * whole partition, one blob row per reference, whatever happens (a failure is a row with verdict
 * {@code error} and the reason, never an exception out of the task).
 */
final class BlobScanner implements AutoCloseable {

    /** What every task needs to know, sent with the job. */
    record Config(List<String> allowHosts, boolean allowPrivate, long timeoutSeconds, int attempts, long firstBackoffMillis,
                  double requestsPerSecondPerTask, String hub, Map<String, String> s3Options, int inFlight)
            implements Serializable {
    }

    private final Config config;
    private final Scanner scanner;
    private final Versions versions = Versions.current();
    private final KnowledgeBase kb;
    private RemoteFetcher fetcher;
    private final Pacer pacer;

    BlobScanner(Config config) {
        this.config = config;
        this.scanner = Scanner.builder()
                .limits(ScanLimits.DEFAULT.withMaxTimePerFile(Duration.ofSeconds(config.timeoutSeconds()))).build();
        this.kb = scanner.knowledgeBase();
        this.pacer = new Pacer(config.requestsPerSecondPerTask());
    }

    /**
     * The partition's rows, scanned as Spark pulls them: local files on the task's thread, remote ones
     * up to {@link Config#inFlight} at a time (a range scan waits on round trips far more than it computes).
     */
    Iterator<Row> scanAll(Iterator<Row> work) {
        int n = Math.max(1, config.inFlight());
        java.util.ArrayDeque<java.util.concurrent.Future<Row>> queue = new java.util.ArrayDeque<>();
        return new Iterator<>() {
            private java.util.concurrent.ExecutorService pool;

            private void fill() {
                while (queue.size() < 2 * n && work.hasNext()) {
                    Row ref = work.next();
                    String uri = ref.getString(0);
                    boolean remote = n > 1 && uri != null && (uri.regionMatches(true, 0, "http", 0, 4)
                            || uri.regionMatches(true, 0, "s3:", 0, 3));
                    if (!remote) {
                        queue.add(java.util.concurrent.CompletableFuture.completedFuture(scan(ref)));
                        return; // one local file at a time: its row is ready
                    }
                    if (pool == null) {
                        pool = java.util.concurrent.Executors.newFixedThreadPool(n, r -> {
                            Thread t = new Thread(r, "laocoon-batch-scan");
                            t.setDaemon(true);
                            return t;
                        });
                    }
                    queue.add(pool.submit(() -> scan(ref)));
                }
            }

            @Override
            public boolean hasNext() {
                fill();
                if (queue.isEmpty()) {
                    if (pool != null) {
                        pool.shutdown();
                    }
                    close();
                    return false;
                }
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                try {
                    return queue.poll().get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    if (pool != null) {
                        pool.shutdownNow();
                    }
                    throw new IllegalStateException("interrupted", e);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException(e.getCause()); // scan() returns a row for every failure
                }
            }
        };
    }

    synchronized RemoteFetcher fetcher() {
        if (fetcher == null) {
            NetworkGuard guard = NetworkGuard.allowing(config.allowHosts(), config.allowPrivate());
            RemoteFetcher.Builder b = RemoteFetcher.builder(guard)
                    .requestTimeout(Duration.ofSeconds(config.timeoutSeconds()))
                    .maxAttempts(config.attempts())
                    .firstBackoff(Duration.ofMillis(config.firstBackoffMillis()))
                    .userAgent("laocoon-batch/" + BatchInfo.get("version"));
            String token = System.getenv("HF_TOKEN"); // read where the task runs: never part of the job's configuration
            if (token != null && !token.isBlank() && config.hub() != null) {
                b.authorization(URI.create(config.hub()).getHost(), "Bearer " + token.trim());
            }
            fetcher = b.build();
        }
        return fetcher;
    }

    Pacer pacer() {
        return pacer;
    }

    /** One reference (a row of {@link Schemas#WORK}) to one row of {@link Schemas#BLOBS}. */
    Row scan(Row ref) {
        long t0 = System.nanoTime();
        String uri = ref.getString(0);
        String claimed = ref.getString(4);
        String listedError = ref.getString(6);
        if (listedError != null) {
            return error(claimed, sizeOf(ref), uri, listedError, 0, 0, t0);
        }
        if (uri == null || uri.isBlank()) {
            return error(claimed, sizeOf(ref), uri, "no uri", 0, 0, t0);
        }
        try {
            URI u = uri.startsWith("/") ? Path.of(uri).toUri() : new URI(uri);
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
            List<Map.Entry<Location, PickleTrace>> traces = new ArrayList<>();
            String name = ref.getString(3) != null ? ref.getString(3) : uri;
            switch (scheme) {
                case "file": {
                    Path p = Path.of(u);
                    FileReport r = scanner.scan(p, name, traces);
                    String sha = claimed != null ? claimed : r.failed() ? null : Listing.sha256(p);
                    return row(r, sha, uri, 0, 0, traces, t0);
                }
                case "http":
                case "https": {
                    RemoteFetcher f = fetcher();
                    pacer.acquire(3);
                    Row out;
                    if (claimed != null) {
                        FileReport r = scanner.scan(u, f, Map.of(), name, claimed, ref.getString(1) != null ? "hf" : "http",
                                ref.getString(2), traces);
                        RemoteSource s = r.source();
                        out = row(r, claimed, uri, s == null ? 0 : s.requests(), s == null ? 0 : s.transferred(), traces, t0);
                    } else {
                        out = whole(u, Map.of(), name, uri, traces, t0);
                    }
                    pacer.charge(out.getLong(7), 3);
                    return out;
                }
                case "s3": {
                    // the s3 module's lister (laocoon-s3.jar on the class path) presigns the object here, when it is read
                    ObjectLister.RemoteObject o = s3Object(uri);
                    RemoteFetcher f = fetcher();
                    pacer.acquire(4);
                    String sha = claimed != null ? claimed : o.claimedSha256();
                    Row out;
                    if (sha != null) {
                        FileReport r = scanner.scan(o.url(), f, o.headers(), name, sha, "s3", null, traces);
                        RemoteSource s = r.source();
                        out = row(r, sha, uri, (s == null ? 0 : s.requests()) + 1, s == null ? 0 : s.transferred(), traces, t0);
                    } else {
                        out = whole(o.url(), o.headers(), name, uri, traces, t0);
                    }
                    pacer.charge(out.getLong(7), 4);
                    return out;
                }
                default:
                    return error(claimed, sizeOf(ref), uri, "unsupported scheme '" + scheme + "' (file, http, https and s3 are read)",
                            0, 0, t0);
            }
        } catch (Throwable e) {
            // nothing of one file may fail the task: the reason is the row's
            return error(claimed, sizeOf(ref), uri, "cannot scan: " + e, 0, 0, t0);
        }
    }

    /** A remote file without a claimed hash: read whole once (to a temporary file), hashed and scanned there. */
    private Row whole(URI u, Map<String, String> headers, String name, String uri, List<Map.Entry<Location, PickleTrace>> traces,
                      long t0) throws Exception {
        Path tmp = Files.createTempFile("laocoon-batch", ".bin");
        try {
            RemoteFetcher.Download d = fetcher.download(u, headers, tmp, scanner.limits().maxSpoolBytes(),
                    scanner.limits().maxTimePerFile());
            if (d.status() != 200) {
                return error(null, -1, uri, "HTTP " + d.status() + " from " + RemoteFetcher.shown(u), d.requests(), d.length(), t0);
            }
            if (d.truncated()) {
                return error(null, -1, uri, "longer than the spool limit of " + scanner.limits().maxSpoolBytes()
                        + " bytes; give its SHA-256 in the listing to scan it by range reads", d.requests(), d.length(), t0);
            }
            FileReport r = scanner.scan(tmp, name, traces);
            return row(r, d.sha256(), uri, d.requests(), d.length(), traces, t0);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The object {@code s3://bucket/key} names, listed (and presigned) through the s3 module. */
    private ObjectLister.RemoteObject s3Object(String uri) throws java.io.IOException {
        ObjectLister lister = s3Lister();
        for (ObjectLister.RemoteObject o : lister.list(uri, fetcher().guard(), config.s3Options())) {
            if (o.shownUrl().equals(uri)) {
                return o;
            }
        }
        throw new java.io.IOException("no such object: " + uri);
    }

    private ObjectLister s3;

    synchronized ObjectLister s3Lister() throws java.io.IOException {
        if (s3 == null) {
            s3 = Listing.lister("s3");
        }
        return s3;
    }

    private static long sizeOf(Row ref) {
        return ref.isNullAt(5) ? -1 : ref.getLong(5);
    }

    private Row row(FileReport r, String sha, String uri, long requests, long transferred,
                    List<Map.Entry<Location, PickleTrace>> traces, long t0) {
        List<String> formats = new ArrayList<>();
        for (Format f : r.formats()) {
            formats.add(f.id());
        }
        List<Row> findings = new ArrayList<>();
        for (Finding f : r.findings()) {
            Location l = f.location();
            String inside = new Location("", l.members(), l.pickleIndex(), l.offset(), l.within()).render();
            findings.add(RowFactory.create(f.ruleId(), f.severity().label(), inside.startsWith("!") ? inside.substring(1) : inside,
                    f.message(), f.evidence()));
        }
        TreeSet<String> globals = new TreeSet<>();
        for (Map.Entry<Location, PickleTrace> t : traces) {
            for (PickleResult p : t.getValue().pickles()) {
                for (TraceEvent e : p.events()) {
                    if (e instanceof TraceEvent.Import i) {
                        globals.add(Versions.global(i.name().known() ? i.name().path() : "<" + i.name().display() + ">", kb));
                    }
                }
            }
        }
        return RowFactory.create(sha, r.size() >= 0 ? r.size() : null, formats.toArray(new String[0]), r.verdictLabel(),
                r.error(), findings.toArray(new Row[0]), Math.max(0, r.bytesRead()), requests, transferred,
                (System.nanoTime() - t0) / 1e9, versions.laocoon(), versions.kb(), versions.kbGlobals(), versions.kbPickle(),
                versions.kbOther(), globals.toArray(new String[0]), uri, new Timestamp(System.currentTimeMillis()));
    }

    private Row error(String sha, long size, String uri, String reason, long requests, long transferred, long t0) {
        return RowFactory.create(sha, size >= 0 ? size : null, new String[0], "error", reason,
                new Row[] {RowFactory.create(dev.laocoon.core.finding.Rule.FILE_UNREADABLE.id(), "suspicious", "", reason, "")}, 0L, requests, transferred,
                (System.nanoTime() - t0) / 1e9, versions.laocoon(), versions.kb(), versions.kbGlobals(), versions.kbPickle(),
                versions.kbOther(), null, uri, new Timestamp(System.currentTimeMillis()));
    }

    @Override
    public synchronized void close() {
        if (fetcher != null) {
            fetcher.close();
            fetcher = null;
        }
    }
}
