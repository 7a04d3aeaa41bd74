#!/usr/bin/env bash
# The Spark job's jar holds no Spark and only relocated copies of core's libraries (so that a Spark
# installation's Jackson, protobuf, LZ4 or Commons never change core's behaviour), and the CLI's jar
# holds nothing of the batch module or Spark. Run by .ci/run after the -Pspark build.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
batch="$here/batch/target/laocoon-batch.jar"
cli="$here/cli/target/laocoon.jar"
[ -f "$batch" ] || { echo "check-batch-jar: $batch missing (build with -Pspark)" >&2; exit 1; }
entries="$(unzip -Z1 "$batch")"
bad="$(grep -E '^(org/apache/spark/|scala/|org/apache/hadoop/|com/fasterxml/|com/google/protobuf/|net/jpountz/|org/apache/commons/|org/tukaani/|io/airlift/|org/slf4j/)' <<<"$entries" | head -5 || true)"
[ -z "$bad" ] || { echo "check-batch-jar: unrelocated or Spark classes in $batch:"; echo "$bad"; exit 1; } >&2
for c in dev/laocoon/batch/HubScan.class dev/laocoon/core/Scanner.class \
         dev/laocoon/batch/shaded/jackson/databind/ObjectMapper.class dev/laocoon/batch/shaded/protobuf/Message.class; do
  grep -qx "$c" <<<"$entries" || { echo "check-batch-jar: $c missing from $batch" >&2; exit 1; }
done
if [ -f "$cli" ]; then
  leak="$(unzip -Z1 "$cli" | grep -E '^(dev/laocoon/batch/|org/apache/spark/|scala/)' | head -3 || true)"
  [ -z "$leak" ] || { echo "check-batch-jar: batch or Spark classes in the CLI's jar: $leak" >&2; exit 1; }
fi
echo "check-batch-jar: $(wc -l <<<"$entries") entries, no Spark, core's libraries relocated; the CLI jar has none of them"
