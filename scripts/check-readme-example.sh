#!/usr/bin/env bash
# Compiles the first ```java block of the README's "Java API" section as written against the built
# command-line jar (core and its dependencies), runs it, and checks that it prints a verdict.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$here/cli/target/laocoon.jar"
[ -f "$jar" ] || { echo "check-readme-example: $jar missing (run ./mvnw -B package first)" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
awk '/^## Java API$/ {s=1} s && /^```java$/ {c=1; next} c && /^```$/ {exit} c {print}' "$here/README.md" > "$work/src.java"
cls="$(sed -n 's/^public class \([A-Za-z0-9_]*\).*/\1/p' "$work/src.java" | head -1)"
[ -n "$cls" ] || { echo "check-readme-example: no public class in the README's Java API example" >&2; exit 1; }
mv "$work/src.java" "$work/$cls.java"
javac -cp "$jar" -d "$work" "$work/$cls.java"
out="$(java -cp "$jar:$work" "$cls")"
printf '%s\n' "$out"
printf '%s\n' "$out" | head -1 | grep -Eq ': (safe|notice|suspicious|malicious) \(' \
  || { echo "check-readme-example: the example printed no verdict" >&2; exit 1; }
echo "README Java API example: compiled and ran against $jar"
