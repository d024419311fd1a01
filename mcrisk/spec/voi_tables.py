"""The ``[value_of_information]`` table's studies and lever, checked without the numerical stack.

:func:`mcrisk.spec.discovery_tables.check_voi` hands the keys below to :func:`check_studies`
and :func:`check_voi_lever`; :func:`check_evsi_study` is also what a Python call of
:func:`mcrisk.analyze.evsi.evsi` passes its studies through, so a file and a call are checked
alike. Pure Python, as ``mcrisk check`` wants.

::

    [value_of_information]
    lever = "price_output"         # EVPI (and EVPPI of lever_inputs) at each value of the lever
    low = 16                       # or values = [16, 32, 64]
    high = 120
    num = 12
    lever_inputs = ["decode_tps_per_node", ["decode_tps_per_node", "prefill_tps_per_node"]]

    [[value_of_information.studies]]   # EVSI and ENBS of a study of one input
    name = "benchmark"
    input = "decode_tps_per_node"
    sd = 0.3                       # noise of one observation: in the input's unit, or of its log
    scale = "log"                  # "linear" (default) or "log": sd is relative (of the log)
    n = [1, 2, 4, 8, 16]           # study sizes (observations)
    cost_fixed = 50_000            # in the study's currency
    cost_per_observation = 23_000
    periods = 12                   # periods (the study's period_days) the decision's value accrues over
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mcrisk.core.domains import check_in_domain
from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.validate import check_int, finite_number, show_keys
from mcrisk.spec.decision_tables import check_lever, sweep_values
from mcrisk.spec.tables import EvsiStudy, Key, parse_table

__all__ = ["EVSI_KEYS", "check_evsi_study", "check_studies", "check_voi_lever"]

#: The largest study size: observations of one input (a survey of a million is no longer a sample).
MAX_N = 1_000_000


def _nonnegative(key: str):
    def check(value: Any, where: str) -> float:
        x = finite_number(where, key, value)
        if x < 0:
            raise SpecError(f"{where} {key} = {shorten(value)} must be a number of at least 0")
        return x
    return check


def _sd(value: Any, where: str) -> float:
    x = finite_number(where, "sd", value)
    if x <= 0:
        raise SpecError(f"{where} sd = {shorten(value)} must be a positive number (the noise of one observation)")
    return x


def _sizes(value: Any, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise SpecError(f"{where} n = {shorten(value)} must be a list of study sizes, e.g. [1, 2, 4, 8]")
    sizes = tuple(check_int(v, where, "n", 1, MAX_N, " (observations)") for v in value)
    if len(set(sizes)) < len(sizes):
        raise SpecError(f"{where} n = {shorten(value)} repeats a size; give each once")
    return tuple(sorted(sizes))


def _scale(value: Any, where: str) -> str:
    if value not in ("linear", "log"):
        raise SpecError(f"{where} scale = {shorten(value)} is not a scale; allowed: linear (sd in the input's "
                        "unit), log (sd of the log: relative)")
    return value


def _text(key: str):
    def check(value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip() or "\n" in value:
            raise SpecError(f"{where} {key} = {shorten(value)} must be a name (one line of text)")
        return value
    return check


#: One ``[[value_of_information.studies]]`` table.
EVSI_KEYS = (
    Key("name", None, _text("name"), "the study's name, as the tables and charts show it (required)"),
    Key("input", None, None, "the uncertain input the study observes (required)"),
    Key("sd", None, _sd, "the noise sd of one observation, in the input's unit (or of its log, scale = \"log\")"),
    Key("scale", "linear", _scale,
        "linear: the study's mean is N(input, sd^2/n); log: its log-mean N(log input, sd^2/n)"),
    Key("n", None, _sizes, "the study sizes, a list of observation counts (required)"),
    Key("cost_fixed", 0.0, _nonnegative("cost_fixed"), "the study's fixed cost, in the study's currency"),
    Key("cost_per_observation", 0.0, _nonnegative("cost_per_observation"), "the cost of each observation"),
    Key("periods", 1.0, None, "how many periods (of the study's period_days) the decision's value accrues over"),
)


def check_evsi_study(table: Any, where: str, uncertain: Iterable[str]) -> EvsiStudy:
    """One study of the ``studies`` list, checked: its input must be uncertain, its sizes distinct.

    Parameters
    ----------
    table
        The study's table (a mapping of :data:`EVSI_KEYS`).
    where
        Where it was given, to start each message (``"s.toml: [value_of_information] studies[1]"``).
    uncertain
        The study's uncertain inputs.

    Returns
    -------
    EvsiStudy

    Raises
    ------
    SpecError
        For a missing ``name``, ``input``, ``sd`` or ``n``, an unknown key, an input that is not
        uncertain, a non-positive ``sd``, a size outside 1 to 1,000,000 or repeated, a negative
        cost or a non-positive ``periods``.
    """
    cfg = parse_table(table, EVSI_KEYS, where)
    for key in ("name", "input", "sd", "n"):
        if cfg[key] is None:
            raise SpecError(f"{where} {key} is missing; a study needs name, input, sd and n")
    uncertain = tuple(uncertain)
    if cfg["input"] not in uncertain:
        raise SpecError(f"{where} input = {shorten(cfg['input'])} is not an uncertain input of the study; "
                        f"uncertain inputs: {show_keys(uncertain) or '(none)'}")
    periods = finite_number(where, "periods", cfg["periods"])
    if periods <= 0:
        raise SpecError(f"{where} periods = {shorten(cfg['periods'])} must be a positive number of periods")
    return EvsiStudy(**{**cfg, "periods": periods})


def check_studies(value: Any, where: str, uncertain: Iterable[str]) -> tuple[EvsiStudy, ...]:
    """The ``[[value_of_information.studies]]`` list, each checked, names distinct.

    Parameters
    ----------
    value
        The list as read.
    where
        The table (``"s.toml: [value_of_information]"``).
    uncertain
        The study's uncertain inputs.

    Returns
    -------
    tuple of EvsiStudy
    """
    if not isinstance(value, list) or not all(isinstance(t, Mapping) for t in value):
        raise SpecError(f"{where} studies = {shorten(value)} must be a list of tables "
                        "([[value_of_information.studies]])")
    out = tuple(check_evsi_study(t, f"{where} studies[{i + 1}]", uncertain) for i, t in enumerate(value))
    names = [s.name for s in out]
    if len(set(names)) < len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise SpecError(f"{where} studies: name = {shorten(dup)} is given twice; name each study once")
    return out


def check_voi_lever(cfg: Mapping[str, Any], where: str, study: Mapping[str, Any]) -> dict[str, Any]:
    """The lever of a ``[value_of_information]`` table: ``lever``, its values, ``lever_inputs``.

    Parameters
    ----------
    cfg
        The table's ``lever``, ``values``, ``low``, ``high``, ``num`` and ``lever_inputs`` as read.
    where
        The table (``"s.toml: [value_of_information]"``).
    study
        ``inputs`` (the levers the model takes), ``uncertain`` and optionally ``domains``.

    Returns
    -------
    dict
        ``lever`` (None when the table has none), ``lever_values`` and ``lever_inputs`` (a tuple
        of tuples of inputs, one per EVPPI row at each lever value).
    """
    given = [k for k in ("values", "low", "high", "num") if cfg.get(k) is not None]
    if cfg.get("lever") is None:
        if given or cfg.get("lever_inputs"):
            key = given[0] if given else "lever_inputs"
            raise SpecError(f"{where} {key} needs lever = \"...\", the input whose values they are")
        return {"lever": None, "lever_values": (), "lever_inputs": ()}
    lever = check_lever(cfg["lever"], study["inputs"], f"{where} lever")
    values = sweep_values(cfg.get("values"), low=cfg.get("low"), high=cfg.get("high"), num=cfg.get("num"),
                          where=where)
    domain = (study.get("domains") or {}).get(lever)
    for v in values:  # as a [sweep] lever's values are
        check_in_domain(v, lever, domain, f"{where} values:")
    rows = cfg.get("lever_inputs") or []
    if not isinstance(rows, list) or not all(isinstance(r, str) or (isinstance(r, list) and r) for r in rows):
        raise SpecError(f"{where} lever_inputs = {shorten(rows)} must be a list of inputs or lists of inputs, "
                        "e.g. [\"decode_tps_per_node\"]")
    uncertain = tuple(study["uncertain"])
    out = []
    for r in rows:
        group = (r,) if isinstance(r, str) else tuple(r)
        for name in group:
            if name == lever:
                raise SpecError(f"{where} lever_inputs: {shorten(name)} is the lever, held at each value; "
                                "it has nothing left to learn")
            if name not in uncertain:
                raise SpecError(f"{where} lever_inputs: {shorten(name)} is not an uncertain input of the study; "
                                f"uncertain inputs: {show_keys(uncertain) or '(none)'}")
        if frozenset(group) in {frozenset(g) for g in out}:
            raise SpecError(f"{where} lever_inputs: {shorten(r)} is given twice")
        out.append(group)
    return {"lever": lever, "lever_values": values, "lever_inputs": tuple(out)}
