"""Output folders: refused before the run when unusable, and old or new, never a mix, after a kill.

Costs: the checks and the forked kills of :func:`swap` are milliseconds each; the test that
kills real ``mcrisk run`` processes costs five concurrent runs, about 10-30 s on two cores
(each process spends 2-3 s importing numpy, scipy and xarray before it computes anything).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr

import mcrisk.report.document
from mcrisk import SpecError, run_study
from mcrisk.core.outfolder import OUTPUT_MARKERS, check_out, recover, swap, write_atomically


@pytest.fixture(autouse=True)
def _ctrl_c_interrupts():
    # A test run started in the background of a non-interactive shell (`pytest &`) inherits
    # SIGINT ignored, and so would every run these tests start: Ctrl-C must interrupt here.
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "studies" / "deepseek_545.toml"


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _temporaries(parent: Path, name: str = "out") -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


def _dead_pid() -> int:
    """The PID of a process that has exited (and been reaped)."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


# ---- check_out: refused before anything is computed, nothing written ------------------------


@pytest.mark.parametrize("out, message", [
    ("~/results/x", "out = '~/results/x' starts with a literal '~', which the shell expands only when it "
                    f"is not quoted; did you mean {Path.home() / 'results' / 'x'}?"),
    ("/proc/self/x", "out = '/proc/self/x' is under /proc, a system folder; name a folder for the results"),
    ("/sys", "out = '/sys' is under /sys, a system folder; name a folder for the results"),
    ("/dev/shm/x", "out = '/dev/shm/x' is under /dev, a system folder; name a folder for the results"),
], ids=["tilde", "proc", "sys", "dev"])
def test_check_out_refuses_special_paths(tmp_path: Path, monkeypatch, out: str, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as info:
        check_out(out)
    assert str(info.value) == message
    assert list(tmp_path.iterdir()) == []  # in particular no ./~ folder


def test_check_out_refuses_files_links_and_unwritable_parents(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("")
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    before = sorted(p.name for p in tmp_path.iterdir())
    cases = {
        "afile": "out = 'afile' is a file; name a folder for the results",
        "afile/sub/out": "out = 'afile/sub/out' cannot be created (afile is a file)",
        "link": f"out = 'link' is a symbolic link; name the folder it points to, {tmp_path / 'real'}",
        ".": "out = '.' is the current folder or one above it; name a new folder for the results",
        "..": "out = '..' is the current folder or one above it; name a new folder for the results",
    }
    for out, message in cases.items():
        with pytest.raises(SpecError) as info:
            check_out(out)
        assert str(info.value) == message, out
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_check_out_probe_leaves_nothing(tmp_path: Path) -> None:
    check_out(tmp_path / "a" / "b" / "out")  # the parents are made for the probe, then removed
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / OUTPUT_MARKERS[0]).write_text("earlier")
    check_out(tmp_path / "out")  # an earlier mcrisk folder may be replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# ---- recover: leftovers of dead runs go, a concurrent run's stay ----------------------------


def test_recover_removes_leftovers_of_dead_runs_only(tmp_path: Path) -> None:
    dead, alive = _dead_pid(), os.getppid()
    for name in (f".out.mcrisk-tmp-{dead}-a1", f".out.mcrisk-trash-{dead}-b2", f".out.mcrisk-tmp-{alive}-c3",
                 ".out.other", ".outer.mcrisk-tmp-1-d4"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "f").write_text(name)
    (tmp_path / f".out.mcrisk-old-{dead}-e5").mkdir()
    (tmp_path / f".out.mcrisk-old-{dead}-e5" / "results.nc").write_text("old")
    recover(tmp_path / "out")
    # out was missing: the old folder a run renamed aside comes back; a live PID's folder, an
    # unrelated hidden folder and another output's temporaries are not touched.
    assert (tmp_path / "out" / "results.nc").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f".out.mcrisk-tmp-{alive}-c3", ".out.other", ".outer.mcrisk-tmp-1-d4", "out"]
    (tmp_path / f".out.mcrisk-old-{dead}-f6").mkdir()
    recover(tmp_path / "out")  # out exists: the old one is removed
    assert not (tmp_path / f".out.mcrisk-old-{dead}-f6").exists()
    assert (tmp_path / "out" / "results.nc").read_text() == "old"


# ---- swap and write_atomically killed at every step ------------------------------------------

OLD = {"results.nc": b"old", "figures/a.png": b"old a"}
NEW = {"results.nc": b"new", "figures/a.png": b"new a", "figures/b.png": b"new b", "report.md": b"new"}


def _fill(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)


def _killed_write(out: Path, step: int, *, exchange: bool) -> bool:
    """Run write_atomically(out) in a child that dies (os._exit: no cleanup) before its
    ``step``-th rename, unlink or rmdir, or in the middle of writing when ``step`` is -1.
    True if it died, False if it finished first."""
    pid = os.fork()
    if pid == 0:  # the child: count file operations and die at the chosen one
        try:
            count = [0]

            def dying(real):
                def op(*args, **kwargs):
                    if count[0] == step:
                        os._exit(9)
                    count[0] += 1
                    return real(*args, **kwargs)
                return op

            for name in ("rename", "unlink", "rmdir"):
                setattr(os, name, dying(getattr(os, name)))

            def write(tmp: Path) -> None:
                _fill(tmp, dict(list(NEW.items())[:2]))
                if step == -1:
                    os._exit(9)
                _fill(tmp, NEW)

            real_swap = swap
            import mcrisk.core.outfolder
            mcrisk.core.outfolder.swap = lambda new, o: real_swap(new, o, exchange=exchange)
            write_atomically(out, write)
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) in (0, 9), status
    return os.WEXITSTATUS(status) == 9


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "renames"])
def test_a_write_killed_at_any_step_leaves_old_or_new(tmp_path: Path, exchange: bool) -> None:
    # Steps: -1 is inside write(); then each rename, unlink and rmdir of the probe, the swap
    # and the removal of the old folder, until the child runs to its end.
    outcomes = []
    for step in range(-1, 40):
        parent = tmp_path / f"step{step}"
        parent.mkdir()
        out = parent / "out"
        out.mkdir()
        _fill(out, OLD)
        died = _killed_write(out, step, exchange=exchange)
        if out.exists():
            assert _tree(out) in (OLD, NEW), step
            outcomes.append("old" if _tree(out) == OLD else "new")
        else:  # only between the two renames of the portable swap: the old folder waits beside it
            assert not exchange, step
            (old,) = [p for p in parent.iterdir() if ".mcrisk-old-" in p.name]
            assert _tree(old) == OLD
            outcomes.append("aside")
        # The next run into the same place cleans up whatever the killed one left.
        write_atomically(out, lambda tmp: _fill(tmp, {"results.nc": b"next"}))
        assert _tree(out) == {"results.nc": b"next"}
        assert _temporaries(parent) == [], step
        if not died:
            break
    assert not died, "the child never finished; raise the step range"
    # The kills covered the old folder, the new one, and (for the renames) the moment between.
    assert outcomes[0] == "old" and outcomes[-1] == "new"
    assert ("aside" in outcomes) == (not exchange)


def test_failed_write_and_interrupt_leave_the_old_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    _fill(out, OLD)

    def interrupted(tmp: Path) -> None:
        _fill(tmp, NEW)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(out, interrupted)
    assert _tree(out) == OLD and _temporaries(tmp_path) == []


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "renames"])
def test_a_signal_during_the_renames_waits_until_they_are_done(tmp_path: Path, monkeypatch, exchange) -> None:
    # Ctrl-C arriving at the first rename of the swap: it must not leave the folder between old
    # and new, so it is raised once the swap is done (and the old folder removed).
    import mcrisk.core.outfolder

    out = tmp_path / "out"
    out.mkdir()
    _fill(out, OLD)
    real_rename, real_swap = os.rename, swap

    def rename(src, dst):
        if ".mcrisk-tmp-" in str(src) or ".mcrisk-tmp-" in str(dst):  # not the probe (an rmdir)
            signal.raise_signal(signal.SIGINT)
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    monkeypatch.setattr(mcrisk.core.outfolder, "swap", lambda new, o: real_swap(new, o, exchange=exchange))
    with pytest.raises(KeyboardInterrupt):
        write_atomically(out, lambda tmp: _fill(tmp, NEW))
    assert _tree(out) == NEW and _temporaries(tmp_path) == []


def test_keep_updates_the_folder_in_one_swap(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    _fill(out, {**OLD, "summary.csv": b"old"})
    write_atomically(out, lambda tmp: _fill(tmp, {"summary.csv": b"new", "figures/b.png": b"new b"}),
                     keep=True)
    assert _tree(out) == {"results.nc": b"old", "figures/a.png": b"old a", "figures/b.png": b"new b",
                          "summary.csv": b"new"}
    assert _temporaries(tmp_path) == []


# ---- real `mcrisk run` processes killed at seeded moments -------------------------------------

ARGS = ["--formats", "png", "--samples", "2000", "--quiet"]


def _popen(argv: list, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.Popen([sys.executable, "-m", "mcrisk.cli.main", *map(str, argv)], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _importing(pid: int) -> bool:
    """True once the process has numpy loaded: mcrisk's main is running, importing the library."""
    try:
        return "numpy" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="watches /proc/PID/maps")
def test_killed_runs_leave_the_old_or_the_new_folder(tmp_path: Path, monkeypatch) -> None:
    base = tmp_path / "base" / "out"
    run_study(STUDY, out=base, samples=2000, seed=1, formats=("png",))  # the earlier complete run
    old = _tree(base)
    assert {"results.nc", "summary.csv", "report.md", "report.html"} <= set(old)

    # Signals at three kinds of moment: while the library imports, at a seeded time offset (over
    # the several seconds a run takes when five share two cores), and while the new folder is
    # being written (its results.nc already in the temporary), at once or after a seeded delay.
    rnd = random.Random(20251130)
    cases = [(signal.SIGINT, "imports", rnd.uniform(0, 0.5)), (signal.SIGINT, "writing", 0.0),
             (signal.SIGTERM, "writing", rnd.uniform(0, 0.5)),
             (signal.SIGKILL, "writing", rnd.uniform(0, 0.5)),
             (signal.SIGKILL, "time", rnd.uniform(0.3, 6.0))]
    procs, start, fire_at = [], [], [None] * len(cases)
    for i, _ in enumerate(cases):
        folder = tmp_path / f"case{i}"
        shutil.copytree(base.parent, folder, symlinks=True)
        procs.append(_popen(["run", STUDY, "--out", folder / "out", "--seed", "2", *ARGS], cwd=folder))
        start.append(time.monotonic())
    pending = set(range(len(cases)))
    deadline = time.monotonic() + 90
    while pending and time.monotonic() < deadline:
        now = time.monotonic()
        for i in sorted(pending):
            sig, when, delay = cases[i]
            if procs[i].poll() is not None:  # finished before its moment came
                pending.discard(i)
                continue
            if fire_at[i] is None:
                if when == "time":
                    fire_at[i] = start[i] + delay
                elif when == "imports" and _importing(procs[i].pid):
                    fire_at[i] = now + delay
                elif when == "writing" and any((tmp_path / f"case{i}").glob(".out.mcrisk-tmp-*/results.nc")):
                    fire_at[i] = now + delay
            if fire_at[i] is not None and now >= fire_at[i]:
                procs[i].send_signal(sig)
                pending.discard(i)
        time.sleep(0.002)
    assert not pending, "a run neither finished nor reached its moment in 90 s"

    monkeypatch.setattr(mcrisk.report.document, "write_report", lambda run, folder, formats=(), progress=False: {})
    outcomes = []
    # every process waited for and its pipes closed before any assertion can fail
    errs = [proc.communicate(timeout=60)[1] for proc in procs]
    for i, ((sig, when, delay), proc, err) in enumerate(zip(cases, procs, errs, strict=True)):
        status = proc.returncode
        case = f"case{i} {signal.Signals(sig).name} {when} {delay:.3f}: {status} {err!r}"
        expected = {signal.SIGINT: (130, "interrupted\n"), signal.SIGTERM: (143, "terminated\n"),
                    signal.SIGKILL: (-9, "")}[sig]
        if sig == signal.SIGINT and status == -signal.SIGINT:
            # CPython sets a sticky flag when a KeyboardInterrupt escapes code run by exec() or
            # eval() of a string (dataclasses make their methods so, in the imports); the
            # interpreter then ends by SIGINT after main() returned 130. A shell reads 130 either
            # way (128 + SIGINT); the one line is what mcrisk controls (1 in 60 runs, measured).
            status = 130
        if delay == 0 or when == "imports":  # Ctrl-C in the imports or the writing: one line, 130
            assert (status, err) == expected, case
        elif when != "time":  # main was running: one line, or the run had already finished
            assert (status, err) in (expected, (0, "")), case
        elif status == expected[0]:  # (a signal before Python's own start-up ends is not ours to word)
            assert err == expected[1], case
        folder = tmp_path / f"case{i}"
        out = _tree(folder / "out")
        if out == old:
            outcomes.append("old")
        else:
            assert set(out) == set(old), case
            with xr.open_dataset(folder / "out" / "results.nc") as ds:
                assert ds.attrs["seed"] == 2, case
            outcomes.append("new")
        # The next run into the same folder removes whatever the killed run left.
        run_study(STUDY, out=folder / "out", samples=16, seed=3, formats=("png",))
        assert _temporaries(folder) == [], case
        with xr.open_dataset(folder / "out" / "results.nc") as ds:
            assert ds.attrs["seed"] == 3
    assert "old" in outcomes, outcomes
