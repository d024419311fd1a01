"""Where the time of ``mcrisk run`` goes: one study end to end and phase by phase.

For each sample count (the study's own, and ``--samples``, default 10^6) two runs:

* **end to end**: ``python -m mcrisk.cli run STUDY --samples N --quiet --out TMP`` in a
  subprocess: its wall time and peak resident memory (``os.wait4``), and the import time of
  the modules a run loads, from a fresh interpreter.
* **by phase**: in a fresh process, :func:`mcrisk.study.runner.run_study` itself (what the CLI
  calls), with ``time.perf_counter`` around each step it takes: imports, load, sample +
  simulate, summary, each of
  the study's tables (tornado; sensitivity, its own design and model runs; rank correlations
  and loss attribution, from the study's samples; sweep; solve; scenarios and value of
  information), the figures (drawn and saved, one process per core, results.nc written in the
  same processes), the files (the CSV tables, report.md and report.html), and the peak resident
  memory of the process (``resource.getrusage``). A run computes its summary and tables in
  forked processes, one per core; here they run one after another, so that each is timed: the
  end-to-end time is below the sum.

Each step is timed by wrapping the name ``run_study`` looks up (its ``_RUNNERS`` table for the
study's tables, ``render_all`` where the report calls it), so the phases are what the CLI
does, whatever the study holds. Single runs on a shared machine move by 10-20%.

Run: ``python benchmarks/bench_study.py [--study studies/third_party_provider.toml]
[--samples 1000000]``. Prints a table and the processor with its caches.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from machine import cpu_line

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("imports", "load", "sample + simulate", "summary", "tornado", "sensitivity", "rank correlations",
          "loss attribution", "sweep", "solve", "scenarios", "value of information",
          "figures (results.nc written alongside)", "files: tables, report")
#: What ``mcrisk run`` imports on its way (the CLI imports the rest lazily, as here).
MODULES = ("mcrisk.cli.main", "mcrisk.study.runner", "mcrisk.simulation.engine", "mcrisk.analyze.risk", "mcrisk.analyze.tornado",
           "mcrisk.analyze.sensitivity_run", "mcrisk.report.document", "mcrisk.report.plot")
#: The runners of the study's optional tables (``mcrisk.study.runner._RUNNERS``' keys) and their phase.
RUNNER_PHASES = {"tornado": "tornado", "sensitivity": "sensitivity", "sweep": "sweep", "solve": "solve",
                 "scenarios": "scenarios", "value_of_information": "value of information"}


def _wrap(module, name: str, seconds: defaultdict, phase: str) -> None:
    """Replace ``module.name`` by a function that adds its run time to ``seconds[phase]``."""
    setattr(module, name, _timed(getattr(module, name), seconds, phase))


def _timed(inner, seconds: defaultdict, phase: str):
    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            seconds[phase] += time.perf_counter() - t0

    return timed


def phases(study_path: Path, samples: int | None) -> dict:
    """Run the study with :func:`mcrisk.study.runner.run_study`, as ``mcrisk run`` does, timing each phase.

    Returns seconds per phase (nested phases are subtracted from the phase that calls them:
    rank correlations and loss attribution from sensitivity, the figures from the files) and the
    peak RSS of the process (MB).
    """
    seconds: defaultdict[str, float] = defaultdict(float)
    t0 = time.perf_counter()
    import importlib

    for m in MODULES:
        importlib.import_module(m)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401  (what the figures need, loaded by the first one)
    seconds["imports"] = time.perf_counter() - t0

    import mcrisk.report.document as report
    import mcrisk.analyze.sensitivity_run as sensitivity_study
    import mcrisk.study.runner as study_mod

    _wrap(study_mod, "load_study", seconds, "load")
    for name in ("simulate", "simulate_thinned", "simulate_to_precision"):
        _wrap(study_mod, name, seconds, "sample + simulate")
    for name in ("_summary_job", "format_summary"):  # per_period alone would count the tornado's too
        _wrap(study_mod, name, seconds, "summary")
    _wrap(sensitivity_study, "rank_correlations", seconds, "rank correlations")
    _wrap(sensitivity_study, "loss_attribution", seconds, "loss attribution")
    for key, runner in list(study_mod._RUNNERS.items()):
        study_mod._RUNNERS[key] = _timed(runner, seconds, RUNNER_PHASES[key])

    def one_after_another(jobs, **kwargs):  # here, so each table is timed (a run forks them)
        for job in jobs:
            yield job()

    study_mod.run_forked = one_after_another
    _wrap(report, "render_all", seconds, "figures (results.nc written alongside)")
    _wrap(study_mod, "_write", seconds, "files: tables, report")
    with tempfile.TemporaryDirectory() as tmp:
        study_mod.run_study(study_path, samples=samples, out=Path(tmp) / "out", quiet=True)
    seconds["sensitivity"] -= seconds["rank correlations"] + seconds["loss attribution"]
    seconds["files: tables, report"] -= seconds["figures (results.nc written alongside)"]
    return {"samples": samples or study_mod.load_study(study_path).samples, "seconds": dict(seconds),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _child(cmd: list[str], env: dict) -> tuple[float, float, str, str]:
    """Wall seconds, peak RSS (MB), stdout and stderr of one child process."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if p.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{stderr}")
    return wall, usage.ru_maxrss / 1024, stdout, stderr


def end_to_end(study_path: Path, samples: int | None, env: dict) -> dict:
    """``mcrisk run`` in a subprocess, and the import time of a fresh interpreter."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "mcrisk.cli.main", "run", str(study_path), "--quiet", "--out", f"{tmp}/out"]
        wall, rss, _, _ = _child(cmd + (["--samples", str(samples)] if samples else []), env)
    code = ("import time; t = time.perf_counter(); import " + ", ".join(MODULES)
            + "; import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot; "
              "print(time.perf_counter() - t)")
    start, _, out, _ = _child([sys.executable, "-c", code], env)
    return {"wall": wall, "peak_rss_mb": rss, "imports": float(out), "python_start": start - float(out)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--study", type=Path, default=ROOT / "studies" / "third_party_provider.toml")
    ap.add_argument("--samples", type=int, default=1_000_000, help="the larger run (the other is the study's own)")
    ap.add_argument("--phases", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--at", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    study = args.study.resolve()
    if args.phases:
        print(json.dumps(phases(study, args.at or None)))
        return
    env = {**os.environ, "MPLBACKEND": "Agg"}
    cols = []
    for at in (0, args.samples):
        out = subprocess.run([sys.executable, __file__, "--phases", "--study", str(study), "--at", str(at)],
                             capture_output=True, text=True, env=env, check=True)
        by_phase = json.loads(out.stdout.strip().splitlines()[-1])
        cols.append((by_phase, end_to_end(study, at or None, env)))
    print(cpu_line())
    import numpy as np

    print(f"{study.relative_to(ROOT) if study.is_relative_to(ROOT) else study}; python "
          f"{sys.version.split()[0]}, numpy {np.__version__}; one run of each (single runs move by 10-20%)")
    head = " | ".join(f"{c[0]['samples']:,} samples (s) | share" for c in cols)
    print(f"\n| phase | {head} |\n|---|" + "---|---|" * len(cols))
    for name in PHASES:
        cells = []
        for by_phase, _ in cols:
            s = by_phase["seconds"].get(name, 0.0)
            cells.append(f"{s:.2f} | {s / sum(by_phase['seconds'].values()):.0%}")
        print(f"| {name} | {' | '.join(cells)} |")
    print("| **sum of phases** | " + " | ".join(f"**{sum(c[0]['seconds'].values()):.2f}** | 100%" for c in cols) + " |")
    print("| peak RSS, phases in one process (MB) | "
          + " | ".join(f"{c[0]['peak_rss_mb']:.0f} | " for c in cols) + " |")
    print("| `mcrisk run` end to end, subprocess | " + " | ".join(f"{c[1]['wall']:.2f} | " for c in cols) + " |")
    print("| of which interpreter start + imports | "
          + " | ".join(f"{c[1]['python_start'] + c[1]['imports']:.2f} | " for c in cols) + " |")
    print("| peak RSS, `mcrisk run` (MB) | " + " | ".join(f"{c[1]['peak_rss_mb']:.0f} | " for c in cols) + " |")


if __name__ == "__main__":
    main()
