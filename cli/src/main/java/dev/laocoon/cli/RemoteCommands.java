package dev.laocoon.cli;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.source.remote.HubClient;
import dev.laocoon.core.source.remote.NetworkGuard;
import dev.laocoon.core.source.remote.RemoteFetcher;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The remote part of {@code laocoon scan}: {@code http(s)://} objects and {@code hf://} repositories,
 * through one fetcher whose network guard is set by {@code --allow-host} and {@code --allow-private}
 * (README: Remote sources). In a class of its own so that local scans never load it.
 */
final class RemoteCommands {
    private final PrintStream err;

    RemoteCommands(PrintStream err) {
        this.err = err;
    }

    /** The local report with the remote files' reports after it, in the order given. */
    ScanReport scan(Scanner scanner, ScanReport local, List<URI> urls, List<String> hubRefs, Args a) throws IOException {
        NetworkGuard guard = NetworkGuard.allowing(a.all("--allow-host"), a.flag("--allow-private"));
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
        }
        return new ScanReport(files, local.nanos());
    }

    /** The token from {@code --token-file}, else {@code HF_TOKEN}, else null. */
    private static String token(String file) throws IOException {
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
