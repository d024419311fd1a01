"""Distribution families: parameter names, checks, and the scipy.stats distribution each builds.

Every family is one entry of :data:`FAMILIES`. An entry knows its parameter names, checks
them (scipy returns NaN, silently, for bad parameters, so mcrisk checks them itself), builds
a frozen :mod:`scipy.stats` distribution and, where a closed form exists, an exact inverse
CDF that is faster than scipy's generic ``ppf``. Families that experts often answer as a
90% interval (``normal``, ``lognormal``, ``uniform``, ``loguniform``) also accept ``p05`` and
``p95`` instead of their own parameters.

Any other continuous family of :mod:`scipy.stats` may be named with scipy's own parameter
names (its shape names, ``loc`` and ``scale``), for example ``dist = "gamma"``, ``a = 2``,
``scale = 1.5``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.special as sc
import scipy.stats as st

__all__ = ["BETA_PPF_RTOL", "FAMILIES", "Family", "ParamError", "Z95", "beta_ppf", "family_names",
           "resolve_family"]

#: The standard normal 95% quantile: a 90% central interval spans ``2 * Z95`` standard deviations.
Z95 = float(st.norm.ppf(0.95))


class ParamError(Exception):
    """A bad parameter: ``key = value`` and what is wrong with it (file and table added later)."""

    def __init__(self, key: str, value: Any, problem: str) -> None:
        super().__init__(key, value, problem)
        self.key, self.value, self.problem = key, value, problem


@dataclass(frozen=True)
class Family:
    """One distribution family.

    Attributes
    ----------
    name
        The name used in priors files (``dist = "pert"``).
    required, optional
        Parameter names; ``optional`` maps each optional name to its default (``None``: absent).
    check
        Raises :class:`ParamError` for parameters the family cannot take.
    build
        Returns the frozen scipy.stats distribution for checked parameters.
    ppf
        Exact, vectorised inverse CDF for checked parameters, or ``None`` to use scipy's.
    interval
        Maps a 90% interval ``(p05, p95)`` to the family's own parameters, or ``None``.
    """

    name: str
    required: tuple[str, ...]
    build: Callable[[Mapping[str, Any]], Any]
    check: Callable[[Mapping[str, Any]], None] = lambda p: None
    optional: Mapping[str, Any] = field(default_factory=dict)
    ppf: Callable[[Mapping[str, Any], np.ndarray], np.ndarray] | None = None
    interval: Callable[[float, float], dict[str, float]] | None = None


def _positive(p: Mapping[str, Any], *keys: str) -> None:
    for k in keys:
        if not p[k] > 0:
            raise ParamError(k, p[k], "must be > 0")


def _ordered(p: Mapping[str, Any], lo: str, hi: str) -> None:
    if not p[lo] < p[hi]:
        raise ParamError(hi, p[hi], f"must be greater than {lo} = {p[lo]!r}")


def _check_low_mode_high(p: Mapping[str, Any]) -> None:
    _ordered(p, "low", "high")
    if not p["low"] <= p["mode"] <= p["high"]:
        raise ParamError("mode", p["mode"], f"must lie in [low, high] = [{p['low']!r}, {p['high']!r}]")


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


def _ppf_lognormal(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    return p["median"] * np.exp(p["sigma"] * sc.ndtri(u))


def _truncnormal_bounds(p: Mapping[str, Any]) -> tuple[float, float]:
    lo = -np.inf if p.get("low") is None else (p["low"] - p["mean"]) / p["sd"]
    hi = np.inf if p.get("high") is None else (p["high"] - p["mean"]) / p["sd"]
    return lo, hi


def _ppf_truncnormal(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    a, b = _truncnormal_bounds(p)
    if a > 5.0 or b < -5.0:
        # Both bounds deep in one tail: Phi(a) and Phi(b) lose their digits; scipy's
        # log-space algorithm is slower but right there.
        return st.truncnorm(a, b, loc=p["mean"], scale=p["sd"]).ppf(u)
    if a > 0:
        # Work in the upper tail via symmetry so the CDF differences keep their precision.
        sa, sb = sc.ndtr(-a), sc.ndtr(-b)
        z = -sc.ndtri(sa - u * (sa - sb))
    else:
        fa, fb = sc.ndtr(a), sc.ndtr(b)
        z = sc.ndtri(fa + u * (fb - fa))
    return p["mean"] + p["sd"] * np.clip(z, a, b)


# ---- tabulated inverse CDF of the beta family (beta, pert) ----------------------------------
#
# scipy's beta ppf (boost's ibeta_inv) costs about 1 us a value. mcrisk tabulates it once per
# shape (a, b) and interpolates, with an error bound that is checked when the table is built.
#
# For u <= 1/2 the table is in s = u**(1/a): near 0, I_x(a, b) = x**a / (a B(a, b)) (1 + O(x)),
# so x is an analytic function of s with a finite slope at s = 0 whatever a is, and a cubic
# Hermite interpolant in s is accurate up to the lower tail. For u > 1/2 the same is done for
# 1 - x, which is Beta(b, a) at 1 - u, in t = (1 - u)**(1/b). Node values come from
# scipy.special.betaincinv; node slopes are exact, dx/ds = a s**(a-1) / f(x). Cells are halved
# until the interpolant at every cell midpoint (where a cubic Hermite error peaks) is within
# BETA_PPF_RTOL of betaincinv there, relative to x (left half) or to 1 - x (right half).

#: Relative error of the tabulated beta inverse CDF, in x below the median and in 1 - x above
#: it, that every table is built to (checked at cell midpoints when it is made).
BETA_PPF_RTOL = 1e-12
_BETA_MAX_CELLS = 2**15


def _beta_half_table(a: float, b: float) -> tuple[float, np.ndarray] | None:
    """Cubic coefficients of x(s), s = u**(1/a), for u in [0, 1/2] of Beta(a, b).

    ``None`` if no table of up to ``_BETA_MAX_CELLS`` cells meets :data:`BETA_PPF_RTOL`.
    """
    s_end = 0.5 ** (1.0 / a)
    lnb = sc.betaln(a, b)

    def nodes(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = sc.betaincinv(a, b, np.minimum(s**a, 0.5))
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
        exact = sc.betaincinv(a, b, np.minimum(mid**a, 0.5))
        approx = (coef[0] + 0.5 * (coef[1] + 0.5 * (coef[2] + 0.5 * coef[3])))[:-1]
        err = np.max(np.abs(approx - exact) - BETA_PPF_RTOL * np.minimum(exact, 1.0 - exact) - 2.0**-53)
        if err <= 0:
            return h, coef
        if cells >= _BETA_MAX_CELLS:
            return None
        cells *= 2


@functools.lru_cache(maxsize=64)
def _beta_table(a: float, b: float) -> tuple | None:
    """Both halves in one table: exponents, 1/h and cell counts per half, (4, cells) coefficients."""
    try:
        left, right = _beta_half_table(a, b), _beta_half_table(b, a)
    except (OverflowError, ZeroDivisionError):  # shapes near 0 or huge: scipy's betaincinv copes
        return None
    if left is None or right is None:
        return None
    (hl, cl), (hr, cr) = left, right
    return 1.0 / a, 1.0 / b, 1.0 / hl, 1.0 / hr, cl.shape[1], np.concatenate([cl, cr], axis=1)


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
        The tests check ``1e-11 min(x, 1 - x) + 2**-52`` against scipy.special.betaincinv on a
        dense grid reaching 1e-17 into both tails.

    Notes
    -----
    Below the median ``x`` is a cubic Hermite interpolant of ``s = u**(1/a)``; above it,
    ``1 - x`` is one of ``t = (1 - u)**(1/b)`` (the lower tail of Beta(b, a)). A shape no table
    of 2**15 cells per half can meet (a or b in the hundreds) uses scipy.special.betaincinv.
    """
    u = np.asarray(u, dtype=float)
    table = _beta_table(float(a), float(b))
    if table is None:
        return sc.betaincinv(a, b, u)
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
    el, er, il, ir, cl, coef = table
    upper = u > 0.5
    up = upper.astype(float)
    w = np.minimum(u, 1.0 - u)
    pos = np.power(w, up * (er - el) + el)
    pos *= up * (ir - il) + il
    k = pos.astype(np.intp)
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


def _ppf_beta(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    return p["low"] + (p["high"] - p["low"]) * beta_ppf(p["a"], p["b"], u)


def _ppf_pert(p: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    return p["low"] + (p["high"] - p["low"]) * beta_ppf(*_pert_shapes(p), u)


# ---- builders --------------------------------------------------------------------------------


def _pert_shapes(p: Mapping[str, Any]) -> tuple[float, float]:
    span = p["high"] - p["low"]
    lam = p["lambda"]
    return 1 + lam * (p["mode"] - p["low"]) / span, 1 + lam * (p["high"] - p["mode"]) / span


def _check_pert(p: Mapping[str, Any]) -> None:
    _check_low_mode_high(p)
    _positive(p, "lambda")


def _check_truncnormal(p: Mapping[str, Any]) -> None:
    _positive(p, "sd")
    if p.get("low") is None and p.get("high") is None:
        raise ParamError("low", None, "or high is required: truncnormal needs at least one bound")
    if p.get("low") is not None and p.get("high") is not None:
        _ordered(p, "low", "high")
    a, b = _truncnormal_bounds(p)
    if sc.ndtr(b) - sc.ndtr(a) < 1e-12 and (a > 37 or b < -37):
        raise ParamError("mean", p["mean"], "leaves no probability between low and high")


def _check_beta(p: Mapping[str, Any]) -> None:
    _positive(p, "a", "b")
    _ordered(p, "low", "high")


def _finite(v: float) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:  # an integer beyond the largest double
        return False


def _check_discrete(p: Mapping[str, Any]) -> None:
    values, weights = p["values"], p["weights"]
    if not isinstance(values, list) or not values:
        raise ParamError("values", values, "must be a non-empty list of numbers")
    if not isinstance(weights, list) or len(weights) != len(values):
        raise ParamError("weights", weights, f"must be a list of {len(values)} numbers, one per value")
    for key, seq in (("values", values), ("weights", weights)):
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in seq):
            raise ParamError(key, seq, "must hold numbers only")
        if not all(_finite(v) for v in seq):
            raise ParamError(key, seq, "must hold finite numbers only (no nan or inf)")
    if any(w < 0 for w in weights):
        raise ParamError("weights", weights, "must all be >= 0")
    if not math.isclose(sum(weights), 1.0, abs_tol=1e-9):
        raise ParamError("weights", weights, f"must sum to 1 (they sum to {sum(weights):g})")
    if len(set(values)) != len(values):
        raise ParamError("values", values, "must not repeat a value")


class _Discrete:
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


class _Constant:
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


def _interval_uniform(p05: float, p95: float) -> dict[str, float]:
    width = (p95 - p05) / 0.9
    return {"low": p05 - 0.05 * width, "high": p95 + 0.05 * width}


def _interval_loguniform(p05: float, p95: float) -> dict[str, float]:
    lo, hi = math.log(p05), math.log(p95)
    width = (hi - lo) / 0.9
    return {"low": math.exp(lo - 0.05 * width), "high": math.exp(hi + 0.05 * width)}


def _interval_normal(p05: float, p95: float) -> dict[str, float]:
    return {"mean": (p05 + p95) / 2, "sd": (p95 - p05) / (2 * Z95)}


def _interval_lognormal(p05: float, p95: float) -> dict[str, float]:
    return {"median": math.sqrt(p05 * p95), "sigma": math.log(p95 / p05) / (2 * Z95)}


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in [
        Family("constant", ("value",), build=lambda p: _Constant(p["value"])),
        Family(
            "uniform",
            ("low", "high"),
            check=lambda p: _ordered(p, "low", "high"),
            build=lambda p: st.uniform(p["low"], p["high"] - p["low"]),
            ppf=_ppf_uniform,
            interval=_interval_uniform,
        ),
        Family(
            "loguniform",
            ("low", "high"),
            check=lambda p: (_positive(p, "low"), _ordered(p, "low", "high")),
            build=lambda p: st.loguniform(p["low"], p["high"]),
            ppf=_ppf_loguniform,
            interval=_interval_loguniform,
        ),
        Family(
            "triangular",
            ("low", "mode", "high"),
            check=_check_low_mode_high,
            build=lambda p: st.triang(
                (p["mode"] - p["low"]) / (p["high"] - p["low"]), p["low"], p["high"] - p["low"]
            ),
            ppf=_ppf_triangular,
        ),
        Family(
            "pert",
            ("low", "mode", "high"),
            optional={"lambda": 4.0},
            check=_check_pert,
            build=lambda p: st.beta(*_pert_shapes(p), loc=p["low"], scale=p["high"] - p["low"]),
            ppf=_ppf_pert,
        ),
        Family(
            "normal",
            ("mean", "sd"),
            check=lambda p: _positive(p, "sd"),
            build=lambda p: st.norm(p["mean"], p["sd"]),
            ppf=_ppf_normal,
            interval=_interval_normal,
        ),
        Family(
            "truncnormal",
            ("mean", "sd"),
            optional={"low": None, "high": None},
            check=_check_truncnormal,
            build=lambda p: st.truncnorm(*_truncnormal_bounds(p), loc=p["mean"], scale=p["sd"]),
            ppf=_ppf_truncnormal,
        ),
        Family(
            "lognormal",
            ("median", "sigma"),
            check=lambda p: _positive(p, "median", "sigma"),
            build=lambda p: st.lognorm(p["sigma"], scale=p["median"]),
            ppf=_ppf_lognormal,
            interval=_interval_lognormal,
        ),
        Family(
            "beta",
            ("a", "b"),
            optional={"low": 0.0, "high": 1.0},
            check=_check_beta,
            build=lambda p: st.beta(p["a"], p["b"], loc=p["low"], scale=p["high"] - p["low"]),
            ppf=_ppf_beta,
        ),
        Family(
            "discrete",
            ("values", "weights"),
            check=_check_discrete,
            build=lambda p: _Discrete(p["values"], p["weights"]),
        ),
    ]
}


def _shape_domains(dist: Any) -> list[tuple[float, float, bool, bool]]:
    """``(low, high, low included, high included)`` of each shape parameter, from scipy."""
    try:
        infos = dist._shape_info()
    except (AttributeError, NotImplementedError):  # scipy without shape metadata: anything goes
        infos = []
    out = [(i.domain[0], i.domain[1], *i.inclusive) for i in infos]
    n = len(dist.shapes.split(",")) if dist.shapes else 0
    return out if len(out) == n else [(-math.inf, math.inf, True, True)] * n


def _in_domain(x: float, info: tuple[float, float, bool, bool]) -> bool:
    lo, hi, lo_in, hi_in = info
    return (lo < x or (lo_in and lo == x)) and (x < hi or (hi_in and hi == x))


def _scipy_family(name: str) -> Family | None:
    """A :class:`Family` for any continuous scipy.stats distribution, with scipy's names."""
    dist = getattr(st, name, None)
    if not isinstance(dist, st.rv_continuous):
        return None
    shapes = tuple(s.strip() for s in dist.shapes.split(",")) if dist.shapes else ()

    def check(p: Mapping[str, Any]) -> None:
        _positive(p, "scale")
        args = [p[s] for s in shapes]
        if not dist._argcheck(*args):  # scipy's own validity test for its shape parameters
            # Name the shape outside its own domain; if each lies in its domain and only their
            # combination is refused, name the last one.
            bad = next((s for s, info in zip(shapes, _shape_domains(dist), strict=True)
                        if not _in_domain(p[s], info)), shapes[-1])
            raise ParamError(bad, p[bad], f"is outside what scipy.stats.{name} allows")

    def build(p: Mapping[str, Any]) -> Any:
        return dist(*[p[s] for s in shapes], loc=p["loc"], scale=p["scale"])

    return Family(name, shapes, build=build, check=check, optional={"loc": 0.0, "scale": 1.0})


def resolve_family(name: str) -> Family | None:
    """The family called ``name``: a built-in one, else a scipy.stats continuous family."""
    return FAMILIES.get(name) or _scipy_family(name)


def family_names() -> str:
    """The built-in family names, for error messages."""
    return ", ".join(sorted(FAMILIES)) + ", or any continuous scipy.stats family by its name"
