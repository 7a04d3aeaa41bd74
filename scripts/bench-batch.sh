#!/usr/bin/env bash
# laocoon batch against the CLI on the same files, loopback only: files per second per core (the
# job's scan stage, after Spark has started, against the CLI's whole run on the same cores), Spark's
# start-up, and requests and bytes per file by format for range reads over HTTP.
#
#   scripts/bench-batch.sh [--files N]
#
# Needs the Spark module built (./mvnw -B -Pspark -DskipTests package) and python3 (stdlib; it
# writes the generated files once into $LAOCOON_BENCH_DIR, default /tmp/laocoon-bench-batch):
# N/2 PyTorch zip checkpoints of 1 MB (scripts/make-checkpoint.py, 1-8 tensors), N/4 safetensors of
# 1 MB, N/4 small pickles (a tenth of them an inert os.system call); every file distinct. The labelled
# corpus ../shared/corpus is measured too when present. One core is pinned with taskset for the
# per-core figures; the machine is shared, so the load average is printed beside them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
files=400
while [ $# -gt 0 ]; do
  case "$1" in
    --files) files="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "bench-batch: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -f "$here/batch/target/laocoon-batch.jar" ] || { echo "bench-batch: build the Spark module first: ./mvnw -B -Pspark -DskipTests package" >&2; exit 2; }
dir="${LAOCOON_BENCH_DIR:-/tmp/laocoon-bench-batch}"
gen="$dir/gen-$files"
if [ ! -f "$gen.done" ]; then
  rm -rf "$gen"; mkdir -p "$gen"
  half=$((files / 2)); quarter=$((files / 4))
  for i in $(seq 1 "$half"); do python3 "$here/scripts/make-checkpoint.py" "$gen/ckpt$i.bin" 1 $((i % 8 + 1)) >/dev/null; done
  python3 - "$gen" "$quarter" <<'PY'
import json, os, struct, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    numel = (1 << 20) // 4
    h = json.dumps({"w%d" % i: {"dtype": "F32", "shape": [numel], "data_offsets": [0, numel * 4]}}).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(d, "model%d.safetensors" % i), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + os.urandom(numel * 4))
def s(x):
    b = x.encode(); return b"\x8c" + bytes([len(b)]) + b
for i in range(n):
    if i % 10 == 0:  # inert: the scanner reads it, nothing ever runs it
        p = b"\x80\x02cos\nsystem\n" + s("echo bench %d" % i) + b"\x85R."
    else:
        p = b"\x80\x04}(" + b"".join(s("k%d_%d" % (i, j)) + b"J" + struct.pack("<i", j) for j in range(500)) + b"u."
    open(os.path.join(d, "data%d.pkl" % i), "wb").write(p)
PY
  touch "$gen.done"
fi
out="$dir/out"; rm -rf "$out"; mkdir -p "$out"
"$here/laocoon" --version >/dev/null # the CLI's jar and class-data archive, built before timing
echo "CPUs: $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg); $(find "$gen" -type f | wc -l) generated files in $gen"

now() { date +%s.%N; }
cli_rate() { # DIR CORES: files per second per core of 'laocoon scan' on those cores (whole run: start-up included)
  local n t0 t1 cpus
  n="$(find "$1" -type f | wc -l)"
  cpus="0"; [ "$2" = 2 ] && cpus="0,1"
  t0="$(now)"; taskset -c "$cpus" "$here/laocoon" scan --format json "$1" > "$out/cli.json" || true; t1="$(now)"
  python3 -c "import sys; n,t,c=int(sys.argv[1]),float(sys.argv[2])-float(sys.argv[3]),int(sys.argv[4]); print('%.2f %.1f' % (t, n/t/c))" "$n" "$t1" "$t0" "$2"
}
batch_run() { # LISTING OUT CORES [extra args]: prints the summary's timings
  local listing="$1" o="$2" c="$3"; shift 3
  local cpus="0"; [ "$c" = 2 ] && cpus="0,1"
  taskset -c "$cpus" "$here/laocoon" batch --input "$listing" --output "$o" --master "local[$c]" "$@" >/dev/null 2>"$o.log" \
    || { echo "bench-batch: the job failed, see $o.log" >&2; exit 1; }
}
row() { # NAME FILES DIR LISTING
  local name="$1" dir="$3" listing="$4" c
  for c in 1 2; do
    read -r cli_t cli_r < <(cli_rate "$dir" "$c")
    batch_run "$listing" "$out/$name-$c" "$c"
    jq -r --arg name "$name" --arg c "$c" --arg ct "$cli_t" --arg cr "$cli_r" \
      '"| \($name) | \($c) | \(.blobs) | \($ct) s | \($cr) | \(.timings.sessionSeconds) s | \(.timings.scanStageSeconds) s | \(.timings.filesPerSecondPerCore | . * 10 | round / 10) | \((.timings.filesPerSecondPerCore / ($cr | tonumber) * 100 | round) / 100) | \(.timings.totalSeconds) s |"' \
      "$out/$name-$c/summary.json"
  done
}

"$here/laocoon" batch --list "$gen" > "$out/gen.jsonl"
echo
echo "| files | cores | blobs | CLI wall | CLI files/s/core | Spark start | job scan stage | job files/s/core | job/CLI | job total |"
echo "|---|---|---|---|---|---|---|---|---|---|"
row generated "$files" "$gen" "$out/gen.jsonl"
corpus="$here/../shared/corpus"
if [ -d "$corpus" ]; then
  "$here/laocoon" batch --list "$corpus" > "$out/corpus.jsonl"
  row corpus "$(wc -l < "$out/corpus.jsonl")" "$corpus" "$out/corpus.jsonl"
fi

# range reads over loopback HTTP: the listing's hashes let the job read only what the analysis needs
servers=()
trap 'for p in "${servers[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
serve() { # DIR: starts a range server on 127.0.0.1 for DIR, prints its port
  local pf; pf="$(mktemp)"
  java -Dsun.net.httpserver.nodelay=true "$here/scripts/bench/RangeServer.java" "$1" "$pf" >/dev/null 2>&1 &
  servers+=($!)
  for _ in $(seq 1 100); do [ -s "$pf" ] && break; sleep 0.1; done
  cat "$pf"; rm -f "$pf"
}
http_case() { # NAME DIR LISTING IN_FLIGHT
  local port; port="$(serve "$2")"
  sed "s#file://$2/#http://127.0.0.1:$port/#" "$3" > "$out/$1.http.jsonl"
  batch_run "$out/$1.http.jsonl" "$out/$1-http-$4" 2 --allow-host 127.0.0.1 --in-flight "$4"
  echo "- $1 over HTTP, --in-flight $4: scan stage $(jq .timings.scanStageSeconds "$out/$1-http-$4/summary.json") s," \
    "$(jq '.timings.filesPerSecondPerCore | . * 10 | round / 10' "$out/$1-http-$4/summary.json") files/s/core"
}
costs() { # SUMMARY
  echo
  echo "| format | blobs | requests/file | bytes transferred/file | bytes read/file | size/file | transferred/size |"
  echo "|---|---|---|---|---|---|---|"
  jq -r '.scanCosts | to_entries[] | .value as $v | "| \(.key) | \($v.blobs) | \($v.requests / $v.blobs * 100 | round / 100) | \($v.transferred / $v.blobs | round) | \($v.bytesRead / $v.blobs | round) | \($v.size / $v.blobs | round) | \(if $v.size > 0 then ($v.transferred / $v.size * 10000 | round / 100 | tostring) + " %" else "-" end) |"' "$1"
}
echo
echo "Range reads over HTTP (127.0.0.1, local[2]):"
http_case generated "$gen" "$out/gen.jsonl" 1
http_case generated "$gen" "$out/gen.jsonl" 8
[ -d "$corpus" ] && http_case corpus "$(cd "$corpus" && pwd)" "$out/corpus.jsonl" 8
costs "$out/generated-http-8/summary.json"
[ -d "$corpus" ] && costs "$out/corpus-http-8/summary.json"
# a rerun with --previous: nothing scanned, nothing fetched
batch_run "$out/generated.http.jsonl" "$out/http-again" 2 --allow-host 127.0.0.1 --previous "$out/generated-http-8"
echo
echo "Rerun with --previous: $(jq .scanned "$out/http-again/summary.json") scanned, $(jq .carriedOver "$out/http-again/summary.json") carried over, total $(jq .timings.totalSeconds "$out/http-again/summary.json") s"
