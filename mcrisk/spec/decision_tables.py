"""Decision settings, checked when a study is read: levers, targets, sweeps and solves.

The ``[sweep]`` and ``[solve]`` study tables and the target text of ``mcrisk solve --target``
are parsed and checked here, with the standard library only, so ``mcrisk check`` finds every
mistake in them without loading the numerical stack (a precision's text is
:mod:`mcrisk.spec.precision_text`'s). The runs themselves are in :mod:`mcrisk.analyze.sweep` and
:mod:`mcrisk.analyze.solve`.

Targets::

    P(profit_per_day > 0) >= 0.9       probability that an output is above (or below) a threshold
    p05(profit_per_day) >= 0           a percentile of an output (p01 ... p99, or median)
    mean(cost_profit_margin) >= 1      the mean of an output
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.events import Event, parse_event
from mcrisk.core.validate import check_int, check_keys, finite_number, show_key, show_keys
from mcrisk.spec.tables import Key, SolveTable, SweepTable

__all__ = ["SOLVE_KEYS", "SWEEP_KEYS", "Target", "check_lever", "check_solve", "check_sweep", "parse_target",
           "sweep_values"]

Comparison = Literal[">=", "<="]

_NUMBER = r"[-+]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PROB = re.compile(rf"^\s*P\(([^()]*)\)\s*(>=|<=)\s*({_NUMBER})\s*$")  # P(event), the event as parse_event reads it
_STAT = re.compile(rf"^\s*(mean|median|p\d\d)\(\s*({_NAME})\s*\)\s*(>=|<=)\s*({_NUMBER})\s*$")
_TARGET_HELP = ('targets look like "P(profit_per_day > 0) >= 0.9", "p05(profit_per_day) >= 0" or '
                '"mean(cost_profit_margin) >= 1" (P(...) of an output above or below a threshold, '
                'a percentile p01 ... p99 or median, or mean; then >= or <= a number)')


@dataclass(frozen=True)
class Target:
    """A condition on one statistic of one output at a lever value.

    Attributes
    ----------
    text : str
        As written (normalised spacing).
    kind : {"probability", "quantile", "mean"}
    output : str
        The model output the statistic is of.
    above : bool
        For a probability: of the output above the threshold (``>``/``>=``), else below.
    inclusive : bool
        For a probability: the threshold itself counts (``>=``/``<=``).
    threshold : float
        For a probability: the threshold the output is compared with.
    q : float
        For a quantile: its probability (0.05 for ``p05``).
    comparison : {">=", "<="}
        How the statistic must compare with ``level``.
    level : float
        The number the statistic is compared with.
    """

    text: str
    kind: Literal["probability", "quantile", "mean"]
    output: str
    comparison: Comparison
    level: float
    above: bool = True
    threshold: float = 0.0
    q: float = 0.5
    inclusive: bool = False

    @property
    def statistic(self) -> str:
        """The target's left-hand side, e.g. ``P(profit_per_day > 0)`` or ``p05(profit_per_day)``."""
        return self.text.rsplit(self.comparison, 1)[0].strip()

    @property
    def event(self) -> Event:
        """A probability target's event, ``output op threshold`` (:mod:`mcrisk.core.events`)."""
        op = (">" if self.above else "<") + ("=" if self.inclusive else "")
        return Event(self.output, op, self.threshold)  # type: ignore[arg-type]

    def met(self, value: float) -> bool:
        """Whether a value of the statistic meets the target."""
        return value >= self.level if self.comparison == ">=" else value <= self.level


def _number(text: str) -> float:
    return float(text.replace("_", ""))


def _target_event(text: str) -> Event | None:
    # The event inside P(...), in the one event grammar; a target names its output.
    try:
        ev = parse_event(text)
    except SpecError:
        return None
    return ev if ev.output else None


def parse_target(text: Any, where: str = "target") -> Target:
    """Parse a target such as ``"P(profit_per_day > 0) >= 0.9"`` (see the module docstring).

    Parameters
    ----------
    text
        The target as written.
    where
        What gave it, to start an error message (``"studies/x.toml: [solve] target"``).

    Returns
    -------
    Target

    Raises
    ------
    SpecError
        If the text is not a target, or a probability level is outside [0, 1].
    """
    if not isinstance(text, str):
        raise SpecError(f"{where} = {shorten(text)} must be a string; {_TARGET_HELP}")
    if (m := _PROB.match(text)) and (ev := _target_event(m.group(1))) is not None:
        _, cmp, level = m.groups()
        lvl = _number(level)
        if not 0 <= lvl <= 1:
            raise SpecError(f"{where} = {shorten(text)}: the probability {level} must be between 0 and 1")
        inner = re.sub(r"\s*(<=|>=|<|>)\s*", r" \1 ", m.group(1).strip())  # the threshold as written
        return Target(text=f"P({inner}) {cmp} {level}", kind="probability", output=ev.output,
                      comparison=cmp, level=lvl, above=not ev.below, threshold=ev.threshold,
                      inclusive=ev.op.endswith("="))
    if m := _STAT.match(text):
        stat, output, cmp, level = m.groups()
        if stat == "mean":
            return Target(text=f"mean({output}) {cmp} {level}", kind="mean", output=output, comparison=cmp,
                          level=_number(level))
        q = 0.5 if stat == "median" else int(stat[1:]) / 100
        if not 0 < q < 1:
            raise SpecError(f"{where} = {shorten(text)}: {stat} is not a percentile; use p01 ... p99 or median")
        return Target(text=f"{stat}({output}) {cmp} {level}", kind="quantile", output=output, comparison=cmp,
                      level=_number(level), q=q)
    raise SpecError(f"{where} = {shorten(text)} is not a target; {_TARGET_HELP}")


def check_lever(lever: Any, inputs: Iterable[str], where: str) -> str:
    """The lever's name, if it is an input of the model; else a SpecError listing the inputs.

    Parameters
    ----------
    lever
        The name given.
    inputs
        The model's inputs (for a model taking any keyword: the study's priors).
    where
        What gave it (``"studies/x.toml: [sweep] lever"``).

    Returns
    -------
    str
    """
    inputs = list(inputs)
    if not isinstance(lever, str):  # a table or a number: the list of inputs would only lengthen the line
        raise SpecError(f"{where} = {shorten(lever)} must be the name of an input (a string)")
    if lever not in inputs:
        raise SpecError(f"{where} = {shorten(lever)} is not an input of the model; inputs: {show_keys(inputs)}")
    return lever


def sweep_values(values: Any = None, *, low: Any = None, high: Any = None, num: Any = None,
                 scale: Any = "linear", where: str = "[sweep]") -> tuple[float, ...]:
    """The lever values of a sweep: a list, or ``num`` values from ``low`` to ``high``.

    Parameters
    ----------
    values
        The values, in any order (kept in the order given); or None for a range.
    low, high, num, scale
        A range: ``num`` (>= 2) values from ``low`` to ``high`` (both included), evenly spaced
        (``scale = "linear"``) or evenly spaced in log (``"log"``: ``low > 0``).
    where
        What gave them, to start an error message.

    Returns
    -------
    tuple of float
        At least two distinct, finite values.

    Raises
    ------
    SpecError
        For fewer than 2 values, repeated or non-finite values, ``low >= high``, both a list
        and a range, or an unknown scale.
    """
    if values is not None:
        if any(v is not None for v in (low, high, num)):
            raise SpecError(f"{where} values = {shorten(values)}: give values or low, high and num, not both")
        if not isinstance(values, list | tuple) or len(values) < 2:
            raise SpecError(f"{where} values = {shorten(values)} must be a list of at least 2 numbers")
        out = tuple(finite_number(where, "values", v) for v in values)
        if len(set(out)) < len(out):
            raise SpecError(f"{where} values = {shorten(values)} repeats a value; give each lever value once")
        return out
    missing = [k for k, v in (("low", low), ("high", high), ("num", num)) if v is None]
    if missing:
        raise SpecError(f"{where} {missing[0]} is missing; give values = [...] or low, high and num")
    lo, hi = finite_number(where, "low", low), finite_number(where, "high", high)
    k = check_int(num, where, "num", 2, 10_000, " (lever values)")
    if not lo < hi:
        raise SpecError(f"{where} low = {shorten(low)} must be below high = {shorten(high)}")
    if scale not in ("linear", "log"):
        raise SpecError(f"{where} scale = {shorten(scale)} is not a scale; allowed: linear, log")
    if scale == "log":
        if lo <= 0:
            raise SpecError(f"{where} low = {shorten(low)} must be positive for scale = \"log\"")
        a, b = math.log(lo), math.log(hi)
        return tuple([lo, *(math.exp(a + (b - a) * i / (k - 1)) for i in range(1, k - 1)), hi])
    return tuple([lo, *(lo + (hi - lo) * i / (k - 1) for i in range(1, k - 1)), hi])


def _check_output(output: Any, outputs: Iterable[str], where: str, why: Mapping[str, str]) -> str:
    """``output`` if it is an output to analyse; ``why`` says why some outputs are not (hourly ones)."""
    outputs = tuple(outputs)
    if not isinstance(output, str) or (outputs and output not in outputs):
        reason = (isinstance(output, str) and why.get(output)) or "is not an output of the model"
        raise SpecError(f"{where} = {shorten(output)} {reason}; outputs: {show_keys(outputs)}")
    return output


#: The ``[sweep]`` table: a lever and its values (``values``, or ``low``, ``high``, ``num``, ``scale``).
SWEEP_KEYS = (
    Key("lever", None, None, "the input swept (required)"),
    Key("values", None, None, "the lever's values, in its unit"),
    Key("low", None, None, "the first value, with high and num"),
    Key("high", None, None, "the last value"),
    Key("num", None, None, "how many values, 2 to 10,000"),
    Key("scale", "linear", None, "linear or log spacing"),
    Key("output", None, None, "the output summarised (default: the study's)"),
)

#: The ``[solve]`` table.
SOLVE_KEYS = (
    Key("lever", None, None, "the input solved for (required)"),
    Key("target", None, None, 'what must hold, e.g. "P(profit_per_day > 0) >= 0.9" (required)'),
    Key("low", None, None, "the lowest lever value searched (required)"),
    Key("high", None, None, "the highest lever value searched (required)"),
    Key("tolerance", "0.1%", None, 'in the lever\'s unit, or relative to the answer ("0.5%")'),
)


def check_sweep(table: Mapping[str, Any], where: str, study: Mapping[str, Any]) -> SweepTable:
    """The ``[sweep]`` table checked: ``lever``, ``values`` (or ``low``, ``high``, ``num``, ``scale``), ``output``.

    Parameters
    ----------
    table
        The table as read.
    where
        The study file.
    study
        ``output``, ``outputs`` and ``inputs`` (the lever may be any of them) of the study, and
        optionally ``domains`` (input -> (low, high)): each value must lie in the lever's, as
        the same value given as the input in the file must.

    Returns
    -------
    SweepTable
        ``lever``, ``values`` (tuple of float) and ``output`` (default: the study's).
    """
    at = f"{where}: [sweep]"
    check_keys(table, [k.name for k in SWEEP_KEYS], at)
    if "lever" not in table:
        raise SpecError(f"{at} lever is missing; name the input to sweep")
    lever = check_lever(table["lever"], study["inputs"], f"{at} lever")
    values = sweep_values(table.get("values"), low=table.get("low"), high=table.get("high"),
                          num=table.get("num"), scale=table.get("scale", "linear"), where=at)
    if (domain := (study.get("domains") or {}).get(lever)) is not None:
        lo, hi = domain
        if bad := [v for v in values if not lo <= v <= hi]:
            shown = f"[{lo:g}, {hi:g}" + (")" if math.isinf(hi) else "]")
            raise SpecError(f"{at} values: {bad[0]:g} lies outside the domain of {show_key(lever)}, {shown}")
    output = _check_output(table.get("output", study["output"]), study["outputs"], f"{at} output",
                           study.get("unanalysed", {}))
    return SweepTable(lever=lever, values=values, output=output)


def check_solve(table: Mapping[str, Any], where: str, study: Mapping[str, Any]) -> SolveTable:
    """The ``[solve]`` table checked: ``lever``, ``target``, ``low``, ``high``, optional ``tolerance``.

    ``tolerance`` is in the lever's units, or a string such as ``"0.5%"``: relative to the
    answer (default ``"0.1%"``).

    Parameters
    ----------
    table
        The table as read.
    where
        The study file.
    study
        ``outputs`` and ``inputs`` of the study.

    Returns
    -------
    SolveTable
        ``lever``, ``target`` (:class:`Target`), ``low``, ``high``, ``tolerance`` (float) and
        ``relative`` (bool).
    """
    at = f"{where}: [solve]"
    check_keys(table, [k.name for k in SOLVE_KEYS], at)
    if "lever" in table:
        check_lever(table["lever"], study["inputs"], f"{at} lever")
    for key in ("lever", "target", "low", "high"):
        if key not in table:
            raise SpecError(f"{at} {key} is missing; [solve] needs lever, target, low and high")
    lever = table["lever"]
    target = parse_target(table["target"], f"{at} target")
    _check_output(target.output, study["outputs"], f"{at} target output", study.get("unanalysed", {}))
    low, high = finite_number(at, "low", table["low"]), finite_number(at, "high", table["high"])
    if not low < high:
        raise SpecError(f"{at} low = {shorten(table['low'])} must be below high = {shorten(table['high'])}")
    tol, relative = check_tolerance(table.get("tolerance", "0.1%"), f"{at} tolerance")
    return SolveTable(lever=lever, target=target, low=low, high=high, tolerance=tol, relative=relative)


def check_tolerance(value: Any, where: str) -> tuple[float, bool]:
    """A solve tolerance: a positive number in the lever's units, or ``"x%"`` of the answer.

    Parameters
    ----------
    value
        The tolerance given (a number, or a string ending in ``%``).
    where
        What gave it, to start an error message.

    Returns
    -------
    (float, bool)
        The tolerance (a fraction when relative) and whether it is relative.
    """
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            x = float(value.strip()[:-1]) / 100
        except ValueError:
            x = math.nan
        if not 0 < x < 1:
            raise SpecError(f"{where} = {shorten(value)} must be a percentage between 0% and 100%, e.g. \"0.5%\"")
        return x, True
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise SpecError(f"{where} = {shorten(value)} must be a positive number in the lever's units, "
                        "or a percentage of the answer such as \"0.5%\"")
    return float(value), False
