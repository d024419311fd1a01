"""``maas_v3_mix``: DeepSeek's day with part of the traffic at V3 prices (study deepseek_actual).

DeepSeek's first caveat to its 545% is that V3 is priced below R1, and its third that night
discounts differ by model (V3 -50%, R1 -75%). This model bills a share ``v3_token_share`` of
every token kind at the V3 list and off-peak discount, the rest at R1's, and takes the fleet
cost from :func:`mcrisk.models.margin` unchanged.

Notes
-----
With ``s = v3_token_share`` and ``maas_r1``, ``maas_v3`` the maas outputs at each model's prices
and off-peak discount::

    revenue_per_day = (1 - s) revenue_r1 + s revenue_v3
    list_revenue    = (1 - s) list_r1    + s list_v3
    profit_per_day  = revenue_per_day - cost_per_day

Cost does not depend on prices, so it is the same in both calls. The split applies the same
share to input and output tokens (DeepSeek does not publish a split per model).
"""

from __future__ import annotations

import numpy as np

import mcrisk
from mcrisk.models import maas
from mcrisk.models.margin import INPUTS, OUTPUTS

__all__ = ["maas_v3_mix"]


@mcrisk.model(
    inputs={
        **INPUTS,
        "v3_token_share": ("1", "share of tokens billed at V3 prices (the rest at R1's)"),
        "v3_price_input_hit": ("{currency}/1M tokens", "V3 list price, cached input"),
        "v3_price_input_miss": ("{currency}/1M tokens", "V3 list price, uncached input"),
        "v3_price_output": ("{currency}/1M tokens", "V3 list price, output"),
        "v3_offpeak_discount": ("1", "V3 discount in off-peak hours"),
        "offpeak_discount": ("1", "R1 discount in off-peak hours"),
    },
    outputs=OUTPUTS,
    default_output="profit_per_day",
)
def maas_v3_mix(*, v3_token_share, v3_price_input_hit, v3_price_input_miss, v3_price_output,
                v3_offpeak_discount, offpeak_discount, input_tokens, output_tokens,
                prefill_tps_per_node, decode_tps_per_node, gpu_hour_price, peak_to_avg,
                price_input_miss, price_output, cache_hit_share=0.0, price_input_hit=0.0,
                gpus_per_node=8.0, headroom=1.0, offpeak_reuse=0.0, overhead_share=0.0,
                paid_share=1.0, price_cut=0.0, offpeak_token_share=0.0) -> dict[str, np.ndarray]:
    """maas with a share ``v3_token_share`` of tokens billed at V3 prices (see the module notes).

    Parameters
    ----------
    v3_token_share : array_like
        Share of every token kind billed at V3 prices (1).
    v3_price_input_hit, v3_price_input_miss, v3_price_output : array_like
        V3 list prices (currency per 1M tokens).
    v3_offpeak_discount, offpeak_discount : array_like
        Off-peak discount of V3 and of R1 (1).
    price_input_hit, price_input_miss, price_output : array_like
        R1's list prices (currency per 1M tokens).
    input_tokens, output_tokens, prefill_tps_per_node, decode_tps_per_node : array_like
        As for :func:`mcrisk.models.margin` (tokens/day, tokens/s).
    gpu_hour_price, peak_to_avg, gpus_per_node, headroom, offpeak_reuse, overhead_share : array_like
        As for :func:`mcrisk.models.margin`.
    cache_hit_share, paid_share, price_cut, offpeak_token_share : array_like
        As for :func:`mcrisk.models.margin` (1).

    Returns
    -------
    dict of str to ndarray
        maas's outputs, with revenue, list revenue, profit and the margins of the mix.
    """
    common = dict(input_tokens=input_tokens, output_tokens=output_tokens,
                  prefill_tps_per_node=prefill_tps_per_node, decode_tps_per_node=decode_tps_per_node,
                  gpu_hour_price=gpu_hour_price, peak_to_avg=peak_to_avg, cache_hit_share=cache_hit_share,
                  gpus_per_node=gpus_per_node, headroom=headroom, offpeak_reuse=offpeak_reuse,
                  overhead_share=overhead_share, paid_share=paid_share, price_cut=price_cut,
                  offpeak_token_share=offpeak_token_share)
    r1 = maas(**common, price_input_hit=price_input_hit, price_input_miss=price_input_miss,
              price_output=price_output, offpeak_discount=offpeak_discount)
    v3 = maas(**common, price_input_hit=v3_price_input_hit, price_input_miss=v3_price_input_miss,
              price_output=v3_price_output, offpeak_discount=v3_offpeak_discount)
    s = v3_token_share
    out = dict(r1)
    out["list_revenue"] = (1 - s) * r1["list_revenue"] + s * v3["list_revenue"]
    revenue = (1 - s) * r1["revenue_per_day"] + s * v3["revenue_per_day"]
    cost = r1["cost_per_day"]
    profit = revenue - cost
    with np.errstate(divide="ignore", invalid="ignore"):
        out.update(revenue_per_day=revenue, profit_per_day=profit, cost_profit_margin=profit / cost,
                   gross_margin=profit / revenue)
    return out
