#!/usr/bin/env bash
# Before/after benchmark: this build's `laocoon` against another build (BASELINE, e.g. a git
# worktree of an older commit with its own `laocoon` launcher), command by command in interleaved
# rounds, so that drift in a shared machine's speed hits both alike.
#
#   BASELINE=/path/to/old/laocoon scripts/bench-compare.sh [--runs N]
#
# Inputs (generated once with python3's stdlib into $LAOCOON_BENCH_DIR, default /tmp/laocoon-bench):
# the 20 MB / 8 M-opcode pickle of bench-pickle.sh, a one-tensor and a 512 MB / 200-tensor PyTorch
# zip checkpoint (scripts/make-checkpoint.py), and ../shared/corpus when present.
# Prints mean, median and min wall time per command and build, and the after/before ratio.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=20
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "bench-compare: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "${BASELINE:-}" ] || { echo "bench-compare: set BASELINE to another build's laocoon launcher" >&2; exit 2; }
dir="${LAOCOON_BENCH_DIR:-/tmp/laocoon-bench}"
mkdir -p "$dir"
pkl="$dir/items-400k-p4-v1.pkl"
[ -s "$pkl" ] || python3 -c '
import pickle, sys
rows = [{"id": i, "name": "item%d" % i, "score": i * 0.5, "tags": ["a", "b"], "ok": True} for i in range(400000)]
pickle.dump(rows, open(sys.argv[1], "wb"), protocol=4)' "$pkl"
small="$dir/ckpt-small.pt"; [ -s "$small" ] || python3 "$here/scripts/make-checkpoint.py" "$small" 1 1 >/dev/null
big="$dir/ckpt-512mb.pt"; [ -s "$big" ] || python3 "$here/scripts/make-checkpoint.py" "$big" 512 200 >/dev/null
corpus="$here/../shared/corpus"
"$here/laocoon" --version >/dev/null; "$BASELINE" --version >/dev/null
echo "CPUs: $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg); $runs rounds; heap -Xmx256m for the pickle"
python3 - "$runs" "$here/laocoon" "$BASELINE" "$pkl" "$small" "$big" "$corpus" <<'PY'
import os, statistics, subprocess, sys, time
runs, new, old, pkl, small, big, corpus = int(sys.argv[1]), *sys.argv[2:]
tests = [("--version", ["--version"], {}), ("scan 20 MB pickle", ["scan", pkl], {"LAOCOON_JAVA_OPTS": "-Xmx256m"}),
         ("scan 1-tensor checkpoint", ["scan", small], {}), ("scan 512 MB checkpoint", ["scan", big], {})]
if os.path.isdir(corpus):
    tests.append(("scan corpus (118 files)", ["scan", "--format", "json", corpus], {}))
res = {}
def run(argv, extra):
    env = dict(os.environ, **extra)
    t0 = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return (time.perf_counter() - t0) * 1000
for r in range(runs + 1):
    for name, args, extra in tests:
        for build, exe in (("after", new), ("before", old)):
            t = run([exe] + args, extra)
            if r > 0:  # the first round warms the page cache
                res.setdefault((name, build), []).append(t)
for name, _, _ in tests:
    a, b = res[(name, "after")], res[(name, "before")]
    print("  %-26s before mean %6.1f ms (median %6.1f, min %6.1f) | after mean %6.1f ms (median %6.1f, min %6.1f) | after/before %.2f"
          % (name, statistics.mean(b), statistics.median(b), min(b), statistics.mean(a), statistics.median(a), min(a),
             statistics.mean(a) / statistics.mean(b)))
PY
