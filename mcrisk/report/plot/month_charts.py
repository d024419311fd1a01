"""Charts of a model over months: cumulative cash as a fan, when the loss happens, who decides when.

:func:`plot_cash_fan` draws cumulative cash by month as P5-P25-P50-P75-P95 bands with the
break-even (0) marked and P(cumulative cash < 0) on a second axis; :func:`plot_loss_timing`
the distribution of the payback month and of the month cumulative cash turns negative for good,
with the shares that never pay back and that end in a loss; :func:`plot_sensitivity_over` each
input's share of the variance of a per-month output, stacked, month by month
(``[sensitivity] over = "month"``): which assumption decides the business early and which late.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from mcrisk.analyze.cashflow import CUMULATIVE, cash_bands, turning_months
from mcrisk.analyze.sensitivity_over import leaders_text, variance_shares
from mcrisk.core.text import Labels, format_value, percent_text, words
from mcrisk.report.plot.style import (GAIN, GREY, LOSS, PALETTE, axis_formatter, deck_axes, deck_style, label_of,
                                      set_title, share_formatter)

__all__ = ["plot_cash_fan", "plot_loss_timing", "plot_sensitivity_over"]

#: The colours of the stacked shares, in ranking order (Okabe-Ito, black and yellow last), then grey.
_STACK = ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black")


def plot_cash_fan(results: xr.Dataset, *, ax=None, title: str | None = None, labels: Labels | None = None) -> Any:
    """Fan chart of cumulative cash by month: P5-P95 and P25-P75 bands, the median, break-even marked.

    Parameters
    ----------
    results
        Per-sample results with ``cumulative_cash`` over ``(sample, month)`` (and ``cash``:
        month 0, the upfront outlay, starts the fan).
    ax
        Axes to draw on; a new 16:9 figure when None. P(cumulative cash < 0) goes on a twin axis.
    title
        Replaces the default title (when the median pays back, and P(cumulative cash < 0) at the end).
    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`); None: names in words.

    Returns
    -------
    matplotlib.axes.Axes
        The money axes (the probability axis is ``ax.right_ax``).

    Notes
    -----
    The bands are percentiles over samples month by month (:func:`mcrisk.analyze.cashflow.cash_bands`),
    not the paths of single samples.
    """
    b = cash_bands(results)
    m = np.asarray(b["month"].values, dtype=float)
    unit = b.attrs["units"]
    with deck_style():
        ax = deck_axes(ax)
        ax.fill_between(m, b.p05, b.p95, color=PALETTE["blue"], alpha=0.18, linewidth=0, label="P5-P95", gid="fan_90")
        ax.fill_between(m, b.p25, b.p75, color=PALETTE["blue"], alpha=0.35, linewidth=0, label="P25-P75", gid="fan_50")
        ax.plot(m, b.p50, color=PALETTE["blue"], linewidth=2.4, label="median", gid="fan_median")
        ax.axhline(0, color=GREY, linewidth=1.2, linestyle=(0, (4, 2)), gid="breakeven")
        ax.annotate("break-even", (m[0], 0), xytext=(4, 4), textcoords="offset points", color=GREY, fontsize=11)
        crossed = np.flatnonzero((b.p50.values[1:] >= 0) & (b.p50.values[:-1] < 0))
        if crossed.size:
            at = m[crossed[0] + 1]
            ax.axvline(at, color=GAIN, linewidth=1.2, linestyle=(0, (2, 2)), gid="median_payback")
            ax.annotate(f"median pays back in month {at:g}", (at, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(4, -16), textcoords="offset points", color=GAIN, fontsize=11)
        ax.set_xlim(m[0], m[-1])
        ax.set_xlabel("Month")
        ax.set_ylabel(label_of(results[CUMULATIVE], CUMULATIVE, unit, labels=labels))
        ax.yaxis.set_major_formatter(axis_formatter(unit))
        right = ax.twinx()
        right.spines["right"].set_visible(True)
        right.plot(m, b.p_below_zero, color=LOSS, linewidth=1.8, linestyle=(0, (5, 2)),
                   label="P(cumulative cash < 0)", gid="p_below_zero")
        right.set_ylim(0, 1.3)  # headroom for the legend row above the curves
        right.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi + 0.25 * (hi - lo))
        right.yaxis.set_major_formatter(share_formatter())
        right.set_ylabel("P(cumulative cash < 0)", color=LOSS)
        ax.right_ax = right
        handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
        ax.legend(handles, [h.get_label() for h in handles], loc="upper center", ncol=4, frameon=False, fontsize=10)
        end = float(b.p_below_zero.values[-1])
        when = (f"the median pays back in month {m[crossed[0] + 1]:g}" if crossed.size else
                "the median never pays back" if b.p50.values[-1] < 0 else "the median never goes below 0")
        set_title(ax, title, f"Cumulative cash: {when}; P(< 0) at month {m[-1]:g} = {percent_text(end)}; "
                             f"median {format_value(float(b.p50.values[-1]), unit)}")
    return ax


def plot_loss_timing(results: xr.Dataset, *, ax=None, title: str | None = None, labels: Labels | None = None) -> Any:
    """When the loss happens: the share of samples paying back, and turning to a loss for good, in each month.

    Parameters
    ----------
    results
        Per-sample results with ``cumulative_cash`` over ``(sample, month)``.
    ax
        Axes to draw on; a new 16:9 figure when None.
    title
        Replaces the default title (the median payback month and the share that never pays back).
    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`); unused but taken like every chart's.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    The payback month is the first month at which cumulative cash is >= 0; the month of the
    loss, for a sample that reached 0, the first month from which it stays below 0 to the end
    (:func:`mcrisk.analyze.cashflow.turning_months`). Bars are shares of all samples, so each
    series sums to the share that pays back (or ends in a loss); the rest is in the legend.
    """
    t = turning_months(results)
    n = t.sizes["sample"]
    months = np.arange(1, t.attrs["months"] + 1)
    pay = np.array([(t.payback_month.values == k).sum() for k in months]) / max(n, 1)
    loss = np.array([(t.loss_month.values == k).sum() for k in months]) / max(n, 1)
    never, ends = t.attrs["never_pays_back"], t.attrs["ends_in_loss"]
    with deck_style():
        ax = deck_axes(ax)
        w = 0.42
        ax.bar(months - w / 2, pay, width=w, color=GAIN, linewidth=0,
               label=f"pays back in the month ({percent_text(1 - never)} do; {percent_text(never)} never)",
               gid="payback")
        ax.bar(months + w / 2, loss, width=w, color=LOSS, linewidth=0,
               label=f"turns negative for good after reaching 0 ({percent_text(t.attrs['turns_to_loss'])}; "
                     f"{percent_text(ends)} end in a loss)", gid="loss")
        ax.set_xlim(0.3, months[-1] + 0.7)
        ax.set_xlabel("Month")
        ax.set_ylabel("Share of samples")
        ax.yaxis.set_major_formatter(share_formatter())
        top = max(float(pay.max(initial=0)), float(loss.max(initial=0)), 0.01)
        ax.set_ylim(0, top * 1.3)
        ax.legend(loc="upper right", frameon=False, fontsize=11)
        paid = t.payback_month.values[np.isfinite(t.payback_month.values)]
        head = (f"median payback month {np.median(paid):g} (of those that pay back)" if paid.size
                else "no sample pays back")
        set_title(ax, title, f"When the loss happens: {head}; {percent_text(never)} never pay back "
                             f"within {months[-1]} months")
    return ax


def plot_sensitivity_over(sens: xr.Dataset, *, output: str | None = None, ax=None, title: str | None = None,
                          labels: Labels | None = None) -> Any:
    """Each input's share of the variance of a per-month output, stacked month by month.

    Parameters
    ----------
    sens
        Sensitivity indices over ``input`` and ``sens.attrs["over"]`` (``[sensitivity] over =
        "month"``), of one output or over ``output``.
    output
        The output drawn when ``sens`` has several; default its first.
    ax
        Axes to draw on; a new 16:9 figure when None.
    title
        Replaces the default title (which input decides in which months).
    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`).

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    The shares are :func:`mcrisk.analyze.sensitivity_over.variance_shares`: first-order indices
    (Sobol', FAST, RBD-FAST, delta) with interactions and noise in grey on top; Morris and PAWN
    show each input's part of the summed ranking index. A month not analysed is left empty.
    """
    if "output" in sens.dims:
        output = output if output is not None else str(sens.output.values[0])
        sens = sens.sel(output=output)
    output = output or str(sens.attrs.get("output", ""))
    over = sens.attrs["over"]
    steps = np.asarray(sens[over].values, dtype=float)
    factors, shares, rest, what = variance_shares(sens)
    colours = [PALETTE[_STACK[i]] if i < len(_STACK) else GREY for i in range(len(factors))]
    with deck_style():
        ax = deck_axes(ax)
        bottom = np.zeros(len(steps))
        for name, share, colour in zip(factors, shares, colours, strict=True):
            ax.bar(steps, np.nan_to_num(share), bottom=bottom, width=0.85, color=colour, linewidth=0,
                   label=words(name, labels), gid=f"share_{name}")
            bottom += np.nan_to_num(share)
        if np.nanmax(rest, initial=0) > 0.005:
            ax.bar(steps, np.nan_to_num(rest), bottom=bottom, width=0.85, color="#BBBBBB", linewidth=0,
                   label="interactions and the rest", gid="share_rest")
        ax.set_ylim(0, 1.0)
        ax.set_xlim(steps[0] - 0.6, steps[-1] + 0.6)
        ax.yaxis.set_major_formatter(share_formatter())
        ax.set_xlabel(over.capitalize())
        ax.set_ylabel(what)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=10)
        who = leaders_text(sens, lambda k: words(k, labels))
        set_title(ax, title, f"What decides {words(output, labels)}, {over} by {over}: {who}" if who else
                  f"What decides {words(output, labels)}, {over} by {over}")
    return ax
