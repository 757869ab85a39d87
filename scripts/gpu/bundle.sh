#!/usr/bin/env bash
# Prepares .gpu-bundle/ (git-ignored) for a device check on a machine with no Java and no network: a jlink'd JRE,
# the engine's jars without libtorch (libtorch comes from the machine's own Python torch), and DJL's JNI sources with
# their headers, in case DJL's prebuilt JNI library does not bind against that torch (scripts/gpu/build-djl-jni.sh).
# Run it here, on a machine with a JDK 17 (with jmods), Maven, and DJL's source (the search tool's
# `fetch github:deepjavalibrary/djl`, or DJL_SRC=a clone); then carry .gpu-bundle with the device call
# (see scripts/gpu/README.md).
#
#   scripts/gpu/bundle.sh            # builds the engine, then the bundle; prints its size and contents
#
# Environment: DJL_SRC (default /work/.mirror/deepjavalibrary+djl/repo), JAVA_HOME (default: the javac on PATH),
# BUNDLE_LIMIT_MIB (default 48: the device call carries 64 MiB with the working tree).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUNDLE=.gpu-bundle
DJL_SRC=${DJL_SRC:-/work/.mirror/deepjavalibrary+djl/repo}
LIMIT_MIB=${BUNDLE_LIMIT_MIB:-48}
JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}
log() { printf '== %s\n' "$*"; }
# A POM property or setting; Maven 3.8 wraps -q output in colour codes even in batch mode.
mvn_eval() { mvn -B -ntp -q help:evaluate -Dexpression="$1" -DforceStdout | sed 's/\x1b\[[0-9;]*m//g'; }

[ -d "$JAVA_HOME/jmods" ] || { echo "bundle.sh: $JAVA_HOME has no jmods/ for jlink (install the full JDK 17)" >&2; exit 1; }
git -C "$DJL_SRC" rev-parse --git-dir >/dev/null 2>&1 \
  || { echo "bundle.sh: DJL_SRC=$DJL_SRC is not a git repository of DJL (fetch github:deepjavalibrary/djl)" >&2; exit 1; }

rm -rf "$BUNDLE" && mkdir -p "$BUNDLE/lib" "$BUNDLE/djl-src/include"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

log "engine jar and its runtime classpath (default DJL pair)"
mvn -B -ntp -q -pl engine -am -DskipTests package
mvn -B -ntp -q -pl engine dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile="$WORK/cp.txt"
DJL_VERSION=$(mvn_eval djl.version)
TORCH_VERSION=$(mvn_eval pytorch.version)
cp engine/target/somnus-engine-*.jar "$BUNDLE/lib/"
tr ':' '\n' <"$WORK/cp.txt" | while read -r jar || [ -n "$jar" ]; do
  case "$(basename "$jar")" in
    pytorch-native-*) ;;  # libtorch comes from the machine's torch
    *) cp "$jar" "$BUNDLE/lib/" ;;
  esac
done
# DJL's log lines (engine loading, JNI extraction) are the first thing to read when a device run fails; the
# engine's tests already need this binding, so it is in the local repository.
SLF4J=$(mvn_eval slf4j.version)
cp "$(mvn_eval settings.localRepository)/org/slf4j/slf4j-simple/$SLF4J/slf4j-simple-$SLF4J.jar" "$BUNDLE/lib/"
# Natives for other platforms are most of these jars' size and useless there.
for jar in "$BUNDLE"/lib/tokenizers-*.jar "$BUNDLE"/lib/pytorch-jni-*.jar; do
  zip -q -d "$jar" 'native/lib/linux-aarch64/*' 'native/lib/osx-*' 'native/lib/win-*' \
    'jnilib/linux-aarch64/*' 'jnilib/osx-*' 'jnilib/win-*' >/dev/null 2>&1 || true
done

log "JRE (jlink, $JAVA_HOME)"
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,java.management,java.naming,java.xml,java.sql,java.net.http,jdk.unsupported \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output "$WORK/jre"
tar -C "$WORK" -czf "$BUNDLE/jre.tar.gz" jre

log "DJL $DJL_VERSION JNI sources and headers"
git -C "$DJL_SRC" archive "v$DJL_VERSION" engines/pytorch/pytorch-native/src/main/native api/src/main/native/djl \
  engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java | tar -x -C "$BUNDLE/djl-src"
"$JAVA_HOME/bin/javac" -h "$BUNDLE/djl-src/include" -d "$WORK/classes" -cp "$(cat "$WORK/cp.txt")" \
  "$BUNDLE/djl-src/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java"
cp "$JAVA_HOME/include/jni.h" "$JAVA_HOME/include/linux/jni_md.h" "$BUNDLE/djl-src/include/"
git -C "$DJL_SRC" show "v$DJL_VERSION:LICENSE" >"$BUNDLE/djl-src/LICENSE"

{
  echo "somnus device bundle: DJL $DJL_VERSION (prebuilt JNI for libtorch $TORCH_VERSION), engine $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes')"
  echo "JRE: $("$WORK/jre/bin/java" -version 2>&1 | head -1), modules: $("$WORK/jre/bin/java" --list-modules | tr '\n' ' ')"
  (cd "$BUNDLE" && find . -type f ! -name MANIFEST.txt -printf '%s %p\n' | sort -k2)
} >"$BUNDLE/MANIFEST.txt"
size_kib=$(du -sk "$BUNDLE" | cut -f1)
log "$BUNDLE: $((size_kib / 1024)) MiB"
(cd "$BUNDLE" && du -ak . | sort -k2 | awk '$2 ~ /^\.\/(lib\/|jre|djl-src$|MANIFEST)/ {printf "  %6d KiB  %s\n", $1, $2}')
if [ "$size_kib" -gt $((LIMIT_MIB * 1024)) ]; then
  echo "bundle.sh: $BUNDLE is over $LIMIT_MIB MiB; the device call carries 64 MiB including the working tree" >&2
  exit 1
fi
