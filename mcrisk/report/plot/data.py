"""What the charts draw, taken from the Datasets: an output's finite samples, the range that
cuts long tails, the limit beyond which nothing can be charted, one output's sensitivity indices
and their intervals."""

from __future__ import annotations

import numpy as np
import xarray as xr

from mcrisk.core.errors import SpecError
from mcrisk.core.statistics import WEIGHT, outputs_of, weighted_quantile

__all__ = ["CHART_MAX", "chart_limit", "finite_output", "interval", "output_weights", "select_output", "view_range"]

#: The largest magnitude a chart can show: beyond it matplotlib's transforms overflow.
CHART_MAX = 1e150

#: Quantiles that bound the x range of distribution and exceedance charts when a tail is long.
_VIEW_Q = (0.005, 0.995)
#: A tail is clipped only when it reaches this share of the P0.5..P99.5 width beyond it.
_LONG_TAIL = 0.25


def chart_limit(name: str, value: float) -> str:
    """Why ``name`` cannot be charted: it reaches ``value``, beyond :data:`CHART_MAX`.

    Parameters
    ----------
    name
        The variable's name.
    value
        Its largest magnitude, in its units.

    Returns
    -------
    str
        The message, one line.
    """
    return f"{name} reaches {value:.3g}; values beyond ±{CHART_MAX:.0e} cannot be charted"


def finite_output(results: xr.Dataset, output: str | None) -> tuple[str, np.ndarray, str]:
    """``(name, finite samples, units)`` of ``output`` (default: the study output, else the first).

    Parameters
    ----------
    results
        Results over ``sample``.
    output
        The output's name, or ``None`` for the ``output`` attr of ``results``, else its first
        output.

    Returns
    -------
    tuple of (str, numpy.ndarray, str)
        The output's name, its finite samples (NaN and infinities left out) in its units, and
        its ``units`` attr (``""`` if none).

    Raises
    ------
    SpecError
        When ``output`` is not in ``results``, or a sample is beyond :data:`CHART_MAX`.
    """
    output = output or results.attrs.get("output")
    if output is None or output not in results:
        outs = outputs_of(results)
        if output is None and outs:
            output = outs[0]
        else:
            raise SpecError(f"output = {output!r} is not in the results; outputs: {', '.join(outs)}")
    x = np.asarray(results[output].values, dtype=float).ravel()
    x = x[np.isfinite(x)]
    if x.size and (big := float(np.abs(x).max())) > CHART_MAX:
        raise SpecError(chart_limit(output, big))
    return output, x, results[output].attrs.get("units", "")


def output_weights(results: xr.Dataset, output: str | None) -> np.ndarray | None:
    """The calibration weights of ``output``'s finite samples (as :func:`finite_output` keeps them),
    normalised; None for a run without weights."""
    if WEIGHT not in results:
        return None
    output = finite_output(results, output)[0]
    x = np.asarray(results[output].values, dtype=float).ravel()
    w = np.asarray(results[WEIGHT].values, dtype=float)[np.isfinite(x)]
    return w / w.sum()


def view_range(x: np.ndarray, *, zero: bool = True, weights: np.ndarray | None = None) -> tuple[float, float]:
    """The x range to draw: ``min .. max``, but a long tail is cut at P0.5 (or P99.5).

    A side is cut when its extreme lies more than ``_LONG_TAIL`` times the P0.5..P99.5 width
    beyond that quantile, so a compact distribution is drawn whole. With ``zero``, 0 stays in
    range whenever the samples have both signs.

    Parameters
    ----------
    x
        Finite samples, in the output's units; at least one.
    zero
        Keep 0 in the range when ``x`` has both negative and positive values.
    weights
        Calibration weights of ``x``: quantiles are weighted, and the extremes are the weighted
        P0.1 and P99.9 (a draw the record all but rules out does not stretch the chart).

    Returns
    -------
    tuple of float
        The low and high ends, in the units of ``x``.
    """
    if weights is not None:
        lo, qlo, qhi, hi = (float(v) for v in weighted_quantile(x, weights, [0.001, *_VIEW_Q, 0.999]))
    else:
        lo, hi = float(x.min()), float(x.max())
        qlo, qhi = (float(v) for v in np.quantile(x, _VIEW_Q))
    width = qhi - qlo
    if width > 0:
        lo = qlo if lo < qlo - _LONG_TAIL * width else lo
        hi = qhi if hi > qhi + _LONG_TAIL * width else hi
    if zero and lo < 0 < hi if weights is not None else zero and x.min() < 0 < x.max():
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    return lo, hi


def select_output(ds: xr.Dataset, output: str | None) -> xr.Dataset:
    """The sensitivity indices of ``output`` (default: the analysed output, else the first).

    Parameters
    ----------
    ds
        Sensitivity results over ``input`` (and ``output``).
    output
        The output's name, or ``None`` for the analysed output.

    Returns
    -------
    xarray.Dataset
        The results over ``input`` for that output (``ds`` itself when it has no ``output``
        dimension).

    Raises
    ------
    SpecError
        When ``ds`` holds another output, or has no ``output`` of that name.
    """
    if "output" not in ds.dims:
        of = str(ds.output.values) if "output" in ds.coords else ds.attrs.get("output")
        if output and of and output != of:
            raise SpecError(f"the sensitivity results are of {of}, not of {output}; "
                            "analyse that output to show its indices")
        return ds
    names = [str(v) for v in ds.output.values]
    # attrs["output"] lists every output ("a, b") when there are several
    output = output or next((o for o in (ds.attrs.get("output"),) if o in names), names[0])
    if output not in names:
        raise SpecError(f"output = {output!r} is not in the sensitivity results; outputs: {', '.join(names)}")
    return ds.sel(output=output)


def interval(ds: xr.Dataset, var: str) -> np.ndarray | None:
    """``(2, k)`` error-bar lengths for ``var`` from ``var_conf`` or ``var_low``/``var_high``;
    None when ``ds`` has neither.

    Parameters
    ----------
    ds
        Indices over ``input`` (one output).
    var
        The index's name, such as ``"ST"`` or ``"spearman"``.

    Returns
    -------
    numpy.ndarray or None
        Row 0 the length below each value, row 1 above, in the index's units (both ``|conf|``
        for a half-width; from low/high clipped at 0); ``None`` when there is no interval.
    """
    v = np.asarray(ds[var].values, dtype=float)
    if f"{var}_conf" in ds:
        c = np.abs(np.asarray(ds[f"{var}_conf"].values, dtype=float))
        return np.vstack([c, c])
    if f"{var}_low" in ds and f"{var}_high" in ds:
        lo = np.asarray(ds[f"{var}_low"].values, dtype=float)
        hi = np.asarray(ds[f"{var}_high"].values, dtype=float)
        return np.vstack([np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)])
    return None
