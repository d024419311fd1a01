"""The cost frontier of a study with a throughput curve: cost per million output tokens against speed.

A provider picks its speed tier (interactivity, output tokens/s per user); the throughput curve
turns it into tokens per GPU, and the model into a cost per token. :func:`cost_frontier`
evaluates the study's model with ``interactivity`` held at each of a grid of speeds across the
curve's range, on the study's own samples of every other input (common random numbers, as a
``[sweep]`` does), and keeps the P5, median and P95 of the output at each speed.
:func:`throughput_curve_of` finds the curve a model was bound to (in a chain, or behind a
currency conversion).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import xarray as xr

from mcrisk.core.statistics import CENTRAL_90, PERCENTILES
from mcrisk.models.curves import check_curve, curve_throughput
from mcrisk.simulation.evaluate import evaluate

__all__ = ["cost_frontier", "curve_label", "run_frontier", "throughput_curve_of"]

#: Speeds on the frontier's grid, and the most samples evaluated at each (a chart's bands, not a table's).
GRID, MAX_SAMPLES = 13, 2_000


def throughput_curve_of(model: Callable) -> np.ndarray | None:
    """The points of the ``throughput_curve`` option bound to ``model``, or None.

    Parameters
    ----------
    model
        A study's model: a bound model, a chain of models, or a wrapper holding one as ``.model``.

    Returns
    -------
    ndarray of shape (K, 2) or None
        The checked points (increasing interactivity).
    """
    bound = getattr(model, "bound", None)
    if bound is not None and bound.get("throughput_curve") is not None:
        return check_curve(bound["throughput_curve"])
    for part in (*getattr(model, "models", ()), getattr(model, "model", None)):
        if part is not None and part is not model and (found := throughput_curve_of(part)) is not None:
            return found
    return None


def curve_label(spec: Any) -> str:
    """What a study's curve is called: the catalogue entry it names, or ``"throughput curve"``.

    Parameters
    ----------
    spec
        The study's table as written (:attr:`mcrisk.spec.studyfile.Study.spec`).

    Returns
    -------
    str
        ``"h100.curves.r1_fp8_1k1k"`` for ``"../priors/hardware-2026.toml#h100.curves.r1_fp8_1k1k"``.
    """
    options = spec.get("options") if isinstance(spec, Mapping) else None
    ref = options.get("throughput_curve") if isinstance(options, Mapping) else None
    return ref.split("#", 1)[1] if isinstance(ref, str) and "#" in ref else "throughput curve"


def cost_frontier(model: Callable, results: xr.Dataset, points: Any, *,
                  output: str = "cost_per_million_output_tokens", label: str = "throughput curve",
                  grid: int = GRID, max_samples: int = MAX_SAMPLES) -> xr.Dataset:
    """An output's P5, median and P95 at each speed across the curve, on the study's own samples.

    Parameters
    ----------
    model
        The study's model (with the curve bound).
    results
        The study's results: its input variables (``role = "input"``) are the samples.
    points
        The curve (:func:`mcrisk.models.curves.check_curve`).
    output
        The output charted against speed.
    label
        The hardware or curve's name: the coordinate ``hardware``, so frontiers of several
        studies concatenate along it.
    grid
        Speeds, spaced evenly in log(interactivity) from the curve's first point to its last.
    max_samples
        The first this many samples are evaluated at each speed.

    Returns
    -------
    xarray.Dataset
        Over (``hardware``, ``interactivity``): ``p05``, ``p50``, ``p95`` of the output (its
        units), and ``tokens_per_gpu``, the curve itself at each speed.

    Examples
    --------
    The frontier of a study run (``run``) with a curve:
    ``cost_frontier(run.study.model, run.results, throughput_curve_of(run.study.model))``.
    """
    pts = check_curve(points)
    speeds = np.geomspace(pts[0, 0], pts[-1, 0], grid)
    speeds[0], speeds[-1] = pts[0, 0], pts[-1, 0]  # the ends exactly: geomspace may round past them
    names = [k for k, v in results.data_vars.items() if v.attrs.get("role") == "input"]
    inputs = results[names].isel(sample=slice(0, max_samples))
    rows = []
    for s in speeds:
        held = inputs.assign(interactivity=("sample", np.full(inputs.sizes["sample"], s)))
        y = np.asarray(evaluate(model, held)[output].values, dtype=float)
        rows.append(np.nanquantile(y, [PERCENTILES[k] for k in CENTRAL_90]) if np.isfinite(y).any()
                    else np.full(3, np.nan))
    q = np.array(rows)[None, :, :]  # (hardware, interactivity, statistic)
    attrs = results[output].attrs if output in results else {}
    unit = str(attrs.get("units_label") or attrs.get("units", ""))  # read back from results.nc: pint's spelling
    ds = xr.Dataset({k: (("hardware", "interactivity"), q[:, :, i], {"units": unit})
                     for i, k in enumerate(CENTRAL_90)},
                    coords={"hardware": [label], "interactivity": ("interactivity", speeds, {"units": "tokens/s"})})
    ds["tokens_per_gpu"] = (("hardware", "interactivity"), curve_throughput(pts, speeds)[None, :], {"units": "tokens/s"})
    ds.attrs.update(output=output, samples=int(inputs.sizes["sample"]))
    return ds


def run_frontier(run) -> tuple[str, np.ndarray, xr.Dataset | None] | None:
    """A study run's curve name, points and cost frontier; None for a study without a curve.

    Parameters
    ----------
    run
        A study run (its ``study.model``, ``study.spec`` and ``results``).

    Returns
    -------
    (str, ndarray, Dataset or None) or None
        The frontier is None when the model returns no ``cost_per_million_output_tokens``, or has
        no input ``interactivity`` (a model that prices fixed speed tiers itself).
    """
    model, res = run.study.model, run.results
    if (points := throughput_curve_of(model)) is None:
        return None
    name = curve_label(run.study.spec)
    if "cost_per_million_output_tokens" not in res or "interactivity" not in res:
        return name, points, None
    return name, points, cost_frontier(model, res, points, label=name)
