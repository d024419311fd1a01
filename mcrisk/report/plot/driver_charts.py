"""Charts of what drives an output: sensitivity indices as bars, and the output against one input."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import xarray as xr

from mcrisk.core.statistics import per_period
from mcrisk.core.errors import SpecError
from mcrisk.analyze.sensitivity import rank_order
from mcrisk.core.text import Labels, loss_words, share_text, words
from mcrisk.report.plot.data import finite_output, interval, select_output, view_range
from mcrisk.report.plot.style import (FIGSIZE, GAIN, GREY, LOSS, PALETTE, add_note, axis_formatter, deck_axes, deck_style,
                    label_of, set_title)

# Matplotlib is never imported here by name: deck_axes imports it when a figure is made (a heavy
# optional import for the rest of mcrisk).

__all__ = ["SENSITIVITY_INDICES", "plot_scatter", "plot_sensitivity"]


#: Main index drawn by :func:`plot_sensitivity` when there is no S1/ST pair, in order of preference:
#: variable -> axis label.
SENSITIVITY_INDICES: dict[str, str] = {
    "mu_star": "Morris \u03bc* (mean |elementary effect|)",
    "delta": "Borgonovo \u03b4 (moment-independent)",
    "spearman": "Spearman rank correlation",
    "prcc": "Partial rank correlation",
    "median": "PAWN median Kolmogorov-Smirnov statistic",
}


def _main_index(s: xr.Dataset, index: str | None) -> str:
    if index is not None:
        if index not in s:
            have = [k for k in s.data_vars if not k.endswith(("_conf", "_low", "_high"))]
            raise SpecError(f"index = {index!r} is not in the sensitivity results; available: {', '.join(have)}")
        return index
    rank_by = s.attrs.get("rank_by")
    if rank_by in s and rank_by not in ("S1", "ST") and s[rank_by].dims == ("input",):
        return rank_by
    for k in ("ST", *SENSITIVITY_INDICES):
        if k in s:
            return k
    loss = [k for k in s.data_vars if k.startswith("loss_") and not k.endswith(("_conf", "_low", "_high"))]
    if loss:
        return loss[0]
    raise SpecError(f"sensitivity results have none of S1/ST, {', '.join(SENSITIVITY_INDICES)} or loss_*")


def plot_sensitivity(sens: xr.Dataset, *, output: str | None = None, index: str | None = None, ax=None,
                     top: int | None = None, title: str | None = None, labels: Labels | None = None) -> Any:
    """Sensitivity indices as horizontal bars with their confidence intervals, largest on top.

    Parameters
    ----------
    sens
        A sensitivity Dataset over ``input`` (and ``output``): Sobol' ``S1``, ``S1_conf``,
        ``ST``, ``ST_conf``; or Morris ``mu_star``, delta ``delta``, ``spearman``, ``prcc``,
        ``loss_*`` with ``_conf`` or ``_low``/``_high`` intervals.
    output
        Which output, when ``sens`` has several (default ``sens.attrs["output"]``).
    index
        The index to draw (default: S1 and ST when present, else the first of
        :data:`SENSITIVITY_INDICES`, else the first ``loss_*``).
    ax, top, title
        As for :func:`plot_tornado`.

    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the variables in the title and
        axes; None: names in words. The chart depends on its arguments only.
    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    ``S1_i = V[E(Y | X_i)] / V(Y)`` is the share of the output variance that input ``i``
    explains alone; ``ST_i = E[V(Y | X_~i)] / V(Y)`` adds its interactions (Saltelli et al.
    2010, Comput. Phys. Commun. 181, 259). Bars are sorted by the main index.
    """
    s = select_output(sens, output)
    out = output or (str(s.output.values) if "output" in s.coords else s.attrs.get("output") or "output")
    main = _main_index(s, index)
    pair = main == "ST" and "S1" in s and index is None
    vals = np.asarray(s[main].values, dtype=float)
    order = rank_order(s, main)[:top]
    names = [str(v) for v in s.input.values[order]]
    k = len(names)
    with deck_style():
        ax = deck_axes(ax, figsize=(FIGSIZE[0], max(FIGSIZE[1], 1.6 + 0.6 * k)) if k > 7 else FIGSIZE)
        y = np.arange(k)
        bars = [("S1", PALETTE["sky"], "first order S1 (alone)"), ("ST", PALETTE["blue"],
                                                                    "total order ST (with interactions)")] \
            if pair else [(main, PALETTE["blue"], main)]
        h = 0.38 if pair else 0.6
        for j, (var, colour, lab) in enumerate(bars):
            v = np.asarray(s[var].values, dtype=float)[order]
            ci = interval(s, var)
            off = (j - (len(bars) - 1) / 2) * h
            ax.barh(y + off, v, height=h, color=colour, label=lab, gid=f"bars_{var}",
                    xerr=ci[:, order] if ci is not None else None,
                    error_kw={"ecolor": PALETTE["black"], "elinewidth": 1.3, "capsize": 4})
        groups = [str(g) for g in s.group.values[order]] if "group" in s.coords else [""] * k
        ax.set_yticks(y, [words(n, labels) + (" (group)" if g else "") for n, g in zip(names, groups)])
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(k - 0.5, -0.5)
        # an index of a group of correlated inputs is the group's: the title names the group
        who = (f"the group {{{', '.join(words(m, labels) for m in groups[0].split(', '))}}}"
               if groups[0] and s.attrs.get("indices_of") == "groups" else words(names[0], labels))
        ax.axvline(0, color=PALETTE["black"], linewidth=1)
        ax.spines["left"].set_visible(False)
        if pair or main in ("delta",):
            hi = max(1.0, float(np.nanmax(np.r_[vals, 0])) * 1.05)
            ax.set_xlim(min(0.0, float(np.nanmin(np.r_[np.asarray(s["S1"].values) if pair else vals, 0])) * 1.1), hi)
        ax.grid(True, axis="x", color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
        if pair:
            ax.set_xlabel(f"Share of the variance of {words(out.removesuffix('_per_day'), labels)}")
            ax.legend(loc="lower right")
            s1_top = float(s.S1.values[order[0]])
            default = (f"{who} explains {s1_top:.0%} of the variance of "
                       f"{words(out.removesuffix('_per_day'), labels)} alone")
        else:
            what = words(out.removesuffix("_per_day"), labels)
            ax.set_xlabel(SENSITIVITY_INDICES.get(main, words(main, labels)) + f" of {what}")
            default = f"{who} matters most for {what} ({words(main, labels)})"
        n = s.attrs.get("samples")
        method = s.attrs.get("method")
        if method or n:
            ax.text(1.0, 1.01, "; ".join(p for p in (
                f"method: {method}" if method else "", f"N = {int(n):,}" if n else "",
                f"{int(s.attrs['model_runs']):,} model runs" if s.attrs.get("model_runs") else "",
                "bars: 95% intervals") if p), transform=ax.transAxes, ha="right", va="bottom",
                fontsize=11, color=GREY)
        set_title(ax, title, default)
    return ax


# --- scatter --------------------------------------------------------------------------------------

def _ranks(a: np.ndarray) -> np.ndarray:
    r = np.empty(a.size)
    r[np.argsort(a, kind="stable")] = np.arange(a.size)
    return r


def plot_scatter(results: xr.Dataset, input: str, *, output: str | None = None, ax=None,
                 max_points: int = 4000, title: str | None = None, labels: Labels | None = None,
                 period_days: float | None = None) -> Any:
    """The output against one input, each sample coloured by loss (vermillion) or profit (blue).

    Parameters
    ----------
    results
        A results Dataset over ``sample``.
    input
        The input variable on the x axis.
    output, ax, title
        As for :func:`plot_distribution`.
    max_points
        Draw at most this many samples (evenly spaced by position), so the SVG stays small.

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
    The title states Spearman's rank correlation of all finite samples, the Pearson
    correlation of their ranks.
    """
    results = per_period(results, period_days)
    if input not in results:
        ins = [k for k, v in results.data_vars.items() if v.attrs.get("role") == "input"]
        raise SpecError(f"scatter input = {input!r} is not an input of the results; inputs: {', '.join(ins)}")
    output = output or results.attrs.get("output")
    finite_output(results, output)
    xv = np.asarray(results[input].values, dtype=float).ravel()
    yv = np.broadcast_to(np.asarray(results[output].values, dtype=float).ravel(), xv.shape)
    ok = np.isfinite(xv) & np.isfinite(yv)
    xv, yv = xv[ok], yv[ok]
    xunit = results[input].attrs.get("units", "")
    yunit = results[output].attrs.get("units", "")
    loss, gain = loss_words(output, labels)
    with deck_style():
        ax = deck_axes(ax)
        step = max(1, math.ceil(xv.size / max_points))
        xs, ys = xv[::step], yv[::step]
        neg = ys < 0
        ax.scatter(xs[~neg], ys[~neg], s=10, color=GAIN, alpha=0.45, linewidths=0, label=gain,
                   rasterized=True, gid="scatter_gain")
        ax.scatter(xs[neg], ys[neg], s=10, color=LOSS, alpha=0.6, linewidths=0, label=loss,
                   rasterized=True, gid="scatter_loss")
        if yv.size and yv.min() < 0 < yv.max():
            ax.axhline(0, color=LOSS, linewidth=1.3)
        if xv.size:
            # Long tails cut as in plot_distribution; the share of samples off the axes is stated.
            (xlo, xhi), (ylo, yhi) = view_range(xv, zero=False), view_range(yv)
            clipped = (xlo > xv.min(), xhi < xv.max(), ylo > yv.min(), yhi < yv.max())
            for lim, (a, b), (amin, amax), cut in ((ax.set_xlim, (xlo, xhi), (xv.min(), xv.max()), clipped[:2]),
                                                   (ax.set_ylim, (ylo, yhi), (yv.min(), yv.max()), clipped[2:])):
                if any(cut):
                    pad = 0.03 * (b - a)
                    lim(a - pad * (not cut[0]), b + pad * (not cut[1]))
            if any(clipped):
                off = float(np.mean((xv < xlo) | (xv > xhi) | (yv < ylo) | (yv > yhi)))
                add_note(ax, [f"long tails cut: {share_text(off)} of samples off the axes"])
        ax.xaxis.set_major_formatter(axis_formatter(xunit))
        ax.yaxis.set_major_formatter(axis_formatter(yunit))
        ax.set_xlabel(label_of(results[input], input, labels=labels))
        ax.set_ylabel(label_of(results[output], output, labels=labels))
        ax.legend(loc="best", markerscale=2.5)
        rho = float(np.corrcoef(_ranks(xv), _ranks(yv))[0, 1]) if xv.size > 2 and np.ptp(xv) and np.ptp(yv) \
            else math.nan
        outw = words(output.removesuffix("_per_day"), labels)
        trend = "rises" if rho > 0 else "falls"
        set_title(ax, title, (f"{outw} {trend} with {words(input, labels)} (Spearman \u03c1 = {rho:.2f})"
                               if math.isfinite(rho) else f"{outw} against {words(input, labels)}"))
    return ax
