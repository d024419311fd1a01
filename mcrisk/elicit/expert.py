"""Priors from an expert's quantiles: least squares on each family's quantile function, and the metalog.

:func:`fit_quantiles` fits each named family to stated quantiles and reports how far each
misses; where none matches within :data:`TOLERANCE`, the metalog (exact through the quantiles,
:mod:`mcrisk.distributions.metalog`) is offered. :func:`fit_expert` is ``mcrisk fit --quantiles
"0.1:2, 0.5:3, 0.9:6"``: it prints the table and writes the closest as a priors entry.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.optimize as so
import scipy.special as sc

from mcrisk.core.errors import SpecError
from mcrisk.core.text import aligned
from mcrisk.distributions.families import FAMILIES
from mcrisk.distributions.metalog import Metalog, MetalogError
from mcrisk.spec.priorentry import params_text, prior_entry, write_entry

__all__ = ["QUANTILE_FAMILIES", "TOLERANCE", "QuantileFit", "fit_expert", "fit_quantiles", "parse_quantiles"]

#: A named family "matches" stated quantiles when its largest miss is at most this share of
#: the quantiles' span (largest stated value less the smallest); beyond it the metalog is offered.
TOLERANCE = 0.01


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


def fit_expert(text: str, *, families: Sequence[str] | None = None, low: float | None = None,
               high: float | None = None, unit: str = "", name: str | None = None,
               out: str | Path | None = None, source: str = "", note: str = "", replace: bool = False,
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
    unit, name, out, source, note, replace, echo
        As for :func:`mcrisk.study.fitting.fit_file`; ``name`` is required with ``out``.

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
    rows = [["family", "miss", "fitted quantiles; parameters"],
            *([f.family, f"{f.miss:.2%}", f"{', '.join(f'{v:.4g}' for v in f.fitted)}; {params_text(f.params)}"]
              for f in fits)]
    echo("\n".join(f"  {line}" for line in aligned(rows, text_last=True)))
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
        write_entry(out, entry, replace=replace)
        echo(f"wrote [{name}] to {out}")
    return fits
