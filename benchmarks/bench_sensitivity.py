"""Speed of a Sobol' analysis through ``mcrisk.sensitivity`` against calling SALib directly.

The model is ``maas`` with 10 uncertain inputs in families SALib itself knows (uniform,
triangular, normal, truncated normal, lognormal), so SALib can run the same analysis on its
own: ``SALib.sample.sobol`` with the distributions in the problem, the model called once on
the whole design, ``SALib.analyze.sobol`` with bootstrap intervals. mcrisk runs
``sensitivity(maas, priors, method="sobol", n=N, calc_second_order=True)``: SALib's design on
the unit cube, mcrisk's inverse CDFs, one vectorised model call, SALib's analyzer. Both use the
same Saltelli design (same seed), N = 2^14 and second-order indices, so N (2D + 2) = 360,448
model runs, 100 bootstrap resamples, no parallel pool; the script checks that both give the
same indices. The two cases alternate ``--repeat`` times in one process; the best time of each
is reported with the ratio mcrisk / SALib (below 1: mcrisk is faster).

Run: ``python benchmarks/bench_sensitivity.py [--n 16384] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np

# name: (mcrisk prior, SALib dist, SALib bounds)
INPUTS = {
    "input_tokens": ({"dist": "lognormal", "median": 608e9, "sigma": 0.3}, "lognorm", [math.log(608e9), 0.3]),
    "output_tokens": ({"dist": "lognormal", "median": 168e9, "sigma": 0.3}, "lognorm", [math.log(168e9), 0.3]),
    "cache_hit_share": ({"dist": "uniform", "low": 0.4, "high": 0.7}, "unif", [0.4, 0.7]),
    "prefill_tps_per_node": ({"dist": "triangular", "low": 50_000, "mode": 73_700, "high": 90_000}, "triang",
                             [50_000, 90_000, (73_700 - 50_000) / 40_000]),
    "decode_tps_per_node": ({"dist": "triangular", "low": 10_000, "mode": 14_800, "high": 18_000}, "triang",
                            [10_000, 18_000, (14_800 - 10_000) / 8_000]),
    "gpu_hour_price": ({"dist": "triangular", "low": 1.5, "mode": 2.0, "high": 3.5}, "triang",
                       [1.5, 3.5, 0.5 / 2.0]),
    "peak_to_avg": ({"dist": "truncnormal", "mean": 1.23, "sd": 0.25, "low": 1.0, "high": 3.0}, "truncnorm",
                    [1.0, 3.0, 1.23, 0.25]),
    "offpeak_reuse": ({"dist": "uniform", "low": 0.0, "high": 1.0}, "unif", [0.0, 1.0]),
    "paid_share": ({"dist": "normal", "mean": 0.7, "sd": 0.1}, "norm", [0.7, 0.1]),
    "price_cut": ({"dist": "uniform", "low": 0.0, "high": 0.5}, "unif", [0.0, 0.5]),
}
CONSTANTS = {"price_input_hit": 0.14, "price_input_miss": 0.55, "price_output": 2.19, "gpus_per_node": 8.0}
SEED = 20250301
RESAMPLES = 100


def run_mcrisk(n: int):
    from mcrisk.models import maas
    from mcrisk.spec.priors import priors_from_dict
    from mcrisk.analyze.sensitivity import sensitivity

    priors = priors_from_dict({**CONSTANTS, **{k: v[0] for k, v in INPUTS.items()}}, file="bench")
    return sensitivity(maas, priors, output="profit_per_day", method="sobol", n=n, rng=SEED,
                       calc_second_order=True, num_resamples=RESAMPLES)


def run_salib(n: int):
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    from mcrisk.models import maas
    from mcrisk.analyze.rankcorr import salib_seed

    names = list(INPUTS)
    problem = {"num_vars": len(names), "names": names, "dists": [v[1] for v in INPUTS.values()],
               "bounds": [v[2] for v in INPUTS.values()]}
    x = sample.sample(problem, n, calc_second_order=True, seed=salib_seed(SEED, 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        y = maas(**CONSTANTS, **{k: x[:, i] for i, k in enumerate(names)})["profit_per_day"]
    s = analyze.analyze(problem, y, calc_second_order=True, num_resamples=RESAMPLES, parallel=False,
                        seed=salib_seed(SEED, 1))
    return s, len(y)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2**14)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    times = {"mcrisk": [], "SALib": []}
    for _ in range(args.repeat):
        t = time.perf_counter()
        ds = run_mcrisk(args.n)
        times["mcrisk"].append(time.perf_counter() - t)
        t = time.perf_counter()
        s, runs = run_salib(args.n)
        times["SALib"].append(time.perf_counter() - t)
    assert ds.attrs["model_runs"] == runs
    diff = max(np.abs(ds.ST.values - s["ST"]).max(), np.abs(ds.S1.values - s["S1"]).max())
    best = {k: min(v) for k, v in times.items()}
    print(f"Sobol' analysis, maas, {len(INPUTS)} uncertain inputs, N = {args.n:,}, second order, "
          f"{RESAMPLES} bootstrap resamples: {runs:,} model runs")
    print(f"largest |difference| of S1/ST between the two: {diff:.2e}")
    for k, v in times.items():
        print(f"  {k:<7} best {best[k]:7.2f} s   runs: {', '.join(f'{x:.2f}' for x in v)}")
    med = {k: float(np.median(v)) for k, v in times.items()}
    print(f"  ratio mcrisk / SALib = {best['mcrisk'] / best['SALib']:.3f} (best), "
          f"{med['mcrisk'] / med['SALib']:.3f} (median); SALib's own analysis is ~90% of both")


if __name__ == "__main__":
    main()
