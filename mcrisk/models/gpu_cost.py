"""``gpu_hour_cost``: owning a GPU turned into a cost per GPU-hour in service.

Notes
-----
The server is paid off as an annuity over its depreciation life at the financing rate; the
year's capital and hosting are spread over the hours the GPU serves; power is paid per hour::

    annuity        = server_price_per_gpu r / (1 - (1 + r)^-years)      (price / years when r = 0)
    gpu_hour_price = (annuity + hosting_per_gpu_year) / (8760 service_share)
                     + power_kw_per_gpu pue electricity_price

with ``r = financing_rate`` and ``years = depreciation_years``. Chained before ``maas`` or
``maas_hourly`` (``model = ["gpu_hour_cost", "maas_hourly"]``), its ``gpu_hour_price`` feeds
theirs, so sensitivity attributes the cost to the server price, the electricity price, ...

Examples
--------
>>> out = gpu_hour_cost(server_price_per_gpu=30_000, depreciation_years=4, financing_rate=0.0,
...                     power_kw_per_gpu=1.0, pue=1.25, electricity_price=0.08,
...                     hosting_per_gpu_year=1_000, service_share=1.0)
>>> round(float(out["gpu_hour_price"]), 4)
1.0703
"""

from __future__ import annotations

import numpy as np

from mcrisk.models.base import Var, model
from mcrisk.models.margin import INF

__all__ = ["HOURS_PER_YEAR", "INPUTS", "OUTPUTS", "annuity", "gpu_hour_cost"]

HOURS_PER_YEAR = 8760

INPUTS: dict[str, Var] = {
    "server_price_per_gpu": Var("{currency}/GPU", "purchase price of a server divided by its GPUs",
                                domain=(0, INF)),
    "depreciation_years": Var("years", "years over which the server is paid off", domain=(0, INF)),
    "financing_rate": Var("1/year", "interest rate of the capital (0: paid in cash, no cost of capital)"),
    "power_kw_per_gpu": Var("kW/GPU", "power drawn per GPU in service, its share of the server included",
                            domain=(0, INF)),
    "pue": Var("1", "power usage effectiveness: facility power / IT power", domain=(1, INF)),
    "electricity_price": Var("{currency}/kWh", "price of electricity", domain=(0, INF)),
    "hosting_per_gpu_year": Var("{currency}/GPU-year", "staff, space and network per GPU a year",
                                domain=(0, INF)),
    "service_share": Var("1", "share of the year's hours the GPU serves", domain=(0, 1)),
}

OUTPUTS: dict[str, Var] = {
    "gpu_hour_price": Var("{currency}/GPU-hour", "cost of owning one GPU, per hour in service", bad="high"),
    "capital_per_gpu_year": Var("{currency}/GPU-year", "annuity paying off the server", bad="high"),
    "power_per_gpu_hour": Var("{currency}/GPU-hour", "electricity per GPU-hour, cooling included",
                              bad="high"),
}


def annuity(price, rate, years) -> np.ndarray:
    """The yearly payment that repays ``price`` over ``years`` at interest ``rate``.

    Parameters
    ----------
    price : array_like
        Amount borrowed (currency).
    rate : array_like
        Interest rate per year (1/year); 0 gives ``price / years``.
    years : array_like
        Repayment period (years), positive.

    Returns
    -------
    ndarray
        ``price r / (1 - (1 + r)^-years)``, or ``price / years`` where ``r = 0`` (currency/year).

    Examples
    --------
    >>> float(annuity(1000.0, 0.1, 2))  # 1000 * 0.1 / (1 - 1.1**-2)
    576.1904761904761
    """
    price, rate, years = (np.asarray(x, dtype=float) for x in (price, rate, years))
    with np.errstate(divide="ignore", invalid="ignore"):
        paid = price * rate / -np.expm1(-years * np.log1p(rate))
    return np.where(rate == 0, price / years, paid)


@model(inputs=INPUTS, outputs=OUTPUTS, default_output="gpu_hour_price")
def gpu_hour_cost(
    *,
    server_price_per_gpu,
    depreciation_years,
    electricity_price,
    financing_rate=0.0,
    power_kw_per_gpu=0.0,
    pue=1.0,
    hosting_per_gpu_year=0.0,
    service_share=1.0,
) -> dict[str, np.ndarray]:
    """Cost of owning a GPU per hour in service (see the module notes).

    Parameters
    ----------
    server_price_per_gpu : array_like
        Server price / GPUs per server (currency/GPU).
    depreciation_years : array_like
        Payback period (years).
    electricity_price : array_like
        Currency per kWh.
    financing_rate : array_like
        Interest per year (1/year).
    power_kw_per_gpu, pue : array_like
        Power per GPU (kW) and the facility's power usage effectiveness (1).
    hosting_per_gpu_year : array_like
        Staff, space and network per GPU a year (currency).
    service_share : array_like
        Share of the year's 8760 hours the GPU serves (1).

    Returns
    -------
    dict of str to ndarray
        ``gpu_hour_price``, ``capital_per_gpu_year`` and ``power_per_gpu_hour``.
    """
    capital = annuity(server_price_per_gpu, financing_rate, depreciation_years)
    power = np.asarray(power_kw_per_gpu, dtype=float) * pue * electricity_price
    with np.errstate(divide="ignore", invalid="ignore"):
        price = (capital + hosting_per_gpu_year) / (HOURS_PER_YEAR * np.asarray(service_share, dtype=float)) + power
    return {"gpu_hour_price": price, "capital_per_gpu_year": capital, "power_per_gpu_hour": power}
