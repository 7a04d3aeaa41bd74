// A loopback file server for scripts/bench-remote.sh, run as a single-file program:
//   java scripts/bench/RangeServer.java DIR PORT_FILE
// Serves DIR on 127.0.0.1 (an ephemeral port, written to PORT_FILE) with Range requests (206,
// Content-Range, ETag), counts requests and body bytes (GET /_stats gives them as JSON, GET /_reset
// zeroes them), and mimics the hub API for the folder DIR/hub/ as repository bench/repo at one
// commit: /api/models/bench/repo/revision/main, /api/models/bench/repo/tree/COMMIT?recursive=true
// (LFS SHA-256 of every file) and /bench/repo/resolve/COMMIT/PATH. Benchmark use only.
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

public class RangeServer {
    static final String COMMIT = "b".repeat(40);
    static final AtomicLong requests = new AtomicLong();
    static final AtomicLong bytes = new AtomicLong();
    static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");
    static Path root;
    static String tree;

    public static void main(String[] args) throws Exception {
        root = Path.of(args[0]).toAbsolutePath();
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        s.createContext("/", RangeServer::handle);
        s.setExecutor(Executors.newFixedThreadPool(8));
        s.start();
        Files.writeString(Path.of(args[1]), Integer.toString(s.getAddress().getPort()));
    }

    static void handle(HttpExchange x) throws IOException {
        try (x) {
            String p = x.getRequestURI().getPath();
            if (p.equals("/_stats")) {
                send(x, 200, "{\"requests\": " + requests.get() + ", \"bytes\": " + bytes.get() + "}");
                return;
            }
            if (p.equals("/_reset")) {
                requests.set(0);
                bytes.set(0);
                send(x, 200, "{}");
                return;
            }
            requests.incrementAndGet();
            if (p.equals("/api/models/bench/repo/revision/main")) {
                send(x, 200, "{\"id\": \"bench/repo\", \"sha\": \"" + COMMIT + "\"}");
                return;
            }
            if (p.equals("/api/models/bench/repo/tree/" + COMMIT)) {
                send(x, 200, tree());
                return;
            }
            String prefix = "/bench/repo/resolve/" + COMMIT + "/";
            Path f = p.startsWith(prefix) ? root.resolve("hub").resolve(p.substring(prefix.length())).normalize()
                    : root.resolve(p.substring(1)).normalize();
            if (!f.startsWith(root) || !Files.isRegularFile(f)) {
                send(x, 404, "not found");
                return;
            }
            serve(x, f);
        }
    }

    static synchronized String tree() throws IOException {
        if (tree == null) {
            Path hub = root.resolve("hub");
            List<String> entries = new ArrayList<>();
            try (Stream<Path> s = Files.walk(hub)) {
                for (Path f : (Iterable<Path>) s.sorted()::iterator) {
                    if (!Files.isRegularFile(f)) {
                        continue;
                    }
                    byte[] b = Files.readAllBytes(f);
                    String sha;
                    try {
                        sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
                    } catch (java.security.NoSuchAlgorithmException e) {
                        throw new IOException(e);
                    }
                    String rel = hub.relativize(f).toString().replace('\\', '/');
                    entries.add("{\"type\": \"file\", \"oid\": \"" + "0".repeat(40) + "\", \"size\": " + b.length
                            + ", \"path\": \"" + rel + "\", \"lfs\": {\"oid\": \"" + sha + "\", \"size\": " + b.length
                            + ", \"pointerSize\": 134}}");
                }
            }
            tree = "[" + String.join(", ", entries) + "]";
        }
        return tree;
    }

    static void serve(HttpExchange x, Path f) throws IOException {
        long size = Files.size(f);
        x.getResponseHeaders().add("ETag", "\"" + Long.toHexString(Files.getLastModifiedTime(f).toMillis()) + "\"");
        x.getResponseHeaders().add("Accept-Ranges", "bytes");
        String range = x.getRequestHeaders().getFirst("Range");
        Matcher m = RANGE.matcher(range == null ? "" : range);
        long start = 0;
        long end = size - 1;
        int status = 200;
        if (m.matches()) {
            start = Long.parseLong(m.group(1));
            if (start >= size) {
                x.getResponseHeaders().add("Content-Range", "bytes */" + size);
                x.sendResponseHeaders(416, -1);
                return;
            }
            if (!m.group(2).isEmpty()) {
                end = Math.min(end, Long.parseLong(m.group(2)));
            }
            status = 206;
            x.getResponseHeaders().add("Content-Range", "bytes " + start + "-" + end + "/" + size);
        }
        long len = end - start + 1;
        x.sendResponseHeaders(status, len);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "r"); OutputStream o = x.getResponseBody()) {
            raf.seek(start);
            byte[] buf = new byte[1 << 16];
            long left = len;
            while (left > 0) {
                int n = raf.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    break;
                }
                o.write(buf, 0, n);
                bytes.addAndGet(n);
                left -= n;
            }
        } catch (IOException gone) {
            // the client closed the connection
        }
    }

    static void send(HttpExchange x, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(status, b.length);
        try (OutputStream o = x.getResponseBody()) {
            o.write(b);
        }
    }
}
