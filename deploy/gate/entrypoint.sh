#!/bin/sh
# Entrypoint of the gate image: 'laocoon gate [LAOCOON_GATE_ARGS] SRC DEST', as KServe calls a storage
# initializer (two arguments, SRC_URI and DEST_PATH). Options come from LAOCOON_GATE_ARGS (for
# example "--allow torchscript --require-signature"); credentials from the usual variables
# (HF_TOKEN, AWS_ACCESS_KEY_ID, ...). Exit codes are the gate's: 0 passed, 1 refused, 2 could not
# run; any non-zero code keeps the pod from starting.
set -eu
home="${LAOCOON_HOME:-/opt/laocoon}"
cp="${LAOCOON_CLASSPATH:-$home/laocoon.jar:$home/laocoon-s3.jar}"
java_cmd="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# shellcheck disable=SC2086 # LAOCOON_GATE_ARGS and LAOCOON_JAVA_OPTS are lists of options
# -XX:-UsePerfData: no hsperfdata file in /tmp, so a read-only root file system needs no /tmp volume
exec "$java_cmd" -XX:+UseSerialGC -XX:-UsePerfData ${LAOCOON_JAVA_OPTS:-} -cp "$cp" dev.laocoon.cli.Main gate ${LAOCOON_GATE_ARGS:-} "$@"
