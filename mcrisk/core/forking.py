"""Independent jobs in forked processes, one per core: a study's analyses, then its figures.

A run's tables (tornado, sensitivity, sweep, solve, scenarios, value of information) all read
the same samples and none reads another's result, and its charts are independent too; on two
cores two processes do them in about half the time. :func:`run_forked` forks once the samples
are in memory, so the children read them without copying or pickling them, and sends back only
each job's (small) result. Results come back in job order, so whatever the parent prints from
them reads as a serial run would.

Only on Linux: elsewhere (macOS, where forking a process that has started BLAS or Accelerate
threads is unsafe; Windows, which cannot fork) and with one core or one job, the jobs run here,
one after the other, with the same results. Nothing a child computes depends on state the
parent set after import: each job is a closure over its own arguments (the samples, the
labels), handed to the children as the pool's initializer argument.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tqdm import tqdm

__all__ = ["cores", "forks", "run_forked"]

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
        if workers < 2 or not forks():
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
