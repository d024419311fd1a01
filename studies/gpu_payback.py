"""``buy_or_rent``: one LLM API business over months, its fleet bought or rented (study gpu_payback).

The same traffic, prices and fleet are run twice through :func:`mcrisk.models.maas_monthly`:

* **bought**: ``upfront_cost = fleet_nodes gpus_per_node server_price_per_gpu`` at month 0,
  ``salvage_value = resale_share upfront_cost`` at month M, and each GPU-hour in service costs
  only its power and hosting, ``power_kw_per_gpu pue electricity_price + hosting_per_gpu_year /
  8760``, flat (``rent_multiple_per_year = 1``);
* **rented**: nothing upfront, each GPU-hour at the rent ``gpu_hour_price``, moving by
  ``rent_multiple_per_year``.

Outputs: the bought business's ``npv``, ``irr``, ``payback_month``, ``profit_total`` and its
monthly ``revenue``, ``cost``, ``profit``, ``cash`` and ``cumulative_cash`` (as
``maas_monthly``); ``npv_rent``, the rented one's NPV; ``npv_over_rent = npv - npv_rent``, what
buying is worth against renting; ``cumulative_over_rent``, the cumulative cash of buying minus
renting by month, and ``payback_over_rent``, the first month it is >= 0 (buying has caught up
with renting; NaN: never within the months). The revenue is the same either way: the prices
decide whether the business pays, the fleet's price, resale, power and the rent whether buying
beats renting.
"""

from __future__ import annotations

import inspect

import numpy as np

import mcrisk
from mcrisk.models import Var, maas_monthly
from mcrisk.models.cashflow import payback_month
from mcrisk.models.monthly_margin import INPUTS as MONTHLY_INPUTS
from mcrisk.models.monthly_margin import OUTPUTS as MONTHLY_OUTPUTS

__all__ = ["buy_or_rent"]

_COMPUTED = ("upfront_cost", "salvage_value")
_OWN = {
    "fleet_nodes": Var("nodes", "nodes bought (and rented in the other case)", domain=(0, np.inf)),
    "server_price_per_gpu": Var("{currency}/GPU", "purchase price of a server divided by its GPUs", domain=(0, np.inf)),
    "resale_share": Var("1", "resale value at the last month / purchase price", domain=(0, 1)),
    "power_kw_per_gpu": Var("kW/GPU", "power per GPU in service, its share of the server included", domain=(0, np.inf)),
    "pue": Var("1", "facility power / IT power", domain=(1, np.inf)),
    "electricity_price": Var("{currency}/kWh", "price of electricity", domain=(0, np.inf)),
    "hosting_per_gpu_year": Var("{currency}/GPU-year", "staff, space and network per GPU a year", domain=(0, np.inf)),
}
INPUTS = {**{k: v for k, v in MONTHLY_INPUTS.items() if k not in _COMPUTED}, **_OWN}
OUTPUTS = {
    **MONTHLY_OUTPUTS,
    "npv_rent": Var("{currency}", "net present value of the same business renting its fleet", bad="low"),
    "npv_over_rent": Var("{currency}", "NPV bought minus NPV rented: what buying is worth against renting",
                         bad="low"),
    "payback_over_rent": Var("month", "first month buying has caught up with renting (NaN: never)", bad="high",
                             nan="buying never catches up with renting"),
    "cumulative_over_rent": Var("{currency}", "cumulative cash bought minus rented", ("month",), bad="low"),
}


def buy_or_rent(*, fleet_nodes, server_price_per_gpu, resale_share, power_kw_per_gpu, pue, electricity_price,
                hosting_per_gpu_year, months=36, **inputs) -> dict[str, np.ndarray]:
    """The business bought and rented (module notes); ``inputs`` are ``maas_monthly``'s other inputs."""
    gpus = np.asarray(fleet_nodes, dtype=float) * inputs.get("gpus_per_node", 8.0)
    upfront = gpus * server_price_per_gpu
    running = np.asarray(power_kw_per_gpu, dtype=float) * pue * electricity_price + np.asarray(
        hosting_per_gpu_year, dtype=float) / 8760
    rent_multiple = inputs.pop("rent_multiple_per_year", 1.0)
    rent = inputs.pop("gpu_hour_price")
    bought = maas_monthly(**inputs, gpu_hour_price=running, upfront_cost=upfront,
                          salvage_value=np.asarray(resale_share) * upfront, rent_multiple_per_year=1.0, months=months)
    rented = maas_monthly(**inputs, gpu_hour_price=rent, rent_multiple_per_year=rent_multiple,
                          months=months)
    over = bought["cumulative_cash"] - rented["cumulative_cash"]
    return {**bought, "npv_rent": rented["npv"], "npv_over_rent": bought["npv"] - rented["npv"],
            "payback_over_rent": payback_month(over), "cumulative_over_rent": over}


# The signature mcrisk reads: this function's own inputs, then maas_monthly's but those it computes.
_params = [p for p in inspect.signature(buy_or_rent).parameters.values() if p.kind is p.KEYWORD_ONLY]
_params += [p for k, p in inspect.signature(maas_monthly).parameters.items()
            if k not in _COMPUTED and k not in ("months", "days_per_month")]
buy_or_rent.__signature__ = inspect.Signature(_params)
buy_or_rent = mcrisk.model(inputs=INPUTS, outputs=OUTPUTS, default_output="npv",
                           options={"months": "number of months (default 36)"})(buy_or_rent)
