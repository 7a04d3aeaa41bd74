package dev.laocoon.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Collection;

/** The audit log: one JSON line per scan (tenant, scan id, SHA-256, verdict, rule ids, duration). Never a token. */
final class Audit implements AutoCloseable {
    private final Writer out;
    private final Log log;

    Audit(Path file, Log log) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        this.log = log;
    }

    void scan(String tenant, String scanId, String source, String name, String sha256, long size, String status,
              String verdict, Collection<String> rules, double seconds, boolean cached) {
        ObjectNode n = Http.JSON.createObjectNode();
        n.put("time", Instant.now().toString());
        n.put("event", "scan");
        n.put("tenant", tenant);
        n.put("scanId", scanId);
        n.put("source", source);
        n.put("name", name);
        n.put("sha256", sha256);
        n.put("size", size);
        n.put("status", status);
        n.put("verdict", verdict);
        ArrayNode r = n.putArray("rules");
        for (String s : rules) {
            r.add(s);
        }
        n.put("durationMs", Math.round(seconds * 1000.0 * 1000.0) / 1000.0);
        n.put("cached", cached);
        String line;
        try {
            line = Http.JSON.writeValueAsString(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        synchronized (this) {
            try {
                out.write(line);
                out.write('\n');
                out.flush();
            } catch (IOException e) {
                log.info("cannot write the audit log: " + e.getMessage());
            }
        }
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
