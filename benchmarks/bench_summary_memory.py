"""Peak memory of ``--summary-only`` with a ``[solve]`` table, and a precision run's time against a plain run.

Part 1: ``mcrisk run studies/third_party_provider.toml --summary-only`` (the main study, whose
``[solve]`` streams its lever values in chunks under ``--summary-only``) at each ``--sizes``
(default 2^20, 2^22, 2^24 samples), each in a fresh child process; its peak resident memory is
``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` read by a small launcher process that waits
for that one child, so each size is measured alone. ``--before PATH`` also runs the sizes up to
2^22 with ``PYTHONPATH=PATH`` (another checkout, e.g. one before streaming) for comparison.

Part 2: ``simulate_to_precision`` of the main study at ``--precision`` (default
``"p95:5%, p50:5%"``) from a first batch of ``--first`` LHS samples (replicates of a quarter of it),
capped at ``--cap``; then a plain ``simulate`` of the final size with the same design, and the
two times (in one process, after a warm-up run).

Run: ``python benchmarks/bench_summary_memory.py [--sizes 20,22,24] [--before /path/to/old]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import cpu_line

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "studies" / "third_party_provider.toml"

_LAUNCH = """
import resource, subprocess, sys, time
t = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t
if done.returncode:
    sys.exit(done.stderr)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, wall)
"""


def peak(n: int, pythonpath: str) -> tuple[float, float, str]:
    """(peak resident MB, wall s, solve.json's value) of one --summary-only run of ``n`` samples."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        env = {**os.environ, "PYTHONPATH": pythonpath}
        cmd = [sys.executable, "-c", _LAUNCH, sys.executable, "-m", "mcrisk.cli.main", "run", str(STUDY), "--samples",
               str(n), "--summary-only", "--quiet", "--out", str(out)]
        # cwd: `python -m` puts the current folder first on sys.path, ahead of PYTHONPATH
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True, cwd=tmp)
        kb, wall = done.stdout.split()
        solve = out / "solve.json"
        value = solve.read_text().split('"value": ')[1].split(",")[0] if solve.exists() else "no solve.json"
        return int(kb) / 1024, float(wall), value


def precision_against_plain(text: str, first: int, cap: int) -> None:
    sys.path.insert(0, str(ROOT))
    from mcrisk.analyze.precision import simulate_to_precision
    from mcrisk.simulation.engine import simulate
    from mcrisk.spec.precision_text import parse_precision
    from mcrisk.spec.studyfile import load_study

    st = load_study(STUDY)
    prec = parse_precision(text, "--precision")
    simulate(st.model, st.priors, 20_000, method="lhs", rng=st.seed)  # warm-up: imports, tables
    t = time.perf_counter()
    res, conv = simulate_to_precision(st.model, st.priors, prec, st.output, samples=first, method="lhs",
                                      rng=st.seed, max_samples=cap, period_days=st.period_days)
    run = time.perf_counter() - t
    n = res.sizes["sample"]
    t = time.perf_counter()
    simulate(st.model, st.priors, n, method="lhs", rng=st.seed)
    plain = time.perf_counter() - t
    print(f"precision {text!r} from {first} LHS samples (first replicates of {res.attrs['replicate_samples']}), "
          f"cap {cap:,}: {n:,} samples in {len(set(conv.samples.values.tolist()))} batches, "
          f"met={bool(res.attrs['precision_met'])}: {run:.1f} s; plain LHS run of {n:,}: {plain:.1f} s "
          f"(ratio {run / plain:.1f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="20,22,24", help="log2 of the sample counts")
    ap.add_argument("--before", help="PYTHONPATH of another checkout, run up to 2^22 for comparison")
    ap.add_argument("--precision", default="p95:5%, p50:5%")
    ap.add_argument("--first", type=int, default=200)
    ap.add_argument("--cap", type=int, default=2**21)
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()
    print(cpu_line())
    if not args.skip_memory:
        print(f"{'samples':>12}  {'checkout':<10} {'peak MB':>8} {'wall s':>7}  solve value")
        for k in (int(s) for s in args.sizes.split(",")):
            runs = [("this", str(ROOT))] + ([("before", args.before)] if args.before and k <= 22 else [])
            for name, path in runs:
                mb, wall, value = peak(2**k, path)
                print(f"{2**k:>12,}  {name:<10} {mb:>8.0f} {wall:>7.1f}  {value}", flush=True)
    precision_against_plain(args.precision, args.first, args.cap)


if __name__ == "__main__":
    main()
