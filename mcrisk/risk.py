"""Risk statistics of simulated outputs: percentiles, P(loss), expected shortfall, MC errors."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import xarray as xr

from .errors import SpecError
from .text import format_number  # re-exported: users call mcrisk.risk.format_number
from .text import aligned, labelled
from .validate import NONFINITE, NonFinite, check_nonfinite

__all__ = ["NONFINITE", "PERCENTILES", "STATISTICS", "check_nonfinite", "format_number", "format_summary",
           "nonfinite_error", "outputs_of", "per_period", "row_statistics", "summarize"]


def outputs_of(results: xr.Dataset) -> list[str]:
    """The output variables of a results Dataset, in order.

    Parameters
    ----------
    results
        Results over ``sample`` (from :func:`mcrisk.simulate.simulate`).

    Returns
    -------
    list of str
        The names of the variables whose ``role`` attr is ``"output"``.
    """
    return [k for k, v in results.data_vars.items() if v.attrs.get("role") == "output"]


#: The percentiles of :func:`summarize`: name -> probability.
PERCENTILES: dict[str, float] = {f"p{int(p * 100):02d}": p for p in (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)}

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
    return lambda x: float(row_statistics(np.asarray(x, dtype=float).reshape(1, -1))[name][0])


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


def summarize(results: xr.Dataset, outputs: Sequence[str] | None = None, *,
              nonfinite: NonFinite = "drop") -> xr.Dataset:
    """Risk statistics of each output.

    Parameters
    ----------
    results
        A Dataset from :func:`mcrisk.simulate`.
    outputs
        Which variables to summarise (default: every output).
    nonfinite
        ``"drop"`` (default), ``"keep"`` or ``"error"``: what NaN and infinite samples do to
        the statistics (see :data:`NONFINITE`).

    Returns
    -------
    xarray.Dataset
        Over the dimension ``output`` (with coordinate ``units``): ``mean``, ``std``, ``min``,
        ``p05`` ... ``p95``, ``max``, ``p_below_zero``, ``es05`` (the mean of the worst 5%, on the
        side its ``bad`` attr names),
        ``se_mean`` and ``se_p_below_zero`` (Monte Carlo standard errors, ``s / sqrt(n)`` and
        ``sqrt(p (1 - p) / n)``; conservative for LHS and Sobol' designs) and ``n_valid``
        (the finite samples). Attr ``on_nonfinite``: the policy, ``nonfinite_policy``: it in words.

    Raises
    ------
    SpecError
        With ``nonfinite="error"``, when an output has a NaN or infinite sample.

    Notes
    -----
    Percentiles use numpy's default linear interpolation between order statistics. The
    expected shortfall is the mean of the ``ceil(0.05 n)`` worst values: the smallest, or the
    largest for an output whose ``bad`` attr is ``"high"`` (a cost; from the model's
    :class:`~mcrisk.models.Var`).
    """
    check_nonfinite(nonfinite)
    outputs = list(outputs) if outputs is not None else outputs_of(results)
    table = {k: [] for k in STATISTICS}
    n_valid = []
    for name in outputs:
        x = np.asarray(results[name].values, dtype=float).ravel()
        finite = np.isfinite(x)
        n_valid.append(int(np.count_nonzero(finite)))
        if nonfinite == "error" and n_valid[-1] < x.size:
            raise nonfinite_error(name, x.size - n_valid[-1], x.size, int(np.argmin(finite)))
        if nonfinite == "drop":
            x = x[finite]
        with np.errstate(invalid="ignore", over="ignore"):  # keep: inf - inf is NaN, as it should be
            if x.size and not np.isnan(x).any():
                stats = row_statistics(x.reshape(1, -1), results[name].attrs.get("bad", "low"))
                for k in STATISTICS:
                    table[k].append(float(stats[k][0]))
            else:
                for k in STATISTICS:
                    table[k].append(math.nan)
    units = [results[name].attrs.get("units", "") for name in outputs]
    data = {k: ("output", np.array(v), {"long_name": STATISTICS[k][1]}) for k, v in table.items()}
    data["n_valid"] = ("output", np.array(n_valid, dtype=np.int64), {"long_name": "finite samples"})
    attrs = {k: results.attrs[k] for k in ("model", "method", "seed", "samples", "period_days")
             if k in results.attrs}
    attrs.update(on_nonfinite=nonfinite, nonfinite_policy=NONFINITE[nonfinite])
    return xr.Dataset(data, coords={"output": outputs, "units": ("output", units)}, attrs=attrs)


def format_summary(summary: xr.Dataset, *, columns: Sequence[str] = ("mean", "p05", "p50", "p95",
                                                                      "p_below_zero", "es05")) -> str:
    """The summary as a plain-text table with units and thousands separators.

    Parameters
    ----------
    summary
        A summary over ``output`` (from :func:`summarize`), with a ``units`` variable.
    columns
        The statistics shown, in order; those starting with ``p_below`` (probabilities, shares in
        [0, 1]) and every statistic of a dimensionless output (unit ``"1"``, shown as ``%``) are
        written as percentages, the others in the output's units by
        :func:`~mcrisk.text.format_number`. Inside :func:`mcrisk.text.labels_in_use` the rows
        carry the outputs' plain labels.

    Returns
    -------
    str
        The table, one row per output, with a header and a rule.
    """
    head = ["output", "units", *columns]
    rows = []
    for i, name in enumerate(summary.output.values):
        unit = str(summary.units.values[i])
        cells = []
        for c in columns:
            v = float(summary[c].values[i])
            # shares, margins and probabilities as percentages; "1" is never printed as a unit
            cells.append(f"{v:.1%}" if c.startswith("p_below") or unit == "1" else format_number(v, unit))
        rows.append([labelled(str(name)), "%" if unit == "1" else unit, *cells])
    return "\n".join(aligned([head, *rows], left=2, rule=True))
