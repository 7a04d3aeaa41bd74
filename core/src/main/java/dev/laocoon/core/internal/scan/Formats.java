package dev.laocoon.core.internal.scan;

import dev.laocoon.core.internal.analysis.Analyzer;
import dev.laocoon.core.internal.analysis.ArchiveAnalyzer;
import dev.laocoon.core.internal.analysis.ChatTemplateFileAnalyzer;
import dev.laocoon.core.internal.analysis.CompressedAnalyzer;
import dev.laocoon.core.internal.analysis.GgufAnalyzer;
import dev.laocoon.core.internal.analysis.KerasAnalyzer;
import dev.laocoon.core.internal.analysis.NpyAnalyzer;
import dev.laocoon.core.internal.analysis.PickleStreamAnalyzer;
import dev.laocoon.core.internal.analysis.ProtobufAnalyzer;
import dev.laocoon.core.internal.analysis.RepositoryFileAnalyzer;
import dev.laocoon.core.internal.analysis.SafetensorsAnalyzer;
import dev.laocoon.core.internal.analysis.ZipAnalyzer;
import dev.laocoon.core.internal.detect.Detector;
import dev.laocoon.core.internal.detect.Magic;
import java.util.List;

/**
 * The explicit, ordered registry of what the pipeline tries on every piece of content: a detector,
 * the analyser behind it, and how the entry combines with the others ({@link Mode}). A file can be
 * several things at once (polyglots): every entry whose detector matches is analysed, in this order,
 * until an exclusive one applies. Adding a format is one line here.
 */
public final class Formats {
    private Formats() {
    }

    /** How an entry combines with the entries after it. */
    public enum Mode {
        /** Tried always; the entries after it are tried too. */
        ALSO,
        /** Tried always; when it applies, no later entry is tried. */
        EXCLUSIVE,
        /** Tried only when no entry before it applied; when it applies, no later entry is tried. */
        IF_NOTHING_ELSE
    }

    /** One registry line: {@code name} is for diagnostics only. */
    public record Entry(String name, Detector detector, Analyzer analyzer, Mode mode) {
    }

    /** The built-in formats. */
    public static final List<Entry> BUILT_IN = List.of(
            // chat template files are chosen by name: a loader renders all of their text, whatever else it is
            new Entry("chat template", Magic.ANY, new ChatTemplateFileAnalyzer(), Mode.ALSO),
            // containers and wrappers: a zip may carry a pickle in front (tried below), a tar may be
            // compressed; each of these hands its content back to the pipeline
            new Entry("zip", Magic.ZIP, new ZipAnalyzer(), Mode.ALSO),
            new Entry("gzip", Magic.GZIP, new CompressedAnalyzer(CompressedAnalyzer.Kind.GZIP), Mode.ALSO),
            new Entry("bz2", Magic.BZ2, new CompressedAnalyzer(CompressedAnalyzer.Kind.BZ2), Mode.ALSO),
            new Entry("xz", Magic.XZ, new CompressedAnalyzer(CompressedAnalyzer.Kind.XZ), Mode.ALSO),
            new Entry("zstd", Magic.ZSTD, new CompressedAnalyzer(CompressedAnalyzer.Kind.ZSTD), Mode.ALSO),
            new Entry("lz4", Magic.LZ4, new CompressedAnalyzer(CompressedAnalyzer.Kind.LZ4), Mode.ALSO),
            new Entry("zlib", Magic.ZLIB, new CompressedAnalyzer(CompressedAnalyzer.Kind.ZLIB), Mode.ALSO),
            new Entry("joblib-zfile", Magic.JOBLIB_ZFILE, new CompressedAnalyzer(CompressedAnalyzer.Kind.JOBLIB_ZFILE),
                    Mode.ALSO),
            new Entry("lzma-alone", Magic.LZMA_ALONE, new CompressedAnalyzer(CompressedAnalyzer.Kind.LZMA_ALONE), Mode.ALSO),
            new Entry("7z", Magic.SEVEN_ZIP, new ArchiveAnalyzer(ArchiveAnalyzer.Kind.SEVEN_ZIP), Mode.ALSO),
            new Entry("tar", Magic.TAR, new ArchiveAnalyzer(ArchiveAnalyzer.Kind.TAR), Mode.ALSO),
            // formats with a signature that no loader reads as anything else
            new Entry("hdf5", Magic.HDF5, new KerasAnalyzer(KerasAnalyzer.Kind.HDF5), Mode.EXCLUSIVE),
            new Entry("gguf", Magic.GGUF, new GgufAnalyzer(), Mode.EXCLUSIVE),
            new Entry("safetensors", Magic.SAFETENSORS, new SafetensorsAnalyzer(), Mode.EXCLUSIVE),
            new Entry("npy", Magic.NPY, new NpyAnalyzer(), Mode.EXCLUSIVE),
            // protobuf has no signature: only tried on content nothing else claimed, and only when it parses
            new Entry("onnx/savedmodel", Magic.PROTOBUF_MODEL, new ProtobufAnalyzer(), Mode.IF_NOTHING_ELSE),
            new Entry("keras-metadata", Magic.KERAS_METADATA, new KerasAnalyzer(KerasAnalyzer.Kind.SAVED_METADATA),
                    Mode.IF_NOTHING_ELSE),
            // protocol 0 and 1 pickles have no signature either: the machine decides (in front of a zip,
            // only the bytes before its first member)
            new Entry("pickle", Magic.ANY, new PickleStreamAnalyzer(), Mode.ALSO),
            new Entry("repository text", Magic.ANY, new RepositoryFileAnalyzer(), Mode.IF_NOTHING_ELSE));
}
