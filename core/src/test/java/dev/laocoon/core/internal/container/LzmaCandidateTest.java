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
import org.junit.jupiter.api.Test;

/**
 * Data that merely starts like an LZMA-alone header: zero bytes are empty LZMA-alone streams to
 * liblzma (18 bytes each), so tensor data, padding or a zero HDF5 user block decoded to nothing and
 * raised container-limit findings. Python's lzma.open reads such data as b'' or fails: nothing to judge.
 * A real stream after a zero run is still read (Python reads it: 36 zero bytes, then the stream).
 */
class LzmaCandidateTest {
    static final byte[] EVIL = PickleBuilder.call("os", "system", "echo pwned");

    static FileReport scan(byte[] b) {
        return Scanner.builder().build().scan(new ArrayByteSource(b), "data.bin");
    }

    static byte[] lzmaAlone(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (org.tukaani.xz.LZMAOutputStream z = new org.tukaani.xz.LZMAOutputStream(out, new org.tukaani.xz.LZMA2Options(),
                -1)) {
            z.write(data);
        }
        return out.toByteArray();
    }

    @Test
    void zeroBytesAreNotAnLzmaStream() {
        for (int n : new int[] {18, 36, 4096, 100_000}) {
            FileReport r = scan(new byte[n]);
            assertThat(r.findings()).as(n + " zeros: " + r.findings()).noneMatch(f -> f.rule() == Rule.CONTAINER_LIMIT);
            assertThat(r.findings()).noneMatch(f -> f.location().render().contains("<unlzma>"));
        }
    }

    @Test
    void aStreamAfterAZeroRunIsStillRead() throws IOException {
        byte[] s = lzmaAlone(EVIL);
        byte[] b = new byte[36 + s.length];
        System.arraycopy(s, 0, b, 36, s.length);
        FileReport r = scan(b);
        assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.findings()).anySatisfy(f -> assertThat(f.location().render()).contains("<unlzma>"));
    }
}
