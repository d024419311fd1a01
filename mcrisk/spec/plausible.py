"""Plausible ranges of the built-in inputs: a prior far outside the public record is a likely unit slip.

Besides its hard domain (:class:`mcrisk.models.Var`), each input of ``maas``, ``maas_hourly``,
``maas_monthly`` and ``gpu_hour_cost`` has a plausible range from the published figures, each with
its source, in ``mcrisk/models/data/plausible.toml`` (listed in docs/models.md). A prior whose median lies more
than :data:`FACTOR` times beyond it is more likely a slip than a forecast, and
:func:`plausibility` says which slip: ``decode_tps_per_node: median 1e+09 tokens/s is 10^5 times
the highest published decode throughput (14,800 tokens/s, DeepSeek 2025): tokens per day given as
tokens per second?``. ``mcrisk check`` and ``mcrisk run`` print these as warnings;
``--strict`` makes the first an error.

Which paths check: loading a study (:func:`mcrisk.spec.studyfile.load_study`, hence ``mcrisk check
STUDY``, ``mcrisk run`` and every command that runs a study), a ``--set`` value, and ``mcrisk check
PRIORS.toml`` on a priors file alone (:func:`check_plausible_priors`: the entries named as inputs
of the built-in models, in the file's currency). :func:`mcrisk.simulate` does not: it is the
numerical core, and runs whatever priors it is given.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType, SimpleNamespace
from typing import Any

import numpy as np

from mcrisk.core.errors import MCRiskWarning, SpecError
from mcrisk.core.warned import warn
from mcrisk.models import MODELS
from mcrisk.spec.conform import conform_priors
from mcrisk.spec.priorspec import Priors

__all__ = ["BUILT_IN", "FACTOR", "PLAUSIBLE", "check_plausible", "check_plausible_priors", "plausibility",
           "plausible_ranges", "plausible_table"]

#: The models whose inputs have plausible ranges: a priors file alone is checked against their inputs.
BUILT_IN = ("maas", "maas_hourly", "maas_monthly", "gpu_hour_cost")

#: The file of the ranges, with a source for every number.
PLAUSIBLE = Path(__file__).resolve().parents[1] / "models" / "data" / "plausible.toml"


@cache
def plausible_ranges() -> dict[str, Any]:
    """The parsed ``plausible.toml``: ``factor``, ``fx``, ``shares`` and one table per input."""
    with open(PLAUSIBLE, "rb") as f:
        return tomllib.load(f)


#: How far beyond its range (a ratio) a median must lie to be flagged: 10 (see plausible.toml).
FACTOR: float = float(plausible_ranges()["factor"])


def _times(a: float, b: float) -> str:
    """How many times ``a`` is ``b`` (both > 0): ``30 times`` below 100, ``10^5 times`` from 100 on.

    In logarithms, so a ratio beyond the largest double (a median of 1e-311) is still a number.
    """
    exponent = math.log10(a) - math.log10(b)
    return f"{10 ** exponent:.0f} times" if exponent < 2 else f"10^{round(exponent)} times"


def _rate(unit: str, currency: str | None) -> float | None:
    """The factor from the file's USD to the study's currency; None: not checked (no sourced rate)."""
    if "{currency}" not in unit:
        return 1.0
    if currency == "USD":
        return 1.0
    rate = plausible_ranges()["fx"].get(currency)
    return float(rate) if isinstance(rate, int | float) else None


def _slip(name: str, median: float, unit: str, entry: Mapping[str, Any], rate: float) -> str | None:
    """The message for one input's median, or None if within FACTOR of its range (or <= 0: taken as meant)."""
    high, low = entry.get("high"), entry.get("low")
    if high is not None and median > FACTOR * high * rate:
        bound, cite, hint = high * rate, entry["high_cite"], entry.get("above")
        where = f"{_times(median, bound)} the highest"
    elif low is not None and 0 < median < low * rate / FACTOR:
        bound, cite, hint = low * rate, entry["low_cite"], entry.get("below")
        where = f"{_times(bound, median)} below the lowest"
    else:
        return None
    shown = f"{bound:,.6g}" if rate == 1.0 else f"{bound:,.3g}"
    head = f"{name}: median {median:.6g} {unit} is {where} published {entry['what']} ({shown} {unit}, {cite})"
    return f"{head}: {hint}" if hint else f"{head}; check its unit"


def plausibility(model: Callable, priors: Priors, *, currency: str | None) -> list[str]:
    """One line per prior whose median lies more than :data:`FACTOR` times beyond its plausible range.

    Parameters
    ----------
    model
        The model (its ``inputs``); only inputs with a range in ``plausible.toml`` and the same
        unit there are checked (a file model reusing a name in another unit is not).
    priors
        The priors, conformed to the model's units (:func:`mcrisk.spec.conform.conform_priors`);
        an input an uncertain exchange rate converts inside the model call is not checked.
    currency
        The study's currency; money inputs are checked in USD and CNY only.

    Returns
    -------
    list of str
        ``"decode_tps_per_node: median 1e+09 tokens/s is 10^5 times the highest published decode
        throughput (14,800 tokens/s, DeepSeek 2025): tokens per day given as tokens per second?"``.
    """
    declared = getattr(model, "inputs", None) or {}
    ranges, own = plausible_ranges(), set(getattr(model, "converted", None) or ())
    lines = []
    for name, prior in priors.items():
        var, entry = declared.get(name), ranges.get(name)
        if var is None or not isinstance(entry, dict) or name in own or not var.unit:
            continue
        if var.unit.replace("{currency}", "USD") != entry.get("unit") or (rate := _rate(var.unit, currency)) is None:
            continue
        median = float(np.asarray(prior.ppf(np.array([0.5]), few=True), dtype=float)[0])
        if math.isfinite(median) and (line := _slip(name, median, var.unit_in(currency) if currency else var.unit,
                                                    entry, rate)) is not None:
            lines.append(line)
    return lines


def check_plausible(model: Callable, priors: Priors, *, currency: str | None, at: Callable[[str], str],
                    strict: bool) -> None:
    """Warn (``strict``: raise) for each prior :func:`plausibility` flags.

    Parameters
    ----------
    model, priors, currency
        As for :func:`plausibility`.
    at
        ``at(name)`` starts the line: ``"studies/x.toml: [decode_tps_per_node]"``,
        ``"--set decode_tps_per_node=1e+09:"``.
    strict
        Raise a one-line SpecError for the first, instead of warning.

    Warns
    -----
    MCRiskWarning
        ``{at(name)} median ... ?``, once per flagged prior.

    Raises
    ------
    SpecError
        With ``strict``, the first such line, ending ``(--strict)``.
    """
    for line in plausibility(model, priors, currency=currency):
        name, _, rest = line.partition(": ")
        text = f"{at(name)} {rest}"
        if strict:
            raise SpecError(f"{text} (--strict)")
        warn(text, MCRiskWarning, stacklevel=3)


def check_plausible_priors(priors: Priors, *, at: Callable[[str], str], strict: bool) -> None:
    """``mcrisk check PRIORS.toml``: :func:`check_plausible` with no model, for a priors file alone.

    The entries named as inputs of the built-in models (:data:`BUILT_IN`, which spell a shared
    name in one unit) are checked, each in its model unit and the file's ``currency`` (money
    without one is not checked, as in a study). An entry whose unit does not convert to its
    input's, or that leaves its input's domain, is not this check's to judge: a study that uses
    the file refuses it in its own words; it is skipped here.

    Parameters
    ----------
    priors
        The file's priors (:func:`mcrisk.spec.priors.load_priors`).
    at, strict
        As for :func:`check_plausible`.
    """
    inputs: dict[str, Any] = {}
    for ref in BUILT_IN:
        inputs = {**MODELS[ref].inputs, **inputs}
    model, currency = SimpleNamespace(inputs=inputs), priors.currency
    for name, prior in priors.items():
        if name not in inputs:
            continue
        one = Priors(MappingProxyType({name: prior}), currency=currency)
        try:
            one = conform_priors(model, one, currency=currency, where=at(name)).priors
        except SpecError:
            continue
        check_plausible(model, one, currency=currency, at=at, strict=strict)


def plausible_table() -> str:
    """The markdown table of the plausible ranges (docs/models.md): input, unit, low, high, sources.

    Returns
    -------
    str
        One row per input with a range table in ``plausible.toml``, in the file's order; a final newline.
    """
    rows = ["| input | unit | low | high | sources |", "| --- | --- | --- | --- | --- |"]
    for name, entry in plausible_ranges().items():
        if not isinstance(entry, dict) or "unit" not in entry:
            continue
        low, high = (f"{entry[k]:,.6g}" if k in entry else "none" for k in ("low", "high"))
        sources = f"low: {entry['low_source']}; high: {entry['high_source']}"
        rows.append(f"| `{name}` | {entry['unit']} | {low} | {high} | {sources} |")
    return "\n".join(rows) + "\n"
