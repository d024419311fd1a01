"""Distribution families: parameter names, checks, and the scipy.stats distribution each builds.

Every family is one entry of :data:`FAMILIES`. An entry knows its parameter names, checks
them (scipy returns NaN, silently, for bad parameters, so mcrisk checks them itself), builds
a frozen :mod:`scipy.stats` distribution and, where a closed form exists, an exact inverse
CDF that is faster than scipy's generic ``ppf`` (:mod:`mcrisk.distributions.closedform`; ``beta`` and
``pert`` use the tabulated one of :mod:`mcrisk.distributions.betappf` where it holds, ``truncnormal``
the log-probability one of :mod:`mcrisk.distributions.truncnorm`). tests/test_families_property.py
holds each to 1e-9 relative from u = 2**-54 to 1 - 2**-53. Families that experts often answer as a
90% interval (``normal``, ``lognormal``, ``uniform``, ``loguniform``) also accept ``p05`` and
``p95`` instead of their own parameters.

Any other continuous family of :mod:`scipy.stats` may be named with scipy's own parameter
names (its shape names, ``loc`` and ``scale``), for example ``dist = "gamma"``, ``a = 2``,
``scale = 1.5``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mcrisk.distributions.betappf import BETA_PPF_RTOL, beta_ppf
from mcrisk.distributions.closedform import FEW_PPF, INTERVAL, PPF, pert_shapes, scipy_stats, truncnormal_bounds
from mcrisk.distributions.finitedist import Constant, Discrete
from mcrisk.distributions.metalog import MetalogError, metalog_of

# BETA_PPF_RTOL and beta_ppf are mcrisk.distributions.betappf's: re-exported.
__all__ = ["BETA_PPF_RTOL", "FAMILIES", "Family", "LazyDist", "ParamError", "beta_ppf", "family_names",
           "freeze", "resolve_family"]


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
    few_ppf
        The inverse CDF at a handful of probabilities, for checks, where ``ppf`` builds a table
        that pays off only over many draws (``beta``, ``pert``: scipy.special.betaincinv, which
        the table matches to :data:`BETA_PPF_RTOL`); ``None``: ``ppf``.
    interval
        Maps a 90% interval ``(p05, p95)`` to the family's own parameters, or ``None``.
    """

    name: str
    required: tuple[str, ...]
    build: Callable[[Mapping[str, Any]], Any]
    check: Callable[[Mapping[str, Any]], None] = lambda p: None
    optional: Mapping[str, Any] = field(default_factory=dict)
    ppf: Callable[[Mapping[str, Any], np.ndarray], np.ndarray] | None = None
    few_ppf: Callable[[Mapping[str, Any], np.ndarray], np.ndarray] | None = None
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


# ---- builders --------------------------------------------------------------------------------


def _metalog(p: Mapping[str, Any]) -> Any:
    try:
        return metalog_of(p)
    except MetalogError as err:
        raise ParamError("quantiles", p["quantiles"], str(err)) from None


def _check_pert(p: Mapping[str, Any]) -> None:
    _check_low_mode_high(p)
    _positive(p, "lambda")


def _check_truncnormal(p: Mapping[str, Any]) -> None:
    _positive(p, "sd")
    if p.get("low") is None and p.get("high") is None:
        raise ParamError("low", None, "or high is required: truncnormal needs at least one bound")
    if p.get("low") is not None and p.get("high") is not None:
        _ordered(p, "low", "high")
    # Bounds deep in one tail are sound: the inverse CDF works with log-probabilities there.


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


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in [
        Family("constant", ("value",), build=lambda p: Constant(p["value"])),
        Family(
            "uniform",
            ("low", "high"),
            check=lambda p: _ordered(p, "low", "high"),
            build=lambda p: scipy_stats().uniform(p["low"], p["high"] - p["low"]),
            ppf=PPF["uniform"],
            interval=INTERVAL["uniform"],
        ),
        Family(
            "loguniform",
            ("low", "high"),
            check=lambda p: (_positive(p, "low"), _ordered(p, "low", "high")),
            build=lambda p: scipy_stats().loguniform(p["low"], p["high"]),
            ppf=PPF["loguniform"],
            interval=INTERVAL["loguniform"],
        ),
        Family(
            "triangular",
            ("low", "mode", "high"),
            check=_check_low_mode_high,
            build=lambda p: scipy_stats().triang(
                (p["mode"] - p["low"]) / (p["high"] - p["low"]), p["low"], p["high"] - p["low"]
            ),
            ppf=PPF["triangular"],
        ),
        Family(
            "pert",
            ("low", "mode", "high"),
            optional={"lambda": 4.0},
            check=_check_pert,
            build=lambda p: scipy_stats().beta(*pert_shapes(p), loc=p["low"], scale=p["high"] - p["low"]),
            ppf=PPF["pert"],
            few_ppf=FEW_PPF["pert"],
        ),
        Family(
            "normal",
            ("mean", "sd"),
            check=lambda p: _positive(p, "sd"),
            build=lambda p: scipy_stats().norm(p["mean"], p["sd"]),
            ppf=PPF["normal"],
            interval=INTERVAL["normal"],
        ),
        Family(
            "truncnormal",
            ("mean", "sd"),
            optional={"low": None, "high": None},
            check=_check_truncnormal,
            build=lambda p: scipy_stats().truncnorm(*truncnormal_bounds(p), loc=p["mean"], scale=p["sd"]),
            ppf=PPF["truncnormal"],
        ),
        Family(
            "lognormal",
            ("median", "sigma"),
            check=lambda p: _positive(p, "median", "sigma"),
            build=lambda p: scipy_stats().lognorm(p["sigma"], scale=p["median"]),
            ppf=PPF["lognormal"],
            interval=INTERVAL["lognormal"],
        ),
        Family("weibull", ("shape", "scale"), check=lambda p: _positive(p, "shape", "scale"),
               build=lambda p: scipy_stats().weibull_min(p["shape"], scale=p["scale"]), ppf=PPF["weibull"]),
        Family(
            "beta",
            ("a", "b"),
            optional={"low": 0.0, "high": 1.0},
            check=_check_beta,
            build=lambda p: scipy_stats().beta(p["a"], p["b"], loc=p["low"], scale=p["high"] - p["low"]),
            ppf=PPF["beta"],
            few_ppf=FEW_PPF["beta"],
        ),
        Family("metalog", ("quantiles",), optional={"low": None, "high": None}, check=_metalog,
               build=_metalog, ppf=lambda p, u: _metalog(p).ppf(u)),
        Family(
            "discrete",
            ("values", "weights"),
            check=_check_discrete,
            build=lambda p: Discrete(p["values"], p["weights"]),
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
    st = scipy_stats()
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


class LazyDist:
    """A family's frozen distribution, built when one of its methods is first called.

    It behaves as the distribution itself (``ppf``, ``cdf``, ``median``, ``support``, ...), and
    pickles as the family name and parameters, so it crosses to dask workers and back.

    Parameters
    ----------
    family
        A key of :data:`FAMILIES`.
    params
        The checked parameters.
    """

    def __init__(self, family: str, params: Mapping[str, Any]) -> None:
        self._family, self._params, self._dist = family, dict(params), None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):  # copy and pickle look up dunders on the instance: not the distribution's
            raise AttributeError(attr)
        if self._dist is None:
            self._dist = FAMILIES[self._family].build(self._params)
        return getattr(self._dist, attr)

    def __reduce__(self) -> tuple[type, tuple[str, dict[str, Any]]]:
        return LazyDist, (self._family, self._params)

    def __repr__(self) -> str:
        return f"LazyDist({self._family!r}, {self._params!r})"


def freeze(family: Family, params: Mapping[str, Any]) -> Any:
    """The frozen distribution of ``family`` with checked ``params``, built on first use for built-in families.

    Parameters
    ----------
    family
        A family from :func:`resolve_family`.
    params
        Its checked parameters.

    Returns
    -------
    object
        A :class:`LazyDist` for a built-in family, else ``family.build(params)``.
    """
    if FAMILIES.get(family.name) is family:
        return LazyDist(family.name, params)
    return family.build(params)


def resolve_family(name: str) -> Family | None:
    """The family called ``name``: a built-in one, else a scipy.stats continuous family.

    Parameters
    ----------
    name
        A priors file's ``dist``, e.g. ``"pert"`` or ``"gamma"``.

    Returns
    -------
    Family or None
        The family, or ``None`` if no built-in or continuous scipy.stats family has that name.
    """
    return FAMILIES.get(name) or _scipy_family(name)


def family_names() -> str:
    """The built-in family names, for error messages.

    Returns
    -------
    str
        ``"beta, constant, ..., or any continuous scipy.stats family by its name"``.
    """
    return ", ".join(sorted(FAMILIES)) + ", or any continuous scipy.stats family by its name"
