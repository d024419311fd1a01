"""``maas_at_load``: one hour of the day, at its own load, with the fleet sized for the day's peak.

Wraps :func:`mcrisk.models.margin`. An hour whose token load is ``load_ratio`` times the day's
mean serves tokens at that rate, up to the fleet's capacity (``peak_to_avg`` times the mean:
the fleet is sized for the day's peak; load above it is turned away), while the fleet stays
provisioned for the peak. So it is maas with the token rates scaled by the served ratio ``s``
and the peak-to-average ratio divided by it::

    s = min(load_ratio, peak_to_avg)
    maas_at_load(load_ratio, input_tokens, output_tokens, peak_to_avg, ...)
        = maas(input_tokens s, output_tokens s, peak_to_avg / s, ...)
    turned_away_share = 1 - s / load_ratio

Then ``nodes_provisioned`` is the day's (``nodes_avg peak_to_avg``), busy nodes and revenue
follow the hour's load, and the outputs are per day at that hour's rate (an hour's money is
1/24 of them). With ``offpeak_reuse = 1`` cost follows the load too; with 0 the whole fleet is
paid every hour.
"""

from __future__ import annotations

import numpy as np

import mcrisk
from mcrisk.models import Var, extends, maas
from mcrisk.models.margin import INPUTS, OUTPUTS

__all__ = ["maas_at_load"]


@mcrisk.model(
    inputs={**INPUTS,
            "load_ratio": Var("1", "the hour's token load / the day's mean load", domain=(0.0, np.inf))},
    outputs={**OUTPUTS, "turned_away_share": Var("1", "share of the hour's tokens above the fleet's capacity",
                                                  bad="high")},
    default_output="profit_per_day",
)
@extends(maas, "load_ratio")
def maas_at_load(*, load_ratio, **inputs) -> dict[str, np.ndarray]:
    """maas at one hour's load (see the module notes).

    Parameters
    ----------
    load_ratio : array_like
        The hour's token load over the day's mean (1).
    **inputs : array_like
        maas's inputs (see :data:`mcrisk.models.margin.INPUTS`); the token rates and
        ``peak_to_avg`` are the day's.

    Returns
    -------
    dict of str to ndarray
        maas's outputs at the hour's rate, per day, and ``turned_away_share`` (1).
    """
    served = np.minimum(load_ratio, inputs["peak_to_avg"])
    scaled = {**inputs, "input_tokens": inputs["input_tokens"] * served,
              "output_tokens": inputs["output_tokens"] * served,
              "peak_to_avg": inputs["peak_to_avg"] / served}
    return {**maas(**scaled), "turned_away_share": 1 - served / load_ratio}
