package dev.laocoon.audit;

import dev.laocoon.core.finding.Severity;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The rules for CI workflows that build or publish models: GitHub Actions and GitLab CI (LAO921, LAO931-LAO937). */
final class WorkflowAudit {
    private WorkflowAudit() {
    }

    static final Pattern EXPRESSION = Pattern.compile("\\$\\{\\{(.*?)\\}\\}", Pattern.DOTALL);
    static final Pattern EVENT_FIELD = Pattern.compile("github\\.event\\.[A-Za-z0-9_.*\\[\\]'\"-]+|github\\.head_ref");
    static final Pattern SAFE_FIELD = Pattern.compile(
            ".*(\\.number|\\.id|\\.sha|_sha|\\.action|\\.merged|\\.draft|_at|_count|\\.size"
            + "|\\.repository\\.(name|full_name|id|owner\\.login|default_branch))$");
    /** References to the untrusted head of a pull request. */
    static final List<String> UNTRUSTED_REFS = List.of("github.event.pull_request.head.sha", "github.event.pull_request.head.ref",
            "github.head_ref", "github.event.workflow_run.head_sha", "github.event.workflow_run.head_branch",
            "github.event.pull_request.merge_commit_sha", "refs/pull/", "github.event.workflow_run.head_commit.id",
            "github.event.pull_request.head.repo.full_name", "github.event.workflow_run.head_repository.full_name");
    static final Pattern SHA = Pattern.compile("[0-9a-f]{40}");
    static final Pattern SECRET_VAR = Pattern.compile("(?i).*(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY).*");

    /** One workflow job and what the chain link needs of it. */
    interface Chain {
        void link(Sink sink, Yaml.Y scope, Yaml.Y at, String subject, String reach);
    }

    // ------------------------------------------------------------------ GitHub Actions

    static void github(Yaml.Y doc, String[] lines, Sink sink, Chain chain) {
        Set<String> on = triggers(doc.get("on"));
        Yaml.Y onKey = doc.keyOf("on");
        boolean privileged = on.contains("pull_request_target") || on.contains("workflow_run");
        boolean checkoutRisk = privileged || on.contains("issue_comment");
        boolean prTrigger = on.contains("pull_request") || on.contains("pull_request_target") || on.contains("issue_comment")
                || on.contains("pull_request_review") || on.contains("pull_request_review_comment");
        boolean anyPermissions = doc.get("permissions") != null;
        writeAll(doc, sink);
        Set<String> secretEnv = new LinkedHashSet<>(List.of("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_TOKEN"));
        int defaults = secretEnv.size();
        secretEnv(doc.get("env"), secretEnv);
        Yaml.Y jobs = doc.get("jobs");
        if (jobs != null) {
            for (String name : jobs.keys()) {
                Yaml.Y job = jobs.get(name);
                if (job == null || !job.isMap()) {
                    continue;
                }
                anyPermissions |= job.get("permissions") != null;
                writeAll(job, sink);
                if (job.get("uses") != null && job.get("uses").isScalar()) {
                    unpinned(job.get("uses"), sink); // a reusable workflow of another repository
                }
                Set<String> jobSecrets = new LinkedHashSet<>(secretEnv);
                secretEnv(job.get("env"), jobSecrets);
                if (prTrigger) {
                    Yaml.Y ro = job.get("runs-on");
                    Yaml.Y hit = selfHosted(ro);
                    if (hit != null) {
                        sink.add(AuditRule.SELF_HOSTED_UNTRUSTED, "job " + name + " runs on a self-hosted runner on a"
                                + " pull-request trigger (" + String.join(", ", on) + "): code from a pull request runs on"
                                + " your machine and can persist there", hit, "runs-on: self-hosted");
                    }
                }
                boolean untrusted = false;
                boolean secretReported = false;
                Yaml.Y steps = job.get("steps");
                for (Yaml.Y step : steps == null ? List.<Yaml.Y>of() : steps.items()) {
                    Set<String> stepSecrets = new LinkedHashSet<>(jobSecrets);
                    secretEnv(step.get("env"), stepSecrets);
                    String uses = step.str("uses");
                    if (uses != null) {
                        unpinned(step.get("uses"), sink);
                        String action = uses.toLowerCase(Locale.ROOT);
                        if (action.startsWith("actions/checkout@") && checkoutRisk) {
                            Yaml.Y with = step.get("with");
                            for (String k : List.of("ref", "repository")) {
                                Yaml.Y v = with == null ? null : with.get(k);
                                String ref = v == null ? null : untrustedRef(v.str());
                                if (ref != null) {
                                    sink.add(AuditRule.UNTRUSTED_CHECKOUT, "job " + name + " of a " + String.join("/", on)
                                            + " workflow checks out the pull request's head (" + ref + "): its code runs with"
                                            + " the base repository's secrets and token", v, k + ": " + v.str());
                                    untrusted = true;
                                    break;
                                }
                            }
                        }
                        if (on.contains("workflow_run") && (action.startsWith("actions/download-artifact@")
                                || action.startsWith("dawidd6/action-download-artifact@"))) {
                            sink.add(AuditRule.ARTIFACT_POISONING, "job " + name + " of a workflow_run workflow downloads"
                                    + " artifacts of the triggering run, which a pull request's code may have written", step.get("uses"), uses);
                        }
                        if (on.contains("pull_request_target") && (action.startsWith("actions/cache@")
                                || action.startsWith("actions/setup-") && step.get("with") != null && step.get("with").get("cache") != null)) {
                            sink.add(AuditRule.ARTIFACT_POISONING, "job " + name + " of a pull_request_target workflow uses a"
                                    + " cache, shared with the base branch's privileged runs: a pull request can poison it",
                                    step.get("uses"), uses);
                        }
                        Yaml.Y with = step.get("with");
                        if (action.startsWith("actions/github-script@") && with != null && with.get("script") != null) {
                            injection(with.get("script"), lines, sink, name);
                        }
                    }
                    Yaml.Y run = step.get("run");
                    if (run != null && run.isScalar()) {
                        injection(run, lines, sink, name);
                        Src src = Yaml.src(run, lines);
                        List<Shell.Pipeline> ps = Shell.all(src.text());
                        if (Shell.tooDeep(src.text())) {
                            sink.add(AuditRule.UNREADABLE, "the script of job " + name + " nests substitutions too deep;"
                                    + " it was not fully audited", run, "");
                        }
                        for (ShellChecks.Hit hit : ShellChecks.pipeToShell(ps)) {
                            sink.add(AuditRule.PIPE_TO_SHELL, "job " + name + " pipes a download into a shell (" + hit.what()
                                    + ")", "jobs." + name + ".run", src.line(hit.word().start()), src.col(hit.word().start()), hit.what());
                        }
                        printed(ps, src, stepSecrets, stepSecrets.size() > defaults, sink, "jobs." + name + ".run");
                        if (checkoutRisk && !untrusted) {
                            String ref = untrustedRef(run.str());
                            if (ref != null && (run.str().contains("git checkout") || run.str().contains("gh pr checkout")
                                    || run.str().contains("git fetch") || run.str().contains("git switch"))) {
                                int at = src.text().indexOf(ref);
                                sink.add(AuditRule.UNTRUSTED_CHECKOUT, "job " + name + " of a " + String.join("/", on)
                                        + " workflow fetches the pull request's head (" + ref + ") in a script", "jobs." + name + ".run",
                                        src.line(at), src.col(at), ref);
                                untrusted = true;
                                continue;
                            }
                        }
                    }
                    if (untrusted && !secretReported) {
                        Yaml.Y s = untrustedSecretsIn(step);
                        if (s != null) {
                            sink.add(AuditRule.SECRET_EXPOSURE, "job " + name + " hands a secret to a step that runs after"
                                    + " checking out untrusted pull-request code", s, s.str());
                            secretReported = true;
                        }
                    }
                }
                if (untrusted && !secretReported) {
                    Yaml.Y s = untrustedSecretsIn(job.get("env"));
                    if (s != null) {
                        sink.add(AuditRule.SECRET_EXPOSURE, "job " + name + " puts a secret in the environment of a job that"
                                + " runs untrusted pull-request code", s, s.str());
                    }
                }
                if (chain != null) {
                    chain.link(sink, job, jobs.keyOf(name), "workflow job " + name, null);
                }
            }
        }
        if (privileged && !anyPermissions && onKey != null) {
            sink.add(AuditRule.BROAD_PERMISSIONS, Severity.NOTICE, "a " + String.join("/", on) + " workflow sets no"
                    + " permissions: its token has the repository's default ones, possibly write", onKey, "permissions: default");
        }
    }

    static Set<String> triggers(Yaml.Y on) {
        Set<String> out = new LinkedHashSet<>();
        if (on == null) {
            return out;
        }
        if (on.isScalar()) {
            out.add(on.str());
        } else if (on.isSeq()) {
            for (Yaml.Y t : on.items()) {
                if (t.str() != null) {
                    out.add(t.str());
                }
            }
        } else {
            out.addAll(on.keys());
        }
        return out;
    }

    private static void writeAll(Yaml.Y scope, Sink sink) {
        Yaml.Y p = scope.get("permissions");
        if (p != null && "write-all".equals(p.str())) {
            sink.add(AuditRule.BROAD_PERMISSIONS, "permissions: write-all gives the token every write permission: a step"
                    + " that is compromised can push code, releases and packages", scope.keyOf("permissions"), "write-all");
        }
    }

    private static Yaml.Y selfHosted(Yaml.Y ro) {
        if (ro == null) {
            return null;
        }
        if (ro.isScalar()) {
            return ro.str().contains("self-hosted") ? ro : null;
        }
        for (Yaml.Y i : ro.items()) {
            if (i.str() != null && i.str().contains("self-hosted")) {
                return i;
            }
        }
        Yaml.Y labels = ro.get("labels");
        return labels == null ? null : selfHosted(labels);
    }

    private static void secretEnv(Yaml.Y env, Set<String> names) {
        if (env == null) {
            return;
        }
        for (String k : env.keys()) {
            String v = env.str(k);
            if (v != null && v.contains("secrets.")) {
                names.add(k);
            }
        }
    }

    /** The first scalar under a node that expands a secret ({@code ${{ secrets.X }}}, but not the default GITHUB_TOKEN). */
    private static Yaml.Y untrustedSecretsIn(Yaml.Y n) {
        return untrustedSecretsIn(n, 0);
    }

    private static Yaml.Y untrustedSecretsIn(Yaml.Y n, int depth) {
        if (n == null || depth > 64) {
            return null;
        }
        if (n.isScalar()) {
            String v = n.str();
            Matcher m = EXPRESSION.matcher(v);
            while (m.find()) {
                if (m.group(1).contains("secrets.") && !m.group(1).contains("secrets.GITHUB_TOKEN")) {
                    return n;
                }
            }
            return null;
        }
        List<Yaml.Y> kids = new ArrayList<>(n.items());
        for (String k : n.keys()) {
            Yaml.Y c = n.get(k);
            if (c != null) {
                kids.add(c);
            }
        }
        for (Yaml.Y c : kids) {
            Yaml.Y r = untrustedSecretsIn(c, depth + 1);
            if (r != null) {
                return r;
            }
        }
        return null;
    }

    static String untrustedRef(String v) {
        if (v == null) {
            return null;
        }
        for (String r : UNTRUSTED_REFS) {
            if (v.contains(r)) {
                return r;
            }
        }
        return null;
    }

    private static void injection(Yaml.Y script, String[] lines, Sink sink, String job) {
        Src src = Yaml.src(script, lines);
        Matcher m = EXPRESSION.matcher(src.text());
        while (m.find()) {
            Matcher f = EVENT_FIELD.matcher(m.group(1));
            while (f.find()) {
                String field = f.group();
                if (SAFE_FIELD.matcher(field).matches()) {
                    continue;
                }
                sink.add(AuditRule.EXPRESSION_INJECTION, "job " + job + " interpolates ${{ " + field + " }} into a script:"
                        + " whoever writes it (a title, a branch name, a comment) writes shell; pass it through env: instead",
                        "jobs." + job + "." + (script.path().endsWith("script") ? "with.script" : "run"),
                        src.line(m.start()), src.col(m.start()), m.group());
                break;
            }
        }
    }

    /** echo/printf of a secret, or printenv/env with secrets in the environment. */
    /** {@code envHasSecrets}: secrets are mapped into the environment, so printing all of it prints them. */
    private static void printed(List<Shell.Pipeline> ps, Src src, Set<String> secrets, boolean envHasSecrets, Sink sink,
                                String path) {
        for (Shell.Pipeline p : ps) {
            for (Shell.Command c : p.commands()) {
                String n = c.name();
                if (!(n.equals("echo") || n.equals("printf") || n.equals("print") || n.equals("printenv")
                        || n.equals("env") && c.args().isEmpty() && envHasSecrets)) {
                    continue;
                }
                if (n.equals("printenv") && c.args().isEmpty()) {
                    if (envHasSecrets) {
                        sink.add(AuditRule.SECRET_EXPOSURE, "printenv prints the whole environment, secrets included, to the"
                                + " job log", path, src.line(c.program().start()), src.col(c.program().start()), "printenv");
                    }
                    continue;
                }
                for (Shell.Word w : n.equals("env") ? c.words() : c.args()) {
                    String t = w.text();
                    String which = null;
                    if (n.equals("env")) {
                        which = "the whole environment";
                    } else if (n.equals("printenv") && secrets.contains(t)) {
                        which = t;
                    } else if (t.contains("secrets.")) {
                        which = "a ${{ secrets.* }} value";
                    } else {
                        for (String s : secrets) {
                            if (t.contains("$" + s) || t.contains("${" + s + "}")) {
                                which = "$" + s;
                                break;
                            }
                        }
                    }
                    if (which != null) {
                        sink.add(AuditRule.SECRET_EXPOSURE, n + " prints " + which + " to the job log", path,
                                src.line(c.program().start()), src.col(c.program().start()), n + " " + t);
                        break;
                    }
                }
            }
        }
    }

    private static void unpinned(Yaml.Y uses, Sink sink) {
        String u = uses.str();
        if (u.startsWith("./") || u.startsWith(".\\")) {
            return;
        }
        if (u.startsWith("docker://")) {
            if (!u.contains("@sha256:")) {
                sink.add(AuditRule.UNPINNED_ACTION, "the container action " + u + " is named by tag, not by digest", uses, u);
            }
            return;
        }
        int at = u.indexOf('@');
        String owner = u.contains("/") ? u.substring(0, u.indexOf('/')).toLowerCase(Locale.ROOT) : "";
        if (owner.equals("actions") || owner.equals("github")) {
            return; // GitHub's own actions
        }
        String ref = at < 0 ? "" : u.substring(at + 1);
        if (!SHA.matcher(ref).matches()) {
            sink.add(AuditRule.UNPINNED_ACTION, "the third-party action " + u + " is named by " + (ref.isEmpty() ? "no ref"
                    : "the tag or branch " + ref) + ", which its owner can move: pin it to a full commit SHA", uses, u);
        }
    }

    // ------------------------------------------------------------------ GitLab CI

    static final Set<String> GITLAB_KEYWORDS = Set.of("stages", "variables", "include", "default", "workflow", "image",
            "services", "before_script", "after_script", "cache", "spec");

    static void gitlab(Yaml.Y doc, String[] lines, Sink sink, Chain chain) {
        Yaml.Y include = doc.get("include");
        if (include != null) {
            List<Yaml.Y> incs = include.isSeq() ? include.items() : List.of(include);
            for (Yaml.Y inc : incs) {
                gitlabInclude(inc, sink);
            }
        }
        Set<String> secrets = new LinkedHashSet<>(List.of("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "CI_JOB_TOKEN",
                "CI_REGISTRY_PASSWORD", "CI_DEPLOY_PASSWORD"));
        Yaml.Y vars = doc.get("variables");
        if (vars != null) {
            for (String k : vars.keys()) {
                if (SECRET_VAR.matcher(k).matches()) {
                    secrets.add(k);
                }
            }
        }
        scripts(doc, "", lines, sink, secrets);
        Yaml.Y def = doc.get("default");
        if (def != null) {
            scripts(def, "default", lines, sink, secrets);
        }
        for (String name : doc.keys()) {
            Yaml.Y job = doc.get(name);
            if (GITLAB_KEYWORDS.contains(name) || job == null || !job.isMap()) {
                continue;
            }
            scripts(job, name, lines, sink, secrets);
            if (chain != null && (job.has("script") || job.has("extends") || job.has("trigger"))) {
                chain.link(sink, job, doc.keyOf(name), "CI job " + name, null);
            }
        }
    }

    private static void gitlabInclude(Yaml.Y inc, Sink sink) {
        if (inc.isScalar()) {
            String s = inc.str();
            if (s.startsWith("http://") || s.startsWith("https://")) {
                sink.add(AuditRule.UNPINNED_ACTION, "include " + s + " is fetched when each pipeline starts, with no"
                        + " integrity: hash", inc, s);
            }
            return;
        }
        if (inc.get("remote") != null && inc.get("integrity") == null) {
            sink.add(AuditRule.UNPINNED_ACTION, "include: remote " + inc.str("remote") + " is fetched when each pipeline"
                    + " starts, with no integrity: hash", inc.get("remote"), inc.str("remote"));
        }
        if (inc.get("project") != null) {
            String ref = inc.str("ref");
            if (ref == null || !SHA.matcher(ref).matches()) {
                sink.add(AuditRule.UNPINNED_ACTION, "include: project " + inc.str("project") + " is taken at "
                        + (ref == null ? "its default branch" : "the ref " + ref) + ", not at a commit SHA", inc.get("project"),
                        inc.str("project") + (ref == null ? "" : "@" + ref));
            }
        }
        if (inc.get("component") != null) {
            String c = inc.str("component");
            String ver = c.contains("@") ? c.substring(c.lastIndexOf('@') + 1) : "";
            if (!SHA.matcher(ver).matches()) {
                sink.add(AuditRule.UNPINNED_ACTION, "include: component " + c + " is taken at a version that can move,"
                        + " not at a commit SHA", inc.get("component"), c);
            }
        }
    }

    private static void scripts(Yaml.Y job, String name, String[] lines, Sink sink, Set<String> secrets) {
        for (String k : List.of("before_script", "script", "after_script")) {
            Yaml.Y s = job.get(k);
            if (s == null) {
                continue;
            }
            List<Yaml.Y> items = s.isScalar() ? List.of(s) : s.items();
            List<Yaml.Y> flat = new ArrayList<>();
            for (Yaml.Y i : items) {
                if (i.isSeq()) {
                    flat.addAll(i.items()); // !reference and nested lists
                } else if (i.isScalar()) {
                    flat.add(i);
                }
            }
            for (Yaml.Y line : flat) {
                Src src = Yaml.src(line, lines);
                List<Shell.Pipeline> ps = Shell.all(src.text());
                if (Shell.tooDeep(src.text())) {
                    sink.add(AuditRule.UNREADABLE, "a script line nests substitutions too deep; it was not fully audited", line, "");
                }
                for (ShellChecks.Hit hit : ShellChecks.pipeToShell(ps)) {
                    sink.add(AuditRule.PIPE_TO_SHELL, (name.isEmpty() ? "the pipeline" : "job " + name)
                            + " pipes a download into a shell (" + hit.what() + ")", line.path(), src.line(hit.word().start()),
                            src.col(hit.word().start()), hit.what());
                }
                printed(ps, src, secrets, false, sink, line.path());
            }
        }
    }
}
