package dev.laocoon.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanLimits;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code laocoon serve}: the HTTP API (and, when configured, the clamd listener) over one bounded
 * scan pool. Every limit fails closed: a body over the limit is refused before it is read (413), a
 * slow body gets 408, a full pool 503, a full temporary folder 507, a quota 429; a scan that runs out
 * of time is {@code suspicious} (LAO111), never {@code safe}. Temporary files are removed on every path.
 */
public final class Server implements AutoCloseable {
    static {
        // An unread remainder of a refused body is never drained (a 2 GB body against a 1 GB limit):
        // the connection is closed after the answer instead. Read by the JDK server when it loads.
        if (System.getProperty("sun.net.httpserver.drainAmount") == null) {
            System.setProperty("sun.net.httpserver.drainAmount", "0");
        }
        // The JDK server writes headers and body apart: without TCP_NODELAY a keep-alive client waits
        // for a delayed ACK (about 40 ms) on every answer.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    /** The page's content security policy: its own files only, no inline script, no framing. */
    static final String CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'";

    final ServeConfig config;
    final Log log;
    final String version;
    /** The knowledge base's hash, computed beside the store's opening (start-up time). */
    private final CompletableFuture<String> kbHashFuture;
    final Store store;
    final Tenants tenants;
    final TempSpace temp;
    final Metrics metrics;
    final Audit audit;
    final Callbacks callbacks;
    private final ThreadPoolExecutor pool;
    private final Semaphore slots;
    private final int slotCount;
    private final AtomicInteger running = new AtomicInteger();
    private final ScheduledExecutorService watchdog;
    private final Set<Inflight> inflight = ConcurrentHashMap.newKeySet();
    private final ThreadPoolExecutor httpExecutor;
    private HttpServer http;
    private ClamdListener clamd;
    private volatile String adminToken;
    /**
     * The latest content-cache hits read from the store, in memory: a result under a cache key never
     * changes (the key has the version, knowledge base and policy in it), so a content uploaded again
     * and again is answered without reading and parsing its stored result each time.
     */
    private final Memo hits = new Memo(1024);

    private record Hit(Store.Scan scan, ObjectNode envelope) {
    }

    /** A small least-recently-used map. */
    private static final class Memo {
        private final java.util.LinkedHashMap<String, Hit> map;

        Memo(int max) {
            this.map = new java.util.LinkedHashMap<>(64, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(java.util.Map.Entry<String, Hit> e) {
                    return size() > max;
                }
            };
        }

        synchronized Hit get(String k) {
            return map.get(k);
        }

        synchronized void put(String k, Hit h) {
            map.put(k, h);
        }
    }
    private final long startedNanos = System.nanoTime();

    private record Inflight(Http call, TempSpace.Progress progress, boolean drain) {
        Inflight(Http call, TempSpace.Progress progress) {
            this(call, progress, false);
        }
    }

    private Server(ServeConfig config, Log log) throws IOException, SQLException {
        this.config = config;
        this.log = log;
        Package p = Server.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        this.version = v == null ? "0.1.0-dev" : v;
        this.kbHashFuture = CompletableFuture.supplyAsync(Hashes::knowledgeBaseHash, r -> {
            Thread t = new Thread(r, "laocoon-kb-hash");
            t.setDaemon(true);
            t.start();
        });
        phase("before the server");
        java.nio.file.Files.createDirectories(config.data);
        this.temp = new TempSpace(config.tempDir(), config.maxTempBytes);
        int swept = temp.sweep();
        if (swept > 0) {
            log.info("removed " + swept + " temporary files left by a previous run");
        }
        String url = config.storeUrl != null ? config.storeUrl
                : "jdbc:h2:file:" + config.data.toAbsolutePath().resolve("store") + ";DB_CLOSE_ON_EXIT=FALSE;MAX_LENGTH_INPLACE_LOB=65536";
        this.store = new Store(url, config.storeUser, config.storePassword);
        phase("temporary folder");
        this.pool = new ThreadPoolExecutor(config.workers, config.workers, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                daemon("laocoon-scan"));
        this.slotCount = config.workers + config.queue;
        this.slots = new Semaphore(slotCount);
        this.httpExecutor = new ThreadPoolExecutor(config.httpThreads, config.httpThreads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(4096), daemon("laocoon-http"));
        this.httpExecutor.allowCoreThreadTimeOut(true);
        this.watchdog = Executors.newSingleThreadScheduledExecutor(daemon("laocoon-watchdog"));
        ScanLimits limits = ScanLimits.DEFAULT.withMaxTimePerFile(config.scanTime);
        this.tenants = new Tenants(config, limits, pool, log);
        this.metrics = new Metrics(() -> Math.max(0, slotCount - slots.availablePermits() - running.get()), running::get,
                temp::used);
        phase("pools and metrics");
        this.audit = new Audit(config.auditLog(), log);
        this.callbacks = new Callbacks(config, log);
        phase("audit and callbacks");
    }

    private static final boolean DEBUG_STARTUP = Boolean.getBoolean("laocoon.debug.startup");
    private static long phaseStart = System.nanoTime();

    /** With -Dlaocoon.debug.startup=true, how long each start-up phase took (stderr). */
    static void phase(String name) {
        if (DEBUG_STARTUP) {
            long now = System.nanoTime();
            System.err.println("laocoon serve: start-up: " + name + " " + (now - phaseStart) / 1_000_000 + " ms");
            phaseStart = now;
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Starts a service: store, migrations, tenants, HTTP listener (and clamd listener). The admin
     * token is {@code adminToken} when given (its hash replaces the stored one), else the stored
     * hash stands, else a new token is made: {@link #newAdminToken()} returns it, once.
     */
    public static Server start(ServeConfig config, String adminToken, Log log) throws IOException, SQLException {
        Server s = listen(config, adminToken, log);
        try {
            s.awaitReady();
            return s;
        } catch (IOException | SQLException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /**
     * As {@link #start}, but returns as soon as the HTTP listener is up: {@code /healthz} answers 200
     * from then on, while the store is opened (and migrated) beside it; {@code /readyz} answers 503
     * until it is, and requests that need it wait for it. {@link #awaitReady()} waits for the store
     * and throws what stopped it from opening.
     */
    public static Server listen(ServeConfig config, String adminToken, Log log) throws IOException, SQLException {
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
            System.setProperty("sun.net.httpserver.maxReqTime", Long.toString(config.maxRequestTime.toSeconds()));
        }
        Server s = new Server(config, log);
        try {
            s.open(adminToken);
            return s;
        } catch (IOException | SQLException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** Completes when the store is open and migrated and the tenants are in place. */
    private final CompletableFuture<Void> ready = new CompletableFuture<>();

    /** Waits until the store is open; throws what kept it from opening. */
    public void awaitReady() throws IOException, SQLException {
        try {
            ready.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while the store opened");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof SQLException q) {
                throw q;
            }
            if (c instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(c);
        }
    }

    /** True when the store is open (waiting for it at most {@code millis}). */
    boolean ready(long millis) {
        try {
            ready.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        }
    }

    private void open(String givenAdminToken) throws IOException, SQLException {
        http = HttpServer.create(new InetSocketAddress(config.bind, config.port), 256);
        http.setExecutor(httpExecutor);
        http.createContext("/", this::handle);
        http.start();
        phase("HTTP listening");
        long period = Math.max(50, Math.min(500, config.readTimeout.toMillis() / 4));
        watchdog.scheduleWithFixedDelay(this::watch, period, period, TimeUnit.MILLISECONDS);
        if (config.clamd != null) {
            clamd = ClamdListener.start(this, config.clamd);
        }
        Thread t = new Thread(() -> {
            try {
                openStore(givenAdminToken);
                ready.complete(null);
            } catch (Throwable e) {
                log.info("the store could not be opened: " + e.getMessage());
                ready.completeExceptionally(e);
            }
        }, "laocoon-store-open");
        t.setDaemon(true);
        t.start();
    }

    /** Opens and migrates the store, then the admin token and the tenants (beside the listener). */
    private void openStore(String givenAdminToken) throws IOException, SQLException {
        int applied = store.migrate();
        phase("store opened and migrated");
        if (applied > 0) {
            log.info("store " + store.describe() + ": " + applied + " schema migrations applied");
        }
        if (store.dialect == Store.Dialect.H2) {
            int abandoned = store.abandon();
            if (abandoned > 0) {
                log.info(abandoned + " scans left unfinished by a previous run are marked as errors");
            }
        }
        phase("store checked");
        String hash;
        if (givenAdminToken != null && !givenAdminToken.isEmpty()) {
            hash = Hashes.sha256Hex(givenAdminToken.getBytes(StandardCharsets.UTF_8));
            store.putSetting("admin.tokenSha256", hash);
        } else {
            hash = store.setting("admin.tokenSha256");
            if (hash == null) {
                adminToken = Hashes.newToken();
                hash = Hashes.sha256Hex(adminToken.getBytes(StandardCharsets.UTF_8));
                store.putSetting("admin.tokenSha256", hash);
            }
        }
        phase("admin token");
        tenants.install(hash, config.tenants);
        tenants.markLoaded();
        phase("tenants");
        kbHash(); // computed meanwhile; a knowledge base that cannot be read stops the start here
        phase("knowledge-base hash (waited for)");
    }

    /** A newly made admin token (only on the first start of a store, and only once), else null. */
    public String newAdminToken() {
        String t = adminToken;
        adminToken = null;
        return t;
    }

    public int port() {
        return http.getAddress().getPort();
    }

    public InetSocketAddress address() {
        return http.getAddress();
    }

    /** The clamd listener's port, or -1. */
    public int clamdPort() {
        return clamd == null ? -1 : clamd.port();
    }

    String kbHash() {
        return kbHashFuture.join();
    }

    String cacheKey(Tenants.Tenant t) {
        return Hashes.sha256Hex((version + "\n" + kbHash() + "\n" + t.policyHash).getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ routing

    private void handle(HttpExchange ex) {
        Http[] self = new Http[1];
        Http call = new Http(ex, p -> {
            Inflight f = new Inflight(self[0], p, true);
            inflight.add(f);
            return () -> inflight.remove(f);
        });
        self[0] = call;
        try {
            route(call);
        } catch (RuntimeException | Error e) {
            log.info("internal error on " + call.method() + " " + call.path() + ": " + e);
            call.error(500, "internal error");
        } finally {
            if (!call.answered()) {
                call.error(500, "no answer");
            }
        }
    }

    private void route(Http call) {
        String path = call.path();
        String m = call.method();
        String v = call.query.get("view");
        if (v != null && !v.isEmpty() && !v.equals("json") && !v.equals("hf") && !v.equals("sarif")) {
            call.error(400, "view: expected json, hf or sarif");
            return;
        }
        boolean storeFree = switch (path) {
            case "/", "/index.html", "/app.js", "/style.css", "/openapi.json", "/healthz", "/readyz", "/metrics" -> true;
            default -> false;
        };
        if (!storeFree && !ready(STORE_WAIT_MILLIS)) {
            metrics.rejected("store_unavailable");
            call.error(503, ready.isDone() ? "the store could not be opened" : "the store is still being opened; try again",
                    "Retry-After", Integer.toString(config.retryAfterSeconds));
            return;
        }
        switch (path) {
            case "/", "/index.html", "/app.js", "/style.css":
                if (allow(call, "GET", "HEAD")) {
                    call.send(200, Page.contentType(path), Page.resource(path), "Content-Security-Policy", CSP,
                            "X-Frame-Options", "DENY");
                }
                return;
            case "/openapi.json":
                if (allow(call, "GET", "HEAD")) {
                    byte[] b = Page.openapi();
                    call.send(200, "application/json", b);
                }
                return;
            case "/healthz":
                if (allow(call, "GET", "HEAD")) {
                    call.json(200, Http.JSON.createObjectNode().put("status", "ok"));
                }
                return;
            case "/readyz":
                if (allow(call, "GET", "HEAD")) {
                    readyz(call);
                }
                return;
            case "/v1/info":
                if (allow(call, "GET", "HEAD")) {
                    call.json(200, info());
                }
                return;
            case "/metrics":
                if (allow(call, "GET", "HEAD")) {
                    try {
                        call.send(200, metrics.contentType(), metrics.scrape());
                    } catch (IOException e) {
                        call.error(500, "cannot write the metrics");
                    }
                }
                return;
            case "/v1/scans":
                if (m.equals("POST")) {
                    postScan(call);
                } else if (m.equals("GET") || m.equals("HEAD")) {
                    Tenants.Tenant t = authenticate(call);
                    if (t != null) {
                        list(call, t);
                    }
                } else {
                    call.error(405, "use POST to scan, GET to list", "Allow", "GET, HEAD, POST");
                }
                return;
            case "/v1/admission":
                if (allow(call, "POST")) {
                    admission(call);
                }
                return;
            case "/v1/scans/by-url":
                if (allow(call, "POST")) {
                    Tenants.Tenant t = authenticate(call);
                    if (t != null) {
                        byUrl(call, t);
                    }
                }
                return;
            default:
                break;
        }
        if (path.startsWith("/v1/scans/")) {
            if (allow(call, "GET", "HEAD")) {
                Tenants.Tenant t = authenticate(call);
                if (t != null) {
                    get(call, t, path.substring("/v1/scans/".length()));
                }
            }
            return;
        }
        if (path.startsWith("/v1/files/")) {
            if (allow(call, "GET", "HEAD")) {
                Tenants.Tenant t = authenticate(call);
                if (t != null) {
                    file(call, t, path.substring("/v1/files/".length()));
                }
            }
            return;
        }
        call.error(404, "no such endpoint: " + path);
    }

    private static boolean allow(Http call, String... methods) {
        for (String m : methods) {
            if (m.equals(call.method())) {
                return true;
            }
        }
        call.error(405, "method " + call.method() + " not allowed here", "Allow", String.join(", ", methods));
        return false;
    }

    /** The tenant of the request's bearer token, or null once 401 has been answered. */
    private Tenants.Tenant authenticate(Http call) {
        return authenticate(call, null);
    }

    private static String bearer(Http call) {
        String h = call.header("Authorization");
        if (h != null && h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return h.substring(7).trim();
        }
        return null;
    }

    /** As {@link #authenticate(Http)}; {@code formToken} (the page's form field) is used when there is no header. */
    private Tenants.Tenant authenticate(Http call, String formToken) {
        String token = bearer(call);
        if (token == null && formToken != null && !formToken.isBlank()) {
            token = formToken.trim();
        }
        Tenants.Tenant t = tenants.authenticate(token);
        if (t == null) {
            metrics.rejected("unauthorized");
            call.error(401, token == null ? "a bearer token is needed (Authorization: Bearer TOKEN)"
                    : "the token is not valid", "WWW-Authenticate", "Bearer realm=\"laocoon\"");
            return null;
        }
        long wait = t.countRequest(System.currentTimeMillis());
        if (wait > 0) {
            metrics.rejected("quota_requests");
            call.error(429, "tenant " + t.name() + " is over its quota of " + t.quota().requestsPerMinute()
                    + " requests per minute", "Retry-After", Long.toString(wait));
            return null;
        }
        return t;
    }

    /** How long a request that needs the store waits for it at start-up. */
    static final long STORE_WAIT_MILLIS = 30_000;

    private void readyz(Http call) {
        if (!ready.isDone() || ready.isCompletedExceptionally()) {
            ObjectNode n = Http.JSON.createObjectNode();
            n.put("status", "not ready");
            n.put("store", ready.isDone() ? "unavailable" : "opening");
            n.put("queue", "ok");
            call.json(503, n, "Retry-After", "1");
            return;
        }
        boolean storeOk = store.ping();
        boolean room = slots.availablePermits() > 0;
        ObjectNode n = Http.JSON.createObjectNode();
        n.put("status", storeOk && room ? "ready" : "not ready");
        n.put("store", storeOk ? "ok" : "unreachable");
        n.put("queue", room ? "ok" : "full");
        if (storeOk && room) {
            call.json(200, n);
        } else {
            call.json(503, n, "Retry-After", Integer.toString(config.retryAfterSeconds));
        }
    }

    private ObjectNode info() {
        ObjectNode n = Http.JSON.createObjectNode();
        n.put("name", "laocoon");
        n.put("version", version);
        n.put("knowledgeBaseSha256", kbHash());
        n.put("java", System.getProperty("java.version"));
        n.put("store", store.dialect == Store.Dialect.H2 ? "h2" : "postgresql");
        try {
            n.put("schemaVersion", store.schemaVersion());
        } catch (SQLException e) {
            n.putNull("schemaVersion");
        }
        ObjectNode l = n.putObject("limits");
        l.put("maxBodyBytes", config.maxBodyBytes);
        l.put("syncMaxBytes", config.syncMaxBytes);
        l.put("workers", config.workers);
        l.put("queue", config.queue);
        l.put("readTimeoutSeconds", config.readTimeout.toSeconds());
        l.put("minBytesPerSecond", config.minBytesPerSecond);
        l.put("scanSeconds", config.scanTime.toSeconds());
        l.put("maxTempBytes", config.maxTempBytes);
        n.put("uptimeSeconds", (System.nanoTime() - startedNanos) / 1e9);
        n.put("clamd", clamd != null);
        return n;
    }

    // ------------------------------------------------------------------ reading scans

    private void get(Http call, Tenants.Tenant t, String id) {
        if (!id.matches("[0-9a-f]{32}")) {
            call.error(404, "no such scan");
            return;
        }
        Store.Scan s;
        try {
            s = store.scan(t.name(), id);
        } catch (SQLException e) {
            storeDown(call, e);
            return;
        }
        if (s == null) {
            call.error(404, "no such scan"); // another tenant's scan is not found either
            return;
        }
        call.json(200, scanJson(s, call));
    }

    private void file(Http call, Tenants.Tenant t, String sha) {
        String h = sha.toLowerCase(java.util.Locale.ROOT);
        if (!h.matches("[0-9a-f]{64}")) {
            call.error(400, "expected a SHA-256 in hex (64 digits)");
            return;
        }
        Store.Scan s;
        try {
            s = store.cached(t.name(), h, cacheKey(t));
        } catch (SQLException e) {
            storeDown(call, e);
            return;
        }
        if (s == null) {
            call.error(404, "this tenant has no verdict for that content under the current rules");
            return;
        }
        call.json(200, scanJson(s, call));
    }

    private void list(Http call, Tenants.Tenant t) {
        int limit = 50;
        String l = call.query.get("limit");
        if (l != null) {
            try {
                limit = Math.max(1, Math.min(500, Integer.parseInt(l)));
            } catch (NumberFormatException e) {
                call.error(400, "limit: expected a number");
                return;
            }
        }
        List<Store.Scan> rows;
        try {
            rows = store.recent(t.name(), limit);
        } catch (SQLException e) {
            storeDown(call, e);
            return;
        }
        ObjectNode n = Http.JSON.createObjectNode();
        n.put("tenant", t.name());
        ArrayNode a = n.putArray("scans");
        for (Store.Scan s : rows) {
            ObjectNode o = a.addObject();
            o.put("scanId", s.id());
            o.put("name", s.name());
            o.put("status", s.status());
            if (s.verdict() != null) {
                o.put("verdict", s.verdict());
            }
            o.put("sha256", s.sha256());
            o.put("size", s.size());
            o.put("cached", s.cached());
            o.put("created", java.time.Instant.ofEpochMilli(s.createdAt()).toString());
        }
        call.json(200, n);
    }

    /** A stored scan as answered: its result when done, else its status. */
    private static JsonNode scanJson(Store.Scan s, Http call) {
        if (s.result() != null && s.status().equals("done")) {
            try {
                return Results.view(Http.JSON.readTree(s.result()), view(call), "true".equals(call.query.get("explain")));
            } catch (IOException e) {
                throw new IllegalStateException("a stored result does not parse", e);
            }
        }
        ObjectNode n = Http.JSON.createObjectNode();
        n.put("scanId", s.id());
        n.put("status", s.status());
        n.put("path", s.name());
        n.put("size", s.size());
        if (s.sha256() != null) {
            n.put("sha256", s.sha256());
        }
        if (s.error() != null) {
            n.put("error", s.error());
        }
        return n;
    }

    private void storeDown(Http call, SQLException e) {
        log.info("store unavailable: " + e.getMessage());
        metrics.rejected("store_unavailable");
        call.error(503, "the store is unavailable; try again", "Retry-After", Integer.toString(config.retryAfterSeconds));
    }

    // ------------------------------------------------------------------ uploads

    /** The options of one upload beyond its body. */
    record Options(String answer, boolean explain, String view, boolean repository) {
    }

    private static String view(Http call) {
        String v = call.query.get("view");
        return v == null || v.isEmpty() ? "json" : v;
    }

    private void postScan(Http call) {
        String type = call.header("Content-Type");
        String base = type == null ? "" : type.split(";")[0].trim().toLowerCase(java.util.Locale.ROOT);
        if (base.equals("multipart/form-data")) {
            long declared = declaredLength(call);
            if (declared > config.maxBodyBytes) {
                metrics.rejected("body_too_large");
                call.noDrain = true;
                call.error(413, "the body (" + declared + " bytes) is larger than the limit of " + config.maxBodyBytes
                        + " bytes");
                return;
            }
            TempSpace.Progress progress = new TempSpace.Progress();
            Inflight watch = new Inflight(call, progress);
            inflight.add(watch);
            Multipart mp;
            InputStream file;
            try {
                mp = new Multipart(TempSpace.limited(call.exchange.getRequestBody(), config.maxBodyBytes, progress), type);
                file = mp.file();
            } catch (Multipart.Malformed e) {
                inflight.remove(watch);
                metrics.rejected("malformed");
                call.error(400, e.getMessage());
                return;
            } catch (TempSpace.TooLarge e) {
                inflight.remove(watch);
                metrics.rejected("body_too_large");
                call.error(413, e.getMessage());
                return;
            } catch (IOException e) {
                inflight.remove(watch);
                if (!call.answered()) {
                    call.error(400, "the body could not be read: " + e.getMessage());
                }
                return;
            }
            inflight.remove(watch);
            String answerAs = mp.fields.getOrDefault("answer", "json");
            Tenants.Tenant t = authenticate(call, mp.fields.get("token"));
            if (t == null) {
                return;
            }
            String name = cleanName(mp.fileName);
            String explain = mp.fields.getOrDefault("explain", call.query.getOrDefault("explain", "false"));
            String repo = mp.fields.getOrDefault("repository", call.query.getOrDefault("repository", "false"));
            upload(call, t, file, mp, name, new Options(answerAs, explain.equals("true") || explain.equals("on"), view(call),
                    repo.equals("true") || repo.equals("on")));
            return;
        }
        if (!base.isEmpty() && !base.equals("application/octet-stream")) {
            call.error(415, "expected Content-Type: application/octet-stream (the file as the body) or"
                    + " multipart/form-data (one file part)");
            return;
        }
        Tenants.Tenant t = authenticate(call);
        if (t != null) {
            upload(call, t, null, null, uploadName(call), new Options("json",
                    "true".equals(call.query.get("explain")), view(call), "true".equals(call.query.get("repository"))));
        }
    }

    private static long declaredLength(Http call) {
        String cl = call.header("Content-Length");
        if (cl == null) {
            return -1;
        }
        try {
            return Long.parseLong(cl.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Receives and scans one upload: the body itself ({@code multipartFile} null) or a multipart
     * form's file part; answers JSON, or HTML for the page's form.
     */
    private void upload(Http call, Tenants.Tenant t, InputStream multipartFile, Multipart mp, String name, Options opt) {
        long length = -1;
        String cl = call.header("Content-Length");
        if (cl != null) {
            try {
                length = Long.parseLong(cl.trim());
            } catch (NumberFormatException e) {
                call.error(400, "Content-Length is not a number");
                return;
            }
        }
        if (length > config.maxBodyBytes) {
            metrics.rejected("body_too_large");
            call.noDrain = true;
            call.error(413, "the body (" + length + " bytes) is larger than the limit of " + config.maxBodyBytes + " bytes");
            return;
        }
        Boolean async = null;
        String a = call.query.get("async");
        if (a != null) {
            async = a.isEmpty() || a.equals("true") || a.equals("1");
        }
        String callback = call.query.get("callback");
        if (callback != null) {
            if (t.spec.callbackSecret() == null) {
                call.error(400, "callbacks need a secret to sign them: set tenant." + t.name() + ".callbackSecret");
                return;
            }
            String why = callbacks.refuse(callback);
            if (why != null) {
                metrics.rejected("callback_refused");
                call.error(400, "callback refused: " + why);
                return;
            }
            async = true; // a callback is the answer of an asynchronous scan
        }
        String day = LocalDate.now(ZoneOffset.UTC).toString();
        long perDay = t.quota().bytesPerDay();
        if (perDay > 0) {
            long used;
            try {
                used = store.usage(t.name(), day);
            } catch (SQLException e) {
                storeDown(call, e);
                return;
            }
            if (used + Math.max(0, length) > perDay || used >= perDay) {
                metrics.rejected("quota_bytes");
                call.error(429, "tenant " + t.name() + " is over its quota of " + perDay + " bytes per day",
                        "Retry-After", Long.toString(secondsToMidnight()));
                return;
            }
        }
        if (t.running.incrementAndGet() > t.quota().maxConcurrent()) {
            t.running.decrementAndGet();
            metrics.rejected("quota_concurrent");
            call.error(429, "tenant " + t.name() + " already has " + t.quota().maxConcurrent() + " scans in progress",
                    "Retry-After", "1");
            return;
        }
        boolean handedOff = false;
        boolean slot = false;
        TempSpace.Upload up = null;
        Inflight watch = null;
        try {
            if (!slots.tryAcquire()) {
                metrics.rejected("busy");
                call.noDrain = true; // under load no body of a refused upload is read
                call.error(503, "the scan pool and its queue are full; try again later", "Retry-After",
                        Integer.toString(config.retryAfterSeconds));
                return;
            }
            slot = true;
            TempSpace.Progress progress = new TempSpace.Progress();
            watch = new Inflight(call, progress);
            inflight.add(watch);
            try (InputStream in = multipartFile != null ? multipartFile : call.exchange.getRequestBody()) {
                up = temp.receive(in, config.maxBodyBytes, progress);
                if (mp != null) {
                    mp.finish();
                    mp.drainEpilogue();
                }
                call.bodyRead = true;
            } catch (Multipart.Malformed e) {
                metrics.rejected("malformed");
                call.error(400, e.getMessage());
                return;
            } catch (TempSpace.TooLarge e) {
                metrics.rejected("body_too_large");
                call.error(413, e.getMessage());
                return;
            } catch (TempSpace.Full e) {
                metrics.rejected("temp_full");
                log.info(e.getMessage());
                call.error(507, e.getMessage() + "; try again later", "Retry-After", Integer.toString(config.retryAfterSeconds));
                return;
            } catch (IOException e) {
                if (!call.answered()) {
                    metrics.rejected("client_error");
                    call.error(400, "the body could not be read: " + e.getMessage());
                }
                return; // the watchdog answered 408, or the client went away
            } finally {
                inflight.remove(watch);
            }
            if (call.answered()) {
                return; // 408 raced with the end of the body
            }
            metrics.received(up.size);
            try {
                if (perDay > 0) {
                    long used = store.usage(t.name(), day);
                    if (used + up.size > perDay) {
                        metrics.rejected("quota_bytes");
                        call.error(429, "tenant " + t.name() + " is over its quota of " + perDay + " bytes per day",
                                "Retry-After", Long.toString(secondsToMidnight()));
                        return;
                    }
                }
                if (perDay > 0) {
                    // counted for tenants with a bytes-per-day quota only: one row per tenant and day
                    // that every upload would otherwise update (and wait for) in turn
                    store.addUsage(t.name(), day, up.size);
                }
            } catch (SQLException e) {
                storeDown(call, e);
                return;
            }
            String repositoryKind = null;
            if (opt.repository()) {
                repositoryKind = Repository.kind(up.file);
                if (repositoryKind == null) {
                    call.error(400, "a repository upload is a tar, tar.gz or zip archive; this is none of them");
                    return;
                }
            }
            String key = opt.repository() ? Hashes.sha256Hex((cacheKey(t) + "\nrepository").getBytes(StandardCharsets.UTF_8))
                    : cacheKey(t);
            String id = Hashes.randomHex(16);
            long now = System.currentTimeMillis();
            Store.Scan hit;
            ObjectNode env;
            String memoKey = t.name() + "\n" + up.sha256 + "\n" + key;
            Hit memo = hits.get(memoKey);
            if (memo != null) {
                hit = memo.scan();
                env = memo.envelope().deepCopy();
            } else {
                try {
                    hit = store.cached(t.name(), up.sha256, key);
                } catch (SQLException e) {
                    storeDown(call, e);
                    return;
                }
                env = hit == null || hit.result() == null ? null : (ObjectNode) Http.JSON.readTree(hit.result());
                if (env != null) {
                    hits.put(memoKey, new Hit(hit, env.deepCopy()));
                }
            }
            if (env != null) {
                metrics.cacheHit();
                ObjectNode r = (ObjectNode) env.get("answer");
                r.put("scanId", id);
                r.put("path", name);
                r.put("cached", true);
                String text = Http.JSON.writeValueAsString(env);
                try {
                    store.insert(new Store.Scan(id, t.name(), name, up.sha256, key, up.size, "done", hit.verdict(), text,
                            null, true, now, now));
                } catch (SQLException e) {
                    storeDown(call, e);
                    return;
                }
                java.util.List<String> rules = new java.util.ArrayList<>();
                r.path("findings").forEach(f -> {
                    if (!rules.contains(f.path("rule").asText())) {
                        rules.add(f.path("rule").asText());
                    }
                });
                audit.scan(t.name(), id, "http", name, up.sha256, up.size, "done", hit.verdict(), rules, 0, true);
                answer(call, 200, env, opt);
                return;
            }
            boolean isAsync = async != null ? async : up.size > config.syncMaxBytes;
            try {
                store.insert(new Store.Scan(id, t.name(), name, up.sha256, key, up.size, isAsync ? "queued" : "running",
                        null, null, null, false, now, 0));
            } catch (SQLException e) {
                storeDown(call, e);
                return;
            }
            Job job = new Job(t, up, id, name, "http", isAsync);
            job.callback = callback;
            job.repository = repositoryKind;
            pool.execute(job);
            handedOff = true;
            if (isAsync) {
                ObjectNode n = Http.JSON.createObjectNode();
                n.put("scanId", id);
                n.put("status", "queued");
                n.put("path", name);
                n.put("size", up.size);
                n.put("sha256", up.sha256);
                n.put("location", "/v1/scans/" + id);
                if (!opt.answer().equals("json")) {
                    call.send(202, "text/html; charset=utf-8", Page.queued(n).getBytes(StandardCharsets.UTF_8),
                            "Location", "/v1/scans/" + id);
                } else {
                    call.json(202, n, "Location", "/v1/scans/" + id);
                }
                return;
            }
            ObjectNode result = job.await();
            answer(call, 200, result, opt);
        } catch (IOException e) {
            call.error(500, "internal error: " + e.getMessage());
        } finally {
            if (watch != null) {
                inflight.remove(watch);
            }
            if (!handedOff) {
                if (up != null) {
                    up.close();
                }
                if (slot) {
                    slots.release();
                }
                t.running.decrementAndGet();
            }
        }
    }

    private static void answer(Http call, int code, ObjectNode envelope, Options opt) {
        String loc = "/v1/scans/" + envelope.path("answer").path("scanId").asText();
        if (opt.answer().equals("html") || opt.answer().equals("fragment")) {
            JsonNode r = Results.view(envelope, null, true);
            String page = opt.answer().equals("html") ? Page.result(r) : Page.body(r);
            call.send(code, "text/html; charset=utf-8", page.getBytes(StandardCharsets.UTF_8), "Location", loc,
                    "Content-Security-Policy", CSP, "X-Frame-Options", "DENY");
        } else {
            call.json(code, Results.view(envelope, opt.view(), opt.explain()), "Location", loc);
        }
    }

    /**
     * {@code POST /v1/scans/by-url} with {@code {"url": "https://..."}}: the object is range-read
     * through core's remote source, every address checked by the SSRF guard (public unicast only,
     * plus {@code byUrl.allowHosts}). {@code hf://org/name[@revision][/path]} (a hub repository) and
     * {@code s3://bucket/prefix} are listed and each file range-read the same way, answered like a
     * repository upload. What is shown, stored and logged is the URL without its query.
     */
    private void byUrl(Http call, Tenants.Tenant t) {
        JsonNode body;
        try {
            byte[] b = call.exchange.getRequestBody().readNBytes(16 * 1024 + 1);
            call.bodyRead = b.length <= 16 * 1024;
            if (b.length > 16 * 1024) {
                call.error(413, "the request is larger than 16 KiB");
                return;
            }
            body = Http.JSON.readTree(b);
        } catch (IOException e) {
            call.error(400, "expected a JSON body {\"url\": \"https://...\"}");
            return;
        }
        String url = body == null ? null : body.path("url").asText(null);
        if (url == null || url.isBlank()) {
            call.error(400, "expected a JSON body {\"url\": \"https://...\"}");
            return;
        }
        String lower = url.toLowerCase(java.util.Locale.ROOT);
        boolean hub = lower.startsWith("hf://");
        boolean s3 = lower.startsWith("s3://");
        java.net.URI uri = null;
        if (!hub && !s3) {
            if (!lower.startsWith("http://") && !lower.startsWith("https://")) {
                call.error(400, "url: expected http(s)://, hf:// or s3://");
                return;
            }
            try {
                uri = new java.net.URI(url);
            } catch (java.net.URISyntaxException e) {
                call.error(400, "url: not a valid URL");
                return;
            }
            if (uri.getHost() == null) {
                call.error(400, "url: needs a host");
                return;
            }
        } else if (url.indexOf('?') >= 0 || url.indexOf('#') >= 0 || url.chars().anyMatch(ch -> ch < 0x21 || ch == 0x7f)) {
            call.error(400, "url: an hf:// or s3:// URL has no query, fragment, spaces or control characters");
            return;
        }
        // what answers, the store and the audit log show: never a query (a pre-signed URL's credentials)
        String shown = uri != null ? dev.laocoon.core.source.remote.RemoteFetcher.shown(uri) : url;
        if (t.running.incrementAndGet() > t.quota().maxConcurrent()) {
            t.running.decrementAndGet();
            metrics.rejected("quota_concurrent");
            call.error(429, "tenant " + t.name() + " already has " + t.quota().maxConcurrent() + " scans in progress",
                    "Retry-After", "1");
            return;
        }
        if (!slots.tryAcquire()) {
            t.running.decrementAndGet();
            metrics.rejected("busy");
            call.error(503, "the scan pool and its queue are full; try again later", "Retry-After",
                    Integer.toString(config.retryAfterSeconds));
            return;
        }
        String id = Hashes.randomHex(16);
        dev.laocoon.core.source.remote.NetworkGuard guard = dev.laocoon.core.source.remote.NetworkGuard.allowing(
                config.byUrlAllowHosts, false);
        final java.net.URI target = uri;
        CompletableFuture<ScanReport> f = new CompletableFuture<>();
        long t0 = System.nanoTime();
        try {
            pool.execute(() -> {
                running.incrementAndGet();
                try {
                    f.complete(remoteScan(t, url, shown, target, guard, hub, s3));
                } catch (RuntimeException | Error e) {
                    f.completeExceptionally(e);
                } finally {
                    running.decrementAndGet();
                    slots.release();
                    t.running.decrementAndGet();
                }
            });
        } catch (RuntimeException e) {
            slots.release();
            t.running.decrementAndGet();
            call.error(503, "the scan pool is shutting down", "Retry-After", Integer.toString(config.retryAfterSeconds));
            return;
        }
        ScanReport rep;
        // a repository or prefix is several files: the deadline is per file, so the whole gets a larger bound
        long waitMillis = (hub || s3 ? 10 : 1) * config.scanTime.toMillis() + 30_000;
        try {
            rep = f.get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            Finding x = new Finding(Rule.ANALYSIS_INCOMPLETE, Severity.SUSPICIOUS, "the remote scan did not finish",
                    Location.of(shown), "");
            rep = new ScanReport(List.of(new FileReport(shown, List.of(), Severity.SUSPICIOUS, List.of(x), null, -1, null, -1,
                    Duration.ZERO)), System.nanoTime() - t0);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        ObjectNode env;
        String verdict;
        String sha;
        long size;
        java.util.Set<String> rules = new java.util.LinkedHashSet<>();
        for (FileReport r : rep.files()) {
            rules.addAll(Results.rules(r));
        }
        if (hub || s3) {
            size = 0;
            for (FileReport r : rep.files()) {
                size += Math.max(0, r.size());
            }
            sha = null;
            ObjectNode answer = Results.repository(id, shown, size, null, rep, version);
            env = Results.envelope(answer, null, null, Results.sarif(rep, version));
            verdict = answer.path("verdict").asText();
            metrics.scanned(verdict, "repository", seconds);
        } else {
            FileReport r = rep.files().get(0);
            sha = r.sha256();
            size = Math.max(0, r.size());
            ObjectNode answer = Results.answer(id, "done", Results.fileObject(r, version), r.sha256());
            env = Results.envelope(answer, null, null, Results.sarif(r, version));
            verdict = r.verdictLabel();
            metrics.scanned(verdict, Results.outerFormat(r), seconds);
        }
        long now = System.currentTimeMillis();
        try {
            store.insert(new Store.Scan(id, t.name(), shown, sha, null, size, "done", verdict,
                    Http.JSON.writeValueAsString(env), null, false, now, now));
        } catch (SQLException | IOException e) {
            log.info("store unavailable, the result of scan " + id + " is not kept: " + e.getMessage());
        }
        audit.scan(t.name(), id, "url", shown, sha, size, "done", verdict, rules, seconds, false);
        call.json(200, Results.view(env, view(call), false), "Location", "/v1/scans/" + id);
    }

    /**
     * The scan of a by-url source on a pool thread: an http(s) object (one report), a hub repository
     * or an s3 object or prefix (a report per file). A source that cannot be listed is one failed
     * report named by the URL: never {@code safe}.
     */
    private ScanReport remoteScan(Tenants.Tenant t, String url, String shown, java.net.URI uri,
                                  dev.laocoon.core.source.remote.NetworkGuard guard, boolean hub, boolean s3) {
        long t0 = System.nanoTime();
        dev.laocoon.core.source.remote.RemoteFetcher.Builder b = dev.laocoon.core.source.remote.RemoteFetcher.builder(guard)
                .requestTimeout(config.scanTime);
        try {
            java.net.URI hubUri = null;
            String token = null;
            if (hub) {
                hubUri = hubUrl();
                token = hubToken();
                if (token != null) {
                    // the hub's host only: never the CDN its downloads redirect to
                    b.authorization(hubUri.getHost(), "Bearer " + token);
                }
            }
            try (dev.laocoon.core.source.remote.RemoteFetcher fetcher = b.build()) {
                if (hub) {
                    return t.scanner.scanHub(url, new dev.laocoon.core.source.remote.HubClient(fetcher, hubUri, token != null));
                }
                if (s3) {
                    dev.laocoon.core.source.remote.ObjectLister lister = lister("s3");
                    java.util.Map<String, String> options = new java.util.HashMap<>();
                    if (config.byUrlS3Endpoint != null) {
                        options.put("endpoint", config.byUrlS3Endpoint);
                    }
                    if (config.byUrlS3Region != null) {
                        options.put("region", config.byUrlS3Region);
                    }
                    options.put("pathStyle", Boolean.toString(config.byUrlS3PathStyle));
                    return t.scanner.scanObjects(lister.list(url, guard, options), fetcher);
                }
                FileReport r = t.scanner.scan(uri, fetcher, java.util.Map.of(), shown, null);
                return new ScanReport(List.of(r), System.nanoTime() - t0);
            }
        } catch (IOException | RuntimeException e) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            Finding x = new Finding(Rule.FILE_UNREADABLE, Severity.SUSPICIOUS, "cannot read " + shown + ": " + m,
                    Location.of(shown), "");
            return new ScanReport(List.of(new FileReport(shown, List.of(), Severity.SUSPICIOUS, List.of(x),
                    "cannot read: " + m, -1, null, -1, Duration.ofNanos(System.nanoTime() - t0))), System.nanoTime() - t0);
        }
    }

    /** The hub of hf:// by-url scans: byUrl.hubUrl, else $HF_ENDPOINT, else the public hub. */
    private java.net.URI hubUrl() throws IOException {
        return dev.laocoon.core.source.remote.HubClient.endpoint(config.byUrlHubUrl, "byUrl.hubUrl");
    }

    /** The hub token of hf:// by-url scans: the file byUrl.hubTokenFile, else $HF_TOKEN, else none. */
    private String hubToken() throws IOException {
        return dev.laocoon.core.source.remote.HubClient.token(config.byUrlHubTokenFile, "byUrl.hubTokenFile");
    }

    /** The lister of a scheme from a module on the class path (the s3 module is in the server's jar). */
    private static dev.laocoon.core.source.remote.ObjectLister lister(String scheme) throws IOException {
        dev.laocoon.core.source.remote.ObjectLister l = dev.laocoon.core.source.remote.ObjectLister.find(scheme);
        if (l == null) {
            throw new IOException(scheme + ":// needs the " + scheme + " module, which this build of the service lacks");
        }
        return l;
    }

    // ------------------------------------------------------------------ admission reviews

    /** The largest AdmissionReview read (the API server's objects are at most about 1.5 MiB). */
    static final int MAX_ADMISSION_BYTES = 4 << 20;
    private volatile dev.laocoon.core.audit.Auditor auditor;

    private dev.laocoon.core.audit.Auditor auditor() {
        dev.laocoon.core.audit.Auditor a = auditor;
        if (a == null) {
            a = dev.laocoon.core.audit.Auditor.find();
            auditor = a;
        }
        return a;
    }

    /**
     * {@code POST /v1/admission}: a Kubernetes validating admission webhook. The AdmissionReview's
     * object is audited as a manifest (the audit module's checks, as {@code laocoon audit}); the
     * review is denied when a finding reaches {@code admission.denyAt} (default suspicious),
     * with the findings as the message; lesser findings are warnings. An object that cannot be
     * audited is denied (fail closed). Callers: any tenant's token, or one of admission.tokenSha256.
     */
    private void admission(Http call) {
        String token = bearer(call);
        Tenants.Tenant t = null;
        String who;
        String h = token == null || token.length() > 512 ? null : Hashes.sha256Hex(token.getBytes(StandardCharsets.UTF_8));
        if (h != null && config.admissionTokenHashes.stream().anyMatch(k -> java.security.MessageDigest.isEqual(
                k.getBytes(StandardCharsets.US_ASCII), h.getBytes(StandardCharsets.US_ASCII)))) {
            who = "admission";
        } else {
            t = authenticate(call);
            if (t == null) {
                return;
            }
            who = t.name();
        }
        long declared = declaredLength(call);
        if (declared > MAX_ADMISSION_BYTES) {
            call.noDrain = true;
            call.error(413, "an AdmissionReview is at most " + MAX_ADMISSION_BYTES + " bytes");
            return;
        }
        JsonNode review;
        byte[] body;
        try {
            body = call.exchange.getRequestBody().readNBytes(MAX_ADMISSION_BYTES + 1);
            call.bodyRead = body.length <= MAX_ADMISSION_BYTES;
            if (body.length > MAX_ADMISSION_BYTES) {
                call.error(413, "an AdmissionReview is at most " + MAX_ADMISSION_BYTES + " bytes");
                return;
            }
            review = Http.JSON.readTree(body);
        } catch (IOException e) {
            call.error(400, "expected an AdmissionReview (admission.k8s.io/v1) as JSON");
            return;
        }
        if (review == null || !review.path("kind").asText().equals("AdmissionReview")
                || !review.path("apiVersion").asText().equals("admission.k8s.io/v1") || !review.path("request").isObject()
                || !review.path("request").path("uid").isTextual()) {
            call.error(400, "expected an AdmissionReview (apiVersion admission.k8s.io/v1) with request.uid");
            return;
        }
        JsonNode req = review.get("request");
        String uid = req.get("uid").asText();
        JsonNode object = req.get("object");
        String subject = req.path("kind").path("kind").asText("object") + " "
                + (req.path("namespace").asText("").isEmpty() ? "" : req.path("namespace").asText() + "/")
                + req.path("name").asText(object == null ? "" : object.path("metadata").path("name").asText(""));
        ObjectNode out = Http.JSON.createObjectNode();
        out.put("apiVersion", "admission.k8s.io/v1");
        out.put("kind", "AdmissionReview");
        ObjectNode resp = out.putObject("response");
        resp.put("uid", uid);
        String id = Hashes.randomHex(16);
        long t0 = System.nanoTime();
        if (object == null || object.isNull() || !object.isObject()) {
            // DELETE and CONNECT carry no object: nothing to audit
            resp.put("allowed", true);
            call.json(200, out);
            return;
        }
        Severity denyAt = config.admissionDenyAt;
        List<Finding> findings = new java.util.ArrayList<>();
        String problem = null;
        dev.laocoon.core.audit.Auditor a = auditor();
        String objectSha = null;
        long objectSize = 0;
        if (a == null) {
            problem = "the service was built without the audit module; the object cannot be audited";
        } else {
            Path folder = null;
            try {
                byte[] text = Http.JSON.writeValueAsBytes(object);
                objectSha = Hashes.sha256Hex(text);
                objectSize = text.length;
                folder = temp.createFolder();
                Path file = folder.resolve("object.yaml"); // JSON is YAML: read as a manifest
                java.nio.file.Files.write(file, text);
                ScanReport rep = a.audit(List.of(file), List.of(), List.of(), p -> null);
                if (rep.files().isEmpty()) {
                    problem = "the object was not recognised as a manifest";
                }
                for (FileReport f : rep.files()) {
                    findings.addAll(f.findings());
                    if (f.failed()) {
                        problem = "the object could not be audited: " + f.error();
                    }
                }
            } catch (IOException | RuntimeException e) {
                problem = "the object could not be audited: " + e.getMessage();
            } finally {
                if (folder != null) {
                    temp.removeFolder(folder);
                }
            }
        }
        Severity worst = Severity.SAFE;
        List<String> denying = new java.util.ArrayList<>();
        ArrayNode warnings = Http.JSON.createArrayNode();
        for (Finding x : findings) {
            worst = Severity.max(worst, x.severity());
            // the place is the object's path (spec.hostNetwork); lines of the JSON text would mean nothing
            Location.Within w = x.location().within();
            String line = x.rule().id() + " " + x.rule().slug() + " (" + x.severity().label() + "): " + x.message()
                    + (w == null || w.path() == null || w.path().isEmpty() ? "" : " at " + w.path());
            if (x.severity().atLeast(denyAt)) {
                denying.add(line);
            } else if (warnings.size() < 20) {
                warnings.add(line.length() > 240 ? line.substring(0, 240) : line);
            }
        }
        boolean allowed = denying.isEmpty() && problem == null;
        resp.put("allowed", allowed);
        if (!allowed) {
            StringBuilder m = new StringBuilder("laocoon: " + subject.trim() + " denied: ");
            if (problem != null) {
                m.append(problem);
                if (!denying.isEmpty()) {
                    m.append("; ");
                }
            }
            m.append(String.join("; ", denying));
            String msg = m.length() > 4096 ? m.substring(0, 4093) + "..." : m.toString();
            ObjectNode st = resp.putObject("status");
            st.put("code", 403);
            st.put("reason", "Forbidden");
            st.put("message", msg);
        }
        if (!warnings.isEmpty()) {
            resp.set("warnings", warnings);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        String verdict = problem != null ? "error" : worst.label();
        metrics.scanned(verdict, "admission", seconds);
        java.util.Set<String> rules = new java.util.LinkedHashSet<>();
        for (Finding x : findings) {
            rules.add(x.rule().id());
        }
        audit.scan(who, id, "admission", subject.trim(), objectSha, objectSize, allowed ? "allowed" : "denied", verdict,
                rules, seconds, false);
        call.json(200, out);
    }

    private static long secondsToMidnight() {
        java.time.ZonedDateTime now = java.time.ZonedDateTime.now(ZoneOffset.UTC);
        return Math.max(1, Duration.between(now, now.toLocalDate().plusDays(1).atStartOfDay(ZoneOffset.UTC)).toSeconds());
    }

    /** The upload's name: {@code ?name=}, else Content-Disposition's filename, else "upload"; its last path part only. */
    static String uploadName(Http call) {
        String n = call.query.get("name");
        if (n == null || n.isBlank()) {
            String cd = call.header("Content-Disposition");
            if (cd != null) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("filename=\"?([^\";]*)\"?").matcher(cd);
                if (m.find()) {
                    n = m.group(1);
                }
            }
        }
        return cleanName(n);
    }

    static String cleanName(String n) {
        if (n == null || n.isBlank()) {
            return "upload";
        }
        String s = n.replace('\\', '/');
        s = s.substring(s.lastIndexOf('/') + 1);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 255; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? '_' : c);
        }
        String r = b.toString().trim();
        return r.isEmpty() || r.equals(".") || r.equals("..") ? "upload" : r;
    }

    // ------------------------------------------------------------------ the scan job

    /** One scan on the pool; it owns the upload, the slot and the tenant's count until it ends. */
    final class Job implements Runnable {
        final Tenants.Tenant tenant;
        final TempSpace.Upload upload;
        final String id;
        final String name;
        final String source;
        final boolean async;
        final CompletableFuture<ObjectNode> result = new CompletableFuture<>();
        volatile FileReport report;
        volatile ObjectNode envelope;
        volatile String callback;
        /** The archive kind of a repository upload, or null for one file. */
        volatile String repository;
        private ObjectNode outcome;
        private Throwable failure;

        private void runRepository(long t0) {
            ScanReport rep;
            try {
                rep = Repository.scan(tenant.scanner, temp, upload.file, repository);
            } catch (IOException e) {
                Finding x = new Finding(Rule.ANALYSIS_INCOMPLETE, Severity.SUSPICIOUS, "the repository could not be"
                        + " unpacked: " + e.getMessage(), Location.of(name), "");
                rep = new ScanReport(List.of(new FileReport(name, List.of(), Severity.SUSPICIOUS, List.of(x), null, -1,
                        null, -1, Duration.ZERO)), System.nanoTime() - t0);
            }
            ObjectNode answer = Results.repository(id, name, upload.size, upload.sha256, rep, version);
            ObjectNode stored = Results.envelope(answer, null, null, Results.sarif(rep, version));
            envelope = stored;
            double seconds = (System.nanoTime() - t0) / 1e9;
            String verdict = answer.path("verdict").asText();
            metrics.scanned(verdict, "repository", seconds);
            try {
                store.finish(id, "done", verdict, Http.JSON.writeValueAsString(stored), null);
            } catch (SQLException | IOException e) {
                log.info("store unavailable, the result of scan " + id + " is not kept: " + e.getMessage());
            }
            java.util.Set<String> rules = new java.util.LinkedHashSet<>();
            for (FileReport f : rep.files()) {
                rules.addAll(Results.rules(f));
            }
            audit.scan(tenant.name(), id, source, name, upload.sha256, upload.size, "done", verdict, rules, seconds, false);
            outcome = stored;
        }

        Job(Tenants.Tenant tenant, TempSpace.Upload upload, String id, String name, String source, boolean async) {
            this.tenant = tenant;
            this.upload = upload;
            this.id = id;
            this.name = name;
            this.source = source;
            this.async = async;
        }

        @Override
        public void run() {
            running.incrementAndGet();
            long t0 = System.nanoTime();
            try {
                if (async) {
                    try {
                        store.status(id, "running");
                    } catch (SQLException e) {
                        log.info("store unavailable (scan " + id + " stays queued there): " + e.getMessage());
                    }
                }
                if (repository != null) {
                    runRepository(t0);
                    return;
                }
                FileReport r;
                ArrayNode explained = null;
                ArrayNode imports = null;
                try {
                    // explain is the scan with its pickle traces kept: the page and the hf view use them
                    dev.laocoon.core.Scanner.Explained x = tenant.scanner.explain(upload.file, name);
                    r = x.report();
                    explained = Results.explain(x);
                    imports = Results.imports(x, tenant.scanner.knowledgeBase());
                } catch (IOException e) {
                    r = tenant.scanner.scan(upload.file, name);
                }
                report = r;
                ObjectNode answer = Results.answer(id, "done", Results.fileObject(r, version), upload.sha256);
                ObjectNode stored = Results.envelope(answer, explained, imports, Results.sarif(r, version));
                envelope = stored;
                double seconds = (System.nanoTime() - t0) / 1e9;
                metrics.scanned(r.verdictLabel(), Results.outerFormat(r), seconds);
                try {
                    store.finish(id, "done", r.verdictLabel(), Http.JSON.writeValueAsString(stored), null);
                } catch (SQLException | IOException e) {
                    log.info("store unavailable, the result of scan " + id + " is not kept: " + e.getMessage());
                }
                audit.scan(tenant.name(), id, source, name, upload.sha256, upload.size, "done", r.verdictLabel(),
                        Results.rules(r), seconds, false);
                outcome = stored;
                if (callback != null) {
                    try {
                        callbacks.send(callback, tenant.spec.callbackSecret(), id, Http.JSON.writeValueAsBytes(answer));
                    } catch (IOException e) {
                        log.info("callback of scan " + id + " not sent: " + e.getMessage());
                    }
                }
            } catch (RuntimeException | Error e) {
                log.info("scan " + id + " failed: " + e);
                try {
                    store.finish(id, "error", null, null, "internal error: " + e);
                } catch (SQLException ignored) {
                    // reported above
                }
                audit.scan(tenant.name(), id, source, name, upload.sha256, upload.size, "error", null, List.of(),
                        (System.nanoTime() - t0) / 1e9, false);
                failure = e;
            } finally {
                upload.close();
                running.decrementAndGet();
                slots.release();
                tenant.running.decrementAndGet();
                // answered only now: a client that sends its next upload on this answer finds its slot free
                if (outcome != null) {
                    result.complete(outcome);
                } else {
                    result.completeExceptionally(failure != null ? failure : new IllegalStateException("no result"));
                }
            }
        }

        /**
         * The result, waiting at most the scan time and a grace: past that (a reader that does not
         * stop), the answer is {@code suspicious} with LAO111, never {@code safe}.
         */
        ObjectNode await() {
            try {
                return result.get(config.scanTime.toMillis() + 30_000, TimeUnit.MILLISECONDS);
            } catch (TimeoutException | InterruptedException | ExecutionException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                String why = e instanceof ExecutionException ? "the scan failed (" + e.getCause() + ")"
                        : "the scan did not finish within " + config.scanTime.toSeconds() + " s";
                Finding f = new Finding(Rule.ANALYSIS_INCOMPLETE, Severity.SUSPICIOUS, why + "; the file was not"
                        + " analysed completely", Location.of(name), "");
                FileReport r = new FileReport(name, List.of(), Severity.SUSPICIOUS, List.of(f), null, upload.size,
                        upload.sha256, -1, Duration.ZERO);
                return Results.envelope(Results.answer(id, "done", Results.fileObject(r, version), upload.sha256), null,
                        null, Results.sarif(r, version));
            }
        }
    }

    /**
     * Scans a received stream for a tenant without the HTTP layer (the clamd listener): returns the
     * report; the upload is closed. Throws {@link Busy} when the pool and queue are full.
     */
    FileReport scanUpload(Tenants.Tenant t, TempSpace.Upload up, String name, String source) throws Busy {
        if (!slots.tryAcquire()) {
            up.close();
            metrics.rejected("busy");
            throw new Busy();
        }
        t.running.incrementAndGet();
        String id = Hashes.randomHex(16);
        long now = System.currentTimeMillis();
        try {
            store.insert(new Store.Scan(id, t.name(), name, up.sha256, cacheKey(t), up.size, "running", null, null, null,
                    false, now, 0));
        } catch (SQLException e) {
            log.info("store unavailable (the clamd scan is not kept): " + e.getMessage());
        }
        Job job = new Job(t, up, id, name, source, false);
        try {
            pool.execute(job);
        } catch (RuntimeException e) {
            up.close();
            slots.release();
            t.running.decrementAndGet();
            throw new Busy();
        }
        job.await();
        FileReport r = job.report;
        if (r == null) {
            Finding f = new Finding(Rule.ANALYSIS_INCOMPLETE, Severity.SUSPICIOUS, "the scan did not finish",
                    Location.of(name), "");
            r = new FileReport(name, List.of(), Severity.SUSPICIOUS, List.of(f), null, up.size, up.sha256, -1, Duration.ZERO);
        }
        return r;
    }

    /** The pool and its queue are full. */
    static final class Busy extends Exception {
        Busy() {
            super("busy");
        }
    }

    /** Receives a body through the temporary space (for the clamd listener). */
    TempSpace temp() {
        return temp;
    }

    // ------------------------------------------------------------------ slow clients

    private void watch() {
        long now = System.nanoTime();
        long timeout = config.readTimeout.toNanos();
        for (Inflight f : inflight) {
            TempSpace.Progress p = f.progress();
            long elapsed = now - p.started;
            boolean idle = now - p.lastNanos > timeout;
            boolean slow = elapsed > timeout && p.bytes * 1e9 / elapsed < config.minBytesPerSecond;
            if ((idle || slow) && f.drain()) {
                inflight.remove(f);
                metrics.rejected("slow_client");
                // a stalled body after an answer was decided: no headers are out yet, so closing the
                // exchange closes the connection, which ends the handler's read
                f.call().exchange.close();
                continue;
            }
            if (idle || slow) {
                inflight.remove(f);
                metrics.rejected("slow_client");
                // answered from here while the handler still waits in a read: the answer closes the
                // connection (the rest of the body is not drained), which ends that read
                f.call().noDrain = true;
                f.call().error(408, idle ? "the body stalled for more than " + config.readTimeout.toSeconds() + " s"
                        : "the body arrived slower than " + config.minBytesPerSecond + " bytes per second");
            }
        }
    }

    int inflightUploads() {
        return inflight.size();
    }

    int freeSlots() {
        return slots.availablePermits();
    }

    @Override
    public void close() {
        if (clamd != null) {
            clamd.close();
        }
        if (http != null) {
            http.stop(0);
        }
        watchdog.shutdownNow();
        callbacks.close();
        httpExecutor.shutdownNow();
        pool.shutdownNow();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            temp.sweep();
        } catch (IOException e) {
            // removed at the next start
        }
        try {
            audit.close();
        } catch (IOException e) {
            // closing
        }
        store.close();
    }

    Path tempDir() {
        return temp.dir();
    }
}
