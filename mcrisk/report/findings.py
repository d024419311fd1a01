"""What a study found, in words: the headline, the top driver, which analysis is of which output.

The report (:mod:`mcrisk.report`) and the figures (:mod:`mcrisk.report.figures`) both state these, so
both take them from here: one claim, one number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from mcrisk.report.plot import SENSITIVITY_INDICES
from mcrisk.core.statistics import per_period
from mcrisk.analyze.sensitivity import rank_order
from mcrisk.core.labels import run_labels
from mcrisk.core.text import Labels, format_value, loss_words, p_error, words  # p_error: re-exported

__all__ = ["analysed", "can_be_negative", "driver", "driver_phrase", "headline", "p_error", "sensitivity_of",
           "stated", "varies"]


def sensitivity_of(run, output: str | None = None) -> xr.Dataset | None:
    """The sensitivity results of ``output`` (default: the study's), or None if it was not analysed.

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.runner.StudyRun`.
    output
        An output name; default the study's ``output``.

    Returns
    -------
    xarray.Dataset or None
        The indices over ``input`` for that output alone, or None when ``[sensitivity]`` did not
        analyse it (never another output's indices).
    """
    sens = run.tables.get("sensitivity")
    output = output or run.study.output
    if sens is None:
        return None
    if "output" in sens.dims:
        names = [str(v) for v in sens.output.values]
        return sens.sel(output=output) if output in names else None
    return sens if sens.attrs.get("output") == output else None


def analysed(run) -> tuple[str, xr.Dataset] | None:
    """``(output, results)`` of the sensitivity table to show: the study's output if it was
    analysed, else the first output the ``[sensitivity]`` table names.

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.runner.StudyRun`.

    Returns
    -------
    tuple of (str, xarray.Dataset) or None
        The output's name and its indices; None without a ``[sensitivity]`` table.
    """
    sens = run.tables.get("sensitivity")
    if sens is None:
        return None
    names = [str(v) for v in sens.output.values] if "output" in sens.dims else [str(sens.attrs.get("output"))]
    first = run.study.output if run.study.output in names else names[0]
    return first, sensitivity_of(run, first)


def driver(run) -> dict[str, Any] | None:
    """The input that matters most: by Sobol' S1/ST, else the method's main index, else the tornado.

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.runner.StudyRun`.

    Returns
    -------
    dict or None
        ``input``, ``index`` (``"S1"``, ``"ST"``, the method's index, or ``"swing"``), ``value``
        (dimensionless; a swing in ``units``, the output's unit); None when nothing ranks the inputs.
        With correlated inputs the method's own index leads (first-order shares overlap).
    """
    sens = sensitivity_of(run)
    if sens is not None and sens.sizes.get("input", 0):
        # With correlated inputs first-order shares overlap (two correlated inputs can each
        # "explain" 80%): lead with the method's own index (delta), not S1.
        first = (sens.attrs["rank_by"],) if run.study.priors.correlations and "rank_by" in sens.attrs else ()
        for index in (*first, "S1", "ST", *SENSITIVITY_INDICES):
            if index in sens:
                i = int(rank_order(sens, index)[0])
                return {"input": str(sens.input.values[i]), "index": index,
                        "value": float(sens[index].values[i])}
    tab = run.tables.get("tornado")
    if tab is not None and tab.sizes.get("input", 0) and tab.attrs.get("output") == run.study.output:
        return {"input": str(tab.input.values[0]), "index": "swing", "value": float(tab.swing.values[0]),
                "units": tab.attrs.get("units", "")}
    return None


def driver_phrase(d: dict[str, Any] | None, what: str = "it", labels: Labels | None = None) -> str:
    """The top driver in words: ``"paid share explains 63% of the variance"``.

    Parameters
    ----------
    d
        From :func:`driver`, or None.
    what
        What a tornado swing moves (``"profit"``); ``"it"`` names the swing itself.
    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the input; None: its name in words.

    Returns
    -------
    str
        The phrase; empty for None.
    """
    if d is None:
        return ""
    name = words(d["input"], labels)
    if d["index"] == "S1":
        return f"{name} explains {d['value']:.0%} of the variance"
    if d["index"] == "ST":
        return f"{name} is involved in {d['value']:.0%} of the variance"
    if d["index"] == "swing":
        return f"{name} swings {what} most ({format_value(d['value'], d['units'])})" \
            if what != "it" else f"{name} (tornado swing {format_value(d['value'], d['units'])})"
    return f"{name} matters most ({d['index']} = {d['value']:.2f})"


def stated(run) -> xr.Dataset:
    """The run's results with money per day restated per the study's ``period_days``.

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.runner.StudyRun`.

    Returns
    -------
    xarray.Dataset
        The results, money in currency per period (per month for 30 days).
    """
    return per_period(run.results, run.study.period_days)


def headline(run) -> str:
    """One paragraph: P(loss) with its Monte Carlo error, median and 90% interval, top driver.

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.runner.StudyRun` (what :func:`~mcrisk.study.runner.run_study` computed).

    Returns
    -------
    str
        One sentence about the study output, its values in the output's units: P(loss) (a
        percentage, with its standard error or, at 0% or 100%, the rule-of-three bound; left
        out for an output that is not a profit or margin and never reaches zero), the median
        and P05 to P95, and the top driver when there is one.
    """
    labels = run_labels(run)  # the run's own plain labels: the same words as the report and the deck
    s = run.summary.sel(output=run.study.output)
    unit = str(s.units.values)
    loss, _ = loss_words(run.study.output, labels)
    what = words(run.study.output.removesuffix("_per_day"), labels)
    p = float(s.p_below_zero)
    parts = [f"P({loss}) = {p:.1%} ({p_error(p, int(s.n_valid), float(s['max']) > float(s['min']))})"
             ] if can_be_negative(s) else []
    parts += [f"median {what} {format_value(float(s.p50), unit)}, 90% interval {format_value(float(s.p05), unit, with_unit=False)}"
             f" to {format_value(float(s.p95), unit)}"]
    if phrase := driver_phrase(driver(run), labels=labels):
        parts.append(f"top driver: {phrase}")
    text = "; ".join(parts) + "."
    return text[:1].upper() + text[1:]


def can_be_negative(s: xr.Dataset) -> bool:
    """Whether P(output < 0) is worth stating: always for profit and margins (P(loss) = 0% is
    news), for other outputs only when some sample reached zero or below.

    Parameters
    ----------
    s
        One output's row of the summary (``summary.sel(output=...)``).

    Returns
    -------
    bool
    """
    return loss_words(str(s.output.values))[0] == "loss" or float(s["min"]) <= 0


def varies(x: np.ndarray) -> bool:
    """Whether ``x`` has at least two finite samples that differ (something to chart).

    Parameters
    ----------
    x
        Samples of one output.

    Returns
    -------
    bool
    """
    x = x[np.isfinite(x)]
    return x.size >= 2 and float(np.ptp(x)) > 0
