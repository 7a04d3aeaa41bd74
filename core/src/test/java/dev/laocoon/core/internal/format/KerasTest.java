package dev.laocoon.core.internal.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.ZipBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keras H5 (written here with jhdf's HDF5 writer) and Keras v3 archives (built byte by byte). */
class KerasTest {
    @TempDir
    Path dir;

    /** A stand-in for a marshalled code object: short-ASCII strings as marshal writes them. */
    static final String CODE = Base64.getEncoder().encodeToString(new byte[] {(byte) 0xe3, 0, 0, 0, (byte) 0xda, 2, 'o',
        's', (byte) 0xda, 6, 's', 'y', 's', 't', 'e', 'm', (byte) 0xfa, 10, '_', '_', 'i', 'm', 'p', 'o', 'r', 't', '_', '_'});

    static final String DENSE = "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": ["
            + "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 4, \"activation\": \"relu\"}}]}}";

    static final String LAMBDA_H5 = "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": ["
            + "{\"class_name\": \"Functional\", \"config\": {\"layers\": [{\"class_name\": \"Lambda\", \"config\": "
            + "{\"name\": \"l\", \"function\": [\"" + CODE + "\", null, null], \"function_type\": \"lambda\"}}]}}]}}";

    FileReport h5(String modelConfig) throws Exception {
        Path p = dir.resolve("m.h5");
        try (io.jhdf.WritableHdfFile f = io.jhdf.HdfFile.write(p)) {
            f.putAttribute("model_config", modelConfig);
            f.putGroup("model_weights");
        }
        return Scanner.builder().build().scan(p, "m.h5");
    }

    FileReport keras(String configJson) throws Exception {
        return keras(configJson.getBytes(StandardCharsets.UTF_8));
    }

    FileReport keras(byte[] configJson) throws Exception {
        Path w = dir.resolve("w.h5");
        try (io.jhdf.WritableHdfFile f = io.jhdf.HdfFile.write(w)) {
            f.putGroup("layers");
        }
        byte[] z = new ZipBuilder().add("metadata.json", "{\"keras_version\": \"3.0.0\"}".getBytes(StandardCharsets.UTF_8))
                .add("config.json", configJson)
                .add("model.weights.h5", java.nio.file.Files.readAllBytes(w)).bytes();
        return Scanner.builder().build().scan(new ArrayByteSource(z), "m.keras");
    }

    @Test
    void denseModelInH5IsSafe() throws Exception {
        FileReport r = h5(DENSE);
        assertThat(r.formatLabel()).contains("keras-h5");
        assertThat(r.findings()).isEmpty();
    }

    @Test
    void nestedLambdaInH5IsMaliciousWithTheBytecodeNames() throws Exception {
        FileReport r = h5(LAMBDA_H5);
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> {
            assertThat(f.rule()).isEqualTo(Rule.KERAS_LAMBDA);
            assertThat(f.message()).contains("/config/layers/0/config/layers/0");
            assertThat(f.evidence()).contains("os").contains("system").contains("__import__");
            // structured place: the HDF5 attribute and the JSON pointer inside it
            assertThat(f.location().within().kind()).isEqualTo("hdf5-attribute");
            assertThat(f.location().within().path()).isEqualTo("/model_config#/config/layers/0/config/layers/0");
        });
    }

    @Test
    void kerasV3LambdaIsMalicious() throws Exception {
        String cfg = "{\"module\": \"keras\", \"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"module\": "
                + "\"keras.layers\", \"class_name\": \"Lambda\", \"config\": {\"function\": {\"class_name\": \"__lambda__\", "
                + "\"config\": {\"code\": \"" + CODE + "\"}}}}]}}";
        FileReport r = keras(cfg);
        assertThat(r.formatLabel()).isEqualTo("keras-v3");
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> {
            assertThat(f.location().members()).containsExactly("config.json");
            assertThat(f.location().within().kind()).isEqualTo("json-pointer");
            assertThat(f.location().within().path()).isEqualTo("/config/layers/0");
            assertThat(f.location().render()).isEqualTo("m.keras!config.json[/config/layers/0]");
        });
    }

    /** json.loads(bytes) also reads UTF-16 and UTF-32, with or without a BOM: so does Keras's load_model. */
    @Test
    void kerasV3ConfigInUtf16OrUtf32IsStillChecked() throws Exception {
        String cfg = "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"Lambda\", "
                + "\"config\": {\"function\": {\"class_name\": \"__lambda__\", \"config\": {\"code\": \"" + CODE + "\"}}}}]}}";
        for (java.nio.charset.Charset cs : new java.nio.charset.Charset[] {StandardCharsets.UTF_16, StandardCharsets.UTF_16LE,
            StandardCharsets.UTF_16BE, java.nio.charset.Charset.forName("UTF-32LE")}) {
            FileReport r = keras(cfg.getBytes(cs));
            assertThat(r.verdict()).as(cs.name()).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).as(cs.name()).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.KERAS_LAMBDA));
        }
    }

    /** Keras reads config.json as bytes with json.loads, which accepts a UTF-8 BOM and NaN. */
    @Test
    void kerasV3ConfigWithBomOrNanIsStillChecked() throws Exception {
        String cfg = "{\"class_name\": \"Sequential\", \"config\": {\"eps\": NaN, \"layers\": [{\"class_name\": \"Lambda\", "
                + "\"config\": {\"function\": {\"class_name\": \"__lambda__\", \"config\": {\"code\": \"" + CODE + "\"}}}}]}}";
        for (String c : new String[] {cfg, "\ufeff" + cfg}) {
            FileReport r = keras(c);
            assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.KERAS_LAMBDA));
        }
    }

    @Test
    void kerasV3DenseIsSafe() throws Exception {
        String cfg = "{\"module\": \"keras\", \"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"module\": "
                + "\"keras.layers\", \"class_name\": \"Dense\", \"config\": {\"units\": 4}, \"registered_name\": null}]}}";
        assertThat(keras(cfg).findings()).isEmpty();
    }

    @Test
    void foreignFunctionReferenceIsJudgedByTheKnowledgeBase() throws Exception {
        String cfg = "{\"module\": \"keras\", \"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"module\": "
                + "\"keras.layers\", \"class_name\": \"Dense\", \"config\": {\"activation\": {\"module\": \"os\", "
                + "\"class_name\": \"function\", \"config\": \"system\"}}}]}}";
        FileReport r = keras(cfg);
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.KERAS_FOREIGN_OBJECT));
    }

    @Test
    void objectFromAnUnknownModuleIsSuspiciousAndCustomObjectsAreNotices() throws Exception {
        String cfg = "{\"module\": \"keras\", \"class_name\": \"Sequential\", \"config\": {\"layers\": ["
                + "{\"module\": \"mylib.layers\", \"class_name\": \"Thing\", \"config\": {}},"
                + "{\"module\": \"keras.layers\", \"class_name\": \"Dense\", \"registered_name\": \"Custom>Dense2\"}]}}";
        FileReport r = keras(cfg);
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.severity()).isEqualTo(Severity.NOTICE));
    }
}
