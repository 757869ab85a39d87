#!/usr/bin/env python3
"""Checks on the compose stack that `docker-compose config` cannot make.

Input: the normalised output of `docker-compose -f infra/deploy/compose.yaml --profile gpu config`
(absolute build contexts, anchors and merge keys resolved). Checks:
  - every Somnus service (one built from, or running, a somnus/somnus image) sets all SOMNUS_* variables
    the embedded dev stack reads, so a worker behaves the same in both places;
  - every build target names a stage of its Dockerfile and every file the Dockerfile COPYs from the
    build context exists;
  - every `depends_on` names a service of the file, and a service waited on with service_healthy has a
    healthcheck;
  - the GPU worker reserves an NVIDIA device and is behind a profile, and a CPU worker runs without one.
Exit status 0 when all pass, 1 with one line per problem otherwise.
"""
import os
import re
import sys

import yaml

SOMNUS_ENV = ["SOMNUS_TEMPORAL_TARGET", "SOMNUS_TEMPORAL_NAMESPACE", "SOMNUS_S3_ENDPOINT",
              "SOMNUS_S3_ACCESS_KEY", "SOMNUS_S3_SECRET_KEY", "SOMNUS_MLFLOW_URI", "SOMNUS_DATA_DIR",
              "SOMNUS_DEVICE"]
STAGE = re.compile(r"^FROM\s+\S+\s+AS\s+(\S+)", re.IGNORECASE | re.MULTILINE)
COPY_FROM_CONTEXT = re.compile(r"^\s*(?:&&\s*)?cp\s+(\S+)\s+/opt/", re.MULTILINE)
COPY = re.compile(r"^COPY\s+(?!--from)(\S+)\s+\S+", re.IGNORECASE | re.MULTILINE)


def is_somnus(service):
    return str(service.get("image", "")).startswith("somnus/somnus")


def dockerfile_problems(name, build):
    problems = []
    context = build.get("context", ".")
    dockerfile = os.path.join(context, build.get("dockerfile", "Dockerfile"))
    if not os.path.isfile(dockerfile):
        return [f"{name}: Dockerfile {dockerfile} does not exist"]
    with open(dockerfile, encoding="utf-8") as f:
        text = f.read()
    target = build.get("target")
    if target and target not in STAGE.findall(text):
        problems.append(f"{name}: build target '{target}' is not a stage of {dockerfile}")
    # Files the build reads from the context: plain COPY sources and paths copied out of the source tree.
    for src in COPY.findall(text) + COPY_FROM_CONTEXT.findall(text):
        if src in (".", "./") or "*" in src or src.startswith("/"):
            continue
        if not os.path.exists(os.path.join(context, src)):
            problems.append(f"{name}: {dockerfile} copies {src}, which is not in the build context {context}")
    return problems


def main(path):
    with open(path, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    services = config.get("services") or {}
    problems = []
    for name, svc in services.items():
        if "build" in svc:
            problems += dockerfile_problems(name, svc["build"])
        deps = svc.get("depends_on") or {}
        for dep, cond in (deps.items() if isinstance(deps, dict) else ((d, {}) for d in deps)):
            if dep not in services:
                problems.append(f"{name}: depends_on unknown service '{dep}'")
            elif (cond or {}).get("condition") == "service_healthy" and "healthcheck" not in services[dep]:
                problems.append(f"{name}: waits for '{dep}' to be healthy, but '{dep}' has no healthcheck")
        if is_somnus(svc):
            env = svc.get("environment") or {}
            missing = [v for v in SOMNUS_ENV if v not in env]
            if missing:
                problems.append(f"{name}: missing {', '.join(missing)}")

    gpu = [n for n, s in services.items() if is_somnus(s) and (s.get("environment") or {}).get("SOMNUS_DEVICE") == "gpu"]
    cpu = [n for n, s in services.items() if is_somnus(s) and (s.get("environment") or {}).get("SOMNUS_DEVICE") == "cpu"
           and "command" in s and "worker" in s["command"]]
    if not cpu:
        problems.append("no CPU worker (a somnus service running `worker` with SOMNUS_DEVICE=cpu)")
    if not gpu:
        problems.append("no GPU worker (a somnus service with SOMNUS_DEVICE=gpu)")
    for name in gpu:
        svc = services[name]
        devices = (((svc.get("deploy") or {}).get("resources") or {}).get("reservations") or {}).get("devices") or []
        if not any(d.get("driver") == "nvidia" and "gpu" in (d.get("capabilities") or []) for d in devices):
            problems.append(f"{name}: SOMNUS_DEVICE=gpu but no nvidia device reservation")
        if not svc.get("profiles"):
            problems.append(f"{name}: GPU service must sit behind a profile so hosts without GPUs can start the stack")

    for p in problems:
        print(p, file=sys.stderr)
    print(f"{len(services)} services ({len(cpu)} CPU worker, {len(gpu)} GPU): {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: check_compose.py NORMALISED_COMPOSE.yaml")
    sys.exit(main(sys.argv[1]))
