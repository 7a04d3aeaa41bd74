package dev.laocoon.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Finding;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every fixture case: {@code fixtures/RULE/positive/CASE/} gives exactly the findings its
 * {@code expected.txt} lists ({@code path RULE line:column}, all of that RULE), and
 * {@code fixtures/RULE/negative/CASE/} gives none; {@code fixtures/realworld/CASE/} gives exactly
 * its {@code expected.txt} (possibly empty).
 */
class FixturesTest {

    static Path fixtures() throws URISyntaxException {
        return Path.of(FixturesTest.class.getResource("/fixtures").toURI());
    }

    static List<String> findings(Path caseDir) throws IOException {
        Scanner scanner = Scanner.builder().build();
        ScanReport r = new LaocoonAuditor().audit(List.of(caseDir), List.of(), List.of(),
                p -> scanner.scan(p, p.toString()));
        List<String> out = new ArrayList<>();
        for (FileReport f : r.files()) {
            for (Finding x : f.findings()) {
                String rel = caseDir.relativize(Path.of(f.path())).toString().replace('\\', '/');
                var w = x.location().within();
                out.add(rel + " " + x.rule().id() + " " + (w == null ? "0:0" : w.line() + ":" + w.column()));
            }
        }
        return out;
    }

    static List<String> expected(Path caseDir) throws IOException {
        Path e = caseDir.resolve("expected.txt");
        List<String> out = new ArrayList<>();
        if (Files.exists(e)) {
            for (String l : Files.readAllLines(e)) {
                if (!l.isBlank() && !l.startsWith("#")) {
                    out.add(l.strip());
                }
            }
        }
        return out;
    }

    @TestFactory
    Stream<DynamicTest> fixtureCases() throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> rules = Files.list(fixtures())) {
            for (Path rule : rules.sorted().toList()) {
                String id = rule.getFileName().toString();
                if (id.equals("realworld")) {
                    for (Path c : list(rule)) {
                        tests.add(DynamicTest.dynamicTest("realworld/" + c.getFileName(), () ->
                                assertThat(new TreeSet<>(findings(c))).isEqualTo(new TreeSet<>(expected(c)))));
                    }
                    continue;
                }
                for (Path c : list(rule.resolve("positive"))) {
                    tests.add(DynamicTest.dynamicTest(id + "/positive/" + c.getFileName(), () -> {
                        List<String> want = expected(c);
                        assertThat(want).as("expected.txt of " + c).isNotEmpty().allMatch(l -> l.split(" ")[1].equals(id));
                        assertThat(new TreeSet<>(findings(c))).isEqualTo(new TreeSet<>(want));
                    }));
                }
                for (Path c : list(rule.resolve("negative"))) {
                    tests.add(DynamicTest.dynamicTest(id + "/negative/" + c.getFileName(), () ->
                            assertThat(findings(c)).isEmpty()));
                }
            }
        }
        return tests.stream();
    }

    private static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        }
    }
}
