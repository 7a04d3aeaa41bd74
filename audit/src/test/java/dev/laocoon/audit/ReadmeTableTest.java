package dev.laocoon.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's table of audit rules has one row per {@link AuditRule}, in id order, with its slug and default. */
class ReadmeTableTest {

    @Test
    void tableMatchesTheRules() throws Exception {
        Path readme = Path.of("../README.md");
        List<String> lines = Files.readAllLines(readme);
        int start = lines.indexOf("## laocoon audit: the pods and pipelines around the models");
        assertThat(start).isNotNegative();
        List<String[]> rows = new ArrayList<>();
        for (int i = start + 1; i < lines.size() && !lines.get(i).startsWith("## "); i++) {
            if (lines.get(i).startsWith("| LAO9")) {
                String[] cells = lines.get(i).split(" \\| ");
                rows.add(new String[] {cells[0].substring(2), cells[1], cells[2]});
            }
        }
        AuditRule[] rules = AuditRule.values();
        assertThat(rows).hasSize(rules.length);
        for (int i = 0; i < rules.length; i++) {
            assertThat(rows.get(i)[0]).isEqualTo(rules[i].id());
            assertThat(rows.get(i)[1]).isEqualTo(rules[i].slug());
            if (rules[i] != AuditRule.CHAIN) {
                assertThat(rows.get(i)[2]).as(rules[i].id()).isEqualTo(rules[i].defaultSeverity().label());
            }
        }
    }
}
