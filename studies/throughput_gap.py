"""``gap``: the 15-fold throughput gap between You Yang and DeepSeek, taken apart (study throughput_is_a_choice).

DeepSeek serves 14,800 output tokens/s per H800 decode node [DS-post]; You Yang's totals imply
964.5 per server (facts.md §2.3). Their ratio ``G`` (15.3) is a product of four factors, each a
step on the way from his server to DeepSeek's decode node:

1. **accounting**: DeepSeek's figure is per *decode* node; his is per server doing everything.
   DeepSeek's own fleet, prefill nodes included, serves ``fleet_tps`` per occupied node, so
   ``accounting = decode_tps / fleet_tps`` (1.73) is no difference in what is done.
2. **speed**: serve each user more slowly and a GPU serves more users. On a published curve,
   throughput goes as ``interactivity ** -elasticity`` between points, so moving from his speed
   per user to DeepSeek's multiplies throughput by ``(speed_youyang / speed_deepseek) ** elasticity``.
3. **hardware**: DeepSeek's H800 node against his H100/H800-class server, ``hardware_ratio``.
4. **engineering**: the rest, ``G / (accounting x speed x hardware)``: large expert parallelism,
   prefill/decode disaggregation, multi-token prediction and DeepSeek's kernels, at the same speed
   on the same hardware. It is the ``engineering_factor`` a provider's stack has against a
   standard one.

Notes
-----
The decomposition is of the logarithm (log-shares), so the four shares add up to 1 in every
sample and a factor of 1 has share 0::

    G                 = decode_tps / youyang_tps
    share_k           = ln(factor_k) / ln(G),   k = accounting, speed, hardware, engineering

The order of the steps does not matter (a product of factors), but the split does: engineering is
what the other three leave, so its uncertainty is theirs, mirrored.
"""

from __future__ import annotations

import numpy as np

import mcrisk

__all__ = ["gap"]

_FACTORS = ("accounting", "speed", "hardware", "engineering")


@mcrisk.model(
    inputs={
        "decode_tps": ("tokens/s", "DeepSeek's output tokens/s per decode node"),
        "fleet_tps": ("tokens/s", "DeepSeek's output tokens/s per occupied node, prefill nodes included"),
        "youyang_tps": ("tokens/s", "You Yang's output tokens/s per server (back-solved)"),
        "speed_deepseek": ("tokens/s", "output tokens/s each DeepSeek user receives"),
        "speed_youyang": ("tokens/s", "output tokens/s each of You Yang's users receives"),
        "elasticity": ("1", "-d ln(throughput per GPU) / d ln(interactivity) between the two speeds"),
        "hardware_ratio": ("1", "throughput of DeepSeek's H800 node / his server's at the same speed and stack"),
    },
    outputs={
        "gap": ("x", "DeepSeek's decode-node throughput / You Yang's per server"),
        **{f"{k}_factor": ("x", f"the {k} factor of the gap") for k in _FACTORS},
        **{f"{k}_share": ("1", f"ln({k} factor) / ln(gap)") for k in _FACTORS},
    },
    default_output="engineering_share",
)
def gap(*, decode_tps, fleet_tps, youyang_tps, speed_deepseek, speed_youyang, elasticity,
        hardware_ratio) -> dict[str, np.ndarray]:
    """The gap, its four factors and their log-shares (see the module notes).

    Parameters
    ----------
    decode_tps, fleet_tps, youyang_tps : array_like
        Output tokens/s per node: DeepSeek's decode nodes, DeepSeek's whole fleet, You Yang's servers.
    speed_deepseek, speed_youyang : array_like
        Output tokens/s per user (interactivity) at DeepSeek and at You Yang's service.
    elasticity : array_like
        How steeply throughput per GPU falls with interactivity between the two speeds.
    hardware_ratio : array_like
        DeepSeek's node against You Yang's at the same speed and software.

    Returns
    -------
    dict of str to ndarray
        ``gap``, ``X_factor`` and ``X_share`` for X in accounting, speed, hardware, engineering.
    """
    g = np.asarray(decode_tps, dtype=float) / youyang_tps
    factors = {"accounting": np.asarray(decode_tps / fleet_tps, dtype=float),
               "speed": (np.asarray(speed_youyang, dtype=float) / speed_deepseek) ** elasticity,
               "hardware": np.asarray(hardware_ratio, dtype=float)}
    factors["engineering"] = g / (factors["accounting"] * factors["speed"] * factors["hardware"])
    out = {"gap": g, **{f"{k}_factor": v for k, v in factors.items()}}
    out |= {f"{k}_share": np.log(v) / np.log(g) for k, v in factors.items()}
    return out
