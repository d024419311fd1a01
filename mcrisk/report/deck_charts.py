"""The native-chart slides of ``deck.pptx``: the distribution, the tornado and the sensitivity indices.

Each is a PowerPoint chart with its numbers embedded (PowerPoint's "Edit Data" opens them), not a
picture, with a note under it in the report's words. :mod:`mcrisk.report.deck` puts them in order.

python-pptx is imported inside the functions that use it: only a run asking for ``pptx`` or
``mcrisk deck`` pays for it.
"""

from __future__ import annotations

import math

import numpy as np

from mcrisk.report.deck_layout import FONT, GREY, Deck, textbox
from mcrisk.report.palette import GAIN, LOSS, QUANTILE_HIGH, QUANTILE_LOW, hex6
from mcrisk.report.findings import analysed, can_be_negative, p_error, stated
from mcrisk.core.labels import is_share, label_of, shown_unit
from mcrisk.analyze.sensitivity import rank_order
from mcrisk.core.text import MINUS, format_value, index_text

__all__ = ["axis_format", "distribution_slide", "sensitivity_slide", "tornado_slide", "xy_chart"]

_LOSS, _GAIN = hex6(LOSS), hex6(GAIN)  # the figures' colours (mcrisk.report.palette)
_LOW, _HIGH = hex6(QUANTILE_LOW), hex6(QUANTILE_HIGH)  # an input at its P10 and P90, as the tornado figure


def _histogram(x: np.ndarray, bins: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Edges over [P0.5, P99.5] with 0 on an edge when the range spans it; the tails go in the end bins."""
    x = x[np.isfinite(x)]
    lo, hi = np.quantile(x, [0.005, 0.995])
    if hi <= lo:
        lo, hi = lo - 0.5 * max(abs(lo), 1), hi + 0.5 * max(abs(hi), 1)
    w = (hi - lo) / bins
    if lo < 0 < hi:  # the loss/profit boundary is a bar edge, so no bar is half loss
        lo = -math.ceil(-lo / w) * w
    edges = lo + w * np.arange(int(math.ceil((hi - lo) / w)) + 1)
    counts, _ = np.histogram(np.clip(x, edges[0], edges[-1]), edges)
    return edges, counts / x.size


def axis_format(unit: str, values) -> str:
    """A value axis's number format: percent for a share, else Excel's scaling commas (2,500,000 -> 2.5M)."""
    big = float(np.nanmax(np.abs(np.asarray(values, dtype=float))))
    return ("0%;−0%" if is_share(unit) else '#,##0,,"M";−#,##0,,"M";0' if big >= 1e7
            else '#,##0,"k";−#,##0,"k";0' if big >= 1e4 else "#,##0.###;−#,##0.###")


def distribution_slide(d: Deck, run) -> None:
    """The distribution slide: the output's histogram as a column chart, losses in their own series.

    Bin edges put 0 on an edge (:func:`_histogram`), so the loss series sums to P(loss); the
    note under the chart states the median and P5 to P95, and P(loss) with its Monte Carlo
    error where the output can be negative.
    Nothing is added when the run kept no per-sample results.

    Parameters
    ----------
    d
        The deck the slide is added to.
    run
        A :class:`~mcrisk.study.runner.StudyRun`.

    Returns
    -------
    None
    """
    from pptx.chart.data import CategoryChartData
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
    from pptx.util import Inches, Pt

    study = run.study
    out = study.output
    res = stated(run)
    if out not in res or "sample" not in res[out].dims:
        return
    s = run.summary.sel(output=out)
    unit = str(s.units.values)
    label = label_of(out, model=study.model, priors=study.priors, period_days=study.period_days)
    x = np.asarray(res[out].values, dtype=float)
    edges, share = _histogram(x)
    centres = (edges[:-1] + edges[1:]) / 2
    title = f"Distribution of {label[:1].lower() + label[1:]}"
    if can_be_negative(s):
        p = float(s.p_below_zero)
        title += f": P(loss) = {p:.1%}"
    slide, top = d.slide(title)
    left, top, width, height = d.body(top)
    note_h = int(Inches(0.7))
    data = CategoryChartData(number_format="0.0%")
    data.categories = [format_value(c, unit, with_unit=False) for c in centres]
    below = np.where(centres < 0, share, 0.0)
    data.add_series("Loss" if can_be_negative(s) else "Below zero", below.tolist())
    data.add_series("Profit" if can_be_negative(s) else "Zero or above", np.where(centres >= 0, share, 0.0).tolist())
    gf = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, left, top, width, height - note_h, data)
    chart = gf.chart
    chart.font.size, chart.font.name = Pt(12), FONT
    plot = chart.plots[0]
    plot.overlap, plot.gap_width = 100, 10
    for series, colour in zip(plot.series, (_LOSS, _GAIN)):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = RGBColor.from_string(colour)
    chart.has_legend = bool(below.any())
    if chart.has_legend:
        chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.TOP, False
    chart.value_axis.has_major_gridlines = False
    chart.value_axis.tick_labels.number_format, chart.value_axis.tick_labels.number_format_is_linked = "0%", False
    chart.category_axis.has_title = True
    chart.category_axis.axis_title.text_frame.text = f"{label} ({shown_unit(unit)})" if shown_unit(unit) else label
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = "share of samples"
    note = (f"{int(s.n_valid):,} samples. Median {format_value(float(s.p50), unit)}, 90% interval "
            f"{format_value(float(s.p05), unit, with_unit=False)} to {format_value(float(s.p95), unit)}. "
            "The end bars hold the 0.5% tails.")
    if can_be_negative(s):
        note = f"P(loss) = {float(s.p_below_zero):.1%} ({p_error(float(s.p_below_zero), int(s.n_valid), True)}). " + note
    textbox(slide, note, left, top + height - note_h, width, note_h, max_pt=14, min_pt=10, color=GREY)


def _room_for_labels(axis, values) -> None:
    """The value axis's range: room beyond the longest bars for their value labels, on round ticks."""
    ends = np.asarray(values, dtype=float)
    ends = ends[np.isfinite(ends)]
    span = float(ends.max() - ends.min()) if ends.size else 0.0
    if span > 0:
        raw = 1.44 * span / 6
        step = min(m * 10.0 ** math.floor(math.log10(raw)) for m in (1, 2, 5, 10)
                   if m * 10.0 ** math.floor(math.log10(raw)) >= raw)
        axis.minimum_scale = math.floor((float(ends.min()) - 0.22 * span) / step) * step
        axis.maximum_scale = math.ceil((float(ends.max()) + 0.22 * span) / step) * step
        axis.major_unit = step


def tornado_slide(d: Deck, run) -> None:
    """The tornado slide: ``tornado.csv`` as a bar chart drawn from the base case.

    Two series, the output with each input at its low and at its high quantile, each bar
    labelled with the input's value there; the note says what the base case is and which
    inputs cross break-even. Nothing is added without a tornado table.

    Parameters
    ----------
    d
        The deck the slide is added to.
    run
        A :class:`~mcrisk.study.runner.StudyRun`.

    Returns
    -------
    None
    """
    from pptx.chart.data import CategoryChartData
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION
    from pptx.util import Inches, Pt

    tab = run.tables.get("tornado")
    if tab is None or not tab.sizes.get("input", 0):
        return
    study = run.study
    unit = str(tab.attrs.get("units", ""))
    out = str(tab.attrs.get("output", study.output))
    olabel = label_of(out, model=study.model, priors=study.priors, period_days=study.period_days)
    qlo, qhi = f"P{tab.attrs.get('low', 0.1) * 100:g}", f"P{tab.attrs.get('high', 0.9) * 100:g}"
    base = float(tab.attrs["base_output"])
    names = [str(v) for v in tab.input.values]
    labels = [label_of(n, model=study.model, priors=study.priors) for n in names]
    slide, top = d.slide(f"Tornado: what moves {olabel[:1].lower() + olabel[1:]} one input at a time")
    left, top, width, height = d.body(top)
    note_h = int(Inches(1.0))
    data = CategoryChartData(number_format="#,##0.###")
    data.categories = labels
    data.add_series(f"Input at its {qlo}", [float(v) for v in tab.output_low.values])
    data.add_series(f"Input at its {qhi}", [float(v) for v in tab.output_high.values])
    gf = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, left, top, width, height - note_h, data)
    chart = gf.chart
    chart.font.size, chart.font.name = Pt(12), FONT
    plot = chart.plots[0]
    plot.overlap, plot.gap_width = 100, 40
    chart.value_axis.crosses_at = base  # the bars grow from the base case, not from zero
    _room_for_labels(chart.value_axis, [base, *tab.output_low.values, *tab.output_high.values])
    chart.value_axis.has_major_gridlines = False
    chart.value_axis.tick_labels.number_format = axis_format(unit, [base, *tab.output_low.values,
                                                                    *tab.output_high.values])
    chart.value_axis.tick_labels.number_format_is_linked = False
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = f"{olabel} ({shown_unit(unit)})" if shown_unit(unit) else olabel
    chart.category_axis.reverse_order = True  # the largest swing on top, as in tornado.csv
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    chart.has_legend = True
    chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.TOP, False
    units = [str(u) for u in tab["input_units"].values] if "input_units" in tab.coords else [""] * len(names)
    for series, colour, col in zip(plot.series, (_LOW, _HIGH), ("input_low", "input_high")):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = RGBColor.from_string(colour)
        series.invert_if_negative = False
        for i, v in enumerate(tab[col].values):
            dl = series.points[i].data_label
            dl.has_text_frame = True
            dl.text_frame.text = format_value(float(v), units[i])
            dl.position = XL_LABEL_POSITION.OUTSIDE_END
            dl.font.size = Pt(10)
    crosses = [lab for lab, lo, hi in zip(labels, tab.output_low.values, tab.output_high.values)
               if min(lo, hi) < 0 < max(lo, hi)]
    note = (f"Base case {format_value(base, unit)}: {olabel[:1].lower() + olabel[1:]} with every input at its base "
            "value (the prior's base, else its median), not the mean or the median of the simulated "
            f"{olabel[:1].lower() + olabel[1:]}. Each bar moves one input alone to its {qlo} or {qhi}; "
            "the labels give the input's value there. Break-even (zero) "
            + (f"is crossed within this range by: {', '.join(crosses)}." if crosses
               else "is not crossed by any single input within this range."))
    textbox(slide, note, left, top + height - note_h, width, note_h, max_pt=14, min_pt=10, color=GREY)


def sensitivity_slide(d: Deck, run) -> None:
    """The sensitivity slide: the ranking index of each input as a bar chart, labelled with its interval.

    Nothing is added when the run has no sensitivity indices.

    Parameters
    ----------
    d
        The deck the slide is added to.
    run
        A :class:`~mcrisk.study.runner.StudyRun`.

    Returns
    -------
    None
    """
    from pptx.chart.data import CategoryChartData
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION
    from pptx.util import Inches, Pt

    shown = analysed(run)
    if shown is None or shown[1].attrs.get("over") in shown[1].dims:  # by month: deck_months draws it
        return
    output, sens = shown
    study = run.study
    index = sens.attrs.get("rank_by") if sens.attrs.get("rank_by") in sens else next(
        (k for k, v in sens.data_vars.items() if v.dims == ("input",)
         and not k.endswith(("_conf", "_low", "_high", "_pvalue"))), None)
    if index is None:
        return
    order = rank_order(sens, index)
    names = [str(sens.input.values[j]) for j in order]
    values = [float(sens[index].values[j]) for j in order]
    texts = []
    for j in order:
        v = float(sens[index].values[j])
        if f"{index}_conf" in sens:
            texts.append(index_text(v, float(sens[f"{index}_conf"].values[j])))
        elif f"{index}_low" in sens:
            texts.append(f"{index_text(v)} [{float(sens[f'{index}_low'].values[j]):.3f}, "
                         f"{float(sens[f'{index}_high'].values[j]):.3f}]")
        else:
            texts.append(index_text(v))
    olabel = label_of(output, model=study.model, priors=study.priors, period_days=study.period_days)
    method = str(sens.attrs.get("method", ""))
    slide, top = d.slide(f"What drives {olabel[:1].lower() + olabel[1:]}: sensitivity indices")
    left, top, width, height = d.body(top)
    note_h = int(Inches(0.7))
    data = CategoryChartData(number_format="0.000")
    # a member of a group of correlated inputs carries its group's index (or, for delta and PAWN, an
    # index that overlaps the other members'): marked so, as in the PNG chart
    groups = [str(sens.group.values[j]) if "group" in sens.coords else "" for j in order]
    data.categories = [label_of(n, model=study.model, priors=study.priors) + (" (group)" if g else "")
                       for n, g in zip(names, groups, strict=True)]
    data.add_series(index, [v if math.isfinite(v) else None for v in values])
    gf = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, left, top, width, height - note_h, data)
    chart = gf.chart
    chart.font.size, chart.font.name = Pt(12), FONT
    chart.has_legend = False
    chart.category_axis.reverse_order = True
    chart.value_axis.has_major_gridlines = False
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = f"{index} (0 = no influence)"
    series = chart.plots[0].series[0]
    series.format.fill.solid()
    series.format.fill.fore_color.rgb = RGBColor.from_string(_GAIN)
    for i, t in enumerate(texts):
        dl = series.points[i].data_label
        dl.has_text_frame = True
        dl.text_frame.text = t.replace("-", MINUS)
        dl.position = XL_LABEL_POSITION.OUTSIDE_END
        dl.font.size = Pt(10)
    conf = sens.attrs.get("conf_level")
    note = (f"{index} by the {method} method, N = {int(sens.attrs.get('samples', 0)):,}; each label gives the index "
            + (f"and its {float(conf):.0%} confidence interval" if conf is not None else "and its interval")
            + " (\u00b1 half-width or [low, high]). Inputs ranked by it, most influential on top."
            + (" Correlated inputs are scored as a group: each (group) bar is the whole group's index."
               if sens.attrs.get("indices_of") == "groups" else
               " (group): correlated with the other (group) inputs; their indices overlap." if any(groups) else ""))
    textbox(slide, note, left, top + height - note_h, width, note_h, max_pt=14, min_pt=10, color=GREY)


def xy_chart(slide, box: tuple[int, int, int, int], series: list[tuple[str, np.ndarray, np.ndarray, str]],
             unit: str, xlabel: str, ylabel: str):
    """A native XY line chart of ``(name, x, y, colour)`` series in ``box`` (NaN: a gap); returns the chart.

    The value axis is numbered in ``unit`` (:func:`axis_format`); a legend above when there are
    several series. The EVSI, lever, throughput-curve and cost-frontier slides draw with it.
    """
    from pptx.chart.data import XyChartData
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION
    from pptx.util import Pt

    data = XyChartData()
    for name, x, y, _ in series:
        s = data.add_series(name, number_format="#,##0.###")
        for a, b in zip(x, y, strict=True):
            s.add_data_point(float(a), float(b) if np.isfinite(b) else None)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.XY_SCATTER_LINES, *box, data).chart
    chart.font.size, chart.font.name = Pt(12), FONT
    for (_, _, _, colour), s in zip(series, chart.plots[0].series, strict=True):
        s.format.line.color.rgb = RGBColor.from_string(colour.lstrip("#"))
        s.format.line.width = Pt(2.5)
        s.marker.format.fill.solid()
        s.marker.format.fill.fore_color.rgb = RGBColor.from_string(colour.lstrip("#"))
        s.smooth = False
    chart.has_legend = len(series) > 1
    if chart.has_legend:
        chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.TOP, False
    chart.value_axis.has_major_gridlines = False
    chart.value_axis.tick_labels.number_format = axis_format(unit, np.concatenate([s[2] for s in series]))
    chart.value_axis.tick_labels.number_format_is_linked = False
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    chart.value_axis.has_title = chart.category_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = ylabel
    chart.category_axis.axis_title.text_frame.text = xlabel
    return chart
