"""Charts of an hourly model and of scale: the day hour by hour, and an output against volume.

:func:`plot_hourly` draws the day as DeepSeek's post does ("Cost And Theoretical Income" and
"H800 Node Count"): per hour, cost and revenue bars at their medians with P5-P95 whiskers, and
the nodes provisioned as a step line with its P5-P95 band on a second axis.
:func:`plot_by_scale` draws an output's median and P5-P95 band against the volume it was
evaluated at, with P(loss) at each point.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from mcrisk.core.statistics import CENTRAL_90, PERCENTILES
from mcrisk.core.text import Labels, format_value, percent_text, si_number, words
from mcrisk.report.plot.style import GAIN, GREY, LOSS, PALETTE, axis_formatter, deck_axes, deck_style, label_of, set_title

# Matplotlib is imported by deck_axes when a figure is made, never at import.

__all__ = ["plot_by_scale", "plot_hourly"]


def _bands(var: xr.DataArray) -> np.ndarray:
    """P5, P50 and P95 over ``sample`` of an hourly variable: shape (3, hours)."""
    x = np.asarray(var.transpose("sample", "hour").values, dtype=float)
    return np.nanquantile(x, [PERCENTILES[k] for k in CENTRAL_90], axis=0)


def plot_hourly(results: xr.Dataset, *, ax=None, title: str | None = None,
                labels: Labels | None = None) -> Any:
    """The day hour by hour: cost and revenue bars (median, P5-P95 whiskers) and nodes provisioned.

    Parameters
    ----------
    results
        Results of an hourly model: ``cost``, ``revenue`` (money per hour) and ``nodes``
        over (``sample``, ``hour``).
    ax
        Axes to draw on; a new 16:9 figure when None. The nodes go on a twin axis.
    title
        Replaces the default title (the day's median cost and revenue).

    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the variables in the title and
        axes; None: names in words. The chart depends on its arguments only.
    Returns
    -------
    matplotlib.axes.Axes
        The money axes (the nodes axes is ``ax.right_ax``).

    Notes
    -----
    Bars are the median over samples in each hour; whiskers and the shaded band are the P5 and
    P95 over samples in that hour (not a band of the day's total).
    """
    cost, revenue, nodes = (_bands(results[k]) for k in ("cost", "revenue", "nodes"))
    hours = np.asarray(results["hour"].values if "hour" in results.coords else np.arange(cost.shape[1]))
    unit = str(results["cost"].attrs.get("units", ""))
    with deck_style():
        ax = deck_axes(ax)
        w = 0.4
        for k, (band, colour, name) in enumerate(((cost, LOSS, "cost"), (revenue, GAIN, "revenue"))):
            x = hours - w / 2 + k * w
            ax.bar(x, band[1], width=w, color=colour, alpha=0.85, linewidth=0, label=f"{name} (median)",
                   gid=f"bars_{name}")
            ax.errorbar(x, band[1], yerr=[band[1] - band[0], band[2] - band[1]], fmt="none", ecolor=GREY,
                        elinewidth=1, capsize=2, gid=f"band_{name}")
        ax.set_xticks(hours)
        ax.set_xlim(hours.min() - 0.6, hours.max() + 0.6)
        ax.set_xlabel("Hour of the day (provider's clock)")
        ax.set_ylabel(label_of(results["cost"], "cost", unit, labels=labels).replace("Cost", "Money", 1))
        ax.yaxis.set_major_formatter(axis_formatter(unit))
        ax.set_ylim(0, max(float(np.nanmax(revenue[2])), float(np.nanmax(cost[2]))) * 1.25)
        right = ax.twinx()
        edges = np.append(hours, hours[-1] + 1) - 0.5
        right.stairs(nodes[1], edges, color=PALETTE["black"], linewidth=2, label="nodes (median)", gid="nodes")
        right.fill_between(edges, np.append(nodes[0], nodes[0][-1]), np.append(nodes[2], nodes[2][-1]),
                           step="post", color=PALETTE["sky"], alpha=0.3, linewidth=0, gid="band_nodes")
        right.set_ylim(0, float(np.nanmax(nodes[2])) * 1.25 or 1.0)
        right.set_ylabel("Nodes provisioned")
        right.spines["right"].set_visible(True)
        ax.right_ax = right
        handles = [h for a in (ax, right) for h in a.get_legend_handles_labels()[0]]
        ax.legend(handles=handles, loc="upper left", ncol=3, frameon=False, fontsize=11)
        day_cost, day_rev = float(cost[1].sum()), float(revenue[1].sum())
        money = unit.replace("/hour", "")
        set_title(ax, title, f"Hour by hour: median cost {format_value(day_cost, money)}, revenue "
                             f"{format_value(day_rev, money)} a day")
    return ax


def plot_by_scale(summary: xr.Dataset, outputs: Mapping[str, float], *, ax=None, xlabel: str = "Output tokens a day",
                  title: str | None = None, labels: Labels | None = None) -> Any:
    """An output against the volume it was evaluated at: median, P5-P95 band, P(loss) at each point.

    Parameters
    ----------
    summary
        A summary over ``output`` (from :func:`mcrisk.analyze.risk.summarize`) with ``p05``, ``p50``,
        ``p95`` and ``p_below_zero``.
    outputs
        Output name -> the volume it was evaluated at (e.g. ``{"margin_1b": 1e9, ...}``), drawn
        on a log axis in this order.
    ax
        Axes to draw on; a new 16:9 figure when None.
    xlabel
        The volume's label.
    title
        Replaces the default title (the smallest volume with P(loss) below 25%, if any).

    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the variables in the title and
        axes; None: names in words. The chart depends on its arguments only.
    Returns
    -------
    matplotlib.axes.Axes
    """
    names = list(outputs)
    x = np.array([outputs[k] for k in names], dtype=float)
    pick = summary.sel(output=names)
    p05, p50, p95, loss = (np.asarray(pick[k].values, dtype=float) for k in (*CENTRAL_90, "p_below_zero"))
    unit = str(pick["units"].values[0]) if "units" in pick.coords else ""
    what = words(names[0].rsplit("_", 1)[0], labels)
    with deck_style():
        ax = deck_axes(ax)
        ax.set_xscale("log")
        ax.fill_between(x, p05, p95, color=PALETTE["sky"], alpha=0.35, linewidth=0, label="P5-P95", gid="band")
        ax.plot(x, p50, color=GAIN, marker="o", linewidth=2.5, label="median", gid="median")
        ax.axhline(0, color=LOSS, linewidth=1.5)
        for xi, yi, li in zip(x, p95, loss, strict=True):
            ax.annotate(f"P(loss) {percent_text(float(li))}", xy=(xi, yi), xytext=(0, 6), textcoords="offset points",
                        ha="center", va="bottom", fontsize=11, gid="p_loss")
        ax.set_xticks(x)
        ax.set_xticklabels([si_number(v) for v in x])
        ax.minorticks_off()
        ax.set_xlabel(xlabel)
        ax.set_ylabel(f"{what[:1].upper()}{what[1:]}" + (f" ({unit})" if unit and unit != "1" else ""))
        ax.set_ylim(float(np.nanmin(p05)) - 0.1 * float(np.nanmax(p95) - np.nanmin(p05)),
                    float(np.nanmax(p95)) + 0.25 * float(np.nanmax(p95) - np.nanmin(p05)))
        ax.legend(loc="lower right", frameon=False, fontsize=11)
        below = [v for v, li in zip(x, loss, strict=True) if li < 0.25]
        default = (f"{what[:1].upper()}{what[1:]} against scale: P(loss) below 25% from {si_number(below[0])}"
                   if below else f"{what[:1].upper()}{what[1:]} against scale: P(loss) 25% or more at every volume")
        set_title(ax, title, default)
    return ax
