package dev.laocoon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bombs and huge inputs scan within a 128 MiB heap, in a child JVM started with {@code -Xmx128m},
 * and every one of them gets a report entry, none of the bombs {@code safe} (issue: memory, fail closed):
 * a 42.zip-style nest, a zip whose thousand entries overlap one deflated kernel, a gzip and an xz
 * bomb behind a pickle, a GGUF with two million keys, and a 10 GiB sparse file.
 */
class SmallHeapBombsTest {
    @TempDir
    static Path dir;
    static JsonNode report;
    static int exit;
    static String stderr;

    static final byte[] PICKLE = "cos\nsystem\n(S'echo laocoon'\ntR.".getBytes(StandardCharsets.ISO_8859_1);

    @BeforeAll
    static void scanBombsInASmallHeap() throws Exception {
        Path bombs = Files.createDirectories(dir.resolve("bombs"));
        Files.write(bombs.resolve("nested.zip"), nested(3, 16, 32 << 20));
        Files.write(bombs.resolve("overlap.zip"), overlapping(1000, 32 << 20));
        Files.write(bombs.resolve("pickle-then-zeros.pkl.gz"), gzipAfterPickle(1L << 30));
        Files.write(bombs.resolve("pickle-then-zeros.pkl.xz"), xzAfterPickle(256L << 20));
        Files.write(bombs.resolve("two-million-keys.gguf"), ggufKeys(2_000_000));
        try (RandomAccessFile f = new RandomAccessFile(bombs.resolve("sparse.bin").toFile(), "rw")) {
            f.setLength(10L << 30);
        }
        Path out = dir.resolve("report.json");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                "-cp", System.getProperty("java.class.path"), "dev.laocoon.cli.Main", "scan", "--format", "json",
                "--max-seconds", "120", "-o", out.toString(), bombs.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(15, TimeUnit.MINUTES)).isTrue();
        exit = p.exitValue();
        report = new ObjectMapper().readTree(out.toFile());
    }

    @Test
    void everyBombHasAReportThatIsNotSafeAndTheHeapHeld() {
        assertThat(stderr).doesNotContain("OutOfMemoryError").doesNotContain("Exception in thread");
        assertThat(exit).as(stderr).isEqualTo(1); // found something, not an error
        Map<String, String> verdicts = new HashMap<>();
        for (JsonNode f : report.get("files")) {
            verdicts.put(Path.of(f.get("path").asText()).getFileName().toString(), f.get("verdict").asText());
            assertThat(f.has("error") && !f.get("error").isNull()).as(f.toString()).isFalse();
        }
        assertThat(verdicts).containsOnlyKeys("nested.zip", "overlap.zip", "pickle-then-zeros.pkl.gz",
                "pickle-then-zeros.pkl.xz", "two-million-keys.gguf", "sparse.bin");
        // a GGUF with two million well-formed keys is data: it must be read, not necessarily flagged
        verdicts.forEach((name, v) -> {
            if (!name.endsWith(".gguf")) {
                assertThat(v).as(name).isNotEqualTo("safe");
            }
        });
        assertThat(verdicts.get("pickle-then-zeros.pkl.gz")).isEqualTo("malicious");
        assertThat(verdicts.get("pickle-then-zeros.pkl.xz")).isEqualTo("malicious");
    }

    /** {@code levels} of zips, each holding {@code fanout} copies of the level below; leaves are {@code leaf} zero bytes. */
    static byte[] nested(int levels, int fanout, int leaf) throws IOException {
        byte[] inner = deflatedZip("zeros.bin", new byte[leaf]);
        for (int l = 1; l < levels; l++) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try (ZipOutputStream z = new ZipOutputStream(b)) {
                for (int i = 0; i < fanout; i++) {
                    z.putNextEntry(new ZipEntry("level" + l + "-" + i + ".zip"));
                    z.write(inner);
                    z.closeEntry();
                }
            }
            inner = b.toByteArray();
        }
        return inner;
    }

    static byte[] deflatedZip(String name, byte[] data) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(b)) {
            z.setLevel(Deflater.BEST_COMPRESSION);
            z.putNextEntry(new ZipEntry(name));
            z.write(data);
            z.closeEntry();
        }
        return b.toByteArray();
    }

    /** One deflated kernel of {@code size} zeros and {@code n} central-directory entries that all point at it. */
    static byte[] overlapping(int n, int size) throws IOException {
        ByteArrayOutputStream kernel = new ByteArrayOutputStream();
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
        try (DeflaterOutputStream o = new DeflaterOutputStream(kernel, d)) {
            o.write(new byte[size]);
        }
        CRC32 crc = new CRC32();
        crc.update(new byte[size]);
        byte[] k = kernel.toByteArray();
        ByteBuffer out = ByteBuffer.allocate(64 + k.length + n * 60 + 64).order(ByteOrder.LITTLE_ENDIAN);
        byte[] name = "a".getBytes(StandardCharsets.US_ASCII);
        out.putInt(0x04034b50).putShort((short) 20).putShort((short) 0).putShort((short) 8).putInt(0)
                .putInt((int) crc.getValue()).putInt(k.length).putInt(size).putShort((short) 1).putShort((short) 0).put(name);
        out.put(k);
        int cd = out.position();
        for (int i = 0; i < n; i++) {
            byte[] nm = ("f" + i).getBytes(StandardCharsets.US_ASCII);
            out.putInt(0x02014b50).putShort((short) 20).putShort((short) 20).putShort((short) 0).putShort((short) 8)
                    .putInt(0).putInt((int) crc.getValue()).putInt(k.length).putInt(size).putShort((short) nm.length)
                    .putShort((short) 0).putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0).putInt(0)
                    .put(nm);
        }
        int cdSize = out.position() - cd;
        out.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) n).putShort((short) n)
                .putInt(cdSize).putInt(cd).putShort((short) 0);
        byte[] r = new byte[out.position()];
        out.flip().get(r);
        return r;
    }

    static byte[] gzipAfterPickle(long zeros) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(b, 1 << 16)) {
            g.write(PICKLE);
            writeZeros(g, zeros);
        }
        return b.toByteArray();
    }

    static byte[] xzAfterPickle(long zeros) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (OutputStream x = new org.tukaani.xz.XZOutputStream(b, new org.tukaani.xz.LZMA2Options(0))) {
            x.write(PICKLE);
            writeZeros(x, zeros);
        }
        return b.toByteArray();
    }

    static void writeZeros(OutputStream o, long n) throws IOException {
        byte[] z = new byte[1 << 20];
        for (long left = n; left > 0; left -= z.length) {
            o.write(z, 0, (int) Math.min(z.length, left));
        }
    }

    /** GGUF v3 with {@code n} metadata keys of type uint8 and no tensor. */
    static byte[] ggufKeys(int n) {
        List<byte[]> keys = new ArrayList<>();
        int size = 24;
        for (int i = 0; i < n; i++) {
            byte[] k = ("k." + i).getBytes(StandardCharsets.US_ASCII);
            keys.add(k);
            size += 8 + k.length + 4 + 1;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.put("GGUF".getBytes(StandardCharsets.US_ASCII)).putInt(3).putLong(0).putLong(n);
        for (byte[] k : keys) {
            b.putLong(k.length).put(k).putInt(0).put((byte) 1); // GGUF_TYPE_UINT8
        }
        return b.array();
    }
}
