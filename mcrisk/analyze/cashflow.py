"""Cash over months, from a model's per-month outputs: the fan of cumulative cash and when it turns.

A model over months (``maas_monthly``, or a user's model with an output ``cumulative_cash`` over
``(sample, month)``) gives each sample's cumulative undiscounted cash at the end of months
``1..M``. :func:`cash_bands` gives its P5, P25, P50, P75 and P95 and P(cumulative cash < 0) at
each month (with month 0, the upfront outlay, when the model also gives ``cash``);
:func:`turning_months` gives each sample's payback month (the first month at which the
cumulative cash is >= 0) and the month it turns negative for good (the first month from which
it stays below 0 to the end). The report's fan chart and "when the loss happens" chart, the
deck's and the workbook's, draw these numbers.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from mcrisk.core.statistics import CENTRAL_50_90, PERCENTILES

__all__ = ["CUMULATIVE", "cash_bands", "has_months", "month_labels", "turning_months"]

#: The per-month output the cash charts draw.
CUMULATIVE = "cumulative_cash"


def has_months(results: xr.Dataset | None) -> bool:
    """Whether ``results`` hold per-sample ``cumulative_cash`` over ``(sample, month)``.

    Parameters
    ----------
    results
        A run's results (None, or a ``--summary-only`` summary: False).

    Returns
    -------
    bool
    """
    return (results is not None and CUMULATIVE in results and set(results[CUMULATIVE].dims) == {"sample", "month"}
            and results.sizes["sample"] > 0)


def month_labels(results: xr.Dataset) -> np.ndarray:
    """The months of ``results``: its ``month`` coordinate, else ``1..M``.

    Parameters
    ----------
    results
        Results with a ``month`` dimension.

    Returns
    -------
    numpy.ndarray of int
    """
    if "month" in results.coords:
        return np.asarray(results["month"].values).astype(int)
    return np.arange(1, results.sizes["month"] + 1)


def _cumulative(results: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative cash over (sample, month), with month 0 first when the model gives ``cash``."""
    cum = np.asarray(results[CUMULATIVE].transpose("sample", "month").values, dtype=float)
    months = month_labels(results)
    if "cash" in results and set(results["cash"].dims) == {"sample", "month"} and months[0] == 1:
        first = np.asarray(results["cash"].transpose("sample", "month").values[:, 0], dtype=float)
        cum = np.column_stack([cum[:, 0] - first, cum])  # month 0: the upfront flow, CF_0 = cum_1 - CF_1
        months = np.concatenate([[0], months])
    return cum, months


def cash_bands(results: xr.Dataset) -> xr.Dataset:
    """P5, P25, P50, P75, P95 of cumulative cash and P(cumulative cash < 0) at each month.

    Parameters
    ----------
    results
        Per-sample results with ``cumulative_cash`` over ``(sample, month)`` (and ``cash``, for
        month 0).

    Returns
    -------
    xarray.Dataset
        Over ``month`` (from 0 when month 0 is known, else from 1): ``p05`` ... ``p95`` in the
        output's units and ``p_below_zero``; NaN samples are left out of each month. Attrs
        ``units`` and ``samples``.
    """
    cum, months = _cumulative(results)
    ok = np.isfinite(cum)
    q = [PERCENTILES[k] for k in CENTRAL_50_90]
    with np.errstate(invalid="ignore"):
        bands = np.array([np.quantile(cum[ok[:, j], j], q) if ok[:, j].any() else np.full(len(q), np.nan)
                          for j in range(cum.shape[1])]).T
        below = np.where(ok.any(axis=0), (np.where(ok, cum, 0) < 0).sum(axis=0) / np.maximum(ok.sum(axis=0), 1),
                         np.nan)
    unit = str(results[CUMULATIVE].attrs.get("units", ""))
    ds = xr.Dataset({k: ("month", bands[i], {"units": unit}) for i, k in enumerate(CENTRAL_50_90)},
                    coords={"month": months})
    ds["p_below_zero"] = ("month", below, {"units": "1", "long_name": "P(cumulative cash < 0)"})
    ds.attrs.update({"units": unit, "samples": int(cum.shape[0])})
    return ds


def turning_months(results: xr.Dataset) -> xr.Dataset:
    """Each sample's payback month and the month its cumulative cash turns negative for good.

    Parameters
    ----------
    results
        Per-sample results with ``cumulative_cash`` over ``(sample, month)``.

    Returns
    -------
    xarray.Dataset
        Over ``sample``: ``payback_month``, the first month ``m >= 1`` at which the cumulative
        cash is >= 0 (NaN if never), and ``loss_month``, for a sample whose cumulative cash
        reached 0 or more and then fell below 0 for good, the first month from which it stays
        below 0 to the last month (NaN otherwise: it ends at or above 0, or never reached 0 and
        so never paid back). Attrs ``months`` (M), ``never_pays_back``, ``ends_in_loss``
        (cumulative cash < 0 at the last month) and ``turns_to_loss`` (a ``loss_month``), shares
        of the samples with a finite last month.
    """
    cum = np.asarray(results[CUMULATIVE].transpose("sample", "month").values, dtype=float)
    months = month_labels(results)
    paid = cum >= 0
    payback = np.where(paid.any(axis=1), months[np.argmax(paid, axis=1)], np.nan)
    # from the end backwards: the months since the last month at or above 0
    above = np.where(paid, np.arange(cum.shape[1]), -1).max(axis=1)
    ends = np.isfinite(cum[:, -1])
    # a sample that never reaches 0 never pays back; one that does and falls below 0 for good turns
    loss = np.where(ends & (above >= 0) & (above < cum.shape[1] - 1), months[np.minimum(above + 1, cum.shape[1] - 1)],
                    np.nan)
    n = max(int(ends.sum()), 1)
    return xr.Dataset({"payback_month": ("sample", payback, {"units": "month", "long_name": "payback month"}),
                       "loss_month": ("sample", loss, {"units": "month",
                                                       "long_name": "month cumulative cash turns negative for good"})},
                      attrs={"months": int(months[-1]), "never_pays_back": float((~paid.any(axis=1) & ends).sum() / n),
                             "ends_in_loss": float((ends & (cum[:, -1] < 0)).sum() / n),
                             "turns_to_loss": float(np.isfinite(loss).sum() / n)})
