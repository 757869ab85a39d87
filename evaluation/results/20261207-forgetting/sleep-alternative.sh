#!/usr/bin/env bash
# One alternative through the product path: a copy of MODEL_DIR (weights linked) carrying SETTINGS_DIR's sleep.json /
# memit.json is imported with `dev up --base` into a fresh data folder, FACTS is taught (MEMIT), one sleep runs with a
# fixed run id (the LoRA seed derives from it) and no retry, and the tracked run is printed. The stack is stopped after.
#
#   sleep-alternative.sh NAME SETTINGS_DIR MODEL_ID MODEL_DIR FACTS RUN_ID
#   e.g. sleep-alternative.sh kl16 settings/kl16 somnus-tiny-test ~/.somnus/models/somnus-tiny-test-a5927114c262 \
#          facts/test-30-33.txt sleep-tune-1
#
# WORK (default /tmp/somnus-forgetting) holds the checkpoint copies, data folders and logs; SOMNUS_HOME as usual.
set -uo pipefail
NAME=$1; SETTINGS=$(cd "$2" && pwd); MODEL=$3; MODEL_DIR=$4; FACTS=$(realpath "$5"); RUN_ID=$6
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
WORK=${WORK:-/tmp/somnus-forgetting}; OUT=$WORK/out/$NAME; CK=$WORK/ckpt/$NAME
rm -rf "$CK" "$OUT"; mkdir -p "$CK" "$OUT"
for f in "$MODEL_DIR"/*; do b=$(basename "$f"); [[ $b == memit.json || $b == sleep.json ]] || ln -s "$f" "$CK/$b"; done
# the model's own memit.json unless the alternative brings one; sleep.json only from the alternative
[[ -f $SETTINGS/memit.json ]] && cp "$SETTINGS/memit.json" "$CK/" || { [[ -f $MODEL_DIR/memit.json ]] && cp "$MODEL_DIR/memit.json" "$CK/"; }
[[ -f $SETTINGS/sleep.json ]] && cp "$SETTINGS/sleep.json" "$CK/"
export SOMNUS_DATA_DIR=$WORK/data/$NAME; rm -rf "$SOMNUS_DATA_DIR"
cd "$ROOT"
./somnus --model "$MODEL" dev up --temporal-port 0 --s3-port 0 --base "$CK" --no-lifecycle > "$OUT/dev.log" 2>&1 &
DEV=$!
for _ in $(seq 1 120); do grep -q "dev stack is up" "$OUT/dev.log" && break; sleep 2; done
cpu() { awk '{print ($14+$15)/100}' /proc/$DEV/stat; }
c0=$(cpu)
./somnus --model "$MODEL" teach --file "$FACTS" > "$OUT/teach.log" 2>&1
t1=$(date +%s)
./somnus --model "$MODEL" sleep --wait --retries 0 --run-id "$RUN_ID" > "$OUT/sleep.log" 2>&1
echo "sleep wall $(( $(date +%s) - t1 ))s, dev-stack cpu $(echo "$(cpu) - $c0" | bc)s" | tee "$OUT/times"
./somnus --model "$MODEL" runs --metrics > "$OUT/runs.log" 2>&1
kill "$DEV"; wait "$DEV"
grep -A8 "^run " "$OUT/sleep.log"
