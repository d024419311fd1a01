"""The calibration's chart: each input's prior against its posterior, on the prior's own scale."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr

from mcrisk.core.text import Labels, words
from mcrisk.report.plot.style import GAIN, GREY, deck_axes, deck_style, set_title

__all__ = ["plot_calibration"]


def plot_calibration(table: xr.Dataset, *, ax=None, title: str | None = None, labels: Labels | None = None) -> Any:
    """Prior and posterior 90% intervals and medians of each input, the prior's interval scaled to 0..1.

    Parameters
    ----------
    table
        From :func:`mcrisk.analyze.calibration_run.calibration_table`.
    ax
        Axes to draw on; a new deck figure when None.
    title
        Replaces the default title, which names the input the record moves most.
    labels
        Name -> plain label for the inputs.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Each row is one input; 0 is its prior P5 and 1 its prior P95, so inputs of any unit share
    the axis. Grey: the prior's P5..P95 and median; blue: the posterior's (the draws weighted
    by the record). Rows are ordered by the shift of the mean in prior standard deviations.
    """
    lo, hi = table.prior_p05.values, table.prior_p95.values
    width = np.where(hi > lo, hi - lo, 1.0)

    def scaled(v: np.ndarray) -> np.ndarray:
        return (v - lo) / width

    shift = (table.post_mean.values - table.prior_mean.values) / np.where(table.prior_sd.values > 0,
                                                                         table.prior_sd.values, np.inf)
    order = np.argsort(-np.abs(shift), kind="stable")
    names = [str(n) for n in table.input.values]
    with deck_style():
        ax = deck_axes(ax)
        pos = np.arange(len(order))[::-1]
        for p, i in zip(pos, order, strict=True):
            ax.plot([0, 1], [p + 0.15] * 2, color=GREY, linewidth=6, solid_capstyle="butt", gid="prior")
            ax.plot(scaled(table.prior_p50.values)[i], p + 0.15, "|", color="black", markersize=14)
            post = scaled(table.post_p05.values)[i], scaled(table.post_p95.values)[i]
            ax.plot(post, [p - 0.15] * 2, color=GAIN, linewidth=6, solid_capstyle="butt", gid="posterior")
            ax.plot(scaled(table.post_p50.values)[i], p - 0.15, "|", color="black", markersize=14)
        ax.set_yticks(pos, [words(names[i], labels) for i in order])
        ax.set_xlabel("Position within the prior's 90% interval (0 = prior P5, 1 = prior P95)")
        ax.plot([], [], color=GREY, linewidth=6, label="prior P5..P95")
        ax.plot([], [], color=GAIN, linewidth=6, label="posterior P5..P95 (weighted by the record)")
        ax.set_ylim(-1.3, len(order) - 0.5)  # a free band at the bottom for the legend
        ax.legend(loc="lower center", ncol=2, frameon=False)
        observed = ", ".join(words(r["output"], labels) for r in json.loads(table.attrs["observations"]))
        top = names[order[0]]
        set_title(ax, title, f"The record ({observed}) moves {words(top, labels)} most: "
                             f"{shift[order[0]]:+.1f} prior sd")
    return ax
