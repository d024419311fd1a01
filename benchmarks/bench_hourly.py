"""Speed of ``maas_hourly`` against ``maas`` on the same samples, and the memory of a ``--summary-only`` run.

1. **Speed.** 10**6 samples of the inputs of ``benchmarks/bench_simulate.py`` (10 uncertain,
   drawn once with numpy), then ``maas`` (with its ``peak_to_avg``) and ``maas_hourly`` (DeepSeek's
   hourly shape, the elastic policy with a one-hour lag and 10-node steps, within-hour bursts:
   the most work per sample) evaluated on them in one process, in ``--repeat`` alternating pairs;
   the ratio is the median of the pairs' wall-time ratios, against an allowance of 30 (the hourly
   model computes 24 hours per sample). Exit status 1 if over.
2. **Memory.** ``simulate_summary`` of ``maas_hourly`` (the same priors, the bound options) at
   2**20 and 2**22 samples in chunks of 2**16, each in its own process; the peak resident memory
   must not grow with the number of samples (allowance: the larger run's peak within 1.25 times
   the smaller's), since ``--summary-only`` keeps the chunk's (sample, hour) arrays only while
   the chunk is summarised. (Below 2**20 samples the quantile brackets keep every value of each
   daily output, :data:`mcrisk.core.thinning.SUBSAMPLE`, so memory grows with ``n`` up to there.)

Run: ``python benchmarks/bench_hourly.py [--samples N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

from bench_simulate import priors
from machine import cpu_line

ALLOWED_SPEED = 30.0
ALLOWED_MEMORY = 1.25
OPTIONS = {"shape": "deepseek-2025-02-27", "policy": "elastic", "lag_hours": 1, "step_nodes": 10}
CHUNK = 2**16


def _inputs(n: int) -> dict:
    from mcrisk import sample

    ds = sample(priors(), n, method="random", rng=1)
    return {k: (v.values if v.ndim else float(v)) for k, v in ds.data_vars.items()}


def speed(n: int, repeat: int) -> dict:
    """Median wall-time ratio of maas_hourly to maas on the same ``n`` samples."""
    from mcrisk.models import maas, maas_hourly

    x = _inputs(n)
    hourly_x = {k: v for k, v in x.items() if k != "peak_to_avg"}
    hourly_x.update(burst_dispersion=1.0, service_quantile=0.99)
    runs = {"maas": lambda: maas(**x), "maas_hourly": lambda: maas_hourly(**hourly_x, **OPTIONS)}
    for f in runs.values():  # warm-up
        f()
    times: dict[str, list[float]] = {k: [] for k in runs}
    for i in range(repeat):
        for name in (("maas", "maas_hourly") if i % 2 else ("maas_hourly", "maas")):
            t0 = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - t0)
    ratios = [h / m for h, m in zip(times["maas_hourly"], times["maas"], strict=True)]
    return {"maas": statistics.median(times["maas"]), "maas_hourly": statistics.median(times["maas_hourly"]),
            "ratio": statistics.median(ratios)}


def _peak_mb() -> float:
    """Peak resident memory of this process (MB): VmHWM, which exec resets (ru_maxrss keeps the parent's)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux, bytes on macOS


def memory(n: int) -> dict:
    """Peak resident memory (MB) of a summary-only run of ``n`` samples of maas_hourly."""
    from mcrisk.models import bind_options, maas_hourly
    from mcrisk.spec.priors import Priors
    from mcrisk.simulation.engine import simulate_summary

    p = priors()
    entries = {k: v for k, v in p.entries.items() if k != "peak_to_avg"}
    model = bind_options(maas_hourly, OPTIONS)
    t0 = time.perf_counter()
    summary = simulate_summary(model, Priors(entries, currency="USD"), n, rng=3, chunk_size=CHUNK)
    seconds = time.perf_counter() - t0
    peak = _peak_mb()
    return {"samples": n, "peak_mb": peak, "seconds": seconds,
            "p_loss": float(summary["p_below_zero"].sel(output="profit_per_day"))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--memory", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory:
        print(json.dumps(memory(args.memory)))
        return
    print(cpu_line())
    s = speed(args.samples, args.repeat)
    print(f"\n{args.samples:,} samples, median of {args.repeat} alternating pairs; numpy {np.__version__}")
    print("| model | median time (s) | median ratio to maas | allowed |\n|---|---|---|---|")
    print(f"| maas | {s['maas']:.3f} | 1.00 | |")
    print(f"| maas_hourly ({', '.join(f'{k}={v}' for k, v in OPTIONS.items())}, bursts) | "
          f"{s['maas_hourly']:.3f} | {s['ratio']:.1f} | {ALLOWED_SPEED:g} |")
    rows = []
    for n in (2**20, 2**22):
        out = subprocess.run([sys.executable, __file__, "--memory", str(n)], capture_output=True, text=True,
                             check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"\n--summary-only (simulate_summary), chunks of {CHUNK:,} samples x 24 hours, one process per run")
    print("| samples | peak resident memory (MB) | time (s) |\n|---|---|---|")
    for r in rows:
        print(f"| {r['samples']:,} | {r['peak_mb']:.0f} | {r['seconds']:.1f} |")
    growth = rows[1]["peak_mb"] / rows[0]["peak_mb"]
    print(f"peak at {rows[1]['samples']:,} / peak at {rows[0]['samples']:,} = {growth:.2f} (allowed {ALLOWED_MEMORY})")
    over = [what for what, bad in (("speed", s["ratio"] > ALLOWED_SPEED), ("memory", growth > ALLOWED_MEMORY)) if bad]
    if over:
        print(f"\nover the allowance: {', '.join(over)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
