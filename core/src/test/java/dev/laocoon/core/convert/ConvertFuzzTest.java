package dev.laocoon.core.convert;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.laocoon.core.source.ArrayByteSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzz target for the conversion readers: whatever the bytes, loading a checkpoint either fails
 * with a {@link ConvertException} or an {@link IOException}, or yields tensors whose bytes can be
 * produced in full. Seeds under {@code ConvertFuzzTestInputs/load/} (checkpoints PyTorch 1.13
 * wrote: zip, legacy, a checkpoint dict; a big-endian Fortran-order .npy) replay in every run.
 */
class ConvertFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void load(byte[] data) throws IOException {
        Path scratch = Files.createTempDirectory("laocoon-fuzz");
        try (TempFiles temps = new TempFiles(scratch)) {
            Converter.Loaded l = Converter.load(new ArrayByteSource(data), "fuzz.npy", temps);
            produce(l.root(), 0);
        } catch (ConvertException | IOException expected) {
            // a clear refusal is a correct answer
        } finally {
            try (var s = Files.list(scratch)) {
                assertThat(s).as("scratch files are removed").isEmpty();
            }
            Files.delete(scratch);
        }
    }

    private static void produce(Node n, int depth) throws IOException, ConvertException {
        if (n instanceof Node.Tensor t) {
            long[] count = {0};
            TensorBytes.emit(t.ref(), (b, off, len) -> count[0] += len, new byte[4096]);
            assertThat(count[0]).isEqualTo(t.ref().nbytes());
        } else if (n instanceof Node.Mapping m && depth < 10) {
            for (Node child : m.entries().values()) {
                produce(child, depth + 1);
            }
        }
    }
}
