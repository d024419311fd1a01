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

Every value is checked when it is loaded; a bad one raises :class:`~mcrisk.core.errors.SpecError`
naming the file, the table, the key, the value and what is allowed. The :class:`Prior` and
:class:`Priors` built here are defined in :mod:`mcrisk.spec.priorspec`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from mcrisk.distributions.copula import copula_factor
from mcrisk.distributions.correlations import Correlation, parse_correlations
from mcrisk.core.errors import SpecError, shorten
from mcrisk.distributions.families import ParamError, family_names, freeze, resolve_family
from mcrisk.spec.priorspec import Prior, Priors
from mcrisk.core.tomlfile import TomlReader, is_study, read_toml
from mcrisk.core.validate import check_keys, finite_number, show_key
from mcrisk.core.warned import guarded_warnings

# Prior and Priors (mcrisk.spec.priorspec), Correlation, parse_correlations (mcrisk.distributions.correlations) and
# read_toml (mcrisk.core.tomlfile) are importable from here too.
__all__ = ["Correlation", "LoadMemo", "Prior", "Priors", "check_copula", "load_priors", "parse_correlations", "parse_prior", "priors_from_dict",
           "priors_text", "read_toml", "with_spread"]

_META_KEYS = ("unit", "source", "note", "base", "label", "spread")
_TOP_LEVEL = ("currency", "description", "correlation")
#: Probabilities at which every prior's inverse CDF is checked at load: the extreme draws of
#: the designs (2**-54 and 1 - 2**-53), the far tails and the median. The values there must be
#: finite and non-decreasing, and differ at the ends for any family but ``constant``.
PROBE = (2.0**-54, 1e-9, 1e-3, 0.5, 1 - 1e-3, 1 - 1e-9, 1 - 2.0**-53)


@dataclass
class LoadMemo:
    """What one load of a study has read and computed, so nothing is done twice.

    Attributes
    ----------
    read : TomlReader
        Reads each TOML file once.
    copulas : set
        ``(correlations, uncertain inputs)`` already factored into a correlation matrix.
    probes : dict
        ``(family, parameters)`` -> the inverse CDF at :data:`PROBE`, checked.
    """

    read: TomlReader = field(default_factory=TomlReader)
    copulas: set = field(default_factory=set)
    probes: dict = field(default_factory=dict)


def _from_interval(fam, spec: dict[str, Any], interval: dict[str, Any], where: str) -> None:
    """``spec`` given its family's parameters from a 90% interval ``interval`` (p05, p95), checked first."""
    if fam.interval is None:
        raise SpecError(
            f"{where} {next(iter(interval))} = {shorten(next(iter(interval.values())))} is not a "
            f"parameter of {fam.name}; a 90% interval (p05, p95) is allowed for lognormal, "
            "loguniform, normal, uniform"
        )
    for k in ("p05", "p95"):
        if k not in interval:
            raise SpecError(f"{where} {k} is missing; a 90% interval needs both p05 and p95")
        finite_number(where, k, interval[k])
    if clash := [k for k in fam.required if k in spec]:
        raise SpecError(f"{where} {clash[0]} = {shorten(spec[clash[0]])} cannot be given with p05 and p95")
    if not interval["p05"] < interval["p95"]:
        raise SpecError(f"{where} p95 = {shorten(interval['p95'])} must be greater than p05 = {shorten(interval['p05'])}")
    if fam.name in ("lognormal", "loguniform") and not interval["p05"] > 0:
        raise SpecError(f"{where} p05 = {shorten(interval['p05'])} must be > 0 for {fam.name}")
    try:
        converted = fam.interval(float(interval["p05"]), float(interval["p95"]))
    except OverflowError:
        converted = {"": math.inf}
    if not all(math.isfinite(v) for v in converted.values()):
        raise SpecError(f"{where} p05 = {shorten(interval['p05'])}, p95 = {shorten(interval['p95'])} are too far apart "
                        f"for {fam.name}: its parameters would not be finite numbers")
    spec.update(converted)


def parse_prior(name: str, spec: Any, *, file: str, table: str | None = None,
                memo: LoadMemo | None = None) -> Prior:
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

    Returns
    -------
    Prior
        The checked prior, with the entry's ``unit``, ``source`` and ``note`` (if given).

    Raises
    ------
    SpecError
        If the entry's family, parameters or metadata are not allowed, or its inverse CDF
        fails the probe below; the message names ``file``, the table, the key and the value.

    Notes
    -----
    Besides its parameters, every prior's inverse CDF is evaluated at :data:`PROBE`: the
    values must be finite and non-decreasing, and a family other than ``constant`` must not
    give the same value at both ends (all its draws would be equal: a constant in disguise).
    """
    label = table or f"{show_key(name)}"
    where = f"{file}: [{label}]"
    if not isinstance(spec, dict):
        value = finite_number(f"{file}:", label, spec)
        return Prior(name, "constant", MappingProxyType({"value": value}), dist=resolve_family("constant").build({"value": value}))
    spec = dict(spec)
    dist_name = spec.pop("dist", "constant" if "value" in spec else None)
    if dist_name is None:
        raise SpecError(f"{where} dist is missing; give a family ({family_names()}) or a value")
    if not isinstance(dist_name, str) or (fam := resolve_family(dist_name)) is None:
        raise SpecError(f"{where} dist = {shorten(dist_name)} is not a family; known: {family_names()}")
    meta = {k: spec.pop(k) for k in _META_KEYS if k in spec}
    for k in ("unit", "source", "note", "label"):
        if k in meta and not isinstance(meta[k], str):
            raise SpecError(f"{where} {k} = {shorten(meta[k])} must be a string")

    interval = {k: spec.pop(k) for k in ("p05", "p95") if k in spec}
    spec_keys = set(spec)  # the parameters given, not made from p05 and p95
    if interval:
        _from_interval(fam, spec, interval, where)

    check_keys(spec, (*fam.required, *fam.optional, *(("p05", "p95") if fam.interval else ()), *_META_KEYS), where)
    for k in fam.required:
        if k not in spec:
            raise SpecError(f"{where} {k} is missing; {fam.name} needs {', '.join(fam.required)}")
    params: dict[str, Any] = {**fam.optional, **spec}
    for k, v in params.items():
        if v is not None and k not in ("values", "weights", "quantiles"):
            params[k] = finite_number(where, k, v)
    # Extreme parameters overflow inside numpy and scipy: the checks below catch the result,
    # so their warnings would only repeat it (and a warning line would break the one-line error).
    with guarded_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            fam.check(params)
        except ParamError as err:
            shown = err.key if err.value is None else f"{err.key} = {shorten(err.value)}"  # None: key absent
            if interval and err.key not in spec_keys:  # a parameter made from p05 and p95: name those
                raise SpecError(f"{where} p05 = {shorten(interval['p05'])}, p95 = {shorten(interval['p95'])} "
                                f"give {fam.name} {shown}, which {err.problem}") from None
            raise SpecError(f"{where} {shown} {err.problem}") from None
        dist = freeze(fam, params)
        prior = Prior(name, fam.name, MappingProxyType(params), unit=meta.get("unit", ""),
                      source=meta.get("source", ""), note=meta.get("note", ""), dist=dist,
                      label=meta.get("label", ""), spread=_spread(meta, fam.name, where))
        key = (fam.name, repr(sorted(params.items())), prior.spread)
        probe = memo.probes.get(key) if memo is not None else None
        if probe is None:  # the same distribution referenced twice is probed once
            given = f"{fam.name}(p05={interval['p05']!r}, p95={interval['p95']!r})" if interval else None
            probe = _check_quantiles(prior, where, given)
            if memo is not None:
                memo.probes[key] = probe
        prior = replace(prior, probe=probe)
    if "base" in meta:
        base = finite_number(where, "base", meta["base"])
        lo, hi = dist.support()
        if not lo <= base <= hi:
            raise SpecError(f"{where} base = {shorten(meta['base'])} must lie in the support [{lo:g}, {hi:g}]")
        prior = replace(prior, base=base)
    return prior


def _spread(meta: dict[str, Any], family: str, where: str) -> float:
    """The entry's ``spread`` (default 1): a finite number > 0, for a distribution, not a constant."""
    if "spread" not in meta:
        return 1.0
    k = finite_number(where, "spread", meta["spread"])
    if family == "constant":
        raise SpecError(f"{where} spread = {shorten(meta['spread'])} scales a distribution's spread; a constant has none")
    if not k > 0:
        raise SpecError(f"{where} spread = {shorten(meta['spread'])} must be > 0 (1 keeps the spread as it is)")
    return k


def with_spread(prior: Prior, spread: Any, *, where: str) -> Prior:
    """``prior`` with its spread scaled by ``spread`` about its median, checked as the ``spread`` key is.

    The same prior as an entry with ``spread = k`` gives (:attr:`Prior.spread`), ``scale`` and
    every other field kept; a spread already given is replaced, not multiplied.

    Raises
    ------
    SpecError
        For a spread that is not a finite number > 0, a constant, or a spread whose draws are
        not finite (its probe, as at load).
    """
    k = _spread({"spread": spread}, prior.family, where)
    plain = replace(prior, spread=k, scale=1.0)
    with guarded_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        probe = _check_quantiles(plain, where)
    return replace(prior, spread=k, probe=probe)


def _check_quantiles(prior: Prior, where: str, given: str | None = None) -> tuple[float, ...]:
    """Refuse a prior whose inverse CDF at :data:`PROBE` is not finite, not monotone, or constant.

    Returns the inverse CDF at :data:`PROBE`, kept as :attr:`Prior.probe` so that no later
    check evaluates it again.

    Parameters that pass their family's checks can still be too large for doubles
    (``normal(mean=1e308, sd=1e308)``, ``uniform(-1e308, 1e308)``: high - low overflows) or so
    narrow that every draw is one number (``beta(a=1e300, b=1e300)``); either would only show
    after the whole run, as NaN results or a failed rank correlation. ``given``: the entry as
    the user wrote it, where that is not its parameters (a 90% interval).
    """
    shown = given or prior.describe()
    shown = shown if len(shown) <= 120 else f"{shown[:57]} ... {shown[-58:]}"
    try:
        x = np.asarray(prior.ppf(np.array(PROBE), few=True), dtype=float)
    except (ArithmeticError, ValueError) as exc:
        raise SpecError(f"{where} {shown}: its inverse CDF cannot be evaluated ({exc.__class__.__name__}); "
                        "choose parameters of a smaller magnitude") from None
    if x.shape != (len(PROBE),) or not np.isfinite(x).all():
        i = int(np.argmin(np.isfinite(x))) if x.shape == (len(PROBE),) else 0
        raise SpecError(f"{where} {shown} has draws that are not finite numbers (its inverse CDF at "
                        f"probability {PROBE[i]:.3g} is {x.flat[i] if x.size else 'missing'}); choose parameters "
                        "whose quantiles are finite doubles")
    if (np.diff(x) < 0).any():
        raise SpecError(f"{where} {shown}: its inverse CDF decreases between probabilities "
                        f"{', '.join(f'{p:.3g}' for p in PROBE)} ({', '.join(f'{v:.6g}' for v in x)}); "
                        "its parameters are beyond what floating point can sample")
    if not np.isfinite(x[-1] - x[0]):
        raise SpecError(f"{where} {shown} spans {x[0]:g} to {x[-1]:g}, a range wider than the largest "
                        "double (its width overflows); choose parameters of a smaller magnitude")
    if not prior.is_constant and x[0] == x[-1]:
        raise SpecError(f"{where} {shown} draws the same value {x[0]:.17g} every time; give it as a "
                        f"constant (value = {x[0]:.17g}) or widen it")
    lo, hi = PROBE.index(0.001), PROBE.index(0.999)
    if prior.family != "discrete" and not prior.is_constant and x[lo] == x[hi]:
        raise SpecError(f"{where} {shown} puts at least 99.8% of its draws on the single value {x[lo]:.17g} "
                        "(its P0.1 and P99.9 are equal); give it as a constant or widen it")
    return tuple(float(v) for v in x)


def priors_text(priors: Priors) -> str:
    """The text of every file ``priors`` came from, each under a ``# path`` line (for provenance).

    Parameters
    ----------
    priors
        The priors, with the ``texts`` of their files.

    Returns
    -------
    str
        The texts, separated by blank lines; ``""`` when ``priors`` has none.
    """
    return "\n\n".join(f"# {path}\n{text}" for path, text in priors.texts)


def check_copula(priors: Priors, where: str, memo: LoadMemo | None = None) -> None:
    """Raise unless ``priors``' correlations make a correlation matrix (:func:`copula_factor`).

    ``memo`` remembers the (correlations, uncertain inputs) pairs already found good within
    one load, so a study whose priors file holds every correlation factors the matrix once.
    """
    key = (priors.correlations, priors.uncertain)
    if not priors.correlations or (memo is not None and key in memo.copulas):
        return
    try:
        copula_factor(priors.correlations, priors.uncertain)
    except SpecError as err:
        raise SpecError(f"{where}: {err}") from None
    if memo is not None:
        memo.copulas.add(key)


def load_priors(path: str | Path, *, memo: LoadMemo | None = None) -> Priors:
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
    data, text = (memo.read if memo is not None else read_toml)(path)
    return priors_from_dict(data, file=str(path), text=text, memo=memo)


def priors_from_dict(data: Mapping[str, Any], *, file: str, text: str = "", memo: LoadMemo | None = None) -> Priors:
    """Build :class:`Priors` from an already parsed priors table (see :func:`load_priors`).

    Parameters
    ----------
    data
        The parsed table: ``currency``, ``description``, ``correlation`` and one table (or
        number) per input.
    file
        The file's name, to start error messages and to record with ``text``.
    text
        The file's text, kept for provenance; ``""`` keeps none.
    memo
        What this load has read and computed already (:class:`LoadMemo`).

    Returns
    -------
    Priors
        The checked priors.

    Raises
    ------
    SpecError
        If ``data`` is a study file, ``currency`` or ``description`` is malformed, an entry is
        not a number or a table, a prior or a correlation is invalid, there are no inputs, or the
        correlations cannot be a correlation matrix.
    """
    if is_study(data):
        raise SpecError(f"{file}: is a study file (it names a model, priors, samples or a title), not a "
                        "priors file")
    currency = data.get("currency")
    if currency is not None and not (isinstance(currency, str) and currency.strip()):
        raise SpecError(f"{file}: currency = {shorten(currency)} must be a currency code such as \"USD\"")
    if not isinstance(data.get("description", ""), str):
        raise SpecError(f"{file}: description = {shorten(data['description'])} must be a string")
    entries = {}
    for name, spec in data.items():
        if name in _TOP_LEVEL:
            continue
        if not isinstance(spec, dict | int | float) or isinstance(spec, bool):
            raise SpecError(f"{file}: {show_key(name)} = {shorten(spec)} must be a number or a table; "
                            f"top-level keys: {', '.join(_TOP_LEVEL)} or one table per input")
        entries[name] = parse_prior(name, spec, file=file, memo=memo)
    if not entries:
        raise SpecError(f"{file}: has no inputs; a priors file has one table (or number) per model input, "
                        "e.g. [gpu_hour_price] dist = \"triangular\", low = 1.5, mode = 2.0, high = 3.5")
    correlations = parse_correlations(data.get("correlation", []), file=file, names=entries)
    priors = Priors(MappingProxyType(entries), currency=currency, correlations=correlations,
                    texts=((file, text),) if text else ())
    check_copula(priors, file, memo)  # a contradictory matrix is a bad file, found at load, not at sampling
    return priors
