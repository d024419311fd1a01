"""Text that fits its box: wrap and shrink by font metrics, for slides and tables.

PowerPoint does not shrink text itself when a file is written by a program (its "shrink on
overflow" runs only when a person edits the box), so :mod:`mcrisk.report.deck` chooses each font size
here: the largest size, from ``max_pt`` down to ``min_pt``, at which the text wrapped to the
box's width is no taller than the box; at ``min_pt`` a text still too tall is cut at a word with
an ellipsis.

Widths are measured with DejaVu Sans, which matplotlib ships (so every machine has it), and
which is wider than the Arial / Liberation Sans the deck names: text that fits in DejaVu fits
in the face shown. East Asian wide characters (Chinese sources) count one em each, which is
their width in every CJK font. Lines are ``LINE`` times the font size apart, as PowerPoint
sets single spacing.

Pure Python and Pillow (a matplotlib dependency); no heavy import.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

__all__ = ["LINE", "fit_text", "text_height", "text_width", "wrap"]

#: Line pitch as a multiple of the font size (PowerPoint's single spacing is about 1.2).
LINE = 1.2
_MEASURE_PT = 100  # the size fonts are loaded at; widths scale linearly with size
_TOKENS = re.compile(r"[\u1100-\u11ff\u2e80-\ua4cf\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"
                     r"|[^\s\u1100-\u11ff\u2e80-\ua4cf\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]+|\s+")


@functools.cache
def _font(bold: bool):
    # Pillow and matplotlib's font files: imported here, so a bare `import mcrisk.report.textfit` is cheap.
    from matplotlib import get_data_path
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(Path(get_data_path()) / "fonts" / "ttf" / name), _MEASURE_PT)


@functools.cache
def _char_em(ch: str, bold: bool) -> float:
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    return _font(bold).getlength(ch) / _MEASURE_PT


def text_width(text: str, size_pt: float, *, bold: bool = False) -> float:
    """The width of one line of ``text`` at ``size_pt``, in points.

    Parameters
    ----------
    text
        One line (no newline).
    size_pt
        Font size, pt.
    bold
        Measure the bold face.

    Returns
    -------
    float
        Width in points: the sum of the characters' advance widths (DejaVu Sans; wide East
        Asian characters 1 em).
    """
    return size_pt * sum(_char_em(c, bold) for c in text)


def wrap(text: str, width_pt: float, size_pt: float, *, bold: bool = False) -> list[str]:
    """Greedy word wrap of ``text`` to ``width_pt`` at ``size_pt``; newlines are kept.

    A word wider than the line is broken between characters; East Asian characters may break
    anywhere, as they do in PowerPoint.

    Parameters
    ----------
    text
        The text, possibly with newlines.
    width_pt
        The line width, pt.
    size_pt
        Font size, pt.
    bold
        Measure the bold face.

    Returns
    -------
    list of str
        The lines (at least one).
    """
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for tok in _TOKENS.findall(para):
            trial = line + tok
            if text_width(trial.rstrip(), size_pt, bold=bold) <= width_pt or not line.strip():
                line = trial
            elif tok.isspace():
                continue
            else:
                lines.append(line.rstrip())
                line = tok
            while text_width(line.rstrip(), size_pt, bold=bold) > width_pt and len(line.strip()) > 1:
                cut = len(line) - 1  # a word too long for any line: break it
                while cut > 1 and text_width(line[:cut], size_pt, bold=bold) > width_pt:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line.rstrip())
    return lines


def text_height(text: str, width_pt: float, size_pt: float, *, bold: bool = False) -> float:
    """The height ``text`` takes wrapped to ``width_pt`` at ``size_pt``: ``lines x LINE x size``, pt.

    Parameters
    ----------
    text, width_pt, size_pt, bold
        As for :func:`wrap`.

    Returns
    -------
    float
        Height in points.
    """
    return len(wrap(text, width_pt, size_pt, bold=bold)) * LINE * size_pt


def fit_text(text: str, width_pt: float, height_pt: float, *, max_pt: float = 28, min_pt: float = 9,
             bold: bool = False) -> tuple[str, float]:
    """The largest font size (in half points) at which ``text`` fits ``width_pt x height_pt``.

    Parameters
    ----------
    text
        The text.
    width_pt, height_pt
        The box's inner size (its margins taken off), pt.
    max_pt, min_pt
        The font sizes tried, largest first, pt.
    bold
        Measure the bold face.

    Returns
    -------
    tuple of (str, float)
        The text (cut at a word and ended with an ellipsis if it does not fit even at
        ``min_pt``) and the font size, pt.
    """
    size = float(max_pt)
    while size > min_pt:
        if text_height(text, width_pt, size, bold=bold) <= height_pt:
            return text, size
        size -= 0.5
    size = float(min_pt)
    while text and text_height(text, width_pt, size, bold=bold) > height_pt:
        words = text.rstrip("\u2026").rsplit(None, 1)
        text = (words[0] + "\u2026") if len(words) > 1 else text[: max(len(text) - 2, 0)] + "\u2026"
        if len(text) <= 1:
            break
    return text, size
