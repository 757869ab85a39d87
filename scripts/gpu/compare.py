#!/usr/bin/env python3
"""Puts SleepStepBenchmark's and torch_reference.py's results side by side: median ms and engine/PyTorch ratios.

  compare.py ENGINE.json TORCH.json [TORCH2.json ...]

A ratio above 1 means the engine is that many times slower than PyTorch at the same work on the same device.
"""
import json
import sys


def main(paths):
    if len(paths) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    runs = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            runs.append(json.load(f))
    engine, torch_runs = runs[0], runs[1:]
    label = lambda r: f"{r['side']} {r['dtype']}"
    head = f"{'measurement (median ms)':<26}" + "".join(f"{label(r):>18}" for r in runs)
    head += "".join(f"{'engine/' + r['dtype']:>18}" for r in torch_runs)
    print(head)
    for name, t in engine["timings"].items():
        row = f"{name:<26}" + "".join(f"{r['timings'][name]['median_ms']:>18.2f}" if name in r["timings"] else f"{'-':>18}" for r in runs)
        for r in torch_runs:
            other = r["timings"].get(name)
            row += f"{t['median_ms'] / other['median_ms']:>17.2f}x" if other else f"{'-':>18}"
        print(row)
    for r in runs:
        mem = [f"peak RSS {r.get('peak_rss_mib', 0):.0f} MiB"]
        if "peak_allocated_mib" in r:
            mem.append(f"GPU peak allocated {r['peak_allocated_mib']:.0f} MiB, reserved {r['peak_reserved_mib']:.0f} MiB")
        if "gpu_peak_used_mib" in r:
            mem.append(f"GPU peak used (nvidia-smi, whole device) {r['gpu_peak_used_mib']:.0f} MiB")
        print(f"{label(r)} on {r['device']}: " + "; ".join(mem))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
