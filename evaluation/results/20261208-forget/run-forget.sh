#!/usr/bin/env bash
# Forgetting consolidated facts through the CLI (issue #36): 40 held-out somnus-tiny facts (indices 240-279, never used
# for tuning) in one `teach --file`, three `sleep --wait`, then `forget` of 20 facts at stage 3 and two more sleeps;
# ForgetProbe.java measures raw and chat answers of the 40 facts on the base model and after every step.
#   evaluation/results/20261208-forget/run-forget.sh OUT_DIR      (from the root of a built clean clone; OUT_DIR new)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=${1:?give a new folder for the logs and the data}
[[ -e "$out" ]] && { echo "$out exists; give a new folder" >&2; exit 2; }
mkdir -p "$out"
cd "$root"
cp="$(cat cli/target/classpath.txt):cli/target/classes"
s() { ./somnus --data-dir "$out/data" "$@"; }
probe() { java -cp "$cp" "$here/ForgetProbe.java" "$out/data" 240 280 "$@"; }
( exec ./somnus --data-dir "$out/data" dev up --temporal-port 0 --s3-port 0 --no-lifecycle ) > "$out/dev.log" 2>&1 &
dev=$!
trap 'kill $dev 2>/dev/null; wait $dev 2>/dev/null' EXIT
for _ in $(seq 600); do grep -q "dev stack is up" "$out/dev.log" && break; sleep 1; done
java -cp "$cp" "$root/evaluation/results/20261207-cli-40-facts/HeldOut.java" 240 280 > "$out/facts.txt"
probe --base > "$out/probe-base.txt"; tail -2 "$out/probe-base.txt" | head -1
echo "== teach $(date -u +%T)"; t0=$(date +%s)
s teach --file "$out/facts.txt" > "$out/teach.log" 2>&1; echo "teach rc=$? $(( $(date +%s) - t0 )) s"; tail -1 "$out/teach.log"
sleep_and_probe() {
  echo "== sleep $1 $(date -u +%T)"; t0=$(date +%s)
  s sleep --wait > "$out/sleep$1.log" 2>&1; echo "sleep $1 rc=$? $(( $(date +%s) - t0 )) s"
  grep -A8 "^run sleep" "$out/sleep$1.log"
  probe > "$out/probe-after-sleep$1.txt"; tail -2 "$out/probe-after-sleep$1.txt" | head -1
}
for n in 1 2 3; do sleep_and_probe $n; done
ids=$(grep '^stage3:' "$out/probe-after-sleep3.txt" | cut -d' ' -f2- | tr ' ' '\n' | head -20 | tr '\n' ' ')
echo "$ids" | tr ' ' '\n' | grep -v '^$' > "$out/forgotten-ids.txt"
echo "== forget $(wc -l < "$out/forgotten-ids.txt") stage-3 facts $(date -u +%T)"; t0=$(date +%s)
s forget $ids > "$out/forget.log" 2>&1; echo "forget rc=$? $(( $(date +%s) - t0 )) s"; tail -1 "$out/forget.log"
probe > "$out/probe-after-forget.txt"; tail -2 "$out/probe-after-forget.txt" | head -1
for n in 4 5; do sleep_and_probe $n; done
s lineage fact "$(head -1 "$out/forgotten-ids.txt")" > "$out/lineage-forgotten.txt" 2>&1
s runs > "$out/runs.log" 2>&1
