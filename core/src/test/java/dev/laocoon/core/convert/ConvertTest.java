package dev.laocoon.core.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.laocoon.core.internal.format.SafetensorsValidator;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.source.FileByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvertTest {
    @TempDir
    Path dir;

    private final Converter converter = new Converter(Scanner.builder().build(), null);

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    Path file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    /** The output's tensors by name: dtype, shape and bytes, after checking the file with Laocoon's validator. */
    static Map<String, Object[]> read(Path file) throws Exception {
        try (FileByteSource src = new FileByteSource(file)) {
            assertThat(SafetensorsValidator.validate(src).problems()).isEmpty();
            SafetensorsFile sf = SafetensorsFile.read(src);
            Map<String, Object[]> out = new LinkedHashMap<>();
            for (var t : sf.tensors()) {
                byte[] b = new byte[(int) (t.end() - t.begin())];
                src.readFully(sf.dataStart() + t.begin(), b, 0, b.length);
                out.put(t.name(), new Object[] {t.dtype(), t.shape(), b});
            }
            return out;
        }
    }

    static Converter.Options options() {
        return Converter.Options.defaults();
    }

    static Converter.Options keepCopies() {
        return new Converter.Options(null, 0, true, true, false, false, false);
    }

    // ------------------------------------------------------------------ dtypes and layout

    @Test
    void everyDtypeRoundTripsAndTheHeaderIsInReferenceOrder() throws Exception {
        CheckpointBuilder b = new CheckpointBuilder();
        int i = 0;
        for (DType d : DType.values()) {
            b.storage("s" + i, d.storageClass(), d.size(), random(6 * d.size(), i)).whole("t_" + d.name(), "s" + i, 2, 3);
            i++;
        }
        Path in = file("all.pt", b.zip("little"));
        Path out = dir.resolve("all.safetensors");
        var r = converter.convert(in, out, new Converter.Options(null, 0, false, true, false, false, false));
        assertThat(r.tensors()).isEqualTo(DType.values().length);
        assertThat(r.verified()).isTrue();
        Map<String, Object[]> got = read(out);
        i = 0;
        for (DType d : DType.values()) {
            Object[] t = got.get("t_" + d.name());
            assertThat(t[0]).isEqualTo(d.name());
            assertThat((long[]) t[1]).containsExactly(2, 3);
            assertThat((byte[]) t[2]).isEqualTo(random(6 * d.size(), i++));
        }
        // largest alignment first, as the reference enum orders them: U64, I64, F64, F32, ...
        assertThat(got.keySet()).startsWith("t_U64", "t_I64", "t_F64", "t_F32", "t_U32", "t_I32", "t_BF16")
                .endsWith("t_I8", "t_U8", "t_BOOL");
    }

    @Test
    void headerIsByteIdenticalToTheReferenceWriter() {
        Storage s8 = new Storage("a", DType.I64, new dev.laocoon.core.source.ArrayByteSource(new byte[8]), false);
        Storage s4 = new Storage("b", DType.F32, new dev.laocoon.core.source.ArrayByteSource(new byte[12]), false);
        var entries = SafetensorsWriter.order(List.of(
                new SafetensorsWriter.Entry("b\"q", new TensorRef(DType.F32, new long[] {2}, new long[] {1}, 0, s4)),
                new SafetensorsWriter.Entry("c", new TensorRef(DType.F32, new long[] {}, new long[] {}, 2, s4)),
                new SafetensorsWriter.Entry("a", new TensorRef(DType.I64, new long[] {1}, new long[] {1}, 0, s8))));
        byte[] h = SafetensorsWriter.header(entries, Map.of("format", "pt"));
        String json = "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"b\\\"q\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"c\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[16,20]}}";
        int padded = (json.length() + 7) / 8 * 8;
        assertThat(ByteBuffer.wrap(h, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong()).isEqualTo(padded);
        assertThat(new String(h, 8, h.length - 8, StandardCharsets.UTF_8))
                .isEqualTo(json + " ".repeat(padded - json.length()));
    }

    @Test
    void namesSortByUtf8BytesAndControlCharactersAreEscapedLikeSerdeJson() {
        Storage s = new Storage("a", DType.U8, new dev.laocoon.core.source.ArrayByteSource(new byte[1]), false);
        TensorRef t = new TensorRef(DType.U8, new long[] {1}, new long[] {1}, 0, s);
        var entries = SafetensorsWriter.order(List.of(new SafetensorsWriter.Entry("\uD83D\uDE00", t),
                new SafetensorsWriter.Entry("\uFF21", t), new SafetensorsWriter.Entry("x\u0001", t)));
        // U+FF21 sorts before U+1F600 in UTF-8 (and in Rust), after it in UTF-16
        assertThat(entries.stream().map(SafetensorsWriter.Entry::name)).containsExactly("x\u0001", "\uFF21", "\uD83D\uDE00");
        String json = SafetensorsWriter.headerJson(SafetensorsWriter.header(entries, Map.of()));
        assertThat(json).startsWith("{\"x\\u0001\":");
    }

    @Test
    void viewsStridesAndOffsetsBecomeContiguousCopies() throws Exception {
        float[] v = new float[12];
        for (int k = 0; k < 12; k++) {
            v[k] = k;
        }
        CheckpointBuilder b = new CheckpointBuilder().storage("0", "FloatStorage", 4, floats(v))
                .whole("m", "0", 3, 4)
                .tensor("transposed", "0", 0, new long[] {4, 3}, new long[] {1, 4})
                .tensor("row", "0", 4, new long[] {4}, new long[] {1})
                .tensor("column", "0", 1, new long[] {3}, new long[] {4})
                .tensor("stepped", "0", 0, new long[] {2, 2}, new long[] {8, 2});
        Path in = file("views.pt", b.zip(null));
        Path out = dir.resolve("views.safetensors");
        converter.convert(in, out, keepCopies());
        Map<String, Object[]> got = read(out);
        assertThat((byte[]) got.get("m")[2]).isEqualTo(floats(v));
        assertThat((byte[]) got.get("transposed")[2]).isEqualTo(floats(0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11));
        assertThat((byte[]) got.get("row")[2]).isEqualTo(floats(4, 5, 6, 7));
        assertThat((byte[]) got.get("column")[2]).isEqualTo(floats(1, 5, 9));
        assertThat((byte[]) got.get("stepped")[2]).isEqualTo(floats(0, 2, 8, 10));
        assertThat((long[]) got.get("transposed")[1]).containsExactly(4, 3);
    }

    @Test
    void largeStridedViewIsGatheredFromAMappedFile() throws Exception {
        int rows = 4100;
        int cols = 4100; // 67 MB of float storage: over the in-memory span
        byte[] data = new byte[rows * cols * 4];
        ByteBuffer bb = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < rows * cols; k++) {
            bb.putFloat(k);
        }
        CheckpointBuilder b = new CheckpointBuilder().storage("0", "FloatStorage", 4, data)
                .tensor("t", "0", 0, new long[] {cols, rows}, new long[] {1, cols}).whole("m", "0", rows, cols);
        Path in = file("big.pt", b.zip(null));
        Path out = dir.resolve("big.safetensors");
        // the contiguous copy goes in 64 MB pieces written by several threads; --verify re-reads all of it
        var r = converter.convert(in, out, keepCopies());
        assertThat(r.verified()).isTrue();
        Map<String, Object[]> all = read(out);
        assertThat((byte[]) all.get("m")[2]).isEqualTo(data);
        byte[] got = (byte[]) all.get("t")[2];
        ByteBuffer g = ByteBuffer.wrap(got).order(ByteOrder.LITTLE_ENDIAN);
        for (int probe : new int[] {0, 1, 4099, 4100, 8_000_000, rows * cols - 1}) {
            int row = probe / rows;
            int col = probe % rows;
            assertThat(g.getFloat(probe * 4)).isEqualTo((float) (col * cols + row));
        }
    }

    // ------------------------------------------------------------------ shared storages

    @Test
    void tiedTensorsAreWrittenOnceAndReportedAsAliases() throws Exception {
        CheckpointBuilder b = new CheckpointBuilder().storage("0", "FloatStorage", 4, floats(1, 2, 3, 4))
                .whole("lm_head.weight", "0", 2, 2).whole("embed.weight", "0", 2, 2)
                .storage("1", "FloatStorage", 4, floats(9)).whole("bias", "1", 1);
        Path in = file("tied.pt", b.zip(null));
        Path out = dir.resolve("tied.safetensors");
        var r = converter.convert(in, out, options());
        assertThat(r.aliases()).containsExactly(new Converter.Alias("lm_head.weight", "embed.weight"));
        try (FileByteSource src = new FileByteSource(out)) {
            SafetensorsFile sf = SafetensorsFile.read(src);
            assertThat(sf.tensors().stream().map(SafetensorsFile.Tensor::name)).containsExactlyInAnyOrder("embed.weight", "bias");
            assertThat(sf.metadata()).containsExactly(Map.entry("format", "pt"), Map.entry("lm_head.weight", "embed.weight"));
        }
        Path copies = dir.resolve("copies.safetensors");
        converter.convert(in, copies, keepCopies());
        assertThat(read(copies)).containsOnlyKeys("lm_head.weight", "embed.weight", "bias");
    }

    @Test
    void sharedStorageThatNoTensorCoversIsRefusedWithTheWayOut() throws Exception {
        CheckpointBuilder b = new CheckpointBuilder().storage("0", "FloatStorage", 4, floats(1, 2, 3, 4))
                .tensor("a", "0", 0, new long[] {3}, new long[] {1}).tensor("b", "0", 1, new long[] {3}, new long[] {1});
        Path in = file("overlap.pt", b.zip(null));
        assertThatThrownBy(() -> converter.convert(in, dir.resolve("o.safetensors"), options()))
                .isInstanceOf(ConvertException.class).hasMessageContaining("--keep-shared-copies");
        assertThat(dir.resolve("o.safetensors")).doesNotExist();
        converter.convert(in, dir.resolve("o.safetensors"), keepCopies());
        assertThat((byte[]) read(dir.resolve("o.safetensors")).get("b")[2]).isEqualTo(floats(2, 3, 4));
    }

    @Test
    void disjointTensorsInOneStorageAreNotAliases() throws Exception {
        CheckpointBuilder b = new CheckpointBuilder().storage("0", "FloatStorage", 4, floats(1, 2, 3, 4))
                .tensor("a", "0", 0, new long[] {2}, new long[] {1}).tensor("b", "0", 2, new long[] {2}, new long[] {1});
        Path in = file("disjoint.pt", b.zip(null));
        var r = converter.convert(in, dir.resolve("d.safetensors"), options());
        assertThat(r.aliases()).isEmpty();
        assertThat((byte[]) read(dir.resolve("d.safetensors")).get("b")[2]).isEqualTo(floats(3, 4));
    }

    // ------------------------------------------------------------------ legacy and byte order

    @Test
    void legacyLayoutWithViewsRoundTrips() throws Exception {
        CheckpointBuilder b = new CheckpointBuilder().storage("100", "FloatStorage", 4, floats(0, 1, 2, 3, 4, 5))
                .whole("w", "100", 2, 3)
                .viewTensor("v", "100", "101", 2L, 3L, 1, new long[] {2}, new long[] {1})
                .storage("200", "LongStorage", 8, random(16, 3)).whole("n", "200", 2);
        Path in = file("legacy.bin", b.legacy(false));
        Path out = dir.resolve("legacy.safetensors");
        converter.convert(in, out, keepCopies());
        Map<String, Object[]> got = read(out);
        assertThat((byte[]) got.get("w")[2]).isEqualTo(floats(0, 1, 2, 3, 4, 5));
        assertThat((byte[]) got.get("v")[2]).isEqualTo(floats(3, 4));
        assertThat((byte[]) got.get("n")[2]).isEqualTo(random(16, 3));
    }

    static byte[] bigEndianFloats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.BIG_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    @Test
    void bigEndianLegacyStoragesAreByteSwapped() throws Exception {
        CheckpointBuilder b = new CheckpointBuilder().storage("1", "FloatStorage", 4, bigEndianFloats(1.5f, -2f, 3.25f))
                .tensor("w", "1", 0, new long[] {3}, new long[] {1})
                .tensor("w_t", "1", 0, new long[] {1, 3}, new long[] {3, 1})
                .storage("2", "ByteStorage", 1, new byte[] {1, 2, 3}).whole("u", "2", 3);
        Path in = file("be.bin", b.legacy(true));
        Path out = dir.resolve("be.safetensors");
        converter.convert(in, out, keepCopies());
        Map<String, Object[]> got = read(out);
        assertThat((byte[]) got.get("w")[2]).isEqualTo(floats(1.5f, -2f, 3.25f));
        assertThat((byte[]) got.get("w_t")[2]).isEqualTo(floats(1.5f, -2f, 3.25f));
        assertThat((byte[]) got.get("u")[2]).containsExactly(1, 2, 3);
    }

    @Test
    void bigEndianZipByteorderRecordIsHonoured() throws Exception {
        CheckpointBuilder b = new CheckpointBuilder().storage("0", "FloatStorage", 4, bigEndianFloats(7f, 8f, 9f, 10f))
                .tensor("t", "0", 0, new long[] {2, 2}, new long[] {1, 2});
        Path out = dir.resolve("bez.safetensors");
        converter.convert(file("bez.pt", b.zip("big")), out, options());
        assertThat((byte[]) read(out).get("t")[2]).isEqualTo(floats(7, 9, 8, 10));
    }

    // ------------------------------------------------------------------ sharding

    @Test
    void shardsFollowHuggingFaceLayout() throws Exception {
        CheckpointBuilder b = new CheckpointBuilder();
        for (int k = 0; k < 4; k++) {
            b.storage("" + k, "FloatStorage", 4, random(40, k)).whole("layer." + k + ".weight", "" + k, 10);
        }
        b.storage("big", "FloatStorage", 4, random(400, 9)).whole("embed", "big", 100);
        Path in = file("sharded.pt", b.zip(null));
        Path out = dir.resolve("model.safetensors");
        var r = converter.convert(in, out, new Converter.Options(null, 100, false, true, false, false, false));
        // 40+40 fit in 100; the third starts a new shard; the 400-byte tensor gets its own, which
        // huggingface_hub's split appends before the shard still being filled
        assertThat(r.files()).extracting(p -> p.getFileName().toString()).containsExactly(
                "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors");
        assertThat(out).doesNotExist();
        assertThat(read(r.files().get(0))).containsOnlyKeys("layer.0.weight", "layer.1.weight");
        assertThat(read(r.files().get(1))).containsOnlyKeys("embed");
        assertThat(read(r.files().get(2))).containsOnlyKeys("layer.2.weight", "layer.3.weight");
        assertThat(Files.readString(dir.resolve("model.safetensors.index.json"))).isEqualTo("""
                {
                  "metadata": {
                    "total_size": 560
                  },
                  "weight_map": {
                    "embed": "model-00002-of-00003.safetensors",
                    "layer.0.weight": "model-00001-of-00003.safetensors",
                    "layer.1.weight": "model-00001-of-00003.safetensors",
                    "layer.2.weight": "model-00003-of-00003.safetensors",
                    "layer.3.weight": "model-00003-of-00003.safetensors"
                  }
                }
                """);
    }

    // ------------------------------------------------------------------ safety

    static CheckpointBuilder withPayload() {
        return new CheckpointBuilder().storage("0", "FloatStorage", 4, floats(1, 2)).whole("w", "0", 2)
                .extra(p -> p.str("x").global("os", "system").str("echo pwned").tuple1().reduce());
    }

    @Test
    void maliciousCheckpointIsRefusedAndForceCopiesOnlyTensors() throws Exception {
        Path in = file("evil.pt", withPayload().zip(null));
        Path out = dir.resolve("evil.safetensors");
        assertThatThrownBy(() -> converter.convert(in, out, options())).isInstanceOf(ConvertException.class)
                .hasMessageContaining("malicious").hasMessageContaining("--force");
        assertThat(out).doesNotExist();
        var r = converter.convert(in, out, new Converter.Options(null, 0, false, true, true, false, false));
        assertThat(read(out)).containsOnlyKeys("w");
        assertThat(r.notes()).anyMatch(n -> n.contains("malicious")).anyMatch(n -> n.contains("'x'") && n.contains("os.system"));
    }

    @Test
    void failuresLeaveNothingBehind() throws Exception {
        byte[] zip = new CheckpointBuilder().storage("0", "FloatStorage", 4, floats(1, 2, 3)).whole("w", "0", 4).zip(null);
        Path in = file("short.pt", zip);
        assertThatThrownBy(() -> converter.convert(in, dir.resolve("short.safetensors"), options()))
                .isInstanceOf(ConvertException.class).hasMessageContaining("reads past the end");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("short.pt");
        }
    }

    @Test
    void existingOutputIsKeptUnlessOverwriteIsGiven() throws Exception {
        Path in = file("w.pt", new CheckpointBuilder().storage("0", "FloatStorage", 4, floats(1)).whole("w", "0", 1).zip(null));
        Path out = file("w.safetensors", "precious".getBytes());
        assertThatThrownBy(() -> converter.convert(in, out, options())).hasMessageContaining("--overwrite");
        assertThat(Files.readString(out)).isEqualTo("precious");
        converter.convert(in, out, new Converter.Options(null, 0, false, false, false, true, false));
        assertThat(read(out)).containsOnlyKeys("w");
    }

    @Test
    void verificationNoticesAChangedByte() throws Exception {
        Storage s = new Storage("0", DType.F32, new dev.laocoon.core.source.ArrayByteSource(floats(1, 2)), false);
        var entries = List.of(new SafetensorsWriter.Entry("w", new TensorRef(DType.F32, new long[] {2}, new long[] {1}, 0, s)));
        Path out = dir.resolve("v.safetensors");
        SafetensorsWriter.write(out, entries, Map.of("format", "pt"), 2);
        Converter.verify(out, entries, Map.of("format", "pt"), new byte[16]);
        byte[] b = Files.readAllBytes(out);
        b[b.length - 1] ^= 1;
        Files.write(out, b);
        assertThatThrownBy(() -> Converter.verify(out, entries, Map.of("format", "pt"), new byte[16]))
                .isInstanceOf(ConvertException.class).hasMessageContaining("'w'");
    }

    @Test
    void unsupportedTensorsFailUnlessSkipped() throws Exception {
        Path in = file("c.pt", new CheckpointBuilder().storage("0", "ComplexFloatStorage", 8, new byte[16])
                .whole("z", "0", 2).storage("1", "FloatStorage", 4, floats(1)).whole("w", "1", 1).zip(null));
        assertThatThrownBy(() -> converter.convert(in, dir.resolve("c.safetensors"), options()))
                .hasMessageContaining("'z'").hasMessageContaining("ComplexFloatStorage").hasMessageContaining("--skip-unsupported");
        var r = converter.convert(in, dir.resolve("c.safetensors"), new Converter.Options(null, 0, false, false, false, false, true));
        assertThat(r.tensors()).isEqualTo(1);
        assertThat(r.notes()).anyMatch(n -> n.contains("'z'"));
    }

    @Test
    void expandedViewsThatWouldMultiplyTheDataAreNotConverted() throws Exception {
        Path in = file("expanded.pt", new CheckpointBuilder().storage("0", "FloatStorage", 4, floats(1))
                .tensor("e", "0", 0, new long[] {1 << 30, 1 << 20}, new long[] {0, 0}).zip(null));
        assertThatThrownBy(() -> converter.convert(in, dir.resolve("e.safetensors"), options()))
                .hasMessageContaining("repeats elements");
    }

    @Test
    void manyCopiesOfOneStorageAreNotWritten() throws Exception {
        CheckpointBuilder b = new CheckpointBuilder().storage("0", "ByteStorage", 1, new byte[1 << 20]);
        for (int k = 0; k < 400; k++) {
            b.whole("t" + k, "0", 1 << 20);
        }
        Path in = file("amplify.pt", b.zip(null));
        // as aliases it is one tensor; as copies it would be 400 MB from a 1 MB file
        assertThat(converter.convert(in, dir.resolve("a.safetensors"), options()).aliases()).hasSize(399);
        assertThatThrownBy(() -> converter.convert(in, dir.resolve("c.safetensors"), keepCopies()))
                .hasMessageContaining("refusing");
        assertThat(dir.resolve("c.safetensors")).doesNotExist();
    }

    @Test
    void intAndStringKeysThatWouldShareANameAreRefused() throws Exception {
        Path in = file("keys.pt", new CheckpointBuilder().storage("0", "FloatStorage", 4, floats(1)).whole("1", "0", 1)
                .extra(p -> p.binint(1).none()).zip(null));
        assertThatThrownBy(() -> converter.convert(in, dir.resolve("k.safetensors"), options()))
                .hasMessageContaining("int key 1").hasMessageContaining("string key '1'");
    }

    // ------------------------------------------------------------------ choosing the state dict

    static byte[] checkpointDict() {
        byte[] sd = new CheckpointBuilder().storage("0", "FloatStorage", 4, floats(1, 2)).whole("w", "0", 2).pickle(false);
        // {"model": <state dict>, "ema": <state dict>, "epoch": 3}: splice the state dict pickle body in twice
        byte[] body = Arrays.copyOfRange(sd, 2, sd.length - 1);
        PickleBuilder p = PickleBuilder.create().proto(2).emptyDict().mark().str("model").raw(body).str("ema").raw(body)
                .str("epoch").binint(3).setitems().stop();
        return new dev.laocoon.core.testutil.ZipBuilder().add("archive/data.pkl", p.bytes())
                .add("archive/data/0", floats(1, 2)).bytes();
    }

    @Test
    void ambiguousCheckpointListsTheCandidateKeys() throws Exception {
        Path in = file("ck.pt", checkpointDict());
        assertThatThrownBy(() -> converter.convert(in, dir.resolve("ck.safetensors"), options()))
                .hasMessageContaining("--key").hasMessageContaining("model (1 tensors)").hasMessageContaining("ema (1 tensors)");
        var r = converter.convert(in, dir.resolve("ck.safetensors"), new Converter.Options("ema", 0, false, true, false, false, false));
        assertThat(r.tensors()).isEqualTo(1);
        assertThatThrownBy(() -> converter.convert(in, dir.resolve("x.safetensors"),
                new Converter.Options("epoch", 0, false, false, false, false, false))).hasMessageContaining("int 3");
    }

    // ------------------------------------------------------------------ NumPy

    static byte[] npy(String descr, boolean fortran, String shape, byte[] data) {
        String header = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
        int total = 10 + header.length() + 1;
        header += " ".repeat((64 - total % 64) % 64) + "\n";
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(dev.laocoon.core.internal.format.numpy.NpyHeader.magic());
        o.write(1);
        o.write(0);
        o.write(header.length() & 0xff);
        o.write(header.length() >> 8);
        o.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        o.writeBytes(data);
        return o.toByteArray();
    }

    @Test
    void numpyArraysConvertInCOrderAndLittleEndian() throws Exception {
        Path c = file("weights.npy", npy("<f4", false, "(2, 2)", floats(1, 2, 3, 4)));
        converter.convert(c, dir.resolve("c.safetensors"), options());
        assertThat(read(dir.resolve("c.safetensors"))).containsOnlyKeys("weights");
        Path f = file("f.npy", npy("<f4", true, "(2, 3)", floats(1, 4, 2, 5, 3, 6)));
        converter.convert(f, dir.resolve("f.safetensors"), options());
        assertThat((byte[]) read(dir.resolve("f.safetensors")).get("f")[2]).isEqualTo(floats(1, 2, 3, 4, 5, 6));
        Path be = file("be.npy", npy(">f4", false, "(3,)", bigEndianFloats(1, 2, 3)));
        converter.convert(be, dir.resolve("be.safetensors"), options());
        assertThat((byte[]) read(dir.resolve("be.safetensors")).get("be")[2]).isEqualTo(floats(1, 2, 3));
    }

    @Test
    void npzMembersStoredOrDeflatedBecomeTensorsAndObjectArraysAreLeftOut() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (var z = new java.util.zip.ZipOutputStream(bytes)) {
            z.putNextEntry(new java.util.zip.ZipEntry("a.npy"));
            z.write(npy("<i8", false, "(2,)", random(16, 1)));
            z.closeEntry();
            z.putNextEntry(new java.util.zip.ZipEntry("b.npy"));
            z.write(npy("|u1", false, "()", new byte[] {42}));
            z.closeEntry();
            z.putNextEntry(new java.util.zip.ZipEntry("o.npy"));
            z.write(npy("|O", false, "(1,)", PickleBuilder.create().proto(2).emptyList().stop().bytes()));
            z.closeEntry();
        }
        Path in = file("arrays.npz", bytes.toByteArray());
        var r = converter.convert(in, dir.resolve("n.safetensors"), new Converter.Options(null, 0, false, true, false, false, false));
        Map<String, Object[]> got = read(dir.resolve("n.safetensors"));
        assertThat(got).containsOnlyKeys("a", "b");
        assertThat((byte[]) got.get("a")[2]).isEqualTo(random(16, 1));
        assertThat((long[]) got.get("b")[1]).isEmpty();
        assertThat(r.notes()).anyMatch(n -> n.contains("'o'") && n.contains("object array"));
    }

    // ------------------------------------------------------------------ hostile structure

    /** Each level is a dict holding the level below twice (by memo): 60 levels unfold to 2^60 entries. */
    static CheckpointBuilder sharedDicts(CheckpointBuilder b, int levels) {
        return b.extra(p -> {
            p.str("nested").emptyDict().put(0).pop();
            for (int i = 1; i <= levels; i++) {
                p.emptyDict().mark().str("a").get(i - 1).str("b").get(i - 1).setitems().put(i);
                if (i < levels) {
                    p.pop();
                }
            }
        });
    }

    @Test
    void objectsSharedByMemoAreResolvedOnceAndCyclesEnd() throws Exception {
        CheckpointBuilder b = sharedDicts(new CheckpointBuilder().storage("0", "FloatStorage", 4, floats(1, 2))
                .whole("w", "0", 2), 60).extra(p -> p.str("cycle").emptyDict().put(100).mark()
                        .str("a").get(100).str("b").get(100).setitems());
        Path zip = file("dag.pt", b.zip(null));
        Path legacy = file("dag-legacy.pt", b.legacy(false));
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> {
            for (Path in : List.of(zip, legacy)) {
                Path out = dir.resolve(in.getFileName() + ".safetensors");
                var r = converter.convert(in, out, options());
                assertThat(read(out)).containsOnlyKeys("w");
                assertThat(r.notes()).anyMatch(n -> n.contains("'nested'")).anyMatch(n -> n.contains("'cycle'"));
                try (FileByteSource src = new FileByteSource(in); TempFiles temps = new TempFiles(dir)) {
                    Node.Mapping root = (Node.Mapping) Converter.load(src, "dag.pt", temps).root();
                    Node.Mapping cycle = (Node.Mapping) root.entries().get("cycle");
                    assertThat(cycle.entries().get("a")).isInstanceOf(Node.Other.class);
                    Node.Mapping nested = (Node.Mapping) root.entries().get("nested");
                    assertThat(nested.entries().get("a")).isSameAs(nested.entries().get("b"));
                }
            }
        });
    }

    /**
     * torch's legacy loader keeps a storage view under its view key: views whose keys differ only
     * after many characters are different views, and a view key seen again gives the first view.
     */
    @Test
    void legacyViewsAreKeptByTheirFullViewKeyAsTorchDoes() throws Exception {
        String k = "9".repeat(100);
        CheckpointBuilder b = new CheckpointBuilder().storage("100", "FloatStorage", 4, floats(0, 1, 2, 3, 4, 5))
                .viewTensor("a", "100", k + "1", 0L, 2L, 0, new long[] {2}, new long[] {1})
                .viewTensor("b", "100", k + "2", 2L, 2L, 0, new long[] {2}, new long[] {1})
                .viewTensor("c", "100", k + "1", 4L, 2L, 0, new long[] {2}, new long[] {1});
        Path in = file("views.bin", b.legacy(false));
        Path out = dir.resolve("views.safetensors");
        converter.convert(in, out, keepCopies());
        Map<String, Object[]> got = read(out);
        assertThat((byte[]) got.get("a")[2]).isEqualTo(floats(0, 1));
        assertThat((byte[]) got.get("b")[2]).isEqualTo(floats(2, 3));
        assertThat((byte[]) got.get("c")[2]).isEqualTo(floats(0, 1)); // torch: deserialized_objects[view_key]
    }

    @Test
    void legacyViewWhoseByteRangeOverflowsIsRefused() throws Exception {
        // (2^61 - 1 + 1) * 8 bytes wraps to 0 in 64 bits; the view would start 8 bytes before its storage
        CheckpointBuilder b = new CheckpointBuilder().storage("100", "DoubleStorage", 8, random(32, 5))
                .viewTensor("v", "100", "101", (1L << 61) - 1, 1L, 0, new long[] {1}, new long[] {1});
        Path in = file("overflow.bin", b.legacy(false));
        assertThatThrownBy(() -> converter.convert(in, dir.resolve("o.safetensors"), keepCopies()))
                .isInstanceOf(ConvertException.class).hasMessageContaining("outside its storage");
    }

    /** A deflated member that inflates far beyond what any output may hold is not spooled to disk. */
    @Test
    void deflatedMembersInflatingBeyondTheOutputBoundAreStoppedEarly() throws Exception {
        byte[] header = npy("|u1", false, "(100000000,)", new byte[0]);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (var z = new java.util.zip.ZipOutputStream(bytes)) {
            z.putNextEntry(new java.util.zip.ZipEntry("big.npy"));
            z.write(header);
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 100_000_000 / zeros.length; i++) {
                z.write(zeros);
            }
            z.write(zeros, 0, 100_000_000 % zeros.length);
            z.closeEntry();
        }
        Path in = file("bomb.npz", bytes.toByteArray());
        assertThat(Files.size(in)).isLessThan(1 << 20);
        assertThatThrownBy(() -> converter.convert(in, dir.resolve("bomb.safetensors"), options()))
                .isInstanceOf(ConvertException.class).hasMessageContaining("scratch");
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).containsExactly(in);
        }
    }
}
