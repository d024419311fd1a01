"""A study's tables as frozen, typed values, and the one parser that reads a table's keys.

Each table is declared once, as a tuple of :class:`Key` (name, default, check, help), and read
by :func:`parse_table`: one check for a key the table does not take, worded the same for every
table (:func:`mcrisk.core.validate.check_keys`), then each key's own check, in declared order.
The checkers of :mod:`mcrisk.spec.studyfile`, :mod:`~mcrisk.spec.sensitivity_table`,
:mod:`~mcrisk.spec.plots_table`, :mod:`~mcrisk.spec.decision_tables` and
:mod:`~mcrisk.spec.discovery_tables` add the checks across keys (``low < high``, a lever the
model takes) and return the dataclasses below, which code behind the spec reads by attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.events import LOSS, Event
from mcrisk.core.validate import check_keys, check_method, check_samples, check_seed

__all__ = ["STUDY_KEYS", "EvsiStudy", "Key", "PlotsTable", "ScenariosTable", "SensitivityTable", "SolveTable", "SweepTable", "TornadoTable",
           "TORNADO_KEYS", "VoiTable", "check_tornado", "must", "parse_table"]


@dataclass(frozen=True)
class Key:
    """One key of a study table.

    Attributes
    ----------
    name : str
        The key as written in the file.
    default : object
        Its value when the table leaves it out.
    check : callable or None
        ``check(value, where)`` returns the value to keep or raises a one-line SpecError;
        ``where`` is the file and table (``"studies/x.toml: [tornado]"``). ``None``: any value.
    help : str
        What it means, for documentation.
    """

    name: str
    default: Any = None
    check: Callable[[Any, str], Any] | None = None
    help: str = ""


def must(ok: Callable[[Any], bool], allowed: str, name: str) -> Callable[[Any, str], Any]:
    """A :attr:`Key.check` from a predicate: ``{where} {name} = {value} must be {allowed}``."""
    def check(value: Any, where: str) -> Any:
        if not ok(value):
            raise SpecError(f"{where} {name} = {shorten(value)} must be {allowed}")
        return value
    return check


def parse_table(table: Any, keys: Sequence[Key], where: str, **defaults: Any) -> dict[str, Any]:
    """Read one study table: refuse unknown keys, fill defaults, check each key given.

    Parameters
    ----------
    table
        The table as parsed from TOML.
    keys
        The table's keys.
    where
        The file and table, to start every message: ``"studies/x.toml: [tornado]"``.
    **defaults
        Defaults that depend on the study (``output``), replacing the keys' own.

    Returns
    -------
    dict
        Every key's value: checked where given, else its default (unchecked).

    Raises
    ------
    SpecError
        For a table that is not a table, a key it does not take, or a value a key's check refuses.
    """
    if not isinstance(table, Mapping):
        raise SpecError(f"{where} = {shorten(table)} must be a table")
    check_keys(table, [k.name for k in keys], where)
    out = {}
    for key in keys:
        if key.name in table:
            value = table[key.name]
            out[key.name] = key.check(value, where) if key.check is not None else value
        else:
            out[key.name] = defaults.get(key.name, key.default)
    return out


def _text(name: str) -> Callable[[Any, str], Any]:
    return must(lambda v: isinstance(v, str), "a string", name)


def _days(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, int | float) and 0 < v < float("inf")


#: A study file's top-level keys. Those without a check are resolved with the model and priors
#: (model, priors, inputs, correlation, currency, output, fx, options) or are tables (ANALYSES).
STUDY_KEYS = (
    Key("title", None, _text("title"), "the study's title (default: the file's stem)"),
    Key("description", "", _text("description"), "a paragraph for the report"),
    Key("model", None, None, 'a built-in model ("maas"), "package.module:function" or "file.py:function"'),
    Key("priors", [], None, "priors files, merged in order (later ones override)"),
    Key("inputs", {}, None, "overrides: a number, a prior table, or { ref = \"file.toml#entry\" }"),
    Key("samples", 10_000, lambda v, where: check_samples(v, where), "Monte Carlo samples"),
    Key("seed", 0, lambda v, where: check_seed(v, where), "the random seed"),
    Key("method", "random", lambda v, where: check_method(v, where), "the design: random, lhs or sobol"),
    Key("output", None, None, "the model output analysed (default: the model's)"),
    Key("period_days", None, must(_days, "a positive number of days (30: per month)", "period_days"),
        "money per day is restated per this many days"),
    Key("currency", None, None, 'the study\'s currency code, e.g. "USD"'),
    Key("correlation", [], None, "[[correlation]] tables between uncertain inputs"),
    *(Key(name, None, None, "an analysis table") for name in ("sensitivity", "tornado", "plots")),
    Key("options", None, None, "fixed keyword arguments of the model"),
    Key("sweep", None, None, "an analysis table"),
    Key("solve", None, None, "an analysis table"),
    Key("precision", None, None, 'run until the 95% half-widths are this small: "p_loss:0.005, mean:1%"'),
    Key("scenarios", None, None, "an analysis table"),
    Key("value_of_information", None, None, "an analysis table"),
    Key("fx", {}, None, "exchange rates: currency code = value in the study's currency"),
    Key("calibrate", None, None, "observed outputs the samples are weighted by (mcrisk.spec.calibrate_table)"),
)

@dataclass(frozen=True)
class TornadoTable:
    """``[tornado]``: swing each input from its ``low`` to its ``high`` quantile, the rest at base."""

    output: str
    low: float = 0.10
    high: float = 0.90


@dataclass(frozen=True)
class SensitivityTable:
    """``[sensitivity]``: SALib indices of ``output`` (a name or a tuple of names), checked."""

    method: str
    output: str | tuple[str, ...]
    samples: int
    seed: int | None = None
    second_order: bool = False
    num_resamples: int = 100
    conf_level: float = 0.95
    num_levels: int = 4
    event: Event = LOSS
    over: str | None = None


@dataclass(frozen=True)
class PlotsTable:
    """``[plots]``: which figures to draw and how."""

    scatter: tuple[str, ...] | None = None
    bins: int = 60
    outputs: tuple[str, ...] = ()
    top: int | None = None
    convergence: bool = True
    exceedance: bool = True


@dataclass(frozen=True)
class SweepTable:
    """``[sweep]``: the output's distribution at each of ``values`` of ``lever``."""

    lever: str
    values: tuple[float, ...]
    output: str


@dataclass(frozen=True)
class SolveTable:
    """``[solve]``: the ``lever`` value in ``[low, high]`` that meets ``target`` (a Target)."""

    lever: str
    target: Any
    low: float
    high: float
    tolerance: float
    relative: bool


@dataclass(frozen=True)
class ScenariosTable:
    """``[scenarios]``: PRIM boxes of the inputs where ``output operator threshold``."""

    output: str
    event: Any  # an Event (mcrisk.core.events), or its text
    operator: str
    threshold: float
    threshold_density: float = 0.8
    threshold_coverage: float = 0.0
    max_boxes: int = 3
    mass_min: float = 0.05


@dataclass(frozen=True)
class EvsiStudy:
    """One ``[[value_of_information.studies]]``: a study of ``n`` observations of ``input``.

    Each observation is the input plus noise of sd ``sd`` (``scale = "linear"``), or its log
    plus noise of sd ``sd`` (``"log"``: relative noise); the study costs ``cost_fixed +
    cost_per_observation * n`` and the decision's value accrues over ``periods`` periods.
    """

    name: str
    input: str
    sd: float
    n: tuple[int, ...]
    scale: str = "linear"
    cost_fixed: float = 0.0
    cost_per_observation: float = 0.0
    periods: float = 1.0


@dataclass(frozen=True)
class VoiTable:
    """``[value_of_information]``: EVPPI of each input (or group) for a decision; EVSI and ENBS of
    ``studies``; EVPI (and EVPPI of ``lever_inputs``) at each of ``lever_values`` of ``lever``."""

    output: str
    decision: str | tuple[str, ...] = "go"
    groups: tuple[tuple[str, ...], ...] = ()
    resamples: int = 50
    seed: int | None = None
    studies: tuple[EvsiStudy, ...] = ()
    lever: str | None = None
    lever_values: tuple[float, ...] = ()
    lever_inputs: tuple[tuple[str, ...], ...] = ()


def _quantile(name: str) -> Callable[[Any, str], Any]:
    return must(lambda v: not isinstance(v, bool) and isinstance(v, int | float) and 0 < v < 1,
                "a quantile strictly between 0 and 1", name)


#: The ``[tornado]`` table.
TORNADO_KEYS = (
    Key("output", None, must(lambda v: isinstance(v, str), "an output name", "output"),
        "the output swung (default: the study's)"),
    Key("low", 0.10, _quantile("low"), "the quantile each input is set to at its low end"),
    Key("high", 0.90, _quantile("high"), "the quantile each input is set to at its high end"),
)


def check_tornado(table: Mapping[str, Any], where: str, study: Mapping[str, Any]) -> TornadoTable:
    """The ``[tornado]`` table of the study file ``where``, its defaults filled in (output: the study's)."""
    cfg = parse_table(table, TORNADO_KEYS, f"{where}: [tornado]", output=study["output"])
    if not cfg["low"] < cfg["high"]:
        raise SpecError(f"{where}: [tornado] high = {cfg['high']!r} must be greater than low = {cfg['low']!r}")
    return TornadoTable(**cfg)
