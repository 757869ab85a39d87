#!/bin/sh
# Starts the Somnus CLI with every jar from the image's lib folder. The role comes from the arguments
# (`worker --task-queue gpu`, `serve --port 8080`, ...); configuration from SOMNUS_* variables.
set -eu
: "${SOMNUS_MAIN_CLASS:?SOMNUS_MAIN_CLASS must name the CLI main class}"
mkdir -p "${SOMNUS_DATA_DIR:-/var/lib/somnus}"
# shellcheck disable=SC2086 # JAVA_OPTS is a list of options on purpose
exec java ${JAVA_OPTS:-} -cp "/opt/somnus/lib/*" "$SOMNUS_MAIN_CLASS" "$@"
