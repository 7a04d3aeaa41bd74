package dev.laocoon.core.testutil;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback stand-in for the Hugging Face hub's API, with the shapes the real one answers in:
 * {@code /api/{models|datasets|spaces}/{id}/revision/{rev}} gives {@code {"sha": commit}},
 * {@code /api/.../tree/{commit}?recursive=true} lists files a page at a time with a
 * {@code Link: <...>; rel="next"} header, LFS files carry {@code lfs.oid} (their SHA-256) and size,
 * and {@code /{id}/resolve/{commit}/{path}} answers an LFS file with a 302 to a CDN path on the same
 * server and a small file directly. Gated repositories answer 401 without a token and 403 with
 * another one than {@link #TOKEN}.
 */
public final class HubFixture implements AutoCloseable {
    public static final String TOKEN = "hf_fixture_token";

    private record Repo(String type, String id, String commit, Map<String, byte[]> files, boolean gated) {
    }

    private final HttpFixture http;
    private final HttpFixture cdnServer;
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, byte[]> cdn = new ConcurrentHashMap<>();
    private volatile int pageSize = 3;

    public HubFixture() throws IOException {
        http = new HttpFixture();
        http.handler("/api/", this::api);
        http.handler("/", this::resolve);
        cdnServer = new HttpFixture("127.0.0.2", null); // another host, as the hub's CDN is
        cdnServer.handler("/cdn/", this::cdn);
    }

    public HttpFixture http() {
        return http;
    }

    /** The CDN the hub redirects LFS files to, on 127.0.0.2. */
    public HttpFixture cdn() {
        return cdnServer;
    }

    /** The hub's URL (for --hub-url). */
    public URI url() {
        return http.url("");
    }

    public HubFixture pageSize(int n) {
        pageSize = n;
        return this;
    }

    /** A repository ({@code type} model, dataset or space) at {@code commit}, which {@code main} names. */
    public HubFixture repo(String type, String id, String commit, Map<String, byte[]> files, boolean gated) {
        repos.put(type + "/" + id, new Repo(type, id, commit, new TreeMap<>(files), gated));
        return this;
    }

    static boolean lfs(String path, byte[] b) {
        return b.length > 1024 || path.endsWith(".bin") || path.endsWith(".pkl") || path.endsWith(".pt");
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String gitOid(byte[] b) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-1");
            d.update(("blob " + b.length + "\0").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(d.digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private boolean allowed(HttpExchange x, Repo r) throws IOException {
        if (!r.gated()) {
            return true;
        }
        String auth = x.getRequestHeaders().getFirst("Authorization");
        if (auth == null) {
            send(x, 401, "{\"error\":\"Access to model " + r.id() + " is restricted. You must have access to it and be"
                    + " authenticated to access it. Please log in.\"}");
            return false;
        }
        if (!auth.equals("Bearer " + TOKEN)) {
            send(x, 403, "{\"error\":\"Access to model " + r.id() + " is restricted and you are not in the authorized"
                    + " list.\"}");
            return false;
        }
        return true;
    }

    private void api(HttpExchange x, HttpFixture f) throws IOException {
        // /api/{type}s/{org}/{name}/{revision|tree}/{rev}
        String[] p = x.getRequestURI().getRawPath().split("/");
        if (p.length < 7) {
            send(x, 404, "{\"error\":\"Not found\"}");
            return;
        }
        String type = p[2].endsWith("s") ? p[2].substring(0, p[2].length() - 1) : p[2];
        Repo r = repos.get(type + "/" + p[3] + "/" + p[4]);
        if (r == null) {
            send(x, 401, "{\"error\":\"Repository not found\"}"); // the hub hides private repositories this way
            return;
        }
        if (!allowed(x, r)) {
            return;
        }
        String rev = URLDecoder.decode(p[6], StandardCharsets.UTF_8);
        if (!rev.equals("main") && !rev.equals(r.commit())) {
            send(x, 404, "{\"error\":\"Invalid rev id: " + rev + "\"}");
            return;
        }
        if (p[5].equals("revision")) {
            send(x, 200, "{\"id\":\"" + r.id() + "\",\"sha\":\"" + r.commit() + "\",\"private\":false}");
            return;
        }
        if (!p[5].equals("tree")) {
            send(x, 404, "{\"error\":\"Not found\"}");
            return;
        }
        String q = x.getRequestURI().getRawQuery() == null ? "" : x.getRequestURI().getRawQuery();
        int cursor = 0;
        for (String kv : q.split("&")) {
            if (kv.startsWith("cursor=")) {
                cursor = Integer.parseInt(kv.substring(7));
            }
        }
        List<String> entries = new ArrayList<>();
        java.util.Set<String> dirs = new java.util.TreeSet<>();
        for (String path : r.files().keySet()) {
            for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
                dirs.add(path.substring(0, i));
            }
        }
        for (String d : dirs) {
            entries.add("{\"type\":\"directory\",\"oid\":\"" + "0".repeat(40) + "\",\"size\":0,\"path\":\"" + d + "\"}");
        }
        for (Map.Entry<String, byte[]> e : r.files().entrySet()) {
            byte[] b = e.getValue();
            String lfs = lfs(e.getKey(), b) ? ",\"lfs\":{\"oid\":\"" + sha256(b) + "\",\"size\":" + b.length
                    + ",\"pointerSize\":134}" : "";
            entries.add("{\"type\":\"file\",\"oid\":\"" + gitOid(b) + "\",\"size\":" + b.length + ",\"path\":\""
                    + e.getKey() + "\"" + lfs + "}");
        }
        int end = Math.min(entries.size(), cursor + pageSize);
        if (end < entries.size()) {
            x.getResponseHeaders().add("Link", "<" + f.url(x.getRequestURI().getRawPath()) + "?recursive=true&cursor=" + end
                    + ">; rel=\"next\"");
        }
        send(x, 200, "[" + String.join(",", entries.subList(cursor, end)) + "]");
    }

    private void resolve(HttpExchange x, HttpFixture f) throws IOException {
        // /[datasets/|spaces/]{org}/{name}/resolve/{rev}/{path}
        String raw = x.getRequestURI().getRawPath();
        String type = "model";
        if (raw.startsWith("/datasets/")) {
            type = "dataset";
            raw = raw.substring(9);
        } else if (raw.startsWith("/spaces/")) {
            type = "space";
            raw = raw.substring(7);
        }
        String[] p = raw.split("/", 6);
        if (p.length < 6 || !p[3].equals("resolve")) {
            send(x, 404, "Not found");
            return;
        }
        Repo r = repos.get(type + "/" + p[1] + "/" + p[2]);
        if (r == null) {
            send(x, 401, "Repository not found");
            return;
        }
        if (!allowed(x, r)) {
            return;
        }
        if (!p[4].equals(r.commit()) && !p[4].equals("main")) {
            send(x, 404, "Revision not found");
            return;
        }
        String path = URLDecoder.decode(p[5], StandardCharsets.UTF_8);
        byte[] b = r.files().get(path);
        if (b == null) {
            send(x, 404, "Entry not found");
            return;
        }
        if (lfs(path, b)) {
            String sha = sha256(b);
            cdn.put(sha, b);
            x.getResponseHeaders().add("Location", cdnServer.url("/cdn/" + sha + "?X-Amz-Signature=fixture").toString());
            x.sendResponseHeaders(302, -1);
            return;
        }
        f.serveObject(x, b, x.getRequestHeaders().getFirst("Range"), f.requests());
    }

    private void cdn(HttpExchange x, HttpFixture f) throws IOException {
        byte[] b = cdn.get(x.getRequestURI().getPath().substring(5));
        if (b == null) {
            send(x, 403, "expired");
            return;
        }
        f.serveObject(x, b, x.getRequestHeaders().getFirst("Range"), 1);
    }

    private static void send(HttpExchange x, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", body.startsWith("{") || body.startsWith("[") ? "application/json"
                : "text/plain");
        x.sendResponseHeaders(status, b.length);
        try (OutputStream o = x.getResponseBody()) {
            o.write(b);
        }
    }

    @Override
    public void close() {
        http.close();
        cdnServer.close();
    }
}
