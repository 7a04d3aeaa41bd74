package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.Format;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.detect.Head;
import dev.laocoon.core.internal.format.SafetensorsValidator;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.SliceByteSource;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Set;

/** safetensors, validated as the reference implementation validates it; bytes after the data are their own content. */
public final class SafetensorsAnalyzer implements Analyzer {
    @Override
    public Set<Rule> rules() {
        return EnumSet.of(Rule.SAFETENSORS_INVALID);
    }

    @Override
    public boolean analyze(Head head, Location where, AnalysisContext ctx) throws IOException {
        ByteSource src = head.source();
        ctx.format(Format.SAFETENSORS);
        SafetensorsValidator.Result r = SafetensorsValidator.validate(src);
        for (SafetensorsValidator.Problem p : r.problems()) {
            Location.Within w = Location.Within.of(p.where().equals("header")
                    || p.where().startsWith("__metadata__") ? "element" : "tensor", p.where());
            ctx.report(Rule.SAFETENSORS_INVALID, Severity.SUSPICIOUS, p.where() + ": " + p.message(), where.within(w), "");
        }
        // Bytes after the tensor data are not read by safetensors loaders; they may be another format.
        if (r.dataEnd() >= 0 && r.dataEnd() < src.size()) {
            ByteSource tail = new SliceByteSource(src, r.dataEnd(), src.size() - r.dataEnd());
            ctx.recurseMember(tail, where.withMember("<after tensor data@" + r.dataEnd() + ">"));
        }
        return true;
    }
}
