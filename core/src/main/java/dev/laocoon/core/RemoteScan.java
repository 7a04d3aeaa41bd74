package dev.laocoon.core;

import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.source.FileByteSource;
import dev.laocoon.core.source.remote.HttpRangeSource;
import dev.laocoon.core.source.remote.HubClient;
import dev.laocoon.core.source.remote.ObjectLister;
import dev.laocoon.core.source.remote.RemoteFetcher;
import java.io.IOException;
import java.net.URI;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The scan of one remote object (see {@link Scanner#scan(java.net.URI, RemoteFetcher)}). */
final class RemoteScan {
    private RemoteScan() {
    }

    static FileReport scan(Scanner scanner, java.net.URI url, RemoteFetcher fetcher, java.util.Map<String, String> headers, String name,
                           String claimedSha256, String kind, String revision,
                           List<java.util.Map.Entry<dev.laocoon.core.finding.Location,
                                   dev.laocoon.core.internal.pickle.PickleTrace>> traces) {
        long t0 = System.nanoTime();
        HttpRangeSource src = null;
        FileReport r;
        try {
            src = new HttpRangeSource(url, fetcher, headers);
            r = scanner.analyse(src, name, null, t0, traces);
            IOException broke = src.failure();
            if (broke instanceof HttpRangeSource.RemoteInconsistency) {
                List<Finding> fs = new ArrayList<>(r.findings());
                fs.add(new Finding(Rule.REMOTE_INCONSISTENT, Severity.SUSPICIOUS, broke.getMessage(), Location.of(name), ""));
                r = r.withFindings(fs);
            } else if (broke != null) {
                r = Scanner.failed(name, "cannot read: " + broke.getMessage(), System.nanoTime() - t0);
            }
        } catch (HttpRangeSource.RangesIgnored e) {
            return whole(scanner, url, fetcher, headers, name, claimedSha256, kind, revision, t0, traces);
        } catch (HttpRangeSource.RemoteInconsistency e) {
            Finding f = new Finding(Rule.REMOTE_INCONSISTENT, Severity.SUSPICIOUS, e.getMessage(), Location.of(name), "");
            r = new FileReport(name, List.of(), Severity.SUSPICIOUS, List.of(f), null, -1, null, -1,
                    Duration.ofNanos(System.nanoTime() - t0));
        } catch (IOException | UncheckedIOException e) {
            String msg = e instanceof UncheckedIOException u ? u.getCause().getMessage() : e.getMessage();
            r = Scanner.failed(name, "cannot read: " + msg, System.nanoTime() - t0);
        }
        long requests = src == null ? 0 : src.requests();
        long bytes = src == null ? 0 : src.bytesTransferred();
        // never a query: a pre-signed URL (a hub's CDN redirect included) carries credentials in it
        String where = RemoteFetcher.shown(src == null ? url : src.uri());
        return r.withSource(name, new RemoteSource(kind, where, revision, requests, bytes,
                r.sha256() == null && claimedSha256 != null), claimedSha256);
    }

    /** A server that ignores ranges: the whole object once, to a temporary file within the spool limit. */
    private static FileReport whole(Scanner scanner, java.net.URI url, RemoteFetcher fetcher, java.util.Map<String, String> headers, String name,
                             String claimedSha256, String kind, String revision, long t0,
                             List<java.util.Map.Entry<dev.laocoon.core.finding.Location,
                                     dev.laocoon.core.internal.pickle.PickleTrace>> traces) {
        Path tmp = null;
        long before = fetcher.requests();
        try {
            tmp = Files.createTempFile("laocoon-remote", ".bin");
            RemoteFetcher.Download d = fetcher.download(url, headers, tmp, scanner.limits().maxSpoolBytes(), scanner.limits().maxTimePerFile());
            FileReport r;
            if (d.status() != 200) {
                r = Scanner.failed(name, "cannot read: " + RemoteFetcher.shown(url) + ": HTTP " + d.status(), System.nanoTime() - t0);
            } else if (d.truncated()) {
                r = Scanner.failed(name, "cannot read: " + RemoteFetcher.shown(url) + " is longer than the spool limit of " + scanner.limits().maxSpoolBytes()
                        + " bytes (its server ignores Range requests, so it would have to be read whole)",
                        System.nanoTime() - t0);
            } else {
                try (FileByteSource fs = new FileByteSource(tmp)) {
                    r = scanner.analyse(fs, name, d.sha256(), t0, traces);
                }
                if (claimedSha256 != null && !claimedSha256.equalsIgnoreCase(d.sha256())) {
                    List<Finding> fs = new ArrayList<>(r.findings());
                    fs.add(new Finding(Rule.REMOTE_INCONSISTENT, Severity.SUSPICIOUS, RemoteFetcher.shown(url) + ": content's SHA-256 "
                            + d.sha256() + " is not the " + claimedSha256 + " the listing claims", Location.of(name), ""));
                    r = r.withFindings(fs);
                }
            }
            return r.withSource(name, new RemoteSource(kind, RemoteFetcher.shown(url), revision, fetcher.requests() - before,
                    d.length(), false), null);
        } catch (IOException | UncheckedIOException e) {
            String msg = e instanceof UncheckedIOException u ? u.getCause().getMessage() : e.getMessage();
            return Scanner.failed(name, "cannot read: " + msg, System.nanoTime() - t0)
                    .withSource(name, new RemoteSource(kind, RemoteFetcher.shown(url), revision, fetcher.requests() - before, 0,
                            false), null);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a temporary file; the system's cleaner takes it
                }
            }
        }
    }


    /** A hub repository at a revision; see {@link Scanner#scanHub(String, HubClient)}. */
    static ScanReport hub(Scanner scanner, String hf, HubClient client) throws IOException {
        HubClient.Ref ref = HubClient.parse(hf);
        String commit = client.resolve(ref);
        List<HubClient.Entry> files = client.list(ref, commit);
        String base = ref.display(commit);
        List<ObjectLister.RemoteObject> objects = new ArrayList<>();
        for (HubClient.Entry e : files) {
            // each distinct content once, by the hub's SHA-256 of LFS files; never by git blob ids (SHA-1,
            // for which colliding benign and hostile files can be made): small files are each scanned
            URI u = client.fileUrl(ref, commit, e.path());
            objects.add(new ObjectLister.RemoteObject(base + "/" + e.path(), u, u.toString(), java.util.Map.of(), e.size(),
                    e.lfsSha256(), "hf", commit));
        }
        return objects(scanner, objects, client.fetcher());
    }

    /**
     * Scans objects a few at a time; objects with the same claimed identity are scanned once and
     * the others get its findings under their own names. An identity is only ever a SHA-256: never
     * an MD5 ETag or a SHA-1 git blob id, for which colliding benign and hostile files can be made.
     */
    static ScanReport objects(Scanner scanner, List<ObjectLister.RemoteObject> objects, RemoteFetcher fetcher)
            throws IOException {
        long t0 = System.nanoTime();
        java.util.Map<String, Integer> firstOf = new java.util.HashMap<>();
        int[] original = new int[objects.size()];
        List<Integer> distinct = new ArrayList<>();
        for (int i = 0; i < objects.size(); i++) {
            String key = objects.get(i).claimedSha256();
            if (key != null && key.length() != 64) {
                throw new IllegalArgumentException("a claimed SHA-256 has 64 hex digits: " + key);
            }
            Integer first = key == null ? null : firstOf.putIfAbsent(key, i);
            original[i] = first == null ? i : first;
            if (first == null) {
                distinct.add(i);
            }
        }
        FileReport[] out = new FileReport[objects.size()];
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
                Math.max(1, Math.min(4, distinct.size())), r -> {
                    Thread t = new Thread(r, "laocoon-remote");
                    t.setDaemon(true);
                    return t;
                });
        try {
            List<java.util.concurrent.Future<FileReport>> futures = new ArrayList<>();
            for (int i : distinct) {
                ObjectLister.RemoteObject o = objects.get(i);
                futures.add(pool.submit(() -> {
                    FileReport r = scanner.scan(o.url(), fetcher, o.headers(), o.name(), o.claimedSha256(), o.kind(),
                            o.revision());
                    if (!r.failed() && o.size() >= 0 && r.size() >= 0 && r.size() != o.size()) {
                        List<Finding> fs = new ArrayList<>(r.findings());
                        fs.add(new Finding(Rule.REMOTE_INCONSISTENT, Severity.SUSPICIOUS, o.name() + " is " + r.size()
                                + " bytes, the listing says " + o.size(), Location.of(o.name()), ""));
                        r = r.withFindings(fs);
                    }
                    RemoteSource src = r.source();
                    return r.withSource(o.name(), new RemoteSource(o.kind(), o.shownUrl(), o.revision(), src.requests(),
                            src.transferred(), src.sha256Claimed()), null);
                }));
            }
            for (int k = 0; k < distinct.size(); k++) {
                try {
                    out[distinct.get(k)] = futures.get(k).get();
                } catch (java.util.concurrent.ExecutionException ex) {
                    out[distinct.get(k)] = Scanner.failed(objects.get(distinct.get(k)).name(), "cannot read: "
                            + ex.getCause(), 0);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted");
                }
            }
        } finally {
            pool.shutdownNow();
        }
        for (int i = 0; i < objects.size(); i++) {
            if (out[i] == null) {
                FileReport same = out[original[i]];
                ObjectLister.RemoteObject o = objects.get(i);
                // the same content as an object scanned above: its verdict, under this name, nothing fetched
                List<Finding> moved = new ArrayList<>();
                for (Finding f : same.findings()) {
                    moved.add(new Finding(f.rule(), f.severity(), f.message(), new Location(o.name(), f.location().members(),
                            f.location().pickleIndex(), f.location().offset(), f.location().within()), f.evidence()));
                }
                out[i] = same.withFindings(moved).withSource(o.name(), new RemoteSource(o.kind(), o.shownUrl(),
                        o.revision(), 0, 0, same.source() != null && same.source().sha256Claimed()), null);
            }
        }
        return new ScanReport(java.util.Arrays.asList(out), System.nanoTime() - t0);
    }
}
