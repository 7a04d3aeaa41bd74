package dev.laocoon.server;

import dev.laocoon.core.ScanLimits;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.kb.KnowledgeBase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The tenants and their bearer tokens. Tokens are known only by their SHA-256 (the config file
 * holds hashes, the store holds the admin token's hash); a request's token is hashed and looked up,
 * and the comparison is of hashes. The config file's tenants are read again when the file changes
 * (checked at most once a second), so tokens rotate without a restart; a changed file that does not
 * parse keeps the tenants in force and is logged.
 */
public final class Tenants {
    /** Per-tenant limits; 0 bytes per day or requests per minute means unlimited. */
    public record Quota(int maxConcurrent, long bytesPerDay, int requestsPerMinute) {
    }

    /** A tenant as configured. */
    public record TenantSpec(String name, List<String> tokenHashes, Quota quota, Path policy, String callbackSecret) {
    }

    /** A tenant in service: its scanner (with its policy) and its live counters. */
    public static final class Tenant {
        final TenantSpec spec;
        final Scanner scanner;
        final String policyHash;
        final AtomicInteger running = new AtomicInteger();
        private long windowStart;
        private int windowCount;

        Tenant(TenantSpec spec, Scanner scanner, String policyHash) {
            this.spec = spec;
            this.scanner = scanner;
            this.policyHash = policyHash;
        }

        public String name() {
            return spec.name();
        }

        public Quota quota() {
            return spec.quota();
        }

        /**
         * Counts a request in the current minute; returns 0 when it is allowed, else the seconds until
         * the window ends (for Retry-After).
         */
        synchronized long countRequest(long nowMillis) {
            int max = spec.quota().requestsPerMinute();
            if (max <= 0) {
                return 0;
            }
            if (nowMillis - windowStart >= 60_000) {
                windowStart = nowMillis;
                windowCount = 0;
            }
            if (windowCount >= max) {
                return Math.max(1, (windowStart + 60_000 - nowMillis + 999) / 1000);
            }
            windowCount++;
            return 0;
        }
    }

    private final ServeConfig config;
    private final ScanLimits limits;
    private final Executor executor;
    private final Log log;
    private volatile Map<String, Tenant> byHash = Map.of();
    private volatile Map<String, Tenant> byName = Map.of();
    private volatile String adminHash;
    private final Map<String, Tenant> previous = new HashMap<>();
    private final AtomicLong lastCheck = new AtomicLong();
    private long fileStamp = Long.MIN_VALUE;

    Tenants(ServeConfig config, ScanLimits limits, Executor executor, Log log) {
        this.config = config;
        this.limits = limits;
        this.executor = executor;
        this.log = log;
    }

    /** Builds the tenants (the admin one with {@code adminHash}); a policy that cannot be read throws. */
    synchronized void install(String adminHash, Map<String, TenantSpec> specs) throws IOException {
        Map<String, TenantSpec> all = new LinkedHashMap<>(specs);
        TenantSpec admin = all.get("admin");
        List<String> adminHashes = new java.util.ArrayList<>(admin == null ? List.of() : admin.tokenHashes());
        adminHashes.add(adminHash);
        all.put("admin", admin == null ? new TenantSpec("admin", adminHashes, config.defaultQuota, null, null)
                : new TenantSpec("admin", adminHashes, admin.quota(), admin.policy(), admin.callbackSecret()));
        Map<String, Tenant> names = new LinkedHashMap<>();
        Map<String, Tenant> hashes = new HashMap<>();
        for (TenantSpec s : all.values()) {
            Tenant old = previous.get(s.name());
            Tenant t;
            if (old != null && java.util.Objects.equals(old.spec.policy(), s.policy()) && s.policy() == null) {
                t = new Tenant(s, old.scanner, old.policyHash);
            } else {
                KnowledgeBase kb = KnowledgeBase.builtin();
                String policyHash = "none";
                if (s.policy() != null) {
                    if (!Files.isRegularFile(s.policy())) {
                        throw new IOException("tenant " + s.name() + ": policy file not found: " + s.policy());
                    }
                    String text = Files.readString(s.policy(), StandardCharsets.UTF_8);
                    kb = kb.withPolicyText(text, s.policy().toString());
                    policyHash = Hashes.sha256Hex(text.getBytes(StandardCharsets.UTF_8));
                }
                t = new Tenant(s, Scanner.builder().knowledgeBase(kb).limits(limits).executor(executor).build(), policyHash);
            }
            if (old != null) {
                // the live counters carry over a reload: a rotation must not reset a quota
                t.running.set(old.running.get());
            }
            names.put(s.name(), t);
            for (String h : s.tokenHashes()) {
                Tenant other = hashes.put(h, t);
                if (other != null && other != t) {
                    throw new IllegalArgumentException("the same token is given to tenants " + other.name() + " and "
                            + t.name());
                }
            }
        }
        previous.clear();
        previous.putAll(names);
        this.adminHash = adminHash;
        this.byName = Map.copyOf(names);
        this.byHash = Map.copyOf(hashes);
    }

    /** The tenant of a bearer token, or null. */
    Tenant authenticate(String token) {
        reloadIfChanged();
        if (token == null || token.isEmpty() || token.length() > 512) {
            return null;
        }
        String h = Hashes.sha256Hex(token.getBytes(StandardCharsets.UTF_8));
        Tenant t = byHash.get(h);
        if (t == null) {
            return null;
        }
        // the map found it by hash; compare in constant time anyway
        for (String known : t.spec.tokenHashes()) {
            if (MessageDigest.isEqual(known.getBytes(StandardCharsets.US_ASCII), h.getBytes(StandardCharsets.US_ASCII))) {
                return t;
            }
        }
        return null;
    }

    Tenant byName(String name) {
        return byName.get(name);
    }

    int size() {
        return byName.size();
    }

    /** Re-reads the config file's tenants when it changed (at most once a second). */
    void reloadIfChanged() {
        Path f = config.file;
        if (f == null) {
            return;
        }
        long now = System.currentTimeMillis();
        long last = lastCheck.get();
        if (now - last < 1000 || !lastCheck.compareAndSet(last, now)) {
            return;
        }
        synchronized (this) {
            long stamp;
            try {
                stamp = Files.getLastModifiedTime(f).toMillis() ^ Files.size(f) * 31;
            } catch (IOException e) {
                return; // a file being replaced: next time
            }
            if (fileStamp == Long.MIN_VALUE) {
                fileStamp = stamp;
                return;
            }
            if (stamp == fileStamp) {
                return;
            }
            fileStamp = stamp;
            try {
                Map<String, TenantSpec> specs = ServeConfig.tenants(ServeConfig.load(f), config.defaultQuota, f.getParent());
                install(adminHash, specs);
                log.info("tenants re-read from " + f + ": " + byName.size() + " tenants");
            } catch (IOException | RuntimeException e) {
                log.info("tenants in " + f + " not re-read, the previous ones stay in force: " + e.getMessage());
            }
        }
    }

    /** Records the current stamp of the config file (so the first check does not reload). */
    synchronized void markLoaded() {
        Path f = config.file;
        if (f != null) {
            try {
                fileStamp = Files.getLastModifiedTime(f).toMillis() ^ Files.size(f) * 31;
            } catch (IOException e) {
                fileStamp = Long.MIN_VALUE;
            }
        }
    }
}
