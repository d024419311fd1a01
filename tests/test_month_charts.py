"""Cash over months (mcrisk.analyze.cashflow) and its charts (mcrisk.report.plot.month_charts), by hand.

Five samples of cumulative cash over three months, with month 0 from ``cash`` (CF_0 = cumulative
cash at month 1 - CF_1), whose payback months and months of loss are read off by eye.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import xarray as xr
from matplotlib.figure import Figure

from mcrisk.analyze.cashflow import cash_bands, has_months, turning_months
from mcrisk.report.plot import plot_cash_fan, plot_loss_timing, plot_sensitivity_over, title_of

#: cumulative cash (sample, month 1..3): pays back in 2; pays back in 1 then loses for good from 2;
#: never reaches 0; pays back in 1, dips, recovers; pays back in 3; pays back in 1, loses for good from 3
CUM = np.array([[-1.0, 1.0, 2.0], [1.0, -1.0, -2.0], [-1.0, -2.0, -3.0], [1.0, -1.0, 1.0], [-3.0, -1.0, 0.0],
                [2.0, 1.0, -0.5]])
CASH = np.diff(np.column_stack([np.full(len(CUM), -4.0), CUM]), axis=1)  # CF_0 = -4 for every sample


def _results() -> xr.Dataset:
    return xr.Dataset({"cumulative_cash": (("sample", "month"), CUM, {"units": "USD"}),
                       "cash": (("sample", "month"), CASH, {"units": "USD"})})


def test_turning_months_by_hand() -> None:
    t = turning_months(_results())
    np.testing.assert_array_equal(t.payback_month.values, [2, 1, np.nan, 1, 3, 1])
    # a sample that never reached 0 never paid back (no month of loss); sample 4 recovers at month 3
    np.testing.assert_array_equal(t.loss_month.values, [np.nan, 2, np.nan, np.nan, np.nan, 3])
    assert t.attrs == {"months": 3, "never_pays_back": 1 / 6, "ends_in_loss": 3 / 6, "turns_to_loss": 2 / 6}


def test_cash_bands_are_the_percentiles_of_each_month_from_month_0() -> None:
    b = cash_bands(_results())
    assert list(b.month.values) == [0, 1, 2, 3]
    full = np.column_stack([np.full(len(CUM), -4.0), CUM])
    for k, q in (("p05", 0.05), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75), ("p95", 0.95)):
        np.testing.assert_allclose(b[k].values, np.quantile(full, q, axis=0), rtol=1e-12)
    np.testing.assert_allclose(b.p_below_zero.values, [1, 3 / 6, 4 / 6, 3 / 6])
    assert b.attrs["units"] == "USD" and b.attrs["samples"] == 6
    # without cash, months start at 1; a summary (no sample) has no months to chart
    assert list(cash_bands(_results().drop_vars("cash")).month.values) == [1, 2, 3]
    assert not has_months(xr.Dataset({"cumulative_cash": ("month", CUM[0])})) and has_months(_results())


def test_the_fan_chart_draws_the_median_and_marks_break_even() -> None:
    ax = plot_cash_fan(_results())
    median = next(line for line in ax.lines if line.get_gid() == "fan_median")
    np.testing.assert_allclose(median.get_ydata(), np.median(np.column_stack([np.full(6, -4.0), CUM]), axis=0))
    assert next(line for line in ax.lines if line.get_gid() == "breakeven").get_ydata()[0] == 0
    # medians by month: -4, 0, -1, -0.25: the median first reaches 0 in month 1
    assert next(line for line in ax.lines if line.get_gid() == "median_payback").get_xdata()[0] == 1
    assert title_of(ax).startswith("Cumulative cash: the median pays back in month 1; P(< 0) at month 3 = 50.0%; "
                                   "median \u22120.25 USD")
    right = ax.right_ax.lines[0]
    np.testing.assert_allclose(right.get_ydata(), [1, 0.5, 4 / 6, 0.5])


def test_the_loss_timing_chart_draws_the_shares_by_month() -> None:
    ax = plot_loss_timing(_results())
    pay = [p.get_height() for p in ax.patches if p.get_gid() == "payback"]
    loss = [p.get_height() for p in ax.patches if p.get_gid() == "loss"]
    np.testing.assert_allclose(pay, [3 / 6, 1 / 6, 1 / 6])
    np.testing.assert_allclose(loss, [0, 1 / 6, 1 / 6])
    assert title_of(ax) == ("When the loss happens: median payback month 1 (of those that pay back); 16.7% never pay "
                            "back within 3 months")


def test_the_stacked_shares_by_month_and_who_decides_when() -> None:
    s1 = np.array([[0.9, 0.5, 0.1], [0.05, 0.4, 0.85]])
    sens = xr.Dataset({"S1": (("input", "month"), s1), "ST": (("input", "month"), s1 + 0.02)},
                      coords={"input": np.array(["early", "late"], dtype=object), "month": [1, 2, 3]},
                      attrs={"over": "month", "method": "sobol", "rank_by": "ST", "output": "cumulative_cash"})
    ax0 = Figure().subplots()  # a caller's Axes: drawn on, not replaced
    ax = plot_sensitivity_over(sens, ax=ax0)
    assert ax is ax0
    early = [p.get_height() for p in ax.patches if p.get_gid() == "share_early"]
    late = [(p.get_y(), p.get_height()) for p in ax.patches if p.get_gid() == "share_late"]
    rest = [p.get_height() for p in ax.patches if p.get_gid() == "share_rest"]
    np.testing.assert_allclose(early, s1[0])
    np.testing.assert_allclose(late, np.column_stack([s1[0], s1[1]]))  # stacked on the first
    np.testing.assert_allclose(rest, 1 - s1.sum(axis=0))
    assert title_of(ax) == "What decides cumulative cash, month by month: early in months 1-2, late in month 3"


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_sample_not_finite_is_left_out_of_its_month(bad) -> None:
    res = _results()
    res["cumulative_cash"][0, 2] = bad
    b = cash_bands(res.drop_vars("cash"))
    assert b.p50.values[2] == np.median(CUM[1:, 2])  # the other five samples of month 3
    assert b.p_below_zero.values[2] == 3 / 5
