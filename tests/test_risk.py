"""Risk statistics on samples whose statistics are known exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as hs
from hypothesis.extra import numpy as hnp

from mcrisk import summarize
from mcrisk.analyze.risk import format_summary
from mcrisk.core.statistics import STATISTICS, outputs_of, per_period

QUANTILES = ["min", "p05", "p10", "p25", "p50", "p75", "p90", "p95", "max"]


def _results(currency: str = "USD", **outputs: tuple[np.ndarray, str]) -> xr.Dataset:
    data = {k: ("sample", np.asarray(v, dtype=float), {"units": u, "long_name": k, "role": "output"})
            for k, (v, u) in outputs.items()}
    data["price"] = ("sample", np.ones(len(next(iter(outputs.values()))[0])),
                     {"units": f"{currency}/GPU-hour", "role": "input"})
    return xr.Dataset(data, attrs={"model": "maas", "method": "random", "seed": 0, "samples": 100,
                                   "currency": currency})


def test_exact_statistics_of_minus_5_to_94() -> None:
    x = np.arange(-5, 95)  # 100 values, 5 of them below zero
    s = summarize(_results(profit=(x, "USD/day"))).sel(output="profit")
    n = 100
    sd = math.sqrt(n * (n + 1) / 12)  # sample sd (ddof=1) of n consecutive integers
    assert float(s["mean"]) == 44.5
    assert float(s["std"]) == pytest.approx(sd, rel=1e-14)
    assert float(s["min"]) == -5 and float(s["max"]) == 94
    # Linear interpolation between order statistics: p at position p (n - 1) from the lowest.
    for name, p in (("p05", 0.05), ("p10", 0.10), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75),
                    ("p90", 0.90), ("p95", 0.95)):
        assert float(s[name]) == pytest.approx(-5 + p * 99, abs=1e-12), name
    assert float(s["p_below_zero"]) == 0.05
    assert float(s["es05"]) == (-5 - 4 - 3 - 2 - 1) / 5  # mean of the ceil(0.05 n) = 5 lowest
    assert float(s["se_mean"]) == pytest.approx(sd / 10, rel=1e-14)
    assert float(s["se_p_below_zero"]) == pytest.approx(math.sqrt(0.05 * 0.95 / 100), rel=1e-14)
    assert int(s["n_valid"]) == 100
    assert str(s["units"].values) == "USD/day"


def test_expected_shortfall_rounds_the_tail_up() -> None:
    # n = 101: ceil(0.05 * 101) = 6 lowest values, 1..6 of 1..101.
    s = summarize(_results(y=(np.arange(1, 102), "1"))).sel(output="y")
    assert float(s["es05"]) == 3.5
    assert float(s["p_below_zero"]) == 0.0 and float(s["se_p_below_zero"]) == 0.0
    # A single sample: its own shortfall, no spread, no standard error.
    one = summarize(_results(y=(np.array([-2.0]), "1"))).sel(output="y")
    assert float(one["es05"]) == -2.0 and float(one["std"]) == 0.0 and float(one["se_mean"]) == 0.0
    assert float(one["p_below_zero"]) == 1.0


def test_non_finite_values_are_left_out_and_counted() -> None:
    x = np.concatenate([np.arange(1.0, 11.0), [np.nan, np.inf, -np.inf]])
    s = summarize(_results(y=(x, "1"))).sel(output="y")
    assert int(s["n_valid"]) == 10
    assert float(s["mean"]) == 5.5 and float(s["max"]) == 10.0 and float(s["min"]) == 1.0
    # Every value non-finite: statistics are NaN, never a number made up.
    allbad = summarize(_results(y=(np.array([np.nan, np.inf]), "1"))).sel(output="y")
    assert int(allbad["n_valid"]) == 0 and math.isnan(float(allbad["mean"]))


def test_summary_layout() -> None:
    res = _results(a=(np.arange(10.0), "USD/day"), b=(np.arange(10.0), "1"))
    s = summarize(res)
    assert outputs_of(res) == ["a", "b"]
    assert list(s.output.values) == ["a", "b"]  # inputs are not summarised
    assert list(s.data_vars) == [*STATISTICS, "n_valid"]
    assert list(STATISTICS) == ["mean", "std", "min", "p05", "p10", "p25", "p50", "p75", "p90", "p95",
                                "max", "p_below_zero", "es05", "se_mean", "se_p_below_zero"]
    assert s.attrs == {"model": "maas", "method": "random", "seed": 0, "samples": 100, "on_nonfinite": "drop",
                       "nonfinite_policy": "NaN and infinite samples are left out of the statistics "
                                           "(n_valid counts the others)"}
    assert list(summarize(res, outputs=["b"]).output.values) == ["b"]


def test_per_period_scales_money_per_day_by_30() -> None:
    res = _results(profit=(np.array([-1.0, 2.0, 3.0]), "USD/day"), nodes=(np.array([1.0, 2.0, 3.0]), "nodes"))
    month = per_period(res, 30)
    np.testing.assert_array_equal(month.profit.values, [-30.0, 60.0, 90.0])
    assert month.profit.attrs["units"] == "USD/month"
    assert month.profit.attrs["long_name"] == "profit" and month.profit.attrs["role"] == "output"
    np.testing.assert_array_equal(month.nodes.values, [1.0, 2.0, 3.0])
    assert month.nodes.attrs["units"] == "nodes"
    assert month.price.attrs["units"] == "USD/GPU-hour"  # not money per day
    assert month.attrs["period_days"] == 30
    # The input is not modified, and period 1 or None is the identity.
    assert res.profit.attrs["units"] == "USD/day" and float(res.profit[1]) == 2.0
    assert per_period(res, None) is res and per_period(res, 1) is res
    week = per_period(res, 7)
    assert week.profit.attrs["units"] == "USD/7 days" and float(week.profit[1]) == 14.0
    # The summary follows: P(loss) unchanged, money statistics 30 times larger.
    s, sm = summarize(res).sel(output="profit"), summarize(month).sel(output="profit")
    assert float(sm["mean"]) == pytest.approx(30 * float(s["mean"]))
    assert float(sm["p_below_zero"]) == float(s["p_below_zero"])
    assert str(sm["units"].values) == "USD/month"


def test_per_period_uses_the_results_currency() -> None:
    res = _results(currency="CNY", profit=(np.array([1.0]), "CNY/day"), other=(np.array([1.0]), "USD/day"))
    month = per_period(res, 30)
    assert month.profit.attrs["units"] == "CNY/month" and float(month.profit[0]) == 30.0
    assert month.other.attrs["units"] == "USD/day" and float(month.other[0]) == 1.0


def test_format_summary_table() -> None:
    text = format_summary(summarize(_results(profit=(np.arange(-5, 95) * 1000.0, "USD/day"))))
    head, rule, row = text.splitlines()
    assert head.split() == ["output", "units", "mean", "p05", "p50", "p95", "p_below_zero", "es05"]
    assert set(rule.replace(" ", "")) == {"-"}
    assert row.split()[:3] == ["profit", "USD/day", "44,500"]
    assert "5.0%" in row.split()


@given(hnp.arrays(np.float64, hs.integers(1, 300),
                  elements=hs.floats(-1e9, 1e9, allow_nan=False, allow_subnormal=False)))
def test_quantiles_monotone(x: np.ndarray) -> None:
    s = summarize(_results(y=(x, "1"))).sel(output="y")
    q = [float(s[k]) for k in QUANTILES]
    assert q == sorted(q)
    assert q[0] == x.min() and q[-1] == x.max()
    # The mean of the lowest 5% lies between the minimum and the mean (up to rounding).
    tol = 1e-12 * max(1.0, float(np.abs(x).max()))
    assert q[0] - tol <= float(s["es05"]) <= float(s["mean"]) + tol
    assert 0.0 <= float(s["p_below_zero"]) <= 1.0


def test_nonfinite_policies_on_a_sample_solved_by_hand() -> None:
    from mcrisk import SpecError

    # -inf, -2, 1, 3, +inf and a NaN: drop keeps -2, 1, 3; keep keeps the infinities, and the NaN
    # of another output makes its every statistic NaN.
    res = _results(profit=([-np.inf, -2.0, 1.0, 3.0, np.inf, 0.5], "USD/day"),
                   odd=([1.0, np.nan, 2.0, 3.0, 4.0, 5.0], "1"))
    drop = summarize(res)
    assert drop["n_valid"].values.tolist() == [4, 5]
    assert drop["mean"].sel(output="profit") == pytest.approx((-2 + 1 + 3 + 0.5) / 4)
    assert drop["p_below_zero"].sel(output="profit") == 0.25
    assert drop.attrs["on_nonfinite"] == "drop" and "left out" in drop.attrs["nonfinite_policy"]

    keep = summarize(res, nonfinite="keep")
    p = keep.sel(output="profit")
    assert p["min"] == -np.inf and p["max"] == np.inf and p["p_below_zero"] == 2 / 6
    assert math.isnan(float(p["mean"])) and float(p["p50"]) == 0.75  # median of -2, 0.5, 1, 3 and two infinities
    assert float(p["es05"]) == -np.inf  # the lowest ceil(0.3) = 1 sample
    assert all(math.isnan(float(keep[k].sel(output="odd"))) for k in STATISTICS)

    with pytest.raises(SpecError, match=r"^profit is NaN or infinite in 2 of 6 samples \(the first is sample 0\); "
                                        r"on_nonfinite = 'error' stops here \('drop' leaves them out of the "
                                        r"statistics, 'keep' keeps them\)$"):
        summarize(res, nonfinite="error")
    with pytest.raises(SpecError, match=r"^on_nonfinite = 'ignore' is not a policy for NaN or infinite outputs; "
                                        r"known: drop, keep, error$"):
        summarize(res, nonfinite="ignore")


def test_percentile_subsets_are_named_once_from_the_one_list() -> None:
    from mcrisk.core.statistics import (
        CENTRAL_50_90,
        CENTRAL_80,
        CENTRAL_80_90,
        CENTRAL_90,
        PERCENTILES,
        percentile_head,
    )

    for subset in (CENTRAL_90, CENTRAL_80, CENTRAL_50_90, CENTRAL_80_90):
        assert set(subset) <= set(PERCENTILES) and list(subset) == sorted(subset, key=PERCENTILES.get)
    assert [percentile_head(k) for k in PERCENTILES] == ["P5", "P10", "P25", "P50", "P75", "P90", "P95"]
