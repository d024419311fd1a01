"""``rent_gap``: an owned GPU-hour against a rented one (study own_vs_rent, the middle of a chain).

Chained after :func:`mcrisk.models.gpu_cost`, whose ``gpu_hour_price`` it compares with
the rent ``rent_gpu_hour_price``::

    own_saving = rent_gpu_hour_price - gpu_hour_price      (> 0: owning is cheaper per GPU-hour)
    own_to_rent = gpu_hour_price / rent_gpu_hour_price
"""

from __future__ import annotations

import numpy as np

import mcrisk

__all__ = ["rent_gap"]


@mcrisk.model(
    inputs={"rent_gpu_hour_price": ("{currency}/GPU-hour", "market rent of one GPU-hour")},
    outputs={"own_saving": ("{currency}/GPU-hour", "rent minus the owned cost, per GPU-hour"),
             # a cost ratio: its worst side, which the expected shortfall averages, is high
             "own_to_rent": mcrisk.models.Var("1", "owned cost / rent, per GPU-hour", bad="high")},
    default_output="own_saving",
)
def rent_gap(*, gpu_hour_price, rent_gpu_hour_price) -> dict[str, np.ndarray]:
    """What owning saves per GPU-hour against renting (see the module notes).

    Parameters
    ----------
    gpu_hour_price : array_like
        Owned cost per GPU-hour in service (currency/GPU-hour), from ``gpu_hour_cost``.
    rent_gpu_hour_price : array_like
        Rent per GPU-hour (currency/GPU-hour).

    Returns
    -------
    dict of str to ndarray
        ``own_saving`` (currency/GPU-hour) and ``own_to_rent`` (1).
    """
    own = np.asarray(gpu_hour_price, dtype=float)
    return {"own_saving": rent_gpu_hour_price - own, "own_to_rent": own / rent_gpu_hour_price}
