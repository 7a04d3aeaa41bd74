package dev.laocoon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --format cyclonedx}: a CycloneDX 1.6 ML-BOM, valid against the published 1.6 schema. */
class CycloneDxTest {
    @TempDir
    Path dir;

    JsonNode bom(Path root) throws IOException {
        CliTest.Run r = CliTest.run("scan", "--format", "cyclonedx", root.toString());
        assertThat(r.code()).isEqualTo(1);
        return new ObjectMapper().readTree(r.out());
    }

    static String property(JsonNode node, String name) {
        for (JsonNode p : node.path("properties")) {
            if (p.get("name").asText().equals(name)) {
                return p.get("value").asText();
            }
        }
        return null;
    }

    @Test
    void bomOfEveryFormatIsValidAgainstTheCycloneDx16Schema() throws IOException {
        Samples.write(dir);
        JsonNode bom = bom(dir);
        assertThat(SchemaCheck.errors(SchemaCheck.CYCLONEDX_16, bom)).isEmpty();
        assertThat(bom.get("bomFormat").asText()).isEqualTo("CycloneDX");
        assertThat(bom.get("specVersion").asText()).isEqualTo("1.6");
        assertThat(bom.get("serialNumber").asText()).startsWith("urn:uuid:");
        assertThat(bom.get("metadata").get("tools").get("components").get(0).get("name").asText()).isEqualTo("laocoon");
    }

    @Test
    void theValidatorRejectsWhatTheSchemaForbids() throws IOException {
        Samples.write(dir);
        JsonNode bom = bom(dir);
        ((ObjectNode) bom.get("components").get(0)).put("type", "model");
        ((ObjectNode) bom.get("vulnerabilities").get(0).get("ratings").get(0)).put("severity", "malicious");
        assertThat(SchemaCheck.errors(SchemaCheck.CYCLONEDX_16, bom)).isNotEmpty();
    }

    @Test
    void oneComponentPerFileWithTypeHashAndVerdictAndFindingsAsVulnerabilities() throws Exception {
        Map<String, String> formats = Samples.write(dir);
        JsonNode bom = bom(dir);
        Map<String, JsonNode> byName = new HashMap<>();
        Set<String> refs = new HashSet<>();
        for (JsonNode c : bom.get("components")) {
            String name = c.get("name").asText();
            byName.put(name.substring(name.lastIndexOf('/') + 1), c);
            assertThat(refs.add(c.get("bom-ref").asText())).isTrue();
        }
        assertThat(byName.keySet()).isEqualTo(formats.keySet());
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (var e : formats.entrySet()) {
            JsonNode c = byName.get(e.getKey());
            assertThat(property(c, "laocoon:format")).isEqualTo(e.getValue());
            assertThat(c.get("hashes").get(0).get("alg").asText()).isEqualTo("SHA-256");
            assertThat(c.get("hashes").get(0).get("content").asText())
                    .isEqualTo(HexFormat.of().formatHex(sha.digest(Files.readAllBytes(dir.resolve(e.getKey())))));
        }
        assertThat(byName.get("model.pt").get("type").asText()).isEqualTo("machine-learning-model");
        assertThat(byName.get("model.gguf").get("type").asText()).isEqualTo("machine-learning-model");
        assertThat(byName.get("model.safetensors").get("type").asText()).isEqualTo("machine-learning-model");
        assertThat(byName.get("array.npy").get("type").asText()).isEqualTo("data");
        assertThat(byName.get("tokenizer.json").get("type").asText()).isEqualTo("data");
        assertThat(byName.get("README.md").get("type").asText()).isEqualTo("file");
        JsonNode evil = byName.get("evil.pkl");
        assertThat(property(evil, "laocoon:verdict")).isEqualTo("malicious");
        assertThat(property(evil, "laocoon:rules")).contains("LAO101");
        assertThat(property(byName.get("weights.pt"), "laocoon:verdict")).isEqualTo("safe");
        assertThat(property(byName.get("README.md"), "laocoon:verdict")).isEqualTo("notice");

        boolean found = false;
        for (JsonNode v : bom.get("vulnerabilities")) {
            assertThat(v.get("id").asText()).isNotEqualTo("LAO002"); // not a vulnerability
            assertThat(refs).contains(v.get("affects").get(0).get("ref").asText());
            if (v.get("affects").get(0).get("ref").asText().equals(evil.get("bom-ref").asText())
                    && v.get("id").asText().equals("LAO101")) {
                found = true;
                assertThat(v.get("ratings").get(0).get("severity").asText()).isEqualTo("critical");
                assertThat(v.get("description").asText()).contains("os.system");
            }
        }
        assertThat(found).isTrue();
    }
}
