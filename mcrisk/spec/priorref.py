"""Priors by reference, and inputs set for one run.

A study's ``[inputs]`` entry may take a priors-library entry instead of copying it::

    [inputs]
    gpu_hour_price = { ref = "../priors/market-2025.toml#h100_china_gpu_hour_price_cny" }

The entry is the library's, distribution, unit, source and note; keys beside ``ref``
(``label``, ``note``, ``unit``, ``base``, ``source``) override the library's. The path is
relative to the study file; a dotted entry walks tables (``hardware-2026.toml#h100.rent_per_gpu_hour``
is the table ``[h100.rent_per_gpu_hour]``). An option may be given the same way
(:func:`resolve_option_refs`): ``throughput_curve = "../priors/hardware-2026.toml#h100.curves.r1_fp8_1k1k"``
takes that table's ``points``. :func:`resolve_ref` turns such an entry into the table it stands
for, for :func:`mcrisk.spec.priors.parse_prior`.

:func:`set_inputs` holds inputs at given values for one run (``mcrisk run --set NAME=VALUE``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from mcrisk.core.errors import MCRiskWarning, SpecError, shorten
from mcrisk.core.warned import warn
from mcrisk.spec.conform import check_domain
from mcrisk.spec.plausible import check_plausible
from mcrisk.spec.priors import parse_prior
from mcrisk.spec.priorspec import Priors
from mcrisk.core.tomlfile import is_file, read_toml
from mcrisk.core.validate import check_keys, show_key, show_text

__all__ = ["OPTION_REFS", "REF_KEYS", "resolve_option_refs", "resolve_ref", "set_inputs"]

#: Keys allowed beside ``ref``: they override the referenced entry's.
REF_KEYS = ("label", "note", "unit", "base", "source", "spread")

#: Options a study may give as ``"FILE.toml#entry.path"``, and the key of the entry's table they take.
OPTION_REFS = {"throughput_curve": "points"}


def _entry(data: Mapping[str, Any], entry: str) -> tuple[bool, Any, Mapping[str, Any]]:
    """``(found, value, table it was looked up in)`` for a dotted entry: each dot walks into a table."""
    *path, last = entry.split(".") if entry not in data else (entry,)
    table = data
    for key in path:
        table = table.get(key)
        if not isinstance(table, Mapping):
            return False, None, data
    return last in table, table.get(last), table


def _shown(entry: str) -> str:
    """An entry as messages write it: a dotted path as given, a key as TOML spells it."""
    return entry if all(part.isidentifier() for part in entry.split(".")) else show_key(entry)


def _entries(table: Mapping[str, Any]) -> str:
    known = [k for k, v in table.items() if isinstance(v, dict | int | float) and not isinstance(v, bool)]
    return f"{', '.join(known[:12])}{', ...' if len(known) > 12 else ''}"


def resolve_option_refs(table: Any, *, base: Path, where: str,
                        read: Callable[[Path], tuple[dict[str, Any], str]] = read_toml) -> Any:
    """A study's ``[options]`` with each option of :data:`OPTION_REFS` given as a reference read.

    Parameters
    ----------
    table
        The ``[options]`` table (anything else is returned as it is, for the option checks).
    base
        The study file's folder (``FILE`` is relative to it).
    where
        The start of error messages: ``"studies/x.toml: [options]"``.
    read
        Reads a TOML file.

    Returns
    -------
    object
        A copy of the table with ``"FILE.toml#entry.path"`` replaced by the entry's value under
        :data:`OPTION_REFS`' key (for ``throughput_curve``, its ``points``).

    Raises
    ------
    SpecError
        For a missing file, an entry the file lacks, or an entry without the key.
    """
    if not isinstance(table, Mapping):
        return table
    out = dict(table)
    for name, key in OPTION_REFS.items():
        ref = out.get(name)
        if not isinstance(ref, str):
            continue
        at = f"{where} {name} = {shorten(ref)}"
        if ref.count("#") != 1 or not all(ref.split("#")):
            raise SpecError(f"{at} must be a list of points or \"FILE.toml#entry.path\", e.g. "
                            "\"../priors/hardware-2026.toml#h100.curves.r1_fp8_1k1k\"")
        file, entry = ref.split("#")
        if not is_file(base / file):
            raise SpecError(f"{at}: no such file {show_text(str(base / file))}")
        data, _ = read(base / file)
        found, value, within = _entry(data, entry)
        if not found:
            raise SpecError(f"{at}: {show_text(file)} has no entry {_shown(entry)}; entries there: {_entries(within)}")
        if not isinstance(value, Mapping) or key not in value:
            raise SpecError(f"{at}: [{_shown(entry)}] has no {key}; {name} takes a table with {key} = [...]")
        out[name] = value[key]
    return out


def resolve_ref(spec: Mapping[str, Any], *, base: Path, where: str,
                read: Callable[[Path], tuple[dict[str, Any], str]] = read_toml) -> dict[str, Any] | float:
    """The priors-library entry ``spec["ref"]`` names, with ``spec``'s other keys over it.

    Parameters
    ----------
    spec
        The study's entry: ``{"ref": "FILE.toml#entry", ...overrides}``.
    base
        The study file's folder (``FILE`` is relative to it).
    where
        The start of error messages: ``"studies/x.toml: [inputs.gpu_hour_price]"``.
    read
        Reads a TOML file (a :class:`~mcrisk.core.tomlfile.TomlReader` reads each file once).

    Returns
    -------
    dict or float
        The entry's table (a copy, overrides applied, ``source`` and ``note`` as the library's
        unless overridden), or its number for a bare constant without overrides.

    Raises
    ------
    SpecError
        For a ``ref`` that is not ``"FILE.toml#entry"``, a missing or unreadable file, an entry
        the file lacks, an entry that is not a distribution (a number or a table), or a key
        beside ``ref`` other than :data:`REF_KEYS`.
    """
    ref = spec["ref"]
    if not isinstance(ref, str) or ref.count("#") != 1 or not all(ref.split("#")):
        raise SpecError(f"{where} ref = {shorten(ref)} must be \"FILE.toml#entry\", e.g. "
                        "\"../priors/market-2025.toml#h100_gpu_hour_price\"")
    check_keys(spec, ("ref", *REF_KEYS), where)
    file, entry = ref.split("#")
    path = base / file
    if not is_file(path):
        raise SpecError(f"{where} ref = {shorten(ref)}: no such file {show_text(str(path))}")
    data, _ = read(path)
    found, value, within = _entry(data, entry)
    if not found:
        raise SpecError(f"{where} ref = {shorten(ref)}: {show_text(file)} has no entry {_shown(entry)}; "
                        f"entries: {_entries(within)}")
    if isinstance(value, bool) or not isinstance(value, dict | int | float) or (
            isinstance(value, dict) and "dist" not in value and "value" not in value):
        raise SpecError(f"{where} ref = {shorten(ref)}: [{_shown(entry)}] is not a distribution (a number, "
                        "or a table with dist or value)")
    overrides = {k: v for k, v in spec.items() if k != "ref"}
    if not isinstance(value, dict):
        return {"value": value, **overrides} if overrides else value
    return {**value, **overrides}


def set_inputs(study: Any, values: Mapping[str, float], *, where: str = "--set", strict: bool = False) -> Any:
    """The study with each named input held at a value (a constant) for one run.

    Parameters
    ----------
    study
        A :class:`~mcrisk.spec.studyfile.Study`.
    values
        Input name -> value, in the input's unit.
    where
        The start of error messages.
    strict
        A value far outside its input's plausible range is an error, not a warning
        (:mod:`mcrisk.spec.plausible`), as for the same value in the study file.

    Returns
    -------
    Study
        A copy: those inputs are constants (unit and label kept, source ``"--set on the
        command line"``), correlations with them dropped, and the overrides appended to the
        study text kept for provenance (``# --set name=value``).

    Raises
    ------
    SpecError
        For a name that is not one of the study's inputs, a value that is not a finite number,
        or one outside the input's domain (the same check as the value in the study file).
    """
    declared = getattr(study.model, "inputs", None) or {}
    entries = dict(study.priors.entries)
    inputs = [*entries, *(k for k in study.levers if k not in entries)]  # as [inputs] in the file may name
    for name, v in values.items():
        if name not in inputs:
            raise SpecError(f"{where} {show_key(name)}={shorten(v)}: not an input of the study; inputs: "
                            f"{', '.join(inputs)}")
        prior = parse_prior(name, v, file=where, table=name)
        if (var := declared.get(name)) is not None:
            check_domain(prior, var.domain, where=f"{where} {show_key(name)}={shorten(v)}:")
        if (old := entries.get(name)) is not None:
            prior = replace(prior, unit=old.unit, label=old.label)
        entries[name] = replace(prior, source="--set on the command line")
    check_plausible(study.model, Priors(MappingProxyType({k: entries[k] for k in values})), currency=study.priors.currency,
        at=lambda name: f"{where} {show_key(name)}={shorten(values[name])}:", strict=strict)
    priors = replace(study.priors, entries=MappingProxyType(entries),  # still conformed but for the new values
                     correlations=tuple(c for c in study.priors.correlations
                                        if c.a not in values and c.b not in values))
    for key in ("sweep", "solve"):  # a lever table sets its lever itself, at each of its values
        if (table := getattr(study, key, None)) is not None and table.lever in values:
            warn(f"{where} {show_key(table.lever)}={shorten(values[table.lever])}: the [{key}] holds "
                 f"{table.lever} at each value it tries; the setting holds for the run and the other tables",
                 MCRiskWarning, stacklevel=3)
    note = "".join(f"\n# --set {k}={v!r}" for k, v in values.items())
    return replace(study, priors=priors, text=study.text + note)
