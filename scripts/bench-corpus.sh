#!/usr/bin/env bash
# Directory-scan benchmark: `laocoon scan DIR` on a model tree (default ../shared/corpus), side by
# side with picklescan and, optionally, another build of Laocoon, in interleaved rounds.
#
#   scripts/bench-corpus.sh [--runs N] [DIR]
#
# Environment:
#   PICKLESCAN="python3 -m picklescan"   a command running picklescan (-p DIR is appended)
#   BASELINE=/path/to/other/laocoon       another Laocoon launcher (e.g. a worktree of an older commit)
#   LAOCOON_JAVA_OPTS                      extra JVM options for both Laocoon launchers
# Reports per command: wall time (mean, median, min, p90), CPU user+sys, peak RSS, and how many
# files the output lists. Rounds alternate the commands, so drift in a shared machine's speed
# hits all alike. Nothing from the tree is ever run. Tests never assert on timings; this does not
# either, it only prints.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=10
dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) dir="$1"; shift ;;
  esac
done
dir="${dir:-$here/../shared/corpus}"
[ -d "$dir" ] || { echo "bench-corpus: $dir is not a directory" >&2; exit 2; }
"$here/laocoon" --version >/dev/null   # builds the jar and its class-data archive when stale
if [ -n "${BASELINE:-}" ]; then "$BASELINE" --version >/dev/null; fi
echo "tree: $dir ($(find "$dir" -type f | wc -l) files, $(du -sh "$dir" | cut -f1)); CPUs: $(nproc); load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$runs" "$dir" "$here/laocoon" <<'PY'
import os, shlex, statistics, subprocess, sys, time
runs, tree, laocoon = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cmds = [("laocoon scan (this build)", [laocoon, "scan", "--format", "json", tree])]
if os.environ.get("BASELINE"):
    cmds.append(("laocoon scan (BASELINE)", [os.environ["BASELINE"], "scan", "--format", "json", tree]))
if os.environ.get("PICKLESCAN"):
    cmds.append(("picklescan -p", shlex.split(os.environ["PICKLESCAN"]) + ["-p", tree]))
def run(argv):
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, _, ru = os.wait4(p.pid, 0)
    return (time.perf_counter() - t0) * 1000, (ru.ru_utime + ru.ru_stime) * 1000, ru.ru_maxrss / 1024, out
res = {n: [] for n, _ in cmds}
for _ in range(2):  # warm-up: page cache, class-data archive
    for _, argv in cmds:
        run(argv)
files = {}
for _ in range(runs):
    for n, argv in cmds:
        w, c, rss, out = run(argv)
        res[n].append((w, c, rss))
        files[n] = out.count(b'"path"') if n.startswith("laocoon") else out.decode(errors="replace").count("\n")
for n, _ in cmds:
    w = sorted(r[0] for r in res[n])
    print("  %-28s wall mean %7.1f ms  median %7.1f  min %7.1f  p90 %7.1f | cpu %7.1f ms | peak RSS %6.1f MB" % (
        n, statistics.mean(w), statistics.median(w), w[0], w[min(len(w) - 1, int(len(w) * 0.9))],
        statistics.mean(r[1] for r in res[n]), max(r[2] for r in res[n])))
PY
