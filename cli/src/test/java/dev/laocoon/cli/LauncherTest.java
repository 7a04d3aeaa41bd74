package dev.laocoon.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.laocoon.core.testutil.PickleBuilder;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code laocoon} launcher script, run with bash from a copy of it in a temporary install
 * whose {@code cli/target/laocoon.jar} is a manifest-only jar naming this test's class path (so no
 * Maven build is needed), and with a {@code java} that logs how it was called.
 */
class LauncherTest {
    @TempDir
    Path dir;

    Path install;
    Path javaLog;
    Path fakeJavaHome;

    record Result(int code, String out, String err) {
    }

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(new File("/bin/bash").canExecute() || new File("/usr/bin/bash").canExecute(),
                "LauncherTest skipped: no bash");
        install = dir.resolve("install");
        Files.createDirectories(install);
        Path launcher = install.resolve("laocoon");
        Files.copy(Path.of("..", "laocoon"), launcher);
        executable(launcher);
        javaLog = dir.resolve("java.log");
        fakeJavaHome = dir.resolve("jdk");
        Files.createDirectories(fakeJavaHome.resolve("bin"));
        Path java = fakeJavaHome.resolve("bin/java");
        Files.writeString(java, "#!/bin/sh\necho \"$*\" >> '" + javaLog + "'\nexec '"
                + Path.of(System.getProperty("java.home"), "bin", "java") + "' \"$@\"\n");
        executable(java);
    }

    static void executable(Path p) throws IOException {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** A jar with no classes whose manifest puts this test's class path (Laocoon and its libraries) on the class path. */
    static void manifestJar(Path jar) throws IOException {
        Files.createDirectories(jar.getParent());
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        StringBuilder cp = new StringBuilder();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!e.isEmpty()) {
                cp.append(cp.length() == 0 ? "" : " ").append(Path.of(e).toAbsolutePath().toUri());
            }
        }
        m.getMainAttributes().put(Attributes.Name.CLASS_PATH, cp.toString());
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o, m)) {
            j.flush();
        }
    }

    Process start(Path script, Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().put("JAVA_HOME", fakeJavaHome.toString());
        pb.environment().remove("LAOCOON_JAVA_OPTS");
        pb.environment().putAll(env);
        pb.redirectOutput(dir.resolve("out-" + System.nanoTime()).toFile());
        return pb.start();
    }

    Result run(Path script, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().put("JAVA_HOME", fakeJavaHome.toString());
        pb.environment().remove("LAOCOON_JAVA_OPTS");
        pb.environment().putAll(env);
        Path out = dir.resolve("stdout");
        Path err = dir.resolve("stderr");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    long javaCalls(String containing) throws IOException {
        if (!Files.exists(javaLog)) {
            return 0;
        }
        return Files.readAllLines(javaLog, StandardCharsets.UTF_8).stream().filter(l -> l.contains(containing)).count();
    }

    @Test
    void aSymbolicLinkOnPathFindsTheProject() throws Exception {
        manifestJar(install.resolve("cli/target/laocoon.jar"));
        Path bin = dir.resolve("bin");
        Files.createDirectories(bin);
        Files.createSymbolicLink(bin.resolve("laocoon"), install.resolve("laocoon"));
        Files.createSymbolicLink(bin.resolve("lao"), Path.of("laocoon")); // a relative link to the link
        Result r = run(bin.resolve("lao"), Map.of(), "--version");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("laocoon ");
        assertThat(r.err()).doesNotContain("building");
    }

    @Test
    void exitCodesOfTheScanAndOfAFailedJavaVm() throws Exception {
        manifestJar(install.resolve("cli/target/laocoon.jar"));
        Path evil = dir.resolve("evil.pkl");
        Files.write(evil, PickleBuilder.call("os", "system", "echo hi"));
        Path launcher = install.resolve("laocoon");
        assertThat(run(launcher, Map.of(), "scan", evil.toString()).code()).isEqualTo(1);
        assertThat(run(launcher, Map.of(), "scan", dir.resolve("missing.pkl").toString()).code()).isEqualTo(2);
        Path safe = dir.resolve("data.pkl");
        Files.write(safe, PickleBuilder.create().proto(2).none().stop().bytes());
        assertThat(run(launcher, Map.of(), "scan", safe.toString()).code()).isZero();
        // a VM that cannot start exits 1 by itself: never "a file reached --fail-on"
        Result bad = run(launcher, Map.of("LAOCOON_JAVA_OPTS", "-XX:+NoSuchVmOption"), "scan", safe.toString());
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("the Java VM failed");
        Result noJava = run(launcher, Map.of("JAVA_HOME", dir.resolve("nowhere").toString()), "--version");
        assertThat(noJava.code()).isEqualTo(2);
        assertThat(noJava.err()).contains("no Java found");
    }

    @Test
    void theArchiveIsRecordedOnceAndAFailedRecordingIsNotRepeated() throws Exception {
        manifestJar(install.resolve("cli/target/laocoon.jar"));
        Path launcher = install.resolve("laocoon");
        // an archive path that cannot be written (as in a read-only install)
        Files.createDirectories(install.resolve("cli/target/laocoon.jsa"));
        for (int i = 0; i < 3; i++) {
            assertThat(run(launcher, Map.of(), "--version").code()).isZero();
        }
        assertThat(javaCalls("ArchiveClassesAtExit")).isEqualTo(1);
        assertThat(javaCalls("--version")).isEqualTo(3);
    }

    @Test
    void twoFirstRunsBuildOnce() throws Exception {
        // a stand-in for mvn that counts builds and takes a while, then leaves the jar as a build does
        Path prepared = dir.resolve("prepared.jar");
        manifestJar(prepared);
        Path fakeBin = dir.resolve("fakebin");
        Files.createDirectories(fakeBin);
        Path builds = dir.resolve("builds.log");
        Files.writeString(fakeBin.resolve("mvn"), "#!/bin/sh\necho build >> '" + builds + "'\nsleep 2\n"
                + "mkdir -p cli/target && cp '" + prepared + "' cli/target/laocoon.jar.tmp"
                + " && mv cli/target/laocoon.jar.tmp cli/target/laocoon.jar\n");
        executable(fakeBin.resolve("mvn"));
        Map<String, String> env = Map.of("PATH", fakeBin + File.pathSeparator + System.getenv("PATH"));
        Process a = start(install.resolve("laocoon"), env, "--version");
        Process b = start(install.resolve("laocoon"), env, "--version");
        assertThat(a.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(b.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(a.exitValue()).isZero();
        assertThat(b.exitValue()).isZero();
        assertThat(Files.readAllLines(builds)).hasSize(1);
        assertThat(install.resolve("cli/target/.build-lock")).doesNotExist();
    }

    @Test
    void progressGoesToAStandardErrorTerminalWhenStandardOutputIsAFile() throws Exception {
        assumeTrue(new File("/usr/bin/script").canExecute(), "skipped: no script(1) to give the launcher a terminal");
        manifestJar(install.resolve("cli/target/laocoon.jar"));
        Path tree = dir.resolve("tree");
        Files.createDirectories(tree);
        for (int i = 0; i < 3; i++) {
            Files.write(tree.resolve("d" + i + ".pkl"), PickleBuilder.create().proto(2).none().stop().bytes());
        }
        Path report = dir.resolve("report.txt");
        Path typescript = dir.resolve("typescript");
        // script(1) runs the command on a terminal; standard output is then sent to a file
        String cmd = "bash '" + install.resolve("laocoon") + "' scan '" + tree + "' > '" + report + "'";
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/script", "-qec", cmd, typescript.toString())
                .directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        pb.environment().put("JAVA_HOME", fakeJavaHome.toString());
        pb.environment().remove("CI");
        pb.redirectErrorStream(true).redirectOutput(dir.resolve("script.log").toFile());
        Process p = pb.start();
        p.getOutputStream().close();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(typescript)).contains("scanned 3/3 files");
        assertThat(Files.readString(report)).contains("3 files scanned").doesNotContain("scanned 3/3");
    }

    /** The {@code run:} block of the step with {@code id} in action.yml, unindented. */
    static String actionStep(String id) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("..", "action.yml"));
        StringBuilder sb = new StringBuilder();
        boolean inStep = false;
        boolean inRun = false;
        for (String l : lines) {
            if (l.startsWith("    - ")) {
                inStep = id.equals("*") || l.equals("    - id: " + id); // "*": every step
                inRun = false;
            } else if (inStep && l.equals("      run: |")) {
                inRun = true;
            } else if (inRun) {
                if (!l.isEmpty() && !l.startsWith("        ")) {
                    inRun = false;
                } else {
                    sb.append(l.length() > 8 ? l.substring(8) : "").append('\n');
                }
            }
        }
        return sb.toString();
    }

    @Test
    void theActionPassesInputsThroughTheEnvironment() throws Exception {
        String yml = Files.readString(Path.of("..", "action.yml"));
        for (String id : List.of("*")) {
            assertThat(actionStep(id)).isNotBlank().doesNotContain("${{"); // expressions go through env:, never into a script
        }
        assertThat(yml).contains("github/codeql-action/upload-sarif@v4").contains("continue-on-error: true")
                .contains("category: ${{ inputs.category }}").contains("actions/cache@v4");

        // the Scan step as the runner runs it: bash -e, inputs in the environment
        manifestJar(install.resolve("cli/target/laocoon.jar"));
        Path models = dir.resolve("models");
        Files.createDirectories(models);
        Files.write(models.resolve("evil.pkl"), PickleBuilder.call("os", "system", "echo hi"));
        Files.write(models.resolve("skip.pkl"), PickleBuilder.call("os", "system", "echo skipped"));
        Path script = dir.resolve("scan-step.sh");
        Files.writeString(script, actionStep("scan"));
        Path output = dir.resolve("github-output");
        Files.writeString(output, "");
        Map<String, String> env = new java.util.HashMap<>(Map.of("LAOCOON_HOME", install.toString(),
                "LAOCOON_PATH", "models $(touch pwned)", "LAOCOON_FAIL_ON", "suspicious", "LAOCOON_BASELINE", "",
                "LAOCOON_INCLUDE", "", "LAOCOON_EXCLUDE", "skip.pkl other.pkl", "LAOCOON_POLICY", "",
                "LAOCOON_MAX_SECONDS", "30", "GITHUB_OUTPUT", output.toString()));
        List<String> cmd = List.of("bash", "--noprofile", "--norc", "-eo", "pipefail", script.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().put("JAVA_HOME", fakeJavaHome.toString());
        pb.environment().putAll(env);
        pb.redirectErrorStream(true).redirectOutput(dir.resolve("step.log").toFile());
        Process p = pb.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(dir.resolve("step.log"))).isZero(); // the gate decides
        assertThat(dir.resolve("pwned")).doesNotExist();
        // "$(touch" and "pwned)" were paths that do not exist (reported, never run); evil.pkl fails the scan
        assertThat(Files.readString(output)).contains("code=1");
        String sarif = Files.readString(dir.resolve("laocoon.sarif"));
        assertThat(sarif).contains("evil.pkl").doesNotContain("skip.pkl\"").contains("pwned)");
    }
}
