"""Independent jobs in forked processes, one per core: a study's analyses, then its figures.

A run's tables (tornado, sensitivity, sweep, solve, scenarios, value of information) all read
the same samples and none reads another's result, and its charts are independent too; on two
cores two processes do them in about half the time. :func:`run_forked` forks once the samples
are in memory, so the children read them without copying or pickling them, and sends back only
each job's (small) result. Results come back in job order, so whatever the parent prints from
them reads as a serial run would.

Only on Linux, and only from a process whose one thread is the one calling: forking a process with
other live threads may deadlock the child (a lock held by another thread stays held in the copy for
ever; Python 3.12 and newer warn of it). tqdm's monitor thread, which its first bar starts and
which lives on after every bar is closed, is stopped first (tqdm starts it again with its next
bar); any other thread (a caller's; distributed's Dask-Offload thread, which lives on after a run
with ``--workers``) means the jobs run here. OpenBLAS's worker threads need nothing: OpenBLAS stops
them itself before a fork and starts them again when next used. Elsewhere (macOS, where forking a
process that has started BLAS or Accelerate threads is unsafe; Windows, which cannot fork) and with
one core or one job, the jobs run here, one after the other, with the same results. Nothing a child
computes depends on state the parent set after import: each job is a closure over its own arguments
(the samples, the labels), handed to the children as the pool's initializer argument.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tqdm import tqdm

__all__ = ["alone", "cores", "forks", "run_forked"]

# The jobs, in a forked child only: set there by the pool's initializer from its argument (the
# fork copies the argument, so closures over the samples need not be pickled). The parent never
# sets it.
_CHILD_JOBS: Sequence[Callable[[], Any]] = ()


def cores() -> int:
    """The cores this process may run on.

    Returns
    -------
    int
        The CPUs of its affinity mask where the system has one, else ``os.cpu_count()`` (at least 1).
    """
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def forks() -> bool:
    """Whether :func:`run_forked` may fork here: on Linux only.

    Returns
    -------
    bool
        True on Linux (``sys.platform == "linux"``) with the ``fork`` start method.
    """
    return sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()


def _stop_tqdm_monitor() -> None:
    """Stop tqdm's monitor thread if a bar started one; tqdm starts a new one with its next bar."""
    monitor = tqdm.monitor
    if monitor is not None:
        tqdm.monitor = None
        monitor.exit()


def alone() -> bool:
    """Whether the calling thread is this process's only Python thread, once tqdm's monitor is stopped.

    Returns
    -------
    bool
        True when ``threading.active_count() == 1`` after stopping tqdm's monitor thread.
    """
    _stop_tqdm_monitor()
    return threading.active_count() == 1


def _call(i: int) -> Any:
    return _CHILD_JOBS[i]()


def _start_child(parent: int, jobs: Sequence[Callable[[], Any]]) -> None:
    global _CHILD_JOBS
    _CHILD_JOBS = jobs
    _quiet_child(parent)


def _quiet_child(parent: int) -> None:
    # Ctrl-C and SIGTERM are the parent's to handle: it stops the pool and reports in one line.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A parent killed outright (SIGKILL) cannot stop the pool: die with it rather than wait for
    # tasks forever, holding the parent's stdout and stderr open for whoever reads them.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)


def run_forked(jobs: Sequence[Callable[[], Any]], *, costs: Sequence[float] | None = None, desc: str = "",
               unit: str = "job", progress: bool = False) -> Iterator[Any]:
    """Each job's result, in job order, the jobs run in forked processes, one per core (Linux).

    The jobs run here, one after the other, with the same results, on one core, for one job, off
    Linux, or while another thread of this process is alive (see :func:`alone`).

    Parameters
    ----------
    jobs
        Functions of no argument. Their results must pickle; the jobs themselves need not.
    costs
        Relative run time of each job: the costliest start first, so the processes finish
        together (default: job order).
    desc, unit
        The progress bar's label and unit.
    progress
        A bar on stderr, advanced as jobs finish.

    Yields
    ------
    object
        ``jobs[0]()``, ``jobs[1]()``, ...; a job's exception is raised here, in its turn.
    """
    workers = min(cores(), len(jobs))
    bar = tqdm(total=len(jobs), desc=desc, unit=unit, leave=False, disable=not progress)
    try:
        if workers < 2 or not forks() or not alone():
            for job in jobs:
                yield job()
                bar.update(1)
            return
        order = list(range(len(jobs)))
        if costs is not None:
            order.sort(key=lambda i: -costs[i])
        got: dict[int, Any] = {}
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(workers, initializer=_start_child, initargs=(os.getpid(), jobs)) as pool:
            results = pool.imap(_call, order)
            nxt = 0
            for i in order:
                got[i] = next(results)
                bar.update(1)
                while nxt in got:
                    yield got.pop(nxt)
                    nxt += 1
    finally:
        bar.close()
