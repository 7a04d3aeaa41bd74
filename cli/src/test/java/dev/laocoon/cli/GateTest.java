package dev.laocoon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.laocoon.core.testutil.HttpFixture;
import dev.laocoon.core.testutil.HubFixture;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** laocoon gate SRC DEST: what lands in DEST, and that nothing does when the model is refused. */
class GateTest {
    @TempDir
    Path dir;

    static byte[] cleanCheckpoint() {
        return new ZipBuilder().add("archive/data.pkl", ZipBuilder.torchStateDict("w", "0", 4))
                .add("archive/data/0", new byte[16]).add("archive/version", "3\n".getBytes()).bytes();
    }

    static byte[] hostileCheckpoint() {
        return new ZipBuilder().add("archive/data.pkl", PickleBuilder.call("os", "system", "echo laocoon"))
                .add("archive/version", "3\n".getBytes()).bytes();
    }

    static byte[] torchScript() {
        return new ZipBuilder().add("archive/data.pkl", ZipBuilder.torchStateDict("w", "0", 1))
                .add("archive/data/0", new byte[4]).add("archive/code/__torch__/m.py", "def forward(self): pass\n".getBytes())
                .add("archive/constants.pkl", PickleBuilder.create().proto(2).emptyTuple().stop().bytes()).bytes();
    }

    Path repo(Map<String, byte[]> files) throws IOException {
        Path r = Files.createDirectories(dir.resolve("src-" + System.nanoTime()));
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            Path p = r.resolve(e.getKey());
            Files.createDirectories(p.getParent());
            Files.write(p, e.getValue());
        }
        return r;
    }

    static Map<String, byte[]> benign() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("config.json", "{\"model_type\": \"bert\"}".getBytes());
        m.put("pytorch_model.bin", cleanCheckpoint());
        m.put("tokenizer/vocab.txt", "a\nb\n".getBytes());
        return m;
    }

    /** Everything in the temporary folder whose name marks it as the gate's own staging or journal. */
    List<String> leftovers() throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.forEach(p -> {
                String n = p.getFileName().toString();
                if (n.contains(GateCommand.STAGING) || n.equals(GateCommand.JOURNAL)) {
                    out.add(dir.relativize(p).toString());
                }
            });
        }
        return out;
    }

    static boolean emptyOrAbsent(Path d) throws IOException {
        if (!Files.exists(d)) {
            return true;
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.findAny().isEmpty();
        }
    }

    @Test
    void aBenignRepositoryLandsWithItsReport() throws IOException {
        Path src = repo(benign());
        Path dest = dir.resolve("mnt/models");
        CliTest.Run r = CliTest.run("gate", src.toString(), dest.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("passed: 3 files");
        assertThat(Files.readAllBytes(dest.resolve("pytorch_model.bin"))).isEqualTo(cleanCheckpoint());
        assertThat(dest.resolve("tokenizer/vocab.txt")).exists();
        JsonNode rep = new ObjectMapper().readTree(dest.resolve(GateCommand.REPORT).toFile());
        assertThat(rep.get("gate").get("passed").asBoolean()).isTrue();
        assertThat(rep.get("files")).hasSize(3);
        assertThat(rep.get("files").get(1).get("path").asText()).isEqualTo("pytorch_model.bin");
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void anEmptyMountedFolderIsFilledAndAFileUrlIsASource() throws IOException {
        Path src = repo(benign());
        Path dest = Files.createDirectories(dir.resolve("models"));
        CliTest.Run r = CliTest.run("gate", src.toUri().toString(), dest.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(dest.resolve("config.json")).exists();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aMaliciousPickleIsRefusedAndNothingLands() throws IOException {
        Map<String, byte[]> files = benign();
        files.put("extra/model.pt", hostileCheckpoint());
        Path dest = dir.resolve("dest");
        CliTest.Run r = CliTest.run("gate", repo(files).toString(), dest.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("laocoon gate: refused: extra/model.pt is malicious (LAO101")
                .doesNotContain("Exception");
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(emptyOrAbsent(dest)).isTrue();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void theServingPolicyRefusesCodeUnlessAllowedByName() throws IOException {
        Map<String, byte[]> ts = benign();
        ts.put("traced.pt", torchScript());
        Path src = repo(ts);
        Path dest = dir.resolve("d1");
        CliTest.Run r = CliTest.run("gate", src.toString(), dest.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("traced.pt: a TorchScript archive").contains("--allow torchscript");
        assertThat(emptyOrAbsent(dest)).isTrue();
        assertThat(CliTest.run("gate", "--allow", "torchscript", src.toString(), dest.toString()).code()).isZero();

        Map<String, byte[]> remote = benign();
        remote.put("config.json", "{\"auto_map\": {\"AutoModel\": \"modeling.MyModel\"}}".getBytes());
        remote.put("modeling.py", "class MyModel: pass\n".getBytes());
        Path src2 = repo(remote);
        Path d2 = dir.resolve("d2");
        CliTest.Run r2 = CliTest.run("gate", "--report", dir.resolve("r2.json").toString(), src2.toString(), d2.toString());
        assertThat(r2.code()).isEqualTo(1);
        JsonNode rep = new ObjectMapper().readTree(dir.resolve("r2.json").toFile());
        assertThat(rep.get("gate").get("refusals").toString()).contains("trust-remote-code").contains("python-files");
        assertThat(emptyOrAbsent(d2)).isTrue();
        assertThat(CliTest.run("gate", "--allow", "trust-remote-code,python-files", src2.toString(), d2.toString()).code())
                .isZero();

        Map<String, byte[]> triton = benign();
        triton.put("ensemble/config.pbtxt", "name: \"m\"\n# backend: \"onnxruntime\"\nbackend: \"python\"\n".getBytes());
        CliTest.Run r3 = CliTest.run("gate", repo(triton).toString(), dir.resolve("d3").toString());
        assertThat(r3.code()).isEqualTo(1);
        assertThat(r3.err()).contains("Python backend");

        Map<String, byte[]> mar = benign();
        mar.put("handler.mar", new ZipBuilder().add("MAR-INF/MANIFEST.json", "{}".getBytes()).bytes());
        assertThat(CliTest.run("gate", repo(mar).toString(), dir.resolve("d4").toString()).err())
                .contains("TorchServe archive");
        assertThat(CliTest.run("gate", "--allow", "no-such-thing", src.toString(), dir.resolve("d5").toString()).code())
                .isEqualTo(2);
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aSymlinkOutOfTheSourceAndATooLargeModelAreRefused() throws IOException {
        Path src = repo(benign());
        Files.createSymbolicLink(src.resolve("escape.bin"), Path.of("/etc/hostname"));
        CliTest.Run r = CliTest.run("gate", src.toString(), dir.resolve("d").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("escape.bin is a symbolic link out of");
        Files.delete(src.resolve("escape.bin"));
        Files.createSymbolicLink(src.resolve("same.bin"), src.resolve("pytorch_model.bin"));
        assertThat(CliTest.run("gate", src.toString(), dir.resolve("ok").toString()).code()).isZero();
        assertThat(Files.isSymbolicLink(dir.resolve("ok/same.bin"))).isFalse();
        CliTest.Run big = CliTest.run("gate", "--max-bytes", "100", src.toString(), dir.resolve("d2").toString());
        assertThat(big.code()).isEqualTo(1);
        assertThat(big.err()).contains("past --max-bytes 100");
        assertThat(emptyOrAbsent(dir.resolve("d"))).isTrue();
        assertThat(emptyOrAbsent(dir.resolve("d2"))).isTrue();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aMissingSourceOrAForeignDestinationCannotRun() throws IOException {
        CliTest.Run r = CliTest.run("gate", dir.resolve("nothing").toString(), dir.resolve("d").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("could not run").contains("no such file");
        Path dest = Files.createDirectories(dir.resolve("busy"));
        Files.writeString(dest.resolve("notes.txt"), "mine");
        CliTest.Run f = CliTest.run("gate", repo(benign()).toString(), dest.toString());
        assertThat(f.code()).isEqualTo(2);
        assertThat(f.err()).contains("not empty");
        try (Stream<Path> s = Files.list(dest)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("notes.txt");
        }
        assertThat(CliTest.run("gate", "only-one").code()).isEqualTo(2);
    }

    @Test
    void aSecondGateReplacesTheModelOfTheFirst() throws IOException {
        Path dest = Files.createDirectories(dir.resolve("models"));
        assertThat(CliTest.run("gate", repo(benign()).toString(), dest.toString()).code()).isZero();
        Map<String, byte[]> v2 = new LinkedHashMap<>();
        v2.put("model.safetensors", "{}".getBytes());
        v2.put("weights.pt", cleanCheckpoint());
        CliTest.Run r = CliTest.run("gate", repo(v2).toString(), dest.toString());
        assertThat(r.code()).as(r.err()).isZero();
        try (Stream<Path> s = Files.list(dest)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("model.safetensors",
                    "weights.pt", GateCommand.REPORT);
        }
        // refused the third time: the second model stays as it was
        Map<String, byte[]> bad = new LinkedHashMap<>();
        bad.put("evil.pkl", PickleBuilder.call("os", "system", "echo laocoon"));
        assertThat(CliTest.run("gate", repo(bad).toString(), dest.toString()).code()).isEqualTo(1);
        assertThat(dest.resolve("weights.pt")).exists();
        assertThat(dest.resolve("evil.pkl")).doesNotExist();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aMoveThatWasCutShortIsUndoneByTheNextGate() throws IOException {
        // what a gate killed half-way through its journaled move leaves: the journal, some entries
        Path dest = Files.createDirectories(dir.resolve("models"));
        Files.writeString(dest.resolve("half.bin"), "partial");
        Files.writeString(dest.resolve(GateCommand.JOURNAL), "half.bin\nother.bin\n");
        Files.createDirectories(dest.resolve(GateCommand.STAGING + "dead"));
        CliTest.Run r = CliTest.run("gate", repo(benign()).toString(), dest.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(dest.resolve("half.bin")).doesNotExist();
        assertThat(dest.resolve("config.json")).exists();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aKilledGateLeavesTheDestinationUntouched() throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        byte[] block = new byte[8 << 20];
        for (int i = 0; i < 24; i++) {
            block[0] = (byte) i;
            files.put("shard-" + i + ".bin", block.clone());
        }
        Path src = repo(files);
        Path dest = dir.resolve("models");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        java.util.Random random = new java.util.Random();
        for (int round = 0; round < 3; round++) {
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.laocoon.cli.Main",
                    "gate", src.toString(), dest.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            Thread.sleep(300 + random.nextInt(900));
            p.destroyForcibly(); // SIGKILL
            p.waitFor();
            boolean done = Files.exists(dest.resolve(GateCommand.REPORT));
            // either the whole model with its report, or nothing of it
            if (done) {
                assertThat(dest.resolve("shard-23.bin")).exists();
                break;
            }
            assertThat(emptyOrAbsent(dest)).as("round " + round).isTrue();
        }
        CliTest.Run r = CliTest.run("gate", src.toString(), dir.resolve("after").toString());
        assertThat(r.code()).as(r.err()).isZero();
        CliTest.Run again = CliTest.run("gate", src.toString(), dest.toString());
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void overHttpAndThroughTheHub() throws IOException {
        try (HttpFixture fx = new HttpFixture().put("/m/model.pt", cleanCheckpoint()).put("/m/evil.pt", hostileCheckpoint())) {
            Path d = dir.resolve("h");
            CliTest.Run ok = CliTest.run("gate", "--allow-host", "127.0.0.1", fx.url("/m/model.pt").toString(), d.toString());
            assertThat(ok.code()).as(ok.err()).isZero();
            assertThat(ok.out()).contains("passed: 1 file, ");
            assertThat(Files.readAllBytes(d.resolve("model.pt"))).isEqualTo(cleanCheckpoint());
            Path d2 = dir.resolve("h2");
            assertThat(CliTest.run("gate", "--allow-host", "127.0.0.1", fx.url("/m/evil.pt").toString(), d2.toString())
                    .code()).isEqualTo(1);
            assertThat(emptyOrAbsent(d2)).isTrue();
            CliTest.Run refused = CliTest.run("gate", fx.url("/m/model.pt").toString(), dir.resolve("h3").toString());
            assertThat(refused.code()).isEqualTo(2);
            assertThat(refused.err()).contains("refused by the network guard");
        }
        String commit = "0123456789abcdef0123456789abcdef01234567";
        Map<String, byte[]> files = benign();
        try (HubFixture hub = new HubFixture().repo("model", "org/m", commit, files, false)) {
            Path d = dir.resolve("hub");
            CliTest.Run r = CliTest.run("gate", "--hub-url", hub.url().toString(), "--allow-host", "127.0.0.1",
                    "--allow-host", "127.0.0.2", "hf://org/m@main", d.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(Files.readAllBytes(d.resolve("tokenizer/vocab.txt"))).isEqualTo(files.get("tokenizer/vocab.txt"));
            JsonNode rep = new ObjectMapper().readTree(d.resolve(GateCommand.REPORT).toFile());
            assertThat(rep.get("gate").get("revision").asText()).isEqualTo(commit);
        }
        assertThat(leftovers()).isEmpty();
    }

    /** A P-256 key pair as PEM files in the temporary folder; returns the private key's path (the public is .pub). */
    Path key() throws Exception {
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
        g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        java.security.KeyPair kp = g.generateKeyPair();
        Path k = dir.resolve("k.pem");
        Files.writeString(k, "-----BEGIN PRIVATE KEY-----\n"
                + java.util.Base64.getMimeEncoder().encodeToString(kp.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        Files.writeString(dir.resolve("k.pub"), "-----BEGIN PUBLIC KEY-----\n"
                + java.util.Base64.getMimeEncoder().encodeToString(kp.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
        return k;
    }

    @Test
    void aSignedModelIsVerifiedAndItsBundleStaysOutOfDest() throws Exception {
        Path src = repo(benign());
        Path k = key();
        CliTest.Run s = CliTest.run("sign", src.toString(), "--output", src.resolve("model.sig").toString(), "--private-key",
                k.toString());
        assertThat(s.code()).as(s.err()).isZero();
        String pub = dir.resolve("k.pub").toString();
        Path dest = dir.resolve("signed");
        CliTest.Run r = CliTest.run("gate", "--public-key", pub, "--require-signature", src.toString(), dest.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(dest.resolve("model.sig")).doesNotExist();
        JsonNode rep = new ObjectMapper().readTree(dest.resolve(GateCommand.REPORT).toFile());
        assertThat(rep.get("gate").get("signature").get("method").asText()).isEqualTo("key");
        assertThat(rep.get("files").toString()).doesNotContain("model.sig");

        // a file changed after signing, and a file the signature does not cover: refused, DEST as it was
        Files.writeString(src.resolve("config.json"), "{\"model_type\": \"gpt2\"}");
        Path d2 = dir.resolve("tampered");
        CliTest.Run t = CliTest.run("gate", "--public-key", pub, src.toString(), d2.toString());
        assertThat(t.code()).isEqualTo(1);
        assertThat(t.err()).contains("refused: signature:").contains("config.json");
        assertThat(emptyOrAbsent(d2)).isTrue();
        CliTest.Run again = CliTest.run("sign", src.toString(), "--output", src.resolve("model.sig").toString(),
                "--private-key", k.toString());
        assertThat(again.code()).isZero();
        Files.writeString(src.resolve("extra.txt"), "not signed");
        CliTest.Run u = CliTest.run("gate", "--public-key", pub, src.toString(), d2.toString());
        assertThat(u.code()).isEqualTo(1);
        assertThat(u.err()).contains("extra.txt");
        assertThat(emptyOrAbsent(d2)).isTrue();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aShardedSignatureIsCheckedOnTheBytesCopied() throws Exception {
        // the gate hashes while it copies, as the bundle says the model was hashed (blake2b in shards
        // here); a changed byte in one shard of a multi-shard file is found, a clean copy passes
        Path src = repo(benign());
        byte[] big = new byte[300_000];
        new java.util.Random(7).nextBytes(big);
        Files.write(src.resolve("weights.bin"), big);
        Path k = key();
        CliTest.Run s = CliTest.run("sign", src.toString(), "--output", dir.resolve("sharded.sig").toString(),
                "--private-key", k.toString(), "--hash", "blake2b", "--shard-size", "65536");
        assertThat(s.code()).as(s.err()).isZero();
        String pub = dir.resolve("k.pub").toString();
        Path dest = dir.resolve("sharded");
        CliTest.Run r = CliTest.run("gate", "--public-key", pub, "--signature", dir.resolve("sharded.sig").toString(),
                src.toString(), dest.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Files.readAllBytes(dest.resolve("weights.bin"))).isEqualTo(big);
        Files.deleteIfExists(dest.resolve(GateCommand.REPORT));

        big[200_000] ^= 1; // in the fourth shard
        Files.write(src.resolve("weights.bin"), big);
        Path d2 = dir.resolve("sharded2");
        CliTest.Run t = CliTest.run("gate", "--public-key", pub, "--signature", dir.resolve("sharded.sig").toString(),
                src.toString(), d2.toString());
        assertThat(t.code()).isEqualTo(1);
        assertThat(t.err()).contains("refused: signature: digest mismatch: weights.bin:196608:262144");
        assertThat(emptyOrAbsent(d2)).isTrue();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aSignedHubRepositoryIsVerifiedOnTheBytesDownloaded() throws Exception {
        Map<String, byte[]> files = benign();
        Path signed = repo(files);
        Path k = key();
        CliTest.Run s = CliTest.run("sign", signed.toString(), "--output", signed.resolve("model.sig").toString(),
                "--private-key", k.toString());
        assertThat(s.code()).as(s.err()).isZero();
        files.put("model.sig", Files.readAllBytes(signed.resolve("model.sig")));
        Map<String, byte[]> tampered = new LinkedHashMap<>(files);
        tampered.put("tokenizer/vocab.txt", "a\nc\n".getBytes());
        String commit = "89abcdef0123456789abcdef0123456789abcdef";
        String pub = dir.resolve("k.pub").toString();
        try (HubFixture hub = new HubFixture().repo("model", "org/signed", commit, files, false)
                .repo("model", "org/tampered", commit, tampered, false)) {
            Path d = dir.resolve("hub-signed");
            CliTest.Run r = CliTest.run("gate", "--hub-url", hub.url().toString(), "--allow-host", "127.0.0.1",
                    "--allow-host", "127.0.0.2", "--public-key", pub, "--require-signature", "hf://org/signed@main",
                    d.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(d.resolve("model.sig")).doesNotExist();
            JsonNode rep = new ObjectMapper().readTree(d.resolve(GateCommand.REPORT).toFile());
            assertThat(rep.get("gate").get("signature").get("files").asInt()).isEqualTo(3);
            Path d2 = dir.resolve("hub-tampered");
            CliTest.Run t = CliTest.run("gate", "--hub-url", hub.url().toString(), "--allow-host", "127.0.0.1",
                    "--allow-host", "127.0.0.2", "--public-key", pub, "hf://org/tampered@main", d2.toString());
            assertThat(t.code()).isEqualTo(1);
            assertThat(t.err()).contains("refused: signature: digest mismatch: tokenizer/vocab.txt");
            assertThat(emptyOrAbsent(d2)).isTrue();
        }
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aMissingSignatureIsRefusedWhenOneIsExpected() throws Exception {
        Path src = repo(benign());
        key();
        String pub = dir.resolve("k.pub").toString();
        CliTest.Run r = CliTest.run("gate", "--public-key", pub, src.toString(), dir.resolve("d").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("no signature: model.sig");
        assertThat(emptyOrAbsent(dir.resolve("d"))).isTrue();
        CliTest.Run u = CliTest.run("gate", "--require-signature", src.toString(), dir.resolve("d").toString());
        assertThat(u.code()).isEqualTo(2);
        assertThat(u.err()).contains("--require-signature needs");
    }

    @Test
    void aFullDiskCannotRunAndLeavesNothing() throws Exception {
        Path small = Files.createDirectories(dir.resolve("small"));
        Process m = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small.toString())
                .redirectErrorStream(true).start();
        boolean mounted = m.waitFor() == 0;
        if (!mounted) {
            System.out.println("GateTest: cannot mount a 1 MiB tmpfs here (not root?); the full-disk case is skipped");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(mounted, "no tmpfs mount");
        try {
            Map<String, byte[]> files = benign();
            files.put("big.bin", new byte[3 << 20]);
            Path src = repo(files);
            // DEST on the small file system, staged beside it; then DEST the mount point itself (an emptyDir)
            for (Path dest : List.of(small.resolve("models"), small)) {
                CliTest.Run r = CliTest.run("gate", src.toString(), dest.toString());
                assertThat(r.code()).as(r.err()).isEqualTo(2);
                assertThat(r.err()).contains("could not run").contains("no space left");
                assertThat(emptyOrAbsent(dest)).isTrue();
                try (Stream<Path> st = Files.list(small)) {
                    assertThat(st.map(p -> p.getFileName().toString())).isEmpty();
                }
            }
        } finally {
            new ProcessBuilder("umount", small.toString()).start().waitFor();
        }
    }

    @Test
    void namesThatLeaveTheFolderAreRefused() throws Exception {
        for (String bad : List.of("../escape.bin", "a/../../escape.bin", "/etc/passwd", "a\\b", "a//b", "./x")) {
            try {
                GateFetch.safe(dir.resolve("model"), bad);
                org.assertj.core.api.Assertions.fail("accepted " + bad);
            } catch (GateCommand.Refused e) {
                assertThat(e.getMessage()).contains("unsafe file name");
            }
        }
        assertThat(GateFetch.safe(dir.resolve("model"), "a/b.bin")).isEqualTo(dir.resolve("model/a/b.bin"));
        // a hub listing that names one: nothing lands, nothing is written outside DEST
        String commit = "0123456789abcdef0123456789abcdef01234567";
        Map<String, byte[]> files = benign();
        files.put("../escape.bin", "x".getBytes());
        try (HubFixture hub = new HubFixture().repo("model", "org/m", commit, files, false)) {
            Path d = dir.resolve("hub");
            CliTest.Run r = CliTest.run("gate", "--hub-url", hub.url().toString(), "--allow-host", "127.0.0.1",
                    "--allow-host", "127.0.0.2", "hf://org/m", d.toString());
            assertThat(r.code()).isNotZero();
            assertThat(r.err()).contains("unsafe path");
            assertThat(emptyOrAbsent(d)).isTrue();
            assertThat(dir.resolve("escape.bin")).doesNotExist();
        }
        assertThat(leftovers()).isEmpty();
    }
}
