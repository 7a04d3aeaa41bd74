package dev.laocoon.server;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The settings of {@code laocoon serve}: defaults, overridden by a properties file
 * ({@code --config FILE}), overridden by the command line. Every key is documented in the README
 * ("laocoon serve", Configuration); an unknown key is an error, so that a misspelt limit is never
 * silently the default.
 */
public final class ServeConfig {
    public String bind = "127.0.0.1";
    public int port = 8080;
    public Path data = Path.of("laocoon-data");
    /** host:port of the clamd-compatible listener, or null (off). */
    public String clamd;
    /** The tenant whose quotas, policy and history the clamd listener's scans use. */
    public String clamdTenant = "admin";
    /** JDBC URL of the store; null: the embedded H2 file in {@link #data}. */
    public String storeUrl;
    public String storeUser;
    public String storePassword;
    public long maxBodyBytes = 1L << 30;
    /** Uploads above this size are scanned asynchronously (202). */
    public long syncMaxBytes = 64L << 20;
    public int workers = 4;
    public int queue = 16;
    public int httpThreads = 64;
    /** A body that sends nothing for this long gets 408. */
    public Duration readTimeout = Duration.ofSeconds(30);
    /** Below this average rate (after {@link #readTimeout} of grace) a body gets 408. */
    public long minBytesPerSecond = 16 * 1024;
    /** A whole request (headers and body) longer than this is cut (the JDK server's own timer). */
    public Duration maxRequestTime = Duration.ofHours(1);
    public Duration scanTime = Duration.ofSeconds(60);
    /** Temporary folder of uploads; null: {@code data/tmp}. */
    public Path tempDir;
    public long maxTempBytes = 4L << 30;
    /** Audit log (JSON lines); null: {@code data/audit.jsonl}. */
    public Path auditLog;
    public int retryAfterSeconds = 5;
    /** Hosts callbacks may reach although loopback or private (the SSRF guard refuses them otherwise). */
    public List<String> callbackAllowHosts = List.of();
    public boolean callbackAllowPrivate;
    /** Hosts POST /v1/scans/by-url may fetch from although loopback or private. */
    public List<String> byUrlAllowHosts = List.of();
    /** The hub of hf:// by-url scans (null: $HF_ENDPOINT, else the public hub). */
    public String byUrlHubUrl;
    /** A file with the hub token of hf:// by-url scans (null: $HF_TOKEN, else none). */
    public Path byUrlHubTokenFile;
    /** s3:// by-url scans: endpoint (null: the SDK's, or $AWS_ENDPOINT_URL_S3), region, path-style buckets. */
    public String byUrlS3Endpoint;
    public String byUrlS3Region;
    public boolean byUrlS3PathStyle;
    /**
     * Admission reviews: the lowest severity of a finding that denies: notice (info), suspicious
     * (high, the default) or malicious (critical), as the reports rate them.
     */
    public dev.laocoon.core.finding.Severity admissionDenyAt = dev.laocoon.core.finding.Severity.SUSPICIOUS;
    /** Hex SHA-256 of tokens that may call /v1/admission besides every tenant's (comma-separated in the config). */
    public List<String> admissionTokenHashes = List.of();
    public Tenants.Quota defaultQuota = new Tenants.Quota(4, 0, 600);
    /** Tenants of the config file by name (tokens hashed). */
    public Map<String, Tenants.TenantSpec> tenants = new LinkedHashMap<>();
    /** The file this was read from, or null: tenants are re-read from it when it changes. */
    public Path file;

    private static final Set<String> KEYS = Set.of("bind", "port", "data", "clamd", "clamd.tenant", "store.url",
            "store.user", "store.password", "limits.maxBodyBytes", "limits.syncMaxBytes", "limits.workers",
            "limits.queue", "limits.httpThreads", "limits.readTimeoutSeconds", "limits.minBytesPerSecond",
            "limits.maxRequestSeconds", "limits.scanSeconds", "limits.maxTempBytes", "limits.retryAfterSeconds",
            "tempDir", "audit.log", "callback.allowHosts", "callback.allowPrivate", "byUrl.allowHosts", "byUrl.hubUrl", "byUrl.hubTokenFile", "byUrl.s3.endpoint", "byUrl.s3.region",
            "byUrl.s3.pathStyle", "admission.denyAt", "admission.tokenSha256", "quota.maxConcurrent", "quota.bytesPerDay", "quota.requestsPerMinute");
    private static final Set<String> TENANT_KEYS = Set.of("tokenSha256", "maxConcurrent", "bytesPerDay",
            "requestsPerMinute", "policy", "callbackSecret");

    /** Reads a properties file on top of the defaults; a bad key or value throws IllegalArgumentException. */
    public static ServeConfig read(Path file) throws IOException {
        ServeConfig c = new ServeConfig();
        c.file = file.toAbsolutePath();
        c.apply(load(file));
        return c;
    }

    static Properties load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        return p;
    }

    void apply(Properties p) {
        for (String k : p.stringPropertyNames()) {
            if (!KEYS.contains(k) && !k.startsWith("tenant.")) {
                throw new IllegalArgumentException("unknown setting '" + k + "'");
            }
        }
        String v;
        if ((v = p.getProperty("bind")) != null) {
            bind = v.trim();
        }
        if ((v = p.getProperty("port")) != null) {
            port = (int) number("port", v, 0, 65535);
        }
        if ((v = p.getProperty("data")) != null) {
            data = Path.of(v.trim());
        }
        if ((v = p.getProperty("clamd")) != null) {
            clamd = v.isBlank() ? null : v.trim();
        }
        if ((v = p.getProperty("clamd.tenant")) != null) {
            clamdTenant = v.trim();
        }
        storeUrl = p.getProperty("store.url", storeUrl);
        storeUser = p.getProperty("store.user", storeUser);
        storePassword = p.getProperty("store.password", storePassword);
        if ((v = p.getProperty("limits.maxBodyBytes")) != null) {
            maxBodyBytes = size("limits.maxBodyBytes", v);
        }
        if ((v = p.getProperty("limits.syncMaxBytes")) != null) {
            syncMaxBytes = size("limits.syncMaxBytes", v);
        }
        if ((v = p.getProperty("limits.workers")) != null) {
            workers = (int) number("limits.workers", v, 1, 1024);
        }
        if ((v = p.getProperty("limits.queue")) != null) {
            queue = (int) number("limits.queue", v, 0, 100_000);
        }
        if ((v = p.getProperty("limits.httpThreads")) != null) {
            httpThreads = (int) number("limits.httpThreads", v, 2, 4096);
        }
        if ((v = p.getProperty("limits.readTimeoutSeconds")) != null) {
            readTimeout = Duration.ofSeconds(number("limits.readTimeoutSeconds", v, 1, 86_400));
        }
        if ((v = p.getProperty("limits.minBytesPerSecond")) != null) {
            minBytesPerSecond = size("limits.minBytesPerSecond", v);
        }
        if ((v = p.getProperty("limits.maxRequestSeconds")) != null) {
            maxRequestTime = Duration.ofSeconds(number("limits.maxRequestSeconds", v, 1, 7 * 86_400));
        }
        if ((v = p.getProperty("limits.scanSeconds")) != null) {
            scanTime = Duration.ofSeconds(number("limits.scanSeconds", v, 1, 86_400));
        }
        if ((v = p.getProperty("limits.maxTempBytes")) != null) {
            maxTempBytes = size("limits.maxTempBytes", v);
        }
        if ((v = p.getProperty("limits.retryAfterSeconds")) != null) {
            retryAfterSeconds = (int) number("limits.retryAfterSeconds", v, 1, 3600);
        }
        if ((v = p.getProperty("tempDir")) != null) {
            tempDir = Path.of(v.trim());
        }
        if ((v = p.getProperty("audit.log")) != null) {
            auditLog = Path.of(v.trim());
        }
        if ((v = p.getProperty("callback.allowHosts")) != null) {
            List<String> hosts = new ArrayList<>();
            for (String h : v.split(",")) {
                if (!h.isBlank()) {
                    hosts.add(h.trim());
                }
            }
            callbackAllowHosts = List.copyOf(hosts);
        }
        if ((v = p.getProperty("byUrl.allowHosts")) != null) {
            List<String> hosts = new ArrayList<>();
            for (String h : v.split(",")) {
                if (!h.isBlank()) {
                    hosts.add(h.trim());
                }
            }
            byUrlAllowHosts = List.copyOf(hosts);
        }
        if ((v = p.getProperty("byUrl.hubUrl")) != null) {
            byUrlHubUrl = v.isBlank() ? null : v.trim();
        }
        if ((v = p.getProperty("byUrl.hubTokenFile")) != null) {
            byUrlHubTokenFile = v.isBlank() ? null : resolve(v.trim());
        }
        if ((v = p.getProperty("byUrl.s3.endpoint")) != null) {
            byUrlS3Endpoint = v.isBlank() ? null : v.trim();
        }
        if ((v = p.getProperty("byUrl.s3.region")) != null) {
            byUrlS3Region = v.isBlank() ? null : v.trim();
        }
        if ((v = p.getProperty("byUrl.s3.pathStyle")) != null) {
            byUrlS3PathStyle = bool("byUrl.s3.pathStyle", v);
        }
        if ((v = p.getProperty("admission.denyAt")) != null) {
            try {
                admissionDenyAt = dev.laocoon.core.finding.Severity.parse(v);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("admission.denyAt: " + e.getMessage());
            }
        }
        if ((v = p.getProperty("admission.tokenSha256")) != null) {
            List<String> hashes = new ArrayList<>();
            for (String h : v.split(",")) {
                String x = h.trim().toLowerCase(Locale.ROOT);
                if (x.isEmpty()) {
                    continue;
                }
                if (!x.matches("[0-9a-f]{64}")) {
                    throw new IllegalArgumentException("admission.tokenSha256: expected the hex SHA-256 of each token");
                }
                hashes.add(x);
            }
            admissionTokenHashes = List.copyOf(hashes);
        }
        if ((v = p.getProperty("callback.allowPrivate")) != null) {
            callbackAllowPrivate = Boolean.parseBoolean(v.trim());
        }
        defaultQuota = quota(p, "quota.", defaultQuota);
        if (p.stringPropertyNames().stream().anyMatch(k -> k.startsWith("tenant."))) {
            // a second apply (the command line's --port, --data, ...) keeps the config file's tenants
            tenants = tenants(p, defaultQuota, file == null ? null : file.getParent());
        }
    }

    /** The tenants a properties text defines ({@code tenant.NAME.KEY}); checked, never partial. */
    static Map<String, Tenants.TenantSpec> tenants(Properties p, Tenants.Quota defaults, Path base) {
        Map<String, Properties> byName = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>(p.stringPropertyNames());
        java.util.Collections.sort(keys);
        for (String k : keys) {
            if (!k.startsWith("tenant.")) {
                continue;
            }
            int dot = k.indexOf('.', 7);
            if (dot < 0) {
                throw new IllegalArgumentException("'" + k + "': expected tenant.NAME.KEY");
            }
            String name = k.substring(7, dot);
            String key = k.substring(dot + 1);
            if (!name.matches("[A-Za-z0-9_-]{1,64}")) {
                throw new IllegalArgumentException("'" + k + "': a tenant name is 1 to 64 letters, digits, '-' or '_'");
            }
            if (!TENANT_KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown setting '" + k + "' (a tenant has " + String.join(", ",
                        new java.util.TreeSet<>(TENANT_KEYS)) + ")");
            }
            byName.computeIfAbsent(name, n -> new Properties()).setProperty(key, p.getProperty(k));
        }
        Map<String, Tenants.TenantSpec> out = new LinkedHashMap<>();
        for (Map.Entry<String, Properties> e : byName.entrySet()) {
            Properties t = e.getValue();
            List<String> hashes = new ArrayList<>();
            for (String h : t.getProperty("tokenSha256", "").split(",")) {
                String s = h.trim().toLowerCase(Locale.ROOT);
                if (s.isEmpty()) {
                    continue;
                }
                if (!s.matches("[0-9a-f]{64}")) {
                    throw new IllegalArgumentException("tenant." + e.getKey() + ".tokenSha256: expected the hex SHA-256 of"
                            + " each token (64 hex digits, comma-separated; 'laocoon serve --hash-token' prints it)");
                }
                hashes.add(s);
            }
            Path policy = null;
            String pol = t.getProperty("policy");
            if (pol != null && !pol.isBlank()) {
                policy = Path.of(pol.trim());
                if (!policy.isAbsolute() && base != null) {
                    policy = base.resolve(policy);
                }
            }
            String secret = t.getProperty("callbackSecret");
            out.put(e.getKey(), new Tenants.TenantSpec(e.getKey(), List.copyOf(hashes), quota(t, "", defaults), policy,
                    secret == null || secret.isBlank() ? null : secret.trim()));
        }
        return out;
    }

    private Path resolve(String v) {
        Path x = Path.of(v);
        return x.isAbsolute() || file == null || file.getParent() == null ? x : file.getParent().resolve(x);
    }

    private static boolean bool(String key, String v) {
        String t = v.trim().toLowerCase(Locale.ROOT);
        if (!t.equals("true") && !t.equals("false")) {
            throw new IllegalArgumentException(key + ": expected true or false, got '" + v.trim() + "'");
        }
        return t.equals("true");
    }

    private static Tenants.Quota quota(Properties p, String prefix, Tenants.Quota d) {
        String c = p.getProperty(prefix + "maxConcurrent");
        String b = p.getProperty(prefix + "bytesPerDay");
        String r = p.getProperty(prefix + "requestsPerMinute");
        return new Tenants.Quota(c == null ? d.maxConcurrent() : (int) number(prefix + "maxConcurrent", c, 1, 100_000),
                b == null ? d.bytesPerDay() : size(prefix + "bytesPerDay", b),
                r == null ? d.requestsPerMinute() : (int) number(prefix + "requestsPerMinute", r, 0, 10_000_000));
    }

    static long number(String key, String v, long min, long max) {
        long n;
        try {
            n = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": expected a whole number, got '" + v.trim() + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(key + ": must be between " + min + " and " + max + ", got " + n);
        }
        return n;
    }

    /** A byte count: a whole number with an optional binary suffix k, m, g or t (64m = 64 MiB). */
    static long size(String key, String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        int shift = 0;
        if (!s.isEmpty()) {
            char last = s.charAt(s.length() - 1);
            int i = "kmgt".indexOf(last);
            if (i >= 0) {
                shift = 10 * (i + 1);
                s = s.substring(0, s.length() - 1);
            }
        }
        long n;
        try {
            n = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": expected a byte count such as 1048576, 512k, 64m or 1g, got '"
                    + v.trim() + "'");
        }
        if (n < 0 || (shift > 0 && n > (Long.MAX_VALUE >> shift))) {
            throw new IllegalArgumentException(key + ": out of range: " + v.trim());
        }
        return n << shift;
    }

    Path tempDir() {
        return tempDir != null ? tempDir : data.resolve("tmp");
    }

    Path auditLog() {
        return auditLog != null ? auditLog : data.resolve("audit.jsonl");
    }
}
