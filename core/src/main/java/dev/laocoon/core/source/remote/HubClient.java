package dev.laocoon.core.source.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A Hugging Face hub (or a mirror or private hub with the same API) read through a
 * {@link RemoteFetcher}: a revision is resolved to its commit id
 * ({@code GET /api/{models|datasets|spaces}/{id}/revision/{rev}}), the repository is listed at that
 * commit ({@code GET /api/.../tree/{commit}?recursive=true}, following the {@code Link: rel="next"}
 * pages) and every file is read from {@code /{id}/resolve/{commit}/{path}}, which the hub answers
 * with the file or a redirect to its CDN. Gated, private and missing repositories give an
 * {@link IOException} that says which, never a listing.
 *
 * <p>The token, when there is one, is the fetcher's {@code Authorization} for the hub's host only
 * (see {@link RemoteFetcher.Builder#authorization}); it is never part of a message.
 */
public final class HubClient {
    /** The public hub. */
    public static final URI DEFAULT_HUB = URI.create("https://huggingface.co");
    private static final int MAX_JSON = 64 << 20;
    private static final int MAX_PAGES = 10_000;

    /** {@code hf://[datasets/|spaces/]org/name[@revision][/path]}. */
    public record Ref(String type, String id, String revision, String path) {
        /** The repository as {@code hf://} shows it, at {@code revision} (a commit once resolved). */
        public String display(String rev) {
            return "hf://" + (type.equals("model") ? "" : type + "s/") + id + (rev == null ? "" : "@" + rev);
        }
    }

    /** A file of the listing: its path, size, and the SHA-256 the hub gives for LFS files (else null). */
    public record Entry(String path, long size, String lfsSha256, String gitOid) {
    }

    private final RemoteFetcher fetcher;
    private final URI hub;
    private final boolean hasToken;
    private final ObjectMapper json = new ObjectMapper();

    /** A client of {@code hub} (null for the public hub); {@code hasToken} only changes the messages. */
    public HubClient(RemoteFetcher fetcher, URI hub, boolean hasToken) {
        this.fetcher = fetcher;
        String h = (hub == null ? DEFAULT_HUB : hub).toString();
        this.hub = URI.create(h.endsWith("/") ? h.substring(0, h.length() - 1) : h);
        this.hasToken = hasToken;
    }

    public RemoteFetcher fetcher() {
        return fetcher;
    }

    /**
     * The hub to use: {@code configured} when given, else {@code $HF_ENDPOINT} (as the Hugging Face
     * tools read it), else the public hub; an http(s) URL with a host, or an IOException naming
     * {@code setting} (the option or key it came from).
     */
    public static URI endpoint(String configured, String setting) throws IOException {
        String h = configured;
        if (h == null) {
            String env = System.getenv("HF_ENDPOINT");
            h = env == null || env.isBlank() ? DEFAULT_HUB.toString() : env.trim();
        }
        URI u;
        try {
            u = new URI(h);
        } catch (java.net.URISyntaxException e) {
            throw new IOException(setting + ": not a valid URL: " + h);
        }
        if (u.getHost() == null || !("https".equalsIgnoreCase(u.getScheme()) || "http".equalsIgnoreCase(u.getScheme()))) {
            throw new IOException(setting + ": needs an http(s) URL with a host, not " + h);
        }
        return u;
    }

    /**
     * The hub token: the one line of {@code file} when given, else {@code $HF_TOKEN}, else null (no
     * token). Never part of a message.
     */
    public static String token(java.nio.file.Path file, String setting) throws IOException {
        if (file != null) {
            if (!java.nio.file.Files.isRegularFile(file)) {
                throw new IOException(setting + ": no such file: " + file);
            }
            String t = java.nio.file.Files.readString(file, StandardCharsets.UTF_8).trim();
            if (t.isEmpty() || t.contains("\n") || t.contains(" ")) {
                throw new IOException(setting + ": " + file + " should hold one token on one line");
            }
            return t;
        }
        String env = System.getenv("HF_TOKEN");
        return env == null || env.isBlank() ? null : env.trim();
    }

    public URI hub() {
        return hub;
    }

    /** Reads an {@code hf://} reference; the revision defaults to {@code main}. */
    public static Ref parse(String s) {
        if (!s.regionMatches(true, 0, "hf://", 0, 5)) {
            throw new IllegalArgumentException("not an hf:// reference: " + s);
        }
        String rest = s.substring(5);
        String type = "model";
        if (rest.startsWith("datasets/")) {
            type = "dataset";
            rest = rest.substring(9);
        } else if (rest.startsWith("spaces/")) {
            type = "space";
            rest = rest.substring(7);
        } else if (rest.startsWith("models/")) {
            rest = rest.substring(7);
        }
        int slash = rest.indexOf('/');
        if (slash <= 0) {
            throw new IllegalArgumentException("hf:// needs an organisation and a name (hf://org/name[@revision][/path]): "
                    + s);
        }
        int end = rest.indexOf('/', slash + 1);
        String name = end < 0 ? rest.substring(slash + 1) : rest.substring(slash + 1, end);
        String tail = end < 0 ? "" : rest.substring(end + 1);
        String revision = "main";
        int at = name.indexOf('@');
        if (at >= 0) {
            revision = java.net.URLDecoder.decode(name.substring(at + 1), StandardCharsets.UTF_8);
            name = name.substring(0, at);
        }
        String org = rest.substring(0, slash);
        if (name.isEmpty() || revision.isEmpty() || !validId(org) || !validId(name)) {
            throw new IllegalArgumentException("not a valid hub repository id in " + s);
        }
        String path = tail;
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        for (String part : path.split("/")) {
            if (part.equals("..") || part.equals(".")) {
                throw new IllegalArgumentException("'" + part + "' in the path of " + s);
            }
        }
        return new Ref(type, org + "/" + name, revision, path);
    }

    private static boolean validId(String part) {
        if (part.isEmpty() || part.length() > 96 || part.equals(".") || part.equals("..")) {
            return false;
        }
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')) {
                return false;
            }
        }
        return true;
    }

    /** The commit id of the reference's revision. */
    public String resolve(Ref ref) throws IOException {
        URI u = URI.create(hub + "/api/" + ref.type() + "s/" + ref.id() + "/revision/" + segment(ref.revision()));
        JsonNode n = getJson(u, ref);
        JsonNode sha = n.get("sha");
        if (sha == null || !sha.isTextual() || !isCommit(sha.asText())) {
            throw new IOException(ref.display(ref.revision()) + ": the hub's answer for the revision has no commit id");
        }
        return sha.asText();
    }

    static boolean isCommit(String s) {
        if (s.length() != 40) {
            return false;
        }
        for (int i = 0; i < 40; i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    /** Every file of the repository at {@code commit} under the reference's path (or that file), sorted. */
    public List<Entry> list(Ref ref, String commit) throws IOException {
        List<Entry> out = new ArrayList<>();
        URI next = URI.create(hub + "/api/" + ref.type() + "s/" + ref.id() + "/tree/" + commit + "?recursive=true");
        for (int page = 0; next != null; page++) {
            if (page >= MAX_PAGES) {
                throw new IOException(ref.display(commit) + ": more than " + MAX_PAGES + " pages of listing");
            }
            RemoteFetcher.Response r = fetcher.get(next, Map.of("Accept", "application/json"), MAX_JSON);
            check(r, ref);
            JsonNode arr = parse(r, ref);
            if (!arr.isArray()) {
                throw new IOException(ref.display(commit) + ": the hub's listing is not a JSON array");
            }
            for (JsonNode e : arr) {
                if (!"file".equals(text(e, "type"))) {
                    continue;
                }
                String p = text(e, "path");
                if (p == null || p.isEmpty() || p.startsWith("/") || p.contains("\\") || hasDotSegment(p)) {
                    throw new IOException(ref.display(commit) + ": the listing names an unsafe path " + p);
                }
                if (!ref.path().isEmpty() && !p.equals(ref.path()) && !p.startsWith(ref.path() + "/")) {
                    continue;
                }
                JsonNode lfs = e.get("lfs");
                String sha = lfs != null ? text(lfs, "oid") : null;
                if (sha != null) {
                    sha = sha.toLowerCase(Locale.ROOT);
                    if (sha.startsWith("sha256:")) {
                        sha = sha.substring(7);
                    }
                    if (sha.length() != 64) {
                        sha = null;
                    }
                }
                long size = e.has("size") ? e.get("size").asLong(-1) : -1;
                out.add(new Entry(p, size, sha, text(e, "oid")));
            }
            next = nextPage(r.header("Link"), next);
        }
        out.sort((a, b) -> a.path().compareTo(b.path()));
        if (out.isEmpty() && !ref.path().isEmpty()) {
            throw new IOException(ref.display(commit) + ": no file " + ref.path() + " in the repository");
        }
        return out;
    }

    private static boolean hasDotSegment(String p) {
        for (String part : p.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                return true;
            }
        }
        return false;
    }

    /** The URL a file is read from at {@code commit}. */
    public URI fileUrl(Ref ref, String commit, String path) {
        StringBuilder b = new StringBuilder(hub.toString()).append('/');
        if (!ref.type().equals("model")) {
            b.append(ref.type()).append("s/");
        }
        b.append(ref.id()).append("/resolve/").append(commit);
        for (String part : path.split("/")) {
            b.append('/').append(segment(part));
        }
        return URI.create(b.toString());
    }

    private static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The {@code rel="next"} target of a {@code Link} header, resolved against the page's URL. */
    static URI nextPage(String link, URI page) {
        if (link == null) {
            return null;
        }
        for (String part : link.split(",")) {
            int lt = part.indexOf('<');
            int gt = part.indexOf('>', lt + 1);
            if (lt < 0 || gt < 0) {
                continue;
            }
            String params = part.substring(gt + 1).toLowerCase(Locale.ROOT).replace(" ", "");
            if (params.contains("rel=\"next\"") || params.contains("rel=next")) {
                return page.resolve(part.substring(lt + 1, gt).trim());
            }
        }
        return null;
    }

    private JsonNode getJson(URI u, Ref ref) throws IOException {
        RemoteFetcher.Response r = fetcher.get(u, Map.of("Accept", "application/json"), MAX_JSON);
        check(r, ref);
        return parse(r, ref);
    }

    private JsonNode parse(RemoteFetcher.Response r, Ref ref) throws IOException {
        if (r.truncated()) {
            throw new IOException(ref.display(ref.revision()) + ": the hub's answer is longer than " + MAX_JSON + " bytes");
        }
        try {
            return json.readTree(r.body());
        } catch (IOException e) {
            throw new IOException(ref.display(ref.revision()) + ": the hub's answer is not JSON (is " + hub
                    + " a hub? --hub-url sets it)");
        }
    }

    private void check(RemoteFetcher.Response r, Ref ref) throws IOException {
        int s = r.status();
        if (s == 200) {
            return;
        }
        String what = ref.display(ref.revision());
        String msg = switch (s) {
            case 401 -> hasToken ? "the token is not valid for this repository, or it is private"
                    : "the repository is private or gated, or does not exist: give a token with HF_TOKEN or --token-file";
            case 403 -> "access to this gated repository has not been granted to the token's account";
            case 404 -> "repository or revision not found";
            default -> HttpRangeSource.status(s);
        };
        throw new IOException(what + ": " + msg + " (HTTP " + s + " from " + hub + ")");
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }
}
