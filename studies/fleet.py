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

from mcrisk.models import Var, extends, maas
from mcrisk.models.maas import INPUTS, OUTPUTS

__all__ = ["fleet"]


@extends(maas, "fleet_nodes")
def fleet(*, fleet_nodes, **inputs) -> dict[str, np.ndarray]:
    """maas outputs plus ``spare_nodes`` and ``max_output_tokens`` (see the module notes).

    ``fleet_nodes`` is the fleet size (nodes); every other input is maas's.
    """
    out = maas(**inputs)
    need = out["nodes_provisioned"]
    out["spare_nodes"] = fleet_nodes - need
    out["max_output_tokens"] = inputs["output_tokens"] * fleet_nodes / need
    return out


fleet.inputs = {**INPUTS, "fleet_nodes": Var("nodes", "nodes in the fleet")}
fleet.outputs = {**OUTPUTS,
                 "spare_nodes": Var("nodes", "fleet nodes left over at the peak (< 0: not enough)"),
                 "max_output_tokens": Var("tokens/day", "output tokens a day the fleet can serve")}
fleet.default_output = "spare_nodes"
