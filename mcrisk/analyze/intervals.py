"""Confidence intervals shared by the decision analyses: the order statistics bounding a quantile."""

from __future__ import annotations

from scipy import stats

__all__ = ["order_ranks"]


def order_ranks(n: int, q: float, level: float = 0.95) -> tuple[int, int]:
    """Ranks ``(r, s)`` (1-based) of the order statistics bounding the ``q``-quantile of ``n`` draws.

    ``P(X_(r) <= x_q <= X_(s)) >= level`` for any continuous distribution, with ``B ~ Bin(n, q)``:
    ``r = F_B^{-1}((1 - level)/2)``, ``s = F_B^{-1}((1 + level)/2) + 1``. ``r = 0`` means no lower
    bound (``X_(0) = -inf``) and ``s = n + 1`` no upper bound: too few draws for that end.

    Parameters
    ----------
    n
        Number of draws.
    q
        The quantile's probability, in (0, 1).
    level
        Confidence level.

    Returns
    -------
    (int, int)

    Notes
    -----
    ``P(X_(r) <= x_q) = P(B >= r)`` and ``P(X_(s) >= x_q) = P(B <= s - 1)``, so the coverage is
    ``P(r <= B <= s - 1) >= level`` (binomial, exact; e.g. Hahn and Meeker, *Statistical
    Intervals*, 1991, ch. 5).
    """
    a = (1 - level) / 2
    r = int(stats.binom.ppf(a, n, q))  # P(B <= r - 1) <= a
    s = int(stats.binom.ppf(1 - a, n, q)) + 1
    return r, s
