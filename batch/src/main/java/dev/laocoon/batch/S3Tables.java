package dev.laocoon.batch;

import dev.laocoon.core.source.remote.NetworkGuard;
import dev.laocoon.core.source.remote.ObjectLister;
import dev.laocoon.core.source.remote.RemoteFetcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code --output s3://bucket/prefix/} and {@code --previous s3://...} for in-process runs: the
 * tables are written to a private folder on the driver and then put under the prefix (the s3
 * module's lister: PutObject), and a previous run's tables are read back from the prefix into
 * one (pre-signed GETs through the guarded fetcher). On a cluster the executors write their
 * parts on their own machines, so there the tables go to {@code s3a://} through Hadoop instead.
 */
final class S3Tables {
    private S3Tables() {
    }

    static boolean isS3(String p) {
        return p != null && p.regionMatches(true, 0, "s3://", 0, 5);
    }

    /** The prefix with one trailing slash. */
    static String prefix(String url) {
        return url.endsWith("/") ? url : url + "/";
    }

    /** Every object under {@code url} into a new folder, keys relative to the prefix; a key that would leave it is refused. */
    static Path download(String url, HubScan.Options o, Path into) throws IOException {
        String prefix = prefix(url);
        NetworkGuard guard = NetworkGuard.allowing(o.allowHosts, o.allowPrivate);
        List<ObjectLister.RemoteObject> objects = Listing.lister("s3").list(prefix, guard, o.s3Options);
        try (RemoteFetcher f = RemoteFetcher.builder(guard).build()) {
            for (ObjectLister.RemoteObject x : objects) {
                if (!x.name().startsWith(prefix)) {
                    continue;
                }
                String rel = x.name().substring(prefix.length());
                Path to = into.resolve(rel).normalize();
                if (rel.isEmpty() || !to.startsWith(into) || rel.contains("\\")) {
                    throw new IOException("unsafe key " + x.name() + " under " + prefix);
                }
                Files.createDirectories(to.getParent());
                RemoteFetcher.Download d = f.download(x.url(), x.headers(), to, Long.MAX_VALUE, Duration.ofHours(1));
                if (d.status() != 200) {
                    throw new IOException(x.name() + ": HTTP " + d.status());
                }
            }
        }
        return into;
    }

    /** Every file of {@code dir} (Hadoop's .crc checksums left out) as an object under {@code url}. */
    static int upload(Path dir, String url, HubScan.Options o) throws IOException {
        String prefix = prefix(url);
        Map<String, Path> objects = new LinkedHashMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted()::iterator) {
                String name = p.getFileName().toString();
                if (Files.isRegularFile(p) && !name.endsWith(".crc")) {
                    objects.put(prefix + dir.relativize(p).toString().replace('\\', '/'), p);
                }
            }
        }
        Listing.lister("s3").upload(objects, NetworkGuard.allowing(o.allowHosts, o.allowPrivate), o.s3Options);
        return objects.size();
    }

    static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // a temporary folder: what is left is the system's to clean
                }
            });
        } catch (IOException e) {
            // as above
        }
    }
}
