"""``maas_monthly``: an LLM API business over months, with prices that fall and a fleet bought or rented.

Month ``m = 1..M`` (option ``months``) is :func:`~mcrisk.models.margin.maas` with its inputs
(their values at month 1) moved by yearly multiples, and its day's profit is a month's cash.

Notes
-----
With ``t = (m - 1) / 12`` and ``w_m = 1 - price_war_cut`` if ``m >= price_war_month`` else 1,
month ``m`` is ``maas`` evaluated at::

    input_tokens, output_tokens              x demand_multiple_per_year^t
    price_input_hit, price_input_miss,
    price_output                             x price_multiple_per_year^t w_m
    gpu_hour_price                           x rent_multiple_per_year^t

and its cash flow is ``CF_m = profit_per_day_m days_per_month`` (option, default 365.25/12),
with ``CF_0 = -upfront_cost`` and ``salvage_value`` added to ``CF_M``::

    revenue_m, cost_m, profit_m = maas's per-day values x days_per_month
    cash_m            = CF_m
    cumulative_cash_m = sum_{k=0..m} CF_k
    npv               = sum_{m=0..M} CF_m / (1 + discount_rate)^(m/12)
    irr               = the annual effective rate at which that sum is 0 (:func:`.cashflow.irr`)
    payback_month     = the first m >= 1 with cumulative_cash_m >= 0 (NaN if never)
    profit_total      = sum_{m=1..M} profit_m   (operations only: no upfront cost, no salvage)

A ``price_war_month`` beyond ``M`` means no price war. With every multiple at 1 and no price
war, each month is exactly ``maas`` (times ``days_per_month``). With the option
``throughput_curve`` (:mod:`.curves`), month 1 is ``maas`` with that curve: ``interactivity``
and ``engineering_factor`` replace ``decode_tps_per_node``, and the outputs
``decode_tps_per_node`` and ``decode_tps_per_gpu`` are the speed tier's throughput (the same in
every month: demand grows the fleet, not its speed). Chained after
``gpu_hour_cost`` (``model = ["gpu_hour_cost", "maas_monthly"]``), the owned GPU-hour's cost
feeds ``gpu_hour_price``.

Examples
--------
>>> out = maas_monthly(input_tokens=608e9, output_tokens=168e9, prefill_tps_per_node=73_700,
...                    decode_tps_per_node=14_800, gpu_hour_price=2.0, peak_to_avg=1.2,
...                    price_input_miss=0.55, price_output=2.19, months=24)
>>> out["cash"].shape
(1, 24)
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from mcrisk.core.errors import SpecError, shorten
from mcrisk.models.base import Var, model
from mcrisk.models.cashflow import irr_by_month, npv_by_month, payback_month
from mcrisk.models.curves import CURVE_OPTION, HIDDEN, check_curve, curve_face, decode_rate, face
from mcrisk.models.margin import INF, SHARE, maas
from mcrisk.models.margin import INPUTS as MAAS_INPUTS

__all__ = ["BLOCK", "DAYS_PER_MONTH", "INPUTS", "OPTIONS", "OUTPUTS", "check_options", "maas_monthly"]

#: Samples computed at a time: a few (36, BLOCK) arrays stay in the processor's cache. Not a power
#: of 2: month-major rows a power of 2 bytes apart map to the same cache sets, and copying them
#: to the sample-major outputs (a transpose) was 20 times slower at 2**13.
BLOCK = 6000
#: A mean month: 365.25 / 12 days.
DAYS_PER_MONTH = 365.25 / 12

INPUTS: dict[str, Var] = {
    **MAAS_INPUTS,
    "price_multiple_per_year": Var("1/year", "every list price a year on, as a multiple of today's",
                                   domain=(0, INF), label="Price multiple per year"),
    "demand_multiple_per_year": Var("1/year", "tokens served a day a year on, as a multiple of today's",
                                    domain=(0, INF), label="Demand multiple per year"),
    "rent_multiple_per_year": Var("1/year", "the GPU-hour price a year on, as a multiple of today's",
                                  domain=(0, INF), label="GPU rent multiple per year"),
    "price_war_month": Var("month", "first month of the price war (beyond the last month: none)",
                           domain=(1, INF), label="Price war month"),
    "price_war_cut": Var("1", "share cut off every price from the price war on", domain=SHARE,
                         label="Price war cut"),
    "discount_rate": Var("1/year", "annual effective discount rate of the cash flows", domain=(0, INF),
                         label="Discount rate"),
    "upfront_cost": Var("{currency}", "spent at month 0 (servers bought, setup)", domain=(0, INF),
                        label="Upfront cost"),
    "salvage_value": Var("{currency}", "received at the last month (servers resold)", domain=(0, INF),
                         label="Salvage value"),
}

OUTPUTS: dict[str, Var] = {
    "npv": Var("{currency}", "net present value of the months' cash flows", bad="low", label="Net present value"),
    "irr": Var("1/year", "internal rate of return, annual effective (NaN: the cash never changes sign)",
               bad="low", label="Internal rate of return", nan="no rate of return (the cash never changes sign)"),
    "payback_month": Var("month", "first month the cumulative cash is back to 0 (NaN: never)", bad="high",
                         label="Payback month", nan="never pays back"),
    "profit_total": Var("{currency}", "profit over all months, before upfront cost and salvage", bad="low",
                        label="Total profit"),
    "revenue": Var("{currency}/month", "revenue of the month", ("month",), bad="low", label="Revenue per month"),
    "cost": Var("{currency}/month", "cost of the month", ("month",), bad="high", label="Cost per month"),
    "profit": Var("{currency}/month", "profit of the month", ("month",), bad="low", label="Profit per month"),
    "cash": Var("{currency}", "cash flow of the month (salvage in the last)", ("month",), bad="low",
                label="Cash flow"),
    "cumulative_cash": Var("{currency}", "cash since month 0, upfront cost included", ("month",), bad="low",
                           label="Cumulative cash"),
}

OPTIONS = {
    "months": "number of months M (a positive integer, default 36)",
    "days_per_month": "days in a month (default 365.25 / 12)",
    CURVE_OPTION[0]: CURVE_OPTION[1],
}


def check_options(*, months: int = 36, days_per_month: float = DAYS_PER_MONTH, throughput_curve: Any = None) -> None:
    """Check ``maas_monthly``'s options when a study binds them (the model checks them again).

    Parameters
    ----------
    months, days_per_month, throughput_curve
        See :data:`OPTIONS`.

    Raises
    ------
    SpecError
        One line naming the option, its value and what is allowed.
    """
    ok = isinstance(months, int | np.integer) and not isinstance(months, bool) and 1 <= months <= 1200
    if not ok:
        raise SpecError(f"months = {shorten(months)} must be a whole number of months from 1 to 1200")
    number = isinstance(days_per_month, int | float | np.number) and not isinstance(days_per_month, bool)
    if not (number and 0 < days_per_month < INF):
        raise SpecError(f"days_per_month = {shorten(days_per_month)} must be a positive number of days")
    if throughput_curve is not None:
        check_curve(throughput_curve)


@model(inputs=INPUTS, outputs=OUTPUTS, default_output="npv", options=OPTIONS)
def maas_monthly(
    *,
    input_tokens,
    output_tokens,
    prefill_tps_per_node=None,
    decode_tps_per_node=None,
    gpu_hour_price,
    peak_to_avg,
    price_input_miss,
    price_output,
    cache_hit_share=0.0,
    price_input_hit=0.0,
    gpus_per_node=8.0,
    headroom=1.0,
    offpeak_reuse=0.0,
    overhead_share=0.0,
    paid_share=1.0,
    price_cut=0.0,
    offpeak_token_share=0.0,
    offpeak_discount=0.0,
    price_multiple_per_year=1.0,
    demand_multiple_per_year=1.0,
    rent_multiple_per_year=1.0,
    price_war_month=math.inf,
    price_war_cut=0.0,
    discount_rate=0.0,
    upfront_cost=0.0,
    salvage_value=0.0,
    interactivity=None,
    engineering_factor=None,
    months=36,
    days_per_month=DAYS_PER_MONTH,
    throughput_curve=None,
) -> dict[str, np.ndarray]:
    """Monthly cash flows of an LLM API, their NPV, IRR and payback month (see the module notes).

    Parameters
    ----------
    input_tokens, ..., offpeak_discount : array_like
        As in :func:`mcrisk.models.maas`, their values at month 1.
    price_multiple_per_year, demand_multiple_per_year, rent_multiple_per_year : array_like
        Prices, tokens and the GPU-hour price a year on, as multiples of month 1's (1/year).
    price_war_month, price_war_cut : array_like
        From month ``price_war_month`` on every price is multiplied by ``1 - price_war_cut``.
    discount_rate : array_like
        Annual effective rate (1/year).
    upfront_cost, salvage_value : array_like
        Paid at month 0, received at month M (currency).
    interactivity, engineering_factor : array_like, optional
        With ``throughput_curve`` only, as in :func:`mcrisk.models.maas`.
    months, days_per_month, throughput_curve
        Options (:data:`OPTIONS`).

    Returns
    -------
    dict of str to ndarray
        ``npv``, ``irr``, ``payback_month`` and ``profit_total`` per sample; ``revenue``,
        ``cost``, ``profit``, ``cash`` and ``cumulative_cash`` of shape (samples, months); with a
        curve, also ``decode_tps_per_node`` and ``decode_tps_per_gpu`` per sample.

    Raises
    ------
    SpecError
        For an option :func:`check_options` refuses, or inputs of the other form (:func:`maas`).
    """
    inputs = {k: v for k, v in locals().items() if k in INPUTS}
    check_options(months=months, days_per_month=days_per_month, throughput_curve=throughput_curve)
    inputs["decode_tps_per_node"], inputs["prefill_tps_per_node"], from_curve = decode_rate(
        "maas_monthly", throughput_curve, decode_tps_per_node=decode_tps_per_node, interactivity=interactivity,
        prefill_tps_per_node=prefill_tps_per_node, engineering_factor=engineering_factor, gpus_per_node=gpus_per_node)
    day = maas(**{k: v for k, v in inputs.items() if k in MAAS_INPUTS})  # month 1, once per sample
    rows = max((np.shape(v)[0] for v in (*inputs.values(), *day.values()) if np.ndim(v)), default=1)
    out = {k: np.empty((rows, months) if v.dims else rows) for k, v in OUTPUTS.items()}
    out.update({k: np.broadcast_to(v, (rows,)).copy() for k, v in from_curve.items()})
    moving = {k: v for k, v in inputs.items() if k not in MAAS_INPUTS}
    moving.update(revenue_per_day=day["revenue_per_day"], cost_per_day=day["cost_per_day"])
    # work arrays, allocated once: a fresh few MB a block cost more than the block's arithmetic
    work = np.empty((2, months + 1, min(rows, BLOCK)))  # month-major flows and running sums
    ledger = np.empty((min(rows, BLOCK), months + 1))  # sample-major: month 0, then the months' cash
    for start in range(0, rows, BLOCK):  # every sample is computed alone: blocks change no number
        stop = min(rows, start + BLOCK)
        part = {k: (np.broadcast_to(v, (rows,))[start:stop] if np.ndim(v) else float(v)) for k, v in moving.items()}
        _months(part, {k: v[start:stop] for k, v in out.items()}, float(days_per_month),
                work[:, :, : stop - start], ledger[: stop - start])
    return out


def _column(value) -> np.ndarray | float:
    return np.asarray(value, dtype=float).reshape(-1, 1) if np.ndim(value) else float(value)


def _growth(t: np.ndarray, into: np.ndarray, *multiples) -> np.ndarray:
    """``prod(multiples)^t`` over (samples, months), written into ``into``: exactly 1 in month 1 and for multiples of 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log = sum(np.log(_column(m)) for m in multiples)
        np.multiply(log, t, out=into)
        np.exp(into, out=into)
    into[:, 0] = 1.0  # t = 0: also for a multiple of 0 (0 x -inf)
    return into


def _months(part: dict, out: dict[str, np.ndarray], days: float, work: np.ndarray, ledger: np.ndarray) -> None:
    """The outputs of :func:`maas_monthly` for one block of samples, written into ``out`` (views).

    ``maas`` is linear in the tokens and the prices (its revenue) and in the tokens and the
    GPU-hour price (its cost), so month ``m`` of ``maas`` is month 1's revenue times
    ``(demand price)^t w_m`` and month 1's cost times ``(demand rent)^t``: the same numbers as
    ``maas`` evaluated at each month's inputs, to rounding, and exactly them when every
    multiple is 1 and there is no price war. The months are computed in the outputs
    themselves, (samples, months), so that they are written once, in order; the running sums
    run along each sample's row of ``ledger`` in month order; NPV and IRR, one vector
    operation a month over the samples, take the flows and running sums month-major, in
    ``work`` (shape ``(2, M + 1, samples)``).
    """
    rows, months = out["cash"].shape
    month = np.arange(1, months + 1)
    t = (month - 1) / 12
    revenue, cost, profit = out["revenue"], out["cost"], out["profit"]
    _growth(t, revenue, part["demand_multiple_per_year"], part["price_multiple_per_year"])
    if np.any(np.asarray(part["price_war_cut"]) != 0):
        revenue *= np.where(month >= _column(part["price_war_month"]), 1 - _column(part["price_war_cut"]), 1.0)
    revenue *= _column(part["revenue_per_day"])
    _growth(t, cost, part["demand_multiple_per_year"], part["rent_multiple_per_year"])
    cost *= _column(part["cost_per_day"])
    np.subtract(revenue, cost, out=profit)
    profit *= days  # CF_m = profit_per_day_m days_per_month
    revenue *= days
    cost *= days
    np.cumsum(profit, axis=1, out=ledger[:, 1:])  # in month order (a row sum's order is numpy's)
    out["profit_total"][:] = ledger[:, -1]
    ledger[:, 0] = -np.broadcast_to(np.asarray(part["upfront_cost"], dtype=float), (rows,))
    ledger[:, 1:] = profit
    flows, running = work
    flows[:] = ledger.T
    ledger[:, -1] += part["salvage_value"]
    out["cash"][:] = ledger[:, 1:]
    flows[-1] = ledger[:, -1]
    np.cumsum(ledger, axis=1, out=ledger)  # month 0 first, then each month in order
    out["cumulative_cash"][:] = ledger[:, 1:]
    running[:] = ledger.T
    out["npv"][:] = npv_by_month(flows, part["discount_rate"])
    out["irr"][:] = irr_by_month(flows, running)
    out["payback_month"][:] = payback_month(out["cumulative_cash"])


def _bound_form(options) -> tuple[inspect.Signature, dict, dict] | None:
    """maas_monthly as a study with these options sees it: with a curve, interactivity in place of decode throughput."""
    if options.get("throughput_curve") is None:
        return None
    changes, inputs, outputs = curve_face(check_curve(options["throughput_curve"]), INPUTS, OUTPUTS)
    return face(_FULL, **changes), inputs, outputs


_FULL = inspect.signature(maas_monthly)  # every parameter the function accepts
# Without a curve, maas_monthly shows (and a study sees) maas's throughput inputs, required.
maas_monthly.__signature__ = face(_FULL, drop=HIDDEN, required=("prefill_tps_per_node", "decode_tps_per_node"))
maas_monthly.bound_form = _bound_form
maas_monthly.check_options = check_options
