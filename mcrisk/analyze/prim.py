"""The Patient Rule Induction Method (PRIM) on continuous inputs and a binary event.

Friedman and Fisher's PRIM (1999) as scenario discovery uses it (Bryant and Lempert 2010), in
the form of the EMA Workbench's :class:`ema_workbench.analysis.prim.Prim` (Kwakkel 2017) with
its defaults, which ``tests/test_prim.py`` holds it to, step for step:

* **Peeling.** From a box holding all the remaining samples, each input offers two candidate
  peels: its upper edge moved down to the box's ``1 - alpha`` quantile, or its lower edge up to
  the ``alpha`` quantile (the sdtoolkit quantile of :func:`quantile`). Each is scored by the
  *lenient* objective, the gain in the box's event share per sample removed,

  .. math:: \\text{obj} = (\\bar y_{new} - \\bar y_{old}) / |n_{old} - n_{new}|;

  the best peel wins (ties: the one leaving fewer inputs restricted, then the first input, the
  upper edge before the lower). Peeling stops when the best peel does not raise the share, or
  would leave fewer than ``mass_min`` of all samples in the box.
* **Pasting.** Each restricted edge may then be moved back out to take in the ``alpha``
  quantile of the remaining samples beyond it (within the other edges); the best paste by the
  same objective is kept while it raises the share and grows the box.

Every box on the way is a step of the *peeling trajectory*. Coverage is a share of all the
event's cases and mass a share of all samples, also for a later box of the covering approach,
which looks only at the samples outside the boxes chosen before (the ``remaining`` mask).

Everything here is a plain numpy function over a sample matrix ``x`` (samples by inputs) and
a boolean event ``y``; :mod:`mcrisk.analyze.scenarios` chooses a box on the trajectory and
words it.

References
----------
Friedman, J. H. and Fisher, N. I. (1999). Bump hunting in high-dimensional data. Statistics and
Computing 9, 123-143. Bryant, B. P. and Lempert, R. J. (2010). Thinking inside the box.
Technological Forecasting and Social Change 77, 34-49. Kwakkel, J. H. (2017). The Exploratory
Modeling Workbench. Environmental Modelling & Software 96, 239-250.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Trajectory", "in_box", "quantile", "trajectory"]


@dataclass(frozen=True)
class Trajectory:
    """The boxes PRIM visits, one row per step (the first: every remaining sample).

    Attributes
    ----------
    low, high
        ``(steps, inputs)``: the box's edges, in the inputs' units. An edge not peeled is the
        samples' minimum or maximum.
    cases
        ``(steps,)``: remaining samples inside the box.
    events
        ``(steps,)``: those with the event.
    coverage, density, mass
        ``(steps,)``: ``events / all events``, ``events / cases``, ``cases / all samples``.
    restricted
        ``(steps, inputs)`` bool: the box has moved an edge of this input.
    """

    low: np.ndarray
    high: np.ndarray
    cases: np.ndarray
    events: np.ndarray
    coverage: np.ndarray
    density: np.ndarray
    mass: np.ndarray
    restricted: np.ndarray


def quantile(x: np.ndarray, q: float) -> np.ndarray:
    """The sdtoolkit quantile of each column: a midpoint between two distinct order statistics.

    Parameters
    ----------
    x
        ``(m, d)`` values, ``m >= 1``.
    q
        The share, strictly between 0 and 1.

    Returns
    -------
    numpy.ndarray
        ``(d,)``: for ``q > 0.5``, the mean of the order statistic at ``ceil((m - 1) q)`` and the
        largest value below it; else the mean of the one at ``floor((m - 1) q)`` and the smallest
        value above it (either one alone where there is none).

    Notes
    -----
    A peel at a midpoint between two distinct values removes whole ties: peeling never splits
    samples of equal value, so a box is the same whichever way ties were ordered.
    """
    s = np.sort(np.asarray(x, dtype=float), axis=0)
    m = s.shape[0]
    cols = np.arange(s.shape[1])
    i = (m - 1) * q
    lo, hi = math.floor(i), math.ceil(i)
    if q > 0.5:
        below = (s < s[hi]).sum(axis=0) - 1  # the last order statistic smaller than s[hi]
        lo_idx = np.maximum(np.minimum(lo, below), 0)
        return (s[lo_idx, cols] + s[hi]) / 2
    above = (s <= s[lo]).sum(axis=0)  # the first order statistic larger than s[lo]
    hi_idx = np.minimum(np.maximum(hi, above), m - 1)
    return (s[lo] + s[hi_idx, cols]) / 2


def in_box(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Which samples lie in the box, edges included.

    Parameters
    ----------
    x
        ``(n, d)`` samples.
    low, high
        ``(d,)`` edges.

    Returns
    -------
    numpy.ndarray of bool
        ``(n,)``.
    """
    return ((low <= x) & (x <= high)).all(axis=1)


def _lenient(k_old: int, n_old: int, k_new: np.ndarray, n_new: np.ndarray) -> np.ndarray:
    """The lenient objective of each candidate: the change of the event share per sample moved."""
    mean_old = k_old / n_old
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_new = np.where(n_new > 0, k_new / n_new, 0.0)
        gain = (mean_new - mean_old) / np.abs(n_old - n_new)
    return np.where(mean_new != mean_old, gain, 0.0)


def _best(obj: np.ndarray, free: np.ndarray) -> int:
    """The candidate of highest objective, then most unrestricted inputs, then first in order."""
    top = obj == obj.max()
    return int(np.flatnonzero(top & (free == free[top].max()))[0])


def _restricted(low: np.ndarray, high: np.ndarray, init_low: np.ndarray, init_high: np.ndarray) -> np.ndarray:
    return (low != init_low) | (high != init_high)


def _peel(x: np.ndarray, y: np.ndarray, inside: np.ndarray, low: np.ndarray, high: np.ndarray,
          init: tuple[np.ndarray, np.ndarray], alpha: float, mass_min: float):
    """One peel: ``(inside, low, high)`` of the new box, or None when peeling stops."""
    n, d = x.shape
    xb, yb = x[inside], y[inside]
    m, k = xb.shape[0], int(yb.sum())
    edges = np.stack([quantile(xb, 1 - alpha), quantile(xb, alpha)], axis=1)  # (d, 2): upper, lower
    keep = np.stack([xb <= edges[:, 0], xb >= edges[:, 1]], axis=2)  # (m, d, 2)
    n_new = keep.sum(axis=0)
    k_new = (keep & yb[:, None, None]).sum(axis=0)
    res = _restricted(low, high, *init)
    res_up = (low != init[0]) | (edges[:, 0] != init[1])
    res_down = (edges[:, 1] != init[0]) | (high != init[1])
    count = res.sum() - res[:, None] + np.stack([res_up, res_down], axis=1)
    obj = _lenient(k, m, k_new, n_new).ravel()  # candidates in order: input 1 upper, input 1 lower, ...
    c = _best(obj, (d - count).ravel())
    j, side = divmod(c, 2)
    if not (n_new.flat[c] / n >= mass_min and n_new.flat[c] / n < m / n and obj[c] > 0):
        return None
    low, high = low.copy(), high.copy()
    (high if side == 0 else low)[j] = edges[j, side]
    new = inside.copy()
    new[inside] = keep[:, j, side]
    return new, low, high


def _paste(x: np.ndarray, y: np.ndarray, remaining: np.ndarray, inside: np.ndarray, low: np.ndarray,
           high: np.ndarray, init: tuple[np.ndarray, np.ndarray], alpha: float, mass_min: float):
    """One paste: ``(inside, low, high)`` of the grown box, or None when pasting stops."""
    n, d = x.shape
    res = np.flatnonzero(_restricted(low, high, *init))
    if res.size == 0:
        return None
    xr_ = x[remaining][:, res]
    yr = y[remaining]
    out = ~((low[res] <= xr_) & (xr_ <= high[res]))  # (n_rem, r): outside each restricted edge pair
    others_in = (out.sum(axis=1)[:, None] - out) == 0  # inside every other restricted input
    cands = []  # input 1 lower, input 1 upper, ...
    for a, j in enumerate(res):
        xj = xr_[:, a]
        for side in (0, 1):
            beyond = others_in[:, a] & ((xj <= low[j]) if side == 0 else (xj >= high[j]))
            if side == 0:
                edge = quantile(xj[beyond, None], 1 - alpha)[0] if beyond.any() else init[0][j]
                mask = others_in[:, a] & (edge <= xj) & (xj <= high[j])
            else:
                edge = quantile(xj[beyond, None], alpha)[0] if beyond.any() else init[1][j]
                mask = others_in[:, a] & (low[j] <= xj) & (xj <= edge)
            cands.append((j, side, edge, mask))
    m, k = int(inside.sum()), int(y[inside].sum())
    n_new = np.array([c[3].sum() for c in cands])
    k_new = np.array([(c[3] & yr).sum() for c in cands])
    count = np.array([_restricted(*_moved(low, high, j, side, edge), *init).sum()
                      for j, side, edge, _ in cands])
    obj = _lenient(k, m, k_new, n_new)
    c = _best(obj, d - count)
    if not (n_new[c] / n >= mass_min and n_new[c] / n > m / n and obj[c] > 0 and k_new[c] / n_new[c] > k / m):
        return None
    j, side, edge, mask = cands[c]
    new = np.zeros_like(remaining)
    new[remaining] = mask
    return (new, *_moved(low, high, j, side, edge))


def _moved(low: np.ndarray, high: np.ndarray, j: int, side: int,
           edge: float) -> tuple[np.ndarray, np.ndarray]:
    low, high = low.copy(), high.copy()
    (low if side == 0 else high)[j] = edge
    return low, high


def trajectory(x: np.ndarray, y: np.ndarray, remaining: np.ndarray | None = None, *, peel_alpha: float = 0.05,
               paste_alpha: float = 0.05, mass_min: float = 0.05) -> Trajectory:
    """PRIM's peeling and pasting trajectory of one box.

    Parameters
    ----------
    x
        ``(n, d)`` samples of the inputs (finite).
    y
        ``(n,)`` bool: the event.
    remaining
        ``(n,)`` bool: the samples PRIM may use (default all); the covering approach passes the
        samples outside the boxes chosen before.
    peel_alpha, paste_alpha
        The share of the box's samples a peel removes and a paste adds (the Workbench's 0.05).
    mass_min
        No box holds less than this share of all ``n`` samples.

    Returns
    -------
    Trajectory
        Every box from the one holding all remaining samples (edges at the samples' minimum and
        maximum over all ``n``) to the last paste.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.random((2000, 2))
    >>> t = trajectory(x, x[:, 0] < 0.3)
    >>> bool(t.density[-1] == 1.0), bool(abs(t.high[-1, 0] - 0.3) < 0.02)
    (True, True)
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=bool)
    remaining = np.ones(len(y), dtype=bool) if remaining is None else np.asarray(remaining, dtype=bool)
    init = (x.min(axis=0), x.max(axis=0))
    steps = [(remaining.copy(), *init)]
    while (nxt := _peel(x, y, *steps[-1], init, peel_alpha, mass_min)) is not None:
        steps.append(nxt)
    while (nxt := _paste(x, y, remaining, *steps[-1], init, paste_alpha, mass_min)) is not None:
        steps.append(nxt)
    cases = np.array([s[0].sum() for s in steps])
    events = np.array([(s[0] & y).sum() for s in steps])
    low = np.array([s[1] for s in steps])
    high = np.array([s[2] for s in steps])
    return Trajectory(low=low, high=high, cases=cases, events=events, coverage=events / y.sum(),
                      density=events / cases, mass=cases / len(y),
                      restricted=(low != init[0]) | (high != init[1]))
