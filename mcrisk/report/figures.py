"""The study's charts: which ones its results support, drawn and saved in parallel processes.

:func:`figure_plan` lists the charts as drawing steps (the distribution of the study output,
exceedance, tornado, sensitivity, scatter, convergence, ``[plots] outputs``);
:func:`render_all` draws and saves them, one forked process per core, and returns what the
report embeds. :func:`figures` draws them here, for a person working in Python.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from mcrisk.core.errors import SpecError
from mcrisk.report.findings import analysed, can_be_negative, driver, driver_phrase, sensitivity_of, stated, varies
from mcrisk.core.forking import run_forked
from mcrisk.report.plot import (CHART_MAX, FORMATS, SENSITIVITY_INDICES, chart_limit, check_config, plot_convergence,
                   plot_calibration, plot_distribution, plot_evppi, plot_exceedance, plot_quantile_convergence, plot_scatter,
                   plot_scenario_box, plot_sensitivity, plot_sweep, plot_tornado, plot_tradeoff, save_figure, title_of)
from mcrisk.report.plot.curve_charts import plot_cost_frontier, plot_throughput_curve
from mcrisk.report.plot.hourly_charts import plot_by_scale, plot_hourly
from mcrisk.report.plot.voi_charts import plot_evsi, plot_voi_lever
from mcrisk.report.plot.month_charts import plot_cash_fan, plot_loss_timing, plot_sensitivity_over
from mcrisk.analyze.cashflow import has_months
from mcrisk.core.statistics import outputs_of
from mcrisk.core.labels import run_labels
from mcrisk.core.text import format_value, loss_words, percent_text

__all__ = ["Figure", "curve_plan", "figure_plan", "figures", "render_all"]


@dataclass(frozen=True)
class Figure:
    """One chart of the report: file stem, the matplotlib figure, and its title (the finding)."""

    name: str
    figure: Any
    title: str


def figure_plan(run, notes: list[str] | None = None) -> list[tuple[str, Callable[[], Any]]]:
    """Every chart the study's results support, in report order, as ``(name, draw)`` pairs.

    ``draw()`` returns the chart's Axes. The charts: distribution of the study output (title:
    P(loss) and the top driver), exceedance, tornado (with ST beside each bar when Sobol'
    indices of the tornado's output exist), sensitivity (over months: each input's share of
    the variance, stacked by month), scatter of the output against the
    ``[plots] scatter`` inputs (default: the top driver), convergence, and the distributions of
    ``[plots] outputs``, and for a model with ``cumulative_cash`` over months its fan chart and
    when the loss happens. An output too large to chart (:data:`mcrisk.report.plot.CHART_MAX`) gets no
    charts; ``notes`` receives why. Drawing is left to the caller, so charts can be drawn in
    parallel processes (:func:`render_all`).

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.runner.StudyRun`.
    notes
        Sentences for the report's notes are appended here.

    Returns
    -------
    list of (str, callable)
        The chart's file stem and a function drawing it (returning its Axes).

    Raises
    ------
    SpecError
        For a ``[plots]`` scatter input or output the study lacks.
    """

    study = run.study
    cfg = study.plots or check_config({})
    res = stated(run)
    out = study.output
    y = np.asarray(res[out].values, dtype=float).ravel()
    notes = [] if notes is None else notes
    if (big := np.abs(y[np.isfinite(y)]).max(initial=0)) > CHART_MAX:
        notes.append(chart_limit(out, float(big)) + ": the report has no charts of it.")
        y = np.empty(0)
    tab = run.tables.get("tornado")
    top = driver(run)
    plan: list[tuple[str, Callable[[], Any]]] = []

    labels = run_labels(run)  # every chart names variables by the run's plain labels, passed to it
    s = run.summary.sel(output=out)
    loss, _ = loss_words(out, labels)
    what = out.removesuffix('_per_day').replace('_', ' ')
    parts = [f"P({loss}) = {percent_text(float(s.p_below_zero))}"] if can_be_negative(s) else []
    parts.append(driver_phrase(top, what, labels) if top else
                 f"median {what} {format_value(float(s.p50), str(s.units.values))}")
    title = "; ".join(parts)
    title = title[:1].upper() + title[1:]
    if y.size:
        plan.append(("distribution", lambda: plot_distribution(res, output=out, bins=cfg.bins, title=title,
                                                               labels=labels)))
    if cfg.exceedance and varies(y):
        plan.append(("exceedance", lambda: plot_exceedance(res, output=out, labels=labels)))
    if tab is not None and tab.sizes.get("input", 0):
        beside = sensitivity_of(run, tab.attrs.get("output"))  # only the tornado output's own indices
        beside = beside if beside is not None and "ST" in beside else None
        # The top driver's share in the headline's words when it is the tornado's top bar: one claim, one number.
        shared = (top is not None and top["index"] in ("S1", "ST") and not top["of_group"]
                  and top["input"] == str(tab.input.values[0]))
        swing = format_value(float(tab.swing.values[0]), tab.swing.attrs.get("units", ""))
        t_title = f"{driver_phrase(top, labels=labels)}; one-at-a-time swing {swing}" if shared else None
        t_title = t_title[:1].upper() + t_title[1:] if t_title else None
        plan.append(("tornado", lambda: plot_tornado(tab, sensitivity=beside, top=cfg.top, title=t_title,
                                                     labels=labels)))
    if (shown := analysed(run)) is not None and shown[1].attrs.get("over") in shown[1].dims:  # indices by month
        plan.append(("sensitivity_over", functools.partial(plot_sensitivity_over, shown[1], output=shown[0],
                                                           labels=labels)))
    elif shown is not None and shown[1].sizes.get("input", 0):
        if any(k in shown[1] or f"loss_{k}" in shown[1] for k in ("ST", *SENSITIVITY_INDICES)):
            plan.append(("sensitivity", lambda: plot_sensitivity(shown[1], output=shown[0], top=cfg.top,
                                                                 labels=labels)))
    inputs = cfg.scatter if cfg.scatter is not None else ([top["input"]] if top else [])
    for name in inputs:
        if name not in study.priors.uncertain:
            raise SpecError(f"{study.path}: [plots] scatter = {name!r} is not an uncertain input; uncertain "
                            f"inputs: {', '.join(study.priors.uncertain) or '(none)'}")
        if varies(y):
            plan.append((f"scatter_{name}", functools.partial(plot_scatter, res, name, output=out, labels=labels)))
    if cfg.convergence and varies(y) and y.size >= 20:
        plan.append(("convergence", lambda: plot_convergence(res, output=out, labels=labels)))
        plan.append(("convergence_quantiles", functools.partial(
            plot_quantile_convergence, res, output=out, convergence=run.tables.get("convergence"), labels=labels)))
    if (sw := run.tables.get("sweep")) is not None:  # the [sweep] fan chart
        plan.append(("sweep", functools.partial(plot_sweep, sw.summary, output=sw.output, breakeven=sw.breakeven,
                                                labels=labels)))
    for extra in cfg.outputs:
        if extra not in res or res[extra].attrs.get("role") != "output":
            outs = outputs_of(res)
            raise SpecError(f"{study.path}: [plots] outputs = {extra!r} is not an output; outputs: "
                            f"{', '.join(outs)}")
        plan.append((f"distribution_{extra}", functools.partial(plot_distribution, res, output=extra,
                                                                bins=cfg.bins, labels=labels)))
    return plan + table_plan(run, res, labels) + curve_plan(run, labels)


def table_plan(run, res: xr.Dataset, labels=None) -> list[tuple[str, Callable[[], Any]]]:
    """The charts of a run's tables and of its model's shape, in report order.

    PRIM's trade-off and first box, EVPPI, prior against posterior (``[calibrate]``), EVSI and
    ENBS against a study's size (one chart per study), EVPI against a lever, an hourly model's
    day, a model over months' cash fan and when the loss happens, and outputs at several volumes.

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.runner.StudyRun`.
    res
        Its results as the charts state them (:func:`mcrisk.report.findings.stated`).
    labels
        Name -> plain label for the charts.

    Returns
    -------
    list of (str, callable)
        The chart's file stem and a function drawing it (returning its Axes).
    """
    study = run.study
    plan: list[tuple[str, Callable[[], Any]]] = []
    boxes = run.tables.get("scenarios")
    if boxes is not None and boxes.sizes["box"]:  # PRIM's trade-off and its first box
        plan.append(("scenarios_tradeoff", functools.partial(plot_tradeoff, boxes, labels=labels)))
        plan.append(("scenarios_box", functools.partial(plot_scenario_box, res, boxes, labels=labels)))
    if (voi := run.tables.get("value_of_information")) is not None and voi.sizes["inputs"] > 1:
        plan.append(("voi", functools.partial(plot_evppi, voi, labels=labels)))
    if (cal := run.tables.get("calibrate")) is not None and cal.sizes["input"]:  # prior against posterior
        plan.append(("calibration", functools.partial(plot_calibration, cal, labels=labels)))
    if (ev := run.tables.get("evsi")) is not None:  # one chart per study: EVSI and ENBS against n
        names = list(dict.fromkeys(map(str, ev.study.values)))
        for i, name in enumerate(names, start=1):
            plan.append(("evsi" if len(names) == 1 else f"evsi_{i}",
                         functools.partial(plot_evsi, ev, study=name, labels=labels)))
    if (lv := run.tables.get("voi_lever")) is not None:
        plan.append(("voi_lever", functools.partial(plot_voi_lever, lv, labels=labels)))
    if all(k in res and "hour" in res[k].dims for k in ("cost", "revenue", "nodes")):  # an hourly model's day
        plan.append(("hourly", functools.partial(plot_hourly, res, labels=labels)))
    if has_months(res):  # a model over months: cumulative cash as a fan, and when the loss happens
        plan.append(("cash_fan", functools.partial(plot_cash_fan, res, labels=labels)))
        plan.append(("loss_timing", functools.partial(plot_loss_timing, res, labels=labels)))
    if scales := getattr(study.model, "scale_outputs", None):  # outputs evaluated at several volumes
        plan.append(("by_scale", functools.partial(plot_by_scale, run.summary, scales, labels=labels)))
    return plan


def curve_plan(run, labels=None) -> list[tuple[str, Callable[[], Any]]]:
    """A study with a throughput curve: the curve with its speed range shaded, and the cost frontier.

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.runner.StudyRun`.
    labels
        Name -> plain label for the charts.

    Returns
    -------
    list of (str, callable)
        ``throughput_curve`` (the study's range of ``interactivity`` shaded when it is an input)
        and ``cost_frontier`` (when the model returns the cost per million output tokens and
        takes ``interactivity``), or nothing for a study without a curve.
    """
    from mcrisk.analyze.frontier import cost_frontier, curve_label, throughput_curve_of

    model, res = run.study.model, run.results
    if (points := throughput_curve_of(model)) is None:
        return []
    name = curve_label(run.study.spec)
    speed = np.asarray(res["interactivity"].values, dtype=float) if "interactivity" in res else None
    plan = [("throughput_curve", functools.partial(plot_throughput_curve, {name: points}, interactivity=(
        None if speed is None else (float(speed.min()), float(speed.max())))))]
    if "cost_per_million_output_tokens" in res and speed is not None:  # computed in the drawing process, as the chart is
        plan.append(("cost_frontier", lambda: plot_cost_frontier(cost_frontier(model, res, points, label=name),
                                                                 labels=labels)))
    return plan


def figures(run, notes: list[str] | None = None) -> list[Figure]:
    """The charts of :func:`figure_plan`, drawn, as :class:`Figure` objects.

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.runner.StudyRun` (what :func:`~mcrisk.study.runner.run_study` computed).
    notes
        A list that receives why a chart is left out (an output too large to chart); ``None``
        drops them.

    Returns
    -------
    list of Figure
        The charts in report order, each with its file stem, matplotlib figure and title.
    """

    out = []
    for name, draw in figure_plan(run, notes):
        ax = draw()
        out.append(Figure(name, ax.figure, title_of(ax)))
    return out


def _render(plan: list[tuple[str, Callable[[], Any]]], i: int, figdir: Path,
            formats: tuple[str, ...]) -> tuple[str, str, bytes, list[str]]:
    """Draw chart ``i`` of the plan, save it in every format: ``(name, title, PNG bytes, files)``."""
    name, draw = plan[i]
    ax = draw()
    paths = save_figure(ax.figure, figdir / name, formats)
    if "png" in formats:
        png = (figdir / f"{name}.png").read_bytes()
    else:  # the HTML page embeds a PNG whatever the formats
        buf = io.BytesIO()
        ax.figure.savefig(buf, format="png", **FORMATS["png"])
        png = buf.getvalue()
    return name, title_of(ax), png, [p.name for p in paths]


def render_all(plan: list[tuple[str, Callable[[], Any]]], figdir: Path, formats: tuple[str, ...],
               progress: bool,
               alongside: Sequence[Callable[[], Any]] = ()) -> list[tuple[str, str, bytes, list[str]]]:
    """Draw and save every chart of the plan, in forked processes, one per core, where that helps.

    Drawing and saving a chart takes 0.5-1.5 s of CPU and the charts are independent, so on two
    cores the figures of a study take about half the time (:func:`mcrisk.core.forking.run_forked`).

    Parameters
    ----------
    plan
        From :func:`figure_plan`.
    figdir
        The folder the files go to (it exists).
    formats
        File formats (``png``, ``svg``, ``pdf``).
    progress
        A bar on stderr.
    alongside
        Other jobs for the same processes (writing a file), run first; their results are dropped.

    Returns
    -------
    list of (str, str, bytes, list of str)
        Per chart, in plan order: its name, its title, its PNG bytes (for the HTML page, whatever
        the formats) and the files written.
    """
    jobs = [functools.partial(_render, plan, i, figdir, formats) for i in range(len(plan))] + list(alongside)
    costs = [_COST.get(name.split("_")[0], 1) for name, _ in plan] + [max(_COST.values()) + 1] * len(alongside)
    desc = "figures and results.nc" if alongside else "figures"
    return list(run_forked(jobs, costs=costs, desc=desc, unit="file", progress=progress))[:len(plan)]


#: Relative cost of drawing and saving each kind of chart (measured on the main study).
_COST = {"tornado": 3, "scatter": 2.5, "convergence": 2, "distribution": 1.5, "exceedance": 1.5, "sensitivity": 1.5}
_COST["sweep"] = 1.5  # the [sweep] fan chart
