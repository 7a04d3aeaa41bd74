package dev.laocoon.core.internal.format;

import static dev.laocoon.core.internal.format.ProtoModelsTest.msg;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SavedModels built field by field: the op knowledge of {@code kb/tf-ops.txt}, paths traced to
 * constants or to the caller, the standard saver pattern (as TensorFlow 2.21's
 * {@code tf.saved_model.save} writes it: {@code __inference__traced_save} with a
 * {@code file_prefix} argument), and what TensorFlow's parser refuses.
 */
class SavedModelOpsTest {

    static byte[] node(String name, String op, List<String> inputs, byte[]... attrs) throws IOException {
        return msg(o -> {
            o.writeString(1, name);
            o.writeString(2, op);
            for (String i : inputs) {
                o.writeString(3, i);
            }
            for (byte[] a : attrs) {
                o.writeBytes(5, ByteString.copyFrom(a));
            }
        });
    }

    /** A NodeDef.attr map entry with a string value (AttrValue.s = 2). */
    static byte[] attrS(String key, String value) throws IOException {
        return msg(o -> {
            o.writeString(1, key);
            o.writeBytes(2, ByteString.copyFrom(msg(v -> v.writeString(2, value))));
        });
    }

    /** A Const's value attribute with one string (AttrValue.tensor = 8, TensorProto.string_val = 8). */
    static byte[] constNode(String name, String value) throws IOException {
        byte[] tensor = msg(t -> {
            t.writeInt32(1, 7); // DT_STRING
            t.writeBytes(8, ByteString.copyFromUtf8(value));
        });
        byte[] attr = msg(o -> {
            o.writeString(1, "value");
            o.writeBytes(2, ByteString.copyFrom(msg(v -> v.writeBytes(8, ByteString.copyFrom(tensor)))));
        });
        return node(name, "Const", List.of(), attr);
    }

    static byte[] function(String name, List<String> args, byte[]... nodes) throws IOException {
        byte[] sig = msg(s -> {
            s.writeString(1, name);
            for (String a : args) {
                s.writeBytes(2, ByteString.copyFrom(msg(x -> x.writeString(1, a))));
            }
        });
        return msg(f -> {
            f.writeBytes(1, ByteString.copyFrom(sig));
            for (byte[] n : nodes) {
                f.writeBytes(3, ByteString.copyFrom(n));
            }
        });
    }

    static byte[] savedModel(List<byte[]> nodes, List<byte[]> functions) throws IOException {
        return savedModel(nodes, functions, null);
    }

    /** With an asset (asset_file_def = 6: tensor_info = 1 naming the fed placeholder, filename = 2) when not null. */
    static byte[] savedModel(List<byte[]> nodes, List<byte[]> functions, String asset) throws IOException {
        byte[] graph = msg(o -> {
            for (byte[] n : nodes) {
                o.writeBytes(1, ByteString.copyFrom(n));
            }
            if (!functions.isEmpty()) {
                o.writeBytes(2, ByteString.copyFrom(msg(l -> {
                    for (byte[] f : functions) {
                        l.writeBytes(1, ByteString.copyFrom(f));
                    }
                })));
            }
        });
        byte[] meta = msg(o -> {
            o.writeBytes(1, ByteString.copyFrom(msg(i -> i.writeString(4, "serve"))));
            o.writeBytes(2, ByteString.copyFrom(graph));
            if (asset != null) {
                o.writeBytes(6, ByteString.copyFrom(msg(a -> {
                    a.writeBytes(1, ByteString.copyFrom(msg(t -> t.writeString(1, "asset_path_initializer:0"))));
                    a.writeString(2, asset);
                })));
            }
        });
        return msg(o -> {
            o.writeInt64(1, 1);
            o.writeBytes(2, ByteString.copyFrom(meta));
        });
    }

    static FileReport scan(byte[] b) {
        return ProtoModelsTest.scan(b);
    }

    /** The saver, restore and asset-initialiser functions as tf.saved_model.save writes them. */
    static List<byte[]> standardFunctions() throws IOException {
        List<byte[]> fs = new ArrayList<>();
        fs.add(function("__inference__traced_save_73", List.of("file_prefix", "var"),
                node("StaticRegexFullMatch", "StaticRegexFullMatch", List.of("file_prefix")),
                constNode("Const", ".part"), constNode("Const_1", "_temp/part"),
                node("Select", "Select", List.of("StaticRegexFullMatch:output:0", "Const:output:0", "Const_1:output:0")),
                node("StringJoin", "StringJoin", List.of("file_prefix", "Select:output:0")),
                node("ShardedFilename", "ShardedFilename", List.of("StringJoin:output:0", "shard:output:0", "num:output:0")),
                constNode("SaveV2/tensor_names", "v/.ATTRIBUTES/VARIABLE_VALUE"),
                node("SaveV2", "SaveV2", List.of("ShardedFilename:filename:0", "SaveV2/tensor_names:output:0", "var")),
                node("MergeV2Checkpoints/checkpoint_prefixes", "Pack", List.of("ShardedFilename:filename:0", "^SaveV2")),
                node("MergeV2Checkpoints", "MergeV2Checkpoints",
                        List.of("MergeV2Checkpoints/checkpoint_prefixes:output:0", "file_prefix"))));
        fs.add(function("__inference__traced_restore_85", List.of("file_prefix", "var"),
                node("RestoreV2", "RestoreV2", List.of("file_prefix", "names:output:0", "slices:output:0"))));
        fs.add(function("__inference__initializer_33", List.of("asset_filepath", "table"),
                node("init", "InitializeTableFromTextFileV2", List.of("table", "asset_filepath"))));
        return fs;
    }

    static List<byte[]> standardGraph() throws IOException {
        return List.of(node("saver_filename", "Placeholder", List.of()),
                node("asset_path_initializer", "Placeholder", List.of()),
                node("StatefulPartitionedCall_2", "__inference__traced_save_73", List.of("saver_filename", "Variable")),
                node("StatefulPartitionedCall_3", "__inference__traced_restore_85", List.of("saver_filename", "Variable")),
                node("init_call", "__inference__initializer_33", List.of("asset_path_initializer", "hash_table")),
                node("Variable", "VarHandleOp", List.of()), node("hash_table", "HashTableV2", List.of()));
    }

    @Test
    void theStandardSaverAndAssetPatternIsNotReported() throws IOException {
        FileReport r = scan(savedModel(standardGraph(), standardFunctions()));
        assertThat(r.formatLabel()).isEqualTo("tf-savedmodel");
        assertThat(r.findings()).isEmpty();
    }

    /** With TensorFlow 2.21 an asset named "/etc/hostname" or "../../../../../../etc/hostname" was read into the table. */
    @Test
    void anAssetFileOutsideTheAssetsFolderIsMalicious() throws IOException {
        assertThat(scan(savedModel(standardGraph(), standardFunctions(), "vocab.txt")).findings()).isEmpty();
        for (String name : new String[] {"/etc/hostname", "../../../../../../etc/hostname", "sub/../../x"}) {
            FileReport r = scan(savedModel(standardGraph(), standardFunctions(), name));
            assertThat(r.verdict()).as(name).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).as(name).singleElement().satisfies(f -> {
                assertThat(f.rule()).isEqualTo(Rule.TF_ASSET_ESCAPE);
                assertThat(f.message()).contains(name);
            });
        }
    }

    @Test
    void aFixedPathGivenToTheSaverOrATableIsMalicious() throws IOException {
        List<byte[]> graph = new ArrayList<>(standardGraph());
        graph.add(constNode("evil", "/tmp/laocoon-evil"));
        graph.add(node("call", "__inference__traced_save_73", List.of("evil:output:0", "Variable")));
        FileReport r = scan(savedModel(graph, standardFunctions()));
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.message()).contains("node 'call'").contains("/tmp/laocoon-evil")
                .contains("__inference__traced_save_73"));

        FileReport t = scan(savedModel(List.of(constNode("path", "/etc/passwd"), node("table", "HashTableV2", List.of()),
                node("init", "InitializeTableFromTextFileV2", List.of("table", "path:output:0"))), List.of()));
        assertThat(t.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(t.findings()).anySatisfy(f -> assertThat(f.message()).contains("/etc/passwd"));

        FileReport s = scan(savedModel(List.of(constNode("p", "/tmp/x"),
                node("join", "StringJoin", List.of("p", "suffix")),
                node("save", "SaveV2", List.of("join", "names", "slices"))), List.of()));
        assertThat(s.verdict()).isEqualTo(Severity.MALICIOUS);
    }

    @Test
    void printV2IsMaliciousOnlyWithAFileStream() throws IOException {
        FileReport file = scan(savedModel(List.of(node("p", "PrintV2", List.of("s"), attrS("output_stream",
                "file:///tmp/laocoon-print.txt"))), List.of()));
        assertThat(file.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(file.findings()).anySatisfy(f -> assertThat(f.message()).contains("file:///tmp/laocoon-print.txt"));
        assertThat(scan(savedModel(List.of(node("p", "PrintV2", List.of("s"), attrS("output_stream", "stderr"))),
                List.of())).findings()).isEmpty();
        assertThat(scan(savedModel(List.of(node("d", "DecodeProtoV2", List.of("b"), attrS("descriptor_source",
                "/etc/descriptor.pb"))), List.of())).verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(scan(savedModel(List.of(node("d", "DecodeProtoV2", List.of("b"), attrS("descriptor_source",
                "local://"))), List.of())).findings()).isEmpty();
    }

    @Test
    void fileDatabaseDebugAndNetworkOpsAreMalicious() throws IOException {
        for (String op : new String[] {"DatasetToTFRecord", "SqlDataset", "ExperimentalSqlDataset", "CreateSummaryDbWriter",
            "DebugIdentityV2", "DebugIdentityV3", "DebugNumericSummary", "RpcClient", "DataServiceDatasetV4", "DumpTensor",
            "WriteFile", "ReadFile", "EagerPyFunc", "FileSystemSetConfiguration", "WholeFileReaderV2"}) {
            FileReport r = scan(savedModel(List.of(node("n", op, List.of())), List.of()));
            assertThat(r.verdict()).as(op).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).as(op).allSatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.TF_RISKY_OP));
        }
        FileReport ds = scan(savedModel(List.of(constNode("f", "/etc/shadow"),
                node("ds", "TFRecordDatasetV2", List.of("f:output:0", "c", "b", "n"))), List.of()));
        assertThat(ds.verdict()).isEqualTo(Severity.MALICIOUS);
        FileReport caller = scan(savedModel(List.of(node("f", "Placeholder", List.of()),
                node("ds", "TFRecordDatasetV2", List.of("f"))), List.of()));
        assertThat(caller.verdict()).isEqualTo(Severity.SUSPICIOUS);
        FileReport writer = scan(savedModel(List.of(node("w", "WriteScalarSummary", List.of())), List.of()));
        assertThat(writer.verdict()).isEqualTo(Severity.SUSPICIOUS);
        // a cache file name: a constant file path writes files, the empty string keeps the cache in memory
        assertThat(scan(savedModel(List.of(constNode("f", "/tmp/cache"), node("c", "CacheDatasetV2", List.of("in", "f"))),
                List.of())).verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(scan(savedModel(List.of(constNode("f", ""), node("c", "CacheDatasetV2", List.of("in", "f"))),
                List.of())).findings()).isEmpty();
    }

    @Test
    void anOpThatTensorFlowDoesNotRegisterIsANotice() throws IOException {
        FileReport r = scan(savedModel(List.of(node("n", "LaocoonCustomOp", List.of())), List.of()));
        assertThat(r.verdict()).isEqualTo(Severity.NOTICE);
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.rule()).isEqualTo(Rule.TF_RISKY_OP);
            assertThat(f.message()).contains("not registered");
        });
        // registered compute ops and calls of library functions are not reported
        assertThat(scan(savedModel(List.of(node("m", "MatMul", List.of()), node("c", "f_1", List.of())),
                List.of(function("f_1", List.of("x"), node("a", "AddV2", List.of("x", "x")))))).findings()).isEmpty();
    }

    /** ModelAudit's tests/assets/malicious_tf/saved_model.pb has this shape: 35 bytes, no schema version. */
    @Test
    void theMinimalThirtyFiveByteSavedModelIsRecognisedAndMalicious() throws IOException {
        byte[] graph = msg(o -> {
            o.writeBytes(1, ByteString.copyFrom(node("Const", "Const", List.of())));
            o.writeBytes(1, ByteString.copyFrom(node("bad", "PyFunc", List.of())));
        });
        byte[] b = msg(o -> o.writeBytes(2, ByteString.copyFrom(msg(m -> m.writeBytes(2, ByteString.copyFrom(graph))))));
        assertThat(b).hasSize(35);
        FileReport r = scan(b);
        assertThat(r.formatLabel()).isEqualTo("tf-savedmodel");
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.message()).contains("PyFunc"));
    }

    @Test
    void aFileTensorFlowRefusesIsSuspiciousAndStillRead() throws IOException {
        byte[] bad = node("p\u00ff", "PyFunc", List.of());
        // replace the UTF-8 of U+00FF (c3 bf) by a lone 0xff byte: invalid UTF-8 in NodeDef.name
        byte[] raw = msg(o -> {
            o.writeBytes(1, ByteString.copyFrom(new byte[] {'p', (byte) 0xff}));
            o.writeString(2, "PyFunc");
        });
        assertThat(bad).isNotEqualTo(raw);
        FileReport r = scan(savedModel(List.of(raw), List.of()));
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> {
            assertThat(f.rule()).isEqualTo(Rule.TF_SAVEDMODEL_MALFORMED);
            assertThat(f.severity()).isEqualTo(Severity.SUSPICIOUS);
            assertThat(f.message()).contains("refuses").contains("invalid UTF-8");
        });
        FileReport onlyBad = scan(savedModel(List.of(msg(o -> {
            o.writeBytes(1, ByteString.copyFrom(new byte[] {'c', (byte) 0xff}));
            o.writeString(2, "MatMul");
        })), List.of()));
        assertThat(onlyBad.verdict()).isEqualTo(Severity.SUSPICIOUS);
        // a truncated file: TensorFlow reports a corrupt wire format
        byte[] whole = savedModel(List.of(node("m", "MatMul", List.of()), node("n", "AddV2", List.of())), List.of());
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 3);
        FileReport t = scan(cut);
        assertThat(t.verdict()).isEqualTo(Severity.SUSPICIOUS);
        assertThat(t.findings()).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.TF_SAVEDMODEL_MALFORMED));
    }

    @Test
    void anUnknownTopLevelFieldIsANotice() throws IOException {
        byte[] sm = savedModel(List.of(node("m", "MatMul", List.of())), List.of());
        byte[] extra = msg(o -> o.writeString(99, "hidden"));
        byte[] b = new byte[sm.length + extra.length];
        System.arraycopy(sm, 0, b, 0, sm.length);
        System.arraycopy(extra, 0, b, sm.length, extra.length);
        FileReport r = scan(b);
        assertThat(r.formatLabel()).isEqualTo("tf-savedmodel");
        assertThat(r.verdict()).isEqualTo(Severity.NOTICE);
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.rule()).isEqualTo(Rule.TF_SAVEDMODEL_MALFORMED);
            assertThat(f.message()).contains("field 99");
        });
    }

    /** Every row of tf-ops.txt parses, and the ops named in the issue are known with a reason. */
    @Test
    void everyOpRowHasASeverityAndAReason() {
        assertThat(TfOps.ROWS).hasSizeGreaterThan(1900);
        assertThat(TfOps.ROWS.values()).allSatisfy(r -> assertThat(r.what()).isNotBlank());
        for (String op : new String[] {"SaveV2", "RestoreV2", "MergeV2Checkpoints", "InitializeTableFromTextFileV2",
            "MatchingFiles", "LoadAndRemapMatrix", "ImmutableConst", "SnapshotDatasetV2", "SaveDatasetV2", "LoadDataset"}) {
            assertThat(TfOps.ROWS.get(op).severity()).as(op).isEqualTo(Severity.MALICIOUS);
        }
        assertThat(TfOps.ROWS.get("MatMul").severity()).isEqualTo(Severity.SAFE);
    }

    /** TensorFlow and onnxruntime parse top-level fields in any order: another first field must not hide the model. */
    @Test
    void aModelWhoseFirstFieldIsAnotherOneIsStillRecognised() throws IOException {
        byte[] sm = savedModel(List.of(node("p", "PyFunc", List.of())), List.of());
        byte[] lead = msg(o -> o.writeString(3, "x")); // an unknown field 3 in front
        byte[] b = new byte[lead.length + sm.length];
        System.arraycopy(lead, 0, b, 0, lead.length);
        System.arraycopy(sm, 0, b, lead.length, sm.length);
        FileReport r = scan(b);
        assertThat(r.formatLabel()).isEqualTo("tf-savedmodel");
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        // an ONNX model written with its graph before ir_version
        byte[] tensor = msg(t -> {
            t.writeString(8, "W");
            t.writeBytes(13, ByteString.copyFrom(msg(kv -> {
                kv.writeString(1, "location");
                kv.writeString(2, "../../etc/passwd");
            })));
        });
        byte[] graph = msg(g -> g.writeBytes(5, ByteString.copyFrom(tensor)));
        byte[] onnx = msg(o -> {
            o.writeBytes(7, ByteString.copyFrom(graph));
            o.writeInt64(1, 8);
        });
        FileReport x = scan(onnx);
        assertThat(x.formatLabel()).isEqualTo("onnx");
        assertThat(x.verdict()).isEqualTo(Severity.MALICIOUS);
        // bytes that are no protobuf stay unrecognised
        FileReport text = scan("Hello, this is plain text, not a model\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(text.findings()).extracting(f -> f.rule()).doesNotContain(Rule.TF_SAVEDMODEL_MALFORMED);
    }

    /** graph_def given twice is merged by protobuf: a Const in one and the SaveV2 in the other are one graph. */
    @Test
    void aGraphSplitOverTwoGraphDefFieldsIsOneGraph() throws IOException {
        byte[] g1 = msg(o -> o.writeBytes(1, ByteString.copyFrom(constNode("evil", "/tmp/laocoon-evil"))));
        byte[] g2 = msg(o -> o.writeBytes(1, ByteString.copyFrom(node("save", "SaveV2", List.of("evil", "n", "s")))));
        byte[] meta = msg(o -> {
            o.writeBytes(2, ByteString.copyFrom(g1));
            o.writeBytes(2, ByteString.copyFrom(g2));
        });
        FileReport r = scan(msg(o -> {
            o.writeInt64(1, 1);
            o.writeBytes(2, ByteString.copyFrom(meta));
        }));
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.message()).contains("/tmp/laocoon-evil"));
    }
}
