"""Runs on a dask.distributed cluster: a local one of K worker processes, or one by address.

Needs the optional extra: ``pip install 'mcrisk[dask]'``. Nothing here is imported by an
in-process run.

The full results are an xarray Dataset backed by dask arrays chunked along ``sample``: one
:func:`dask.array.map_blocks` call runs :func:`mcrisk.streaming.run_chunk` on each block,
which draws its samples from their positions, so the numbers are those of the in-process run
bit for bit, whatever the chunk size or the number of workers. A summary-only run sends the
two passes of :func:`mcrisk.streaming.summarize_chunked` to the cluster, chunk by chunk.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import xarray as xr

from mcrisk.core.errors import SpecError
from mcrisk.simulation.evaluate import progress_bar
from mcrisk.simulation.streaming import run_chunk

__all__ = ["DEFAULT_CHUNK", "client", "dask_mapper", "simulate_dask"]

#: Samples per block when no chunk size is given.
DEFAULT_CHUNK = 2**18


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
        A dask.distributed client (from :func:`client`) that computes the blocks.

    Returns
    -------
    xarray.Dataset
        Every input and output over ``sample`` (constant inputs 0-d), with ``units`` and
        ``long_name``, and the attrs of one chunk with ``samples`` set to ``n``.
    """
    import dask.array as da


    job = (model, priors, n, method, seed, None)
    probe = run_chunk(*job, 0, 1)
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
        coords={"sample": np.arange(n)})
    for k, v in probe.data_vars.items():
        if k not in names:
            lazy[k] = v
    out = lazy.compute(scheduler=client)
    out.attrs.update({k: v for k, v in probe.attrs.items() if k not in ("samples",)})
    out.attrs["samples"] = n
    return out


def dask_mapper(client: Any, progress: bool = False) -> Callable[[Callable[..., Any], list[tuple]], list[Any]]:
    """``mapper(fn, [args, ...])`` running each call as a task on ``client`` (results in order).

    With ``progress``, a bar on stderr counts the finished tasks of each call.

    Parameters
    ----------
    client
        A dask.distributed client (from :func:`client`).
    progress
        Show a progress bar per call on stderr.

    Returns
    -------
    callable
        ``mapper(fn, args)``: ``[fn(*a) for a in args]``, each call a task on ``client``, the
        results in the order of ``args``.
    """
    import dask

    def run(fn: Callable[..., Any], args: list[tuple]) -> list[Any]:
        futures = client.compute([dask.delayed(fn, pure=True)(*a) for a in args])
        bar = progress_bar(len(futures), progress, desc=f"pass {fn.__name__[-1]}")
        done = []
        for f in futures:  # in order: the tasks run about in order, so the bar moves steadily
            done.append(f.result())
            bar.update(1)
        bar.close()
        return done

    return run
