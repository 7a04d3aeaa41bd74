package dev.laocoon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.Format;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.RuleCatalog;
import dev.laocoon.core.finding.RuleDescriptor;
import dev.laocoon.core.finding.Severity;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code laocoon scan --server URL}: sends each file to a running {@code laocoon serve} instead of
 * scanning it here, and turns each answer back into a report, so that every output format and the
 * exit codes are those of a local scan. The token is read from {@code LAOCOON_TOKEN}. A file the
 * service does not judge (an error status, a scan that does not finish) is a failed report, never safe.
 */
final class ServerScan {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build();

    ServerScan(String server, String token) throws Args.UsageException {
        String s = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
        try {
            base = new URI(s);
        } catch (java.net.URISyntaxException e) {
            throw new Args.UsageException("--server: not a valid URL: " + server);
        }
        if (base.getScheme() == null || !(base.getScheme().equals("http") || base.getScheme().equals("https"))
                || base.getHost() == null) {
            throw new Args.UsageException("--server: expected http://HOST:PORT or https://HOST, got '" + server + "'");
        }
        this.token = token;
    }

    /** Scans the files under the arguments (folders recursively, version-control folders skipped), in sorted order. */
    ScanReport scan(List<Path> arguments) throws IOException {
        long t0 = System.nanoTime();
        List<FileReport> out = new ArrayList<>();
        for (Path a : arguments) {
            if (Files.isDirectory(a)) {
                List<Path> files = new ArrayList<>();
                try (var w = Files.walk(a)) {
                    w.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                            .filter(p -> !dev.laocoon.core.PathFilter.vcs(a.relativize(p))).forEach(files::add);
                }
                files.sort(null);
                for (Path f : files) {
                    out.add(one(f));
                }
            } else {
                out.add(one(a));
            }
        }
        return new ScanReport(out, System.nanoTime() - t0);
    }

    private FileReport one(Path f) throws IOException {
        String name = f.toString();
        if (!Files.isRegularFile(f)) {
            return failed(name, Files.exists(f) ? "not a regular file" : "cannot read: no such file");
        }
        String leaf = f.getFileName() == null ? name : f.getFileName().toString();
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/scans?name="
                        + URLEncoder.encode(leaf, StandardCharsets.UTF_8)))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/octet-stream")
                .timeout(Duration.ofMinutes(30)).POST(HttpRequest.BodyPublishers.ofFile(f)).build();
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            for (int polls = 0; r.statusCode() == 202 && polls < 36_000; polls++) {
                Thread.sleep(polls < 20 ? 100 : 1000);
                String loc = r.headers().firstValue("Location").orElse(null);
                JsonNode q = JSON.readTree(r.body());
                String where = loc != null ? loc : q.path("location").asText();
                HttpResponse<String> p = http.send(HttpRequest.newBuilder(base.resolve(where))
                        .header("Authorization", "Bearer " + token).timeout(Duration.ofMinutes(1)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                JsonNode j = p.statusCode() == 200 ? JSON.readTree(p.body()) : null;
                if (j != null && (j.path("status").asText().equals("queued") || j.path("status").asText().equals("running"))) {
                    continue;
                }
                r = p;
                break;
            }
            if (r.statusCode() == 401) {
                throw new IOException("the server refused the token (LAOCOON_TOKEN): " + message(r.body()));
            }
            if (r.statusCode() != 200) {
                return failed(name, "the server answered " + r.statusCode() + ": " + message(r.body()));
            }
            JsonNode j = JSON.readTree(r.body());
            if (!j.path("status").asText().equals("done")) {
                return failed(name, "the server's scan ended with status " + j.path("status").asText()
                        + (j.has("error") ? ": " + j.path("error").asText() : ""));
            }
            return report(j, name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } catch (java.net.ConnectException e) {
            throw new IOException("cannot reach the server at " + base + " (" + e.getMessage() + ")");
        }
    }

    private static String message(String body) {
        try {
            JsonNode j = JSON.readTree(body);
            if (j.has("error")) {
                return j.path("error").asText();
            }
        } catch (IOException e) {
            // not JSON
        }
        return body.length() > 200 ? body.substring(0, 200) : body;
    }

    private static FileReport failed(String name, String error) {
        Finding f = new Finding(Rule.FILE_UNREADABLE, Severity.SUSPICIOUS, error, Location.of(name), "");
        return new FileReport(name, List.of(), Severity.SUSPICIOUS, List.of(f), error, -1, null, -1, Duration.ZERO);
    }

    /** The per-file JSON of the service as a report, under the local name. */
    static FileReport report(JsonNode j, String name) {
        List<Format> formats = new ArrayList<>();
        String fl = j.path("format").asText("unknown");
        if (!fl.equals("unknown")) {
            for (String id : fl.split("\\+")) {
                try {
                    formats.add(Format.ofId(id));
                } catch (IllegalArgumentException e) {
                    // a format this client does not know: the verdict still stands
                }
            }
        }
        String remoteName = j.path("path").asText();
        List<Finding> findings = new ArrayList<>();
        RuleCatalog catalog = RuleCatalog.builtIn();
        for (JsonNode x : j.path("findings")) {
            String id = x.path("rule").asText();
            int i = catalog.indexOf(id);
            RuleDescriptor rule = i >= 0 ? catalog.rules().get(i) : unknownRule(id, x.path("name").asText(),
                    Severity.parse(x.path("severity").asText()));
            JsonNode l = x.path("location");
            List<String> members = new ArrayList<>();
            for (JsonNode m : l.path("members")) {
                members.add(m.asText());
            }
            String file = l.path("file").asText();
            if (file.equals(remoteName)) {
                file = name;
            }
            Location.Within within = null;
            if (l.has("within")) {
                JsonNode w = l.path("within");
                within = new Location.Within(w.path("kind").asText(), w.path("path").asText(), w.path("line").asInt(0),
                        w.path("column").asInt(0));
            }
            findings.add(new Finding(rule, Severity.parse(x.path("severity").asText()), x.path("message").asText(),
                    new Location(file, members, l.path("pickle").asInt(-1), l.path("offset").asLong(-1), within),
                    x.path("evidence").asText()));
        }
        String verdict = j.path("verdict").asText();
        String error = j.has("error") ? j.path("error").asText() : null;
        Severity v = verdict.equals("error") ? Severity.SUSPICIOUS : Severity.parse(verdict);
        return new FileReport(name, formats, v, findings, error, j.path("size").asLong(-1),
                j.has("sha256") ? j.path("sha256").asText() : null, -1, Duration.ZERO);
    }

    private static RuleDescriptor unknownRule(String id, String slug, Severity s) {
        return new RuleDescriptor() {
            @Override
            public String id() {
                return id;
            }

            @Override
            public String slug() {
                return slug;
            }

            @Override
            public Severity defaultSeverity() {
                return s;
            }

            @Override
            public String summary() {
                return "a rule of the server's version of Laocoon";
            }
        };
    }
}
