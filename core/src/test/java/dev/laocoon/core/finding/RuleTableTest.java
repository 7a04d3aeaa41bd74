package dev.laocoon.core.finding;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README's "## Rules" table has one row per {@link Rule}, in ascending id order (the order
 * {@link RuleTable} prints), with the rule's id, slug and default severity, and every row has a
 * rule page. Only the "what it means" text is written by hand.
 */
class RuleTableTest {
    static final String HEADER = "| id | name | default | what it means |";

    /**
     * Rules whose "default" cell may say something other than the enum's default severity: LAO601
     * is graded by the op it finds (malicious for file reads and writes and Python calls).
     */
    static final Map<Rule, String> DEFAULT_CELL_EXCEPTIONS = Map.of(Rule.TF_RISKY_OP, "by risk");

    /** One row of the table: its cells, trimmed. */
    record Row(String id, String name, String severity, String text) {
    }

    /** The README next to the {@code core} folder, found from the working directory upwards. */
    static Path readme() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("README.md")) && Files.isDirectory(d.resolve("core"))) {
                return d.resolve("README.md");
            }
        }
        throw new AssertionError("no README.md next to a core folder above " + Path.of("").toAbsolutePath());
    }

    /** The table lines of the "## Rules" section (up to the next section). */
    static List<String> tableLines(List<String> markdown) {
        int start = markdown.indexOf("## Rules");
        assertThat(start).as("README has a '## Rules' section").isNotNegative();
        List<String> out = new ArrayList<>();
        for (int i = start + 1; i < markdown.size() && !markdown.get(i).startsWith("## "); i++) {
            if (markdown.get(i).startsWith("|")) {
                out.add(markdown.get(i));
            } else if (!out.isEmpty()) {
                break; // the table ended
            }
        }
        return out;
    }

    /** Data rows of a table (header and separator line checked and skipped). */
    static List<Row> rows(List<String> table) {
        assertThat(table.size()).as("table has a header, a separator and rows").isGreaterThan(2);
        assertThat(table.get(0)).isEqualTo(HEADER);
        assertThat(table.get(1)).isEqualTo("| --- | --- | --- | --- |");
        List<Row> rows = new ArrayList<>();
        for (String line : table.subList(2, table.size())) {
            assertThat(line).startsWith("| ").endsWith(" |");
            String[] cells = line.substring(1, line.length() - 1).split("(?<!\\\\)\\|", -1);
            assertThat(cells).as(line).hasSize(4);
            rows.add(new Row(cells[0].strip(), cells[1].strip(), cells[2].strip(), cells[3].strip()));
        }
        return rows;
    }

    static List<Row> readmeRows() throws IOException {
        return rows(tableLines(Files.readAllLines(readme())));
    }

    @Test
    void theTableHasOneRowPerRuleInAscendingIdOrder() throws IOException {
        List<String> ids = readmeRows().stream().map(Row::id).toList();
        assertThat(ids).containsExactlyElementsOf(RuleTable.ordered().stream().map(Rule::id).toList());
    }

    @Test
    void idNameAndDefaultSeverityMatchTheEnum() throws IOException {
        for (Row row : readmeRows()) {
            Rule r = RuleTable.ordered().stream().filter(x -> x.id().equals(row.id())).findFirst().orElseThrow();
            assertThat(row.name()).as(row.id() + " name").isEqualTo(r.slug());
            String expected = DEFAULT_CELL_EXCEPTIONS.getOrDefault(r, r.defaultSeverity().label());
            assertThat(row.severity()).as(row.id() + " default").isEqualTo(expected);
            assertThat(row.text()).as(row.id() + " what it means").isNotEmpty();
        }
    }

    @Test
    void everyRowHasARulePageWithTheSameIdAndName() throws IOException {
        for (Row row : readmeRows()) {
            String page = RuleTable.page(RuleTable.ordered().stream().filter(x -> x.id().equals(row.id()))
                    .findFirst().orElseThrow());
            assertThat(page).as(row.id() + " page").isNotNull();
            assertThat(page.lines().findFirst().orElse("")).isEqualTo("# " + row.id() + " " + row.name());
        }
    }

    @Test
    void theGeneratorPrintsTheSameIdsNamesAndDefaults() throws IOException {
        List<Row> generated = rows(RuleTable.markdown().lines().toList());
        List<Row> readme = readmeRows();
        assertThat(generated).hasSameSizeAs(readme);
        for (int i = 0; i < readme.size(); i++) {
            assertThat(List.of(generated.get(i).id(), generated.get(i).name(), generated.get(i).severity()))
                    .isEqualTo(List.of(readme.get(i).id(), readme.get(i).name(), readme.get(i).severity()));
            assertThat(generated.get(i).text()).as(readme.get(i).id()).isNotEmpty();
        }
    }

    @Test
    void theReadmeSaysWhatChecksTheTable() throws IOException {
        List<String> md = Files.readAllLines(readme());
        List<String> table = tableLines(md);
        int i = md.indexOf(table.get(table.size() - 1)) + 1;
        while (i < md.size() && md.get(i).isBlank()) {
            i++;
        }
        StringBuilder paragraph = new StringBuilder();
        for (; i < md.size() && !md.get(i).isBlank(); i++) {
            paragraph.append(md.get(i)).append(' ');
        }
        assertThat(paragraph.toString()).as("the paragraph under the table")
                .contains("RuleTableTest").contains("core/src/main/resources/dev/laocoon/rules/");
    }
}
