"""Priors conformed to a model: units converted to the model's, domains checked, at load time.

A prior's ``unit``, when given, is compared with the unit its model input declares
(:class:`mcrisk.models.Var`); a convertible one (``tokens/s`` for a ``tokens/day`` input,
``USD/1K tokens`` for a per-1M price, ``CNY/GPU-hour`` in a USD study given ``[fx] CNY``)
becomes a prior whose draws are multiplied by the factor (:attr:`mcrisk.spec.priors.Prior.scale`),
so the model itself stays unitless; an inconvertible one is a one-line error. Then the prior's
range, its inverse CDF at the extreme draws of the designs, must lie in the input's domain.

This module is light (no pint unless two units differ as written, no xarray): ``mcrisk check``
runs it.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.text import aligned
from mcrisk.distributions.families import resolve_family
from mcrisk.models.base import Var
from mcrisk.spec.priors import PROBE, Prior, Priors, parse_prior
from mcrisk.core.units import CURRENCIES, canonical, check_unit, conversion, registry
from mcrisk.core.domains import domain_text, outside_domain
from mcrisk.core.validate import check_keys, show_key

__all__ = ["Conformed", "FxModel", "check_domain", "check_fx", "conform_priors", "domains_text",
           "require_units", "scaled"]


def check_fx(table: Any, *, where: str, currency: str | None) -> dict[str, float | Prior]:
    """Check a study's ``[fx]`` table: currency code -> value of one unit of it in the study's currency.

    Parameters
    ----------
    table
        The parsed table, e.g. ``{"CNY": 0.139}``; a value is a number or a prior table in the
        priors format (``{ dist = "triangular", low = 0.137, mode = 0.138, high = 0.1395 }``):
        an uncertain rate.
    where
        The study file, to start error messages.
    currency
        The study's currency; ``[fx]`` needs one.

    Returns
    -------
    dict of str to float or Prior
        A fixed rate as a number; an uncertain one as its prior, named ``fx_<code>``, in the
        unit ``<currency>/<code>``.

    Raises
    ------
    SpecError
        For a key that is not a known currency code, a value that is not a positive number or
        a prior that can draw a value <= 0, or an ``[fx]`` table in a study without a currency.
    """
    if not isinstance(table, dict):
        raise SpecError(f"{where}: fx = {shorten(table)} must be a table [fx] of currency code = rate")
    if table and not currency:
        raise SpecError(f"{where}: [fx] needs the study's currency (currency = \"USD\"): its rates are "
                        "values in that currency")
    check_keys(table, CURRENCIES, f"{where}: [fx]")  # a key is a currency code mcrisk knows
    rates: dict[str, float | Prior] = {}
    for code, value in table.items():
        prior = parse_prior(f"fx_{code}", value, file=where, table=f"fx.{code}")
        if prior.is_constant:
            if not prior.params["value"] > 0:
                raise SpecError(f"{where}: [fx] {code} = {shorten(value)} must be a positive number: the "
                                f"value of 1 {code} in {currency}")
            rates[code] = 1.0 if code == currency else float(prior.params["value"])
        else:
            check_domain(prior, (0.0, math.inf), where=f"{where}: [fx.{code}]", strict_low=True)
            rates[code] = replace(prior, unit=f"{currency}/{code}",
                                  source=prior.source or f"study exchange rate ({where})")
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
        return replace(prior, params=MappingProxyType({"value": value}), unit=unit, probe=None,
                       dist=resolve_family("constant").build({"value": value}))
    return replace(prior, scale=prior.scale * factor, unit=unit)


def _range(prior: Prior) -> tuple[float, float]:
    """The smallest and largest values the designs can draw (inverse CDF at the extreme probabilities)."""
    if prior.probe is not None:  # computed when the prior was checked
        x = np.array([prior.probe[0], prior.probe[-1]])
        x = x if prior.scale == 1.0 else x * prior.scale
    else:
        x = np.asarray(prior.ppf(np.array([PROBE[0], PROBE[-1]]), few=True), dtype=float)
    return float(x[0]), float(x[-1])


def check_domain(prior: Prior, domain: tuple[float, float] | None, *, where: str,
                 strict_low: bool = False) -> None:
    """Raise unless every draw of ``prior`` lies in ``domain`` (closed).

    Parameters
    ----------
    prior
        The prior, in the model's unit (after :func:`scaled`).
    domain
        ``(low, high)`` of the input, or ``None`` for no bound.
    where
        The file and table, to start the message.
    strict_low
        The lower bound itself is excluded (an exchange rate is > 0).

    Returns
    -------
    None

    Raises
    ------
    SpecError
        One line naming the input, its domain and the prior's range.
    """
    if domain is None:
        return
    lo, hi = _range(prior)
    what = f"{prior.describe()} ranges over [{lo:.6g}, {hi:.6g}],"
    text = outside_domain(prior.name, domain, lo, hi, what=what, strict_low=strict_low,
                          bounded_hint=not prior.is_constant)
    if text is not None:
        raise SpecError(f"{where} {text}")


def require_units(priors: Priors, *, where: str) -> None:
    """Raise unless every prior states its unit, spelled in the registry (``mcrisk check --strict``).

    Parameters
    ----------
    priors
        The priors as loaded.
    where
        The file, to start the message.

    Returns
    -------
    None

    Raises
    ------
    SpecError
        Naming the first prior with a unit the registry does not know, or without a ``unit``.
    """
    for k, p in priors.items():
        if p.unit:
            check_unit(p.unit, f"{where}: [{show_key(k)}]")
    if missing := [k for k, p in priors.items() if not p.unit]:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise SpecError(f"{where}: [{show_key(missing[0])}] has no unit{more}; --strict asks every prior for "
                        "one (unit = \"1\" for a ratio)")


def _currency_of(unit: str) -> str | None:
    return next((c for c in CURRENCIES if re.search(rf"\b{c}\b", unit)), None)


class FxModel:
    """A model whose inputs in another currency are multiplied by an uncertain exchange rate first.

    ``FxModel(model, {"gpu_hour_price": ("fx_CNY", 1)}, ("fx_CNY",))(**inputs)`` is
    ``model(**inputs)`` with ``gpu_hour_price * fx_CNY`` for ``gpu_hour_price`` and without
    ``fx_CNY``, which is an input of its own (sampled, in the tornado and the sensitivity
    analysis). It keeps ``model``'s name, outputs and default output, and adds the rates to its
    inputs and signature. A module-level class, so it pickles wherever ``model`` does.

    Parameters
    ----------
    model
        The model.
    converted
        Input name -> (rate input's name, power of the currency in the input's unit).
    rates
        The rate inputs' names, each ``fx_<code>``; ``units`` gives their units.
    units
        Rate input name -> its unit (``"USD/CNY"``).
    """

    def __init__(self, model: Callable, converted: Mapping[str, tuple[str, int]], rates: tuple[str, ...],
                 units: Mapping[str, str]) -> None:
        self.model, self.converted, self.rates, self.units = model, dict(converted), rates, dict(units)
        self.__module__ = getattr(model, "__module__", __name__)
        self.__qualname__ = self.__name__ = getattr(model, "__qualname__", type(model).__name__)
        self.__doc__ = getattr(model, "__doc__", None)
        for key in ("outputs", "default_output"):
            if hasattr(model, key):
                setattr(self, key, getattr(model, key))
        rate_vars = {r: Var(units[r], f"exchange rate, {units[r]}", domain=(0.0, math.inf)) for r in rates}
        self.inputs = MappingProxyType({**(getattr(model, "inputs", None) or {}), **rate_vars})
        params = list(inspect.signature(model).parameters.values())
        extra = [inspect.Parameter(r, inspect.Parameter.KEYWORD_ONLY) for r in rates]
        self.__signature__ = inspect.Signature([*extra, *params])

    def __reduce__(self) -> tuple:
        # Rebuilt from its arguments: its read-only mappings do not pickle, the model does
        # (by reference), so dask workers and forked processes get the same wrapper.
        return (FxModel, (self.model, self.converted, self.rates, self.units))

    def __call__(self, **inputs: Any) -> dict:
        rate = {r: inputs.pop(r) for r in self.rates}
        for name, (r, power) in self.converted.items():
            if name in inputs:
                inputs[name] = inputs[name] * rate[r] ** power
        return self.model(**inputs)


@dataclass(frozen=True)
class Conformed:
    """What :func:`conform_priors` returns.

    Attributes
    ----------
    priors : Priors
        The priors, draws in the model's units (an uncertain rate's inputs excepted: in their
        own currency, multiplied by the rate inside ``model``), plus one prior ``fx_<code>``
        per uncertain rate used.
    conversions : tuple of str
        One line per converted input.
    model : callable
        The model, or an :class:`FxModel` around it when an uncertain rate is used.
    """

    priors: Priors
    conversions: tuple[str, ...]
    model: Callable


def conform_priors(model: Callable, priors: Priors, *, currency: str | None = None,
                   fx: Mapping[str, float | Prior] | None = None, where: str = "priors",
                   strict: bool = False) -> Conformed:
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
        Exchange rates, currency code -> value in ``currency``, a number or an uncertain prior
        (see :func:`check_fx`).
    where
        The study file, to start error messages.
    strict
        Every prior must state its unit, in the registry's spellings (``mcrisk check --strict``);
        without it a unit the registry does not know passes when the model's is spelled alike.

    Returns
    -------
    Conformed
        The converted priors (marked :attr:`~mcrisk.spec.priorspec.Priors.conformed_to` the
        returned model), one line per conversion, and the model to run them with.

    Raises
    ------
    SpecError
        One line naming the input and both units when they cannot be converted, a currency
        without an exchange rate, a prior outside its input's domain, or (with ``strict``) a
        prior without a unit.

    Notes
    -----
    A draw ``x`` in the prior's unit is ``factor * x`` in the model's unit
    (:func:`mcrisk.core.units.conversion`); with an uncertain rate ``r`` of the prior's currency,
    ``factor * x * r**k``, ``k`` the currency's power in the unit, computed inside the model
    call from the two sampled columns. A prior without a unit is taken in the model's unit.

    Examples
    --------
    >>> from mcrisk.models import maas
    >>> from mcrisk.spec.priors import priors_from_dict
    >>> p = priors_from_dict({"price_output": {"value": 0.00219, "unit": "USD/1K tokens"}}, file="x")
    >>> conform_priors(maas, p, currency="USD").conversions
    ('price_output: USD/1K tokens -> USD/1M tokens: x 1,000',)
    """
    declared = getattr(model, "inputs", None) or {}
    fixed = {c: r for c, r in (fx or {}).items() if not isinstance(r, Prior)}
    uncertain = {c: r for c, r in (fx or {}).items() if isinstance(r, Prior)}
    entries, notes = dict(priors.entries), []
    converted: dict[str, tuple[str, int]] = {}
    for name, prior in priors.items():
        var = declared.get(name)
        at = f"{where}: [{show_key(name)}]"
        if strict and prior.unit:
            check_unit(prior.unit, at)
        if not prior.unit:
            if strict:
                wanted = f" (the model's: {var.unit_in(currency)!r})" if var is not None else ""
                raise SpecError(f"{at} has no unit; --strict asks every prior for one{wanted}")
        elif var is not None and var.unit:
            wanted = var.unit.replace("{currency}", currency or _currency_of(prior.unit) or "currency")
            conv = conversion(prior.unit, wanted, fx={**fixed, **{c: 1.0 for c in uncertain}}, what=at)
            random = [(c, _power(prior.unit, c)) for c, _ in conv.rates if c in uncertain]
            if conv.factor != 1.0 or random:
                unit = prior.unit if random else wanted  # with a random rate the column stays in its currency
                prior = scaled(prior, conv.factor, _in_currency(wanted, random[0][0]) if random else unit)
                if random:
                    code, power = random[0]
                    converted[name] = (f"fx_{code}", power)
                    fixed_part = f" x {conv.factor:.6g}" if conv.factor != 1.0 else ""
                    notes.append(f"{name}: {conv.given} -> {wanted}:{fixed_part} x fx_{code} (uncertain, "
                                 f"{uncertain[code].describe()} {currency}/{code}), in the model call")
                else:
                    notes.append(f"{name}: {conv.describe()}")
        if var is not None:  # a positive rate keeps a price's sign: checked in its own currency
            check_domain(prior, var.domain, where=at)
        entries[name] = prior
    if not converted:  # marked conformed to ``model``: conform_call leaves these entries alone
        proxy = MappingProxyType(entries)
        return Conformed(replace(priors, entries=proxy, conformed_to=(model, proxy, currency)), tuple(notes), model)
    rates = tuple(sorted({r for r, _ in converted.values()}))
    for r in rates:
        if r in entries:
            raise SpecError(f"{where}: [fx] {r[3:]} is uncertain, and its input {r} is also a prior; name it "
                            "once")
        entries[r] = uncertain[r[3:]]
    wrapped = FxModel(model, converted, rates, {r: f"{currency}/{r[3:]}" for r in rates})
    proxy = MappingProxyType(entries)
    return Conformed(replace(priors, entries=proxy, conformed_to=(wrapped, proxy, currency)), tuple(notes), wrapped)


def _power(unit: str, code: str) -> int:
    q = registry().parse_expression(canonical(unit))
    return int(dict(q.dimensionality).get(f"[currency_{code}]", 0))


def _in_currency(unit: str, code: str) -> str:
    return re.sub(r"\b(" + "|".join(CURRENCIES) + r")\b", code, unit, count=1)


def domains_text(model: Callable) -> str:
    """The model's input domains and output bad sides, grouped, for ``mcrisk describe``.

    Parameters
    ----------
    model
        A model with ``inputs`` and ``outputs`` (name -> :class:`~mcrisk.models.Var`).

    Returns
    -------
    str
        Lines such as ``"  [0, 1]  cache_hit_share, paid_share"`` under "Domains" and
        ``"  high  cost_per_day"`` under "Bad side"; ``""`` when the model declares neither.
    """
    by_domain: dict[tuple[float, float], list[str]] = {}
    for name, var in (getattr(model, "inputs", None) or {}).items():
        if var.domain is not None:
            by_domain.setdefault(tuple(var.domain), []).append(name)
    by_side: dict[str, list[str]] = {}
    for name, var in (getattr(model, "outputs", None) or {}).items():
        if var.bad is not None:
            by_side.setdefault(var.bad, []).append(name)
    rows = [[domain_text(d), ", ".join(names)] for d, names in by_domain.items()]
    rows += [[side, ", ".join(names)] for side, names in sorted(by_side.items())]
    table = [f"  {s}" for s in aligned(rows, text_last=True)] if rows else []  # one layout: both lists line up
    lines = []
    if by_domain:
        lines += ["Domains (a prior reaching outside its input's is an error)", *table[:len(by_domain)]]
    if by_side:
        lines += ["Bad side (the tail expected shortfall averages)", *table[len(by_domain):]]
    return "\n".join(lines)
