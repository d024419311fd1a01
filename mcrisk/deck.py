"""``deck.pptx``: the study as 16:9 PowerPoint slides with native, editable charts.

:func:`write_deck` writes, in order: a title slide (study title, currency and period, samples,
design, seed, date, mcrisk version); the headline (P(loss) with its Monte Carlo error, the
median and P5 to P95, the deciding input: the report's sentence and its numbers); the profit
distribution as a column chart with P(loss) stated; the tornado as a horizontal bar chart (two
series, the output with each input at its low and at its high quantile, drawn from the base
case, each bar labelled with the input's value there); the sensitivity indices as a bar chart
with their intervals in the labels; the assumptions (input, distribution in words, P10/P50/P90
with units, source); a table slide for each ``sweep.csv``, ``scenarios.csv`` and ``voi.csv`` the
folder holds (:data:`EXTRA_TABLES`); and the sources cited.

The charts are chart objects with their numbers embedded (PowerPoint's "Edit Data" opens
them), not pictures. Every text is set at the largest size that fits its box by the font
metrics of :mod:`mcrisk.textfit`; long tables continue on further slides. ``template`` uses a
house template's slide size, theme and its "Title Slide" and "Title Only" layouts.

python-pptx is imported inside the functions that use it: only a run asking for ``pptx`` or
``mcrisk deck`` pays for it.
"""

from __future__ import annotations

import csv
import datetime as _dt
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .bibliography import cited_sources
from .errors import SpecError
from .findings import analysed, can_be_negative, driver, headline, p_error, stated
from .labels import label_of, period_name, run_labels, shown_as, shown_unit
from .sensitivity import rank_order
from .text import MINUS, format_number, format_value, index_text, labelled, labels_in_use, si_number
from .textfit import fit_text, text_height
from .validate import is_file

__all__ = ["EXTRA_TABLES", "FONT", "check_template", "dist_words", "write_deck"]

#: Tables other analyses write into the folder; each present one gets table slides.
EXTRA_TABLES: dict[str, str] = {"sweep.csv": "Sweep", "scenarios.csv": "Scenarios",
                                "voi.csv": "Value of information"}
#: The face the deck names (Liberation Sans, its metric twin, where Arial is missing).
FONT = "Arial"
_LOSS, _GAIN, _GREY = "D55E00", "0072B2", "555555"  # the figures' colours (mcrisk.plot.style)
_EMU_PER_PT = 12700
_MARGIN_LR, _MARGIN_TB = 0.08, 0.04  # text box inner margins, inches
_TABLE_ROWS_MAX = 40  # rows of an extra table shown; the CSV has all


def _words(v: float) -> str:
    return si_number(float(v), digits=4) if abs(v) >= 1e4 else f"{v:.4g}".replace("-", MINUS)


def dist_words(prior: Any) -> str:
    """A prior's distribution in words: ``"triangular from 1.5 to 2.5, most likely 2"``.

    Parameters
    ----------
    prior
        A :class:`~mcrisk.priors.Prior`.

    Returns
    -------
    str
        The family and its parameters as a sentence fragment; the family's own notation for
        a family without words here.
    """
    p = prior.params
    w = {k: _words(v) for k, v in p.items() if isinstance(v, int | float) and v is not None}
    say = {
        "constant": lambda: f"fixed at {w['value']}",
        "uniform": lambda: f"uniform from {w['low']} to {w['high']}",
        "loguniform": lambda: f"log-uniform from {w['low']} to {w['high']}",
        "triangular": lambda: f"triangular from {w['low']} to {w['high']}, most likely {w['mode']}",
        "pert": lambda: f"PERT from {w['low']} to {w['high']}, most likely {w['mode']}",
        "normal": lambda: f"normal, mean {w['mean']}, standard deviation {w['sd']}",
        "truncnormal": lambda: f"normal, mean {w['mean']}, standard deviation {w['sd']}, truncated",
        "lognormal": lambda: f"lognormal, median {w['median']}, log-sd {w['sigma']}",
    }.get(prior.family)
    try:
        return say() if say else prior.describe()
    except KeyError:
        return prior.describe()


# --- text that fits ---------------------------------------------------------------------------

def _pt(emu: int) -> float:
    return emu / _EMU_PER_PT


def _fill(tf, text: str, width: int, height: int, *, max_pt: float, min_pt: float = 10, bold: bool = False,
          color: str | None = None, align: Any = None) -> None:
    """Put ``text`` into text frame ``tf`` of a ``width x height`` (EMU) box at the largest size that fits."""
    from pptx.dml.color import RGBColor  # python-pptx: lazily, as every pptx import here
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Inches, Pt

    tf.word_wrap = True
    tf.auto_size = MSO_AUTO_SIZE.NONE
    tf.margin_left = tf.margin_right = Inches(_MARGIN_LR)
    tf.margin_top = tf.margin_bottom = Inches(_MARGIN_TB)
    inner_w = _pt(width) - 2 * 72 * _MARGIN_LR
    inner_h = _pt(height) - 2 * 72 * _MARGIN_TB
    text, size = fit_text(text, inner_w, inner_h, max_pt=max_pt, min_pt=min_pt, bold=bold)
    tf.clear()
    for i, line in enumerate(text.split("\n")):
        para = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        if align is not None:
            para.alignment = align
        run = para.add_run()
        run.text = line
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.name = FONT
        if color:
            run.font.color.rgb = RGBColor.from_string(color)


def _textbox(slide, text: str, left: int, top: int, width: int, height: int, **kw: Any):
    box = slide.shapes.add_textbox(left, top, width, height)
    _fill(box.text_frame, text, width, height, **kw)
    return box


# --- the presentation -------------------------------------------------------------------------

def check_template(template: str | Path):
    """Open a PowerPoint template, or say in one line why it cannot be used.

    Parameters
    ----------
    template
        A ``.pptx`` file.

    Returns
    -------
    pptx.presentation.Presentation
        The opened template.

    Raises
    ------
    SpecError
        ``--template FILE: no such file`` or ``... not a PowerPoint file python-pptx can open``.
    """
    from pptx import Presentation

    template = Path(template)
    if not is_file(template):
        raise SpecError(f"--template {template}: no such file; give a PowerPoint file (.pptx)")
    try:
        prs = Presentation(str(template))
    except Exception as err:  # zipfile, KeyError, lxml and ValueError all mean a broken file
        raise SpecError(f"--template {template}: not a PowerPoint file python-pptx can open "
                        f"({type(err).__name__})") from None
    if not len(prs.slide_layouts):
        raise SpecError(f"--template {template}: has no slide layouts to use")
    return prs


class _Deck:
    """The presentation being written and where its slides put things."""

    def __init__(self, template: str | Path | None) -> None:
        from pptx import Presentation
        from pptx.util import Inches

        if template is None:
            self.prs = Presentation()
            self.prs.slide_width, self.prs.slide_height = Inches(13.333), Inches(7.5)
            self.own = True
        else:
            self.prs = check_template(template)
            self.own = False
            slides = self.prs.slides._sldIdLst  # a template's own slides are not the study's
            for sld in list(slides):
                self.prs.part.drop_rel(sld.rId)
                slides.remove(sld)
        self.W, self.H = int(self.prs.slide_width), int(self.prs.slide_height)
        self.margin = int(Inches(0.5))
        layouts = list(self.prs.slide_layouts)
        by_name = {lay.name: lay for lay in layouts}
        self.title_layout = by_name.get("Title Slide", layouts[0])
        self.content_layout = by_name.get("Title Only") or next(
            (lay for lay in layouts if any(ph.placeholder_format.type == 1 for ph in lay.placeholders)
             and len(lay.placeholders) <= 4), layouts[-1])

    def slide(self, title: str):
        """A content slide with ``title``; returns ``(slide, top of the body area)``."""
        from pptx.util import Inches

        s = self.prs.slides.add_slide(self.content_layout)
        t = s.shapes.title
        for ph in list(s.placeholders):  # only the title: empty placeholders show "Click to add text"
            if t is None or ph.shape_id != t.shape_id:
                ph._element.getparent().remove(ph._element)
        if t is None:
            t = s.shapes.add_textbox(self.margin, int(Inches(0.3)), self.W - 2 * self.margin, int(Inches(0.9)))
        elif self.own:
            t.left, t.top, t.width, t.height = self.margin, int(Inches(0.3)), self.W - 2 * self.margin, int(Inches(0.9))
        _fill(t.text_frame, title, int(t.width), int(t.height), max_pt=30, min_pt=16, bold=True)
        return s, int(t.top + t.height + Inches(0.1))

    def body(self, top: int) -> tuple[int, int, int, int]:
        return self.margin, top, self.W - 2 * self.margin, self.H - top - self.margin


def _title_slide(d: _Deck, run) -> None:
    from pptx.util import Inches

    study, a = run.study, run.results.attrs
    s = d.prs.slides.add_slide(d.title_layout)
    title = s.shapes.title
    subtitle = next((ph for ph in s.placeholders if ph.placeholder_format.idx == 1), None)
    for ph in list(s.placeholders):
        if ph not in (title, subtitle):
            ph._element.getparent().remove(ph._element)
    W, m = d.W, d.margin
    if title is None:
        title = s.shapes.add_textbox(m, int(d.H * 0.25), W - 2 * m, int(d.H * 0.3))
    elif d.own:
        title.left, title.top, title.width, title.height = m, int(d.H * 0.22), W - 2 * m, int(d.H * 0.33)
    _fill(title.text_frame, study.title, int(title.width), int(title.height), max_pt=40, min_pt=20, bold=True)
    currency = run.summary.attrs.get("currency") or study.priors.currency or a.get("currency") or "no currency"
    period = period_name(study.period_days)
    lines = [f"Money in {currency} per {period}",
             f"{int(a.get('samples', study.samples)):,} samples, {_DESIGN.get(str(a.get('method', study.method)), study.method)}"
             f" design, seed {a.get('seed', study.seed)}",
             f"{_dt.datetime.now(_dt.UTC):%Y-%m-%d} \u00b7 mcrisk {a.get('mcrisk_version', '')}".rstrip()]
    if subtitle is None:
        subtitle = s.shapes.add_textbox(m, int(d.H * 0.6), W - 2 * m, int(d.H * 0.28))
    elif d.own:
        subtitle.left, subtitle.top, subtitle.width, subtitle.height = m, int(d.H * 0.6), W - 2 * m, int(Inches(2.0))
    _fill(subtitle.text_frame, "\n".join(lines), int(subtitle.width), int(subtitle.height), max_pt=22, min_pt=12,
          color=_GREY)


_DESIGN = {"random": "simple random", "lhs": "Latin hypercube", "sobol": "Sobol' sequence"}


def _headline_numbers(run) -> list[tuple[str, str, str]]:
    """The headline's numbers as (caption, value, qualifier), in the report's words."""
    study = run.study
    s = run.summary.sel(output=study.output)
    unit = str(s.units.values)
    out_label = label_of(study.output, model=study.model, priors=study.priors, period_days=study.period_days)
    boxes = []
    if can_be_negative(s):
        p = float(s.p_below_zero)
        boxes.append(("P(loss)" if any(k in study.output for k in ("profit", "margin")) else f"P({out_label} < 0)",
                      f"{p:.1%}", p_error(p, int(s.n_valid), float(s["max"]) > float(s["min"]))))
    boxes.append((f"Median {out_label[:1].lower() + out_label[1:]}", format_value(float(s.p50), unit), ""))
    boxes.append(("90% interval (P5 to P95)", f"{format_value(float(s.p05), unit, with_unit=False)} to "
                  f"{format_value(float(s.p95), unit)}", ""))
    if (dr := driver(run)) is not None:
        what = label_of(dr["input"], model=study.model, priors=study.priors)
        how = {"S1": f"explains {dr['value']:.0%} of the variance",
               "ST": f"is involved in {dr['value']:.0%} of the variance",
               "swing": f"swings it most ({format_value(dr['value'], dr.get('units', ''))})"}.get(
                   dr["index"], f"matters most ({dr['index']} = {dr['value']:.2f})")
        boxes.append(("Deciding input", what, how))
    return boxes


def _headline_slide(d: _Deck, run) -> None:
    from pptx.util import Inches

    s, top = d.slide("Headline")
    left, top, width, height = d.body(top)
    sentence_h = int(height * 0.34)
    _textbox(s, headline(run), left, top, width, sentence_h, max_pt=24, min_pt=12)
    boxes = _headline_numbers(run)
    gap = int(Inches(0.2))
    bw = (width - gap * (len(boxes) - 1)) // len(boxes)
    y = top + sentence_h + gap
    cap_h, sub_h = int(Inches(0.6)), int(Inches(0.9))
    value_h = top + height - y - cap_h - sub_h
    for i, (caption, value, sub) in enumerate(boxes):
        x = left + i * (bw + gap)
        _textbox(s, caption, x, y, bw, cap_h, max_pt=16, min_pt=10, color=_GREY)
        _textbox(s, value, x, y + cap_h, bw, value_h, max_pt=32, min_pt=11, bold=True)
        if sub:
            _textbox(s, sub, x, y + cap_h + value_h, bw, sub_h, max_pt=14, min_pt=10, color=_GREY)


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


def _distribution_slide(d: _Deck, run) -> None:
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
    _textbox(slide, note, left, top + height - note_h, width, note_h, max_pt=14, min_pt=10, color=_GREY)


def _tornado_slide(d: _Deck, run) -> None:
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
    ends = np.array([base, *tab.output_low.values, *tab.output_high.values], dtype=float)
    ends = ends[np.isfinite(ends)]
    span = float(ends.max() - ends.min()) if ends.size else 0.0
    if span > 0:  # room beyond the longest bars for their value labels, on round ticks
        raw = 1.44 * span / 6
        step = min(m * 10.0 ** math.floor(math.log10(raw)) for m in (1, 2, 5, 10)
                   if m * 10.0 ** math.floor(math.log10(raw)) >= raw)
        chart.value_axis.minimum_scale = math.floor((float(ends.min()) - 0.22 * span) / step) * step
        chart.value_axis.maximum_scale = math.ceil((float(ends.max()) + 0.22 * span) / step) * step
        chart.value_axis.major_unit = step
    chart.value_axis.has_major_gridlines = False
    big = float(np.nanmax(np.abs([base, *tab.output_low.values, *tab.output_high.values])))
    chart.value_axis.tick_labels.number_format = (  # Excel's scaling commas: 2,500,000 -> 2.5M
        '#,##0,,"M";−#,##0,,"M";0' if big >= 1e7 else '#,##0,"k";−#,##0,"k";0' if big >= 1e4
        else "#,##0.###;−#,##0.###")
    chart.value_axis.tick_labels.number_format_is_linked = False
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = f"{olabel} ({shown_unit(unit)})" if shown_unit(unit) else olabel
    chart.category_axis.reverse_order = True  # the largest swing on top, as in tornado.csv
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    chart.has_legend = True
    chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.TOP, False
    units = [str(u) for u in tab["input_units"].values] if "input_units" in tab.coords else [""] * len(names)
    for series, colour, col in zip(plot.series, (_LOSS, _GAIN), ("input_low", "input_high")):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = RGBColor.from_string(colour)
        series.invert_if_negative = False
        for i, v in enumerate(tab[col].values):
            dl = series.points[i].data_label
            dl.has_text_frame = True
            dl.text_frame.text = format_value(float(v), shown_as(units[i], (tab.input_low.values[i],
                                                                              tab.input_high.values[i])))
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
    _textbox(slide, note, left, top + height - note_h, width, note_h, max_pt=14, min_pt=10, color=_GREY)


def _sensitivity_slide(d: _Deck, run) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION
    from pptx.util import Inches, Pt

    shown = analysed(run)
    if shown is None:
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
    data.categories = [label_of(n, model=study.model, priors=study.priors) for n in names]
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
            + " (\u00b1 half-width or [low, high]). Inputs ranked by it, most influential on top.")
    _textbox(slide, note, left, top + height - note_h, width, note_h, max_pt=14, min_pt=10, color=_GREY)


def _table_height(rows: list[list[str]], widths: list[int], size: float, bold_first: bool) -> list[float]:
    """Each row's height in points at font ``size``."""
    from pptx.util import Inches

    inner = [_pt(w) - 2 * 72 * 0.06 for w in widths]
    del Inches
    return [max(text_height(c, inner[j], size, bold=bold_first and i == 0) for j, c in enumerate(r))
            + 2 * 72 * 0.03 for i, r in enumerate(rows)]


def _table_slides(d: _Deck, title: str, head: list[str], rows: list[list[str]], weights: Sequence[float],
                  note: str = "") -> None:
    """Table slides: as many rows per slide as fit at 10 pt or more, the rest on further slides."""
    from pptx.util import Inches, Pt

    min_pt, max_pt = 10.0, 16.0
    probe_slide_top = int(Inches(1.3))  # the body's top under a content slide's title
    _, _, width, height = d.body(probe_slide_top)
    note_h = int(Inches(0.5)) if note else 0
    height -= note_h
    total = sum(weights)
    widths = [int(width * w / total) for w in weights]
    chunks: list[list[list[str]]] = []
    rest = list(rows)
    while rest or not chunks:
        n = 1
        while n < len(rest) and sum(_table_height([head, *rest[:n + 1]], widths, min_pt, True)) <= _pt(height):
            n += 1
        chunks.append(rest[:n])
        rest = rest[n:]
    for k, chunk in enumerate(chunks):
        heading = title if len(chunks) == 1 else f"{title} ({k + 1} of {len(chunks)})"
        slide, top = d.slide(heading)
        left, top, width, h = d.body(top)
        h -= note_h
        cells = [head, *chunk]
        size = max_pt
        while size > min_pt and sum(_table_height(cells, widths, size, True)) > _pt(h):
            size -= 0.5
        heights = _table_height(cells, widths, size, True)
        gf = slide.shapes.add_table(len(cells), len(head), left, top, width, int(sum(heights) * _EMU_PER_PT))
        table = gf.table
        for j, w in enumerate(widths):
            table.columns[j].width = w
        for i, r in enumerate(cells):
            table.rows[i].height = int(math.ceil(heights[i] * _EMU_PER_PT))
            for j, text in enumerate(r):
                cell = table.cell(i, j)
                cell.margin_left = cell.margin_right = Inches(0.06)
                cell.margin_top = cell.margin_bottom = Inches(0.03)
                tf = cell.text_frame
                tf.word_wrap = True
                tf.text = text
                for para in tf.paragraphs:
                    for run in para.runs:
                        run.font.size, run.font.name, run.font.bold = Pt(size), FONT, i == 0
        if note:
            _textbox(slide, note, left, top + h, width, note_h, max_pt=12, min_pt=9, color=_GREY)


def _assumptions_slides(d: _Deck, run) -> None:
    study = run.study
    head = ["Input", "Distribution", "P10", "P50", "P90", "Unit", "Source"]
    rows = []
    for name, prior in study.priors.items():
        q = prior.ppf(np.array([0.1, 0.5, 0.9]))
        unit = prior.unit
        shown = shown_as(unit, q)
        share = shown == "1"
        cells = [format_value(float(v), shown, with_unit=False) for v in q]
        if prior.is_constant:
            cells = ["", cells[1], ""]
        rows.append([label_of(name, model=study.model, priors=study.priors), dist_words(prior), *cells,
                     "%" if share else "\u00d7" if shown == "\u00d7" else shown_unit(unit), prior.source or "judgement (no source given)"])
    _table_slides(d, "Assumptions", head, rows, (2.2, 2.6, 1.1, 1.1, 1.1, 1.4, 5.5),
                  note="Shares read as %, ratios above 1 as \u00d7; the distribution in words is in the input's own terms (0.1 = 10%).")


def _extra_slides(d: _Deck, folder: Path | None) -> None:
    if folder is None:
        return
    for name, title in EXTRA_TABLES.items():
        path = folder / name
        if not is_file(path):
            continue
        with open(path, newline="", encoding="utf-8") as fh:
            table = list(csv.reader(fh))
        if not table:
            continue
        head, body = table[0], table[1:]
        shown = body[:_TABLE_ROWS_MAX]

        def cell(text: str) -> str:
            try:
                v = float(text)
            except ValueError:
                return labelled(text)  # a variable's name: its plain label
            return format_number(v, "number", minus=MINUS) if math.isfinite(v) else text

        rows = [[cell(c) for c in r] for r in shown]
        note = (f"The first {len(shown)} of {len(body):,} rows; all are in {name}." if len(body) > len(shown)
                else f"From {name}.")
        _table_slides(d, title, [h.replace("_", " ") for h in head], rows, [1.0] * len(head), note=note)


def _sources_slides(d: _Deck, run) -> None:
    cited = cited_sources(run.study.priors, [run.study.path.parent])
    if not cited:
        return
    rows = [[f"[{key}]", text] for key, text in cited]
    _table_slides(d, "Sources", ["Key", "Citation"], rows, (1.2, 8.0))


def write_deck(run, path: str | Path, *, template: str | Path | None = None, folder: str | Path | None = None) -> Path:
    """Write the study's slides, with native charts, as a PowerPoint file.

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.StudyRun` (from :func:`~mcrisk.study.run_study`, or read back
        from its folder by :func:`mcrisk.folderrun.read_run`).
    path
        The file to write (``deck.pptx``); written to a temporary name beside it, then renamed,
        so a failure leaves no half-written deck.
    template
        A ``.pptx`` whose slide size, theme and layouts are used (its own slides are dropped);
        default a plain 13.333 x 7.5 inch (16:9) deck.
    folder
        The output folder whose ``sweep.csv``, ``scenarios.csv`` and ``voi.csv`` get table
        slides; default ``run.out``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    SpecError
        If ``template`` is missing or is not a PowerPoint file.
    """
    with labels_in_use(run_labels(run)):  # the headline sentence in the same words as the report
        return _write_deck(run, Path(path), template, folder)


def _write_deck(run, path: Path, template, folder) -> Path:
    d = _Deck(template)
    _title_slide(d, run)
    _headline_slide(d, run)
    _distribution_slide(d, run)
    _tornado_slide(d, run)
    _sensitivity_slide(d, run)
    _assumptions_slides(d, run)
    _extra_slides(d, Path(folder) if folder is not None else run.out)
    _sources_slides(d, run)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        d.prs.save(str(tmp))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


