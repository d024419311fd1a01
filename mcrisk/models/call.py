"""Calling a model: its inputs checked against its signature, its outputs checked and owned.

The rules every evaluation shares, in plain numpy so that checking a study
(:func:`mcrisk.spec.studyfile.load_study`, ``mcrisk check``) needs no xarray: :func:`check_inputs`
before a run, :func:`call_model` for the call, :func:`model_outputs` for what it returned.
:func:`mcrisk.simulation.evaluate.evaluate` wraps them into a results Dataset.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import numpy as np

from mcrisk.core.errors import SpecError
from mcrisk.core.validate import show_key, show_keys
from mcrisk.models.base import model_inputs
from mcrisk.models.registry import model_name

__all__ = ["call_model", "check_inputs", "model_outputs"]


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
        raise SpecError(f"{where}: model {model_name(model)} needs {show_keys(missing)}, which "
                        "no prior or input gives")
    if not anykw and (unknown := [k for k in names if k not in required and k not in optional]):
        if unknown[0] in (getattr(model, "outputs", None) or {}):  # e.g. a chain's intermediate result
            raise SpecError(f"{where}: {show_key(unknown[0])} is an output of model {model_name(model)}, "
                            "which computes it; no prior or input may give it")
        raise SpecError(f"{where}: {show_key(unknown[0])} is not an input of model {model_name(model)}; its "
                        f"inputs: {show_keys([*required, *optional])}")  # a chain's run long: cut at 300


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


def model_outputs(model: Callable, result: object, n: int, *,
                  held: Sequence[np.ndarray] = ()) -> dict[str, np.ndarray]:
    """Check what a model returned and make each output a float array of ``n`` samples.

    Parameters
    ----------
    model
        The model that was called.
    result
        What it returned.
    n
        The number of samples it was called on.
    held
        The input arrays: an output sharing memory with one of them is copied, so results
        never alias inputs.

    Returns
    -------
    dict[str, numpy.ndarray]
        Output name -> float array of shape ``(n,)`` that no input shares (a fresh array the
        model made is kept as it is, not copied); an output declared with ``dims`` (a
        :class:`~mcrisk.models.Var` over, e.g., ``("hour",)``) has shape ``(n, 24)``.

    Raises
    ------
    SpecError
        If ``result`` is not a dict, leaves out an output the model declares, or holds an
        output that cannot be broadcast to ``n`` samples.
    """
    if not isinstance(result, dict):
        raise SpecError(f"model {model_name(model)} returned {type(result).__name__}; a model "
                        "must return a dict of output arrays")
    meta = getattr(model, "outputs", {})
    if missing := [k for k in meta if k not in result]:
        raise SpecError(f"model {model_name(model)} declares output {show_key(missing[0])} but did not return "
                        f"it; it returned: {', '.join(map(show_key, result)) or 'nothing'}")
    out = {}
    for name, values in result.items():
        if dims := getattr(meta.get(name), "dims", ()):  # declared over (sample, *dims), e.g. hourly
            out[name] = _own_profile(model, name, values, n, dims)
            continue
        try:
            out[name] = _own(values, n, held)
        except (ValueError, TypeError):
            raise SpecError(f"model {model_name(model)} returned output {name} of shape "
                            f"{np.shape(values)}; a model must return arrays of the inputs' length "
                            f"({n}) or scalars") from None
    return out


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


def _own(values, n: int, held: Sequence[np.ndarray]) -> np.ndarray:
    """``values`` as a float array of length ``n`` that no input shares (copied only if needed)."""
    arr = np.asarray(values, dtype=float)
    if (arr.shape == (n,) and arr.base is None and arr.flags.writeable
            and not any(np.may_share_memory(arr, h) for h in held)):
        return arr  # a fresh array the model made: keep it rather than hold two copies
    return np.array(np.broadcast_to(arr, (n,)))
