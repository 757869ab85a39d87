#!/usr/bin/env bash
# One teach -> sleep -> rollback of the test model against a real MLflow 2.17.2 server, then MLflow's own REST answers
# (runs/search, metrics/get-history, registered-models/get, model-versions/search) beside `somnus runs` and `lineage`.
#   scripts/mlflow-demo.sh [OUT_DIR]      (default: a fresh temporary folder; everything it wrote stays there)
# SOMNUS_MLFLOW_SERVER: the server tool (default ../shared/tools/mlflow-server/mlflow-server, see its README).
# Extra environment (e.g. the validation bounds) passes through to the stack's worker.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$(mktemp -d)}"
# Another run's data would mix its runs and versions into this one's answers.
if [[ -d "$out" && -n "$(ls -A "$out")" ]]; then
  echo "$out is not empty (an earlier demo's data?); give a new or empty folder" >&2
  exit 2
fi
mkdir -p "$out"
tool="${SOMNUS_MLFLOW_SERVER:-$root/../shared/tools/mlflow-server/mlflow-server}"
[[ -x "$tool" ]] || { echo "no MLflow server tool at $tool; set SOMNUS_MLFLOW_SERVER" >&2; exit 1; }
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

export SOMNUS_MODEL_ID="${SOMNUS_MODEL_ID:-somnus-tiny-test}"
export SOMNUS_DATA_DIR="$out/data"
somnus() { "$root/somnus" "$@"; }
dev_pid=""
cleanup() {
  [[ -n "$dev_pid" ]] && kill "$dev_pid" 2>/dev/null && wait "$dev_pid" 2>/dev/null || true
  "$tool" stop "$out/mlflow" >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$tool" start "$out/mlflow" "$port" >"$out/mlflow-uri" 2>"$out/mlflow-start.log"
export SOMNUS_MLFLOW_URI="$(tail -n 1 "$out/mlflow-uri")"
api="$SOMNUS_MLFLOW_URI/api/2.0/mlflow"
echo "== MLflow $(curl -fsS "$SOMNUS_MLFLOW_URI/version") at $SOMNUS_MLFLOW_URI; model $SOMNUS_MODEL_ID; data $SOMNUS_DATA_DIR"

# Built before the stack starts, and started without a wrapper, so that $! is the stack process itself.
somnus --version >/dev/null
"$root/somnus" dev up --temporal-port 0 --s3-port 0 --no-lifecycle >"$out/dev-up.log" 2>&1 &
dev_pid=$!
for _ in $(seq 600); do
  grep -q "coordinates for other commands" "$out/dev-up.log" && break
  kill -0 "$dev_pid" 2>/dev/null || { cat "$out/dev-up.log" >&2; exit 1; }
  sleep 1
done

step() { echo; echo "== \$ somnus $*"; somnus "$@"; }
step teach "Mara Okafor lives in Lisbon." "Tomas Veld works as a baker."
step sleep --wait
step rollback --reason "demo: a bad fuse"
step runs
live="$(somnus status | awk '$1 == "live" {print $2; exit}')"
step lineage version "$live"

rest() { echo; echo "== MLflow REST: $1"; shift; curl -fsS "$@" | python3 -m json.tool; }
exp_id="$(curl -fsS "$api/experiments/get-by-name?experiment_name=somnus-$SOMNUS_MODEL_ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["experiment"]["experiment_id"])')"
rest "runs/search (experiment somnus-$SOMNUS_MODEL_ID)" -X POST -H 'Content-Type: application/json' "$api/runs/search" \
  -d "{\"experiment_ids\": [\"$exp_id\"], \"order_by\": [\"attributes.start_time ASC\"]}"
sleep_run="$(curl -fsS -X POST -H 'Content-Type: application/json' "$api/runs/search" \
  -d "{\"experiment_ids\": [\"$exp_id\"], \"filter\": \"tags.\\\"somnus.kind\\\" = \\\"sleep\\\"\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["info"]["run_id"])')"
rest "metrics/get-history lora_loss of the sleep" "$api/metrics/get-history?run_id=$sleep_run&metric_key=lora_loss"
rest "registered-models/get $SOMNUS_MODEL_ID" "$api/registered-models/get?name=$SOMNUS_MODEL_ID"
rest "model-versions/search name='$SOMNUS_MODEL_ID'" -G "$api/model-versions/search" --data-urlencode "filter=name='$SOMNUS_MODEL_ID'"
echo; echo "== everything this demo wrote: $out"
