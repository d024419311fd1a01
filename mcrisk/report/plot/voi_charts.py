"""Charts of what a study is worth and where knowledge is worth most: EVSI and ENBS against the
study's size, EVPI and EVPPI against a lever."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from mcrisk.core.errors import SpecError
from mcrisk.core.text import Labels, format_value, words
from mcrisk.report.plot.style import (
    GAIN,
    GREY,
    LOSS,
    PALETTE,
    axis_formatter,
    deck_axes,
    deck_style,
    set_title,
)

# Matplotlib is imported by deck_axes when a figure is made, never here.

__all__ = ["plot_evsi", "plot_voi_lever"]


def plot_evsi(ds: xr.Dataset, *, study: str | None = None, ax=None, title: str | None = None,
              labels: Labels | None = None) -> Any:
    """ENBS (net of the study's cost) and EVSI with ±2 SE against the study's size, the best size marked.

    Parameters
    ----------
    ds
        From :func:`mcrisk.analyze.evsi.evsi`.
    study
        The study drawn (default: the first).
    ax
        None: a new 16:9 figure; else the Axes for ENBS (EVSI goes on a twin y axis).
    title
        Replaces the default title (the study's best size in words).
    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the input.

    Returns
    -------
    matplotlib.axes.Axes
        The ENBS axes (``ax.figure.axes`` holds the EVSI axis).
    """
    from mcrisk.analyze.evsi import evsi_sentence

    names = list(dict.fromkeys(map(str, ds.study.values)))
    study = names[0] if study is None else study
    if study not in names:
        raise SpecError(f"study = {study!r} is not a study of the table; studies: {', '.join(names)}")
    part = ds.isel(row=np.flatnonzero(ds.study.values == study))
    n = part.n.values.astype(float)
    units, money = ds.attrs["units"], ds.attrs["enbs_units"]
    with deck_style():
        ax = deck_axes(ax)
        ax.plot(n, part.enbs.values, color=GAIN, linewidth=2.2, marker="o", markersize=5, gid="enbs",
                label=f"ENBS ({money})")
        ax.axhline(0, color=GREY, linewidth=0.8)
        ax2 = ax.twinx()
        ax2.spines["right"].set_visible(True)
        e, se = part.evsi.values, part.se.values
        ax2.fill_between(n, e - 2 * se, e + 2 * se, color=PALETTE["orange"], alpha=0.2, linewidth=0,
                         label="EVSI ±2 SE")
        ax2.plot(n, e, color=PALETTE["orange"], linewidth=1.8, linestyle=(0, (5, 2)), gid="evsi",
                 label=f"EVSI ({units})")
        ax2.set_ylim(0, max(float((e + 2 * se).max()), 1e-300) * 1.25)
        ax2.yaxis.set_major_formatter(axis_formatter(units))
        ax2.set_ylabel(f"EVSI ({units})", color=PALETTE["orange"])
        if bool(part.best.any()):
            i = int(np.flatnonzero(part.best.values)[0])
            ax.plot([n[i]], [float(part.enbs[i])], marker="*", markersize=18, color=LOSS, linestyle="none",
                    gid="best_n", label=f"best n = {int(n[i]):,}", zorder=5)
        if n.max() / n.min() >= 8:
            from matplotlib.ticker import FuncFormatter, NullFormatter

            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}" if x >= 1 else f"{x:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_major_formatter(axis_formatter(money))
        ax.set_xlabel(f"study size n (observations of {words(str(part.input.values[0]), labels)})")
        ax.set_ylabel(f"ENBS ({money})")
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi + 0.2 * (hi - lo))  # room for the legend row
        handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
        ax.legend(handles, [h.get_label() for h in handles], loc="upper center", ncol=4, frameon=False, fontsize=10)
        sentence = evsi_sentence(ds, study, labels)
        set_title(ax, title, sentence[:1].upper() + sentence[1:])
    return ax


def plot_voi_lever(ds: xr.Dataset, *, ax=None, title: str | None = None, labels: Labels | None = None) -> Any:
    """EVPI, and the EVPPI of each named input, against the lever, with ±2 SE bands.

    Parameters
    ----------
    ds
        From :func:`mcrisk.analyze.voi_lever.evppi_lever`.
    ax
        Axes to draw on; a new deck figure when None.
    title
        Replaces the default title (where knowledge is worth most).
    labels
        Name -> plain label for the lever and the inputs.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from mcrisk.analyze.voi_lever import lever_sentence

    v = ds.lever_value.values.astype(float)
    units, lever, lunit = ds.attrs["units"], ds.attrs["lever"], ds.attrs["lever_units"]
    colours = [PALETTE[k] for k in ("blue", "orange", "green", "purple", "sky")]
    with deck_style():
        ax = deck_axes(ax)
        for j, k in enumerate(str(x) for x in ds.inputs.values):
            e, se = ds.evppi.values[:, j], ds.se.values[:, j]
            label = "EVPI (knowing everything)" if k == "all" else "EVPPI: " + " + ".join(words(x, labels)
                                                                                          for x in k.split("+"))
            colour = LOSS if k == "all" else colours[j % len(colours)]
            ax.fill_between(v, e - 2 * se, e + 2 * se, color=colour, alpha=0.15, linewidth=0)
            ax.plot(v, e, color=colour, linewidth=2.4 if k == "all" else 1.8, marker="o", markersize=4,
                    linestyle="-" if k == "all" else (0, (5, 2)), label=label, gid=f"lever_{k}")
        evpi = ds.evppi.sel(inputs="all").values
        i = int(np.argmax(evpi))
        ax.axvline(v[i], color=GREY, linewidth=1.2, linestyle=(0, (2, 2)), gid="lever_peak")
        ax.annotate(f"most at {format_value(float(v[i]), lunit)}", (v[i], 0.0), xycoords=("data", "axes fraction"),
                    xytext=(4, 6), textcoords="offset points", color=GREY, fontsize=11)
        ax.yaxis.set_major_formatter(axis_formatter(units))
        ax.xaxis.set_major_formatter(axis_formatter(lunit))
        ax.set_xlabel(f"{words(lever, labels)} ({lunit})" if lunit else words(lever, labels))
        ax.set_ylabel(f"value of information ({units})")
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper right", frameon=False, fontsize=10)
        set_title(ax, title, lever_sentence(ds, labels))
    return ax
