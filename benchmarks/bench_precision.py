"""A precision run's time against the plain run of its final size, for LHS and Sobol' and small first batches.

For each case: ``simulate_to_precision`` of a study at ``precision`` from a first batch of
``first`` samples, capped at ``cap``; then a plain ``simulate`` of the final size with the same
design and seed (one call, no chunks); each in a fresh process after a warm-up run of 4,096
samples, the best of ``--repeat``. The
ratio is precision / plain (issue 22 asks for a few times at most, whatever the first batch).

Cases: the main study (``studies/third_party_provider.toml``, ``maas``) at
``"p95:5%, p50:5%"`` capped at 400,000 (not met by the cap, so it ends near 400,000) from first
batches of 200 and 4,000, with LHS and Sobol'; and the hourly chain ``studies/own_vs_rent.toml``
(``maas_hourly``, LHS) at ``"p95:5%, p50:5%"`` from a first batch of 200, under the default cap.

Run: ``python benchmarks/bench_precision.py [--repeat R] [--skip-hourly]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from machine import cpu_line

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcrisk.analyze.precision import MAX_SAMPLES, simulate_to_precision
from mcrisk.simulation.engine import simulate
from mcrisk.spec.precision_text import parse_precision
from mcrisk.spec.studyfile import load_study

CASES = [  # (study, precision, method, first batch, cap)
    ("third_party_provider", "p95:5%, p50:5%", "lhs", 200, 400_000),
    ("third_party_provider", "p95:5%, p50:5%", "lhs", 4_000, 400_000),
    ("third_party_provider", "p95:5%, p50:5%", "sobol", 200, 400_000),
    ("third_party_provider", "p95:5%, p50:5%", "sobol", 4_000, 400_000),
]
HOURLY = [("own_vs_rent", "p95:5%, p50:5%", "lhs", 200, MAX_SAMPLES)]


def _time(kind: str, name: str, text: str, method: str, first: int, cap: int, n: int = 0) -> tuple[float, int, int, int, bool]:
    """One measurement in this process: (seconds, final samples, batches, replicates, met)."""
    st = load_study(ROOT / "studies" / f"{name}.toml")
    simulate(st.model, st.priors, 4096, method=method, rng=st.seed)  # warm-up: imports, tables
    t = time.perf_counter()
    if kind == "plain":
        simulate(st.model, st.priors, n, method=method, rng=st.seed)
        return time.perf_counter() - t, n, 1, 1, True
    res, conv = simulate_to_precision(st.model, st.priors, parse_precision(text, "--precision"), st.output,
                                      samples=first, method=method, rng=st.seed, max_samples=cap,
                                      period_days=st.period_days)
    took = time.perf_counter() - t
    return (took, res.sizes["sample"], len(set(conv.samples.values.tolist())), len(set(res.replicate.values.tolist())),
            bool(res.attrs["precision_met"]))


def _child(*args) -> tuple:
    """:func:`_time` in a fresh process: each run allocates its memory afresh, as a real one does
    (a second run in one process reuses the first's pages and looks several times faster)."""
    done = subprocess.run([sys.executable, "-W", "ignore", __file__, "--one", json.dumps(args)], capture_output=True,
                          text=True, check=True)
    return tuple(json.loads(done.stdout.splitlines()[-1]))


def case(name: str, text: str, method: str, first: int, cap: int, repeat: int) -> None:
    runs = [_child("precision", name, text, method, first, cap) for _ in range(repeat)]
    run, n, batches, reps, met = min(runs)
    plain = min(_child("plain", name, text, method, first, cap, n)[0] for _ in range(repeat))
    print(f"{name:<22} {text!r:<18} {method:<6} {first:>6,} {cap:>10,} {n:>10,} {batches:>3} {reps:>5} {met!s:<5} "
          f"{run:>7.2f} {plain:>7.2f} {run / plain:>6.1f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-hourly", action="store_true")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(_time(*json.loads(args.one))))
        return
    print(cpu_line())
    print(f"{'study':<22} {'precision':<18} {'design':<6} {'first':>6} {'cap':>10} {'final':>10} {'bat':>3} "
          f"{'reps':>5} {'met':<5} {'prec s':>7} {'plain s':>7} {'ratio':>6}")
    for c in CASES + ([] if args.skip_hourly else [(h[0], h[1], h[2], h[3], h[4]) for h in HOURLY]):
        case(*c, repeat=args.repeat)


if __name__ == "__main__":
    main()
