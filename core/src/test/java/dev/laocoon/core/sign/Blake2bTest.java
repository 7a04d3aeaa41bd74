package dev.laocoon.core.sign;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.internal.sign.Blake2b;
import dev.laocoon.core.internal.sign.Hex;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Blake2bTest {
    @TempDir
    Path tmp;

    static String hash(byte[] data, int chunk) {
        Blake2b b = new Blake2b();
        for (int i = 0; i < data.length; i += chunk) {
            b.update(data, i, Math.min(chunk, data.length - i));
        }
        return Hex.of(b.digest());
    }

    @Test
    void rfc7693Vectors() {
        // RFC 7693 appendix A: BLAKE2b-512("abc")
        assertThat(hash("abc".getBytes(StandardCharsets.US_ASCII), 1)).isEqualTo(
                "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
                        + "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
        assertThat(hash(new byte[0], 1)).isEqualTo(
                "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
                        + "d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce");
    }

    @Test
    void pythonHashlibAgrees() throws Exception {
        Path py = null;
        for (String c : new String[] {"python3", "/usr/bin/python3"}) {
            try {
                if (new ProcessBuilder(c, "-c", "import hashlib").start().waitFor() == 0) {
                    py = Path.of(c);
                    break;
                }
            } catch (java.io.IOException e) {
                // try the next
            }
        }
        Assumptions.assumeTrue(py != null, "python3 is not installed: skipping the hashlib.blake2b oracle");
        Random rnd = new Random(1);
        int[] sizes = {1, 63, 64, 127, 128, 129, 255, 256, 257, 1000, 1 << 16, 1_000_003};
        StringBuilder expected = new StringBuilder();
        for (int n : sizes) {
            byte[] d = new byte[n];
            rnd.nextBytes(d);
            Files.write(tmp.resolve("f" + n), d);
            String h = hash(d, 128);
            assertThat(hash(d, 7)).isEqualTo(h);
            assertThat(hash(d, 1 << 20)).isEqualTo(h);
            expected.append(h).append('\n');
        }
        StringBuilder script = new StringBuilder("import hashlib,sys\n");
        for (int n : sizes) {
            script.append("print(hashlib.blake2b(open(sys.argv[1]+'/f").append(n).append("','rb').read()).hexdigest())\n");
        }
        Process p = new ProcessBuilder(py.toString(), "-c", script.toString(), tmp.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isZero();
        assertThat(out).isEqualTo(expected.toString());
    }
}
