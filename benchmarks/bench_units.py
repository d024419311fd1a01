"""What unit conversion costs a run: priors written in other units against the same in the model's.

Two copies of one ``maas`` problem (10 uncertain inputs, 10**6 samples, ``mcrisk.simulate``):
"model units" writes every prior in the unit ``maas`` declares; "converted" writes the
throughputs in tokens/hour, the token counts in millions of tokens a day, the prices in USD per
1K tokens and the GPU rent in CNY per GPU-hour with an exchange rate, so
:func:`mcrisk.spec.conform.conform_priors` multiplies five columns by their factors. Both give the
same numbers (checked). The conversion is checked once, at load, and applied as one multiply
per converted column: the ratio should be 1 within noise. Timed in one process, ``--repeat``
alternating pairs after a warm-up; the median wall-time ratio is reported against an allowance
of 1.15 (exit status 1 above it), the CPU-time ratio beside it. Loading (with pint's import,
about 0.5 s, once) is timed apart.

Run: ``python benchmarks/bench_units.py [--samples N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from types import MappingProxyType

import numpy as np

from machine import cpu_line

FX = 0.139  # USD per CNY, for the benchmark only
MODEL_UNITS = {
    "input_tokens": {"dist": "lognormal", "median": 608e9, "sigma": 0.3, "unit": "tokens/day"},
    "output_tokens": {"dist": "lognormal", "median": 168e9, "sigma": 0.3, "unit": "tokens/day"},
    "cache_hit_share": {"dist": "beta", "a": 5.6, "b": 4.4, "unit": "1"},
    "prefill_tps_per_node": {"dist": "triangular", "low": 50_000, "mode": 73_700, "high": 90_000,
                             "unit": "tokens/s"},
    "decode_tps_per_node": {"dist": "triangular", "low": 10_000, "mode": 14_800, "high": 18_000,
                            "unit": "tokens/s"},
    "gpu_hour_price": {"dist": "pert", "low": 1.5, "mode": 2.0, "high": 3.5, "unit": "USD/GPU-hour"},
    "peak_to_avg": {"dist": "truncnormal", "mean": 1.23, "sd": 0.25, "low": 1.0, "unit": "1"},
    "paid_share": {"dist": "uniform", "low": 0.3, "high": 1.0, "unit": "1"},
    "price_cut": {"dist": "uniform", "low": 0.0, "high": 0.5, "unit": "1"},
    "price_output": {"dist": "uniform", "low": 1.5, "high": 2.5, "unit": "USD/1M tokens"},
    "price_input_miss": {"value": 0.55, "unit": "USD/1M tokens"},
}
CONVERTED = {
    **MODEL_UNITS,
    "input_tokens": {"dist": "lognormal", "median": 608e3, "sigma": 0.3, "unit": "1M tokens/day"},
    "prefill_tps_per_node": {"dist": "triangular", "low": 50_000 * 3600, "mode": 73_700 * 3600,
                             "high": 90_000 * 3600, "unit": "tokens/hour"},
    "decode_tps_per_node": {"dist": "triangular", "low": 10_000 * 3600, "mode": 14_800 * 3600,
                            "high": 18_000 * 3600, "unit": "tokens/hour"},
    "gpu_hour_price": {"dist": "pert", "low": 1.5 / FX, "mode": 2.0 / FX, "high": 3.5 / FX,
                       "unit": "CNY/GPU-hour"},
    "price_output": {"dist": "uniform", "low": 1.5e-3, "high": 2.5e-3, "unit": "USD/1K tokens"},
}
# Five multiplies of 10**6 doubles against a ~1 s run: about 1.01; the rest is a shared machine's noise.
ALLOWED = 1.15


def _load(specs: dict):
    from mcrisk.spec.conform import conform_priors
    from mcrisk.models import maas
    from mcrisk.spec.priors import Priors, parse_prior

    entries = {k: parse_prior(k, v, file="bench", table=k) for k, v in specs.items()}
    conformed = conform_priors(maas, Priors(MappingProxyType(entries), currency="USD"), currency="USD",
                               fx={"CNY": FX}, where="bench")
    return conformed.priors, conformed.conversions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    from mcrisk import simulate
    from mcrisk.models import maas

    t0 = time.perf_counter()
    plain, _ = _load(MODEL_UNITS)
    t1 = time.perf_counter()
    converted, notes = _load(CONVERTED)
    t2 = time.perf_counter()

    def run(p, seed):
        return simulate(maas, p, args.samples, method="lhs", rng=seed)["profit_per_day"].values

    a, b = run(plain, 0), run(converted, 0)  # warm-up, and the two must agree
    np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-9 * np.abs(a).max())  # profit crosses 0
    ratios, cpu = [], []
    for seed in range(1, args.repeat + 1):
        order = (plain, converted) if seed % 2 else (converted, plain)
        dt = {}
        for p in order:
            s, c = time.perf_counter(), time.process_time()
            run(p, seed)
            dt[id(p)] = (time.perf_counter() - s, time.process_time() - c)
        ratios.append(dt[id(converted)][0] / dt[id(plain)][0])
        cpu.append(dt[id(converted)][1] / dt[id(plain)][1])
    ratio = statistics.median(ratios)
    print(cpu_line())
    print(f"{args.samples:,} samples, lhs, {len(notes)} converted inputs:")
    for line in notes:
        print(f"  {line}")
    print(f"load, model units: {t1 - t0:.3f} s; load, converted (pint imported here): {t2 - t1:.3f} s")
    print(f"run time ratio converted / model units: median {ratio:.3f} of {len(ratios)} pairs "
          f"({', '.join(f'{r:.3f}' for r in ratios)}); allowed {ALLOWED}; CPU-time ratio median "
          f"{statistics.median(cpu):.3f}")
    sys.exit(0 if ratio <= ALLOWED else 1)


if __name__ == "__main__":
    main()
