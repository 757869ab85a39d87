#!/usr/bin/env bash
# Correcting and forgetting consolidated facts through the CLI (issue #36). 40 held-out somnus-tiny facts (FROM..FROM+40,
# never used for tuning) in one `teach --file`, three `sleep --wait`; then, in one `teach`, 10 consolidated taught facts
# and 10 facts the base model knows get new values ("Actually, …", "… moved to …"), `forget` takes 10 other consolidated
# facts, and two more sleeps follow. FactProbe measures each group on the base model and after every step.
#   evaluation/results/20261208-forget/run-update-forget.sh OUT_DIR FROM     (from the root of a built clean clone)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=${1:?give a new folder for the logs and the data}
from=${2:?give the first held-out index}
[[ -e "$out" ]] && { echo "$out exists; give a new folder" >&2; exit 2; }
mkdir -p "$out"
cd "$root"
cp="$(cat cli/target/classpath.txt):cli/target/classes"
s() { ./somnus --data-dir "$out/data" "$@"; }
probe() { java -cp "$cp" "$here/FactProbe.java" "$out/data" "$@" 2>/dev/null | grep -v '^\[main\]'; }
summary() { tail -2 "$1" | head -1; }
( exec ./somnus --data-dir "$out/data" dev up --temporal-port 0 --s3-port 0 --no-lifecycle ) > "$out/dev.log" 2>&1 &
dev=$!
trap 'kill $dev 2>/dev/null; wait $dev 2>/dev/null' EXIT
for _ in $(seq 600); do grep -q "dev stack is up" "$out/dev.log" && break; sleep 1; done
java -cp "$cp" "$root/evaluation/results/20261207-cli-40-facts/HeldOut.java" "$from" $((from + 40)) > "$out/facts.txt" 2> "$out/held-out.err"
[[ $(grep -c . "$out/facts.txt") -eq 40 ]] || { echo "no 40 held-out facts from $from (there are 300): see $out/held-out.err" >&2; exit 2; }
probe "$out/facts.txt" --base > "$out/probe-base.txt"; summary "$out/probe-base.txt"
echo "== teach $(date -u +%T)"; t0=$(date +%s)
s teach --file "$out/facts.txt" > "$out/teach.log" 2>&1; echo "teach rc=$? $(( $(date +%s) - t0 )) s"; tail -1 "$out/teach.log"
sleep_once() {
  echo "== sleep $1 $(date -u +%T)"; t0=$(date +%s)
  s sleep --wait > "$out/sleep$1.log" 2>&1; echo "sleep $1 rc=$? $(( $(date +%s) - t0 )) s"
  grep -A8 "^run sleep" "$out/sleep$1.log"
}
for n in 1 2 3; do sleep_once $n; done
probe "$out/facts.txt" > "$out/probe-after-sleep3.txt"; summary "$out/probe-after-sleep3.txt"
java -cp "$cp" "$here/UpdatePlan.java" "$out/data" "$out/facts.txt" "$out/plan" 2>/dev/null | grep -v '^\[main\]'
for g in old-taught new-taught old-known new-known forgotten untouched; do probe "$out/plan/$g.txt" --base > "$out/plan/probe-base-$g.txt"; done
echo "== update $(date -u +%T)"; t0=$(date +%s)
s teach --file "$out/plan/update.txt" > "$out/update.log" 2>&1; echo "update rc=$? $(( $(date +%s) - t0 )) s"; tail -2 "$out/update.log"
echo "== forget $(date -u +%T)"; t0=$(date +%s)
s forget $(cat "$out/plan/forget-ids.txt") > "$out/forget.log" 2>&1; echo "forget rc=$? $(( $(date +%s) - t0 )) s"; tail -1 "$out/forget.log"
measure() {
  for g in old-taught new-taught old-known new-known forgotten untouched; do
    probe "$out/plan/$g.txt" > "$out/plan/probe-$1-$g.txt"; echo "$1 $g: $(summary "$out/plan/probe-$1-$g.txt")"
  done
}
measure after-wake
for n in 4 5; do sleep_once $n; measure after-sleep$n; done
s lineage fact "$(head -1 "$out/plan/forget-ids.txt")" > "$out/lineage-forgotten.txt" 2>&1
s runs > "$out/runs.log" 2>&1
