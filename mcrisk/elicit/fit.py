"""Priors fitted to data: maximum likelihood of candidate families, ranked, written as an entry.

:func:`fit_data` fits candidate families (scipy.stats) to a column of measurements, optionally
weighted, and ranks them by AIC with BIC and the Kolmogorov-Smirnov distance beside it;
:func:`fit_file` is ``mcrisk fit DATA.csv --column COL``: it reads the column, prints the
ranking, draws the data against every fit and writes the chosen one as a priors entry whose
``source`` names the file, the column, the rows and the fit (:mod:`mcrisk.spec.priorentry`). Fits to
an expert's quantiles are :mod:`mcrisk.elicit.expert`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.optimize as so
import scipy.stats as st

from mcrisk.core.errors import MCRiskWarning, SpecError
from mcrisk.core.warned import warn
from mcrisk.elicit.datafile import read_column

__all__ = ["DATA_FAMILIES", "DataFit", "fit_data", "read_column"]


@dataclass(frozen=True)
class _Candidate:
    scipy_name: str
    fixed: Mapping[str, float]                     # scipy fit keywords: floc, fscale
    support: Callable[[np.ndarray], bool]          # whether the data lie where the family lives
    to_prior: Callable[[tuple[float, ...]], tuple[str, dict[str, float]]]


def _positive(x: np.ndarray) -> bool:
    return bool((x > 0).all())


#: Candidate families of :func:`fit_data`: name -> scipy family, fixed parameters, the data it
#: takes, and how its fitted parameters become a priors entry (mcrisk family and parameters).
DATA_FAMILIES: dict[str, _Candidate] = {
    "normal": _Candidate("norm", {}, lambda x: True, lambda t: ("normal", {"mean": t[0], "sd": t[1]})),
    "lognormal": _Candidate("lognorm", {"floc": 0.0}, _positive,
                            lambda t: ("lognormal", {"median": t[2], "sigma": t[0]})),
    "gamma": _Candidate("gamma", {"floc": 0.0}, _positive, lambda t: ("gamma", {"a": t[0], "scale": t[2]})),
    "weibull": _Candidate("weibull_min", {"floc": 0.0}, _positive,
                          lambda t: ("weibull", {"shape": t[0], "scale": t[2]})),
    "beta": _Candidate("beta", {"floc": 0.0, "fscale": 1.0}, lambda x: bool(((x > 0) & (x < 1)).all()),
                       lambda t: ("beta", {"a": t[0], "b": t[1]})),
    "uniform": _Candidate("uniform", {}, lambda x: True,
                          lambda t: ("uniform", {"low": t[0], "high": t[0] + t[1]})),
}


@dataclass(frozen=True)
class DataFit:
    """One family's maximum-likelihood fit to data.

    Attributes
    ----------
    name : str
        The candidate's name (a key of :data:`DATA_FAMILIES`).
    family : str
        The priors-file family (``dist``) and ``params`` its parameters.
    loglik : float
        Log-likelihood at the fit, ``sum_i w_i log f(x_i)`` with weights scaled to sum to ``n``.
    k : int
        Number of fitted parameters.
    aic, bic : float
        ``2k - 2 loglik`` and ``k ln n - 2 loglik``.
    ks : float
        Kolmogorov-Smirnov distance between the (weighted) empirical CDF and the fitted CDF.
    dist : object
        The frozen scipy distribution.
    """

    name: str
    family: str
    params: Mapping[str, float]
    loglik: float
    k: int
    aic: float
    bic: float
    ks: float
    dist: Any = field(repr=False, compare=False)


def _ks(xs: np.ndarray, ws: np.ndarray, cdf: Callable[[np.ndarray], np.ndarray]) -> float:
    """KS distance of sorted data ``xs`` with weights ``ws`` (summing to 1) from ``cdf``."""
    upper = np.cumsum(ws)
    f = cdf(xs)
    return float(max(np.max(upper - f), np.max(f - (upper - ws))))


def _weighted_mle(dist: Any, x: np.ndarray, w: np.ndarray, start: tuple[float, ...],
                  fixed: Mapping[str, float]) -> tuple[float, ...]:
    """Maximise ``sum w_i log f(x_i)`` from the unweighted fit (Nelder-Mead on the free parameters)."""
    names = [*(dist.shapes.split(", ") if dist.shapes else []), "loc", "scale"]
    free = [i for i, n in enumerate(names) if f"f{n}" not in fixed]
    theta = np.array(start, dtype=float)

    def nll(v: np.ndarray) -> float:
        t = theta.copy()
        t[free] = v
        with np.errstate(all="ignore"):
            ll = dist.logpdf(x, *t)
        s = float(w @ ll)
        return -s if np.isfinite(s) else np.inf

    res = so.minimize(nll, theta[free], method="Nelder-Mead",
                      options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20_000, "maxfev": 40_000})
    theta[free] = res.x
    return tuple(float(v) for v in theta)


def fit_data(x: Sequence[float] | np.ndarray, *, weights: Sequence[float] | np.ndarray | None = None,
             families: Sequence[str] | None = None) -> list[DataFit]:
    """Maximum-likelihood fits of candidate families to data, best (lowest AIC) first.

    Parameters
    ----------
    x
        The data, finite numbers (at least 3).
    weights
        Non-negative weights, one per value (a row's weight in the likelihood and the ECDF);
        ``None``: equal.
    families
        Names from :data:`DATA_FAMILIES`; ``None`` tries every one whose support holds the data
        (``lognormal``, ``gamma``, ``weibull`` need positive data, ``beta`` data in (0, 1)).

    Returns
    -------
    list of DataFit
        Sorted by AIC.

    Raises
    ------
    SpecError
        For too few values, bad weights, an unknown family, or a named family the data cannot
        come from.

    Notes
    -----
    With weights ``w_i`` scaled to sum to ``n``, the log-likelihood is ``sum_i w_i log f(x_i)``,
    ``AIC = 2k - 2 loglik``, ``BIC = k ln n - 2 loglik``; the KS distance is
    ``max |F_n(x) - F(x)|`` with ``F_n`` the weighted empirical CDF. Its usual p-value does not
    hold for parameters fitted to the same data, so none is given.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> fit_data(rng.normal(10.0, 2.0, 1000), families=["normal", "uniform"])[0].name
    'normal'
    """
    x = np.asarray(x, dtype=float)
    finite = np.isfinite(x)
    if x.ndim != 1 or int(finite.sum()) < 3 or not finite.all():
        bad = f" ({x.size - int(finite.sum())} of them NaN or infinite)" if not finite.all() else ""
        raise SpecError(f"fit: the data must be at least 3 finite numbers; got {x.size}{bad}")
    if x.min() == x.max():
        raise SpecError(f"fit: every value is {x[0]:g}; a constant needs no fit (value = {x[0]:g})")
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != x.shape or not np.isfinite(w).all() or (w < 0).any() or not w.sum() > 0:
        raise SpecError("fit: weights must be one non-negative number per value, not all 0")
    w = w * (x.size / w.sum())
    names = list(families) if families else [n for n, c in DATA_FAMILIES.items() if c.support(x)]
    fits, order = [], np.argsort(x, kind="stable")
    for name in names:
        cand = DATA_FAMILIES.get(name)
        if cand is None:
            raise SpecError(f"fit: --family {name!r} is not a family mcrisk fits to data; known: "
                            f"{', '.join(DATA_FAMILIES)}")
        if not cand.support(x):
            raise SpecError(f"fit: {name} cannot fit these data: it needs "
                            f"{'values in (0, 1)' if name == 'beta' else 'positive values'}")
        try:
            fits.append(_fit_family(name, cand, x, w, order, weighted=weights is not None))
        except st.FitError as err:  # scipy's solver for this family did not converge on these data
            if families and len(names) == 1:
                raise SpecError(f"fit: --family {name}: the maximum-likelihood fit does not converge on "
                                f"these data ({str(err).split(':')[0]})") from None
            warn(f"fit: {name} left out: its maximum-likelihood fit does not converge on these data",
                          MCRiskWarning, stacklevel=2)
    if not fits:
        raise SpecError(f"fit: no family's maximum-likelihood fit converges on these data (tried {', '.join(names)})")
    return sorted(fits, key=lambda f: (not math.isfinite(f.aic), f.aic))


def _magnitude(x: np.ndarray, cand: _Candidate) -> float:
    """A power of two to divide the data by when their magnitude would overflow the fit (else 1).

    Densities and their logs of values near 1e308 (or 1e-308) overflow; the location-scale
    families fit ``x / s`` as well as ``x`` (loc and scale multiply by ``s``, the log-likelihood
    falls by ``n ln s``), and dividing by a power of two is exact.
    """
    top = float(np.max(np.abs(x)))
    if "fscale" in cand.fixed or 1e-100 < top < 1e100:
        return 1.0
    return 2.0 ** math.floor(math.log2(top))


def _fit_family(name: str, cand: _Candidate, x: np.ndarray, w: np.ndarray, order: np.ndarray, *,
                weighted: bool) -> DataFit:
    """One candidate's fit: scipy's maximum likelihood (the Weibull's exact), then the weighted one."""
    dist = getattr(st, cand.scipy_name)
    s = _magnitude(x, cand)
    xs = x / s
    with np.errstate(all="ignore"):
        theta = (_weibull_mle(xs) if cand.scipy_name == "weibull_min"
                 else tuple(float(v) for v in dist.fit(xs, **cand.fixed)))
        if weighted:
            theta = _weighted_mle(dist, xs, w, theta, cand.fixed)
        ll = float(w @ dist(*theta).logpdf(xs)) - x.size * math.log(s)
        ks = _ks(xs[order], w[order] / w.sum(), dist(*theta).cdf)
    theta = (*theta[:-2], theta[-2] * s, theta[-1] * s)
    k = 2
    family, params = cand.to_prior(theta)
    return DataFit(name, family, params, ll, k, 2 * k - 2 * ll, k * math.log(x.size) - 2 * ll, ks, dist(*theta))


def _weibull_mle(x: np.ndarray) -> tuple[float, float, float]:
    """The Weibull's maximum-likelihood (shape, 0, scale) for positive data, from its shape equation.

    With the location at 0 the shape ``k`` solves ``sum x^k ln x / sum x^k - 1/k - mean(ln x) = 0``
    (increasing in ``k``) and the scale is ``mean(x^k)^(1/k)`` (Cohen 1965); ``x^k`` is taken
    relative to the largest value so that it cannot overflow. One root search of O(n) steps,
    where scipy's general optimizer takes seconds for a million values and stops short of the
    maximum by about 1e-5 relative.
    """
    logs = np.log(x)
    top = float(logs.max())
    rel, mean_log = logs - top, float(logs.mean())

    def shape_eq(log_k: float) -> float:
        k = math.exp(log_k)
        e = np.exp(k * rel)
        return float(e @ logs) / float(e.sum()) - 1.0 / k - mean_log

    lo, hi = -1.0, 1.0
    while shape_eq(lo) > 0 and lo > -60:
        lo -= 2.0
    while shape_eq(hi) < 0 and hi < 60:
        hi += 2.0
    k = math.exp(so.brentq(shape_eq, lo, hi, xtol=1e-15))
    return k, 0.0, math.exp(top + math.log(float(np.mean(np.exp(k * rel)))) / k)
