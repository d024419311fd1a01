"""Speed of scenario discovery (PRIM) and value of information (EVPPI of every input) on stored samples.

The target (the specification's): on 20,000 stored samples with 10 inputs, PRIM and EVPPI for
every input together in under 10 s on 2 cores. The samples are the ``maas`` model's, 10
uncertain inputs drawn by LHS; the event is a loss (profit < 0). Reported: the best of
``--repeat`` runs of :func:`mcrisk.analyze.scenarios.scenarios` and of
:func:`mcrisk.analyze.voi.evppi` (50 bootstrap resamples, 10 shuffles per input), their sum, and as a
baseline the time of a plain numpy least-squares fit of the output on the raw inputs (one call
of ``numpy.linalg.lstsq``), so the ratio says how many such fits the analyses cost. Where the EMA
Workbench is installed (the ``test`` extra), also its PRIM on the same samples (the same boxes,
``tests/test_prim.py``), import excluded, as mcrisk up to 0.2 ran it.

Run: ``python benchmarks/bench_discovery.py [--n 20000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from machine import cpu_line

PRIORS = {
    "prefill_tps_per_node": {"dist": "loguniform", "low": 4_804, "high": 73_700},
    "decode_tps_per_node": {"dist": "loguniform", "low": 964.5, "high": 14_800},
    "gpu_hour_price": {"dist": "triangular", "low": 1.5, "mode": 2.0, "high": 3.5},
    "peak_to_avg": {"dist": "uniform", "low": 1.1, "high": 2.0},
    "headroom": {"dist": "uniform", "low": 1.0, "high": 2.5},
    "offpeak_reuse": {"dist": "uniform", "low": 0.0, "high": 1.0},
    "overhead_share": {"dist": "uniform", "low": 0.0, "high": 0.4},
    "paid_share": {"dist": "uniform", "low": 0.5, "high": 1.0},
    "price_cut": {"dist": "uniform", "low": 0.0, "high": 0.5},
    "cache_hit_share": {"dist": "uniform", "low": 0.3, "high": 0.7},
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from mcrisk import priors_from_dict, simulate
    from mcrisk.models import maas

    priors = priors_from_dict({**PRIORS, "input_tokens": 608e9, "output_tokens": 168e9, "price_output": 2.19,
                               "price_input_miss": 0.55, "price_input_hit": 0.14}, file="bench_discovery")
    res = simulate(maas, priors, args.n, method="lhs", rng=1)
    res.attrs["output"] = "profit_per_day"

    from mcrisk.analyze.scenarios import scenarios
    from mcrisk.analyze.voi import evppi

    x = np.column_stack([res[k].values for k in PRIORS] + [np.ones(args.n)])
    y = res["profit_per_day"].values
    best = {"prim": np.inf, "evppi": np.inf, "lstsq": np.inf}
    for _ in range(args.repeat):
        t = time.perf_counter()
        boxes = scenarios(res, event="< 0")
        best["prim"] = min(best["prim"], time.perf_counter() - t)
        t = time.perf_counter()
        voi = evppi(res)
        best["evppi"] = min(best["evppi"], time.perf_counter() - t)
        t = time.perf_counter()
        np.linalg.lstsq(x, y, rcond=None)
        best["lstsq"] = min(best["lstsq"], time.perf_counter() - t)
    total = best["prim"] + best["evppi"]
    print(cpu_line())
    print(f"{args.n:,} samples, {len(PRIORS)} inputs; P(loss) = {float((y < 0).mean()):.3f}, "
          f"{boxes.sizes['box']} boxes, EVPI {voi.attrs['evpi']:,.0f} USD/day")
    print(f"PRIM                           {best['prim']:6.2f} s")
    print(f"EVPPI, every input, SE         {best['evppi']:6.2f} s")
    print(f"together                       {total:6.2f} s  (target < 10 s)")
    print(f"ratio to one numpy lstsq fit   {total / best['lstsq']:8.0f}x")
    wb = _workbench_seconds(res, boxes.sizes["box"])
    if wb is not None:
        print(f"the EMA Workbench's PRIM       {wb:6.2f} s  (import excluded)")


def _workbench_seconds(res, max_boxes: int) -> float | None:
    """The Workbench's PRIM on the same samples, ``max_boxes`` boxes; None where it is not installed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its import-time and pandas warnings
        try:
            from ema_workbench.analysis import prim
        except ImportError:
            return None
        import pandas as pd

        from mcrisk.analyze.scenarios import _uncertain

        names = _uncertain(res)
        x = pd.DataFrame({k: res[k].values for k in names})
        t = time.perf_counter()
        finder = prim.Prim(x, res["profit_per_day"].values < 0, threshold=0.8, mass_min=0.05)
        for _ in range(max_boxes):
            box = finder.find_box()
            box.select(len(box.peeling_trajectory) - 1)
        return time.perf_counter() - t


if __name__ == "__main__":
    main()
