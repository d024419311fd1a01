"""Events on one output, the loss among them: one grammar, one frozen type, one set of words.

Every study table that names an event reads it with :func:`parse_event`::

    "< x"   "> x"   "<= x"   ">= x"          the table's (or the study's) output against x
    "OUTPUT < x"   "OUTPUT >= x"   ...       a named output against x

``x`` is a finite number, optionally followed by its unit (``"< 1.5e6 CNY/month"``,
``"> 5e4 USD/day"``). Without a unit it is read in the unit the study shows the output in: money
per day per the study's period (a money threshold in a per-month study is per month). A study
reads each event with :func:`read_event`, which keeps the threshold as shown and the same
threshold in the unit the results store (per day), the one the comparison uses; a unit that
does not convert to the output's is refused in one line. The older spellings still parse to the same :class:`Event`: ``loss_below = x`` in
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
from mcrisk.core.labels import is_share, period_unit
from mcrisk.core.text import Labels, format_number, percent_text, words

__all__ = ["EVENT_HELP", "LOSS", "OPERATORS", "Event", "event_words", "loss_below", "parse_event", "read_event",
           "read_number", "threshold_text"]

Operator = Literal["<", "<=", ">", ">="]

#: The comparisons an event may make.
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
                                                   ">=": operator.ge}

#: What an event may look like, for error messages.
EVENT_HELP = ('"< x", "> x", "OUTPUT < x" or "OUTPUT > x" (also <=, >=) with a finite number x ("< 0": a loss), '
              'optionally with its unit ("< 1.5e6 CNY/month")')

_NUMBER = r"[-+]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
#: A unit after the number: a letter or %, then anything but a comparison.
UNIT = r"[A-Za-z%][^<>=]*?"
_EVENT = re.compile(rf"\s*([A-Za-z_][A-Za-z0-9_]*)?\s*(<=|>=|<|>)\s*({_NUMBER})\s*({UNIT})?\s*")


@dataclass(frozen=True)
class Event:
    """``output op threshold``: where an output falls below or above a number.

    Attributes
    ----------
    output : str or None
        The output it is of; None for the table's or the study's output.
    op : {"<", "<=", ">", ">="}
    threshold : float
        As read: in ``unit``, or, without one, in the unit the study shows the output in.
    unit : str
        The threshold's unit: as written after the number (``""`` for none), and once read by
        :func:`read_event` the unit the study shows the output in (``"CNY/month"``).
    stored : float or None
        Once read by :func:`read_event`: the threshold in the unit the results store (per day),
        which :meth:`happens` compares with; None: ``threshold`` itself.
    """

    output: str | None
    op: Operator
    threshold: float
    unit: str = ""
    stored: float | None = None

    @property
    def condition(self) -> str:
        """The event without its output: ``"< 0"`` (the threshold as read, without its unit)."""
        return f"{self.op} {self.threshold:g}"

    @property
    def text(self) -> str:
        """The event as written back: ``"profit_per_day < 0"``, or ``"< 0"`` without an output."""
        return f"{self.output} {self.condition}" if self.output else self.condition

    @property
    def limit(self) -> float:
        """The number the output's stored values are compared with (:attr:`stored`, else :attr:`threshold`)."""
        return self.threshold if self.stored is None else self.stored

    @property
    def below(self) -> bool:
        """Whether the event is of the output below the threshold (``<``, ``<=``)."""
        return self.op.startswith("<")

    def of(self, output: str) -> Event:
        """The event with ``output`` as its output when it names none."""
        return self if self.output else replace(self, output=output)

    def happens(self, y: Any) -> Any:
        """Where the event happens: ``y < x`` (and so on, ``x`` the :attr:`limit`), elementwise for
        an array (False for NaN)."""
        return OPERATORS[self.op](y, self.limit)

    def words(self, labels: Labels | None = None, output: str | None = None) -> str:
        """The event as a reader reads it: ``"profit per month < CNY 50,000"``.

        Parameters
        ----------
        labels
            Name -> plain label (:data:`mcrisk.core.text.Labels`), for the output.
        output
            The output when the event names none.

        Returns
        -------
        str
            The output's label, the comparison and the threshold in the unit it was read in.
        """
        name = self.output or output or "output"
        said = words(name, labels) if labels and name in labels else words(name.removesuffix("_per_day"))
        return f"{said} {self.op} {threshold_text(self.threshold, self.unit)}"


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
    unit = (m.group(4) or "").strip()
    if unit:
        from mcrisk.core.units import check_unit  # the names only: pint is not imported here

        check_unit(_spelled(unit), f"{where} {key} = {shorten(text)}:".lstrip())
    return Event(m.group(1), m.group(2), value, unit)  # type: ignore[arg-type]


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


def threshold_text(x: float, unit: str) -> str:
    """A threshold for a sentence: ``"CNY 50,000"`` for money, ``"10%"`` for a share, else ``"5 tokens/s"``.

    Parameters
    ----------
    x
        The threshold, in ``unit``.
    unit
        Its unit (``"CNY/month"``: the label beside it says the period); ``""`` for none.

    Returns
    -------
    str
    """
    if is_share(unit):
        return percent_text(x) if 0 <= x <= 1 else f"{round(x * 100, 6):g}%"
    number = format_number(x, unit) if unit else f"{x:g}"
    if m := re.fullmatch(r"([A-Z]{3})/[^/]+", unit):  # money per period: the currency before the number
        return f"{m.group(1)} {number}"
    return f"{number} {unit}".rstrip()


def _spelled(unit: str) -> str:
    # mcrisk's month is the study period of 30 days (mcrisk.core.statistics.per_period), not pint's 30.44
    return re.sub(r"\bmonths?\b", "(30 day)", unit)


def _factor(given: str, wanted: str, what: str) -> float:
    from mcrisk.core.units import conversion  # pint only when the units differ as written

    return conversion(_spelled(given), _spelled(wanted), what=what).factor


def read_number(x: float, written: str, *, unit: str, period_days: float | None = None, where: str = "",
                key: str = "event", text: str = "") -> tuple[float, str, float]:
    """A threshold read in the study's units: as shown, its unit, and in the unit the results store.

    Parameters
    ----------
    x
        The number as written.
    written
        The unit written after it (``"CNY/month"``, ``"USD/day"``), or ``""``: then ``x`` is in
        the unit the study shows the output in (:func:`mcrisk.core.labels.period_unit`).
    unit
        The output's stored unit (``"CNY/day"``); ``""`` when it has none.
    period_days
        The study's period; money per day is shown per this period.
    where, key, text
        Start the error message: the file and table, the key, the value as written.

    Returns
    -------
    tuple of (float, str, float)
        The threshold in the shown unit, the shown unit, and the threshold in the stored unit:
        ``x / period_days`` for money written without a unit in a per-period study.

    Raises
    ------
    SpecError
        One line naming ``where``, ``key`` and ``text`` when ``written`` does not convert to
        the output's unit (another dimension, another currency) or the output has no unit.
    """
    shown = period_unit(unit, period_days) if unit else ""
    head = f"{where} {key} = {shorten(text)}:".lstrip()
    if written and not unit:
        raise SpecError(f"{head} the output has no unit to convert {written!r} to; give the number alone")
    try:
        # written -> shown by one factor, shown -> stored by the period itself (exact: x / 30)
        x = x * _factor(written, shown, head) if written and _spelled(written) != _spelled(shown) else x
        return x, shown, (x / period_days if shown != unit and period_days else x)
    except SpecError:
        also = f" or {unit}" if unit != shown else ""
        raise SpecError(f"{head} {written!r} does not convert to the output's unit; allowed: the number alone "
                        f"(read in {shown}) or a unit of the same kind, such as {shown}{also}") from None


def read_event(event: Event, *, unit: str, period_days: float | None = None, where: str = "",
               key: str = "event") -> Event:
    """The event read in the study's units (:func:`read_number`): threshold as shown, and as stored.

    Parameters
    ----------
    event
        As parsed (:func:`parse_event`); an event already read is returned as it is.
    unit
        The output's stored unit (``"CNY/day"``), ``""`` for none.
    period_days
        The study's period (days).
    where, key
        Start the error message.

    Returns
    -------
    Event
        With ``unit`` the unit the study shows the output in and ``stored`` the threshold the
        stored values are compared with.

    Examples
    --------
    >>> ev = read_event(parse_event("< 1.5e6"), unit="CNY/day", period_days=30)
    >>> ev.threshold, ev.unit, ev.stored
    (1500000.0, 'CNY/month', 50000.0)
    """
    if event.stored is not None:
        return event
    written = f"{event.text} {event.unit}".rstrip()
    x, shown, stored = read_number(event.threshold, event.unit, unit=unit, period_days=period_days, where=where,
                                   key=key, text=written)
    return replace(event, threshold=x, unit=shown, stored=stored)


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
    if event.unit:  # read in a study's units: the threshold as shown, with its unit
        return event.words(labels, out)
    return f"{words(out.removesuffix('_per_day'), labels)} {event.condition}"
