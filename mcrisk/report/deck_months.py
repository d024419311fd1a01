"""The slides of a model over months: cumulative cash as a fan, when the loss happens, who decides when.

Native charts with their numbers embedded, as the report's figures draw them
(:mod:`mcrisk.report.plot.month_charts`): :func:`cash_fan_slide` (P5, P25, median, P75, P95 of
cumulative cash by month, break-even in the note), :func:`loss_timing_slide` (the share of
samples that pay back, and that turn negative for good, in each month) and
:func:`sensitivity_over_slide` (each input's share of the variance, stacked month by month).
None adds a slide when the run has nothing for it.

python-pptx is imported inside the functions that use it.
"""

from __future__ import annotations

import numpy as np

from mcrisk.analyze.cashflow import cash_bands, has_months, turning_months
from mcrisk.analyze.sensitivity_over import leaders_text, variance_shares
from mcrisk.core.labels import label_of, run_labels, shown_unit
from mcrisk.core.statistics import CENTRAL_50_90, percentile_head
from mcrisk.core.text import format_value, percent_text, words
from mcrisk.report.deck_charts import axis_format
from mcrisk.report.deck_layout import FONT, GREY, Deck, textbox
from mcrisk.report.findings import analysed, stated
from mcrisk.report.palette import FAN, GAIN, LOSS, PALETTE, hex6

__all__ = ["cash_fan_slide", "loss_timing_slide", "month_slides", "sensitivity_over_slide"]

_STACK = ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black")


def month_slides(d: Deck, run) -> None:
    """The three slides, in order, each where the run has what it needs.

    Parameters
    ----------
    d
        The deck the slides are added to.
    run
        A :class:`~mcrisk.study.runner.StudyRun`.

    Returns
    -------
    None
    """
    sensitivity_over_slide(d, run)
    cash_fan_slide(d, run)
    loss_timing_slide(d, run)


def _chart(d: Deck, slide, kind, box, data, note: str):
    from pptx.util import Inches, Pt

    left, top, width, height = box
    note_h = int(Inches(0.8))
    chart = slide.shapes.add_chart(kind, left, top, width, height - note_h, data).chart
    chart.font.size, chart.font.name = Pt(12), FONT
    chart.value_axis.has_major_gridlines = False
    textbox(slide, note, left, top + height - note_h, width, note_h, max_pt=14, min_pt=10, color=GREY)
    return chart


def _fill(series, colour: str) -> None:
    from pptx.dml.color import RGBColor

    series.format.fill.solid()
    series.format.fill.fore_color.rgb = RGBColor.from_string(hex6(colour))


def cash_fan_slide(d: Deck, run) -> None:
    """Cumulative cash by month: its P5, P25, median, P75 and P95 as lines on a native XY chart.

    Parameters
    ----------
    d
        The deck the slide is added to.
    run
        A :class:`~mcrisk.study.runner.StudyRun`; nothing is added without ``cumulative_cash`` over months.

    Returns
    -------
    None
    """
    from pptx.chart.data import XyChartData
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION
    from pptx.util import Pt

    res = stated(run) if run.results is not None else None
    if not has_months(res):
        return
    b = cash_bands(res)
    m, unit = np.asarray(b.month.values, dtype=float), b.attrs["units"]
    p50 = np.asarray(b.p50.values, dtype=float)
    crossed = np.flatnonzero((p50[1:] >= 0) & (p50[:-1] < 0))
    when = f"the median pays back in month {m[crossed[0] + 1]:g}" if crossed.size else (
        "the median never pays back" if p50[-1] < 0 else "the median stays at or above 0")
    slide, top = d.slide(f"Cumulative cash by month: {when}")
    data = XyChartData()
    for k in CENTRAL_50_90:
        series = data.add_series("median" if k == "p50" else percentile_head(k), number_format="#,##0")
        for x, y in zip(m, b[k].values, strict=True):
            series.add_data_point(float(x), float(y) if np.isfinite(y) else None)
    end = float(b.p_below_zero.values[-1])
    note = (f"Lines: P5, P25, median, P75 and P95 of cumulative cash over the samples, month by month (not "
            f"single paths); break-even is 0. P(cumulative cash < 0) at month {m[-1]:g}: {percent_text(end)}; "
            f"median {format_value(float(p50[-1]), unit)}. {b.attrs['samples']:,} samples.")
    chart = _chart(d, slide, XL_CHART_TYPE.XY_SCATTER_LINES_NO_MARKERS, d.body(top), data, note)
    for k, series in zip(CENTRAL_50_90, chart.plots[0].series, strict=True):
        colour, wide = FAN[k]
        series.format.line.color.rgb = RGBColor.from_string(colour)
        series.format.line.width = Pt(3.0 if wide else 1.75)
        series.smooth = False
    chart.has_legend = True
    chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.TOP, False
    chart.value_axis.tick_labels.number_format = axis_format(unit, np.concatenate([b[k].values for k in CENTRAL_50_90]))
    chart.value_axis.tick_labels.number_format_is_linked = False
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    chart.category_axis.has_title = True
    chart.category_axis.axis_title.text_frame.text = "Month"
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = f"Cumulative cash ({shown_unit(unit)})".replace(" ()", "")


def loss_timing_slide(d: Deck, run) -> None:
    """When the loss happens: per month, the share of samples that pay back and that turn negative for good.

    Parameters
    ----------
    d
        The deck the slide is added to.
    run
        A :class:`~mcrisk.study.runner.StudyRun`; nothing is added without ``cumulative_cash`` over months.

    Returns
    -------
    None
    """
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION

    res = run.results
    if not has_months(res):
        return
    t = turning_months(res)
    n, months = max(t.sizes["sample"], 1), np.arange(1, t.attrs["months"] + 1)
    never, ends = t.attrs["never_pays_back"], t.attrs["ends_in_loss"]
    paid = t.payback_month.values[np.isfinite(t.payback_month.values)]
    head = f"median payback month {np.median(paid):g}" if paid.size else "no sample pays back"
    slide, top = d.slide(f"When the loss happens: {head}; {percent_text(never)} never pay back")
    data = CategoryChartData(number_format="0.0%")
    data.categories = [str(k) for k in months]
    data.add_series("pays back in the month", [float((t.payback_month.values == k).sum() / n) for k in months])
    data.add_series("turns negative for good", [float((t.loss_month.values == k).sum() / n) for k in months])
    note = (f"Share of the {n:,} samples whose cumulative cash first reaches 0 (pays back) in each month, and whose "
            f"cumulative cash, having reached 0, falls below 0 for good from that month; {percent_text(never)} never "
            f"pay back within {months[-1]} months and {percent_text(ends)} end in a loss.")
    chart = _chart(d, slide, XL_CHART_TYPE.COLUMN_CLUSTERED, d.body(top), data, note)
    for series, colour in zip(chart.plots[0].series, (GAIN, LOSS), strict=True):
        _fill(series, colour)
    chart.has_legend = True
    chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.TOP, False
    chart.value_axis.tick_labels.number_format = "0%"
    chart.value_axis.tick_labels.number_format_is_linked = False
    chart.category_axis.has_title = True
    chart.category_axis.axis_title.text_frame.text = "Month"


def sensitivity_over_slide(d: Deck, run) -> None:
    """Each input's share of the variance of a per-month output, as stacked columns month by month.

    Parameters
    ----------
    d
        The deck the slide is added to.
    run
        A :class:`~mcrisk.study.runner.StudyRun`; nothing is added without indices over months.

    Returns
    -------
    None
    """
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION

    shown = analysed(run)
    if shown is None or shown[1].attrs.get("over") not in shown[1].dims:
        return
    output, sens = shown
    over, labels = sens.attrs["over"], run_labels(run)
    factors, shares, rest, what = variance_shares(sens)
    olabel = label_of(output, model=run.study.model, priors=run.study.priors)
    who = leaders_text(sens, lambda k: words(k, labels))
    slide, top = d.slide(f"What decides {olabel[:1].lower() + olabel[1:]}, {over} by {over}" + (f": {who}" if who else ""))
    data = CategoryChartData(number_format="0.0%")
    data.categories = [str(int(m)) for m in sens[over].values]
    for name, share in zip(factors, shares, strict=True):
        data.add_series(words(name, labels), [float(v) if np.isfinite(v) else None for v in share])
    with_rest = bool(np.nanmax(rest, initial=0) > 0.005)
    if with_rest:
        data.add_series("interactions and the rest", [float(v) if np.isfinite(v) else None for v in rest])
    note = (f"{what} of {olabel[:1].lower() + olabel[1:]} in each {over}, by the {sens.attrs.get('method', '')} method "
            f"on the same {int(sens.attrs.get('model_runs', 0)):,} model runs (N = {int(sens.attrs.get('samples', 0)):,}); "
            f"a {over} left empty could not be analysed (see sensitivity.csv).")
    chart = _chart(d, slide, XL_CHART_TYPE.COLUMN_STACKED, d.body(top), data, note)
    colours = [PALETTE[_STACK[i]] if i < len(_STACK) else GREY for i in range(len(factors))]
    for series, colour in zip(chart.plots[0].series, [*colours, "#BBBBBB"][:len(factors) + with_rest], strict=True):
        _fill(series, colour)
    chart.plots[0].gap_width = 30
    chart.has_legend = True
    chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.RIGHT, False
    chart.value_axis.maximum_scale, chart.value_axis.minimum_scale = 1.0, 0.0
    chart.value_axis.tick_labels.number_format = "0%"
    chart.value_axis.tick_labels.number_format_is_linked = False
    chart.category_axis.has_title = True
    chart.category_axis.axis_title.text_frame.text = over.capitalize()
