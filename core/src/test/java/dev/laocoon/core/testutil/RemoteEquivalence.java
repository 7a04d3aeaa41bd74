package dev.laocoon.core.testutil;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Finding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a remote scan must give: for every file, the verdict and findings (rule, severity, where in
 * the file) of the local scan of the same bytes. The files compared are the project's own samples,
 * always, and every file of ../shared/corpus when it is present.
 */
public final class RemoteEquivalence {
    private RemoteEquivalence() {
    }

    /** A report as compared: verdict, then each finding's rule, severity, member path and offset, sorted. */
    public static String shape(FileReport r) {
        List<String> fs = new ArrayList<>();
        for (Finding f : r.findings()) {
            fs.add(f.rule().id() + " " + f.severity().label() + " " + f.location().memberPath() + "@"
                    + f.location().pickleIndex() + ":" + f.location().offset());
        }
        java.util.Collections.sort(fs);
        return r.verdictLabel() + " " + fs;
    }

    /** The project's own samples: hostile and clean checkpoints, pickles, an npz with an object array. */
    public static Map<String, byte[]> samples() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("own/hostile.pt", new ZipBuilder().add("archive/data/0", new byte[3 << 20])
                .add("archive/data.pkl", PickleBuilder.call("os", "system", "echo laocoon"))
                .add("archive/version", "3\n".getBytes()).bytes());
        m.put("own/clean.pt", new ZipBuilder().add("archive/data/0", new byte[1 << 20])
                .add("archive/data.pkl", PickleBuilder.create().proto(4).mark().str("w").binint(1).dict().stop().bytes())
                .add("archive/version", "3\n".getBytes()).bytes());
        m.put("own/evil.pkl", PickleBuilder.call("builtins", "exec", "print(1)"));
        m.put("own/clean.pkl", PickleBuilder.create().proto(2).mark().str("a").binint(2).dict().stop().bytes());
        m.put("own/empty.bin", new byte[0]);
        m.put("own/text.txt", "just text\n".getBytes());
        return m;
    }

    /** The corpus's files by their path in it (empty when it is absent). */
    public static Map<String, byte[]> corpus() throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        Path c = corpusRoot();
        if (c == null) {
            return m;
        }
        for (JsonNode e : new ObjectMapper().readTree(c.resolve("manifest.json").toFile())) {
            String rel = e.get("path").asText();
            Path p = c.resolve(rel);
            if (Files.isRegularFile(p)) {
                m.put(rel, Files.readAllBytes(p));
            }
        }
        return m;
    }

    public static Path corpusRoot() {
        String env = System.getenv("LAOCOON_CORPUS");
        if (env != null) {
            return Path.of(env);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path c = p.resolveSibling("shared").resolve("corpus");
            if (Files.isRegularFile(c.resolve("manifest.json"))) {
                return c;
            }
        }
        return null;
    }

    /** The local scan's shape of each file (scanned from a temporary copy, as a user's file would be). */
    public static Map<String, String> local(Map<String, byte[]> files) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        Scanner s = Scanner.builder().build();
        Path dir = Files.createTempDirectory("laocoon-equiv");
        try {
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                Path p = dir.resolve(e.getKey().replace('/', '_'));
                Files.write(p, e.getValue());
                out.put(e.getKey(), shape(s.scan(p, e.getKey())));
                Files.delete(p);
            }
        } finally {
            Files.deleteIfExists(dir);
        }
        return out;
    }

    /** The differences between two shapes per file, as lines (empty when they agree). */
    public static List<String> differences(Map<String, String> local, Map<String, String> remote) {
        List<String> d = new ArrayList<>();
        for (Map.Entry<String, String> e : local.entrySet()) {
            String r = remote.get(e.getKey());
            if (!e.getValue().equals(r)) {
                d.add(e.getKey() + ": local " + e.getValue() + ", remote " + r);
            }
        }
        return d;
    }
}
