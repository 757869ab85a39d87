#!/usr/bin/env bash
# The product through its CLI (issue #34, must-show 3): 40 held-out somnus-tiny facts never used for tuning
# (facts-heldout-200-239.txt, printed by HeldOut.java) in one `teach --file`, then four `sleep --wait`.
#   evaluation/results/20261207-cli-40-facts/run40.sh OUT_DIR      (from the root of a clean clone; OUT_DIR new)
# Prints each step's time and each sleep's summary; the logs and the data folder stay in OUT_DIR.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=${1:?give a new folder for the logs and the data}
[[ -e "$out" ]] && { echo "$out exists; give a new folder" >&2; exit 2; }
mkdir -p "$out"
cd "$root"
s() { ./somnus --data-dir "$out/data" "$@"; }
./somnus --help > /dev/null
( exec ./somnus --data-dir "$out/data" dev up --temporal-port 0 --s3-port 0 --no-lifecycle ) > "$out/dev.log" 2>&1 &
dev=$!
trap 'kill $dev 2>/dev/null; wait $dev 2>/dev/null' EXIT
for _ in $(seq 600); do grep -q "dev stack is up" "$out/dev.log" && break; sleep 1; done
echo "== teach $(date -u +%T)"; t0=$(date +%s)
s teach --file "$here/facts-heldout-200-239.txt" > "$out/teach.log" 2>&1; echo "teach rc=$? $(( $(date +%s) - t0 )) s"
echo "recalled raw right after: $(grep -cE '^  (NEW|UPDATE) .*\[recalled\]' "$out/teach.log")"; tail -1 "$out/teach.log"
for n in 1 2 3 4; do
  echo "== sleep $n $(date -u +%T)"; t0=$(date +%s)
  s sleep --wait > "$out/sleep$n.log" 2>&1; echo "sleep $n rc=$? $(( $(date +%s) - t0 )) s"
  grep -A6 "^run sleep" "$out/sleep$n.log"
done
s runs > "$out/runs.log" 2>&1
