package dev.laocoon.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hugging Face cache snapshots are folders of links into the repository's content-addressed
 * blobs (huggingface_hub's cache layout): scanning a snapshot judges the blobs, under the link
 * names. Other links that leave the tree are reported unread unless followSymlinks is on.
 */
class SymlinkTreeTest {
    static final byte[] EVIL = "cos\nsystem\n(S'echo laocoon'\ntR.".getBytes(StandardCharsets.ISO_8859_1);

    @TempDir
    Path dir;
    Path snapshot;

    @BeforeEach
    void cache() throws IOException {
        Path repo = dir.resolve("hub/models--org--model");
        Files.createDirectories(repo.resolve("blobs"));
        snapshot = Files.createDirectories(repo.resolve("snapshots/0123abcd"));
        Files.write(repo.resolve("blobs/9f86d081"), EVIL);
        Files.writeString(repo.resolve("blobs/2c26b46b"), "{\"model_type\": \"bert\"}");
        Files.createSymbolicLink(snapshot.resolve("pytorch_model.bin"), Path.of("../../blobs/9f86d081"));
        Files.createSymbolicLink(snapshot.resolve("config.json"), Path.of("../../blobs/2c26b46b"));
    }

    static FileReport entry(ScanReport r, String suffix) {
        return r.files().stream().filter(f -> f.path().endsWith(suffix)).findFirst().orElseThrow();
    }

    @Test
    void aCacheSnapshotIsScannedThroughItsLinks() throws IOException {
        ScanReport r = Scanner.builder().build().scan(List.of(snapshot));
        FileReport model = entry(r, "pytorch_model.bin");
        assertThat(model.verdict()).as(model.toString()).isEqualTo(Severity.MALICIOUS);
        assertThat(entry(r, "config.json").verdict()).isEqualTo(Severity.SAFE);
    }

    @Test
    void otherLinksLeavingTheTreeAreReportedUnlessFollowed() throws IOException {
        Path other = Files.createDirectories(dir.resolve("checkout"));
        Files.createSymbolicLink(other.resolve("model.bin"), dir.resolve("hub/models--org--model/blobs/9f86d081"));
        FileReport unread = entry(Scanner.builder().build().scan(List.of(other)), "model.bin");
        assertThat(unread.findings()).singleElement().satisfies(f -> assertThat(f.rule()).isEqualTo(Rule.REPO_SYMLINK_ESCAPE));
        FileReport followed = entry(Scanner.builder().followSymlinks(true).build().scan(List.of(other)), "model.bin");
        assertThat(followed.verdict()).isEqualTo(Severity.MALICIOUS);
    }

    @Test
    void aSnapshotLinkIntoAnotherRepositorysBlobsIsNotFollowed() throws IOException {
        Path stranger = Files.createDirectories(dir.resolve("hub/models--x--y/blobs"));
        Files.write(stranger.resolve("aa"), EVIL);
        Files.createSymbolicLink(snapshot.resolve("other.bin"), stranger.resolve("aa"));
        FileReport r = entry(Scanner.builder().build().scan(List.of(snapshot)), "other.bin");
        assertThat(r.findings()).singleElement().satisfies(f -> assertThat(f.rule()).isEqualTo(Rule.REPO_SYMLINK_ESCAPE));
    }
}
