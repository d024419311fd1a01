"""The decision slides of ``deck.pptx``: a ``[sweep]``'s fan chart and table, a ``[solve]``'s answer.

:func:`sweep_slides` draws the report's sweep figure (:func:`mcrisk.report.plot.plot_sweep`) as a
native chart: the output's P5, P25, median, P75 and P95 against the lever's values on a true
value axis, the median labelled with P(loss) at each value, the break-even in the note; then the
sweep's numbers as a table. :func:`solve_slide` gives the lever value that meets a ``[solve]``'s
target, its 95% interval and the target. Neither adds a slide when the run has no such table.

python-pptx is imported inside the functions that use it.
"""

from __future__ import annotations

import re

import numpy as np

from mcrisk.core.labels import label_of, run_labels, shown_unit
from mcrisk.core.statistics import CENTRAL_50_90, percentile_head
from mcrisk.core.text import format_number, format_value, loss_words
from mcrisk.report.deck_charts import axis_format
from mcrisk.report.deck_layout import FONT, GREY, Deck, table_slides, textbox
from mcrisk.report.palette import FAN

__all__ = ["solve_slide", "sweep_numbers", "sweep_slides", "target_words"]


def _mid(label: str) -> str:
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def target_words(target: str, labels: dict[str, str]) -> str:
    """A ``[solve]`` target with each variable named by its label: ``"P(profit per month < 0) <= 0.1"``.

    Parameters
    ----------
    target
        The target as written (``"P(profit_per_day < 0) <= 0.1"``).
    labels
        Name -> mid-sentence label (:func:`mcrisk.core.labels.run_labels`).

    Returns
    -------
    str
    """
    names = sorted((n for n in labels if n in target), key=len, reverse=True)
    if not names:
        return target
    return re.sub(r"\b(" + "|".join(map(re.escape, names)) + r")\b", lambda m: labels[m.group(1)], target)


def sweep_numbers(run) -> tuple[str, str, str, np.ndarray, dict[str, np.ndarray], np.ndarray] | None:
    """A run's sweep as ``(lever, lever unit, output unit, lever values, percentile -> values, P(< 0))``.

    The percentiles are P5, P25, P50, P75 and P95 of the swept output, money per the study's
    period; None when the run has no ``[sweep]``.
    """
    sw = run.tables.get("sweep")
    if sw is None:
        return None
    lever = sw.summary.attrs["lever"]
    s = sw.summary.sel(output=sw.output)
    unit = str(np.ravel(s.units.values)[0])
    lunit = str(sw.summary[lever].attrs.get("units", ""))
    q = {k: np.asarray(s[k].values, dtype=float) for k in CENTRAL_50_90}
    return lever, lunit, unit, np.asarray(sw.summary[lever].values, dtype=float), q, \
        np.asarray(s.p_below_zero.values, dtype=float)


def sweep_slides(d: Deck, run) -> None:
    """The fan chart of the ``[sweep]`` as a native XY chart, and its numbers as a table.

    Parameters
    ----------
    d
        The deck the slides are added to.
    run
        A :class:`~mcrisk.study.runner.StudyRun`; nothing is added without a sweep.

    Returns
    -------
    None
    """
    from pptx.chart.data import XyChartData
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION
    from pptx.util import Inches, Pt

    if (got := sweep_numbers(run)) is None:
        return
    lever, lunit, unit, v, q, p = got
    study, sw = run.study, run.tables["sweep"]
    olabel = label_of(sw.output, model=study.model, priors=study.priors, period_days=study.period_days)
    llabel = label_of(lever, model=study.model, priors=study.priors)
    loss, _ = loss_words(sw.output, {sw.output: _mid(olabel)})
    slide, top = d.slide(f"{olabel} against {_mid(llabel)}: P({loss}) {p[0]:.1%} at {format_value(v[0], lunit)}, "
                         f"{p[-1]:.1%} at {format_value(v[-1], lunit)}")
    left, top, width, height = d.body(top)
    note_h = int(Inches(0.8))
    data = XyChartData()
    for k in CENTRAL_50_90:
        series = data.add_series("median" if k == "p50" else percentile_head(k), number_format="#,##0.###")
        for x, y in zip(v, q[k], strict=True):
            series.add_data_point(float(x), float(y) if np.isfinite(y) else None)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.XY_SCATTER_LINES, left, top, width, height - note_h, data).chart
    chart.font.size, chart.font.name = Pt(12), FONT
    for k, series in zip(CENTRAL_50_90, chart.plots[0].series, strict=True):
        colour, wide = FAN[k]
        series.format.line.color.rgb = RGBColor.from_string(colour)
        series.format.line.width = Pt(3.0 if wide else 1.75)
        series.marker.format.fill.solid()
        series.marker.format.fill.fore_color.rgb = RGBColor.from_string(colour)
        series.smooth = False
        if k == "p50":  # P(loss) at each lever value, as the figure's P(loss) curve gives it
            for i, pi in enumerate(p):
                dl = series.points[i].data_label
                dl.has_text_frame = True
                dl.text_frame.text = f"P({loss}) {pi:.1%}"
                dl.position = XL_LABEL_POSITION.BELOW if i % 2 else XL_LABEL_POSITION.ABOVE  # neighbours apart
                dl.font.size = Pt(10)
    chart.has_legend = True
    chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.TOP, False
    chart.value_axis.has_major_gridlines = False
    chart.value_axis.tick_labels.number_format = axis_format(unit, np.concatenate(list(q.values())))
    chart.value_axis.tick_labels.number_format_is_linked = False
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW  # under the chart, not at zero
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = f"{olabel} ({shown_unit(unit)})" if shown_unit(unit) else olabel
    chart.category_axis.has_title = True
    chart.category_axis.axis_title.text_frame.text = f"{llabel} ({shown_unit(lunit)})" if lunit else llabel
    note = (f"Each value of {_mid(llabel)} on the same {int(sw.summary.attrs.get('samples', 0)):,} samples of the "
            f"other inputs (common random numbers); lines: P5, P25, median, P75 and P95 of {_mid(olabel)}. "
            + (f"P({loss}) crosses 50% at {format_value(sw.breakeven, lunit)}." if sw.breakeven is not None
               else f"P({loss}) does not cross 50% in the range swept."))
    textbox(slide, note, left, top + height - note_h, width, note_h, max_pt=14, min_pt=10, color=GREY)
    head = [f"{llabel} ({shown_unit(lunit)})" if lunit else llabel, f"P({loss})",
            *(f"{percentile_head(k)} ({shown_unit(unit)})" if unit else percentile_head(k) for k in CENTRAL_50_90)]
    rows = [[format_number(float(x), lunit), f"{p[i]:.1%}", *(format_value(float(q[k][i]), unit, with_unit=False)
                                                              for k in CENTRAL_50_90)] for i, x in enumerate(v)]
    table_slides(d, f"Sweep of {_mid(llabel)}: {_mid(olabel)}", head, rows, [1.6, 1.0, *[1.2] * len(CENTRAL_50_90)],
                 note="The sweep's samples over the lever are in results.nc; its summary in summary.csv.")


def solve_slide(d: Deck, run) -> None:
    """The ``[solve]``'s answer: the lever value, its 95% interval, the target and what is reached there.

    Parameters
    ----------
    d
        The deck the slide is added to.
    run
        A :class:`~mcrisk.study.runner.StudyRun`; nothing is added without a solve.

    Returns
    -------
    None
    """
    from pptx.util import Inches

    sol = run.tables.get("solve")
    if sol is None:
        return
    study = run.study
    llabel = label_of(sol.lever, model=study.model, priors=study.priors)
    target = target_words(sol.target, run_labels(run))
    slide, top = d.slide(f"What it takes: {_mid(llabel)} for {target}")
    left, top, width, height = d.body(top)
    u = sol.unit
    boxes = [(llabel, f"{format_number(sol.value, u)} {shown_unit(u)}".rstrip()),
             ("95% interval", f"{format_number(sol.ci_low, u)} to {format_number(sol.ci_high, u)} {shown_unit(u)}".rstrip()),
             ("Target", target)]
    gap = int(Inches(0.2))
    bw = (width - gap * (len(boxes) - 1)) // len(boxes)
    cap_h, value_h = int(Inches(0.6)), int(Inches(1.6))
    for i, (caption, value) in enumerate(boxes):
        x = left + i * (bw + gap)
        textbox(slide, caption, x, top, bw, cap_h, max_pt=16, min_pt=10, color=GREY)
        textbox(slide, value, x, top + cap_h, bw, value_h, max_pt=32, min_pt=11, bold=True)
    side = "above" if sol.met_above else "below"
    stat = target.rsplit(">=" if ">=" in target.split(")")[-1] else "<=", 1)[0].strip()
    note = (f"The target is met {side} {format_number(sol.value, u)} {u}".rstrip()
            + f"; there {stat} = {sol.achieved:.4g}. {sol.interval[:1].upper() + sol.interval[1:]}. "
            f"{sol.samples:,} samples, {sol.method}, seed {sol.seed}; {sol.evaluations} evaluations, bisected to "
            f"{format_number(sol.tolerance, u)} {u}".rstrip() + " in the range searched, "
            f"{format_number(sol.low, u)} to {format_number(sol.high, u)}."
            + (f" The interval reaches the range's {sol.clipped.replace(',', ' and ')} end." if sol.clipped else ""))
    y = top + cap_h + value_h + gap
    textbox(slide, note, left, y, width, top + height - y, max_pt=18, min_pt=10, color=GREY)
