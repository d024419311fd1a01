"""One run at a time into an output folder: the second is refused in one line, a killed run's lock is taken over.

Costs: the lock tests are milliseconds plus one small Python process and three study loads; the test of two real
``mcrisk run`` processes costs two concurrent start-ups (2-3 s each importing the library) and
a 64-sample run of a one-line model.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from mcrisk import SpecError, run_study
from mcrisk.analyze.decision_run import solve_study
from mcrisk.core.outlock import hold_out, lock_path
from mcrisk.study.compare import compare_studies

ROOT = Path(__file__).resolve().parent.parent
#: maas at DeepSeek's point values, the rent uncertain, with a [solve] table.
DECISIONS = ROOT / "tests" / "data" / "good" / "study_decisions.toml"


def _refusal(out: Path, pid: int) -> str:
    return (f"out = '{out}' is being written by another run (process {pid}); wait for it to end or name "
            "another folder")


def test_a_second_holder_is_refused_and_the_first_may_hold_again(tmp_path: Path) -> None:
    out = tmp_path / "new" / "deeper" / "out"
    errors: list[str] = []
    with hold_out(out):
        lock = lock_path(out)
        assert lock == tmp_path / "new" / "deeper" / ".out.mcrisk-lock"
        assert lock.read_text() == f"{os.getpid()}\n"
        with hold_out(out):  # the run's own write_atomically, inside the run's hold
            assert lock.exists()
        assert lock.exists()  # the inner hold ended; the outer one still holds

        def other() -> None:
            try:
                with hold_out(out):
                    pass
            except SpecError as err:
                errors.append(str(err))

        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert errors == [_refusal(out, os.getpid())]
    # the lock file goes, and so do the parent folders made for it (nothing was written)
    assert not (tmp_path / "new").exists()
    with hold_out(out):  # free again
        pass


def test_a_killed_holders_lock_is_taken_over(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = ("import sys, time\nfrom mcrisk.core.outlock import hold_out\n"
            "hold = hold_out(sys.argv[1])\nhold.__enter__()\nprint('held', flush=True)\ntime.sleep(60)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", code, str(out)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline() == "held\n"
        refused = f"^{re.escape(_refusal(out, proc.pid))}$"
        with pytest.raises(SpecError, match=refused), hold_out(out):
            pass
        # every command that writes a folder is refused before it computes anything
        with pytest.raises(SpecError, match=refused):
            run_study(DECISIONS, out=out, quiet=True)
        with pytest.raises(SpecError, match=refused):
            solve_study(DECISIONS, out=out)
        with pytest.raises(SpecError, match=refused):
            compare_studies(DECISIONS, DECISIONS, out=out, quiet=True)
        assert sorted(p.name for p in tmp_path.iterdir()) == [".out.mcrisk-lock"]
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    assert lock_path(out).read_text() == f"{proc.pid}\n"  # killed: its lock file stays, with its dead PID
    with hold_out(out):  # and is taken over
        assert lock_path(out).read_text() == f"{os.getpid()}\n"
    assert not lock_path(out).exists()


_MODEL = '''import os
import time

import numpy as np


def f(*, x):
    if np.size(x) > 1:  # the run, not the one-sample probe when the study loads: wait for the gate
        end = time.monotonic() + 60
        while not os.path.exists(os.environ["MCRISK_TEST_GATE"]) and time.monotonic() < end:
            time.sleep(0.01)
    return {"y": 2.0 * x}
'''


def _study(folder: Path) -> Path:
    (folder / "gated.py").write_text(_MODEL)
    path = folder / "s.toml"
    path.write_text('model = "gated.py:f"\noutput = "y"\nsamples = 64\nseed = 2\n'
                    '[inputs]\nx = { dist = "uniform", low = 1, high = 3 }\n')
    return path


def test_two_runs_into_one_folder_one_is_refused(tmp_path: Path) -> None:
    study, out, gate = _study(tmp_path), tmp_path / "out", tmp_path / "gate"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg", "MCRISK_TEST_GATE": str(gate)}
    argv = [sys.executable, "-m", "mcrisk.cli", "run", str(study), "--out", str(out), "--formats", "png",
            "--quiet"]
    # Both wait at the gate once they hold the folder, so they overlap however the machine is loaded;
    # the one refused ends without reaching it.
    procs = [subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while all(p.poll() is None for p in procs) and time.monotonic() < deadline:
            time.sleep(0.02)
        refused = next((p for p in procs if p.poll() is not None), None)
        assert refused is not None, "neither run was refused in 60 s"
        winner = procs[1 - procs.index(refused)]
        _, err = refused.communicate(timeout=10)
        assert (refused.returncode, err) == (2, f"error: {_refusal(out, winner.pid)}\n")
        gate.touch()
        printed, err = winner.communicate(timeout=60)
        assert (winner.returncode, err) == (0, "")
    finally:
        gate.touch()
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.communicate()
    assert printed.endswith(f"\nwrote {out}/\n")
    assert {"results.nc", "summary.csv", "report.md", "report.html"} <= {f.name for f in out.iterdir()}
    with xr.open_dataset(out / "results.nc") as ds:
        assert ds.sizes["sample"] == 64
        np.testing.assert_array_equal(ds["y"].values, 2.0 * ds["x"].values)
    assert sorted(f.name for f in tmp_path.iterdir() if f.name.startswith(".")) == []  # no lock, no temporaries


def test_a_run_takes_over_the_lock_of_a_dead_process(tmp_path: Path, monkeypatch) -> None:
    study, out, gate = _study(tmp_path), tmp_path / "out", tmp_path / "gate"
    gate.touch()
    monkeypatch.setenv("MCRISK_TEST_GATE", str(gate))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock_path(out).write_text(f"{dead.pid}\n")  # what a run killed outright leaves
    run = run_study(study, out=out, summary_only=True, quiet=True)
    assert run.out == out and sorted(f.name for f in out.iterdir()) == ["results.nc", "summary.csv"]
    assert not lock_path(out).exists()
