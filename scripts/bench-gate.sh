#!/usr/bin/env bash
# Deploy-gate benchmark: 'laocoon gate SRC DEST' against 'cp -r SRC DEST' on the same local model,
# and the gate's start-up on a one-file model.
#
#   scripts/bench-gate.sh [--runs N] [--sizes "1 10"]
#
# Models (GB, 8 files each of pseudo-random bytes as zip checkpoints, scripts/make-checkpoint.py) are
# made once in $LAOCOON_BENCH_DIR (default /tmp/laocoon-bench-gate); DEST is a fresh folder on the same
# file system for every run and is removed afterwards. Page cache warm for both (the first run of each
# is a warm-up and not counted). The signed case verifies an OpenSSF Model Signing bundle made once
# with a throw-away openssl key. Prints the median wall time of each and the ratios to cp.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=3
sizes="1"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "bench-gate: unknown argument $1" >&2; exit 2 ;;
  esac
done
dir="${LAOCOON_BENCH_DIR:-/tmp/laocoon-bench-gate}"
mkdir -p "$dir"
"$here/laocoon" --version >/dev/null
for gb in $sizes; do
  m="$dir/model-${gb}gb"
  if [ ! -s "$m/part-7.pt" ]; then
    mkdir -p "$m"
    for i in $(seq 0 7); do python3 "$here/scripts/make-checkpoint.py" "$m/part-$i.pt" $((gb * 128)) 16 >/dev/null; done
  fi
done
one="$dir/one"; mkdir -p "$one"; [ -s "$one/config.json" ] || echo '{}' > "$one/config.json"
# a key and a signature beside the models (outside them): the signed case verifies every byte
key="$dir/bench-key.pem"
[ -s "$key" ] || openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$key"
[ -s "$dir/bench-key.pub" ] || openssl ec -in "$key" -pubout -out "$dir/bench-key.pub" 2>/dev/null
for gb in $sizes; do
  sig="$dir/model-${gb}gb.sig"
  [ -s "$sig" ] || "$here/laocoon" sign "$dir/model-${gb}gb" --output "$sig" --private-key "$key" >/dev/null
done
echo "CPUs: $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg); $runs runs after a warm-up"
python3 - "$runs" "$here/laocoon" "$dir" "$sizes" <<'PY'
import shutil, statistics, subprocess, sys, time
runs, laocoon, d, sizes = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4].split()
def timed(cmd):
    dest = d + "/dest"
    shutil.rmtree(dest, ignore_errors=True)
    t = time.perf_counter()
    p = subprocess.run(cmd + [dest], capture_output=True, text=True)
    w = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit("failed: %s: %s" % (cmd, p.stderr))
    shutil.rmtree(dest, ignore_errors=True)
    return w
for gb in sizes:
    src = "%s/model-%sgb" % (d, gb)
    signed = [laocoon, "gate", "--public-key", d + "/bench-key.pub", "--signature", "%s/model-%sgb.sig" % (d, gb), src]
    res = {"cp -r": [], "laocoon gate": [], "signed": []}
    for i in range(runs + 1):
        for name, cmd in (("cp -r", ["cp", "-r", src]), ("laocoon gate", [laocoon, "gate", src]), ("signed", signed)):
            w = timed(cmd)
            if i > 0:
                res[name].append(w)
    cp, gate, sg = (statistics.median(res[k]) for k in ("cp -r", "laocoon gate", "signed"))
    print("%s GB, 8 files: cp -r %.2f s, laocoon gate %.2f s (%.2fx), signed %.2f s (%.2fx)" % (
        gb, cp, gate, gate / cp, sg, sg / cp))
starts = [timed([laocoon, "gate", d + "/one"]) for _ in range(runs + 1)][1:]
print("start-up (gate of one small file): %.2f s median" % statistics.median(starts))
PY
