package dev.laocoon.core.internal.container;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * A long run of zero bytes reads as LZMA-alone headers (properties 0, dictionary 0, size 0): one
 * empty stream every few bytes. It used to take seconds per megabyte with one finding per stream;
 * a 10 GB sparse file never finished. Streams are capped, so it is a few findings and few reads.
 */
class ZeroRunsTest {

    /** {@code size} zero bytes, without holding them (a sparse file). */
    static ByteSource zeros(long size, long[] read) {
        return new ByteSource() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public int read(long position, byte[] dst, int off, int len) {
                if (position >= size) {
                    return 0;
                }
                int n = (int) Math.min(len, size - position);
                java.util.Arrays.fill(dst, off, off + n, (byte) 0);
                read[0] += n;
                return n;
            }
        };
    }

    @Test
    void tenGigabytesOfZerosAreAFewFindingsAndAFewReads() throws IOException {
        long[] read = new long[1];
        FileReport r = Scanner.builder().build().scan(zeros(10L << 30, read), "sparse.bin");
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS); // not analysed to the end: never safe
        assertThat(r.findings()).hasSizeLessThan(10);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.message()).contains("all empty"));
        assertThat(read[0]).isLessThan(64L << 20);
    }
}
