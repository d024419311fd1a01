"""``by_scale``: one provider's margin at daily volumes from 1 B to 1 T output tokens (study scale_economics).

Each sample's premises (throughput, rents, prices, bursts) are evaluated by
:func:`mcrisk.models.hourly_margin` at seven volumes on the same samples (common random numbers),
with a fleet rented for the day's highest need in whole nodes (the elastic policy looking back
23 hours, so every hour covers the day's peak, in steps of one node),
so the summary's P(loss) and median margin of ``margin_1b`` ... ``margin_1t`` trace how big the
provider must be. Input tokens keep the mix of the inputs ``input_tokens`` and ``output_tokens``
(the reference day, scaled to each volume).

Notes
-----
Within-hour bursts need ``z sqrt(burst_dispersion mu_h)`` spare nodes on ``mu_h`` busy ones: the
spare share falls as ``1 / sqrt(mu_h)``, so a bigger pool of users is smoother::

    margin_X = cost_profit_margin of maas_hourly at output_tokens = X,
               input_tokens = X input_tokens / output_tokens
"""

from __future__ import annotations

import inspect

import numpy as np

import mcrisk
from mcrisk.models import maas_hourly
from mcrisk.models.hourly_margin import INPUTS

__all__ = ["SCALES", "by_scale"]

#: Output tokens a day, by the suffix of the outputs' names.
SCALES = {"1b": 1e9, "3b": 3e9, "10b": 1e10, "30b": 3e10, "100b": 1e11, "300b": 3e11, "1t": 1e12}
SHAPE = "deepseek-2025-02-27"
_SKIP = set(maas_hourly.options) | {"peak_to_avg", "trough_to_avg", "peak_hour"}

_OUTPUTS = {f"margin_{k}": ("1", f"cost-profit margin at {v:.0e} output tokens a day") for k, v in SCALES.items()}
_OUTPUTS |= {f"utilization_{k}": ("1", f"busy / provisioned nodes at {v:.0e} output tokens a day")
             for k, v in SCALES.items()}


@mcrisk.model(
    inputs={k: v for k, v in INPUTS.items() if k not in _SKIP},
    outputs=_OUTPUTS,
    default_output="margin_100b",
)
def by_scale(*, input_tokens, output_tokens, **inputs) -> dict[str, np.ndarray]:
    """Cost-profit margin and utilization at each volume of :data:`SCALES` (see the module notes).

    Parameters
    ----------
    input_tokens, output_tokens : array_like
        A reference day (tokens/day): only their ratio, the token mix, is used.
    **inputs : array_like
        maas_hourly's other inputs (:data:`mcrisk.models.hourly_margin.INPUTS`).

    Returns
    -------
    dict of str to ndarray
        ``margin_<scale>`` and ``utilization_<scale>`` (1) for every scale.
    """
    out = {}
    for key, tokens in SCALES.items():
        mix = np.asarray(input_tokens, dtype=float) / output_tokens
        # the fleet for the day's highest need (a 23-hour look-back covers the whole day) in whole nodes
        r = maas_hourly(**inputs, output_tokens=tokens, input_tokens=tokens * mix,
                        shape=SHAPE, policy="elastic", lag_hours=23, step_nodes=1)
        out[f"margin_{key}"] = r["cost_profit_margin"]
        out[f"utilization_{key}"] = r["utilization"]
    return out


#: The margins by volume: the report draws them against scale (mcrisk.figures, "by_scale").
by_scale.scale_outputs = {f"margin_{k}": v for k, v in SCALES.items()}

_sig = inspect.signature(maas_hourly)
by_scale.__signature__ = _sig.replace(parameters=[p for k, p in _sig.parameters.items() if k not in _SKIP])
