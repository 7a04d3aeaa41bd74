package dev.laocoon.core.finding;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every rule has a Markdown page on the classpath ({@code dev/laocoon/rules/<id>.md}) of a fixed
 * shape that code can parse: the title {@code # <id> <slug>}, a summary paragraph, then exactly
 * the four sections below, in this order.
 */
class RuleDocsTest {
    static final String DIR = "/dev/laocoon/rules/";
    static final List<String> SECTIONS = List.of("## What it means", "## Why it matters", "## Example",
            "## How to fix or accept it");

    static String page(Rule r) throws IOException {
        try (InputStream in = Rule.class.getResourceAsStream(DIR + r.id() + ".md")) {
            assertThat(in).as("page %s%s.md", DIR, r.id()).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @ParameterizedTest
    @EnumSource(Rule.class)
    void everyRuleHasAPageTitledWithItsIdAndSlug(Rule r) throws IOException {
        List<String> lines = page(r).lines().toList();
        assertThat(lines.get(0)).isEqualTo("# " + r.id() + " " + r.slug());
        assertThat(lines.get(1)).as("blank line after the title").isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Rule.class)
    void everyPageHasTheFourSectionsInOrder(Rule r) throws IOException {
        List<String> lines = page(r).lines().toList();
        List<String> expected = new ArrayList<>();
        expected.add("# " + r.id() + " " + r.slug());
        expected.addAll(SECTIONS);
        // fenced code blocks may hold lines starting with '#': only headings outside them count
        assertThat(headingsOutsideCode(lines)).as(r.id()).containsExactlyElementsOf(expected);
        // a summary paragraph before the first section, and text in every section
        int first = lines.indexOf(SECTIONS.get(0));
        assertThat(lines.subList(1, first).stream().anyMatch(l -> !l.isBlank())).as(r.id() + " summary").isTrue();
        for (int i = 0; i < SECTIONS.size(); i++) {
            int from = lines.indexOf(SECTIONS.get(i)) + 1;
            int to = i + 1 < SECTIONS.size() ? lines.indexOf(SECTIONS.get(i + 1)) : lines.size();
            assertThat(lines.subList(from, to).stream().anyMatch(l -> !l.isBlank()))
                    .as(r.id() + " " + SECTIONS.get(i)).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(Rule.class)
    void pagesAreShortAndTheirExamplesShowTheRule(Rule r) throws IOException {
        String page = page(r);
        assertThat(page.lines().count()).as(r.id() + " lines").isBetween(15L, 40L);
        assertThat(page).endsWith("\n");
        String example = page.substring(page.indexOf("## Example"), page.indexOf("## How to fix or accept it"));
        assertThat(example).as(r.id() + " example names the rule").contains(r.id());
    }

    @Test
    void noPageExistsForAnIdThatIsNotARule() throws IOException, URISyntaxException {
        Set<String> ids = Arrays.stream(Rule.values()).map(r -> r.id() + ".md").collect(Collectors.toSet());
        assertThat(pageNames()).isNotEmpty().isSubsetOf(ids);
    }

    /** The file names in the pages' classpath folder, from a directory or a jar. */
    static Set<String> pageNames() throws IOException, URISyntaxException {
        URL url = Rule.class.getResource(DIR);
        assertThat(url).as("classpath folder " + DIR).isNotNull();
        URI uri = url.toURI();
        if (uri.getScheme().equals("jar")) {
            try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of())) {
                return names(fs.getPath(DIR));
            }
        }
        return names(Path.of(uri));
    }

    private static Set<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static List<String> headingsOutsideCode(List<String> lines) {
        List<String> out = new ArrayList<>();
        boolean code = false;
        for (String l : lines) {
            if (l.startsWith("```")) {
                code = !code;
            } else if (!code && l.startsWith("#")) {
                out.add(l);
            }
        }
        return out;
    }
}
