"""The tornado chart: one-at-a-time swings of the output around its base case, largest on top."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import xarray as xr

from mcrisk.core.statistics import per_period
from mcrisk.core.text import Labels, format_value, index_text, words
from mcrisk.report.plot.data import CHART_MAX, interval, select_output
from mcrisk.report.plot.style import (FIGSIZE, GREY, LOSS, PALETTE, QUANTILE_HIGH, QUANTILE_LOW, add_note, axis_formatter, deck_axes, deck_style,
                    is_deck_figure, label_of, set_title)

# Matplotlib is imported inside plot_tornado (Patch): it is a heavy optional import for the
# rest of mcrisk.

__all__ = ["plot_tornado"]


def plot_tornado(tab: xr.Dataset, *, sensitivity: xr.Dataset | None = None, ax=None, top: int | None = None,
                 title: str | None = None, labels: Labels | None = None,
                 period_days: float | None = None) -> Any:
    """One-at-a-time swing bars around the base output, largest on top.

    Parameters
    ----------
    tab
        From :func:`mcrisk.analyze.tornado.tornado` (sorted largest swing first).
    sensitivity
        Optional sensitivity Dataset with ``ST`` (and ``ST_conf``): the total-order index and
        its 95% interval are written beside each bar.
    ax
        Axes to draw on; a new 16:9 figure when None.
    top
        Show only the ``top`` largest swings.
    title
        Replaces the default, which names the input with the largest swing.

    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the variables in the title and
        axes; None: names in words. The chart depends on its arguments only.
    period_days
        Money per day is drawn per this period (30: per month, :func:`mcrisk.core.statistics.per_period`);
        None: as ``tab`` holds it (a report's results are already stated per period).
    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    For input ``i`` at its low and high quantiles with every other input at its base value,
    the bar spans ``output_low[i]`` to ``output_high[i]``; the swing is their distance. Each
    end is labelled with the input value that produces it. Blue ends come from the input's
    low quantile, orange ends from its high quantile.
    """
    tab = per_period(tab, period_days)
    base = float(tab.attrs["base_output"])
    unit = tab.attrs.get("units", "")
    ends = np.c_[tab.output_low.values, tab.output_high.values].astype(float)
    drawable = np.isfinite(ends).all(axis=1) & (np.abs(ends).max(axis=1, initial=0) <= CHART_MAX)
    left_out = [f"{n} ({format_value(float(a), unit, with_unit=False)} to {format_value(float(b), unit, with_unit=False)})"
                for n, (a, b), ok in zip(tab.input.values, ends, drawable, strict=True) if not ok]
    tab = tab.isel(input=np.flatnonzero(drawable))
    tab = tab.isel(input=slice(0, top)) if top else tab
    names = [str(v) for v in tab.input.values]
    k = len(names)
    out = tab.attrs.get("output", "output")
    in_units = [str(u) for u in tab["input_units"].values] if "input_units" in tab.coords else [""] * k
    st = _st_of(sensitivity, out, names)
    with deck_style():
        ax = deck_axes(ax, figsize=(FIGSIZE[0], max(FIGSIZE[1], 1.6 + 0.75 * k)) if k > 6 else FIGSIZE)
        if not (math.isfinite(base) and abs(base) <= CHART_MAX):
            set_title(ax, None, f"No tornado: {words(out.removesuffix('_per_day'), labels)} at the base case is "
                                f"{format_value(base, unit, with_unit=False)}")
            ax.set_axis_off()
            return ax
        if k == 0:
            set_title(ax, None, "No uncertain inputs: nothing swings" if not left_out else
                   f"No tornado: every swing of {words(out.removesuffix('_per_day'), labels)} reaches a value no chart can show")
            ax.set_axis_off()
            return ax
        y = np.arange(k)
        lo = np.asarray(tab.output_low.values, dtype=float)
        hi = np.asarray(tab.output_high.values, dtype=float)
        height = 0.62
        low_bars = ax.barh(y, lo - base, left=base, height=height, color=QUANTILE_LOW,
                           label="input at low quantile", gid="tornado_low")
        ax.barh(y, hi - base, left=base, height=height, color=QUANTILE_HIGH,
                label="input at high quantile", gid="tornado_high")
        for i in np.flatnonzero((lo - base) * (hi - base) > 0):      # both ends on one side: the
            if abs(lo[i] - base) < abs(hi[i] - base):                  # shorter bar in front
                low_bars[i].set_zorder(1.5)
        band = -0.5 - 0.4                           # a strip above the top bar for the base label
        foot = k - 0.5 + 0.5                        # and one below the last bar for "break-even"
        ax.vlines(base, k - 0.5, -0.5 - 0.12, color=PALETTE["black"], linewidth=1.2)
        left_edge, right_edge = _x_limits(ax, tab, lo, hi, base, in_units)
        ax.set_xlim(left_edge, right_edge)
        ax.set_ylim(foot, band)                     # inverted: largest swing on top
        ax.text(base, band + 0.06, f"base {format_value(base, unit, with_unit=False)}", ha="center", va="top",
                fontsize=12, gid="base_label", bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})
        if left_edge < 0 < right_edge and base != 0:
            # Below the bars, so it can never cover the base label however close 0 is to the base.
            ax.vlines(0, foot, -0.5, color=LOSS, linewidth=1.5, linestyle=(0, (4, 3)))
            ax.annotate("break-even", xy=(0, foot), xytext=(0, 5), textcoords="offset points", color=LOSS,
                        fontsize=12, ha="center", va="bottom", gid="break_even_label",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})
        _end_labels(ax, tab, lo, hi, base, in_units)
        ax.set_yticks(y, [words(n, labels) for n in names])
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        if st:
            _st_labels(ax, st, names, band)
        ax.xaxis.set_major_formatter(axis_formatter(unit))
        ax.set_xlabel(label_of(None, out, unit, labels=labels))
        _legend(ax, tab)
        swing0 = float(tab.swing.values[0])
        moved = words(out.removesuffix("_per_day"), labels)
        default = (f"{words(names[0], labels)} moves {moved} most one input at a time: swing "
                   f"{format_value(swing0, unit)}")
        if st and names[0] in st:
            default += f", ST = {st[names[0]][0]:.2f}"
        set_title(ax, title, default)
        add_note(ax, [f"not drawn, output not chartable: {', '.join(left_out)}" if left_out else "",
                      "base: every input at its base value (else its median), not the output's mean or median"])
    return ax


def _st_of(sensitivity: xr.Dataset | None, out: str, names: list[str]) -> dict[str, tuple] | None:
    """Each drawn input's total-order index and its interval's upper end, of this output only."""
    if sensitivity is None or "ST" not in sensitivity:
        return None
    s = select_output(sensitivity, out)  # never another output's indices beside these bars
    have = [str(v) for v in s.input.values]
    ci = interval(s, "ST")
    return {n: (float(s.ST.values[have.index(n)]), float(ci[1][have.index(n)]) if ci is not None else None)
            for n in names if n in have}


def _x_limits(ax, tab: xr.Dataset, lo: np.ndarray, hi: np.ndarray, base: float,
              in_units: list[str]) -> tuple[float, float]:
    """The x range: the bars' span, plus room for the longest end label on each side.

    The room is a share of the axes width: about 0.6 em a character at 12 pt, on axes about
    0.6 of the figure wide.
    """
    k = len(lo)
    ends = np.r_[lo, hi, base]
    span = max(float(np.ptp(ends)), abs(base) * 0.1, 1e-12)
    texts = {side: [len(format_value(float(v), in_units[i])) for i in range(k)
                    for e, v in ((lo[i], tab.input_low.values[i]), (hi[i], tab.input_high.values[i]))
                    if (e >= base) == side] or [0] for side in (False, True)}
    axes_in = 0.6 * ax.figure.get_figwidth()
    frac = {side: min(0.3, (max(n) * 0.6 * 12 / 72 + 0.15) / axes_in) for side, n in texts.items()}
    data_frac = max(1 - frac[False] - frac[True], 0.3)
    return (float(ends.min()) - span * frac[False] / data_frac,
            float(ends.max()) + span * frac[True] / data_frac)


def _end_labels(ax, tab: xr.Dataset, lo: np.ndarray, hi: np.ndarray, base: float, in_units: list[str]) -> None:
    """Each bar end labelled with the input value that produces it."""
    for i in range(len(lo)):
        same_side = (lo[i] - base) * (hi[i] - base) > 0
        for end, other, val in ((lo[i], hi[i], float(tab.input_low.values[i])),
                                (hi[i], lo[i], float(tab.input_high.values[i]))):
            right = end >= base
            # Both ends on one side of the base: the nearer end's label goes inside the bar,
            # ending at that end, so it cannot run into the farther end's label.
            inside = same_side and abs(end - base) < abs(other - base)
            right ^= inside
            ax.annotate(format_value(val, in_units[i]), xy=(end, i), xytext=(6 if right else -6, 0),
                        textcoords="offset points", ha="left" if right else "right", va="center",
                        fontsize=12, gid="end_label",
                        bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})


def _st_labels(ax, st: dict[str, tuple], names: list[str], band: float) -> None:
    """The total-order index and its interval right of each bar, under a heading."""
    ax.annotate("ST \u00b1 95% CI", xy=(1.0, band + 0.06), xycoords=("axes fraction", "data"),
                xytext=(10, 0), textcoords="offset points", ha="left", va="top", fontsize=12, color=GREY)
    for i, n in enumerate(names):
        if n in st:
            v, c = st[n]
            ax.annotate(index_text(v, c, digits=2), xy=(1.0, i), xycoords=("axes fraction", "data"),
                        xytext=(10, 0), textcoords="offset points", ha="left", va="center", fontsize=13,
                        color=PALETTE["black"], fontweight="bold", gid="st_label")


def _legend(ax, tab: xr.Dataset) -> None:
    """Which colour is the input's low quantile and which its high, below the axes."""
    from matplotlib.patches import Patch

    qlo, qhi = (f"P{tab.attrs.get(q, d) * 100:g}" for q, d in (("low", 0.1), ("high", 0.9)))
    handles = [Patch(color=QUANTILE_LOW, label=f"input at its {qlo}"),
               Patch(color=QUANTILE_HIGH, label=f"input at its {qhi}")]
    if is_deck_figure(ax.figure):
        ax.figure.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=12)
    else:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, fontsize=12)
