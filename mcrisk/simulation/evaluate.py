"""Evaluation: one vectorised model call on a set of inputs, the step every run shares.

:func:`evaluate` turns an inputs Dataset (from :func:`mcrisk.sampling.design.sample`) into a results
Dataset: the inputs, the model's outputs with their units and labels, and a count of
non-finite values. :func:`mcrisk.simulation.engine.simulate`, the chunked summaries of
:mod:`mcrisk.simulation.streaming` and the dask runs of :mod:`mcrisk.simulation.distributed` all evaluate through it,
so a sample gives the same outputs however it is run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import xarray as xr
from tqdm import tqdm

from mcrisk.core.errors import SpecError
from mcrisk.models import Var
from mcrisk.models.call import call_model, check_inputs, model_outputs

# call_model, check_inputs and model_outputs live in mcrisk.models.call (no xarray: mcrisk check uses
# them); importable from here too.
__all__ = ["COUNTED_DIMS", "call_model", "check_inputs", "chunks", "evaluate", "join_chunks", "model_outputs",
           "profile_role", "progress_bar"]


#: Dimensions of model outputs whose positions are numbered from 1 (month 1 is the first month),
#: with the coordinate's attrs; others (``hour``, 0-23) keep positions without a coordinate.
COUNTED_DIMS: dict[str, dict[str, str]] = {"month": {"units": "month", "long_name": "month (1 = the first)"}}


def _unit(var: Var | None, currency: str | None) -> tuple[str, str]:
    if var is None:
        return "", ""
    return var.unit_in(currency), var.long_name


def evaluate(model: Callable, inputs: xr.Dataset, *, currency: str | None = None) -> xr.Dataset:
    """Call ``model`` on the variables of ``inputs`` and return inputs and outputs together.

    Each output gets ``units`` and ``long_name`` from the model's ``outputs`` description and
    is broadcast along ``sample``; NaN or infinite values are counted in its ``nonfinite`` attr.

    Parameters
    ----------
    model
        A model callable (see :mod:`mcrisk.models`).
    inputs
        The inputs, over ``sample`` (or 0-d), one variable per model argument.
    currency
        The currency code substituted in money units (such as ``"USD"`` in ``"USD/day"``);
        ``None`` leaves the model's own units.

    Returns
    -------
    xarray.Dataset
        A copy of ``inputs`` with one float variable per output; every variable gets a ``role``
        attr (``"input"`` or ``"output"``), and inputs get the model's ``units`` (where they have
        none) and ``long_name``.

    Raises
    ------
    SpecError
        If the model raises (see :func:`call_model`), returns something other than a dict, or
        returns an output that cannot be broadcast to the inputs' number of samples.
    """
    kwargs = {k: v.values if v.ndim else float(v) for k, v in inputs.data_vars.items()}
    n = inputs.sizes.get("sample", 1)
    result = model_outputs(model, call_model(model, kwargs), n, held=[v.values for v in inputs.data_vars.values()])
    meta = getattr(model, "outputs", {})
    added = {}  # every output first, then one assign: a Dataset grown a variable at a time re-aligns each time
    for name, values in result.items():
        unit, long_name = _unit(meta.get(name), currency)
        if dims := getattr(meta.get(name), "dims", ()):  # e.g. an hourly output: kept, summarised by no analysis
            added[name] = xr.Variable(("sample", *dims), values, {"units": unit, "long_name": long_name or name,
                                                                  "role": profile_role(dims)})
            continue
        attrs = {"units": unit, "long_name": long_name or name, "role": "output",
                 "nonfinite": int(np.count_nonzero(~np.isfinite(values)))}
        if (side := getattr(meta.get(name), "bad", None)) is not None:
            attrs["bad"] = side  # which tail is the risk (risk.summarize's es05)
        if means := getattr(meta.get(name), "nan", ""):
            attrs["nan_means"] = means  # a NaN is an answer: no warning, no error
        added[name] = xr.Variable(("sample",), values, attrs)
    out = inputs.copy().assign(added)
    for dim, attrs in COUNTED_DIMS.items():
        if dim in out.dims and dim not in out.coords:
            out = out.assign_coords({dim: (dim, np.arange(1, out.sizes[dim] + 1), attrs)})
    for name in inputs.data_vars:
        attrs = out.variables[name].attrs
        attrs["role"] = "input"
        unit, long_name = _unit(getattr(model, "inputs", {}).get(name), currency)
        if unit and not attrs.get("units"):
            attrs["units"] = unit
        if long_name:
            attrs["long_name"] = long_name
    return out


def profile_role(dims: tuple[str, ...]) -> str:
    """The ``role`` attr of an output with dimensions besides ``sample`` (``"output_hour"``).

    Such outputs are kept in the results but are not among :func:`mcrisk.core.statistics.outputs_of`,
    so summaries, tornado and sensitivity analyse only the one-value-per-sample outputs.

    Parameters
    ----------
    dims
        The output's dimensions besides ``sample``.

    Returns
    -------
    str
        ``"output_"`` followed by the dimension names joined by ``_``.
    """
    return "output_" + "_".join(dims)


def chunks(n: int, chunk_size: int | None) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive chunks covering ``range(n)``.

    Parameters
    ----------
    n
        Number of samples.
    chunk_size
        Samples per chunk (the last may be shorter); ``None`` or 0 for one chunk of ``n``.

    Yields
    ------
    tuple of int
        ``start`` and ``stop`` sample indices, ``stop`` exclusive.

    Raises
    ------
    SpecError
        If the chunk size comes out below 1 (a negative ``chunk_size``), when the first chunk is
        asked for.
    """
    size = n if not chunk_size else int(chunk_size)
    if size < 1:
        raise SpecError(f"chunk_size = {chunk_size!r} must be a positive integer")
    for start in range(0, n, size):
        yield start, min(n, start + size)


class _NoBar:
    def update(self, k: int) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, show: bool, desc: str):
    """A tqdm bar of ``total`` steps on stderr, or an object that ignores updates.

    Parameters
    ----------
    total
        Number of steps; no bar is shown for a single step.
    show
        Whether to show it.
    desc
        Its label (``"simulate"``, ``"pass 1"``).

    Returns
    -------
    tqdm.tqdm or object
        A tqdm bar counting chunks (cleared when closed), or, when ``show`` is false or
        ``total`` is at most 1, an object whose ``update`` and ``close`` do nothing.
    """
    if not show or total <= 1:
        return _NoBar()
    return tqdm(total=total, desc=desc, unit="chunk", leave=False)


def join_chunks(parts: list[xr.Dataset]) -> xr.Dataset:
    """Results of consecutive chunks as one Dataset over ``sample`` (constants kept once).

    Parameters
    ----------
    parts
        Results of :func:`evaluate` on consecutive chunks, in order.

    Returns
    -------
    xarray.Dataset
        The first part itself when there is one, else their concatenation along ``sample``.
    """
    if len(parts) == 1:
        return parts[0]
    return xr.concat(parts, dim="sample", data_vars="minimal", coords="minimal", compat="override")
