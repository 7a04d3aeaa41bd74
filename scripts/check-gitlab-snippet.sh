#!/usr/bin/env bash
# Runs the script block of ci/gitlab/laocoon.gitlab-ci.yml as the eclipse-temurin:17-jdk image
# would: sh, a fresh user (env -i, an empty HOME), a PATH with only a JDK 17 and the system tools
# without git, in a new project folder. The Laocoon archive is `git archive HEAD` of this checkout,
# served on 127.0.0.1. The first run downloads and builds (Maven Central through the wrapper); the
# second runs with curl and Maven hidden too, from the cache folder the first one left. Both must
# write a GitLab SAST report that is valid against the schema kept in the test resources.
# Usage: scripts/check-gitlab-snippet.sh [JDK_HOME]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jdk="${1:-${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}}"
[ -x "$jdk/bin/java" ] || { echo "check-gitlab-snippet: no java in $jdk" >&2; exit 2; }
work="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
yml="$here/ci/gitlab/laocoon.gitlab-ci.yml"
# the block under "script: - |", unindented
awk '/^  script:/ {s=1; next} s && /^    - \|/ {b=1; next} b && /^  [a-z]/ {exit} b {sub(/^      /, ""); print}' "$yml" > "$work/job.sh"
[ -s "$work/job.sh" ] || { echo "check-gitlab-snippet: no script block in $yml" >&2; exit 1; }

# tools of the image: everything in /usr/bin except git (and, for the second run, curl/wget/mvn)
mkbin() {
  local dir="$1"; shift
  mkdir -p "$dir"
  for t in /usr/bin/* /bin/*; do
    n="${t##*/}"
    case " $* " in *" $n "*) continue ;; esac
    case "$n" in git|git-*) continue ;; esac
    [ -e "$dir/$n" ] || ln -s "$t" "$dir/$n"
  done
}
mkbin "$work/bin1"
mkbin "$work/bin2" curl wget mvn

mkdir -p "$work/serve"
(cd "$here" && git archive --format=tar.gz --prefix=laocoon-check/ -o "$work/serve/laocoon.tar.gz" HEAD)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$work/serve" "$port" >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/')" 2>/dev/null && break; sleep 0.1; done

proj="$work/project"
mkdir -p "$proj/models"
# inert payload: a pickle that would call os.system('echo laocoon-check')
printf 'cos\nsystem\n(S%s\ntR.' "'echo laocoon-check'" > "$proj/models/evil.pkl"
printf '\x80\x02N.' > "$proj/models/data.pkl"

run() {
  local bin="$1"
  (cd "$proj" && env -i PATH="$jdk/bin:$bin" HOME="$work/home-$RANDOM" \
      LAOCOON_VERSION=check LAOCOON_ARCHIVE="http://127.0.0.1:$port/laocoon.tar.gz" \
      LAOCOON_PATHS=. LAOCOON_FAIL_ON=suspicious LAOCOON_ARGS= \
      sh -c '! command -v git >/dev/null || { echo "git is visible" >&2; exit 3; }; . ./job.sh' )
}
cp "$work/job.sh" "$proj/job.sh"
echo "run 1 (no git; downloads the archive and builds)..."
t0=$(date +%s); set +e; run "$work/bin1"; code1=$?; set -e; t1=$(date +%s)
echo "run 2 (no git, curl, wget or mvn; from the cache folder)..."
rm -f "$proj/gl-sast-laocoon.json"
set +e; run "$work/bin2"; code2=$?; set -e; t2=$(date +%s)
echo "exit codes: $code1 (first, $((t1 - t0)) s), $code2 (second, $((t2 - t1)) s); cache folder: $(ls "$proj/.laocoon")"
[ "$code1" = 1 ] && [ "$code2" = 1 ] || { echo "check-gitlab-snippet: expected exit 1 (a malicious file) twice" >&2; exit 1; }
python3 - "$proj/gl-sast-laocoon.json" "$here/cli/src/test/resources/schemas/gitlab/sast-report-format.json" <<'PY'
import json, sys
import jsonschema
report, schema = (json.load(open(p)) for p in sys.argv[1:3])
jsonschema.validate(report, schema)
crit = [v for v in report["vulnerabilities"] if v["severity"] == "Critical"]
assert any(v["location"]["file"] == "models/evil.pkl" for v in crit), report
assert not any(v["location"]["file"].startswith(".laocoon") for v in report["vulnerabilities"])
print("report valid:", len(report["vulnerabilities"]), "vulnerabilities,", len(crit), "critical")
PY
echo "GitLab snippet: ran as pasted without git, built once, second run from the cache"
