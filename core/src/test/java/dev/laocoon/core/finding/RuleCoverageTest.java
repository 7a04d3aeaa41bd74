package dev.laocoon.core.finding;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every rule, end to end through the scanner: a positive fixture that produces it and a negative
 * twin, the smallest change that makes it go away, on which it is absent. Fixtures are built here
 * with the test builders; every payload is inert ({@code echo}, or no call at all).
 */
class RuleCoverageTest {

    /**
     * Rules with no fixture here, and why. Everything else must have at least one case. (LAO803,
     * symlink-escape, only exists in directory scans: its cases scan a temporary directory.)
     */
    static final Map<Rule, String> EXCLUDED = Map.of(Rule.REMOTE_INCONSISTENT,
            "remote sources only: HttpRangeSourceTest serves objects whose ETag changes, whose Content-Range is wrong"
            + " and whose server stops honouring ranges, and a clean object that gives none");

    /**
     * The one place where a single file is scanned. The scanner's public API is being reworked;
     * only this method should need to follow it.
     */
    private static FileReport scan(byte[] content, String name) {
        return Scanner.builder().build().scan(new ArrayByteSource(content), name);
    }

    // ------------------------------------------------------------------ cases

    /** What a fixture yields: the findings of the scan. */
    @FunctionalInterface
    interface Fixture {
        List<Finding> findings() throws Exception;
    }

    @FunctionalInterface
    interface Content {
        byte[] bytes() throws Exception;
    }

    /**
     * One case of a rule: {@code positive} must produce {@code rule} with {@code severity};
     * {@code negative} must not produce {@code rule} at all.
     */
    record Case(Rule rule, String what, Severity severity, Fixture positive, Fixture negative) {
    }

    /** A case whose fixtures are single files called {@code name}. */
    static Case file(Rule rule, String what, Severity severity, String name, Content positive, Content negative) {
        return new Case(rule, what, severity, () -> scan(positive.bytes(), name).findings(),
                () -> scan(negative.bytes(), name).findings());
    }

    static final byte[] DATA = PickleBuilder.create().proto(2).none().stop().bytes();

    /** A stand-in for marshalled bytecode: short strings as marshal writes them, never a real code object. */
    static final String FAKE_CODE = java.util.Base64.getEncoder().encodeToString(new byte[] {(byte) 0xe3, 0, 0, 0,
        (byte) 0xda, 4, 'e', 'c', 'h', 'o'});

    static final List<Case> CASES = List.of(
            // ---------------------------------------------------------------- pickles
            file(Rule.PICKLE_DANGEROUS_GLOBAL, "os.system('echo hi')", Severity.MALICIOUS, "model.pkl",
                    () -> PickleBuilder.call("os", "system", "echo hi"),
                    () -> PickleBuilder.call("builtins", "str", "echo hi")),
            // the knowledge base grades some dangerous names as suspicious only
            file(Rule.PICKLE_DANGEROUS_GLOBAL, "builtins.print (suspicious in the knowledge base)", Severity.SUSPICIOUS,
                    "model.pkl",
                    () -> PickleBuilder.call("builtins", "print", "echo hi"),
                    () -> PickleBuilder.call("builtins", "str", "echo hi")),
            file(Rule.PICKLE_UNKNOWN_GLOBAL, "mypkg.models.Thing", Severity.SUSPICIOUS, "model.pkl",
                    () -> importOnly("mypkg.models", "Thing"),
                    () -> importOnly("collections", "OrderedDict")),
            file(Rule.PICKLE_LIBRARY_GLOBAL, "sklearn.tree._tree.Tree", Severity.NOTICE, "model.pkl",
                    () -> importOnly("sklearn.tree._tree", "Tree"),
                    () -> importOnly("collections", "OrderedDict")),
            file(Rule.PICKLE_DOTTED_NAME, "dunder component", Severity.MALICIOUS, "model.pkl",
                    () -> stackGlobal("collections", "OrderedDict.__class__"),
                    () -> stackGlobal("collections", "OrderedDict")),
            file(Rule.PICKLE_DOTTED_NAME, "empty component", Severity.SUSPICIOUS, "model.pkl",
                    () -> stackGlobal("collections", "OrderedDict..fromkeys"),
                    () -> stackGlobal("collections", "OrderedDict")),
            file(Rule.PICKLE_BUILD_NON_INSTANCE, "BUILD on a class", Severity.MALICIOUS, "model.pkl",
                    () -> PickleBuilder.create().proto(2).global("collections", "OrderedDict")
                            .emptyDict().build().stop().bytes(),
                    () -> PickleBuilder.create().proto(2).global("collections", "OrderedDict").emptyTuple().reduce()
                            .emptyDict().build().stop().bytes()),
            file(Rule.PICKLE_EXTENSION_CODE, "EXT1", Severity.SUSPICIOUS, "model.pkl",
                    () -> PickleBuilder.create().proto(2).ext1(7).stop().bytes(),
                    () -> PickleBuilder.create().proto(2).none().stop().bytes()),
            file(Rule.PICKLE_EXTENSION_CODE, "EXT1 after the stream writes the registry", Severity.MALICIOUS, "model.pkl",
                    () -> PickleBuilder.create().proto(2).global("copyreg", "add_extension")
                            .str("os").str("system").binint1(7).tuple3().reduce().pop().ext1(7).stop().bytes(),
                    () -> PickleBuilder.create().proto(2).global("copyreg", "add_extension")
                            .str("os").str("system").binint1(7).tuple3().reduce().pop().none().stop().bytes()),
            file(Rule.PICKLE_NESTED_PICKLE, "pickle.loads(embedded bytes)", Severity.MALICIOUS, "model.pkl",
                    () -> callWithBytes("pickle", "loads", DATA),
                    () -> callWithBytes("builtins", "bytes", DATA)),
            // yaml.* is only suspicious in the knowledge base (its safe loaders are data-only)
            file(Rule.PICKLE_NESTED_PICKLE, "yaml.dump (suspicious in the knowledge base)", Severity.SUSPICIOUS,
                    "model.pkl",
                    () -> importOnly("yaml", "dump"),
                    () -> importOnly("builtins", "str")),
            file(Rule.PICKLE_MALFORMED, "invalid opcode", Severity.SUSPICIOUS, "model.pkl",
                    () -> PickleBuilder.create().proto(2).none().raw(0xff).bytes(),
                    () -> PickleBuilder.create().proto(2).none().stop().bytes()),
            file(Rule.PICKLE_TRUNCATED, "no STOP", Severity.SUSPICIOUS, "model.pkl",
                    () -> PickleBuilder.create().proto(2).none().bytes(),
                    () -> PickleBuilder.create().proto(2).none().stop().bytes()),
            file(Rule.PICKLE_FRAME_INCONSISTENCY, "opcode crosses the end of its frame", Severity.SUSPICIOUS, "model.pkl",
                    () -> PickleBuilder.create().proto(4).frame(2).str("ab").stop().bytes(),
                    () -> PickleBuilder.create().proto(4).frame(5).str("ab").stop().bytes()),
            file(Rule.ANALYSIS_INCOMPLETE, "pickles nested four levels deep", Severity.SUSPICIOUS, "model.pkl",
                    () -> nestedLoads(4),
                    () -> nestedLoads(3)),
            file(Rule.PICKLE_TRAILING_DATA, "bytes after STOP", Severity.NOTICE, "model.pkl",
                    () -> PickleBuilder.create().proto(2).none().stop().raw(0xff, 0xfe).bytes(),
                    () -> PickleBuilder.create().proto(2).none().stop().bytes()),
            file(Rule.PICKLE_PERSISTENT_ID, "BINPERSID in a raw pickle", Severity.NOTICE, "model.pkl",
                    () -> PickleBuilder.create().proto(2).str("0").binpersid().stop().bytes(),
                    () -> PickleBuilder.create().proto(2).str("0").stop().bytes()),
            file(Rule.PICKLE_NON_CALLABLE_CALL, "calling a call result", Severity.SUSPICIOUS, "model.pkl",
                    () -> PickleBuilder.create().proto(2).global("collections", "OrderedDict").emptyTuple().reduce()
                            .emptyTuple().reduce().stop().bytes(),
                    () -> PickleBuilder.create().proto(2).global("collections", "OrderedDict").emptyTuple().reduce()
                            .stop().bytes()),
            file(Rule.PICKLE_OUT_OF_BAND_BUFFER, "NEXT_BUFFER", Severity.NOTICE, "model.pkl",
                    () -> PickleBuilder.create().proto(5).nextBuffer().stop().bytes(),
                    () -> PickleBuilder.create().proto(5).none().stop().bytes()),
            file(Rule.PICKLE_LIBRARY_CALL, "a numpy function called", Severity.SUSPICIOUS, "model.pkl",
                    () -> PickleBuilder.create().proto(2).global("numpy.linalg", "norm").emptyTuple().reduce()
                            .stop().bytes(),
                    () -> PickleBuilder.create().proto(2).global("numpy.linalg", "norm").stop().bytes()),
            file(Rule.JOBLIB_SIDE_FILE, "an old joblib wrapper naming /etc/passwd", Severity.MALICIOUS, "model.pkl",
                    () -> PickleBuilder.create().proto(2).global("joblib.numpy_pickle_compat", "NDArrayWrapper").emptyTuple()
                            .newobj().emptyDict().str("filename").str("/etc/passwd").setitem().build().stop().bytes(),
                    () -> PickleBuilder.create().proto(2).global("joblib.numpy_pickle_compat", "NDArrayWrapper").emptyTuple()
                            .newobj().emptyDict().str("filename").str("model.pkl_01.npy").setitem().build().stop().bytes()),
            // ---------------------------------------------------------------- containers
            file(Rule.ZIP_ANOMALY, "encryption flag on data.pkl", Severity.SUSPICIOUS, "pytorch_model.bin",
                    () -> torchZipWithFlags(1),
                    () -> torchZipWithFlags(0)),
            file(Rule.CONTAINER_LIMIT, "nine nested gzip wrappers", Severity.SUSPICIOUS, "model.pkl.gz",
                    () -> gzipTimes(DATA, 9),
                    () -> gzipTimes(DATA, 8)),
            file(Rule.TORCH_PERSISTENT_ID, "storage key naming no member", Severity.SUSPICIOUS, "pytorch_model.bin",
                    () -> ZipBuilder.torchZip(ZipBuilder.torchStateDict("w", "7", 4), 4),
                    () -> ZipBuilder.torchZip(ZipBuilder.torchStateDict("w", "0", 4), 4)),
            file(Rule.TORCH_LEGACY_HEADER, "a global in the protocol-version pickle", Severity.MALICIOUS, "pytorch_model.bin",
                    () -> legacyTorch(PickleBuilder.create().proto(2).global("collections", "OrderedDict").emptyTuple()
                            .reduce().stop().bytes()),
                    () -> legacyTorch(PickleBuilder.create().proto(2).binint2(1001).stop().bytes())),
            file(Rule.TORCHSCRIPT_CODE, "code/ member", Severity.NOTICE, "model.pt",
                    () -> torchZip(true),
                    () -> torchZip(false)),
            // a code/ folder in a zip that is no checkpoint (a source archive) is not TorchScript
            file(Rule.TORCHSCRIPT_CODE, "code/ member of a checkpoint, not of a plain zip", Severity.NOTICE, "model.pt",
                    () -> torchZip(true),
                    () -> new ZipBuilder().add("project/code/train.py", "print(1)\n".getBytes(StandardCharsets.US_ASCII))
                            .bytes()),
            // ---------------------------------------------------------------- Keras
            file(Rule.KERAS_LAMBDA, "Lambda layer in model JSON", Severity.MALICIOUS, "model.json",
                    () -> kerasModel("{\"class_name\": \"Lambda\", \"config\": {\"function\": [\"" + FAKE_CODE
                            + "\", null, null], \"function_type\": \"lambda\"}}"),
                    () -> kerasModel("{\"class_name\": \"Dense\", \"config\": {\"units\": 4}}")),
            file(Rule.KERAS_FOREIGN_OBJECT, "function reference os.system", Severity.MALICIOUS, "model.json",
                    () -> kerasModel("{\"class_name\": \"Dense\", \"config\": {\"units\": 4, \"activation\": "
                            + "{\"module\": \"os\", \"class_name\": \"function\", \"config\": \"system\"}}}"),
                    () -> kerasModel("{\"class_name\": \"Dense\", \"config\": {\"units\": 4, \"activation\": \"relu\"}}")),
            file(Rule.KERAS_FOREIGN_OBJECT, "object from an unknown module", Severity.SUSPICIOUS, "model.json",
                    () -> kerasModel("{\"module\": \"mylib.layers\", \"class_name\": \"Thing\", \"config\": {}}"),
                    () -> kerasModel("{\"module\": \"keras.layers\", \"class_name\": \"Dense\", \"config\": {}}")),
            file(Rule.KERAS_FOREIGN_OBJECT, "custom registered object", Severity.NOTICE, "model.json",
                    () -> kerasModel("{\"module\": \"keras.layers\", \"class_name\": \"Dense\", "
                            + "\"registered_name\": \"Custom>Dense\", \"config\": {}}"),
                    () -> kerasModel("{\"module\": \"keras.layers\", \"class_name\": \"Dense\", "
                            + "\"registered_name\": \"Dense\", \"config\": {}}")),
            file(Rule.KERAS_MALFORMED, "config.json of a .keras archive is not JSON", Severity.SUSPICIOUS, "model.keras",
                    () -> kerasV3("{\"class_name\": \"Sequential\", \"config\": {\"layers\": []}"),
                    () -> kerasV3("{\"class_name\": \"Sequential\", \"config\": {\"layers\": []}}")),
            // ---------------------------------------------------------------- safetensors, GGUF
            file(Rule.SAFETENSORS_INVALID, "shape does not match the span", Severity.SUSPICIOUS, "model.safetensors",
                    () -> safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8),
                    () -> safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8)),
            file(Rule.GGUF_MALFORMED, "metadata key given twice", Severity.SUSPICIOUS, "model.gguf",
                    () -> gguf("general.name", "m", "general.name", "m"),
                    () -> gguf("general.name", "m", "general.basename", "m")),
            file(Rule.GGUF_TEMPLATE, "dunder attribute in the chat template", Severity.MALICIOUS, "model.gguf",
                    () -> gguf("tokenizer.chat_template", "{% for m in messages %}{{ m.__class__ }}{% endfor %}"),
                    () -> gguf("tokenizer.chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}")),
            file(Rule.GGUF_TEMPLATE, "chat template that does not parse", Severity.SUSPICIOUS, "model.gguf",
                    () -> gguf("tokenizer.chat_template", "{% for m in messages %}{{ m.content }}"),
                    () -> gguf("tokenizer.chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}")),
            // ---------------------------------------------------------------- TensorFlow, ONNX
            file(Rule.TF_RISKY_OP, "ReadFile", Severity.MALICIOUS, "saved_model.pb",
                    () -> savedModel("ReadFile"),
                    () -> savedModel("MatMul")),
            file(Rule.TF_RISKY_OP, "MatchingFiles", Severity.SUSPICIOUS, "saved_model.pb",
                    () -> savedModel("MatchingFiles"),
                    () -> savedModel("MatMul")),
            file(Rule.TF_ASSET_ESCAPE, "asset file name /etc/hostname", Severity.MALICIOUS, "saved_model.pb",
                    () -> savedModelWithAsset("/etc/hostname"),
                    () -> savedModelWithAsset("vocab.txt")),
            file(Rule.TF_SAVEDMODEL_MALFORMED, "invalid UTF-8 in a node name", Severity.SUSPICIOUS, "saved_model.pb",
                    () -> savedModel(new byte[] {'n', (byte) 0xff}, "MatMul"),
                    () -> savedModel("MatMul")),
            file(Rule.ONNX_EXTERNAL_DATA, "location leaving the folder", Severity.MALICIOUS, "model.onnx",
                    () -> onnx("", "../../etc/passwd"),
                    () -> onnx("", "weights.bin")),
            file(Rule.ONNX_CUSTOM_DOMAIN, "operator domain com.example", Severity.SUSPICIOUS, "model.onnx",
                    () -> onnx("com.example", null),
                    () -> onnx("ai.onnx", null)),
            // ---------------------------------------------------------------- repositories, files
            file(Rule.REPO_LFS_POINTER, "Git LFS pointer", Severity.SUSPICIOUS, "model.safetensors",
                    () -> lfsPointer("https://git-lfs.github.com/spec/v1"),
                    () -> lfsPointer("https://git-lfs.github.com/spec/v2")),
            file(Rule.REPO_REMOTE_CODE, "auto_map", Severity.NOTICE, "config.json",
                    () -> utf8("{\"model_type\": \"x\", \"auto_map\": {\"AutoModel\": \"modeling_x.XModel\"}}"),
                    () -> utf8("{\"model_type\": \"x\", \"auto_maps\": {\"AutoModel\": \"modeling_x.XModel\"}}")),
            new Case(Rule.REPO_SYMLINK_ESCAPE, "link to a file outside the tree", Severity.SUSPICIOUS,
                    () -> scanTreeWithLink(true, true), () -> scanTreeWithLink(false, true)),
            new Case(Rule.REPO_SYMLINK_ESCAPE, "broken link", Severity.SUSPICIOUS,
                    () -> scanTreeWithLink(false, false), () -> scanTreeWithLink(false, true)),
            new Case(Rule.FILE_UNREADABLE, "a path that is not there any more", Severity.SUSPICIOUS,
                    () -> scanPath(false), () -> scanPath(true)),
            new Case(Rule.FILE_UNREADABLE, "a stream over the spool limit", Severity.SUSPICIOUS,
                    () -> scanStream(65), () -> scanStream(64)),
            file(Rule.FORMAT_UNKNOWN, "truncated JSON", Severity.NOTICE, "tokenizer.json",
                    () -> utf8("[1, 2"),
                    () -> utf8("[1, 2]")));

    /** A file scanned by path: removed before the scan, or still there. */
    private static List<Finding> scanPath(boolean present) throws java.io.IOException {
        java.nio.file.Path f = java.nio.file.Files.createTempFile("laocoon-rule-", ".pkl");
        try {
            java.nio.file.Files.write(f, importOnly("collections", "OrderedDict"));
            if (!present) {
                java.nio.file.Files.delete(f);
            }
            return Scanner.builder().build().scan(f).findings();
        } finally {
            java.nio.file.Files.deleteIfExists(f);
        }
    }

    /** A stream of {@code n} bytes of JSON scanned with a 64-byte spool limit. */
    private static List<Finding> scanStream(int n) {
        byte[] json = new byte[n];
        java.util.Arrays.fill(json, (byte) ' ');
        json[0] = '[';
        json[n - 1] = ']';
        Scanner s = Scanner.builder().limits(dev.laocoon.core.ScanLimits.DEFAULT.withMaxSpoolBytes(64)).build();
        return s.scan(new java.io.ByteArrayInputStream(json), "upload.json").findings();
    }

    // ------------------------------------------------------------------ tests

    @TestFactory
    Stream<DynamicNode> everyRuleHasAPositiveFixtureAndANegativeTwin() {
        Map<Rule, List<Case>> byRule = new EnumMap<>(Rule.class);
        for (Case c : CASES) {
            byRule.computeIfAbsent(c.rule(), r -> new ArrayList<>()).add(c);
        }
        return byRule.entrySet().stream().sorted(Map.Entry.comparingByKey(Comparator.comparing(Rule::id)))
                .map(e -> DynamicContainer.dynamicContainer(e.getKey().id() + " " + e.getKey().slug(),
                        e.getValue().stream().flatMap(RuleCoverageTest::tests)));
    }

    private static Stream<DynamicNode> tests(Case c) {
        return Stream.of(
                DynamicTest.dynamicTest("positive: " + c.what(), () -> {
                    List<Finding> fs = c.positive().findings();
                    assertThat(fs).as("findings of the positive fixture")
                            .anySatisfy(f -> {
                                assertThat(f.rule()).isEqualTo(c.rule());
                                assertThat(f.severity()).isEqualTo(c.severity());
                            });
                }),
                DynamicTest.dynamicTest("negative: " + c.what(), () -> {
                    List<Finding> fs = c.negative().findings();
                    assertThat(fs).as("findings of the negative twin").extracting(Finding::rule).doesNotContain(c.rule());
                }));
    }

    @Test
    void theCoveredRulesAreAllRulesButTheExcludedOnes() {
        Set<Rule> covered = CASES.stream().map(Case::rule).collect(Collectors.toCollection(() -> EnumSet.noneOf(Rule.class)));
        Set<Rule> expected = EnumSet.allOf(Rule.class);
        expected.removeAll(EXCLUDED.keySet());
        assertThat(covered).isEqualTo(expected);
    }

    @Test
    void theDefaultSeverityOfEveryCoveredRuleIsCovered() {
        for (Rule r : CASES.stream().map(Case::rule).collect(Collectors.toSet())) {
            assertThat(CASES.stream().filter(c -> c.rule() == r).map(Case::severity))
                    .as(r.id()).contains(r.defaultSeverity());
        }
    }

    // ------------------------------------------------------------------ pickle fixtures

    static byte[] importOnly(String module, String name) {
        return PickleBuilder.create().proto(2).global(module, name).stop().bytes();
    }

    /** Protocol 4 STACK_GLOBAL: find_class resolves {@code name} attribute by attribute. */
    static byte[] stackGlobal(String module, String name) {
        return PickleBuilder.create().proto(4).str(module).str(name).stackGlobal().stop().bytes();
    }

    static byte[] callWithBytes(String module, String name, byte[] arg) {
        return PickleBuilder.create().proto(2).global(module, name).bytes(arg).tuple1().reduce().stop().bytes();
    }

    /** {@code pickle.loads(pickle.loads(... DATA))}: {@code levels} deserializer calls, one inside the other. */
    static byte[] nestedLoads(int levels) {
        byte[] p = DATA;
        for (int i = 0; i < levels; i++) {
            p = callWithBytes("pickle", "loads", p);
        }
        return p;
    }

    // ------------------------------------------------------------------ container fixtures

    static byte[] torchZipWithFlags(int flags) {
        return new ZipBuilder().addTricky("archive/data.pkl", "archive/data.pkl", ZipBuilder.torchStateDict("w", "0", 4),
                        flags, false)
                .add("archive/data/0", new byte[16]).add("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII))
                .bytes();
    }

    static byte[] torchZip(boolean code) {
        ZipBuilder z = new ZipBuilder().add("archive/data.pkl", ZipBuilder.torchStateDict("w", "0", 1))
                .add("archive/data/0", new byte[4]);
        if (code) {
            z.add("archive/code/__torch__/m.py", "def forward(self):\n    return self\n".getBytes(StandardCharsets.US_ASCII));
        }
        return z.add("archive/constants.pkl", PickleBuilder.create().proto(2).emptyTuple().stop().bytes()).bytes();
    }

    static byte[] gzipTimes(byte[] data, int times) throws IOException {
        byte[] b = data;
        for (int i = 0; i < times; i++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (OutputStream g = new GZIPOutputStream(out)) {
                g.write(b);
            }
            b = out.toByteArray();
        }
        return b;
    }

    /** torch.save's legacy magic number as a LONG1 operand (little-endian). */
    static final byte[] TORCH_MAGIC = {0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19};

    /** Legacy torch.save layout: magic, protocol version, sys info, objects, storage keys, raw bytes. */
    static byte[] legacyTorch(byte[] protocolVersionPickle) {
        return PickleBuilder.create()
                .proto(2).long1(TORCH_MAGIC).stop()
                .raw(protocolVersionPickle)
                .proto(2).emptyDict().str("little_endian").newTrue().setitem().stop()
                .proto(2).global("collections", "OrderedDict").emptyTuple().reduce().stop()
                .proto(2).mark().str("0").list().stop()
                .raw(new byte[64])
                .bytes();
    }

    // ------------------------------------------------------------------ Keras fixtures

    /** {@code model.to_json()} of a Sequential model with one layer. */
    static byte[] kerasModel(String layer) {
        return utf8("{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": [" + layer + "]}}");
    }

    /** A Keras v3 {@code .keras} archive with the given config.json. */
    static byte[] kerasV3(String configJson) {
        return new ZipBuilder().add("metadata.json", utf8("{\"keras_version\": \"3.0.0\"}"))
                .add("config.json", utf8(configJson)).bytes();
    }

    // ------------------------------------------------------------------ safetensors and GGUF fixtures

    /** Header JSON padded with spaces to a multiple of 8, then {@code dataLength} zero bytes. */
    static byte[] safetensors(String header, int dataLength) {
        int pad = (8 - header.length() % 8) % 8;
        byte[] h = utf8(header + " ".repeat(pad));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        le(out, h.length, 8);
        out.writeBytes(h);
        out.writeBytes(new byte[dataLength]);
        return out.toByteArray();
    }

    /** A GGUF v3 file with the given string key-value pairs (key, value, key, value, ...) and no tensor. */
    static byte[] gguf(String... kv) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        le(o, 3, 4);
        le(o, 0, 8);
        le(o, kv.length / 2, 8);
        for (int i = 0; i < kv.length; i += 2) {
            ggufString(o, kv[i]);
            le(o, 8, 4);
            ggufString(o, kv[i + 1]);
        }
        return o.toByteArray();
    }

    static void ggufString(ByteArrayOutputStream o, String s) {
        byte[] b = utf8(s);
        le(o, b.length, 8);
        o.writeBytes(b);
    }

    // ------------------------------------------------------------------ protobuf fixtures

    interface Body {
        void write(CodedOutputStream o) throws IOException;
    }

    static byte[] msg(Body b) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream o = CodedOutputStream.newInstance(bytes);
        b.write(o);
        o.flush();
        return bytes.toByteArray();
    }

    /** An ONNX model: one MatMul node in {@code domain}, one initializer with an optional external location. */
    static byte[] onnx(String domain, String location) throws IOException {
        byte[] node = msg(o -> {
            o.writeString(3, "n0");
            o.writeString(4, "MatMul");
            if (!domain.isEmpty()) {
                o.writeString(7, domain);
            }
        });
        byte[] tensor = msg(o -> {
            o.writeString(8, "W");
            if (location != null) {
                o.writeBytes(13, ByteString.copyFrom(msg(kv -> {
                    kv.writeString(1, "location");
                    kv.writeString(2, location);
                })));
            }
        });
        byte[] graph = msg(o -> {
            o.writeBytes(1, ByteString.copyFrom(node));
            o.writeString(2, "g");
            o.writeBytes(5, ByteString.copyFrom(tensor));
        });
        return msg(o -> {
            o.writeInt64(1, 8);
            o.writeString(2, "test");
            o.writeBytes(7, ByteString.copyFrom(graph));
        });
    }

    /** A SavedModel whose graph has one node with the op {@code op}. */
    static byte[] savedModel(String op) throws IOException {
        return savedModel(new byte[] {'n'}, op);
    }

    /** A SavedModel with a MatMul node and one asset (MetaGraphDef.asset_file_def = 6, filename = 2). */
    static byte[] savedModelWithAsset(String filename) throws IOException {
        byte[] node = msg(o -> {
            o.writeString(1, "n");
            o.writeString(2, "MatMul");
        });
        byte[] graph = msg(o -> o.writeBytes(1, ByteString.copyFrom(node)));
        byte[] meta = msg(o -> {
            o.writeBytes(2, ByteString.copyFrom(graph));
            o.writeBytes(6, ByteString.copyFrom(msg(a -> a.writeString(2, filename))));
        });
        return msg(o -> {
            o.writeInt64(1, 1);
            o.writeBytes(2, ByteString.copyFrom(meta));
        });
    }

    /** A SavedModel with one node whose name is the raw bytes {@code name}. */
    static byte[] savedModel(byte[] name, String op) throws IOException {
        byte[] node = msg(o -> {
            o.writeBytes(1, ByteString.copyFrom(name));
            o.writeString(2, op);
        });
        byte[] graph = msg(o -> o.writeBytes(1, ByteString.copyFrom(node)));
        byte[] meta = msg(o -> o.writeBytes(2, ByteString.copyFrom(graph)));
        return msg(o -> {
            o.writeInt64(1, 1);
            o.writeBytes(2, ByteString.copyFrom(meta));
        });
    }

    // ------------------------------------------------------------------ repository fixtures

    static byte[] lfsPointer(String spec) {
        return utf8("version " + spec + "\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
                + "size 12345\n");
    }

    /**
     * A directory scan of {@code tree/} holding {@code model.safetensors}, a symbolic link to a
     * plain pickle that is either outside the tree ({@code outside}) or inside it, or (when
     * {@code targetExists} is false) that does not exist. Returns the findings of all files.
     */
    static List<Finding> scanTreeWithLink(boolean outside, boolean targetExists) throws IOException {
        Path base = Files.createTempDirectory("laocoon-rules");
        try {
            Path tree = Files.createDirectories(base.resolve("tree"));
            Path target = outside ? base.resolve("elsewhere.pkl") : tree.resolve("weights.pkl");
            if (targetExists) {
                Files.write(target, DATA);
            }
            Files.createSymbolicLink(tree.resolve("model.pkl"), target);
            ScanReport r = Scanner.builder().build().scan(List.of(tree));
            List<Finding> all = new ArrayList<>();
            for (FileReport f : r.files()) {
                all.addAll(f.findings());
            }
            return all;
        } finally {
            try (Stream<Path> s = Files.walk(base)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    // ------------------------------------------------------------------ bytes

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void le(ByteArrayOutputStream o, long v, int n) {
        for (int i = 0; i < n; i++) {
            o.write((int) (v >>> (8 * i)) & 0xff);
        }
    }
}
