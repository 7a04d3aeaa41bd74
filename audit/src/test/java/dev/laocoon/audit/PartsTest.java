package dev.laocoon.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.finding.RuleCatalog;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The audit's parts on their own: address blocks, the shell tokenizer, the Dockerfile lexer, YAML rules, rule pages. */
class PartsTest {

    @Test
    void cidrsAreDecidedOnAddresses() {
        assertThat(Cidr.parse("0.0.0.0/0").covers(Cidr.METADATA_V4)).isTrue();
        assertThat(Cidr.parse("169.254.0.0/16").covers(Cidr.METADATA_V4)).isTrue();
        assertThat(Cidr.parse("169.254.169.254/32").covers(Cidr.METADATA_V4)).isTrue();
        assertThat(Cidr.parse("169.254.169.255/32").covers(Cidr.METADATA_V4)).isFalse();
        assertThat(Cidr.parse("10.0.0.0/8").covers(Cidr.METADATA_V4)).isFalse();
        assertThat(Cidr.parse("::/0").covers(Cidr.METADATA_V6)).isTrue();
        assertThat(Cidr.parse("fd00::/8").covers(Cidr.METADATA_V6)).isTrue();
        assertThat(Cidr.parse("::/0").covers(Cidr.METADATA_V4)).isFalse(); // another family
        assertThat(Cidr.parse("169.254.169.254/33")).isNull();
        assertThat(Cidr.parse("metadata.internal/32")).isNull(); // never looked up
        assertThat(Cidr.parse("2852039166/32")).isNull(); // only dotted quads are CIDRs
    }

    private static List<String> programs(String script) {
        List<String> out = new ArrayList<>();
        for (Shell.Pipeline p : Shell.all(script)) {
            StringBuilder b = new StringBuilder();
            for (Shell.Command c : p.commands()) {
                b.append(b.length() == 0 ? "" : "|").append(c.name());
            }
            out.add(b.toString());
        }
        return out;
    }

    @Test
    void shellTokenizer() {
        assertThat(programs("sudo -u app env A=1 curl -s 'https://x | y' | bash -s && echo ok; ls")).containsExactly(
                "curl|bash", "echo", "ls");
        assertThat(programs("echo \"$(wget -qO- https://x)\" > /tmp/o 2>&1")).containsExactly("echo", "wget");
        assertThat(programs("cat <<EOF > x.sh\ncurl x | sh\nEOF\npython x.py")).containsExactly("cat", "python");
        assertThat(programs("# curl x | sh\necho \"curl x | sh\"")).containsExactly("echo");
        assertThat(ShellChecks.pipeToShell(Shell.all("curl -fsSL https://x/i.sh | sudo bash"))).hasSize(1);
        assertThat(ShellChecks.pipeToShell(Shell.all("bash <(curl -fsSL https://x/i.sh)"))).hasSize(1);
        assertThat(ShellChecks.pipeToShell(Shell.all("eval \"$(curl -fsSL https://x/env)\""))).hasSize(1);
        assertThat(ShellChecks.pipeToShell(Shell.all("curl -o x.sh https://x && sha256sum -c x.sha && sh x.sh"))).isEmpty();
        assertThat(ShellChecks.pipeToShell(Shell.all("curl https://x | tar -xz"))).isEmpty();
        assertThat(ShellChecks.reachesInfra(Shell.all("docker build -t a . && docker push a"))).hasSize(1);
        assertThat(ShellChecks.reachesInfra(Shell.all("docker build -t a ."))).isEmpty();
    }

    @Test
    void dockerfileLexer() {
        Dockerfile.Parsed p = Dockerfile.parse("# escape=`\n# syntax=docker/dockerfile:1\nFROM a AS b\n"
                + "RUN --mount=type=secret,id=t echo 1 `\n  # a comment inside\n  && echo 2\n"
                + "COPY <<-EOF /x\n\tbody\n\tEOF\nCMD [\"a\", \"b c\"]\n");
        assertThat(p.escape()).isEqualTo('`');
        assertThat(p.syntax()).isEqualTo("docker/dockerfile:1");
        List<Dockerfile.Instruction> in = p.instructions();
        assertThat(in).extracting(Dockerfile.Instruction::keyword).containsExactly("FROM", "RUN", "COPY", "CMD");
        Dockerfile.Instruction run = in.get(1);
        assertThat(run.flags()).containsExactly("--mount=type=secret,id=t");
        assertThat(run.args().text()).isEqualTo("echo 1   && echo 2");
        int second = run.args().text().indexOf("echo 2");
        assertThat(run.args().line(second)).isEqualTo(6);
        assertThat(run.args().col(second)).isEqualTo(6);
        assertThat(in.get(2).heredocs()).hasSize(1);
        assertThat(in.get(2).heredocs().get(0).body().text()).isEqualTo("body\n");
        assertThat(in.get(3).exec()).containsExactly("a", "b c");
        assertThat(Dockerfile.jsonArray("[\"a\", b]")).isNull(); // shell form then
    }

    @Test
    void yamlRulesOfEachConsumer() {
        Yaml.Y k8s = Yaml.documents("a: yes\nb: \"yes\"\nc: On\nd: y\n", Yaml.Rules.KUBERNETES).get(0);
        assertThat(k8s.get("a").bool()).isTrue();
        assertThat(k8s.get("b").bool()).isNull();
        assertThat(k8s.get("b").quotedBoolean()).isTrue();
        assertThat(k8s.get("c").bool()).isTrue();
        assertThat(k8s.get("d").bool()).isTrue();
        Yaml.Y wf = Yaml.documents("on: push\nx: yes\n", Yaml.Rules.YAML_1_2).get(0);
        assertThat(wf.keys()).containsExactly("on", "x"); // the key on stays a string
        assertThat(wf.get("x").bool()).isNull(); // yes is a string in YAML 1.2
        assertThat(WorkflowAudit.triggers(wf.get("on"))).containsExactly("push");
    }

    @Test
    void everyRuleHasItsPage() {
        for (AuditRule r : AuditRule.values()) {
            String page = RuleCatalog.page(r);
            assertThat(page).as(r.id()).startsWith("# " + r.id() + " " + r.slug() + "\n").contains("## Example");
        }
        // and the ids do not collide with core's
        assertThat(RuleCatalog.builtIn().with(List.of(AuditRule.values())).rules()).hasSizeGreaterThan(AuditRule.values().length);
    }
}
