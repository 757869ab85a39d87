#!/bin/sh
# Builds Somnus inside the image's build stage and gathers the CLI's runtime classpath in $SOMNUS_LIB
# (default /opt/somnus/lib). With "cuda" it builds with the Maven profile cuda and fails unless DJL's CUDA
# libtorch jar is among the jars (and the CPU one is not): a GPU image that would silently run on the CPU
# is a build error, not a surprise on the GPU node.
#
#   infra/deploy/docker/build-lib.sh          # CPU image
#   infra/deploy/docker/build-lib.sh cuda     # CUDA image
set -eu
FLAVOUR=${1:-cpu}
LIB=${SOMNUS_LIB:-/opt/somnus/lib}
case "$FLAVOUR" in
  cpu) PROFILES="" ;;
  cuda) PROFILES="-Pcuda" ;;
  *) echo "build-lib.sh: unknown flavour '$FLAVOUR' (cpu or cuda)" >&2; exit 2 ;;
esac
# shellcheck disable=SC2086 # PROFILES is empty or one option
mvn -B -ntp -DskipTests $PROFILES install
# shellcheck disable=SC2086
mvn -B -ntp -o -q $PROFILES -pl cli dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIB"
cp cli/target/somnus-cli-*.jar "$LIB/"
cp infra/deploy/docker/entrypoint.sh "$(dirname "$LIB")/entrypoint.sh"

cuda_jars=$(find "$LIB" -name 'pytorch-native-cu*.jar' | wc -l)
cpu_jars=$(find "$LIB" -name 'pytorch-native-cpu*.jar' | wc -l)
if [ "$FLAVOUR" = cuda ] && { [ "$cuda_jars" -ne 1 ] || [ "$cpu_jars" -ne 0 ]; }; then
  echo "build-lib.sh: the CUDA image needs exactly one pytorch-native-cu* jar and no CPU one in $LIB;" \
       "found $cuda_jars CUDA and $cpu_jars CPU (is the Maven profile cuda still in the root pom.xml?)" >&2
  exit 1
fi
if [ "$FLAVOUR" = cpu ] && [ "$cpu_jars" -ne 1 ]; then
  echo "build-lib.sh: the CPU image needs exactly one pytorch-native-cpu jar in $LIB, found $cpu_jars" >&2
  exit 1
fi
echo "build-lib.sh: $FLAVOUR classpath in $LIB: $(ls "$LIB" | grep -c '\.jar$') jars, libtorch: $(cd "$LIB" && ls pytorch-native-*.jar)"
