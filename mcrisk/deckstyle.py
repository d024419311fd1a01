"""The deck style: palette, sizes, number formats, titles that fit, labels that never collide.

Shared by :mod:`mcrisk.plot` (the charts) and :mod:`mcrisk.report` (the headline and tables):
16:9 at 10 x 5.625 inches (2000 x 1125 px at 200 dpi), fonts legible when the figure fills a
slide, the Okabe-Ito colour-blind-safe palette (loss in vermillion, profit in blue), k/M/B
numbers, shares as percentages and ratios as 1.23x. Matplotlib is imported inside the
functions, never when mcrisk is imported.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import xarray as xr

from .errors import SpecError

__all__ = ["FORMATS", "PALETTE", "format_value", "label_of", "loss_words", "percent_text", "save_figure",
           "si_number", "title_of"]

#: Okabe & Ito (2008), "Color Universal Design": distinguishable under every common colour-vision
#: deficiency.
PALETTE: dict[str, str] = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
_LOSS, _GAIN, _GREY = PALETTE["vermillion"], PALETTE["blue"], "#555555"

#: Figure formats :func:`save_figure` writes: name -> savefig keyword arguments.
FORMATS: dict[str, dict[str, Any]] = {
    # zlib level 1: a quarter faster to write than the default 6, for files about 20% larger
    "png": {"dpi": 200, "metadata": {"Software": None}, "pil_kwargs": {"compress_level": 1}},
    "svg": {"metadata": {"Date": None}},
    "pdf": {"metadata": {"CreationDate": None}},
}
_MIN_PNG_WIDTH = 1600
_FIGSIZE = (10.0, 5.625)                # 16:9; 2000 x 1125 px at 200 dpi
_RC = {
    "font.size": 14, "axes.titlesize": 17, "axes.titleweight": "bold", "axes.titlelocation": "left",
    "axes.labelsize": 15, "xtick.labelsize": 13, "ytick.labelsize": 13, "legend.fontsize": 13,
    "legend.frameon": False, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": False, "svg.hashsalt": "mcrisk", "svg.fonttype": "path",
    "figure.facecolor": "white", "axes.facecolor": "white",
}


# --- formatting -----------------------------------------------------------------------------------

_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def si_number(x: float, *, digits: int = 3) -> str:
    """``x`` with a k/M/B/T suffix and ``digits`` significant digits: ``2187923 -> '2.19M'``.

    Uses a true minus sign so negative tick labels read well on a slide.
    """
    if not math.isfinite(x):
        return str(x)
    a = abs(x)
    for scale, suffix in _SUFFIXES:
        if a >= scale * 0.9995:
            s = f"{x / scale:.{digits}g}{suffix}"
            break
    else:
        s = f"{x:.{digits}g}" if a >= 1e-3 or a == 0 else f"{x:.2e}"
    return s.replace("-", "\u2212")


def _is_share(unit: str) -> bool:
    return unit in ("1", "")


def format_value(x: float, unit: str, *, digits: int = 3, with_unit: bool = True) -> str:
    """A value for a label: shares as percentages, ratios as 1.23\u00d7, others k/M/B with their unit."""
    if unit == "\u00d7":
        return f"{si_number(x, digits=digits)}\u00d7"
    if unit == "1":
        return f"{x:.{max(digits - 2, 0) if abs(x) >= 0.1 else digits - 1}%}".replace("-", "\u2212")
    s = si_number(x, digits=digits)
    return f"{s} {unit}" if with_unit and unit else s


def label_of(var: xr.DataArray | None, name: str, unit: str | None = None) -> str:
    """An axis label with the unit: ``profit_per_day`` in USD/month -> ``'Profit (USD/month)'``.

    ``_per_day`` is dropped from the name because the unit states the period.
    """
    unit = unit if unit is not None else (var.attrs.get("units", "") if var is not None else "")
    words = name.removesuffix("_per_day").replace("_", " ")
    words = words[:1].upper() + words[1:]
    if unit == "1":
        return f"{words} (%)"
    return f"{words} ({unit})" if unit else words


def _name(name: str) -> str:
    return name.replace("_", " ")


def _share_formatter():
    """Shares as percentages without trailing zeros: 0.04 -> '4%', 0.025 -> '2.5%'."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{round(v * 100, 6):g}%".replace("-", "\u2212"))


def _axis_formatter(unit: str):
    """Tick labels: percentages for shares, else k/M/B with as many digits as keep ticks distinct."""
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


# --- figure handling ------------------------------------------------------------------------------

@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(_RC):
        yield


def _axes(ax, figsize: tuple[float, float] = _FIGSIZE):
    """``ax`` itself, or the axes of a new 16:9 figure (no pyplot, so no global state)."""
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    fig._mcrisk_owned = True
    return fig.add_subplot()


_TITLE_MIN_SIZE = 13.0                  # the tick label size: smaller would not read on a slide


def _title(ax, title: str | None, default: str = "") -> None:
    """The finding as the title: across the whole figure, left-aligned, when mcrisk made the
    figure (so a long title is not pushed right by long tick labels); else above ``ax``.

    A title that does not fit on one line is set smaller, down to the tick label size, and
    wrapped only when it still does not fit.
    """
    import textwrap

    text = title or default[:1].upper() + default[1:]
    fig = ax.figure
    if not getattr(fig, "_mcrisk_owned", False):
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


def title_of(ax) -> str:
    """The title :func:`plot_distribution` and friends gave the chart drawn on ``ax``."""
    fig = ax.figure
    if getattr(fig, "_mcrisk_owned", False) and fig.get_suptitle():
        return fig.get_suptitle().replace("\n", " ")
    return ax.get_title(loc="left")


def loss_words(name: str) -> tuple[str, str]:
    """What ``x < 0`` and ``x > 0`` are called for this output."""
    if any(k in name for k in ("profit", "margin")):
        return "loss", "profit"
    return f"{_name(name)} < 0", f"{_name(name)} > 0"


def percent_text(p: float) -> str:
    return f"{p:.1%}" if 0 < p < 0.1 else f"{p:.0%}" if p in (0.0, 1.0) else f"{p:.1%}"


def _share_text(p: float) -> str:
    return f"{p:.1%}" if p >= 0.001 else "<0.1%"


def _note(ax, lines: Sequence[str]) -> None:
    """Small grey notes above the top right corner of ``ax``, outside the data."""
    lines = [s for s in lines if s]
    if lines:
        ax.text(1.0, 1.01, "; ".join(lines), transform=ax.transAxes, ha="right", va="bottom", fontsize=11,
                color=_GREY, gid="note")


def _overlaps(bb, others, pad: float = 2.0) -> bool:
    return any(bb.x0 - pad < o.x1 and o.x0 - pad < bb.x1 and bb.y0 - pad < o.y1 and o.y0 - pad < bb.y1
               for o in others)


def _stagger(ax, labels, *, step: float, avoid=()) -> None:
    """Lift annotations (in x order) by ``step`` points until none overlaps another or ``avoid``.

    Labels that would stick out of the axes on the left or right are turned to start or end at
    their anchor instead of centring on it.
    """
    fig = ax.figure
    fig.draw_without_rendering()                 # constrained layout settles the axes first
    box = ax.get_window_extent()
    placed = [a.get_window_extent() for a in avoid]
    for ann in sorted(labels, key=lambda a: a.xy[0]):
        bb = ann.get_window_extent()
        if bb.x0 < box.x0:
            ann.set_ha("left")
            ann.xyann = (-3, ann.xyann[1])
        elif bb.x1 > box.x1:
            ann.set_ha("right")
            ann.xyann = (3, ann.xyann[1])
        base = ann.xyann[1]
        for level in range(8):
            ann.xyann = (ann.xyann[0], base + level * step)
            bb = ann.get_window_extent()
            if not _overlaps(bb, placed, pad=8.0):
                break
        placed.append(bb)


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
    with _style():
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
