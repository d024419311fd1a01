"""The value-of-information slides of ``deck.pptx``: what a study is worth, where knowledge is worth most.

:func:`voi_slides` draws, as native XY charts, each ``[[value_of_information.studies]]``'s ENBS
and gross value (``periods`` x EVSI) against its size, the best size labelled, and a
``[value_of_information]`` lever's EVPI and EVPPI against the lever's values. The numbers are
the slides' tables too (``evsi.csv`` and ``voi_lever.csv``, :data:`mcrisk.report.deck.EXTRA_TABLES`).
Nothing is added when the run has neither.

python-pptx is imported inside the functions that use it.
"""

from __future__ import annotations

import numpy as np

from mcrisk.core.labels import label_of, shown_unit
from mcrisk.core.text import format_value
from mcrisk.report.deck_charts import xy_chart
from mcrisk.report.deck_layout import GREY, Deck, textbox
from mcrisk.report.palette import GAIN, LOSS, PALETTE

__all__ = ["voi_slides"]


def _evsi_slide(d: Deck, run, ds, name: str) -> None:
    from pptx.enum.chart import XL_LABEL_POSITION
    from pptx.util import Inches, Pt

    from mcrisk.analyze.evsi import METHOD, evsi_sentence

    study = run.study
    part = ds.isel(row=np.flatnonzero(ds.study.values == name))
    first = part.isel(row=0)
    inp, periods = str(first.input.values), float(first.periods)
    labels = {inp: label_of(inp, model=study.model, priors=study.priors)}
    sentence = evsi_sentence(ds, name, {k: v[:1].lower() + v[1:] for k, v in labels.items()})
    slide, top = d.slide(sentence[:1].upper() + sentence[1:])
    left, top, width, height = d.body(top)
    note_h = int(Inches(0.9))
    money, units = ds.attrs["enbs_units"], ds.attrs["units"]
    n = part.n.values.astype(float)
    gross = periods * part.evsi.values
    chart = xy_chart(slide, (left, top, width, height - note_h),
                      [("ENBS", n, part.enbs.values, GAIN),
                       (f"EVSI × {periods:g} periods", n, gross, PALETTE["orange"])],
                      money, f"study size n (observations of {labels[inp][:1].lower() + labels[inp][1:]})",
                      shown_unit(money) or money)
    if bool(part.best.any()):
        i = int(np.flatnonzero(part.best.values)[0])
        dl = chart.plots[0].series[0].points[i].data_label
        dl.has_text_frame = True
        dl.text_frame.text = f"best n = {int(n[i]):,}"
        dl.position = XL_LABEL_POSITION.ABOVE
        dl.font.size, dl.font.bold = Pt(12), True
    note = (f"ENBS = {periods:g} × EVSI − {format_value(float(first.cost_fixed), money)} − "
            f"{format_value(float(first.cost_per_observation), money)} × n; "
            f"EVSI per period ({units}) ± SE in evsi.csv. "
            f"Method: {METHOD}.")
    textbox(slide, note, left, top + height - note_h, width, note_h, max_pt=14, min_pt=9, color=GREY)


def _lever_slide(d: Deck, run, ds) -> None:
    from pptx.util import Inches

    from mcrisk.analyze.voi_lever import lever_sentence

    study = run.study
    lever, lunit, units = ds.attrs["lever"], ds.attrs["lever_units"], ds.attrs["units"]
    lab = lambda k: label_of(k, model=study.model, priors=study.priors)
    slide, top = d.slide(lever_sentence(ds, {lever: lab(lever)[:1].lower() + lab(lever)[1:]}))
    left, top, width, height = d.body(top)
    note_h = int(Inches(0.7))
    colours = [PALETTE[k] for k in ("blue", "orange", "green", "purple", "sky")]
    v = ds.lever_value.values.astype(float)
    series = [("EVPI" if k == "all" else "EVPPI " + " + ".join(lab(x) for x in str(k).split("+")), v,
               ds.evppi.values[:, j], LOSS if k == "all" else colours[j % len(colours)])
              for j, k in enumerate(ds.inputs.values)]
    xy_chart(slide, (left, top, width, height - note_h), series, units,
              f"{lab(lever)} ({shown_unit(lunit)})" if lunit else lab(lever),
              f"value of information ({shown_unit(units)})")
    note = (f"Each value of {lab(lever)[:1].lower() + lab(lever)[1:]} on the same {int(ds.attrs['samples']):,} samples "
            "of the other inputs (common random numbers); standard errors in voi_lever.csv.")
    textbox(slide, note, left, top + height - note_h, width, note_h, max_pt=14, min_pt=10, color=GREY)


def voi_slides(d: Deck, run) -> None:
    """One slide per EVSI study and one for the lever, when the run has them.

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
    if (ds := run.tables.get("evsi")) is not None:
        for name in dict.fromkeys(map(str, ds.study.values)):
            _evsi_slide(d, run, ds, name)
    if (ds := run.tables.get("voi_lever")) is not None:
        _lever_slide(d, run, ds)
