package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.Format;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.detect.Head;
import dev.laocoon.core.internal.format.GgufReader;
import dev.laocoon.core.internal.format.JinjaTemplateCheck;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** GGUF: the reader's problems, and every {@code tokenizer.chat_template*} value as a Jinja template. */
public final class GgufAnalyzer implements Analyzer {
    @Override
    public Set<Rule> rules() {
        return EnumSet.of(Rule.GGUF_MALFORMED, Rule.GGUF_TEMPLATE);
    }

    @Override
    public boolean analyze(Head head, Location where, AnalysisContext ctx) throws IOException {
        ctx.format(Format.GGUF);
        GgufReader.Gguf g = GgufReader.read(head.source());
        for (String p : g.problems()) {
            ctx.report(Rule.GGUF_MALFORMED, Severity.SUSPICIOUS, p, where, "");
        }
        for (Map.Entry<String, String> kv : g.strings()) { // every value of a repeated key is judged
            if (!kv.getKey().equals("tokenizer.chat_template") && !kv.getKey().startsWith("tokenizer.chat_template.")) {
                continue;
            }
            for (JinjaTemplateCheck.Problem p : JinjaTemplateCheck.check(kv.getValue())) {
                String t = kv.getValue();
                int from = Math.max(0, p.offset() - 30);
                String excerpt = t.substring(from, Math.min(t.length(), p.offset() + 50)).replace("\n", " ");
                Location at = where.within(new Location.Within("gguf-key", kv.getKey(), p.line(), p.column()));
                ctx.report(Rule.GGUF_TEMPLATE, p.malicious() ? Severity.MALICIOUS : Severity.SUSPICIOUS,
                        kv.getKey() + " line " + p.line() + ", column " + p.column() + ": " + p.message(), at, excerpt);
            }
        }
        return true;
    }
}
