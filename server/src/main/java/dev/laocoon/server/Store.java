package dev.laocoon.server;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * The service's state behind JDBC: the embedded H2 file for one instance, PostgreSQL for replicas
 * sharing state. The schema is brought up to date at start-up by {@link #migrate()}: the numbered
 * SQL files under {@code dev/laocoon/server/db/} not yet recorded in {@code laocoon_schema} run in
 * order, each in its own transaction. Connections are pooled (a few, opened on demand); one that
 * failed is closed rather than reused, so the store coming back after an outage is picked up by
 * the next call.
 */
final class Store implements AutoCloseable {
    /** Migrations in order: version, resource name. */
    static final String[][] MIGRATIONS = {{"1", "V1__scans.sql"}, {"2", "V2__fresh_content.sql"}};

    enum Dialect { H2, POSTGRES }

    /** A scan as stored. */
    record Scan(String id, String tenant, String name, String sha256, String cacheKey, long size, String status,
                String verdict, String result, String error, boolean cached, long createdAt, long finishedAt) {
    }

    private final String url;
    private final String user;
    private final String password;
    final Dialect dialect;
    private final ArrayBlockingQueue<Connection> idle = new ArrayBlockingQueue<>(32);
    private volatile boolean closed;

    Store(String url, String user, String password) {
        this.url = url;
        this.user = user;
        this.password = password;
        if (url.startsWith("jdbc:h2:")) {
            dialect = Dialect.H2;
        } else if (url.startsWith("jdbc:postgresql:")) {
            dialect = Dialect.POSTGRES;
        } else {
            throw new IllegalArgumentException("store.url: expected a jdbc:h2: or jdbc:postgresql: URL, got '" + url + "'");
        }
    }

    /** A description of the store for logs, without credentials. */
    String describe() {
        int q = url.indexOf('?');
        int semi = url.indexOf(';');
        int cut = q < 0 ? semi : semi < 0 ? q : Math.min(q, semi);
        return cut < 0 ? url : url.substring(0, cut);
    }

    private Connection borrow() throws SQLException {
        if (closed) {
            throw new SQLException("the store is closed");
        }
        Connection c = idle.poll();
        if (c != null) {
            return c;
        }
        java.util.Properties p = new java.util.Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        if (dialect == Dialect.POSTGRES) {
            p.setProperty("connectTimeout", "5");
            p.setProperty("socketTimeout", "30");
        }
        return DriverManager.getConnection(url, p);
    }

    private void release(Connection c, boolean ok) {
        if (c == null) {
            return;
        }
        try {
            if (!ok || closed || !c.getAutoCommit() || !idle.offer(c)) {
                c.close();
            }
        } catch (SQLException e) {
            // closing a broken connection
        }
    }

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T with(Work<T> w) throws SQLException {
        boolean pooled = !idle.isEmpty();
        Connection c = borrow();
        boolean ok = false;
        try {
            T t = w.run(c);
            ok = true;
            return t;
        } catch (SQLException e) {
            if (!pooled || valid(c)) {
                throw e;
            }
            // a pooled connection from before an outage: the others are as stale; once more on a new one
            release(c, false);
            c = null;
            Connection old;
            while ((old = idle.poll()) != null) {
                release(old, false);
            }
            Connection fresh = borrow();
            boolean freshOk = false;
            try {
                T t = w.run(fresh);
                freshOk = true;
                return t;
            } finally {
                release(fresh, freshOk);
            }
        } finally {
            if (c != null) {
                release(c, ok);
            }
        }
    }

    private static boolean valid(Connection c) {
        try {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    /** Brings the schema up to date; returns the migrations applied now. */
    int migrate() throws SQLException, IOException {
        Connection c = borrow();
        boolean ok = false;
        int applied = 0;
        try {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS laocoon_schema (version INT PRIMARY KEY, name VARCHAR(200) NOT NULL,"
                        + " applied_at BIGINT NOT NULL)");
            }
            java.util.Set<Integer> done = new java.util.HashSet<>();
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT version FROM laocoon_schema")) {
                while (r.next()) {
                    done.add(r.getInt(1));
                }
            }
            for (String[] m : MIGRATIONS) {
                int v = Integer.parseInt(m[0]);
                if (done.contains(v)) {
                    continue;
                }
                String sql;
                try (InputStream in = Store.class.getResourceAsStream("/dev/laocoon/server/db/" + m[1])) {
                    if (in == null) {
                        throw new IOException("migration " + m[1] + " missing from the jar");
                    }
                    sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                sql = sql.replace("${text}", dialect == Dialect.H2 ? "CLOB" : "TEXT");
                c.setAutoCommit(false);
                try {
                    if (dialect == Dialect.POSTGRES) {
                        try (Statement s = c.createStatement()) {
                            // replicas starting together: one migrates, the others wait and then see it done
                            s.execute("LOCK TABLE laocoon_schema IN EXCLUSIVE MODE");
                        }
                        try (PreparedStatement p = c.prepareStatement("SELECT 1 FROM laocoon_schema WHERE version = ?")) {
                            p.setInt(1, v);
                            try (ResultSet r = p.executeQuery()) {
                                if (r.next()) {
                                    c.commit();
                                    continue;
                                }
                            }
                        }
                    }
                    for (String stmt : statements(sql)) {
                        try (Statement s = c.createStatement()) {
                            s.execute(stmt);
                        }
                    }
                    try (PreparedStatement p = c.prepareStatement(
                            "INSERT INTO laocoon_schema (version, name, applied_at) VALUES (?, ?, ?)")) {
                        p.setInt(1, v);
                        p.setString(2, m[1]);
                        p.setLong(3, System.currentTimeMillis());
                        p.executeUpdate();
                    }
                    c.commit();
                    applied++;
                } catch (SQLException e) {
                    c.rollback();
                    throw new SQLException("migration " + m[1] + " failed: " + e.getMessage(), e);
                } finally {
                    c.setAutoCommit(true);
                }
            }
            ok = true;
            return applied;
        } finally {
            release(c, ok);
        }
    }

    /** The statements of a migration file: split at semicolons that end a line; comment lines dropped. */
    static List<String> statements(String sql) {
        List<String> out = new ArrayList<>();
        StringBuilder b = new StringBuilder();
        for (String line : sql.split("\n")) {
            String t = line.trim();
            if (t.startsWith("--") || t.isEmpty()) {
                continue;
            }
            b.append(line).append('\n');
            if (t.endsWith(";")) {
                String s = b.toString().trim();
                out.add(s.substring(0, s.length() - 1));
                b.setLength(0);
            }
        }
        if (!b.toString().isBlank()) {
            out.add(b.toString().trim());
        }
        return out;
    }

    /** The schema versions applied (for /v1/info). */
    int schemaVersion() throws SQLException {
        return with(c -> {
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT MAX(version) FROM laocoon_schema")) {
                return r.next() ? r.getInt(1) : 0;
            }
        });
    }

    boolean ping() {
        try {
            return with(c -> {
                try (Statement s = c.createStatement()) {
                    s.setQueryTimeout(2);
                    try (ResultSet r = s.executeQuery("SELECT 1")) {
                        return r.next();
                    }
                }
            });
        } catch (SQLException e) {
            return false;
        }
    }

    String setting(String name) throws SQLException {
        return with(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT setting_value FROM settings WHERE name = ?")) {
                p.setString(1, name);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? r.getString(1) : null;
                }
            }
        });
    }

    void putSetting(String name, String value) throws SQLException {
        with(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE settings SET setting_value = ? WHERE name = ?")) {
                p.setString(1, value);
                p.setString(2, name);
                if (p.executeUpdate() > 0) {
                    return null;
                }
            }
            try (PreparedStatement p = c.prepareStatement("INSERT INTO settings (name, setting_value) VALUES (?, ?)")) {
                p.setString(1, name);
                p.setString(2, value);
                p.executeUpdate();
            }
            return null;
        });
    }

    /** Bytes a tenant has uploaded on a UTC day. */
    long usage(String tenant, String day) throws SQLException {
        return with(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT bytes FROM usage_bytes WHERE tenant = ? AND usage_day = ?")) {
                p.setString(1, tenant);
                p.setString(2, day);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? r.getLong(1) : 0L;
                }
            }
        });
    }

    /** Adds to a tenant's bytes of a day. */
    void addUsage(String tenant, String day, long bytes) throws SQLException {
        with(c -> {
            for (int attempt = 0; ; attempt++) {
                try (PreparedStatement p = c.prepareStatement(
                        "UPDATE usage_bytes SET bytes = bytes + ? WHERE tenant = ? AND usage_day = ?")) {
                    p.setLong(1, bytes);
                    p.setString(2, tenant);
                    p.setString(3, day);
                    if (p.executeUpdate() > 0) {
                        return null;
                    }
                }
                try (PreparedStatement p = c.prepareStatement(
                        "INSERT INTO usage_bytes (tenant, usage_day, bytes) VALUES (?, ?, ?)")) {
                    p.setString(1, tenant);
                    p.setString(2, day);
                    p.setLong(3, bytes);
                    p.executeUpdate();
                    return null;
                } catch (SQLException e) {
                    if (attempt > 0) {
                        throw e; // not a race with another insert
                    }
                }
            }
        });
    }

    void insert(Scan s) throws SQLException {
        with(c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO scans (id, tenant, name, sha256, cache_key, size,"
                    + " status, verdict, result, error, cached, created_at, finished_at)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                p.setString(1, s.id());
                p.setString(2, s.tenant());
                p.setString(3, clip(s.name(), 1024));
                p.setString(4, s.sha256());
                p.setString(5, s.cacheKey());
                p.setLong(6, s.size());
                p.setString(7, s.status());
                p.setString(8, s.verdict());
                p.setString(9, s.result());
                p.setString(10, clip(s.error(), 2048));
                p.setBoolean(11, s.cached());
                p.setLong(12, s.createdAt());
                if (s.finishedAt() > 0) {
                    p.setLong(13, s.finishedAt());
                } else {
                    p.setNull(13, java.sql.Types.BIGINT);
                }
                p.executeUpdate();
            }
            return null;
        });
    }

    void finish(String id, String status, String verdict, String result, String error) throws SQLException {
        with(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE scans SET status = ?, verdict = ?, result = ?, error = ?,"
                    + " finished_at = ? WHERE id = ?")) {
                p.setString(1, status);
                p.setString(2, verdict);
                p.setString(3, result);
                p.setString(4, clip(error, 2048));
                p.setLong(5, System.currentTimeMillis());
                p.setString(6, id);
                p.executeUpdate();
            }
            return null;
        });
    }

    void status(String id, String status) throws SQLException {
        with(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE scans SET status = ? WHERE id = ?")) {
                p.setString(1, status);
                p.setString(2, id);
                p.executeUpdate();
            }
            return null;
        });
    }

    private static final String COLUMNS = "id, tenant, name, sha256, cache_key, size, status, verdict, result, error,"
            + " cached, created_at, finished_at";

    private static Scan row(ResultSet r) throws SQLException {
        return new Scan(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getLong(6),
                r.getString(7), r.getString(8), r.getString(9), r.getString(10), r.getBoolean(11), r.getLong(12),
                r.getLong(13));
    }

    /** A scan of this tenant by id, or null (another tenant's scan is not found either). */
    Scan scan(String tenant, String id) throws SQLException {
        return with(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM scans WHERE id = ? AND tenant = ?")) {
                p.setString(1, id);
                p.setString(2, tenant);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? row(r) : null;
                }
            }
        });
    }

    /**
     * This tenant's latest finished fresh scan (not a cache hit) of a content under a cache key, or
     * null. A cache hit's row repeats the result of the scan it was answered from; looking at fresh
     * scans only keeps the lookup at one or a few rows however often a content is uploaded again.
     */
    Scan cached(String tenant, String sha256, String cacheKey) throws SQLException {
        return with(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM scans WHERE tenant = ? AND sha256 = ?"
                    + " AND cache_key = ? AND cached = FALSE AND status = 'done' ORDER BY created_at DESC")) {
                p.setString(1, tenant);
                p.setString(2, sha256);
                p.setString(3, cacheKey);
                p.setMaxRows(1);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? row(r) : null;
                }
            }
        });
    }

    /** This tenant's latest scans, newest first (without their results). */
    List<Scan> recent(String tenant, int limit) throws SQLException {
        return with(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT id, tenant, name, sha256, cache_key, size, status, verdict,"
                    + " NULL, error, cached, created_at, finished_at FROM scans WHERE tenant = ? ORDER BY created_at DESC")) {
                p.setString(1, tenant);
                p.setMaxRows(limit);
                List<Scan> out = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(row(r));
                    }
                }
                return out;
            }
        });
    }

    /** Scans left queued or running by a previous run of this (single) instance: they never finish now. */
    int abandon() throws SQLException {
        return with(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE scans SET status = 'error', error = ?, finished_at = ?"
                    + " WHERE status IN ('queued', 'running')")) {
                p.setString(1, "the service stopped before this scan finished; upload the file again");
                p.setLong(2, System.currentTimeMillis());
                return p.executeUpdate();
            }
        });
    }

    private static String clip(String s, int n) {
        return s == null || s.length() <= n ? s : s.substring(0, n);
    }

    @Override
    public void close() {
        closed = true;
        Connection c;
        while ((c = idle.poll()) != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // closing
            }
        }
    }
}
