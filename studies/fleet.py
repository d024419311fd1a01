"""``fleet``: can a fixed fleet serve a day's tokens at the peak? (study fleet_400)

Wraps :func:`mcrisk.models.margin` and adds ``spare_nodes``: the fleet minus the nodes the peak
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

import mcrisk
from mcrisk.models import extends, maas
from mcrisk.models.margin import INPUTS, OUTPUTS

__all__ = ["fleet"]


@mcrisk.model(
    inputs={**INPUTS, "fleet_nodes": ("nodes", "nodes in the fleet")},
    outputs={**OUTPUTS,
             "spare_nodes": ("nodes", "fleet nodes left over at the peak (< 0: not enough)"),
             "max_output_tokens": ("tokens/day", "output tokens a day the fleet can serve")},
    default_output="spare_nodes",
)
@extends(maas, "fleet_nodes")
def fleet(*, fleet_nodes, **inputs) -> dict[str, np.ndarray]:
    """maas outputs plus ``spare_nodes`` and ``max_output_tokens`` (see the module notes).

    Parameters
    ----------
    fleet_nodes : array_like
        The fleet size (nodes).
    **inputs : array_like
        maas's inputs (see :data:`mcrisk.models.margin.INPUTS` for their units).

    Returns
    -------
    dict of str to ndarray
        maas's outputs, ``spare_nodes`` (nodes) and ``max_output_tokens`` (tokens/day).
    """
    out = maas(**inputs)
    need = out["nodes_provisioned"]
    out["spare_nodes"] = fleet_nodes - need
    out["max_output_tokens"] = inputs["output_tokens"] * fleet_nodes / need
    return out
