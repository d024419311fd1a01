"""The data against the fitted families: a histogram with densities, and the empirical CDF with CDFs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mcrisk.report.plot.style import PALETTE, deck_figure, deck_style

__all__ = ["plot_fit"]

_COLORS = [PALETTE[k] for k in ("blue", "vermillion", "green", "orange", "purple", "sky")]


def plot_fit(x: np.ndarray, fits: Sequence[Any], *, weights: np.ndarray | None = None, label: str = "value",
             title: str | None = None, fig: Any = None) -> Any:
    """Two panels: the data's histogram with each fit's density, and its empirical CDF with each CDF.

    Parameters
    ----------
    x
        The data.
    fits
        :class:`mcrisk.elicit.fit.DataFit` objects (their ``dist`` is drawn), best first; the first is
        drawn bold.
    weights
        The data's weights, or ``None``.
    label
        The x-axis label (the column and its unit).
    title
        The figure's title; ``None``: none.
    fig
        A matplotlib Figure to draw on (two axes are added), or ``None`` for a new 16:9 one.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(x, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    with deck_style():
        fig = fig if fig is not None else deck_figure()
        hist, ecdf = fig.subplots(1, 2)
        hist.hist(x, bins=min(50, max(8, int(np.sqrt(x.size)))), weights=w, density=True, color="0.8",
                  edgecolor="white", label="data")
        order = np.argsort(x)
        cum = np.cumsum(w[order]) / w.sum()
        ecdf.step(x[order], cum, where="post", color="0.3", label="data")
        lo, hi = x.min(), x.max()
        pad = 0.1 * (hi - lo)
        grid = np.linspace(lo - pad, hi + pad, 400)
        for i, f in enumerate(fits):
            color = _COLORS[i % len(_COLORS)]
            lw = 2.5 if i == 0 else 1.2
            name = f"{f.name} (AIC {f.aic:,.1f}, KS {f.ks:.3f})"
            with np.errstate(all="ignore"):
                hist.plot(grid, f.dist.pdf(grid), lw=lw, color=color, label=name)
                ecdf.plot(grid, f.dist.cdf(grid), lw=lw, color=color, label=name)
        hist.set_xlabel(label)
        hist.set_ylabel("density")
        ecdf.set_xlabel(label)
        ecdf.set_ylabel("cumulative probability")
        ecdf.legend(loc="upper left", fontsize="x-small")
        if title:
            fig.suptitle(title, x=0.01, ha="left")
    return fig
