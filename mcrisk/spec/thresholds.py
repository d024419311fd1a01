"""A study's thresholds read in the units it shows: events, targets and ``loss_below``.

Every number a study's tables compare an output with (``[scenarios] event``, ``[sensitivity]
event`` or ``loss_below``, a ``[solve]`` target's threshold or level, and ``--event`` /
``--target``, which replace them) is read once, when the table is checked, by
:func:`in_study_units`: without a unit it is in the unit the study shows the output in, so a
money threshold in a per-month study is per month (divided by ``period_days`` before it is
compared with the stored per-day values); with a unit (``"< 5e4 USD/day"``) it is converted,
and a unit that does not convert is refused in one line. Thresholds of 0 read the same either way.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.events import read_event, read_number
from mcrisk.models.base import output_unit
from mcrisk.spec.decision_tables import Target

__all__ = ["in_study_units", "read_target"]


def read_target(target: Target, *, unit: str, period_days: float | None = None, where: str = "") -> Target:
    """The target's money read in the study's units (:func:`mcrisk.core.events.read_number`).

    A probability's threshold, or a percentile's or mean's level, without a unit is in the unit
    the study shows the output in (per month in a per-month study: divided by ``period_days``
    before it is compared with the stored per-day values); with a unit it is converted.

    Parameters
    ----------
    target
        As parsed; a target already read is returned as it is.
    unit
        The target output's stored unit (``"USD/day"``), ``""`` for none.
    period_days
        The study's period (days).
    where
        Starts the error message.

    Returns
    -------
    Target
        With ``unit`` the shown unit and ``stored`` the number compared with the stored values.
    """
    if target.stored is not None:
        return target
    if target.kind == "probability":
        x, shown, stored = read_number(target.threshold, target.unit, unit=unit, period_days=period_days,
                                       where=where, key="target", text=target.text)
        return replace(target, threshold=x, unit=shown, stored=stored)
    x, shown, stored = read_number(target.level, target.unit, unit=unit, period_days=period_days, where=where,
                                   key="target", text=target.text)
    return replace(target, level=x, unit=shown, stored=stored,
                   scale=float(period_days) if shown != unit and period_days else 1.0)


def in_study_units(name: str, table: Any, study: Any) -> Any:
    """The checked table ``[name]`` with its event or target read in the study's units.

    Parameters
    ----------
    name
        The table's key (``"solve"``, ``"scenarios"``, ``"sensitivity"``; others are returned as they are).
    table
        The checked table (:mod:`mcrisk.spec.tables`).
    study
        The study (its ``model``, ``priors.currency``, ``period_days`` and ``path``).

    Returns
    -------
    Any
        The table, its :class:`~mcrisk.core.events.Event` or target read
        (:func:`mcrisk.core.events.read_event`, :func:`read_target`).

    Raises
    ------
    SpecError
        For a unit that does not convert to the output's, naming the file, table, key and value.
    """
    where, days = f"{study.path}: [{name}]", study.period_days

    def unit(output: str) -> str:
        return output_unit(study.model, output, study.priors.currency)

    if name == "solve":
        return replace(table, target=read_target(table.target, unit=unit(table.target.output), period_days=days,
                                                 where=where))
    if name == "scenarios":
        return replace(table, event=read_event(table.event, unit=unit(table.output), period_days=days, where=where))
    if name == "sensitivity":
        outputs = [table.output] if isinstance(table.output, str) else list(table.output)
        units = list(dict.fromkeys(unit(o) for o in outputs))
        ev = table.event
        if len(units) > 1 and (ev.threshold != 0 or ev.unit):
            raise SpecError(f"{where} event = {shorten(f'{ev.text} {ev.unit}'.rstrip())} is read in one unit, but "
                            f"the outputs {', '.join(outputs)} have several ({', '.join(units)}); give one output "
                            "or a threshold of 0")
        return replace(table, event=read_event(ev, unit=units[0], period_days=days, where=where))
    return table
