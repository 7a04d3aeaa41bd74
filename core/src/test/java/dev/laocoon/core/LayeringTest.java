package dev.laocoon.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package list is the pipeline: values and sources, knowledge, pickle model, containers,
 * readers, detectors, analysers, the pipeline, the public facade, then what sits on top of it
 * (reports, convert, explain). No main class may refer to a later layer; every package has a
 * package-info.java; no class is much longer than 600 lines except the cohesive interpreters.
 */
class LayeringTest {
    private static final Map<String, Integer> LAYERS = new LinkedHashMap<>();

    static {
        LAYERS.put("finding", 0);
        LAYERS.put("source", 0);
        LAYERS.put("kb", 1);
        LAYERS.put("internal.pickle", 2);
        LAYERS.put("internal.container", 3);
        LAYERS.put("internal.format", 4);
        LAYERS.put("internal.detect", 5);
        LAYERS.put("internal.analysis", 6);
        LAYERS.put("internal.scan", 7);
        LAYERS.put("", 8);
        LAYERS.put("report", 9);
        LAYERS.put("convert", 9);
        LAYERS.put("explain", 9);
    }

    /** Plain values of the facade package that every layer may use. */
    private static final List<String> VALUES = List.of("dev.laocoon.core.Format", "dev.laocoon.core.ScanLimits");

    /** Cohesive state machines allowed past the size limit (see the README's development section). */
    private static final List<String> LARGE = List.of("PickleMachine.java", "DataOnlyWalk.java");

    private static final Path MAIN = Path.of("src/main/java/dev/laocoon/core");
    private static final Pattern REF = Pattern.compile("dev\\.laocoon\\.core((?:\\.[a-z]\\w*)*)\\.([A-Z]\\w*)");

    static int layer(String subPackage) {
        String best = null;
        for (String k : LAYERS.keySet()) {
            if ((subPackage.equals(k) || !k.isEmpty() && subPackage.startsWith(k + "."))
                    && (best == null || k.length() > best.length())) {
                best = k;
            }
        }
        return LAYERS.get(best == null ? "" : best);
    }

    private static List<Path> sources() throws IOException {
        try (Stream<Path> s = Files.walk(MAIN)) {
            return s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }

    @Test
    void noPackageRefersToALaterLayer() throws IOException {
        List<String> violations = new ArrayList<>();
        for (Path f : sources()) {
            String text = Files.readString(f);
            Matcher pm = Pattern.compile("^package dev\\.laocoon\\.core\\.?([\\w.]*);", Pattern.MULTILINE).matcher(text);
            assertThat(pm.find()).as(f.toString()).isTrue();
            int mine = layer(pm.group(1));
            Matcher m = REF.matcher(text);
            while (m.find()) {
                String type = "dev.laocoon.core" + m.group(1) + "." + m.group(2);
                String sub = m.group(1).isEmpty() ? "" : m.group(1).substring(1);
                if (!VALUES.contains(type) && layer(sub) > mine) {
                    violations.add(MAIN.relativize(f) + " -> " + type);
                }
            }
        }
        assertThat(violations).isEmpty();
        // the check sees references: the facade refers to the pipeline, not the other way round
        assertThat(layer("internal.scan")).isLessThan(layer(""));
    }

    @Test
    void everyPackageSaysWhatItIsFor() throws IOException {
        List<String> missing = new ArrayList<>();
        for (Path dir : sources().stream().map(Path::getParent).distinct().toList()) {
            Path info = dir.resolve("package-info.java");
            if (!Files.isRegularFile(info) || !Files.readString(info).contains("/**")) {
                missing.add(MAIN.relativize(dir).toString());
            }
        }
        assertThat(missing).isEmpty();
    }

    @Test
    void classesStaySmall() throws IOException {
        List<String> large = new ArrayList<>();
        for (Path f : sources()) {
            long lines = Files.readAllLines(f).size();
            if (lines > 650 && !LARGE.contains(f.getFileName().toString())) {
                large.add(MAIN.relativize(f) + " (" + lines + " lines)");
            }
        }
        assertThat(large).isEmpty();
    }
}
