"""Speed of ``maas_monthly`` (36 months) against ``maas`` on the same samples, and the memory of ``--summary-only``.

1. **Speed.** 10**6 samples of the inputs of ``benchmarks/bench_simulate.py`` (10 uncertain,
   drawn once with numpy) plus the monthly model's own, sampled: price multiple 0.03-1 a year,
   demand multiple 1-10, rent multiple 0.5-1.4, a price war in month 1-48 cutting 0-60%, an
   upfront cost (so IRR and payback are computed for real, with sign changes), a discount rate
   and a salvage value. ``maas`` and ``maas_monthly`` (``months = 36``) evaluated on them in one
   process, in ``--repeat`` alternating pairs; the ratio is the median of the pairs' wall-time
   ratios, against an allowance of 40 (the monthly model is ``maas`` over 36 months, plus NPV,
   IRR and payback), and how much of the monthly model's time its IRR took (the IRR timed
   inside the same runs). Exit status 1 if over. On the shared 2-core machine (load average
   about 1) the ratio was 1,174 before the IRR's shortcuts (``mcrisk/models/cashflow.py``) and
   80-183 now (docs/benchmarks.md). Three references are printed with it: the model with its
   IRR replaced by NaN (what the months, NPV and payback cost), writing the model's five
   (samples, 36) outputs into new memory with nothing computed (what any implementation pays
   here), and whole runs (``simulate``: draw, evaluate, the Dataset) of both models.
2. **Memory.** ``simulate_summary`` of ``maas_monthly`` (the same priors) at 2**20 and 2**22
   samples in chunks of 2**16, each in its own process; the peak resident memory must not grow
   with the number of samples (allowance: the larger run's peak within 1.25 times the
   smaller's), since ``--summary-only`` keeps a chunk's (sample, month) arrays only while the
   chunk is summarised, and the month statistics are a few sums per month.

Run: ``python benchmarks/bench_monthly.py [--samples N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
from bench_hourly import _peak_mb
from bench_simulate import priors
from machine import cpu_line

ALLOWED_SPEED = 40.0
ALLOWED_MEMORY = 1.25
MONTHS = 36
CHUNK = 2**16

#: The monthly model's own inputs: those sampled, and constants.
MONTHLY = {
    "price_multiple_per_year": {"dist": "uniform", "low": 0.03, "high": 1.0},
    "demand_multiple_per_year": {"dist": "uniform", "low": 1.0, "high": 10.0},
    "rent_multiple_per_year": {"dist": "uniform", "low": 0.5, "high": 1.4},
    "price_war_month": {"dist": "uniform", "low": 1.0, "high": 48.0},
    "price_war_cut": {"dist": "uniform", "low": 0.0, "high": 0.6},
    "upfront_cost": {"dist": "uniform", "low": 1e7, "high": 6e8, "unit": "USD"},
    "discount_rate": {"value": 0.1},
    "salvage_value": {"value": 5e7, "unit": "USD"},
}


def monthly_priors():
    """bench_simulate's priors and the monthly model's own inputs."""
    from mcrisk.spec.priors import Priors, parse_prior

    base = priors()
    extra = {k: parse_prior(k, v, file="bench", table=k) for k, v in MONTHLY.items()}
    return Priors({**base.entries, **extra}, currency="USD")


def _inputs(n: int) -> dict:
    from mcrisk import sample

    ds = sample(monthly_priors(), n, method="random", rng=1)
    return {k: (v.values if v.ndim else float(v)) for k, v in ds.data_vars.items()}


def speed(n: int, repeat: int) -> dict:
    """Median wall-time ratio of maas_monthly to maas on the same ``n`` samples, and the IRR's share."""
    from mcrisk.models import maas, maas_monthly, monthly_margin

    spent = [0.0]
    irr_by_month = monthly_margin.irr_by_month

    def timed_irr(*args):
        t0 = time.perf_counter()
        try:
            return irr_by_month(*args)
        finally:
            spent[0] += time.perf_counter() - t0

    x = _inputs(n)
    day = {k: v for k, v in x.items() if k not in MONTHLY}
    runs = {"maas": lambda: maas(**day), "maas_monthly": lambda: maas_monthly(**x, months=MONTHS)}
    for f in runs.values():  # warm-up
        f()
    times: dict[str, list[float]] = {k: [] for k in runs}
    monthly_margin.irr_by_month = timed_irr
    try:
        for i in range(repeat):
            for name in (("maas", "maas_monthly") if i % 2 else ("maas_monthly", "maas")):
                t0 = time.perf_counter()
                runs[name]()
                times[name].append(time.perf_counter() - t0)
    finally:
        monthly_margin.irr_by_month = irr_by_month
    ratios = [h / m for h, m in zip(times["maas_monthly"], times["maas"], strict=True)]
    return {"maas": statistics.median(times["maas"]), "maas_monthly": statistics.median(times["maas_monthly"]),
            "ratio": statistics.median(ratios), "irr": spent[0] / repeat, "floor": _fresh_outputs(n, repeat),
            "without_irr": _without_irr(runs, repeat)}


def _without_irr(runs: dict, repeat: int) -> float:
    """Median wall-time ratio of maas_monthly with its IRR replaced by NaN (the months, NPV and payback) to maas."""
    from mcrisk.models import monthly_margin

    irr_by_month = monthly_margin.irr_by_month
    monthly_margin.irr_by_month = lambda flows, running: np.full(flows.shape[1], np.nan)
    ratios = []
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            runs["maas"]()
            t1 = time.perf_counter()
            runs["maas_monthly"]()
            ratios.append((time.perf_counter() - t1) / (t1 - t0))
    finally:
        monthly_margin.irr_by_month = irr_by_month
    return statistics.median(ratios)


def _fresh_outputs(n: int, repeat: int) -> float:
    """Median time to write the monthly model's five (n, 36) outputs, 1,440 bytes a sample, into new memory.

    What any implementation pays to hand back these outputs (page faults included), however fast
    its arithmetic: the floor of ``maas_monthly``'s time on this machine.
    """
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        arrays = [np.empty((n, MONTHS)) for _ in range(5)]
        for a in arrays:
            a.fill(1.0)
        times.append(time.perf_counter() - t0)
        del arrays
    return statistics.median(times)


def runs(n: int, repeat: int) -> dict:
    """Median wall time of a whole run (draw, evaluate, the Dataset), ``simulate``, of each model at ``n`` samples."""
    from mcrisk import simulate
    from mcrisk.models import bind_options, maas, maas_monthly

    day, months = priors(), monthly_priors()
    monthly = bind_options(maas_monthly, {"months": MONTHS})
    times: dict[str, list[float]] = {"maas": [], "maas_monthly": []}
    for i in range(repeat):
        for name in (("maas", "maas_monthly") if i % 2 else ("maas_monthly", "maas")):
            t0 = time.perf_counter()
            simulate(maas, day, n, rng=i) if name == "maas" else simulate(monthly, months, n, rng=i)
            times[name].append(time.perf_counter() - t0)
    ratios = [h / m for h, m in zip(times["maas_monthly"], times["maas"], strict=True)]
    return {k: statistics.median(v) for k, v in times.items()} | {"ratio": statistics.median(ratios)}


def memory(n: int) -> dict:
    """Peak resident memory (MB) of a summary-only run of ``n`` samples of maas_monthly."""
    from mcrisk.models import bind_options, maas_monthly
    from mcrisk.simulation.engine import simulate_summary

    model = bind_options(maas_monthly, {"months": MONTHS})
    t0 = time.perf_counter()
    summary = simulate_summary(model, monthly_priors(), n, rng=3, chunk_size=CHUNK)
    seconds = time.perf_counter() - t0
    return {"samples": n, "peak_mb": _peak_mb(), "seconds": seconds,
            "p_npv_negative": float(summary["p_below_zero"].sel(output="npv")),
            "p_cash_negative_last": float(summary["month_p_below_zero"].sel(monthly_output="cumulative_cash")[-1])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", default="20,22", help="log2 of the summary-only sizes (default 20,22)")
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
    print(f"| maas_monthly (months={MONTHS}, NPV, IRR, payback) | {s['maas_monthly']:.3f} | {s['ratio']:.1f} | "
          f"{ALLOWED_SPEED:g} |")
    print(f"of which the IRR: {s['irr']:.3f} s a run (mean); load average {os.getloadavg()[0]:.1f}")
    print(f"writing the five (samples, {MONTHS}) outputs into new memory, nothing computed: {s['floor']:.3f} s, "
          f"{s['floor'] / s['maas']:.1f} times maas")
    print(f"maas_monthly with its IRR replaced by NaN (the months, NPV, payback): {s['without_irr']:.1f} times maas")
    r = runs(args.samples, args.repeat)
    print(f"\nwhole runs (simulate: draw, evaluate, the Dataset), {args.samples:,} samples, median of {args.repeat}")
    print(f"| model | median time (s) | median ratio |\n|---|---|---|\n| maas | {r['maas']:.2f} | 1.00 |\n"
          f"| maas_monthly | {r['maas_monthly']:.2f} | {r['ratio']:.1f} |")
    rows = []
    for k in (int(v) for v in args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--memory", str(2**k)], capture_output=True, text=True,
                             check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"\n--summary-only (simulate_summary), chunks of {CHUNK:,} samples x {MONTHS} months, one process per run")
    print("| samples | peak resident memory (MB) | time (s) | P(NPV < 0) | P(cumulative cash < 0), last month |\n"
          "|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['samples']:,} | {r['peak_mb']:.0f} | {r['seconds']:.1f} | {r['p_npv_negative']:.4f} | "
              f"{r['p_cash_negative_last']:.4f} |")
    growth = rows[-1]["peak_mb"] / rows[0]["peak_mb"]
    print(f"peak at {rows[-1]['samples']:,} / peak at {rows[0]['samples']:,} = {growth:.2f} (allowed {ALLOWED_MEMORY})")
    over = [what for what, bad in (("speed", s["ratio"] > ALLOWED_SPEED), ("memory", growth > ALLOWED_MEMORY)) if bad]
    if over:
        print(f"\nover the allowance: {', '.join(over)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
