package dev.laocoon.core.finding;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Prints the README's "## Rules" table from {@link Rule} and the summary paragraph of each rule's
 * page ({@code dev/laocoon/rules/<id>.md}). Rows are in ascending id order, the order
 * {@code RuleTableTest} checks. Uses the JDK only, so after {@code ./mvnw -pl core test-compile}:
 *
 * <pre>java -cp core/target/classes:core/target/test-classes dev.laocoon.core.finding.RuleTable</pre>
 */
public final class RuleTable {
    /** The resource folder of the rule pages. */
    static final String PAGES = "/dev/laocoon/rules/";

    /** The rule whose severity depends on the op: its "default" cell reads "by risk". */
    static final Rule BY_RISK = Rule.TF_RISKY_OP;

    private RuleTable() {
    }

    public static void main(String[] args) {
        System.out.print(markdown());
    }

    /** Rules in the table's order: ascending id. */
    static List<Rule> ordered() {
        List<Rule> rules = new ArrayList<>(Arrays.asList(Rule.values()));
        rules.sort(Comparator.comparing(Rule::id));
        return rules;
    }

    /** The "default" cell of a rule's row. */
    static String defaultCell(Rule r) {
        return r == BY_RISK ? "by risk" : r.defaultSeverity().label();
    }

    /** The whole table, header included, one line per rule. */
    static String markdown() {
        StringBuilder sb = new StringBuilder("| id | name | default | what it means |\n| --- | --- | --- | --- |\n");
        for (Rule r : ordered()) {
            String page = page(r);
            if (page == null) {
                throw new IllegalStateException("no page " + PAGES + r.id() + ".md");
            }
            sb.append("| ").append(r.id()).append(" | ").append(r.slug()).append(" | ").append(defaultCell(r))
                    .append(" | ").append(summary(page).replace("|", "\\|")).append(" |\n");
        }
        return sb.toString();
    }

    /** The page of a rule, or null when there is none. */
    static String page(Rule r) {
        try (InputStream in = Rule.class.getResourceAsStream(PAGES + r.id() + ".md")) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The paragraph between a page's title and its first section, joined into one line. */
    static String summary(String page) {
        List<String> lines = page.lines().toList();
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < lines.size() && !lines.get(i).startsWith("## "); i++) {
            String l = lines.get(i).strip();
            if (!l.isEmpty()) {
                sb.append(sb.length() == 0 ? "" : " ").append(l);
            }
        }
        return sb.toString();
    }
}
