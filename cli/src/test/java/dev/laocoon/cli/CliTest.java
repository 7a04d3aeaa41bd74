package dev.laocoon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.laocoon.core.testutil.PickleBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user runs it: exit codes, text and JSON agree. */
public class CliTest {
    @TempDir
    Path dir;

    /** A run of the command line in this process: exit code, standard output, standard error. */
    public record Run(int code, String out, String err) {
    }

    /** Runs the command line in this process, with standard output and error captured. */
    public static synchronized Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    Path write(String name, byte[] data) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.write(p, data);
        return p;
    }

    @Test
    void aDashReadsStandardInput() throws IOException {
        byte[] evil = PickleBuilder.create().proto(2).global("os", "system").str("echo x").tuple1().reduce().stop().bytes();
        java.io.InputStream old = System.in;
        Run r;
        try {
            System.setIn(new java.io.ByteArrayInputStream(evil));
            r = run("scan", "-");
        } finally {
            System.setIn(old);
        }
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("MALICIOUS  -").contains("LAO101");
    }

    @Test
    void aDeviceIsRefusedWithExitTwoAndTheOtherPathsAreScanned() throws IOException {
        Path p = write("data.pkl", PickleBuilder.create().proto(2).emptyDict().stop().bytes());
        Run r = run("scan", "/dev/null", dir.resolve("missing.pkl").toString(), p.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("/dev/null: not a regular file").contains("missing.pkl: no such file or directory");
        assertThat(r.out()).contains("3 files scanned").contains("1 safe, 2 unreadable");
    }

    @Test
    void safeFileExitsZero() throws IOException {
        Path p = write("data.pkl", PickleBuilder.create().proto(2).emptyDict().stop().bytes());
        Run r = run("scan", p.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("1 file scanned").contains("1 safe");
    }

    @Test
    void maliciousFileExitsOneAndShowsEvidence() throws IOException {
        Path p = write("model.bin", PickleBuilder.call("os", "system", "echo hi"));
        Run r = run("scan", p.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("MALICIOUS").contains("LAO101").contains("os.system('echo hi')")
                .contains(p + "@2");
    }

    @Test
    void failOnMaliciousLetsSuspiciousThrough() throws IOException {
        Path p = write("x.pkl", PickleBuilder.create().proto(2).global("mypkg", "Thing").stop().bytes());
        assertThat(run("scan", p.toString()).code()).isEqualTo(1);
        assertThat(run("scan", "--fail-on", "malicious", p.toString()).code()).isZero();
        assertThat(run("scan", "--fail-on", "notice", p.toString()).code()).isEqualTo(1);
    }

    @Test
    void jsonListsEveryFileWithRelativePathsAndAgreesWithTheExitCode() throws IOException {
        write("repo/a/evil.pkl", PickleBuilder.call("subprocess", "getoutput", "id"));
        write("repo/b/data.pkl", PickleBuilder.create().proto(4).emptyList().stop().bytes());
        write("repo/README.md", "# a model\n".getBytes(StandardCharsets.UTF_8));
        Path repo = dir.resolve("repo");
        Run r = run("scan", "--format", "json", repo.toString());
        assertThat(r.code()).isEqualTo(1);
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("files")).hasSize(3);
        assertThat(j.get("files").get(0).get("path").asText()).isEqualTo(repo.resolve("README.md").toString());
        assertThat(j.get("files").get(0).get("verdict").asText()).isEqualTo("notice");
        assertThat(j.get("files").get(1).get("path").asText()).isEqualTo(repo.resolve("a/evil.pkl").toString());
        JsonNode f = j.get("files").get(1).get("findings").get(0);
        assertThat(f.get("rule").asText()).isEqualTo("LAO101");
        assertThat(f.get("severity").asText()).isEqualTo("malicious");
        assertThat(f.get("location").get("offset").asLong()).isEqualTo(2);
        assertThat(f.get("evidence").asText()).isEqualTo("subprocess.getoutput('id')");
        assertThat(j.get("files").get(2).get("verdict").asText()).isEqualTo("safe");
        assertThat(j.get("summary").get("failed").asBoolean()).isTrue();
        assertThat(j.get("summary").get("malicious").asInt()).isEqualTo(1);
    }

    @Test
    void contentDecidesNotTheName() throws IOException {
        Path p = write("model.safetensors", PickleBuilder.call("os", "system", "id"));
        Run r = run("scan", "--format", "json", p.toString());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("files").get(0).get("format").asText()).isEqualTo("pickle");
        assertThat(j.get("files").get(0).get("verdict").asText()).isEqualTo("malicious");
    }

    @Test
    void missingPathIsAUsageError() {
        Run r = run("scan", dir.resolve("nope.pkl").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("no such file");
    }

    @Test
    void badOptionIsAUsageError() {
        assertThat(run("scan", "--fail-on", "sometimes", dir.toString()).code()).isEqualTo(2);
        assertThat(run("scan", "--format", "xml", dir.toString()).code()).isEqualTo(2);
        assertThat(run("frobnicate").code()).isEqualTo(2);
    }

    @Test
    void selftestPasses() {
        Run r = run("selftest");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("selftest ok");
    }

    @Test
    void helpAndVersionExitZero() {
        Run r = run("scan", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: laocoon scan").contains("--fail-on SEVERITY").contains("Exit codes");
        assertThat(run("--version").out()).startsWith("laocoon ");
        assertThat(run("help", "explain").out()).contains("Usage: laocoon explain");
    }

    @Test
    void optionsAcceptEqualsFormAndDoubleDash() throws IOException {
        Path p = write("-odd.pkl", PickleBuilder.create().proto(2).global("mypkg", "Thing").stop().bytes());
        assertThat(run("scan", "--fail-on=malicious", "--", p.toString()).code()).isZero();
        Run r = run("scan", "--format");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("needs a value");
        assertThat(run("scan").err()).contains("at least one PATH");
    }

    @Test
    void policyFileOverridesTheKnowledgeBase() throws IOException {
        Path p = write("x.pkl", PickleBuilder.create().proto(2).global("mypkg.models", "Thing").stop().bytes());
        Path policy = write("policy.txt", "# ours\nmypkg.models.*  safe  data  our own classes\n".getBytes(StandardCharsets.UTF_8));
        assertThat(run("scan", "--policy", policy.toString(), p.toString()).code()).isZero();
    }

    @Test
    void invalidPolicyLineIsReportedWithItsLineNumber() throws IOException {
        Path p = write("x.pkl", PickleBuilder.create().proto(2).none().stop().bytes());
        Path policy = write("policy.txt", "os.system  deadly\n".getBytes(StandardCharsets.UTF_8));
        Run r = run("scan", "--policy", policy.toString(), p.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("policy.txt:1");
    }

    @Test
    void outputFileGetsTheReport() throws IOException {
        Path p = write("x.pkl", PickleBuilder.create().proto(2).none().stop().bytes());
        Path out = dir.resolve("report.json");
        Run r = run("scan", "-f", "json", "-o", out.toString(), p.toString());
        assertThat(r.code()).isZero();
        assertThat(new ObjectMapper().readTree(out.toFile()).get("summary").get("safe").asInt()).isEqualTo(1);
    }

    @Test
    void explainShowsTheCallAndTheFinding() throws IOException {
        Path p = write("evil.pkl", PickleBuilder.create().proto(2).global("os", "system").str("echo hi").tuple1()
                .reduce().raw(0xff).bytes());
        Run r = run("explain", p.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("from os import system")
                .contains("_v0 = os.system('echo hi')")
                .contains("!! MALICIOUS LAO101")
                .contains("raise UnpicklingError")
                .contains("verdict: malicious");
    }

    @Test
    void explainOfACheckpointExplainsItsPickleMember() throws IOException {
        byte[] zip = dev.laocoon.core.testutil.ZipBuilder.torchZip(PickleBuilder.call("os", "system", "id"), 1);
        Path p = write("model.pt", zip);
        Run r = run("explain", p.toString());
        assertThat(r.out()).contains("What a loader of " + p + "!archive/data.pkl would do")
                .contains("_v0 = os.system('id')").contains("format: pytorch-zip, verdict: malicious");
    }

    @Test
    void explainOfANonPickleSaysSo() throws IOException {
        Path p = write("notes.txt", "hello\n".getBytes(StandardCharsets.UTF_8));
        Run r = run("explain", p.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("no pickle inside");
    }

    @Test
    void unreadableFileIsAnErrorEntryNotSafe() throws IOException {
        Path p = write("locked.pkl", PickleBuilder.create().proto(2).none().stop().bytes());
        org.junit.jupiter.api.Assumptions.assumeTrue(p.toFile().setReadable(false) && !Files.isReadable(p),
                "file permissions do not apply (running as root)");
        Run r = run("scan", "-f", "json", p.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).contains("\"verdict\" : \"error\"");
    }
}
