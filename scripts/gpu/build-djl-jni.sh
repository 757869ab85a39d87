#!/usr/bin/env bash
# Builds DJL's PyTorch JNI library (libdjl_torch.so) from DJL's own C++ sources against the libtorch of a Python
# torch, for machines whose torch is not the version DJL publishes a JNI library for (DJL 0.35.1's is built for
# libtorch 2.7.1; it does not bind against another version's symbols). Needs g++ and that torch; no Java, no
# CMake, no network: the JNI headers come with the sources (scripts/gpu/bundle.sh prepares them).
#
#   scripts/gpu/build-djl-jni.sh SRC OUT.so
#
# SRC holds DJL's engines/pytorch/pytorch-native/src/main/native/, api/src/main/native/djl/utils.h, and include/ with
# the javac-generated ai_djl_pytorch_jni_PyTorchLibrary.h plus jni.h and jni_md.h. The torch is $PYTHON's
# (default python3); with CUDA in that torch the library is built with DJL's USE_CUDA parts. The result is checked
# with `ldd -r`: every symbol must resolve against that torch, or the script fails.
set -euo pipefail
SRC=${1:?usage: build-djl-jni.sh SRC OUT.so}
OUT=${2:?usage: build-djl-jni.sh SRC OUT.so}
PYTHON=${PYTHON:-python3}
NATIVE=$SRC/engines/pytorch/pytorch-native/src/main/native
for f in "$NATIVE/ai_djl_pytorch_jni_PyTorchLibrary_system.cc" "$SRC/api/src/main/native/djl/utils.h" \
         "$SRC/include/ai_djl_pytorch_jni_PyTorchLibrary.h" "$SRC/include/jni.h" "$SRC/include/jni_md.h"; do
  [ -f "$f" ] || { echo "build-djl-jni.sh: $f is missing (run scripts/gpu/bundle.sh to prepare SRC)" >&2; exit 1; }
done
command -v "${CXX:-g++}" >/dev/null || { echo "build-djl-jni.sh: no C++ compiler (${CXX:-g++})" >&2; exit 1; }

# Everything about the torch comes from torch itself: paths, C++ ABI, CUDA.
read -r TORCH_VERSION TORCH_LIB ABI CUDA_VERSION < <("$PYTHON" - <<'EOF'
import os, torch
print(torch.__version__, os.path.join(os.path.dirname(torch.__file__), "lib"), int(torch._C._GLIBCXX_USE_CXX11_ABI),
      torch.version.cuda or "none")
EOF
)
[ -n "${TORCH_LIB:-}" ] && [ -d "$TORCH_LIB" ] || { echo "build-djl-jni.sh: $PYTHON cannot import torch" >&2; exit 1; }
mapfile -t INCLUDES < <("$PYTHON" - <<'EOF'
import os, torch
from torch.utils import cpp_extension
paths = cpp_extension.include_paths()
if torch.version.cuda:
    try:  # adds the CUDA toolkit's include folder, when torch can find the toolkit
        paths = cpp_extension.include_paths(device_type="cuda")
    except TypeError:  # torch before 2.6
        paths = cpp_extension.include_paths(cuda=True)
    except OSError:  # no toolkit: the pip nvidia packages below carry the headers
        pass
for p in paths:
    print(p)
if torch.version.cuda:
    # The CUDA runtime headers: the toolkit's, or the pip nvidia-cuda-runtime package's next to torch.
    import glob
    site = os.path.dirname(os.path.dirname(torch.__file__))
    for p in [os.environ.get("CUDA_HOME", "/usr/local/cuda") + "/include"] + glob.glob(site + "/nvidia/cu*/include") \
            + glob.glob(site + "/nvidia/cuda_runtime/include"):
        if os.path.isfile(os.path.join(p, "cuda_runtime_api.h")):
            print(p)
EOF
)
echo "build-djl-jni.sh: torch $TORCH_VERSION (CUDA $CUDA_VERSION, C++11 ABI $ABI) at $TORCH_LIB"

# DJL builds with C++17; newer torch headers refuse anything below C++20 (torch 2.14 does, 2.13 does not).
STD=c++17
grep -qs 'C++20 or later' "$(dirname "$TORCH_LIB")/include/ATen/ATen.h" && STD=c++20
echo "build-djl-jni.sh: compiling with -std=$STD"
FLAGS=(-O2 -fPIC -std=$STD -D_GLIBCXX_USE_CXX11_ABI="$ABI" -w -I"$SRC/include" -I"$SRC/api/src/main/native" -I"$NATIVE")
for inc in "${INCLUDES[@]}"; do FLAGS+=(-isystem "$inc"); done
LIBS=(-L"$TORCH_LIB" -Wl,-rpath,"$TORCH_LIB" -ltorch -ltorch_cpu -lc10)
if [ "$CUDA_VERSION" != none ]; then
  FLAGS+=(-DUSE_CUDA)
  LIBS+=(-ltorch_cuda -lc10_cuda)
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
start=$(date +%s)
export CXX_BIN=${CXX:-g++} WORK
printf '%s\0' "${FLAGS[@]}" >"$WORK/flags"
# One compiler per core: each file pulls in most of libtorch's headers.
find "$NATIVE" -name '*.cc' -print0 | xargs -0 -P "$(nproc)" -I{} bash -c \
  'f={}; mapfile -d "" -t flags <"$WORK/flags"; "$CXX_BIN" "${flags[@]}" -c "$f" -o "$WORK/$(basename "$f" .cc).o" 2>"$WORK/$(basename "$f" .cc).log" \
     || { echo "build-djl-jni.sh: $(basename "$f") failed to compile:" >&2; head -40 "$WORK/$(basename "$f" .cc).log" >&2; exit 255; }'
mkdir -p "$(dirname "$OUT")"
"${CXX:-g++}" -shared -o "$OUT" "$WORK"/*.o "${LIBS[@]}"
echo "build-djl-jni.sh: built $OUT ($(du -k "$OUT" | cut -f1) KiB) in $(( $(date +%s) - start )) s"

# Every symbol must resolve now; lazy binding would otherwise defer a mismatch to the first call that needs it.
undefined=$(LD_LIBRARY_PATH="$TORCH_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ldd -r "$OUT" 2>&1 | grep -c 'undefined symbol' || true)
if [ "$undefined" != 0 ]; then
  echo "build-djl-jni.sh: $undefined undefined symbols in $OUT against $TORCH_LIB:" >&2
  LD_LIBRARY_PATH="$TORCH_LIB" ldd -r "$OUT" 2>&1 | grep 'undefined symbol' | head -10 >&2
  exit 1
fi
echo "build-djl-jni.sh: all symbols resolve against torch $TORCH_VERSION"
