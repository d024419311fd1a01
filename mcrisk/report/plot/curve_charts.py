"""Charts of throughput as a speed choice: the throughput curve, and the cost frontier.

:func:`plot_throughput_curve` draws output tokens/s per GPU against interactivity (tokens/s per
user) on log-log axes, where the model's interpolation is the straight segments between the
points, with the study's interactivity range shaded. :func:`plot_cost_frontier` draws an
output (the cost per million output tokens) against interactivity per hardware: its median and
P5-P95 band at each speed (:func:`mcrisk.analyze.frontier.cost_frontier`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from mcrisk.core.text import Labels, format_value
from mcrisk.report.plot.style import GREY, PALETTE, axis_formatter, deck_axes, deck_style, label_of, set_title

__all__ = ["plot_cost_frontier", "plot_throughput_curve"]

#: Line colours, one per curve or hardware, in order.
_COLOURS = ("blue", "orange", "green", "vermillion", "purple", "sky", "black")


def _colour(i: int) -> str:
    return PALETTE.get(_COLOURS[i % len(_COLOURS)], PALETTE["blue"])


def _ticks(axis, values) -> None:
    """Ticks of a log axis at ``values``, labelled as plain numbers (no 10^k, no minor labels)."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    axis.set_major_locator(FixedLocator(values))
    axis.set_major_formatter(axis_formatter(""))
    axis.set_minor_locator(NullLocator())
    axis.set_minor_formatter(NullFormatter())


def plot_throughput_curve(curves: Mapping[str, Any], *, interactivity: tuple[float, float] | None = None,
                          ax=None, title: str | None = None) -> Any:
    """Output tokens/s per GPU against interactivity, log-log, with the study's speed range shaded.

    Parameters
    ----------
    curves
        Name -> points ``[[interactivity, tokens/s per GPU], ...]`` (the first is the study's).
    interactivity
        The smallest and largest interactivity the study draws (tokens/s per user), shaded; None: none.
    ax
        None: a new 16:9 figure; else the Axes to draw on.
    title
        The chart's title (default: the first curve's throughput across the shaded range).

    Returns
    -------
    matplotlib.axes.Axes
    """
    from mcrisk.models.curves import check_curve, curve_throughput

    with deck_style():
        ax = deck_axes(ax)
        for i, (name, pts) in enumerate(curves.items()):
            p = check_curve(pts)
            ax.plot(p[:, 0], p[:, 1], color=_colour(i), linewidth=2.2, marker="o", markersize=6, label=name,
                    gid=f"curve_{i}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("Interactivity (output tokens/s per user)")
        ax.set_ylabel("Output tokens/s per GPU")
        xs = np.unique(np.concatenate([check_curve(p)[:, 0] for p in curves.values()]))
        ys = np.unique(np.concatenate([check_curve(p)[:, 1] for p in curves.values()]))
        _ticks(ax.xaxis, xs)
        _ticks(ax.yaxis, ys)
        default = "Throughput per GPU falls as each user gets more speed"
        if interactivity is not None:
            lo, hi = (float(v) for v in interactivity)
            ax.axvspan(lo, hi, color=PALETTE["blue"], alpha=0.12, linewidth=0, label="the study's interactivity",
                       gid="study_range")
            first = check_curve(next(iter(curves.values())))
            t_lo, t_hi = (float(v) for v in curve_throughput(first, [lo, hi]))
            default = (f"Throughput {format_value(t_lo, '')} to {format_value(t_hi, 'tokens/s')} per GPU at "
                       f"{format_value(lo, '')} to {format_value(hi, 'tokens/s')} per user")
        ax.legend(loc="upper right", frameon=False, fontsize=10)
        set_title(ax, title, default)
    return ax


def plot_cost_frontier(frontier: xr.Dataset, *, ax=None, title: str | None = None,
                       labels: Labels | None = None) -> Any:
    """An output against interactivity per hardware: median line and P5-P95 band, log speed axis.

    Parameters
    ----------
    frontier
        From :func:`mcrisk.analyze.frontier.cost_frontier` (over ``hardware`` and
        ``interactivity``; frontiers of several studies concatenated along ``hardware``).
    ax
        None: a new 16:9 figure; else the Axes to draw on.
    title
        The chart's title (default: the first hardware's median at the slowest and fastest speed).
    labels
        Name -> plain label for the output in the axis label.

    Returns
    -------
    matplotlib.axes.Axes
    """
    output = str(frontier.attrs.get("output", "cost_per_million_output_tokens"))
    unit = str(frontier["p50"].attrs.get("units", ""))
    x = np.asarray(frontier["interactivity"].values, dtype=float)
    with deck_style():
        ax = deck_axes(ax)
        for i, hw in enumerate(frontier["hardware"].values):
            f = frontier.sel(hardware=hw)
            colour = _colour(i)
            ax.fill_between(x, f["p05"].values, f["p95"].values, color=colour, alpha=0.18, linewidth=0,
                            label=f"{hw}: P5-P95")
            ax.plot(x, f["p50"].values, color=colour, linewidth=2.2, marker="o", markersize=4,
                    label=f"{hw}: median", gid=f"frontier_{i}")
        ax.set_xscale("log")
        _ticks(ax.xaxis, x[::3] if len(x) > 7 else x)
        ax.yaxis.set_major_formatter(axis_formatter(unit))
        ax.set_xlabel("Interactivity (output tokens/s per user)")
        ax.set_ylabel(label_of(None, output, unit, labels=labels))
        ax.axhline(0, color=GREY, linewidth=0.8)
        ax.legend(loc="upper left", frameon=False, fontsize=10)
        first = frontier.isel(hardware=0)["p50"].values
        default = (f"Median {format_value(float(first[0]), '')} to {format_value(float(first[-1]), unit)} at "
                   f"{format_value(float(x[0]), '')} to {format_value(float(x[-1]), 'tokens/s')} per user")
        set_title(ax, title, default)
    return ax
