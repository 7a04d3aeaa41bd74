package dev.laocoon.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Repository uploads: a tar.gz or zip of a model repository, one report per member plus the repository verdict. */
class RepositoryUploadTest {
    @TempDir
    Path dir;

    static byte[] tarGz() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(new GzipCompressorOutputStream(b))) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            put(t, "repo/evil.pkl", PickleBuilder.call("os", "system", "echo pwned"));
            put(t, "repo/sub/model.pt", ZipBuilder.torchZip(ZipBuilder.torchStateDict("weight", "0", 4), 4));
            put(t, "repo/config.json", "{\"model_type\": \"bert\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            put(t, "../escape.pkl", PickleBuilder.call("os", "system", "echo escape"));
            TarArchiveEntry link = new TarArchiveEntry("repo/link.bin", TarArchiveEntry.LF_SYMLINK);
            link.setLinkName("/etc/passwd");
            t.putArchiveEntry(link);
            t.closeArchiveEntry();
        }
        return b.toByteArray();
    }

    static void put(TarArchiveOutputStream t, String name, byte[] data) throws Exception {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        t.putArchiveEntry(e);
        t.write(data);
        t.closeArchiveEntry();
    }

    @Test
    void eachMemberIsReportedAndTheWorstIsTheRepositoryVerdict() throws Exception {
        try (TestServer s = new TestServer(dir, c -> { })) {
            HttpResponse<String> r = s.post("/v1/scans?repository=true&name=repo.tar.gz", TestServer.ACME, tarGz());
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode j = TestServer.json(r);
            assertThat(j.get("format").asText()).isEqualTo("repository");
            assertThat(j.get("verdict").asText()).isEqualTo("malicious");
            Map<String, String> verdicts = new HashMap<>();
            for (JsonNode f : j.get("files")) {
                verdicts.put(f.get("path").asText(), f.get("verdict").asText());
            }
            assertThat(verdicts).containsEntry("repo/evil.pkl", "malicious").containsEntry("repo/sub/model.pt", "safe")
                    .containsEntry("../escape.pkl", "suspicious").containsEntry("repo/link.bin", "suspicious")
                    .containsKey("repo/config.json");
            assertThat(r.body()).doesNotContain(s.server.tempDir().toString());
            assertThat(j.get("summary").get("files").asInt()).isEqualTo(5);
            assertThat(s.awaitNoTempFiles()).isZero();

            // a zip works the same; a file that is no archive is refused
            byte[] zip = ZipBuilder.torchZip(ZipBuilder.torchStateDict("w", "0", 2), 2);
            JsonNode z = TestServer.json(s.post("/v1/scans?repository=true&name=r.zip", TestServer.ACME, zip));
            assertThat(z.get("format").asText()).isEqualTo("repository");
            assertThat(z.get("files").size()).isGreaterThan(1);
            assertThat(s.post("/v1/scans?repository=true", TestServer.ACME, new byte[100]).statusCode()).isEqualTo(400);
            JsonNode hf = TestServer.json(s.get("/v1/scans/" + j.get("scanId").asText() + "?view=hf", TestServer.ACME));
            assertThat(hf.get("files").size()).isEqualTo(5);
            assertThat(s.awaitNoTempFiles()).isZero();
        }
    }

    @Test
    void anUnpackedRepositoryCountsAgainstTheTemporarySpace() throws Exception {
        try (TestServer s = new TestServer(dir, c -> c.maxTempBytes = 64 * 1024)) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try (TarArchiveOutputStream t = new TarArchiveOutputStream(new GzipCompressorOutputStream(b))) {
                put(t, "big.bin", new byte[1 << 20]); // 1 MiB of zeros: a few KiB compressed
            }
            HttpResponse<String> r = s.post("/v1/scans?repository=true", TestServer.ACME, b.toByteArray());
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode j = TestServer.json(r);
            assertThat(j.get("verdict").asText()).isEqualTo("suspicious"); // not unpacked: never safe
            assertThat(r.body()).contains("could not be unpacked").contains("full");
            assertThat(s.awaitNoTempFiles()).isZero();
        }
    }
}
