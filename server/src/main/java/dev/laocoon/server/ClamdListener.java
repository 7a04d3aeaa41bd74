package dev.laocoon.server;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.finding.Severity;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A listener that speaks the ClamAV daemon's protocol for the commands scan pipelines use:
 * {@code PING}, {@code VERSION} and {@code INSTREAM} (each with the {@code z} prefix and NUL
 * terminator, the {@code n} prefix and newline, or bare). A stream is answered {@code stream: OK} when
 * its verdict is below {@code suspicious}, else {@code stream: Laocoon.<rule>.<name> FOUND}; a stream
 * over the size limit, one that stalls, one that cannot be analysed completely and one that finds the
 * pool full answer {@code stream: Laocoon.Incomplete FOUND}, never OK (clamd itself answers OK for
 * what lies past its limits). The scans count for {@code clamd.tenant}.
 */
final class ClamdListener implements AutoCloseable {
    static final String INCOMPLETE = "Laocoon.Incomplete";
    private final Server server;
    private final ServerSocket socket;
    private final ExecutorService connections;
    private final Thread acceptor;
    private volatile boolean closed;

    private ClamdListener(Server server, ServerSocket socket) {
        this.server = server;
        this.socket = socket;
        int threads = Math.max(2, server.config.httpThreads);
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(64), r -> {
                    Thread t = new Thread(r, "laocoon-clamd");
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        this.connections = pool;
        this.acceptor = new Thread(this::accept, "laocoon-clamd-accept");
        this.acceptor.setDaemon(true);
    }

    static ClamdListener start(Server server, String hostPort) throws IOException {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("clamd: expected HOST:PORT, got '" + hostPort + "'");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = (int) ServeConfig.number("clamd port", hostPort.substring(colon + 1), 0, 65535);
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getByName(host), port), 64);
        ClamdListener l = new ClamdListener(server, s);
        l.acceptor.start();
        return l;
    }

    int port() {
        return socket.getLocalPort();
    }

    private void accept() {
        while (!closed) {
            Socket c;
            try {
                c = socket.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            try {
                connections.execute(() -> serve(c));
            } catch (RejectedExecutionException e) {
                close(c);
            }
        }
    }

    private static void close(Socket c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing
        }
    }

    private void serve(Socket c) {
        try (c) {
            c.setSoTimeout((int) Math.min(Integer.MAX_VALUE, server.config.readTimeout.toMillis()));
            InputStream in = new BufferedInputStream(c.getInputStream());
            OutputStream out = c.getOutputStream();
            boolean session = false;
            int commands = 0;
            while (true) {
                int first = in.read();
                if (first < 0) {
                    return;
                }
                char end = first == 'z' ? '\0' : '\n';
                StringBuilder cmd = new StringBuilder();
                if (first != 'z' && first != 'n') {
                    cmd.append((char) first);
                }
                while (true) {
                    int b = in.read();
                    if (b < 0) {
                        return;
                    }
                    if (b == end || (end == '\n' && b == '\0')) {
                        break;
                    }
                    if (cmd.length() > 1024) {
                        return;
                    }
                    cmd.append((char) b);
                }
                String command = cmd.toString().trim();
                // in a session each reply starts with the number of the command it answers
                String prefix = session ? ++commands + ": " : "";
                switch (command) {
                    case "PING" -> reply(out, prefix + "PONG", end);
                    case "VERSION" -> reply(out, prefix + "Laocoon " + server.version + "/" + server.kbHash().substring(0, 12),
                            end);
                    case "INSTREAM" -> {
                        String answer = instream(in);
                        reply(out, prefix + "stream: " + answer, end);
                        if (answer.startsWith(INCOMPLETE) && !session) {
                            return; // what is left of the stream is not read
                        }
                    }
                    case "IDSESSION" -> {
                        session = true;
                        commands = 0;
                    }
                    case "END" -> {
                        return;
                    }
                    default -> {
                        reply(out, prefix + "UNKNOWN COMMAND", end);
                        return;
                    }
                }
                if (!session) {
                    return;
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private static void reply(OutputStream out, String text, char end) throws IOException {
        byte[] b = (text + end).getBytes(StandardCharsets.UTF_8);
        out.write(b);
        out.flush();
    }

    /** Reads an INSTREAM's chunks into a temporary file and scans it; the answer after {@code stream: }. */
    private String instream(InputStream raw) {
        // at start-up the tenants come with the store (opened beside the listeners); not open: never OK
        Tenants.Tenant t = server.ready(Server.STORE_WAIT_MILLIS) ? server.tenants.byName(server.config.clamdTenant) : null;
        Chunks chunks = new Chunks(new DataInputStream(raw));
        TempSpace.Upload up;
        try {
            up = server.temp().receive(chunks, server.config.maxBodyBytes, null);
        } catch (TempSpace.TooLarge e) {
            server.metrics.rejected("body_too_large");
            return INCOMPLETE + " FOUND";
        } catch (TempSpace.Full e) {
            server.metrics.rejected("temp_full");
            return INCOMPLETE + " FOUND";
        } catch (SocketTimeoutException e) {
            server.metrics.rejected("slow_client");
            return INCOMPLETE + " FOUND";
        } catch (IOException e) {
            return INCOMPLETE + " FOUND";
        }
        if (t == null) {
            up.close();
            server.log.info("clamd: the tenant '" + server.config.clamdTenant + "' (clamd.tenant) does not exist");
            return INCOMPLETE + " FOUND";
        }
        server.metrics.received(up.size);
        FileReport r;
        try {
            r = server.scanUpload(t, up, "stream", "clamd");
        } catch (Server.Busy e) {
            return INCOMPLETE + " FOUND";
        }
        String sig = Results.signature(r, Severity.SUSPICIOUS);
        return sig == null ? "OK" : sig + " FOUND";
    }

    /** The payload of INSTREAM's chunks (4-byte big-endian length, then the bytes; length 0 ends). */
    static final class Chunks extends InputStream {
        private final DataInputStream in;
        private long left;
        private boolean done;

        Chunks(DataInputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] b = new byte[1];
            int n = read(b, 0, 1);
            return n < 0 ? -1 : b[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            while (left == 0) {
                long n;
                try {
                    n = in.readInt() & 0xffffffffL;
                } catch (EOFException e) {
                    throw new IOException("the stream ended inside INSTREAM");
                }
                if (n == 0) {
                    done = true;
                    return -1;
                }
                left = n;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new IOException("the stream ended inside a chunk");
            }
            left -= n;
            return n;
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            socket.close();
        } catch (IOException e) {
            // closing
        }
        connections.shutdownNow();
    }
}
