"""``tiers``: a DeepSeek-R1-class provider on one accelerator at three speed tiers, rented and owned (studies hardware_2026*).

:func:`mcrisk.models.maas` with the option ``throughput_curve`` (the accelerator's published
curve, given in the study as a ``FILE.toml#ACCELERATOR.curves.NAME`` reference into the hardware
catalogue) prices the day at each speed tier, once at the rent and once at the owned cost per
GPU-hour, on the same samples (common random numbers).

Notes
-----
The tiers are the points the curves publish (42, 71 and 100 output tokens/s per user), so
nothing is interpolated. The benchmark serves prefill and decode on the same GPUs (1k input, 1k
output tokens a request), so its throughput already pays for the prefill: maas with a curve adds
no prefill nodes::

    decode_tps_per_node(s)         = gpus_per_node curve(s) engineering_factor
    profit_{rent,owned}_{s}        = maas profit at s, gpu_hour_price = rent or owned cost
    cost_per_mtok_{rent,owned}_{s} = maas cost per million output tokens at s
"""

from __future__ import annotations

import inspect

import mcrisk
from mcrisk.models import maas
from mcrisk.models.base import Var
from mcrisk.models.margin import INPUTS

__all__ = ["TIERS", "tiers"]

#: The speed tiers, output tokens/s per user: the points the InferenceX curves publish.
TIERS = (42, 71, 100)
_OWN = ("rent", "owned")
_MAAS = {k: v for k, v in INPUTS.items() if k not in ("prefill_tps_per_node", "decode_tps_per_node", "gpu_hour_price")}
_INPUTS = {**_MAAS,
           "rent_gpu_hour_price": ("{currency}/GPU-hour", "rent of one GPU-hour"),
           "owned_gpu_hour_price": ("{currency}/GPU-hour", "total cost of owning one GPU for an hour"),
           "engineering_factor": ("1", "the provider's throughput / the benchmark's at the same speed")}
_HOW = {"rent": "rented", "owned": "owned"}
_OUTPUTS = {f"decode_tps_{s}": Var("tokens/s", f"output tokens/s per node at {s} tokens/s per user",
                                   label=f"Decode throughput per node at {s} tok/s/user") for s in TIERS}
_OUTPUTS |= {f"profit_{o}_{s}": Var("{currency}/day", f"profit per day, {_HOW[o]} GPUs, {s} tokens/s per user",
                                    bad="low", label=f"Profit, {_HOW[o]}, {s} tok/s/user")
             for o in _OWN for s in TIERS}
_OUTPUTS |= {f"cost_per_mtok_{o}_{s}": Var("{currency}/1M tokens",
                                           f"cost per million output tokens, {_HOW[o]} GPUs, {s} tokens/s per user",
                                           bad="high", label=f"Cost per M output tokens, {_HOW[o]}, {s} tok/s/user")
             for o in _OWN for s in TIERS}


@mcrisk.model(inputs=_INPUTS, outputs=_OUTPUTS, default_output="profit_rent_71",
              options={"throughput_curve": "the accelerator's curve, [[interactivity, output tokens/s per GPU], ...]"})
def tiers(*, rent_gpu_hour_price, owned_gpu_hour_price, engineering_factor, throughput_curve=None, **inputs):
    """maas at each speed tier, rented and owned (see the module notes)."""
    out = {}
    for s in TIERS:
        for own, price in zip(_OWN, (rent_gpu_hour_price, owned_gpu_hour_price)):
            day = maas(**inputs, interactivity=float(s), engineering_factor=engineering_factor,
                       gpu_hour_price=price, throughput_curve=throughput_curve)
            out[f"profit_{own}_{s}"] = day["profit_per_day"]
            out[f"cost_per_mtok_{own}_{s}"] = day["cost_per_million_output_tokens"]
        out[f"decode_tps_{s}"] = day["decode_tps_per_node"]
    return out


_params = [p for p in inspect.signature(maas).parameters.values() if p.name in _MAAS]
tiers.__signature__ = inspect.Signature(
    [*(inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY) for k in
       ("rent_gpu_hour_price", "owned_gpu_hour_price", "engineering_factor")),
     *_params, inspect.Parameter("throughput_curve", inspect.Parameter.KEYWORD_ONLY, default=None)])
