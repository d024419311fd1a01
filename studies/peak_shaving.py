"""``policies``: one provider's day under three fleet policies, on the same samples (study peak_shaving).

Calls :func:`mcrisk.models.hourly_margin` three times with DeepSeek's hourly load shape:

- ``fixed``: a fleet for the day's highest need, idle node-hours all charged (``offpeak_reuse = 0``);
- ``elastic``: each hour provisions the highest need of itself and the hour before (a one-hour
  lag), in 10-node steps, idle node-hours charged;
- ``reuse``: the fixed fleet, with the share ``offpeak_reuse`` of its idle node-hours earning
  elsewhere (DeepSeek's research and training at night), so not charged.

Notes
-----
::

    saving_elastic = cost_fixed - cost_elastic        (money a day; a month with period_days = 30)
    saving_reuse   = cost_fixed - cost_reuse
    elastic_vs_reuse = cost_reuse - cost_elastic     (> 0: releasing nodes beats reusing them)
"""

from __future__ import annotations

import inspect

import numpy as np

import mcrisk
from mcrisk.models import maas_hourly
from mcrisk.models.hourly_margin import INPUTS

__all__ = ["policies"]

SHAPE = "deepseek-2025-02-27"
_SKIP = set(maas_hourly.options) | {"peak_to_avg", "trough_to_avg", "peak_hour"}
_MONEY = "{currency}/day"


@mcrisk.model(
    inputs={k: v for k, v in INPUTS.items() if k not in _SKIP},
    outputs={
        "cost_fixed": (_MONEY, "cost, fixed fleet for the peak"),
        "cost_elastic": (_MONEY, "cost, elastic fleet (1 h lag, 10-node steps)"),
        "cost_reuse": (_MONEY, "cost, fixed fleet with idle capacity reused"),
        "saving_elastic": (_MONEY, "fixed cost minus elastic cost"),
        "saving_reuse": (_MONEY, "fixed cost minus reuse cost"),
        "elastic_vs_reuse": (_MONEY, "reuse cost minus elastic cost"),
        "profit_fixed": (_MONEY, "profit, fixed fleet"),
        "utilization_fixed": ("1", "busy / provisioned, fixed fleet"),
        "utilization_elastic": ("1", "busy / provisioned, elastic fleet"),
        "nodes_peak": ("nodes", "nodes provisioned at the peak, fixed fleet"),
    },
    default_output="saving_elastic",
)
def policies(**inputs) -> dict[str, np.ndarray]:
    """Cost of the fixed, elastic and reuse policies and the savings (see the module notes).

    Parameters
    ----------
    **inputs : array_like
        maas_hourly's inputs (:data:`mcrisk.models.hourly_margin.INPUTS`); ``offpeak_reuse`` is
        used by the reuse policy only.

    Returns
    -------
    dict of str to ndarray
        The outputs declared above (money per day in the study's currency).
    """
    reuse = inputs.pop("offpeak_reuse", 0.0)
    fixed = maas_hourly(**inputs, shape=SHAPE, policy="fixed")
    elastic = maas_hourly(**inputs, shape=SHAPE, policy="elastic", lag_hours=1, step_nodes=10)
    reused = maas_hourly(**inputs, offpeak_reuse=reuse, shape=SHAPE, policy="fixed")
    c_f, c_e, c_r = fixed["cost_per_day"], elastic["cost_per_day"], reused["cost_per_day"]
    return {"cost_fixed": c_f, "cost_elastic": c_e, "cost_reuse": c_r, "saving_elastic": c_f - c_e,
            "saving_reuse": c_f - c_r, "elastic_vs_reuse": c_r - c_e, "profit_fixed": fixed["profit_per_day"],
            "utilization_fixed": fixed["utilization"], "utilization_elastic": elastic["utilization"],
            "nodes_peak": fixed["nodes_peak"]}


_sig = inspect.signature(maas_hourly)
policies.__signature__ = _sig.replace(parameters=[p for k, p in _sig.parameters.items() if k not in _SKIP])
