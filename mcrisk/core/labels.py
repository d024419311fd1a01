"""Plain names and units people read: ``decode_tps_per_node`` -> "Decode throughput per node".

A variable's label is, first found: the prior's or study entry's ``label = "..."``, the model's
:class:`~mcrisk.models.Var` ``label``, else the name in words with a capital. With a study's
``period_days``, money per day is stated per that period in labels and units alike
("Profit per month", ``CNY/month``); the stored names in ``results.nc`` never change.

One rule for a dimensionless number (unit ``"1"``: a share, a margin, a ratio such as the
peak-to-average load) wherever it is read, in the printed summary, the report, the deck, the
workbook and the charts: it is shown as a percentage (:func:`is_share`; a margin of 5.45 is
545%), and its unit reads ``%`` (:func:`shown_unit`), never ``1``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["is_share", "label_of", "period_name", "period_text", "period_unit", "run_labels", "sentence_labels",
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
    # only money per day is restated per period, as mcrisk.core.statistics.per_period restates it
    return period_text(text, period_days) if getattr(var, "unit", "") == "{currency}/day" else text


def is_share(unit: str) -> bool:
    """Whether values in ``unit`` are shown as percentages: every dimensionless value (``"1"``).

    Shares, margins, ratios and probabilities alike (0.25 -> 25%, a cost-profit margin of 5.45 ->
    545%, a peak-to-average load of 1.23 -> 123%), in the report, deck, workbook and charts.

    Parameters
    ----------
    unit
        The unit.

    Returns
    -------
    bool
        True for ``"1"``; ``""`` (no unit given) is a plain number.
    """
    return unit == "1"


def shown_unit(unit: str) -> str:
    """The unit as it labels a shown value: ``"%"`` for a dimensionless ``"1"`` (never print "1").

    Parameters
    ----------
    unit
        The unit.

    Returns
    -------
    str
        ``"%"`` when :func:`is_share`, else ``unit``.
    """
    return "%" if is_share(unit) else unit


def _mid_sentence(label: str) -> str:
    # "Paid share of tokens" -> "paid share of tokens"; "GPU-hour price", "H800 rent" keep their capitals
    return label if label[1:2].isupper() or label[1:2].isdigit() else label[:1].lower() + label[1:]


def sentence_labels(model: Callable | None, priors: Mapping[str, Any] | None,
                    period_days: float | None = None, names: Any = ()) -> dict[str, str]:
    """Every variable's label as read mid-sentence, the ``labels`` argument of whatever
    writes names for a reader (:data:`mcrisk.core.text.Labels`).

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
    """:func:`sentence_labels` of a :class:`~mcrisk.study.runner.StudyRun`'s study and every variable of its results.

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
