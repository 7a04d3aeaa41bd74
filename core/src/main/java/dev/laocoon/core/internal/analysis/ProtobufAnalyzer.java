package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.Format;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.detect.Head;
import dev.laocoon.core.internal.format.ProtoModels;
import java.io.IOException;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** ONNX models and TensorFlow SavedModels (both protobuf messages starting with field 1 as a varint). */
public final class ProtobufAnalyzer implements Analyzer {
    @Override
    public Set<Rule> rules() {
        return EnumSet.of(Rule.TF_RISKY_OP, Rule.TF_SAVEDMODEL_MALFORMED, Rule.TF_ASSET_ESCAPE, Rule.ONNX_EXTERNAL_DATA, Rule.ONNX_CUSTOM_DOMAIN, Rule.ANALYSIS_INCOMPLETE);
    }

    @Override
    public boolean analyze(Head head, Location where, AnalysisContext ctx) throws IOException {
        if (head.source().size() > ctx.limits().maxMemberBytes()) {
            return false;
        }
        byte[] all = ctx.whole(head.source());
        List<ProtoModels.Problem> sm = ProtoModels.savedModel(all);
        Format format = Format.TF_SAVEDMODEL;
        if (sm == null) {
            sm = ProtoModels.onnx(all);
            format = Format.ONNX;
        }
        if (sm == null) {
            return false;
        }
        ctx.format(format);
        for (ProtoModels.Problem p : sm) {
            if (p.kind() == ProtoModels.Kind.EXTERNAL_DATA) {
                continue; // a reference, checked in tree scans (the file it names is raw tensor data)
            }
            Rule rule = switch (p.kind()) {
                case RISKY_OP -> Rule.TF_RISKY_OP;
                case ASSET_ESCAPE -> Rule.TF_ASSET_ESCAPE;
                case EXTERNAL_DATA_ESCAPE -> Rule.ONNX_EXTERNAL_DATA;
                case CUSTOM_DOMAIN -> Rule.ONNX_CUSTOM_DOMAIN;
                case LIMIT -> Rule.ANALYSIS_INCOMPLETE;
                case MALFORMED -> Rule.TF_SAVEDMODEL_MALFORMED;
                case EXTERNAL_DATA -> throw new IllegalStateException();
            };
            ctx.report(rule, p.severity(), p.where() + ": " + p.message(),
                    where.within(within(p.where())), "");
        }
        return true;
    }

    /**
     * The external data files an ONNX model names inside its folder (relative, '/'-separated), or an
     * empty list when the bytes are not an ONNX model.
     */
    public static List<String> externalData(byte[] onnx) {
        List<ProtoModels.Problem> ps = ProtoModels.onnx(onnx);
        List<String> out = new java.util.ArrayList<>();
        if (ps != null) {
            for (ProtoModels.Problem p : ps) {
                if (p.kind() == ProtoModels.Kind.EXTERNAL_DATA) {
                    out.add(p.message());
                }
            }
        }
        return out;
    }

    /** {@code node 'x'}, {@code function 'f' node 'x'}, {@code tensor 't'}, {@code graph}, ... as a structured place. */
    private static Location.Within within(String where) {
        String kind = where.startsWith("tensor ") ? "tensor" : where.contains("node '") ? "node" : "element";
        return Location.Within.of(kind, where);
    }
}
