"""Runs on a dask.distributed cluster: a local one of K worker processes, or one by address.

Needs the optional extra: ``pip install 'mcrisk[dask]'``. Nothing here is imported by an
in-process run.

The full results are an xarray Dataset backed by dask arrays chunked along ``sample``: one
:func:`dask.array.map_blocks` call runs :func:`mcrisk.simulation.streaming.run_chunk` on each block,
which draws its samples from their positions, so the numbers are those of the in-process run
bit for bit, whatever the chunk size or the number of workers. A summary-only run sends the
two passes of :func:`mcrisk.simulation.streaming.summarize_chunked` to the cluster, chunk by chunk.

A model from a user file (``model = "my_model.py:f"``) lives in a module no worker can import,
so the model goes to the workers by value (cloudpickle); :func:`check_workers` has each worker
evaluate one sample before the run, and a run that loses its cluster stops in one line.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import xarray as xr

from mcrisk.core.errors import SpecError
from mcrisk.models import model_name
from mcrisk.models.registry import USER_MODULE_PREFIX
from mcrisk.simulation.evaluate import progress_bar
from mcrisk.simulation.streaming import run_chunk

__all__ = ["CHECK_TIMEOUT", "DEFAULT_CHUNK", "NO_WORKER_TIMEOUT", "check_workers", "client", "dask_mapper",
           "simulate_dask"]

#: Samples per block when no chunk size is given.
DEFAULT_CHUNK = 2**18

#: Seconds each worker has to evaluate one sample of the model before a run (it may import
#: numpy, scipy and xarray first).
CHECK_TIMEOUT = 20.0

#: Seconds a run waits on a cluster without a single worker before it stops.
NO_WORKER_TIMEOUT = 30.0


def _require_dask():
    try:
        import dask  # noqa: F401
        import dask.array  # noqa: F401
        import distributed
    except ImportError:
        raise SpecError("--workers and --scheduler need dask.distributed, which is not installed; "
                        "pip install 'mcrisk[dask]'") from None
    return distributed


@contextlib.contextmanager
def client(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A dask.distributed Client: on the cluster at ``scheduler``, or a local cluster.

    The local cluster has ``workers`` single-threaded worker processes; it and its status page
    listen on 127.0.0.1 only, on free ports; it is shut down on exit.

    Parameters
    ----------
    workers
        Number of local worker processes, each single-threaded; ``None`` means 1. Ignored when
        ``scheduler`` is given.
    scheduler
        Address of a running dask scheduler (``"tcp://host:8786"``); ``None`` or ``""`` starts a
        local cluster. The connection times out after 5 seconds.

    Yields
    ------
    distributed.Client
        The client (not set as dask's default), closed on exit.

    Raises
    ------
    SpecError
        If dask.distributed is not installed, no scheduler answers at ``scheduler``, or
        ``workers`` is below 1.
    """
    distributed = _require_dask()
    if scheduler:
        try:
            c = distributed.Client(scheduler, timeout="5s", set_as_default=False)
        except OSError as exc:
            raise SpecError(f"scheduler = {scheduler!r}: no dask scheduler answers there ({exc})") from None
        with c:
            yield c
        return
    if workers is not None and workers < 1:
        raise SpecError(f"workers = {workers!r} must be a positive integer")
    with (distributed.LocalCluster(n_workers=workers or 1, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address="127.0.0.1:0") as cluster,
          distributed.Client(cluster, set_as_default=False) as c):
        yield c


class _ByValue:
    """Pickles as ``cloudpickle.dumps(model)`` with the user's model files by value; unpickles
    as the model itself, so a worker needs mcrisk but not the study's folder."""

    def __init__(self, model: Callable) -> None:
        self.model = model

    def __reduce__(self):
        import cloudpickle

        for name in [m for m in sys.modules if m.startswith(USER_MODULE_PREFIX)]:
            if name not in cloudpickle.list_registry_pickle_by_value():
                cloudpickle.register_pickle_by_value(sys.modules[name])
        return cloudpickle.loads, (cloudpickle.dumps(self.model),)


def _shipped(args: Any, model: Callable) -> Any:
    """``args`` (nested tuples) with ``model`` wrapped to travel by value."""
    if args is model:
        return _ByValue(model)
    if isinstance(args, tuple):
        return tuple(_shipped(a, model) for a in args)
    return args


def _one_line(exc: BaseException) -> str:
    while exc.__cause__ is not None:  # "Error during deserialization of the task graph" <- its reason
        exc = exc.__cause__
    return f"{exc.__class__.__name__}: {' '.join(str(exc).split())}"[:300]


def check_workers(client: Any, model: Callable, priors, method: str, seed: int,
                  timeout: float | None = None) -> None:
    """Have each worker of ``client`` evaluate sample 0 of the run; refuse the run if one cannot.

    Raises
    ------
    SpecError
        Naming the model, the worker and its error (e.g. a model module the worker cannot
        import), or that no worker answered within ``timeout`` seconds (default
        :data:`CHECK_TIMEOUT`).
    """
    timeout = CHECK_TIMEOUT if timeout is None else timeout
    try:
        info = client.scheduler_info(n_workers=-1)  # every worker, not the first five
    except TypeError:  # distributed before 2025.1 lists them all
        info = client.scheduler_info()
    workers = list(info["workers"]) or [None]
    job = (_ByValue(model), priors, 1, method, seed, None, 0, 1)
    futures = {w: client.submit(run_chunk, *job, pure=False, **({"workers": w} if w else {})) for w in workers}
    name = model_name(model)
    deadline = time.monotonic() + timeout
    for w, f in futures.items():
        try:
            f.result(timeout=max(deadline - time.monotonic(), 0.1))
        except TimeoutError:
            raise SpecError(f"model {name}: the dask worker {w or '(any)'} did not evaluate one sample within "
                            f"{timeout:g} s") from None
        except Exception as exc:  # the worker's error, e.g. it cannot import the model's module
            raise SpecError(f"model {name}: the dask worker {w or '(any)'} cannot call it: {_one_line(exc)}") from None


def _result(client: Any, future: Any) -> Any:
    """``future.result()``, or a SpecError once the cluster has had no worker for a while."""
    import distributed

    idle = 0.0
    while True:
        try:
            return future.result(timeout=2)
        except TimeoutError:
            idle = 0.0 if client.scheduler_info()["workers"] else idle + 2
            if idle >= NO_WORKER_TIMEOUT:
                client.cancel(future)
                raise SpecError(f"the dask cluster at {client.scheduler.address} has had no worker for "
                                f"{NO_WORKER_TIMEOUT:g} s; the run stopped") from None
        except SpecError:
            raise
        except Exception as exc:  # a lost worker too often, or the scheduler gone: one line
            if not isinstance(exc, (OSError, distributed.KilledWorker, distributed.client.FutureCancelledError)):
                raise
            raise SpecError(f"the run on the dask cluster stopped: {_one_line(exc)}") from None


def _block(index: np.ndarray, job: tuple, names: tuple[str, ...],
           widths: tuple[int, ...] | None = None) -> np.ndarray:
    # One row per 1-D variable; an output over (sample, hour) gives ``width`` rows, one per hour.
    widths = widths or (1,) * len(names)
    if index.size == 0:
        return np.empty((sum(widths), 0))
    ds = run_chunk(*job, int(index[0]), int(index[-1]) + 1)
    return np.concatenate([np.broadcast_to(ds[k].values, index.shape)[None] if w == 1
                           else np.broadcast_to(ds[k].values, (index.size, w)).T
                           for k, w in zip(names, widths, strict=True)])


def simulate_dask(model: Callable, priors, n: int, *, method: str, seed: int,
                  chunk_size: int | None, client: Any) -> xr.Dataset:
    """Inputs and outputs of an ``n``-sample run, computed block by block on ``client``.

    Returns the computed Dataset (numpy-backed), equal to the in-process one; the caller adds
    the provenance attrs.

    Parameters
    ----------
    model
        A model callable (see :mod:`mcrisk.models`).
    priors
        The priors, one per model input.
    n
        Number of samples.
    method
        ``"random"``, ``"lhs"`` or ``"sobol"``.
    seed
        The run's integer seed.
    chunk_size
        Samples per dask block; ``None`` or 0 means :data:`DEFAULT_CHUNK`. The numbers do not
        depend on it.
    client
        A dask.distributed client (from :func:`client`) that computes the blocks, or the name
        of a local dask scheduler (``"synchronous"``).

    Returns
    -------
    xarray.Dataset
        Every input and output over ``sample`` (constant inputs 0-d), with ``units`` and
        ``long_name``, and the attrs of one chunk with ``samples`` set to ``n``.
    """
    import dask.array as da

    job = (model, priors, n, method, seed, None)
    probe = run_chunk(*job, 0, 1)
    local = isinstance(client, str)  # a dask scheduler name such as "synchronous": nothing pickled
    job = (model if local else _ByValue(model), *job[1:])
    names = tuple(k for k, v in probe.data_vars.items() if "sample" in v.dims)
    widths = tuple(int(np.prod(probe[k].shape[1:])) if probe[k].ndim > 1 else 1 for k in names)
    index = da.arange(n, chunks=chunk_size or DEFAULT_CHUNK, dtype=np.int64)
    block = da.map_blocks(_block, index, job, names, widths, dtype=float, new_axis=0,
                          chunks=((sum(widths),), index.chunks[0]), meta=np.empty((0, 0)))
    starts = np.cumsum((0, *widths))
    lazy = xr.Dataset(
        {k: ("sample", block[i0], probe[k].attrs) if probe[k].ndim == 1 else
         (probe[k].dims, block[i0:i0 + w].T, probe[k].attrs)  # e.g. (sample, hour)
         for k, i0, w in zip(names, starts, widths, strict=False)},
        coords={"sample": np.arange(n), **{k: c for k, c in probe.coords.items() if "sample" not in c.dims}})
    for k, v in probe.data_vars.items():
        if k not in names:
            lazy[k] = v
    out = lazy.compute(scheduler=client) if local else _result(client, client.compute(lazy))
    out.attrs.update({k: v for k, v in probe.attrs.items() if k not in ("samples",)})
    out.attrs["samples"] = n
    return out


def dask_mapper(client: Any, progress: bool = False,
                model: Callable | None = None) -> Callable[[Callable[..., Any], list[tuple]], list[Any]]:
    """``mapper(fn, [args, ...])`` running each call as a task on ``client`` (results in order).

    With ``progress``, a bar on stderr counts the finished tasks of each call.

    Parameters
    ----------
    client
        A dask.distributed client (from :func:`client`).
    progress
        Show a progress bar per call on stderr.
    model
        The run's model: where it appears in the arguments it travels by value.

    Returns
    -------
    callable
        ``mapper(fn, args)``: ``[fn(*a) for a in args]``, each call a task on ``client``, the
        results in the order of ``args``.
    """
    import dask

    def run(fn: Callable[..., Any], args: list[tuple]) -> list[Any]:
        futures = client.compute([dask.delayed(fn, pure=True)(*_shipped(a, model)) for a in args])
        bar = progress_bar(len(futures), progress, desc=f"pass {fn.__name__[-1]}")
        done = []
        for f in futures:  # in order: the tasks run about in order, so the bar moves steadily
            done.append(_result(client, f))
            bar.update(1)
        bar.close()
        return done

    return run
