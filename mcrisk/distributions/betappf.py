"""The inverse CDF of the beta distribution, tabulated once per shape and interpolated.

scipy.special.betaincinv (boost's ibeta_inv) costs microseconds a value; :func:`beta_ppf`
builds a table once per shape (a few to tens of ms, cached for 64 shapes) and then costs well
under a tenth of a microsecond a value. It tabulates only shapes in :data:`TABLE_SHAPES` whose
median lies in [1e-3, 1 - 1e-3] (every PERT with lambda up to 49 does); other shapes, such as
Beta(0.01, 3.88) whose median is 1.3e-31, use :func:`betaincinv`. It serves the ``beta`` and
``pert`` families of :mod:`mcrisk.distributions.families`, and imports only numpy and scipy.special.

Notes
-----
For u <= 1/2 the table is in s = u**(1/a): near 0, I_x(a, b) = x**a / (a B(a, b)) (1 + O(x)),
so x is an analytic function of s with a finite slope at s = 0 whatever a is, and a cubic
Hermite interpolant in s is accurate up to the lower tail. For u > 1/2 the same is done for
1 - x, which is Beta(b, a) at 1 - u, in t = (1 - u)**(1/b). Node values come from
scipy.special.betaincinv; node slopes are exact, dx/ds = a s**(a-1) / f(x). Cells are halved
until the interpolant at every cell midpoint (where a cubic Hermite error peaks) is within
:data:`BETA_PPF_RTOL` of betaincinv there, relative to min(x, 1 - x), never absolute. Above
the median x = 1 - y is then exact to 2**-53 absolute, 1.1e-13 relative to x as the median is at
least 1e-3. (A table split at u = 1/2 holds 1 - x for x from the median up: with a median of
1e-31 every such x rounded to 0 or 1, and Beta(0.01, 3.88) drew 1.0 for half its draws.)
"""

from __future__ import annotations

import functools
import math

import numpy as np
import scipy.special as sc

__all__ = ["BETA_PPF_RTOL", "TABLE_SHAPES", "beta_ppf", "betaincinv"]

#: Relative error of the tabulated beta inverse CDF, relative to min(x, 1 - x), that every table
#: is built to (checked at cell midpoints when it is made); 1e-10 leaves a factor 10 to the 1e-9
#: the property test holds every family to.
BETA_PPF_RTOL = 1e-10
_BETA_MAX_CELLS = 2**15
#: Shapes (both a and b) for which beta_ppf tabulates; others use scipy.special.betaincinv.
TABLE_SHAPES = (0.5, 50.0)


def _beta_half_table(a: float, b: float) -> tuple[float, np.ndarray] | None:
    """Cubic coefficients of x(s), s = u**(1/a), for u in [0, 1/2] of Beta(a, b).

    ``None`` if no table of up to ``_BETA_MAX_CELLS`` cells meets :data:`BETA_PPF_RTOL`.
    """
    u_end = 0.5
    s_end = 0.5 ** (1.0 / a)
    lnb = sc.betaln(a, b)

    def nodes(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = sc.betaincinv(a, b, np.minimum(s**a, u_end))
        with np.errstate(divide="ignore", invalid="ignore"):
            log_slope = (math.log(a) + (a - 1.0) * (np.log(s) - np.log(x))
                         - (b - 1.0) * np.log1p(-x) + lnb)
            slope = np.exp(log_slope)
        # Where x is 0 (s = 0, or s**a below the smallest double) the slope is its limit at
        # s = 0, (a B(a, b))**(1/a).
        slope = np.where(x == 0, math.exp((math.log(a) + lnb) / a), slope)
        return x, slope

    cells = 64
    while True:
        h = s_end / cells
        s = np.arange(cells + 1) * h
        s[-1] = s_end
        x, m = nodes(s)
        x0, x1, m0, m1 = x[:-1], x[1:], m[:-1] * h, m[1:] * h
        coef = np.stack([x0, m0, 3 * (x1 - x0) - 2 * m0 - m1, 2 * (x0 - x1) + m0 + m1])
        # One constant cell past the end catches s = s_end, and s a rounding step beyond it.
        coef = np.concatenate([coef, [[x[-1]], [0.0], [0.0], [0.0]]], axis=1)
        mid = s[:-1] + h / 2
        exact = sc.betaincinv(a, b, np.minimum(mid**a, u_end))
        approx = (coef[0] + 0.5 * (coef[1] + 0.5 * (coef[2] + 0.5 * coef[3])))[:-1]
        # Relative to x (and to 1 - x, where the other half is 1 - this one), never absolute:
        # the deep tail's x of 1e-300 must keep its digits.
        err = np.max(np.abs(approx - exact) - BETA_PPF_RTOL * np.minimum(exact, 1.0 - exact) - 2.0**-52 * exact)
        if err <= 0:
            return h, coef
        if cells >= _BETA_MAX_CELLS:
            return None
        cells *= 2


def betaincinv(a: float, b: float, u: np.ndarray) -> np.ndarray:
    """scipy.special.betaincinv, with the probabilities where boost's root finder gives up mended.

    Boost's ibeta_inv returns NaN at some u in [0, 1] (Beta(1.0032, 0.4217) at u = 2**-54); there
    the tail expansion x = (u a B(a, b))**(1/a) (or 1 - x from the other tail) starts three
    Newton steps on I_x(a, b) = u.
    """
    u = np.asarray(u, dtype=float)
    x = np.asarray(sc.betaincinv(a, b, u), dtype=float)
    bad = np.isnan(x) & (u >= 0) & (u <= 1)
    if bad.any():
        x = x.copy()
        x[bad] = [_mend(a, b, float(w)) for w in u[bad]]
    return x


def _mend(a: float, b: float, u: float) -> float:
    lower = u <= 0.5
    p, q, w = (a, b, u) if lower else (b, a, 1.0 - u)
    with np.errstate(all="ignore"):
        y = min(math.exp((math.log(w) + math.log(p) + float(sc.betaln(p, q))) / p), 0.5)
        for _ in range(3):
            f = math.exp((p - 1) * math.log(y) + (q - 1) * math.log1p(-y) - float(sc.betaln(p, q)))
            y = min(max(y - (float(sc.betainc(p, q, y)) - w) / f, 0.5 * y), 0.5 + 0.5 * y)
    return y if lower else 1.0 - y


@functools.lru_cache(maxsize=64)
def _beta_table(a: float, b: float) -> tuple | None:
    """Both halves in one table: exponents, 1/h and cell counts per half, (4, cells) coefficients.

    ``None`` (use :func:`betaincinv`) outside :data:`TABLE_SHAPES` (beyond them tables of 2**15
    cells miss :data:`BETA_PPF_RTOL`, after up to 0.7 s of building) or where the median is
    within 1e-3 of 0 or 1: above the median the table holds 1 - x, rounded to 2**-53, which
    keeps 1e-9 of x only where x is not small.
    """
    lo, hi = TABLE_SHAPES
    if not (lo <= a <= hi and lo <= b <= hi):
        return None
    median = float(sc.betaincinv(a, b, 0.5))
    if not 1e-3 <= median <= 1.0 - 1e-3:
        return None
    try:
        left, right = _beta_half_table(a, b), _beta_half_table(b, a)
    except (OverflowError, ZeroDivisionError):  # shapes near 0 or huge: scipy's betaincinv copes
        return None
    if left is None or right is None:
        return None
    (hl, cl), (hr, cr) = left, right
    return 1.0 / a, 1.0 / b, 1.0 / hl, 1.0 / hr, cl.shape[1], cr.shape[1], np.concatenate([cl, cr], axis=1)


def beta_ppf(a: float, b: float, u: np.ndarray) -> np.ndarray:
    """Inverse CDF of Beta(a, b) on [0, 1], tabulated to :data:`BETA_PPF_RTOL`.

    Parameters
    ----------
    a, b
        Shape parameters, > 0.
    u
        Probabilities in [0, 1].

    Returns
    -------
    numpy.ndarray
        ``x`` with ``|x - F^-1(u)| <= BETA_PPF_RTOL min(x, 1 - x)`` at every cell midpoint, where
        a cubic Hermite interpolant's error peaks, plus the rounding of ``x`` itself (2**-53 near 1).
        The tests check ``1e-9 min(x, 1 - x) + 2**-52`` against scipy.special.betaincinv on a
        dense grid reaching 1e-17 into both tails, and 1e-9 of ``x`` on generated shapes.

    Notes
    -----
    Below the median ``x`` is a cubic Hermite interpolant of ``s = u**(1/a)``; above it,
    ``1 - x`` is one of ``t = (1 - u)**(1/b)`` (the lower tail of Beta(b, a)). Shapes outside
    :data:`TABLE_SHAPES`, or with a median within 1e-3 of 0 or 1, use :func:`betaincinv`.
    """
    u = np.asarray(u, dtype=float)
    table = _beta_table(float(a), float(b))
    if table is None:
        return betaincinv(a, b, u)
    flat = u.ravel()
    bad = None
    if not (flat.size == 0 or (flat.min() >= 0.0 and flat.max() <= 1.0)):
        bad = ~((flat >= 0) & (flat <= 1))
        flat = np.where(bad, 0.5, flat)
    out = np.empty_like(flat)
    # Blocks that stay in cache: the dozen passes below then cost a third of whole-array ones.
    for i in range(0, flat.size, _BLOCK):
        _beta_ppf_block(table, flat[i : i + _BLOCK], out[i : i + _BLOCK])
    if bad is not None:
        out[bad] = np.nan  # u outside [0, 1], as scipy
    return out.reshape(u.shape)


_BLOCK = 2**13


def _beta_ppf_block(table: tuple, u: np.ndarray, out: np.ndarray) -> None:
    el, er, il, ir, cl, cr, coef = table
    upper = u > 0.5
    up = upper.astype(float)
    w = np.minimum(u, 1.0 - u)
    pos = np.power(w, up * (er - el) + el)
    pos *= up * (ir - il) + il
    k = pos.astype(np.intp)
    # Past the end of its half by rounding: its constant end cell (never beyond the table).
    np.minimum(k, upper * (cr - cl) + (cl - 1), out=k)
    pos -= k
    k += upper * cl
    y = np.take(coef[3], k)
    for row in (2, 1, 0):
        y *= pos
        y += np.take(coef[row], k)
    np.clip(y, 0.0, 1.0, out=y)
    # 1 - y above the median (exactly as 1.0 - y rounds), y below it.
    np.multiply(y, 1.0 - 2.0 * up, out=out)
    out += up
