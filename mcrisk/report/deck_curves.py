"""The throughput slides of ``deck.pptx``: the throughput curve, and the cost frontier, as native charts.

For a study with a ``throughput_curve`` (:mod:`mcrisk.models.curves`): output tokens/s per GPU
against interactivity at the curve's points, the study's range of interactivity in the note; and
the cost per million output tokens against interactivity, its P5, median and P95
(:func:`mcrisk.analyze.frontier.cost_frontier`), as the report's charts draw them. No slide for a
study without a curve. python-pptx is imported inside the function.
"""

from __future__ import annotations

import numpy as np

from mcrisk.analyze.frontier import run_frontier
from mcrisk.core.labels import shown_unit
from mcrisk.core.text import format_value
from mcrisk.report.deck_charts import axis_format
from mcrisk.report.deck_layout import FONT, GREY, Deck, textbox
from mcrisk.report.palette import FAN

__all__ = ["curve_slides"]


def _xy_slide(d: Deck, title: str, series: dict[str, tuple[np.ndarray, np.ndarray, str]], xtitle: str,
              ytitle: str, unit: str, note: str) -> None:
    """One slide: a native XY chart with log axes where the values allow, and a note under it."""
    from pptx.chart.data import XyChartData
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
    from pptx.util import Inches, Pt

    slide, top = d.slide(title)
    left, top, width, height = d.body(top)
    note_h = int(Inches(0.8))
    data = XyChartData()
    for name, (x, y, _) in series.items():
        s = data.add_series(name, number_format="#,##0.###")
        for xi, yi in zip(x, y, strict=True):
            s.add_data_point(float(xi), float(yi) if np.isfinite(yi) else None)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.XY_SCATTER_LINES, left, top, width, height - note_h, data).chart
    chart.font.size, chart.font.name = Pt(12), FONT
    for (_, (_, _, colour)), s in zip(series.items(), chart.plots[0].series, strict=True):
        s.format.line.color.rgb = RGBColor.from_string(colour)
        s.smooth = False
    chart.has_legend = len(series) > 1
    if chart.has_legend:
        chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.TOP, False
    values = np.concatenate([v[1] for v in series.values()])
    chart.value_axis.tick_labels.number_format = axis_format(unit, values)
    chart.value_axis.tick_labels.number_format_is_linked = False
    chart.value_axis.has_major_gridlines = False
    for axis, text in ((chart.category_axis, xtitle), (chart.value_axis, ytitle)):
        axis.has_title = True
        axis.axis_title.text_frame.text = text
    textbox(slide, note, left, top + height - note_h, width, note_h, max_pt=14, min_pt=10, color=GREY)


def curve_slides(d: Deck, run) -> None:
    """The throughput curve and the cost frontier of a study with a curve (nothing otherwise).

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
    if (got := run_frontier(run)) is None:
        return
    name, points, frontier = got
    between = "between points the throughput is a power law (straight on log-log axes), never extrapolated."
    if "interactivity" in run.results:
        speed = np.asarray(run.results["interactivity"].values, dtype=float)
        lo, hi = float(speed.min()), float(speed.max())
        note = f"The study's interactivity runs from {format_value(lo, '')} to {format_value(hi, 'tokens/s')} per user; "
    else:  # a model that prices its own speed tiers on the curve
        note = "The model prices its own speed tiers on this curve; "
    per_user = "Interactivity (output tokens/s per user)"
    _xy_slide(d, f"Throughput against speed: {name}", {name: (points[:, 0], points[:, 1], FAN["p50"][0])},
              per_user, "Output tokens/s per GPU", "tokens/s", note + between)
    if frontier is None:
        return
    f = frontier.isel(hardware=0)
    x = np.asarray(frontier["interactivity"].values, dtype=float)
    unit = str(f["p50"].attrs.get("units", ""))
    series = {k: (x, np.asarray(f[k].values, dtype=float), FAN[k][0]) for k in ("p05", "p50", "p95")}
    series = {"median" if k == "p50" else k.upper().replace("P0", "P"): v for k, v in series.items()}
    med = series["median"][1]
    _xy_slide(d, f"Cost per million output tokens: median {format_value(float(med[0]), '')} to "
                 f"{format_value(float(med[-1]), unit)} from {format_value(x[0], '')} to "
                 f"{format_value(x[-1], 'tokens/s')} per user", series, per_user,
              f"Cost per million output tokens ({shown_unit(unit)})", unit,
              f"At each speed, the study's first {int(frontier.attrs['samples']):,} samples of every other input "
              f"(common random numbers), with interactivity held: {name}.")
