package dev.laocoon.core.internal.scan;

import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.analysis.AnalysisContext;
import dev.laocoon.core.internal.detect.Head;
import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.util.List;

/**
 * Detect, analyse, recurse: runs the registry's entries over a piece of content (a file, a member,
 * a decompressed payload) under the file's budget. Content that no entry applies to is reported
 * as not recognised (a notice, never safe).
 */
public final class Pipeline implements AnalysisContext.Recursion {
    private final List<Formats.Entry> entries;

    public Pipeline(List<Formats.Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    @Override
    public void analyze(ByteSource src, Location where, AnalysisContext ctx) throws IOException {
        int maxDepth = ctx.limits().maxDepth();
        if (ctx.depth() > maxDepth) {
            ctx.report(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS,
                    "containers nested deeper than " + maxDepth + " levels were not analysed", where, "");
            return;
        }
        if (ctx.stop(where)) {
            return;
        }
        Head head = new Head(src, ctx.limits().maxMembers());
        boolean any = false;
        for (Formats.Entry e : entries) {
            if (e.mode() == Formats.Mode.IF_NOTHING_ELSE && any) {
                continue;
            }
            if (!e.detector().matches(head)) {
                continue;
            }
            boolean applied = e.analyzer().analyze(head, where, ctx);
            any |= applied;
            if (applied && e.mode() != Formats.Mode.ALSO) {
                return;
            }
        }
        if (!any) {
            ctx.report(Rule.FORMAT_UNKNOWN, Severity.NOTICE,
                    src.size() == 0 ? "empty file" : "content is not a format Laocoon analyses; nothing in it was judged",
                    where, "");
        }
    }
}
