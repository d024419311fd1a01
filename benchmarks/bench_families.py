"""What each built-in family's inverse CDF costs for 10**6 draws: this tree against a git revision.

Each family draws 10**6 probabilities through ``Prior.ppf`` (the sampling path: closed forms,
the beta table, scipy.special.betaincinv). The same priors are drawn with the inverse CDFs of
``--base`` (default ``22f0060``, before the families were made right to the last draw), loaded
from ``git show`` into a throw-away package, in the same process. Timed as ``--repeat``
alternating pairs after a warm-up (so a beta table is built before timing, as in a run); the
median wall-time ratio new/old is reported per family.

Run: ``python benchmarks/bench_families.py [--samples N] [--repeat R] [--base REV]``.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from machine import cpu_line

ROOT = Path(__file__).resolve().parent.parent
PRIORS = {
    "uniform": {"low": 1.5, "high": 3.5},
    "loguniform": {"low": 0.01, "high": 10.0},
    "triangular": {"low": 1.0, "mode": 2.0, "high": 5.0},
    "triangular_0": {"low": 0.0, "mode": 2.0, "high": 5.0},  # measured from the nearer end
    "pert": {"low": 1.0, "mode": 2.0, "high": 5.0, "lambda": 4.0},
    "normal": {"mean": 10.0, "sd": 2.0},
    "truncnormal": {"mean": 1.0, "sd": 0.5, "low": 0.0, "high": None},
    "lognormal": {"median": 2.0, "sigma": 0.4},
    "weibull": {"shape": 1.5, "scale": 4.0},
    "beta": {"a": 2.0, "b": 5.0, "low": 0.0, "high": 1.0},
    "beta_small_a": {"a": 0.01, "b": 3.88, "low": 0.0, "high": 1.0},  # the old table drew 1.0 half the time
}


def _old_ppf(base: str) -> dict:
    """The PPF registry of mcrisk.distributions at ``base``, as a throw-away package."""
    tmp = Path(tempfile.mkdtemp(prefix="mcrisk_old_"))
    pkg = tmp / "old_dist"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    names = subprocess.run(["git", "ls-tree", "--name-only", base, "mcrisk/distributions/"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for name in names:
        text = subprocess.run(["git", "show", f"{base}:{name}"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout
        (pkg / Path(name).name).write_text(text.replace("mcrisk.distributions.", "old_dist."))
    sys.path.insert(0, str(tmp))
    return importlib.import_module("old_dist.closedform").PPF


def _time(f, u) -> float:
    t = time.perf_counter()
    f(u)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=10**6)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--base", default="22f0060")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from mcrisk.distributions.closedform import PPF

    old = _old_ppf(args.base)
    u = np.random.default_rng(2026).random(args.samples)
    print(cpu_line())
    print(f"{args.samples:,} draws per family, median of {args.repeat}; base {args.base}")
    print(f"{'family':<14} {'old ms':>9} {'new ms':>9} {'new/old':>8}")
    for name, params in PRIORS.items():
        fam = name.split("_")[0]
        new_f, old_f = (lambda x, f=PPF[fam]: f(params, x)), (lambda x, f=old[fam]: f(params, x))
        new_f(u), old_f(u)  # warm-up: tables built
        pairs = [(_time(old_f, u), _time(new_f, u)) for _ in range(args.repeat)]
        t_old = statistics.median(p[0] for p in pairs)
        t_new = statistics.median(p[1] for p in pairs)
        print(f"{name:<14} {1e3 * t_old:9.1f} {1e3 * t_new:9.1f} {t_new / t_old:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
