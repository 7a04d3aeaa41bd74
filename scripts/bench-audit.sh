#!/usr/bin/env bash
# laocoon audit benchmark (README: laocoon audit, Performance):
#   1. generates a tree of 10,000 Kubernetes manifests, GitHub workflows and Dockerfiles in /tmp
#      and measures files per second of `laocoon audit` against Debian's yamllint on the same tree
#      (yamllint reads the YAML files only; it is a sense of scale, not the same work);
#   2. generates a model repository with no pipeline files and times `laocoon scan` of it with the
#      audit module on the class path and without it (interleaved rounds).
#
#   scripts/bench-audit.sh [--runs N] [--files N] [--models-only]
#
# Part 2 runs the command line as the launcher does (C1, serial GC, a class-data archive recorded
# for each class path), without the launcher's build check.
#
# Needs python3 (to generate the trees and time the runs) and, for the comparison, yamllint
# (apt-get install -y yamllint; skipped with a line when absent). Nothing generated is ever run;
# nothing connects anywhere. Prints figures only; it asserts nothing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=5
files=10000
models_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --files) files="$2"; shift 2 ;;
    --models-only) models_only=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "bench-audit: unknown argument $1" >&2; exit 2 ;;
  esac
done
"$here/laocoon" --version >/dev/null # builds the jars and the class-data archive when stale
jar="$here/cli/target/laocoon.jar"
audit_jar="$here/audit/target/laocoon-audit.jar"
[ -f "$audit_jar" ] || { echo "bench-audit: $audit_jar missing (./mvnw -B -DskipTests package)" >&2; exit 2; }
work="$(mktemp -d /tmp/laocoon-bench-audit.XXXXXX)"
trap 'rm -rf "$work"' EXIT
echo "CPUs: $(nproc); load $(cut -d' ' -f1-3 /proc/loadavg); $(java -version 2>&1 | head -1)"
python3 - "$work" "$files" <<'PY'
import os, sys, random
work, n = sys.argv[1], int(sys.argv[2])
random.seed(7)
tree = os.path.join(work, "pipelines")
deploy = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: llm-{i}
  namespace: team-{ns}
  labels: {{app: llm-{i}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: llm-{i}}}
  template:
    metadata:
      labels: {{app: llm-{i}}}
    spec:
      automountServiceAccountToken: {auto}
      hostNetwork: {host}
      containers:
        - name: server
          image: vllm/vllm-openai:v0.6.{i}
          args: ["--model", "org/model-{i}", "--max-model-len", "4096"{trc}]
          resources:
            limits: {{nvidia.com/gpu: 1}}
          volumeMounts:
            - {{name: cache, mountPath: /root/.cache}}
      volumes:
        - {{name: cache, emptyDir: {{}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: llm-{i}
  namespace: team-{ns}
spec:
  podSelector:
    matchLabels: {{app: llm-{i}}}
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock:
            cidr: 0.0.0.0/0
            except: [{exc}]
"""
isvc = """apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: isvc-{i}
  namespace: team-{ns}
spec:
  predictor:
    model:
      modelFormat: {{name: huggingface}}
      storageUri: hf://org/model-{i}{pin}
      args: ["--model_name=m{i}"]
"""
workflow = """name: sync {i}
on:
  push:
    branches: [main]
  pull_request_target:
permissions:
  contents: read
jobs:
  sync:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: {ref}
          lfs: true
      - uses: example/action-{i}@v1
      - name: push
        env:
          HF_TOKEN: ${{{{ secrets.HF_TOKEN }}}}
        run: |
          echo "building ${{{{ github.event.pull_request.title }}}}"
          git push https://u:$HF_TOKEN@huggingface.co/spaces/u/s{i} main
"""
dockerfile = """# syntax=docker/dockerfile:1.7
FROM python:3.11-slim{digest}
RUN useradd -m -u 1000 user
ARG MODEL_ID=org/model-{i}
RUN apt-get update && \\
    apt-get install -y --no-install-recommends git curl && \\
    rm -rf /var/lib/apt/lists/*
RUN <<EOF
set -e
pip install --no-cache-dir torch transformers
{pipe}
EOF
COPY --chown=user . /app
USER user
CMD ["python", "/app/serve.py", "--port", "7860"]
"""
counts = {"yaml": 0, "workflow": 0, "dockerfile": 0}
for i in range(n):
    d = os.path.join(tree, "group-%03d" % (i // 100))
    kind = i % 10
    if kind < 6:
        path = os.path.join(d, "k8s", "app-%05d.yaml" % i)
        text = (deploy if kind < 4 else isvc).format(i=i, ns=i % 17, auto=random.choice(["true", "false", "yes"]),
                host=random.choice(["false", "no", "yes"]), trc=random.choice(["", ", \"--trust-remote-code\""]),
                exc=random.choice(["169.254.169.254/32", "10.0.0.0/8"]), pin=random.choice(["", "@" + "ab" * 20]))
        counts["yaml"] += 1
    elif kind < 8:
        path = os.path.join(d, "repo-%05d" % i, ".github", "workflows", "sync.yml")
        text = workflow.format(i=i, ref=random.choice(["main", "${{ github.event.pull_request.head.sha }}"]))
        counts["workflow"] += 1
    else:
        path = os.path.join(d, "space-%05d" % i, "Dockerfile")
        text = dockerfile.format(i=i, digest=random.choice(["", "@sha256:" + "cd" * 32]),
                pipe=random.choice(["echo ok", "curl -fsSL https://install.example.com/i.sh | sh"]))
        counts["dockerfile"] += 1
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
# a model repository with no pipeline files: pickles, configs, tokenizers, YAML that is no manifest
models = os.path.join(work, "models")
data = b"\x80\x04\x95\t\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01aK\x01s."
for i in range(1000):
    d = os.path.join(models, "model-%03d" % (i // 10))
    os.makedirs(d, exist_ok=True)
    k = i % 5
    if k == 0:
        open(os.path.join(d, "weights-%d.pkl" % i), "wb").write(data)
    elif k == 1:
        open(os.path.join(d, "config-%d.json" % i), "w").write('{"model_type": "bert", "hidden_size": %d}' % (64 + i))
    elif k == 2:
        open(os.path.join(d, "train-%d.yaml" % i), "w").write("learning_rate: 0.001\nepochs: %d\nkind_of_run: sweep\n" % i)
    elif k == 3:
        open(os.path.join(d, "README-%d.md" % i), "w").write("# model %d\n" % i)
    else:
        open(os.path.join(d, "vocab-%d.txt" % i), "w").write("\n".join("tok%d" % t for t in range(200)))
print("generated %d pipeline files (%d manifests, %d workflows, %d Dockerfiles) and a model repository of 1000 files"
      % (n, counts["yaml"], counts["workflow"], counts["dockerfile"]))
PY
python3 - "$runs" "$work" "$here/laocoon" "$jar" "$audit_jar" "$models_only" <<'PY'
import os, shutil, statistics, subprocess, sys, time
runs, work, launcher, jar, audit_jar = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
models_only = sys.argv[6] == "1"
tree, models = os.path.join(work, "pipelines"), os.path.join(work, "models")
n = sum(len(f) for _, _, f in os.walk(tree))
nyaml = sum(1 for r, _, fs in os.walk(tree) for f in fs if f.endswith((".yml", ".yaml")))
import resource
cpu = {}
def timed(argv):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in (0, 1):
        sys.exit("bench-audit: %s failed (%d): %s" % (argv[0], p.returncode, p.stderr.decode()[-500:]))
    cpu.setdefault(id(argv), []).append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    return dt
def summary(ts):
    ts = sorted(ts)
    return "median %.3f s, min %.3f s, max %.3f s" % (statistics.median(ts), ts[0], ts[-1])
cmds = [("laocoon audit", [launcher, "audit", "--format", "json", tree], n)]
if shutil.which("yamllint"):
    cmds.append(("yamllint (relaxed)", ["yamllint", "-d", "relaxed", "-f", "parsable", tree], nyaml))
else:
    print("yamllint not installed (apt-get install -y yamllint): comparison skipped")
times = {c[0]: [] for c in cmds}
for r in range(0 if models_only else runs):
    for name, argv, _ in cmds:
        times[name].append(timed(argv))
if not models_only:
    print("\n1. auditing %d files (%d YAML) in %d rounds" % (n, nyaml, runs))
for name, argv, count in ([] if models_only else cmds):
    m = statistics.median(times[name])
    print("  %-22s %s; %d files read, %.0f files/s" % (name, summary(times[name]), count, count / m))
java = [os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java",
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
def archive(cp, name):
    jsa = os.path.join(work, name)
    subprocess.run(java + ["-XX:ArchiveClassesAtExit=" + jsa, "-cp", cp, "dev.laocoon.cli.Main", "selftest"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return ["-XX:SharedArchiveFile=" + jsa, "-Xshare:auto"] if os.path.exists(jsa) else []
cp_on, cp_off = jar + ":" + audit_jar, jar
on = java + archive(cp_on, "on.jsa") + ["-cp", cp_on, "dev.laocoon.cli.Main", "scan", "--format", "json", models]
off = java + archive(cp_off, "off.jsa") + ["-cp", cp_off, "dev.laocoon.cli.Main", "scan", "--format", "json", models]
ton, toff = [], []
for r in range(max(runs, 10)):
    toff.append(timed(off))
    ton.append(timed(on))
print("\n2. laocoon scan of a model repository with no pipeline files (1000 files), %d interleaved rounds" % len(ton))
print("  audits off (no audit jar)   %s; CPU median %.3f s" % (summary(toff), statistics.median(cpu[id(off)])))
print("  audits on  (audit jar)      %s; CPU median %.3f s" % (summary(ton), statistics.median(cpu[id(on)])))
print("  difference of medians       %+.3f s (%+.1f%%), of minimums %+.3f s; of CPU medians %+.3f s"
      % (statistics.median(ton) - statistics.median(toff), 100 * (statistics.median(ton) / statistics.median(toff) - 1),
         min(ton) - min(toff), statistics.median(cpu[id(on)]) - statistics.median(cpu[id(off)])))
PY
