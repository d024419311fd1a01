"""Statistics of the outputs over months, month by month, from sums a streamed run adds chunk by chunk.

An output over ``(sample, month)`` (``maas_monthly``'s ``cumulative_cash``, ``profit``, ...)
gets, for each month, its mean, P(below zero) with its Monte Carlo standard error, and the
count of finite samples: the probability that the business is still under water in month
``m`` is ``month_p_below_zero`` of ``cumulative_cash`` at ``m``. Each chunk gives counts and
:func:`~mcrisk.simulation.blocksums.block_sums` per month (:func:`month_parts`); their merge
(:func:`month_statistics`) is the same to the last bit whatever the chunk size or the number
of workers, and the same as the in-memory summary's (:func:`mcrisk.analyze.risk.summarize`),
which takes the whole run as one chunk. Memory: one chunk, plus a few numbers per month.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import xarray as xr

from mcrisk.simulation.blocksums import block_sums, fsum_blocks

__all__ = ["MONTH_DIMS", "MONTH_STATISTICS", "month_outputs", "month_parts", "month_statistics",
           "month_table", "output_table"]

#: The dimensions of the month statistics in a summary: the outputs over months, and the month.
MONTH_DIMS = ("monthly_output", "month")

#: The statistics per output and month: name in the summary -> meaning.
MONTH_STATISTICS: dict[str, str] = {
    "month_mean": "mean in the month",
    "month_p_below_zero": "probability of a value below zero in the month",
    "month_se_p_below_zero": "Monte Carlo standard error of P(below zero) in the month",
    "month_n_valid": "finite samples in the month",
}


def month_outputs(ds: xr.Dataset) -> list[str]:
    """The outputs of a results Dataset over ``(sample, month)``, in order."""
    return [k for k, v in ds.data_vars.items() if v.attrs.get("role") == "output_month"]


def month_parts(ds: xr.Dataset, start: int) -> dict[str, tuple[np.ndarray, list, np.ndarray]]:
    """One chunk's sums: per output over months, the finite count, block sums and count below zero per month.

    Parameters
    ----------
    ds
        Results of samples ``start, start + 1, ...`` (a chunk, or a whole run with ``start = 0``).
    start
        The position of the chunk's first sample in the run.

    Returns
    -------
    dict
        Output name -> (finite count per month, one :func:`block_sums` per month, count below
        zero per month).
    """
    out = {}
    for name in month_outputs(ds):
        x = np.asarray(ds[name].transpose("sample", "month").values, dtype=float)
        ok = np.isfinite(x)
        clean = np.where(ok, x, 0.0)
        out[name] = (ok.sum(axis=0), [block_sums(np.ascontiguousarray(clean[:, j]), start) for j in range(x.shape[1])],
                     np.count_nonzero(ok & (x < 0), axis=0))
    return out


def month_statistics(parts: Sequence[dict], probe: xr.Dataset) -> xr.Dataset | None:
    """The month statistics of a run from its chunks' :func:`month_parts`, in chunk order.

    Parameters
    ----------
    parts
        Every chunk's :func:`month_parts`.
    probe
        Results of one sample (for the names, units, months).

    Returns
    -------
    xarray.Dataset or None
        The variables of :data:`MONTH_STATISTICS` over :data:`MONTH_DIMS`, with coordinates
        ``monthly_output``, ``month`` and ``monthly_units``; None when no output is over months.
    """
    names = month_outputs(probe)
    if not names:
        return None
    months = probe.sizes["month"]
    table = {k: np.full((len(names), months), np.nan) for k in MONTH_STATISTICS}
    for i, name in enumerate(names):
        n = sum(p[name][0] for p in parts)
        neg = sum(p[name][2] for p in parts)
        for j in range(months):
            total = fsum_blocks([p[name][1][j] for p in parts])
            if n[j]:
                table["month_mean"][i, j] = total / n[j]
                p_neg = neg[j] / n[j]
                table["month_p_below_zero"][i, j] = p_neg
                table["month_se_p_below_zero"][i, j] = math.sqrt(p_neg * (1 - p_neg) / n[j])
        table["month_n_valid"][i] = n
    month = probe["month"].values if "month" in probe.coords else np.arange(1, months + 1)
    data = {k: (MONTH_DIMS, v if k != "month_n_valid" else v.astype(np.int64), {"long_name": MONTH_STATISTICS[k]})
            for k, v in table.items()}
    units = [str(probe[k].attrs.get("units", "")) for k in names]
    return xr.Dataset(data, coords={"monthly_output": names, "month": month,
                                    "monthly_units": ("monthly_output", units)})


def month_table(summary: xr.Dataset) -> xr.Dataset | None:
    """The month statistics of a summary (over :data:`MONTH_DIMS`), or None if it has none."""
    if "month_p_below_zero" not in summary:
        return None
    return summary[list(MONTH_STATISTICS)]


def output_table(summary: xr.Dataset) -> xr.Dataset:
    """The summary over ``output`` alone (what ``summary.csv`` holds): the month statistics dropped."""
    return summary.drop_dims([d for d in MONTH_DIMS if d in summary.dims])
