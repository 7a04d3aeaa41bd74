package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.Format;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.detect.Head;
import dev.laocoon.core.internal.format.PyLiteral;
import dev.laocoon.core.internal.format.numpy.NpyHeader;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.SliceByteSource;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * NumPy .npy: with an object dtype ('O'), numpy.load unpickles the data that follows the header,
 * so it is analysed as a pickle stream; header problems are {@code pickle-malformed} (what a loader
 * of the embedded pickle would meet).
 */
public final class NpyAnalyzer implements Analyzer {
    @Override
    public Set<Rule> rules() {
        return EnumSet.of(Rule.PICKLE_MALFORMED);
    }

    @Override
    public boolean analyze(Head head, Location where, AnalysisContext ctx) throws IOException {
        ByteSource src = head.source();
        ctx.format(Format.NPY);
        NpyHeader hd;
        try {
            hd = NpyHeader.read(src);
        } catch (NpyHeader.Bad e) {
            ctx.report(Rule.PICKLE_MALFORMED, Severity.SUSPICIOUS, e.getMessage(), where, "");
            return true;
        }
        String header = hd.text();
        // numpy reads the header with ast.literal_eval: any quotes, string prefixes, escapes, implicit
        // concatenation, parentheses and repeated keys (the last one counts) are possible. The header
        // is read the same way (PyLiteral); a header that is not understood is "unknown": it counts
        // as an object array when it mentions an object type anywhere, and otherwise its data is
        // analysed whenever it looks like a pickle.
        Map<?, ?> fields = hd.fields();
        if (fields instanceof PyLiteral.Dict d && d.repeatedKeys()) {
            ctx.report(Rule.PICKLE_MALFORMED, Severity.SUSPICIOUS,
                    ".npy header gives a key twice: numpy keeps the last value, other readers may not agree "
                            + "on the array's type", where, header.strip());
        }
        Object descrValue = fields == null ? null : fields.get("descr");
        String descr = descrValue instanceof String d ? d : null;
        boolean object = NpyHeader.mentionsObject(descrValue != null ? descrValue : header);
        long dataStart = hd.dataStart();
        ByteSource data = new SliceByteSource(src, dataStart, src.size() - dataStart);
        if (!object) {
            if (NpyHeader.plainDescr(descrValue)) {
                return true; // numeric data, structured or not: numpy.load reads raw bytes
            }
            byte[] b = new byte[2];
            int got = src.readFully(dataStart, b, 0, 2);
            if (got < 2 || !PickleStreamAnalyzer.stream(ctx, data, where.withMember("<data@" + dataStart + ">"), null,
                    b[0] & 0xff, b[1] & 0xff, PickleStreamAnalyzer.JOBLIB)) {
                if (descr == null && !header.contains("descr")) {
                    ctx.report(Rule.PICKLE_MALFORMED, Severity.SUSPICIOUS, ".npy header has no readable 'descr'", where,
                            header.strip());
                }
                return true;
            }
            ctx.format(Format.NPY_OBJECT);
            ctx.report(Rule.PICKLE_MALFORMED, Severity.SUSPICIOUS,
                    ".npy descr is not a plain data type and the data is a pickle, which numpy.load unpickles for object dtypes",
                    where, header.strip());
            return true;
        }
        ctx.format(Format.NPY_OBJECT);
        Location loc = where.withMember("<object data@" + dataStart + ">");
        if (!PickleStreamAnalyzer.stream(ctx, data, loc, null, -1, -1, PickleStreamAnalyzer.JOBLIB)) {
            ctx.report(Rule.PICKLE_MALFORMED, Severity.SUSPICIOUS,
                    "object array whose data is not a pickle; numpy.load would fail", loc, "");
        }
        return true;
    }
}
