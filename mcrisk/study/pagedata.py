"""What the what-if page shows before any change: its controls, labels, units and colours.

:func:`page_data` describes a :class:`~mcrisk.study.whatif.WhatIf` for the page of
:mod:`mcrisk.study.serve`: one control per input (an uncertain input's P1-P99 range and median,
a constant's value, a lever's range from the study's ``[sweep]`` or ``[solve]``), the output's
plain label and unit per the study's period, and the report's colours
(:mod:`mcrisk.report.palette`), so the page draws a loss and a tornado as the figures do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mcrisk.analyze.sweep import lever_unit
from mcrisk.core.labels import label_of, period_name, period_unit
from mcrisk.models import model_inputs
from mcrisk.report.palette import GAIN, GREY, LOSS, PALETTE, QUANTILE_HIGH, QUANTILE_LOW
from mcrisk.study.whatif import WhatIf

__all__ = ["page_data"]


def _levers(study) -> dict[str, tuple[float, float, str]]:
    """Lever name -> (low, high, which table) from ``[solve]`` (its bracket) and ``[sweep]`` (its values)."""
    out = {}
    if study.sweep is not None:
        out[study.sweep.lever] = (min(study.sweep.values), max(study.sweep.values), "sweep")
    if study.solve is not None:
        out[study.solve.lever] = (study.solve.low, study.solve.high, "solve")
    return out


def page_data(whatif: WhatIf) -> dict[str, Any]:
    """The page's description of the study: title, run, output, one control per input, colours.

    Returns
    -------
    dict
        JSON-ready: ``title``, ``description``, ``file``, ``samples``, ``seed``, ``method``,
        ``output`` (name, label, unit, ``loss_word``), ``period``, ``inputs`` (a list of
        controls: ``name``, ``label``, ``unit``, ``kind`` = ``"uncertain"``, ``"constant"`` or
        ``"lever"``, and ``lo``/``hi``/``median``/``distribution`` or ``value``, with ``lever``
        when a ``[sweep]`` or ``[solve]`` moves it) and ``colours``.
    """
    study = whatif.study
    priors, model = study.priors, study.model
    label = lambda k: label_of(k, model=model, priors=priors, period_days=study.period_days)
    levers = _levers(study)
    controls = []
    for name, prior in priors.items():
        row: dict[str, Any] = {"name": name, "label": label(name), "unit": prior.unit, "source": prior.source}
        if prior.is_constant:
            row.update(kind="constant", value=float(prior.params["value"]))
        else:
            lo, median, hi = (float(v) for v in prior.ppf(np.array([0.01, 0.5, 0.99])))
            row.update(kind="uncertain", lo=lo, hi=hi, median=median, distribution=prior.describe())
        controls.append(row)
    _, defaults, _ = model_inputs(model)
    for name, (lo, hi, table) in levers.items():
        row = next((r for r in controls if r["name"] == name), None)
        if row is None:  # a lever the study leaves at the model's default
            default = defaults.get(name)
            row = {"name": name, "label": label(name), "unit": lever_unit(model, priors, name), "source": "",
                   "kind": "lever", "value": float(default) if isinstance(default, int | float) else lo}
            controls.append(row)
        row["lever"] = {"lo": float(lo), "hi": float(hi), "table": table}
    out_var = getattr(model, "outputs", {}).get(study.output)
    bad = getattr(out_var, "bad", "low") or "low"
    unit = out_var.unit_in(priors.currency) if out_var is not None else ""
    return {
        "title": study.title, "description": study.description, "file": study.path.name,
        "samples": study.samples, "seed": study.seed, "method": study.method,
        "period": period_name(study.period_days),
        "output": {"name": study.output, "label": label(study.output), "unit": period_unit(unit, study.period_days),
                   "loss_word": "loss" if bad == "low" else "below zero"},
        "inputs": controls,
        "colours": {"loss": LOSS, "gain": GAIN, "grey": GREY, "low": QUANTILE_LOW, "high": QUANTILE_HIGH,
                    "palette": dict(PALETTE)},
    }
