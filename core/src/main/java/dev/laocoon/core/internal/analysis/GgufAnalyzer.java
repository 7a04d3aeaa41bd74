package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.Format;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.detect.Head;
import dev.laocoon.core.internal.format.GgufReader;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * GGUF: the reader's problems, values cut at a limit, and every chat template value (every key
 * that C code or gguf-py reads as {@code tokenizer.chat_template} or {@code tokenizer.chat_template.*})
 * as a Jinja template.
 */
public final class GgufAnalyzer implements Analyzer {
    @Override
    public Set<Rule> rules() {
        return EnumSet.of(Rule.GGUF_MALFORMED, Rule.GGUF_TEMPLATE, Rule.ANALYSIS_INCOMPLETE);
    }

    @Override
    public boolean analyze(Head head, Location where, AnalysisContext ctx) throws IOException {
        ctx.format(Format.GGUF);
        GgufReader.Gguf g = GgufReader.read(head.source());
        for (String p : g.problems()) {
            ctx.report(Rule.GGUF_MALFORMED, Severity.SUSPICIOUS, p, where, "");
        }
        for (String p : g.incomplete()) {
            ctx.report(Rule.ANALYSIS_INCOMPLETE, Severity.SUSPICIOUS, p, where, "");
        }
        String arch = first(g, "general.architecture");
        String rewritten = transformersArchitecture(arch, first(g, "general.name"));
        for (Map.Entry<String, String> kv : g.strings()) { // every value of a repeated key is judged
            if (!GgufReader.templateKey(kv.getKey())) {
                continue;
            }
            String key = kv.getKey().replace("\0", "\\x00");
            ChatTemplates.judge(ctx, where, "gguf-key", key, kv.getValue());
            // transformers (modeling_gguf_pytorch_utils.load_gguf_checkpoint) replaces the architecture's
            // name by its own in every string value: the template it renders is that text
            if (arch != null && !arch.isEmpty() && !arch.equals(rewritten) && kv.getValue().contains(arch)) {
                ChatTemplates.judge(ctx, where, "gguf-key", key + " (as transformers rewrites it)",
                        kv.getValue().replace(arch, rewritten));
            }
        }
        return true;
    }

    private static String first(GgufReader.Gguf g, String key) {
        return g.strings().stream().filter(e -> e.getKey().equals(key)).map(Map.Entry::getValue).findFirst().orElse(null);
    }

    /**
     * transformers 5.x load_gguf_checkpoint's {@code updated_architecture}
     * (modeling_gguf_pytorch_utils.py, after {@code read_field(reader, "general.architecture")}).
     */
    static String transformersArchitecture(String arch, String name) {
        if (arch == null) {
            return null;
        }
        String updated = arch;
        // model_name is a list there: "mistral" in model_name asks for a name equal to "mistral"
        if (arch.contains("llama") && "mistral".equals(name)) {
            updated = "mistral";
        } else if (arch.contains("t5")) {
            updated = name != null && name.toLowerCase(java.util.Locale.ROOT).contains("umt5") ? "umt5" : "t5";
        }
        if (arch.contains("qwen2moe")) {
            updated = "qwen2_moe";
        } else if (arch.contains("gpt_oss") || arch.contains("gpt-oss")) {
            updated = "gpt_oss";
        } else if (arch.contains("qwen3moe")) {
            updated = "qwen3_moe";
        } else if (arch.contains("minimax-m2")) {
            updated = "minimax_m2";
        }
        return updated;
    }
}
