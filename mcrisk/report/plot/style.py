"""The deck style: palette, sizes, the rc style, figures, titles, notes, axis labels and saving.

16:9 at 10 x 5.625 inches (2000 x 1125 px at 200 dpi), fonts legible when the figure fills a
slide, the Okabe-Ito colour-blind-safe palette (loss in vermillion, profit in blue), a title
that states the finding, axis labels with units and k/M/B tick labels (:mod:`mcrisk.core.text`).
Figures are :class:`matplotlib.figure.Figure` objects, never pyplot's, so no global state.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import xarray as xr

from mcrisk.core.errors import SpecError
from mcrisk.core.text import MINUS, si_number
from mcrisk.core.text import words as text_words

# Matplotlib is imported inside the functions that draw: it is a heavy optional import for the
# rest of mcrisk, which must import (and run studies without figures) without paying for it.

__all__ = ["FIGSIZE", "FORMATS", "GAIN", "GREY", "LOSS", "PALETTE", "QUANTILE_HIGH", "QUANTILE_LOW", "add_note", "axis_formatter", "deck_axes",
           "deck_figure", "deck_style", "is_deck_figure", "label_of", "save_figure", "set_title",
           "share_formatter", "title_of"]

#: Okabe & Ito (2008), "Color Universal Design": distinguishable under every common colour-vision
#: deficiency.
PALETTE: dict[str, str] = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
#: Colours of losses, of profits, and of notes.
LOSS, GAIN, GREY = PALETTE["vermillion"], PALETTE["blue"], "#555555"
#: An input at its low quantile (P10) and at its high quantile (P90): the tornado's two bars, in
#: the figures, the deck and the workbook alike.
QUANTILE_LOW, QUANTILE_HIGH = PALETTE["blue"], PALETTE["orange"]

#: Figure formats :func:`save_figure` writes: name -> savefig keyword arguments.
FORMATS: dict[str, dict[str, Any]] = {
    # zlib level 1: a quarter faster to write than the default 6, for files about 20% larger
    "png": {"dpi": 200, "metadata": {"Software": None}, "pil_kwargs": {"compress_level": 1}},
    "svg": {"metadata": {"Date": None}},
    "pdf": {"metadata": {"CreationDate": None}},
}
_MIN_PNG_WIDTH = 1600
#: Figure size in inches: 16:9, 2000 x 1125 px at 200 dpi.
FIGSIZE = (10.0, 5.625)
_RC = {
    "font.size": 14, "axes.titlesize": 17, "axes.titleweight": "bold", "axes.titlelocation": "left",
    "axes.labelsize": 15, "xtick.labelsize": 13, "ytick.labelsize": 13, "legend.fontsize": 13,
    "legend.frameon": False, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": False, "svg.hashsalt": "mcrisk", "svg.fonttype": "path",
    "figure.facecolor": "white", "axes.facecolor": "white",
}
_TITLE_MIN_SIZE = 13.0                  # the tick label size: smaller would not read on a slide
#: CJK faces a chart falls back to, glyph by glyph, for Chinese names and sources (the first
#: installed is used; Debian: ``apt-get install fonts-noto-cjk``, or the smaller ``fonts-wqy-zenhei``).
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
             "WenQuanYi Micro Hei", "Droid Sans Fallback", "Microsoft YaHei", "PingFang SC", "SimHei")


@functools.cache
def _cjk_installed() -> tuple[str, ...]:
    """The :data:`CJK_FONTS` matplotlib can use; a font installed after matplotlib built its
    font cache is found on the system and added (once per process)."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    if not any(f.name in CJK_FONTS for f in manager.ttflist):
        for path in font_manager.findSystemFonts():
            if any(k in Path(path).name.lower() for k in ("cjk", "wqy", "sourcehan", "droidsansfallback")):
                with contextlib.suppress(Exception):  # a font file FreeType cannot read is not ours to fix
                    manager.addfont(path)
    names = {f.name for f in manager.ttflist}
    found = tuple(name for name in CJK_FONTS if name in names)
    if found:  # a CJK face with one weight (WenQuanYi: 500) is used for every weight: not news
        logging.getLogger("matplotlib.font_manager").addFilter(
            lambda record: "Failed to find font weight" not in record.getMessage())
    return found


def _font_rc() -> dict[str, Any]:
    """DejaVu Sans, then the CJK faces installed (naming a missing face would log a warning)."""
    cjk = _cjk_installed()
    return {"font.family": ["DejaVu Sans", *cjk]} if cjk else {}  # a list of faces: glyph-by-glyph fallback


# --- figures --------------------------------------------------------------------------------------

@contextmanager
def deck_style() -> Iterator[None]:
    """Matplotlib's rc settings of the deck style, for drawing and saving inside the block.

    Yields
    ------
    None
        Inside the block the deck's fonts, sizes, colours and spines are matplotlib's defaults.
    """
    import matplotlib

    with matplotlib.rc_context({**_RC, **_font_rc()}):
        yield


def deck_figure(figsize: tuple[float, float] = FIGSIZE) -> Any:
    """A new figure with constrained layout, marked as mcrisk's own (see :func:`is_deck_figure`).

    No pyplot, so no global state: the figure is rendered by Agg when saved.

    Parameters
    ----------
    figsize
        Width and height, in inches (default :data:`FIGSIZE`, 16:9).

    Returns
    -------
    matplotlib.figure.Figure
        The new, empty figure.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    fig._mcrisk_owned = True
    return fig


def is_deck_figure(fig: Any) -> bool:
    """Whether mcrisk made ``fig`` (so its title and legend may span the whole figure).

    Parameters
    ----------
    fig
        A matplotlib figure.

    Returns
    -------
    bool
        True for a figure from :func:`deck_figure`.
    """
    return getattr(fig, "_mcrisk_owned", False)


def deck_axes(ax: Any, figsize: tuple[float, float] = FIGSIZE) -> Any:
    """``ax`` itself, or the axes of a new :func:`deck_figure` when ``ax`` is None.

    A user's axes alone on a figure without a layout engine (``plt.subplots(figsize=(8, 4.5))``)
    get the figure constrained layout, so long input names and tick labels are not cut at its
    edge; a figure with a layout engine, or several axes, is left as the user set it.

    Parameters
    ----------
    ax
        A matplotlib Axes to draw on, or ``None``.
    figsize
        Size of the new figure (when ``ax`` is None): width and height, in inches (default :data:`FIGSIZE`, 16:9).

    Returns
    -------
    matplotlib.axes.Axes
        The axes to draw on.
    """
    if ax is None:
        return deck_figure(figsize).add_subplot()
    fig = ax.figure
    if fig.get_layout_engine() is None and len(fig.axes) == 1:
        fig.set_layout_engine("constrained")
    return ax


# --- words on the chart ---------------------------------------------------------------------------

def set_title(ax: Any, title: str | None, default: str = "") -> None:
    """The finding as the title: across the whole figure, left-aligned, when mcrisk made the
    figure (so a long title is not pushed right by long tick labels); else above ``ax``.

    ``title`` replaces ``default``, whose first letter is capitalised. A title that does not fit
    on one line is set smaller, down to the tick label size, and wrapped only when it still
    does not fit.

    Parameters
    ----------
    ax
        The chart's Axes.
    title
        The title; ``None`` or ``""`` uses ``default``.
    default
        The chart's own title (its finding), first letter capitalised when used.

    Returns
    -------
    None
    """
    text = title or default[:1].upper() + default[1:]
    fig = ax.figure
    if not is_deck_figure(fig):
        ax.set_title(text, loc="left")
        return
    x0 = 0.012
    size = float(_RC["axes.titlesize"])
    t = fig.suptitle(text, x=x0, ha="left", fontsize=size, fontweight="bold")
    room = fig.bbox.width * (1 - 2 * x0)
    while t.get_window_extent().width > room and size > _TITLE_MIN_SIZE:
        size = max(size - 0.5, _TITLE_MIN_SIZE)
        t.set_fontsize(size)
    chars = len(text)
    while t.get_window_extent().width > room and chars > 20:
        chars -= 4
        t.set_text(textwrap.fill(text, chars))


def title_of(ax: Any) -> str:
    """The title :func:`plot_distribution` and friends gave the chart drawn on ``ax``.

    Parameters
    ----------
    ax
        The chart's Axes.

    Returns
    -------
    str
        The figure's title on one line (line breaks as spaces) for a :func:`deck_figure`, else
        the left title of ``ax``.
    """
    fig = ax.figure
    if is_deck_figure(fig) and fig.get_suptitle():
        return fig.get_suptitle().replace("\n", " ")
    return ax.get_title(loc="left")


def add_note(ax: Any, lines: Sequence[str]) -> None:
    """Small grey notes above the top right corner of ``ax``, outside the data; empty lines are
    left out, and nothing is drawn when none is left.

    Parameters
    ----------
    ax
        The chart's Axes.
    lines
        The notes, joined by ``"; "`` into one line of text.

    Returns
    -------
    None
    """
    lines = [s for s in lines if s]
    if lines:
        ax.text(1.0, 1.01, "; ".join(lines), transform=ax.transAxes, ha="right", va="bottom", fontsize=11,
                color=GREY, gid="note")


def label_of(var: xr.DataArray | None, name: str, unit: str | None = None, *,
             labels: Mapping[str, str] | None = None) -> str:
    """An axis label with the unit: ``profit_per_day`` in USD/month -> ``'Profit (USD/month)'``.

    ``_per_day`` is dropped from the name because the unit states the period; the unit is
    ``unit``, else ``var.attrs["units"]``; a share (unit ``"1"``) reads ``(%)``.

    Parameters
    ----------
    var
        The variable, for its ``units`` attr; ``None`` when ``unit`` is given or there is none.
    name
        The variable's name.
    unit
        The unit; ``None`` takes ``var``'s.
    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`); None: the name in words.

    Returns
    -------
    str
        The name as words, first letter capitalised, with ``(unit)`` when there is a unit.
    """
    unit = unit if unit is not None else (var.attrs.get("units", "") if var is not None else "")
    words = text_words(name.removesuffix("_per_day"), labels)
    words = words[:1].upper() + words[1:]
    if unit == "1":
        return f"{words} (%)"
    return f"{words} ({unit})" if unit else words


def share_formatter() -> Any:
    """Tick labels of shares as percentages without trailing zeros: 0.04 -> '4%', 0.025 -> '2.5%'.

    Returns
    -------
    matplotlib.ticker.FuncFormatter
    """
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{round(v * 100, 6):g}%".replace("-", MINUS))


def axis_formatter(unit: str) -> Any:
    """Tick labels: percentages for shares, else k/M/B with as many digits as keep ticks distinct.

    Parameters
    ----------
    unit
        The axis's unit: ``"1"`` for a share in [0, 1], anything else for
        :func:`~mcrisk.core.text.si_number` labels (3 to 9 significant digits).

    Returns
    -------
    matplotlib.ticker.Formatter
        A ``PercentFormatter`` for a share, else a formatter of k/M/B/T labels.
    """
    from matplotlib.ticker import Formatter, PercentFormatter

    if unit == "1":
        return PercentFormatter(xmax=1.0, decimals=None)

    class _SIFormatter(Formatter):
        # Three significant digits, more when neighbouring ticks would read the same
        # (a nearly constant output spans -222.4M ... -221.6M).
        digits = 3

        def set_locs(self, locs):
            super().set_locs(locs)
            vals = [v for v in locs if math.isfinite(v)]
            for d in range(3, 10):
                if len({si_number(v, digits=d) for v in vals}) == len(vals):
                    break
            self.digits = d

        def __call__(self, x, pos=None):
            return si_number(x, digits=self.digits)

    return _SIFormatter()


# --- saving ---------------------------------------------------------------------------------------

def save_figure(fig: Any, path_stem: str | Path, formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Write ``fig`` as ``<path_stem>.<format>`` for each format.

    PNG is written at 200 dpi and at least 1600 px wide (the dpi is raised for a narrow
    figure); SVG and PDF are vector. Metadata dates are left out so reruns give the same bytes.

    Parameters
    ----------
    fig
        A matplotlib Figure (``ax.figure``).
    path_stem
        Path without the extension; its folder is created.
    formats
        Any of ``png``, ``svg``, ``pdf``.

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.

    Raises
    ------
    SpecError
        For a format not in :data:`FORMATS`.
    """
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    for f in formats:
        if f not in FORMATS:
            raise SpecError(f"formats: {f!r} is not a figure format; allowed: {', '.join(FORMATS)}")
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    with deck_style():
        for f in formats:
            kw = dict(FORMATS[f])
            if f == "png":
                kw["dpi"] = max(kw["dpi"], math.ceil(_MIN_PNG_WIDTH / fig.get_figwidth()))
            path = stem.with_name(f"{stem.name}.{f}")
            fig.savefig(path, format=f, **kw)
            paths.append(path)
            # The layout is settled by the first save: keep it for the other formats rather than
            # solving it again (half the cost of an SVG), so every format shows the same layout.
            fig.set_layout_engine("none")
    return paths
