"""Units of measure: the project's pint registry, the spellings its files use, and conversion factors.

A prior's ``unit`` is compared with the unit its model input declares when a study is loaded;
a convertible one is converted by one factor applied to the sampled column, so the vectorised
model stays unitless (pint in the inner loop costs 2-3x). Spellings of the project's files are
mapped onto pint expressions first, because pint alone reads ``1K`` as kelvin and ``1M`` as
molar, cannot name a GPU-hour, and knows no currency::

    "USD/1M tokens"   -> "USD/(1e6 token)"
    "tokens/s"        -> "token/s"
    "CNY/GPU-hour"    -> "CNY/GPU_hour"
    "nodes", "GPUs"   -> "node", "GPU"
    "1", "%"          -> dimensionless, percent

Each currency is its own dimension, so a price in CNY never converts to USD by accident; a
study's ``[fx]`` table (currency code -> its value in the study's currency) is the conversion
context that multiplies it over. pint is imported only when two units differ as written (its
import takes about half a second; ``mcrisk check`` of a study in its model's units never pays it).

Examples
--------
>>> conversion("USD/1K tokens", "USD/1M tokens").factor
1000.0
>>> conversion("tokens/s", "tokens/day").factor
86400.0
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mcrisk.core.errors import SpecError
from mcrisk.core.text import format_number

__all__ = ["CURRENCIES", "Conversion", "canonical", "check_unit", "conversion", "is_currency", "pint_units",
           "registry", "same_unit", "with_pint_units"]

#: ISO 4217 codes the registry knows, each its own dimension (``RMB`` is an alias of ``CNY``).
CURRENCIES: tuple[str, ...] = ("USD", "CNY", "EUR", "GBP", "JPY", "KRW", "HKD", "SGD", "INR", "CHF",
                               "CAD", "AUD", "TWD")

_DEFINITIONS = """
second = [time] = s = sec
minute = 60 * second = min
hour = 60 * minute = h = hr
day = 24 * hour = d
week = 7 * day
month = 30 * day
year = 365 * day = yr
percent = 0.01 = %
token = [token] = tok
ktok = 1e3 * token = Ktok
Mtok = 1e6 * token
Btok = 1e9 * token
GPU = [gpu]
GPU_hour = GPU * hour = GPUh
node = [node]
node_day = node * day
GPU_year = GPU * year
watt = [power] = W
kW = 1e3 * watt
kWh = kW * hour
"""

# Applied in order; each maps one family of spellings onto pint's grammar.
_MULTIPLIERS = {"k": "1e3", "K": "1e3", "M": "1e6", "B": "1e9", "G": "1e9", "T": "1e12"}
_SPELLINGS: tuple[tuple[re.Pattern[str], Any], ...] = (
    (re.compile(r"\s+per\s+"), "/"),
    (re.compile(r"\bRMB\b"), "CNY"),
    (re.compile(r"\bGPU[- ]?(?:hours?|hrs?|h)\b", re.I), "GPU_hour"),
    (re.compile(r"\bnode[- ]days?\b"), "node_day"),
    (re.compile(r"\bGPU[- ]years?\b"), "GPU_year"),
    (re.compile(r"\b(token|GPU|node|hour|day|second|minute|week|year)s\b"), r"\1"),
    (re.compile(r"\b(tokens?|toks?)\b"), "token"),
    # "1M tokens", "1K token": a count of tokens, bracketed so "USD/1M tokens" divides by all of it.
    (re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*([kKMBGT])\s*(?=[A-Za-z_(])"),
     lambda m: f"{m[1]}*{_MULTIPLIERS[m[2]]} "),
    (re.compile(r"(?<![\w.*])(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:\*[\d.eE+-]+)?)\s*\*?\s*([A-Za-z_]\w*)"),
     r"(\1*\2)"),
    (re.compile(r"%"), "percent"),
)


def canonical(text: str) -> str:
    """A unit as written in a priors file, spelled the way the registry reads it.

    Parameters
    ----------
    text
        The unit, e.g. ``"USD/1M tokens"``, ``"tokens/s"`` or ``"CNY/GPU-hour"``.

    Returns
    -------
    str
        A pint expression without spaces, e.g. ``"USD/(1*1e6*token)"``; ``"1"`` for a ratio.

    Examples
    --------
    >>> canonical("USD/1K tokens")
    'USD/(1*1e3*token)'
    """
    s = text.strip()
    for pattern, repl in _SPELLINGS:
        s = pattern.sub(repl, s)
    s = re.sub(r"\s+", "", s)
    return s or "1"


def _names() -> frozenset[str]:
    names = {"dimensionless", *CURRENCIES}
    for line in _DEFINITIONS.strip().splitlines():
        names.update(p.strip() for p in line.split("=")[:1] + line.split("=")[2:] if p.strip() != "_")
    return frozenset(names)


_KNOWN = _names()
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def check_unit(text: str, what: str) -> None:
    """Raise unless every name in ``text`` is a unit of the registry (no pint needed).

    Parameters
    ----------
    text
        A unit as written, e.g. ``"USD/1M tokens"``.
    what
        Starts the error message (the file and table).

    Returns
    -------
    None

    Raises
    ------
    SpecError
        One line naming the unknown name and the units the registry knows.
    """
    known = _KNOWN
    for word in re.findall(r"[A-Za-z_]\w*", _NUMBER.sub(" ", canonical(text))):
        if word not in known:
            raise SpecError(f"{what} unit = {text!r}: {word} is not a unit mcrisk knows; units: s, minute, hour, "
                            "day, week, month, year, token, Mtok, GPU, GPU-hour, GPU-year, node, kW, kWh, %, 1M (a "
                            "million), 1K, currencies "
                            f"{', '.join(CURRENCIES)}")


def same_unit(a: str, b: str) -> bool:
    """Whether two units are spelled alike (after :func:`canonical`), needing no pint at all.

    Parameters
    ----------
    a, b
        Units as written.

    Returns
    -------
    bool
    """
    return canonical(a) == canonical(b)


def is_currency(code: str) -> bool:
    """Whether ``code`` is a currency the registry knows (see :data:`CURRENCIES`).

    Parameters
    ----------
    code
        A currency code, e.g. ``"CNY"``.

    Returns
    -------
    bool
    """
    return code in CURRENCIES


@functools.cache
def registry() -> Any:
    """The project's :class:`pint.UnitRegistry`: time, token, Mtok, GPU, GPU_hour, node, currencies.

    Built from nothing (no default definitions), so ``K`` is no kelvin and ``M`` no molar:
    only the units of this module's definitions exist.

    Returns
    -------
    pint.UnitRegistry
        Built once per process.
    """
    import pint  # heavy (about 0.5 s): imported only when two units differ as written

    ureg = pint.UnitRegistry(None)
    for line in _DEFINITIONS.strip().splitlines():
        ureg.define(line)
    for code in CURRENCIES:
        ureg.define(f"{code} = [currency_{code}]")
    return ureg


@dataclass(frozen=True)
class Conversion:
    """How a value in one unit becomes a value in another: ``wanted = factor * given``.

    Attributes
    ----------
    given, wanted : str
        The units as written.
    factor : float
        The multiplier, exchange rates included.
    rates : tuple of (str, float)
        The exchange rates used: currency code and its value in the wanted currency.
    """

    given: str
    wanted: str
    factor: float
    rates: tuple[tuple[str, float], ...] = ()

    def describe(self) -> str:
        """E.g. ``USD/1K tokens -> USD/1M tokens: x 1,000``, with any exchange rate used."""
        rates = "".join(f", 1 {c} = {r:.6g} {self.wanted_currency}" for c, r in self.rates)
        return f"{self.given} -> {self.wanted}: x {format_number(self.factor, 'factor')}{rates}"

    @property
    def wanted_currency(self) -> str:
        """The currency code of ``wanted`` (``""`` when it names none)."""
        return next((c for c in CURRENCIES if re.search(rf"\b{c}\b", self.wanted)), "")


def _parse(text: str, what: str) -> Any:
    import pint  # the registry's errors; pint is already imported by registry()

    ureg = registry()
    try:
        q = ureg.parse_expression(canonical(text))
    except pint.UndefinedUnitError as err:
        raise SpecError(f"{what} {text!r}: {err.unit_names[0] if err.unit_names else 'a name'!s} is "
                        "not a unit mcrisk knows; units: s, minute, hour, day, week, month, year, token, Mtok, "
                        "GPU, GPU-hour, GPU-year, node, kW, kWh, %, 1M (a million), 1K, currencies "
                        f"{', '.join(CURRENCIES)}") from None
    except Exception as err:  # pint's parser raises several unrelated types for bad syntax
        raise SpecError(f"{what} {text!r} cannot be read ({err.__class__.__name__}); write it like "
                        "\"USD/1M tokens\" or \"tokens/s\"") from None
    return q if isinstance(q, ureg.Quantity) else ureg.Quantity(q)


def conversion(given: str, wanted: str, *, fx: Mapping[str, float] | None = None,
               what: str = "") -> Conversion:
    """The factor that turns a value in unit ``given`` into one in unit ``wanted``.

    Parameters
    ----------
    given
        The unit the value is written in (a prior's ``unit``).
    wanted
        The unit the model expects (its input's unit, the study's currency filled in).
    fx
        Exchange rates: currency code -> the value of one unit of it in ``wanted``'s currency,
        e.g. ``{"CNY": 0.139}`` for a USD study.
    what
        Names the input in error messages, e.g. ``"studies/x.toml: [gpu_hour_price]"``.

    Returns
    -------
    Conversion
        With ``factor`` such that ``value_wanted = factor * value_given``.

    Raises
    ------
    SpecError
        One line naming both units and the input when they measure different things, or a
        currency has no exchange rate in ``fx``.

    Notes
    -----
    With ``c`` the currencies of ``given`` other than ``wanted``'s, each at power ``k_c``,
    ``factor = (given / wanted) * prod_c fx[c]**k_c``, the first ratio taken by pint in the
    project's registry.
    """
    where = f"{what} " if what else ""
    if same_unit(given, wanted):
        return Conversion(given, wanted, 1.0)
    g, w = _parse(given, f"{where}unit"), _parse(wanted, f"{where}model unit")
    ureg = registry()
    have = {d[len("[currency_"):-1]: k for d, k in g.dimensionality.items() if d.startswith("[currency_")}
    need = {d[len("[currency_"):-1] for d in w.dimensionality if d.startswith("[currency_")}
    rates = []
    for code, power in have.items():
        if code in need or not need:
            continue
        target = next(iter(need))
        rate = (fx or {}).get(code)
        if rate is None:
            raise SpecError(f"{where}unit {given!r} is in {code} but the model wants {wanted!r}: add an "
                            f"exchange rate, [fx] {code} = <value of 1 {code} in {target}>")
        rates.append((code, float(rate)))
        g = g * (float(rate) * ureg(target) / ureg(code)) ** power
    try:
        # 12 significant digits: the registry's powers of ten are exact, their float ratios not quite.
        factor = float(f"{float((g / w).to('dimensionless').magnitude):.12g}")
    except Exception:  # pint.DimensionalityError: different dimensions
        raise SpecError(f"{where}unit {given!r} cannot be converted to the model's {wanted!r}: they measure "
                        f"different things ({g.dimensionality} vs {w.dimensionality})") from None
    if not math.isfinite(factor) or factor <= 0:
        raise SpecError(f"{where}unit {given!r} -> {wanted!r} gives the factor {factor!r}; it must be a "
                        "positive finite number")
    return Conversion(given, wanted, factor, tuple(rates))


_COUNTS = re.compile(r"(?<![\w.])1\s*([kKMB])\s*(?:tokens?|toks?)\b")


def pint_units(text: str) -> str | None:
    """A unit as pint writes it in the project's registry (what ``results.nc`` records), or None.

    Parameters
    ----------
    text
        A unit as the model or a priors file writes it, e.g. ``"USD/1M tokens"``.

    Returns
    -------
    str or None
        E.g. ``"USD / Mtok"``, ``"token / day"``, ``"dimensionless"``: a string
        ``registry().parse_units`` reads back (so pint-xarray's ``quantify`` with
        ``unit_registry=mcrisk.core.units.registry()`` reads ``results.nc``); None when the text
        names a unit the registry does not know.

    Examples
    --------
    >>> pint_units("USD/1M tokens")
    'USD / Mtok'
    """
    expr = canonical(_COUNTS.sub(lambda m: {"k": "ktok", "K": "ktok", "M": "Mtok", "B": "Btok"}[m[1]], text))
    try:
        return str(registry().parse_units(expr))
    except Exception:  # undefined or with a number in it: pint's parser raises several types
        return None


def with_pint_units(ds: Any) -> Any:
    """A shallow copy of a Dataset whose ``units`` attrs pint reads, the written ones kept as ``units_label``.

    Parameters
    ----------
    ds
        An :class:`xarray.Dataset` (results over ``sample``).

    Returns
    -------
    xarray.Dataset
        Each variable with a ``units`` that :func:`pint_units` maps gets that as ``units`` and
        its original as ``units_label``; attr ``units_registry`` names the registry.
    """
    out = ds.copy(deep=False)
    for name, var in ds.variables.items():
        label = var.attrs.get("units")
        if isinstance(label, str) and label and (parsed := pint_units(label)) is not None:
            out[name].attrs = {**var.attrs, "units": parsed, "units_label": label}
    out.attrs = {**ds.attrs, "units_registry": "pint, mcrisk.core.units.registry() (token, Mtok, GPU, GPU_hour, "
                                               "node, one dimension per currency)"}
    return out
