package dev.laocoon.core.source.remote;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;

/**
 * Every HTTP(S) request of a remote scan goes through here: the {@link NetworkGuard} decides on every
 * address a connection is made to, redirects included, and the connection is made to the address
 * that was checked, never to a second lookup of the name (so DNS rebinding between check and connect
 * is not possible).
 *
 * <p>How the JDK client is made to connect to the checked address: for {@code http} the client's
 * proxy is the origin itself at its checked address (the request then carries the absolute URL,
 * which HTTP/1.1 servers must accept); for {@code https} the proxy is a small tunnel in this process
 * ({@link Tunnel}) that answers {@code CONNECT host:port} only for origins pinned here and connects to
 * their checked address, so TLS, its server name and the certificate's host name check stay
 * end-to-end between the JDK client and the server.
 *
 * <p>Also here: redirects followed by hand (at most {@link Builder#maxRedirects}, each hop checked,
 * an {@code https} to {@code http} downgrade refused, credentials sent only to the host they are
 * for), retries with backoff on 429 and 5xx answers and dropped connections within a bounded total
 * time, bounded bodies (a body longer than asked for is cut, never read on), a deadline for every
 * exchange including the body (a slow body cannot hold a scan), and counts of requests and bytes.
 */
public final class RemoteFetcher implements AutoCloseable {
    /** The guard refused an address: never retried. */
    public static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    /** An HTTP answer after redirects: the final URL, status, headers and at most the bytes asked for. */
    public record Response(URI uri, int status, HttpHeaders headers, byte[] body, boolean truncated, int requests,
                           long transferred) {
        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    /** A body written to a file: its length, SHA-256 and whether it was cut at the limit. */
    public record Download(URI uri, int status, HttpHeaders headers, long length, String sha256, boolean truncated,
                           int requests) {
    }

    public static Builder builder(NetworkGuard guard) {
        return new Builder(guard);
    }

    /** Options; the defaults suit a command-line scan. */
    public static final class Builder {
        private final NetworkGuard guard;
        private SSLContext ssl;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration requestTimeout = Duration.ofSeconds(60);
        private Duration retryBudget = Duration.ofSeconds(30);
        private Duration firstBackoff = Duration.ofMillis(500);
        private int maxAttempts = 4;
        private int maxRedirects = 5;
        private final Map<String, String> authorization = new HashMap<>();
        private String userAgent = "laocoon";

        private Builder(NetworkGuard guard) {
            this.guard = guard;
        }

        /** TLS trust other than the JDK's default (tests, private CAs). */
        public Builder sslContext(SSLContext c) {
            this.ssl = c;
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = d;
            return this;
        }

        /** The longest one exchange may take, body included. */
        public Builder requestTimeout(Duration d) {
            this.requestTimeout = d;
            return this;
        }

        /** The longest all retries of one request may take together (waits included). */
        public Builder retryBudget(Duration d) {
            this.retryBudget = d;
            return this;
        }

        /** The first wait before a retry, doubled on each further one (a Retry-After answer sets its own). */
        public Builder firstBackoff(Duration d) {
            this.firstBackoff = d;
            return this;
        }

        public Builder maxAttempts(int n) {
            this.maxAttempts = Math.max(1, n);
            return this;
        }

        public Builder maxRedirects(int n) {
            this.maxRedirects = Math.max(0, n);
            return this;
        }

        /**
         * Sends {@code Authorization: value} on requests to {@code host} only (not to a host a
         * redirect leads to); the value is never logged or put in a message.
         */
        public Builder authorization(String host, String value) {
            authorization.put(host.toLowerCase(Locale.ROOT), value);
            return this;
        }

        public Builder userAgent(String ua) {
            this.userAgent = ua;
            return this;
        }

        public RemoteFetcher build() {
            return new RemoteFetcher(this);
        }
    }

    private final NetworkGuard guard;
    private final SSLContext ssl;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final Duration retryBudget;
    private final Duration firstBackoff;
    private final int maxAttempts;
    private final int maxRedirects;
    private final Map<String, String> authorization;
    private final String userAgent;
    private final Map<String, HttpClient> plainClients = new HashMap<>();
    private HttpClient tlsClient;
    private Tunnel tunnel;
    private long requests;
    private long transferred;

    private RemoteFetcher(Builder b) {
        this.guard = b.guard;
        this.ssl = b.ssl;
        this.connectTimeout = b.connectTimeout;
        this.requestTimeout = b.requestTimeout;
        this.retryBudget = b.retryBudget;
        this.firstBackoff = b.firstBackoff;
        this.maxAttempts = b.maxAttempts;
        this.maxRedirects = b.maxRedirects;
        this.authorization = Map.copyOf(b.authorization);
        this.userAgent = b.userAgent;
    }

    public NetworkGuard guard() {
        return guard;
    }

    /** HTTP exchanges made so far (redirect hops and retries each count). */
    public synchronized long requests() {
        return requests;
    }

    /** Body bytes received so far. */
    public synchronized long bytesTransferred() {
        return transferred;
    }

    /** The exchange deadline (for callers that wait on bodies of their own). */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /**
     * GETs {@code uri} following redirects; reads at most {@code maxBody} bytes of the final body
     * ({@link Response#truncated()} tells when there were more; they are never read).
     */
    public Response get(URI uri, Map<String, String> headers, int maxBody) throws IOException {
        URI cur = uri;
        int made = 0;
        long got = 0;
        for (int hop = 0; ; hop++) {
            Attempt<byte[]> a = exchange(cur, headers, () -> new Bodies.Limited(maxBody));
            made += a.requests;
            HttpResponse<byte[]> r = a.response;
            got += r.body().length;
            URI next = redirect(cur, r.statusCode(), r.headers(), hop);
            if (next == null) {
                return new Response(cur, r.statusCode(), r.headers(), r.body(), a.subscriber.truncated(), made, got);
            }
            cur = next;
        }
    }

    /**
     * GETs {@code uri} following redirects and writes the final body (when its status is 200) to
     * {@code file}, at most {@code maxBytes} bytes, computing its SHA-256 on the way.
     */
    public Download download(URI uri, Map<String, String> headers, Path file, long maxBytes, Duration deadline)
            throws IOException {
        URI cur = uri;
        int made = 0;
        for (int hop = 0; ; hop++) {
            Attempt<Long> a = exchange(cur, headers, () -> new Bodies.ToFile(file, maxBytes), deadline);
            made += a.requests;
            HttpResponse<Long> r = a.response;
            URI next = redirect(cur, r.statusCode(), r.headers(), hop);
            if (next == null) {
                Bodies.Sub<Long> t = a.subscriber;
                return new Download(cur, r.statusCode(), r.headers(), r.body(), t.sha256(), t.truncated(), made);
            }
            cur = next;
        }
    }

    /** The next URL of a redirect answer, checked; null when the answer is not a redirect. */
    private URI redirect(URI cur, int status, HttpHeaders h, int hop) throws IOException {
        if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
            return null;
        }
        String loc = h.firstValue("Location").orElse(null);
        if (loc == null) {
            return null;
        }
        if (hop >= maxRedirects) {
            throw new IOException(shown(cur) + ": more than " + maxRedirects + " redirects");
        }
        URI next;
        try {
            next = cur.resolve(new URI(loc));
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            throw new IOException(shown(cur) + ": redirect to an invalid URL");
        }
        String scheme = next.getScheme() == null ? "" : next.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IOException(shown(cur) + ": redirect to a " + (scheme.isEmpty() ? "relative" : scheme) + " URL refused");
        }
        if (scheme.equals("http") && "https".equalsIgnoreCase(cur.getScheme())) {
            throw new IOException(shown(cur) + ": redirect from https to http refused");
        }
        return next;
    }

    private record Attempt<T>(HttpResponse<T> response, int requests, Bodies.Sub<T> subscriber) {
    }

    private interface SubFactory<T> {
        Bodies.Sub<T> create() throws IOException;
    }

    private <T> Attempt<T> exchange(URI uri, Map<String, String> headers, SubFactory<T> f) throws IOException {
        return exchange(uri, headers, f, requestTimeout);
    }

    /** One request with retries on dropped connections, 429 and 5xx, within the retry budget. */
    @SuppressWarnings("unchecked")
    private <T> Attempt<T> exchange(URI uri, Map<String, String> headers, SubFactory<T> f, Duration deadline)
            throws IOException {
        HttpClient client = clientFor(uri);
        HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(deadline).GET().header("User-Agent", userAgent);
        for (Map.Entry<String, String> e : headers.entrySet()) {
            rb.header(e.getKey(), e.getValue());
        }
        String auth = uri.getHost() == null ? null : authorization.get(uri.getHost().toLowerCase(Locale.ROOT));
        if (auth != null) {
            rb.header("Authorization", auth);
        }
        HttpRequest req = rb.build();
        long start = System.nanoTime();
        long budget = retryBudget.toNanos();
        for (int attempt = 1; ; attempt++) {
            Bodies.Sub<T>[] holder = new Bodies.Sub[1];
            HttpResponse<T> r;
            try {
                r = send(client, req, f, holder, uri, deadline);
            } catch (Refused | InterruptedIOException | HttpTimeoutException e) {
                count(1, 0);
                throw e;
            } catch (IOException e) {
                count(1, 0);
                long wait = backoff(attempt, null);
                if (attempt >= maxAttempts || System.nanoTime() - start + wait > budget) {
                    throw new IOException(shown(uri) + ": " + describe(e) + (attempt > 1 ? " (after " + attempt + " attempts)" : ""), e);
                }
                sleep(wait);
                continue;
            }
            count(1, r.body() instanceof byte[] b ? b.length : r.body() instanceof Long n ? n : 0);
            int s = r.statusCode();
            if (s == 429 || s == 500 || s == 502 || s == 503 || s == 504) {
                long wait = backoff(attempt, r.headers().firstValue("Retry-After").orElse(null));
                if (attempt < maxAttempts && wait >= 0 && System.nanoTime() - start + wait <= budget) {
                    sleep(wait);
                    continue;
                }
                // out of attempts or time: the caller reports the status
            }
            return new Attempt<>(r, attempt, holder[0]);
        }
    }

    private <T> HttpResponse<T> send(HttpClient client, HttpRequest req, SubFactory<T> f, Bodies.Sub<T>[] holder, URI uri,
                                     Duration deadline) throws IOException {
        CompletableFuture<HttpResponse<T>> fut = client.sendAsync(req, info -> {
            try {
                holder[0] = f.create();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return holder[0];
        });
        try {
            return fut.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            fut.cancel(true);
            if (holder[0] != null) {
                holder[0].abort();
            }
            throw new HttpTimeoutException(shown(uri) + ": no complete answer within " + deadline.toSeconds() + " s");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof java.io.UncheckedIOException u) {
                throw u.getCause();
            }
            if (c instanceof IOException io) {
                throw io;
            }
            throw new IOException(shown(uri) + ": " + c, c);
        } catch (InterruptedException e) {
            fut.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading " + uri);
        }
    }

    /**
     * A URL as messages show it: without its query and user part, which for pre-signed URLs (a hub's
     * CDN, an S3 object) hold a signature and a key id that do not belong in reports or logs.
     */
    public static String shown(URI u) {
        String s = u.getScheme() + "://" + (u.getHost() == null ? "" : u.getHost()) + (u.getPort() < 0 ? "" : ":" + u.getPort())
                + (u.getRawPath() == null ? "" : u.getRawPath());
        return u.getRawQuery() == null ? s : s + "?...";
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        if (e instanceof java.net.ConnectException) {
            return "connection refused" + (m == null ? "" : " (" + m + ")");
        }
        return m == null ? e.getClass().getSimpleName() : m;
    }

    /** Nanoseconds to wait before attempt {@code attempt + 1}; -1 when a Retry-After cannot be understood. */
    private long backoff(int attempt, String retryAfter) {
        if (retryAfter != null) {
            try {
                long s = Long.parseLong(retryAfter.trim());
                return s < 0 ? -1 : TimeUnit.SECONDS.toNanos(s);
            } catch (NumberFormatException e) {
                // an HTTP date: waited for as the doubling backoff
            }
        }
        return firstBackoff.toNanos() << Math.min(attempt - 1, 16);
    }

    private static void sleep(long nanos) throws InterruptedIOException {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to retry");
        }
    }

    private synchronized void count(long n, long bytes) {
        requests += n;
        transferred += bytes;
    }

    /** The client that connects to {@code uri}'s origin at its checked address (checked here, once). */
    private synchronized HttpClient clientFor(URI uri) throws IOException {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IOException("not an http or https URL: " + uri);
        }
        String host = uri.getHost();
        if (host == null) {
            throw new IOException("no host in " + uri);
        }
        int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        String key = host.toLowerCase(Locale.ROOT) + ":" + port;
        if (scheme.equals("http")) {
            HttpClient c = plainClients.get(key);
            if (c == null) {
                InetAddress a = checked(host, port);
                c = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(connectTimeout)
                        .proxy(ProxySelector.of(new InetSocketAddress(a, port))).build();
                plainClients.put(key, c);
            }
            return c;
        }
        if (tunnel == null) {
            tunnel = new Tunnel(connectTimeout);
            HttpClient.Builder b = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                    .connectTimeout(connectTimeout).proxy(ProxySelector.of(tunnel.address()));
            if (ssl != null) {
                b.sslContext(ssl);
            }
            tlsClient = b.build();
        }
        if (!tunnel.pinned(key)) {
            tunnel.pin(key, new InetSocketAddress(checked(host, port), port));
        }
        return tlsClient;
    }

    /** Resolves {@code host} (numeric spellings without DNS), checks every address; the first one is used. */
    private InetAddress checked(String host, int port) throws IOException {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        InetAddress lit = NetworkGuard.literal(bare);
        InetAddress[] all;
        if (lit != null) {
            all = new InetAddress[] {lit};
        } else {
            try {
                all = InetAddress.getAllByName(bare);
            } catch (java.net.UnknownHostException e) {
                throw new IOException("unknown host " + bare);
            }
        }
        for (InetAddress a : all) {
            NetworkGuard.Decision d = guard.check(bare, port, a);
            if (!d.allowed()) {
                throw new Refused("refused by the network guard: " + bare + ":" + port + " (" + d.reason() + ")");
            }
        }
        return all[0];
    }

    @Override
    public synchronized void close() {
        if (tunnel != null) {
            tunnel.close();
        }
        plainClients.clear();
    }
}
