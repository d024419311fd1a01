"""``deck.pptx``: the study as 16:9 PowerPoint slides with native, editable charts.

:func:`write_deck` writes, in order: a title slide (study title, currency and period, samples,
design, seed, date, mcrisk version); the headline (P(loss) with its Monte Carlo error, the
median and P5 to P95, the deciding input: the report's sentence and its numbers); the profit
distribution as a column chart with P(loss) stated; the tornado as a horizontal bar chart (two
series, the output with each input at its low and at its high quantile, drawn from the base
case, each bar labelled with the input's value there); the sensitivity indices as a bar chart
with their intervals in the labels (over months: each input's share of the variance, stacked
month by month), the fan of cumulative cash and when the loss happens for a model over months
(:mod:`mcrisk.report.deck_months`); a ``[sweep]``'s fan chart and its table, and a ``[solve]``'s
answer (:mod:`mcrisk.report.deck_decisions`), where the run has them; the assumptions (input,
distribution in words, P10/P50/P90 with units, source); a table slide for each
``scenarios.csv``, ``voi.csv``, ``calibration.csv``, ``evsi.csv`` and ``voi_lever.csv`` the folder
holds (:data:`EXTRA_TABLES`); and the sources cited.

The charts are chart objects with their numbers embedded (PowerPoint's "Edit Data" opens
them), not pictures. Every text is set at the largest size that fits its box by the font
metrics of :mod:`mcrisk.report.textfit`; long tables continue on further slides. ``template`` uses a
house template's slide size, theme and its "Title Slide" and "Title Only" layouts.

This module holds the slide order and the slides in words and tables; the native-chart slides
are in :mod:`mcrisk.report.deck_charts`, and the presentation object, text boxes that fit and tables
paged over slides in :mod:`mcrisk.report.deck_layout`.

python-pptx is imported inside the functions that use it: only a run asking for ``pptx`` or
``mcrisk deck`` pays for it.
"""

from __future__ import annotations

import csv
import datetime as _dt
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from mcrisk.core.statistics import CENTRAL_80, PERCENTILES, percentile_head
from mcrisk.spec.bibliography import cited_sources, study_folders
from mcrisk.report.deck_charts import distribution_slide, sensitivity_slide, tornado_slide
from mcrisk.report.deck_decisions import solve_slide, sweep_slides
from mcrisk.report.deck_voi import voi_slides
from mcrisk.report.deck_curves import curve_slides
from mcrisk.report.deck_months import month_slides
from mcrisk.report.deck_layout import FONT, GREY, Deck, check_template, fill_frame, table_slides, textbox
from mcrisk.report.findings import can_be_negative, driver, driver_parts, headline, p_error
from mcrisk.core.labels import label_of, period_name, run_labels, shown_unit
from mcrisk.core.text import MINUS, Labels, format_number, format_value, labelled, si_number
from mcrisk.core.tomlfile import is_file

# FONT and check_template live in mcrisk.report.deck_layout; imported from here as before.
__all__ = ["EXTRA_TABLES", "FONT", "check_template", "dist_words", "write_deck"]

#: Tables other analyses write into the folder; each present one gets table slides.
EXTRA_TABLES: dict[str, str] = {"scenarios.csv": "Scenarios", "voi.csv": "Value of information",
                                 "calibration.csv": "What the record says: prior against posterior",
                                 "evsi.csv": "Value of sample information (EVSI, ENBS)",
                                 "voi_lever.csv": "Value of information against the lever"}
_TABLE_ROWS_MAX = 40  # rows of an extra table shown; the CSV has all


def _words(v: float) -> str:
    return si_number(float(v), digits=4) if abs(v) >= 1e4 else f"{v:.4g}".replace("-", MINUS)


def dist_words(prior: Any) -> str:
    """A prior's distribution in words: ``"triangular from 1.5 to 2.5, most likely 2"``.

    Parameters
    ----------
    prior
        A :class:`~mcrisk.spec.priors.Prior`.

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


def _title_slide(d: Deck, run) -> None:
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
    fill_frame(title.text_frame, study.title, int(title.width), int(title.height), max_pt=40, min_pt=20, bold=True)
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
    fill_frame(subtitle.text_frame, "\n".join(lines), int(subtitle.width), int(subtitle.height), max_pt=22, min_pt=12,
               color=GREY)


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
    if (dr := driver(run)) is not None:  # the headline's driver, from the sensitivity table's ranking
        what, how = driver_parts(dr, run_labels(run))
        boxes.append(("Deciding group" if dr["of_group"] else "Deciding input" if dr["index"] != "swing"
                      else "Largest one-at-a-time swing", what[:1].upper() + what[1:], how))
    return boxes


def _headline_slide(d: Deck, run) -> None:
    from pptx.util import Inches

    s, top = d.slide("Headline")
    left, top, width, height = d.body(top)
    sentence_h = int(height * 0.34)
    textbox(s, headline(run), left, top, width, sentence_h, max_pt=24, min_pt=12)
    boxes = _headline_numbers(run)
    gap = int(Inches(0.2))
    bw = (width - gap * (len(boxes) - 1)) // len(boxes)
    y = top + sentence_h + gap
    cap_h, sub_h = int(Inches(0.6)), int(Inches(0.9))
    value_h = top + height - y - cap_h - sub_h
    for i, (caption, value, sub) in enumerate(boxes):
        x = left + i * (bw + gap)
        textbox(s, caption, x, y, bw, cap_h, max_pt=16, min_pt=10, color=GREY)
        textbox(s, value, x, y + cap_h, bw, value_h, max_pt=32, min_pt=11, bold=True)
        if sub:
            textbox(s, sub, x, y + cap_h + value_h, bw, sub_h, max_pt=14, min_pt=10, color=GREY)


def _assumptions_slides(d: Deck, run) -> None:
    study = run.study
    head = ["Input", "Distribution", *map(percentile_head, CENTRAL_80), "Unit", "Source"]
    rows = []
    for name, prior in study.priors.items():
        q = prior.ppf(np.array([PERCENTILES[k] for k in CENTRAL_80]))
        unit = prior.unit
        cells = [format_value(float(v), unit, with_unit=False) for v in q]
        if prior.is_constant:
            cells = ["", cells[1], ""]
        rows.append([label_of(name, model=study.model, priors=study.priors), dist_words(prior), *cells,
                     shown_unit(unit), prior.source or "judgement (no source given)"])
    table_slides(d, "Assumptions", head, rows, (2.2, 2.6, 1.1, 1.1, 1.1, 1.4, 5.5),
                 note="Shares, margins and ratios read as % (1.23 = 123%); the distribution in words is in the input's own terms (0.1 = 10%).")


def _extra_slides(d: Deck, folder: Path | None, labels: Labels) -> None:
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
                return labelled(text, labels)  # a variable's name: its plain label
            return format_number(v, "number", minus=MINUS) if math.isfinite(v) else text

        rows = [[cell(c) for c in r] for r in shown]
        note = (f"The first {len(shown)} of {len(body):,} rows; all are in {name}." if len(body) > len(shown)
                else f"From {name}.")
        table_slides(d, title, [h.replace("_", " ") for h in head], rows, [1.0] * len(head), note=note)


def _sources_slides(d: Deck, run) -> None:
    cited = cited_sources(run.study.priors, study_folders(run.study))
    if not cited:
        return
    rows = [[f"[{key}]", text] for key, text in cited]
    table_slides(d, "Sources", ["Key", "Citation"], rows, (1.2, 8.0))


def write_deck(run, path: str | Path, *, template: str | Path | None = None, folder: str | Path | None = None) -> Path:
    """Write the study's slides, with native charts, as a PowerPoint file.

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.runner.StudyRun` (from :func:`~mcrisk.study.runner.run_study`, or read back
        from its folder by :func:`mcrisk.study.folderrun.read_run`).
    path
        The file to write (``deck.pptx``); written to a temporary name beside it, then renamed,
        so a failure leaves no half-written deck.
    template
        A ``.pptx`` whose slide size, theme and layouts are used (its own slides are dropped);
        default a plain 13.333 x 7.5 inch (16:9) deck.
    folder
        The output folder whose ``scenarios.csv`` and ``voi.csv`` get table slides; default
        ``run.out``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    SpecError
        If ``template`` is missing or is not a PowerPoint file.
    """
    path = Path(path)
    d = Deck(template)
    _title_slide(d, run)
    _headline_slide(d, run)
    distribution_slide(d, run)
    tornado_slide(d, run)
    sensitivity_slide(d, run)
    month_slides(d, run)  # a model over months: indices by month, the cash fan, when the loss happens
    sweep_slides(d, run)
    solve_slide(d, run)
    voi_slides(d, run)
    curve_slides(d, run)
    _assumptions_slides(d, run)
    _extra_slides(d, Path(folder) if folder is not None else run.out, run_labels(run))
    _sources_slides(d, run)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        d.prs.save(str(tmp))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
