"""Pareto-smoothed importance sampling: stable self-normalised weights and their k-hat.

Importance weights whose largest values come from a heavy tail make every weighted average
noisy, and the plain effective sample size hides it. Pareto smoothing (Vehtari, Simpson, Gelman,
Yao and Gabry 2024, "Pareto smoothed importance sampling", JMLR 25(72)) fits a generalized
Pareto distribution to the ``M = ceil(min(S / 5, 3 sqrt(S)))`` largest of ``S`` raw weights,
replaces them by the fitted distribution's quantiles at ``(j - 1/2) / M``, truncates the
result at the largest raw weight and normalises. The fitted shape, k-hat, says how far to trust
the result: below 0.5 the weighted averages converge as a plain Monte Carlo's do, up to 0.7
they are usable with the smoothing, above 0.7 the weights are dominated by a handful of draws
(the paper's Section 3; its threshold ``min(1 - 1 / log10 S, 0.7)`` is 0.7 for ``S >= 2,155``).

The shape is fitted by the empirical-Bayes method of Zhang and Stephens (2009), with the weakly
informative prior the paper uses (``k <- (M k + 10 * 0.5) / (M + 10)``), as in the authors'
reference code and ArviZ's ``psislw``, which the tests use as an oracle.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["K_HAT_LIMIT", "effective_sample_size", "gpd_fit", "psis"]

#: Above this k-hat the smoothed weights are not to be trusted (Vehtari et al. 2024, Sec. 3).
K_HAT_LIMIT = 0.7


def gpd_fit(x: np.ndarray) -> tuple[float, float]:
    """The shape ``k`` and scale ``sigma`` of a generalized Pareto fitted to positive ``x``.

    Parameters
    ----------
    x : numpy.ndarray
        Exceedances over a threshold, sorted ascending, at least 5 of them.

    Returns
    -------
    tuple of float
        ``(k, sigma)``; ``k`` is shrunk toward 0.5 by the paper's prior.

    Notes
    -----
    Zhang and Stephens (2009), "A new and efficient estimation method for the generalized Pareto
    distribution", Technometrics 51(3): a posterior mean of ``b = -k / sigma`` over
    ``m = 30 + floor(sqrt(n))`` grid points, then ``k = mean(log(1 - b x))``.
    """
    n = x.size
    m = 30 + int(math.sqrt(n))
    b = 1 - np.sqrt(m / (np.arange(1, m + 1) - 0.5))
    b = b / (3 * x[int(n / 4 + 0.5) - 1]) + 1 / x[-1]
    k = np.log1p(-b[:, None] * x).mean(axis=1)
    profile = n * (np.log(-b / k) - k - 1)
    with np.errstate(over="ignore"):  # a grid point far below the best gets weight 1 / inf = 0
        w = 1 / np.exp(profile - profile[:, None]).sum(axis=1)
    keep = w >= 10 * np.finfo(float).eps
    b, w = b[keep], w[keep] / w[keep].sum()
    b_post = float(np.sum(b * w))
    k_post = float(np.log1p(-b_post * x).mean())
    sigma = -k_post / b_post
    return (n * k_post + 10 * 0.5) / (n + 10), sigma


def _gpd_quantile(p: np.ndarray, k: float, sigma: float) -> np.ndarray:
    if abs(k) < 1e-12:
        return -sigma * np.log1p(-p)
    return sigma * np.expm1(-k * np.log1p(-p)) / k


def psis(log_weights: np.ndarray) -> tuple[np.ndarray, float]:
    """Pareto-smoothed, self-normalised importance weights and the tail's shape k-hat.

    Parameters
    ----------
    log_weights : numpy.ndarray
        One raw log weight per draw (the log likelihood of each prior draw); ``-inf`` for a draw
        the record rules out.

    Returns
    -------
    weights : numpy.ndarray
        Smoothed weights, summing to 1.
    k_hat : float
        The fitted generalized Pareto shape of the largest weights; NaN when the weights have
        no tail (all tied, or above the cut by rounding only), ``inf`` when four or fewer draws
        stand above the rest.

    Raises
    ------
    ValueError
        When every log weight is ``-inf`` or NaN (the record rules out every draw).

    Notes
    -----
    With ``S`` draws the tail is the ``M = ceil(min(S / 5, 3 sqrt(S)))`` largest raw weights
    above the ``(M + 1)``-th largest; each is replaced by
    ``w_cut + F^{-1}((j - 1/2) / M)`` for the fitted generalized Pareto ``F``, at most the
    largest raw weight (Vehtari et al. 2024, Algorithm 1).

    Examples
    --------
    >>> w, k = psis(np.zeros(1000))
    >>> float(w.sum()), bool(np.isnan(k))
    (1.0, True)
    """
    lw = np.array(log_weights, dtype=float)
    lw[np.isnan(lw)] = -np.inf
    if not np.isfinite(lw).any():
        raise ValueError("every draw has zero likelihood")
    lw -= lw.max()
    s = lw.size
    m = int(math.ceil(min(0.2 * s, 3 * math.sqrt(s))))
    order = np.argsort(lw)
    cut = max(lw[order[-m - 1]], math.log(np.finfo(float).tiny)) if s > m else -np.inf
    tail = order[lw[order] > cut]
    k_hat = math.nan if tail.size == 0 else math.inf
    excess = np.exp(lw[tail]) - math.exp(cut)
    if tail.size and excess[0] <= 0:  # the tail stands above the cut by rounding only: equal weights
        k_hat = math.nan
    elif tail.size > 4:
        k_hat, sigma = gpd_fit(excess)
        if math.isfinite(k_hat):
            p = np.arange(0.5, tail.size) / tail.size
            lw[tail] = np.minimum(np.log(_gpd_quantile(p, k_hat, sigma) + math.exp(cut)), 0.0)
    w = np.exp(lw)
    return w / w.sum(), float(k_hat)


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``1 / sum(w^2)`` of normalised weights ``w``.

    Parameters
    ----------
    weights : numpy.ndarray
        Weights summing to 1.

    Returns
    -------
    float
        Between 1 (one draw carries everything) and the number of draws (equal weights).
    """
    return float(1.0 / np.sum(np.square(weights)))
