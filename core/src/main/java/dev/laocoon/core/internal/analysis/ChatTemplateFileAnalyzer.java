package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.Format;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.detect.Head;
import dev.laocoon.core.internal.format.GgufReader;
import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;

/**
 * Chat template files, chosen by name whatever their content: a loader that reads the file as
 * text renders all of it, so a template behind bytes that another format also accepts (a
 * pickle's {@code }.} in front) is still judged. Tried on every piece of content; applies only
 * to template file names.
 */
public final class ChatTemplateFileAnalyzer implements Analyzer {
    @Override
    public Set<Rule> rules() {
        return EnumSet.of(Rule.GGUF_TEMPLATE, Rule.ANALYSIS_INCOMPLETE);
    }

    @Override
    public boolean analyze(Head head, Location where, AnalysisContext ctx) throws IOException {
        if (!templateFile(where)) {
            return false;
        }
        template(head.source(), where, ctx);
        return true;
    }

    /**
     * A chat template file: transformers 5.x reads {@code chat_template.jinja} (utils/hub.py
     * {@code CHAT_TEMPLATE_FILE}) and every {@code additional_chat_templates/*.jinja}
     * ({@code CHAT_TEMPLATE_DIR}) as UTF-8 text and renders it; any {@code .jinja}, {@code .jinja2} or
     * {@code .j2} file is judged.
     */
    static boolean templateFile(Location where) {
        String n = fileName(where).toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".jinja") || n.endsWith(".jinja2") || n.endsWith(".j2");
    }

    /** The last name of the file or member, without its folders. */
    private static String fileName(Location where) {
        String path = where.members().isEmpty() ? where.file() : where.members().get(where.members().size() - 1);
        return path.substring(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
    }

    private static void template(ByteSource src, Location where, AnalysisContext ctx) throws IOException {
        ctx.format(Format.CHAT_TEMPLATE);
        int n = (int) Math.min(src.size(), GgufReader.MAX_TEMPLATE);
        byte[] b = new byte[n];
        src.readFully(0, b, 0, n);
        if (src.size() > n) {
            ctx.report(Rule.ANALYSIS_INCOMPLETE, Severity.SUSPICIOUS, "the template file has " + src.size()
                    + " bytes; only the first " + n + " were analysed", where, "");
        }
        ChatTemplates.judge(ctx, where, "template", fileName(where), new String(b, StandardCharsets.UTF_8));
    }
}
