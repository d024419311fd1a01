"""What a ``[calibrate]`` table adds to a run of the main study (third_party_provider) at 20,000 samples.

The target (issue 25): calibration adds at most a few seconds on the 2-core machine. The study
is run twice, as it is and with a ``[calibrate]`` table observing two outputs (the average busy
nodes at the plain run's median with a 10% error, and the revenue within its plain run's
middle 80%), both at ``--samples`` samples with nothing written (``write=False``) and then with
its output folder written (png figures: the calibrated run adds the chart of prior against
posterior and calibration.csv/json). Reported: the best of ``--repeat`` runs of each, the
difference, and the time of :func:`mcrisk.analyze.calibration.calibrate` alone (likelihood, Pareto
smoothing, the weight variable) and of the weighted summary against the plain one.

Run: ``python benchmarks/bench_calibrate.py [--n 20000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from machine import cpu_line

ROOT = Path(__file__).resolve().parent.parent


def _best(fn, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from mcrisk import load_study, run_study
    from mcrisk.analyze.calibration import calibrate
    from mcrisk.analyze.risk import summarize
    from mcrisk.spec.studyfile import resolve

    path = ROOT / "studies" / "third_party_provider.toml"
    plain = load_study(path, samples=args.n)
    first = run_study(plain, write=False, quiet=True)
    nodes = float(np.median(first.results.nodes_avg.values))
    lo, hi = (float(q) for q in np.quantile(first.results.revenue_per_day.values, [0.1, 0.9]))
    observe = {"nodes_avg": {"value": nodes, "sd": 0.1 * nodes}, "revenue_per_day": {"low": lo, "high": hi}}
    cal = resolve({**plain.spec, "samples": args.n, "calibrate": {"observe": observe}}, path, text=plain.text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a record the priors contradict warns; timing is what matters here
        t_plain = _best(lambda: run_study(plain, write=False, quiet=True), args.repeat)
        t_cal = _best(lambda: run_study(cal, write=False, quiet=True), args.repeat)
        with tempfile.TemporaryDirectory() as tmp:
            w_plain = _best(lambda: run_study(plain, out=Path(tmp) / "p", formats=("png",), quiet=True), args.repeat)
            w_cal = _best(lambda: run_study(cal, out=Path(tmp) / "c", formats=("png",), quiet=True), args.repeat)
        res = first.results
        t_weights = _best(lambda: calibrate(res, cal.calibrate), args.repeat)
        weighted = calibrate(res, cal.calibrate)
        t_sum = _best(lambda: summarize(res), args.repeat)
        t_wsum = _best(lambda: summarize(weighted), args.repeat)
    print(cpu_line())
    print(f"third_party_provider, {args.n:,} samples; {weighted.attrs['ess']:,.0f} effective draws, "
          f"k-hat {weighted.attrs['k_hat']:.2f}")
    print(f"run, nothing written      plain {t_plain:6.2f} s   calibrated {t_cal:6.2f} s   added {t_cal - t_plain:+6.2f} s")
    print(f"run, folder written (png) plain {w_plain:6.2f} s   calibrated {w_cal:6.2f} s   added {w_cal - w_plain:+6.2f} s")
    print(f"calibrate() alone         {t_weights * 1e3:8.1f} ms")
    print(f"summary                   plain {t_sum * 1e3:6.1f} ms   weighted {t_wsum * 1e3:6.1f} ms")


if __name__ == "__main__":
    main()
