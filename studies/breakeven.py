"""``breakeven_decode``: the decode throughput per node at which a provider breaks even.

Solves the :func:`mcrisk.models.maas` equations for ``decode_tps_per_node`` at
``profit_per_day = 0``, in closed form and vectorised (study price_war_2025).

Notes
-----
maas's cost is linear in the average node count: ``cost = nodes_avg k c`` with

::

    k  = 1 + (peak_to_avg headroom - 1)(1 - offpeak_reuse)      (node-days charged per busy node-day)
    c  = gpus_per_node 24 gpu_hour_price (1 + overhead_share)   (cost of one node-day)
    nodes_avg = input_tokens / (86400 prefill_tps_per_node) + output_tokens / (86400 decode_tps_per_node)

so ``profit = 0`` at ``nodes_avg* = revenue_per_day / (k c)`` and

::

    breakeven_decode_tps_per_node = output_tokens / (86400 (nodes_avg* - input_tokens / (86400 prefill_tps_per_node)))

When prefill alone costs at least the revenue (the bracket is <= 0) no decode throughput
breaks even and the output is ``inf`` (counted as non-finite in the summary). A provider with
a higher decode throughput than this makes a profit; ``breakeven_vs_deepseek`` states it as a
multiple of DeepSeek's published 14,800 output tokens/s per H800 node, and

::

    deepseek_speed_margin = 14800 / breakeven_decode_tps_per_node - 1

is finite everywhere (-1 where nothing breaks even), so its quantiles and P(below zero) (the
probability that a provider as fast as DeepSeek loses money) count every sample.
"""

from __future__ import annotations

import inspect

import numpy as np

import mcrisk
from mcrisk.models import extends, maas
from mcrisk.models.maas import INPUTS, SECONDS_PER_DAY

__all__ = ["DEEPSEEK_DECODE_TPS", "breakeven_decode"]

#: DeepSeek's published decode throughput per H800 node (DeepSeek-V3/R1 Inference System Overview).
DEEPSEEK_DECODE_TPS = 14_800.0

_DEFAULTS = {k: v.default for k, v in inspect.signature(maas).parameters.items() if v.default is not v.empty}


@mcrisk.model(
    inputs=INPUTS,
    outputs={
        "breakeven_decode_tps_per_node": ("tokens/s", "decode throughput per node at which profit is zero"),
        "breakeven_vs_deepseek": ("1", "break-even decode throughput / DeepSeek's 14,800 tokens/s"),
        "deepseek_speed_margin": ("1", "DeepSeek's 14,800 tokens/s / the break-even - 1 (< 0: DeepSeek-class loses)"),
        "breakeven_nodes_avg": ("nodes", "busy nodes on average at which cost equals revenue"),
        "revenue_per_day": ("{currency}/day", "revenue per day"),
        "profit_per_day": ("{currency}/day", "revenue minus cost per day at decode_tps_per_node"),
    },
    default_output="breakeven_decode_tps_per_node",
)
@extends(maas)
def breakeven_decode(**inputs) -> dict[str, np.ndarray]:
    """The decode throughput per node (tokens/s) at which profit is zero (see the module notes).

    ``decode_tps_per_node`` does not enter the break-even; it is the throughput the provider
    compares with it, and ``profit_per_day`` is maas's profit at it.

    Parameters
    ----------
    **inputs : array_like
        maas's inputs (see :data:`mcrisk.models.maas.INPUTS` for their units).

    Returns
    -------
    dict of str to ndarray
        The outputs declared above: the break-even throughput (tokens/s), it over DeepSeek's
        (1), DeepSeek's speed margin (1), the break-even busy nodes (nodes), and revenue and
        profit ({currency}/day).
    """
    at = maas(**inputs)
    p = {**_DEFAULTS, **inputs}
    input_tokens, output_tokens = p["input_tokens"], p["output_tokens"]
    k = 1 + (p["peak_to_avg"] * p["headroom"] - 1) * (1 - p["offpeak_reuse"])
    node_day = p["gpus_per_node"] * 24 * p["gpu_hour_price"] * (1 + p["overhead_share"])
    revenue = at["revenue_per_day"]  # revenue does not depend on throughput
    nodes_star = revenue / (k * node_day)
    decode_nodes = nodes_star - input_tokens / (SECONDS_PER_DAY * p["prefill_tps_per_node"])
    with np.errstate(divide="ignore", invalid="ignore"):
        tps = np.where(decode_nodes > 0, output_tokens / (SECONDS_PER_DAY * decode_nodes), np.inf)
    return {
        "breakeven_decode_tps_per_node": tps,
        "breakeven_vs_deepseek": tps / DEEPSEEK_DECODE_TPS,
        "deepseek_speed_margin": DEEPSEEK_DECODE_TPS / tps - 1,
        "breakeven_nodes_avg": nodes_star,
        "revenue_per_day": revenue,
        "profit_per_day": at["profit_per_day"],
    }
