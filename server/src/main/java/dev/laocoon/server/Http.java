package dev.laocoon.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request: its exchange, its query, and the guarantee that it is answered at most once (the
 * upload watchdog may answer 408 from another thread while the handler is still reading).
 */
final class Http {
    static final ObjectMapper JSON = new ObjectMapper();

    final HttpExchange exchange;
    final Map<String, String> query;
    private final AtomicBoolean answered = new AtomicBoolean();
    volatile int status;
    /** Set once the request's body has been read to its end. */
    volatile boolean bodyRead;
    /** Set by the slow-client watchdog: its answer never waits for the body. */
    volatile boolean noDrain;

    /** Watches a drain of a small body (returns what ends the watch); null: not watched. */
    final java.util.function.Function<TempSpace.Progress, Runnable> drainWatch;

    Http(HttpExchange exchange) {
        this(exchange, null);
    }

    Http(HttpExchange exchange, java.util.function.Function<TempSpace.Progress, Runnable> drainWatch) {
        this.exchange = exchange;
        this.drainWatch = drainWatch;
        this.query = query(exchange.getRequestURI().getRawQuery());
    }

    static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return q;
        }
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            try {
                String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
                q.putIfAbsent(k, v);
            } catch (IllegalArgumentException e) {
                // a malformed escape: the parameter is ignored
            }
        }
        return q;
    }

    String method() {
        return exchange.getRequestMethod();
    }

    String path() {
        return exchange.getRequestURI().getPath();
    }

    String header(String name) {
        return exchange.getRequestHeaders().getFirst(name);
    }

    private long declared() {
        String cl = header("Content-Length");
        try {
            return cl == null ? 0 : Long.parseLong(cl.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private boolean smallBody() {
        // no body at all counts: the JDK server keeps a connection only when the (empty) body was read to its end
        String cl = header("Content-Length");
        if (header("Transfer-Encoding") != null) {
            return false;
        }
        if (cl == null) {
            return true;
        }
        try {
            long n = Long.parseLong(cl.trim());
            return n >= 0 && n <= 64 * 1024;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private boolean hasBody() {
        String te = header("Transfer-Encoding");
        String cl = header("Content-Length");
        return te != null || (cl != null && !cl.trim().equals("0"));
    }

    boolean answered() {
        return answered.get();
    }

    /** Sends a complete answer (once; later calls do nothing) and ends the exchange. */
    boolean send(int code, String contentType, byte[] body, String... headers) {
        if (!answered.compareAndSet(false, true)) {
            return false;
        }
        status = code;
        try {
            var h = exchange.getResponseHeaders();
            h.set("Content-Type", contentType);
            h.set("X-Content-Type-Options", "nosniff");
            h.set("Cache-Control", "no-store");
            for (int i = 0; i + 1 < headers.length; i += 2) {
                h.set(headers[i], headers[i + 1]);
            }
            if (!bodyRead && !noDrain && smallBody()) {
                // a small unread body is read first (the watchdog ends a client that stalls here):
                // closing with unread bytes would reset the connection and could lose this answer,
                // and the JDK server keeps a connection only when the body was read to its end
                TempSpace.Progress p = new TempSpace.Progress();
                Runnable done = drainWatch == null ? null : drainWatch.apply(p);
                try {
                    InputStream in = exchange.getRequestBody();
                    byte[] skip = new byte[8192];
                    int n;
                    long total = 0;
                    while (total <= 64 * 1024 && (n = in.read(skip)) >= 0) {
                        total += n;
                        p.bytes = total;
                        p.lastNanos = System.nanoTime();
                    }
                    bodyRead = total <= 64 * 1024;
                } catch (IOException e) {
                    // the client went away, or stalled
                } finally {
                    if (done != null) {
                        done.run();
                    }
                }
            }
            if (!bodyRead && hasBody()) {
                // the rest of the body is not read (never drained): the connection ends with this answer,
                // and the client is told so rather than finding out on its next request
                h.set("Connection", "close");
            }
            boolean head = method().equals("HEAD");
            exchange.sendResponseHeaders(code, head || body.length == 0 ? -1 : body.length);
            if (!head && body.length > 0) {
                try (OutputStream o = exchange.getResponseBody()) {
                    o.write(body);
                }
            }
        } catch (IOException e) {
            // the client went away; nothing more to tell it
        } finally {
            exchange.close();
        }
        return true;
    }

    boolean json(int code, Object node, String... headers) {
        byte[] b;
        try {
            b = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return send(code, "application/json", appendNewline(b), headers);
    }

    private static byte[] appendNewline(byte[] b) {
        byte[] out = java.util.Arrays.copyOf(b, b.length + 1);
        out[b.length] = '\n';
        return out;
    }

    /** An error answer: {@code {"error": message, "status": code}}. */
    boolean error(int code, String message, String... headers) {
        ObjectNode n = JSON.createObjectNode();
        n.put("error", message);
        n.put("status", code);
        return json(code, n, headers);
    }
}
