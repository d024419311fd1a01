"""The main study (studies/third_party_provider.toml) at 10^6 samples: one process against a
two-worker dask cluster on 127.0.0.1.

Each run is ``mcrisk run studies/third_party_provider.toml --samples N --quiet --out DIR`` in a
fresh process, end to end (import, simulate, tables, files): once as it is, once with
``--scheduler tcp://127.0.0.1:PORT`` on a ``dask scheduler`` and two single-threaded ``dask
worker`` processes (no nanny) started beforehand and warmed up by one small run, in another
working directory. Reported: the wall time of each run and the peak resident memory of every
process (``ru_maxrss`` from ``wait4``); the two runs' ``summary.csv`` must be byte-identical
(exit status 1 if not).

Run: ``python benchmarks/bench_cluster.py [--samples N]`` (Linux; 10^6 by default).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import cpu_line

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "studies" / "third_party_provider.toml"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", *args], cwd=cwd, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _reap(p: subprocess.Popen) -> float:
    """Wait for ``p``; its peak resident memory in MB."""
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024


def _run(samples: int, out: Path, cwd: Path, scheduler: str | None = None) -> tuple[float, float]:
    """Wall time (s) and peak memory (MB) of one ``mcrisk run``."""
    args = ["mcrisk.cli", "run", str(STUDY), "--samples", str(samples), "--quiet", "--out", str(out)]
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", *args] + (["--scheduler", scheduler] if scheduler else []),
                         cwd=cwd, env=ENV, stdout=subprocess.DEVNULL)
    mb = _reap(p)
    if p.returncode:
        sys.exit(f"mcrisk run failed ({p.returncode}): {' '.join(args)}")
    return time.perf_counter() - t0, mb


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=10**6)
    samples = ap.parse_args().samples
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        port = _free_port()
        address = f"tcp://127.0.0.1:{port}"
        scheduler = _start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
                            "--no-dashboard"], tmp)
        workers = [_start(["distributed.cli.dask_worker", address, "--nthreads", "1", "--no-nanny",
                           "--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(tmp)], tmp)
                   for _ in range(2)]
        try:
            _run(20_000, tmp / "warm", tmp, address)  # the workers import mcrisk, numpy, scipy
            one = _run(samples, tmp / "one", tmp)
            two = _run(samples, tmp / "two", tmp, address)
        finally:
            for p in (*workers, scheduler):
                p.terminate()
            peaks = [_reap(p) for p in (*workers, scheduler)]
        same = (tmp / "one" / "summary.csv").read_bytes() == (tmp / "two" / "summary.csv").read_bytes()
    print(cpu_line())
    print(f"mcrisk run {STUDY.relative_to(ROOT)} --samples {samples:,}")
    print(f"| run | wall time | peak memory per process |\n|---|---|---|\n"
          f"| one process | {one[0]:.1f} s | {one[1]:.0f} MB |\n"
          f"| --scheduler {address}, 2 workers | {two[0]:.1f} s | client {two[1]:.0f} MB, "
          f"workers {peaks[0]:.0f} and {peaks[1]:.0f} MB, scheduler {peaks[2]:.0f} MB |")
    print(f"summary.csv byte-identical: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
