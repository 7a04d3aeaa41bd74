package dev.laocoon.core.testutil;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * A loopback HTTP(S) server for remote-source tests: serves objects by path with correct range
 * semantics, or with one of the broken behaviours real servers show, and counts requests, bytes
 * and the headers it saw. Only ever bound to a 127.0.0.0/8 address.
 */
public final class HttpFixture implements AutoCloseable {
    static {
        // the JDK server writes headers and body apart: without TCP_NODELAY each answer waits ~40 ms
        // for a delayed ACK (real servers set it; read once, when the first server starts)
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    /** How the server answers. */
    public enum Mode {
        RANGES, IGNORE_RANGE, ETAG_CHANGES, WRONG_CONTENT_RANGE, TRUNCATED_BODY, SLOW_BODY, RANGES_STOP_AFTER_FIRST
    }

    /** One request as the server saw it. */
    public record Seen(String method, String path, String range, String authorization) {
    }

    private final HttpServer server;
    private final ExecutorService pool = Executors.newFixedThreadPool(4);
    private final Map<String, byte[]> objects = new ConcurrentHashMap<>();
    private final Map<String, String> redirects = new ConcurrentHashMap<>();
    private final Map<String, Handler> handlers = new ConcurrentHashMap<>();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicInteger failFirst = new AtomicInteger();
    private volatile int failStatus = 429;
    private volatile Mode mode = Mode.RANGES;

    /** A handler of its own for a path prefix (a hub API fixture). */
    public interface Handler {
        void handle(HttpExchange x, HttpFixture f) throws IOException;
    }

    /** An HTTP fixture on 127.0.0.1. */
    public HttpFixture() throws IOException {
        this("127.0.0.1", null);
    }

    /** A fixture on {@code address} (a 127.0.0.0/8 address), HTTPS when {@code tls} is given. */
    public HttpFixture(String address, SSLContext tls) throws IOException {
        InetAddress a = InetAddress.getByName(address);
        if (!a.isLoopbackAddress()) {
            throw new IllegalArgumentException("fixtures bind to loopback only: " + address);
        }
        if (tls != null) {
            HttpsServer s = HttpsServer.create(new InetSocketAddress(a, 0), 0);
            s.setHttpsConfigurator(new HttpsConfigurator(tls));
            server = s;
        } else {
            server = HttpServer.create(new InetSocketAddress(a, 0), 0);
        }
        server.createContext("/", this::handle);
        server.setExecutor(pool); // a real server answers concurrently
        server.start();
    }

    public HttpFixture mode(Mode m) {
        this.mode = m;
        return this;
    }

    public HttpFixture put(String path, byte[] content) {
        objects.put(path, content);
        return this;
    }

    /** {@code path} answers 302 to {@code location}. */
    public HttpFixture redirect(String path, String location) {
        redirects.put(path, location);
        return this;
    }

    /** Requests under {@code prefix} go to {@code h}. */
    public HttpFixture handler(String prefix, Handler h) {
        handlers.put(prefix, h);
        return this;
    }

    /** The next {@code n} requests answer {@code status} (with Retry-After: 0 for a 429). */
    public HttpFixture failFirst(int n, int status) {
        failStatus = status;
        failFirst.set(n);
        return this;
    }

    public URI url(String path) {
        String scheme = server instanceof HttpsServer ? "https" : "http";
        return URI.create(scheme + "://" + server.getAddress().getAddress().getHostAddress() + ":" + port() + path);
    }

    /** The URL with {@code host} instead of the address (for a name that resolves to it, such as localhost). */
    public URI url(String host, String path) {
        String scheme = server instanceof HttpsServer ? "https" : "http";
        return URI.create(scheme + "://" + host + ":" + port() + path);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public int requests() {
        return requests.get();
    }

    public long bytesSent() {
        return bytes.get();
    }

    public List<Seen> seen() {
        return List.copyOf(seen);
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            int n = requests.incrementAndGet();
            String path = x.getRequestURI().getPath();
            String range = x.getRequestHeaders().getFirst("Range");
            seen.add(new Seen(x.getRequestMethod(), path + (x.getRequestURI().getRawQuery() == null ? ""
                    : "?" + x.getRequestURI().getRawQuery()), range, x.getRequestHeaders().getFirst("Authorization")));
            if (failFirst.getAndUpdate(v -> Math.max(0, v - 1)) > 0) {
                if (failStatus == 429) {
                    x.getResponseHeaders().add("Retry-After", "0");
                }
                x.sendResponseHeaders(failStatus, -1);
                return;
            }
            String best = null; // the longest prefix that matches
            for (String prefix : handlers.keySet()) {
                if (path.startsWith(prefix) && (best == null || prefix.length() > best.length())) {
                    best = prefix;
                }
            }
            if (best != null) {
                handlers.get(best).handle(x, this);
                return;
            }
            String to = redirects.get(path);
            if (to != null) {
                x.getResponseHeaders().add("Location", to);
                x.sendResponseHeaders(302, -1);
                return;
            }
            byte[] b = objects.get(path);
            if (b == null) {
                x.sendResponseHeaders(404, -1);
                return;
            }
            serveObject(x, b, range, n);
        }
    }

    /** Answers a GET of {@code b} as this fixture's mode says (used by hub handlers too). */
    public void serveObject(HttpExchange x, byte[] b, String range, int n) throws IOException {
        Matcher m = Pattern.compile("bytes=(\\d+)-(\\d+)").matcher(range == null ? "" : range);
        Mode md = mode;
        x.getResponseHeaders().add("ETag", md == Mode.ETAG_CHANGES && n > 1 ? "\"v2\"" : "\"v1\"");
        if (md == Mode.IGNORE_RANGE || !m.matches() || (md == Mode.RANGES_STOP_AFTER_FIRST && n > 1)) {
            x.sendResponseHeaders(200, b.length);
            write(x, b, 0, b.length);
            return;
        }
        int s = Integer.parseInt(m.group(1));
        if (s >= b.length) {
            x.getResponseHeaders().add("Content-Range", "bytes */" + b.length);
            x.sendResponseHeaders(416, -1);
            return;
        }
        int e = Math.min(Integer.parseInt(m.group(2)), b.length - 1);
        int shown = md == Mode.WRONG_CONTENT_RANGE && n > 1 ? s + 1 : s;
        x.getResponseHeaders().add("Content-Range", "bytes " + shown + "-" + e + "/" + b.length);
        x.sendResponseHeaders(206, e - s + 1);
        if (md == Mode.TRUNCATED_BODY && n > 1) {
            write(x, b, s, Math.min(100, e - s + 1)); // then the connection closes short of the length
            return;
        }
        if (md == Mode.SLOW_BODY && n > 1) {
            write(x, b, s, Math.min(100, e - s + 1));
            try {
                Thread.sleep(4000);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        write(x, b, s, e - s + 1);
    }

    private void write(HttpExchange x, byte[] b, int off, int len) {
        try (OutputStream o = x.getResponseBody()) {
            o.write(b, off, len);
            bytes.addAndGet(len);
        } catch (IOException gone) {
            // the client stopped reading (a body it did not ask for)
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
