#!/usr/bin/env bash
# Validates the deployment files offline (no Docker engine, no cluster, no internet beyond Maven Central):
#   1. yamllint on every compose and Kubernetes file;
#   2. compose: `docker-compose config` (Debian's docker-compose 1.29 validates the file against its schema
#      without talking to an engine), then infra/deploy/tools/check_compose.py (SOMNUS_* env on every Somnus
#      service, Dockerfile stages/sources, depends_on, GPU reservation);
#   3. Kubernetes: `kubectl kustomize` renders infra/k8s/base, then infra/k8s/tools/validate_manifests.py
#      checks every document strictly against Kubernetes schemas (fabric8's, from Maven Central) and the
#      KEDA ScaledObject schema, plus cross-references;
#   4. the GPU image: infra/deploy/tools/check_gpu_image.py reads which Maven profile the Dockerfile's
#      runtime-cuda stage is built with and fails unless that classpath carries DJL's CUDA libtorch (POMs only);
#   5. self-test: known-broken variants of both stacks and of the GPU image must be rejected, so a validator
#      that passes everything fails CI.
# Exit status is non-zero on the first failing step. Tools missing here are installed from Debian apt.
set -euo pipefail
cd "$(dirname "$0")/.."

FABRIC8_VERSION=6.13.4
PY=/usr/bin/python3 # Debian's interpreter: the apt python3-* modules live there, not in a pyenv/venv one.
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

log() { printf '\n== %s\n' "$*"; }

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing from apt: $*"
  $sudo apt-get install -y --no-install-recommends "$@" >/dev/null \
    || { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends "$@" >/dev/null; }
}

need=()
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v yamllint >/dev/null || need+=(yamllint)
$PY -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
$PY -c 'import jsonschema' 2>/dev/null || need+=(python3-jsonschema)
# kubectl is not packaged by Debian under that name; kubernetes-client provides one with kustomize built in.
command -v kubectl >/dev/null || need+=(kubernetes-client)
[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"

# The local repository Maven actually uses (.mvn/maven.config may move it away from ~/.m2); Maven 3.8 wraps -q
# output in colour codes even in batch mode.
M2_REPO=$(mvn -B -ntp -q help:evaluate -Dexpression=settings.localRepository -DforceStdout | sed 's/\x1b\[[0-9;]*m//g')
schema_jar() {
  local artifact=$1
  local jar="$M2_REPO/io/fabric8/$artifact/$FABRIC8_VERSION/$artifact-$FABRIC8_VERSION.jar"
  if [ ! -f "$jar" ]; then
    mvn -B -ntp -q dependency:get -Dartifact="io.fabric8:$artifact:$FABRIC8_VERSION" -Dtransitive=false >&2
  fi
  echo "$jar"
}
CORE_JAR=$(schema_jar kubernetes-model-core)
APPS_JAR=$(schema_jar kubernetes-model-apps)

COMPOSE=infra/deploy/compose.yaml
K8S_BASE=infra/k8s/base
KEDA_SCHEMA=infra/k8s/schemas/keda-scaledobject.schema.json

# Validates a compose file; returns non-zero when it is invalid.
check_compose() {
  local file=$1 out=$WORK/compose.normalised.yaml
  yamllint -c infra/deploy/yamllint.yaml "$file" \
    && docker-compose -f "$file" --profile gpu config >"$out" \
    && $PY infra/deploy/tools/check_compose.py "$out"
}

# Validates a kustomize directory; returns non-zero when any rendered document is invalid.
check_k8s() {
  local dir=$1 out=$WORK/k8s.rendered.yaml
  yamllint -c infra/deploy/yamllint.yaml "$dir" \
    && kubectl kustomize "$dir" >"$out" \
    && $PY infra/k8s/tools/validate_manifests.py --schema-jar "$CORE_JAR" --schema-jar "$APPS_JAR" \
         --crd-schema "$KEDA_SCHEMA" "$out"
}

log "compose: $COMPOSE"
check_compose "$COMPOSE"
log "kubernetes: $K8S_BASE"
check_k8s "$K8S_BASE"
log "GPU image: CUDA libtorch on the runtime-cuda classpath"
$PY infra/deploy/tools/check_gpu_image.py

# ---------------------------------------------------------------- self-test
# Each mutation is a sed expression applied to one file of a copy; the copy must be rejected.
expect_rejected() {
  local what=$1 kind=$2 file=$3 expr=$4 copy
  copy=$WORK/mutant
  rm -rf "$copy" && mkdir -p "$copy"
  cp -r infra "$copy/"
  sed -i "$expr" "$copy/$file"
  if cmp -s "infra/${file#infra/}" "$copy/$file"; then
    echo "self-test '$what': the mutation changed nothing in $file" >&2
    return 1
  fi
  local log_file=$WORK/mutant.log
  if [ "$kind" = compose ]; then
    (cd "$copy" && check_compose_copy) >"$log_file" 2>&1 && ok=1 || ok=0
  elif [ "$kind" = gpu ]; then
    $PY infra/deploy/tools/check_gpu_image.py --dockerfile "$copy/$file" >"$log_file" 2>&1 && ok=1 || ok=0
  else
    check_k8s "$copy/infra/k8s/base" >"$log_file" 2>&1 && ok=1 || ok=0
  fi
  if [ "$ok" = 1 ]; then
    echo "self-test FAILED: '$what' was accepted" >&2
    cat "$log_file" >&2
    return 1
  fi
  printf '  rejected as expected: %-58s -> %s\n' "$what" "$(grep -v '^$' "$log_file" | grep -v -e ' 0 problem' -e 'invalid because:$' | head -1 | cut -c1-110)"
}
# The mutated compose file lives in a copy of infra/, where the build contexts resolve inside the copy.
check_compose_copy() {
  local out=normalised.yaml
  yamllint -c infra/deploy/yamllint.yaml infra/deploy/compose.yaml \
    && docker-compose -f infra/deploy/compose.yaml --profile gpu config >"$out" \
    && $PY "$OLDPWD/infra/deploy/tools/check_compose.py" "$out"
}

log "self-test: broken variants must be rejected"
expect_rejected "compose: unknown service key"            compose infra/deploy/compose.yaml 's/^    ports:/    portz:/'
expect_rejected "compose: bad depends_on condition"       compose infra/deploy/compose.yaml '0,/condition: service_healthy/s//condition: service_ready/'
expect_rejected "compose: worker loses SOMNUS_S3_ENDPOINT" compose infra/deploy/compose.yaml '/SOMNUS_S3_ENDPOINT:/d'
expect_rejected "compose: build target not in Dockerfile" compose infra/deploy/compose.yaml 's/target: runtime-cuda/target: runtime-gpu/'
expect_rejected "compose: GPU worker without reservation" compose infra/deploy/compose.yaml 's/driver: nvidia/driver: amd/'
expect_rejected "compose: YAML syntax error"              compose infra/deploy/compose.yaml 's/^services:/services/'
expect_rejected "k8s: misspelled Deployment field"        k8s infra/k8s/base/wake.yaml 's/^  replicas: 1/  replica: 1/'
expect_rejected "k8s: malformed quantity"                 k8s infra/k8s/base/worker-gpu.yaml 's/memory: 48Gi/memory: 48GB/'
expect_rejected "k8s: env value not a string"             k8s infra/k8s/base/worker-gpu.yaml 's/value: gpu/value: 1/'
expect_rejected "k8s: GPU request without equal limit"    k8s infra/k8s/base/worker-gpu.yaml '0,/nvidia.com\/gpu: 1/s//nvidia.com\/gpu: 2/'
expect_rejected "k8s: Service targetPort not declared"    k8s infra/k8s/base/wake.yaml 's/targetPort: http/targetPort: web/'
expect_rejected "k8s: selector misses template labels"    k8s infra/k8s/base/worker-cpu.yaml '0,/      app.kubernetes.io\/name: somnus-worker-cpu/s//      app.kubernetes.io\/name: somnus-worker/'
expect_rejected "k8s: ScaledObject targets unknown name"  k8s infra/k8s/base/autoscaling.yaml '0,/    name: somnus-worker-gpu/s//    name: somnus-gpu-worker/'
expect_rejected "k8s: temporal trigger key misspelled"    k8s infra/k8s/base/autoscaling.yaml '0,/taskQueue: gpu/s//taskqueue: gpu/'
expect_rejected "k8s: envFrom ConfigMap missing"          k8s infra/k8s/base/kustomization.yaml '/  - config.yaml/d'
expect_rejected "GPU image: built without the cuda profile"  gpu infra/deploy/docker/Dockerfile 's/build-lib.sh cuda/build-lib.sh/'
expect_rejected "GPU image: copies the CPU build"           gpu infra/deploy/docker/Dockerfile 's/COPY --from=build-cuda/COPY --from=build-cpu/'
expect_rejected "GPU image: CUDA base older than the jar"   gpu infra/deploy/docker/Dockerfile 's#nvidia/cuda:12.4.1#nvidia/cuda:12.1.1#'

log "infra valid: compose, Kubernetes manifests and the GPU image's classpath pass; 18 broken variants rejected"
