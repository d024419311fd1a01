"""The ``[scenarios]`` and ``[value_of_information]`` study tables, checked without the numerical stack.

:mod:`mcrisk.spec.studyfile` registers :func:`check_scenarios` and :func:`check_voi` in its
``ANALYSES``, so ``mcrisk check`` finds every bad key or value these tables can hold (an unknown
output, an input in ``groups`` the study does not vary, a malformed event) before anything is
sampled. Pure Python: this module imports no numpy, xarray or scipy, so ``mcrisk check`` stays
fast; :mod:`mcrisk.scenarios` and :mod:`mcrisk.analyze.voi` do the work.

::

    [scenarios]                   # PRIM: where the event happens
    output = "profit_per_day"     # default: the study's output
    event = "< 0"                 # "< x", "> x", "OUTPUT < x", ... (mcrisk.core.events)
    threshold_density = 0.8       # a box is a set of cases where the event happens at least this often
    threshold_coverage = 0.0      # ... holding at least this share of all the event's cases
    max_boxes = 3
    mass_min = 0.05               # PRIM stops peeling at a box holding this share of all samples

    [value_of_information]        # EVPI and EVPPI of the decision
    output = "profit_per_day"     # decision "go": go ahead only if E[output] > 0
    decision = "go"               # or a list of outputs, one per option: choose the best expected
    groups = [["decode_tps_per_node", "prefill_tps_per_node"]]
    resamples = 50                # bootstrap resamples for the standard errors
    # and EVSI of [[value_of_information.studies]], EVPI against a lever: mcrisk.spec.voi_tables
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.domains import check_output
from mcrisk.core.events import LOSS, parse_event
from mcrisk.core.validate import check_int, check_seed, finite_number, show_keys
from mcrisk.spec.tables import Key, ScenariosTable, VoiTable, parse_table
from mcrisk.spec.voi_tables import check_studies, check_voi_lever

__all__ = ["SCENARIO_KEYS", "VOI_KEYS", "check_scenarios", "check_voi"]



def _output(value: Any, key: str, where: str, study: Mapping[str, Any]) -> str:
    return check_output(value, tuple(study["outputs"]), f"{where} {key}", why=study.get("why"))


def _number(key: str, ok: Callable[[float], bool], allowed: str) -> Callable[[Any, str], float]:
    def check(value: Any, where: str) -> float:
        x = finite_number(where, key, value)
        if not ok(x):
            raise SpecError(f"{where} {key} = {shorten(value)} must be {allowed}")
        return x
    return check


#: The ``[scenarios]`` table.
SCENARIO_KEYS = (
    Key("output", None, None, "the output whose event PRIM explains (default: the study's)"),
    Key("event", LOSS, lambda v, where: parse_event(v, where),
        '"< x", "> x" or "OUTPUT < x" (one grammar: mcrisk.core.events; "< 0": a loss)'),
    Key("threshold_density", 0.8, _number("threshold_density", lambda x: 0 <= x <= 1, "a share from 0 to 1"),
        "the least share of event samples a box must hold"),
    Key("threshold_coverage", 0.0, _number("threshold_coverage", lambda x: 0 <= x <= 1, "a share from 0 to 1"),
        "the least share of all event samples a box must cover"),
    Key("max_boxes", 3, lambda v, where: check_int(v, where, "max_boxes", 1, 20), "boxes found at most"),
    Key("mass_min", 0.05, _number("mass_min", lambda x: 0 < x <= 0.5, "a share above 0 and at most 0.5"),
        "PRIM peels no box below this share of the samples; lower it for a rare event"),
)

#: The ``[value_of_information]`` table.
VOI_KEYS = (
    Key("output", None, None, "the output the decision is about (default: the study's)"),
    Key("decision", "go", None, '"go" (go ahead only if the expected output is positive) or a list of outputs'),
    Key("groups", [], None, "lists of inputs whose joint EVPPI is wanted"),
    Key("resamples", 50, lambda v, where: check_int(v, where, "resamples", 10, 2000), "bootstrap resamples"),
    Key("seed", None, lambda v, where: check_seed(v, where), "default: the study's seed"),
    Key("studies", [], None, "[[value_of_information.studies]]: EVSI and ENBS of studies of one input each"),
    Key("lever", None, None, "EVPI (and EVPPI of lever_inputs) at each value of this input"),
    Key("values", None, None, "the lever's values, in its unit"),
    Key("low", None, None, "the first lever value, with high and num"),
    Key("high", None, None, "the last lever value"),
    Key("num", None, None, "how many lever values, 2 to 10,000"),
    Key("lever_inputs", [], None, "inputs (or lists of inputs) whose EVPPI is wanted at each lever value"),
)


def check_scenarios(table: Mapping[str, Any], where: str, study: Mapping[str, Any]) -> ScenariosTable:
    """Check a ``[scenarios]`` table and fill in its defaults.

    Parameters
    ----------
    table
        The parsed table; keys :data:`SCENARIO_KEYS`.
    where
        The study file, to start each message.
    study
        ``output`` (the study's), ``outputs`` (the model's) and ``uncertain`` (the study's
        uncertain inputs).

    Returns
    -------
    ScenariosTable
        ``output``, ``event`` (an :class:`~mcrisk.core.events.Event`), ``operator`` and ``threshold`` (as written),
        ``threshold_density`` (0.8), ``threshold_coverage`` (0.0), ``max_boxes`` (3) and
        ``mass_min`` (0.05: PRIM peels no box below 5% of the samples; lower it for a rare event).

    Raises
    ------
    SpecError
        For an unknown key, an output the model lacks, an event not of the form ``"< x"``,
        ``"> x"`` or ``"OUTPUT < x"`` (:func:`mcrisk.core.events.parse_event`) or of another
        output, a threshold outside [0, 1], ``mass_min`` outside (0, 0.5] or ``max_boxes``
        outside 1 to 20.
    """
    where = f"{where}: [scenarios]"
    cfg = parse_table(table, SCENARIO_KEYS, where, output=None)
    ev = cfg.pop("event")
    if ev.output is not None:
        _output(ev.output, "event", where, study)
    output = _output(cfg.pop("output") or ev.output or study["output"], "output", where, study)
    if ev.output not in (None, output):
        raise SpecError(f"{where} event = {shorten(table['event'])} is of {ev.output}, but output = {output}; "
                        "name one output")
    return ScenariosTable(output=output, event=ev, operator=ev.op, threshold=ev.threshold, **cfg)


def check_voi(table: Mapping[str, Any], where: str, study: Mapping[str, Any]) -> VoiTable:
    """Check a ``[value_of_information]`` table and fill in its defaults.

    Parameters
    ----------
    table
        The parsed table; keys :data:`VOI_KEYS`.
    where
        The study file, to start each message.
    study
        ``output``, ``outputs`` and ``uncertain``, as for :func:`check_scenarios`.

    Returns
    -------
    VoiTable
        ``output``, ``decision`` (``"go"`` or a tuple of at least two outputs), ``groups`` (a
        tuple of tuples of uncertain inputs), ``resamples`` (50), ``seed`` (None: the study's),
        ``studies`` (:func:`mcrisk.spec.voi_tables.check_studies`) and the lever's ``lever``,
        ``lever_values`` and ``lever_inputs`` (:func:`~mcrisk.spec.voi_tables.check_voi_lever`).

    Raises
    ------
    SpecError
        For an unknown key, an output or option the model lacks, a group naming an input the
        study does not vary, or ``resamples`` outside 10 to 2,000.
    """
    where = f"{where}: [value_of_information]"
    cfg = parse_table(table, VOI_KEYS, where, output=study["output"])
    output = _output(cfg["output"], "output", where, study)
    decision = cfg["decision"]
    if isinstance(decision, list):
        if len(decision) < 2 or len(set(map(str, decision))) != len(decision):
            raise SpecError(f"{where} decision = {shorten(decision)} must list at least two different "
                            "outputs, one per option")
        decision = tuple(_output(d, "decision", where, study) for d in decision)
    elif decision != "go":
        raise SpecError(f"{where} decision = {shorten(decision)} must be \"go\" (go ahead only if the "
                        "expected output is positive) or a list of outputs, one per option")
    groups = cfg["groups"]
    if not isinstance(groups, list) or not all(isinstance(g, list) and g for g in groups):
        raise SpecError(f"{where} groups = {shorten(groups)} must be a list of lists of inputs, "
                        "e.g. [[\"decode_tps_per_node\", \"prefill_tps_per_node\"]]")
    uncertain = tuple(study["uncertain"])
    for g in groups:
        for name in g:
            if name not in uncertain:
                raise SpecError(f"{where} groups: {shorten(name)} is not an uncertain input of the study; "
                                f"uncertain inputs: {show_keys(uncertain) or '(none)'}")
        if len(set(g)) != len(g):
            raise SpecError(f"{where} groups: {shorten(g)} names an input twice")
        if len(g) < 2:
            raise SpecError(f"{where} groups: {shorten(g)} is one input, whose EVPPI is given alone already; "
                            "a group is two or more inputs")
    if len({frozenset(g) for g in groups}) != len(groups):
        raise SpecError(f"{where} groups = {shorten(groups)} gives a group twice")
    return VoiTable(output=output, decision=decision, groups=tuple(tuple(g) for g in groups),
                    resamples=cfg["resamples"], seed=cfg["seed"],
                    studies=check_studies(cfg["studies"], where, uncertain), **check_voi_lever(cfg, where, study))
