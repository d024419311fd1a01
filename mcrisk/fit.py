"""Priors fitted to data or to an expert's quantiles, written as priors-file entries.

Two ways to replace a judgement prior:

* :func:`fit_data`: maximum-likelihood fits of candidate families (scipy.stats) to a column of
  measurements, optionally weighted, ranked by AIC with BIC and the Kolmogorov-Smirnov
  distance beside it (``mcrisk fit DATA.csv --column COL``).
* :func:`fit_quantiles`: each named family fitted to stated quantiles by least squares on the
  quantile function, with the metalog (exact through the quantiles) offered where every named
  family misses by more than :data:`TOLERANCE` (``mcrisk fit --quantiles "0.1:2, 0.5:3, 0.9:6"``).

:func:`prior_entry` writes the chosen fit as a priors-file table whose ``source`` names the
file, the column, the rows and the fit; it is read back with :func:`mcrisk.priors.priors_from_dict`
before it is written, so what is written loads.
"""

from __future__ import annotations

import csv
import json
import math
import os
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.optimize as so
import scipy.special as sc
import scipy.stats as st

from .errors import SpecError, shorten
from .families import FAMILIES
from .metalog import Metalog, MetalogError
from .priors import priors_from_dict

__all__ = ["DATA_FAMILIES", "QUANTILE_FAMILIES", "TOLERANCE", "DataFit", "QuantileFit", "fit_data",
           "fit_expert", "fit_file", "fit_quantiles", "parse_quantiles", "prior_entry", "read_column",
           "write_entry"]

#: A named family "matches" stated quantiles when its largest miss is at most this share of
#: the quantiles' span (largest stated value less the smallest); beyond it the metalog is offered.
TOLERANCE = 0.01


# ---- data: maximum likelihood -----------------------------------------------------------------


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


def _ks(x: np.ndarray, w: np.ndarray, cdf: Callable[[np.ndarray], np.ndarray]) -> float:
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order] / w.sum()
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
    if x.ndim != 1 or x.size < 3 or not np.isfinite(x).all():
        raise SpecError(f"fit: the data must be at least 3 finite numbers; got {x.size}")
    if np.ptp(x) == 0:
        raise SpecError(f"fit: every value is {x[0]:g}; a constant needs no fit (value = {x[0]:g})")
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != x.shape or not np.isfinite(w).all() or (w < 0).any() or not w.sum() > 0:
        raise SpecError("fit: weights must be one non-negative number per value, not all 0")
    w = w * (x.size / w.sum())
    names = list(families) if families else [n for n, c in DATA_FAMILIES.items() if c.support(x)]
    fits = []
    for name in names:
        cand = DATA_FAMILIES.get(name)
        if cand is None:
            raise SpecError(f"fit: --family {name!r} is not a family mcrisk fits to data; known: "
                            f"{', '.join(DATA_FAMILIES)}")
        if not cand.support(x):
            raise SpecError(f"fit: {name} cannot fit these data: it needs "
                            f"{'values in (0, 1)' if name == 'beta' else 'positive values'}")
        dist = getattr(st, cand.scipy_name)
        with np.errstate(all="ignore"):
            theta = tuple(float(v) for v in dist.fit(x, **cand.fixed))
            if weights is not None:
                theta = _weighted_mle(dist, x, w, theta, cand.fixed)
            frozen = dist(*theta)
            ll = float(w @ frozen.logpdf(x))
        k = 2
        family, params = cand.to_prior(theta)
        fits.append(DataFit(name, family, params, ll, k, 2 * k - 2 * ll, k * math.log(x.size) - 2 * ll,
                            _ks(x, w, frozen.cdf), frozen))
    return sorted(fits, key=lambda f: (not math.isfinite(f.aic), f.aic))


def read_column(path: str | Path, column: str, *,
                weights: str | None = None) -> tuple[np.ndarray, np.ndarray | None, str]:
    """One numeric column of a CSV file (and a weights column), with the rows it came from.

    Parameters
    ----------
    path
        The CSV file, with a header row; lines starting with ``#`` (a source note) are skipped,
        and rows are counted from the first below the header.
    column
        The column's header.
    weights
        The header of a weights column, or ``None``.

    Returns
    -------
    values : numpy.ndarray
        The column's numbers; blank cells are left out.
    weights : numpy.ndarray or None
    rows : str
        Which data rows were read, e.g. ``"rows 1-24 (24 values)"``.

    Raises
    ------
    SpecError
        For a missing file or column, or a cell that is not a number.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            table = list(csv.DictReader(line for line in f if not line.startswith("#")))
    except OSError as err:
        raise SpecError(f"{path}: cannot be read ({err.strerror or err.__class__.__name__})") from None
    header = list(table[0]) if table else []
    for col in (column, weights):
        if col is not None and col not in header:
            known = ", ".join(map(repr, header)) or "none"
            raise SpecError(f"{path}: has no column {col!r}; columns: {known}")
    values, ws, used = [], [], []
    for i, row in enumerate(table, start=1):
        cells = [(column, row[column])] + ([(weights, row[weights])] if weights else [])
        if any((c or "").strip() == "" for _, c in cells):
            continue
        try:
            nums = [float(c) for _, c in cells]
        except ValueError:
            bad = next((k, c) for k, c in cells if not _is_float(c))
            raise SpecError(f"{path}: row {i}, column {bad[0]!r} = {shorten(bad[1])} is not a "
                            "number") from None
        values.append(nums[0])
        if weights:
            ws.append(nums[1])
        used.append(i)
    if not used:
        raise SpecError(f"{path}: column {column!r} has no numbers")
    span = f"row {used[0]}" if len(used) == 1 else f"rows {used[0]}-{used[-1]}"
    blank = used[-1] - used[0] + 1 - len(used)
    skipped = f", {blank} blank left out" if blank else ""
    return (np.array(values), np.array(ws) if weights else None,
            f"{span} ({len(used)} values{skipped})")


def _is_float(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


# ---- an expert's quantiles: least squares on the quantile function ---------------------------------


def _expit(v: float) -> float:
    return float(sc.expit(v))


def _logit(v: float) -> float:
    v = min(max(v, 1e-6), 1 - 1e-6)
    return math.log(v / (1 - v))


def _lmh(t: np.ndarray) -> dict[str, float]:
    low, high = float(t[0]), float(t[0] + math.exp(t[1]))
    return {"low": low, "mode": low + (high - low) * _expit(t[2]), "high": high}


#: Named families of :func:`fit_quantiles`: name -> (unconstrained vector -> parameters,
#: starting vector from the quantiles (p, x), whether the family needs positive values).
QUANTILE_FAMILIES: dict[str, tuple[Callable[[np.ndarray], dict[str, float]],
                                   Callable[[np.ndarray, np.ndarray], list[float]], bool]] = {
    "normal": (lambda t: {"mean": float(t[0]), "sd": math.exp(t[1])},
               lambda p, x: [float(np.interp(0.5, p, x)),
                             math.log((x[-1] - x[0]) / (sc.ndtri(p[-1]) - sc.ndtri(p[0])))], False),
    "lognormal": (lambda t: {"median": math.exp(t[0]), "sigma": math.exp(t[1])},
                  lambda p, x: [float(np.interp(0.5, p, np.log(x))),
                                math.log(math.log(x[-1] / x[0]) / (sc.ndtri(p[-1]) - sc.ndtri(p[0])))], True),
    "uniform": (lambda t: {"low": float(t[0]), "high": float(t[0] + math.exp(t[1]))},
                lambda p, x: [x[0] - p[0] * (x[-1] - x[0]) / (p[-1] - p[0]),
                              math.log((x[-1] - x[0]) / (p[-1] - p[0]))], False),
    "loguniform": (lambda t: {"low": math.exp(t[0]), "high": math.exp(t[0] + math.exp(t[1]))},
                   lambda p, x: [math.log(x[0]) - p[0] * math.log(x[-1] / x[0]) / (p[-1] - p[0]),
                                 math.log(math.log(x[-1] / x[0]) / (p[-1] - p[0]))], True),
    "triangular": (_lmh, lambda p, x: _lmh_start(p, x), False),
    "pert": (_lmh, lambda p, x: _lmh_start(p, x), False),
}


def _lmh_start(p: np.ndarray, x: np.ndarray) -> list[float]:
    span = x[-1] - x[0]
    low, high = x[0] - span * p[0] / (p[-1] - p[0]), x[-1] + span * (1 - p[-1]) / (p[-1] - p[0])
    mode = float(np.interp(0.5, p, x))
    return [low, math.log(high - low), _logit((mode - low) / (high - low))]


@dataclass(frozen=True)
class QuantileFit:
    """One family fitted to stated quantiles.

    Attributes
    ----------
    family : str
        The priors-file family; ``params`` its parameters.
    fitted : tuple of float
        The family's quantiles at the stated probabilities.
    miss : float
        ``max_i |fitted_i - x_i| / (max x - min x)``: the largest miss as a share of the span.
    """

    family: str
    params: Mapping[str, Any]
    fitted: tuple[float, ...]
    miss: float

    @property
    def matches(self) -> bool:
        """Whether the largest miss is within :data:`TOLERANCE`."""
        return self.miss <= TOLERANCE


def parse_quantiles(text: str) -> list[list[float]]:
    """``"0.1:2, 0.5:3, 0.9:6"`` as ``[[0.1, 2.0], [0.5, 3.0], [0.9, 6.0]]``, checked coherent.

    Parameters
    ----------
    text
        Comma-separated ``probability:value`` pairs.

    Returns
    -------
    list of [float, float]

    Raises
    ------
    SpecError
        One line for a malformed pair, a probability outside (0, 1), fewer than 2 pairs, or
        quantiles that do not increase with their probabilities.
    """
    pairs = []
    for part in (s.strip() for s in text.split(",")):
        try:
            p, x = (float(v) for v in part.split(":"))
        except ValueError:
            raise SpecError(f"--quantiles: {part!r} is not probability:value, e.g. "
                            "\"0.1:2, 0.5:3, 0.9:6\"") from None
        if not (0 < p < 1 and math.isfinite(x)):
            raise SpecError(f"--quantiles: {part!r}: the probability must lie in (0, 1) and the value be "
                            "finite")
        pairs.append([p, x])
    pairs.sort()
    if len(pairs) < 2:
        raise SpecError("--quantiles: give at least two probability:value pairs")
    if any(a[0] == b[0] for a, b in zip(pairs, pairs[1:])):
        raise SpecError("--quantiles: a probability is stated twice")
    if any(not a[1] < b[1] for a, b in zip(pairs, pairs[1:])):
        raise SpecError(f"--quantiles: {text.strip()!r} are incoherent: the values must increase with the "
                        "probabilities")
    return pairs


def _metalog_fit(q: list[list[float]], low: float | None, high: float | None,
                 x: np.ndarray) -> QuantileFit:
    tries = [(low, high)] if low is not None or high is not None else [(None, None)]
    if low is None and high is None and (x > 0).all():
        tries.append((0.0, None))  # a positive quantity: the metalog bounded below at 0
    errors = []
    for lo, hi in tries:
        try:
            m = Metalog.fit(q, lo, hi)
        except MetalogError as err:
            errors.append(str(err))
            continue
        bounds = {k: v for k, v in (("low", lo), ("high", hi)) if v is not None}
        params = {"quantiles": q, **bounds}
        fitted = m.ppf(np.array([r[0] for r in q]))
        return QuantileFit("metalog", params, tuple(float(v) for v in fitted),
                           float(np.max(np.abs(fitted - x)) / (x[-1] - x[0])))
    raise SpecError(f"--quantiles: no metalog fits: the quantiles {errors[-1]}")


def fit_quantiles(quantiles: Sequence[Sequence[float]], *, families: Sequence[str] | None = None,
                  low: float | None = None, high: float | None = None) -> list[QuantileFit]:
    """Each family fitted to stated quantiles, closest first; the metalog where none matches.

    Parameters
    ----------
    quantiles
        ``[[p, x], ...]``, coherent (see :func:`parse_quantiles`).
    families
        Names from :data:`QUANTILE_FAMILIES` and/or ``"metalog"``; ``None``: every named family
        the values allow, plus the metalog when none matches within :data:`TOLERANCE`.
    low, high
        Bounds for the metalog (semi-bounded or bounded); without them it is tried unbounded,
        then (for positive values) bounded below at 0.

    Returns
    -------
    list of QuantileFit
        Sorted by ``miss``; the metalog is among them only when asked for or offered and some
        metalog through the quantiles increases.

    Raises
    ------
    SpecError
        For an unknown family, a family the values exclude (lognormal with a value <= 0), or
        a metalog asked for that no bounds make increasing.

    Notes
    -----
    A named family's parameters ``theta`` minimise ``sum_i ((Q(p_i; theta) - x_i) / span)^2``
    (:func:`scipy.optimize.least_squares`, from a start read off the quantiles); the metalog
    through ``k`` quantiles has ``k`` terms and meets them exactly.

    Examples
    --------
    >>> best = fit_quantiles([[0.1, 2.0], [0.5, 3.0], [0.9, 6.0]])[0]
    >>> best.family, best.fitted
    ('metalog', (2.0, 3.0, 6.0))
    """
    q = [[float(a), float(b)] for a, b in quantiles]
    p, x = np.array([r[0] for r in q]), np.array([r[1] for r in q])
    span = float(x[-1] - x[0])
    auto = families is None
    names = (list(families) if families
             else [n for n, f in QUANTILE_FAMILIES.items() if not f[2] or (x > 0).all()])
    fits = []
    for name in names:
        if name == "metalog":
            continue
        if name not in QUANTILE_FAMILIES:
            raise SpecError(f"fit: --family {name!r} is not a family mcrisk fits to quantiles; known: "
                            f"{', '.join([*QUANTILE_FAMILIES, 'metalog'])}")
        to_params, start, positive = QUANTILE_FAMILIES[name]
        if positive and not (x > 0).all():
            raise SpecError(f"fit: {name} cannot match these quantiles: it needs positive values")
        ppf = FAMILIES[name].ppf

        def resid(t: np.ndarray, ppf=ppf, to_params=to_params) -> np.ndarray:
            with np.errstate(all="ignore"):
                params = {**FAMILIES[name].optional, **to_params(t)}
                r = (np.asarray(ppf(params, p)) - x) / span
            return np.where(np.isfinite(r), r, 1e6)

        res = so.least_squares(resid, np.array(start(p, x), dtype=float), xtol=1e-14, ftol=1e-14, gtol=1e-14)
        params = to_params(res.x)
        fitted = np.asarray(ppf({**FAMILIES[name].optional, **params}, p), dtype=float)
        fits.append(QuantileFit(name, params, tuple(float(v) for v in fitted),
                                float(np.max(np.abs(fitted - x)) / span)))
    if families and "metalog" in families:
        fits.append(_metalog_fit(q, low, high, x))
    elif auto and not any(f.matches for f in fits):
        try:  # offered, not asked for: when none fits, the named families stand alone
            fits.append(_metalog_fit(q, low, high, x))
        except SpecError:
            pass
    return sorted(fits, key=lambda f: f.miss)


# ---- the priors entry ------------------------------------------------------------------------


def _toml_value(v: Any) -> str:
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(e) for e in v) + "]"
    return repr(float(f"{float(v):.10g}"))


def prior_entry(name: str, family: str, params: Mapping[str, Any], *, unit: str = "", source: str = "",
                note: str = "") -> str:
    """A priors-file table for a fitted prior, checked by loading it back.

    Parameters
    ----------
    name
        The input name (the table's).
    family, params
        The fitted family and its parameters (numbers to 10 significant digits).
    unit, source, note
        The entry's metadata (``source`` names the data or expert and the fit).

    Returns
    -------
    str
        The TOML table, ending in a newline.

    Raises
    ------
    SpecError
        If the entry would not load (a bug of the fit, not of the data).
    """
    lines = [f"[{name}]", f"dist = {_toml_value(family)}"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in params.items() if v is not None]
    lines += [f"{k} = {_toml_value(v)}" for k, v in (("unit", unit), ("source", source), ("note", note)) if v]
    text = "\n".join(lines) + "\n"
    priors_from_dict(tomllib.loads(text), file=f"the fitted entry [{name}]")
    return text


def write_entry(path: str | Path, text: str, *, header: str = "") -> Path:
    """Write a priors file holding ``text`` (one entry), replacing the file whole.

    Parameters
    ----------
    path
        The priors file to write.
    text
        The entry, from :func:`prior_entry`.
    header
        Comment lines put first (each starting with ``#``).

    Returns
    -------
    Path
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text((header + "\n" if header else "") + text, encoding="utf-8")
    os.replace(tmp, path)
    return path


# ---- the two jobs of ``mcrisk fit`` --------------------------------------------------------------


def _params_text(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


def fit_file(path: str | Path, column: str, *, families: Sequence[str] | None = None,
             weights: str | None = None, unit: str = "", name: str | None = None,
             out: str | Path | None = None, plot: str | Path | None = None, source: str = "",
             note: str = "", echo: Callable[[str], None] = print) -> list[DataFit]:
    """``mcrisk fit DATA.csv --column COL``: fit, rank, print, and write the best fit as a prior.

    Parameters
    ----------
    path, column
        The CSV file and the column to fit.
    families
        Candidate names (:data:`DATA_FAMILIES`); ``None``: every one the data allow.
    weights
        A column of weights.
    unit
        The column's unit, written into the entry.
    name
        The entry's name (default: the column's).
    out
        A priors file to write the best fit to (replaced whole).
    plot
        A figure file (``.png``, ``.svg`` or ``.pdf``) of the data against every fit; with ``out``
        and no ``plot``, ``<out stem>_fit.png`` beside it.
    source
        Where the data come from, put before the fit's description in the entry's ``source``.
    note
        The entry's ``note`` (why this family, what the data stand for).
    echo
        Called with each printed block.

    Returns
    -------
    list of DataFit
        Best (lowest AIC) first.
    """
    path = Path(path)
    x, w, rows = read_column(path, column, weights=weights)
    fits = fit_data(x, weights=w, families=families)
    echo(f"{path}: column {column!r}, {rows}" + (f", weighted by {weights!r}" if weights else ""))
    mean = float(np.average(x, weights=w))
    head = (f"  {'family':<12} {'AIC':>12} {'BIC':>12} {'KS':>7} {'mean':>11}  "
            f"parameters (data mean {mean:.6g})")
    echo(head + "\n" + "\n".join(f"  {f.name:<12} {f.aic:>12,.2f} {f.bic:>12,.2f} {f.ks:>7.4f} "
                                 f"{float(f.dist.mean()):>11.6g}  {_params_text(f.params)}" for f in fits))
    best = fits[0]
    echo(f"best by AIC: {best.name}")
    if out is not None:
        others = ", ".join(f.name for f in fits[1:])
        choice = (f"{best.name} has the lowest AIC ({best.aic:.2f}) against {others}" if others
                  else f"{best.name} (the family asked for), AIC {best.aic:.2f}")
        fit_text = (f"fitted by maximum likelihood (mcrisk fit) to {path.name}, column {column}, {rows}"
                    + (f", weighted by {weights}" if weights else "")
                    + f": {choice}; KS distance {best.ks:.4f}")
        text = prior_entry(name or column, best.family, best.params, unit=unit, note=note,
                           source=f"{source}; {fit_text}" if source else fit_text)
        write_entry(out, text)
        echo(f"wrote [{name or column}] to {out}")
        if plot is None:
            plot = Path(out).with_name(f"{Path(out).stem}_fit.png")
    if plot is not None:
        from .plot.fit_chart import plot_fit  # matplotlib: only when a figure is asked for
        from .plot.style import save_figure

        fig = plot_fit(x, fits, weights=w, label=f"{column}" + (f" ({unit})" if unit else ""),
                       title=f"{len(x)} values of {column}; best fit by AIC: {best.name}")
        plot = Path(plot)
        fmt = plot.suffix.lstrip(".").lower() or "png"
        if fmt not in ("png", "svg", "pdf"):
            raise SpecError(f"--plot {plot}: the figure must be .png, .svg or .pdf")
        save_figure(fig, plot.with_suffix(""), (fmt,))
        echo(f"wrote {plot}")
    return fits


def fit_expert(text: str, *, families: Sequence[str] | None = None, low: float | None = None,
               high: float | None = None, unit: str = "", name: str | None = None,
               out: str | Path | None = None, source: str = "", note: str = "",
               echo: Callable[[str], None] = print) -> list[QuantileFit]:
    """``mcrisk fit --quantiles "0.1:2, 0.5:3, 0.9:6"``: fit each family, print, write the closest.

    Parameters
    ----------
    text
        The quantiles, ``probability:value`` pairs.
    families
        Family names (:data:`QUANTILE_FAMILIES`, ``metalog``); one name forces that family.
    low, high
        Bounds of the metalog.
    unit, name, out, source, note, echo
        As for :func:`fit_file`; ``name`` is required with ``out``.

    Returns
    -------
    list of QuantileFit
        Closest first.
    """
    if out is not None and not name:
        raise SpecError("fit --quantiles --out needs --name: the input the prior is for")
    q = parse_quantiles(text)
    fits = fit_quantiles(q, families=families, low=low, high=high)
    stated = ", ".join(f"P{p * 100:g} = {x:g}" for p, x in q)
    echo(f"stated: {stated}")
    echo(f"  {'family':<11} {'miss':>7}  fitted quantiles; parameters\n" + "\n".join(
        f"  {f.family:<11} {f.miss:>7.2%}  {', '.join(f'{v:.4g}' for v in f.fitted)}; "
        f"{_params_text(f.params)}"
        for f in fits))
    best = fits[0]
    echo(f"closest: {best.family} (largest miss {best.miss:.2%} of the span; a match is within "
         f"{TOLERANCE:.0%})")
    if not best.matches and best.family != "metalog":
        echo(f"note: no named family matches within {TOLERANCE:.0%} and no metalog through these quantiles "
             "increases" + ("" if low is not None or high is not None else "; try --low and/or --high"))
    if out is not None:
        fit_text = (f"fitted to stated quantiles {stated} (mcrisk fit --quantiles): {best.family}, "
                    f"largest miss {best.miss:.2%} of their span")
        entry = prior_entry(name, best.family, best.params, unit=unit, note=note,
                            source=f"{source}; {fit_text}" if source else fit_text)
        write_entry(out, entry)
        echo(f"wrote [{name}] to {out}")
    return fits
