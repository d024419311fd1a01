"""``fleet``: can a fixed fleet serve a day's tokens at the peak? (study fleet_400)

Wraps :func:`mcrisk.models.maas` and adds ``spare_nodes``: the fleet minus the nodes the peak
(times the headroom) needs. ``spare_nodes < 0`` means the fleet is too small, so
P(spare_nodes < 0) in the summary is P(not enough).

Notes
-----
::

    spare_nodes         = fleet_nodes - nodes_provisioned
    max_output_tokens   = output_tokens fleet_nodes / nodes_provisioned
                          (output tokens a day the fleet serves at the same token mix and load shape)
"""

from __future__ import annotations

import numpy as np

from mcrisk.models import Var, maas
from mcrisk.models.maas import INPUTS, OUTPUTS

__all__ = ["fleet"]


def fleet(*, fleet_nodes, input_tokens, output_tokens, prefill_tps_per_node, decode_tps_per_node,
          gpu_hour_price, peak_to_avg, price_input_miss, price_output, cache_hit_share=0.0,
          price_input_hit=0.0, gpus_per_node=8.0, headroom=1.0, offpeak_reuse=0.0, overhead_share=0.0,
          paid_share=1.0, price_cut=0.0, offpeak_token_share=0.0,
          offpeak_discount=0.0) -> dict[str, np.ndarray]:
    """maas outputs plus ``spare_nodes`` and ``max_output_tokens`` (see the module notes).

    ``fleet_nodes`` is the fleet size (nodes); every other input is maas's.
    """
    out = maas(input_tokens=input_tokens, output_tokens=output_tokens,
               prefill_tps_per_node=prefill_tps_per_node, decode_tps_per_node=decode_tps_per_node,
               gpu_hour_price=gpu_hour_price, peak_to_avg=peak_to_avg, price_input_miss=price_input_miss,
               price_output=price_output, cache_hit_share=cache_hit_share, price_input_hit=price_input_hit,
               gpus_per_node=gpus_per_node, headroom=headroom, offpeak_reuse=offpeak_reuse,
               overhead_share=overhead_share, paid_share=paid_share, price_cut=price_cut,
               offpeak_token_share=offpeak_token_share, offpeak_discount=offpeak_discount)
    need = out["nodes_provisioned"]
    out["spare_nodes"] = fleet_nodes - need
    out["max_output_tokens"] = output_tokens * fleet_nodes / need
    return out


fleet.inputs = {**INPUTS, "fleet_nodes": Var("nodes", "nodes in the fleet")}
fleet.outputs = {**OUTPUTS,
                 "spare_nodes": Var("nodes", "fleet nodes left over at the peak (< 0: not enough)"),
                 "max_output_tokens": Var("tokens/day", "output tokens a day the fleet can serve")}
fleet.default_output = "spare_nodes"
