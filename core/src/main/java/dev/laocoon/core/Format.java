package dev.laocoon.core;

import java.util.HashMap;
import java.util.Map;

/**
 * A format a file (or its compression wrapper) was recognised as. {@link #id()} is the stable name
 * used in JSON and SARIF output ({@code pytorch-zip}, {@code gzip}, ...); a file that is several
 * things at once has several, in the order they were found.
 */
public enum Format {
    ZIP("zip"), PYTORCH_ZIP("pytorch-zip"), TORCHSCRIPT("torchscript"), KERAS_V3("keras-v3"),
    GZIP("gzip"), BZ2("bz2"), XZ("xz"), ZSTD("zstd"), LZ4("lz4"), JOBLIB_ZFILE("joblib-zfile"),
    SEVEN_ZIP("7z"), TAR("tar"), PYTORCH_LEGACY_TAR("pytorch-legacy-tar"),
    HDF5("hdf5"), KERAS_H5("keras-h5"), GGUF("gguf"), SAFETENSORS("safetensors"), NPY("npy"), NPY_OBJECT("npy-object"),
    TF_SAVEDMODEL("tf-savedmodel"), ONNX("onnx"), ONNX_EXTERNAL_DATA("onnx-external-data"), KERAS_METADATA("keras-metadata"),
    PICKLE("pickle"), JOBLIB("joblib"), PYTORCH_LEGACY("pytorch-legacy"),
    LFS_POINTER("lfs-pointer"), JSON("json"), JSON_CONFIG("json-config"), KERAS_JSON("keras-json"),
    CHAT_TEMPLATE("chat-template"),
    SYMLINK("symlink"),
    /** Configuration around the models, read by the audit module. */
    KUBERNETES("kubernetes"), DOCKERFILE("dockerfile"), GITHUB_WORKFLOW("github-workflow"), GITLAB_CI("gitlab-ci");

    private static final Map<String, Format> BY_ID = new HashMap<>();

    static {
        for (Format f : values()) {
            BY_ID.put(f.id, f);
        }
    }

    private final String id;

    Format(String id) {
        this.id = id;
    }

    /** The stable name used in reports. */
    public String id() {
        return id;
    }

    /** The format with this id; throws IllegalArgumentException for an unknown one. */
    public static Format ofId(String id) {
        Format f = BY_ID.get(id);
        if (f == null) {
            throw new IllegalArgumentException("unknown format id '" + id + "'");
        }
        return f;
    }

    @Override
    public String toString() {
        return id;
    }
}
