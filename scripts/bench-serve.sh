#!/usr/bin/env bash
# Load benchmark of `laocoon serve` on loopback (figures in README: laocoon serve, Performance).
#
#   scripts/bench-serve.sh [--small-only | --big-only | --startup-only] [--seconds N] [--runs N]
#
# 1. Small pickles: wrk (Debian's `wrk`) with 16 connections on 2 threads for N seconds (default
#    10, after a 3-second warm-up) POSTs 1 KiB protocol-2 pickles (one BINUNICODE string, inert) to
#    /v1/scans: once the same body every time (cache hits after the first), once a different body
#    on every request (every request a fresh scan: stored, audited, hashed). Requests/s, p50, p99.
# 2. A 1 GiB checkpoint (scripts/make-checkpoint.py, torch zip layout, stdlib only; cached in
#    $LAOCOON_BENCH_DIR, default /tmp/laocoon-bench) uploaded with `curl -T` (streamed, not read
#    into memory) to the service (answered 202: received, hashed and spooled; scanned after) and to
#    scripts/bench/DiscardServer.java (a JDK HttpServer that reads and drops the body): the best
#    of --runs (default 3) of each, and the ratio; also the CPU seconds each server spent per upload
#    (from /proc: independent of the machine's other load, which wall times are not). The first run
#    is answered 202 (scanned after); the later ones are answered 200 from the content cache: the
#    body is received, hashed and spooled all the same.
# 3. Heap with 8 such uploads at once: the service runs with -Xmx256m and a GC log; the peak heap
#    in use before a collection, the largest live set after one, and whether all 8 were answered.
# 4. Start-up: `./laocoon serve` to the first 200 on /healthz and on /readyz, with an existing
#    embedded store (--runs times, hyperfine-free loop with curl polling every 5 ms).
#
# Everything listens on 127.0.0.1 (ephemeral ports) and is stopped at the end. The machine is shared:
# the script prints the load average before each part; compare figures only from quiet runs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${LAOCOON_BENCH_DIR:-/tmp/laocoon-bench}"
seconds=10
runs=3
parts="small big heap startup"
while [ $# -gt 0 ]; do
  case "$1" in
    --small-only) parts="small"; shift ;;
    --big-only) parts="big heap"; shift ;;
    --heap-only) parts="heap"; shift ;;
    --startup-only) parts="startup"; shift ;;
    --seconds) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "bench-serve: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v curl >/dev/null || { echo "bench-serve: needs curl" >&2; exit 2; }
mkdir -p "$dir"
work="$(mktemp -d "$dir/serve.XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

token="lao_bench_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
jar="$here/server/target/laocoon-server.jar"
[ -f "$jar" ] || (cd "$here" && ./mvnw -B -q -DskipTests package >&2)
"$here/laocoon" serve --help >/dev/null # builds when sources changed

cat > "$work/serve.properties" <<EOF
limits.maxBodyBytes=2g
limits.maxTempBytes=16g
limits.workers=4
limits.queue=32
quota.maxConcurrent=64
quota.requestsPerMinute=0
EOF
# eight more tenants: the content cache is per tenant, so the 8 parallel uploads of one file are 8 scans
for i in $(seq 1 8); do
  echo "tenant.b$i.tokenSha256=$(printf '%s' "$token-$i" | sha256sum | cut -d' ' -f1)" >> "$work/serve.properties"
done

# start_serve NAME [JAVA_OPTS]: starts the service on a free port with its own data folder; sets $port
start_serve() {
  local name="$1" opts="${2:-}"
  mkdir -p "$work/$name"
  LAOCOON_ADMIN_TOKEN="$token" LAOCOON_JAVA_OPTS="$opts" "$here/laocoon" serve --config "$work/serve.properties" \
    --port 0 --data "$work/$name/data" > "$work/$name/out" 2> "$work/$name/err" &
  serve_pid=$!
  pids+=("$serve_pid")
  for _ in $(seq 1 600); do
    port="$(sed -n 's#.*listening on http://127.0.0.1:\([0-9]*\)/.*#\1#p' "$work/$name/out" 2>/dev/null | head -1)"
    [ -n "$port" ] && return 0
    kill -0 "$serve_pid" 2>/dev/null || { cat "$work/$name/err" >&2; echo "bench-serve: the service did not start" >&2; exit 2; }
    sleep 0.05
  done
  echo "bench-serve: the service did not start in 30 s" >&2
  exit 2
}
stop_serve() {
  kill "$serve_pid" 2>/dev/null || true
  wait "$serve_pid" 2>/dev/null || true
}
load() { echo "  (load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs)"; }

if [[ " $parts " == *" small "* ]]; then
  command -v wrk >/dev/null || { echo "bench-serve: small pickles need wrk (apt-get install wrk)" >&2; exit 2; }
  # 1 KiB: PROTO 2, BINUNICODE (X, 4-byte length 1016), the string, STOP
  cat > "$work/pickle.lua" <<'EOF'
local fresh = os.getenv("BENCH_FRESH") == "1"
local salt = os.getenv("BENCH_SALT") or ""
local n = 0
tid = 0 -- a global: setup() (in the main state) sets each thread's own
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local function body()
  local s
  if fresh then
    n = n + 1
    s = string.format("fresh-%s-%d-%d-", salt, tid, n)
  else
    s = "same-"
  end
  return "\128\002X\248\003\000\000" .. s .. string.rep("a", 1016 - #s) .. "."
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
request = function()
  return wrk.format(nil, "/v1/scans?name=small.pkl", nil, body())
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50=%.2f p99=%.2f errors=%d non2xx=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.requests))
end
EOF
  start_serve small
  echo "== 1 KiB pickles, 16 connections, ${seconds} s each"
  load
  for kind in cached fresh; do
    fresh=0; [ "$kind" = fresh ] && fresh=1
    BENCH_TOKEN="$token" BENCH_FRESH=$fresh BENCH_SALT=warm wrk -t2 -c16 -d3s -s "$work/pickle.lua" "http://127.0.0.1:$port/" >/dev/null
    BENCH_TOKEN="$token" BENCH_FRESH=$fresh BENCH_SALT=run wrk -t2 -c16 -d"${seconds}s" -s "$work/pickle.lua" "http://127.0.0.1:$port/" \
      | grep '^RESULT' | sed "s/^RESULT/  $kind:/" | sed 's/p50=\([0-9.]*\)/p50=\1ms/; s/p99=\([0-9.]*\)/p99=\1ms/'
  done
  curl -s -H "Authorization: Bearer $token" --data-binary @/dev/null "http://127.0.0.1:$port/v1/scans?name=probe" >/dev/null || true
  curl -s "http://127.0.0.1:$port/metrics" | grep -E '^laocoon_(scans_total|cache_hits_total|rejections_total)' | sed 's/^/  /' || true
  stop_serve
fi

ckpt="$dir/ckpt-1024mb.pt"
if [[ " $parts " == *" big "* || " $parts " == *" heap "* ]]; then
  if [ ! -s "$ckpt" ]; then
    echo "generating $ckpt ..." >&2
    python3 "$here/scripts/make-checkpoint.py" "$ckpt.tmp" 1024 64 >/dev/null
    mv "$ckpt.tmp" "$ckpt"
  fi
  size=$(stat -c %s "$ckpt")
  # upload URL: prints "seconds code"
  upload() { # URL [TOKEN]
    curl -s -o /dev/null -w '%{time_total} %{http_code}\n' -T "$ckpt" -X POST -H 'Expect:' \
      -H 'Content-Type: application/octet-stream' -H "Authorization: Bearer ${2:-$token}" "$1"
  }
  # waits until the service has nothing queued or running (the background scans of earlier uploads)
  settle() {
    for _ in $(seq 1 1200); do
      m="$(curl -s "http://127.0.0.1:$port/metrics")"
      q="$(echo "$m" | sed -n 's/^laocoon_queue_depth \([0-9.]*\).*/\1/p')"
      r="$(echo "$m" | sed -n 's/^laocoon_scans_running \([0-9.]*\).*/\1/p')"
      [ "${q%.*}" = 0 ] && [ "${r%.*}" = 0 ] && return 0
      sleep 0.25
    done
  }
fi

if [[ " $parts " == *" big "* ]]; then
  echo "== 1 GiB checkpoint upload ($size bytes), best of $runs"
  load
  java "$here/scripts/bench/DiscardServer.java" "$work/discard.port" &
  discard_pid=$!
  pids+=("$discard_pid")
  for _ in $(seq 1 400); do [ -s "$work/discard.port" ] && break; sleep 0.05; done
  dport="$(cat "$work/discard.port")"
  start_serve big
  best_d=999999; best_s=999999
  # CPU seconds (user + system) of a process: wall times on a shared machine depend on the others' load
  cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }
  for i in $(seq 1 "$runs"); do
    c0=$(cpu "$discard_pid")
    read -r td cd < <(upload "http://127.0.0.1:$dport/discard")
    c1=$(cpu "$discard_pid")
    settle
    c2=$(cpu "$serve_pid")
    read -r ts cs < <(upload "http://127.0.0.1:$port/v1/scans?name=ckpt-$i.pt")
    c3=$(cpu "$serve_pid")
    echo "  run $i: discard ${td}s ($cd, $(awk -v a="$c0" -v b="$c1" 'BEGIN{printf "%.2f", b-a}') CPU s)," \
      "laocoon serve ${ts}s ($cs, $(awk -v a="$c2" -v b="$c3" 'BEGIN{printf "%.2f", b-a}') CPU s)"
    best_d=$(awk -v a="$best_d" -v b="$td" 'BEGIN{print (b<a)?b:a}')
    best_s=$(awk -v a="$best_s" -v b="$ts" 'BEGIN{print (b<a)?b:a}')
  done
  awk -v d="$best_d" -v s="$best_s" -v n="$size" 'BEGIN{printf "  best: discard %.2f s (%.0f MB/s), laocoon serve %.2f s (%.0f MB/s), ratio %.2fx\n", d, n/d/1e6, s, n/s/1e6, s/d}'
  settle
  stop_serve
fi

if [[ " $parts " == *" heap "* ]]; then
  echo "== 8 uploads of the 1 GiB checkpoint at once, -Xmx256m"
  load
  start_serve heap "-Xmx256m -Xlog:gc:file=$work/gc.log"
  t0=$(date +%s.%N)
  curls=()
  for i in $(seq 1 8); do
    upload "http://127.0.0.1:$port/v1/scans?name=par-$i.pt" "$token-$i" > "$work/par-$i" &
    curls+=("$!")
  done
  # heap samples while the bodies arrive (the launcher execs java: its pid is the VM's)
  while kill -0 "${curls[0]}" 2>/dev/null; do
    jcmd "$serve_pid" GC.heap_info 2>/dev/null | sed -n 's/.*def new generation.*used \([0-9]*\)K.*/young \1/p; s/.*tenured generation.*used \([0-9]*\)K.*/old \1/p' \
      | paste -sd' ' >> "$work/heap-samples" || true
    sleep 1
  done
  for j in "${curls[@]}"; do wait "$j" || true; done
  t1=$(date +%s.%N)
  codes="$(cat "$work"/par-* | awk '{print $2}' | sort | uniq -c | tr '\n' ' ')"
  settle
  verdicts="$(curl -s "http://127.0.0.1:$port/metrics" | grep '^laocoon_scans_total' | tr '\n' ' ' || true)"
  stop_serve
  awk -v t0="$t0" -v t1="$t1" -v n="$size" -v c="$codes" 'BEGIN{printf "  8 uploads (8 tenants) in %.1f s (%.0f MB/s together); answers: %s\n", t1-t0, 8*n/(t1-t0)/1e6, c}'
  echo "  scans after the uploads: $verdicts"
  # "Pause Young (Allocation Failure) 70M->1M(247M) 1.234ms": before->after(committed)
  sed -n 's/.*Pause[^)]*) \([0-9]*\)M->\([0-9]*\)M(\([0-9]*\)M).*/\1 \2 \3/p' "$work/gc.log" \
    | awk '{ if ($1>b) b=$1; if ($2>a) a=$2; if ($3>c) c=$3; n++ } END { printf "  GC log: %d collections; peak in use %d MB, largest live after a collection %d MB, largest committed %d MB\n", n, b, a, c }'
  awk '{ u = ($2 + $4) / 1024; if (u > m) m = u; n++ } END { if (n) printf "  jcmd GC.heap_info: %d samples during the uploads, at most %.0f MB in use\n", n, m }' "$work/heap-samples" 2>/dev/null || true
fi

if [[ " $parts " == *" startup "* ]]; then
  echo "== start-up: ./laocoon serve to the first 200, existing embedded store, $runs runs"
  load
  mkdir -p "$work/start"
  # the store exists (the first start made it)
  start_serve start
  stop_serve
  for i in $(seq 1 "$runs"); do
    t0=$(date +%s%N)
    LAOCOON_ADMIN_TOKEN="$token" "$here/laocoon" serve --config "$work/serve.properties" --port 18931 \
      --data "$work/start/data" > "$work/start/out2" 2>&1 &
    serve_pid=$!
    pids+=("$serve_pid")
    h=""; r=""
    for _ in $(seq 1 2000); do
      if [ -z "$h" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:18931/healthz)" = 200 ]; then
        h=$(( ($(date +%s%N) - t0) / 1000000 ))
      fi
      if [ -n "$h" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:18931/readyz)" = 200 ]; then
        r=$(( ($(date +%s%N) - t0) / 1000000 ))
        break
      fi
      sleep 0.005
    done
    echo "  run $i: /healthz 200 after ${h:-?} ms, /readyz 200 after ${r:-?} ms"
    stop_serve
  done
fi
