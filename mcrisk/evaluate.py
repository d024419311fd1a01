"""Evaluation: one vectorised model call on a set of inputs, the step every run shares.

:func:`evaluate` turns an inputs Dataset (from :func:`mcrisk.sampling.sample`) into a results
Dataset: the inputs, the model's outputs with their units and labels, and a count of
non-finite values. :func:`mcrisk.simulate.simulate`, the chunked summaries of
:mod:`mcrisk.streaming` and the dask runs of :mod:`mcrisk.distributed` all evaluate through it,
so a sample gives the same outputs however it is run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import numpy as np
import xarray as xr
from tqdm import tqdm

from .errors import SpecError
from .models import Var, model_inputs, model_name
from .validate import show_key

__all__ = ["call_model", "check_inputs", "chunks", "evaluate", "join_chunks", "profile_role", "progress_bar"]


def check_inputs(model: Callable, names: list[str] | tuple[str, ...], *, where: str = "inputs") -> None:
    """Raise SpecError unless ``names`` covers the model's required inputs and nothing else.

    Parameters
    ----------
    model
        A model callable (see :mod:`mcrisk.models`).
    names
        The input names given (prior names or an inputs Dataset's variables).
    where
        What gave them, to start the message (a file name, or ``"inputs"``).

    Returns
    -------
    None

    Raises
    ------
    SpecError
        If a required input of the model is missing, or (for a model without ``**kwargs``) a
        name is not one of its inputs; the message lists its inputs.
    """
    required, optional, anykw = model_inputs(model)
    if missing := [k for k in required if k not in names]:
        raise SpecError(f"{where}: model {model_name(model)} needs {', '.join(missing)}, which "
                        "no prior or input gives")
    if not anykw and (unknown := [k for k in names if k not in required and k not in optional]):
        if unknown[0] in (getattr(model, "outputs", None) or {}):  # e.g. a chain's intermediate result
            raise SpecError(f"{where}: {show_key(unknown[0])} is an output of model {model_name(model)}, "
                            "which computes it; no prior or input may give it")
        raise SpecError(f"{where}: {show_key(unknown[0])} is not an input of model {model_name(model)}; its "
                        f"inputs: {', '.join([*required, *optional])}")


def _unit(var: Var | None, currency: str | None) -> tuple[str, str]:
    if var is None:
        return "", ""
    return var.unit_in(currency), var.long_name


def call_model(model: Callable, kwargs: dict) -> dict:
    """``model(**kwargs)``, with an exception from the model's own code as a one-line SpecError.

    Set the environment variable ``MCRISK_DEBUG=1`` to get the model's traceback instead.

    NumPy's divide, invalid and overflow floating-point warnings are silenced during the call.

    Parameters
    ----------
    model
        A model callable (see :mod:`mcrisk.models`).
    kwargs
        The keyword arguments: input name -> array over samples, or a float.

    Returns
    -------
    dict
        What the model returned (checked by the caller).

    Raises
    ------
    SpecError
        If the model raises an ``Exception`` and ``MCRISK_DEBUG`` is not set.
    """
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return model(**kwargs)
    except SpecError:  # the model's own one-line account of a bad input or option
        raise
    except Exception as exc:
        if os.environ.get("MCRISK_DEBUG"):
            raise
        raise SpecError(f"model {model_name(model)} raised {exc.__class__.__name__}: {exc} "
                        "(MCRISK_DEBUG=1 shows the traceback)") from None


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
    result = call_model(model, kwargs)
    if not isinstance(result, dict):
        raise SpecError(f"model {model_name(model)} returned {type(result).__name__}; a model "
                        "must return a dict of output arrays")
    n = inputs.sizes.get("sample", 1)
    meta = getattr(model, "outputs", {})
    if missing := [k for k in meta if k not in result]:
        raise SpecError(f"model {model_name(model)} declares output {show_key(missing[0])} but did not return "
                        f"it; it returned: {', '.join(map(show_key, result)) or 'nothing'}")
    out = inputs.copy()
    held = [v.values for v in inputs.data_vars.values()]
    for name, values in result.items():
        dims = getattr(meta.get(name), "dims", ())
        if dims:  # e.g. an hourly output (sample, hour): kept whole, summarised by no analysis
            values = _own_profile(model, name, values, n, dims)
            unit, long_name = _unit(meta.get(name), currency)
            out[name] = (("sample", *dims), values, {"units": unit, "long_name": long_name or name,
                                                     "role": profile_role(dims)})
            continue
        try:
            values = _own(values, n, held)
        except (ValueError, TypeError):
            raise SpecError(f"model {model_name(model)} returned output {name} of shape "
                            f"{np.shape(values)}; a model must return arrays of the inputs' length "
                            f"({n}) or scalars") from None
        unit, long_name = _unit(meta.get(name), currency)
        bad = int(np.count_nonzero(~np.isfinite(values)))
        out[name] = ("sample", values, {"units": unit, "long_name": long_name or name,
                                        "role": "output", "nonfinite": bad})
    for name in inputs.data_vars:
        out[name].attrs["role"] = "input"
        unit, long_name = _unit(getattr(model, "inputs", {}).get(name), currency)
        if unit and not out[name].attrs.get("units"):
            out[name].attrs["units"] = unit
        if long_name:
            out[name].attrs["long_name"] = long_name
    return out


def profile_role(dims: tuple[str, ...]) -> str:
    """The ``role`` attr of an output with dimensions besides ``sample`` (``"output_hour"``).

    Such outputs are kept in the results but are not among :func:`mcrisk.risk.outputs_of`,
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


def _own_profile(model: Callable, name: str, values, n: int, dims: tuple[str, ...]) -> np.ndarray:
    """An output over ``(sample, *dims)`` as a float array of that shape (broadcast if needed)."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 + len(dims) and arr.ndim != len(dims):
        raise SpecError(f"model {model_name(model)} returned output {name} of shape {arr.shape}; it is "
                        f"declared over (sample, {', '.join(dims)}), so it must have {1 + len(dims)} dimensions")
    shape = (n, *arr.shape[-len(dims):])
    if arr.shape == shape and arr.base is None and arr.flags.writeable:
        return arr  # a fresh array the model made: keep it rather than hold two copies
    try:
        return np.array(np.broadcast_to(arr, shape))
    except ValueError:
        raise SpecError(f"model {model_name(model)} returned output {name} of shape {arr.shape}; a model must "
                        f"return arrays of the inputs' length ({n}) along their first axis") from None


def _own(values, n: int, held: list[np.ndarray]) -> np.ndarray:
    """``values`` as a float array of length ``n`` that no input shares (copied only if needed)."""
    arr = np.asarray(values, dtype=float)
    if (arr.shape == (n,) and arr.base is None and arr.flags.writeable
            and not any(np.may_share_memory(arr, h) for h in held)):
        return arr  # a fresh array the model made: keep it rather than hold two copies
    return np.array(np.broadcast_to(arr, (n,)))


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
