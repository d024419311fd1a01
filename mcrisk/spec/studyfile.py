"""Study files: the TOML that wires priors, a model and analyses into one rerunnable job.

::

    title = "DeepSeek V3/R1, 2025-02-27: the published 545% with honest uncertainty"
    model = "maas"                       # built-in, "pkg.module:function" or "file.py:function"
    priors = ["../priors/deepseek-2025-02-27.toml"]   # later files override earlier ones
    samples = 20000
    seed = 20250301
    method = "lhs"                       # random | lhs | sobol
    output = "profit_per_day"
    period_days = 30                     # optional: state money per month in tables and figures
    precision = "p_loss:0.005, mean:1%"  # optional: run until the 95% half-widths are this small

    [inputs]                             # overrides: a number or a table in the priors format
    gpu_hour_price = { dist = "triangular", low = 1.5, mode = 2.0, high = 3.5 }

    [sensitivity]                        # optional analyses
    [tornado]
    [plots]
    [sweep]                              # lever = "price_output", values = [...] (mcrisk.sweep)
    [solve]                              # lever, target, low, high (mcrisk.solve)

:func:`load_study` reads the file (and each priors file it names) once and hands the parsed
table to :func:`resolve`, the one place a study is resolved: model, priors, units, domains,
correlations, one output probe, and each table into its typed value (:mod:`mcrisk.spec.tables`).
Every check a run will make happens there, so ``mcrisk check`` passes exactly what ``mcrisk run``
accepts. An override of a table (``mcrisk sensitivity --method``, ``mcrisk solve --lever``) is
:func:`with_table`: the file's table as parsed, the changes on top, checked again; the text is
never parsed twice. :func:`mcrisk.study.runner.run_study` runs the study.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.domains import check_output, not_analysed
from mcrisk.core.validate import check_keys, show_key, show_text
from mcrisk.core.tomlfile import is_file
from mcrisk.models import bind_options, model_inputs, model_name, resolve_model
from mcrisk.models.call import call_model, check_inputs, model_outputs
from mcrisk.spec.calibrate_table import CalibrateTable, check_calibrate
from mcrisk.spec.conform import check_fx, conform_priors
from mcrisk.spec.decision_tables import check_solve, check_sweep
from mcrisk.spec.plausible import check_plausible
from mcrisk.spec.precision_text import Precision, check_precision
from mcrisk.spec.discovery_tables import check_scenarios, check_voi
from mcrisk.spec.plots_table import check_config as check_plots_table
from mcrisk.spec.priorref import resolve_option_refs, resolve_ref
from mcrisk.spec.priors import LoadMemo, Priors, check_copula, load_priors, parse_correlations, parse_prior
from mcrisk.spec.sensitivity_table import check_study_sensitivity
from mcrisk.spec.thresholds import in_study_units
from mcrisk.spec.tables import (STUDY_KEYS, PlotsTable, ScenariosTable, SensitivityTable, SolveTable,
                                SweepTable, TornadoTable, VoiTable, check_tornado, parse_table)

__all__ = ["ANALYSES", "STUDY_KEYS", "Study", "load_study", "resolve", "with_table"]

_KEYS = tuple(k.name for k in STUDY_KEYS)


@dataclass(frozen=True)
class Study:
    """A checked study: everything needed to rerun it, nothing computed yet.

    Attributes
    ----------
    path : Path
        The study file.
    title : str
    model : callable
        The resolved model; ``model_ref`` is how the file named it.
    priors : Priors
        The priors files merged in order, then the ``[inputs]`` overrides.
    samples, seed, method, output
        The Monte Carlo run.
    period_days : float or None
        Money per day is restated per this many days in tables and figures.
    text : str
        The study file's text, stored in the results for provenance.
    precision : tuple of Precision
        ``precision = "..."``: run until each statistic's 95% half-width is within tolerance.
    conversions : tuple of str
        The unit conversions applied to priors at load, one line each (run header, report).
    sensitivity, tornado, plots, sweep, solve, scenarios, value_of_information, calibrate
        The checked tables, typed (:mod:`mcrisk.spec.tables`); ``None`` when the file has none.
    outputs : tuple of str
        The model's outputs a table may analyse (one value per sample), as the load's probe found.
    levers : tuple of str
        The inputs a ``[sweep]`` or ``[solve]`` lever may be.
    spec : Mapping
        The study file as parsed (its tables as written, before defaults): an override
        (:func:`with_table`) is checked on top of it, never by parsing the text again.
    """

    path: Path
    title: str
    model: Callable
    model_ref: str
    priors: Priors
    samples: int
    seed: int
    method: str
    output: str
    period_days: float | None = None
    description: str = ""
    text: str = ""
    precision: tuple[Precision, ...] = ()
    conversions: tuple[str, ...] = ()
    sensitivity: SensitivityTable | None = None
    tornado: TornadoTable | None = None
    plots: PlotsTable | None = None
    sweep: SweepTable | None = None
    solve: SolveTable | None = None
    scenarios: ScenariosTable | None = None
    value_of_information: VoiTable | None = None
    calibrate: CalibrateTable | None = None
    outputs: tuple[str, ...] = ()
    levers: tuple[str, ...] = ()
    spec: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        """The study file's stem, e.g. ``deepseek_545``."""
        return self.path.stem

    @property
    def analyses(self) -> Mapping[str, Any]:
        """The tables present, by name (``"sensitivity"``, ``"tornado"``, ...), in :data:`ANALYSES` order."""
        return MappingProxyType({k: t for k in ANALYSES if (t := getattr(self, k)) is not None})


def _check_plots(table: Mapping[str, Any], where: str, study: Mapping[str, Any]) -> PlotsTable:
    return check_plots_table(table, where=f"{where}: [plots]", uncertain=study["uncertain"], outputs=study["outputs"])


#: Optional study tables: name -> checker returning the typed table with its defaults filled in.
ANALYSES: dict[str, Callable[[Mapping[str, Any], str, Mapping[str, Any]], Any]] = {
    "sensitivity": check_study_sensitivity,
    "tornado": check_tornado,
    "plots": _check_plots,
    "sweep": check_sweep,
    "solve": check_solve,
    "scenarios": check_scenarios,
    "value_of_information": check_voi,
    "calibrate": check_calibrate,
}


def load_study(path: str | Path, *, strict: bool = False, **overrides: Any) -> Study:
    """Read and check a study file.

    Parameters
    ----------
    path
        The study TOML.
    strict
        Every prior must state its unit, and a prior whose median lies far outside its input's
        plausible range (:mod:`mcrisk.spec.plausible`) is an error, not a warning (``--strict``).
    **overrides
        ``samples``, ``seed`` or ``method`` replacing the file's (as the CLI flags do).

    Returns
    -------
    Study
        The checked study: its model, priors (with the study's ``[inputs]`` overrides and
        correlations), run settings and analyses.

    Raises
    ------
    SpecError
        For any key, value, file or model reference mcrisk cannot use; the message names the
        file, the key, the value and what is allowed.
    """
    path = Path(path)
    memo = LoadMemo()  # each file read once, each prior probed once, each correlation matrix factored once
    data, text = memo.read(path)
    check_keys(data, _KEYS, f"{path}:")
    spec = MappingProxyType(dict(data))
    data.update({k: v for k, v in overrides.items() if v is not None})
    return resolve(data, path, text=text, memo=memo, strict=strict, spec=spec)


def resolve(data: Mapping[str, Any], path: str | Path, *, text: str = "", strict: bool = False,
            memo: LoadMemo | None = None, spec: Mapping[str, Any] | None = None) -> Study:
    """The study a parsed study table describes: model, priors, units, domains, output, tables.

    The one place a study is resolved: :func:`load_study` reads the file and calls it, and a
    changed spec (``{**study.spec, "samples": 500}``) is resolved again the same way, with
    every check the file's values pass.

    Parameters
    ----------
    data
        The study's top-level table, as parsed from TOML.
    path
        The study file: relative priors and model paths start at its folder; messages name it.
    text
        The file's text, kept for provenance.
    strict
        Every prior must state its unit.
    memo
        What this load has read and computed (a fresh one if ``None``).
    spec
        The table as written in the file, kept as :attr:`Study.spec` (default ``data``).

    Returns
    -------
    Study

    Raises
    ------
    SpecError
        As :func:`load_study`.
    """
    path, memo = Path(path), memo or LoadMemo()
    spec = MappingProxyType(dict(data)) if spec is None else spec
    where = str(path)
    if "model" not in data:
        raise SpecError(f"{where}: model is missing; give a built-in model such as \"maas\", "
                        "\"package.module:function\" or \"file.py:function\"")
    model = resolve_model(data["model"], base=path.parent, where=f"{where}: model")
    priors, currency = _study_priors(data, path, memo)
    if "options" in data:  # fixed keyword arguments of the model, checked against its declaration
        options = resolve_option_refs(data["options"], base=path.parent, where=f"{where}: [options]", read=memo.read)
        model = bind_options(model, options, where=f"{where}: [options]", given=priors.entries)
    check_inputs(model, list(priors.entries), where=where)
    fx = check_fx(data.get("fx", {}), where=where, currency=currency)
    conformed = conform_priors(model, priors, currency=currency, fx=fx, where=where, strict=strict)
    priors, conversions, model = conformed.priors, conformed.conversions, conformed.model

    top = parse_table(data, STUDY_KEYS, f"{where}:", title=path.stem)
    probed = _probe_outputs(model, priors, where)  # one sample: what the model really returns
    outputs = tuple(k for k in (getattr(model, "outputs", None) or probed) if k in probed)  # no hourly ones
    output = data.get("output", getattr(model, "default_output", None))
    if output is None:
        raise SpecError(f"{where}: output is missing; name the model output to analyse")
    check_output(output, outputs, f"{where}: output", why=lambda name: not_analysed(model, name, data["model"]))
    required, optional, anykw = model_inputs(model)
    levers = (*required, *optional, *([k for k in priors if k not in required and k not in optional] if anykw else ()))
    study = Study(path=path, title=top["title"], model=model, model_ref=data["model"], priors=priors,
                  samples=top["samples"], seed=top["seed"], method=top["method"], output=output,
                  period_days=top["period_days"], description=top["description"], text=text, conversions=conversions,
                  precision=check_precision(data["precision"], where) if "precision" in data else (),
                  outputs=outputs, levers=levers, spec=spec)
    study = replace(study, **_tables(data, study))
    # last: a study refused for another reason gets its one error line, not warnings before it
    check_plausible(model, priors, currency=currency, at=lambda name: f"{where}: [{show_key(name)}]", strict=strict)
    return study


def _study_priors(data: Mapping[str, Any], path: Path, memo: LoadMemo) -> tuple[Priors, str | None]:
    """The priors files merged in order, the ``[inputs]`` overrides, the study's correlations."""
    where = str(path)
    files = data.get("priors", [])
    if isinstance(files, str):
        files = [files]
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise SpecError(f"{where}: priors = {shorten(files)} must be a list of priors files")
    priors = Priors(MappingProxyType({}))
    for f in files:
        p = path.parent / f
        if not is_file(p):
            raise SpecError(f"{where}: priors = {shorten(f)}: no such file {show_text(p)}")
        priors = priors.merged(load_priors(p, memo=memo))

    inputs = data.get("inputs", {})
    if not isinstance(inputs, dict):
        raise SpecError(f"{where}: inputs = {shorten(inputs)} must be a table of overrides")
    entries = dict(priors.entries)
    for name, spec in inputs.items():
        if isinstance(spec, dict) and "ref" in spec:  # a priors-library entry by reference
            spec = resolve_ref(spec, base=path.parent, where=f"{where}: [inputs.{show_key(name)}]", read=memo.read)
        prior = parse_prior(name, spec, file=where, table=f"inputs.{show_key(name)}", memo=memo)
        if name in entries and "unit" not in (spec if isinstance(spec, dict) else {}):
            prior = replace(prior, unit=entries[name].unit)
        if not prior.source:
            prior = replace(prior, source=f"study override ({path.name})")
        entries[name] = prior
    currency = data.get("currency", priors.currency)
    if currency is not None and not isinstance(currency, str):
        raise SpecError(f"{where}: currency = {shorten(currency)} must be a currency code such as \"USD\"")
    study_corr = parse_correlations(data.get("correlation", []), file=where, names=entries)
    priors = Priors(MappingProxyType(entries), currency=currency,
                    correlations=priors.correlations, texts=priors.texts).merged(
        Priors(MappingProxyType({}), correlations=study_corr))
    # A priors-file correlation may name an input that [inputs] made constant.
    for c in priors.correlations:
        for x in (c.a, c.b):
            if entries[x].is_constant:
                raise SpecError(f"{where}: [[correlation]] between {show_key(c.a)} and {show_key(c.b)}: "
                                f"{show_key(x)} is a constant here; only uncertain inputs can be correlated")
    check_copula(priors, where, memo)
    return priors, currency


def _fields(study: Study) -> dict[str, Any]:
    """What a table's checker needs to know of the study."""
    declared = getattr(study.model, "inputs", None) or {}
    return {"output": study.output, "outputs": study.outputs, "uncertain": study.priors.uncertain,
            "inputs": study.levers, "domains": {k: d for k, v in declared.items() if (d := getattr(v, "domain", None)) is not None},
            "why": lambda name: not_analysed(study.model, name, study.model_ref),
            "declared": getattr(study.model, "outputs", None) or {}}


def _tables(data: Mapping[str, Any], study: Study) -> dict[str, Any]:
    """The study's optional tables present in ``data``, each checked into its typed value."""
    where, fields, tables = str(study.path), _fields(study), {}
    for key, check in ANALYSES.items():
        if key in data:
            if not isinstance(data[key], dict):
                raise SpecError(f"{where}: {key} = {shorten(data[key])} must be a table [{key}]")
            tables[key] = in_study_units(key, check(data[key], where, fields), study)
    for key in ("sensitivity", "tornado"):
        if key == "sensitivity" and key in tables and tables[key].over is not None:
            continue  # outputs over (sample, month): check_over took them
        wanted = tables[key].output if key in tables else ()
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)  # [sensitivity] may list several
        for w in wanted:
            check_output(w, study.outputs, f"{where}: [{key}] output", why=fields["why"])
    return tables


def with_table(study: Study, name: str, *, flags: Mapping[str, str] | None = None, **changes: Any) -> Study:
    """The study with its ``[name]`` table's keys changed, checked as the file's table would be.

    The table is the file's as written (:attr:`Study.spec`), with ``changes`` on top; a change
    to ``None`` removes the key (its default then applies). Nothing is read or parsed again.

    Parameters
    ----------
    study
        A loaded study.
    name
        A key of :data:`ANALYSES`: ``"sensitivity"``, ``"solve"``, ``"scenarios"``, ...
    flags
        Key -> the command-line flag that gave its value (``{"output": "--output"}``): an error
        about that key names the flag where the file's would name the file and table, in the
        same words.
    **changes
        Keys of that table.

    Returns
    -------
    Study
        A copy with the new table (and the file's text unchanged).

    Raises
    ------
    SpecError
        If the resulting table is not valid; the message names the study file and the table.
    """
    table = {**study.spec.get(name, {}), **changes}
    table = {k: v for k, v in table.items() if v is not None}
    try:
        return replace(study, **{name: in_study_units(name, ANALYSES[name](table, str(study.path), _fields(study)),
                                                      study)})
    except SpecError as err:
        raise SpecError(_named_by_flag(str(err), f"{study.path}: [{name}] ", flags or {})) from None


def _named_by_flag(message: str, head: str, flags: Mapping[str, str]) -> str:
    """``message`` with its ``{file}: [table] key`` start replaced by the flag that gave the key."""
    if message.startswith(head):
        rest = message[len(head):]
        for key, flag in flags.items():
            if rest.startswith(key) and rest[len(key):len(key) + 1] in (" ", ":"):
                return flag + rest[len(key):]
    return message


def _probe_outputs(model: Callable, priors: Priors, where: str) -> tuple[str, ...]:
    """The outputs the model returns, from one evaluation at one sample (every input at its median).

    So a check finds what a run would find at its first chunk: a model that raises, returns
    no dict, returns arrays of the wrong length, or leaves out an output it declares. Plain
    numpy, no Dataset: ``mcrisk check`` stays quick.
    """
    half = np.full(1, 0.5)
    row = {k: float(p.ppf(half, few=True)[0]) if p.is_constant else p.ppf(half, few=True) for k, p in priors.entries.items()}
    try:
        # one value per sample: an output over (sample, hour) is kept in results but analysed by no table
        names = tuple(k for k, v in model_outputs(model, call_model(model, row), 1).items() if v.ndim == 1)
    except SpecError as err:
        raise SpecError(f"{where}: {err}") from None
    if not names:
        raise SpecError(f"{where}: model = {model_name(model)!r} returned no outputs; a model must "
                        "return a dict of output arrays")
    return names
