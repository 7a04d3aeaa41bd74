package dev.laocoon.core.internal.container;

import dev.laocoon.core.testutil.Pythons;
import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PyTorch checkpoint re-zipped with deflate ({@code zip -r} after unzip, or zipfile.ZIP_DEFLATED)
 * loads in torch (miniz inflates the members). Its storages are raw bytes to PyTorch, deflated or
 * not: they must not be analysed as content (float data starting with zero bytes read as an
 * LZMA-alone header and made the file suspicious).
 */
class DeflatedCheckpointTest {
    static final byte[] EVIL = PickleBuilder.call("os", "system", "echo pwned");

    @TempDir
    Path dir;

    static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    /** Storage 0: mostly zeros (an LZMA-alone-looking start); storage 1: random floats. */
    static Map<String, byte[]> members(byte[] dataPkl, byte[] storage0) {
        float[] r = new float[4096];
        Random rnd = new Random(1);
        for (int i = 0; i < r.length; i++) {
            r[i] = (float) rnd.nextGaussian();
        }
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("archive/data.pkl", dataPkl);
        m.put("archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        m.put("archive/data/0", storage0);
        m.put("archive/data/1", floats(r));
        m.put("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        return m;
    }

    static byte[] storage0() {
        float[] v = new float[1024]; // a zero-initialised bias: zero runs read as empty LZMA-alone streams
        v[1000] = 2;
        return floats(v);
    }

    /** {w: tensor over storage 0 (1024 floats), v: tensor over storage 1 (4096)}. */
    static byte[] stateDict() {
        return PickleBuilder.create().proto(2)
                .global("collections", "OrderedDict").emptyTuple().reduce()
                .str("w").global("torch._utils", "_rebuild_tensor_v2").mark()
                .mark().str("storage").global("torch", "FloatStorage").str("0").str("cpu").binint(1024).tuple().binpersid()
                .binint1(0).binint(1024).tuple1().binint1(1).tuple1().newFalse()
                .global("collections", "OrderedDict").emptyTuple().reduce().tuple().reduce().setitem()
                .str("v").global("torch._utils", "_rebuild_tensor_v2").mark()
                .mark().str("storage").global("torch", "FloatStorage").str("1").str("cpu").binint(4096).tuple().binpersid()
                .binint1(0).binint(4096).tuple1().binint1(1).tuple1().newFalse()
                .global("collections", "OrderedDict").emptyTuple().reduce().tuple().reduce().setitem()
                .stop().bytes();
    }

    static byte[] deflated(Map<String, byte[]> members) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : members.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }

    static FileReport scan(byte[] b) {
        return Scanner.builder().build().scan(new ArrayByteSource(b), "model.pt");
    }

    @Test
    void aDeflatedCheckpointIsSafe() throws IOException {
        FileReport r = scan(deflated(members(stateDict(), storage0())));
        assertThat(r.formatLabel()).isEqualTo("pytorch-zip");
        assertThat(r.findings()).isEmpty();
        assertThat(r.verdict()).isEqualTo(Severity.SAFE);
    }

    @Test
    void aDeflatedPayloadIsStillFound() throws IOException {
        assertThat(scan(deflated(members(EVIL, storage0()))).verdict()).isEqualTo(Severity.MALICIOUS);
    }

    @Test
    void aDeflatedStorageThatIsAnObjectArrayToNumpyIsStillAnalysed() throws IOException {
        String header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }";
        header = header + " ".repeat(64 - (10 + header.length() + 1) % 64) + "\n";
        ByteArrayOutputStream npy = new ByteArrayOutputStream();
        npy.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length(), 0});
        npy.writeBytes(header.getBytes(StandardCharsets.US_ASCII));
        npy.writeBytes(EVIL);
        FileReport r = scan(deflated(members(stateDict(), npy.toByteArray())));
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.location().members()).contains("archive/data/0"));
    }

    @Test
    void torchLoadsTheDeflatedCheckpoint() throws Exception {
        String python = Pythons.with("torch");
        if (python == null) {
            System.out.println("DeflatedCheckpointTest: no python3 with torch; the loader check is skipped");
        }
        Assumptions.assumeTrue(python != null, "python3 with torch is not installed");
        Path f = dir.resolve("model.pt");
        Files.write(f, deflated(members(stateDict(), storage0())));
        Process p = new ProcessBuilder(python, "-c", "import sys, zipfile, torch\n"
                + "print({i.filename: i.compress_type for i in zipfile.ZipFile(sys.argv[1]).infolist()}['archive/data/0'])\n"
                + "d = torch.load(sys.argv[1])\n"
                + "print(d['w'][998:1001].tolist(), tuple(d['v'].shape))\n", f.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as(out).contains("8\n[0.0, 0.0, 2.0] (4096,)");
    }
}
