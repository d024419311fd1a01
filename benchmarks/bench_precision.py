"""A precision run's time against the plain run of its final size, for LHS and Sobol' and small first batches.

For each case: ``simulate_to_precision`` of a study at ``precision`` from a first batch of
``first`` samples, capped at ``cap``; then a plain ``simulate`` of the final size with the same
design and seed; both in one process, after a warm-up run, each the best of ``--repeat``. The
ratio is precision / plain (issue 22 asks for a few times at most, whatever the first batch).

Cases: the main study (``studies/third_party_provider.toml``, ``maas``) at
``"p95:5%, p50:5%"`` capped at 400,000 (not met by the cap, so it ends near 400,000) from first
batches of 200 and 4,000, with LHS and Sobol'; and the hourly chain ``studies/own_vs_rent.toml``
(``maas_hourly``, LHS) at ``"p95:5%, p50:5%"`` from a first batch of 200, under the default cap.

Run: ``python benchmarks/bench_precision.py [--repeat R] [--skip-hourly]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from machine import cpu_line

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcrisk.analyze.precision import MAX_SAMPLES, simulate_to_precision  # noqa: E402
from mcrisk.simulation.engine import simulate  # noqa: E402
from mcrisk.spec.precision_text import parse_precision  # noqa: E402
from mcrisk.spec.studyfile import load_study  # noqa: E402

CASES = [  # (study, precision, method, first batch, cap)
    ("third_party_provider", "p95:5%, p50:5%", "lhs", 200, 400_000),
    ("third_party_provider", "p95:5%, p50:5%", "lhs", 4_000, 400_000),
    ("third_party_provider", "p95:5%, p50:5%", "sobol", 200, 400_000),
    ("third_party_provider", "p95:5%, p50:5%", "sobol", 4_000, 400_000),
]
HOURLY = [("own_vs_rent", "p95:5%, p50:5%", "lhs", 200, MAX_SAMPLES)]


def _best(f, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t)
    return best, out


def case(name: str, text: str, method: str, first: int, cap: int, repeat: int) -> None:
    st = load_study(ROOT / "studies" / f"{name}.toml")
    prec = parse_precision(text, "--precision")
    simulate(st.model, st.priors, 4096, method=method, rng=st.seed)  # warm-up: imports, tables
    run, (res, conv) = _best(lambda: simulate_to_precision(st.model, st.priors, prec, st.output, samples=first,
                                                           method=method, rng=st.seed, max_samples=cap,
                                                           period_days=st.period_days), repeat)
    n = res.sizes["sample"]
    plain, _ = _best(lambda: simulate(st.model, st.priors, n, method=method, rng=st.seed), repeat)
    reps = len(set(res.replicate.values.tolist()))
    print(f"{name:<22} {text!r:<18} {method:<6} {first:>6,} {cap:>10,} {n:>10,} {len(set(conv.samples.values.tolist())):>3} "
          f"{reps:>5} {bool(res.attrs['precision_met'])!s:<5} {run:>7.2f} {plain:>7.2f} {run / plain:>6.1f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-hourly", action="store_true")
    args = ap.parse_args()
    print(cpu_line())
    print(f"{'study':<22} {'precision':<18} {'design':<6} {'first':>6} {'cap':>10} {'final':>10} {'bat':>3} "
          f"{'reps':>5} {'met':<5} {'prec s':>7} {'plain s':>7} {'ratio':>6}")
    for c in CASES + ([] if args.skip_hourly else [(h[0], h[1], h[2], h[3], h[4]) for h in HOURLY]):
        case(*c, repeat=args.repeat if c[0] != "own_vs_rent" else 1)


if __name__ == "__main__":
    main()
