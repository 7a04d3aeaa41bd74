package dev.laocoon.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.laocoon.cli.CliTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** laocoon audit and laocoon scan of a folder, through the command line, in process. */
class AuditCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /** A protocol-2 pickle calling os.system('echo x') when loaded. */
    static final byte[] EVIL = "\u0080\u0002cos\nsystem\nX\u0006\u0000\u0000\u0000echo x\u0085R.".getBytes(StandardCharsets.ISO_8859_1);


    static CliTest.Run run(String... args) {
        return CliTest.run(args);
    }

    static final String POD = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: llm
            spec:
              selector:
                matchLabels: {app: llm}
              template:
                metadata:
                  labels: {app: llm}
                spec:
                  automountServiceAccountToken: false
                  containers:
                    - name: server
                      image: example/model-server@sha256:0000000000000000000000000000000000000000000000000000000000000000
                      args: ["--model-path=/mnt/models/x.bin"]
            """;

    /** A tree with a malicious model, a pod that loads it and can reach the metadata service, and a README. */
    static Path chainTree(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("models"));
        Files.createDirectories(dir.resolve("deploy"));
        Files.write(dir.resolve("models/x.bin"), EVIL);
        Files.writeString(dir.resolve("deploy/pod.yaml"), POD);
        Files.writeString(dir.resolve("README.md"), "# a model\n");
        Files.writeString(dir.resolve("deploy/values.yaml"), "replicas: 2\n"); // YAML, no Kubernetes object
        return dir;
    }

    static List<String> schemaErrors(JsonNode sarif) {
        SchemaRegistry draft4 = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4,
                b -> b.schemaIdResolvers(r -> r.mapPrefix("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/",
                        "classpath:schemas/sarif/")));
        Schema schema = draft4.getSchema(SchemaLocation.of(
                "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"));
        List<String> out = new ArrayList<>();
        for (var e : schema.validate(sarif)) {
            out.add(e.toString());
        }
        return out;
    }

    @Test
    void chainLinkInSarifAndText(@TempDir Path tmp) throws Exception {
        Path tree = chainTree(tmp.resolve("repo"));
        CliTest.Run sarif = run("audit", "--format", "sarif", tree.toString());
        assertThat(sarif.code()).as(sarif.err()).isEqualTo(1);
        JsonNode doc = JSON.readTree(sarif.out());
        assertThat(schemaErrors(doc)).isEmpty();
        JsonNode chain = null;
        for (JsonNode r : doc.at("/runs/0/results")) {
            if (r.path("ruleId").asText().equals("LAO950")) {
                chain = r;
            }
        }
        assertThat(chain).as(sarif.out()).isNotNull();
        assertThat(chain.path("level").asText()).isEqualTo("error");
        assertThat(chain.at("/locations/0/physicalLocation/artifactLocation/uri").asText()).endsWith("deploy/pod.yaml");
        assertThat(chain.at("/locations/0/physicalLocation/region/startLine").asInt()).isEqualTo(16);
        assertThat(chain.at("/locations/0/physicalLocation/region/startColumn").asInt()).isEqualTo(18);
        assertThat(chain.at("/relatedLocations/0/physicalLocation/artifactLocation/uri").asText()).endsWith("models/x.bin");
        // the audit's rules are described in the run, with their pages
        boolean described = false;
        for (JsonNode r : doc.at("/runs/0/tool/driver/rules")) {
            if (r.path("id").asText().equals("LAO905")) {
                described = r.at("/help/markdown").asText().startsWith("# LAO905");
            }
        }
        assertThat(described).isTrue();

        CliTest.Run text = run("audit", "--no-color", tree.toString());
        assertThat(text.out()).contains("this pod loads `models/x.bin`, which is malicious, and can reach the metadata service");
        assertThat(text.out()).contains("deploy/pod.yaml:11:5[spec.template.spec]");
    }

    @Test
    void gitlabSastReportHasLines(@TempDir Path tmp) throws Exception {
        Path tree = chainTree(tmp.resolve("repo"));
        CliTest.Run r = run("audit", "--format", "gitlab-sast", tree.toString());
        JsonNode doc = JSON.readTree(r.out());
        SchemaRegistry draft7 = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7,
                b -> b.schemaIdResolvers(x -> x.mapPrefix(
                        "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/master/dist/",
                        "classpath:schemas/gitlab/")));
        Schema schema = draft7.getSchema(SchemaLocation.of(
                "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/master/dist/sast-report-format.json"));
        assertThat(schema.validate(doc)).isEmpty();
        boolean lined = false;
        for (JsonNode v : doc.path("vulnerabilities")) {
            lined |= v.at("/location/start_line").asInt() == 16;
        }
        assertThat(lined).isTrue();
    }

    @Test
    void jsonListsRecognisedFilesOnly(@TempDir Path tmp) throws Exception {
        Path tree = chainTree(tmp.resolve("repo"));
        Files.writeString(tree.resolve("Dockerfile"), "FROM python@sha256:3333333333333333333333333333333333333333333333333333333333333333\nUSER 1000\n");
        CliTest.Run r = run("audit", "--format", "json", tree.toString());
        JsonNode doc = JSON.readTree(r.out());
        List<String> paths = new ArrayList<>();
        for (JsonNode f : doc.path("files")) {
            paths.add(tree.relativize(Path.of(f.path("path").asText())).toString());
        }
        assertThat(paths).containsExactly("Dockerfile", "deploy/pod.yaml");
        JsonNode docker = doc.path("files").get(0);
        assertThat(docker.path("verdict").asText()).isEqualTo("safe");
        assertThat(docker.path("format").asText()).isEqualTo("dockerfile");
        JsonNode pod = doc.path("files").get(1);
        assertThat(pod.path("verdict").asText()).isEqualTo("malicious");
        JsonNode metadata = null;
        for (JsonNode x : pod.path("findings")) {
            if (x.path("rule").asText().equals("LAO905")) {
                metadata = x;
            }
        }
        assertThat(metadata).isNotNull();
        assertThat(metadata.at("/location/within/line").asInt()).isEqualTo(11);
        assertThat(metadata.at("/location/within/column").asInt()).isEqualTo(5);
        assertThat(metadata.at("/location/within/kind").asText()).isEqualTo("text");
    }

    @Test
    void scanOfAFolderIncludesTheAudit(@TempDir Path tmp) throws Exception {
        Path tree = chainTree(tmp.resolve("repo"));
        CliTest.Run r = run("scan", "--format", "json", tree.toString());
        JsonNode doc = JSON.readTree(r.out());
        JsonNode pod = null;
        JsonNode values = null;
        for (JsonNode f : doc.path("files")) {
            if (f.path("path").asText().endsWith("pod.yaml")) {
                pod = f;
            }
            if (f.path("path").asText().endsWith("values.yaml")) {
                values = f;
            }
        }
        assertThat(pod).isNotNull();
        List<String> rules = new ArrayList<>();
        for (JsonNode x : pod.path("findings")) {
            rules.add(x.path("rule").asText());
        }
        assertThat(rules).contains("LAO905", "LAO950").doesNotContain("LAO002");
        assertThat(pod.path("format").asText()).isEqualTo("kubernetes");
        // a YAML file that is no manifest stays what the scan made of it
        assertThat(values.path("findings").get(0).path("rule").asText()).isEqualTo("LAO002");
        // a scan of the model file alone is unchanged
        CliTest.Run single = run("scan", "--format", "json", tree.resolve("models/x.bin").toString());
        assertThat(JSON.readTree(single.out()).at("/files/0/verdict").asText()).isEqualTo("malicious");
    }

    @Test
    void failOnAndBaseline(@TempDir Path tmp) throws Exception {
        Path tree = tmp.resolve("repo");
        Files.createDirectories(tree);
        Files.writeString(tree.resolve("Dockerfile"), "FROM python:3.11\nUSER 1000\n"); // a notice only (LAO925)
        assertThat(run("audit", tree.toString()).code()).isEqualTo(0);
        assertThat(run("audit", "--fail-on", "notice", tree.toString()).code()).isEqualTo(1);

        Files.writeString(tree.resolve("Dockerfile"), "FROM python:3.11\nARG HF_TOKEN\nUSER 1000\n");
        assertThat(run("audit", tree.toString()).code()).isEqualTo(1);
        Path baseline = tmp.resolve("baseline.json");
        CliTest.Run w = run("audit", "--write-baseline", baseline.toString(), tree.toString());
        assertThat(w.err()).contains("wrote 2 findings");
        // justifications are required before use
        String b = Files.readString(baseline).replace("\"justification\" : \"\"", "\"justification\" : \"reviewed\"");
        Files.writeString(baseline, b);
        CliTest.Run accepted = run("audit", "--baseline", baseline.toString(), tree.toString());
        assertThat(accepted.code()).as(accepted.err() + accepted.out()).isEqualTo(0);
        // a changed file no longer matches its baseline
        Files.writeString(tree.resolve("Dockerfile"), "FROM python:3.11\nARG HF_TOKEN\nUSER 1001\n");
        assertThat(run("audit", "--baseline", baseline.toString(), tree.toString()).code()).isEqualTo(1);
    }

    @Test
    void usageErrors(@TempDir Path tmp) {
        assertThat(run("audit").code()).isEqualTo(2);
        CliTest.Run missing = run("audit", tmp.resolve("nope").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("no such file or directory");
        assertThat(run("audit", "-").err()).contains("not standard input");
        assertThat(run("help", "audit").out()).contains("Usage: laocoon audit");
    }

    /** Without the audit jar on the class path, laocoon audit says how to build it (the built CLI jar, run as a process). */
    @Test
    void missingModuleMessage(@TempDir Path tmp) throws Exception {
        Path jar = Path.of("../cli/target/laocoon.jar");
        Assumptions.assumeTrue(Files.isRegularFile(jar), "cli/target/laocoon.jar not built; skipped");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                jar.toString(), "dev.laocoon.cli.Main", "audit", tmp.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(out).contains("the audit module is not on the class path").contains("laocoon-audit.jar");
    }
}
