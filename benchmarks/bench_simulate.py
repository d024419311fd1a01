"""Speed and memory of ``mcrisk.simulate`` against a plain-numpy direct-sampler baseline.

The model is ``maas`` with 10 uncertain inputs (lognormal, beta, triangular, pert, truncated
normal, uniform), 10**6 samples, then the mean, three percentiles and P(loss) of profit. Each
design runs in its own process together with the baseline: one warm-up run of each, then
``--repeat`` timed pairs (which of the two goes first alternates), so both see the same
machine load, environment and OPENBLAS_* settings; the ratio reported is the median of the
pairs' wall-time ratios, against an allowance of 1.5 for every design (exit status 1 if one
exceeds it; the allowance is for the default 10^6 samples, where fixed costs no longer count);
the median CPU-time ratio is printed beside it, since a machine shared with other work
stretches wall time more than CPU time. Then one more run of each under tracemalloc for the
peak of memory allocated during the run. The table comes with the processor and its caches.

Run: ``python benchmarks/bench_simulate.py [--samples N] [--repeat R]``. On a machine that sets
OPENBLAS_CORETYPE (older OpenBLAS builds need it), it may be unset together with
OPENBLAS_L2_SIZE for the benchmark command alone (``env -u OPENBLAS_CORETYPE -u
OPENBLAS_L2_SIZE python ...``); the ratio is fair either way, since both cases share the process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from types import MappingProxyType

import numpy as np
import scipy.special as sc

from machine import cpu_line

SPECS = {
    "input_tokens": {"dist": "lognormal", "median": 608e9, "sigma": 0.3},
    "output_tokens": {"dist": "lognormal", "median": 168e9, "sigma": 0.3},
    "cache_hit_share": {"dist": "beta", "a": 5.6, "b": 4.4},
    "offpeak_reuse": {"dist": "beta", "a": 0.8, "b": 1.6},
    "prefill_tps_per_node": {"dist": "triangular", "low": 50_000, "mode": 73_700, "high": 90_000},
    "decode_tps_per_node": {"dist": "triangular", "low": 10_000, "mode": 14_800, "high": 18_000},
    "gpu_hour_price": {"dist": "pert", "low": 1.5, "mode": 2.0, "high": 3.5},
    "peak_to_avg": {"dist": "truncnormal", "mean": 1.23, "sd": 0.25, "low": 1.0},
    "paid_share": {"dist": "uniform", "low": 0.3, "high": 1.0},
    "price_cut": {"dist": "uniform", "low": 0.0, "high": 0.5},
}
CONSTANTS = {"price_input_hit": 0.14, "price_input_miss": 0.55, "price_output": 2.19, "gpus_per_node": 8.0}
QUANTILES = (0.05, 0.50, 0.95)
ALLOWED = 1.5  # median ratio to the baseline, every design
DESIGNS = ("random", "sobol", "lhs")


def _stats(profit: np.ndarray) -> tuple:
    return float(profit.mean()), np.quantile(profit, QUANTILES), float(np.mean(profit < 0))


def baseline(n: int, seed: int) -> tuple:
    """Plain numpy: each input from the Generator's direct sampler, the model, the statistics."""
    from mcrisk.models import maas

    g = np.random.default_rng(seed)
    lo, hi = 1.5, 3.5
    pa, pb = 1 + 4 * (2.0 - lo) / (hi - lo), 1 + 4 * (hi - 2.0) / (hi - lo)
    # Truncated normal by inversion (numpy has no direct sampler for it).
    fa = sc.ndtr((1.0 - 1.23) / 0.25)
    x = {
        "input_tokens": g.lognormal(np.log(608e9), 0.3, n),
        "output_tokens": g.lognormal(np.log(168e9), 0.3, n),
        "cache_hit_share": g.beta(5.6, 4.4, n),
        "offpeak_reuse": g.beta(0.8, 1.6, n),
        "prefill_tps_per_node": g.triangular(50_000, 73_700, 90_000, n),
        "decode_tps_per_node": g.triangular(10_000, 14_800, 18_000, n),
        "gpu_hour_price": lo + (hi - lo) * g.beta(pa, pb, n),
        "peak_to_avg": 1.23 + 0.25 * sc.ndtri(fa + g.random(n) * (1 - fa)),
        "paid_share": g.uniform(0.3, 1.0, n),
        "price_cut": g.uniform(0.0, 0.5, n),
    }
    out = maas(**x, **CONSTANTS)
    return _stats(out["profit_per_day"])


def priors():
    from mcrisk.spec.priors import Priors, parse_prior

    entries = {k: parse_prior(k, v, file="bench", table=k) for k, v in {**SPECS, **CONSTANTS}.items()}
    return Priors(MappingProxyType(entries), currency="USD")


def mcrisk_case(method: str):
    from mcrisk import simulate
    from mcrisk.models import maas

    p = priors()

    def run(n: int, seed: int) -> tuple:
        ds = simulate(maas, p, n, method=method, rng=seed)
        return _stats(ds["profit_per_day"].values), ds.nbytes

    return run


def _case(name: str, n: int, repeat: int) -> dict:
    run = mcrisk_case(name)
    baseline(n, 0), run(n, 0)  # warm-up: imports, tables, page faults
    times: dict[str, list[tuple[float, float]]] = {"baseline": [], name: []}
    for seed in range(1, repeat + 1):
        # Alternate the order, so neither always runs on a heap the other has just warmed.
        for who, f in ((("baseline", baseline), (name, run)) if seed % 2 else ((name, run), ("baseline", baseline))):
            times[who].append(_timed(f, n, seed))
    peaks = []
    for f in (baseline, run):
        tracemalloc.start()
        res = f(n, 99)
        peaks.append(tracemalloc.get_traced_memory()[1] / 1e6)
        tracemalloc.stop()
    pairs = list(zip(times["baseline"], times[name]))
    return {"case": name, "baseline": [b[0] for b, _ in pairs], "seconds": [c[0] for _, c in pairs],
            "ratios": [c[0] / b[0] for b, c in pairs], "cpu_ratios": [c[1] / b[1] for b, c in pairs],
            "baseline_peak_mb": peaks[0], "peak_mb": peaks[1], "result_mb": res[1] / 1e6}


def _timed(run, n: int, seed: int) -> tuple[float, float]:
    """Wall and CPU seconds of one run (CPU time leaves out waiting for a busy machine's cores)."""
    t0, c0 = time.perf_counter(), time.process_time()
    run(n, seed)
    return time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--case", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:
        print(json.dumps(_case(args.case, args.samples, args.repeat)))
        return
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    print(cpu_line())
    print(f"{args.samples:,} samples, median of {args.repeat} pairs (baseline, design) per process; "
          f"numpy {np.__version__}; {env or 'no OPENBLAS_* set'}")
    rows = []
    for case in DESIGNS:
        out = subprocess.run([sys.executable, __file__, "--case", case, "--samples", str(args.samples),
                              "--repeat", str(args.repeat)], capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    med = statistics.median
    base = [t for r in rows for t in r["baseline"]]
    print("\n| case | median time (s) | best (s) | median ratio to baseline | allowed | CPU-time ratio | "
          "peak memory (MB) | result holds (MB) | peak / result |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| baseline | {med(base):.3f} | {min(base):.3f} | 1.00 | | 1.00 | {rows[0]['baseline_peak_mb']:.0f} | | |")
    over = []
    for r in rows:
        ratio = med(r["ratios"])
        if ratio > ALLOWED:
            over.append(r["case"])
        print(f"| {r['case']} | {med(r['seconds']):.3f} | {min(r['seconds']):.3f} | {ratio:.2f} | {ALLOWED} | {med(r['cpu_ratios']):.2f} | "
              f"{r['peak_mb']:.0f} | {r['result_mb']:.0f} | {r['peak_mb'] / r['result_mb']:.2f} |")
    if over:
        print(f"\nover the allowance of {ALLOWED}: {', '.join(over)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
