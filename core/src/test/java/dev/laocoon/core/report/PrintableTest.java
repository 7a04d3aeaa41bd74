package dev.laocoon.core.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.Scanner;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrintableTest {
    @Test
    void controlAndBidiCharactersAreShownNotInterpreted() {
        assertThat(Printable.of("ok \u00e9\u4e2d\uD83D\uDE00")).isEqualTo("ok \u00e9\u4e2d\uD83D\uDE00");
        assertThat(Printable.of("a\u001b[2Jb\u0007")).isEqualTo("a\\x1b[2Jb\\x07");
        assertThat(Printable.of("x\u009bK\u007f")).isEqualTo("x\\x9bK\\x7f");
        assertThat(Printable.of("evil\u202etxt.pkl\u200b")).isEqualTo("evil\\u202etxt.pkl\\u200b");
        assertThat(Printable.of("a\nb\tc\rd")).isEqualTo("a\\nb\\tc\\rd");
        assertThat(Printable.of("lone \uD800 surrogate")).isEqualTo("lone \\ud800 surrogate");
        assertThat(Printable.lines("one\u001b\ntwo")).isEqualTo("one\\x1b\ntwo");
    }

    @Test
    void textReportNeverPrintsEscapeSequencesFromTheScannedFile() {
        // a pickle whose string argument and file name carry terminal escape sequences
        byte[] evil = PickleBuilder.create().proto(2).global("os", "system").str("id\u001b[2K\rSAFE").tuple1().reduce()
                .stop().bytes();
        var r = Scanner.builder().build().scan(new ArrayByteSource(evil), "m\u001b]0;title\u0007.pkl");
        StringWriter w = new StringWriter();
        new TextReport(false, true).write(new dev.laocoon.core.ScanReport(List.of(r), 0),
                dev.laocoon.core.finding.Severity.SUSPICIOUS, new PrintWriter(w));
        assertThat(w.toString()).doesNotContain("\u001b").doesNotContain("\u0007").contains("\\x1b]0;title\\x07");
    }
}
