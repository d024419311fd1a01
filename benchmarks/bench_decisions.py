"""Cost of a sweep and of a solve on the main study (studies/third_party_provider.toml).

* **Sweep**: 20 values of ``price_output`` on the study's 20,000 samples (common random
  numbers: the other inputs drawn once), with the summary of each value, against one run of
  the equivalent 20 x 20,000 = 400,000 samples of the study (simulate + summarize). Allowance:
  at most 1.2 times as long (exit status 1 if the median ratio exceeds it).
* **Solve**: the output price at which P(loss) <= 10%, bisected to 0.5% of the answer, against
  one run of the study's 20,000 samples (simulate + summarize); the ratio is reported.

Each pair is timed ``--repeat`` times, which one goes first alternating, after one warm-up of
each, in this one process, so both see the same machine load; the ratio reported is the median
of the pairs' wall-time ratios (CPU-time ratios beside it).

Run: ``python benchmarks/bench_decisions.py [--repeat R]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from machine import cpu_line

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import mcrisk  # noqa: E402
from mcrisk.analyze.risk import summarize  # noqa: E402
from mcrisk.analyze.sweep import lever_unit, summarize_sweep  # noqa: E402

ALLOWED = 1.2
VALUES = np.linspace(8.0, 400.0, 20)  # CNY per million output tokens


def _timed(fn) -> tuple[float, float]:
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def _pairs(a, b, repeat: int) -> tuple[float, float, float, float]:
    a(), b()  # warm-up
    wall, cpu, ta, tb = [], [], [], []
    for i in range(repeat):
        first, second = (a, b) if i % 2 == 0 else (b, a)
        r1, r2 = _timed(first), _timed(second)
        (wa, ca), (wb, cb) = (r1, r2) if i % 2 == 0 else (r2, r1)
        wall.append(wa / wb)
        cpu.append(ca / cb)
        ta.append(wa)
        tb.append(wb)
    return statistics.median(wall), statistics.median(cpu), statistics.median(ta), statistics.median(tb)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    study = mcrisk.load_study(ROOT / "studies" / "third_party_provider.toml")
    n, kw = study.samples, {"method": study.method, "rng": study.seed}

    def sweep():
        res = mcrisk.sweep(study.model, study.priors, "price_output", VALUES, n, **kw)
        summarize_sweep(res, period_days=study.period_days)

    def single(k: int):
        return lambda: summarize(mcrisk.simulate(study.model, study.priors, k, **kw))

    def solve():
        mcrisk.solve(study.model, study.priors, "price_output", "P(profit_per_day < 0) <= 0.1", 8.0, 1000.0, n,
                     tolerance=0.005, **kw)

    print(cpu_line())
    sw = _pairs(sweep, single(n * len(VALUES)), args.repeat)
    so = _pairs(solve, single(n), args.repeat)
    sol = mcrisk.solve(study.model, study.priors, "price_output", "P(profit_per_day < 0) <= 0.1", 8.0, 1000.0, n,
                       tolerance=0.005, unit=lever_unit(study.model, study.priors, "price_output"), **kw)
    print(f"{'case':<58}{'time':>9}{'baseline':>10}{'wall x':>8}{'cpu x':>7}")
    print(f"{'sweep: 20 values x 20,000 samples vs 400,000 samples':<58}{sw[2]:>8.3f}s{sw[3]:>9.3f}s"
          f"{sw[0]:>8.2f}{sw[1]:>7.2f}  (allowed {ALLOWED})")
    print(f"{'solve to 0.5%: ' + str(sol.evaluations) + ' evaluations vs one 20,000-sample run':<58}"
          f"{so[2]:>8.3f}s{so[3]:>9.3f}s{so[0]:>8.2f}{so[1]:>7.2f}")
    print(f"answer: price_output = {sol.value:.1f} (95% CI {sol.ci_low:.1f} to {sol.ci_high:.1f}) {sol.unit}")
    return 0 if sw[0] <= ALLOWED else 1


if __name__ == "__main__":
    sys.exit(main())
