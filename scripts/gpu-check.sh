#!/usr/bin/env bash
# Device check: runs the engine benchmark (and, if configured, a small sleep) on the CPU and on the GPU and
# prints the timings side by side. On a machine without an NVIDIA GPU it runs the CPU half and says so.
#
#   scripts/gpu-check.sh                       # from the repository root
#
# How libtorch with CUDA is found (first that applies; see infra/README.md, "GPU path"):
#   1. PYTORCH_LIBRARY_PATH already set: a libtorch 2.7.1 CUDA build's lib/ folder (libtorch zip or a
#      pip-installed torch/lib). DJL loads it instead of the CPU natives; the matching JNI library
#      (flavor cu128) comes from the pytorch-jni jar already on the classpath.
#   2. a Python torch 2.7.x with CUDA importable by $PYTHON (default python3): its torch/lib is used as in 1.
#   3. SOMNUS_MAVEN_PROFILE=cuda: the classpath is built with `mvn -Pcuda` (DJL's CUDA native jar from Maven
#      Central; the profile must exist in the POM).
#
# Knobs (environment):
#   SOMNUS_BENCH_CMD     command that runs the benchmark, given --device cpu|gpu (default: java on the engine
#                        classpath with main class io.somnus.engine.bench.EngineBenchmark; e.g. "./somnus bench")
#   SOMNUS_BENCH_ARGS    extra benchmark arguments (default: --reps 5)
#   SOMNUS_SLEEP_CMD     optional command for one small sleep, run once with SOMNUS_DEVICE=cpu and once with
#                        SOMNUS_DEVICE=gpu and timed (e.g. "./somnus sleep --demo"); skipped when unset
#   SOMNUS_LIB_DIR       folder of jars to use instead of asking Maven (for a machine without Maven access)
#   GPU_CHECK_OUT        where logs go (default: target/gpu-check)
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${GPU_CHECK_OUT:-target/gpu-check}
mkdir -p "$OUT"
BENCH_ARGS=${SOMNUS_BENCH_ARGS:---reps 5}
PYTHON=${PYTHON:-python3}
log() { printf '\n== %s\n' "$*"; }

# ---------------------------------------------------------------- the machine
GPU=0
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  GPU=1
  log "GPU"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  nvidia-smi | grep -o 'CUDA Version: [0-9.]*' || true
else
  log "no NVIDIA GPU visible (nvidia-smi missing or failing): CPU timings only"
fi
echo "CPU: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
command -v java >/dev/null || { echo "java not found: install a JDK 17" >&2; exit 1; }

# ---------------------------------------------------------------- libtorch with CUDA
PROFILE_ARGS=()
if [ "$GPU" = 1 ]; then
  if [ -n "${PYTORCH_LIBRARY_PATH:-}" ]; then
    echo "libtorch: PYTORCH_LIBRARY_PATH=$PYTORCH_LIBRARY_PATH"
  elif [ "${SOMNUS_MAVEN_PROFILE:-}" = cuda ]; then
    PROFILE_ARGS=(-Pcuda)
    echo "libtorch: DJL CUDA native jar via the Maven profile 'cuda'"
  elif torch_info=$($PYTHON -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"), torch.__version__, torch.version.cuda or "")' 2>/dev/null); then
    read -r torch_lib torch_version torch_cuda <<<"$torch_info"
    echo "libtorch: Python torch $torch_version (CUDA ${torch_cuda:-none}) at $torch_lib"
    case "$torch_version" in
      2.7.*) ;;
      *) echo "warning: DJL 0.35.1's JNI library is built for torch 2.7.1; torch $torch_version may not load" >&2 ;;
    esac
    [ -n "$torch_cuda" ] || echo "warning: this torch has no CUDA support" >&2
    export PYTORCH_LIBRARY_PATH=$torch_lib
  else
    echo "no CUDA libtorch found: set PYTORCH_LIBRARY_PATH, install torch==2.7.1 (CUDA 12.8) for $PYTHON," >&2
    echo "or build with SOMNUS_MAVEN_PROFILE=cuda. Running the CPU half only." >&2
    GPU=0
  fi
  if [ -n "${PYTORCH_LIBRARY_PATH:-}" ]; then
    # DJL reads these for an external libtorch: the version selects the JNI build, the flavor its CUDA variant.
    export PYTORCH_VERSION=${PYTORCH_VERSION:-2.7.1} PYTORCH_FLAVOR=${PYTORCH_FLAVOR:-cu128}
    echo "DJL: PYTORCH_VERSION=$PYTORCH_VERSION PYTORCH_FLAVOR=$PYTORCH_FLAVOR"
  fi
fi

# ---------------------------------------------------------------- benchmark command
if [ -z "${SOMNUS_BENCH_CMD:-}" ]; then
  if [ -n "${SOMNUS_LIB_DIR:-}" ]; then
    CP="$SOMNUS_LIB_DIR/*"
  else
    log "classpath (mvn ${PROFILE_ARGS[*]:-})"
    mvn_() { mvn -B -ntp -q -o "$@" 2>/dev/null || mvn -B -ntp -q "$@"; }
    mvn_ "${PROFILE_ARGS[@]}" -pl engine -DskipTests package
    mvn_ "${PROFILE_ARGS[@]}" -pl engine dependency:build-classpath -Dmdep.includeScope=runtime \
      -Dmdep.outputFile="$PWD/$OUT/engine.classpath"
    CP="engine/target/classes:$(cat "$OUT/engine.classpath")"
  fi
  SOMNUS_BENCH_CMD="java -Xmx16g -Dai.djl.offline=true -cp $CP io.somnus.engine.bench.EngineBenchmark"
fi

run_bench() {
  local device=$1 log_file=$OUT/bench-$1.log
  log "engine benchmark on $device"
  # shellcheck disable=SC2086 # command lines on purpose
  SOMNUS_DEVICE=$device $SOMNUS_BENCH_CMD --device "$device" $BENCH_ARGS 2>&1 | tee "$log_file"
}
run_bench cpu
[ "$GPU" = 1 ] && run_bench gpu

# ---------------------------------------------------------------- small sleep
SLEEP_CPU="" SLEEP_GPU=""
if [ -n "${SOMNUS_SLEEP_CMD:-}" ]; then
  for device in cpu gpu; do
    [ "$device" = gpu ] && [ "$GPU" != 1 ] && continue
    log "small sleep on $device: $SOMNUS_SLEEP_CMD"
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    SOMNUS_DEVICE=$device $SOMNUS_SLEEP_CMD 2>&1 | tee "$OUT/sleep-$device.log"
    seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    [ "$device" = cpu ] && SLEEP_CPU=$seconds || SLEEP_GPU=$seconds
  done
else
  log "small sleep skipped (set SOMNUS_SLEEP_CMD, e.g. \"./somnus sleep --demo\")"
fi

# ---------------------------------------------------------------- side by side
log "CPU vs GPU (median ms)"
python_cmd=$(command -v python3 || true)
if [ -n "$python_cmd" ]; then
  "$python_cmd" - "$OUT/bench-cpu.log" "$OUT/bench-gpu.log" "$SLEEP_CPU" "$SLEEP_GPU" <<'EOF'
import os, re, sys
cpu_log, gpu_log, sleep_cpu, sleep_gpu = sys.argv[1:5]
LINE = re.compile(r"^\s+(.*?)\s+median\s+([0-9.]+) ms")
def medians(path):
    out, section = {}, ""
    if not os.path.exists(path):
        return out
    for line in open(path):
        if line.startswith("== "):
            section = line.strip("= \n").rsplit(":", 1)[0]
        m = LINE.match(line)
        if m:
            out[(section, m.group(1))] = float(m.group(2))
    return out
cpu, gpu = medians(cpu_log), medians(gpu_log)
print(f"{'measurement':<70} {'cpu':>10} {'gpu':>10} {'speed-up':>9}")
section = None
for key, c in cpu.items():
    if key[0] != section:
        section = key[0]
        print(section)
    g = gpu.get(key)
    ratio = f"{c / g:>8.1f}x" if g else f"{'-':>9}"
    print(f"  {key[1][:68]:<68} {c:>10.2f} {(f'{g:.2f}' if g is not None else '-'):>10} {ratio}")
if sleep_cpu:
    ratio = f"{float(sleep_cpu) / float(sleep_gpu):>8.1f}x" if sleep_gpu else f"{'-':>9}"
    print(f"{'small sleep (wall seconds)':<70} {float(sleep_cpu):>10.1f} {(sleep_gpu or '-'):>10} {ratio}")
EOF
fi
echo "logs: $OUT/"
