package dev.laocoon.core.internal.container;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.source.ArrayByteSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

class ZipArchiveTest {

    /** The plain backwards search, byte by byte: the last signature whose comment fits. */
    private static long naiveEocd(byte[] all) {
        int window = Math.min(all.length, 65_535 + 22);
        int base = all.length - window;
        for (int i = window - 22; i >= 0; i--) {
            int at = base + i;
            if (all[at] == 0x50 && all[at + 1] == 0x4b && all[at + 2] == 5 && all[at + 3] == 6) {
                int commentLen = (all[at + 20] & 0xff) | (all[at + 21] & 0xff) << 8;
                if (i + 22 + commentLen <= window) {
                    return at;
                }
            }
        }
        return -1;
    }

    @Test
    void theStridedSearchFindsWhatAByteByByteSearchFinds() throws IOException {
        Random r = new Random(5);
        for (int round = 0; round < 3000; round++) {
            int n = 22 + r.nextInt(round % 10 == 0 ? 90_000 : 300);
            byte[] b = new byte[n];
            // bytes of the signature are common, so partial signatures occur everywhere
            for (int i = 0; i < n; i++) {
                b[i] = (byte) new int[] {0x50, 0x4b, 5, 6, r.nextInt(256)}[r.nextInt(5)];
            }
            for (int k = r.nextInt(4); k > 0; k--) {
                int at = r.nextInt(n - 21);
                b[at] = 0x50;
                b[at + 1] = 0x4b;
                b[at + 2] = 5;
                b[at + 3] = 6;
                int comment = r.nextBoolean() ? n - at - 22 : r.nextInt(70_000);
                b[at + 20] = (byte) comment;
                b[at + 21] = (byte) (comment >> 8);
            }
            assertThat(ZipArchive.findEocd(new ArrayByteSource(b))).as("round %d, %d bytes", round, n)
                    .isEqualTo(naiveEocd(b));
        }
    }

    @Test
    void archivesAreFoundWithEveryCommentLengthAndPrefixAlignment() throws IOException {
        for (int prefix = 0; prefix < 8; prefix++) {
            for (int comment = 0; comment < 9; comment++) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.write(new byte[prefix]);
                try (ZipOutputStream z = new ZipOutputStream(out)) {
                    z.putNextEntry(new java.util.zip.ZipEntry("a/data.pkl"));
                    z.write(new byte[] {(byte) 0x80, 2, 'N', '.'});
                    z.closeEntry();
                    z.setComment("x".repeat(comment));
                }
                ZipArchive zip = ZipArchive.read(new ArrayByteSource(out.toByteArray()), 10);
                assertThat(zip).as("prefix %d, comment %d", prefix, comment).isNotNull();
                assertThat(zip.entries()).extracting(ZipMember::name).containsExactly("a/data.pkl");
            }
        }
        assertThat(ZipArchive.read(new ArrayByteSource("no archive here".repeat(10).getBytes(StandardCharsets.UTF_8)), 10))
                .isNull();
    }
}
