package dev.laocoon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Hugging Face style model repository: remote code, LFS pointers, a nested archive, a link out of the tree. */
class RepositoryScanTest {
    @TempDir
    Path dir;

    Path repo() throws IOException {
        Path r = dir.resolve("repo");
        Files.createDirectories(r.resolve(".git/objects"));
        Files.createDirectories(r.resolve("weights"));
        Files.writeString(r.resolve("config.json"), "{\"model_type\": \"custom\", \"auto_map\": "
                + "{\"AutoConfig\": \"configuration_custom.CustomConfig\", \"AutoModel\": \"modeling_custom.CustomModel\"}}");
        Files.writeString(r.resolve("modeling_custom.py"), "import torch\n");
        Files.writeString(r.resolve("weights/big.bin"), "version https://git-lfs.github.com/spec/v1\n"
                + "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n");
        Files.write(r.resolve("weights/bundle.zip"), new ZipBuilder().add("inner/model.pkl",
                PickleBuilder.call("os", "system", "id")).bytes());
        Files.write(r.resolve(".git/objects/evil"), PickleBuilder.call("os", "system", "id"));
        Path outside = Files.writeString(dir.resolve("secret.txt"), "token=abc");
        Files.createSymbolicLink(r.resolve("link.txt"), outside);
        return r;
    }

    @Test
    void repositoryFindingsAreReported() throws IOException {
        Path r = repo();
        CliTest.Run run = CliTest.run("scan", "-f", "json", r.toString());
        assertThat(run.code()).isEqualTo(1);
        JsonNode files = new ObjectMapper().readTree(run.out()).get("files");
        String all = files.toString();
        assertThat(all).doesNotContain(".git");
        assertThat(all).contains("LAO802").contains("modeling_custom.py").contains("configuration_custom.py");
        assertThat(all).contains("LAO801").contains("never downloaded");
        assertThat(all).contains("LAO803");
        assertThat(all).doesNotContain("token=abc");
        assertThat(all).contains("weights/bundle.zip").contains("inner/model.pkl");
    }

    @Test
    void includeAndExcludeGlobs() throws IOException {
        Path r = repo();
        CliTest.Run only = CliTest.run("scan", "-f", "json", "--include", "*.json", r.toString());
        JsonNode files = new ObjectMapper().readTree(only.out()).get("files");
        assertThat(files).hasSize(1);
        assertThat(files.get(0).get("path").asText()).endsWith("config.json");
        CliTest.Run without = CliTest.run("scan", "-f", "json", "--exclude", "weights/**", "--exclude", "*.txt", r.toString());
        String all = new ObjectMapper().readTree(without.out()).get("files").toString();
        assertThat(all).doesNotContain("bundle.zip").doesNotContain("link.txt");
        assertThat(without.code()).isZero();
    }

    @Test
    void orderIsSortedWhateverTheParallelism() throws IOException {
        Path r = dir.resolve("many");
        for (int i = 0; i < 40; i++) {
            Files.createDirectories(r.resolve("d" + (i % 5)));
            Files.write(r.resolve("d" + (i % 5) + "/f" + i + ".pkl"), PickleBuilder.create().proto(2).none().stop().bytes());
        }
        JsonNode files = new ObjectMapper().readTree(CliTest.run("scan", "-f", "json", r.toString()).out()).get("files");
        String prev = "";
        for (JsonNode f : files) {
            assertThat(f.get("path").asText()).isGreaterThan(prev);
            prev = f.get("path").asText();
        }
        assertThat(files).hasSize(40);
    }
}
