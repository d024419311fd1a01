"""Priors fitted to data: maximum likelihood of candidate families, ranked, written as an entry.

:func:`fit_data` fits candidate families (scipy.stats) to a column of measurements, optionally
weighted, and ranks them by AIC with BIC and the Kolmogorov-Smirnov distance beside it;
:func:`fit_file` is ``mcrisk fit DATA.csv --column COL``: it reads the column, prints the
ranking, draws the data against every fit and writes the chosen one as a priors entry whose
``source`` names the file, the column, the rows and the fit (:mod:`mcrisk.spec.priorentry`). Fits to
an expert's quantiles are :mod:`mcrisk.elicit.expert`.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.optimize as so
import scipy.stats as st

from mcrisk.core.errors import SpecError, shorten

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
