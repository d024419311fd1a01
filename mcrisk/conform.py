"""Priors conformed to a model: units converted to the model's, domains checked, at load time.

A prior's ``unit``, when given, is compared with the unit its model input declares
(:class:`mcrisk.models.Var`); a convertible one (``tokens/s`` for a ``tokens/day`` input,
``USD/1K tokens`` for a per-1M price, ``CNY/GPU-hour`` in a USD study given ``[fx] CNY``)
becomes a prior whose draws are multiplied by the factor (:attr:`mcrisk.priors.Prior.scale`),
so the model itself stays unitless; an inconvertible one is a one-line error. Then the prior's
range, its inverse CDF at the extreme draws of the designs, must lie in the input's domain.

This module is light (no pint unless two units differ as written, no xarray): ``mcrisk check``
runs it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import numpy as np

from .errors import SpecError, shorten
from .families import resolve_family
from .priors import PROBE, Prior, Priors, parse_prior
from .units import CURRENCIES, conversion, is_currency
from .validate import show_key

__all__ = ["check_domain", "check_fx", "conform_priors", "require_units", "scaled"]


def check_fx(table: Any, *, where: str, currency: str | None) -> dict[str, float]:
    """Check a study's ``[fx]`` table: currency code -> value of one unit of it in the study's currency.

    Parameters
    ----------
    table
        The parsed table, e.g. ``{"CNY": 0.139}``; a value may be a number or a constant prior
        table (``{ value = 0.139, source = "..." }``).
    where
        The study file, to start error messages.
    currency
        The study's currency; ``[fx]`` needs one.

    Returns
    -------
    dict of str to float
        The rates, each positive and finite.

    Raises
    ------
    SpecError
        For a key that is not a known currency code, a value that is not a positive number, an
        uncertain rate, or an ``[fx]`` table in a study without a currency.
    """
    if not isinstance(table, dict):
        raise SpecError(f"{where}: fx = {shorten(table)} must be a table [fx] of currency code = rate")
    if table and not currency:
        raise SpecError(f"{where}: [fx] needs the study's currency (currency = \"USD\"): its rates are values "
                        "in that currency")
    rates = {}
    for code, value in table.items():
        if not is_currency(code):
            raise SpecError(f"{where}: [fx] {show_key(code)} is not a currency code mcrisk knows; known: "
                            f"{', '.join(CURRENCIES)}")
        prior = parse_prior(code, value, file=where, table=f"fx.{code}")
        if not prior.is_constant:
            raise SpecError(f"{where}: [fx.{code}] {prior.describe()} is uncertain; an exchange rate is a number "
                            f"here (value = ...); put the uncertainty in the converted input's prior instead")
        rate = float(prior.params["value"])
        if not rate > 0:
            raise SpecError(f"{where}: [fx] {code} = {shorten(value)} must be a positive number: the value of "
                            f"1 {code} in {currency}")
        rates[code] = 1.0 if code == currency else rate
    return rates


def scaled(prior: Prior, factor: float, unit: str) -> Prior:
    """``prior`` with every draw multiplied by ``factor`` and its unit set to ``unit``.

    A constant gets its value multiplied (so it stays a constant); any other family keeps its
    parameters, as written in the file, and multiplies its draws (:attr:`Prior.scale`).

    Parameters
    ----------
    prior
        The prior as loaded.
    factor
        The conversion factor, positive.
    unit
        The unit its draws are then in.

    Returns
    -------
    Prior
    """
    if prior.is_constant:
        value = float(prior.params["value"]) * factor
        return replace(prior, params=MappingProxyType({"value": value}), unit=unit,
                       dist=resolve_family("constant").build({"value": value}))
    return replace(prior, scale=prior.scale * factor, unit=unit)


def _range(prior: Prior) -> tuple[float, float]:
    """The smallest and largest values the designs can draw (inverse CDF at the extreme probabilities)."""
    x = np.asarray(prior.ppf(np.array([PROBE[0], PROBE[-1]])), dtype=float)
    return float(x[0]), float(x[-1])


def check_domain(prior: Prior, domain: tuple[float, float] | None, *, where: str) -> None:
    """Raise unless every draw of ``prior`` lies in ``domain`` (closed).

    Parameters
    ----------
    prior
        The prior, in the model's unit (after :func:`scaled`).
    domain
        ``(low, high)`` of the input, or ``None`` for no bound.
    where
        The file and table, to start the message.

    Raises
    ------
    SpecError
        One line naming the input, its domain and the prior's range.
    """
    if domain is None:
        return
    lo, hi = _range(prior)
    dlo, dhi = domain
    if dlo <= lo and hi <= dhi:
        return
    shown = "[" + ", ".join("inf" if math.isinf(v) and v > 0 else "-inf" if math.isinf(v) else f"{v:g}"
                            for v in domain) + "]"
    what = f"{prior.describe()} ranges over [{lo:.6g}, {hi:.6g}]," if lo != hi else f"value {lo:.6g} lies"
    hint = ""
    if domain == (0.0, 1.0) and 1 < hi <= 100 and lo >= 0:
        hint = "; a share is a fraction (0.5 for 50%), or give unit = \"%\""
    elif dlo == 0 and lo < 0 and not prior.is_constant:
        hint = "; choose a family bounded below at 0 (lognormal, pert, triangular, truncnormal with low = 0)"
    raise SpecError(f"{where} {what} outside the domain of {show_key(prior.name)}, {shown}{hint}")


def require_units(priors: Priors, *, where: str) -> None:
    """Raise unless every prior states its unit (``mcrisk check --strict`` on a priors file).

    Parameters
    ----------
    priors
        The priors as loaded.
    where
        The file, to start the message.

    Raises
    ------
    SpecError
        Naming the first prior without a ``unit``.
    """
    if missing := [k for k, p in priors.items() if not p.unit]:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise SpecError(f"{where}: [{show_key(missing[0])}] has no unit{more}; --strict asks every prior for one "
                        "(unit = \"1\" for a ratio)")


def _currency_of(unit: str) -> str | None:
    return next((c for c in CURRENCIES if re.search(rf"\b{c}\b", unit)), None)


def conform_priors(model: Callable, priors: Priors, *, currency: str | None = None,
                   fx: Mapping[str, float] | None = None, where: str = "priors",
                   strict: bool = False) -> tuple[Priors, tuple[str, ...]]:
    """Convert each prior to its model input's unit and check it lies in the input's domain.

    Parameters
    ----------
    model
        A model with ``inputs`` (name -> :class:`~mcrisk.models.Var`); inputs it does not
        describe are left as they are.
    priors
        The study's priors.
    currency
        The study's currency (fills ``{currency}`` in the model's units); ``None``: the
        prior's own currency stands in.
    fx
        Exchange rates, currency code -> value in ``currency`` (see :func:`check_fx`).
    where
        The study file, to start error messages.
    strict
        Every prior must state its unit (``mcrisk check --strict``).

    Returns
    -------
    priors : Priors
        The priors with converted entries (draws in the model's units).
    conversions : tuple of str
        One line per converted input, e.g. ``"price_output: USD/1K tokens -> USD/1M tokens: x 1,000"``.

    Raises
    ------
    SpecError
        One line naming the input and both units when they cannot be converted, a currency
        without an exchange rate, a prior outside its input's domain, or (with ``strict``) a
        prior without a unit.

    Notes
    -----
    A draw ``x`` in the prior's unit is ``factor * x`` in the model's unit
    (:func:`mcrisk.units.conversion`); a prior without a unit is taken in the model's unit.
    """
    declared = getattr(model, "inputs", None) or {}
    entries, notes = dict(priors.entries), []
    for name, prior in priors.items():
        var = declared.get(name)
        at = f"{where}: [{show_key(name)}]"
        if not prior.unit:
            if strict:
                wanted = f" (the model's: {var.unit_in(currency)!r})" if var is not None else ""
                raise SpecError(f"{at} has no unit; --strict asks every prior for one{wanted}")
        elif var is not None and var.unit:
            wanted = var.unit.replace("{currency}", currency or _currency_of(prior.unit) or "currency")
            conv = conversion(prior.unit, wanted, fx=fx, what=at)
            if conv.factor != 1.0:
                prior = scaled(prior, conv.factor, wanted)
                notes.append(f"{name}: {conv.describe()}")
        if var is not None:
            check_domain(prior, var.domain, where=at)
        entries[name] = prior
    return replace(priors, entries=MappingProxyType(entries)), tuple(notes)
