package dev.laocoon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.testutil.PickleBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gate's image (deploy/gate) cannot be built here: what it copies must exist or be what the
 * build produces, and its entrypoint must run the gate as the tests run it (run here for real).
 */
class DeployExamplesTest {
    @TempDir
    Path dir;

    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("deploy/gate")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new AssertionError("no deploy/gate above " + Path.of("").toAbsolutePath());
    }

    @Test
    void whatTheImageCopiesExistsOrIsABuildOutput() throws IOException {
        Path root = root();
        List<String> copies = new ArrayList<>();
        String entrypoint = null;
        for (String line : Files.readAllLines(root.resolve("deploy/gate/Dockerfile"))) {
            String t = line.strip();
            if (t.startsWith("COPY ")) {
                String[] parts = t.split("\\s+");
                copies.add(parts[1] + " -> " + parts[2]);
                String from = parts[1];
                if (from.endsWith(".jar")) {
                    // a build output: its module's pom names it
                    String module = from.substring(0, from.indexOf('/'));
                    String name = from.substring(from.lastIndexOf('/') + 1, from.length() - 4);
                    assertThat(Files.readString(root.resolve(module).resolve("pom.xml")))
                            .as(from).contains("<finalName>" + name + "</finalName>");
                } else {
                    assertThat(root.resolve(from)).as(from).isRegularFile();
                }
            }
            if (t.startsWith("ENTRYPOINT ")) {
                entrypoint = t.substring(t.indexOf('"') + 1, t.lastIndexOf('"'));
            }
        }
        assertThat(copies).anyMatch(c -> c.equals("deploy/gate/entrypoint.sh -> " + "/opt/laocoon/entrypoint.sh"));
        assertThat(entrypoint).isEqualTo("/opt/laocoon/entrypoint.sh");
        assertThat(Files.isExecutable(root.resolve("deploy/gate/entrypoint.sh"))).isTrue();
    }

    int entrypoint(Path src, Path dest) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("sh", root().resolve("deploy/gate/entrypoint.sh").toString(), src.toString(),
                dest.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile());
        pb.environment().put("LAOCOON_CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        return p.waitFor();
    }

    @Test
    void theEntrypointRunsTheGate() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("config.json"), "{}");
        assertThat(entrypoint(src, dir.resolve("models"))).as(Files.readString(dir.resolve("out.txt"))).isZero();
        assertThat(dir.resolve("models/config.json")).exists();
        assertThat(dir.resolve("models/" + GateCommand.REPORT)).exists();
        Path bad = Files.createDirectories(dir.resolve("bad"));
        Files.write(bad.resolve("evil.pkl"), PickleBuilder.call("os", "system", "echo laocoon"));
        assertThat(entrypoint(bad, dir.resolve("refused"))).isEqualTo(1);
        assertThat(Files.readString(dir.resolve("out.txt"))).contains("refused");
        assertThat(dir.resolve("refused")).doesNotExist();
    }
}
