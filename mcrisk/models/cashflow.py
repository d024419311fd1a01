"""Monthly cash flows: net present value, internal rate of return and payback month, vectorised.

Each function takes the cash flows of many samples at once, an array of shape
``(samples, M + 1)`` whose column ``m`` is the cash of month ``m`` (month 0 is today, the
upfront payment), and returns one number per sample; :func:`npv_by_month` and
:func:`irr_by_month` take the same numbers month-major, ``(M + 1, samples)``, the layout in
which every step is one vector operation over the samples (what ``maas_monthly`` uses). Rates are annual and effective: a month
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
negative: above it, the project is never worth it). Its search goes down a grid of monthly log
rates from just above a bound no root exceeds (from ``|CF_0| <= sum_m |CF_m| v^m``) to the
first rate where the NPV changes sign, and refines that interval by Newton's method on the
polynomial (Horner's scheme), kept inside it (bisection when a step leaves it), to the
rounding of its terms. Cash flows with one sign change have exactly one IRR (Descartes), and so
have, above 0, those whose cumulative cash changes sign once (Norstrom's criterion): a coarse
grid (33 rates; 25 positive ones) brackets it. The others use :data:`IRR_GRID`, with annual
log rates every 0.05 between annual rates of -63% and +1118% (the pump's two roots, 0.095
apart, are told apart). The range covers annual rates from -99.98% to 3.1e12 (monthly ``1 + i``
from 0.5 to 11). NaN where no interval changes sign: cash flows that never change sign, a root
outside the range, or two roots closer than a grid step, which the grid cannot see.

Every IRR is the one a walk down the grid by Horner's scheme, eight rates at a time, finds,
to the last bit, and does not depend on the other samples; three shortcuts reach it faster.
Cash flows with several sign changes but no root are NaN without a search where the
cumulative cash, forwards and backwards, keeps one sign (Abel's summation bounds the NPV by
them), or where on each of 43 intervals of the grid's range the NPV of the positive flows at
one end and of the negative ones at the other keep one sign (both increase with ``v``). The
others get the NPV on the whole grid as one matrix product, and where every sign the walk
would see is further from 0 than ``1e-9 max |CF| sum v^m`` (far beyond the rounding of the
product and of Horner's scheme) the bracket is read from it and only its two ends evaluated
by Horner's scheme. Whatever the product's summation order, a sample is then either decided as
the walk would decide it or walked. On the benchmark's cash flows (``bench_monthly.py``) the
IRR takes about 1.3 us a sample instead of 5-6.

References
----------
J. H. Lorie and L. J. Savage, "Three problems in rationing capital", Journal of Business
28(4), 1955 (several IRRs). C. J. Norstrom, "A sufficient condition for a unique nonnegative
internal rate of return", Journal of Financial and Quantitative Analysis 7(3), 1972. R. Brealey, S. Myers and F. Allen, Principles of Corporate
Finance, chapter 5 (NPV, IRR, payback).

Examples
--------
>>> import numpy as np
>>> flows = np.array([[-100.0] + [0.0] * 11 + [110.0]])  # 110 back after a year
>>> round(float(irr(flows)[0]), 12)  # to the rounding of its terms
0.1
"""

from __future__ import annotations

import numpy as np

__all__ = ["IRR_GRID", "irr", "irr_by_month", "npv", "npv_by_month", "payback_month"]

#: Monthly log rates the NPV is evaluated at to bracket the IRR of cash flows that may have several:
#: annual log rates every 0.05 from -1 to 2.5 (annual rates -63% to +1118%), every 0.5 outside,
#: out to annual rates of -99.98% and 3.1e12 (monthly ``1 + i`` from 0.5 to 11).
IRR_GRID = np.concatenate([np.arange(12 * np.log(0.5), -1, 0.5), np.arange(-1, 2.5, 0.05),
                           np.arange(2.5, 12 * np.log(11.0), 0.5), [12 * np.log(11.0)]]) / 12
#: Cash flows with exactly one IRR: a coarse grid brackets it (over positive rates only when
#: the cumulative cash changes sign once, Norstrom's condition for one positive IRR).
_IRR_COARSE = np.linspace(np.log(0.5), np.log(11.0), 33)
_IRR_POSITIVE = np.linspace(0.0, np.log(11.0), 25)
#: Rates bounding the intervals on which :func:`_no_root` bounds the NPV: every fourth of the grid's
#: fine part, every third of its coarse parts, and the ends (43 rates).
_FINE = (IRR_GRID > -1.01 / 12) & (IRR_GRID < 2.51 / 12)
_EXCLUDE = np.unique(np.concatenate([IRR_GRID[_FINE][::4], IRR_GRID[~_FINE][::3], IRR_GRID[[0, -1]], [2.5 / 12]]))
#: Relative margin of :func:`_no_root`: far above the rounding of a sum of 1200 months (3e-13).
_MARGIN = 1e-9
_PRODUCT = 2**18  # multiply-adds per matrix product in _no_root: OpenBLAS runs those up to 2**18 on one thread
_ITERATIONS = 100  # Newton from a grid bracket needs about 6; bisection alone about 50
_CHUNK = 8  # grid rates evaluated at a time, walking down from the bound


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
    return npv_by_month(np.ascontiguousarray(_as_flows(flows).T), rate)


def npv_by_month(flows: np.ndarray, rate) -> np.ndarray:
    """:func:`npv` of month-major cash flows, shape ``(M + 1, samples)``."""
    v = np.exp(-np.log1p(np.asarray(rate, dtype=float)) / 12)
    # Horner's scheme, one vector operation per month: each sample's sum is taken in the same
    # order whatever the other samples (a matrix product's order depends on the array's shape)
    total = np.array(flows[-1], dtype=float)
    for m in range(flows.shape[0] - 2, -1, -1):
        total *= v
        total += flows[m]
    return total


def payback_month(cumulative_cash, *, axis: int = 1) -> np.ndarray:
    """The first month ``m >= 1`` at which the cumulative cash is ``>= 0``; NaN if none.

    Parameters
    ----------
    cumulative_cash : array_like
        Shape ``(samples, M)``: column ``j`` is the cumulative cash at the end of month ``j + 1``
        (``axis = 0``: month-major, ``(M, samples)``).
    axis
        The axis of the months.

    Returns
    -------
    ndarray
        The month (1..M, as a float) per sample, NaN where the cash never gets back to 0.
    """
    back = np.asarray(cumulative_cash) >= 0
    first = np.argmax(back, axis=axis)
    return np.where(back.any(axis=axis), first + 1.0, np.nan)


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
    by_month = np.ascontiguousarray(_as_flows(flows).T)
    return irr_by_month(by_month, np.cumsum(by_month, axis=0))


def irr_by_month(flows: np.ndarray, cumulative_cash: np.ndarray) -> np.ndarray:
    """:func:`irr` of month-major cash flows ``(M + 1, samples)`` and their cumulative sums (the same shape)."""
    out = np.full(flows.shape[1], np.nan)
    changes = _sign_changes(flows)
    many = np.flatnonzero(changes > 1)
    positive = np.zeros(0, dtype=np.intp)
    if many.size:  # Norstrom: cumulative cash changing sign once has exactly one IRR above 0
        # on every sample, not a copy of those with several changes: most have several
        once = (_sign_changes(cumulative_cash) == 1) & (cumulative_cash[-1] != 0)
        positive, many = many[once[many]], many[~once[many]]
    if many.size:
        many = many[~_one_sign(flows, cumulative_cash)[many]]
    if many.size:
        many = many[~_no_root(flows[:, many])]
    for rows, grid in ((np.flatnonzero(changes == 1), _IRR_COARSE), (positive, _IRR_POSITIVE), (many, IRR_GRID)):
        if rows.size:
            out[rows] = _largest_root(flows[:, rows] if rows.size < flows.shape[1] else flows, grid)
    return out


def _sign_changes(flows: np.ndarray) -> np.ndarray:
    """Sign changes of each column's non-zero cash flows (zeros are skipped), month-major."""
    negative = np.signbit(flows)
    if not (flows[1:] == 0).any():  # the usual case: a zero, if any, only in month 0
        count = np.count_nonzero(negative[1:] != negative[:-1], axis=0)
        return count - ((flows[0] == 0) & (negative[0] != negative[1]))
    sign = np.sign(flows)
    # carry the last non-zero sign over zeros: the index of the last non-zero entry so far
    last = np.maximum.accumulate(np.where(sign != 0, np.arange(flows.shape[0])[:, None], -1), axis=0)
    carried = np.where(last >= 0, np.take_along_axis(sign, np.maximum(last, 0), axis=0), 0)
    return np.count_nonzero((carried[1:] * carried[:-1]) < 0, axis=0)


def _one_sign(flows: np.ndarray, cumulative_cash: np.ndarray) -> np.ndarray:
    """Per column, True where the cumulative cash, forwards and backwards, keeps one sign: no root.

    By Abel's summation, with ``C_m = sum_{k<=m} CF_k`` and ``D_m = sum_{k>=m} CF_k``::

        P(v) = sum_{m<M} C_m (v^m - v^(m+1)) + C_M v^M     <= max C          (v <= 1)
        P(v) = D_0 + sum_{m>=1} D_m (v^m - v^(m-1))        <= v^M max D      (v >= 1)

    (non-negative weights summing to 1 and to ``v^M``), so ``max C`` and ``max D`` below
    ``-margin sum |CF|`` make every NPV the grid walk computes negative (its rounding is below
    ``2 M eps v^M sum |CF|``), and likewise ``min C``, ``min D`` above it positive. ``D`` comes
    from ``C``: ``D_m = C_M - C_(m-1)`` (``C_(-1) = 0``), to a rounding far below the margin.
    """
    size = _MARGIN * np.abs(flows).sum(axis=0)
    last, low, high = cumulative_cash[-1], cumulative_cash[:-1].min(axis=0), cumulative_cash[:-1].max(axis=0)
    low, high = (np.minimum(np.minimum(low, last), last - np.maximum(high, 0.0)),
                 np.maximum(np.maximum(high, last), last - np.minimum(low, 0.0)))
    return (high < -size) | (low > size)


def _no_root(flows: np.ndarray) -> np.ndarray:
    """Per column of month-major flows, True where the NPV keeps one sign over the whole grid, provably.

    With ``P = A - B``, ``A`` the polynomial of the positive cash flows and ``B`` of the
    negative ones, both increasing in ``v``: on ``[v_lo, v_hi]``, ``A(v_lo) - B(v_hi) <= P(v)
    <= A(v_hi) - B(v_lo)``. Where on every interval between the rates of :data:`_EXCLUDE` the
    upper bound is below ``-margin (A + B)`` (or the lower above ``+margin (A + B)``), every
    NPV the grid walk computes has that sign (Horner's rounding is below ``2 M eps (A + B)``),
    so the walk finds no change: the IRR is NaN. ``A`` and ``B`` are matrix products (sums of
    non-negative terms, accurate to ``M eps`` relative whatever their order), and a column
    either is excluded, its IRR NaN as the walk would make it, or walked as before: the result
    does not depend on the product's order.
    """
    high, low = 1 + _MARGIN, 1 - _MARGIN
    with np.errstate(over="ignore", invalid="ignore"):  # inf (long horizons, v = 2): not excluded
        powers = np.exp(-np.outer(np.arange(flows.shape[0]), _EXCLUDE))  # v^m, rates increasing: v decreasing
        a, b = _product(np.maximum(flows, 0.0), powers), _product(np.maximum(-flows, 0.0), powers)
        below = (a[:, :-1] * high < b[:, 1:] * low).all(axis=1)  # interval k: v from v[k + 1] up to v[k]
        above = (a[:, 1:] * low > b[:, :-1] * high).all(axis=1)
    return below | above


def _product(flows: np.ndarray, powers: np.ndarray) -> np.ndarray:
    """``flows.T @ powers`` for month-major flows, in products small enough for one BLAS thread."""
    out = np.empty((flows.shape[1], powers.shape[1]))
    step = max(32, _PRODUCT // powers.size)  # small products run on one thread (BLAS threads contend)
    for i in range(0, flows.shape[1], step):
        np.matmul(flows[:, i : i + step].T, powers, out=out[i : i + step])
    return out


def _scan(flows: np.ndarray, grid: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each sample's NPV on the whole grid as one matrix product: where its signs are sure, the walk's bracket.

    Returns per sample whether every sign from index ``at`` down is sure (the value further from
    0 than ``margin max |CF| sum v^m``, far beyond the product's and Horner's rounding, so Horner
    has the same signs; the product is of the powers divided by ``sum v^m``, so that margin is
    ``margin max |CF|``) and the index of the highest change at or below ``at`` (-1: none).
    """
    with np.errstate(over="ignore", invalid="ignore"):  # inf or NaN (long horizons): not sure, walked
        powers = np.exp(-np.outer(np.arange(flows.shape[0]), grid))
        # each rate's column divided by sum_m v^m: the NPV's sign is kept, and its margin is one number a sample
        values = _product(flows, powers / powers.sum(axis=0))
        seen = np.arange(grid.size) <= at[:, None]  # the rates the walk would visit
        unsure = np.abs(values) <= (_MARGIN * np.abs(flows).max(axis=0))[:, None]
        unsure |= np.isnan(values)
        sure = ~(unsure & seen).any(axis=1)
    above = values > 0
    change = above[:, 1:] != above[:, :-1]  # between index k and k + 1
    change &= seen[:, 1:]
    lower = np.where(change.any(axis=1), grid.size - 2 - np.argmax(change[:, ::-1], axis=1), -1)
    return sure, lower


def _largest_root(flows: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The highest monthly log rate on ``grid``'s range where the NPV is 0, as an annual rate.

    Each sample's grid is scanned down from just above a bound no root exceeds (:func:`_top`)
    until the NPV changes sign, by one matrix product (:func:`_scan`), or by :func:`_walk`
    where a sign is too close to 0 for the product; that interval is refined by :func:`_newton`.
    """
    out = np.full(flows.shape[1], np.nan)
    at = _top(flows, grid)  # per sample: the grid index the walk starts from
    sure, lower = _scan(flows, grid, at)
    rows = np.flatnonzero(sure & (lower >= 0))
    ends = _polynomial(flows[:, rows], np.exp(-grid[np.stack([lower[rows] + 1, lower[rows]])]))
    brackets = [(rows, lower[rows], ends[0], ends[1])]
    rest = np.flatnonzero(~sure)
    if rest.size:
        walked, *found = _walk(flows[:, rest], grid, at[rest])
        brackets.append((rest[walked], *found))
    rows, lower, f_hi, f_lo = (np.concatenate(parts) for parts in zip(*brackets))
    if not rows.size:
        return out
    # in v = e^-x the bracket is [e^-x_hi, e^-x_lo]; the polynomial's values there are f_hi and f_lo
    v_lo, v_hi = np.exp(-grid[lower + 1]), np.exp(-grid[lower])
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(f_hi != f_lo, v_lo - f_hi * (v_hi - v_lo) / (f_lo - f_hi), (v_lo + v_hi) / 2)
    v = _newton(flows[:, rows], np.clip(v, v_lo, v_hi), v_lo, v_hi, f_hi > 0)
    out[rows] = np.expm1(-12 * np.log(v))
    return out


def _walk(flows: np.ndarray, grid: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each sample's grid walked down from index ``at``, :data:`_CHUNK` rates at a time, by Horner's scheme.

    Returns the samples with a sign change, the grid index below it and the NPV at its two ends
    (the higher rate's first).
    """
    count = flows.shape[1]
    at = at.copy()
    prev = _polynomial(flows, np.exp(-grid[at]))
    active = np.arange(count)
    brackets = []
    steps = np.arange(1, _CHUNK + 1)[:, None]
    while active.size:
        j = at[active] - steps  # (chunk, samples): the next rates down
        values = _polynomial(flows[:, active], np.exp(-grid[np.maximum(j, 0)]))
        above = np.vstack([prev[active], values]) > 0
        change = (above[1:] != above[:-1]) & (j >= 0)
        found = change.any(axis=0)
        first = np.argmax(change, axis=0)[found]  # going down, the first change is the highest root
        cols = np.flatnonzero(found)
        lower = j[first, cols]
        f_above = np.where(first == 0, prev[active[cols]], values[np.maximum(first - 1, 0), cols])
        brackets.append((active[cols], lower, f_above, values[first, cols]))
        prev[active] = values[-1]
        at[active] -= _CHUNK
        active = active[~found & (at[active] > 0)]
    return tuple(np.concatenate(parts) for parts in zip(*brackets))


def _top(flows: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Per sample, the lowest grid index at or above a monthly log rate no root exceeds (the top if none).

    A root ``v`` of ``CF_0 + sum_{m>=1} CF_m v^m`` has ``|CF_0| <= sum |CF_m| v^m``, so ``v >=
    |CF_0| / (|CF_0| + max |CF_m|)`` and, when ``v <= 1``, ``v >= |CF_0| / sum |CF_m|``;
    ``x = -log v`` is at most minus the log of the larger of the two.
    """
    first = np.abs(flows[0])
    rest = np.abs(flows[1:])
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.maximum(first / (first + rest.max(axis=0)), np.minimum(1.0, first / rest.sum(axis=0)))
        x = np.where(first > 0, -np.log(v), np.inf)
    return np.minimum(np.searchsorted(grid, x, side="left"), grid.size - 1)


def _polynomial(flows: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``sum_m CF_m v^m`` by Horner's scheme (elementwise: the same numbers however the samples are cut).

    Over a long horizon at a high ``v`` (1,200 months at ``v = 2``) a partial sum overflows to
    ``+-inf``; the finite terms still to come cannot change its sign, which is the value's, so
    the walk's signs stay right and Newton's step from it leaves the bracket (bisection).
    """
    total = np.broadcast_to(flows[-1], np.broadcast_shapes(v.shape, flows[-1].shape)).copy()
    with np.errstate(over="ignore", invalid="ignore"):
        for m in range(flows.shape[0] - 2, -1, -1):
            total *= v
            total += flows[m]
    return total


def _newton(flows: np.ndarray, v: np.ndarray, lo: np.ndarray, hi: np.ndarray, lo_above: np.ndarray) -> np.ndarray:
    """Newton's method on ``P(v) = sum CF_m v^m`` kept inside ``[lo, hi]``, where P changes sign.

    Horner's scheme over the months for ``P`` and ``P'``, each step one vector operation over the
    samples still moving; a step that leaves the bracket is replaced by its midpoint. A sample
    stops where Newton's step is below ``1e-9 v`` (the error after that step is of the order of
    the step squared times ``P'' / P'``, below the rounding: the step is taken without evaluating
    ``P`` again; a step that small leaving the bracket is rounding, and ``v`` is kept), where
    ``P`` is exactly 0, or where the bracket is a few roundings wide.
    """
    active = np.arange(v.size)
    v, lo, hi = v.copy(), lo.copy(), hi.copy()
    part = flows
    eps = np.finfo(float).eps
    for _ in range(_ITERATIONS):
        va = v[active]
        p, dp = part[-1].copy(), np.zeros(active.size)
        with np.errstate(over="ignore", invalid="ignore"):  # +-inf at a high v over a long horizon: bisected
            for m in range(part.shape[0] - 2, -1, -1):
                dp *= va
                dp += p
                p *= va
                p += part[m]
        same = (p > 0) == lo_above[active]  # P has lo's sign: the root is above v
        lo[active] = np.where(same, va, lo[active])
        hi[active] = np.where(same, hi[active], va)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = va - p / dp
        inside = np.isfinite(step) & (step > lo[active]) & (step < hi[active])
        # below 1e-9 v (False for NaN, and where P' overflowed): outside the bracket only by rounding, va kept
        tiny = (np.abs(step - va) <= 1e-9 * va) & np.isfinite(dp)
        v[active] = np.where(inside, step, np.where(tiny | (p == 0), va, (lo[active] + hi[active]) / 2))
        moving = ~tiny & (p != 0) & (hi[active] - lo[active] > 4 * eps * va)
        active, part = active[moving], part[:, moving]
        if not active.size:
            break
    return v
