"""Where things go on a slide of ``deck.pptx``: the presentation, text boxes that fit, paged tables.

:class:`Deck` is the presentation being written (a plain 16:9 deck or a house template's size,
theme and layouts), its content slides with their titles, and the body area under a title.
:func:`fill_frame` and :func:`textbox` set a text at the largest size that fits its box by the
font metrics of :mod:`mcrisk.report.textfit`; :func:`table_slides` lays a table over as many slides as
it needs. The slides themselves are written by :mod:`mcrisk.report.deck` (the slide order, words and
tables) and :mod:`mcrisk.report.deck_charts` (the native charts).

python-pptx is imported inside the functions that use it: only a run asking for ``pptx`` or
``mcrisk deck`` pays for it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mcrisk.core.errors import SpecError
from mcrisk.report.palette import GREY as _GREY
from mcrisk.report.palette import hex6
from mcrisk.report.textfit import fit_text, text_height
from mcrisk.core.tomlfile import is_file

__all__ = ["FONT", "GREY", "Deck", "check_template", "fill_frame", "table_slides", "textbox"]

#: The face the deck names (Liberation Sans, its metric twin, where Arial is missing).
FONT = "Arial"
#: The grey of notes and captions (the figures' grey, mcrisk.report.plot.style).
GREY = hex6(_GREY)
_EMU_PER_PT = 12700
_MARGIN_LR, _MARGIN_TB = 0.08, 0.04  # text box inner margins, inches


# --- text that fits ---------------------------------------------------------------------------

def _pt(emu: int) -> float:
    return emu / _EMU_PER_PT


def fill_frame(tf, text: str, width: int, height: int, *, max_pt: float, min_pt: float = 10, bold: bool = False,
               color: str | None = None, align: Any = None) -> None:
    """Put ``text`` into text frame ``tf`` of a ``width x height`` (EMU) box at the largest size that fits.

    Parameters
    ----------
    tf
        A python-pptx text frame (of a text box, a placeholder or a title).
    text
        The text; each line is a paragraph.
    width, height
        The box's size in EMU; the inner margins are taken off before fitting.
    max_pt, min_pt
        The largest and smallest font size tried (points); text that does not fit at
        ``min_pt`` is cut by :func:`mcrisk.report.textfit.fit_text`.
    bold
        Bold type.
    color
        A hex colour such as ``"555555"``; default the theme's.
    align
        A ``PP_ALIGN`` value for every paragraph; default the frame's own.

    Returns
    -------
    None
    """
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


def textbox(slide, text: str, left: int, top: int, width: int, height: int, **kw: Any):
    """A text box on ``slide`` holding ``text`` at the largest size that fits.

    Parameters
    ----------
    slide
        A python-pptx slide.
    text
        The text; each line is a paragraph.
    left, top, width, height
        The box, in EMU.
    **kw
        Passed to :func:`fill_frame` (``max_pt``, ``min_pt``, ``bold``, ``color``, ``align``).

    Returns
    -------
    pptx.shapes.autoshape.Shape
        The text box.
    """
    box = slide.shapes.add_textbox(left, top, width, height)
    fill_frame(box.text_frame, text, width, height, **kw)
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


class Deck:
    """The presentation being written and where its slides put things.

    Parameters
    ----------
    template
        A ``.pptx`` whose slide size, theme and "Title Slide" / "Title Only" layouts are used
        (its own slides are dropped); None for a plain 13.333 x 7.5 inch (16:9) deck.
    """

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
        fill_frame(t.text_frame, title, int(t.width), int(t.height), max_pt=30, min_pt=16, bold=True)
        return s, int(t.top + t.height + Inches(0.1))

    def body(self, top: int) -> tuple[int, int, int, int]:
        return self.margin, top, self.W - 2 * self.margin, self.H - top - self.margin


# --- tables over slides -----------------------------------------------------------------------

def _table_height(rows: list[list[str]], widths: list[int], size: float, bold_first: bool) -> list[float]:
    """Each row's height in points at font ``size``."""
    from pptx.util import Inches

    inner = [_pt(w) - 2 * 72 * 0.06 for w in widths]
    del Inches
    return [max(text_height(c, inner[j], size, bold=bold_first and i == 0) for j, c in enumerate(r))
            + 2 * 72 * 0.03 for i, r in enumerate(rows)]


def table_slides(d: Deck, title: str, head: list[str], rows: list[list[str]], weights: Sequence[float],
                 note: str = "") -> None:
    """Table slides: as many rows per slide as fit at 10 pt or more, the rest on further slides.

    Parameters
    ----------
    d
        The deck the slides are added to.
    title
        The slides' title; ``"(k of n)"`` is added when the table continues.
    head
        The column headings, repeated on every slide.
    rows
        The cells, as text.
    weights
        The columns' relative widths.
    note
        A line under the table on every slide; default none.

    Returns
    -------
    None
    """
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
            textbox(slide, note, left, top + h, width, note_h, max_pt=12, min_pt=9, color=GREY)
