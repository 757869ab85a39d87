#!/usr/bin/env python3
"""Checks that the CUDA image really gets a CUDA libtorch, from the Dockerfile and the POMs alone.

The image's `runtime-cuda` stage copies /opt/somnus from a build stage; that stage gathers the CLI's
runtime classpath with infra/deploy/docker/build-lib.sh under some Maven profiles. This tool reads
which, asks Maven for the CLI's runtime dependency tree under those profiles (POMs only: the 2.5 GB
native jar is not downloaded) and fails unless:

  * exactly one ai.djl.pytorch:pytorch-native-cu<NNN> jar is on it, and no pytorch-native-cpu;
  * pytorch-jni is <torch version>-<DJL version>, the pair DJL publishes JNI libraries for;
  * the runtime stage's nvidia/cuda base image is the CUDA version the native jar was built for.

Usage: check_gpu_image.py [--dockerfile infra/deploy/docker/Dockerfile] [--project .]
Exit status 1 with one line per problem; 0 with a summary of what the image will load.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

STAGE = re.compile(r"^FROM\s+(\S+)\s+AS\s+(\S+)\s*$", re.IGNORECASE | re.MULTILINE)
COPY_FROM = re.compile(r"^COPY\s+--from=(\S+)\s+/opt/somnus\b", re.IGNORECASE | re.MULTILINE)
BUILD_LIB = re.compile(r"build-lib\.sh\b([^\n&|;]*)")
TREE_LINE = re.compile(r"([\w.\-]+):([\w.\-]+):jar(?::([\w.\-]+))?:([\w.\-]+):(compile|runtime)\s*$")
CUDA_IMAGE = re.compile(r"nvidia/cuda:(\d+)\.(\d+)")


def stages(dockerfile_text):
    """Stage name -> (base image, body text)."""
    out = {}
    matches = list(STAGE.finditer(dockerfile_text))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(dockerfile_text)
        out[m.group(2)] = (m.group(1), dockerfile_text[m.end():end])
    return out


def build_flavour(stage_map, runtime):
    """The build-lib.sh flavour of the stage the runtime stage copies /opt/somnus from, following FROM chains."""
    problems = []
    base, body = stage_map[runtime]
    copied = COPY_FROM.findall(body)
    if len(copied) != 1:
        return None, [f"stage {runtime} must COPY --from=<build stage> /opt/somnus exactly once, found {copied}"]
    stage = copied[0]
    seen = set()
    while stage in stage_map and stage not in seen:
        seen.add(stage)
        instructions = "\n".join(l for l in stage_map[stage][1].splitlines() if not l.lstrip().startswith("#"))
        calls = BUILD_LIB.findall(instructions)
        if calls:
            args = calls[-1].split()
            flavour = args[0] if args else "cpu"
            if flavour not in ("cpu", "cuda"):
                return None, [f"stage {stage} runs build-lib.sh with '{flavour}' (cpu or cuda)"]
            return flavour, problems
        stage = stage_map[stage][0]  # a stage built FROM another inherits its files
    return None, [f"stage {copied[0]} (copied by {runtime}) never runs infra/deploy/docker/build-lib.sh"]


def cli_runtime_tree(project, profiles):
    """(group, artifact, classifier, version) of every runtime dependency of the CLI module."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "tree.txt")
        cmd = ["mvn", "-B", "-ntp", "-q", "-pl", "cli", "-am", "dependency:tree", "-Dscope=runtime",
               f"-DoutputFile={out}", "-DappendOutput=true"]
        if profiles:
            cmd.append("-P" + ",".join(profiles))
        done = subprocess.run(cmd, cwd=project, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")
        with open(out, encoding="utf-8") as f:
            text = f.read()
    start = text.find("io.somnus:somnus-cli:jar:")
    if start < 0:
        raise RuntimeError("the dependency tree has no io.somnus:somnus-cli section")
    deps = []
    for line in text[start:].splitlines()[1:]:
        if re.match(r"^[\w.]", line):  # the next module's root line (tree lines start with "+-", "|" or "\\-")
            break
        m = TREE_LINE.search(line)
        if m:
            deps.append((m.group(1), m.group(2), m.group(3), m.group(4)))
    return deps


def check(dockerfile, project, runtime="runtime-cuda"):
    with open(dockerfile, encoding="utf-8") as f:
        stage_map = stages(f.read())
    if runtime not in stage_map:
        return [f"{dockerfile} has no stage {runtime}"], None
    flavour, problems = build_flavour(stage_map, runtime)
    if problems:
        return problems, None
    profiles = [] if flavour == "cpu" else [flavour]
    deps = cli_runtime_tree(project, profiles)
    natives = [d for d in deps if d[0] == "ai.djl.pytorch" and d[1].startswith("pytorch-native-")]
    cuda = [d for d in natives if re.fullmatch(r"pytorch-native-cu\d+", d[1])]
    cpu = [d for d in natives if d[1] == "pytorch-native-cpu"]
    where = f"the {runtime} image's classpath (build-lib.sh {flavour}, Maven profiles {profiles or 'none'})"
    if len(cuda) != 1:
        problems.append(f"{where} has {len(cuda)} CUDA libtorch jars (pytorch-native-cu*), needs exactly 1: "
                        f"the GPU image would run on the CPU; natives found: {[d[1] for d in natives]}")
    if cpu:
        problems.append(f"{where} carries the CPU libtorch (pytorch-native-cpu {cpu[0][3]})")
    engine = [d for d in deps if d[:2] == ("ai.djl.pytorch", "pytorch-engine")]
    jni = [d for d in deps if d[:2] == ("ai.djl.pytorch", "pytorch-jni")]
    summary = None
    if len(cuda) == 1 and engine and jni:
        torch, djl = cuda[0][3], engine[0][3]
        if jni[0][3] != f"{torch}-{djl}":
            problems.append(f"pytorch-jni {jni[0][3]} does not pair libtorch {torch} with DJL {djl} (expected {torch}-{djl})")
        flavour_digits = cuda[0][1].rsplit("cu", 1)[1]
        image = CUDA_IMAGE.search(stage_map[runtime][0])
        if not image:
            problems.append(f"stage {runtime} is not based on an nvidia/cuda image: {stage_map[runtime][0]}")
        elif image.group(1) + image.group(2) != flavour_digits:
            problems.append(f"stage {runtime} uses CUDA {image.group(1)}.{image.group(2)} ({stage_map[runtime][0]}) but the "
                            f"libtorch jar is built for cu{flavour_digits}")
        summary = (f"{runtime}: {cuda[0][1]}:{torch} ({cuda[0][2]}), pytorch-jni {jni[0][3]}, DJL {djl}, "
                   f"base {stage_map[runtime][0]}")
    elif not engine or not jni:
        problems.append(f"{where} lacks pytorch-engine or pytorch-jni")
    return problems, summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dockerfile", default="infra/deploy/docker/Dockerfile")
    ap.add_argument("--project", default=".", help="the repository root (the root pom.xml)")
    args = ap.parse_args()
    try:
        problems, summary = check(args.dockerfile, args.project)
    except RuntimeError as e:
        print(f"check_gpu_image: {e}", file=sys.stderr)
        return 1
    for p in problems:
        print(f"GPU image: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"GPU image OK: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
