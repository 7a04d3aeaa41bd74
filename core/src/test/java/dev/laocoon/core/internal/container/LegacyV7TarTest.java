package dev.laocoon.core.internal.container;

import dev.laocoon.core.testutil.Pythons;
import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PyTorch's oldest checkpoint format written as a pre-POSIX V7 tar: no "ustar" magic, only a
 * header checksum. Python's tarfile reads it, and torch.load tries tarfile first on every file.
 */
class LegacyV7TarTest {
    static final byte[] EVIL = PickleBuilder.call("os", "system", "echo pwned");

    @TempDir
    Path dir;

    /** A V7 tar: 512-byte headers (name, mode, uid, gid, size, mtime, checksum, type '0'), data, two zero blocks. */
    static byte[] v7(Map<String, byte[]> members) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> m : members.entrySet()) {
            byte[] h = new byte[512];
            put(h, 0, m.getKey());
            put(h, 100, "0000644");
            put(h, 108, "0000000");
            put(h, 116, "0000000");
            put(h, 124, String.format("%011o", m.getValue().length));
            put(h, 136, String.format("%011o", 1_500_000_000L));
            h[156] = '0';
            for (int i = 148; i < 156; i++) {
                h[i] = ' ';
            }
            long sum = 0;
            for (byte b : h) {
                sum += b & 0xff;
            }
            put(h, 148, String.format("%06o", sum));
            h[154] = 0;
            h[155] = ' ';
            out.writeBytes(h);
            out.writeBytes(m.getValue());
            out.writeBytes(new byte[(512 - m.getValue().length % 512) % 512]);
        }
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    static void put(byte[] h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, b.length);
    }

    static byte[] le(long v, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }

    /** The legacy tar checkpoint {w: FloatTensor(4)} (integer keys, as torch's legacy_load looks them up); {@code pickle} replaces its root pickle when given. */
    static Map<String, byte[]> members(byte[] sysInfo, byte[] pickle) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("sys_info", sysInfo);
        m.put("pickle", pickle != null ? pickle
                : PickleBuilder.create().proto(2).emptyDict().str("w").binint1(0).binpersid().setitem().stop().bytes());
        m.put("tensors", PickleBuilder.create().proto(2).binint1(1).stop()
                .proto(2).binint1(0).binint1(1).global("torch", "FloatTensor").tuple3().stop()
                .raw(le(1, 4)).raw(new byte[4]).raw(le(4, 8)).raw(le(1, 8)).raw(le(0, 8)).bytes());
        m.put("storages", PickleBuilder.create().proto(2).binint1(1).stop()
                .proto(2).binint1(1).str("cpu").global("torch", "FloatStorage").tuple3().stop()
                .raw(le(4, 8)).raw(new byte[16]).proto(2).emptyList().stop().bytes());
        return m;
    }

    static final byte[] SYS_INFO = PickleBuilder.create().proto(2).emptyDict().str("little_endian").newTrue().setitem()
            .stop().bytes();

    static FileReport scan(byte[] b) {
        return Scanner.builder().build().scan(new ArrayByteSource(b), "old.pt");
    }

    @Test
    void aV7LegacyCheckpointIsRecognisedAndSafe() {
        FileReport r = scan(v7(members(SYS_INFO, null)));
        assertThat(r.formatLabel()).contains("pytorch-legacy-tar");
        assertThat(r.findings()).isEmpty();
        assertThat(r.verdict()).isEqualTo(Severity.SAFE);
    }

    @Test
    void aPayloadInAV7LegacyCheckpointIsFound() {
        for (Map<String, byte[]> m : new Map[] {members(EVIL, null), members(SYS_INFO, EVIL)}) {
            FileReport r = scan(v7(m));
            assertThat(r.formatLabel()).contains("pytorch-legacy-tar");
            assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        }
    }

    /** No sys_info (legacy_load never reads it), the payload as the storage_views pickle after the raw storage bytes. */
    static byte[] withoutSysInfo() {
        Map<String, byte[]> m = members(SYS_INFO, null);
        m.remove("sys_info");
        m.put("storages", PickleBuilder.create().proto(2).binint1(1).stop()
                .proto(2).binint1(1).str("cpu").global("torch", "FloatStorage").tuple3().stop()
                .raw(le(4, 8)).raw(new byte[16]).raw(EVIL).bytes());
        return v7(m);
    }

    @Test
    void aPayloadAfterTheStorageBytesIsFoundWithoutSysInfo() {
        FileReport r = scan(withoutSysInfo());
        assertThat(r.formatLabel()).contains("pytorch-legacy-tar");
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.location().members()).containsExactly("storages"));
    }

    @Test
    void aBlockWithAWrongChecksumIsNoTar() {
        byte[] b = v7(members(SYS_INFO, null));
        b[0] ^= 1; // the name changes, the checksum does not
        assertThat(scan(b).formatLabel()).doesNotContain("tar");
    }

    @Test
    void pythonAndTorchReadTheV7Tar() throws Exception {
        String python = Pythons.with("torch");
        if (python == null) {
            System.out.println("LegacyV7TarTest: no python3 with torch; the loader check is skipped");
        }
        Assumptions.assumeTrue(python != null, "python3 with torch is not installed");
        Path benign = dir.resolve("benign.pt");
        Files.write(benign, v7(members(SYS_INFO, null)));
        Path evil = dir.resolve("evil.pt");
        Files.write(evil, v7(members(SYS_INFO, EVIL)));
        Path noSys = dir.resolve("nosys.pt");
        Files.write(noSys, withoutSysInfo());
        Process p = new ProcessBuilder(python, "-c", "import sys, tarfile, torch\n"
                + "t = tarfile.open(sys.argv[1])\n"
                + "print('names', t.getnames(), t.getmembers()[0].type)\n"
                + "print('benign', torch.load(sys.argv[1]))\n"
                + "print('evil', torch.load(sys.argv[2]))\n"
                + "try:\n"
                + "    torch.load(sys.argv[3])\n"
                + "except Exception as e:\n"
                + "    print('nosys', type(e).__name__)\n", benign.toString(), evil.toString(), noSys.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        System.out.println("LegacyV7TarTest loader oracle:\n" + out);
        assertThat(out).contains("names ['sys_info', 'pickle', 'tensors', 'storages']")
                .contains("benign {'w': tensor([0., 0., 0., 0.])}").contains("pwned").contains("evil 0");
        // without sys_info the storage_views pickle (the payload) runs, then legacy_load fails on its result
        assertThat(out.substring(out.indexOf("evil 0"))).contains("pwned");
    }
}
