"""Risk statistics of simulated outputs: percentiles, P(loss), expected shortfall, MC errors."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import xarray as xr

from mcrisk.core.labels import shown_unit
from mcrisk.core.statistics import (CENTRAL_90, STATISTICS, WEIGHT, nonfinite_error, outputs_of, row_statistics,
                                    weighted_statistics)
from mcrisk.core.text import Labels, aligned, labelled, table_number
from mcrisk.core.validate import NONFINITE, NonFinite, check_nonfinite
from mcrisk.simulation.monthly import month_parts, month_statistics

__all__ = ["format_over_time", "format_summary", "summarize"]


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
        (the finite samples). With a ``weight`` variable in ``results`` (a calibrated run,
        :mod:`mcrisk.analyze.calibration`) every statistic is weighted
        (:func:`~mcrisk.core.statistics.weighted_statistics`; Monte Carlo errors from the
        effective sample size, attr ``effective_samples``). Attr ``on_nonfinite``: the policy, ``nonfinite_policy``: it in words.
        With ``outputs`` left out and outputs over ``(sample, month)`` in ``results``, also
        their statistics per month (:func:`mcrisk.simulation.monthly.month_statistics`: the
        mean, P(below zero) and its standard error, finite samples; NaN samples left out).

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
    explicit = outputs is not None
    outputs = list(outputs) if explicit else outputs_of(results)
    table = {k: [] for k in STATISTICS}
    n_valid = []
    weight = np.asarray(results[WEIGHT].values, dtype=float) if WEIGHT in results else None
    for name in outputs:
        x = np.asarray(results[name].values, dtype=float).ravel()
        w = weight
        finite = np.isfinite(x)
        n_valid.append(int(np.count_nonzero(finite)))
        if nonfinite == "error" and n_valid[-1] < x.size and not results[name].attrs.get("nan_means"):
            raise nonfinite_error(name, x.size - n_valid[-1], x.size, int(np.argmin(finite)))
        if nonfinite == "drop":
            x, w = x[finite], None if w is None else w[finite]
        with np.errstate(invalid="ignore", over="ignore"):  # keep: inf - inf is NaN, as it should be
            if x.size and not np.isnan(x).any() and (w is None or w.sum() > 0):
                bad = results[name].attrs.get("bad", "low")
                stats = row_statistics(x.reshape(1, -1), bad) if w is None else weighted_statistics(x, w, bad)
                for k in STATISTICS:
                    table[k].append(float(np.ravel(stats[k])[0]))
            else:
                for k in STATISTICS:
                    table[k].append(math.nan)
    units = [results[name].attrs.get("units", "") for name in outputs]
    data = {k: ("output", np.array(v), {"long_name": STATISTICS[k][1]}) for k, v in table.items()}
    data["n_valid"] = ("output", np.array(n_valid, dtype=np.int64), {"long_name": "finite samples"})
    attrs = {k: results.attrs[k] for k in ("model", "method", "seed", "samples", "period_days")
             if k in results.attrs}
    attrs.update(on_nonfinite=nonfinite, nonfinite_policy=NONFINITE[nonfinite])
    if weight is not None:
        attrs.update(weighted="the calibration's weights (results' weight variable)",
                     effective_samples=float(1 / np.sum((weight / weight.sum()) ** 2)))
    summary = xr.Dataset(data, coords={"output": outputs, "units": ("output", units)}, attrs=attrs)
    if not explicit and (by_month := month_statistics([month_parts(results, 0)], results)) is not None:
        summary = xr.merge([summary, by_month], combine_attrs="override")  # as a streamed run gives them
    return summary


def format_summary(summary: xr.Dataset, *, columns: Sequence[str] = ("mean", *CENTRAL_90, "p_below_zero", "es05"),
                   labels: Labels | None = None) -> str:
    """The summary as a plain-text table with units and thousands separators.

    Parameters
    ----------
    summary
        A summary over ``output`` (from :func:`summarize`), with a ``units`` variable.
    columns
        The statistics shown, in order; those starting with ``p_below`` (probabilities, shares in
        [0, 1]) and every statistic of a dimensionless output (unit ``"1"``, shown as ``%``) are
        written as percentages, the others in the output's units by
        :func:`~mcrisk.core.text.format_number`.
    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`): the rows carry the outputs' plain
        labels; None: their names.

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
            # probabilities, shares and margins as percentages; "1" is never printed as a unit
            cells.append(f"{v:.1%}" if c.startswith("p_below") else table_number(v, unit))
        rows.append([labelled(str(name), labels), shown_unit(unit), *cells])
    return "\n".join(aligned([head, *rows], left=2, rule=True))


def format_over_time(summary: xr.Dataset, samples: int, nan_means: dict[str, str] | None = None, *,
                     every: int = 6) -> str:
    """What a summary says over time: the share of each NaN that is an answer, and P(below zero) by month.

    Parameters
    ----------
    summary
        A summary from :func:`summarize` or a streamed run.
    samples
        The run's number of samples (NaN samples are those that ``n_valid`` leaves out).
    nan_means
        Output name -> what its NaN means (:class:`mcrisk.models.Var`'s ``nan``), e.g.
        ``{"payback_month": "never pays back"}``.
    every
        P(below zero) of ``cumulative_cash`` (else of the first output over months) is shown
        for month 1, every ``every``-th month and the last.

    Returns
    -------
    str
        Lines such as ``payback_month: never pays back in 84.3% of samples`` and ``P(cumulative
        cash < 0) by month: 1 100.0%, 6 97.1%, ...``; ``""`` when there is nothing to say.
    """
    lines = []
    for name, means in (nan_means or {}).items():
        if name in summary.output.values:
            share = 1 - int(summary["n_valid"].sel(output=name)) / samples
            lines.append(f"{name}: {means} in {share:.1%} of samples")
    if "month_p_below_zero" in summary:
        names = [str(k) for k in summary.monthly_output.values]
        name = "cumulative_cash" if "cumulative_cash" in names else names[0]
        p = summary["month_p_below_zero"].sel(monthly_output=name)
        months = [int(m) for m in p.month.values]
        shown = [m for m in months if m == months[0] or m % every == 0 or m == months[-1]]
        cells = ", ".join(f"{m} {float(p.sel(month=m)):.1%}" for m in shown)
        lines.append(f"P({name.replace('_', ' ')} < 0) by month: {cells}")
    return "\n".join(lines)
