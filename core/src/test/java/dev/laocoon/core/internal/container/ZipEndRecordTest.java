package dev.laocoon.core.internal.container;

import dev.laocoon.core.testutil.Pythons;
import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-of-central-directory differentials (see {@link ZipEnd}): files whose end records PyTorch's
 * miniz, Python's zipfile (numpy.load, Keras) and a strict reader read differently. Every member
 * any of them reads must be analysed, and the ambiguity is a zip-anomaly. Where /usr/bin/python3
 * (or python3) with torch exists, the same bytes are checked against the real loaders.
 */
class ZipEndRecordTest {
    static final byte[] EVIL = PickleBuilder.call("os", "system", "echo pwned");
    static final byte[] BENIGN = ZipBuilder.torchStateDict("w", "0", 4);

    @TempDir
    Path dir;

    static FileReport scan(byte[] data, String name) {
        return Scanner.builder().build().scan(new ArrayByteSource(data), name);
    }

    static boolean anomaly(FileReport r, String text) {
        return r.findings().stream().anyMatch(f -> f.rule() == Rule.ZIP_ANOMALY && f.severity() == Severity.SUSPICIOUS
                && f.message().contains(text));
    }

    static boolean payloadIn(FileReport r, String member) {
        return r.findings().stream().anyMatch(f -> f.severity() == Severity.MALICIOUS
                && f.location().members().contains(member));
    }

    /** Writes zips piece by piece: local headers, directories and end records wherever a test puts them. */
    static final class Raw {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final Map<String, byte[]> data = new LinkedHashMap<>();

        long pos() {
            return out.size();
        }

        long local(String name, byte[] d) {
            long at = out.size();
            ZipBuilder.localHeader(out, name, d.length, crc(d), 0);
            out.writeBytes(d);
            return at;
        }

        /** A directory of {@code names} whose local headers are at {@code offsets} (minus {@code bias}). */
        byte[] directory(List<String> names, List<byte[]> contents, List<Long> offsets, long bias) {
            ByteArrayOutputStream c = new ByteArrayOutputStream();
            for (int i = 0; i < names.size(); i++) {
                ZipBuilder.centralHeader(c, names.get(i), contents.get(i).length, crc(contents.get(i)), 0,
                        offsets.get(i) - bias);
            }
            return c.toByteArray();
        }

        void eocd(long count, long size, long offset, int commentLen) {
            le(0x06054b50, 4);
            le(0, 2);
            le(0, 2);
            le(count, 2);
            le(count, 2);
            le(size, 4);
            le(offset, 4);
            le(commentLen, 2);
        }

        void zip64(long count, long size, long offset) {
            le(0x06064b50, 4);
            le(44, 8);
            le(45, 2);
            le(45, 2);
            le(0, 4);
            le(0, 4);
            le(count, 8);
            le(count, 8);
            le(size, 8);
            le(offset, 8);
        }

        void locator(long at) {
            le(0x07064b50, 4);
            le(0, 4);
            le(at, 8);
            le(1, 4);
        }

        void write(byte[] b) {
            out.writeBytes(b);
        }

        void le(long v, int n) {
            for (int i = 0; i < n; i++) {
                out.write((int) (v >>> (8 * i)) & 0xff);
            }
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        static long crc(byte[] d) {
            CRC32 c = new CRC32();
            c.update(d);
            return c.getValue();
        }
    }

    static final List<String> SHARED = List.of("archive/byteorder", "archive/data/0", "archive/version");
    static final List<byte[]> SHARED_DATA = List.of("little".getBytes(StandardCharsets.US_ASCII), new byte[16],
            "3\n".getBytes(StandardCharsets.US_ASCII));

    /** Local headers of a checkpoint with a benign and an evil data.pkl; offsets: benign, evil, shared... */
    static List<Long> twoCheckpoints(Raw z) {
        List<Long> at = new ArrayList<>();
        at.add(z.local("archive/data.pkl", BENIGN));
        at.add(z.local("archive/data.pkl", EVIL));
        for (int i = 0; i < SHARED.size(); i++) {
            at.add(z.local(SHARED.get(i), SHARED_DATA.get(i)));
        }
        return at;
    }

    /** The directory of one of the two checkpoints ({@code evil} picks the data.pkl). */
    static byte[] checkpointDirectory(Raw z, List<Long> at, boolean evil, long bias) {
        List<String> names = new ArrayList<>(List.of("archive/data.pkl"));
        names.addAll(SHARED);
        List<byte[]> data = new ArrayList<>(List.of(evil ? EVIL : BENIGN));
        data.addAll(SHARED_DATA);
        List<Long> offs = new ArrayList<>(List.of(at.get(evil ? 1 : 0)));
        offs.addAll(at.subList(2, at.size()));
        return z.directory(names, data, offs, bias);
    }

    static final int ENTRIES = 1 + 3;

    /** An end record whose comment length runs past the end: the loaders use it, a strict reader finds none. */
    static byte[] commentPastTheEnd() {
        byte[] b = ZipBuilder.torchZip(EVIL, 4);
        b[b.length - 2] = 100;
        return b;
    }

    /** The classic end record counts one entry fewer than the directory holds: Python reads the last one too. */
    static byte[] countSmallerThanTheDirectory() {
        Raw z = new Raw();
        List<String> names = new ArrayList<>(List.of("archive/data.pkl"));
        names.addAll(SHARED);
        names.add("archive/extra.pkl");
        List<byte[]> data = new ArrayList<>(List.of(BENIGN));
        data.addAll(SHARED_DATA);
        data.add(EVIL);
        List<Long> at = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            at.add(z.local(names.get(i), data.get(i)));
        }
        long cd = z.pos();
        byte[] dir = z.directory(names, data, at, 0);
        z.write(dir);
        z.eocd(names.size() - 1, dir.length, cd, 0);
        return z.bytes();
    }

    /**
     * A ZIP64 end record pointing at the evil directory, the classic record (no 0xFFFF sentinels)
     * at the benign one: both loaders take the ZIP64 values, a strict reader the classic ones.
     */
    static byte[] zip64OverridesTheClassicRecord() {
        Raw z = new Raw();
        List<Long> at = twoCheckpoints(z);
        long cd1 = z.pos();
        byte[] benign = checkpointDirectory(z, at, false, 0);
        z.write(benign);
        long cd2 = z.pos();
        byte[] evil = checkpointDirectory(z, at, true, 0);
        z.write(evil);
        long rec = z.pos();
        z.zip64(ENTRIES, evil.length, cd2);
        z.locator(rec);
        z.eocd(ENTRIES, benign.length + evil.length, cd1, 0);
        return z.bytes();
    }

    /**
     * Two end records: the outer one (its comment fits) names the benign directory; its comment
     * holds the evil directory and a second end record whose own comment length runs past the end.
     */
    static byte[] secondEndRecordInTheComment() {
        Raw z = new Raw();
        List<Long> at = twoCheckpoints(z);
        long cd1 = z.pos();
        byte[] benign = checkpointDirectory(z, at, false, 0);
        z.write(benign);
        byte[] evil = checkpointDirectory(z, at, true, 0);
        z.eocd(ENTRIES, benign.length, cd1, evil.length + 22);
        long cd2 = z.pos();
        z.write(evil);
        z.eocd(ENTRIES, evil.length, cd2, 5);
        return z.bytes();
    }

    /**
     * The directory offset names the evil directory for a reader that takes offsets as they are
     * (miniz); Python's zipfile computes {@code concat} from where the end record is and reads the
     * benign directory after it, shifting every local header offset.
     */
    static byte[] offsetShiftedByConcat() {
        Raw z = new Raw();
        z.local("pad", new byte[400]); // no directory lists it: it keeps the shifted offsets positive
        List<Long> at = twoCheckpoints(z);
        long cdX = z.pos();
        byte[] evil = checkpointDirectory(z, at, true, 0);
        z.write(evil);
        byte[] benign = checkpointDirectory(z, at, false, evil.length);
        z.write(benign);
        z.eocd(ENTRIES, benign.length, cdX, 0);
        return z.bytes();
    }

    /**
     * Two ZIP64 end records: miniz follows the locator's offset to the first (the evil directory),
     * Python's zipfile takes the one right before the locator (the benign one), and so does a strict
     * reader here, since the classic record holds the sentinels.
     */
    static byte[] zip64LocatorElsewhere() {
        Raw z = new Raw();
        List<Long> at = twoCheckpoints(z);
        long cd1 = z.pos();
        byte[] evil = checkpointDirectory(z, at, true, 0);
        z.write(evil);
        long recM = z.pos();
        z.zip64(ENTRIES, evil.length, cd1);
        long cd2 = z.pos();
        byte[] benign = checkpointDirectory(z, at, false, 0);
        z.write(benign);
        z.zip64(ENTRIES, benign.length, cd2);
        z.locator(recM);
        z.eocd(0xffff, 0xffffffffL, 0xffffffffL, 0);
        return z.bytes();
    }

    @Test
    void aZip64LocatorPointingAwayFromTheRecordBeforeItIsReadBothWays() {
        FileReport r = scan(zip64LocatorElsewhere(), "m.pt");
        assertThat(payloadIn(r, "archive/data.pkl")).isTrue();
        assertThat(anomaly(r, "zip readers see different members")).isTrue();
    }

    @Test
    void anEndRecordWhoseCommentRunsPastTheEndIsStillAZip() {
        FileReport r = scan(commentPastTheEnd(), "m.pt");
        assertThat(r.formatLabel()).isEqualTo("pytorch-zip");
        assertThat(payloadIn(r, "archive/data.pkl")).isTrue();
        assertThat(anomaly(r, "runs past the end of the file")).isTrue();
    }

    @Test
    void membersPastTheEntryCountAreAnalysed() {
        FileReport r = scan(countSmallerThanTheDirectory(), "m.pt");
        assertThat(payloadIn(r, "archive/extra.pkl")).isTrue();
        assertThat(anomaly(r, "counts 4 entries but the central directory's")).isTrue();
        assertThat(anomaly(r, "zip readers see different members")).isTrue();
    }

    /** The end record counts {@code count} entries; the directory holds a benign and an evil one. */
    static byte[] counted(int count) {
        Raw z = new Raw();
        List<String> names = List.of("a.npy", "evil.pkl");
        List<byte[]> data = List.of("benign".getBytes(StandardCharsets.US_ASCII), EVIL);
        List<Long> at = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            at.add(z.local(names.get(i), data.get(i)));
        }
        long cd = z.pos();
        byte[] dir = z.directory(names, data, at, 0);
        z.write(dir);
        z.eocd(count, dir.length, cd, 0);
        return z.bytes();
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {0, 1, 3, 9})
    void everyEntryTheDirectorySizeHoldsIsAnalysedWhateverTheCount(int count) {
        FileReport r = scan(counted(count), "a.npz");
        assertThat(payloadIn(r, "evil.pkl")).as(r.findings().toString()).isTrue();
        assertThat(anomaly(r, "counts " + count + " entries but the central directory's")).isTrue();
    }

    @Test
    void aZip64RecordWithoutSentinelsIsReadAsTheLoadersReadIt() {
        FileReport r = scan(zip64OverridesTheClassicRecord(), "m.pt");
        assertThat(payloadIn(r, "archive/data.pkl")).isTrue();
        assertThat(anomaly(r, "ZIP64 end record overrides")).isTrue();
    }

    @Test
    void aSecondEndRecordInTheCommentIsReadAsTheLoadersReadIt() {
        FileReport r = scan(secondEndRecordInTheComment(), "m.pt");
        assertThat(payloadIn(r, "archive/data.pkl")).isTrue();
        assertThat(anomaly(r, "sits inside the comment of the one at")).isTrue();
        assertThat(anomaly(r, "different end-of-central-directory records")).isTrue();
    }

    @Test
    void bothReadingsOfAShiftedDirectoryAreAnalysed() {
        FileReport r = scan(offsetShiftedByConcat(), "m.pt");
        assertThat(payloadIn(r, "archive/data.pkl")).isTrue();
        assertThat(anomaly(r, "zip readers see different members")).isTrue();
    }

    @Test
    void ordinaryArchivesRaiseNoneOfTheseAnomalies() throws IOException {
        for (byte[] b : List.of(ZipBuilder.torchZip(BENIGN, 4), zip64Checkpoint())) {
            FileReport r = scan(b, "m.pt");
            assertThat(r.findings()).as(r.findings().toString()).isEmpty();
            assertThat(r.verdict()).isEqualTo(Severity.SAFE);
        }
        // an archive with a comment, and with its own zip stored inside as a member
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream zo = new java.util.zip.ZipOutputStream(out)) {
            zo.setMethod(java.util.zip.ZipOutputStream.STORED);
            byte[] inner = ZipBuilder.torchZip(BENIGN, 4);
            java.util.zip.ZipEntry e = new java.util.zip.ZipEntry("inner.zip");
            e.setSize(inner.length);
            e.setCompressedSize(inner.length);
            e.setCrc(Raw.crc(inner));
            zo.putNextEntry(e);
            zo.write(inner);
            zo.closeEntry();
            zo.setComment("a comment");
        }
        ZipArchive zip = ZipArchive.read(new ArrayByteSource(out.toByteArray()), 100);
        assertThat(zip.anomalies()).isEmpty();
        assertThat(zip.entries()).extracting(ZipMember::name).containsExactly("inner.zip");
    }

    /** A checkpoint with a ZIP64 end record whose values equal the classic ones, as torch.save writes. */
    static byte[] zip64Checkpoint() {
        Raw z = new Raw();
        List<String> names = new ArrayList<>(List.of("archive/data.pkl"));
        names.addAll(SHARED);
        List<byte[]> data = new ArrayList<>(List.of(BENIGN));
        data.addAll(SHARED_DATA);
        List<Long> at = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            at.add(z.local(names.get(i), data.get(i)));
        }
        long cd = z.pos();
        byte[] dir = z.directory(names, data, at, 0);
        z.write(dir);
        long rec = z.pos();
        z.zip64(names.size(), dir.length, cd);
        z.locator(rec);
        z.eocd(names.size(), dir.length, cd, 0);
        return z.bytes();
    }

    // ---- the real loaders, where installed ------------------------------------------------------

    private static String torchPython() {
        return Pythons.with("torch");
    }

    @Test
    void theRealLoadersReadWhatTheTestsSayTheyRead() throws Exception {
        String python = torchPython();
        if (python == null) {
            System.out.println("ZipEndRecordTest: no python3 with torch; the loader check is skipped");
        }
        Assumptions.assumeTrue(python != null, "python3 with torch is not installed");
        Path script = dir.resolve("zip_oracle.py");
        try (InputStream in = getClass().getResourceAsStream("zip_oracle.py")) {
            Files.copy(in, script);
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("comment.pt", commentPastTheEnd());
        files.put("count.pt", countSmallerThanTheDirectory());
        files.put("zip64.pt", zip64OverridesTheClassicRecord());
        files.put("two.pt", secondEndRecordInTheComment());
        files.put("concat.pt", offsetShiftedByConcat());
        files.put("locator.pt", zip64LocatorElsewhere());
        List<String> cmd = new ArrayList<>(List.of(python, script.toString()));
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            Files.write(dir.resolve(e.getKey()), e.getValue());
            cmd.add(dir.resolve(e.getKey()).toString());
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        System.out.println("ZipEndRecordTest loader oracle:\n" + out);
        Map<String, String> block = new LinkedHashMap<>();
        String pending = "";
        for (String line : out.split("\n")) {
            if (line.startsWith("RESULT ")) {
                String path = line.substring(line.indexOf("\"path\": \"") + 9, line.indexOf("\","));
                block.put(Path.of(path).getFileName().toString(), pending + line);
                pending = "";
            } else {
                pending += line + "\n";
            }
        }
        // torch.load ran the evil data.pkl (its echo printed) where Laocoon's strict reading saw none
        for (String f : List.of("comment.pt", "zip64.pt", "two.pt", "concat.pt", "locator.pt")) {
            assertThat(block.get(f)).as(out).contains("pwned");
        }
        // Python's zipfile (numpy.load, Keras) reads the member past the count
        assertThat(block.get("count.pt")).as(out).contains("\"archive/extra.pkl\"").doesNotContain("pwned");
        // and its view of the shifted directory is the benign one, of the second end record the evil one
        assertThat(block.get("concat.pt")).as(out).contains("\"zipfile_read\": {\"archive/data.pkl\": " + BENIGN.length);
        assertThat(block.get("locator.pt")).as(out).contains("\"zipfile_read\": {\"archive/data.pkl\": " + BENIGN.length);
        assertThat(block.get("zip64.pt")).as(out).contains("\"zipfile_read\": {\"archive/data.pkl\": " + EVIL.length);
        assertThat(block.get("two.pt")).as(out).contains("\"zipfile_read\": {\"archive/data.pkl\": " + EVIL.length);
        assertThat(block.get("comment.pt")).as(out).contains("\"zipfile_read\": {\"archive/data.pkl\": " + EVIL.length);
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            FileReport r = scan(e.getValue(), e.getKey());
            assertThat(r.verdict()).as(e.getKey() + ": " + r.findings().stream().map(Finding::message).toList())
                    .isEqualTo(Severity.MALICIOUS);
        }
    }
}
