"""Throughput curves: output tokens/s per GPU against the speed each user gets.

A benchmark of a model on an accelerator (DeepSeek-R1 in FP8 on 8 H100, 1k tokens in and 1k
out) gives points ``[interactivity, throughput]``: at 42 output tokens/s per user an H100
serves about 133 output tokens/s per GPU; at 100, about 12 (InferenceX publishes 266 and 23
*total* tokens, input and output; ``priors/hardware-2026.toml`` keeps output tokens, half of
that at 1k/1k). A provider picks its speed tier; the curve
gives its throughput. ``maas`` and ``maas_hourly`` take such a curve as the option
``throughput_curve`` and then the inputs ``interactivity`` and ``engineering_factor`` instead
of ``decode_tps_per_node``.

Notes
-----
Between points the curve is a straight line in log(interactivity)-log(throughput) (a power
law on each segment), and it is not extrapolated::

    curve(i) = exp(interp(log i, log i_k, log t_k))          i_1 <= i <= i_K
    decode_tps_per_node = gpus_per_node curve(interactivity) engineering_factor

``engineering_factor`` is how far the provider's serving stack is from the benchmark's at the
same speed (1: as benchmarked; 2: twice the tokens per GPU). With a curve,
``prefill_tps_per_node`` defaults to infinity (no separate prefill nodes), for a curve measured
on GPUs that prefill too, as benchmarks serving 1k in / 1k out on one pool do; give it for a
curve of decode alone (disaggregated serving).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from mcrisk.core.domains import Domain
from mcrisk.core.errors import SpecError, shorten
from mcrisk.models.base import Var

__all__ = ["CURVE_INPUTS", "CURVE_OPTION", "CURVE_OUTPUTS", "HIDDEN", "check_curve", "curve_face",
           "curve_range", "curve_throughput", "decode_rate", "face"]

#: The option that takes a curve, and what it means (``mcrisk describe``).
CURVE_OPTION = ("throughput_curve", "[[interactivity, output tokens/s per GPU], ...] or \"FILE.toml#entry.path\": "
                "decode_tps_per_node = gpus_per_node curve(interactivity) engineering_factor; None: it is an input")

#: The inputs a curve brings (a model without a curve hides them).
CURVE_INPUTS: dict[str, Var] = {
    "interactivity": Var("tokens/s", "output tokens per second each user receives (the speed tier)",
                         domain=(0, math.inf), label="Interactivity (tokens/s per user)"),
    "engineering_factor": Var("1", "throughput of the provider's stack / the benchmark's at the same speed",
                              domain=(0, math.inf), label="Engineering factor"),
}

#: The outputs a curve adds: the throughput it gives.
CURVE_OUTPUTS: dict[str, Var] = {
    "decode_tps_per_node": Var("tokens/s", "output tokens one node decodes per second at the speed target",
                               bad="low", label="Decode throughput per node"),
    "decode_tps_per_gpu": Var("tokens/s", "output tokens one GPU decodes per second at the speed target",
                              bad="low", label="Decode throughput per GPU"),
}

#: Parameters of the models' functions that their signatures show only with a curve.
HIDDEN = tuple(CURVE_INPUTS)

_FORM = ("must be a list of at least two [interactivity, output tokens/s per GPU] points, each number "
         "positive and finite, interactivities distinct")


def check_curve(value: Any, name: str = "throughput_curve") -> np.ndarray:
    """A curve's points, checked, sorted by interactivity.

    Parameters
    ----------
    value
        ``[[interactivity, tokens/s per GPU], ...]`` (lists, tuples or an array of shape (K, 2)).
    name
        The option's name, for messages.

    Returns
    -------
    ndarray of shape (K, 2)
        The points in increasing interactivity, read-only.

    Raises
    ------
    SpecError
        For fewer than two points, a point that is not two positive finite numbers, or two
        points at one interactivity.
    """
    try:
        pts = None if isinstance(value, str | dict) else np.array(value, dtype=float)
    except (TypeError, ValueError):
        pts = None
    if isinstance(value, str):
        raise SpecError(f"{name} = {shorten(value)} {_FORM}; a reference \"FILE.toml#entry.path\" is read "
                        "from a study file")
    if pts is None or pts.ndim != 2 or pts.shape[0] < 2 or pts.shape[1] != 2 or not np.all(
            np.isfinite(pts) & (pts > 0)):
        raise SpecError(f"{name} = {shorten(value)} {_FORM}")
    pts = pts[np.argsort(pts[:, 0], kind="stable")]
    if np.any(np.diff(pts[:, 0]) == 0):
        raise SpecError(f"{name} = {shorten(value)} has two points at interactivity "
                        f"{pts[np.flatnonzero(np.diff(pts[:, 0]) == 0)[0], 0]:g}; {_FORM}")
    pts.flags.writeable = False
    return pts


def curve_range(points: np.ndarray) -> Domain:
    """The interactivities a curve covers, as the domain of ``interactivity``."""
    return Domain(points[0, 0], points[-1, 0], why="the range of throughput_curve's points; it is not extrapolated")


def curve_throughput(points: Any, interactivity: Any) -> np.ndarray:
    """Output tokens/s per GPU at each interactivity, interpolated in log-log between points.

    Parameters
    ----------
    points
        The curve (:func:`check_curve` checks and sorts it).
    interactivity : array_like
        Output tokens/s per user, within the curve's range.

    Returns
    -------
    ndarray
        ``exp(interp(log i, log i_k, log t_k))``, of ``interactivity``'s shape.

    Raises
    ------
    SpecError
        For an interactivity outside the curve's range (no extrapolation), naming both ranges.

    Examples
    --------
    >>> float(curve_throughput([[42, 266], [100, 23]], 42))
    266.0
    """
    pts = check_curve(points)
    x = np.asarray(interactivity, dtype=float)
    lo, hi = curve_range(pts)
    if not np.all((x >= lo) & (x <= hi)):
        xmin, xmax = float(np.nanmin(x)), float(np.nanmax(x))
        raise SpecError(f"interactivity from {xmin:.6g} to {xmax:.6g} tokens/s per user leaves throughput_curve's "
                        f"range, [{lo:g}, {hi:g}]; the curve is not extrapolated")
    out = np.exp(np.interp(np.log(x), np.log(pts[:, 0]), np.log(pts[:, 1])))
    # At a point, the point itself: exp(log(t)) may differ from t in the last bit.
    at = np.searchsorted(pts[:, 0], x)
    hit = (at < len(pts)) & (pts[np.minimum(at, len(pts) - 1), 0] == x)
    return np.where(hit, pts[np.minimum(at, len(pts) - 1), 1], out)


def decode_rate(model: str, curve: Any, *, decode_tps_per_node, prefill_tps_per_node, interactivity,
                engineering_factor, gpus_per_node) -> tuple[Any, Any, dict[str, np.ndarray]]:
    """The decode and prefill rates a model computes with, from the inputs or from the curve.

    Parameters
    ----------
    model
        The model's name, for messages.
    curve
        The option ``throughput_curve``, or None.
    decode_tps_per_node, prefill_tps_per_node, interactivity, engineering_factor, gpus_per_node
        The model's inputs (None where not given).

    Returns
    -------
    decode, prefill : array_like
        Tokens/s per node.
    outputs : dict
        With a curve, ``decode_tps_per_node`` and ``decode_tps_per_gpu``; else empty.

    Raises
    ------
    SpecError
        For an input given with the wrong form (``interactivity`` without a curve,
        ``decode_tps_per_node`` with one), or a required one missing.
    """
    if curve is None:
        for k, v in (("interactivity", interactivity), ("engineering_factor", engineering_factor)):
            if v is not None:
                raise SpecError(f"{k} is an input of {model} only with the option throughput_curve")
        for k, v in (("decode_tps_per_node", decode_tps_per_node), ("prefill_tps_per_node", prefill_tps_per_node)):
            if v is None:
                raise SpecError(f"{model} needs {k} (or the option throughput_curve and the input interactivity)")
        return decode_tps_per_node, prefill_tps_per_node, {}
    if decode_tps_per_node is not None:
        raise SpecError(f"{model} computes decode_tps_per_node from throughput_curve; give interactivity instead")
    if interactivity is None:
        raise SpecError(f"{model} with the option throughput_curve needs the input interactivity")
    factor = 1.0 if engineering_factor is None else engineering_factor
    per_gpu = curve_throughput(curve, interactivity) * factor
    decode = np.asarray(gpus_per_node, dtype=float) * per_gpu
    prefill = math.inf if prefill_tps_per_node is None else prefill_tps_per_node
    return decode, prefill, {"decode_tps_per_node": decode, "decode_tps_per_gpu": per_gpu}


def face(signature: inspect.Signature, *, drop: tuple[str, ...] = (), required: tuple[str, ...] = (),
         defaults: Mapping[str, Any] | None = None) -> inspect.Signature:
    """A model's signature as a study sees it: ``drop`` left out, ``required`` without a default, ``defaults`` set.

    Parameters
    ----------
    signature
        The function's own signature (every parameter it accepts).
    drop, required, defaults
        Parameters to hide, to show as required, and to show with another default.

    Returns
    -------
    inspect.Signature
    """
    defaults = defaults or {}
    params = []
    for k, p in signature.parameters.items():
        if k in drop:
            continue
        if k in required:
            p = p.replace(default=p.empty)
        elif k in defaults:
            p = p.replace(default=defaults[k])
        params.append(p)
    return inspect.Signature(params)


def curve_face(points: np.ndarray, inputs: Mapping[str, Var], outputs: Mapping[str, Var]
               ) -> tuple[dict[str, Any], dict[str, Var], dict[str, Var]]:
    """What a curve changes in a model's face: signature changes, inputs and outputs.

    Parameters
    ----------
    points
        The checked curve.
    inputs, outputs
        The model's declarations without a curve.

    Returns
    -------
    changes : dict
        Keyword arguments for :func:`face`: ``decode_tps_per_node`` dropped, ``interactivity``
        required, ``engineering_factor`` 1 and ``prefill_tps_per_node`` infinite by default.
    inputs, outputs : dict
        ``interactivity`` (its domain the curve's range) and ``engineering_factor`` in place of
        ``decode_tps_per_node``; :data:`CURVE_OUTPUTS` added.
    """
    ins = {k: v for k, v in inputs.items() if k != "decode_tps_per_node"}
    i = CURVE_INPUTS["interactivity"]
    ins["interactivity"] = Var(i.unit, i.long_name, label=i.label, domain=curve_range(points))
    ins["engineering_factor"] = CURVE_INPUTS["engineering_factor"]
    changes = {"drop": ("decode_tps_per_node",), "required": ("interactivity",),
               "defaults": {"engineering_factor": 1.0, "prefill_tps_per_node": math.inf}}
    return changes, ins, {**outputs, **CURVE_OUTPUTS}
