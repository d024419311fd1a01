"""Events on one output, the loss among them: one grammar, one frozen type, one set of words.

Every study table that names an event reads it with :func:`parse_event`::

    "< x"   "> x"   "<= x"   ">= x"          the table's (or the study's) output against x
    "OUTPUT < x"   "OUTPUT >= x"   ...       a named output against x

``x`` is a finite number in the output's unit (per day for money per day, as the model computes
it). The older spellings still parse to the same :class:`Event`: ``loss_below = x`` in
``[sensitivity]`` is ``"< x"``; a precision's ``p_loss`` is P(output < 0), :data:`LOSS`; a
``[solve]`` target ``"P(profit_per_day < 0) <= 0.1"`` holds the event ``"profit_per_day < 0"``.
:func:`event_words` names an event for a sentence ("loss", "profit", "gross margin < 0.1").
Pure Python: the comparison works on numbers and numpy arrays alike without importing numpy.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.text import Labels, words

__all__ = ["EVENT_HELP", "LOSS", "OPERATORS", "Event", "event_words", "loss_below", "parse_event"]

Operator = Literal["<", "<=", ">", ">="]

#: The comparisons an event may make.
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
                                                   ">=": operator.ge}

#: What an event may look like, for error messages.
EVENT_HELP = '"< x", "> x", "OUTPUT < x" or "OUTPUT > x" (also <=, >=) with a finite number x ("< 0": a loss)'

_NUMBER = r"[-+]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_EVENT = re.compile(rf"\s*([A-Za-z_][A-Za-z0-9_]*)?\s*(<=|>=|<|>)\s*({_NUMBER})\s*")


@dataclass(frozen=True)
class Event:
    """``output op threshold``: where an output falls below or above a number.

    Attributes
    ----------
    output : str or None
        The output it is of; None for the table's or the study's output.
    op : {"<", "<=", ">", ">="}
    threshold : float
        In the output's unit.
    """

    output: str | None
    op: Operator
    threshold: float

    @property
    def condition(self) -> str:
        """The event without its output: ``"< 0"``."""
        return f"{self.op} {self.threshold:g}"

    @property
    def text(self) -> str:
        """The event as written back: ``"profit_per_day < 0"``, or ``"< 0"`` without an output."""
        return f"{self.output} {self.condition}" if self.output else self.condition

    @property
    def below(self) -> bool:
        """Whether the event is of the output below the threshold (``<``, ``<=``)."""
        return self.op.startswith("<")

    def of(self, output: str) -> Event:
        """The event with ``output`` as its output when it names none."""
        return self if self.output else replace(self, output=output)

    def happens(self, y: Any) -> Any:
        """Where the event happens: ``y < x`` (and so on), elementwise for an array (False for NaN)."""
        return OPERATORS[self.op](y, self.threshold)


#: The loss event, P(output < 0): what ``p_loss`` and ``loss_below = 0`` mean.
LOSS = Event(None, "<", 0.0)


def parse_event(text: Any, where: str = "", key: str = "event") -> Event:
    """An event as written (see the module docstring) as an :class:`Event`.

    Parameters
    ----------
    text
        ``"< 0"``, ``"> 1.5e6"``, ``"gross_margin < 0.1"``.
    where
        Starts the message of the error (``"studies/x.toml: [scenarios]"``).
    key
        The key that held it, for the message.

    Returns
    -------
    Event

    Raises
    ------
    SpecError
        One line naming ``where``, ``key`` and the value when ``text`` is not an event.

    Examples
    --------
    >>> parse_event("< 0"), parse_event("gross_margin >= 0.5").text
    (Event(output=None, op='<', threshold=0.0), 'gross_margin >= 0.5')
    """
    m = _EVENT.fullmatch(text) if isinstance(text, str) else None
    value = float(m.group(3).replace("_", "")) if m else math.nan
    if not m or not math.isfinite(value):
        raise SpecError(f"{where} {key} = {shorten(text)} must be {EVENT_HELP}".lstrip())
    return Event(m.group(1), m.group(2), value)  # type: ignore[arg-type]


def loss_below(x: Any, where: str = "") -> Event:
    """The old spelling ``loss_below = x`` as its event ``"< x"``.

    Parameters
    ----------
    x
        A finite number.
    where
        Starts the message of the error.

    Returns
    -------
    Event
    """
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        raise SpecError(f"{where} loss_below = {shorten(x)} must be a finite number (the loss event is "
                        "output < loss_below)".lstrip())
    return Event(None, "<", float(x))


def event_words(event: Event, output: str | None = None, labels: Labels | None = None) -> str:
    """An event named for a sentence: ``"loss"``, ``"profit"``, or ``"gross margin < 0.1"``.

    Parameters
    ----------
    event
        The event.
    output
        Its output when the event names none.
    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`), for the output in words.

    Returns
    -------
    str
        ``"loss"`` / ``"profit"`` for a profit or margin below / above 0, else the output in
        words (without ``_per_day``: the unit says the period) and the condition.
    """
    out = event.output or output or "output"
    if event.threshold == 0 and event.op in ("<", ">") and any(k in out for k in ("profit", "margin")):
        return "loss" if event.op == "<" else "profit"
    return f"{words(out.removesuffix('_per_day'), labels)} {event.condition}"
