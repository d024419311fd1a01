"""The built-in families' closed forms: exact inverse CDFs and 90%-interval conversions.

Where a family's inverse CDF has a closed form it is exact (up to rounding) and faster than
scipy's generic ``ppf``; ``beta`` and ``pert`` use the tabulated one of :mod:`mcrisk.distributions.betappf`,
and straight scipy.special.betaincinv at a check's few probabilities (:data:`FEW_PPF`).
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
from mcrisk.distributions.betappf import beta_ppf

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
    lo, mode, hi = p["low"], p["mode"], p["high"]
    c = (mode - lo) / (hi - lo)
    left = lo + np.sqrt(u * (hi - lo) * (mode - lo))
    right = hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - mode))
    return np.where(u < c, left, right)


def _ppf_normal(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    return p["mean"] + p["sd"] * sc.ndtri(u)


def _ppf_weibull(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    return p["scale"] * (-np.log1p(-np.asarray(u, dtype=float))) ** (1.0 / p["shape"])


def _ppf_lognormal(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    return p["median"] * np.exp(p["sigma"] * sc.ndtri(u))


def _ppf_truncnormal(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    a, b = truncnormal_bounds(p)
    if a > 5.0 or b < -5.0:
        # Both bounds deep in one tail: Phi(a) and Phi(b) lose their digits; scipy's
        # log-space algorithm is slower but right there.
        return scipy_stats().truncnorm(a, b, loc=p["mean"], scale=p["sd"]).ppf(u)
    if a > 0:
        # Work in the upper tail via symmetry so the CDF differences keep their precision.
        sa, sb = sc.ndtr(-a), sc.ndtr(-b)
        z = -sc.ndtri(sa - u * (sa - sb))
    else:
        fa, fb = sc.ndtr(a), sc.ndtr(b)
        z = sc.ndtri(fa + u * (fb - fa))
    return p["mean"] + p["sd"] * np.clip(z, a, b)


# ---- the beta family (beta, pert), on the tabulated inverse CDF of mcrisk.distributions.betappf ------------


def _ppf_beta(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    return p["low"] + (p["high"] - p["low"]) * beta_ppf(p["a"], p["b"], u)


def _ppf_pert(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    return p["low"] + (p["high"] - p["low"]) * beta_ppf(*pert_shapes(p), u)


# The same at a few probabilities (a check's probes), straight from scipy.special: a table costs
# tens of ms to build and pays off only over many draws.
def _few_beta(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    return p["low"] + (p["high"] - p["low"]) * sc.betaincinv(p["a"], p["b"], u)


def _few_pert(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    return p["low"] + (p["high"] - p["low"]) * sc.betaincinv(*pert_shapes(p), u)


# ---- 90% intervals -------------------------------------------------------------------------


def _interval_uniform(p05: float, p95: float) -> dict[str, float]:
    width = (p95 - p05) / 0.9
    return {"low": p05 - 0.05 * width, "high": p95 + 0.05 * width}


def _interval_loguniform(p05: float, p95: float) -> dict[str, float]:
    lo, hi = math.log(p05), math.log(p95)
    width = (hi - lo) / 0.9
    return {"low": math.exp(lo - 0.05 * width), "high": math.exp(hi + 0.05 * width)}


def _interval_normal(p05: float, p95: float) -> dict[str, float]:
    return {"mean": (p05 + p95) / 2, "sd": (p95 - p05) / (2 * Z90_TWO_SIDED)}


def _interval_lognormal(p05: float, p95: float) -> dict[str, float]:
    return {"median": math.sqrt(p05 * p95), "sigma": math.log(p95 / p05) / (2 * Z90_TWO_SIDED)}


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
