"""Monthly cash flows: net present value, internal rate of return and payback month, vectorised.

Each function takes the cash flows of many samples at once, an array of shape
``(samples, M + 1)`` whose column ``m`` is the cash of month ``m`` (month 0 is today, the
upfront payment), and returns one number per sample. Rates are annual and effective: a month
is discounted by ``(1 + r)^(1/12)``.

Notes
-----
With ``CF_m`` the cash of month ``m``::

    npv(r)        = sum_{m=0..M} CF_m / (1 + r)^(m/12)
    irr           = the annual effective r > -1 with npv(r) = 0
    payback_month = the first m >= 1 with sum_{k=0..m} CF_k >= 0

The IRR is a root of a polynomial in ``v = (1 + r)^(-1/12)``: by Descartes' rule of signs it
has at most as many positive roots as the cash flows have sign changes. Cash flows that never
change sign have none (the IRR is NaN). Cash flows that change sign more than once may have
several IRRs (Lorie and Savage's pump: -100, +230 at month 12, -132 at month 24 has 10% and
20%); :func:`irr` returns **the largest** root in its range, the rate above which the NPV
keeps the sign of the first non-zero cash flow for every higher rate (for an investment,
negative: above it, the project is never worth it). It evaluates the NPV on a grid of monthly
log rates with one matrix product (cash flows with one sign change, which have exactly one
IRR: 33 rates from ``log 0.5`` to ``log 11``; several: :data:`IRR_GRID`, with annual log
rates every 0.02 between annual rates of -63% and +1118%), takes the highest interval where
the NPV changes sign, and refines it by Newton's method kept inside the interval (bisection
when a step leaves it) to machine precision. The range covers annual rates from -99.98% to
3.1e12 (monthly ``1 + i`` from 0.5 to 11). NaN where no interval changes sign: cash flows that
never change sign, a root outside the range, or two roots closer than a grid step, which the
grid cannot see.

References
----------
J. H. Lorie and L. J. Savage, "Three problems in rationing capital", Journal of Business
28(4), 1955 (several IRRs). R. Brealey, S. Myers and F. Allen, Principles of Corporate
Finance, chapter 5 (NPV, IRR, payback).

Examples
--------
>>> import numpy as np
>>> flows = np.array([[-100.0] + [0.0] * 11 + [110.0]])  # 110 back after a year
>>> float(irr(flows)[0])
0.1
"""

from __future__ import annotations

import numpy as np

__all__ = ["IRR_GRID", "cumulative", "irr", "npv", "payback_month"]

#: Monthly log rates the NPV is evaluated at to bracket the IRR of cash flows that change sign
#: more than once: annual log rates every 0.02 from -1 to 2.5 (annual rates -63% to +1118%), every
#: 0.25 outside, out to annual rates of -99.98% and 3.1e12 (monthly ``1 + i`` from 0.5 to 11).
IRR_GRID = np.concatenate([np.arange(12 * np.log(0.5), -1, 0.25), np.arange(-1, 2.5, 0.02),
                           np.arange(2.5, 12 * np.log(11.0), 0.25), [12 * np.log(11.0)]]) / 12
#: Cash flows that change sign once have one IRR: a coarse grid brackets it.
_IRR_COARSE = np.linspace(np.log(0.5), np.log(11.0), 33)
_ITERATIONS = 60  # Newton from a bracket of width 0.05 needs about 6; bisection alone 50


def _as_flows(flows) -> np.ndarray:
    flows = np.asarray(flows, dtype=float)
    return flows.reshape(1, -1) if flows.ndim == 1 else flows


def npv(flows, rate) -> np.ndarray:
    """Net present value of monthly cash flows at an annual effective rate.

    Parameters
    ----------
    flows : array_like
        Shape ``(samples, M + 1)`` (or ``(M + 1,)``): the cash of months 0..M (currency).
    rate : array_like
        Annual effective discount rate per sample (1/year), or one for all.

    Returns
    -------
    ndarray
        ``sum_m CF_m / (1 + rate)^(m/12)`` per sample (currency).
    """
    flows = _as_flows(flows)
    months = np.arange(flows.shape[1])
    log_v = -np.log1p(np.asarray(rate, dtype=float)) / 12
    factor = np.exp(np.multiply.outer(log_v, months)) if np.ndim(log_v) else np.exp(log_v * months)
    return np.einsum("ij,ij->i", flows, np.broadcast_to(factor, flows.shape))


def cumulative(flows) -> np.ndarray:
    """Cumulative undiscounted cash ``sum_{k=0..m} CF_k`` per sample and month (currency)."""
    return np.cumsum(_as_flows(flows), axis=1)


def payback_month(cumulative_cash) -> np.ndarray:
    """The first month ``m >= 1`` at which the cumulative cash is ``>= 0``; NaN if none.

    Parameters
    ----------
    cumulative_cash : array_like
        Shape ``(samples, M)``: column ``j`` is the cumulative cash at the end of month ``j + 1``.

    Returns
    -------
    ndarray
        The month (1..M, as a float) per sample, NaN where the cash never gets back to 0.
    """
    back = np.asarray(cumulative_cash) >= 0
    first = np.argmax(back, axis=1)
    return np.where(back.any(axis=1), first + 1.0, np.nan)


def irr(flows) -> np.ndarray:
    """Internal rate of return, annual effective, of monthly cash flows (the largest root).

    Parameters
    ----------
    flows : array_like
        Shape ``(samples, M + 1)`` (or ``(M + 1,)``): the cash of months 0..M (currency).

    Returns
    -------
    ndarray
        Per sample the largest annual effective rate ``r`` in the range of :data:`IRR_GRID`
        with ``npv(flows, r) = 0`` (module notes), NaN where the grid finds none.
    """
    flows = _as_flows(flows)
    out = np.full(flows.shape[0], np.nan)
    changes = _sign_changes(flows)
    for rows, grid in ((np.flatnonzero(changes == 1), _IRR_COARSE), (np.flatnonzero(changes > 1), IRR_GRID)):
        if rows.size:
            out[rows] = _largest_root(flows[rows], grid)
    return out


def _sign_changes(flows: np.ndarray) -> np.ndarray:
    """Sign changes of each row's non-zero cash flows (zeros are skipped)."""
    sign = np.sign(flows)
    # carry the last non-zero sign over zeros: the index of the last non-zero entry so far
    last = np.maximum.accumulate(np.where(sign != 0, np.arange(flows.shape[1]), -1), axis=1)
    carried = np.where(last >= 0, np.take_along_axis(sign, np.maximum(last, 0), axis=1), 0)
    return np.count_nonzero((carried[:, 1:] * carried[:, :-1]) < 0, axis=1)


def _largest_root(flows: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The highest monthly log rate on ``grid``'s range where the NPV is 0, as an annual rate."""
    months = np.arange(flows.shape[1], dtype=float)
    values = flows @ np.exp(-np.multiply.outer(months, grid))  # NPV at each grid rate: (samples, G)
    change = np.signbit(values[:, 1:]) != np.signbit(values[:, :-1])
    change &= (values[:, 1:] != 0) | (values[:, :-1] != 0)
    found = change.any(axis=1)
    out = np.full(flows.shape[0], np.nan)
    if not found.any():
        return out
    last = change.shape[1] - 1 - np.argmax(change[found, ::-1], axis=1)  # the highest bracket
    rows = np.flatnonzero(found)
    lo, hi = grid[last], grid[last + 1]
    f_lo, f_hi = values[rows, last], values[rows, last + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(f_hi != f_lo, lo - f_lo * (hi - lo) / (f_hi - f_lo), (lo + hi) / 2)  # the secant's root
    x = _refine(flows[rows], months, np.clip(x, lo, hi), lo, hi, np.signbit(f_lo))
    out[rows] = np.expm1(12 * x)
    return out


def _refine(flows: np.ndarray, months: np.ndarray, x: np.ndarray, lo: np.ndarray, hi: np.ndarray,
            lo_negative: np.ndarray) -> np.ndarray:
    """Newton's method on ``f(x) = sum CF_m e^(-m x)`` kept inside ``[lo, hi]``, where f changes sign."""
    active = np.arange(x.size)
    x, lo, hi = x.copy(), lo.copy(), hi.copy()
    for _ in range(_ITERATIONS):
        xa = x[active]
        disc = np.exp(-np.multiply.outer(xa, months))
        terms = flows[active] * disc
        f = terms.sum(axis=1)
        df = -(terms @ months)
        below = np.signbit(f) == lo_negative[active]  # f has lo's sign: the root is above x
        lo[active] = np.where(below, xa, lo[active])
        hi[active] = np.where(below, hi[active], xa)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = xa - f / df
        inside = np.isfinite(step) & (step > lo[active]) & (step < hi[active])
        new = np.where(f == 0, xa, np.where(inside, step, (lo[active] + hi[active]) / 2))
        x[active] = new
        done = (np.abs(new - xa) <= 4 * np.finfo(float).eps * np.maximum(np.abs(xa), 1e-3)) | (f == 0)
        active = active[~done]
        if not active.size:
            break
    return x
