package dev.laocoon.cli;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.source.remote.HubClient;
import dev.laocoon.core.source.remote.NetworkGuard;
import dev.laocoon.core.source.remote.ObjectLister;
import dev.laocoon.core.source.remote.RemoteFetcher;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The remote part of {@code laocoon scan}: {@code http(s)://} objects, {@code hf://} repositories and
 * {@code s3://} objects or prefixes (through the s3 module's lister, when its jar is on the class path),
 * through one fetcher whose network guard is set by {@code --allow-host} and {@code --allow-private}
 * (README: Remote sources). In a class of its own so that local scans never load it.
 */
final class RemoteCommands {
    /** The local report with the remote files' reports after it: URLs, then hub repositories, then s3:// objects. */
    ScanReport scan(Scanner scanner, ScanReport local, List<URI> urls, List<String> hubRefs, List<String> objectUrls,
                    Args a) throws IOException {
        NetworkGuard guard = NetworkGuard.allowing(a.all("--allow-host"), a.flag("--allow-private"));
        URI hub = hubUrl(a);
        String token = token(a.value("--token-file", null));
        RemoteFetcher.Builder b = RemoteFetcher.builder(guard);
        if (token != null && !hubRefs.isEmpty()) {
            // the hub's host only: not the CDN its downloads redirect to, nor any http(s) PATH
            b.authorization(hub.getHost(), "Bearer " + token);
        }
        List<FileReport> files = new ArrayList<>(local.files());
        try (RemoteFetcher fetcher = b.build()) {
            for (URI u : urls) {
                files.add(scanner.scan(u, fetcher));
            }
            HubClient client = new HubClient(fetcher, hub, token != null);
            for (String ref : hubRefs) {
                files.addAll(scanner.scanHub(ref, client).files());
            }
            if (!objectUrls.isEmpty()) {
                ObjectLister s3 = lister("s3");
                Map<String, String> options = s3Options(a);
                for (String u : objectUrls) {
                    files.addAll(scanner.scanObjects(s3.list(u, guard, options), fetcher).files());
                }
            }
        }
        return new ScanReport(files, local.nanos());
    }

    /** The hub of hf:// paths: --hub-url, else $HF_ENDPOINT, else the public hub. */
    static URI hubUrl(Args a) throws IOException {
        return HubClient.endpoint(a.value("--hub-url", null), "--hub-url");
    }

    static Map<String, String> s3Options(Args a) {
        Map<String, String> options = new HashMap<>();
        if (a.value("--s3-endpoint", null) != null) {
            options.put("endpoint", a.value("--s3-endpoint", null));
        }
        if (a.value("--s3-region", null) != null) {
            options.put("region", a.value("--s3-region", null));
        }
        options.put("pathStyle", Boolean.toString(a.flag("--s3-path-style")));
        return options;
    }

    /** The lister of an optional module (s3), or an error that says how to get it. */
    static ObjectLister lister(String scheme) throws IOException {
        ObjectLister l = ObjectLister.find(scheme);
        if (l == null) {
            throw new IOException(scheme + ":// needs the " + scheme + " module (" + scheme + "/target/laocoon-" + scheme
                    + ".jar beside the CLI's jar; the ./laocoon launcher builds and adds it): build it with"
                    + " './mvnw -DskipTests package'");
        }
        return l;
    }

    /** The token from {@code --token-file}, else {@code HF_TOKEN}, else null. */
    static String token(String file) throws IOException {
        return HubClient.token(file == null ? null : Path.of(file), "--token-file");
    }
}
