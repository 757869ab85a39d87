#!/usr/bin/env bash
# The GPU device check, in one command on a machine with an NVIDIA GPU, a Python torch, g++, and no Java: loads the
# engine on the GPU with the machine's own libtorch, runs the engine benchmark, then times a forward pass, decode, a
# MEMIT edit and a LoRA step on a Llama-3.2-1B-shaped model (random weights) in the engine and in plain PyTorch
# (float32 and bfloat16), and prints the ratios and peak GPU memory. Needs .gpu-bundle/ (scripts/gpu/bundle.sh).
#
#   scripts/gpu/device-check.sh            # on the GPU machine; logs and JSON under $OUT (default target/device-check)
#   scripts/gpu/device-check.sh --cpu      # rehearsal without a GPU: the same steps on the CPU, small shape
#
# Steps: 1 the machine; 2 the JRE; 3 DJL's prebuilt JNI library against this torch (LD_BIND_NOW, so a symbol
# mismatch fails at load instead of at the first call that needs it); 4 unless it binds, DJL's JNI built from source
# against this torch (build-djl-jni.sh); 5 DeviceProbe: what DJL loaded, one product on the device; 6 the engine
# benchmark; 7 SleepStepBenchmark; 8 torch_reference.py in float32 and bfloat16; 9 the comparison.
#
# Environment: PYTHON (default python3: the one with torch), OUT, SHAPE_ARGS (SleepStepBenchmark's shape and sizes,
# default the 1B shape), SOMNUS_JNI=prebuilt|source|auto (default auto), SOMNUS_JNI_LIB (a libdjl_torch.so built
# earlier against the same torch: skips the build), SOMNUS_BENCH_MAIN / SOMNUS_BENCH_ARGS
# (the engine benchmark's entry point and arguments: the seam for a benchmark that takes shapes; default
# io.somnus.engine.bench.EngineBenchmark --reps 3), JAVA_HEAP (default 32g).
set -uo pipefail
cd "$(dirname "$0")/../.."
MODE=gpu
[ "${1:-}" = --cpu ] && MODE=cpu
OUT=${OUT:-target/device-check}   # six files come back: the log, prebuilt-jni.log, three result JSONs, comparison.txt
mkdir -p "$OUT"
SCRATCH=$(mktemp -d)               # everything else (the device tool returns at most 8 files)
exec > >(tee "$OUT/device-check.log") 2>&1
PYTHON=${PYTHON:-python3}
BUNDLE=.gpu-bundle
T0=$(date +%s)
log() { printf '\n== [%4ds] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() { echo "device-check: $*" >&2; exit 1; }
[ -f "$BUNDLE/jre.tar.gz" ] || die "$BUNDLE/jre.tar.gz is missing: run scripts/gpu/bundle.sh here first and carry $BUNDLE"

log "1 machine ($MODE mode)"
if [ "$MODE" = gpu ]; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || die "nvidia-smi failed: no GPU here (use --cpu)"
  nvidia-smi | grep -o 'CUDA Version: [0-9.]*' || true
fi
echo "CPU: $(nproc) cores; $(free -g | awk '/Mem:/ {print $2 " GiB memory"}'); g++: $(g++ -dumpfullversion 2>/dev/null || echo none)"
read -r TORCH_VERSION TORCH_LIB TORCH_CUDA TORCH_SITE < <("$PYTHON" -c 'import os, torch
print(torch.__version__, os.path.join(os.path.dirname(torch.__file__), "lib"), torch.version.cuda or "none",
      os.path.dirname(os.path.dirname(torch.__file__)))') || die "$PYTHON has no torch"
echo "torch $TORCH_VERSION, CUDA $TORCH_CUDA, at $TORCH_LIB"
[ "$MODE" = cpu ] || [ "$TORCH_CUDA" != none ] || die "this torch has no CUDA"
TORCH_BASE=${TORCH_VERSION%%+*}                        # 2.11.0+cu130 -> 2.11.0
FLAVOR=cpu; [ "$TORCH_CUDA" != none ] && FLAVOR=cu$(echo "$TORCH_CUDA" | tr -d .)   # 13.0 -> cu130
DEVICE=$MODE
# DJL finds the GPU count and memory through libcudart (JNA); a pip torch keeps it next to itself.
for d in "$TORCH_SITE"/nvidia/*/lib; do   # nvidia/cu13/lib for CUDA 13 wheels, nvidia/cuda_runtime/lib before
  compgen -G "$d/libcudart.so*" >/dev/null && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
done

log "2 JRE"
JRE=$SCRATCH/jre
tar -xzf "$BUNDLE/jre.tar.gz" -C "$SCRATCH"
JAVA="$JRE/bin/java"
"$JAVA" -version 2>&1 | head -1
CP="$BUNDLE/lib/*"
CACHE=$SCRATCH/djl-cache
JAVA_OPTS=(-Xmx"${JAVA_HEAP:-32g}" -Dai.djl.offline=true -DDJL_CACHE_DIR="$CACHE" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn)
# Test and example libraries of the pip wheel that DJL would otherwise load with the rest of the folder.
export PYTORCH_LIBRARY_PATH=$TORCH_LIB \
  PYTORCH_LIBRARY_EXCLUSION=libjitbackend_test.so,libtorchbind_test.so,libbackend_with_compiler.so,libaoti_custom_ops.so
java_run() { "$JAVA" "${JAVA_OPTS[@]}" -cp "$CP" "$@"; }
DJL_VERSION=$(ls "$BUNDLE"/lib/pytorch-engine-*.jar | sed 's/.*pytorch-engine-\(.*\)\.jar/\1/')
PREBUILT_TORCH=$(ls "$BUNDLE"/lib/pytorch-jni-*.jar | sed 's/.*pytorch-jni-\([0-9.]*\)-.*/\1/')

# auto: DJL's prebuilt library only for the libtorch version it was built for; for another version it is tried
# (and the result recorded) but the measurements use one built against this torch, since a library that binds
# can still disagree with that torch on what its structures look like.
JNI=${SOMNUS_JNI:-auto}
if [ "$JNI" != source ]; then
  prebuilt_flavor=$FLAVOR; [ "$FLAVOR" != cpu ] && prebuilt_flavor=cu128   # the only CUDA JNI in pytorch-jni
  log "3 DJL's prebuilt JNI library (libtorch $PREBUILT_TORCH, $prebuilt_flavor) against torch $TORCH_VERSION"
  if LD_BIND_NOW=1 PYTORCH_VERSION=$PREBUILT_TORCH PYTORCH_FLAVOR=$prebuilt_flavor java_run io.somnus.engine.bench.DeviceProbe \
      --device "$DEVICE" >"$OUT/prebuilt-jni.log" 2>&1; then
    grep -v -e '^\s*at ' -e '^\s*\.\.\. [0-9]* more' "$OUT/prebuilt-jni.log"
    echo "prebuilt JNI: binds and computes"
    [ "$JNI" = auto ] && [ "$TORCH_BASE" = "$PREBUILT_TORCH" ] && JNI=prebuilt
  else
    grep -v -e '^\s*at ' -e '^\s*\.\.\. [0-9]* more' "$OUT/prebuilt-jni.log" | head -20
    echo "prebuilt JNI: does not work against torch $TORCH_VERSION ($(grep -o 'undefined symbol: [^ ]*' "$OUT/prebuilt-jni.log" | head -1))"
    [ "$JNI" = prebuilt ] && die "SOMNUS_JNI=prebuilt but it does not load"
  fi
  [ "$JNI" = prebuilt ] || JNI=source
fi
if [ "$JNI" = source ]; then
  log "4 DJL $DJL_VERSION JNI library built from source against torch $TORCH_VERSION"
  JNI_DIR="$CACHE/pytorch/$TORCH_BASE-$FLAVOR-linux-x86_64"   # where DJL looks for <djl version>-libdjl_torch.so
  if [ -n "${SOMNUS_JNI_LIB:-}" ]; then   # one built earlier against this same torch (a rehearsal's re-run)
    mkdir -p "$JNI_DIR" && cp "$SOMNUS_JNI_LIB" "$JNI_DIR/$DJL_VERSION-libdjl_torch.so" && echo "using $SOMNUS_JNI_LIB"
  else
    PYTHON=$PYTHON scripts/gpu/build-djl-jni.sh "$BUNDLE/djl-src" "$JNI_DIR/$DJL_VERSION-libdjl_torch.so" \
      || die "the JNI library did not build against torch $TORCH_VERSION"
  fi
  export PYTORCH_VERSION=$TORCH_BASE PYTORCH_FLAVOR=$FLAVOR
else
  export PYTORCH_VERSION=$PREBUILT_TORCH PYTORCH_FLAVOR=$prebuilt_flavor
fi

log "5 DeviceProbe --device $DEVICE (PYTORCH_VERSION=$PYTORCH_VERSION PYTORCH_FLAVOR=$PYTORCH_FLAVOR)"
java_run io.somnus.engine.bench.DeviceProbe --device "$DEVICE" || die "the engine cannot compute on $DEVICE"
if [ "$MODE" = cpu ]; then
  echo "-- and SOMNUS_DEVICE=gpu here must fail, saying why:"
  if SOMNUS_DEVICE=gpu java_run io.somnus.engine.bench.DeviceProbe 2>&1 | grep -v -e '^\s*at ' -e '^\s*\.\.\. [0-9]* more'; then
    die "SOMNUS_DEVICE=gpu succeeded on a machine without a GPU"
  fi
fi

# Peak device memory of a command: nvidia-smi sampled every 100 ms, the whole device (nothing else runs there).
peak_gpu() {
  local name=$1; shift
  if [ "$MODE" = gpu ]; then
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 >"$SCRATCH/$name.gpumem" &
    local sampler=$!
    "$@"; local rc=$?
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
    echo "$name: peak GPU memory used $(sort -n "$SCRATCH/$name.gpumem" | tail -1) MiB (nvidia-smi)"
    return $rc
  fi
  "$@"
}

log "6 engine benchmark (${SOMNUS_BENCH_MAIN:-io.somnus.engine.bench.EngineBenchmark})"
# Seam: point SOMNUS_BENCH_MAIN/ARGS at the benchmark that takes shapes once it lands.
# shellcheck disable=SC2086
peak_gpu engine-benchmark java_run "${SOMNUS_BENCH_MAIN:-io.somnus.engine.bench.EngineBenchmark}" --device "$DEVICE" \
  ${SOMNUS_BENCH_ARGS:---reps 3} || echo "device-check: the engine benchmark failed (continuing)"

DEFAULT_SHAPE="--shape llama-1b --batch 8 --prompt 128 --decode 32 --reps 5 --facts 4 --v-steps 40 --memit-reps 2 --lora-steps 12"
[ "$MODE" = cpu ] && DEFAULT_SHAPE="--shape tiny --batch 4 --prompt 64 --decode 8 --reps 3 --facts 2 --v-steps 10 --memit-reps 1 --lora-steps 4"
log "7 SleepStepBenchmark ${SHAPE_ARGS:-$DEFAULT_SHAPE}"
# shellcheck disable=SC2086
peak_gpu engine java_run io.somnus.engine.bench.SleepStepBenchmark --device "$DEVICE" ${SHAPE_ARGS:-$DEFAULT_SHAPE} \
  --workload "$SCRATCH/workload.json" --results "$OUT/engine.json" || die "SleepStepBenchmark failed"

TORCH_DEVICE=cuda; [ "$MODE" = cpu ] && TORCH_DEVICE=cpu
for dtype in float32 bfloat16; do
  log "8 plain PyTorch, $dtype"
  PYTHONUNBUFFERED=1 peak_gpu "torch-$dtype" "$PYTHON" scripts/gpu/torch_reference.py --workload "$SCRATCH/workload.json" \
    --device "$TORCH_DEVICE" --dtype "$dtype" --results "$OUT/torch-$dtype.json" || echo "device-check: torch $dtype failed"
done

log "9 engine vs PyTorch"
for name in engine torch-float32 torch-bfloat16; do   # the sampled peaks go into the results
  [ -f "$SCRATCH/$name.gpumem" ] && [ -f "$OUT/$name.json" ] && "$PYTHON" - "$OUT/$name.json" "$SCRATCH/$name.gpumem" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["gpu_peak_used_mib"] = max(float(x) for x in open(sys.argv[2]) if x.strip())
json.dump(r, open(sys.argv[1], "w"), indent=2)
EOF
done
"$PYTHON" scripts/gpu/compare.py "$OUT/engine.json" "$OUT"/torch-*.json | tee "$OUT/comparison.txt"
log "done; logs and JSON in $OUT"
