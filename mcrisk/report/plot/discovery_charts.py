"""Charts of where the event lives and what is worth knowing: PRIM's trade-off, a box, EVPPI bars."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import xarray as xr

from mcrisk.core.events import OPERATORS
from mcrisk.core.statistics import per_period
from mcrisk.core.errors import SpecError
from mcrisk.core.text import Labels, format_value, percent_text, words
from mcrisk.report.plot.style import GAIN, GREY, LOSS, axis_formatter, deck_axes, deck_style, label_of, set_title

# Matplotlib is imported by deck_axes when a figure is made, never here.

__all__ = ["plot_evppi", "plot_scenario_box", "plot_tradeoff"]


def _box(boxes: xr.Dataset, box: int) -> xr.Dataset:
    if box not in boxes.box.values:
        raise SpecError(f"box = {box!r} is not a box of the scenarios; boxes: {list(map(int, boxes.box.values))}")
    return boxes.sel(box=box)


def plot_tradeoff(boxes: xr.Dataset, *, box: int = 1, ax=None, title: str | None = None,
                  labels: Labels | None = None) -> Any:
    """PRIM's peeling trajectory: density against coverage, the picked step marked.

    Parameters
    ----------
    boxes
        From :func:`mcrisk.analyze.scenarios.scenarios` (at least one box).
    box
        The box whose trajectory is drawn.
    ax
        Axes to draw on; a new deck figure when None.
    title
        Replaces the default title (the picked box's coverage and density).

    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the variables in the title and
        axes; None: names in words. The chart depends on its arguments only.
    Returns
    -------
    matplotlib.axes.Axes
    """
    b = _box(boxes, box)
    from matplotlib import colormaps

    from mcrisk.analyze.scenarios import event_words

    c, d, r = (b[k].values for k in ("trajectory_coverage", "trajectory_density", "trajectory_restricted"))
    ok = np.isfinite(c)
    what = event_words(boxes, labels)
    top = int(np.nanmax(r)) if ok.any() else 0
    with deck_style():
        ax = deck_axes(ax)
        sc = ax.scatter(c[ok], d[ok], c=r[ok], cmap=colormaps["viridis"].resampled(top + 1), vmin=-0.5,
                        vmax=top + 0.5, s=28, zorder=3, gid="trajectory")
        ax.plot(c[ok], d[ok], color=GREY, linewidth=1, zorder=2)
        step = int(b.step)
        k = int(b.n_restricted)
        ax.scatter([c[step]], [d[step]], s=160, facecolors="none", edgecolors=LOSS, linewidths=2, zorder=4,
                   gid="picked", label=f"picked: {k} input{'' if k == 1 else 's'} restricted")
        ax.axhline(boxes.attrs.get("threshold_density", math.nan), color=LOSS, linewidth=1, linestyle=":")
        bar = ax.figure.colorbar(sc, ax=ax, label="inputs restricted", ticks=range(top + 1))
        bar.ax.tick_params(length=0)
        ax.xaxis.set_major_formatter(axis_formatter("1"))
        ax.yaxis.set_major_formatter(axis_formatter("1"))
        ax.set_xlabel(f"Coverage (% of all {'losses' if what == 'loss' else 'cases of the event'} in the box)")
        ax.set_ylabel("Density (%)")
        ax.legend(loc="lower left")
        set_title(ax, title, f"Box {box} holds {percent_text(float(b.coverage))} of all "
                             f"{'losses' if what == 'loss' else 'cases of ' + what}, at density "
                             f"{percent_text(float(b.density))}; the curve is the trade-off")
    return ax


def plot_scenario_box(results: xr.Dataset, boxes: xr.Dataset, *, box: int = 1, ax=None, max_points: int = 4000,
                      title: str | None = None, labels: Labels | None = None,
                      period_days: float | None = None) -> Any:
    """The box on a scatter of its two main inputs, samples with and without the event coloured.

    The two main inputs are the box's restricted inputs whose range it narrows most (relative
    to the prior's); with one restricted input, the second axis is the output.

    Parameters
    ----------
    results
        The results the boxes were found in.
    boxes
        From :func:`mcrisk.analyze.scenarios.scenarios`.
    box
        The box drawn.
    ax, title
        As for :func:`plot_tradeoff`.
    max_points
        Draw at most this many samples (every k-th).

    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the variables in the title and
        axes; None: names in words. The chart depends on its arguments only.
    period_days
        Money per day is drawn per this period (30: per month, :func:`mcrisk.core.statistics.per_period`);
        None: as ``results`` holds it (a report's results are already stated per period).
    Returns
    -------
    matplotlib.axes.Axes
    """
    results = per_period(results, period_days)
    from mcrisk.analyze.discovery_run import scenario_event
    from mcrisk.analyze.scenarios import box_sentence, event_words

    b = _box(boxes, box)
    names = [str(k) for k in boxes.input.values[b.restricted.values]]
    span = {k: (float(b.high.sel(input=k)) - float(b.low.sel(input=k)))
            / max(float(np.ptp(results[k].values)), 1e-300) for k in names}
    names = sorted(names, key=lambda k: span[k])[:2]
    out = boxes.attrs["output"]
    xk, yk = names[0], names[1] if len(names) > 1 else out
    y = np.asarray(results[out].values, dtype=float).ravel()
    ev = scenario_event(boxes)
    # the boxes' results store the output per day; results stated per period compare with the threshold as shown
    stored = str(results[out].attrs.get("units", "")) == str(boxes.attrs.get("units", ""))
    with np.errstate(invalid="ignore"):
        hit = np.asarray(OPERATORS[ev.op](y, boxes.attrs.get("event_limit", ev.threshold) if stored
                                          else ev.threshold), dtype=bool)
    what = event_words(boxes, labels)  # "loss" or "profit" when it is one, else the event as read
    said = what if what in ("loss", "profit") else ev.words(labels)
    xv = np.asarray(results[xk].values, dtype=float).ravel()
    yv = np.broadcast_to(np.asarray(results[yk].values, dtype=float).ravel(), xv.shape)
    step = max(1, math.ceil(xv.size / max_points))
    xs, ys, hs = xv[::step], yv[::step], hit[::step]
    with deck_style():
        ax = deck_axes(ax)
        ax.scatter(xs[~hs], ys[~hs], s=10, color=GAIN, alpha=0.45, linewidths=0, rasterized=True,
                   label=_negated(said), gid="scatter_other")
        ax.scatter(xs[hs], ys[hs], s=10, color=LOSS, alpha=0.55, linewidths=0, rasterized=True,
                   label=said, gid="scatter_event")
        x0, x1 = float(b.low.sel(input=xk)), float(b.high.sel(input=xk))
        if yk == out:
            y0, y1 = ax.get_ylim()
        else:
            y0, y1 = float(b.low.sel(input=yk)), float(b.high.sel(input=yk))
        x0, x1 = max(x0, float(xv.min())), min(x1, float(xv.max()))
        y0, y1 = max(y0, float(np.min(yv))), min(y1, float(np.max(yv)))
        ax.add_patch(_rectangle((x0, y0), x1 - x0, y1 - y0, "black"))
        ax.xaxis.set_major_formatter(axis_formatter(str(results[xk].attrs.get("units", ""))))
        ax.yaxis.set_major_formatter(axis_formatter(str(results[yk].attrs.get("units", ""))))
        ax.set_xlabel(label_of(results[xk], xk, labels=labels))
        ax.set_ylabel(label_of(results[yk], yk, labels=labels))
        ax.legend(loc="best", markerscale=2.5)
        text = box_sentence(boxes, box, labels)
        set_title(ax, title, text)
    return ax


def _negated(what: str) -> str:
    # "loss" -> "no loss"; "profit per month < CNY 1,500,000" -> "not profit per month < CNY 1,500,000"
    return f"no {what}" if " " not in what else f"not {what}"


def _rectangle(xy, w, h, color):
    from matplotlib.patches import Rectangle

    return Rectangle(xy, w, h, fill=False, edgecolor=color, linewidth=2.5, zorder=4, gid="box")


def plot_evppi(voi: xr.Dataset, *, ax=None, top: int = 12, title: str | None = None,
               labels: Labels | None = None) -> Any:
    """EVPPI per input and group as bars with ±2 SE, ranked, and the EVPI as a line.

    The title names the top input and its value: "Knowing decode tps per node is worth 12.0M
    CNY/month".

    Parameters
    ----------
    voi
        From :func:`mcrisk.analyze.voi.evppi`.
    ax
        Axes to draw on; a new deck figure when None.
    top
        At most this many bars.
    title
        Replaces the default title.

    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the variables in the title and
        axes; None: names in words. The chart depends on its arguments only.
    Returns
    -------
    matplotlib.axes.Axes
    """
    from mcrisk.analyze.voi import voi_frame, voi_sentence

    df = voi_frame(voi)
    body = df[df.inputs != "all"].head(top)
    units = voi.attrs.get("units", "")
    with deck_style():
        ax = deck_axes(ax)
        pos = np.arange(len(body))[::-1]
        ax.barh(pos, body.evppi, xerr=2 * body.se, color=GAIN, gid="evppi",
                error_kw={"ecolor": GREY, "capsize": 3})
        ax.plot(body.noise, pos, "|", color=LOSS, markersize=14, label="no-effect level (shuffled)", gid="noise")
        ax.axvline(float(voi.attrs["evpi"]), color=LOSS, linestyle="--", linewidth=1.3,
                   label=f"EVPI {format_value(float(voi.attrs['evpi']), units)}")
        ax.set_yticks(pos, [" + ".join(words(k, labels) for k in s.split("+")) for s in body.inputs])
        ax.xaxis.set_major_formatter(axis_formatter(units))
        ax.set_xlabel(f"EVPPI ({units})")
        ax.legend(loc="lower right")
        set_title(ax, title, voi_sentence(voi, labels))
    return ax
