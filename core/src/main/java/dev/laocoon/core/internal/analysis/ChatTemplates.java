package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.format.JinjaTemplateCheck;

/**
 * Judges one chat template (from GGUF metadata, a tokenizer config or a template file) with
 * {@link JinjaTemplateCheck} and reports each problem as {@link Rule#GGUF_TEMPLATE} at the template's
 * place ({@code kind}, {@code path}) with its line and column. A template with a NUL character is
 * judged twice: whole (as Python reads it) and up to the NUL (as C code reads it, {@code c_str()}).
 */
final class ChatTemplates {
    private ChatTemplates() {
    }

    static void judge(AnalysisContext ctx, Location where, String kind, String path, String template) {
        int nul = template.indexOf('\0');
        if (nul >= 0) {
            ctx.report(Rule.GGUF_TEMPLATE, Severity.SUSPICIOUS, path + " contains a NUL character at " + nul
                    + ": C readers see only the text before it, Python readers all of it; both are analysed",
                    where.within(Location.Within.of(kind, path)), "");
            report(ctx, where, kind, path, template.substring(0, nul));
        }
        report(ctx, where, kind, path, template);
    }

    private static void report(AnalysisContext ctx, Location where, String kind, String path, String t) {
        for (JinjaTemplateCheck.Problem p : JinjaTemplateCheck.check(t)) {
            int from = Math.max(0, p.offset() - 30);
            String excerpt = t.substring(from, Math.min(t.length(), p.offset() + 50)).replace("\n", " ");
            Location at = where.within(new Location.Within(kind, path, p.line(), p.column()));
            ctx.report(Rule.GGUF_TEMPLATE, p.malicious() ? Severity.MALICIOUS : Severity.SUSPICIOUS,
                    path + " line " + p.line() + ", column " + p.column() + ": " + p.message(), at, excerpt);
        }
    }
}
