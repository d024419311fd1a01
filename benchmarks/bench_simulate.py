"""Speed and memory of ``mcrisk.simulate`` against a plain-numpy direct-sampler baseline.

The model is ``maas`` with 10 uncertain inputs (lognormal, beta, triangular, pert, truncated
normal, uniform), 10**6 samples, then the mean, three percentiles and P(loss) of profit. Each
case runs in its own process: the best of ``--repeat`` timed runs after one warm-up run, then
one more run under tracemalloc for the peak of memory allocated during the run.

Run: ``python benchmarks/bench_simulate.py [--samples N] [--repeat R]``. On a machine that sets
OPENBLAS_CORETYPE (older OpenBLAS builds need it), unset it together with OPENBLAS_L2_SIZE for
the benchmark command alone (``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python ...``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import tracemalloc
from types import MappingProxyType

import numpy as np
import scipy.special as sc

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
    from mcrisk.priors import Priors, parse_prior

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
    run = baseline if name == "baseline" else mcrisk_case(name)
    run(n, 0)  # warm-up: imports, tables, page faults
    best = min(_timed(run, n, seed) for seed in range(1, repeat + 1))
    tracemalloc.start()
    res = run(n, 99)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    held = res[1] if name != "baseline" else None
    return {"case": name, "seconds": best, "peak_mb": peak / 1e6, "result_mb": held and held / 1e6}


def _timed(run, n: int, seed: int) -> float:
    t0 = time.perf_counter()
    run(n, seed)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--case", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:
        print(json.dumps(_case(args.case, args.samples, args.repeat)))
        return
    import os

    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    print(f"{args.samples:,} samples, best of {args.repeat}; numpy {np.__version__}; {env or 'no OPENBLAS_* set'}")
    rows = []
    for case in ("baseline", "random", "sobol", "lhs"):
        out = subprocess.run([sys.executable, __file__, "--case", case, "--samples", str(args.samples),
                              "--repeat", str(args.repeat)], capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    base = rows[0]["seconds"]
    limit = {"baseline": "", "random": "1.5", "sobol": "1.5", "lhs": "2.0"}
    print("\n| case | time (s) | ratio to baseline | allowed | peak memory (MB) | result holds (MB) | peak / result |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        held = f"{r['result_mb']:.0f}" if r["result_mb"] else ""
        ratio = f"{r['peak_mb'] / r['result_mb']:.2f}" if r["result_mb"] else ""
        print(f"| {r['case']} | {r['seconds']:.3f} | {r['seconds'] / base:.2f} | {limit[r['case']]} | "
              f"{r['peak_mb']:.0f} | {held} | {ratio} |")


if __name__ == "__main__":
    main()
