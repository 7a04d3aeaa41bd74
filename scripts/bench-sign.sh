#!/usr/bin/env bash
# Throughput of `laocoon sign` and `laocoon verify` against sha256sum (and openssl dgst) on a model
# of 8 files, on one and two threads, with the heap capped at 64 MB.
#
#   scripts/bench-sign.sh [TOTAL_MB] [RUNS]      (defaults: 4096 MB, 3 runs; the best run counts)
#
# The model (8 files of random bytes, TOTAL_MB/8 MiB each) is written to a temporary directory
# under ${TMPDIR:-/tmp} and deleted at the end. Every tool reads it from the page cache (it is read
# once before timing), so the figures compare hashing and signing, not the disk. Each laocoon run
# includes the JVM's start-up. Peak RSS comes from /usr/bin/time -v when it is installed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
total="${1:-4096}"
runs="${2:-3}"
command -v openssl >/dev/null || { echo "bench-sign: needs openssl (for the test key)" >&2; exit 2; }
dir="$(mktemp -d "${TMPDIR:-/tmp}/laocoon-bench-sign.XXXXXX")"
trap 'rm -rf "$dir"' EXIT
model="$dir/model"
mkdir -p "$model"
per=$((total / 8))
echo "generating 8 files of $per MiB in $model ..."
for i in 1 2 3 4 5 6 7 8; do
  head -c "$((per * 1024 * 1024))" /dev/urandom > "$model/model-0000$i-of-00008.bin"
done
bytes=$((per * 8 * 1024 * 1024))
openssl ecparam -name prime256v1 -genkey -noout -out "$dir/key.pem" 2>/dev/null
openssl ec -in "$dir/key.pem" -pubout -out "$dir/key.pub" 2>/dev/null
"$here/laocoon" --version >/dev/null
cat "$model"/* > /dev/null
export LAOCOON_JAVA_OPTS="${LAOCOON_JAVA_OPTS:--Xmx64m}"

best() { # best wall time of $runs runs of "$@", in seconds
  local b="" s e t
  for _ in $(seq "$runs"); do
    s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
  done
  echo "$b"
}
rss() { # peak RSS in MB of one run of "$@"
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk '/Maximum resident/ { printf "%.0f", $6 / 1024 }'
  else
    echo "n/a"
  fi
}
sha1() { (cd "$model" && sha256sum ./*.bin); }
sha2() { (cd "$model" && printf '%s\n' ./*.bin | xargs -P2 -n4 sha256sum); }
ossl1() { (cd "$model" && openssl dgst -sha256 ./*.bin); }
sign() { "$here/laocoon" sign "$model" -o "$dir/model.sig" --private-key "$dir/key.pem" --threads "$1"; }
verify() { "$here/laocoon" verify "$model" --signature "$dir/model.sig" --public-key "$dir/key.pub" --threads "$1"; }

t_sha1=$(best sha1)
t_sha2=$(best sha2)
t_ossl1=$(best ossl1)
t_sign1=$(best sign 1)
t_sign2=$(best sign 2)
t_ver1=$(best verify 1)
t_ver2=$(best verify 2)
r_sign=$(rss "$here/laocoon" sign "$model" -o "$dir/model.sig" --private-key "$dir/key.pem" --threads 2)
r_ver=$(rss "$here/laocoon" verify "$model" --signature "$dir/model.sig" --public-key "$dir/key.pub" --threads 2)

mb=$(echo "$bytes / 1000000" | bc -l)
row() { printf '%-36s %8.2f s %8.0f MB/s %8.2fx\n' "$1" "$2" "$(echo "$mb / $2" | bc -l)" "$(echo "$2 / $t_sha1" | bc -l)"; }
echo
echo "model: 8 files, $bytes bytes; best of $runs runs; LAOCOON_JAVA_OPTS=$LAOCOON_JAVA_OPTS; $(nproc) cores"
printf '%-36s %10s %13s %9s\n' "command" "time" "throughput" "vs sha256sum"
row "sha256sum (1 core)" "$t_sha1"
row "sha256sum, 2 processes (xargs -P2)" "$t_sha2"
row "openssl dgst -sha256 (1 core)" "$t_ossl1"
row "laocoon sign --threads 1" "$t_sign1"
row "laocoon sign --threads 2" "$t_sign2"
row "laocoon verify --threads 1" "$t_ver1"
row "laocoon verify --threads 2" "$t_ver2"
echo "peak RSS: sign ${r_sign} MB, verify ${r_ver} MB (threads 2)"
