"""Time to the first answer: ``mcrisk --help`` and ``mcrisk check`` from a fresh interpreter.

Each command runs ``--repeat`` times as ``python -m mcrisk.cli ...`` in a subprocess (the
console script is the same module behind a two-line launcher); the table gives the best wall
time of each, and its ratio to the plain-numpy baseline measured in the same run: a fresh
interpreter that imports numpy and exits, since every command but ``--help`` needs numpy. The
target is 0.5 s for both on 2 cores; the ratio is what carries across
machines. ``mcrisk check`` also imports scipy.special (the inverse CDFs of the priors'
checks), which is most of its time over the baseline.

An installed package runs from bytecode that ``pip install`` compiled; a source tree with
``PYTHONDONTWRITEBYTECODE`` set would compile every module on every start (60 ms and more
here). So the commands run with their bytecode cached in a temporary folder
(``PYTHONPYCACHEPREFIX``), filled by one untimed run of each, as an installed mcrisk would.

Run: ``python benchmarks/bench_start.py [--repeat 7] [--study studies/third_party_provider.toml]``.
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


def best(cmd: list[str], repeat: int, env: dict[str, str]) -> float:
    """The shortest wall time of ``repeat`` runs of ``cmd`` (seconds), after one untimed run."""
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, env=env)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--study", default="studies/third_party_provider.toml")
    args = ap.parse_args()
    py = sys.executable
    rows = {
        "python -c 'import numpy' (baseline)": [py, "-c", "import numpy"],
        "mcrisk --help": [py, "-m", "mcrisk.cli.main", "--help"],
        f"mcrisk check {args.study}": [py, "-m", "mcrisk.cli.main", "check", args.study],
    }
    base = None
    cache = tempfile.TemporaryDirectory(prefix="mcrisk-pyc-")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache.name
    print(cpu_line())
    print(f"{'command':<60} {'best s':>8} {'ratio':>7}")
    for name, cmd in rows.items():
        t = best(cmd, args.repeat, env)
        base = base or t
        print(f"{name:<60} {t:8.3f} {t / base:7.2f}")
    cache.cleanup()


if __name__ == "__main__":
    main()
