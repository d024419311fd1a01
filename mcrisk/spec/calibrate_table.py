"""The ``[calibrate]`` study table: what the record says about the model's outputs.

::

    [calibrate]
    observe = { nodes_avg = { value = 226.75, sd = 2.0 },        # Gaussian error on the output
                cost_per_day = { low = 80000, high = 95000 } }   # the output lies in the interval

Each observation names one output the model returns (one value per sample) and gives either
``value`` and ``sd`` (the record is the output plus a normal error of that standard deviation)
or ``low`` and ``high`` (the output is known to lie between them). Values are in the model's
own units (money per day, not per the study's period). Pure Python, like every table check:
:mod:`mcrisk.analyze.calibration` computes the weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mcrisk.core.domains import check_output
from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.validate import finite_number, show_key
from mcrisk.spec.tables import Key, parse_table

__all__ = ["CALIBRATE_KEYS", "CalibrateTable", "Observation", "check_calibrate"]


@dataclass(frozen=True)
class Observation:
    """One observed output: ``value`` with normal error ``sd``, or the interval ``low`` to ``high``."""

    output: str
    value: float | None = None
    sd: float | None = None
    low: float | None = None
    high: float | None = None

    @property
    def kind(self) -> str:
        """``"gaussian"`` or ``"interval"``."""
        return "gaussian" if self.sd is not None else "interval"

    def words(self) -> str:
        """``"226.75 +- 2"`` or ``"in [80,000, 95,000]"``: the observation as the run prints it."""
        if self.sd is not None:
            return f"{self.value:,.6g} ± {self.sd:,.6g}"
        return f"in [{self.low:,.6g}, {self.high:,.6g}]"


@dataclass(frozen=True)
class CalibrateTable:
    """``[calibrate]``: the observations the samples are weighted by."""

    observe: tuple[Observation, ...]


#: The ``[calibrate]`` table.
CALIBRATE_KEYS = (
    Key("observe", None, None, "OUTPUT = { value = v, sd = s } (normal error) or { low = a, high = b } (interval)"),
)

_FORMS = "{ value = v, sd = s } (a normal error of sd s > 0) or { low = a, high = b } (a < b)"


def _observation(name: str, spec: Any, where: str) -> Observation:
    at = f"{where} observe.{show_key(name)}"
    if not isinstance(spec, Mapping) or not ({"value", "sd"} == set(spec) or {"low", "high"} == set(spec)):
        raise SpecError(f"{at} = {shorten(spec)} must be {_FORMS}")
    if "sd" in spec:
        value, sd = finite_number(at, "value", spec["value"]), finite_number(at, "sd", spec["sd"])
        if not sd > 0:
            raise SpecError(f"{at} sd = {shorten(spec['sd'])} must be a positive standard deviation")
        return Observation(name, value=value, sd=sd)
    low, high = finite_number(at, "low", spec["low"]), finite_number(at, "high", spec["high"])
    if not low < high:
        raise SpecError(f"{at} low = {shorten(spec['low'])}, high = {shorten(spec['high'])}: low must be "
                        "below high")
    return Observation(name, low=low, high=high)


def check_calibrate(table: Mapping[str, Any], where: str, study: Mapping[str, Any]) -> CalibrateTable:
    """Check a ``[calibrate]`` table.

    Parameters
    ----------
    table
        The parsed table; keys :data:`CALIBRATE_KEYS`.
    where
        The study file, to start each message.
    study
        ``outputs`` (the model's outputs, one value per sample) and ``why`` (why a name is none).

    Returns
    -------
    CalibrateTable

    Raises
    ------
    SpecError
        For an unknown key, a missing or empty ``observe``, an output the model lacks, or an
        observation that is neither of the two forms (``sd <= 0``, ``low >= high``).
    """
    where = f"{where}: [calibrate]"
    cfg = parse_table(table, CALIBRATE_KEYS, where)
    observe = cfg["observe"]
    if not isinstance(observe, Mapping) or not observe:
        raise SpecError(f"{where} observe = {shorten(observe)} must be a table of observed outputs, "
                        f"OUTPUT = {_FORMS}")
    for name in observe:
        check_output(name, tuple(study["outputs"]), f"{where} observe", why=study.get("why"))
    return CalibrateTable(tuple(_observation(k, v, where) for k, v in observe.items()))
