#!/usr/bin/env bash
# Runs the evaluation suite from a clean clone and writes evaluation/REPORT.md.
#   evaluation/evaluate.sh --quick       # under 10 minutes on 2 cores (somnus-tiny-test, few facts)
#   evaluation/evaluate.sh --standard    # under 60 minutes on 2 cores (somnus-tiny)
#   evaluation/evaluate.sh retrieval --standard   # one experiment
# The first run also builds somnus-tiny (cached under ~/.somnus/models; the test variant takes ~2 minutes,
# the default ~15) — that time is not part of the budgets above.
# SOMNUS_OFFLINE=1 builds with mvn -o (no repository look-ups); OMP_NUM_THREADS defaults to 1 as in ./somnus.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [[ $# -eq 0 || "$1" == --* ]]; then set -- all "$@"; fi
offline=""; [[ "${SOMNUS_OFFLINE:-0}" == "1" ]] && offline="-o"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
mvn -B -ntp -q $offline -pl evaluation -am install -DskipTests
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
mvn -B -ntp -q $offline -pl evaluation dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null
# Temporal logs a sleep that fails on purpose (the deliberately bad sleeps) with its whole stack: errors only.
exec java -Xmx6g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.io.temporal=error \
  -cp "evaluation/target/classes:$(cat "$cp_file")" io.somnus.evaluation.EvaluationMain "$@"
