"""The metalog distribution (Keelin 2016): a quantile function through an expert's quantiles.

A metalog with ``k`` terms is a quantile function linear in its coefficients, so ``k`` stated
quantiles ``(p_i, x_i)`` fix it exactly by one linear solve; it is a distribution when that
quantile function increases on ``(0, 1)``. With bounds, the same series describes a transform
of the variable::

    unbounded        x = M(y)
    semi-bounded     x = low + exp(M(y))            or   x = high - exp(-M(y))
    bounded          x = (low + high exp(M(y))) / (1 + exp(M(y)))

with ``L = ln(y / (1 - y))`` and ``c = y - 0.5``::

    M(y) = a1 + a2 L + a3 c L + a4 c + a5 c^2 + a6 c^2 L + a7 c^3 + a8 c^3 L + ...

This module is numpy only; :mod:`mcrisk.distributions.families` registers it as ``metalog``.

References
----------
T. W. Keelin, "The Metalog Distributions", Decision Analysis 13(4), 243-277, 2016.

Examples
--------
>>> m = Metalog.fit([[0.1, 2.0], [0.5, 3.0], [0.9, 6.0]], low=0.0)
>>> [round(float(v), 12) for v in m.ppf(np.array([0.1, 0.5, 0.9]))]
[2.0, 3.0, 6.0]
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["MAX_TERMS", "Metalog", "MetalogError", "basis", "metalog_of"]

#: The most quantiles (terms) a metalog is fitted through.
MAX_TERMS = 10

# Probabilities the quantile function is checked on (logit-spaced down to the designs' extremes).
# Distinct doubles only: near 1 neighbouring logits round to the same probability.
_GRID = np.unique(1.0 / (1.0 + np.exp(-np.linspace(-37.0, 36.7, 4097))))  # 36.7: the largest double below 1


class MetalogError(ValueError):
    """The quantiles admit no metalog: not increasing, outside the bounds, or no increasing fit."""


def basis(y: np.ndarray, k: int) -> np.ndarray:
    """The metalog basis functions at probabilities ``y``: shape ``(len(y), k)``.

    Parameters
    ----------
    y
        Probabilities in ``(0, 1)``.
    k
        Number of terms (2 to :data:`MAX_TERMS`).

    Returns
    -------
    numpy.ndarray
        Column ``j`` is the ``j + 1``-th term of ``M(y)`` in the module notes.
    """
    y = np.asarray(y, dtype=float)
    logit, c = np.log(y) - np.log1p(-y), y - 0.5
    cols = [np.ones_like(y), logit, c * logit, c]
    for j in range(4, k):  # terms 5, 6, 7, 8, ...: c^2, c^2 L, c^3, c^3 L, ...
        cols.append(c ** (j // 2) if j % 2 == 0 else c ** (j // 2) * logit)
    return np.stack(cols[:k], axis=-1)


class Metalog:
    """A metalog distribution: its coefficients and bounds, with the frozen-distribution methods mcrisk uses.

    Build it with :meth:`fit`. ``ppf`` is exact; ``cdf`` inverts it by interpolation on a
    logit-spaced grid of 4,097 probabilities; ``mean`` and ``std`` integrate it numerically.
    """

    def __init__(self, a: np.ndarray, low: float | None = None, high: float | None = None) -> None:
        self.a = np.asarray(a, dtype=float)
        self.low, self.high = low, high
        self._x = self.ppf(_GRID)

    @classmethod
    def fit(cls, quantiles: Sequence[Sequence[float]], low: float | None = None,
            high: float | None = None) -> Metalog:
        """The metalog through ``quantiles`` exactly (as many terms as quantiles).

        Parameters
        ----------
        quantiles
            ``[[p, x], ...]``: 2 to :data:`MAX_TERMS` pairs, ``p`` strictly increasing in
            ``(0, 1)``, ``x`` strictly increasing (and strictly inside the bounds).
        low, high
            Optional bounds: none, one (semi-bounded) or both (bounded).

        Returns
        -------
        Metalog

        Raises
        ------
        MetalogError
            For quantiles that are not coherent, or when the metalog through them is not
            increasing (it would not be a distribution).
        """
        q = np.asarray(quantiles, dtype=float)
        if q.ndim != 2 or q.shape[1] != 2 or not 2 <= len(q) <= MAX_TERMS:
            raise MetalogError(f"must be 2 to {MAX_TERMS} pairs [probability, value]")
        p, x = q[:, 0], q[:, 1]
        if not np.isfinite(q).all():
            raise MetalogError("must hold finite numbers only")
        if not ((p > 0) & (p < 1)).all():
            raise MetalogError("has a probability outside (0, 1)")
        if not (np.diff(p) > 0).all():
            raise MetalogError("has probabilities that do not increase")
        if not (np.diff(x) > 0).all():
            raise MetalogError("has values that do not increase with the probabilities (incoherent "
                               "quantiles)")
        if low is not None and high is not None and not low < high:
            raise MetalogError(f"has low = {low:g} not below high = {high:g}")
        if (low is not None and not (x > low).all()) or (high is not None and not (x < high).all()):
            raise MetalogError(f"has values outside the bounds ({_bound(low)}, {_bound(high)})")
        z = _to_z(x, low, high)
        a = np.linalg.solve(basis(p, len(p)), z)
        m = cls(a, low, high)
        if not (np.isfinite(m._x).all() and (np.diff(m._x) >= 0).all()
                and (np.diff(m._z(_GRID)) > 0).all()):
            raise MetalogError("admit no metalog with these bounds: the quantile function through them "
                               f"is not increasing ({_kind(low, high)})")
        return m

    def _z(self, y: np.ndarray) -> np.ndarray:
        return basis(y, len(self.a)) @ self.a

    def ppf(self, y: np.ndarray) -> np.ndarray:
        """Inverse CDF at probabilities ``y`` (exact)."""
        y = np.asarray(y, dtype=float)
        z = self._z(np.clip(y, 1e-300, 1 - 2.0**-53))
        with np.errstate(over="ignore"):
            if self.low is not None and self.high is not None:
                e = np.exp(-np.abs(z))  # overflow-free logistic
                s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
                out = self.low + (self.high - self.low) * s
            elif self.low is not None:
                out = self.low + np.exp(z)
            elif self.high is not None:
                out = self.high - np.exp(-z)
            else:
                out = z
        return out

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """CDF at ``x`` by interpolation of the inverse CDF on a logit-spaced grid."""
        return np.interp(np.asarray(x, dtype=float), self._x, _GRID, left=0.0, right=1.0)

    def median(self) -> float:
        """The median, ``ppf(0.5)``."""
        return float(self.ppf(np.array(0.5)))

    def _moments(self) -> tuple[float, float]:
        # Midpoint rule in probability, 2**16 cells: the quantile function averaged over (0, 1).
        y = (np.arange(2**16) + 0.5) / 2**16
        v = self.ppf(y)
        return float(v.mean()), float(v.var())

    def mean(self) -> float:
        """The mean, integral of the quantile function over (0, 1) (midpoint rule, 65,536 cells)."""
        return self._moments()[0]

    def var(self) -> float:
        """The variance, by the same integral."""
        return self._moments()[1]

    def std(self) -> float:
        """The standard deviation."""
        return math.sqrt(self.var())

    def support(self) -> tuple[float, float]:
        """``(low, high)``, infinite where unbounded."""
        return (-math.inf if self.low is None else self.low, math.inf if self.high is None else self.high)

    def rvs(self, size: int, random_state: np.random.Generator) -> np.ndarray:
        """Draws by inversion of uniform draws."""
        return self.ppf(random_state.random(size))


@functools.lru_cache(maxsize=64)
def _cached(quantiles: tuple[tuple[float, float], ...], low: float | None, high: float | None) -> Metalog:
    return Metalog.fit(quantiles, low, high)


def metalog_of(params: Mapping[str, Any]) -> Metalog:
    """The metalog of a priors entry: ``quantiles = [[p, x], ...]``, optional ``low`` and ``high``.

    Parameters
    ----------
    params
        The entry's parameters (``low``/``high`` absent or ``None`` for no bound).

    Returns
    -------
    Metalog
        Fitted once per distinct parameters (cached: the inverse CDF is asked for per chunk).

    Raises
    ------
    MetalogError
        For quantiles that are not a list of number pairs, or any error of :meth:`Metalog.fit`.
    """
    q = params["quantiles"]
    if not isinstance(q, list) or not all(isinstance(r, list) and len(r) == 2 for r in q):
        raise MetalogError("must be a list of [probability, value] pairs, e.g. "
                           "[[0.05, 12], [0.5, 20], [0.95, 45]]")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for r in q for v in r):
        raise MetalogError("must hold numbers only")
    return _cached(tuple((float(a), float(b)) for a, b in q), params.get("low"), params.get("high"))


def _to_z(x: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
    if low is not None and high is not None:
        return np.log((x - low) / (high - x))
    if low is not None:
        return np.log(x - low)
    if high is not None:
        return -np.log(high - x)
    return x


def _bound(v: float | None) -> str:
    return "none" if v is None else f"{v:g}"


def _kind(low: float | None, high: float | None) -> str:
    if low is None and high is None:
        return "unbounded; give low and/or high for a semi-bounded or bounded metalog"
    if low is not None and high is not None:
        return f"bounded to [{low:g}, {high:g}]"
    return f"semi-bounded, {'low' if low is not None else 'high'} = {low if low is not None else high:g}"
