"""What a study found, in words: the headline, the top driver, which analysis is of which output.

The report (:mod:`mcrisk.report`) and the figures (:mod:`mcrisk.report.figures`) both state these, so
both take them from here: one claim, one number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from mcrisk.core.statistics import per_period
from mcrisk.analyze.groups import factor_parts
from mcrisk.analyze.sensitivity import top_factor
from mcrisk.core.labels import run_labels
from mcrisk.core.text import Labels, format_value, loss_words, p_error, words  # p_error: re-exported

__all__ = ["analysed", "can_be_negative", "driver", "driver_parts", "driver_phrase", "headline", "p_error",
           "sensitivity_of", "stated", "varies"]


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
    """The input (or group) that matters most: the first of the sensitivity table's ranking, else the tornado.

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.runner.StudyRun`.

    Returns
    -------
    dict or None
        :func:`~mcrisk.analyze.sensitivity.top_factor` of the study output's indices (``input``,
        ``index``, the method's ranking index, ``measure``, ``value``, ``units``, ``members``,
        ``of_group``): the one ranking the table, the charts, the headline and the deck share.
        Without indices, the tornado's largest swing (``index`` ``"swing"``, ``value`` in
        ``units``: one input at a time, not a share of the uncertainty). None when nothing ranks
        the inputs.
    """
    sens = sensitivity_of(run)
    if sens is not None and (top := top_factor(sens)) is not None:
        return top
    tab = run.tables.get("tornado")
    if tab is not None and tab.sizes.get("input", 0) and tab.attrs.get("output") == run.study.output:
        name = str(tab.input.values[0])
        return {"input": name, "index": "swing", "measure": "one-at-a-time swing", "value": float(tab.swing.values[0]),
                "units": tab.attrs.get("units", ""), "members": [name], "of_group": False}
    return None


def driver_parts(d: dict[str, Any], labels: Labels | None = None) -> tuple[str, str]:
    """The deciding input or group in words, and how it decides: ``("paid share", "total Sobol' index ...")``.

    Parameters
    ----------
    d
        From :func:`driver`.
    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`); None: names in words.

    Returns
    -------
    tuple of str
        What decides (``"the group {decode throughput, prefill throughput}"`` for a group) and
        the measure with its value (with the share of the variance for Sobol' indices).
    """
    if d["index"] == "swing":
        return words(d["input"], labels), f"one-at-a-time swing {format_value(d['value'], d['units'])}"
    who, value, overlap = factor_parts(d, lambda n: words(n, labels))
    share = {"S1": "explains {:.0%} of the variance", "ST": "involved in {:.0%} of the variance"}.get(d["index"])
    share = share.format(d["value"]) if share and np.isfinite(d["value"]) else ""
    return who, f"{d['measure']} {value}" + "".join(f" ({t})" for t in (share, overlap) if t)


def driver_phrase(d: dict[str, Any] | None, what: str = "it", labels: Labels | None = None) -> str:
    """The top driver in words, with the measure that ranks it: ``"paid share, total Sobol' index 0.66: ..."``.

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
    who, how = driver_parts(d, labels)
    if d["index"] == "swing" and what != "it":
        return f"{who} swings {what} most, one input at a time ({format_value(d['value'], d['units'])})"
    return f"{who}, {how}"


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
        and P05 to P95, and the top driver when there is one (the sensitivity table's first, with
        its index; without one, the tornado's largest swing, said to be one input at a time).
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
    if (d := driver(run)) is not None:  # the sensitivity table's first, by its own index; else the tornado's
        who, how = driver_parts(d, labels)
        parts.append(f"largest one-at-a-time swing: {who} ({format_value(d['value'], d['units'])})"
                     if d["index"] == "swing" else f"top driver: {who}, {how}")
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
