"""Jobs in forked processes: results in job order whatever the order they ran in, errors in their turn."""

from __future__ import annotations

import functools
import io
import multiprocessing
import os
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

from mcrisk import SpecError
from mcrisk.core.forking import alone, cores, run_forked
from tqdm import tqdm

FORKS = cores() >= 2 and "fork" in multiprocessing.get_all_start_methods()


def fresh_process(test):
    """Run ``test`` alone in a fresh interpreter: earlier tests of the session may leave threads
    alive (a dask client's offload thread outlives its cluster), and a process with another live
    thread rightly never forks, so what these tests assert about forking needs a process of its own."""
    @functools.wraps(test)
    def run() -> None:
        if os.environ.get("MCRISK_FRESH_TEST") == test.__name__:
            return test()
        out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              f"{__file__}::{test.__name__}"], capture_output=True, text=True,
                             env={**os.environ, "MCRISK_FRESH_TEST": test.__name__})
        assert out.returncode == 0 and "1 passed" in out.stdout, out.stdout + out.stderr
    return run


@fresh_process
def test_results_come_back_in_job_order_from_other_processes() -> None:
    data = np.arange(1_000_000, dtype=float)  # read by the children, never pickled
    jobs = [lambda k=k: (k, float(data[k::7].sum()), os.getpid()) for k in range(7)]
    got = list(run_forked(jobs, costs=[1, 5, 2, 7, 3, 6, 4]))  # run costliest first
    assert [g[0] for g in got] == list(range(7))
    assert [g[1] for g in got] == [float(data[k::7].sum()) for k in range(7)]
    if FORKS:
        assert os.getpid() not in {g[2] for g in got}


def test_a_job_s_error_is_raised_in_its_turn_after_the_earlier_results() -> None:
    def bad():
        raise SpecError("x.toml: [solve] target = 2 must be a string")

    got = []
    with pytest.raises(SpecError, match=r"^x\.toml: \[solve\] target = 2 must be a string$"):
        for r in run_forked([lambda: 1, bad, lambda: 3]):
            got.append(r)
    assert got == [1]


def test_one_job_runs_here() -> None:
    assert list(run_forked([os.getpid])) == [os.getpid()]


@fresh_process
def test_a_process_with_another_live_thread_runs_the_jobs_here() -> None:
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not alone()
        got = list(run_forked([os.getpid, os.getpid, os.getpid]))
    finally:
        release.set()
        other.join()
    assert got == [os.getpid()] * 3
    assert alone()


@fresh_process
def test_tqdm_s_monitor_thread_is_stopped_before_the_fork_and_restarted_by_the_next_bar() -> None:
    with tqdm(total=2, file=io.StringIO()) as bar:  # a shown bar starts tqdm's monitor thread
        bar.update(2)
    assert tqdm.monitor is not None and tqdm.monitor.is_alive()  # it outlives every bar
    monitor = tqdm.monitor
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Python 3.12+: DeprecationWarning on a multi-threaded fork
        got = list(run_forked([os.getpid, os.getpid]))
    assert not monitor.is_alive() and threading.active_count() == 1
    if FORKS:
        assert os.getpid() not in got
    with tqdm(total=1, file=io.StringIO()) as bar:
        bar.update(1)
    assert tqdm.monitor is not None and tqdm.monitor.is_alive()


def test_only_linux_forks_elsewhere_the_jobs_run_here(monkeypatch) -> None:
    # macOS has "fork", but forking a process that started BLAS (Accelerate) threads is unsafe
    import sys

    from mcrisk.core import forking

    monkeypatch.setattr(sys, "platform", "darwin")
    assert not forking.forks()
    jobs = [lambda k=k: (k, os.getpid()) for k in range(3)]
    assert list(run_forked(jobs)) == [(0, os.getpid()), (1, os.getpid()), (2, os.getpid())]
    monkeypatch.setattr(sys, "platform", "linux")
    assert forking.forks() == ("fork" in multiprocessing.get_all_start_methods())


def test_a_child_reads_only_what_its_job_holds() -> None:
    # The parent sets no module state for its children: after the run, none is left behind, and
    # a job sees the value its closure holds even when the parent changes a global meanwhile.
    from mcrisk.core import forking

    box = {"label": "before"}
    jobs = [lambda v=dict(box): v["label"] for _ in range(3)]
    box["label"] = "after"
    assert list(run_forked(jobs)) == ["before"] * 3
    assert forking._CHILD_JOBS == ()
