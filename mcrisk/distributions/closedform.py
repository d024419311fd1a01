"""The built-in families' closed forms: exact inverse CDFs and 90%-interval conversions.

Where a family's inverse CDF has a closed form it is exact (up to rounding) and faster than
scipy's generic ``ppf``; ``beta`` and ``pert`` use the tabulated one of :mod:`mcrisk.distributions.betappf`
where it holds, and straight scipy.special.betaincinv (mended where boost gives up) at a
check's few probabilities (:data:`FEW_PPF`); ``truncnormal`` that of :mod:`mcrisk.distributions.truncnorm`.
Each is written to keep its digits at any magnitude (1e-300 to 1e300) and in both tails.
``normal``, ``lognormal``, ``uniform`` and ``loguniform`` map a 90% interval ``(p05, p95)`` to
their own parameters (:data:`INTERVAL`). :mod:`mcrisk.distributions.families` wires them into its registry.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import scipy.special as sc

from mcrisk.core.statistics import Z90_TWO_SIDED
from mcrisk.distributions.betappf import beta_ppf, betaincinv
from mcrisk.distributions.truncnorm import truncnorm_ppf

__all__ = ["FEW_PPF", "INTERVAL", "PPF", "pert_shapes", "scipy_stats", "truncnormal_bounds"]



def scipy_stats():
    """scipy.stats, imported when a distribution object is first needed.

    Importing scipy.stats costs about 1 s of CPU; checking a study (``mcrisk check``) needs only
    each family's parameter checks and exact inverse CDF, so the frozen distributions are built
    on first use (:class:`mcrisk.distributions.families.LazyDist`). A third-party module cannot close an
    import cycle here.

    Returns
    -------
    module
        :mod:`scipy.stats`.
    """
    import scipy.stats

    return scipy.stats


def pert_shapes(p: Mapping[str, Any]) -> tuple[float, float]:
    """The beta shapes of a PERT distribution.

    Parameters
    ----------
    p
        Checked parameters ``low``, ``mode``, ``high`` and ``lambda``.

    Returns
    -------
    tuple of float
        ``(1 + lambda (mode - low) / (high - low), 1 + lambda (high - mode) / (high - low))``.
    """
    span = p["high"] - p["low"]
    lam = p["lambda"]
    return 1 + lam * (p["mode"] - p["low"]) / span, 1 + lam * (p["high"] - p["mode"]) / span


def truncnormal_bounds(p: Mapping[str, Any]) -> tuple[float, float]:
    """A truncated normal's bounds in standard deviations from its mean.

    Parameters
    ----------
    p
        Checked parameters ``mean``, ``sd`` and the optional ``low`` and ``high`` (``None``: no
        bound on that side).

    Returns
    -------
    tuple of float
        ``(a, b)`` as scipy.stats.truncnorm takes them; ``-inf`` or ``inf`` for a missing bound.
    """
    lo = -np.inf if p.get("low") is None else (p["low"] - p["mean"]) / p["sd"]
    hi = np.inf if p.get("high") is None else (p["high"] - p["mean"]) / p["sd"]
    return lo, hi


# ---- closed-form inverse CDFs (exact up to rounding) --------------------------------------


def _ppf_uniform(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    return p["low"] + u * (p["high"] - p["low"])


def _ppf_loguniform(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    lo = math.log(p["low"])
    return np.exp(lo + u * (math.log(p["high"]) - lo))


def _ppf_triangular(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    # In units of the span, square roots taken apart where u c would be subnormal (u (high - low)
    # (mode - low) overflowed beyond 1e154 and lost digits below 1e-154). Past mid-span a
    # quantile is measured from the other end, 1 - r = (1 - r**2) / (1 + r), where the end its
    # branch starts from is far larger than it (high - span r cancels near low = 0).
    lo, mode, hi = p["low"], p["mode"], p["high"]
    span = hi - lo
    c, cc = (mode - lo) / span, (hi - mode) / span
    u = np.asarray(u, dtype=float)
    v = 1.0 - u
    if all(w == 0.0 or w > 2.0**-900 for w in (c, cc)):
        x = np.where(u < c, lo + span * np.sqrt(u * c), hi - span * np.sqrt(v * cc))
    else:
        x = np.where(u < c, lo + span * (np.sqrt(u) * math.sqrt(c)), hi - span * (np.sqrt(v) * math.sqrt(cc)))
    if lo * hi > 0 and min(abs(lo), abs(hi)) >= span / 4:
        return x  # every x at least span / 4 from 0: either end keeps 10 ulp of it
    # Past mid-span: the right branch for c <= u < 1 - 1/(4 cc), the left for 1/(4 c) < u < c.
    # low >= 0: only the right branch can cancel; high <= 0: only the left; else both.
    if lo < 0 and c > 0.25:
        i = np.flatnonzero((u < c) & (u > 0.25 / c))
        ui, vi = u.flat[i], v.flat[i]
        x.flat[i] = hi - span * ((vi + ui * cc) / (1.0 + np.sqrt(ui) * math.sqrt(c)))
    if hi > 0 and cc > 0.25:
        i = np.flatnonzero((u >= c) & (u < 1.0 - 0.25 / cc))
        ui, vi = u.flat[i], v.flat[i]
        x.flat[i] = lo + span * ((ui + vi * c) / (1.0 + np.sqrt(vi) * math.sqrt(cc)))
    return x


def _ppf_normal(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    return p["mean"] + p["sd"] * sc.ndtri(u)


def _ppf_weibull(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    e = -np.log1p(-np.asarray(u, dtype=float))
    with np.errstate(over="ignore", under="ignore"):
        x = p["scale"] * e ** (1.0 / p["shape"])
    if x.size == 0 or (x.min() > 0 and x.max() < math.inf):  # two reductions: no temporaries
        return x
    # A small shape: e ** (1 / shape) overflows or underflows where scale times it need not.
    with np.errstate(over="ignore", divide="ignore"):
        return np.exp(math.log(p["scale"]) + np.log(e) / p["shape"])


def _ppf_lognormal(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    e = p["sigma"] * sc.ndtri(u)
    if e.size == 0 or (e.min() > -700.0 and e.max() < 700.0):
        return p["median"] * np.exp(e)
    # exp(e) alone overflows or underflows where median exp(e) need not: add the logarithms.
    with np.errstate(over="ignore"):
        return np.exp(math.log(p["median"]) + e)


def _ppf_truncnormal(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    return truncnorm_ppf(p["mean"], p["sd"], p.get("low"), p.get("high"), np.asarray(u, dtype=float))


# ---- the beta family (beta, pert), on the tabulated inverse CDF of mcrisk.distributions.betappf ------------


def _ppf_beta(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    return p["low"] + (p["high"] - p["low"]) * beta_ppf(p["a"], p["b"], u)


def _ppf_pert(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    return p["low"] + (p["high"] - p["low"]) * beta_ppf(*pert_shapes(p), u)


# The same at a few probabilities (a check's probes), straight from scipy.special: a table costs
# tens of ms to build and pays off only over many draws.
def _few_beta(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    return p["low"] + (p["high"] - p["low"]) * betaincinv(p["a"], p["b"], u)


def _few_pert(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    return p["low"] + (p["high"] - p["low"]) * betaincinv(*pert_shapes(p), u)


# ---- 90% intervals -------------------------------------------------------------------------


def _interval_uniform(p05: float, p95: float) -> dict[str, float]:
    width = (p95 - p05) / 0.9
    return {"low": p05 - 0.05 * width, "high": p95 + 0.05 * width}


def _interval_loguniform(p05: float, p95: float) -> dict[str, float]:
    lo, hi = math.log(p05), math.log(p95)
    width = (hi - lo) / 0.9
    return {"low": math.exp(lo - 0.05 * width), "high": math.exp(hi + 0.05 * width)}


def _interval_normal(p05: float, p95: float) -> dict[str, float]:
    mean, width = (p05 + p95) / 2, p95 - p05
    if not (math.isfinite(mean) and math.isfinite(width)):  # beyond 1e308: halve before adding
        return {"mean": p05 / 2 + p95 / 2, "sd": (p95 / 2 - p05 / 2) / Z90_TWO_SIDED}
    return {"mean": mean, "sd": width / (2 * Z90_TWO_SIDED)}


def _interval_lognormal(p05: float, p95: float) -> dict[str, float]:
    prod, ratio = p05 * p95, p95 / p05
    if 2.0**-1022 <= prod < math.inf and 2.0**-1022 <= ratio < math.inf:
        return {"median": math.sqrt(prod), "sigma": math.log(ratio) / (2 * Z90_TWO_SIDED)}
    # p05 p95 or p95 / p05 beyond the doubles (magnitudes past 1e154 or below 1e-154): logarithms
    lo, hi = math.log(p05), math.log(p95)
    return {"median": math.sqrt(p05) * math.sqrt(p95), "sigma": (hi - lo) / (2 * Z90_TWO_SIDED)}


#: The exact inverse CDF of each built-in family that has one: ``ppf(params, u)``.
PPF: dict[str, Callable[[Mapping[str, Any], np.ndarray], np.ndarray]] = {
    "uniform": _ppf_uniform,
    "loguniform": _ppf_loguniform,
    "triangular": _ppf_triangular,
    "pert": _ppf_pert,
    "normal": _ppf_normal,
    "truncnormal": _ppf_truncnormal,
    "lognormal": _ppf_lognormal,
    "weibull": _ppf_weibull,
    "beta": _ppf_beta,
}

#: The inverse CDF at a few probabilities where :data:`PPF` builds a table first.
FEW_PPF: dict[str, Callable[[Mapping[str, Any], np.ndarray], np.ndarray]] = {
    "pert": _few_pert,
    "beta": _few_beta,
}

#: The family's parameters from a 90% interval: ``interval(p05, p95)``.
INTERVAL: dict[str, Callable[[float, float], dict[str, float]]] = {
    "uniform": _interval_uniform,
    "loguniform": _interval_loguniform,
    "normal": _interval_normal,
    "lognormal": _interval_lognormal,
}
