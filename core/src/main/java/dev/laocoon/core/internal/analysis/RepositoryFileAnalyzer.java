package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.Format;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.detect.Head;
import dev.laocoon.core.internal.format.JsonTree;
import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Text files of a model repository, tried when nothing else matched: Git LFS pointers that were
 * never downloaded, JSON configs whose {@code auto_map} names repository code, and whole JSON
 * documents (data, or Keras model JSON).
 */
public final class RepositoryFileAnalyzer implements Analyzer {
    private static final String LFS = "version https://git-lfs.github.com/spec/v1";

    @Override
    public Set<Rule> rules() {
        return EnumSet.of(Rule.REPO_LFS_POINTER, Rule.REPO_REMOTE_CODE, Rule.KERAS_LAMBDA, Rule.KERAS_FOREIGN_OBJECT,
                Rule.KERAS_MALFORMED, Rule.GGUF_TEMPLATE);
    }

    @Override
    public boolean analyze(Head head, Location where, AnalysisContext ctx) throws IOException {
        ByteSource src = head.source();
        if (src.size() < 2) {
            return false;
        }
        if (src.size() > (4 << 20)) {
            return src.size() <= ctx.limits().maxJsonBytes() && JsonAnalyzer.analyze(ctx, src, where);
        }
        String text = new String(ctx.whole(src), StandardCharsets.UTF_8);
        if (text.startsWith(LFS)) {
            ctx.format(Format.LFS_POINTER);
            ctx.report(Rule.REPO_LFS_POINTER, Severity.SUSPICIOUS,
                    "Git LFS pointer: the file's content was never downloaded, so it was not scanned", where, lfsEvidence(text));
            return true;
        }
        String t = text.strip();
        if (!t.startsWith("{") || !t.contains("\"auto_map\"")) {
            return JsonAnalyzer.analyze(ctx, src, where);
        }
        try {
            Object map = JsonTree.get(JsonTree.parse(t), "auto_map");
            if (!(map instanceof Map<?, ?> m)) {
                return false;
            }
            Set<String> files = new TreeSet<>();
            for (Object v : m.values()) {
                for (Object x : v instanceof List<?> l ? l : List.of(v)) {
                    String ref = JsonTree.text(x, "");
                    String mod = ref.contains("--") ? ref.substring(ref.indexOf("--") + 2) : ref;
                    int dot = mod.lastIndexOf('.');
                    if (dot > 0) {
                        files.add(mod.substring(0, dot).replace('.', '/') + ".py"
                                + (ref.contains("--") ? " (from " + ref.substring(0, ref.indexOf("--")) + ")" : ""));
                    }
                }
            }
            String json = JsonTree.write(map);
            ctx.report(Rule.REPO_REMOTE_CODE, Severity.NOTICE,
                    "auto_map makes loaders with trust_remote_code import this repository's code: " + String.join(", ", files),
                    where, json.length() > 200 ? json.substring(0, 200) + "..." : json);
            // the same document may also be a Keras model config (model_from_json ignores auto_map)
            JsonAnalyzer.analyze(ctx, src, where);
            ctx.removeFormat(Format.JSON);
            ctx.format(Format.JSON_CONFIG);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The {@code oid} and {@code size} lines of a pointer, as String.lines() splits them. */
    private static String lfsEvidence(String text) {
        StringBuilder ev = new StringBuilder();
        text.lines().forEach(l -> {
            if (l.startsWith("oid ") || l.startsWith("size ")) {
                ev.append(ev.length() == 0 ? "" : ", ").append(l);
            }
        });
        return ev.toString();
    }
}
