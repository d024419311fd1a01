"""Charts of how risky an output is: its distribution, its exceedance curve, and the
convergence of its mean and P(loss) with the number of samples."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import xarray as xr

from mcrisk.core.statistics import per_period
from mcrisk.core.statistics import CENTRAL_90, PERCENTILES, Z95_TWO_SIDED, percentile_head, weighted_quantile
from mcrisk.core.thinning import CURVE_POINTS, thin_step
from mcrisk.core.text import Labels, format_value, loss_words, p_error, percent_text, share_text, words
from mcrisk.report.plot.data import finite_output, output_weights, view_range
from mcrisk.report.plot.layout import first_fit, inside, overlaps, stagger
from mcrisk.report.plot.style import (FIGSIZE, GAIN, LOSS, PALETTE, add_note, axis_formatter, deck_axes, deck_figure,
                    deck_style, label_of, set_title, share_formatter)

# Matplotlib is imported inside the functions (PercentFormatter): it is a heavy optional import
# for the rest of mcrisk, and deck_figure/deck_axes import it when a figure is made.

__all__ = ["plot_convergence", "plot_distribution", "plot_exceedance"]


def _edges(lo: float, hi: float, bins: int) -> np.ndarray:
    """Histogram edges over ``lo .. hi`` with 0 on an edge, so no bin mixes losses and profits.

    Computed on ``lo / s .. hi / s`` with ``s = max(|lo|, |hi|)`` and scaled back, so outputs
    near the largest float (where ``hi - lo`` overflows) still get finite edges.
    """
    s = max(abs(lo), abs(hi)) or 1.0
    lo, hi = lo / s, hi / s
    if lo == hi:
        return s * np.array([lo - 0.0025, lo + 0.0025]) if lo else np.array([-0.125, 0.125])
    if lo < 0 < hi:
        w = (hi - lo) / bins
        k0, k1 = math.floor(lo / w), math.ceil(hi / w)
        k0 -= k0 * w > lo                         # rounding must not put lo or hi outside the bins
        k1 += k1 * w < hi
        e = w * np.arange(k0, k1 + 1)
    else:
        e = np.linspace(lo, hi, bins + 1)
    with np.errstate(over="ignore"):              # one rounding step past the largest float
        e = e * s
    return np.clip(e, -np.finfo(float).max, np.finfo(float).max)


def _off_chart(x: np.ndarray, lo: float, hi: float, unit: str, w: np.ndarray | None = None) -> str:
    """``'tails off the chart: 0.5% of samples below −60M (min −146M), 0.3% above 12M (max 40M)'``,
    or ``''`` when every sample is inside ``lo .. hi``; with calibration weights ``w``, shares of the weight."""
    v = lambda a: format_value(float(a), unit, with_unit=False)  # noqa: E731
    share = (lambda side: float(np.mean(side))) if w is None else (lambda side: float(w[side].sum()))  # noqa: E731
    parts = [f"{share_text(share(side))} {word} {v(edge)} ({end} {v(extreme)})"
             for side, word, edge, end, extreme in ((x < lo, "below", lo, "min", x.min()),
                                                    (x > hi, "above", hi, "max", x.max())) if side.any()]
    if not parts:
        return ""
    parts[0] = parts[0].replace(" ", " of samples ", 1)
    return "tails off the chart: " + ", ".join(parts)


def _quantiles(x: np.ndarray, w: np.ndarray | None, q: list[float]) -> np.ndarray:
    return np.quantile(x, q) if w is None else weighted_quantile(x, w, q)


def plot_distribution(results: xr.Dataset, *, output: str | None = None, ax=None, bins: int = 60,
                      title: str | None = None, labels: Labels | None = None,
                      period_days: float | None = None) -> Any:
    """Histogram of an output with the loss side shaded, P(loss) written on it, P5/P50/P95 marked.

    Parameters
    ----------
    results
        A results Dataset over ``sample`` (stated per period with :func:`mcrisk.core.statistics.per_period`
        if money should read per month).
    output
        The variable to draw (default: the study output, ``results.attrs["output"]``).
    ax
        Axes to draw on; a new 16:9 figure when None.
    bins
        Number of histogram bins across the drawn range; zero always falls on a bin edge.
    title
        Replaces the default title, which states P(loss) and the median.

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
    Bar heights are the share of finite samples in each bin; ``P(loss) = #{x < 0} / n``.
    A long tail is cut at P0.5 (or P99.5) so the body of the distribution fills the chart;
    the share of samples beyond the drawn range is written above the chart, and 0 stays in
    range when there are both losses and profits. NaN and infinite samples are left out and
    their count is written there too. P(loss) and the quantiles use every finite sample.
    """
    results = per_period(results, period_days)
    output, x, unit = finite_output(results, output)
    w = output_weights(results, output)  # a calibrated run: every bar, quantile and P(loss) weighted
    n_bad = int(results[output].size - x.size)
    loss, gain = loss_words(output.removesuffix('_per_day'), labels)
    with deck_style():
        ax = deck_axes(ax)
        if x.size == 0:
            set_title(ax, None, f"{words(output.removesuffix('_per_day'), labels)}: no finite samples")
            return ax
        lo, hi = view_range(x, weights=w)
        edges = _edges(lo, hi, bins)
        counts, edges = np.histogram(x, bins=edges, weights=w)
        share = counts / (x.size if w is None else 1.0)
        centres = edges[:-1] / 2 + edges[1:] / 2   # halves first: no overflow near the float limit
        colours = np.where(centres < 0, LOSS, GAIN)
        ax.bar(edges[:-1], share, width=np.diff(edges), align="edge", color=colours, alpha=0.85,
               linewidth=0, gid="histogram")
        p_loss = float(np.mean(x < 0)) if w is None else float(w[x < 0].sum())
        q05, q50, q95 = (float(q) for q in _quantiles(x, w, [PERCENTILES[k] for k in CENTRAL_90]))
        xlo, xhi = float(edges[0]), float(edges[-1])
        if lo == hi:                              # one value: a narrow bar with room around it
            xlo, xhi = xlo - 4 * (xhi - xlo), xhi + 4 * (xhi - xlo)
        if xlo < 0:
            ax.axvspan(xlo, min(0.0, xhi), color=LOSS, alpha=0.08, linewidth=0, zorder=0)
        if xlo <= 0 <= xhi:
            ax.axvline(0, color=LOSS, linewidth=1.5, zorder=3)
        top = float(share.max())
        # Bars fill the lower two thirds; the band above holds P(loss) and the quantile labels.
        ax.set_ylim(0, top * 1.5)
        anchor = top * 1.03
        marks: dict[str, list[str]] = {}
        at = dict(zip(map(percentile_head, CENTRAL_90), (q05, q50, q95), strict=True))
        for tag, q in at.items():
            marks.setdefault(format_value(q, unit, with_unit=False), []).append(tag)
        marked = []
        for text, tags in marks.items():
            q = at[tags[0]]
            ax.vlines(q, 0, anchor, color=PALETTE["black"], linewidth=1.2, linestyle=(0, (4, 3)), zorder=3)
            marked.append(ax.annotate(f"{' = '.join(tags)} {text}", xy=(q, anchor), xytext=(0, 2),
                                      textcoords="offset points", ha="center", va="bottom", fontsize=12,
                                      zorder=4, gid="quantile_label",
                                      bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                                            "alpha": 0.85}))
        ax.set_xlim(xlo, xhi)
        ax.xaxis.set_major_formatter(axis_formatter(unit))
        ax.yaxis.set_major_formatter(share_formatter())
        ax.set_xlabel(label_of(results[output], output, labels=labels))
        ax.set_ylabel("Share of samples" if w is None else "Share of samples, weighted by the record")
        add_note(ax, [_off_chart(x, xlo, xhi, unit, w), f"{n_bad:,} NaN/inf samples left out" if n_bad else ""])
        median_of = words(output.removesuffix("_per_day"), labels)
        set_title(ax, title, f"P({loss}) = {percent_text(p_loss)}; median {median_of} "
                              f"{format_value(q50, unit)}")
        stagger(ax, marked, step=18)
        # P(loss) in the top corner that no quantile label reaches (left unless it is taken).
        placed = [a.get_window_extent() for a in marked]

        def p_label(corner: float, ha: str) -> Any:
            return ax.text(corner, 0.97, f"P({loss}) = {percent_text(p_loss)}", transform=ax.transAxes, ha=ha,
                           va="top", fontsize=20, fontweight="bold", color=LOSS, gid="p_loss", zorder=5,
                           bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})

        first_fit(p_label, ((0.015, "left"), (0.985, "right")), lambda bb: not overlaps(bb, placed))
    return ax


def plot_exceedance(results: xr.Dataset, *, output: str | None = None, ax=None,
                    title: str | None = None, labels: Labels | None = None, period_days: float | None = None) -> Any:
    """The exceedance curve ``P(output > x)`` with the break-even point marked.

    Parameters
    ----------
    results, output, ax, title
        As for :func:`plot_distribution`.

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
    With the finite samples sorted, ``x_(1) <= ... <= x_(n)``, the curve is the empirical
    ``P(X > x_(i)) = (n - i) / n``; the break-even point is ``(0, #{x > 0} / n)``.
    """
    results = per_period(results, period_days)
    from matplotlib.ticker import PercentFormatter

    output, x, unit = finite_output(results, output)
    w = output_weights(results, output)  # a calibrated run: the curve steps by each sample's weight
    loss, gain = loss_words(output.removesuffix('_per_day'), labels)
    with deck_style():
        ax = deck_axes(ax)
        if x.size == 0:
            set_title(ax, None, f"{words(output.removesuffix('_per_day'), labels)}: no finite samples")
            return ax
        order = np.argsort(x, kind="stable")
        xs = x[order]
        n = xs.size
        p = (n - np.arange(1, n + 1)) / n if w is None else np.clip(1 - np.cumsum(w[order]), 0.0, 1.0)
        # Above CURVE_POINTS samples the steps are drawn at 1 in k order statistics and the last:
        # each step then falls by at most 1/CURVE_POINTS, the same curve at any screen size.
        keep = np.unique(np.r_[np.arange(0, n, thin_step(n, CURVE_POINTS)), n - 1])
        ax.step(np.r_[xs[0], xs[keep]], np.r_[1.0, p[keep]], where="post", color=GAIN, linewidth=2.5,
                gid="exceedance")
        p_gain = float(np.mean(x > 0)) if w is None else float(w[x > 0].sum())
        lo, hi = view_range(x, weights=w)
        pad = (hi - lo) * 0.03 or abs(lo) * 0.01 or 0.5
        lo, hi = lo - pad * (lo == xs[0]), hi + pad * (hi == xs[-1])     # no pad at a clipped side
        ax.set_xlim(lo, hi)
        ax.set_ylim(0, 1.02)
        add_note(ax, [_off_chart(x, lo, hi, unit, w)])
        if lo < 0:
            ax.axvspan(lo, min(0.0, hi), color=LOSS, alpha=0.08, linewidth=0, zorder=0)
        if lo <= 0 <= hi:
            ax.axvline(0, color=LOSS, linewidth=1.5)
            ax.plot([0], [p_gain], marker="o", markersize=10, color=LOSS, zorder=5, gid="break_even")
        ax.grid(True, axis="y", color="#dddddd", linewidth=0.8)
        ax.xaxis.set_major_formatter(axis_formatter(unit))
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
        ax.set_xlabel(label_of(results[output], output, labels=labels))
        ax.set_ylabel("Probability of exceeding")
        q05 = float(_quantiles(x, w, [0.05])[0])
        set_title(ax, title, f"P({gain}) = {percent_text(p_gain)}; 1 in 20 chance of "
                              f"{format_value(q05, unit)} or less")
        if lo <= 0 <= hi:
            # The curve falls to the right, so above-right and below-left of the point are clear;
            # take the first of those where the label stays inside the axes.
            ax.figure.draw_without_rendering()
            box = ax.get_window_extent()

            def break_even(offset: tuple[int, int], ha: str, va: str) -> Any:
                return ax.annotate(f"break-even: P({gain}) = {percent_text(p_gain)}", xy=(0, p_gain),
                                   xytext=offset, textcoords="offset points", ha=ha, va=va, fontsize=14,
                                   color=LOSS, fontweight="bold", gid="break_even_label",
                                   bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none",
                                         "alpha": 0.85})

            first_fit(break_even, (((14, 10), "left", "bottom"), ((-14, -10), "right", "top"),
                                   ((14, -10), "left", "top"), ((-14, 10), "right", "bottom")),
                      lambda bb: inside(bb, box))
    return ax


def plot_convergence(results: xr.Dataset, *, output: str | None = None, ax=None, z: float = Z95_TWO_SIDED,
                     title: str | None = None, labels: Labels | None = None,
                     period_days: float | None = None) -> Any:
    """Running mean and running P(loss) with their confidence bands against the number of samples.

    Parameters
    ----------
    results, output, title
        As for :func:`plot_distribution`.
    ax
        None: a new 16:9 figure with two panels sharing the x axis (mean above, P(loss)
        below). One Axes: the mean on it, P(loss) on a twin y axis. A pair of Axes: one each.
    z
        Band half-width in standard errors (:data:`~mcrisk.core.statistics.Z95_TWO_SIDED`: 95%).

    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the variables in the title and
        axes; None: names in words. The chart depends on its arguments only.
    period_days
        Money per day is drawn per this period (30: per month, :func:`mcrisk.core.statistics.per_period`);
        None: as ``results`` holds it (a report's results are already stated per period).
    Returns
    -------
    matplotlib.axes.Axes
        The axes with the running mean (``ax.figure.axes`` holds the other).

    Notes
    -----
    After the first ``n`` finite samples: mean ``m_n`` with band ``m_n +- z s_n / sqrt(n)``
    and ``p_n = #{x < 0} / n`` with band ``p_n +- z sqrt(p_n (1 - p_n) / n)``. For Latin
    hypercube and Sobol' designs the bands are conservative; a prefix of such a design is not
    itself stratified.
    """
    results = per_period(results, period_days)
    output, x, unit = finite_output(results, output)
    loss, _ = loss_words(output.removesuffix('_per_day'), labels)
    with deck_style():
        if ax is None:
            ax, ax2 = deck_figure(FIGSIZE).subplots(2, 1, sharex=True, height_ratios=(1, 1))
        elif isinstance(ax, (tuple, list)):
            ax, ax2 = ax
        else:
            ax2 = ax.twinx()
            ax2.spines["right"].set_visible(True)
        if x.size < 2:
            set_title(ax, None, f"{words(output.removesuffix('_per_day'), labels)}: too few samples to show convergence")
            return ax
        n = np.arange(1, x.size + 1)
        # Centre before summing so the running variance does not cancel catastrophically.
        c = x - x.mean()
        m = np.cumsum(c) / n
        var = np.maximum(np.cumsum(c * c) / n - m * m, 0) * n / np.maximum(n - 1, 1)
        se = np.sqrt(var / n)
        m = m + x.mean()
        p = np.cumsum(x < 0) / n
        pse = np.sqrt(p * (1 - p) / n)
        start = min(20, x.size - 1)
        idx = np.unique(np.r_[np.rint(np.geomspace(start, x.size, num=min(400, x.size))), x.size].astype(int)) - 1
        ax.fill_between(n[idx], (m - z * se)[idx], (m + z * se)[idx], color=PALETTE["blue"], alpha=0.2,
                        linewidth=0)
        ax.plot(n[idx], m[idx], color=PALETTE["blue"], linewidth=2.2, label="running mean", gid="running_mean")
        ax.axhline(m[-1], color=PALETTE["blue"], linewidth=0.8, linestyle=(0, (4, 3)))
        ax.set_xscale("log")
        ax.yaxis.set_major_formatter(axis_formatter(unit))
        ax.set_ylabel(f"Mean ({unit})" if unit and unit != "1" else "Mean", color=PALETTE["blue"])
        ax2.fill_between(n[idx], np.clip(p - z * pse, 0, 1)[idx], np.clip(p + z * pse, 0, 1)[idx],
                         color=LOSS, alpha=0.18, linewidth=0)
        ax2.plot(n[idx], p[idx], color=LOSS, linewidth=2.2, label=f"running P({loss})",
                 gid="running_p_loss")
        ax2.axhline(p[-1], color=LOSS, linewidth=0.8, linestyle=(0, (4, 3)))
        ax2.set_xscale("log")
        ax2.yaxis.set_major_formatter(share_formatter())
        ax2.set_ylabel(f"P({loss})", color=LOSS)
        ax2.set_ylim(0, min(1.0, max(float((p + z * pse)[idx].max()) * 1.05, 0.05)))
        for a in (ax, ax2):
            a.xaxis.set_major_formatter(axis_formatter(""))
        (ax2 if ax2.get_subplotspec() is not None and ax2.get_subplotspec() != ax.get_subplotspec()
         else ax).set_xlabel("Number of samples (log scale); bands: 95% intervals" if z == Z95_TWO_SIDED else
                             f"Number of samples (log scale); bands: \u00b1{z:g} standard errors")
        # The headline's words for P(loss) and its Monte Carlo error: one claim, one number.
        set_title(ax, title, f"{x.size:,} samples: P({loss}) = {p[-1]:.1%} "
                            f"({p_error(float(p[-1]), x.size, bool(x.max() > x.min()))}), "
                            f"mean {format_value(float(m[-1]), unit, with_unit=False)} "
                            f"(standard error {format_value(float(se[-1]), unit)})")
    return ax
