package dev.laocoon.core.finding;

/**
 * Every rule Laocoon can report. The id is stable (used by JSON, SARIF and baselines);
 * the summary is one line; the default severity is what the rule reports unless the
 * knowledge base or the context grades it.
 */
public enum Rule implements RuleDescriptor {
    PICKLE_DANGEROUS_GLOBAL("LAO101", "pickle-dangerous-global", Severity.MALICIOUS,
            "The pickle imports a callable known to run code, spawn processes, touch files or the network."),
    PICKLE_UNKNOWN_GLOBAL("LAO102", "pickle-unknown-global", Severity.SUSPICIOUS,
            "The pickle imports a global that is not known to be data-only; loading it runs that global's code."),
    PICKLE_LIBRARY_GLOBAL("LAO103", "pickle-library-global", Severity.NOTICE,
            "The pickle imports a class or function of a well-known library; loading it needs that library."),
    PICKLE_DOTTED_NAME("LAO104", "pickle-dotted-name", Severity.SUSPICIOUS,
            "A global name is resolved attribute by attribute (protocol 4 and later) through components that are not data."),
    PICKLE_BUILD_NON_INSTANCE("LAO105", "pickle-build-non-instance", Severity.MALICIOUS,
            "BUILD sets state on a module, class or function instead of an instance made by an allowed constructor."),
    PICKLE_EXTENSION_CODE("LAO106", "pickle-extension-code", Severity.SUSPICIOUS,
            "EXT1/EXT2/EXT4 take a callable from the copyreg extension registry, which the scanner cannot see."),
    PICKLE_NESTED_PICKLE("LAO107", "pickle-nested-pickle", Severity.MALICIOUS,
            "The pickle calls a deserializer on embedded bytes; the embedded payload is analysed too."),
    PICKLE_MALFORMED("LAO108", "pickle-malformed", Severity.SUSPICIOUS,
            "The pickle stream is malformed; a loader stops here after running everything before this point."),
    PICKLE_TRUNCATED("LAO109", "pickle-truncated", Severity.SUSPICIOUS,
            "The pickle stream ends before STOP; a loader runs everything before the end and then fails."),
    PICKLE_FRAME_INCONSISTENCY("LAO110", "pickle-frame-inconsistency", Severity.SUSPICIOUS,
            "FRAME lengths do not match the opcodes inside them; parsers that honour frames and the C unpickler disagree."),
    ANALYSIS_INCOMPLETE("LAO111", "analysis-incomplete", Severity.SUSPICIOUS,
            "A safety limit stopped the analysis; the rest of the file was not analysed."),
    PICKLE_TRAILING_DATA("LAO112", "pickle-trailing-data", Severity.NOTICE,
            "Bytes follow the last complete pickle that are not a pickle; loaders that read one pickle ignore them."),
    PICKLE_PERSISTENT_ID("LAO113", "pickle-persistent-id", Severity.NOTICE,
            "The pickle refers to objects through persistent ids, which the loader resolves with its own function."),
    PICKLE_NON_CALLABLE_CALL("LAO114", "pickle-odd-call", Severity.SUSPICIOUS,
            "The pickle calls something that is not an imported global (a call result or a constant)."),
    PICKLE_OUT_OF_BAND_BUFFER("LAO115", "pickle-out-of-band-buffer", Severity.NOTICE,
            "The pickle refers to out-of-band buffers (protocol 5) that are not part of the file."),
    PICKLE_LIBRARY_CALL("LAO116", "pickle-library-call", Severity.SUSPICIOUS,
            "The pickle calls a library function or method (or hands one to a call) that library pickles do not call."),
    JOBLIB_SIDE_FILE("LAO117", "joblib-side-file", Severity.MALICIOUS,
            "An old-format joblib dump names a side file outside its folder, which joblib.load reads (and unpickles)."),
    ZIP_ANOMALY("LAO201", "zip-anomaly", Severity.SUSPICIOUS,
            "The zip archive is inconsistent (names, flags, prefix bytes, duplicates); readers disagree on its content."),
    CONTAINER_LIMIT("LAO202", "container-limit", Severity.SUSPICIOUS,
            "A container exceeded a limit (depth, members, inflated size or ratio); the rest was not analysed."),
    TORCH_PERSISTENT_ID("LAO203", "torch-persistent-id", Severity.SUSPICIOUS,
            "A PyTorch persistent id is not a storage reference to a member of the archive."),
    TORCH_LEGACY_HEADER("LAO204", "torch-legacy-header", Severity.MALICIOUS,
            "A global appears in the header pickles of a legacy PyTorch file, which hold only plain values."),
    TORCHSCRIPT_CODE("LAO205", "torchscript-code", Severity.NOTICE,
            "The archive contains TorchScript code, which torch.jit.load compiles and runs."),
    TF_RISKY_OP("LAO601", "tf-risky-op", Severity.SUSPICIOUS,
            "A TensorFlow graph or function uses an op that touches files, databases or the network, runs Python, or is not registered in TensorFlow."),
    TF_SAVEDMODEL_MALFORMED("LAO602", "tf-savedmodel-malformed", Severity.SUSPICIOUS,
            "The SavedModel is one TensorFlow refuses to parse (the walk is more lenient), or has fields TensorFlow skips (notice)."),
    TF_ASSET_ESCAPE("LAO603", "tf-asset-escape", Severity.MALICIOUS,
            "A SavedModel asset file name is absolute or leaves the assets folder; the loader hands that host file to the graph."),
    ONNX_EXTERNAL_DATA("LAO701", "onnx-external-data-escape", Severity.MALICIOUS,
            "An ONNX tensor's external data location is absolute or leaves the model's folder."),
    ONNX_CUSTOM_DOMAIN("LAO702", "onnx-custom-domain", Severity.SUSPICIOUS,
            "An ONNX node uses an operator domain outside the standard ones, which needs a native operator library."),
    SAFETENSORS_INVALID("LAO401", "safetensors-invalid", Severity.SUSPICIOUS,
            "The safetensors file breaks the format's rules (header, dtypes, offsets, trailing bytes); loaders may disagree on it."),
    GGUF_MALFORMED("LAO501", "gguf-malformed", Severity.SUSPICIOUS,
            "The GGUF structure is one llama.cpp or gguf-py refuses or reads differently (counts, types, sizes, alignment, offsets, duplicates)."),
    GGUF_TEMPLATE("LAO502", "gguf-template-injection", Severity.MALICIOUS,
            "A chat template (GGUF, tokenizer or processor config, .jinja file) reaches Python internals or loads other templates."),
    KERAS_LAMBDA("LAO301", "keras-lambda", Severity.MALICIOUS,
            "A Keras Lambda layer or __lambda__ function carries marshalled Python bytecode that loading runs."),
    KERAS_FOREIGN_OBJECT("LAO302", "keras-foreign-object", Severity.SUSPICIOUS,
            "The Keras config names a function or class outside Keras and TensorFlow, or a custom registered object."),
    KERAS_MALFORMED("LAO303", "keras-malformed", Severity.SUSPICIOUS,
            "The Keras model config or HDF5 file could not be read completely."),
    REPO_LFS_POINTER("LAO801", "lfs-pointer", Severity.SUSPICIOUS,
            "A Git LFS pointer file: the real content was never downloaded, so it was not scanned."),
    REPO_REMOTE_CODE("LAO802", "trust-remote-code", Severity.NOTICE,
            "The repository names its own Python code (auto_map), which loaders run with trust_remote_code."),
    REPO_SYMLINK_ESCAPE("LAO803", "symlink-escape", Severity.SUSPICIOUS,
            "A symbolic link points outside the scanned tree; it was not followed."),
    FILE_UNREADABLE("LAO001", "file-unreadable", Severity.SUSPICIOUS,
            "The file could not be read completely, so it was not analysed."),
    FORMAT_UNKNOWN("LAO002", "format-unrecognised", Severity.NOTICE,
            "The file's content matches no format Laocoon analyses; nothing in it was judged."),
    REMOTE_INCONSISTENT("LAO003", "remote-inconsistent", Severity.SUSPICIOUS,
            "The remote object changed during the scan or its server did not honour the byte ranges asked for.");

    private final String id;
    private final String slug;
    private final Severity defaultSeverity;
    private final String summary;

    Rule(String id, String slug, Severity defaultSeverity, String summary) {
        this.id = id;
        this.slug = slug;
        this.defaultSeverity = defaultSeverity;
        this.summary = summary;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String slug() {
        return slug;
    }

    @Override
    public Severity defaultSeverity() {
        return defaultSeverity;
    }

    @Override
    public String summary() {
        return summary;
    }
}
