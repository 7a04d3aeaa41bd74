package dev.laocoon.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The clamd-compatible listener: Debian's real clamdscan against it, and the protocol's edges by hand. */
class ClamdListenerTest {
    @TempDir
    static Path dir;
    static TestServer s;
    static final byte[] EVIL = PickleBuilder.call("os", "system", "echo pwned");
    static final byte[] CHECKPOINT = ZipBuilder.torchZip(ZipBuilder.torchStateDict("weight", "0", 4), 4);

    @BeforeAll
    static void start() throws Exception {
        s = new TestServer(dir, c -> {
            c.clamd = "127.0.0.1:0";
            c.maxBodyBytes = 64 * 1024;
            c.readTimeout = java.time.Duration.ofSeconds(1);
        });
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    record Run(int exit, String out) {
    }

    static Run clamdscan(Path file) throws Exception {
        Path conf = dir.resolve("clamd.conf");
        Files.writeString(conf, "TCPSocket " + s.server.clamdPort() + "\nTCPAddr 127.0.0.1\n");
        Process p = new ProcessBuilder("clamdscan", "--config-file=" + conf, "--stream", "--no-summary", file.toString())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    static boolean haveClamdscan() {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, "clamdscan"))) {
                return true;
            }
        }
        System.out.println("ClamdListenerTest: clamdscan not installed (Debian package clamdscan); its tests skip");
        return false;
    }

    @Test
    void realClamdscanFindsTheMaliciousPickleAndPassesTheCheckpoint() throws Exception {
        Assumptions.assumeTrue(haveClamdscan(), "clamdscan not installed");
        Path evil = dir.resolve("evil.pkl");
        Files.write(evil, EVIL);
        Run bad = clamdscan(evil);
        assertThat(bad.out()).contains(evil + ": Laocoon.LAO101.pickle-dangerous-global FOUND");
        assertThat(bad.exit()).isEqualTo(1);
        Path good = dir.resolve("model.pt");
        Files.write(good, CHECKPOINT);
        Run ok = clamdscan(good);
        assertThat(ok.out()).contains(good + ": OK");
        assertThat(ok.exit()).isZero();
    }

    @Test
    void realClamdscanOverTheLimitIsFoundNeverOk() throws Exception {
        Assumptions.assumeTrue(haveClamdscan(), "clamdscan not installed");
        Path big = dir.resolve("big.bin");
        byte[] b = new byte[200 * 1024];
        System.arraycopy(CHECKPOINT, 0, b, 0, CHECKPOINT.length);
        Files.write(big, b);
        Run r = clamdscan(big);
        assertThat(r.out()).contains("Laocoon.Incomplete FOUND").doesNotContain(": OK");
        assertThat(r.exit()).isEqualTo(1);
    }

    static String talk(byte[] request) throws IOException {
        try (Socket c = new Socket("127.0.0.1", s.server.clamdPort())) {
            c.setSoTimeout(20_000);
            c.getOutputStream().write(request);
            c.getOutputStream().flush();
            InputStream in = c.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int x;
            while ((x = in.read()) >= 0) {
                out.write(x);
                if (x == 0 || x == '\n') {
                    break;
                }
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    static byte[] instream(String prefix, char end, List<byte[]> chunks, boolean terminate) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write((prefix + "INSTREAM" + end).getBytes(StandardCharsets.US_ASCII));
        DataOutputStream d = new DataOutputStream(b);
        for (byte[] c : chunks) {
            d.writeInt(c.length);
            d.write(c);
        }
        if (terminate) {
            d.writeInt(0);
        }
        return b.toByteArray();
    }

    @Test
    void pingVersionAndBothCommandForms() throws Exception {
        assertThat(talk("zPING\0".getBytes(StandardCharsets.US_ASCII))).isEqualTo("PONG\0");
        assertThat(talk("nPING\n".getBytes(StandardCharsets.US_ASCII))).isEqualTo("PONG\n");
        assertThat(talk("PING\n".getBytes(StandardCharsets.US_ASCII))).isEqualTo("PONG\n");
        assertThat(talk("zVERSION\0".getBytes(StandardCharsets.US_ASCII))).startsWith("Laocoon ").endsWith("\0");
        assertThat(talk("zSCAN /etc/passwd\0".getBytes(StandardCharsets.US_ASCII))).isEqualTo("UNKNOWN COMMAND\0");
        // a pickle split over several chunks
        byte[] a = java.util.Arrays.copyOfRange(EVIL, 0, 5);
        byte[] rest = java.util.Arrays.copyOfRange(EVIL, 5, EVIL.length);
        assertThat(talk(instream("z", '\0', List.of(a, rest), true)))
                .isEqualTo("stream: Laocoon.LAO101.pickle-dangerous-global FOUND\0");
        assertThat(talk(instream("n", '\n', List.of(CHECKPOINT), true))).isEqualTo("stream: OK\n");
    }

    @Test
    void aSessionNumbersItsReplies() throws Exception {
        ByteArrayOutputStream req = new ByteArrayOutputStream();
        req.write("zIDSESSION\0zPING\0".getBytes(StandardCharsets.US_ASCII));
        req.write(instream("z", '\0', List.of(EVIL), true));
        req.write("zEND\0".getBytes(StandardCharsets.US_ASCII));
        try (Socket c = new Socket("127.0.0.1", s.server.clamdPort())) {
            c.setSoTimeout(20_000);
            c.getOutputStream().write(req.toByteArray());
            String all = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(all).isEqualTo("1: PONG\0" + "2: stream: Laocoon.LAO101.pickle-dangerous-global FOUND\0");
        }
    }

    @Test
    void streamsThatCannotBeAnalysedAreFound() throws Exception {
        // over the size limit: answered without reading the rest
        assertThat(talk(instream("z", '\0', List.of(new byte[40_000], new byte[40_000]), false)))
                .isEqualTo("stream: Laocoon.Incomplete FOUND\0");
        // a stream that stalls before its end
        assertThat(talk(instream("z", '\0', List.of(EVIL), false))).isEqualTo("stream: Laocoon.Incomplete FOUND\0");
        // a data pickle that ends before STOP is suspicious: found, never OK
        byte[] cut = {(byte) 0x80, 2, '}', 'q', 0};
        assertThat(talk(instream("z", '\0', List.of(cut), true))).isEqualTo("stream: Laocoon.LAO109.pickle-truncated FOUND\0");
        assertThat(s.awaitNoTempFiles()).isZero();
    }
}
