"""The combination matrix over months: outputs over (sample, month) in every cell that takes them.

A model over months is a built-in (``maas_monthly``) or a user's file of that form (:data:`MONTHS_FILE`):
per sample ``npv``, ``irr``, ``payback_month``, ``profit_total``; over (sample, month) ``revenue``,
``cost``, ``profit``, ``cash`` and ``cumulative_cash``. Each form meets every sensitivity method
with ``[sensitivity] over = "month"``, the cash charts in the report, the deck and the workbook,
``--summary-only``, ``--set`` and the Python API; an hourly output is analysed ``over = "hour"``.

The file model: revenue in month ``m`` is ``revenue_month1 x price_multiple_per_year^((m - 1)/12)``,
cost ``monthly_cost`` each month; ``CF_0 = -upfront_cost``, ``salvage_value`` added to ``CF_M``. Month
1's cumulative cash moves with revenue_month1 (range 40,000) and monthly_cost (20,000) only, so
revenue_month1 decides month 1; by month 24 the price multiple (0.3 to 0.9 a year) moves revenue by
a factor 3^(23/12) = 8.2 over its range and decides the end.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mcrisk import run_study
from mcrisk.analyze.salib_methods import METHODS
from mcrisk.spec.sensitivity_table import SAMPLE_LIMITS

#: A user's model over months, of maas_monthly's form (its outputs and their dimensions).
MONTHS_FILE = '''import numpy as np

import mcrisk
from mcrisk.models import Var


def _irr(flows):
    """Annual effective IRR of monthly flows (sample, 0..M) by bisection on the monthly rate; NaN without a sign change."""
    m = np.arange(flows.shape[1])
    lo, hi = np.full(flows.shape[0], -0.9), np.full(flows.shape[0], 1.0)
    f = lambda r: (flows / (1 + r[:, None]) ** m).sum(axis=1)
    flo, fhi = f(lo), f(hi)
    ok = np.sign(flo) != np.sign(fhi)
    for _ in range(100):
        mid = (lo + hi) / 2
        fm = f(mid)
        left = np.sign(fm) == np.sign(flo)
        lo, flo = np.where(left, mid, lo), np.where(left, fm, flo)
        hi = np.where(left, hi, mid)
    return np.where(ok, (1 + (lo + hi) / 2) ** 12 - 1, np.nan)


@mcrisk.model(inputs={"revenue_month1": ("USD/month", "revenue in month 1"),
                      "price_multiple_per_year": ("1", "price multiple per year"),
                      "monthly_cost": ("USD/month", "cost per month"), "upfront_cost": ("USD", "upfront cost"),
                      "discount_rate": ("1", "discount rate, annual"), "salvage_value": ("USD", "salvage value")},
              outputs={"npv": ("USD", "net present value"), "irr": ("1", "internal rate of return, annual"),
                       "payback_month": ("month", "payback month"), "profit_total": ("USD", "profit over the months"),
                       "revenue": Var("USD/month", "revenue", dims=("month",)),
                       "cost": Var("USD/month", "cost", dims=("month",)),
                       "profit": Var("USD/month", "profit", dims=("month",)),
                       "cash": Var("USD", "cash flow", dims=("month",)),
                       "cumulative_cash": Var("USD", "cumulative cash", dims=("month",))},
              default_output="npv", options={"months": "months"})
def business(*, revenue_month1, price_multiple_per_year, monthly_cost, upfront_cost, discount_rate,
             salvage_value=0.0, months=24):
    n = np.broadcast(*map(np.asarray, (revenue_month1, price_multiple_per_year, monthly_cost, upfront_cost,
                                        discount_rate, salvage_value))).shape
    col = lambda v: np.broadcast_to(np.asarray(v, dtype=float), n).reshape(-1, 1)
    t = (np.arange(1, months + 1) - 1) / 12
    revenue = col(revenue_month1) * col(price_multiple_per_year) ** t
    cost = np.broadcast_to(col(monthly_cost), revenue.shape)
    profit = revenue - cost
    cash = profit.copy()
    cash[:, -1] += col(salvage_value)[:, 0]
    flows = np.column_stack([-col(upfront_cost), cash])
    cum = np.cumsum(flows, axis=1)[:, 1:]
    r = col(discount_rate)
    npv = (flows / (1 + r) ** (np.arange(months + 1) / 12)).sum(axis=1)
    paid = cum >= 0
    payback = np.where(paid.any(axis=1), np.argmax(paid, axis=1) + 1.0, np.nan)
    return {"npv": npv, "irr": _irr(flows), "payback_month": payback, "profit_total": profit.sum(axis=1),
            "revenue": revenue, "cost": cost, "profit": profit, "cash": cash, "cumulative_cash": cum}
'''

MONTHS_PRIORS = """currency = "USD"
revenue_month1 = { dist = "uniform", low = 80000, high = 120000 }
price_multiple_per_year = { dist = "uniform", low = 0.3, high = 0.9 }
monthly_cost = { dist = "uniform", low = 40000, high = 60000 }
upfront_cost = 600000
discount_rate = 0.1
salvage_value = 50000
"""


def write_months(folder: Path, *, samples: int = 64, tables: str = "", months: int = 24, design: str = "random") -> Path:
    """A study of the file model over ``months`` in ``folder`` (``m.py``, ``p.toml``, ``s.toml``)."""
    (folder / "m.py").write_text(MONTHS_FILE)
    (folder / "p.toml").write_text(MONTHS_PRIORS)
    path = folder / "s.toml"
    path.write_text(f'title = "A business over months"\nmodel = "m.py:business"\npriors = ["p.toml"]\n'
                    f'samples = {samples}\nseed = 7\nmethod = "{design}"\noutput = "npv"\n{tables}'
                    f"[options]\nmonths = {months}\n")
    return path
