#!/usr/bin/env bash
# Throughput of `laocoon convert` against a plain file copy of the same checkpoint.
#
#   scripts/bench-convert.sh [SIZE_MB] [RUNS]      (defaults: 1024 MB, 5 runs)
#
# 1. Generates (once, cached in $LAOCOON_BENCH_DIR, default /tmp/laocoon-bench) a PyTorch-layout
#    zip checkpoint of SIZE_MB of float32 tensors with scripts/make-checkpoint.py (stdlib only).
# 2. Measures `cp` of the checkpoint and `laocoon convert` of it (JVM start-up included) with
#    hyperfine when installed (else a date loop), both reading from the page cache and writing
#    to the same directory, and prints the ratio convert/cp.
# 3. Reports the peak RSS of one conversion (/usr/bin/time -v) with the heap capped at 64 MB
#    (LAOCOON_JAVA_OPTS=-Xmx64m): memory does not grow with the checkpoint.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
size="${1:-1024}"
runs="${2:-5}"
dir="${LAOCOON_BENCH_DIR:-/tmp/laocoon-bench}"
mkdir -p "$dir"
in="$dir/checkpoint-${size}mb.pt"
if [ ! -f "$in" ]; then
  echo "generating $in ..."
  python3 "$here/scripts/make-checkpoint.py" "$in" "$size"
fi
"$here/laocoon" --version >/dev/null
out="$dir/out.safetensors"
copy="$dir/copy.pt"
cat "$in" > /dev/null
export LAOCOON_JAVA_OPTS="${LAOCOON_JAVA_OPTS:--Xmx64m}"
if command -v hyperfine >/dev/null; then
  hyperfine --runs "$runs" --warmup 1 --export-json "$dir/bench-convert.json" \
    --prepare "rm -f '$copy' '$out'; sync" \
    -n cp "cp '$in' '$copy'" \
    -n convert "'$here/laocoon' convert '$in' -o '$out'"
  python3 - "$dir/bench-convert.json" "$size" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
cp, cv = r["cp"]["mean"], r["convert"]["mean"]
mb = int(sys.argv[2])
print(f"cp {cp:.3f} s ({mb / cp:.0f} MB/s), convert {cv:.3f} s ({mb / cv:.0f} MB/s), ratio convert/cp = {cv / cp:.2f}")
PY
else
  for cmd in cp convert; do
    total=0
    for _ in $(seq "$runs"); do
      rm -f "$copy" "$out"; sync
      t0=$(date +%s%N)
      if [ "$cmd" = cp ]; then cp "$in" "$copy"; else "$here/laocoon" convert "$in" -o "$out" >/dev/null; fi
      total=$((total + $(date +%s%N) - t0))
    done
    echo "$cmd mean $((total / runs / 1000000)) ms"
  done
fi
rm -f "$out"
/usr/bin/time -v "$here/laocoon" convert "$in" -o "$out" 2>&1 >/dev/null | grep -E "Maximum resident|Elapsed" || true
rm -f "$out" "$copy"
