"""Where a value may lie: an input's domain and the outputs an analysis takes, worded once.

A value outside its input's domain is refused in the same words whatever gave it: a prior in a
priors or study file, ``mcrisk run --set``, a ``[sweep]`` value, a ``[solve]`` bound (from the
file or ``mcrisk solve --low``); an output an analysis cannot take likewise, whether a study
table or ``--output``, ``--target`` or ``--event`` named it. Standard library only, like
:mod:`mcrisk.core.validate`, so ``mcrisk check`` uses it before numpy loads.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.validate import show_key, show_keys, show_text

__all__ = ["Domain", "check_in_domain", "check_output", "domain_text", "not_analysed", "outside_domain"]


class Domain(tuple):
    """An input's domain ``(low, high)`` that says why it is what it is.

    A plain pair for every check (``lo, hi = domain``); the ``why`` is added to the message
    when a value leaves it: ``Domain(42, 100, why="the range of throughput_curve's points; no
    extrapolation")`` for an input whose domain a model option sets.

    Parameters
    ----------
    low, high
        The closed bounds.
    why
        Where the bounds come from, for messages; ``""``: nothing to add.
    """

    why: str

    def __new__(cls, low: float, high: float = math.inf, why: str = "") -> Domain:
        self = super().__new__(cls, (float(low), float(high)))
        self.why = why
        return self

    def __reduce__(self):  # a tuple pickles without its attributes
        return (Domain, (self[0], self[1], self.why))


def domain_text(domain: tuple[float, float], *, strict_low: bool = False) -> str:
    """An input's domain as messages write it: ``[0, 1]``, ``[0, inf)``, ``(0, inf)``.

    Parameters
    ----------
    domain
        ``(low, high)``, closed where finite.
    strict_low
        The lower bound itself is excluded.

    Returns
    -------
    str
    """
    lo, hi = domain
    return (("(" if strict_low or math.isinf(lo) else "[") + f"{lo:g}, {hi:g}" + (")" if math.isinf(hi) else "]"))


def outside_domain(name: str, domain: tuple[float, float], lo: float, hi: float, *, what: str = "",
                   strict_low: bool = False, bounded_hint: bool = False) -> str | None:
    """The rule text for values from ``lo`` to ``hi`` outside an input's domain, or None if inside.

    The one wording of a domain error, whatever gave the value: a prior in a priors or study
    file, ``--set``, a ``[sweep]`` value, a ``[solve]`` bound.

    Parameters
    ----------
    name
        The input.
    domain
        Its ``(low, high)``.
    lo, hi
        The smallest and largest value given (equal for one value).
    what
        How the values are described when ``lo < hi`` (``"uniform(low=0, high=2) ranges over [0, 2],"``);
        a single value is ``value {lo} lies``.
    strict_low
        The domain's lower bound is excluded.
    bounded_hint
        Suggest a family bounded below at 0 for a prior reaching below a zero lower bound.

    Returns
    -------
    str or None
        ``"value 2 lies outside the domain of paid_share, [0, 1]; a share is a fraction ..."``.
    """
    dlo, dhi = domain
    if (dlo < lo if strict_low else dlo <= lo) and hi <= dhi:
        return None
    shown = what if lo != hi and what else f"value {lo:.6g} lies"
    hint = ""
    if tuple(domain) == (0.0, 1.0) and 1 < hi <= 100 and lo >= 0:
        hint = "; a share is a fraction (0.5 for 50%), or give unit = \"%\""
    elif dlo == 0 and lo < 0 and bounded_hint:
        hint = "; choose a family bounded below at 0 (lognormal, pert, triangular, truncnormal with low = 0)"
    why = f" ({domain.why})" if getattr(domain, "why", "") else ""
    return (f"{shown} outside the domain of {show_key(name)}, {domain_text(domain, strict_low=strict_low)}"
            f"{why}{hint}")


def check_in_domain(value: float, name: str, domain: tuple[float, float] | None, where: str) -> float:
    """``value``, if it lies in the input ``name``'s domain (closed).

    For a lever value (``[sweep]``, ``[solve]``, ``mcrisk solve --low``): refused in the words a
    prior outside the domain is (:func:`outside_domain`).

    Parameters
    ----------
    value
        The number given, already checked to be finite (:func:`finite_number`).
    name
        The input it is a value of.
    domain
        The input's ``(low, high)``; None: any number.
    where
        What gave it, to start the message (``"studies/x.toml: [sweep] values:"``, ``"--low"``).

    Returns
    -------
    float

    Raises
    ------
    SpecError
        ``{where} value -1 lies outside the domain of gpu_hour_price, [0, inf)``.
    """
    if domain is not None and (text := outside_domain(name, domain, value, value)) is not None:
        raise SpecError(f"{where} {text}" if where else text)
    return value


def check_output(value: Any, outputs: Iterable[str], where: str, *,
                 why: Callable[[Any], str] | None = None) -> str:
    """``value`` if it names an output an analysis can take; the one wording of that error.

    Parameters
    ----------
    value
        The output named (in a study table, ``--output``, a target or an event).
    outputs
        The outputs analyses take (one value per sample); empty: any name is taken.
    where
        What gave it, with its key: ``"studies/x.toml: [scenarios] output"``, ``"--output"``.
    why
        ``why(value)``: why it is not one, e.g. ``"is an hourly output over (sample, hour); ..."``
        (default ``"is not an output of the model"``).

    Returns
    -------
    str

    Raises
    ------
    SpecError
        ``{where} = {value} {why}; outputs: {outputs}``.
    """
    outputs = tuple(outputs)
    if not isinstance(value, str) or (outputs and value not in outputs):
        reason = why(value) if why is not None else "is not an output of the model"
        # an output's name is short: a pasted table is echoed at 100 characters, so the line keeps room for
        # the model's outputs (a study's own model may declare many, such as studies/hardware_tiers.py's 15)
        raise SpecError(f"{where} = {shorten(value, 100)} {reason}; outputs: {show_keys(outputs)}")
    return value


#: An output over more than samples: what it is called, and the outputs of one value per sample to take instead.
_PROFILES = {("hour",): ("an hourly output", "the daily totals"),
             ("month",): ("a monthly output", "the totals over the months (npv, irr, payback_month)")}


def not_analysed(model: Callable, name: Any, ref: Any) -> str:
    """Why ``name`` is no output to analyse: an hourly one (over sample, hour), or none at all.

    Parameters
    ----------
    model
        The model (its declared ``outputs``, name -> :class:`~mcrisk.models.Var` with ``dims``).
    name
        The name given.
    ref
        The model as the study names it (``"maas"``), for the message.

    Returns
    -------
    str
        ``"is an hourly output over (sample, hour); analyses take one value per sample, such as
        the daily totals"`` or ``"is not an output of maas"``: the ``why`` of :func:`check_output`.
    """
    declared = getattr(model, "outputs", None) or {}
    dims = getattr(declared.get(name), "dims", ()) if isinstance(name, str) else ()
    if dims:
        kind, such = _PROFILES.get(tuple(dims), ("an output", "the daily totals"))
        return (f"is {kind} over ({', '.join(('sample', *dims))}); analyses take one value per sample, "
                f"such as {such}")
    return f"is not an output of {show_text(ref)}"
