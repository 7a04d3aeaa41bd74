package dev.laocoon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvertCliTest {
    @TempDir
    Path dir;

    /** A zip checkpoint {name: float tensor [n]} plus, when {@code payload}, an entry that runs os.system. */
    static byte[] checkpoint(boolean payload) {
        return checkpoint(payload ? p -> p.str("x").global("os", "system").str("id").tuple1().reduce() : p -> { });
    }

    /** The checkpoint with more entries written by {@code extra} (key and value each). */
    static byte[] checkpoint(java.util.function.Consumer<PickleBuilder> extra) {
        PickleBuilder p = PickleBuilder.create().proto(2).global("collections", "OrderedDict").emptyTuple().reduce().mark()
                .str("fc.weight").global("torch._utils", "_rebuild_tensor_v2").mark()
                .mark().str("storage").global("torch", "FloatStorage").str("0").str("cpu").binint(6).tuple().binpersid()
                .binint(0).mark().binint(2).binint(3).tuple().mark().binint(3).binint(1).tuple().newFalse()
                .global("collections", "OrderedDict").emptyTuple().reduce().tuple().reduce();
        extra.accept(p);
        ByteBuffer data = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) {
            data.putFloat(i);
        }
        return new ZipBuilder().add("archive/data.pkl", p.setitems().stop().bytes()).add("archive/data/0", data.array())
                .bytes();
    }

    @Test
    void convertOntoAnExistingOutputIsAUsageError() throws IOException {
        Path in = dir.resolve("model.pt");
        Files.write(in, checkpoint(false));
        Path out = dir.resolve("model.safetensors");
        Files.writeString(out, "keep me");
        CliTest.Run r = CliTest.run("convert", in.toString(), "-o", out.toString());
        assertThat(r.code()).isEqualTo(2); // a usage error, not a refusal of the input
        assertThat(r.err()).contains("exists; use --overwrite");
        assertThat(Files.readString(out)).isEqualTo("keep me");
        assertThat(CliTest.run("convert", in.toString(), "-o", out.toString(), "--overwrite").code()).isZero();
    }

    @Test
    void inspectWarnsThatAMaliciousCheckpointIsNotSafeToLoad() throws IOException {
        Path in = dir.resolve("evil.pt");
        Files.write(in, checkpoint(true));
        CliTest.Run r = CliTest.run("inspect", in.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("fc.weight");
        assertThat(r.err()).contains("warning").contains("is malicious").contains("does not make it safe to load");
        Path safe = dir.resolve("model.pt");
        Files.write(safe, checkpoint(false));
        assertThat(CliTest.run("inspect", safe.toString()).err()).doesNotContain("warning");
    }

    @Test
    void convertWritesAValidFileThatScansSafeAndInspectListsIt() throws IOException {
        Path in = dir.resolve("model.pt");
        Files.write(in, checkpoint(false));
        Path out = dir.resolve("model.safetensors");
        CliTest.Run r = CliTest.run("convert", in.toString(), "-o", out.toString(), "--verify");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("converted 1 tensors").contains("verified");
        assertThat(CliTest.run("scan", out.toString()).code()).isZero();

        CliTest.Run text = CliTest.run("inspect", out.toString());
        assertThat(text.code()).isZero();
        assertThat(text.out()).contains("safetensors, 1 tensors").containsPattern("fc\\.weight\\s+F32\\s+\\[2, 3]\\s+24");
        CliTest.Run source = CliTest.run("inspect", "-f", "json", in.toString());
        JsonNode j = new ObjectMapper().readTree(source.out());
        assertThat(j.get("format").asText()).isEqualTo("pytorch-zip");
        assertThat(j.get("tensors").get(0).get("name").asText()).isEqualTo("fc.weight");
        assertThat(j.get("tensors").get(0).get("shape").toString()).isEqualTo("[2,3]");
    }

    @Test
    void maliciousInputIsRefusedWithExitOneAndNoOutput() throws IOException {
        Path in = dir.resolve("evil.pt");
        Files.write(in, checkpoint(true));
        Path out = dir.resolve("evil.safetensors");
        CliTest.Run r = CliTest.run("convert", in.toString(), "--output", out.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("malicious").contains("os.system").contains("nothing was written");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("evil.pt");
        }
        CliTest.Run forced = CliTest.run("convert", in.toString(), "--output", out.toString(), "--force");
        assertThat(forced.code()).isZero();
        assertThat(forced.err()).contains("left out 'x'");
    }

    /** Six levels of dicts, each holding the one below under 60 keys (by memo): 60^6 paths in a few kB. */
    @Test
    void dictsThePickleHoldsManyTimesOverAreWalkedOnce() throws IOException {
        Path in = dir.resolve("wide.pt");
        Files.write(in, checkpoint(p -> {
            p.str("wide").emptyDict().mark().str("x").binint(1).setitems().put(0).pop();
            for (int level = 1; level <= 6; level++) {
                p.emptyDict().mark();
                for (int k = 0; k < 60; k++) {
                    p.str("k" + k).get(level - 1);
                }
                p.setitems().put(level);
                if (level < 6) {
                    p.pop();
                }
            }
        }));
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> {
            CliTest.Run r = CliTest.run("inspect", in.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("1 tensors").contains("wide/k0/k0/k0/k0/k0/k1: the same dict as wide/k0/k0/k0/k0/k0/k0");
            assertThat(r.out().length()).isLessThan(100_000);
            Path out = dir.resolve("wide.safetensors");
            CliTest.Run c = CliTest.run("convert", in.toString(), "-o", out.toString());
            assertThat(c.code()).as(c.err()).isZero();
        });
    }

    @Test
    void usageErrorsExitTwo() throws IOException {
        Path in = dir.resolve("m.pt");
        Files.write(in, checkpoint(false));
        assertThat(CliTest.run("convert", in.toString()).err()).contains("--output");
        assertThat(CliTest.run("convert", in.toString(), "-o", dir.resolve("x.safetensors").toString(),
                "--max-shard-size", "lots").code()).isEqualTo(2);
        assertThat(CliTest.run("convert", dir.resolve("missing.pt").toString(), "-o", "x.safetensors").code()).isEqualTo(2);
        assertThat(CliTest.run("inspect").code()).isEqualTo(2);
        assertThat(CliTest.run("convert", "--help").out()).contains("--max-shard-size").contains("--keep-shared-copies");
    }

    @Test
    void tensorNamesCannotDriveTheTerminal() throws IOException {
        Path in = dir.resolve("esc.pt");
        // a second tensor over the same storage, and a plain entry, both named with escape sequences
        Files.write(in, checkpoint(p -> p.str("w\u001b[2K\rSAFE").global("torch._utils", "_rebuild_tensor_v2").mark()
                .mark().str("storage").global("torch", "FloatStorage").str("0").str("cpu").binint(6).tuple().binpersid()
                .binint(0).mark().binint(6).tuple().mark().binint(1).tuple().newFalse()
                .global("collections", "OrderedDict").emptyTuple().reduce().tuple().reduce()
                .str("n\u001b]0;x\u0007").binint(1)));
        CliTest.Run r = CliTest.run("inspect", in.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).doesNotContain("\u001b").contains("w\\x1b[2K\\rSAFE");
        assertThat(r.out()).contains("n\\x1b]0;x\\x07");
        CliTest.Run c = CliTest.run("convert", in.toString(), "-o", dir.resolve("esc.safetensors").toString(), "--verify",
                "--keep-shared-copies");
        assertThat(c.code()).as(c.err()).isZero();
        assertThat(c.err()).doesNotContain("\u001b").doesNotContain("\u0007");
        assertThat(CliTest.run("inspect", dir.resolve("esc.safetensors").toString()).out()).doesNotContain("\u001b");
    }

    @Test
    void notACheckpointIsExplained() throws IOException {
        Path in = dir.resolve("notes.txt");
        Files.writeString(in, "hello");
        CliTest.Run r = CliTest.run("inspect", in.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("not a PyTorch checkpoint");
    }
}
