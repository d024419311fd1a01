"""Priors: one validated, immutable distribution per uncertain input, read from TOML.

A priors file has one table per input; a bare number is a constant::

    currency = "USD"

    [gpu_hour_price]
    dist = "triangular"
    low = 1.5
    mode = 2.0
    high = 3.5
    unit = "USD/GPU-hour"
    source = "DeepSeek inference system overview, 2025-03-01"

    [[correlation]]
    between = ["decode_tps_per_node", "prefill_tps_per_node"]
    rank = 0.8

Every value is checked when it is loaded; a bad one raises :class:`~mcrisk.errors.SpecError`
naming the file, the table, the key, the value and what is allowed.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from .copula import copula_factor
from .errors import SpecError
from .families import ParamError, family_names, resolve_family

__all__ = ["Correlation", "Prior", "Priors", "load_priors", "parse_prior", "read_toml"]

_META_KEYS = ("unit", "source", "note", "base")
_TOP_LEVEL = ("currency", "description", "correlation")


def read_toml(path: str | Path) -> tuple[dict[str, Any], str]:
    """Read a TOML file, turning a missing file or bad syntax into a one-line SpecError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: is not valid TOML: {exc}") from None


@dataclass(frozen=True)
class Prior:
    """One input's distribution, with its unit and source.

    Attributes
    ----------
    name : str
        The model input it feeds.
    family : str
        The family name (``"pert"``, ``"lognormal"``, ...; see :mod:`mcrisk.families`).
    params : Mapping[str, Any]
        The family's own parameters, after a 90% interval has been converted.
    unit, source, note : str
        Shown in reports and the assumptions table.
    base : float or None
        The value a tornado holds this input at; ``None`` means the median.
    dist : object
        The frozen scipy.stats distribution (or an equivalent for ``constant``/``discrete``).
    """

    name: str
    family: str
    params: Mapping[str, Any]
    unit: str = ""
    source: str = ""
    note: str = ""
    base: float | None = None
    dist: Any = field(default=None, compare=False, repr=False)

    @property
    def is_constant(self) -> bool:
        """True for a ``constant`` prior, which is never a sensitivity factor."""
        return self.family == "constant"

    @property
    def base_value(self) -> float:
        """The value held in a tornado: ``base`` if given, else the median."""
        return float(self.base) if self.base is not None else float(self.dist.median())

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF at probabilities ``u`` (exact closed form where the family has one)."""
        fam = resolve_family(self.family)
        if fam is not None and fam.ppf is not None:
            return fam.ppf(self.params, np.asarray(u, dtype=float))
        return np.asarray(self.dist.ppf(u), dtype=float)

    def describe(self) -> str:
        """The distribution as one short string, e.g. ``triangular(low=1.5, mode=2, high=3.5)``."""
        if self.is_constant:
            return f"{self.params['value']:g}"
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self.params.items() if v is not None)
        return f"{self.family}({args})"


def _fmt(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return f"{v:g}" if isinstance(v, float | int) else str(v)


@dataclass(frozen=True)
class Correlation:
    """A target Spearman rank correlation between two uncertain inputs."""

    a: str
    b: str
    rank: float


@dataclass(frozen=True)
class Priors(Mapping[str, Prior]):
    """An immutable, ordered collection of priors: a mapping from input name to :class:`Prior`.

    Attributes
    ----------
    entries : Mapping[str, Prior]
    currency : str or None
        The currency every money value is in (``"USD"``, ``"CNY"``).
    correlations : tuple of Correlation
        Rank correlations between uncertain inputs, imposed when sampling.
    texts : tuple of (str, str)
        ``(path, file text)`` of every file the priors came from, kept for provenance.
    """

    entries: Mapping[str, Prior]
    currency: str | None = None
    correlations: tuple[Correlation, ...] = ()
    texts: tuple[tuple[str, str], ...] = ()

    def __getitem__(self, name: str) -> Prior:
        return self.entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def uncertain(self) -> tuple[str, ...]:
        """Names of the inputs that are not constants, in order."""
        return tuple(k for k, p in self.entries.items() if not p.is_constant)

    def merged(self, other: Priors) -> Priors:
        """These priors with ``other``'s entries, currency and correlations taking precedence."""
        pairs = {frozenset((c.a, c.b)): c for c in self.correlations + other.correlations}
        return Priors(
            MappingProxyType({**self.entries, **other.entries}),
            currency=other.currency or self.currency,
            correlations=tuple(pairs.values()),
            texts=self.texts + other.texts,
        )

    def subset(self, names: tuple[str, ...] | list[str]) -> Priors:
        """Only the named entries, and the correlations among them."""
        keep = set(names)
        return Priors(
            MappingProxyType({k: v for k, v in self.entries.items() if k in keep}),
            currency=self.currency,
            correlations=tuple(c for c in self.correlations if {c.a, c.b} <= keep),
            texts=self.texts,
        )


def _number(where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{where} {key} = {value!r} must be a number")
    if not math.isfinite(value):
        raise SpecError(f"{where} {key} = {value!r} must be a finite number")
    return float(value)


def parse_prior(name: str, spec: Any, *, file: str, table: str | None = None) -> Prior:
    """Check one entry of a priors file (a number or a table) and build its :class:`Prior`.

    Parameters
    ----------
    name
        The input name.
    spec
        A bare number (a constant) or the entry's table.
    file
        The file it came from, for error messages.
    table
        The table name shown in errors (default ``name``; studies pass ``inputs.NAME``).
    """
    where = f"{file}: [{table or name}]"
    if not isinstance(spec, dict):
        value = _number(f"{file}:", table or name, spec)
        return Prior(name, "constant", MappingProxyType({"value": value}), dist=resolve_family("constant").build({"value": value}))
    spec = dict(spec)
    dist_name = spec.pop("dist", "constant" if "value" in spec else None)
    if dist_name is None:
        raise SpecError(f"{where} dist is missing; give a family ({family_names()}) or a value")
    if not isinstance(dist_name, str) or (fam := resolve_family(dist_name)) is None:
        raise SpecError(f"{where} dist = {dist_name!r} is not a family; known: {family_names()}")
    meta = {k: spec.pop(k) for k in _META_KEYS if k in spec}
    for k in ("unit", "source", "note"):
        if k in meta and not isinstance(meta[k], str):
            raise SpecError(f"{where} {k} = {meta[k]!r} must be a string")

    interval = {k: spec.pop(k) for k in ("p05", "p95") if k in spec}
    if interval:
        if fam.interval is None:
            raise SpecError(
                f"{where} {next(iter(interval))} = {next(iter(interval.values()))!r} is not a "
                f"parameter of {fam.name}; a 90% interval (p05, p95) is allowed for lognormal, "
                "loguniform, normal, uniform"
            )
        for k in ("p05", "p95"):
            if k not in interval:
                raise SpecError(f"{where} {k} is missing; a 90% interval needs both p05 and p95")
            _number(where, k, interval[k])
        if clash := [k for k in fam.required if k in spec]:
            raise SpecError(f"{where} {clash[0]} = {spec[clash[0]]!r} cannot be given with p05 and p95")
        if not interval["p05"] < interval["p95"]:
            raise SpecError(f"{where} p95 = {interval['p95']!r} must be greater than p05 = {interval['p05']!r}")
        if fam.name in ("lognormal", "loguniform") and not interval["p05"] > 0:
            raise SpecError(f"{where} p05 = {interval['p05']!r} must be > 0 for {fam.name}")
        try:
            converted = fam.interval(float(interval["p05"]), float(interval["p95"]))
        except OverflowError:
            converted = {"": math.inf}
        if not all(math.isfinite(v) for v in converted.values()):
            raise SpecError(f"{where} p05 = {interval['p05']!r}, p95 = {interval['p95']!r} are too far apart "
                            f"for {fam.name}: its parameters would not be finite numbers")
        spec.update(converted)

    allowed = (*fam.required, *fam.optional)
    for k in spec:
        if k not in allowed:
            extra = ", p05, p95" if fam.interval else ""
            raise SpecError(
                f"{where} {k} = {spec[k]!r} is not a parameter of {fam.name}; allowed: "
                f"{', '.join(allowed)}{extra}, {', '.join(_META_KEYS)}"
            )
    for k in fam.required:
        if k not in spec:
            raise SpecError(f"{where} {k} is missing; {fam.name} needs {', '.join(fam.required)}")
    params: dict[str, Any] = {**fam.optional, **spec}
    for k, v in params.items():
        if v is not None and k not in ("values", "weights"):
            params[k] = _number(where, k, v)
    try:
        fam.check(params)
    except ParamError as err:
        shown = err.key if err.value is None else f"{err.key} = {err.value!r}"  # None: key absent
        raise SpecError(f"{where} {shown} {err.problem}") from None
    dist = fam.build(params)
    base = None
    if "base" in meta:
        base = _number(where, "base", meta["base"])
        lo, hi = dist.support()
        if not lo <= base <= hi:
            raise SpecError(f"{where} base = {meta['base']!r} must lie in the support [{lo:g}, {hi:g}]")
    return Prior(
        name,
        fam.name,
        MappingProxyType(params),
        unit=meta.get("unit", ""),
        source=meta.get("source", ""),
        note=meta.get("note", ""),
        base=base,
        dist=dist,
    )


def parse_correlations(items: Any, *, file: str, names: Mapping[str, Prior]) -> tuple[Correlation, ...]:
    """Check ``[[correlation]]`` tables against the inputs in ``names``."""
    if not isinstance(items, list):
        raise SpecError(f"{file}: correlation = {items!r} must be an array of tables [[correlation]]")
    seen: dict[frozenset[str], int] = {}
    out = []
    for i, item in enumerate(items, 1):
        where = f"{file}: [[correlation]] #{i}"
        if not isinstance(item, dict):
            raise SpecError(f"{where} = {item!r} must be a table with between and rank")
        if extra := sorted(set(item) - {"between", "rank", "source", "note"}):
            raise SpecError(f"{where} {extra[0]} = {item[extra[0]]!r} is not allowed; allowed: between, rank, source, note")
        between = item.get("between")
        if not (isinstance(between, list) and len(between) == 2 and all(isinstance(x, str) for x in between)):
            raise SpecError(f"{where} between = {between!r} must name two inputs, e.g. [\"a\", \"b\"]")
        a, b = between
        if a == b:
            raise SpecError(f"{where} between = {between!r} must name two different inputs")
        for x in (a, b):
            if x not in names:
                raise SpecError(f"{where} between = {between!r}: {x!r} is not an input here; known: {', '.join(names)}")
            if names[x].is_constant:
                raise SpecError(f"{where} between = {between!r}: {x!r} is a constant; only uncertain inputs can be correlated")
        if "rank" not in item:
            raise SpecError(f"{where} rank is missing; give a Spearman rank correlation in [-1, 1]")
        rank = _number(where, "rank", item["rank"])
        if not -1 <= rank <= 1:
            raise SpecError(f"{where} rank = {item['rank']!r} must lie in [-1, 1]")
        key = frozenset(between)
        if key in seen:
            raise SpecError(f"{where} between = {between!r} repeats the pair of [[correlation]] #{seen[key]}")
        seen[key] = i
        out.append(Correlation(a, b, rank))
    return tuple(out)


def load_priors(path: str | Path) -> Priors:
    """Read and check a priors TOML file.

    Parameters
    ----------
    path
        The file. Top-level keys are ``currency``, ``description``, ``[[correlation]]`` and one
        table (or bare number) per input.

    Returns
    -------
    Priors

    Raises
    ------
    SpecError
        For a missing or malformed file, an unknown family, a missing or bad parameter, or a
        bad correlation; the message names file, key, value and what is allowed.

    Examples
    --------
    >>> priors = load_priors("priors/deepseek-2025-02-27.toml")
    >>> priors["gpu_hour_price"].describe()
    '2'
    """
    data, text = read_toml(path)
    return priors_from_dict(data, file=str(path), text=text)


def priors_from_dict(data: Mapping[str, Any], *, file: str, text: str = "") -> Priors:
    """Build :class:`Priors` from an already parsed priors table (see :func:`load_priors`)."""
    if "model" in data:
        raise SpecError(f"{file}: is a study file (it names a model), not a priors file")
    currency = data.get("currency")
    if currency is not None and not (isinstance(currency, str) and currency.strip()):
        raise SpecError(f"{file}: currency = {currency!r} must be a currency code such as \"USD\"")
    entries = {}
    for name, spec in data.items():
        if name in _TOP_LEVEL:
            continue
        if isinstance(spec, str | list | bool):
            raise SpecError(f"{file}: {name} = {spec!r} must be a number or a table; top-level keys: "
                            f"{', '.join(_TOP_LEVEL)} or one table per input")
        entries[name] = parse_prior(name, spec, file=file)
    correlations = parse_correlations(data.get("correlation", []), file=file, names=entries)
    priors = Priors(MappingProxyType(entries), currency=currency, correlations=correlations,
                    texts=((file, text),) if text else ())
    if correlations:  # a contradictory matrix is a bad file, found at load, not first at sampling
        try:
            copula_factor(priors.correlations, priors.uncertain)
        except SpecError as err:
            raise SpecError(f"{file}: {err}") from None
    return priors
