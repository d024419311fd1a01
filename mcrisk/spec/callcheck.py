"""Priors conformed at a public call: ``simulate``, ``sensitivity``, ``tornado``, ``sweep``, ``solve``.

A study run conforms its priors when the study is loaded (:func:`mcrisk.spec.conform.conform_priors`):
each prior's unit converted to its model input's, each range checked against the input's
domain. :func:`conform_call` does the same for priors handed to a public function from
Python, so ``simulate(maas, priors, n)`` with a price in USD/1K tokens for a model that takes
USD/1M tokens multiplies the draws by 1,000, says so in an :class:`~mcrisk.core.errors.MCRiskWarning`
(``unit converted: price_output: USD/1K tokens -> USD/1M tokens: x 1,000``, the line a study
run prints), and refuses ``tokens/s`` for a price in the one line a study file gets.

An inputs Dataset drawn beforehand (``simulate(maas, sample(priors, n))``) gets its columns
converted by :func:`conform_inputs`, from their ``units``.

Priors that ``conform_priors`` made (a study's, or a caller's own with ``fx``) carry
:attr:`~mcrisk.spec.priorspec.Priors.conformed_to`; their entries are neither converted again
nor checked again, so a study run's conversions are applied and said once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from mcrisk.core.domains import check_in_domain
from mcrisk.core.errors import MCRiskWarning
from mcrisk.core.units import CURRENCIES, conversion
from mcrisk.core.validate import show_key
from mcrisk.core.warned import warn
from mcrisk.spec.conform import FxModel, check_domain, conform_priors
from mcrisk.spec.priorspec import Priors

__all__ = ["check_lever_values", "conform_call", "conform_inputs"]


def conform_call(model: Callable, priors: Any, *, where: str, stacklevel: int = 2) -> tuple[Any, tuple[str, ...]]:
    """``priors`` in ``model``'s units, checked against its inputs' domains, as a study run has them.

    Parameters
    ----------
    model
        The model called; only the inputs it declares (``model.inputs``, name ->
        :class:`~mcrisk.models.Var`) are converted and checked. A plain function, or a file
        model without declarations, gets its priors back untouched.
    priors
        The priors passed to the public function (anything but :class:`Priors` is returned as
        it is). ``priors.currency`` stands for ``{currency}`` in the model's units.
    where
        The public function's name, to start error messages (``"simulate"``), where a study
        file's errors start with the file.
    stacklevel
        Of the warning, counted from this function: 3 points at the public function's caller.

    Returns
    -------
    (Priors, tuple of str)
        The conformed priors, marked conformed to ``model`` (the same object when there was
        nothing to do), and one line per conversion applied, worded as a study run prints them.

    Raises
    ------
    SpecError
        As a study file does: an inconvertible unit (naming the input, its unit and the model's),
        a currency without an exchange rate, or a prior reaching outside its input's domain.

    Warns
    -----
    MCRiskWarning
        ``unit converted: <line>`` for each conversion applied.

    Notes
    -----
    Cheap for conformed priors: an entry that is, by identity, one the mark records is skipped,
    so a study's priors cost one identity test per input; only the others are conformed (a
    ``--set`` constant, an input added with :meth:`Priors.merged`). The model of an
    :class:`~mcrisk.spec.conform.FxModel` multiplies its converted inputs by the sampled rate
    itself: those, and the rates, are held in their own currency and only their domains checked.
    """
    declared = getattr(model, "inputs", None)
    if not declared or not isinstance(priors, Priors):
        return priors, ()
    mark = priors.conformed_to
    done = mark[1] if mark is not None and mark[0] is model and priors.currency in (None, mark[2]) else {}
    todo = [k for k, p in priors.items() if done.get(k) is not p]
    if not todo:
        return priors, ()
    own = {*model.converted, *model.rates} if isinstance(model, FxModel) else set()
    for k in own.intersection(todo):  # in their own currency: the model call converts them
        if k in declared:
            check_domain(priors[k], declared[k].domain, where=f"{where}: [{show_key(k)}]")
    entries = dict(priors.entries)
    notes: tuple[str, ...] = ()
    if rest := [k for k in todo if k not in own]:
        part = conform_priors(model, priors.subset(rest), currency=priors.currency, where=where)
        entries.update(part.priors.entries)
        notes = part.conversions
    for line in notes:
        warn(f"unit converted: {line}", MCRiskWarning, stacklevel=stacklevel)
    proxy = MappingProxyType(entries)
    return replace(priors, entries=proxy, conformed_to=(model, proxy, priors.currency)), notes


def conform_inputs(model: Callable, inputs: Any, *, where: str, stacklevel: int = 2) -> tuple[Any, tuple[str, ...]]:
    """An inputs Dataset in ``model``'s units: each column whose ``units`` convert is multiplied.

    For ``simulate(model, sample(priors, n))``: the columns of priors that were not conformed
    carry their priors' units, and a column in USD/1K tokens for an input in USD/1M tokens is
    multiplied by 1,000 (said as :func:`conform_call` says it). Domains are not checked here:
    drawn values are not a prior's range (:func:`conform_call` checks those).

    Parameters
    ----------
    model
        The model; only the inputs it declares are looked at (none of an
        :class:`~mcrisk.spec.conform.FxModel`'s own-currency columns).
    inputs
        An :class:`xarray.Dataset` over ``sample``; a column without ``units`` is left alone.
    where, stacklevel
        As :func:`conform_call`.

    Returns
    -------
    (Dataset, tuple of str)
        ``inputs`` (the same object when no column is converted) and one line per conversion.

    Raises
    ------
    SpecError
        For a column whose unit cannot be converted to its input's (the study file's line).
    """
    declared = getattr(model, "inputs", None) or {}
    own = {*model.converted, *model.rates} if isinstance(model, FxModel) else set()
    currency = inputs.attrs.get("currency") or None
    notes = []
    columns = inputs.variables  # plain Variables: a DataArray per input would cost 0.1 ms each
    for name, var in declared.items():
        unit = str(columns[name].attrs.get("units", "")) if name in inputs.data_vars else ""
        if not unit or not var.unit or name in own:
            continue
        wanted = var.unit
        if "{currency}" in wanted:  # as conform_priors: the study's currency, else the column's own
            wanted = wanted.replace("{currency}", currency or next(
                (c for c in CURRENCIES if re.search(rf"\b{c}\b", unit)), "currency"))
        if unit == wanted:  # drawn from conformed priors: nothing to parse
            continue
        conv = conversion(unit, wanted, what=f"{where}: [{show_key(name)}]")
        if conv.factor != 1.0:
            col = inputs[name]
            attrs = {**col.attrs, "units": wanted}
            if "distribution" in attrs:
                attrs["distribution"] = f"{attrs['distribution']} x {conv.factor:.12g}"
            inputs = inputs.assign({name: col.copy(data=col.values * conv.factor).assign_attrs(attrs)})
            notes.append(f"{name}: {conv.describe()}")
    for line in notes:
        warn(f"unit converted: {line}", MCRiskWarning, stacklevel=stacklevel)
    return inputs, tuple(notes)


def check_lever_values(model: Callable, lever: str, values: dict[str, float], *, where: str) -> None:
    """Raise unless each lever value lies in the lever's domain, in the words a study file's value gets.

    Parameters
    ----------
    model
        The model; only an input it declares (``model.inputs``) has a domain.
    lever
        The input set to the values.
    values
        What gave each value -> the value: ``{"values": 5.0}``, ``{"low": -1.0, "high": 5.0}``.
    where
        The public function's name (``"sweep"``, ``"solve"``), to start the message.

    Raises
    ------
    SpecError
        ``sweep: values: value 5 lies outside the domain of paid_share, [0, 1]; ...``.
    """
    var = (getattr(model, "inputs", None) or {}).get(lever)
    domain = getattr(var, "domain", None)
    for key, v in values.items():
        check_in_domain(v, lever, domain, f"{where}: {key}:")
