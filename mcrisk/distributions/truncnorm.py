"""The inverse CDF of the truncated normal distribution, precise in both tails and at both bounds.

The closed form ``ndtri(Phi(a) + u (Phi(b) - Phi(a)))`` loses its digits wherever the
probability it inverts is near 1 (it rounds to ``ndtri(1) = inf`` at the top of a half-normal,
and lower truncations were off by up to 0.7% of the span at u = 1 - 2**-53) and wherever both
bounds lie in one tail (``Phi(a)`` and ``Phi(b)`` round to the same double). :func:`truncnorm_ppf`
mirrors the distribution so that its deeper bound is the lower one, inverts whichever of
``Phi(z)`` and ``1 - Phi(z)`` is below 1/2, each written as a sum of positive terms, and
works with logarithms (scipy.special.log_ndtr, ndtri_exp) where the bounds are so deep that
``Phi`` underflows. It imports only numpy and scipy.special.

Notes
-----
For the standard normal truncated to ``[a, b]`` with ``a + b <= 0`` (mirror otherwise), the
quantile ``z`` at probability ``u`` solves

    Phi(z) = Phi(a) + u (Phi(b) - Phi(a)) = Phi(b) (u + (1 - u) q),        q = Phi(a) / Phi(b),
    1 - Phi(z) = Phi(-b) + Phi(b) (1 - u)(1 - q),

with ``log q = log_ndtr(a) - log_ndtr(b)`` and ``1 - q = -expm1(log q)``; ``u`` and ``1 - u``
are both carried, and whichever is below 1/2 is exact. Near the mean, where ``Phi(z)`` is
near 1/2 and keeps only absolute digits, ``z = sqrt(2) erfinv(2 t)`` with
``t = Phi(z) - 1/2 = erf(b / sqrt 2) / 2 - (1 - u)(Phi(b) - Phi(a))``, which keeps ``z``'s
relative digits at a bound on the mean (the half-normal's 2**-54 quantile is 7e-17 sd, not 0).
If ``Phi(b)`` underflows (``b < -37.5``), ``log Phi(z) = log_ndtr(b) + log(u + (1 - u) q)``
and ``z = ndtri_exp`` of it.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc

__all__ = ["truncnorm_ppf"]

_SQRT2 = math.sqrt(2.0)
# log Phi(b) below which Phi(b) is no normal double (b < -37.5 sd)
_DEEP = -700.0


def _lower(u: np.ndarray, v: np.ndarray, a: float, b: float, near_mean: bool) -> np.ndarray:
    """Standard quantile for ``a + b <= 0`` at ``u`` with ``v = 1 - u`` (see the module notes).

    ``near_mean``: the quantiles near the mean need their digits relative to ``z`` itself (the
    mean is within one sd of 0, so ``x`` there is near 0 too).
    """
    lb = float(sc.log_ndtr(b))
    d = float(sc.log_ndtr(a)) - lb  # log q <= 0; -inf for a = -inf
    q, omq = math.exp(d), -math.expm1(d)
    if lb < _DEEP:  # both bounds so deep in the lower tail that Phi(b) underflows: logarithms
        with np.errstate(divide="ignore"):
            t = v * omq  # 1 - w
            logw = np.where(t < 0.5, np.log1p(-np.minimum(t, 0.5)), np.log(u + v * q))
        z = sc.ndtri_exp(lb + logw)
        # A bound beyond 1e154 sd overflows log_ndtr: every quantile is the bound to the last digit.
        return np.where(np.isnan(z), b, z)
    pb, cb = float(sc.ndtr(b)), float(sc.ndtr(-b))
    # Phi(z) = Phi(b) w below the median, 1 - Phi(z) = Phi(-b) + Phi(b) (1 - u)(1 - q) above it:
    # each a sum of positive terms, inverted (one ndtri pass) where it is below 1/2.
    p = pb * u if q == 0.0 else pb * (u + v * q)
    below = p < 0.5
    z = sc.ndtri(np.where(below, p, cb + (pb * omq) * v))
    np.negative(z, out=z, where=~below)
    if near_mean:
        # Within 0.2 sd of the mean (a bound at or near a mean near 0: the half-normal),
        # Phi(z) - 1/2 keeps the digits that Phi(z) loses: erf(b / sqrt 2) / 2 - (1 - u) Z.
        near = np.abs(z) < 0.2
        if near.any():
            t = 0.5 * math.erf(b / _SQRT2) - v[near] * (pb * omq)
            z[near] = _SQRT2 * sc.erfinv(2.0 * t)
    return z


def truncnorm_ppf(mean: float, sd: float, low: float | None, high: float | None, u: np.ndarray) -> np.ndarray:
    """Inverse CDF of the normal ``(mean, sd)`` truncated to ``[low, high]``.

    Parameters
    ----------
    mean, sd
        The untruncated normal's mean and standard deviation (> 0).
    low, high
        The bounds; ``None`` for none on that side.
    u
        Probabilities in [0, 1].

    Returns
    -------
    numpy.ndarray
        The quantiles, within ``[low, high]``, to a few units in the last place of ``z`` (the
        quantile in standard deviations from the mean) in either tail.
    """
    u = np.asarray(u, dtype=float)
    a = -np.inf if low is None else (low - mean) / sd
    b = np.inf if high is None else (high - mean) / sd
    shape, u = u.shape, u.ravel()
    v = 1.0 - u  # exact for u >= 1/2; relative error 2**-53 below, where it is >= 1/2
    near_mean = abs(mean) < sd
    if a + b <= 0 or (low is None and high is None):
        z = _lower(u, v, a, b, near_mean)
    else:  # mirror: the deeper bound becomes the lower one
        z = -_lower(v, u, -b, -a, near_mean)
    x = mean + sd * z
    lo = -np.inf if low is None else low
    hi = np.inf if high is None else high
    return np.clip(x, lo, hi).reshape(shape)
