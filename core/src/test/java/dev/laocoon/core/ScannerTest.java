package dev.laocoon.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.testutil.PickleBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScannerTest {
    @TempDir
    Path dir;

    Path write(String name, byte[] data) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.write(p, data);
        return p;
    }

    @Test
    void textFileIsNotAPickle() throws IOException {
        Path p = write("README.md", "# Model card\ncats and dogs\n".getBytes(StandardCharsets.UTF_8));
        FileReport r = Scanner.builder().build().scan(p, "README.md");
        assertThat(r.formatLabel()).isEqualTo("unknown");
        assertThat(r.verdict()).isEqualTo(Severity.NOTICE);
        assertThat(r.findings()).extracting(f -> f.rule()).containsExactly(Rule.FORMAT_UNKNOWN);
    }

    @Test
    void emptyFileIsNotSafe() throws IOException {
        FileReport r = Scanner.builder().build().scan(write("empty.pkl", new byte[0]), "empty.pkl");
        assertThat(r.verdict()).isNotEqualTo(Severity.SAFE);
    }

    @Test
    void protocolZeroPickleWithoutProtoIsDetected() throws IOException {
        Path p = write("weights.txt", "cos\nsystem\n(S'id'\ntR.".getBytes(StandardCharsets.ISO_8859_1));
        FileReport r = Scanner.builder().build().scan(p, "weights.txt");
        assertThat(r.formatLabel()).isEqualTo("pickle");
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
    }

    @Test
    void brokenPickleWithProtoIsSuspiciousNotUnknown() throws IOException {
        FileReport r = Scanner.builder().build().scan(write("x.pkl", new byte[] {(byte) 0x80, 2, (byte) 0xff}), "x.pkl");
        assertThat(r.formatLabel()).isEqualTo("pickle");
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
    }

    @Test
    void directoriesAreScannedRecursivelyInSortedOrder() throws IOException {
        write("b/two.pkl", PickleBuilder.create().proto(2).none().stop().bytes());
        write("a/one.pkl", PickleBuilder.call("os", "system", "id"));
        ScanReport r = Scanner.builder().build().scan(List.of(dir));
        assertThat(r.files()).extracting(FileReport::path)
                .containsExactly(dir.resolve("a/one.pkl").toString(), dir.resolve("b/two.pkl").toString());
        assertThat(r.reaches(Severity.SUSPICIOUS)).isTrue();
        assertThat(r.countByVerdict()).containsEntry(Severity.MALICIOUS, 1).containsEntry(Severity.SAFE, 1);
    }

    @Test
    void progressIsReportedForEveryFile() throws IOException {
        for (int i = 0; i < 12; i++) {
            write("p/f" + i + ".pkl", PickleBuilder.create().proto(2).none().stop().bytes());
        }
        java.util.concurrent.atomic.AtomicInteger last = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        ScanReport r = Scanner.builder().build().scan(List.of(dir.resolve("p")), List.of(), List.of(), (done, total) -> {
            calls.incrementAndGet();
            last.accumulateAndGet(done, Math::max);
            assertThat(total).isEqualTo(12);
        });
        assertThat(r.files()).hasSize(12);
        assertThat(calls.get()).isEqualTo(12);
        assertThat(last.get()).isEqualTo(12);
    }

    @Test
    void aMissingArgumentIsAFailedEntryAndTheOthersAreScanned() throws IOException {
        Path ok = dir.resolve("ok.json");
        Files.writeString(ok, "[1]");
        ScanReport r = Scanner.builder().build().scan(List.of(dir.resolve("nope"), ok));
        assertThat(r.files()).hasSize(2);
        assertThat(r.files().get(0).failed()).isTrue();
        assertThat(r.files().get(0).error()).isEqualTo("no such file or directory");
        assertThat(r.files().get(0).verdict()).isEqualTo(dev.laocoon.core.finding.Severity.SUSPICIOUS);
        assertThat(r.files().get(1).formatLabel()).isEqualTo("json");
        assertThat(r.errors()).isEqualTo(1);
    }

    @Test
    void aFifoIsNeverOpenedNorPassed() throws Exception {
        Path fifo = dir.resolve("pipe");
        Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo not available");
        // opening a FIFO with no writer would block forever
        FileReport alone = Scanner.builder().build().scan(fifo);
        assertThat(alone.failed()).isTrue();
        assertThat(alone.error()).contains("not a regular file");
        ScanReport tree = Scanner.builder().build().scan(List.of(dir));
        assertThat(tree.files()).anySatisfy(f -> {
            assertThat(f.path()).endsWith("pipe");
            assertThat(f.failed()).isTrue();
        });
    }

    @Test
    void aFolderThatCannotBeListedIsAFailedEntryAndTheWalkGoesOn() throws IOException {
        Assumptions.assumeFalse("root".equals(System.getProperty("user.name")), "root reads every folder");
        Path closed = Files.createDirectories(dir.resolve("closed"));
        Files.writeString(dir.resolve("open.json"), "[1]");
        closed.toFile().setReadable(false);
        try {
            ScanReport r = Scanner.builder().build().scan(List.of(dir));
            assertThat(r.files()).anySatisfy(f -> assertThat(f.path()).endsWith("closed"));
            assertThat(r.files()).anySatisfy(f -> assertThat(f.path()).endsWith("open.json"));
        } finally {
            closed.toFile().setReadable(true);
        }
    }

    FileReport scanText(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return Scanner.builder().build().scan(f, name);
    }

    @Test
    void wholeJsonDocumentsAreDataAndKerasModelJsonIsChecked() throws IOException {
        FileReport index = scanText("model.safetensors.index.json",
                "{\"metadata\": {\"total_size\": 8}, \"weight_map\": {\"w\": \"model-00001-of-00002.safetensors\"}}\n");
        assertThat(index.formatLabel()).isEqualTo("json");
        assertThat(index.verdict()).isEqualTo(Severity.SAFE);
        assertThat(scanText("list.json", " [1, 2, null, {}] ").verdict()).isEqualTo(Severity.SAFE);
        // not one whole JSON value: still unknown, a notice
        assertThat(scanText("broken.json", "{\"a\": 1} trailing").verdict()).isEqualTo(Severity.NOTICE);
        assertThat(scanText("cut.json", "{\"a\": [1, 2").verdict()).isEqualTo(Severity.NOTICE);
        // model.to_json(): model_from_json deserializes it, Lambda layers included
        FileReport keras = scanText("model.json", "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": "
                + "\"Lambda\", \"config\": {\"function\": [\"4wAAAA==\", null, null], \"function_type\": \"lambda\"}}]}}");
        assertThat(keras.formatLabel()).isEqualTo("keras-json");
        assertThat(keras.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(keras.findings()).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.KERAS_LAMBDA));
    }

    static final String LAMBDA = "{\"class_name\": \"Lambda\", \"config\": {\"function\": [\"4wAAAA==\", null, null], "
            + "\"function_type\": \"lambda\"}}";
    static final String MODEL = "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [" + LAMBDA + "]}}";

    @Test
    void kerasModelJsonIsCheckedWhereverModelFromJsonFindsIt() throws IOException {
        // Keras 3's deserialize_keras_object walks lists and dicts without class_name/config at the top
        List<String> docs = List.of("[" + MODEL + "]", "{\"model_config\": " + MODEL + "}",
                // model_from_json ignores extra top-level keys such as auto_map
                MODEL.substring(0, MODEL.length() - 1) + ", \"auto_map\": {\"AutoModel\": \"m.M\"}}",
                // Python's json module accepts NaN and Infinity
                MODEL.replace("\"layers\"", "\"epsilon\": NaN, \"scale\": -Infinity, \"layers\""));
        for (int i = 0; i < docs.size(); i++) {
            FileReport r = scanText("m" + i + ".json", docs.get(i));
            assertThat(r.verdict()).as(docs.get(i)).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.KERAS_LAMBDA));
        }
        // json.loads(bytes) decodes a UTF-8 BOM and UTF-16
        byte[] bom = ("\ufeff" + MODEL).getBytes(StandardCharsets.UTF_8);
        byte[] utf16 = ("\ufeff" + MODEL).getBytes(StandardCharsets.UTF_16LE);
        for (byte[] b : List.of(bom, utf16, MODEL.getBytes(StandardCharsets.UTF_16BE))) {
            FileReport r = Scanner.builder().build().scan(write("u" + b.length + b[0] + ".json", b), "u.json");
            assertThat(r.formatLabel()).isEqualTo("keras-json");
            assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        }
        // a plain document with class_name in one object and config in another is still data
        assertThat(scanText("plain.json", "{\"a\": {\"class_name\": \"x\"}, \"b\": {\"config\": 1}}").formatLabel())
                .isEqualTo("json");
    }

    @Test
    void largeJsonIsReadAsAStream() throws IOException {
        StringBuilder big = new StringBuilder("{\"vocab\": {");
        for (int i = 0; i < 400_000; i++) {
            big.append(i == 0 ? "" : ",").append("\"token").append(i).append("\": ").append(i);
        }
        big.append("}}");
        FileReport r = scanText("tokenizer.json", big.toString());
        assertThat(r.size()).isGreaterThan(4 << 20);
        assertThat(r.formatLabel()).isEqualTo("json");
        assertThat(r.verdict()).isEqualTo(Severity.SAFE);
    }
}
