// The baseline of scripts/bench-serve.sh, run as a single-file program:
//   java scripts/bench/DiscardServer.java PORT_FILE
// A JDK HttpServer on 127.0.0.1 (an ephemeral port, written to PORT_FILE) that reads every request
// body into a 64 KiB buffer, discards it, and answers 200 with the byte count. It is what
// `laocoon serve` would cost with nothing but the HTTP layer: no hashing, no temporary file, no
// scan. Benchmark use only.
import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;

public class DiscardServer {
    public static void main(String[] args) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        s.setExecutor(Executors.newFixedThreadPool(16));
        s.createContext("/", ex -> {
            long n = 0;
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = ex.getRequestBody()) {
                for (int r; (r = in.read(buf)) > 0; ) {
                    n += r;
                }
            }
            byte[] b = ("{\"bytes\":" + n + "}\n").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, b.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(b);
            }
        });
        s.start();
        Files.writeString(Path.of(args[0] + ".tmp"), Integer.toString(s.getAddress().getPort()));
        Files.move(Path.of(args[0] + ".tmp"), Path.of(args[0]));
    }
}
