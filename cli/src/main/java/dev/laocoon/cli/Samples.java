package dev.laocoon.cli;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipOutputStream;

/**
 * Small, inert samples of every format Laocoon reads, built in memory for {@code selftest}: a
 * check of an installation that every reader works, and the run from which the launcher records
 * its class-data-sharing archive (so that a scan of any format maps its classes instead of
 * loading them). The payloads are {@code echo} commands that are never run.
 */
final class Samples {
    private Samples() {
    }

    /** A protocol-2 pickle calling os.system('echo laocoon-selftest') when loaded. */
    static final byte[] EVIL = ascii("\u0080\u0002cos\nsystem\nX\u0012\u0000\u0000\u0000echo laocoon-selftest\u0085R.");
    /** A protocol-4 pickle of {'a': 1}. */
    static final byte[] DATA = ascii("\u0080\u0004\u0095\t\u0000\u0000\u0000\u0000\u0000\u0000\u0000}\u0094\u008c\u0001aK\u0001s.");

    /**
     * A plain PyTorch checkpoint as torch.save writes it: {'layer.weight': tensor([1., 2.])} in an
     * OrderedDict, rebuilt from a persistent storage reference.
     */
    static byte[] safeCheckpoint() throws IOException {
        String pkl = "\u0080\u0002ccollections\nOrderedDict\n)R(\u008c\u000clayer.weightctorch._utils\n_rebuild_tensor_v2\n(("
                + "\u008c\u0007storagectorch\nFloatStorage\n\u008c\u00010\u008c\u0003cpuJ\u0002\u0000\u0000\u0000tQ"
                + "J\u0000\u0000\u0000\u0000J\u0002\u0000\u0000\u0000\u0085J\u0001\u0000\u0000\u0000\u0085\u0089"
                + "ccollections\nOrderedDict\n)RtRu.";
        byte[] tensor = {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, 0x40};
        return zip(Map.of("archive/data.pkl", ascii(pkl), "archive/byteorder", ascii("little"), "archive/data/0", tensor,
                "archive/version", ascii("3\n")));
    }

    /**
     * Writes the samples into {@code dir}; the map gives each file's name and the format label
     * its scan must report (verdicts are checked by the caller for the first four).
     */
    static Map<String, String> write(Path dir) throws IOException {
        Map<String, String> expected = new LinkedHashMap<>();
        put(dir, expected, "evil.pkl", "pickle", EVIL);
        put(dir, expected, "data.pkl", "pickle", DATA);
        put(dir, expected, "model.pt", "pytorch-zip", zip(Map.of("archive/data.pkl", EVIL)));
        put(dir, expected, "weights.pt", "pytorch-zip", safeCheckpoint());
        put(dir, expected, "large.pkl", "pickle", largePickle());
        put(dir, expected, "data.pkl.gz", "gzip+pickle", gzip(EVIL));
        put(dir, expected, "data.pkl.bz2", "bz2+pickle", compress(EVIL, "bz2"));
        put(dir, expected, "data.pkl.xz", "xz+pickle", compress(EVIL, "xz"));
        put(dir, expected, "data.pkl.zst", "zstd+pickle", compress(EVIL, "zstd"));
        put(dir, expected, "data.pkl.lz4", "lz4+pickle", compress(EVIL, "lz4"));
        put(dir, expected, "data.joblib.z", "pickle", deflate(DATA));
        put(dir, expected, "model.tar", "tar", tar("model/data.pkl", EVIL));
        put(dir, expected, "model.7z", "7z", sevenZip(dir, "data.pkl", EVIL));
        put(dir, expected, "array.npy", "npy", npy("<f4", new byte[8]));
        put(dir, expected, "objects.npy", "npy+npy-object+pickle", npyObject(DATA));
        put(dir, expected, "arrays.npz", "zip", zip(Map.of("a.npy", npy("<f4", new byte[8]))));
        put(dir, expected, "model.safetensors", "safetensors", safetensors());
        put(dir, expected, "model.gguf", "gguf", gguf("{% for m in messages %}{{ m['content'] | trim }}{% endfor %}"));
        put(dir, expected, "model.onnx", "onnx", onnx());
        put(dir, expected, "saved_model.pb", "tf-savedmodel", savedModel());
        put(dir, expected, "keras_metadata.pb", "keras-metadata", kerasMetadata(KERAS_CONFIG));
        put(dir, expected, "model.keras", "keras-v3", zip(Map.of("config.json", ascii(KERAS_CONFIG),
                "metadata.json", ascii("{\"keras_version\": \"3.0.0\"}"))));
        put(dir, expected, "model.json", "keras-json", ascii(KERAS_CONFIG));
        put(dir, expected, "config.json", "json-config",
                ascii("{\"model_type\": \"x\", \"auto_map\": {\"AutoModel\": \"modeling_x.XModel\"}}"));
        put(dir, expected, "tokenizer.json", "json", ascii("{\"version\": \"1.0\", \"added_tokens\": []}"));
        put(dir, expected, "large.bin", "lfs-pointer", ascii("version https://git-lfs.github.com/spec/v1\n"
                + "oid sha256:0000000000000000000000000000000000000000000000000000000000000000\nsize 1\n"));
        put(dir, expected, "README.md", "unknown", ascii("# A model card\n"));
        Path h5 = dir.resolve("model.h5");
        try (io.jhdf.WritableHdfFile f = io.jhdf.HdfFile.write(h5)) {
            f.putAttribute("model_config", KERAS_CONFIG);
            f.putDataset("w", new float[] {1, 2});
        }
        expected.put("model.h5", "hdf5+keras-h5");
        return expected;
    }

    private static final String KERAS_CONFIG = "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", "
            + "\"layers\": [{\"class_name\": \"Dense\", \"config\": {\"units\": 2, \"activation\": \"relu\"}}]}}";

    /** A protocol-4 pickle of 1 MiB of zero bytes (BINBYTES8): large enough for the walk's warm-up. */
    private static byte[] largePickle() {
        int n = 1 << 20;
        ByteArrayOutputStream o = new ByteArrayOutputStream(n + 16);
        o.writeBytes(new byte[] {(byte) 0x80, 4, (byte) 0x8e});
        le(o, n, 8);
        o.writeBytes(new byte[n]);
        o.write('.');
        return o.toByteArray();
    }

    private static void put(Path dir, Map<String, String> expected, String name, String format, byte[] b) throws IOException {
        Files.write(dir.resolve(name), b);
        expected.put(name, format);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A stored zip of the given members (as torch.save writes them), in sorted order. */
    static byte[] zip(Map<String, byte[]> members) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            for (String name : new java.util.TreeSet<>(members.keySet())) {
                byte[] data = members.get(name);
                java.util.zip.ZipEntry e = new java.util.zip.ZipEntry(name);
                CRC32 crc = new CRC32();
                crc.update(data);
                e.setMethod(java.util.zip.ZipEntry.STORED);
                e.setSize(data.length);
                e.setCrc(crc.getValue());
                z.putNextEntry(e);
                z.write(data);
                z.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (OutputStream o = new GZIPOutputStream(b)) {
            o.write(data);
        }
        return b.toByteArray();
    }

    private static byte[] deflate(byte[] data) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (OutputStream o = new DeflaterOutputStream(b)) {
            o.write(data);
        }
        return b.toByteArray();
    }

    private static byte[] compress(byte[] data, String how) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (OutputStream o = switch (how) {
            case "bz2" -> new org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream(b);
            case "xz" -> new org.tukaani.xz.XZOutputStream(b, new org.tukaani.xz.LZMA2Options());
            case "zstd" -> new io.airlift.compress.zstd.ZstdOutputStream(b);
            default -> new org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorOutputStream(b);
        }) {
            o.write(data);
        }
        return b.toByteArray();
    }

    private static byte[] tar(String name, byte[] data) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (org.apache.commons.compress.archivers.tar.TarArchiveOutputStream t =
                     new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(b)) {
            org.apache.commons.compress.archivers.tar.TarArchiveEntry e =
                    new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name);
            e.setSize(data.length);
            t.putArchiveEntry(e);
            t.write(data);
            t.closeArchiveEntry();
        }
        return b.toByteArray();
    }

    private static byte[] sevenZip(Path dir, String name, byte[] data) throws IOException {
        Path f = dir.resolve(".sample.7z");
        try (org.apache.commons.compress.archivers.sevenz.SevenZOutputFile z =
                     new org.apache.commons.compress.archivers.sevenz.SevenZOutputFile(f.toFile())) {
            org.apache.commons.compress.archivers.sevenz.SevenZArchiveEntry e = new org.apache.commons.compress.archivers
                    .sevenz.SevenZArchiveEntry();
            e.setName(name);
            e.setSize(data.length);
            z.putArchiveEntry(e);
            z.write(data);
            z.closeArchiveEntry();
        }
        byte[] b = Files.readAllBytes(f);
        Files.delete(f);
        return b;
    }

    private static byte[] npy(String descr, byte[] data) {
        String header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + data.length / 4 + ",), }";
        header += " ".repeat(63 - (10 + header.length()) % 64) + "\n";
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length(), 0});
        o.writeBytes(ascii(header));
        o.writeBytes(data);
        return o.toByteArray();
    }

    private static byte[] npyObject(byte[] pickle) {
        String header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }";
        header += " ".repeat(63 - (10 + header.length()) % 64) + "\n";
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length(), 0});
        o.writeBytes(ascii(header));
        o.writeBytes(pickle);
        return o.toByteArray();
    }

    private static byte[] safetensors() {
        String h = "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        h += " ".repeat((8 - h.length() % 8) % 8);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        le(o, h.length(), 8);
        o.writeBytes(ascii(h));
        o.writeBytes(new byte[8]);
        return o.toByteArray();
    }

    private static byte[] gguf(String template) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(ascii("GGUF"));
        le(o, 3, 4);
        le(o, 0, 8); // tensors
        le(o, 2, 8); // key-values
        str(o, "general.architecture");
        le(o, 8, 4);
        str(o, "llama");
        str(o, "tokenizer.chat_template");
        le(o, 8, 4);
        str(o, template);
        return o.toByteArray();
    }

    private static void str(ByteArrayOutputStream o, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        le(o, b.length, 8);
        o.writeBytes(b);
    }

    private static void le(ByteArrayOutputStream o, long v, int n) {
        for (int i = 0; i < n; i++) {
            o.write((int) (v >>> (8 * i)) & 0xff);
        }
    }

    private interface Body {
        void write(CodedOutputStream o) throws IOException;
    }

    private static byte[] msg(Body b) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream o = CodedOutputStream.newInstance(bytes);
        b.write(o);
        o.flush();
        return bytes.toByteArray();
    }

    /** ModelProto: ir_version 1, graph 7 (a MatMul node and an initializer with external data). */
    private static byte[] onnx() throws IOException {
        byte[] node = msg(o -> {
            o.writeString(3, "matmul");
            o.writeString(4, "MatMul");
        });
        byte[] tensor = msg(o -> {
            o.writeString(8, "W");
            o.writeBytes(13, ByteString.copyFrom(msg(kv -> {
                kv.writeString(1, "location");
                kv.writeString(2, "weights.bin");
            })));
        });
        byte[] graph = msg(o -> {
            o.writeBytes(1, ByteString.copyFrom(node));
            o.writeString(2, "g");
            o.writeBytes(5, ByteString.copyFrom(tensor));
        });
        return msg(o -> {
            o.writeInt64(1, 8);
            o.writeString(2, "laocoon-selftest");
            o.writeBytes(7, ByteString.copyFrom(graph));
        });
    }

    /** SavedModel: schema version 1, a meta graph whose graph has one MatMul node. */
    private static byte[] savedModel() throws IOException {
        byte[] node = msg(o -> {
            o.writeString(1, "n");
            o.writeString(2, "MatMul");
        });
        byte[] graph = msg(o -> o.writeBytes(1, ByteString.copyFrom(node)));
        byte[] meta = msg(o -> o.writeBytes(2, ByteString.copyFrom(graph)));
        return msg(o -> {
            o.writeInt64(1, 1);
            o.writeBytes(2, ByteString.copyFrom(meta));
        });
    }

    /** keras_metadata.pb: one SavedObject node whose metadata is a layer config. */
    private static byte[] kerasMetadata(String json) throws IOException {
        byte[] node = msg(o -> {
            o.writeInt32(2, 1);
            o.writeString(3, "root.layer-0");
            o.writeString(4, "_tf_keras_layer");
            o.writeString(5, json);
        });
        return msg(o -> o.writeBytes(1, ByteString.copyFrom(node)));
    }
}
