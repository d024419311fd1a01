"""The two distributions mcrisk makes itself: a point mass and a finite distribution on real values.

Each exposes the frozen-distribution methods mcrisk uses (``ppf``, ``cdf``, ``mean``, ``median``,
``std``, ``var``, ``support``), so a constant input or a list of weighted scenarios behaves like
any scipy.stats prior. :mod:`mcrisk.distributions.families` registers them as ``constant`` and ``discrete``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Constant", "Discrete"]


class Discrete:
    """A finite distribution on arbitrary real ``values`` with ``weights``.

    scipy's ``rv_discrete`` only takes integer support, so this wraps one over the indices of
    the sorted values and maps back; it exposes the frozen-distribution methods mcrisk uses.
    """

    def __init__(self, values: list[float], weights: list[float]) -> None:
        order = np.argsort(values)
        self.values = np.asarray(values, dtype=float)[order]
        self.weights = np.asarray(weights, dtype=float)[order]
        self._cum = np.cumsum(self.weights)
        self._cum[-1] = 1.0

    def ppf(self, u: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self._cum, np.asarray(u), side="left")
        return self.values[np.minimum(idx, len(self.values) - 1)]

    def cdf(self, x: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.values, np.asarray(x), side="right")
        return np.concatenate([[0.0], self._cum])[idx]

    def mean(self) -> float:
        return float(self.weights @ self.values)

    def var(self) -> float:
        return float(self.weights @ (self.values - self.mean()) ** 2)

    def std(self) -> float:
        return math.sqrt(self.var())

    def median(self) -> float:
        return float(self.ppf(0.5))

    def support(self) -> tuple[float, float]:
        return float(self.values[0]), float(self.values[-1])

    def rvs(self, size: int, random_state: np.random.Generator) -> np.ndarray:
        return random_state.choice(self.values, size=size, p=self.weights)


class Constant:
    """A point mass, so a constant input behaves like any other prior."""

    def __init__(self, value: float) -> None:
        self.value = float(value)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x) >= self.value).astype(float)

    def mean(self) -> float:
        return self.value

    def median(self) -> float:
        return self.value

    def std(self) -> float:
        return 0.0

    def var(self) -> float:
        return 0.0

    def support(self) -> tuple[float, float]:
        return self.value, self.value
