"""The statistics every layer names: the percentile list, each statistic per row, the 95% z.

One owner for each: :data:`PERCENTILES` (the summary's percentiles), :data:`STATISTICS` (name ->
function and meaning), :func:`row_statistics` (all of them at once, vectorised, as the streaming
run and the sweep compute them chunk by chunk), :data:`Z95_TWO_SIDED` and :data:`Z90_TWO_SIDED`,
:func:`outputs_of` (which variables of a results Dataset are outputs) and :func:`per_period` (money
per day restated per the study's period). numpy only: xarray objects are taken, never imported.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING


from mcrisk.core.errors import SpecError

if TYPE_CHECKING:
    import numpy as np
    import xarray as xr

__all__ = ["CENTRAL_50_90", "CENTRAL_80", "CENTRAL_80_90", "CENTRAL_90", "PERCENTILES", "STATISTICS", "WEIGHT", "Z90_TWO_SIDED", "Z95_TWO_SIDED", "nonfinite_error", "outputs_of",
           "per_period", "percentile_head", "row_statistics", "weighted_quantile",
           "weighted_statistics"]

#: The standard normal quantile of 0.975 (``scipy.special.ndtri(0.975)``): a two-sided 95%
#: interval is the estimate +- this many standard errors.
Z95_TWO_SIDED = 1.959963984540054
#: The standard normal quantile of 0.95 (``scipy.special.ndtri(0.95)``): a 90% central interval
#: (p05 to p95) of a normal spans +- this many standard deviations (also a one-sided 95% bound).
Z90_TWO_SIDED = 1.6448536269514722


def outputs_of(results: xr.Dataset) -> list[str]:
    """The output variables of a results Dataset, in order.

    Parameters
    ----------
    results
        Results over ``sample`` (from :func:`mcrisk.simulation.engine.simulate`).

    Returns
    -------
    list of str
        The names of the variables whose ``role`` attr is ``"output"``.
    """
    return [k for k, v in results.data_vars.items() if v.attrs.get("role") == "output"]


#: The results variable holding each sample's calibration weight (:mod:`mcrisk.analyze.calibration`).
WEIGHT = "weight"

#: The percentiles of :func:`summarize`: name -> probability.
PERCENTILES: dict[str, float] = {f"p{int(p * 100):02d}": p for p in (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)}
#: The median and the 90% central interval: what a one-line summary or a table row shows.
CENTRAL_90: tuple[str, ...] = ("p05", "p50", "p95")
#: The median with the 50% and 90% central intervals: a fan chart's bands, a sweep's table.
CENTRAL_50_90: tuple[str, ...] = ("p05", "p25", "p50", "p75", "p95")
#: The median and the 80% central interval: a prior's spread on the deck's assumptions slide.
CENTRAL_80: tuple[str, ...] = ("p10", "p50", "p90")
#: The median with the 80% and 90% central intervals: the workbook's summary columns.
CENTRAL_80_90: tuple[str, ...] = ("p05", "p10", "p50", "p90", "p95")


def percentile_head(name: str) -> str:
    """A percentile's column heading: ``"p05" -> "P5"``, ``"p50" -> "P50"``.

    Parameters
    ----------
    name
        A key of :data:`PERCENTILES`.

    Returns
    -------
    str
    """
    return f"P{round(PERCENTILES[name] * 100)}"


_MEANINGS: dict[str, str] = {
    "mean": "mean",
    "std": "standard deviation",
    "min": "minimum",
    **{k: f"{int(p * 100)}th percentile" for k, p in PERCENTILES.items()},
    "max": "maximum",
    "p_below_zero": "probability of a value below zero",
    "es05": "expected shortfall at 5%: mean of the worst 5% of samples (the lowest, or the highest for an "
            "output whose bad side is high, such as a cost)",
    "se_mean": "Monte Carlo standard error of the mean",
    "se_p_below_zero": "Monte Carlo standard error of P(below zero)",
}


def row_statistics(x: np.ndarray, bad: str = "low") -> dict[str, np.ndarray]:
    """Every statistic of :data:`STATISTICS` of each row of ``x``, vectorised.

    Parameters
    ----------
    x : numpy.ndarray
        Shape ``(rows, n)``, ``n >= 1``: the samples of one output per row (NaN-free; infinite
        values give what numpy gives).
    bad : {"low", "high"}
        The output's bad side: the expected shortfall averages the lowest 5% of each row, or
        the highest for ``"high"`` (a cost).

    Returns
    -------
    dict of numpy.ndarray
        Each statistic's value per row, keyed as :data:`STATISTICS`.

    Notes
    -----
    With ``n`` samples, ``std`` uses ``ddof = 1``; percentiles use numpy's default linear
    interpolation between order statistics (all seven from one partition); ``es05`` is the mean
    of the ``k = ceil(0.05 n)`` worst values; ``se_mean = std / sqrt(n)`` and
    ``se_p_below_zero = sqrt(p (1 - p) / n)``, conservative for LHS and Sobol' designs.
    """
    import numpy as np  # here, not at import: the table checks name PERCENTILES without numpy

    rows, n = x.shape
    out = {"mean": x.mean(axis=1), "std": x.std(axis=1, ddof=1) if n > 1 else np.zeros(rows),
           "min": x.min(axis=1)}
    q = np.quantile(x, list(PERCENTILES.values()), axis=1)
    out.update({k: q[j] for j, k in enumerate(PERCENTILES)})
    out["max"] = x.max(axis=1)
    p = np.mean(x < 0, axis=1)
    out["p_below_zero"] = p
    k = max(1, math.ceil(0.05 * n))
    if bad == "high":  # the worst of a cost is its top
        out["es05"] = -np.partition(-x, k - 1, axis=1)[:, :k].mean(axis=1)
    else:
        out["es05"] = np.partition(x, k - 1, axis=1)[:, :k].mean(axis=1)
    out["se_mean"] = out["std"] / math.sqrt(n) if n > 1 else np.zeros(rows)
    out["se_p_below_zero"] = np.sqrt(p * (1 - p) / n)
    return out


def _statistic(name: str) -> Callable[[np.ndarray], float]:
    def stat(x: np.ndarray) -> float:
        import numpy as np

        return float(row_statistics(np.asarray(x, dtype=float).reshape(1, -1))[name][0])

    return stat


#: Each statistic of :func:`summarize`: name -> (function of the finite values, meaning). The
#: functions are :func:`row_statistics` on one row.
STATISTICS: dict[str, tuple[Callable[[np.ndarray], float], str]] = {
    k: (_statistic(k), meaning) for k, meaning in _MEANINGS.items()}


def nonfinite_error(name: str, bad: int, n: int, first: int | None = None) -> SpecError:
    """The error of policy ``"error"``: which output, how many samples, and the other choices.

    Parameters
    ----------
    name
        The output's name.
    bad
        Number of NaN or infinite samples of it.
    n
        Number of samples in all.
    first
        Index of the first bad sample, or ``None`` to leave it out of the message.

    Returns
    -------
    SpecError
        The error, for the caller to raise.
    """
    at = f" (the first is sample {first})" if first is not None else ""
    return SpecError(f"{name} is NaN or infinite in {bad:,} of {n:,} samples{at}; on_nonfinite = 'error' "
                     "stops here ('drop' leaves them out of the statistics, 'keep' keeps them)")


def per_period(ds: xr.Dataset, period_days: float | None) -> xr.Dataset:
    """Money-per-day variables restated per ``period_days`` (30: per month); others unchanged.

    A variable counts as money per day when its ``units`` is ``"<currency>/day"``, with the
    currency from ``ds.attrs["currency"]``. Works on results and on tornado tables (whose
    ``base_output`` attr is restated too). The input is not modified.

    Parameters
    ----------
    ds
        Results, a summary or a tornado table, with ``currency`` in its attrs (else the unit
        ``"currency/day"`` is looked for).
    period_days
        Length of the period, in days; ``None``, 0 or 1 returns ``ds`` itself, unchanged.

    Returns
    -------
    xarray.Dataset
        A copy with money-per-day variables multiplied by ``period_days``, their units
        ``"<currency>/month"`` (for 30) or ``"<currency>/<period_days> days"``, and the attr
        ``period_days``.
    """
    if not period_days or period_days == 1:
        return ds
    money = f"{ds.attrs.get('currency') or 'currency'}/day"
    unit = money.replace("/day", "/month" if period_days == 30 else f"/{period_days:g} days")
    out = ds.copy()
    for name, var in ds.data_vars.items():
        if var.attrs.get("units") == money:
            out[name] = var * period_days
            out[name].attrs = {**var.attrs, "units": unit}
    if ds.attrs.get("units") == money:
        out.attrs["units"] = unit
        if "base_output" in ds.attrs:
            out.attrs["base_output"] = ds.attrs["base_output"] * period_days
    out.attrs["period_days"] = period_days
    return out


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: np.ndarray | list[float]) -> np.ndarray:
    """Quantiles of ``x`` under weights ``w``: numpy's linear interpolation when the weights are equal.

    Parameters
    ----------
    x, w : numpy.ndarray
        Values and their non-negative weights (any total), same length.
    q : array_like
        Probabilities in [0, 1].

    Returns
    -------
    numpy.ndarray
        One quantile per probability.

    Notes
    -----
    The sorted values sit at the plotting positions ``S_i / (1 - w_n)``, ``S_i`` the weight below
    value ``i`` and ``w_n`` the last value's: ``i / (n - 1)`` for equal weights, numpy's default
    ("linear", Hyndman and Fan's type 7). Values of zero weight are left out.
    """
    import numpy as np

    keep = w > 0
    order = np.argsort(x[keep], kind="stable")
    xs, ws = x[keep][order], w[keep][order] / w[keep].sum()
    if xs.size == 1:
        return np.full(np.shape(q), xs[0])
    below = np.concatenate(([0.0], np.cumsum(ws)[:-1]))
    return np.interp(q, below / below[-1], xs)


def weighted_statistics(x: np.ndarray, w: np.ndarray, bad: str = "low") -> dict[str, float]:
    """Every statistic of :data:`STATISTICS` of the values ``x`` under the weights ``w``.

    Parameters
    ----------
    x : numpy.ndarray
        One output's finite values.
    w : numpy.ndarray
        Their non-negative weights (normalised here).
    bad : {"low", "high"}
        The output's bad side, as for :func:`row_statistics`.

    Returns
    -------
    dict of float
        Keyed as :data:`STATISTICS`.

    Notes
    -----
    With normalised weights ``w`` and Kish's effective sample size ``n_e = 1 / sum w^2``: the
    mean ``sum w x``; the variance ``sum w (x - mean)^2 / (1 - sum w^2)`` (``ddof = 1`` for equal
    weights); percentiles by :func:`weighted_quantile`; ``es05`` the weighted mean of the worst
    5% of the weight (the draw at the boundary counted in part); ``se_mean = std / sqrt(n_e)``
    and ``se_p_below_zero = sqrt(p (1 - p) / n_e)``. With equal weights these are
    :func:`row_statistics`' values, up to the expected shortfall's partial draw.
    """
    import numpy as np

    w = w / w.sum()
    s2 = float(np.sum(w * w))
    mean = float(np.sum(w * x))
    var = float(np.sum(w * (x - mean) ** 2)) / (1 - s2) if s2 < 1 else 0.0
    ess = 1 / s2
    out = {"mean": mean, "std": math.sqrt(var), "min": float(x[w > 0].min())}
    q = weighted_quantile(x, w, list(PERCENTILES.values()))
    out.update({k: float(q[j]) for j, k in enumerate(PERCENTILES)})
    out["max"] = float(x[w > 0].max())
    p = float(np.sum(w[x < 0]))
    out["p_below_zero"] = p
    order = np.argsort(-x if bad == "high" else x, kind="stable")
    ws = w[order]
    taken = np.clip(0.05 - (np.cumsum(ws) - ws), 0.0, ws)  # each draw's share of the worst 5%
    out["es05"] = float(np.sum(taken * x[order]) / taken.sum())
    out["se_mean"] = out["std"] / math.sqrt(ess)
    out["se_p_below_zero"] = math.sqrt(p * (1 - p) / ess)
    return out
