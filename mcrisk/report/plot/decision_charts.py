"""Charts of decisions: a sweep's fan chart and a comparison of two plans."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from mcrisk.core.statistics import per_period
from mcrisk.core.statistics import CENTRAL_50_90, CENTRAL_90, PERCENTILES
from mcrisk.analyze.intervals import order_ranks
from mcrisk.core.text import Labels, format_value, loss_words, percent_text, words
from mcrisk.report.plot.style import (FIGSIZE, GREY, LOSS, PALETTE, axis_formatter, deck_axes, deck_figure, deck_style, set_title,
                    label_of, share_formatter)

__all__ = ["plot_compare", "plot_quantile_convergence", "plot_sweep"]


def plot_sweep(summary: xr.Dataset, *, output: str, breakeven: float | None = None, ax=None,
               title: str | None = None, labels: Labels | None = None) -> Any:
    """Fan chart of a sweep: the output's P5-P25-P50-P75-P95 bands and P(loss) against the lever.

    Parameters
    ----------
    summary
        From :func:`mcrisk.analyze.sweep.summarize_sweep` (over ``(lever, output)``).
    output
        The output drawn.
    breakeven
        A lever value marked with a vertical line (where P(loss) crosses 1/2), or None.
    ax
        None: a new 16:9 figure; else the Axes for the bands (P(loss) goes on a twin y axis).
    title
        The chart's title (default: P(loss) at the ends of the sweep).

    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the variables in the title and
        axes; None: names in words. The chart depends on its arguments only.
    Returns
    -------
    matplotlib.axes.Axes
        The axes with the bands (``ax.figure.axes`` holds the P(loss) axis).
    """
    lever = summary.attrs["lever"]
    s = summary.sel(output=output)
    v = np.asarray(summary[lever].values, dtype=float)
    unit = str(np.ravel(s.units.values)[0])
    lunit = summary[lever].attrs.get("units", "")
    loss, _ = loss_words(output.removesuffix('_per_day'), labels)
    q = {k: np.asarray(s[k].values, dtype=float) for k in CENTRAL_50_90}
    p = np.asarray(s.p_below_zero.values, dtype=float)
    with deck_style():
        ax = deck_axes(ax)
        ax.fill_between(v, q["p05"], q["p95"], color=PALETTE["blue"], alpha=0.18, linewidth=0, label="P5-P95")
        ax.fill_between(v, q["p25"], q["p75"], color=PALETTE["blue"], alpha=0.35, linewidth=0, label="P25-P75")
        ax.plot(v, q["p50"], color=PALETTE["blue"], linewidth=2.2, marker="o", markersize=4, label="median",
                gid="sweep_median")
        ax.axhline(0, color="#555555", linewidth=0.8)
        ax.yaxis.set_major_formatter(axis_formatter(unit))
        ax.xaxis.set_major_formatter(axis_formatter(lunit))
        ax.set_xlabel(f"{words(lever, labels)} ({lunit})" if lunit else words(lever, labels))
        ax.set_ylabel(label_of(None, output, unit, labels=labels))
        ax2 = ax.twinx()
        ax2.spines["right"].set_visible(True)
        ax2.plot(v, p, color=LOSS, linewidth=2.0, linestyle=(0, (5, 2)), marker="s", markersize=3.5,
                 label=f"P({loss})", gid="sweep_p_loss")
        ax2.set_ylim(0, 1.2)  # headroom for the legend row above the curves
        ax2.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
        ax2.yaxis.set_major_formatter(share_formatter())
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi + 0.2 * (hi - lo))
        ax2.set_ylabel(f"P({loss})", color=LOSS)
        if breakeven is not None:
            ax.axvline(breakeven, color=GREY, linewidth=1.4, linestyle=(0, (2, 2)), gid="sweep_breakeven")
            ax.annotate(f"P({loss}) = 50% at {format_value(breakeven, lunit)}", (breakeven, 0.0),
                        xycoords=("data", "axes fraction"), xytext=(4, 6), textcoords="offset points",
                        color=GREY, fontsize=11)
        handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
        ax.legend(handles, [h.get_label() for h in handles], loc="upper center", ncol=4, frameon=False, fontsize=10)
        set_title(ax, title, f"P({loss}) {percent_text(float(p[0]))} at {format_value(v[0], lunit)}, "
                             f"{percent_text(float(p[-1]))} at {format_value(v[-1], lunit)}")
    return ax


def plot_compare(table: xr.Dataset, a: np.ndarray, b: np.ndarray, *, output: str, unit: str = "",
                 labels: tuple[str, str] = ("A", "B"), title: str | None = None) -> Any:
    """Two panels: both plans' distributions of ``output``, and the paired difference B - A.

    Parameters
    ----------
    table
        From :func:`mcrisk.study.compare.compare` (for the title: the mean difference and its interval).
    a, b
        The paired samples of the output (same length; finite pairs drawn).
    output, unit
        The output and its unit.
    labels
        Names of the two plans.
    title
        The chart's title (default: the difference of means with its 95% interval).

    Returns
    -------
    matplotlib.axes.Axes
        The left (distributions) axes; ``ax.figure.axes[1]`` holds the difference.
    """
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    d = b - a
    with deck_style():
        ax, ax2 = deck_figure(FIGSIZE).subplots(1, 2)
        lo, hi = np.quantile(np.r_[a, b], [0.005, 0.995]) if a.size else (0.0, 1.0)
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, 51)
        for x, name, color in ((a, f"A: {labels[0]}", PALETTE["blue"]), (b, f"B: {labels[1]}", LOSS)):
            ax.hist(np.clip(x, lo, hi), bins=edges, histtype="step", linewidth=2, color=color, label=name)
        ax.xaxis.set_major_formatter(axis_formatter(unit))
        ax.set_xlabel(label_of(None, output, unit))
        ax.set_ylabel("samples")
        ax.legend(frameon=False, fontsize=10)
        dl, dh = np.quantile(d, [0.005, 0.995]) if d.size else (0.0, 0.0)
        # 50 bins need a spread well above rounding: a difference constant to 1e-9 of its size is one bar
        if dh - dl > 1e-9 * max(abs(dl), abs(dh)):
            ax2.hist(np.clip(d, dl, dh), bins=50, color=PALETTE["blue"], alpha=0.7)
        else:
            mid = float(np.median(d)) if d.size else 0.0
            half = max(abs(mid) * 0.01, 0.5)
            ax2.hist(np.clip(d, mid - half, mid + half), bins=1, range=(mid - half, mid + half),
                     color=PALETTE["blue"], alpha=0.7)
        ax2.axvline(0, color="#555555", linewidth=0.8)
        ax2.xaxis.set_major_formatter(axis_formatter(unit))
        ax2.set_xlabel(f"paired difference B - A ({unit})" if unit else "paired difference B - A")
        row = table.sel(output=output, statistic="mean")
        default = (f"mean {words(output.removesuffix('_per_day'))}: {labels[1]} - {labels[0]} = {format_value(float(row['diff']), unit)} "
                   f"(95% CI {format_value(float(row['diff_low']), unit, with_unit=False)} to "
                   f"{format_value(float(row['diff_high']), unit, with_unit=False)})")
        set_title(ax, title, default)
    return ax


def _checkpoints(n: int, start: int = 50, num: int = 60) -> np.ndarray:
    if n <= start:
        return np.array([n])
    return np.unique(np.r_[np.rint(np.geomspace(start, n, num=num)), n].astype(int))


def plot_quantile_convergence(results: xr.Dataset, *, output: str, convergence: xr.Dataset | None = None,
                              ax=None, title: str | None = None, labels: Labels | None = None,
                              period_days: float | None = None) -> Any:
    """Running P5, P50 and P95 of ``output`` against the number of samples, with 95% bands.

    Parameters
    ----------
    results
        Results over ``sample`` (from :func:`mcrisk.simulate` or a study run).
    output
        The output drawn.
    convergence
        A precision run's table (:func:`mcrisk.analyze.precision.simulate_to_precision`): each batch's
        estimate of the percentiles it checked is marked with its interval.
    ax
        None: a new 16:9 figure.
    title
        The chart's title (default: the three percentiles and their half-widths at the end).

    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the variables in the title and
        axes; None: names in words. The chart depends on its arguments only.
    period_days
        Money per day is drawn per this period (30: per month, :func:`mcrisk.core.statistics.per_period`);
        None: as ``results`` holds it (a report's results are already stated per period).
    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    After the first ``n`` finite samples, the percentile ``q`` is ``np.quantile`` of them and its
    band the order statistics ``y_(r)``, ``y_(s)`` of :func:`mcrisk.analyze.solve.order_ranks` (exact
    for independent draws; for a prefix of a Latin hypercube or Sobol' design, conservative).
    """
    results = per_period(results, period_days)
    x = np.asarray(results[output].values, dtype=float).ravel()
    x = x[np.isfinite(x)]
    unit = results[output].attrs.get("units", "")
    colors = dict(zip(CENTRAL_90, (LOSS, PALETTE["blue"], PALETTE["green"]), strict=True))
    with deck_style():
        ax = deck_axes(ax)
        if x.size < 2:
            set_title(ax, title, f"{words(output.removesuffix('_per_day'), labels)}: too few samples to show convergence")
            return ax
        ns = _checkpoints(x.size)
        qs = {k: PERCENTILES[k] for k in CENTRAL_90}
        est, lo, hi = (np.full((len(qs), ns.size), np.nan) for _ in range(3))
        for j, n in enumerate(ns):  # per prefix: one selection for the three percentiles, one for their bands
            est[:, j] = np.quantile(x[:n], list(qs.values()))
            ranks = [order_ranks(int(n), q) for q in qs.values()]
            part = np.partition(x[:n], sorted({k - 1 for rs in ranks for k in rs if 1 <= k <= n}) or [0])
            for i, (r, s) in enumerate(ranks):
                lo[i, j] = part[r - 1] if 1 <= r <= n else np.nan
                hi[i, j] = part[s - 1] if 1 <= s <= n else np.nan
        end = {}
        for i, name in enumerate(qs):
            ax.fill_between(ns, lo[i], hi[i], color=colors[name], alpha=0.18, linewidth=0)
            ax.plot(ns, est[i], color=colors[name], linewidth=2.0, label=name.upper(), gid=f"running_{name}")
            end[name] = (float(est[i, -1]), float(hi[i, -1] - lo[i, -1]) / 2)
        if convergence is not None:
            for name in (*CENTRAL_90, "mean"):
                rows = convergence.statistic.values == name
                if rows.any() and name in colors:
                    ax.errorbar(convergence.samples.values[rows], convergence.estimate.values[rows],
                                yerr=convergence.half_width.values[rows], fmt="o", color=colors[name],
                                capsize=4, gid=f"batch_{name}")
        ax.set_xscale("log")
        ax.yaxis.set_major_formatter(axis_formatter(unit))
        ax.xaxis.set_major_formatter(axis_formatter(""))
        ax.set_xlabel("Number of samples (log scale); bands: 95% order-statistic intervals")
        ax.set_ylabel(label_of(None, output, unit, labels=labels))
        ax.legend(frameon=False, fontsize=10, loc="best")
        default = f"{x.size:,} samples: " + ", ".join(
            f"{k.upper()} {format_value(v, unit, with_unit=False)} \u00b1 {format_value(h, unit, with_unit=False)}"
            for k, (v, h) in end.items())
        set_title(ax, title, default)
    return ax
