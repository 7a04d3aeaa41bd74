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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

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
        String hubArg = a.value("--hub-url", null);
        if (hubArg == null) {
            String env = System.getenv("HF_ENDPOINT");
            hubArg = env == null || env.isBlank() ? HubClient.DEFAULT_HUB.toString() : env.trim();
        }
        URI hub;
        try {
            hub = new URI(hubArg);
        } catch (java.net.URISyntaxException e) {
            throw new IOException("--hub-url: not a valid URL: " + hubArg);
        }
        if (hub.getHost() == null || !("https".equalsIgnoreCase(hub.getScheme()) || "http".equalsIgnoreCase(hub.getScheme()))) {
            throw new IOException("--hub-url: needs an http(s) URL with a host, not " + hubArg);
        }
        return hub;
    }

    /** The s3 lister's options from --s3-endpoint, --s3-region and --s3-path-style. */
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
        for (ObjectLister l : ServiceLoader.load(ObjectLister.class)) {
            if (l.scheme().equals(scheme)) {
                return l;
            }
        }
        throw new IOException(scheme + ":// needs the " + scheme + " module (" + scheme + "/target/laocoon-" + scheme
                + ".jar beside the CLI's jar; the ./laocoon launcher builds and adds it): build it with"
                + " './mvnw -DskipTests package'");
    }

    /** The token from {@code --token-file}, else {@code HF_TOKEN}, else null. */
    static String token(String file) throws IOException {
        if (file != null) {
            Path p = Path.of(file);
            if (!Files.isRegularFile(p)) {
                throw new IOException("--token-file: no such file: " + file);
            }
            String t = new String(Files.readAllBytes(p), StandardCharsets.UTF_8).trim();
            if (t.isEmpty() || t.contains("\n") || t.contains(" ")) {
                throw new IOException("--token-file: " + file + " should hold one token on one line");
            }
            return t;
        }
        String env = System.getenv("HF_TOKEN");
        return env == null || env.isBlank() ? null : env.trim();
    }
}
