package dev.laocoon.core.internal.format;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.source.ArrayByteSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** ONNX models and SavedModels written field by field with protobuf's CodedOutputStream. */
class ProtoModelsTest {

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

    static byte[] onnxNode(String op, String domain) throws IOException {
        return msg(o -> {
            o.writeString(3, op.toLowerCase());
            o.writeString(4, op);
            if (!domain.isEmpty()) {
                o.writeString(7, domain);
            }
        });
    }

    static byte[] onnx(byte[] node, String location) throws IOException {
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

    static byte[] savedModel(String op, boolean inFunction) throws IOException {
        byte[] node = msg(o -> {
            o.writeString(1, "n");
            o.writeString(2, op);
        });
        byte[] graph = msg(o -> {
            if (inFunction) {
                byte[] sig = msg(s -> s.writeString(1, "__inference_f"));
                byte[] fn = msg(f -> {
                    f.writeBytes(1, ByteString.copyFrom(sig));
                    f.writeBytes(3, ByteString.copyFrom(node));
                });
                o.writeBytes(2, ByteString.copyFrom(msg(l -> l.writeBytes(1, ByteString.copyFrom(fn)))));
            } else {
                o.writeBytes(1, ByteString.copyFrom(node));
            }
        });
        byte[] meta = msg(o -> o.writeBytes(2, ByteString.copyFrom(graph)));
        return msg(o -> {
            o.writeInt64(1, 1);
            o.writeBytes(2, ByteString.copyFrom(meta));
        });
    }

    static FileReport scan(byte[] b) {
        return Scanner.builder().build().scan(new ArrayByteSource(b), "model");
    }

    @Test
    void plainOnnxModelIsSafe() throws IOException {
        FileReport r = scan(onnx(onnxNode("MatMul", ""), "weights.bin"));
        assertThat(r.formatLabel()).isEqualTo("onnx");
        assertThat(r.findings()).isEmpty();
    }

    @Test
    void externalDataLeavingTheFolderIsMalicious() throws IOException {
        for (String loc : new String[] {"../../etc/passwd", "/etc/passwd", "a/../../x", "C:\\Windows\\win.ini"}) {
            FileReport r = scan(onnx(onnxNode("MatMul", ""), loc));
            assertThat(r.verdict()).as(loc).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).as(loc).anySatisfy(f -> {
                assertThat(f.rule()).isEqualTo(Rule.ONNX_EXTERNAL_DATA);
                assertThat(f.location().within().kind()).isEqualTo("tensor");
            });
        }
        assertThat(scan(onnx(onnxNode("MatMul", ""), "sub/../w.bin")).findings()).isEmpty();
    }

    @Test
    void customDomainIsSuspicious() throws IOException {
        FileReport r = scan(onnx(onnxNode("MyOp", "com.example"), null));
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
        assertThat(r.findings()).anySatisfy(f -> {
            assertThat(f.rule()).isEqualTo(Rule.ONNX_CUSTOM_DOMAIN);
            assertThat(f.location().within().kind()).isEqualTo("node");
        });
        assertThat(scan(onnx(onnxNode("TreeEnsembleClassifier", "ai.onnx.ml"), null)).findings()).isEmpty();
    }

    @Test
    void savedModelRiskyOpsAreFoundAlsoInFunctions() throws IOException {
        assertThat(scan(savedModel("ReadFile", false)).verdict()).isEqualTo(Severity.MALICIOUS);
        FileReport f = scan(savedModel("PyFunc", true));
        assertThat(f.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(f.findings()).anySatisfy(x -> assertThat(x.message()).contains("function __inference_f"));
        assertThat(scan(savedModel("MatchingFiles", false)).verdict()).isEqualTo(Severity.SUSPICIOUS);
    }

    static byte[] kerasMetadata(String json) throws IOException {
        byte[] node = msg(o -> {
            o.writeInt32(2, 1);
            o.writeString(3, "root.layer-0");
            o.writeString(4, "_tf_keras_layer");
            o.writeString(5, json);
        });
        return msg(o -> o.writeBytes(1, ByteString.copyFrom(node)));
    }

    @Test
    void kerasMetadataLayersAreCheckedAsKerasConfigs() throws IOException {
        FileReport lambda = scan(kerasMetadata("{\"class_name\": \"Lambda\", \"config\": {\"function\": [\"4wE=\", null, null]}}"));
        assertThat(lambda.formatLabel()).isEqualTo("keras-metadata");
        assertThat(lambda.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(scan(kerasMetadata("{\"class_name\": \"Dense\", \"config\": {\"units\": 2}}")).findings()).isEmpty();
    }

    @Test
    void saveAndRestoreOpsOfEverySavedModelAreNotFlagged() throws IOException {
        for (String op : new String[] {"SaveV2", "RestoreV2", "MergeV2Checkpoints", "ShardedFilename", "StringJoin",
            "VarHandleOp", "Placeholder", "MatMul"}) {
            FileReport r = scan(savedModel(op, false));
            assertThat(r.formatLabel()).isEqualTo("tf-savedmodel");
            assertThat(r.findings()).as(op).isEmpty();
        }
    }

    /** A tree with an ONNX model and the external data file it names: the data file is not an unknown format. */
    @Test
    void externalDataNamedByAModelInTheTreeIsRecognised(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws IOException {
        java.nio.file.Files.createDirectories(dir.resolve("m/weights"));
        java.nio.file.Files.write(dir.resolve("m/model.onnx"), onnx(onnxNode("MatMul", ""), "weights/w.bin"));
        byte[] raw = new byte[64];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (byte) (i * 37 + 11); // arbitrary tensor bytes that are no format
        }
        java.nio.file.Files.write(dir.resolve("m/weights/w.bin"), raw);
        java.nio.file.Files.write(dir.resolve("m/other.bin"), raw);
        var report = dev.laocoon.core.Scanner.builder().build().scan(java.util.List.of(dir));
        java.util.Map<String, FileReport> byName = new java.util.HashMap<>();
        report.files().forEach(f -> byName.put(java.nio.file.Path.of(f.path()).getFileName().toString(), f));
        assertThat(byName.get("w.bin").formatLabel()).isEqualTo("onnx-external-data");
        assertThat(byName.get("w.bin").verdict()).isEqualTo(Severity.SAFE);
        assertThat(byName.get("w.bin").findings()).isEmpty();
        // a file the model does not name, and the same file scanned alone, stay unrecognised
        assertThat(byName.get("other.bin").findings()).extracting(f -> f.rule()).containsExactly(Rule.FORMAT_UNKNOWN);
        FileReport alone = dev.laocoon.core.Scanner.builder().build().scan(dir.resolve("m/weights/w.bin"));
        assertThat(alone.verdict()).isEqualTo(Severity.NOTICE);
        assertThat(alone.findings()).extracting(f -> f.rule()).containsExactly(Rule.FORMAT_UNKNOWN);
    }

    /** A named external data file that is something else (here a pickle) keeps its own verdict. */
    @Test
    void externalDataThatIsAPickleKeepsItsVerdict(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws IOException {
        java.nio.file.Files.write(dir.resolve("model.onnx"), onnx(onnxNode("MatMul", ""), "w.bin"));
        java.nio.file.Files.write(dir.resolve("w.bin"), dev.laocoon.core.testutil.PickleBuilder.create().proto(2)
                .global("os", "system").str("echo hi").tuple1().reduce().stop().bytes());
        var report = dev.laocoon.core.Scanner.builder().build().scan(java.util.List.of(dir));
        FileReport w = report.files().stream().filter(f -> f.path().endsWith("w.bin")).findFirst().orElseThrow();
        assertThat(w.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(w.formats()).doesNotContain(dev.laocoon.core.Format.ONNX_EXTERNAL_DATA);
    }

    static byte[] external(String name, byte[] location) throws IOException {
        return msg(o -> {
            o.writeString(8, name);
            o.writeInt32(14, 1); // data_location = EXTERNAL
            o.writeBytes(13, ByteString.copyFrom(msg(kv -> {
                kv.writeString(1, "location");
                kv.writeBytes(2, ByteString.copyFrom(location));
            })));
        });
    }

    static byte[] sparse(byte[] values) throws IOException {
        return msg(o -> {
            o.writeBytes(1, ByteString.copyFrom(values));
            o.writeBytes(2, ByteString.copyFrom(msg(i -> i.writeString(8, "idx"))));
        });
    }

    static byte[] onnxModel(byte[] graph, byte[]... functions) throws IOException {
        return msg(o -> {
            o.writeInt64(1, 8);
            o.writeBytes(7, ByteString.copyFrom(graph));
            for (byte[] f : functions) {
                o.writeBytes(25, ByteString.copyFrom(f));
            }
        });
    }

    /** As onnx.helper writes them; onnx 1.23's checker refuses these locations, older loaders read them. */
    @Test
    void sparseTensorsWithExternalDataOutsideTheFolderAreMalicious() throws IOException {
        byte[] escaping = external("W", "../../etc/passwd".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        byte[] init = msg(g -> g.writeBytes(15, ByteString.copyFrom(sparse(escaping)))); // sparse_initializer
        byte[] constant = msg(g -> g.writeBytes(1, ByteString.copyFrom(msg(n -> {
            n.writeString(3, "c");
            n.writeString(4, "Constant");
            n.writeBytes(5, ByteString.copyFrom(msg(a -> {
                a.writeString(1, "sparse_value");
                a.writeBytes(22, ByteString.copyFrom(sparse(escaping)));
            })));
        }))));
        for (byte[] graph : new byte[][] {init, constant}) {
            FileReport r = scan(onnxModel(graph));
            assertThat(r.formatLabel()).isEqualTo("onnx");
            assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.ONNX_EXTERNAL_DATA));
        }
        byte[] inside = external("W", "w.bin".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(scan(onnxModel(msg(g -> g.writeBytes(15, ByteString.copyFrom(sparse(inside)))))).findings()).isEmpty();
    }

    /** onnx.load keeps invalid UTF-8 as bytes and onnxruntime resolves the raw bytes (checked with 1.23 / 1.30). */
    @Test
    void invalidUtf8DoesNotHideATraversal() throws IOException {
        byte[] loc = {(byte) 0xc3, '/', '.', '.', '/', '.', '.', '/', 'x'};
        FileReport r = scan(onnxModel(msg(g -> g.writeBytes(5, ByteString.copyFrom(external("W", loc))))));
        assertThat(r.formatLabel()).isEqualTo("onnx");
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        byte[] staysInside = {(byte) 0xff, '/', '.', '.', '/', 'x'};
        assertThat(scan(onnxModel(msg(g -> g.writeBytes(5, ByteString.copyFrom(external("W", staysInside))))))
                .verdict()).isEqualTo(Severity.SAFE);
    }

    @Test
    void runtimeDomainsAndModelLocalFunctionsAreNotBlocked() throws IOException {
        for (String d : new String[] {"com.microsoft", "com.microsoft.nchwc", "ai.onnx.ml", "ai.onnx.preview.training"}) {
            assertThat(scan(onnx(onnxNode("FusedMatMul", d), null)).findings()).as(d).isEmpty();
        }
        for (String d : new String[] {"com.microsoft.experimental", "org.pytorch.aten", "ai.onnx.training"}) {
            assertThat(scan(onnx(onnxNode("ATen", d), null)).verdict()).as(d).isEqualTo(Severity.NOTICE);
        }
        // a model-local function in its own domain, imported and called by a node
        byte[] fn = msg(f -> {
            f.writeString(1, "MyGelu");
            f.writeBytes(7, ByteString.copyFrom(onnxNode("Tanh", "")));
            f.writeString(10, "custom.local");
        });
        byte[] graph = msg(g -> g.writeBytes(1, ByteString.copyFrom(onnxNode("MyGelu", "custom.local"))));
        byte[] model = msg(o -> {
            o.writeInt64(1, 8);
            o.writeBytes(7, ByteString.copyFrom(graph));
            o.writeBytes(8, ByteString.copyFrom(msg(op -> {
                op.writeString(1, "custom.local");
                op.writeInt64(2, 1);
            })));
            o.writeBytes(25, ByteString.copyFrom(fn));
        });
        assertThat(scan(model).findings()).isEmpty();
        // an op of that domain that is not one of its functions still needs a library
        assertThat(scan(onnxModel(msg(g -> g.writeBytes(1, ByteString.copyFrom(onnxNode("Other", "custom.local")))), fn))
                .verdict()).isEqualTo(Severity.SUSPICIOUS);
    }
}
