#!/usr/bin/env bash
# Remote-source benchmark, loopback only: requests, bytes transferred and wall time of scans over
# HTTP range reads and through a hub-shaped API, against the local scan of the same files.
#
#   scripts/bench-remote.sh [--runs N]
#
# Starts scripts/bench/RangeServer.java on 127.0.0.1 (an ephemeral port) serving $LAOCOON_BENCH_DIR
# (default /tmp/laocoon-bench-remote), which it fills once with python3's stdlib:
#   - 512 MB zip checkpoints of 200 and of 8 tensors (scripts/make-checkpoint.py);
#   - a 2 GB safetensors file (one F32 tensor; a sparse file, so it takes no disk space);
#   - a 50-file repository with 10 duplicates (40 distinct ~2 MB checkpoints), served as hf://bench/repo.
# Prints, per case: verdict, requests, bytes transferred, wall time (median of N runs) and the
# local scan's wall time; for the repository, distinct files fetched and the time of downloading the
# 50 files with curl and scanning them locally. Findings of remote and local scans are compared.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "bench-remote: unknown argument $1" >&2; exit 2 ;;
  esac
done
dir="${LAOCOON_BENCH_DIR:-/tmp/laocoon-bench-remote}"
mkdir -p "$dir/hub"
[ -s "$dir/ckpt-512mb-200.pt" ] || python3 "$here/scripts/make-checkpoint.py" "$dir/ckpt-512mb-200.pt" 512 200 >/dev/null
[ -s "$dir/ckpt-512mb-8.pt" ] || python3 "$here/scripts/make-checkpoint.py" "$dir/ckpt-512mb-8.pt" 512 8 >/dev/null
[ -s "$dir/model-2gb.safetensors" ] || python3 - "$dir/model-2gb.safetensors" <<'PY'
import json, struct, sys
n = (2 << 30) // 4
header = json.dumps({"weight": {"dtype": "F32", "shape": [n], "data_offsets": [0, n * 4]}}).encode()
header += b" " * (-len(header) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header)
    f.truncate(8 + len(header) + n * 4)  # sparse: the tensor bytes are zeros and take no disk
PY
if [ ! -s "$dir/hub/m39.bin" ]; then
  for i in $(seq 0 39); do python3 "$here/scripts/make-checkpoint.py" "$dir/hub/m$i.bin" 2 $((i % 7 + 1)) >/dev/null; done
  for i in $(seq 0 9); do cp "$dir/hub/m$i.bin" "$dir/hub/copy$i.bin"; done
fi
"$here/laocoon" --version >/dev/null
port_file="$(mktemp)"
java -Dsun.net.httpserver.nodelay=true "$here/scripts/bench/RangeServer.java" "$dir" "$port_file" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$port_file"' EXIT
for _ in $(seq 1 100); do [ -s "$port_file" ] && break; sleep 0.1; done
port="$(cat "$port_file")"
echo "CPUs: $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg); $runs runs each; server 127.0.0.1:$port"
python3 - "$runs" "$here/laocoon" "$dir" "$port" <<'PY'
import json, os, statistics, subprocess, sys, time, urllib.request
runs, laocoon, d, port = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
base = "http://127.0.0.1:%s" % port
allow = ["--allow-host", "127.0.0.1"]

def stats(path):
    return json.load(urllib.request.urlopen(base + path))

def scan(args):
    t = time.perf_counter()
    p = subprocess.run([laocoon, "scan", "--format", "json"] + args, capture_output=True, text=True)
    return time.perf_counter() - t, json.loads(p.stdout)

def findings(report):
    return sorted((os.path.basename(f["path"]), f["verdict"], tuple(sorted(x["rule"] for x in f["findings"])))
                  for f in report["files"])

def case(label, name):
    walls, local = [], []
    for _ in range(runs):
        stats("/_reset")
        w, remote = scan(allow + [base + "/" + name])
        walls.append(w)
        s = stats("/_stats")
        lw, lrep = scan([os.path.join(d, name)])
        local.append(lw)
    same = findings(remote) == findings(lrep)
    f = remote["files"][0]
    print("%-34s %-9s %5d requests %10d bytes  %6.2f s (local %5.2f s)  findings %s" % (
        label, f["verdict"], s["requests"], s["bytes"], statistics.median(walls), statistics.median(local),
        "same" if same else "DIFFER"))

case("512 MB checkpoint, 200 tensors", "ckpt-512mb-200.pt")
case("512 MB checkpoint, 8 tensors", "ckpt-512mb-8.pt")
case("2 GB safetensors", "model-2gb.safetensors")

walls, fetched = [], 0
for _ in range(runs):
    stats("/_reset")
    w, rep = scan(allow + ["--hub-url", base, "hf://bench/repo"])
    walls.append(w)
    s = stats("/_stats")
files = rep["files"]
fetched = sum(1 for f in files if f["source"]["requests"] > 0)
curl = []
for _ in range(runs):
    tmp = subprocess.run(["mktemp", "-d"], capture_output=True, text=True).stdout.strip()
    t = time.perf_counter()
    names = sorted(os.listdir(os.path.join(d, "hub")))
    subprocess.run(["curl", "-s", "--fail"] + sum([["-o", os.path.join(tmp, n), base + "/bench/repo/resolve/" + "b" * 40
                                                      + "/" + n] for n in names], []), check=True)
    subprocess.run([laocoon, "scan", "--format", "json", tmp], capture_output=True)
    curl.append(time.perf_counter() - t)
    subprocess.run(["rm", "-rf", tmp])
verdicts = {}
for f in files:
    verdicts[f["verdict"]] = verdicts.get(f["verdict"], 0) + 1
print("%-34s %d files, %d fetched and scanned, %d requests, %d bytes, %.2f s; curl of all + local scan %.2f s; %s" % (
    "hf:// repository, 10 duplicates", len(files), fetched, s["requests"], s["bytes"], statistics.median(walls),
    statistics.median(curl), verdicts))
PY
