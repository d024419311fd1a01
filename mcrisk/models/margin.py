"""``maas``: the daily margin of serving a large language model as a paid API.

All money is per day in the study's currency (``{currency}`` in a unit is replaced by it).

Notes
-----
Capacity is what the day's tokens need at full load, scaled up for the daily peak and the
headroom kept above it; idle provisioned capacity is charged unless it earns elsewhere::

    nodes_avg          = input_tokens / (86400 prefill_tps_per_node)
                         + output_tokens / (86400 decode_tps_per_node)
    nodes_provisioned  = nodes_avg peak_to_avg headroom
    nodes_charged      = nodes_avg + (nodes_provisioned - nodes_avg)(1 - offpeak_reuse)
    utilization        = nodes_avg / nodes_provisioned
    cost_per_day       = nodes_charged gpus_per_node 24 gpu_hour_price (1 + overhead_share)
    list_revenue       = [input_tokens (h p_hit + (1 - h) p_miss) + output_tokens p_out] / 1e6
    revenue_per_day    = list_revenue paid_share (1 - price_cut)
                         (1 - offpeak_token_share offpeak_discount)
    profit_per_day     = revenue_per_day - cost_per_day
    cost_profit_margin = profit_per_day / cost_per_day          (DeepSeek's "545%")
    gross_margin       = profit_per_day / revenue_per_day
    cost_per_million_output_tokens = cost_per_day / (output_tokens / 1e6)

with ``h = cache_hit_share``. With the option ``throughput_curve`` (:mod:`.curves`), the inputs
``interactivity`` and ``engineering_factor`` replace ``decode_tps_per_node``::

    decode_tps_per_node = gpus_per_node curve(interactivity) engineering_factor

and ``prefill_tps_per_node`` defaults to infinity (the curve's GPUs prefill too). For a decode-only
fleet (no prefill nodes) at ``peak_to_avg = headroom = 1`` and no overhead, the cost per million
output tokens is then the benchmarks' figure, ``gpu_hour_price 1e6 / (3600 curve(i) f)``. With DeepSeek's published 24 h figures (2025-02-27) this gives
226.9 nodes, USD 87.1 k cost and 562.1 k revenue a day, a cost-profit margin of 5.45.

References
----------
DeepSeek, "DeepSeek-V3/R1 Inference System Overview", open-infra-index, 2025-03-01.

Examples
--------
>>> out = maas(input_tokens=608e9, output_tokens=168e9, cache_hit_share=342/608,
...            prefill_tps_per_node=73_700, decode_tps_per_node=14_800, gpu_hour_price=2.0,
...            peak_to_avg=278/226.75, offpeak_reuse=1.0, price_input_hit=0.14,
...            price_input_miss=0.55, price_output=2.19)
>>> round(float(out["cost_profit_margin"]), 2)
5.45
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from mcrisk.models.base import Option, Var, model
from mcrisk.models.curves import CURVE_OPTION, HIDDEN, check_curve, curve_face, decode_rate, face

__all__ = ["INPUTS", "OUTPUTS", "maas"]

SECONDS_PER_DAY = 86_400
INF = math.inf
SHARE = (0.0, 1.0)  # the domain of a share, a discount or a probability

INPUTS: dict[str, Var] = {
    "input_tokens": Var("tokens/day", "prompt tokens served a day, paid or free", domain=(0, INF),
                        label="Input tokens per day"),
    "output_tokens": Var("tokens/day", "completion tokens served a day", domain=(0, INF),
                         label="Output tokens per day"),
    "cache_hit_share": Var("1", "share of input tokens served from the KV cache", domain=SHARE,
                           label="Cache hit share"),
    "prefill_tps_per_node": Var("tokens/s", "input tokens one node prefills per second at full load",
                                  domain=(0, INF), label="Prefill throughput per node"),
    "decode_tps_per_node": Var("tokens/s", "output tokens one node decodes per second at full load",
                                 domain=(0, INF), label="Decode throughput per node"),
    "gpus_per_node": Var("GPUs", "GPUs in one node", domain=(1, INF), label="GPUs per node"),
    "gpu_hour_price": Var("{currency}/GPU-hour", "rent or fully loaded cost of one GPU-hour", domain=(0, INF),
                          label="GPU-hour price"),
    "peak_to_avg": Var("1", "peak load / mean load over the day", domain=(1, INF),
                       label="Peak-to-average load"),
    "headroom": Var("1", "capacity kept above the peak (SLA, failover, bursts); 1 = none", domain=(1, INF),
                    label="Capacity headroom"),
    "offpeak_reuse": Var("1", "share of idle provisioned capacity that earns elsewhere, so is not charged",
                         domain=SHARE, label="Off-peak reuse of idle capacity"),
    "overhead_share": Var("1", "non-GPU cost (CPU, storage, network, power, staff) / GPU cost", domain=(0, INF),
                          label="Overhead on GPU cost"),
    "price_input_hit": Var("{currency}/1M tokens", "list price, cached input", domain=(0, INF),
                           label="Price, cached input"),
    "price_input_miss": Var("{currency}/1M tokens", "list price, uncached input", domain=(0, INF),
                            label="Price, uncached input"),
    "price_output": Var("{currency}/1M tokens", "list price, output", domain=(0, INF), label="Price, output"),
    "paid_share": Var("1", "share of tokens that are billed (the rest: free app and web)", domain=SHARE,
                      label="Paid share of tokens"),
    "price_cut": Var("1", "discount off list price (competition, promotions)", domain=SHARE,
                     label="Price cut"),
    "offpeak_token_share": Var("1", "share of tokens served in discounted hours", domain=SHARE,
                               label="Off-peak share of tokens"),
    "offpeak_discount": Var("1", "discount in those hours", domain=SHARE, label="Off-peak discount"),
}

OUTPUTS: dict[str, Var] = {
    "nodes_avg": Var("nodes", "nodes busy on average at full load", bad="high", label="Average busy nodes"),
    "nodes_provisioned": Var("nodes", "nodes provisioned for the peak and headroom", bad="high",
                             label="Nodes provisioned"),
    "nodes_charged": Var("nodes", "node-days paid for", bad="high", label="Nodes paid for"),
    "utilization": Var("1", "mean load / provisioned capacity", bad="low", label="Utilization"),
    "cost_per_day": Var("{currency}/day", "cost of the fleet per day", bad="high", label="Cost per day"),
    "list_revenue": Var("{currency}/day", "revenue if every token were billed at list price", bad="low",
                        label="Revenue at list price per day"),
    "revenue_per_day": Var("{currency}/day", "revenue per day", bad="low", label="Revenue per day"),
    "profit_per_day": Var("{currency}/day", "revenue minus cost per day", bad="low", label="Profit per day"),
    "cost_profit_margin": Var("1", "profit / cost", bad="low", label="Cost-profit margin"),
    "gross_margin": Var("1", "profit / revenue", bad="low", label="Gross margin"),
    "cost_per_million_output_tokens": Var("{currency}/1M tokens", "daily cost per million output tokens",
                                            bad="high", label="Cost per million output tokens"),
}


@model(inputs=INPUTS, outputs=OUTPUTS, default_output="profit_per_day",
       options={CURVE_OPTION[0]: Option(CURVE_OPTION[1])})
def maas(
    *,
    input_tokens,
    output_tokens,
    prefill_tps_per_node=None,
    decode_tps_per_node=None,
    gpu_hour_price,
    peak_to_avg,
    price_input_miss,
    price_output,
    cache_hit_share=0.0,
    price_input_hit=0.0,
    gpus_per_node=8.0,
    headroom=1.0,
    offpeak_reuse=0.0,
    overhead_share=0.0,
    paid_share=1.0,
    price_cut=0.0,
    offpeak_token_share=0.0,
    offpeak_discount=0.0,
    interactivity=None,
    engineering_factor=None,
    throughput_curve=None,
) -> dict[str, np.ndarray]:
    """Daily cost, revenue and profit of serving an LLM API (see the module notes).

    Parameters
    ----------
    input_tokens, output_tokens : array_like
        Tokens served a day (tokens/day).
    prefill_tps_per_node, decode_tps_per_node : array_like
        Per-node throughput at full load (tokens/s).
    gpu_hour_price : array_like
        Currency per GPU-hour.
    peak_to_avg : array_like
        Peak load over mean load (1).
    price_input_miss, price_output, price_input_hit : array_like
        List prices, currency per million tokens.
    cache_hit_share, gpus_per_node, headroom, offpeak_reuse, overhead_share, paid_share,
    price_cut, offpeak_token_share, offpeak_discount : array_like
        See :data:`INPUTS`; the defaults are the neutral values (no cache, 8 GPUs a node, no
        headroom, idle capacity fully charged, no overhead, every token billed at list price).
    interactivity, engineering_factor : array_like, optional
        With ``throughput_curve`` only: output tokens/s per user, and the provider's
        throughput over the benchmark's (default 1).
    throughput_curve : list of [float, float], optional
        An option: points ``[interactivity, output tokens/s per GPU]`` (:mod:`.curves`);
        ``decode_tps_per_node`` is then computed, not given.

    Returns
    -------
    dict of str to ndarray
        The outputs of :data:`OUTPUTS`, each broadcast over the inputs' shape; with a curve,
        also ``decode_tps_per_node`` and ``decode_tps_per_gpu``.

    Raises
    ------
    SpecError
        For ``interactivity`` outside the curve's range, or inputs of the other form.
    """
    decode_tps_per_node, prefill_tps_per_node, from_curve = decode_rate(
        "maas", throughput_curve, decode_tps_per_node=decode_tps_per_node, prefill_tps_per_node=prefill_tps_per_node,
        interactivity=interactivity, engineering_factor=engineering_factor, gpus_per_node=gpus_per_node)
    nodes_avg = (input_tokens / (SECONDS_PER_DAY * prefill_tps_per_node)
                 + output_tokens / (SECONDS_PER_DAY * decode_tps_per_node))
    nodes_provisioned = nodes_avg * peak_to_avg * headroom
    nodes_charged = nodes_avg + (nodes_provisioned - nodes_avg) * (1 - offpeak_reuse)
    cost = nodes_charged * gpus_per_node * 24 * gpu_hour_price * (1 + overhead_share)
    input_price = cache_hit_share * price_input_hit + (1 - cache_hit_share) * price_input_miss
    list_revenue = (input_tokens * input_price + output_tokens * price_output) / 1e6
    revenue = (list_revenue * paid_share * (1 - price_cut)
               * (1 - offpeak_token_share * offpeak_discount))
    profit = revenue - cost
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "nodes_avg": nodes_avg,
            "nodes_provisioned": nodes_provisioned,
            "nodes_charged": nodes_charged,
            "utilization": np.divide(nodes_avg, nodes_provisioned),
            "cost_per_day": cost,
            "list_revenue": list_revenue,
            "revenue_per_day": revenue,
            "profit_per_day": profit,
            # np.divide, not /: with plain float inputs / raises ZeroDivisionError, not inf.
            "cost_profit_margin": np.divide(profit, cost),
            "gross_margin": np.divide(profit, revenue),
            "cost_per_million_output_tokens": np.divide(cost, output_tokens / 1e6),
            **from_curve,
        }


def _bound_form(options: Mapping[str, Any]) -> tuple[inspect.Signature, dict, dict] | None:
    """maas as a study with these options sees it: with a curve, interactivity in place of decode throughput."""
    if options.get("throughput_curve") is None:
        return None
    changes, inputs, outputs = curve_face(check_curve(options["throughput_curve"]), INPUTS, OUTPUTS)
    return face(_FULL, **changes), inputs, outputs


def _check_options(*, throughput_curve: Any = None) -> None:
    """Refuse a throughput curve that is not points (the message says what is allowed)."""
    if throughput_curve is not None:
        check_curve(throughput_curve)


_FULL = inspect.signature(maas)  # every parameter the function accepts
# Without a curve, maas shows (and a study sees) the inputs it had before curves.
maas.__signature__ = face(_FULL, drop=HIDDEN, required=("prefill_tps_per_node", "decode_tps_per_node"))
maas.bound_form = _bound_form
maas.check_options = _check_options

