package dev.laocoon.core.internal.container;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.CountingByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Containers: benign and hostile fixtures built in this file. */
class ContainerScanTest {
    static final byte[] EVIL = PickleBuilder.call("os", "system", "echo pwned");

    static FileReport scan(byte[] data, String name) {
        return Scanner.builder().build().scan(new ArrayByteSource(data), name);
    }

    static boolean has(FileReport r, Rule rule) {
        return r.findings().stream().anyMatch(f -> f.rule() == rule);
    }

    @Nested
    class PyTorchZip {
        @Test
        void stateDictIsSafe() {
            FileReport r = scan(ZipBuilder.torchZip(ZipBuilder.torchStateDict("w", "0", 4), 4), "m.pt");
            assertThat(r.formatLabel()).isEqualTo("pytorch-zip");
            assertThat(r.findings()).isEmpty();
            assertThat(r.verdict()).isEqualTo(Severity.SAFE);
        }

        @Test
        void payloadInDataPklIsLocatedInTheMember() {
            FileReport r = scan(ZipBuilder.torchZip(EVIL, 4), "m.bin");
            assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).anySatisfy(f -> assertThat(f.location().render()).isEqualTo("m.bin!archive/data.pkl@2"));
        }

        @Test
        void pickleUnderAnyMemberNameIsAnalysed() {
            byte[] z = new ZipBuilder().add("archive/data.pkl", ZipBuilder.torchStateDict("w", "0", 1))
                    .add("archive/data/0", new byte[4]).add("archive/notes.txt", EVIL).bytes();
            FileReport r = scan(z, "m.pt");
            assertThat(r.findings()).anySatisfy(f -> {
                assertThat(f.severity()).isEqualTo(Severity.MALICIOUS);
                assertThat(f.location().members()).containsExactly("archive/notes.txt");
            });
        }

        @Test
        void storageKeyNamingNoMemberIsSuspicious() {
            FileReport r = scan(ZipBuilder.torchZip(ZipBuilder.torchStateDict("w", "7", 4), 4), "m.pt");
            assertThat(has(r, Rule.TORCH_PERSISTENT_ID)).isTrue();
            assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
        }

        @Test
        void encryptionFlagIsReportedAndThePayloadStillFound() {
            byte[] z = new ZipBuilder().addTricky("archive/data.pkl", "archive/data.pkl", EVIL, 1, false)
                    .add("archive/version", "3\n".getBytes()).bytes();
            FileReport r = scan(z, "m.pt");
            assertThat(has(r, Rule.ZIP_ANOMALY)).isTrue();
            assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        }

        @Test
        void wrongCrcIsReportedAndDoesNotStopTheReader() {
            byte[] z = new ZipBuilder().addTricky("archive/data.pkl", "archive/data.pkl", EVIL, 0, true).bytes();
            FileReport r = scan(z, "m.pt");
            assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).anySatisfy(f -> assertThat(f.message()).contains("CRC-32"));
            byte[] honest = ZipBuilder.torchZip(ZipBuilder.torchStateDict("w", "0", 4), 4);
            assertThat(scan(honest, "ok.pt").findings()).noneSatisfy(f -> assertThat(f.message()).contains("CRC-32"));
        }

        @Test
        void localNameMismatchAndDuplicatesAreAnomalies() {
            byte[] z = new ZipBuilder().addTricky("archive/data.pkl", "archive/other.pkl", EVIL, 0, false)
                    .add("archive/data.pkl", ZipBuilder.torchStateDict("w", "0", 1)).add("archive/data/0", new byte[4])
                    .bytes();
            FileReport r = scan(z, "m.pt");
            assertThat(r.findings()).filteredOn(f -> f.rule() == Rule.ZIP_ANOMALY).hasSizeGreaterThanOrEqualTo(2);
            assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        }

        @Test
        void bytesBeforeTheArchiveAreAnalysedAsAPicklePrefix() {
            byte[] z = new ZipBuilder().prefix(EVIL).add("archive/data.pkl", ZipBuilder.torchStateDict("w", "0", 1))
                    .add("archive/data/0", new byte[4]).bytes();
            FileReport r = scan(z, "poly.pt");
            assertThat(has(r, Rule.ZIP_ANOMALY)).isTrue();
            assertThat(r.findings()).anySatisfy(f -> {
                assertThat(f.rule()).isEqualTo(Rule.PICKLE_DANGEROUS_GLOBAL);
                assertThat(f.location().members()).isEmpty();
            });
        }

        @Test
        void torchScriptCodeIsANotice() {
            byte[] z = new ZipBuilder().add("archive/data.pkl", ZipBuilder.torchStateDict("w", "0", 1))
                    .add("archive/data/0", new byte[4]).add("archive/code/__torch__/m.py", "def forward(self): pass\n".getBytes())
                    .add("archive/constants.pkl", PickleBuilder.create().proto(2).emptyTuple().stop().bytes()).bytes();
            FileReport r = scan(z, "ts.pt");
            assertThat(r.formatLabel()).isEqualTo("torchscript");
            assertThat(r.verdict()).isEqualTo(Severity.NOTICE);
            assertThat(has(r, Rule.TORCHSCRIPT_CODE)).isTrue();
        }

        @Test
        void payloadInTorchScriptConstantsIsFound() {
            byte[] z = new ZipBuilder().add("archive/data.pkl", ZipBuilder.torchStateDict("w", "0", 1))
                    .add("archive/data/0", new byte[4]).add("archive/code/__torch__/m.py", "x\n".getBytes())
                    .add("archive/constants.pkl", EVIL).bytes();
            assertThat(scan(z, "ts.pt").verdict()).isEqualTo(Severity.MALICIOUS);
        }

        @Test
        void aOneGigabyteCheckpointIsScannedReadingLessThanOneMegabyte() throws IOException {
            byte[] pkl = ZipBuilder.torchStateDict("w", "0", 1 << 28);
            ByteSource big = new HugeTorchZip(pkl, 1L << 30);
            CountingByteSource counted = new CountingByteSource(big);
            FileReport r = Scanner.builder().build().scan(counted, "big.pt");
            assertThat(r.formatLabel()).isEqualTo("pytorch-zip");
            assertThat(r.verdict()).isEqualTo(Severity.SAFE);
            assertThat(big.size()).isGreaterThan(1L << 30);
            assertThat(counted.bytesRead()).isLessThan(1 << 20);
        }
    }

    @Nested
    class LegacyTorch {
        static byte[] legacy(byte[] header0) {
            PickleBuilder b = PickleBuilder.create();
            b.raw(header0);
            b.proto(2).binint2(1001).stop();
            b.proto(2).emptyDict().str("little_endian").newTrue().setitem().stop();
            b.proto(2).global("collections", "OrderedDict").emptyTuple().reduce().stop();
            b.proto(2).mark().str("0").list().stop();
            b.raw(new byte[64]); // raw storage bytes
            return b.bytes();
        }

        static final byte[] MAGIC = PickleBuilder.create().proto(2)
                .long1(new byte[] {0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19})
                .stop().bytes();

        @Test
        void legacyCheckpointIsSafeAndItsStorageBytesAreNotPickles() {
            FileReport r = scan(legacy(MAGIC), "old.bin");
            assertThat(r.formatLabel()).isEqualTo("pytorch-legacy");
            assertThat(r.findings()).isEmpty();
        }

        @Test
        void aGlobalInAHeaderPickleIsMalicious() {
            // the protocol-version pickle runs os.system
            FileReport bad = scan(PickleBuilder.create().raw(MAGIC).raw(EVIL).proto(2).none().stop().bytes(), "old.bin");
            assertThat(bad.findings()).anySatisfy(f -> {
                assertThat(f.rule()).isEqualTo(Rule.TORCH_LEGACY_HEADER);
                assertThat(f.severity()).isEqualTo(Severity.MALICIOUS);
            });
        }
    }

    @Nested
    class LegacyTorchTarFormat {
        static byte[] tar(java.util.Map<String, byte[]> members) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (var t = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(out)) {
                for (var m : members.entrySet()) {
                    var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(m.getKey());
                    e.setSize(m.getValue().length);
                    t.putArchiveEntry(e);
                    t.write(m.getValue());
                    t.closeArchiveEntry();
                }
            }
            return out.toByteArray();
        }

        static byte[] le(long v, int n) {
            byte[] b = new byte[n];
            for (int i = 0; i < n; i++) {
                b[i] = (byte) (v >>> (8 * i));
            }
            return b;
        }

        static java.util.Map<String, byte[]> members(byte[] sysInfo) {
            java.util.Map<String, byte[]> m = new java.util.LinkedHashMap<>();
            m.put("sys_info", sysInfo);
            m.put("pickle", PickleBuilder.create().proto(2).emptyDict().str("w").str("0").binpersid().setitem().stop().bytes());
            m.put("tensors", PickleBuilder.create().proto(2).binint1(1).stop()
                    .proto(2).str("0").str("1").global("torch", "FloatTensor").tuple3().stop()
                    .raw(le(1, 4)).raw(new byte[4]).raw(le(4, 8)).raw(le(1, 8)).raw(le(0, 8)).bytes());
            m.put("storages", PickleBuilder.create().proto(2).binint1(1).stop()
                    .proto(2).str("1").str("cpu").global("torch", "FloatStorage").tuple3().stop()
                    .raw(le(4, 8)).raw(new byte[] {(byte) 0xff, 0x63, 0x6f, 0x73, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
                    .proto(2).emptyList().stop().bytes());
            return m;
        }

        @Test
        void legacyTarCheckpointIsSafe() throws IOException {
            byte[] sys = PickleBuilder.create().proto(2).emptyDict().str("little_endian").newTrue().setitem().stop().bytes();
            FileReport r = scan(tar(members(sys)), "old.tar");
            assertThat(r.formatLabel()).contains("pytorch-legacy-tar");
            assertThat(r.findings()).isEmpty();
        }

        @Test
        void payloadInSysInfoIsFound() throws IOException {
            FileReport r = scan(tar(members(EVIL)), "old.tar");
            assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).anySatisfy(f -> assertThat(f.location().members()).containsExactly("sys_info"));
        }
    }

    @Nested
    class Wrappers {
        static byte[] gzip(byte[] data) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (OutputStream g = new GZIPOutputStream(out)) {
                g.write(data);
            }
            return out.toByteArray();
        }

        static byte[] compress(byte[] data, String kind) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (OutputStream o = switch (kind) {
                case "bz2" -> new org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream(out);
                case "xz" -> new org.tukaani.xz.XZOutputStream(out, new org.tukaani.xz.LZMA2Options());
                case "lz4" -> new org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorOutputStream(out);
                case "zstd" -> new io.airlift.compress.zstd.ZstdOutputStream(out);
                default -> throw new IllegalArgumentException(kind);
            }) {
                o.write(data);
            }
            return out.toByteArray();
        }

        /**
         * Python's bz2 reader (bz2.open, as torch.load and pickle.load read it) stops quietly at
         * trailing data that is not a stream and returns what it decoded; the JDK-side decoder
         * throws there. What was decoded before the damage is analysed, and the damage reported.
         */
        @Test
        void aPayloadBeforeTrailingJunkInABz2FileIsStillFound() throws IOException {
            byte[] b = compress(EVIL, "bz2");
            byte[] junk = java.util.Arrays.copyOf(b, b.length + 17);
            System.arraycopy("junk-not-a-stream".getBytes(StandardCharsets.US_ASCII), 0, junk, b.length, 17);
            FileReport r = scan(junk, "evil.pkl.bz2");
            assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).anySatisfy(f -> assertThat(f.message()).contains("damaged"));
            // and without the junk there is nothing to report but the payload
            assertThat(scan(b, "evil.pkl.bz2").findings()).noneSatisfy(f -> assertThat(f.message()).contains("damaged"));
        }

        /** A stream that breaks after its first block: the bytes decoded before the damage are analysed. */
        @Test
        void bytesDecodedBeforeDamageAreAnalysed() throws IOException {
            byte[] data = java.util.Arrays.copyOf(EVIL, EVIL.length + 200_000); // two 64 KB lz4 blocks or more
            byte[] lz4 = compress(data, "lz4");
            byte[] cut = java.util.Arrays.copyOf(lz4, lz4.length - 100);
            FileReport r = scan(cut, "evil.pkl.lz4");
            assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).anySatisfy(f -> assertThat(f.message()).contains("damaged after"));
        }

        @Test
        void gzippedPayloadIsFoundInsideTheWrapper() throws IOException {
            FileReport r = scan(gzip(EVIL), "evil.pkl.gz");
            assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).anySatisfy(f -> assertThat(f.location().render()).isEqualTo("evil.pkl.gz!<gunzip>@2"));
        }

        /** A gzip member with the header-CRC flag and a header CRC that is wrong (Python's gzip never checks it). */
        static byte[] gzipWrongHeaderCrc(byte[] data) throws IOException {
            byte[] g = gzip(data);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(g, 0, 3);
            out.write(g[3] | 2); // FHCRC
            out.write(g, 4, 6);
            out.write(new byte[] {0x12, 0x34});
            out.write(g, 10, g.length - 10);
            return out.toByteArray();
        }

        static byte[] concat(byte[]... parts) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (byte[] p : parts) {
                out.writeBytes(p);
            }
            return out.toByteArray();
        }

        /** The three header pickles of a legacy torch.save file (magic, protocol, sys_info). */
        static byte[] legacyHeader() {
            return PickleBuilder.create().raw(LegacyTorch.MAGIC).proto(2).binint2(1001).stop()
                    .proto(2).emptyDict().str("little_endian").newTrue().setitem().stop().bytes();
        }

        /**
         * torch.load(gzip.open(f)) and joblib read every gzip member, skip zero bytes between
         * members and never check the header CRC. The JDK's GZIPInputStream stopped silently at a
         * second member whose header CRC is wrong, or after zero padding, so the object pickle of
         * this legacy checkpoint was never seen (safe; torch 1.13 ran it).
         */
        @ParameterizedTest
        @ValueSource(strings = {"wrong-header-crc", "zero-padding"})
        void everyGzipMemberIsReadAsPythonReadsThem(String trick) throws IOException {
            byte[] second = trick.equals("wrong-header-crc") ? gzipWrongHeaderCrc(EVIL) : concat(new byte[7], gzip(EVIL));
            FileReport r = scan(concat(gzip(legacyHeader()), second), "m.pt.gz");
            assertThat(r.verdict()).as(trick).isEqualTo(Severity.MALICIOUS);
        }

        @Test
        void aWrongHeaderCrcAloneIsNotAProblem() throws IOException {
            assertThat(scan(gzipWrongHeaderCrc(PickleBuilder.create().proto(4).emptyList().stop().bytes()), "d.gz")
                    .verdict()).isEqualTo(Severity.SAFE);
        }

        @Test
        void dataAfterTheLastMemberIsSuspiciousAndThePayloadStillFound() throws IOException {
            byte[] clean = PickleBuilder.create().proto(4).emptyList().stop().bytes();
            FileReport r = scan(concat(gzip(clean), "garbage".getBytes()), "d.gz");
            assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
            assertThat(r.findings()).anySatisfy(f -> assertThat(f.message()).contains("not a gzip member"));
            assertThat(scan(concat(gzip(EVIL), "garbage".getBytes()), "e.gz").verdict()).isEqualTo(Severity.MALICIOUS);
        }

        @Test
        void aWrongTrailerCrcIsSuspiciousAndThePayloadStillFound() throws IOException {
            byte[] g = gzip(EVIL);
            g[g.length - 8] ^= 1;
            FileReport r = scan(g, "e.gz");
            assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).anySatisfy(f -> assertThat(f.message()).contains("CRC-32"));
        }

        /** An LZMA-alone stream (unknown size, end marker) with the given lc/lp/pb and dictionary size. */
        static byte[] lzmaAlone(byte[] data, int lc, int lp, int pb, int dict) throws IOException {
            org.tukaani.xz.LZMA2Options o = new org.tukaani.xz.LZMA2Options();
            o.setLcLp(lc, lp);
            o.setPb(pb);
            o.setDictSize(dict);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (OutputStream l = new org.tukaani.xz.LZMAOutputStream(out, o, -1)) {
                l.write(data);
            }
            return out.toByteArray();
        }

        /**
         * Python's lzma.open (format auto) reads stream after stream, xz or LZMA-alone, and takes
         * LZMA-alone headers with any properties. Laocoon read one LZMA-alone stream, and only with
         * xz's default properties: a legacy checkpoint whose object pickle was a second stream was
         * safe, a pickle with lc=lp=pb=0 was not recognised (notice); torch 1.13 and pickle ran both.
         */
        @Test
        void everyLzmaStreamIsReadAsPythonReadsThem() throws IOException {
            byte[] head = lzmaAlone(legacyHeader(), 3, 0, 2, 1 << 16);
            for (byte[] second : new byte[][] {lzmaAlone(EVIL, 3, 0, 2, 1 << 16), compress(EVIL, "xz")}) {
                assertThat(scan(concat(head, second), "m.pt.lzma").verdict()).isEqualTo(Severity.MALICIOUS);
            }
            assertThat(scan(lzmaAlone(EVIL, 0, 0, 0, 4096), "e.pkl.lzma").verdict()).isEqualTo(Severity.MALICIOUS);
            assertThat(scan(lzmaAlone(EVIL, 1, 2, 3, 3 << 20), "e.pkl.lzma").verdict()).isEqualTo(Severity.MALICIOUS);
            // an xz stream followed by an LZMA-alone one: Python reads both
            assertThat(scan(concat(compress(legacyHeader(), "xz"), lzmaAlone(EVIL, 3, 0, 2, 1 << 16)), "m.pt.xz")
                    .verdict()).isEqualTo(Severity.MALICIOUS);
        }

        @Test
        void aSingleLzmaStreamOfPlainDataStaysSafe() throws IOException {
            byte[] clean = PickleBuilder.create().proto(4).emptyList().stop().bytes();
            assertThat(scan(lzmaAlone(clean, 0, 0, 0, 4096), "d.lzma").verdict()).isEqualTo(Severity.SAFE);
            assertThat(scan(compress(clean, "xz"), "d.xz").verdict()).isEqualTo(Severity.SAFE);
        }

        @Test
        void gzippedPlainDataIsSafe() throws IOException {
            assertThat(scan(gzip(PickleBuilder.create().proto(4).emptyList().stop().bytes()), "d.gz").verdict())
                    .isEqualTo(Severity.SAFE);
        }

        @Test
        void everyCompressionFormatIsOpened() throws IOException {
            for (String kind : new String[] {"bz2", "xz", "lz4", "zstd"}) {
                FileReport r = scan(compress(EVIL, kind), "evil." + kind);
                assertThat(r.verdict()).as(kind).isEqualTo(Severity.MALICIOUS);
            }
        }

        @Test
        void tarAndSevenZipMembersAreAnalysed() throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (var t = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(out)) {
                var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("model/evil.pkl");
                e.setSize(EVIL.length);
                t.putArchiveEntry(e);
                t.write(EVIL);
                t.closeArchiveEntry();
            }
            FileReport r = scan(gzip(out.toByteArray()), "m.tar.gz");
            assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).anySatisfy(f -> assertThat(f.location().members())
                    .containsExactly("<gunzip>", "model/evil.pkl"));

            java.nio.file.Path tmp = java.nio.file.Files.createTempFile("t", ".7z");
            try {
                try (var z = new org.apache.commons.compress.archivers.sevenz.SevenZOutputFile(tmp.toFile())) {
                    var e = z.createArchiveEntry(new java.io.File("evil.pkl"), "evil.pkl");
                    z.putArchiveEntry(e);
                    z.write(EVIL);
                    z.closeArchiveEntry();
                }
                FileReport s = scan(java.nio.file.Files.readAllBytes(tmp), "m.7z");
                assertThat(s.verdict()).isEqualTo(Severity.MALICIOUS);
                assertThat(s.formatLabel()).contains("7z");
            } finally {
                java.nio.file.Files.deleteIfExists(tmp);
            }
        }

        @Test
        void decompressionBombIsAFindingNotAHang() throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (OutputStream g = new GZIPOutputStream(out, 1 << 16)) {
                byte[] zeros = new byte[1 << 20];
                for (int i = 0; i < 300; i++) {
                    g.write(zeros);
                }
            }
            FileReport r = scan(out.toByteArray(), "bomb.gz");
            assertThat(has(r, Rule.CONTAINER_LIMIT)).isTrue();
            assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
        }
    }

    @Nested
    class NumPy {
        static byte[] npy(String descr, String shape, byte[] data) {
            return npyRaw("'" + descr + "'", shape, data);
        }

        /** descrLiteral is the Python literal numpy's literal_eval reads. */
        static byte[] npyRaw(String descrLiteral, String shape, byte[] data) {
            return npyHeader("{'descr': " + descrLiteral + ", 'fortran_order': False, 'shape': " + shape + ", }", data);
        }

        /** A .npy (version 1.0) with the given header dict, padded as numpy pads it. */
        static byte[] npyHeader(String header, byte[] data) {
            int total = 10 + header.length() + 1;
            int pad = (64 - total % 64) % 64;
            header = header + " ".repeat(pad) + "\n";
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
            out.write(header.length() & 0xff);
            out.write(header.length() >> 8);
            out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
            out.writeBytes(data);
            return out.toByteArray();
        }

        @Test
        void numericArrayIsSafe() {
            FileReport r = scan(npy("<f4", "(2,)", new byte[8]), "w.npy");
            assertThat(r.formatLabel()).isEqualTo("npy");
            assertThat(r.verdict()).isEqualTo(Severity.SAFE);
        }

        @Test
        void objectArrayIsAPickle() {
            FileReport r = scan(npy("|O", "(1,)", EVIL), "o.npy");
            assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
            assertThat(r.formatLabel()).contains("npy-object");
        }

        /** numpy reads the header with ast.literal_eval and np.dtype: all of these are object arrays. */
        @ParameterizedTest
        @ValueSource(strings = {"'object'", "'object_'", "'|' 'O'", "'\\117'", "u'|O'", "('|O')", "\"|O\"",
                "[('a', 'object')]", "[('a', '<i4'), ('b', '\\117')]"})
        void objectDtypeSpelledOtherwiseIsStillAPickle(String descr) {
            FileReport r = scan(npyRaw(descr, "(1,)", EVIL), "o.npy");
            assertThat(r.verdict()).as(descr).isEqualTo(Severity.MALICIOUS);
        }

        /**
         * numpy's header is a dict literal: a key given twice keeps its last value, and keys can be
         * spelled with concatenation or escapes. A reader that takes the first 'descr' it sees
         * calls this float data; numpy.load(allow_pickle=True) unpickles it.
         */
        @ParameterizedTest
        @ValueSource(strings = {
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'descr': '|O', }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'de' 'scr': '|O', }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'd\\x65scr': 'O', }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), \"descr\": [('a', '<f4'), ('b', 'O')], }"})
        void aDescrOverriddenLaterInTheHeaderIsWhatCounts(String header) {
            FileReport r = scan(npyHeader(header, EVIL), "o.npy");
            assertThat(r.verdict()).as(header).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).as(header).anySatisfy(f -> assertThat(f.message()).contains("gives a key twice"));
        }

        @Test
        void aRepeatedKeyIsSuspiciousEvenWhenNumpyEndsUpWithNumbers() {
            FileReport r = scan(npyHeader("{'descr': '|O', 'fortran_order': False, 'shape': (2,), 'descr': '<f4', }",
                    EVIL), "n.npy");
            assertThat(r.verdict()).isEqualTo(Severity.SUSPICIOUS);
        }

        @Test
        void plainAndStructuredNumericArraysStaySafe() {
            assertThat(scan(npy("<U3", "(1,)", new byte[12]), "s.npy").verdict()).isEqualTo(Severity.SAFE);
            assertThat(scan(npyRaw("[('a', '<i4'), ('b', '<f8')]", "(1,)", new byte[12]), "t.npy").verdict())
                    .isEqualTo(Severity.SAFE);
        }

        @Test
        void npzMembersAreAnalysed() {
            byte[] z = new ZipBuilder().add("a.npy", npy("<f4", "(2,)", new byte[8]))
                    .add("b.npy", npy("|O", "(1,)", EVIL)).bytes();
            FileReport r = scan(z, "x.npz");
            assertThat(r.findings()).anySatisfy(f -> {
                assertThat(f.severity()).isEqualTo(Severity.MALICIOUS);
                assertThat(f.location().members()).first().isEqualTo("b.npy");
            });
        }

        /**
         * numpy.load opens any zip as .npz and reads every member starting with the .npy magic as an
         * array, whatever its name. Members that PyTorch or Keras read as raw bytes, text or JSON
         * (and that were therefore skipped) are unpickled by np.load(allow_pickle=True)[name] when
         * they are object arrays; checked with numpy 1.24.
         */
        @ParameterizedTest
        @ValueSource(strings = {"data.pkl|data/x.npy", "archive/data.pkl|archive/data/0", "archive/data.pkl|archive/version",
            "archive/data.pkl|archive/code/m.py", "config.json|metadata.json"})
        void aSkippedMemberThatIsAnObjectArrayIsAnalysed(String names) {
            String[] n = names.split("\\|");
            byte[] first = n[0].equals("config.json")
                    ? "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": []}}".getBytes()
                    : ZipBuilder.torchStateDict("w", "0", 0);
            ZipBuilder b = new ZipBuilder().add(n[0], first).add(n[1], npy("|O", "(1,)", EVIL));
            if (n[0].endsWith("data.pkl")) {
                b.add(n[0].replace("data.pkl", "data/0"), new byte[0]); // the storage the state dict names
            }
            byte[] z = b.bytes();
            FileReport r = scan(z, "m.npz");
            assertThat(r.verdict()).as(names).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).as(names).anySatisfy(f -> assertThat(f.message()).contains("numpy.load"));
        }

        @Test
        void aMemberNameShorterThanTheTorchPrefixIsStillAnalysed() {
            byte[] z = new ZipBuilder().add("archive/data.pkl", ZipBuilder.torchStateDict("w", "0", 0))
                    .add("archive/data/0", new byte[0]).add("x", EVIL).bytes();
            FileReport r = scan(z, "m.pt");
            assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
            assertThat(r.findings()).noneSatisfy(f -> assertThat(f.message()).contains("internal error"));
        }
    }

    @Nested
    class Joblib {
        /** joblib < 0.10 Z-file, which joblib.load still reads: "ZF", hex length in 19 characters, zlib data. */
        @Test
        void oldCompressedZfileIsAnalysed() throws IOException {
            for (String sep : new String[] {"", " "}) {
                ByteArrayOutputStream z = new ByteArrayOutputStream();
                try (java.util.zip.DeflaterOutputStream d = new java.util.zip.DeflaterOutputStream(z)) {
                    d.write(EVIL);
                }
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.writeBytes(("ZF" + String.format("%-19s", "0x" + Integer.toHexString(EVIL.length)) + sep)
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.writeBytes(z.toByteArray());
                FileReport r = scan(out.toByteArray(), "model.joblib");
                assertThat(r.formatLabel()).contains("joblib-zfile");
                assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
            }
            assertThat(scan("ZF is not a joblib file\n".getBytes(StandardCharsets.ISO_8859_1), "notes.txt").verdict())
                    .isEqualTo(Severity.NOTICE);
        }

        /** joblib layout: the wrapper's BUILD is followed by padding and the raw array bytes. */
        static byte[] joblib(byte[] arrayBytes, byte[] tail) {
            return joblib(arrayBytes, tail, true);
        }

        static byte[] joblib(byte[] arrayBytes, byte[] tail, boolean aligned) {
            PickleBuilder b = PickleBuilder.create().proto(4)
                    .global("joblib.numpy_pickle", "NumpyArrayWrapper").emptyTuple().newobj()
                    .emptyDict()
                    .str("shape").binint1(2).tuple1().setitem()
                    .str("dtype").global("numpy", "dtype").str("f8").newFalse().newTrue().tuple3().reduce().setitem();
            if (aligned) {
                b.str("numpy_array_alignment_bytes").binint1(16).setitem().build()
                        .raw(3, 0xff, 0xff, 0xff); // padding length 3, then padding
            } else {
                b.build();
            }
            return b.raw(arrayBytes).raw(tail).bytes();
        }

        @Test
        void arrayBytesAreSkippedAsJoblibDoes() {
            byte[] data = new byte[16];
            data[0] = (byte) 0xff; // not a valid opcode: would break a plain pickle reader
            FileReport r = scan(joblib(data, PickleBuilder.create().pop().none().stop().bytes()), "m.joblib");
            assertThat(r.formatLabel()).isEqualTo("joblib");
            assertThat(r.findings()).noneSatisfy(f -> assertThat(f.severity()).isGreaterThanOrEqualTo(Severity.SUSPICIOUS));
        }

        @Test
        void picklePayloadDisguisedAsArrayDataIsFound() {
            // 16 "array" bytes that a plain pickle.load reads as: POP, then os.system(...)
            byte[] hidden = PickleBuilder.create().pop().global("os", "system").str("x").bytes();
            byte[] data = java.util.Arrays.copyOf(hidden, 16);
            FileReport r = scan(joblib(Arrays16.of(data), PickleBuilder.create().pop().none().stop().bytes(), false),
                    "m.joblib");
            assertThat(r.findings()).anySatisfy(f -> {
                assertThat(f.severity()).isEqualTo(Severity.MALICIOUS);
                assertThat(f.message()).contains("joblib array data");
            });
        }

        /** Exactly 16 bytes (2 float64 values). */
        static final class Arrays16 {
            static byte[] of(byte[] b) {
                return java.util.Arrays.copyOf(b, 16);
            }
        }

        @Test
        void payloadAfterTheArrayIsFound() {
            byte[] tail = PickleBuilder.create().pop().global("os", "system").str("id").tuple1().reduce().stop().bytes();
            FileReport r = scan(joblib(new byte[16], tail), "m.joblib");
            assertThat(r.verdict()).isEqualTo(Severity.MALICIOUS);
        }
    }

    /** A zip whose second member is a 1 GiB run of zeros that is never materialised. */
    static final class HugeTorchZip implements ByteSource {
        private final byte[] head;
        private final byte[] tail;
        private final long zeros;

        HugeTorchZip(byte[] dataPkl, long zeros) {
            this.zeros = zeros;
            // local header + data.pkl, then local header of data/0 (size 'zeros'), zeros, then directory
            ZipLayout l = new ZipLayout(dataPkl, zeros);
            this.head = l.head;
            this.tail = l.tail;
        }

        @Override
        public long size() {
            return head.length + zeros + tail.length;
        }

        @Override
        public int read(long position, byte[] dst, int off, int len) {
            long size = size();
            if (position >= size) {
                return 0;
            }
            int n = (int) Math.min(len, size - position);
            for (int i = 0; i < n; i++) {
                long p = position + i;
                if (p < head.length) {
                    dst[off + i] = head[(int) p];
                } else if (p < head.length + zeros) {
                    dst[off + i] = 0;
                } else {
                    dst[off + i] = tail[(int) (p - head.length - zeros)];
                }
            }
            return n;
        }
    }

    /** Byte layout of {@link HugeTorchZip}: the headers before and after the run of zeros. */
    static final class ZipLayout {
        final byte[] head;
        final byte[] tail;

        ZipLayout(byte[] pkl, long zeros) {
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(pkl);
            ByteArrayOutputStream h = new ByteArrayOutputStream();
            ZipBuilder.localHeader(h, "archive/data.pkl", pkl.length, crc.getValue(), 0);
            h.writeBytes(pkl);
            long second = h.size();
            ZipBuilder.localHeader(h, "archive/data/0", zeros, 0, 0);
            head = h.toByteArray();
            ByteArrayOutputStream t = new ByteArrayOutputStream();
            ZipBuilder.centralHeader(t, "archive/data.pkl", pkl.length, crc.getValue(), 0, 0);
            ZipBuilder.centralHeader(t, "archive/data/0", zeros, 0, 0, second);
            ZipBuilder.endOfCentralDirectory(t, 2, t.size(), head.length + zeros);
            tail = t.toByteArray();
        }
    }
}
