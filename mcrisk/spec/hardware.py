"""The hardware catalogue: accelerators with their rent, owned cost, memory and throughput curves.

A catalogue (the project's is ``priors/hardware-2026.toml``) holds one table per accelerator::

    [h100]
    label = "NVIDIA H100 SXM 80 GB"
    memory_gb = 80
    gpus_per_node = 8
    source = "[KEY] ..."
    [h100.rent_per_gpu_hour]          # a prior, as in any priors file
    dist = "lognormal"
    p05 = 1.3
    p95 = 3.5
    unit = "USD/GPU-hour"
    source = "[KEY] ..."
    [h100.owned_per_gpu_hour]         # likewise: total cost of ownership per GPU-hour
    [h100.curves.r1_fp8_1k1k]         # any number of named curves
    points = [[42, 133.15], [71, 36.7], [100, 11.65]]   # [tokens/s per user, output tokens/s per GPU]
    source = "[KEY] ..."

A study takes a catalogue prior by reference, ``ref = "../priors/hardware-2026.toml#h100.rent_per_gpu_hour"``
(:func:`mcrisk.spec.priorref.resolve_ref` walks the dotted path), and a curve as ``throughput_curve = "../priors/hardware-2026.toml#h100.curves.r1_fp8_1k1k"``.

:func:`load_catalogue` checks a catalogue (``mcrisk check``), :func:`catalogue_unknown_keys` lists
the source keys no ``SOURCES.md`` holds, and :func:`catalogue_table` is what ``mcrisk describe
hardware`` prints.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.text import aligned
from mcrisk.core.tomlfile import read_toml
from mcrisk.core.validate import check_keys, finite_number, show_key
from mcrisk.spec.bibliography import bibliography, source_keys
from mcrisk.spec.priors import parse_prior
from mcrisk.spec.priorspec import Prior

__all__ = ["Accelerator", "Curve", "DEFAULT_CATALOGUE", "catalogue_table", "catalogue_unknown_keys",
           "is_catalogue", "load_catalogue"]

#: What ``mcrisk describe hardware`` lists, relative to the working folder.
DEFAULT_CATALOGUE = Path("priors") / "hardware-2026.toml"
#: The keys of an accelerator's table; the first five are required.
ENTRY_KEYS = ("label", "memory_gb", "gpus_per_node", "source", "rent_per_gpu_hour", "owned_per_gpu_hour",
              "curves", "note")
_REQUIRED = ENTRY_KEYS[:6]
_COSTS = ("rent_per_gpu_hour", "owned_per_gpu_hour")
_TOP_LEVEL = ("description", "currency")


@dataclass(frozen=True)
class Curve:
    """A published throughput curve: ``points`` of (interactivity, output tokens/s per GPU)."""

    name: str
    points: tuple[tuple[float, float], ...]
    source: str
    note: str = ""

    @property
    def interactivity_range(self) -> tuple[float, float]:
        """The lowest and highest interactivity (output tokens/s per user) the points cover."""
        return self.points[0][0], self.points[-1][0]


@dataclass(frozen=True)
class Accelerator:
    """One catalogue entry: what it is, what an hour of it costs, and what it serves."""

    key: str
    label: str
    memory_gb: float
    gpus_per_node: int
    source: str
    rent: Prior
    owned: Prior
    curves: tuple[Curve, ...] = ()
    note: str = ""


def is_catalogue(data: Mapping[str, Any]) -> bool:
    """True for a parsed TOML file whose tables look like accelerators (a cost, memory or curves)."""
    return any(isinstance(v, dict) and any(k in v for k in ("rent_per_gpu_hour", "owned_per_gpu_hour",
                                                                "curves", "memory_gb")) for v in data.values())


def load_catalogue(path: str | Path) -> tuple[Accelerator, ...]:
    """Read and check a hardware catalogue.

    Raises
    ------
    SpecError
        One line naming the file, the table, the key and the value: a table that is not an
        accelerator, a missing or unknown key, memory or GPUs per node not positive, a cost that
        is not a prior in CURRENCY/GPU-hour, a curve with fewer than two points, a point that is
        not two positive numbers, or interactivity that does not increase.
    """
    data, _ = read_toml(path)
    file = str(path)
    currency = data.get("currency", "USD")
    entries = []
    for key, spec in data.items():
        if key in _TOP_LEVEL:
            continue
        if not isinstance(spec, dict):
            raise SpecError(f"{file}: {show_key(key)} = {shorten(spec)} is not an accelerator; top-level keys: "
                            f"{', '.join(_TOP_LEVEL)} or one table per accelerator")
        entries.append(_accelerator(key, spec, file, currency))
    if not entries:
        raise SpecError(f"{file}: has no accelerators; a catalogue has one table per accelerator, e.g. [h100] "
                        "with label, memory_gb, gpus_per_node, source, rent_per_gpu_hour, owned_per_gpu_hour")
    return tuple(entries)


def _accelerator(key: str, spec: dict[str, Any], file: str, currency: str) -> Accelerator:
    where = f"{file}: [{show_key(key)}]"
    check_keys(spec, ENTRY_KEYS, where)
    for k in _REQUIRED:
        if k not in spec:
            raise SpecError(f"{where} {k} is missing; an accelerator has {', '.join(_REQUIRED)}")
    for k in ("label", "source"):
        if not isinstance(spec[k], str) or not spec[k].strip():
            raise SpecError(f"{where} {k} = {shorten(spec[k])} must be a non-empty string")
    memory = finite_number(where, "memory_gb", spec["memory_gb"])
    if memory <= 0:
        raise SpecError(f"{where} memory_gb = {shorten(spec['memory_gb'])} must be > 0")
    gpus = spec["gpus_per_node"]
    if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 1:
        raise SpecError(f"{where} gpus_per_node = {shorten(gpus)} must be a whole number >= 1")
    rent, owned = (_cost(key, k, spec[k], file, currency) for k in _COSTS)
    curves = spec.get("curves", {})
    if not isinstance(curves, dict):
        raise SpecError(f"{where} curves = {shorten(curves)} must be a table of named curves, e.g. "
                        f"[{key}.curves.r1_fp8_1k1k] points = [[42, 133], [100, 12]]")
    return Accelerator(key, spec["label"], memory, gpus, spec["source"], rent, owned,
                       tuple(_curve(f"{key}.curves.{name}", name, c, file) for name, c in curves.items()),
                       str(spec.get("note", "")))


def _cost(key: str, what: str, spec: Any, file: str, currency: str) -> Prior:
    name = f"{key}.{what}"
    if not isinstance(spec, dict):
        raise SpecError(f"{file}: [{name}] must be a table: a prior with dist, its parameters, unit and source")
    prior = parse_prior(name, spec, file=file)
    if prior.unit != f"{currency}/GPU-hour":
        raise SpecError(f"{file}: [{name}] unit = {shorten(prior.unit)} must be \"{currency}/GPU-hour\"")
    if not prior.source.strip():
        raise SpecError(f"{file}: [{name}] source is missing; every cost cites where it comes from")
    return prior


def _curve(table: str, name: str, spec: Any, file: str) -> Curve:
    where = f"{file}: [{table}]"
    if not isinstance(spec, dict):
        raise SpecError(f"{where} must be a table with points, source and note")
    check_keys(spec, ("points", "source", "note"), where)
    points = spec.get("points")
    if not isinstance(points, list) or len(points) < 2:
        raise SpecError(f"{where} points = {shorten(points)} must be a list of at least two "
                        "[interactivity, output tokens/s per GPU] pairs")
    pairs = []
    for i, p in enumerate(points):
        if not isinstance(p, list) or len(p) != 2 or not all(_positive(v) for v in p):
            raise SpecError(f"{where} points[{i}] = {shorten(p)} must be two positive numbers "
                            "[interactivity (tokens/s per user), output tokens/s per GPU]")
        if pairs and p[0] <= pairs[-1][0]:
            raise SpecError(f"{where} points[{i}] = {shorten(p)}: interactivity {p[0]:g} must be greater than "
                            f"the point before's {pairs[-1][0]:g}; list the points by increasing interactivity")
        pairs.append((float(p[0]), float(p[1])))
    source = spec.get("source")
    if not isinstance(source, str) or not source.strip():
        raise SpecError(f"{where} source = {shorten(source)}: every curve cites where its points come from")
    return Curve(name, tuple(pairs), source, str(spec.get("note", "")))


def _positive(v: Any) -> bool:
    """A finite number > 0 (not a bool; an integer too large for a float is not finite)."""
    try:
        return not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(float(v)) and v > 0
    except OverflowError:
        return False


def _sources(acc: Accelerator) -> list[tuple[str, str]]:
    """``(table, source)`` for every source the accelerator's entry gives."""
    return [(acc.key, acc.source), (f"{acc.key}.rent_per_gpu_hour", acc.rent.source),
            (f"{acc.key}.owned_per_gpu_hour", acc.owned.source),
            *((f"{acc.key}.curves.{c.name}", c.source) for c in acc.curves)]


def catalogue_unknown_keys(catalogue: tuple[Accelerator, ...], path: str | Path) -> list[tuple[str, str]]:
    """``(table, key)`` for every source key no ``SOURCES.md`` beside (or above) the catalogue holds."""
    known = bibliography([Path(path).parent])
    return [(table, k) for acc in catalogue for table, text in _sources(acc) for k in source_keys(text)
            if k not in known]


def _quantiles(prior: Prior) -> str:
    p5, p50, p95 = prior.ppf(np.array([0.05, 0.5, 0.95]))
    return f"{p50:.2f} ({p5:.2f}-{p95:.2f})"


def catalogue_table(catalogue: tuple[Accelerator, ...], currency: str = "USD") -> list[str]:
    """The lines ``mcrisk describe hardware`` prints: one row per accelerator, then each curve's source."""
    head = ("accelerator", "memory", "GPUs/node", f"rent {currency}/GPU-h P50 (P5-P95)",
            f"owned {currency}/GPU-h P50 (P5-P95)", "curves (interactivity range, tokens/s per user)")
    rows = [head]
    for acc in catalogue:
        curves = "; ".join(f"{c.name} {c.interactivity_range[0]:g}-{c.interactivity_range[1]:g}"
                           for c in acc.curves) or "none published"
        rows.append((acc.key, f"{acc.memory_gb:g} GB", str(acc.gpus_per_node), _quantiles(acc.rent),
                     _quantiles(acc.owned), curves))
    return aligned([list(r) for r in rows], left=len(head))
