package dev.laocoon.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Properties;

/** {@code laocoon serve}: starts the service (README: laocoon serve). */
public final class ServeMain {
    static final String USAGE = "Usage: laocoon serve [OPTIONS]\n\n"
            + "Runs the scan service: an HTTP API and web page, and optionally a clamd-compatible listener.\n\n"
            + "Options:\n"
            + "  --config FILE     Settings (a properties file; README: laocoon serve, Configuration).\n"
            + "  --bind ADDRESS    Address to listen on (default 127.0.0.1).\n"
            + "  --port N          HTTP port (default 8080; 0 picks a free one).\n"
            + "  --data DIR        Folder of the embedded store, audit log and temporary files (default ./laocoon-data).\n"
            + "  --clamd HOST:PORT Also listen for the ClamAV daemon protocol there (e.g. 127.0.0.1:3310).\n"
            + "  --hash-token      Read a token on standard input and print its SHA-256 (for tenant.NAME.tokenSha256).\n"
            + "  -h, --help        Show this help and exit.\n\n"
            + "The admin token: LAOCOON_ADMIN_TOKEN sets it; otherwise one is made on the first start of a store\n"
            + "and printed once.\n";

    private ServeMain() {
    }

    public static void main(String[] args) {
        int base = Integer.getInteger("laocoon.exit.base", 0);
        int code = run(List.of(args), System.out, System.err);
        if (code != 0) {
            System.exit(base + code);
        }
        // a running service returns here only after it has stopped
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        ServeConfig c;
        Properties cli = new Properties();
        Path configFile = null;
        try {
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                String key = null;
                switch (a) {
                    case "-h", "--help" -> {
                        out.print(USAGE);
                        return 0;
                    }
                    case "--hash-token" -> {
                        BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                        String line = r.readLine();
                        if (line == null || line.isBlank()) {
                            err.println("laocoon: --hash-token: no token on standard input");
                            return 2;
                        }
                        out.println(Hashes.sha256Hex(line.trim().getBytes(StandardCharsets.UTF_8)));
                        return 0;
                    }
                    case "--selftest" -> {
                        return selftest(err);
                    }
                    case "--config" -> configFile = Path.of(value(args, ++i, a));
                    case "--bind" -> key = "bind";
                    case "--port" -> key = "port";
                    case "--data" -> key = "data";
                    case "--clamd" -> key = "clamd";
                    default -> {
                        err.println("laocoon: serve: unknown option '" + a + "'\nRun 'laocoon serve --help' for usage.");
                        return 2;
                    }
                }
                if (key != null) {
                    cli.setProperty(key, value(args, ++i, a));
                }
            }
            if (configFile != null && !Files.isRegularFile(configFile)) {
                err.println("laocoon: config file not found: " + configFile);
                return 2;
            }
            c = configFile != null ? ServeConfig.read(configFile) : new ServeConfig();
            c.apply(cli);
        } catch (IllegalArgumentException e) {
            err.println("laocoon: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("laocoon: cannot read the config: " + e.getMessage());
            return 2;
        }
        Log log = new Log(err, false);
        Server s;
        try {
            s = Server.listen(c, System.getenv("LAOCOON_ADMIN_TOKEN"), log);
        } catch (java.net.BindException e) {
            err.println("laocoon: cannot listen on " + c.bind + ":" + c.port + " (" + e.getMessage()
                    + "); choose another with --port or --bind");
            return 2;
        } catch (IOException | SQLException | IllegalArgumentException e) {
            String m = e.getMessage();
            if (m != null && m.contains("Database may be already in use")) {
                m = "the store in " + c.data + " is in use by another laocoon serve";
            }
            err.println("laocoon: cannot start: " + m);
            return 2;
        }
        out.println("laocoon serve: listening on http://" + hostForUrl(c.bind) + ":" + s.port() + "/ (store: "
                + (c.storeUrl == null ? c.data.resolve("store.mv.db") : s.store.describe()) + ")");
        if (s.clamdPort() >= 0) {
            out.println("laocoon serve: clamd protocol on " + c.clamd.substring(0, c.clamd.lastIndexOf(':')) + ":"
                    + s.clamdPort());
        }
        out.flush();
        try {
            s.awaitReady(); // the store opens beside the listener: /healthz is 200 meanwhile, /readyz 503
        } catch (IOException | SQLException | RuntimeException e) {
            s.close();
            String m = e.getMessage();
            if (m != null && m.contains("Database may be already in use")) {
                m = "the store in " + c.data + " is in use by another laocoon serve";
            }
            err.println("laocoon: cannot start: " + m);
            return 2;
        }
        String token = s.newAdminToken();
        if (token != null) {
            out.println("laocoon serve: admin token (shown once; LAOCOON_ADMIN_TOKEN sets it): " + token);
        }
        out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(s::close, "laocoon-shutdown"));
        try {
            Thread.currentThread().join(); // serve until stopped
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /**
     * A service started on a free loopback port with a throw-away store, asked /healthz, /readyz and
     * one small scan over a plain socket, then stopped: the run the launcher records the server's
     * class-data-sharing archive with (its classes are then mapped at start-up, not loaded). 0 when
     * every answer was 200.
     */
    static int selftest(PrintStream err) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("laocoon-serve-selftest-");
            ServeConfig c = new ServeConfig();
            c.bind = "127.0.0.1";
            c.port = 0;
            c.data = dir.resolve("data");
            String token = Hashes.newToken();
            int failures = 0;
            try (Server s = Server.start(c, token, new Log(new PrintStream(java.io.OutputStream.nullOutputStream()), false))) {
                // PROTO 2, SHORT_BINUNICODE "ok", STOP: an inert pickle
                byte[] pickle = {(byte) 0x80, 2, (byte) 0x8c, 2, 'o', 'k', '.'};
                failures += request(s.port(), "GET /healthz", null, null) == 200 ? 0 : 1;
                failures += request(s.port(), "GET /readyz", null, null) == 200 ? 0 : 1;
                failures += request(s.port(), "POST /v1/scans?name=selftest.pkl", token, pickle) == 200 ? 0 : 1;
                failures += request(s.port(), "GET /v1/scans", token, null) == 200 ? 0 : 1;
            }
            return failures == 0 ? 0 : 1;
        } catch (IOException | SQLException | RuntimeException e) {
            err.println("laocoon: serve selftest: " + e);
            return 1;
        } finally {
            if (dir != null) {
                try (var w = Files.walk(dir)) {
                    for (Path p : (Iterable<Path>) w.sorted(java.util.Comparator.reverseOrder())::iterator) {
                        Files.deleteIfExists(p);
                    }
                } catch (IOException e) {
                    // a temporary folder
                }
            }
        }
    }

    /** One HTTP/1.1 request over a socket to 127.0.0.1; its status code. */
    private static int request(int port, String line, String token, byte[] body) throws IOException {
        try (java.net.Socket so = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
            so.setSoTimeout(30_000);
            StringBuilder h = new StringBuilder(line).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
            if (token != null) {
                h.append("Authorization: Bearer ").append(token).append("\r\n");
            }
            if (body != null) {
                h.append("Content-Type: application/octet-stream\r\nContent-Length: ").append(body.length).append("\r\n");
            }
            h.append("\r\n");
            var out = so.getOutputStream();
            out.write(h.toString().getBytes(StandardCharsets.US_ASCII));
            if (body != null) {
                out.write(body);
            }
            out.flush();
            String status = new String(so.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            String[] parts = status.split(" ", 3);
            return parts.length > 1 && parts[1].matches("\\d{3}") ? Integer.parseInt(parts[1]) : -1;
        }
    }

    private static String hostForUrl(String bind) {
        return bind.contains(":") ? "[" + bind + "]" : bind;
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args.get(i);
    }
}
