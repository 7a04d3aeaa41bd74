package dev.laocoon.core.internal.format;

import dev.laocoon.core.internal.format.jinja.JinjaAnalyzer;
import dev.laocoon.core.internal.format.jinja.JinjaAst;
import dev.laocoon.core.internal.format.jinja.JinjaLexer;
import dev.laocoon.core.internal.format.jinja.JinjaParser;
import dev.laocoon.core.internal.format.jinja.JinjaSyntaxError;
import dev.laocoon.core.internal.format.jinja.JinjaToken;
import java.util.ArrayList;
import java.util.List;

/**
 * Static checks of a Jinja template (a GGUF chat template) without rendering it. The template is
 * parsed into a syntax tree ({@link JinjaParser}) and interpreted abstractly
 * ({@link JinjaAnalyzer}): attribute names that start with an underscore (dunders and private
 * names), reached by dot, by subscript, through {@code attr}, {@code map(attribute=...)} and the
 * other attribute-taking filters, or inside {@code str.format} fields, are malicious even when the
 * template assembles them at render time from constant pieces; so are attribute access on the
 * template globals known as gadgets and {@code import}/{@code include}/{@code extends}/{@code from}.
 * Names assembled from pieces the analysis cannot compute are suspicious, and so is a template
 * that does not parse (it cannot be analysed completely).
 */
public final class JinjaTemplateCheck {

    /**
     * A problem: malicious or suspicious, the message, and where: the character offset in the
     * template and the same as 1-based line and column.
     */
    public record Problem(boolean malicious, String message, int offset, int line, int column) {
    }

    private JinjaTemplateCheck() {
    }

    /** More tags than any real chat template has (they have hundreds); the tree of more would not fit in memory. */
    static final int MAX_TAGS = 50_000;

    public static List<Problem> check(String template) {
        List<Problem> out = new ArrayList<>();
        int tags = 0;
        for (int i = template.indexOf('{'); i >= 0 && i + 1 < template.length(); i = template.indexOf('{', i + 1)) {
            char c = template.charAt(i + 1);
            if ((c == '{' || c == '%') && ++tags > MAX_TAGS) {
                out.add(at(template, false, "template has more than " + MAX_TAGS
                        + " tags, more than the analysis reads; it was not analysed", i));
                return out;
            }
        }
        List<JinjaAst.Stmt> ast;
        try {
            ast = JinjaParser.parse(template);
        } catch (JinjaSyntaxError e) {
            out.add(at(template, false, "template cannot be parsed, so it cannot be analysed completely: "
                    + e.getMessage(), e.offset()));
            tokenFallback(template, out);
            return out;
        }
        for (JinjaAnalyzer.Problem p : JinjaAnalyzer.analyze(ast)) {
            out.add(at(template, p.malicious(), p.message(), p.offset()));
        }
        return out;
    }

    /**
     * A template Jinja rejects may still be accepted by a more lenient renderer: the plain
     * token-level signs of an injection are reported as well.
     */
    private static void tokenFallback(String template, List<Problem> out) {
        List<JinjaToken> toks;
        try {
            toks = JinjaLexer.tokenize(template);
        } catch (JinjaSyntaxError e) {
            return;
        }
        for (int i = 0; i + 1 < toks.size(); i++) {
            JinjaToken t = toks.get(i);
            JinjaToken next = toks.get(i + 1);
            if (t.isOp(".") && next.kind() == JinjaToken.Kind.NAME && JinjaAnalyzer.internal(next.text())) {
                out.add(at(template, true, "reads the attribute '" + next.text() + "'", next.offset()));
            } else if (t.isOp("[") && next.kind() == JinjaToken.Kind.STRING && next.text().startsWith("_")) {
                out.add(at(template, true, "reads the attribute '" + next.text() + "' by subscript", next.offset()));
            } else if (t.kind() == JinjaToken.Kind.BLOCK_BEGIN && next.kind() == JinjaToken.Kind.NAME
                    && List.of("import", "include", "extends", "from").contains(next.text())) {
                out.add(at(template, true, "'" + next.text() + "' loads another template", next.offset()));
            } else if (t.kind() == JinjaToken.Kind.NAME && JinjaAnalyzer.GADGETS.contains(t.text())
                    && (next.isOp(".") || next.isOp("[")) && (i == 0 || !toks.get(i - 1).isOp("."))) {
                out.add(at(template, true, "reaches into the template global '" + t.text() + "'", t.offset()));
            }
        }
    }

    private static Problem at(String template, boolean malicious, String message, int offset) {
        int off = Math.max(0, Math.min(offset, template.length()));
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < off; i++) {
            char c = template.charAt(i);
            if (c == '\n' || c == '\r' && (i + 1 >= template.length() || template.charAt(i + 1) != '\n')) {
                line++;
                lineStart = i + 1;
            }
        }
        return new Problem(malicious, message, off, line, off - lineStart + 1);
    }
}
