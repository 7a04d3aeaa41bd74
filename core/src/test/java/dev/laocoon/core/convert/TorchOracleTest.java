package dev.laocoon.core.convert;

import dev.laocoon.core.testutil.Pythons;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.laocoon.core.CorpusAcceptanceTest;
import dev.laocoon.core.Scanner;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differential test against PyTorch where a Python with torch is installed (Debian's
 * python3-torch): each converted tensor must equal, in dtype, shape and bytes, what
 * {@code torch.load(weights_only=True)} returns. Inputs are checkpoints torch itself writes
 * (every dtype, views, tied weights, zip, protocol 4 and legacy layouts) and every {@code safe}
 * PyTorch file of ../shared/corpus. Where that Python also has the {@code safetensors} package,
 * each output must be byte-identical to {@code safetensors.torch.save_file}'s. Skipped when no
 * Python with torch exists ({@code LAOCOON_TORCH_PYTHON} names one explicitly).
 */
class TorchOracleTest {
    private static String python;

    @TempDir
    Path dir;

    @BeforeAll
    static void findTorch() {
        python = Pythons.with("torch");
    }

    private Path oracle() throws IOException {
        Path script = dir.resolve("torch_oracle.py");
        if (Files.exists(script)) {
            return script;
        }
        try (InputStream in = getClass().getResourceAsStream("torch_oracle.py")) {
            Files.copy(in, script);
        }
        return script;
    }

    private String run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(python, oracle().toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    private String convertAndCompare(Path in, String name, Converter.Options o) throws Exception {
        Path out = dir.resolve(name);
        new Converter(Scanner.builder().build(), null).convert(in, out, o);
        return run("compare", in.toString(), out.toString());
    }

    @Test
    void tensorsEqualWhatTorchLoads() throws Exception {
        Assumptions.assumeTrue(python != null, "no python3 with torch");
        Path made = Files.createDirectories(dir.resolve("made"));
        run("make", made.toString());
        for (String f : List.of("zip.pt", "zip_p4.pt", "legacy.bin")) {
            Path in = made.resolve(f);
            assertThat(convertAndCompare(in, f + ".safetensors", Converter.Options.defaults())).startsWith("OK 19");
            assertThat(convertAndCompare(in, f + ".copies.safetensors",
                    new Converter.Options(null, 0, true, true, false, false, false))).startsWith("OK 19");
            // byte for byte what safetensors.torch.save_file writes, where that package is installed
            assertThat(run("reference", in.toString(), dir.resolve(f + ".copies.safetensors").toString()))
                    .containsAnyOf("IDENTICAL", "SKIP");
        }
        // the same state dict written three ways converts to the same bytes
        assertThat(Files.readAllBytes(dir.resolve("zip_p4.pt.safetensors")))
                .isEqualTo(Files.readAllBytes(dir.resolve("zip.pt.safetensors")))
                .isEqualTo(Files.readAllBytes(dir.resolve("legacy.bin.safetensors")));
    }

    @Test
    void safeCorpusCheckpointsEqualWhatTorchLoads() throws Exception {
        Assumptions.assumeTrue(python != null, "no python3 with torch");
        Path corpus = CorpusAcceptanceTest.corpus();
        Assumptions.assumeTrue(corpus != null, "../shared/corpus not present");
        JsonNode manifest = new ObjectMapper().readTree(corpus.resolve("manifest.json").toFile());
        int compared = 0;
        for (JsonNode e : manifest) {
            String format = e.get("format").asText();
            if (!e.get("expect").asText().equals("safe") || !format.startsWith("pytorch-")) {
                continue;
            }
            Path in = corpus.resolve(e.get("path").asText());
            String out = convertAndCompare(in, "corpus-" + compared + ".safetensors",
                    new Converter.Options(null, 0, false, true, false, false, false));
            assertThat(out).as(in.toString()).startsWith("OK ");
            assertThat(run("reference", in.toString(), dir.resolve("corpus-" + compared + ".safetensors").toString()))
                    .containsAnyOf("IDENTICAL", "SKIP");
            compared++;
        }
        assertThat(compared).isPositive();
    }
}
