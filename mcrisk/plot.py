"""Figures for a slide deck: distribution, exceedance, tornado, sensitivity, scatter, convergence.

Every function has the form ``plot_x(data, *, ax=None, **kwargs) -> Axes``: it draws on ``ax``
through its methods, makes a 16:9 figure only when ``ax`` is None, and never touches pyplot's
global state (figures are :class:`matplotlib.figure.Figure` objects, rendered by Agg when
saved), so plotting is safe in scripts, servers and threads. Matplotlib is imported on the
first call, never when mcrisk is imported.

The deck style: 16:9 at 10 x 5.625 inches (2000 x 1125 px at 200 dpi), fonts legible when the
figure fills a slide, the Okabe-Ito colour-blind-safe palette (loss in vermillion, profit in
blue), a title that states the finding, axis labels with units and k/M/B tick labels.

Example
-------
>>> from mcrisk import run_study
>>> from mcrisk.plot import plot_distribution, save_figure
>>> run = run_study("studies/deepseek_545.toml", write=False)       # doctest: +SKIP
>>> ax = plot_distribution(run.results)                              # doctest: +SKIP
>>> save_figure(ax.figure, "profit", ("png", "svg"))                 # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from .deckstyle import (
    FORMATS,
    PALETTE,
    _FIGSIZE,
    _GAIN,
    _GREY,
    _LOSS,
    _axes,
    _axis_formatter,
    _name,
    _note,
    _overlaps,
    _share_formatter,
    _share_text,
    _stagger,
    _style,
    _title,
    format_value,
    label_of,
    loss_words,
    percent_text,
    save_figure,
    si_number,
    title_of,
)
from .errors import SpecError, shorten
from .risk import outputs_of
from .validate import show_key, show_keys

__all__ = ["FORMATS", "PALETTE", "check_config", "label_of", "plot_convergence",
           "plot_distribution", "plot_exceedance", "plot_scatter", "plot_sensitivity", "plot_tornado",
           "save_figure", "si_number", "title_of"]

#: The optional ``[plots]`` table of a study: key -> (check, default, what is allowed).
_PLOT_KEYS: dict[str, tuple[Any, Any, str]] = {
    "scatter": (lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v), None,
                "a list of input names, e.g. [\"gpu_hour_price\"]"),
    "bins": (lambda v: isinstance(v, int) and not isinstance(v, bool) and 5 <= v <= 500, 60,
             "an integer from 5 to 500"),
    "outputs": (lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v), [],
                "a list of further outputs to draw the distribution of"),
    "top": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, None,
            "an integer >= 1: the number of inputs shown in tornado and sensitivity charts"),
    "convergence": (lambda v: isinstance(v, bool), True, "true or false"),
    "exceedance": (lambda v: isinstance(v, bool), True, "true or false"),
}


def check_config(table: Mapping[str, Any], *, where: str = "[plots]", uncertain: Sequence[str] | None = None,
                 outputs: Sequence[str] | None = None) -> dict[str, Any]:
    """Check a study's ``[plots]`` table and fill in the defaults.

    Keys: ``scatter`` (inputs to plot the output against; default: the top driver), ``bins``
    (histogram bins, 60), ``outputs`` (further outputs whose distribution is drawn), ``top``
    (inputs shown in tornado and sensitivity charts; default all), ``convergence`` and
    ``exceedance`` (draw those charts; default true).

    ``uncertain`` and ``outputs``, when given, are the study's uncertain inputs and the model's
    outputs: ``scatter`` and ``outputs`` must name them (checked at load, not after the run).

    Raises
    ------
    SpecError
        One line naming the key and value and listing what is allowed.
    """
    cfg = {k: (list(d) if isinstance(d, list) else d) for k, (_, d, _) in _PLOT_KEYS.items()}
    for key, value in table.items():
        if key not in _PLOT_KEYS:
            raise SpecError(f"{where} {show_key(key)} = {shorten(value)} is not a key; allowed: "
                            f"{', '.join(_PLOT_KEYS)}")
        ok, _, allowed = _PLOT_KEYS[key]
        if key == "scatter" and isinstance(value, str):
            value = [value]
        if not ok(value):
            raise SpecError(f"{where} {key} = {shorten(value)} must be {allowed}")
        cfg[key] = value
    if uncertain is not None:
        for name in cfg["scatter"] or ():
            if name not in uncertain:
                raise SpecError(f"{where} scatter = {shorten(name)} is not an uncertain input; uncertain "
                                f"inputs: {show_keys(uncertain)}")
    if outputs:
        for name in cfg["outputs"]:
            if name not in outputs:
                raise SpecError(f"{where} outputs = {shorten(name)} is not an output; outputs: "
                                f"{show_keys(outputs)}")
    return cfg


def _finite(results: xr.Dataset, output: str | None) -> tuple[str, np.ndarray, str]:
    output = output or results.attrs.get("output")
    if output is None or output not in results:
        outs = outputs_of(results)
        if output is None and outs:
            output = outs[0]
        else:
            raise SpecError(f"output = {output!r} is not in the results; outputs: {', '.join(outs)}")
    x = np.asarray(results[output].values, dtype=float).ravel()
    x = x[np.isfinite(x)]
    if x.size and (big := float(np.abs(x).max())) > CHART_MAX:
        raise SpecError(chart_limit(output, big))
    return output, x, results[output].attrs.get("units", "")


#: The largest magnitude a chart can show: beyond it matplotlib's transforms overflow.
CHART_MAX = 1e150


def chart_limit(name: str, value: float) -> str:
    """Why ``name`` cannot be charted: it reaches ``value``, beyond :data:`CHART_MAX`."""
    return f"{name} reaches {value:.3g}; values beyond ±{CHART_MAX:.0e} cannot be charted"


# --- distribution and exceedance ------------------------------------------------------------------

#: Quantiles that bound the x range of distribution and exceedance charts when a tail is long.
_VIEW_Q = (0.005, 0.995)
#: A tail is clipped only when it reaches this share of the P0.5..P99.5 width beyond it.
_LONG_TAIL = 0.25


def _view_range(x: np.ndarray, *, zero: bool = True) -> tuple[float, float]:
    """The x range to draw: ``min .. max``, but a long tail is cut at P0.5 (or P99.5).

    A side is cut when its extreme lies more than ``_LONG_TAIL`` times the P0.5..P99.5 width
    beyond that quantile, so a compact distribution is drawn whole. With ``zero``, 0 stays in
    range whenever the samples have both signs.
    """
    lo, hi = float(x.min()), float(x.max())
    qlo, qhi = (float(v) for v in np.quantile(x, _VIEW_Q))
    width = qhi - qlo
    if width > 0:
        lo = qlo if lo < qlo - _LONG_TAIL * width else lo
        hi = qhi if hi > qhi + _LONG_TAIL * width else hi
    if zero and x.min() < 0 < x.max():
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    return lo, hi


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


def _off_chart(x: np.ndarray, lo: float, hi: float, unit: str) -> str:
    """``'tails off the chart: 0.5% of samples below −60M (min −146M), 0.3% above 12M (max 40M)'``,
    or ``''`` when every sample is inside ``lo .. hi``."""
    v = lambda a: format_value(float(a), unit, with_unit=False)  # noqa: E731
    parts = [f"{_share_text(float(np.mean(side)))} {word} {v(edge)} ({end} {v(extreme)})"
             for side, word, edge, end, extreme in ((x < lo, "below", lo, "min", x.min()),
                                                    (x > hi, "above", hi, "max", x.max())) if side.any()]
    if not parts:
        return ""
    parts[0] = parts[0].replace(" ", " of samples ", 1)
    return "tails off the chart: " + ", ".join(parts)


def plot_distribution(results: xr.Dataset, *, output: str | None = None, ax=None, bins: int = 60,
                      title: str | None = None) -> Any:
    """Histogram of an output with the loss side shaded, P(loss) written on it, P5/P50/P95 marked.

    Parameters
    ----------
    results
        A results Dataset over ``sample`` (stated per period with :func:`mcrisk.risk.per_period`
        if money should read per month).
    output
        The variable to draw (default: the study output, ``results.attrs["output"]``).
    ax
        Axes to draw on; a new 16:9 figure when None.
    bins
        Number of histogram bins across the drawn range; zero always falls on a bin edge.
    title
        Replaces the default title, which states P(loss) and the median.

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
    output, x, unit = _finite(results, output)
    n_bad = int(results[output].size - x.size)
    loss, gain = loss_words(output)
    with _style():
        ax = _axes(ax)
        if x.size == 0:
            _title(ax, None, f"{_name(output)}: no finite samples")
            return ax
        lo, hi = _view_range(x)
        edges = _edges(lo, hi, bins)
        counts, edges = np.histogram(x, bins=edges)
        share = counts / x.size
        centres = edges[:-1] / 2 + edges[1:] / 2   # halves first: no overflow near the float limit
        colours = np.where(centres < 0, _LOSS, _GAIN)
        ax.bar(edges[:-1], share, width=np.diff(edges), align="edge", color=colours, alpha=0.85,
               linewidth=0, gid="histogram")
        p_loss = float(np.mean(x < 0))
        q05, q50, q95 = (float(q) for q in np.quantile(x, [0.05, 0.5, 0.95]))
        xlo, xhi = float(edges[0]), float(edges[-1])
        if lo == hi:                              # one value: a narrow bar with room around it
            xlo, xhi = xlo - 4 * (xhi - xlo), xhi + 4 * (xhi - xlo)
        if xlo < 0:
            ax.axvspan(xlo, min(0.0, xhi), color=_LOSS, alpha=0.08, linewidth=0, zorder=0)
        if xlo <= 0 <= xhi:
            ax.axvline(0, color=_LOSS, linewidth=1.5, zorder=3)
        top = float(share.max())
        # Bars fill the lower two thirds; the band above holds P(loss) and the quantile labels.
        ax.set_ylim(0, top * 1.5)
        anchor = top * 1.03
        marks: dict[str, list[str]] = {}
        for q, tag in ((q05, "P5"), (q50, "P50"), (q95, "P95")):
            marks.setdefault(format_value(q, unit, with_unit=False), []).append(tag)
        labels = []
        for text, tags in marks.items():
            q = {"P5": q05, "P50": q50, "P95": q95}[tags[0]]
            ax.vlines(q, 0, anchor, color=PALETTE["black"], linewidth=1.2, linestyle=(0, (4, 3)), zorder=3)
            labels.append(ax.annotate(f"{' = '.join(tags)} {text}", xy=(q, anchor), xytext=(0, 2),
                                      textcoords="offset points", ha="center", va="bottom", fontsize=12,
                                      zorder=4, gid="quantile_label",
                                      bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                                            "alpha": 0.85}))
        ax.set_xlim(xlo, xhi)
        ax.xaxis.set_major_formatter(_axis_formatter(unit))
        ax.yaxis.set_major_formatter(_share_formatter())
        ax.set_xlabel(label_of(results[output], output))
        ax.set_ylabel("Share of samples")
        _note(ax, [_off_chart(x, xlo, xhi, unit), f"{n_bad:,} NaN/inf samples left out" if n_bad else ""])
        _title(ax, title, f"P({loss}) = {percent_text(p_loss)}; median {_name(output.removesuffix('_per_day'))} "
                              f"{format_value(q50, unit)}")
        _stagger(ax, labels, step=18)
        # P(loss) in the top corner that no quantile label reaches (left unless it is taken).
        placed = [a.get_window_extent() for a in labels]
        for corner, ha in ((0.015, "left"), (0.985, "right")):
            p_text = ax.text(corner, 0.97, f"P({loss}) = {percent_text(p_loss)}", transform=ax.transAxes, ha=ha,
                             va="top", fontsize=20, fontweight="bold", color=_LOSS, gid="p_loss", zorder=5,
                             bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})
            if not _overlaps(p_text.get_window_extent(), placed) or ha == "right":
                break
            p_text.remove()
    return ax


def plot_exceedance(results: xr.Dataset, *, output: str | None = None, ax=None,
                    title: str | None = None) -> Any:
    """The exceedance curve ``P(output > x)`` with the break-even point marked.

    Parameters
    ----------
    results, output, ax, title
        As for :func:`plot_distribution`.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    With the finite samples sorted, ``x_(1) <= ... <= x_(n)``, the curve is the empirical
    ``P(X > x_(i)) = (n - i) / n``; the break-even point is ``(0, #{x > 0} / n)``.
    """
    from matplotlib.ticker import PercentFormatter

    output, x, unit = _finite(results, output)
    loss, gain = loss_words(output)
    with _style():
        ax = _axes(ax)
        if x.size == 0:
            _title(ax, None, f"{_name(output)}: no finite samples")
            return ax
        xs = np.sort(x)
        n = xs.size
        p = (n - np.arange(1, n + 1)) / n
        ax.step(np.r_[xs[0], xs], np.r_[1.0, p], where="post", color=_GAIN, linewidth=2.5, gid="exceedance")
        p_gain = float(np.mean(x > 0))
        lo, hi = _view_range(x)
        pad = (hi - lo) * 0.03 or abs(lo) * 0.01 or 0.5
        lo, hi = lo - pad * (lo == xs[0]), hi + pad * (hi == xs[-1])     # no pad at a clipped side
        ax.set_xlim(lo, hi)
        ax.set_ylim(0, 1.02)
        _note(ax, [_off_chart(x, lo, hi, unit)])
        if lo < 0:
            ax.axvspan(lo, min(0.0, hi), color=_LOSS, alpha=0.08, linewidth=0, zorder=0)
        if lo <= 0 <= hi:
            ax.axvline(0, color=_LOSS, linewidth=1.5)
            ax.plot([0], [p_gain], marker="o", markersize=10, color=_LOSS, zorder=5, gid="break_even")
        ax.grid(True, axis="y", color="#dddddd", linewidth=0.8)
        ax.xaxis.set_major_formatter(_axis_formatter(unit))
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
        ax.set_xlabel(label_of(results[output], output))
        ax.set_ylabel("Probability of exceeding")
        q05 = float(np.quantile(x, 0.05))
        _title(ax, title, f"P({gain}) = {percent_text(p_gain)}; 1 in 20 chance of "
                              f"{format_value(q05, unit)} or less")
        if lo <= 0 <= hi:
            # The curve falls to the right, so above-right and below-left of the point are clear;
            # take the first of those where the label stays inside the axes.
            fig = ax.figure
            fig.draw_without_rendering()
            box = ax.get_window_extent()
            label = None
            for (dx, dy), ha, va in (((14, 10), "left", "bottom"), ((-14, -10), "right", "top"),
                                     ((14, -10), "left", "top"), ((-14, 10), "right", "bottom")):
                if label is not None:
                    label.remove()
                label = ax.annotate(f"break-even: P({gain}) = {percent_text(p_gain)}", xy=(0, p_gain), xytext=(dx, dy),
                                    textcoords="offset points", ha=ha, va=va, fontsize=14, color=_LOSS,
                                    fontweight="bold", gid="break_even_label",
                                    bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})
                bb = label.get_window_extent()
                if bb.x0 >= box.x0 and bb.x1 <= box.x1 and bb.y0 >= box.y0 and bb.y1 <= box.y1:
                    break
    return ax


# --- tornado and sensitivity ----------------------------------------------------------------------

def _select_output(ds: xr.Dataset, output: str | None) -> xr.Dataset:
    if "output" not in ds.dims:
        of = str(ds.output.values) if "output" in ds.coords else ds.attrs.get("output")
        if output and of and output != of:
            raise SpecError(f"the sensitivity results are of {of}, not of {output}; "
                            "analyse that output to show its indices")
        return ds
    names = [str(v) for v in ds.output.values]
    # attrs["output"] lists every output ("a, b") when there are several
    output = output or next((o for o in (ds.attrs.get("output"),) if o in names), names[0])
    if output not in names:
        raise SpecError(f"output = {output!r} is not in the sensitivity results; outputs: {', '.join(names)}")
    return ds.sel(output=output)


def _interval(ds: xr.Dataset, var: str) -> np.ndarray | None:
    """``(2, k)`` error-bar lengths for ``var`` from ``var_conf`` or ``var_low``/``var_high``."""
    v = np.asarray(ds[var].values, dtype=float)
    if f"{var}_conf" in ds:
        c = np.abs(np.asarray(ds[f"{var}_conf"].values, dtype=float))
        return np.vstack([c, c])
    if f"{var}_low" in ds and f"{var}_high" in ds:
        lo = np.asarray(ds[f"{var}_low"].values, dtype=float)
        hi = np.asarray(ds[f"{var}_high"].values, dtype=float)
        return np.vstack([np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)])
    return None


def plot_tornado(tab: xr.Dataset, *, sensitivity: xr.Dataset | None = None, ax=None, top: int | None = None,
                 title: str | None = None) -> Any:
    """One-at-a-time swing bars around the base output, largest on top.

    Parameters
    ----------
    tab
        From :func:`mcrisk.tornado.tornado` (sorted largest swing first).
    sensitivity
        Optional sensitivity Dataset with ``ST`` (and ``ST_conf``): the total-order index and
        its 95% interval are written beside each bar.
    ax
        Axes to draw on; a new 16:9 figure when None.
    top
        Show only the ``top`` largest swings.
    title
        Replaces the default, which names the input with the largest swing.

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
    from matplotlib.patches import Patch

    base = float(tab.attrs["base_output"])
    ends = np.c_[tab.output_low.values, tab.output_high.values].astype(float)
    drawable = np.isfinite(ends).all(axis=1) & (np.abs(ends).max(axis=1, initial=0) <= CHART_MAX)
    left_out = [f"{n} ({format_value(float(a), '', with_unit=False)} to {format_value(float(b), '', with_unit=False)})"
                for n, (a, b), ok in zip(tab.input.values, ends, drawable, strict=True) if not ok]
    tab = tab.isel(input=np.flatnonzero(drawable))
    tab = tab.isel(input=slice(0, top)) if top else tab
    names = [str(v) for v in tab.input.values]
    k = len(names)
    unit = tab.attrs.get("units", "")
    out = tab.attrs.get("output", "output")
    in_units = [str(u) for u in tab["input_units"].values] if "input_units" in tab.coords else [""] * k
    # A dimensionless input that never drops below 1 (peak_to_avg, headroom) is a ratio, not a share.
    in_units = ["\u00d7" if u == "1" and min(abs(float(a)), abs(float(b))) >= 1 else u
                for u, a, b in zip(in_units, tab.input_low.values, tab.input_high.values, strict=True)]
    st = None
    if sensitivity is not None and "ST" in sensitivity:
        s = _select_output(sensitivity, out)  # never another output's indices beside these bars
        have = [str(v) for v in s.input.values]
        ci = _interval(s, "ST")
        st = {n: (float(s.ST.values[have.index(n)]), float(ci[1][have.index(n)]) if ci is not None else None)
              for n in names if n in have}
    with _style():
        ax = _axes(ax, figsize=(_FIGSIZE[0], max(_FIGSIZE[1], 1.6 + 0.75 * k)) if k > 6 else _FIGSIZE)
        if not (math.isfinite(base) and abs(base) <= CHART_MAX):
            _title(ax, None, f"No tornado: {_name(out)} at the base case is {format_value(base, '', with_unit=False)}")
            ax.set_axis_off()
            return ax
        if k == 0:
            _title(ax, None, "No uncertain inputs: nothing swings" if not left_out else
                   f"No tornado: every swing of {_name(out)} reaches a value no chart can show")
            ax.set_axis_off()
            return ax
        y = np.arange(k)
        lo = np.asarray(tab.output_low.values, dtype=float)
        hi = np.asarray(tab.output_high.values, dtype=float)
        height = 0.62
        low_bars = ax.barh(y, lo - base, left=base, height=height, color=PALETTE["blue"],
                           label="input at low quantile", gid="tornado_low")
        ax.barh(y, hi - base, left=base, height=height, color=PALETTE["orange"],
                label="input at high quantile", gid="tornado_high")
        for i in np.flatnonzero((lo - base) * (hi - base) > 0):      # both ends on one side: the
            if abs(lo[i] - base) < abs(hi[i] - base):                  # shorter bar in front
                low_bars[i].set_zorder(1.5)
        band = -0.5 - 0.4                           # a strip above the top bar for the base label
        foot = k - 0.5 + 0.5                        # and one below the last bar for "break-even"
        ax.vlines(base, k - 0.5, -0.5 - 0.12, color=PALETTE["black"], linewidth=1.2)
        ends = np.r_[lo, hi, base]
        span = max(float(np.ptp(ends)), abs(base) * 0.1, 1e-12)
        # Room for the end labels: a share of the axes width from the longest label on each side
        # (about 0.6 em a character at 12 pt on axes about 0.6 of the figure wide).
        texts = {side: [len(format_value(float(v), in_units[i])) for i in range(k)
                        for e, v in ((lo[i], tab.input_low.values[i]), (hi[i], tab.input_high.values[i]))
                        if (e >= base) == side] or [0] for side in (False, True)}
        axes_in = 0.6 * ax.figure.get_figwidth()
        frac = {side: min(0.3, (max(n) * 0.6 * 12 / 72 + 0.15) / axes_in) for side, n in texts.items()}
        data_frac = max(1 - frac[False] - frac[True], 0.3)
        left_edge = float(ends.min()) - span * frac[False] / data_frac
        right_edge = float(ends.max()) + span * frac[True] / data_frac
        ax.set_xlim(left_edge, right_edge)
        ax.set_ylim(foot, band)                     # inverted: largest swing on top
        ax.text(base, band + 0.06, f"base {format_value(base, unit, with_unit=False)}", ha="center", va="top",
                fontsize=12, gid="base_label", bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})
        if left_edge < 0 < right_edge and base != 0:
            # Below the bars, so it can never cover the base label however close 0 is to the base.
            ax.vlines(0, foot, -0.5, color=_LOSS, linewidth=1.5, linestyle=(0, (4, 3)))
            ax.annotate("break-even", xy=(0, foot), xytext=(0, 5), textcoords="offset points", color=_LOSS,
                        fontsize=12, ha="center", va="bottom", gid="break_even_label",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})
        for i in range(len(names)):
            same_side = (lo[i] - base) * (hi[i] - base) > 0
            for end, other, val in ((lo[i], hi[i], float(tab.input_low.values[i])),
                                    (hi[i], lo[i], float(tab.input_high.values[i]))):
                right = end >= base
                # Both ends on one side of the base: the nearer end's label goes inside the bar,
                # ending at that end, so it cannot run into the farther end's label.
                inside = same_side and abs(end - base) < abs(other - base)
                right ^= inside
                ax.annotate(format_value(val, in_units[i]), xy=(end, y[i]), xytext=(6 if right else -6, 0),
                            textcoords="offset points", ha="left" if right else "right", va="center",
                            fontsize=12, gid="end_label",
                            bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})
        ax.set_yticks(y, [_name(n) for n in names])
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        if st:
            ax.annotate("ST \u00b1 95% CI", xy=(1.0, band + 0.06), xycoords=("axes fraction", "data"),
                        xytext=(10, 0), textcoords="offset points", ha="left", va="top", fontsize=12,
                        color=_GREY)
            for i, n in enumerate(names):
                if n in st:
                    v, c = st[n]
                    txt = f"{v:.2f}" + (f" \u00b1 {c:.2f}" if c is not None and math.isfinite(c) else "")
                    ax.annotate(txt, xy=(1.0, y[i]), xycoords=("axes fraction", "data"), xytext=(10, 0),
                                textcoords="offset points", ha="left", va="center", fontsize=13,
                                color=PALETTE["black"], fontweight="bold", gid="st_label")
        ax.xaxis.set_major_formatter(_axis_formatter(unit))
        ax.set_xlabel(label_of(None, out, unit))
        qlo, qhi = (f"P{tab.attrs.get(q, d) * 100:g}" for q, d in (("low", 0.1), ("high", 0.9)))
        handles = [Patch(color=PALETTE["blue"], label=f"input at its {qlo}"),
                   Patch(color=PALETTE["orange"], label=f"input at its {qhi}")]
        if getattr(ax.figure, "_mcrisk_owned", False):
            ax.figure.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=12)
        else:
            ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, fontsize=12)
        swing0 = float(tab.swing.values[0])
        default = f"{_name(names[0])} moves {_name(out.removesuffix('_per_day'))} most: swing {format_value(swing0, unit)}"
        if st and names[0] in st:
            default += f", ST = {st[names[0]][0]:.2f}"
        _title(ax, title, default)
        if left_out:
            _note(ax, [f"not drawn, output not chartable: {', '.join(left_out)}"])
    return ax


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
                     top: int | None = None, title: str | None = None) -> Any:
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

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    ``S1_i = V[E(Y | X_i)] / V(Y)`` is the share of the output variance that input ``i``
    explains alone; ``ST_i = E[V(Y | X_~i)] / V(Y)`` adds its interactions (Saltelli et al.
    2010, Comput. Phys. Commun. 181, 259). Bars are sorted by the main index.
    """
    s = _select_output(sens, output)
    out = output or (str(s.output.values) if "output" in s.coords else s.attrs.get("output") or "output")
    main = _main_index(s, index)
    pair = main == "ST" and "S1" in s and index is None
    vals = np.asarray(s[main].values, dtype=float)
    order = np.argsort(-np.nan_to_num(np.abs(vals), nan=-1), kind="stable")[:top]
    names = [str(v) for v in s.input.values[order]]
    k = len(names)
    with _style():
        ax = _axes(ax, figsize=(_FIGSIZE[0], max(_FIGSIZE[1], 1.6 + 0.6 * k)) if k > 7 else _FIGSIZE)
        y = np.arange(k)
        bars = [("S1", PALETTE["sky"], "first order S1 (alone)"), ("ST", PALETTE["blue"],
                                                                    "total order ST (with interactions)")] \
            if pair else [(main, PALETTE["blue"], main)]
        h = 0.38 if pair else 0.6
        for j, (var, colour, lab) in enumerate(bars):
            v = np.asarray(s[var].values, dtype=float)[order]
            ci = _interval(s, var)
            off = (j - (len(bars) - 1) / 2) * h
            ax.barh(y + off, v, height=h, color=colour, label=lab, gid=f"bars_{var}",
                    xerr=ci[:, order] if ci is not None else None,
                    error_kw={"ecolor": PALETTE["black"], "elinewidth": 1.3, "capsize": 4})
        ax.set_yticks(y, [_name(n) for n in names])
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(k - 0.5, -0.5)
        ax.axvline(0, color=PALETTE["black"], linewidth=1)
        ax.spines["left"].set_visible(False)
        if pair or main in ("delta",):
            hi = max(1.0, float(np.nanmax(np.r_[vals, 0])) * 1.05)
            ax.set_xlim(min(0.0, float(np.nanmin(np.r_[np.asarray(s["S1"].values) if pair else vals, 0])) * 1.1), hi)
        ax.grid(True, axis="x", color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
        if pair:
            ax.set_xlabel(f"Share of the variance of {_name(out.removesuffix('_per_day'))}")
            ax.legend(loc="lower right")
            s1_top = float(s.S1.values[order[0]])
            default = (f"{_name(names[0])} explains {s1_top:.0%} of the variance of "
                       f"{_name(out.removesuffix('_per_day'))} alone")
        else:
            ax.set_xlabel(SENSITIVITY_INDICES.get(main, _name(main)) + f" of {_name(out.removesuffix('_per_day'))}")
            default = f"{_name(names[0])} matters most for {_name(out.removesuffix('_per_day'))} ({_name(main)})"
        n = s.attrs.get("samples")
        method = s.attrs.get("method")
        if method or n:
            ax.text(1.0, 1.01, "; ".join(p for p in (
                f"method: {method}" if method else "", f"N = {int(n):,}" if n else "",
                f"{int(s.attrs['model_runs']):,} model runs" if s.attrs.get("model_runs") else "",
                "bars: 95% intervals") if p), transform=ax.transAxes, ha="right", va="bottom",
                fontsize=11, color=_GREY)
        _title(ax, title, default)
    return ax


# --- scatter and convergence ----------------------------------------------------------------------

def _ranks(a: np.ndarray) -> np.ndarray:
    r = np.empty(a.size)
    r[np.argsort(a, kind="stable")] = np.arange(a.size)
    return r


def plot_scatter(results: xr.Dataset, input: str, *, output: str | None = None, ax=None,
                 max_points: int = 4000, title: str | None = None) -> Any:
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

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    The title states Spearman's rank correlation of all finite samples, the Pearson
    correlation of their ranks.
    """
    if input not in results:
        ins = [k for k, v in results.data_vars.items() if v.attrs.get("role") == "input"]
        raise SpecError(f"scatter input = {input!r} is not an input of the results; inputs: {', '.join(ins)}")
    output = output or results.attrs.get("output")
    _finite(results, output)
    xv = np.asarray(results[input].values, dtype=float).ravel()
    yv = np.broadcast_to(np.asarray(results[output].values, dtype=float).ravel(), xv.shape)
    ok = np.isfinite(xv) & np.isfinite(yv)
    xv, yv = xv[ok], yv[ok]
    xunit = results[input].attrs.get("units", "")
    yunit = results[output].attrs.get("units", "")
    loss, gain = loss_words(output)
    with _style():
        ax = _axes(ax)
        step = max(1, math.ceil(xv.size / max_points))
        xs, ys = xv[::step], yv[::step]
        neg = ys < 0
        ax.scatter(xs[~neg], ys[~neg], s=10, color=_GAIN, alpha=0.45, linewidths=0, label=gain,
                   rasterized=True, gid="scatter_gain")
        ax.scatter(xs[neg], ys[neg], s=10, color=_LOSS, alpha=0.6, linewidths=0, label=loss,
                   rasterized=True, gid="scatter_loss")
        if yv.size and yv.min() < 0 < yv.max():
            ax.axhline(0, color=_LOSS, linewidth=1.3)
        if xv.size:
            # Long tails cut as in plot_distribution; the share of samples off the axes is stated.
            (xlo, xhi), (ylo, yhi) = _view_range(xv, zero=False), _view_range(yv)
            clipped = (xlo > xv.min(), xhi < xv.max(), ylo > yv.min(), yhi < yv.max())
            for lim, (a, b), (amin, amax), cut in ((ax.set_xlim, (xlo, xhi), (xv.min(), xv.max()), clipped[:2]),
                                                   (ax.set_ylim, (ylo, yhi), (yv.min(), yv.max()), clipped[2:])):
                if any(cut):
                    pad = 0.03 * (b - a)
                    lim(a - pad * (not cut[0]), b + pad * (not cut[1]))
            if any(clipped):
                off = float(np.mean((xv < xlo) | (xv > xhi) | (yv < ylo) | (yv > yhi)))
                _note(ax, [f"long tails cut: {_share_text(off)} of samples off the axes"])
        ax.xaxis.set_major_formatter(_axis_formatter(xunit))
        ax.yaxis.set_major_formatter(_axis_formatter(yunit))
        ax.set_xlabel(label_of(results[input], input))
        ax.set_ylabel(label_of(results[output], output))
        ax.legend(loc="best", markerscale=2.5)
        rho = float(np.corrcoef(_ranks(xv), _ranks(yv))[0, 1]) if xv.size > 2 and np.ptp(xv) and np.ptp(yv) \
            else math.nan
        outw = _name(output.removesuffix("_per_day"))
        trend = "rises" if rho > 0 else "falls"
        _title(ax, title, (f"{outw} {trend} with {_name(input)} (Spearman \u03c1 = {rho:.2f})"
                               if math.isfinite(rho) else f"{outw} against {_name(input)}"))
    return ax


def plot_convergence(results: xr.Dataset, *, output: str | None = None, ax=None, z: float = 1.96,
                     title: str | None = None) -> Any:
    """Running mean and running P(loss) with their confidence bands against the number of samples.

    Parameters
    ----------
    results, output, title
        As for :func:`plot_distribution`.
    ax
        None: a new 16:9 figure with two panels sharing the x axis (mean above, P(loss)
        below). One Axes: the mean on it, P(loss) on a twin y axis. A pair of Axes: one each.
    z
        Band half-width in standard errors (1.96: 95%).

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
    output, x, unit = _finite(results, output)
    loss, _ = loss_words(output)
    with _style():
        if ax is None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=_FIGSIZE, layout="constrained")
            fig._mcrisk_owned = True
            ax, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=(1, 1))
        elif isinstance(ax, (tuple, list)):
            ax, ax2 = ax
        else:
            ax2 = ax.twinx()
            ax2.spines["right"].set_visible(True)
        if x.size < 2:
            _title(ax, None, f"{_name(output)}: too few samples to show convergence")
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
        ax.yaxis.set_major_formatter(_axis_formatter(unit))
        ax.set_ylabel(f"Mean ({unit})" if unit and unit != "1" else "Mean", color=PALETTE["blue"])
        ax2.fill_between(n[idx], np.clip(p - z * pse, 0, 1)[idx], np.clip(p + z * pse, 0, 1)[idx],
                         color=_LOSS, alpha=0.18, linewidth=0)
        ax2.plot(n[idx], p[idx], color=_LOSS, linewidth=2.2, label=f"running P({loss})",
                 gid="running_p_loss")
        ax2.axhline(p[-1], color=_LOSS, linewidth=0.8, linestyle=(0, (4, 3)))
        ax2.set_xscale("log")
        ax2.yaxis.set_major_formatter(_share_formatter())
        ax2.set_ylabel(f"P({loss})", color=_LOSS)
        ax2.set_ylim(0, min(1.0, max(float((p + z * pse)[idx].max()) * 1.05, 0.05)))
        for a in (ax, ax2):
            a.xaxis.set_major_formatter(_axis_formatter(""))
        (ax2 if ax2.get_subplotspec() is not None and ax2.get_subplotspec() != ax.get_subplotspec()
         else ax).set_xlabel("Number of samples (log scale); bands: 95% intervals" if z == 1.96 else
                             f"Number of samples (log scale); bands: \u00b1{z:g} standard errors")
        _title(ax, title, f"{x.size:,} samples: P({loss}) = {p[-1]:.1%} \u00b1 {z * pse[-1]:.1%}, "
                            f"mean {format_value(float(m[-1]), unit, with_unit=False)} "
                            f"\u00b1 {format_value(z * float(se[-1]), unit)}")
    return ax
