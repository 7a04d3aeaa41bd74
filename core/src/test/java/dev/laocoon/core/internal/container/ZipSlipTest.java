package dev.laocoon.core.internal.container;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.ZipBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Member names that leave the extraction folder (zip-slip) are a zip-anomaly in zips, tars and 7z. */
class ZipSlipTest {
    static final byte[] TEXT = "hello\n".getBytes(StandardCharsets.US_ASCII);

    static FileReport scan(byte[] data, String name) {
        return Scanner.builder().build().scan(new ArrayByteSource(data), name);
    }

    static boolean slip(FileReport r) {
        return r.findings().stream().anyMatch(f -> f.rule() == Rule.ZIP_ANOMALY && f.severity() == Severity.SUSPICIOUS
                && f.message().contains("outside"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"../../../etc/evil.txt", "a/../../evil.txt", "/etc/evil.txt", "C:/evil.txt", "c:evil.txt",
        "..\\..\\evil.txt", "\\evil.txt", "a\\b.txt"})
    void aZipMemberNameThatLeavesTheFolderIsSuspicious(String name) {
        FileReport r = scan(new ZipBuilder().add("readme.txt", TEXT).add(name, TEXT).bytes(), "m.zip");
        assertThat(slip(r)).as(r.findings().toString()).isTrue();
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
    }

    @Test
    void aSlipNameOnlyInTheLocalHeaderIsSuspiciousToo() {
        FileReport r = scan(new ZipBuilder().addTricky("a.txt", "../a.txt", TEXT, 0, false).bytes(), "m.zip");
        assertThat(slip(r)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a/b/c.txt", "..a/b.txt", "a..b/c", "./a.txt", "archive/data.pkl"})
    void ordinaryNamesAreNot(String name) {
        FileReport r = scan(new ZipBuilder().add(name, TEXT).bytes(), "m.zip");
        assertThat(slip(r)).as(r.findings().toString()).isFalse();
    }

    /** A zip whose member {@code name} is a Unix symbolic link to {@code target}, then a file under it. */
    static byte[] zipWithSymlink(String name, String target) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var z = new org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream(out)) {
            var link = new org.apache.commons.compress.archivers.zip.ZipArchiveEntry(name);
            link.setUnixMode(0120777);
            z.putArchiveEntry(link);
            z.write(target.getBytes(StandardCharsets.UTF_8));
            z.closeArchiveEntry();
            var file = new org.apache.commons.compress.archivers.zip.ZipArchiveEntry(name + "/cron.txt");
            z.putArchiveEntry(file);
            z.write(TEXT);
            z.closeArchiveEntry();
        }
        return out.toByteArray();
    }

    @Test
    void aZipSymlinkOutOfTheFolderIsSuspiciousAndOneInsideIsNot() throws Exception {
        assertThat(slip(scan(zipWithSymlink("etc", "/etc"), "m.zip"))).isTrue();
        assertThat(slip(scan(zipWithSymlink("a/up", "../../x"), "m.zip"))).isTrue();
        FileReport inside = scan(zipWithSymlink("a/b/up", "../c"), "m.zip");
        assertThat(slip(inside)).as(inside.findings().toString()).isFalse();
        // Info-ZIP's zipinfo lists the member as a symbolic link (nothing is extracted)
        java.nio.file.Path f = java.nio.file.Files.createTempFile("slip", ".zip");
        try {
            java.nio.file.Files.write(f, zipWithSymlink("etc", "/etc"));
            Process p;
            try {
                p = new ProcessBuilder("zipinfo", f.toString()).redirectErrorStream(true).start();
            } catch (IOException e) {
                System.out.println("ZipSlipTest: no zipinfo; the Info-ZIP check is skipped");
                return;
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            assertThat(out).containsPattern("lrwxrwxrwx .* etc");
        } finally {
            java.nio.file.Files.delete(f);
        }
    }

    static byte[] tar(String name, String linkTarget, byte type) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            TarArchiveEntry ok = new TarArchiveEntry("readme.txt");
            ok.setSize(TEXT.length);
            t.putArchiveEntry(ok);
            t.write(TEXT);
            t.closeArchiveEntry();
            TarArchiveEntry e = linkTarget == null ? new TarArchiveEntry(name, true) : new TarArchiveEntry(name, type, true);
            if (linkTarget != null) {
                e.setLinkName(linkTarget);
            } else {
                e.setSize(TEXT.length);
            }
            t.putArchiveEntry(e);
            if (linkTarget == null) {
                t.write(TEXT);
            }
            t.closeArchiveEntry();
        }
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"../../../etc/evil.txt", "/etc/evil.txt", "a/../../evil.txt"})
    void aTarMemberNameThatLeavesTheFolderIsSuspicious(String name) throws IOException {
        FileReport r = scan(tar(name, null, (byte) 0), "m.tar");
        assertThat(slip(r)).as(r.findings().toString()).isTrue();
        assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
    }

    @Test
    void aTarLinkOutOfTheFolderIsSuspiciousAndALinkInsideIsNot() throws IOException {
        assertThat(slip(scan(tar("etc", "/etc", TarArchiveEntry.LF_SYMLINK), "m.tar"))).isTrue();
        assertThat(slip(scan(tar("a/up", "../../x", TarArchiveEntry.LF_SYMLINK), "m.tar"))).isTrue();
        assertThat(slip(scan(tar("hard", "../x", TarArchiveEntry.LF_LINK), "m.tar"))).isTrue();
        FileReport inside = scan(tar("a/b/up", "../c.txt", TarArchiveEntry.LF_SYMLINK), "m.tar");
        assertThat(slip(inside)).as(inside.findings().toString()).isFalse();
    }
}
