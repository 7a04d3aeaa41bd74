package dev.laocoon.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code laocoon scan --server URL}: the CLI (in a child JVM, token in LAOCOON_TOKEN) against a real service. */
class ScanWithServerTest {
    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    static Run cli(String token, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.laocoon.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("LAOCOON_TOKEN");
        if (token != null) {
            pb.environment().put("LAOCOON_TOKEN", token);
        }
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void sameJsonAndExitCodesAsALocalScan() throws Exception {
        Path tree = dir.resolve("repo");
        Files.createDirectories(tree.resolve("sub"));
        Files.write(tree.resolve("evil.pkl"), PickleBuilder.call("os", "system", "echo pwned"));
        Files.write(tree.resolve("sub/model.pt"), ZipBuilder.torchZip(ZipBuilder.torchStateDict("weight", "0", 4), 4));
        try (TestServer s = new TestServer(dir, c -> c.syncMaxBytes = 100)) { // the checkpoint goes through 202 and polling
            String url = "http://127.0.0.1:" + s.server.port();
            Run remote = cli(TestServer.ACME, "scan", "--server", url, "--format", "json", tree.toString());
            Run local = cli(null, "scan", "--format", "json", tree.toString());
            assertThat(remote.exit()).isEqualTo(1).isEqualTo(local.exit());
            ObjectNode r = (ObjectNode) Http.JSON.readTree(remote.out());
            ObjectNode l = (ObjectNode) Http.JSON.readTree(local.out());
            ((ObjectNode) r.get("summary")).remove("seconds");
            ((ObjectNode) l.get("summary")).remove("seconds");
            // bytesRead measures how the bytes were read (an upload the service spooled, a file), not what they
            // are; the service hashes every upload, a local scan only when asked (--sha256)
            for (ObjectNode report : List.of(r, l)) {
                for (com.fasterxml.jackson.databind.JsonNode f : report.get("files")) {
                    ((ObjectNode) f).remove(List.of("bytesRead", "sha256"));
                }
            }
            assertThat(r).isEqualTo(l);

            Run ok = cli(TestServer.ACME, "scan", "--server", url, tree.resolve("sub/model.pt").toString());
            assertThat(ok.exit()).isZero();
            String localText = cli(null, "scan", tree.resolve("sub/model.pt").toString()).out();
            assertThat(ok.out().replaceAll("\\([0-9.]+ s\\)", "(N s)")).isEqualTo(localText.replaceAll("\\([0-9.]+ s\\)", "(N s)"));

            Run badToken = cli("wrong-token", "scan", "--server", url, tree.toString());
            assertThat(badToken.exit()).isEqualTo(2);
            assertThat(badToken.err()).contains("refused the token").doesNotContain("wrong-token");
            Run noToken = cli(null, "scan", "--server", url, tree.toString());
            assertThat(noToken.exit()).isEqualTo(2);
            assertThat(noToken.err()).contains("LAOCOON_TOKEN");
        }
        Run down = cli(TestServer.ACME, "scan", "--server", "http://127.0.0.1:9", dir.toString());
        assertThat(down.exit()).isEqualTo(2);
        assertThat(down.err()).contains("cannot reach the server");
    }
}
