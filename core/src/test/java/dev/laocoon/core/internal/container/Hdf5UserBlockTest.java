package dev.laocoon.core.internal.container;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HDF5 files with a user block: libhdf5 (h5py, Keras) finds the superblock at 512, 1024, 2048, ...
 * and opens the file; the bytes before it are read by other loaders from the first byte.
 */
class Hdf5UserBlockTest {
    static final byte[] EVIL = PickleBuilder.call("os", "system", "echo pwned");
    static final String DENSE = "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": ["
            + "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 4, \"activation\": \"relu\"}}]}}";
    static final String LAMBDA = "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": ["
            + "{\"class_name\": \"Lambda\", \"config\": {\"name\": \"l\", \"function\": [\"4wAAAADaAm9z2gZzeXN0ZW0=\","
            + " null, null], \"function_type\": \"lambda\"}}]}}";

    @TempDir
    Path dir;

    byte[] h5(String modelConfig) throws IOException {
        Path p = dir.resolve("plain.h5");
        try (io.jhdf.WritableHdfFile f = io.jhdf.HdfFile.write(p)) {
            f.putAttribute("model_config", modelConfig);
            f.putGroup("model_weights");
        }
        return Files.readAllBytes(p);
    }

    static byte[] withUserBlock(byte[] userBlock, int size, byte[] h5) {
        byte[] out = Arrays.copyOf(userBlock, size + h5.length);
        System.arraycopy(h5, 0, out, size, h5.length);
        return out;
    }

    FileReport scanFile(byte[] b, String name) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, b);
        return Scanner.builder().build().scan(p, name);
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 1024, 2048})
    void aPickleInTheUserBlockIsFoundAndTheHdf5PartIsRead(int size) throws IOException {
        byte[] b = withUserBlock(EVIL, size, h5(DENSE));
        for (FileReport r : new FileReport[] {scanFile(b, "m.h5"), Scanner.builder().build().scan(new ArrayByteSource(b), "m.h5")}) {
            assertThat(r.formatLabel()).contains("keras-h5");
            assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).anySatisfy(f -> {
                assertThat(f.severity()).isEqualTo(Severity.MALICIOUS);
                assertThat(f.location().members()).containsExactly("<hdf5-user-block>");
            });
        }
    }

    @Test
    void aZipInTheUserBlockIsAnalysed() throws IOException {
        byte[] zip = new dev.laocoon.core.testutil.ZipBuilder().add("payload.pkl", EVIL).bytes();
        FileReport r = scanFile(withUserBlock(zip, 512, h5(DENSE)), "m.h5");
        assertThat(r.formatLabel()).contains("keras-h5");
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.location().members()).contains("payload.pkl"));
    }

    @Test
    void aTarOfAnH5IsReadOnceAndAUserBlockPickleInsideItsMemberIsFound() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] member = withUserBlock(EVIL, 512, h5(DENSE));
        try (var t = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(out)) {
            var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("model.h5");
            e.setSize(member.length);
            t.putArchiveEntry(e);
            t.write(member);
            t.closeArchiveEntry();
        }
        FileReport r = scanFile(out.toByteArray(), "m.tar");
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.location().members())
                .containsExactly("model.h5", "<hdf5-user-block>"));
        assertThat(r.findings()).noneMatch(f -> f.location().members().equals(java.util.List.of("<hdf5-user-block>")));
        FileReport plain = scanFile(tarOf(h5(DENSE)), "d.tar");
        assertThat(plain.findings()).as(plain.findings().toString()).noneMatch(f -> f.severity() != Severity.NOTICE);
    }

    static byte[] tarOf(byte[] member) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var t = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(out)) {
            var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("model.h5");
            e.setSize(member.length);
            t.putArchiveEntry(e);
            t.write(member);
            t.closeArchiveEntry();
        }
        return out.toByteArray();
    }

    @Test
    void aKerasArchiveWhoseStoredWeightsLandAtAPowerOfTwoStaysSafe() throws IOException {
        byte[] weights = h5("{}");
        byte[] meta = "{\"keras_version\": \"3.0.0\"}".getBytes(StandardCharsets.UTF_8);
        byte[] cfg = DENSE.getBytes(StandardCharsets.UTF_8);
        // local headers are 30 bytes + the name: pad config.json so that the weights' data starts at 1024
        int used = 30 + "metadata.json".length() + meta.length + 30 + "config.json".length() + 30 + "model.weights.h5".length();
        byte[] padded = Arrays.copyOf(cfg, 1024 - used);
        Arrays.fill(padded, cfg.length, padded.length, (byte) ' ');
        byte[] z = new dev.laocoon.core.testutil.ZipBuilder().add("metadata.json", meta).add("config.json", padded)
                .add("model.weights.h5", weights).bytes();
        assertThat(dev.laocoon.core.internal.detect.Magic.hdf5Superblock(new ArrayByteSource(z))).isEqualTo(1024);
        FileReport r = scanFile(z, "m.keras");
        assertThat(r.findings()).as(r.findings().toString()).isEmpty();
        assertThat(r.verdict()).isEqualTo(Severity.SAFE);
    }

    /** A pickle whose bytes constant holds the HDF5 file (at 1024) and whose call comes after it. */
    byte[] pickleAroundHdf5() throws IOException {
        byte[] h5 = h5(DENSE);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x80, 4, 'B'});
        int len = 1024 - 7 + h5.length;
        out.writeBytes(new byte[] {(byte) len, (byte) (len >> 8), (byte) (len >> 16), (byte) (len >> 24)});
        out.writeBytes(new byte[1024 - 7]);
        out.writeBytes(h5);
        out.write('0');
        out.writeBytes("cos\nsystem\n(S'echo pwned'\ntR.".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    @Test
    void aPickleRunningPastTheSuperblockIsAnalysedToItsEnd() throws IOException {
        byte[] b = pickleAroundHdf5();
        assertThat(dev.laocoon.core.internal.detect.Magic.hdf5Superblock(new ArrayByteSource(b))).isEqualTo(1024);
        FileReport r = scanFile(b, "m.h5");
        assertThat(r.formatLabel()).contains("keras-h5");
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.evidence()).contains("os.system"));
    }

    @Test
    void aLambdaBehindAUserBlockIsFound() throws IOException {
        FileReport r = scanFile(withUserBlock(new byte[0], 1024, h5(LAMBDA)), "m.h5");
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.KERAS_LAMBDA));
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
    }

    @Test
    void aZeroUserBlockInFrontOfADenseModelIsSafe() throws IOException {
        FileReport r = scanFile(withUserBlock(new byte[0], 512, h5(DENSE)), "m.h5");
        assertThat(r.formatLabel()).contains("keras-h5");
        assertThat(r.findings()).isEmpty();
        assertThat(r.verdict()).isEqualTo(Severity.SAFE);
    }

    @Test
    void h5pyOpensTheseFiles() throws Exception {
        boolean h5py;
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import h5py").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            h5py = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            h5py = false;
        }
        if (!h5py) {
            System.out.println("Hdf5UserBlockTest: no /usr/bin/python3 with h5py; the loader check is skipped");
        }
        Assumptions.assumeTrue(h5py, "h5py is not installed");
        Path around = dir.resolve("around.h5");
        Files.write(around, pickleAroundHdf5());
        Process q = new ProcessBuilder("/usr/bin/python3", "-c", "import h5py, pickle, sys\n"
                + "with h5py.File(sys.argv[1], 'r') as f:\n"
                + "    print(f.userblock_size, 'Dense' in str(f.attrs['model_config']))\n"
                + "sys.stdout.flush()\n"
                + "print(pickle.loads(open(sys.argv[1], 'rb').read()))", around.toString()).redirectErrorStream(true).start();
        String both = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(q.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(both).isEqualTo("1024 True\npwned\n0");
        for (int size : new int[] {512, 1024, 2048}) {
            Path f = dir.resolve("u" + size + ".h5");
            Files.write(f, withUserBlock(EVIL, size, h5(LAMBDA)));
            Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import h5py, sys\n"
                    + "with h5py.File(sys.argv[1], 'r') as f:\n"
                    + "    c = f.attrs['model_config']\n"
                    + "    print(f.userblock_size, 'Lambda' in (c.decode() if isinstance(c, bytes) else c))", f.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(out).isEqualTo(size + " True");
        }
    }
}
