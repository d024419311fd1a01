"""Plain names and units people read: ``decode_tps_per_node`` -> "Decode throughput per node".

A variable's label is, first found: the prior's or study entry's ``label = "..."``, the model's
:class:`~mcrisk.models.Var` ``label``, else the name in words with a capital. With a study's
``period_days``, money per day is stated per that period in labels and units alike
("Profit per month", ``CNY/month``); the stored names in ``results.nc`` never change.

A dimensionless unit (``"1"``) is never printed: :func:`shown_unit` gives ``""`` for it (and
the value is shown as a percentage, :func:`is_share`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["is_share", "label_of", "period_name", "period_text", "period_unit", "run_labels", "sentence_labels", "shown_as",
           "shown_unit"]


def period_name(period_days: float | None) -> str:
    """The period in words: ``None``/1 -> ``"day"``, 30 -> ``"month"``, 7 -> ``"7 days"``.

    Parameters
    ----------
    period_days
        The study's ``period_days`` (days), or None.

    Returns
    -------
    str
        The period's name.
    """
    if not period_days or period_days == 1:
        return "day"
    return "month" if period_days == 30 else f"{period_days:g} days"


def period_unit(unit: str, period_days: float | None) -> str:
    """A money-per-day unit restated per period: ``"USD/day"`` -> ``"USD/month"`` for 30 days.

    Parameters
    ----------
    unit
        A unit; only one ending in ``/day`` changes.
    period_days
        The period (days), or None for per day.

    Returns
    -------
    str
        The unit per period.
    """
    return unit[: -len("/day")] + "/" + period_name(period_days) if unit.endswith("/day") else unit


def period_text(text: str, period_days: float | None) -> str:
    """A label with "per day" / "a day" restated per period ("Profit per day" -> "Profit per month").

    Parameters
    ----------
    text
        The label.
    period_days
        The period (days), or None.

    Returns
    -------
    str
        The label per period; unchanged without a period.
    """
    name = period_name(period_days)
    if name == "day":
        return text
    per = f"per {name}"
    return text.replace("per day", per).replace(" a day", f" {per}")


def label_of(name: str, *, model: Callable | None = None, priors: Mapping[str, Any] | None = None,
             period_days: float | None = None) -> str:
    """A variable's plain label.

    Parameters
    ----------
    name
        A model input or output name.
    model
        The model (its ``inputs`` / ``outputs`` :class:`~mcrisk.models.Var` labels), or None.
    priors
        The study's priors (an entry's ``label`` overrides the model's), or None.
    period_days
        Money per day (a model variable in ``{currency}/day``) is named per this period
        ("Profit per month"); other labels ("Input tokens per day") are left as they are.

    Returns
    -------
    str
        The label: the prior's, else the model's, else ``name`` in words with a capital.

    Examples
    --------
    >>> from mcrisk.models import maas
    >>> label_of("profit_per_day", model=maas, period_days=30)
    'Profit per month'
    """
    prior = priors.get(name) if priors is not None else None
    var = {**getattr(model, "inputs", {}), **getattr(model, "outputs", {})}.get(name) if model is not None else None
    text = getattr(prior, "label", "") or getattr(var, "label", "") or ""
    if not text:
        words = name.replace("_", " ").strip()
        text = words[:1].upper() + words[1:]
    # only money per day is restated per period, as mcrisk.risk.per_period restates it
    return period_text(text, period_days) if getattr(var, "unit", "") == "{currency}/day" else text


def is_share(unit: str) -> bool:
    """Whether a value in ``unit`` is a share or ratio shown as a percentage (``"1"``, ``""``, ``"%"``).

    Parameters
    ----------
    unit
        The unit.

    Returns
    -------
    bool
        True for a dimensionless unit.
    """
    return unit in ("1", "", "%")


def shown_as(unit: str, values: Any) -> str:
    """How values in ``unit`` read in a deck or a workbook: a share in [0, 1] as % (``"1"``), a larger
    dimensionless ratio as 1.23\u00d7 (``"\u00d7"``: a peak-to-average of 219% would read oddly), else ``unit``.

    Parameters
    ----------
    unit
        The values' unit.
    values
        The values shown (any array-like).

    Returns
    -------
    str
        ``"1"``, ``"\u00d7"`` or ``unit``.
    """
    if unit not in ("", "1"):
        return unit
    v = np.abs(np.asarray(values, dtype=float))
    return "\u00d7" if np.nanmax(v, initial=0.0) > 1 else "1"


def shown_unit(unit: str) -> str:
    """The unit as printed: ``""`` for a dimensionless ``"1"`` (never print "1" as a unit).

    Parameters
    ----------
    unit
        The unit.

    Returns
    -------
    str
        ``unit``, or ``""`` when it is ``"1"``.
    """
    return "" if unit == "1" else unit


def _mid_sentence(label: str) -> str:
    # "Paid share of tokens" -> "paid share of tokens"; "GPU-hour price", "H800 rent" keep their capitals
    return label if label[1:2].isupper() or label[1:2].isdigit() else label[:1].lower() + label[1:]


def sentence_labels(model: Callable | None, priors: Mapping[str, Any] | None,
                    period_days: float | None = None, names: Any = ()) -> dict[str, str]:
    """Every variable's label as read mid-sentence, for :func:`mcrisk.text.labels_in_use`.

    Parameters
    ----------
    model
        The model (its inputs' and outputs' labels).
    priors
        The study's priors (their labels override the model's).
    period_days
        Money per day is named per this period.
    names
        More variable names (outputs a model does not declare).

    Returns
    -------
    dict
        Name -> label (``"paid share of tokens"``, ``"profit per month"``); a ``*_per_day`` name
        also without its suffix (``"profit"``), as the charts name it beside a unit.
    """
    every = dict.fromkeys([*getattr(model, "inputs", {}), *getattr(model, "outputs", {}),
                           *(priors or {}), *names])
    out = {}
    for name in every:
        text = _mid_sentence(label_of(name, model=model, priors=priors, period_days=period_days))
        out[name] = text
        if name.endswith("_per_day"):
            for per in (f" per {period_name(period_days)}", " per day"):
                if text.endswith(per):
                    out[name.removesuffix("_per_day")] = text[: -len(per)]
                    break
    return out


def run_labels(run: Any) -> dict[str, str]:
    """:func:`sentence_labels` of a :class:`~mcrisk.study.StudyRun`'s study and every variable of its results.

    Parameters
    ----------
    run
        A run (``run.study`` and ``run.results``).

    Returns
    -------
    dict
        Name -> mid-sentence label.
    """
    study = run.study
    return sentence_labels(study.model, study.priors, study.period_days, names=list(run.results.data_vars))
