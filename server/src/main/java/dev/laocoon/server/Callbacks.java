package dev.laocoon.server;

import dev.laocoon.core.source.remote.NetworkGuard;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Callbacks of asynchronous scans: the result is POSTed to the URL given with the upload, signed
 * with HMAC-SHA256 under the tenant's {@code callbackSecret}: {@code X-Laocoon-Signature:
 * sha256=HEX} over {@code TIMESTAMP + "." + BODY}, the timestamp (Unix seconds) in
 * {@code X-Laocoon-Timestamp}. Every address the URL's host has is checked by the SSRF guard
 * ({@link NetworkGuard}) when the upload arrives and again before sending; redirects are not followed.
 */
final class Callbacks implements AutoCloseable {
    private final NetworkGuard guard;
    private final Log log;
    /** Made on the first callback: the JDK client costs about 0.3 s to set up, which start-up need not pay. */
    private volatile HttpClient http;

    private HttpClient http() {
        HttpClient c = http;
        if (c == null) {
            synchronized (this) {
                c = http;
                if (c == null) {
                    c = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                            .connectTimeout(Duration.ofSeconds(10)).build();
                    http = c;
                }
            }
        }
        return c;
    }
    private final ExecutorService senders = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(1000), r -> {
                Thread t = new Thread(r, "laocoon-callback");
                t.setDaemon(true);
                return t;
            });

    Callbacks(ServeConfig config, Log log) {
        this.guard = NetworkGuard.allowing(config.callbackAllowHosts, config.callbackAllowPrivate);
        this.log = log;
    }

    /** Why a callback URL is refused, or null when it may be used. Resolves the host; never connects. */
    String refuse(String url) {
        URI u;
        try {
            u = new URI(url);
        } catch (java.net.URISyntaxException e) {
            return "not a valid URL";
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return "only http and https callbacks are sent";
        }
        if (u.getHost() == null || u.getRawUserInfo() != null) {
            return "the URL needs a host and no user information";
        }
        String host = u.getHost();
        InetAddress[] addresses;
        InetAddress literal = NetworkGuard.literal(host);
        try {
            addresses = literal != null ? new InetAddress[] {literal} : InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            return "the host " + host + " does not resolve";
        }
        for (InetAddress a : addresses) {
            NetworkGuard.Decision d = guard.check(host, a);
            if (!d.allowed()) {
                return "the address " + a.getHostAddress() + " of " + host + " is refused: " + d.reason();
            }
        }
        return null;
    }

    static String sign(String secret, String timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update(timestamp.getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) '.');
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends in the background: three attempts, 1 s and 4 s apart; the outcome is logged (never the secret). */
    void send(String url, String secret, String scanId, byte[] body) {
        try {
            senders.execute(() -> deliver(url, secret, scanId, body));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.info("callback of scan " + scanId + " dropped: too many callbacks pending");
        }
    }

    private void deliver(String url, String secret, String scanId, byte[] body) {
        long[] waits = {0, 1000, 4000};
        String last = null;
        for (long w : waits) {
            try {
                Thread.sleep(w);
                String why = refuse(url); // again: the name may resolve elsewhere now
                if (why != null) {
                    log.info("callback of scan " + scanId + " not sent: " + why);
                    return;
                }
                String ts = Long.toString(System.currentTimeMillis() / 1000);
                HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/json").header("X-Laocoon-Timestamp", ts)
                        .header("X-Laocoon-Signature", sign(secret, ts, body)).header("X-Laocoon-Scan", scanId)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                int status = http().send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status >= 200 && status < 300) {
                    return;
                }
                last = "HTTP " + status;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (java.io.IOException | IllegalArgumentException e) {
                last = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            }
        }
        log.info("callback of scan " + scanId + " failed after 3 attempts (" + last + ")");
    }

    @Override
    public void close() {
        senders.shutdownNow();
    }
}
