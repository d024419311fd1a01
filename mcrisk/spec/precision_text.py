"""A precision, checked when a study is read: ``precision = "p_loss:0.005, p05:1%, mean:0.5%"``.

Each ``statistic:tolerance`` asks that the statistic's 95% interval have a half-width within the
tolerance (absolute, or a percentage of the estimate); the run adding batches of samples until it
does is :func:`mcrisk.analyze.precision.simulate_to_precision`. Standard library only, so
``mcrisk check`` and the run options check it without the numerical stack.

Precisions::

    p_loss:0.005, p05:1%, mean:0.5%    statistic:tolerance of the 95% interval's half-width
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.statistics import PERCENTILES
from mcrisk.core.validate import show_text

__all__ = ["PRECISION_STATISTICS", "Precision", "check_precision", "parse_precision"]


#: Statistics a precision may name -> (summary statistic, whether it is a probability).
PRECISION_STATISTICS: dict[str, tuple[str, bool]] = {
    "p_loss": ("p_below_zero", True),  # P(output < 0): the loss event, mcrisk.core.events.LOSS
    "p_below_zero": ("p_below_zero", True),
    "mean": ("mean", False),
    **{k: (k, False) for k in PERCENTILES},
}


@dataclass(frozen=True)
class Precision:
    """One statistic's tolerance on its 95% interval half-width.

    Attributes
    ----------
    name : str
        As written (``p_loss``, ``p05``, ``mean``).
    statistic : str
        Its name in ``summary.csv`` (``p_below_zero`` for ``p_loss``).
    tolerance : float
        Absolute for a probability (``0.005`` or ``"0.5%"``: half a percentage point); for
        money, relative to the estimate when written with ``%``, else absolute in the output's units.
    relative : bool
    """

    name: str
    statistic: str
    tolerance: float
    relative: bool

    def allowed(self, estimate: float) -> float:
        """The half-width allowed at this estimate."""
        return self.tolerance * abs(estimate) if self.relative else self.tolerance


def parse_precision(text: Any, where: str = "precision") -> tuple[Precision, ...]:
    """Parse ``"p_loss:0.005, p05:1%, mean:0.5%"`` into one :class:`Precision` per statistic.

    Parameters
    ----------
    text
        Comma-separated ``statistic:tolerance``; statistics: the keys of
        :data:`PRECISION_STATISTICS`.
    where
        What gave it, to start an error message.

    Returns
    -------
    tuple of Precision

    Raises
    ------
    SpecError
        For an unknown statistic, a malformed or non-positive tolerance, or a statistic named twice.
    """
    if not isinstance(text, str) or not text.strip():
        raise SpecError(f"{where} = {shorten(text)} must be a string such as \"p_loss:0.005, p05:1%, mean:0.5%\"")
    out: dict[str, Precision] = {}
    for item in text.split(","):
        name, sep, tol = (s.strip() for s in item.partition(":"))
        if name not in PRECISION_STATISTICS:
            raise SpecError(f"{where} = {shorten(text)}: {show_text(name)} is not a statistic; allowed: "
                            f"{', '.join(PRECISION_STATISTICS)}")
        stat, probability = PRECISION_STATISTICS[name]
        relative = tol.endswith("%")
        try:
            value = float(tol[:-1]) / 100 if relative else float(tol)
        except ValueError:
            value = math.nan
        if not sep or not 0 < value < math.inf:
            raise SpecError(f"{where} = {shorten(text)}: {name}:{tol} needs a positive tolerance such as "
                            f"{name}:0.005 or {name}:1%")
        if stat in out:
            raise SpecError(f"{where} = {shorten(text)}: {name} is named twice")
        # a probability's tolerance is absolute: "0.5%" is half a percentage point
        out[stat] = Precision(name, stat, value, relative and not probability)
    return tuple(out.values())


def check_precision(value: Any, where: str, study: Mapping[str, Any] | None = None) -> tuple[Precision, ...]:
    """``precision = "..."`` of a study file, parsed (see :func:`parse_precision`).

    Parameters
    ----------
    value
        The value of the ``precision`` key.
    where
        The study file.
    study
        Unused (the same signature as the study tables' checkers).

    Returns
    -------
    tuple of Precision
    """
    return parse_precision(value, f"{where}: precision")
