package dev.laocoon.core.source.remote;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-process {@code CONNECT} proxy that the JDK client's {@code https} connections go through,
 * so that they reach the address the {@link NetworkGuard} checked: it listens on loopback, answers
 * {@code CONNECT host:port} only for origins pinned by {@link RemoteFetcher} (anything else gets a
 * 403 and no connection), connects to the pinned address and copies bytes both ways. TLS runs
 * inside the tunnel, end to end between the client and the server.
 */
final class Tunnel implements AutoCloseable {
    private static final int MAX_HEAD = 8192;

    private final ServerSocket server;
    private final int connectTimeoutMs;
    private final Map<String, InetSocketAddress> pins = new ConcurrentHashMap<>();
    private volatile boolean closed;

    Tunnel(java.time.Duration connectTimeout) throws IOException {
        this.connectTimeoutMs = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "laocoon-tunnel");
        t.setDaemon(true);
        t.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    }

    boolean pinned(String hostPort) {
        return pins.containsKey(hostPort);
    }

    void pin(String hostPort, InetSocketAddress to) {
        pins.put(hostPort, to);
    }

    private void accept() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            Thread t = new Thread(() -> serve(s), "laocoon-tunnel-conn");
            t.setDaemon(true);
            t.start();
        }
    }

    private void serve(Socket client) {
        try (client) {
            client.setSoTimeout(30_000);
            InputStream in = client.getInputStream();
            String head = readHead(in);
            String target = null;
            if (head != null && head.startsWith("CONNECT ")) {
                int sp = head.indexOf(' ', 8);
                if (sp > 8) {
                    target = head.substring(8, sp).toLowerCase(Locale.ROOT);
                }
            }
            InetSocketAddress to = target == null ? null : pins.get(target);
            OutputStream out = client.getOutputStream();
            if (to == null) {
                out.write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                return;
            }
            try (Socket upstream = new Socket()) {
                try {
                    upstream.connect(to, connectTimeoutMs);
                } catch (IOException e) {
                    out.write("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    return;
                }
                out.write("HTTP/1.1 200 Connection Established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                client.setSoTimeout(0);
                Thread back = new Thread(() -> copy(upstream, client), "laocoon-tunnel-back");
                back.setDaemon(true);
                back.start();
                copy(client, upstream);
                try {
                    back.join(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        } catch (IOException e) {
            // the client went away: nothing to report
        }
    }

    /** The request head up to the blank line, or null when it is longer than 8 KiB or cut short. */
    private static String readHead(InputStream in) throws IOException {
        byte[] b = new byte[MAX_HEAD];
        int n = 0;
        while (n < MAX_HEAD) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            b[n++] = (byte) c;
            if (n >= 4 && b[n - 4] == '\r' && b[n - 3] == '\n' && b[n - 2] == '\r' && b[n - 1] == '\n') {
                return new String(b, 0, n, StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static void copy(Socket from, Socket to) {
        byte[] buf = new byte[16384];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // either side closed
        } finally {
            try {
                to.shutdownOutput();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
