package dev.laocoon.core;

import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.source.FileByteSource;
import dev.laocoon.core.source.remote.HttpRangeSource;
import dev.laocoon.core.source.remote.RemoteFetcher;
import java.io.IOException;
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
                           String claimedSha256, String kind, String revision) {
        long t0 = System.nanoTime();
        HttpRangeSource src = null;
        FileReport r;
        try {
            src = new HttpRangeSource(url, fetcher, headers);
            r = scanner.analyse(src, name, null, t0);
            IOException broke = src.failure();
            if (broke instanceof HttpRangeSource.RemoteInconsistency) {
                List<Finding> fs = new ArrayList<>(r.findings());
                fs.add(new Finding(Rule.REMOTE_INCONSISTENT, Severity.SUSPICIOUS, broke.getMessage(), Location.of(name), ""));
                r = r.withFindings(fs);
            } else if (broke != null) {
                r = Scanner.failed(name, "cannot read: " + broke.getMessage(), System.nanoTime() - t0);
            }
        } catch (HttpRangeSource.RangesIgnored e) {
            return whole(scanner, url, fetcher, headers, name, claimedSha256, kind, revision, t0);
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
        String where = src == null ? url.toString() : src.uri().toString();
        return r.withSource(name, new RemoteSource(kind, where, revision, requests, bytes,
                r.sha256() == null && claimedSha256 != null), claimedSha256);
    }

    /** A server that ignores ranges: the whole object once, to a temporary file within the spool limit. */
    private static FileReport whole(Scanner scanner, java.net.URI url, RemoteFetcher fetcher, java.util.Map<String, String> headers, String name,
                             String claimedSha256, String kind, String revision, long t0) {
        Path tmp = null;
        long before = fetcher.requests();
        try {
            tmp = Files.createTempFile("laocoon-remote", ".bin");
            RemoteFetcher.Download d = fetcher.download(url, headers, tmp, scanner.limits().maxSpoolBytes(), scanner.limits().maxTimePerFile());
            FileReport r;
            if (d.status() != 200) {
                r = Scanner.failed(name, "cannot read: " + url + ": HTTP " + d.status(), System.nanoTime() - t0);
            } else if (d.truncated()) {
                r = Scanner.failed(name, "cannot read: " + url + " is longer than the spool limit of " + scanner.limits().maxSpoolBytes()
                        + " bytes (its server ignores Range requests, so it would have to be read whole)",
                        System.nanoTime() - t0);
            } else {
                try (FileByteSource fs = new FileByteSource(tmp)) {
                    r = scanner.analyse(fs, name, d.sha256(), t0);
                }
                if (claimedSha256 != null && !claimedSha256.equalsIgnoreCase(d.sha256())) {
                    List<Finding> fs = new ArrayList<>(r.findings());
                    fs.add(new Finding(Rule.REMOTE_INCONSISTENT, Severity.SUSPICIOUS, url + ": content's SHA-256 "
                            + d.sha256() + " is not the " + claimedSha256 + " the listing claims", Location.of(name), ""));
                    r = r.withFindings(fs);
                }
            }
            return r.withSource(name, new RemoteSource(kind, url.toString(), revision, fetcher.requests() - before,
                    d.length(), false), null);
        } catch (IOException | UncheckedIOException e) {
            String msg = e instanceof UncheckedIOException u ? u.getCause().getMessage() : e.getMessage();
            return Scanner.failed(name, "cannot read: " + msg, System.nanoTime() - t0)
                    .withSource(name, new RemoteSource(kind, url.toString(), revision, fetcher.requests() - before, 0,
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

}
