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
from mcrisk.report.deck_charts import xy_chart
from mcrisk.report.deck_layout import GREY, Deck, textbox
from mcrisk.report.palette import FAN

__all__ = ["curve_slides"]


def _xy_slide(d: Deck, title: str, series: dict[str, tuple[np.ndarray, np.ndarray, str]], xtitle: str,
              ytitle: str, unit: str, note: str) -> None:
    """One slide: a native XY chart (:func:`~mcrisk.report.deck_charts.xy_chart`) and a note under it."""
    from pptx.util import Inches

    slide, top = d.slide(title)
    left, top, width, height = d.body(top)
    note_h = int(Inches(0.8))
    xy_chart(slide, (left, top, width, height - note_h), [(name, x, y, c) for name, (x, y, c) in series.items()],
             unit, xtitle, ytitle)
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
