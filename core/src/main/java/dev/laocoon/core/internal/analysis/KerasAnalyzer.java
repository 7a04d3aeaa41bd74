package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.Format;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.detect.Head;
import dev.laocoon.core.internal.format.KerasConfigCheck;
import dev.laocoon.core.internal.format.ProtoModels;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.FileByteSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Keras model configs wherever they are: the {@code model_config}/{@code training_config}
 * attributes of an HDF5 file, {@code keras_metadata.pb} beside a SavedModel (each layer's JSON
 * metadata), and, through {@link #config}, {@code config.json} of a {@code .keras} archive and
 * model JSON files.
 */
public final class KerasAnalyzer implements Analyzer {
    /** Where the config is. */
    public enum Kind { HDF5, SAVED_METADATA }

    private final Kind kind;

    public KerasAnalyzer(Kind kind) {
        this.kind = kind;
    }

    @Override
    public Set<Rule> rules() {
        return EnumSet.of(Rule.KERAS_LAMBDA, Rule.KERAS_FOREIGN_OBJECT, Rule.KERAS_MALFORMED, Rule.CONTAINER_LIMIT);
    }

    @Override
    public boolean analyze(Head head, Location where, AnalysisContext ctx) throws IOException {
        return kind == Kind.HDF5 ? hdf5(ctx, head.source(), where) : metadata(ctx, head.source(), where);
    }

    private static boolean hdf5(AnalysisContext ctx, ByteSource src, Location where) throws IOException {
        ctx.format(Format.HDF5);
        Hdf5UserBlock.analyze(ctx, src, where);
        try {
            io.jhdf.HdfFile rebased = Hdf5UserBlock.rebased(src); // after a user block
            io.jhdf.HdfFile h;
            if (rebased != null) {
                h = rebased;
            } else if (src instanceof FileByteSource f) {
                h = new io.jhdf.HdfFile(f.path());
            } else {
                long max = ctx.limits().maxMemberBytes();
                if (src.size() > max) {
                    ctx.report(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS,
                            "HDF5 member larger than " + max + " bytes was not read", where, "");
                    return true;
                }
                h = io.jhdf.HdfFile.fromBytes(ctx.whole(src));
            }
            try (h) {
                for (String attr : new String[] {"model_config", "training_config"}) {
                    io.jhdf.api.Attribute a = h.getAttribute(attr);
                    if (a == null) {
                        continue;
                    }
                    Object data = a.getData();
                    String json = data instanceof String s ? s : data instanceof String[] arr && arr.length > 0 ? arr[0]
                            : data instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : null;
                    if (json == null) {
                        ctx.report(Rule.KERAS_MALFORMED, Severity.SUSPICIOUS, "attribute /" + attr + " is not a string",
                                where, "");
                        continue;
                    }
                    ctx.format(Format.KERAS_H5);
                    config(ctx, json, where, "attribute /" + attr);
                }
            }
        } catch (Exception e) {
            ctx.report(Rule.KERAS_MALFORMED, Severity.SUSPICIOUS,
                    "HDF5 file could not be read completely (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")",
                    where, "");
        }
        return true;
    }

    /** keras_metadata.pb beside a Keras SavedModel: each layer's JSON metadata is a Keras config. */
    private static boolean metadata(AnalysisContext ctx, ByteSource src, Location where) throws IOException {
        if (src.size() > ctx.limits().maxMemberBytes()) {
            return false;
        }
        List<String> metadata = ProtoModels.kerasMetadata(ctx.whole(src));
        if (metadata == null) {
            return false;
        }
        ctx.format(Format.KERAS_METADATA);
        for (int i = 0; i < metadata.size(); i++) {
            config(ctx, metadata.get(i), where, "node " + i + " metadata");
        }
        return true;
    }

    /**
     * Checks one Keras config. {@code what} says where the JSON is: {@code attribute /x} (an HDF5
     * attribute), {@code node N metadata} (keras_metadata.pb), or a file or member name; it prefixes
     * the JSON pointer of each finding.
     */
    static void config(AnalysisContext ctx, String json, Location where, String what) {
        for (KerasConfigCheck.Problem p : KerasConfigCheck.check(json, ctx.kb())) {
            Rule rule = switch (p.kind()) {
                case LAMBDA -> Rule.KERAS_LAMBDA;
                case MALFORMED -> Rule.KERAS_MALFORMED;
                case FOREIGN_OBJECT -> Rule.KERAS_FOREIGN_OBJECT;
            };
            String pointer = p.pointer().isEmpty() ? "/" : p.pointer();
            Location.Within w = what.startsWith("attribute /")
                    ? Location.Within.of("hdf5-attribute", what.substring("attribute ".length()) + "#" + pointer)
                    : what.startsWith("node ") ? Location.Within.of("json-pointer",
                            "node[" + what.substring(5, what.indexOf(' ', 5)) + "]#" + pointer)
                    : Location.Within.of("json-pointer", pointer);
            ctx.report(rule, p.severity(), what + " " + pointer + ": " + p.message(), where.within(w), p.evidence());
            if (p.payload() != null) {
                // the bytes the loader deserializes (a torch.save file): analysed as a member of its own
                try {
                    ctx.recurseMember(new ArrayByteSource(p.payload()), where.withMember(what + "#" + pointer));
                } catch (IOException e) {
                    ctx.report(Rule.KERAS_MALFORMED, Severity.SUSPICIOUS, what + " " + pointer
                            + ": the embedded file could not be analysed (" + e.getMessage() + ")", where.within(w), "");
                }
            }
        }
    }
}
