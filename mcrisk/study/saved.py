"""A what-if saved as a study file: the page's settings, written so that ``mcrisk run`` reproduces them.

:func:`saved_study` turns a study and a :class:`~mcrisk.study.whatif.Change` into the study
file's table: the original file's keys, with ``samples``, ``seed`` and ``method`` as the page
ran them, each held input an ``[inputs]`` constant (its unit and label kept, as ``--set`` keeps
them), each scaled input its entry with ``spread = k`` (the study's own entry, or a ``ref`` to
the priors file that holds it), the study's correlations with a held input dropped (as
``--set`` drops them), and a held input left out of the tables that name uncertain inputs
(``[value_of_information]`` and ``[plots] scatter``: with ``--set`` its value of information
is 0). :func:`save_study` writes it next to the original under a name it chooses (``NAME-whatif-1.toml``, the first one free; never over a file), loads it back and
checks that its run gives the page's numbers, bit for bit, before it says it is saved.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import warnings
from pathlib import Path
from typing import Any

from mcrisk.core.errors import SpecError
from mcrisk.core.tomlfile import read_toml
from mcrisk.core.tomlwrite import dump_toml
from mcrisk.core.validate import show_key
from mcrisk.core.warned import guarded_warnings
from mcrisk.spec.studyfile import Study, load_study
from mcrisk.study.whatif import Change, WhatIf

__all__ = ["MAX_SAVED", "save_study", "saved_study"]

#: Saved studies per original, at most (``NAME-whatif-1.toml`` ... ``NAME-whatif-999.toml``).
MAX_SAVED = 999


def _priors_files(spec: dict[str, Any]) -> list[str]:
    given = spec.get("priors", [])
    return [given] if isinstance(given, str) else list(given)


def _entry_of(study: Study, name: str, where: str) -> dict[str, Any]:
    """The file entry that gives ``name`` its distribution: the study's ``[inputs]`` one, else a ``ref``."""
    inputs = study.spec.get("inputs", {})
    if name in inputs:
        return dict(inputs[name]) if isinstance(inputs[name], dict) else {"value": inputs[name]}
    for f in reversed(_priors_files(dict(study.spec))):  # later files override earlier ones
        data, _ = read_toml(study.path.parent / f)
        if name in data:
            return {"ref": f"{f}#{name}"}
    raise SpecError(f"{where} {show_key(name)} comes from no file of the study")  # a model default: not uncertain


def saved_study(whatif: WhatIf, change: Change) -> dict[str, Any]:
    """The table of the study file that runs ``change`` (see the module docstring).

    Raises
    ------
    SpecError
        For a change the study refuses (as :meth:`WhatIf.changed`), or a held input that a
        priors file (not the study) correlates with another: a study cannot drop that correlation.
    """
    (study, _), base = whatif.study_of(change), whatif.study
    data = copy.deepcopy(dict(base.spec))
    data.update(samples=base.samples, seed=base.seed, method=base.method)
    inputs = data.setdefault("inputs", {})
    held = dict(change.values)
    for name, value in change.values:
        prior = study.priors[name]
        inputs[name] = {"value": value, **({"unit": prior.unit} if prior.unit else {}),
                        **({"label": prior.label} if prior.label else {}), "source": "held at this value in mcrisk serve"}
    for name, k in change.spreads:
        inputs[name] = {**_entry_of(base, name, "save:"), "spread": k}
    if held:
        mine = [c for c in data.get("correlation", []) if not set(c.get("between", ())) & set(held)]
        theirs = [c for c in base.priors.correlations if {c.a, c.b} & set(held)
                  and not any({c.a, c.b} == set(m.get("between", ())) for m in data.get("correlation", []))]
        if theirs:
            c = theirs[0]
            raise SpecError(f"save: {show_key(c.a)} and {show_key(c.b)} are correlated in a priors file; a study "
                            "cannot hold one of them at a value (the file's correlation would still name it)")
        if "correlation" in data:
            data["correlation"] = mine
            if not mine:
                del data["correlation"]
        _drop_held(data, set(held))
    return data


def _drop_held(data: dict[str, Any], held: set[str]) -> None:
    """Leave held inputs out of the tables that name uncertain inputs, in place.

    ``--set`` holds an input after the tables are read, and the value of information gives it
    0; in a file the input is a constant, which ``[value_of_information]`` (``groups``,
    ``lever_inputs``, each ``[[value_of_information.studies]]``'s ``input``) and ``[plots]
    scatter`` refuse. A held input has nothing left to learn or to scatter, so it leaves them; a
    key left empty goes too.
    """
    def kept(names: list, least: int) -> list:
        rows = [[n for n in r if n not in held] if isinstance(r, list) else r for r in names]
        rows = [r for r in rows if not (isinstance(r, str) and r in held) and (isinstance(r, str) or len(r) >= least)]
        seen: set = set()  # two groups left the same ([a, b, c] and [a, b, d], c and d held): one
        return [r for r in rows if not ((key := frozenset([r] if isinstance(r, str) else r)) in seen or seen.add(key))]

    # a group needs two inputs left (one is that input's own EVPPI); a row of lever_inputs one
    for table, key, least in (("value_of_information", "groups", 2), ("value_of_information", "lever_inputs", 1),
                              ("plots", "scatter", 1)):
        cfg = data.get(table)
        if isinstance(cfg, dict) and isinstance(cfg.get(key), list):
            cfg[key] = kept(cfg[key], least)
            if not cfg[key]:
                del cfg[key]
    voi = data.get("value_of_information")
    if isinstance(voi, dict) and isinstance(voi.get("studies"), list):
        voi["studies"] = [s for s in voi["studies"] if not (isinstance(s, dict) and s.get("input") in held)]
        if not voi["studies"]:
            del voi["studies"]


def save_study(whatif: WhatIf, change: Change) -> tuple[Path, dict[str, Any]]:
    """Write ``change`` as a new study file next to the original; return its path and its summary.

    The file is created (never replaced) as the first free ``NAME-whatif-K.toml``; then it is
    loaded and run as ``mcrisk run`` would, and removed again unless its summary equals the
    page's to the last bit.

    Raises
    ------
    SpecError
        For a change that cannot be saved (:func:`saved_study`), no free name, or a file whose
        run would not reproduce the page (then nothing is left behind).
    """
    data = saved_study(whatif, change)
    base = whatif.study
    page = whatif.summary(change)
    said = [f"{k} held at {v!r}" for k, v in change.values] + [f"spread of {k} x {v!r}" for k, v in change.spreads]
    header = (f"Saved by `mcrisk serve` from {base.path.name}: {'; '.join(said) or 'no change'}.\n"
              f"`mcrisk run` of this file gives the page's numbers: P(below zero) = {page['p_loss']!r}, "
              f"median {page['p50']!r} ({page['units']}).")
    text = dump_toml(data, header=header)
    path = _create(base.path, text)
    try:
        as_run = dataclasses.replace(whatif.options, samples=None, seed=None, method=None)  # the file's own
        with guarded_warnings(record=True):  # a load's notes (a plausibility check's) are the page's already
            warnings.simplefilter("always")
            again = WhatIf(load_study(path, strict=whatif.options.strict), options=as_run).summary()
    except SpecError:
        path.unlink()
        raise
    if any(again[k] != page[k] for k in ("p_loss", "p_loss_se", "mean", "p05", "p50", "p95")):
        path.unlink()
        raise SpecError(f"save: {path.name} would not reproduce the page's numbers; nothing saved")
    return path, page


def _create(original: Path, text: str) -> Path:
    """A new file ``STEM-whatif-K.toml`` beside ``original`` holding ``text``: the first K free."""
    for k in range(1, MAX_SAVED + 1):
        path = original.with_name(f"{original.stem}-whatif-{k}.toml")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        return path
    raise SpecError(f"save: {original.stem}-whatif-1.toml ... -{MAX_SAVED}.toml all exist beside {original.name}")
