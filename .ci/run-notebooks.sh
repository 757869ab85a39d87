#!/usr/bin/env bash
# Executes every notebook in notebooks/ headless and keeps the executed copies and their plots:
#   notebooks/target/executed/<name>.ipynb   the notebook with its outputs
#   notebooks/target/plots/<name>-<n>.png     every image the notebook displayed
# Fails if a cell raises, or if a notebook displays no plot at all.
#
# Kernel: rapaio-jupyter-kernel (a JShell kernel) from Maven Central, started through
# notebooks/kernel/ (two start-up races of its 3.0.1 mended there); runner: nbconvert from Debian apt.
# Classpath: the model-store module (built here) plus notebooks/pom.xml (xchart, slf4j).
#
# Data: the notebooks read SOMNUS_DATA_DIR. This script fills a fresh folder with
#   - $SOMNUS_NOTEBOOK_DATA_CMD <dir>  when that variable is set (e.g. "./somnus demo --data-dir"), or
#   - notebooks/sample/SampleLineage.java <dir>, a SYNTHETIC data set (the notebooks say so in their output).
# or uses SOMNUS_NOTEBOOK_DATA_DIR as it is when that is set.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

OUT=$ROOT/notebooks/target
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
log() { printf '\n== %s\n' "$*"; }

# ---------------------------------------------------------------- tools
need=()
command -v jupyter-nbconvert >/dev/null || need+=(jupyter-nbconvert)
/usr/bin/python3 -c 'import nbformat, nbclient' 2>/dev/null || need+=(python3-nbformat python3-nbclient)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing from apt: ${need[*]}"
  $sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null \
    || { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
fi

# ---------------------------------------------------------------- classpath
# Offline first; online (Maven Central) only when something is not in the local repository yet.
mvn_() { mvn -B -ntp -q -o "$@" >/dev/null 2>&1 || mvn -B -ntp -q "$@"; }
log "classpath"
# Packaged in the same run as the classpath is built: a run of the goal alone looks for the sibling modules (engine) in
# the local repository, where a clean machine has none. After the README's `mvn verify` it finds everything up to date.
mvn_ -pl model-store -am -DskipTests package dependency:build-classpath -Dmdep.includeScope=runtime \
  -Dmdep.outputFile="$WORK/cp-\${project.artifactId}.txt"
mvn_ -f notebooks/pom.xml dependency:build-classpath -Dmdep.outputFile="$WORK/cp-notebooks.txt"
mvn_ -f notebooks/pom.xml dependency:copy@kernel -DoutputDirectory="$WORK"
STORE_JAR=$(ls "$ROOT"/model-store/target/somnus-model-store-*.jar | grep -v -e sources -e tests | head -1)
CLASSPATH_COLON="$STORE_JAR:$(cat "$WORK/cp-somnus-model-store.txt"):$(cat "$WORK/cp-notebooks.txt")"

# ---------------------------------------------------------------- data
if [ -n "${SOMNUS_NOTEBOOK_DATA_DIR:-}" ]; then
  DATA=$SOMNUS_NOTEBOOK_DATA_DIR
  log "data: $DATA (given)"
else
  DATA=$WORK/data
  mkdir -p "$DATA"
  if [ -n "${SOMNUS_NOTEBOOK_DATA_CMD:-}" ]; then
    log "data: $SOMNUS_NOTEBOOK_DATA_CMD $DATA"
    # shellcheck disable=SC2086 # the command is a command line on purpose
    $SOMNUS_NOTEBOOK_DATA_CMD "$DATA"
  else
    log "data: SYNTHETIC sample (notebooks/sample/SampleLineage.java)"
    java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CLASSPATH_COLON" notebooks/sample/SampleLineage.java "$DATA"
  fi
fi

# ---------------------------------------------------------------- kernel
# The kernel starts through notebooks/kernel/: a launcher and a replacement LoopThread, compiled ahead of the
# kernel jar on its class path. Without them 13 of 100 starts hung on this 2-core machine with both cores busy
# (see KernelLauncher.java).
javac -nowarn -d "$WORK/kernel-patch" -cp "$WORK/rapaio-jupyter-kernel.jar" \
  notebooks/kernel/KernelLauncher.java notebooks/kernel/org/rapaio/jupyter/kernel/channels/LoopThread.java
KERNEL_CP="$WORK/kernel-patch:$WORK/rapaio-jupyter-kernel.jar"
# A private kernel spec: nothing is installed into the user's Jupyter folders.
export JUPYTER_PATH=$WORK/jupyter JUPYTER_DATA_DIR=$WORK/jupyter-data JUPYTER_RUNTIME_DIR=$WORK/jupyter-runtime
export JUPYTER_CONFIG_DIR=$WORK/jupyter-config IPYTHONDIR=$WORK/ipython
mkdir -p "$JUPYTER_PATH/kernels/somnus-java"
/usr/bin/python3 - "$KERNEL_CP" "${CLASSPATH_COLON//:/;}" "$JUPYTER_PATH/kernels/somnus-java/kernel.json" <<'EOF'
import json, sys
kernel_cp, classpath, target = sys.argv[1:4]
json.dump({
    "argv": ["java", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", kernel_cp, "KernelLauncher",
             "{connection_file}"],
    "display_name": "Java (Somnus)", "language": "java", "interrupt_mode": "message",
    # RJK_CLASSPATH entries are separated by ';'.
    "env": {"RJK_CLASSPATH": classpath, "RJK_COMPILER_OPTIONS": "", "RJK_INIT_SCRIPT": "", "RJK_TIMEOUT_MILLIS": "-1"},
}, open(target, "w"), indent=1)
EOF

# ---------------------------------------------------------------- execute
rm -rf "$OUT/executed" "$OUT/plots"
mkdir -p "$OUT/executed" "$OUT/plots"
status=0
for nb in notebooks/*.ipynb; do
  name=$(basename "$nb" .ipynb)
  log "executing $nb on $DATA"
  start=$(date +%s)
  execute() {
    SOMNUS_DATA_DIR=$DATA jupyter-nbconvert --to notebook --execute "$nb" \
      --ExecutePreprocessor.kernel_name=somnus-java --ExecutePreprocessor.timeout=900 \
      --ExecutePreprocessor.startup_timeout=120 \
      --output-dir "$OUT/executed" --output "$name.ipynb" >"$WORK/$name.log" 2>&1
  }
  ok=1
  execute || ok=0
  # A kernel that never answers its first request is not the notebook failing: start it once more, and only
  # once. (A normal start takes under 10 s here; the two races known to cause this are mended above, so
  # this is the guard for an unknown one.)
  if [ "$ok" = 0 ] && grep -q -e "Kernel died before replying to kernel_info" -e "Kernel didn't respond in" \
      "$WORK/$name.log"; then
    echo "$name: the kernel did not start; starting it once more" >&2
    ok=1
    execute || ok=0
  fi
  if [ "$ok" = 0 ]; then
    # the kernel's own complaints first (the runner's traceback would push them out of a plain tail)
    { grep -e SEVERE -e Exception "$WORK/$name.log" | head -20; grep -v -e '\[INFO' "$WORK/$name.log" | tail -30; } >&2
    echo "FAILED: $nb" >&2
    status=1
    continue
  fi
  /usr/bin/python3 - "$OUT/executed/$name.ipynb" "$OUT/plots" "$name" "$(( $(date +%s) - start ))" <<'EOF' || status=1
import base64, json, sys
path, plots, name, seconds = sys.argv[1:5]
nb = json.load(open(path))
images = 0
for cell in nb["cells"]:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            sys.exit(f"{name}: a cell raised {out.get('ename')}: {out.get('evalue')}")
        png = out.get("data", {}).get("image/png")
        if png:
            images += 1
            with open(f"{plots}/{name}-{images}.png", "wb") as f:
                f.write(base64.b64decode(png))
if images == 0:
    sys.exit(f"{name}: executed, but displayed no plot")
print(f"{name}: all cells ran in {seconds} s, {images} plots -> {plots}/{name}-*.png")
EOF
done
[ "$status" = 0 ] && log "notebooks OK: executed copies in $OUT/executed"
exit "$status"
