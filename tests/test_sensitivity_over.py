"""Sensitivity over months (mcrisk.analyze.sensitivity_over): closed forms month by month.

The oracle: ``y_m = a_m X1 + b_m X2`` with independent normal ``X1`` (variance 1) and ``X2``
(variance 1/4), the weights changing month by month, has ``S1_m(X1) = a_m^2 / (a_m^2 + b_m^2 / 4)``
and ``S1_m(X2) = 1 - S1_m(X1)`` (and ``ST = S1``: no interactions). A month where both weights
are 0 is constant: NaN with a note, never an error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import bonferroni_z
from test_matrix_months import write_months

import mcrisk
from mcrisk import SpecError, load_study, priors_from_dict
from mcrisk.analyze.sensitivity import rank_order, sensitivity, top_factor
from mcrisk.analyze.sensitivity_over import leaders, leaders_text, variance_shares
from mcrisk.analyze.sensitivity_run import format_sensitivity, write_tables
from mcrisk.cli.main import main
from mcrisk.core.errors import MCRiskWarning
from mcrisk.models import Var

A = np.array([1.0, 0.8, 0.6, 0.0, 0.2, 0.0])
B = np.array([0.0, 0.5, 1.0, 0.0, 2.0, 2.0])  # month 4: a = b = 0, y = 0 in every run


@mcrisk.model(outputs={"y": ("1", "the sum"), "y_month": Var("1", "y in each month", dims=("month",))},
              default_output="y")
def weights(*, x1, x2):
    x1, x2 = np.asarray(x1, dtype=float), np.asarray(x2, dtype=float)
    return {"y": x1 + x2, "y_month": np.multiply.outer(x1, A) + np.multiply.outer(x2, B)}


PRIORS = priors_from_dict({"x1": {"dist": "normal", "mean": 0, "sd": 1},
                           "x2": {"dist": "normal", "mean": 3, "sd": 0.5}}, file="test")


def _closed_form() -> np.ndarray:
    with np.errstate(invalid="ignore"):
        s1 = A**2 / (A**2 + B**2 / 4)
    return np.array([s1, 1 - s1])  # (input, month); NaN at month 4


def test_sobol_over_months_matches_the_closed_form_month_by_month() -> None:
    with pytest.warns(MCRiskWarning, match=r"y_month: month 4 takes one value in every model run .* NaN"):
        ds = sensitivity(weights, PRIORS, output="y_month", method="sobol", n=2**13, rng=3, over="month")
    assert ds.attrs["over"] == "month" and list(ds.month.values) == [1, 2, 3, 4, 5, 6]
    assert ds.S1.dims == ("input", "month")
    want = _closed_form()
    got = ds.S1.sel(input=["x1", "x2"]).values
    se = ds.S1_conf.sel(input=["x1", "x2"]).values / 1.96  # SALib's bootstrap half-width at 95%: 1.96 SE
    ok = np.isfinite(want)
    z = bonferroni_z(int(ok.sum()) * 2)  # S1 and ST of 2 inputs in 5 months: >= 4 SE each
    assert np.all(np.abs(got[ok] - want[ok]) <= z * se[ok]), (got, want, se)
    st_se = ds.ST_conf.sel(input=["x1", "x2"]).values / 1.96
    assert np.all(np.abs(ds.ST.sel(input=["x1", "x2"]).values[ok] - want[ok]) <= z * st_se[ok])
    assert np.all(se[ok] < 0.02)  # fine enough to tell months 0.09 apart (months 1 and 2 of x1: 1 vs 0.91)
    # the constant month is NaN, the note says so, nothing raised
    assert np.all(np.isnan(ds.S1.sel(month=4).values)) and "month 4 takes one value" in ds.attrs["notes"]
    assert leaders(ds) == [("x1", 1, 3), ("x2", 5, 6)]
    assert leaders_text(ds) == "x1 in months 1-3, x2 in months 5-6"
    assert top_factor(ds) is None  # one input decides each month, none the whole run


def test_variance_shares_stack_the_first_order_indices() -> None:
    with pytest.warns(MCRiskWarning):
        ds = sensitivity(weights, PRIORS, output="y_month", method="sobol", n=2**10, rng=3, over="month")
    factors, shares, rest, what = variance_shares(ds)
    s1 = np.clip(ds.S1.sel(input=factors).values, 0, None)
    scale = np.maximum(s1.sum(axis=0), 1)
    np.testing.assert_allclose(shares[:, [0, 1, 2, 4, 5]], (s1 / scale)[:, [0, 1, 2, 4, 5]], rtol=1e-12)
    np.testing.assert_allclose(rest[[0, 1, 2, 4, 5]], 1 - (s1 / scale).sum(axis=0)[[0, 1, 2, 4, 5]], atol=1e-12)
    assert np.all(np.isnan(shares[:, 3])) and np.isnan(rest[3]) and what == "Share of the variance (S1)"


def test_correlated_inputs_over_months_are_scored_as_a_group() -> None:
    # X1 ~ X2 at Spearman 0.5 (Pearson 2 sin(pi/12) for the Gaussian copula of normals), X3 alone:
    # y_m = a_m X1 + b_m X2 + c_m X3, the group's S1 = var(a X1 + b X2) / var(y)
    priors = priors_from_dict({"x1": {"dist": "normal", "mean": 0, "sd": 1},
                               "x2": {"dist": "normal", "mean": 0, "sd": 1},
                               "x3": {"dist": "normal", "mean": 0, "sd": 1},
                               "correlation": [{"between": ["x1", "x2"], "rank": 0.5}]}, file="test")
    a, b, c = np.array([1.0, 1.0, 0.0]), np.array([0.0, 1.0, 0.5]), np.array([1.0, 0.5, 2.0])

    @mcrisk.model(outputs={"y": Var("1", "y by month", dims=("month",))}, default_output="y")
    def three(*, x1, x2, x3):
        return {"y": np.multiply.outer(x1, a) + np.multiply.outer(x2, b) + np.multiply.outer(x3, c)}

    ds = sensitivity(three, priors, output="y", method="sobol", n=2**13, rng=5, over="month")
    r = 2 * np.sin(np.pi * 0.5 / 6)
    group = a**2 + b**2 + 2 * a * b * r
    want = group / (group + c**2)
    assert ds.attrs["indices_of"] == "groups" and list(ds.group.values) == ["x1, x2", "x1, x2", ""]
    got, se = ds.S1.sel(input="x1").values, ds.S1_conf.sel(input="x1").values / 1.96
    assert np.all(np.abs(got - want) <= bonferroni_z(3) * se), (got, want, se)
    np.testing.assert_array_equal(got, ds.S1.sel(input="x2").values)  # a member carries its group's index


def test_an_hourly_output_over_hours_has_each_hours_indices() -> None:
    # y_hour = (10 a + b) / 24 with a, b ~ U(0, 1): every hour's S1(a) = 100 / 101, S1(b) = 1 / 101
    @mcrisk.model(outputs={"y": ("1", "y"), "y_hour": Var("1", "y by hour", dims=("hour",))}, default_output="y")
    def day(*, a, b):
        y = 10.0 * np.asarray(a, dtype=float) + np.asarray(b, dtype=float)
        return {"y": y, "y_hour": np.multiply.outer(y, np.full(24, 1 / 24))}

    priors = priors_from_dict({"a": {"dist": "uniform", "low": 0, "high": 1},
                               "b": {"dist": "uniform", "low": 0, "high": 1}}, file="test")
    with pytest.warns(MCRiskWarning, match="wider than 0.1"):  # 48 intervals at N = 512: one note for them all
        ds = sensitivity(day, priors, output="y_hour", method="sobol", n=2**9, rng=1, over="hour")
    assert list(ds.hour.values) == list(range(24))  # hours of the day from 0
    se = ds.S1_conf.values / 1.96
    assert np.all(np.abs(ds.S1.values - np.array([[100 / 101], [1 / 101]])) <= bonferroni_z(48) * se)


def test_over_refuses_an_output_of_one_value_per_sample() -> None:
    with pytest.raises(SpecError, match=r"^sensitivity output = 'y' is not an output over \(sample, month\), which "
                                        r"over = 'month' analyses; outputs over it: y_month$"):
        sensitivity(weights, PRIORS, output="y", method="sobol", n=8, rng=0, over="month")


def test_the_table_printed_and_written_over_months(tmp_path) -> None:
    with pytest.warns(MCRiskWarning):
        ds = sensitivity(weights, PRIORS, output="y_month", method="sobol", n=2**10, rng=3, over="month")
    text = format_sensitivity(ds)
    assert text.startswith("Sensitivity of y month by month: sobol, N = 1,024 (4,096 model runs), seed 3; ST at "
                           "each month shown, ranked by its mean over the months")
    assert "most influential: x1 in months 1-3, x2 in months 5-6" in text
    assert list(ds.input.values[rank_order(ds)]) == ["x1", "x2"]  # mean ST over months: 0.56 vs 0.44
    write_tables(ds, tmp_path)
    frame = pd.read_csv(tmp_path / "sensitivity.csv")
    assert list(frame.columns[:2]) == ["input", "month"] and len(frame) == 2 * 6  # long form: input x month
    row = frame[(frame.input == "x2") & (frame.month == 5)].iloc[0]
    assert row.S1 == pytest.approx(float(ds.S1.sel(input="x2", month=5)), rel=1e-9)
    assert frame[frame.month == 4].S1.isna().all()


def test_a_study_over_months_is_checked_at_load(tmp_path, capsys) -> None:
    path = write_months(tmp_path, tables='[sensitivity]\nover = "month"\n')
    assert load_study(path).sensitivity.output == "cumulative_cash"  # the default output over months
    path.write_text(path.read_text().replace('over = "month"', 'over = "month"\noutput = "npv"'))
    assert main(["check", str(path)]) == 2
    assert capsys.readouterr().err == (f"error: {path}: [sensitivity] output = 'npv' is not an output over (sample, "
                                       "month), which over = 'month' analyses; outputs over it: revenue, cost, profit, "
                                       "cash, cumulative_cash\n")
    path.write_text(path.read_text().replace('over = "month"', 'over = "day"').replace('output = "npv"\n', ""))
    assert main(["check", str(path)]) == 2
    assert capsys.readouterr().err == (f"error: {path}: [sensitivity] over = 'day': the model has no output over "
                                       "(sample, day); dimensions its outputs have besides sample: month\n")
    path.write_text(path.read_text().replace('over = "day"', "over = 3"))
    assert main(["check", str(path)]) == 2
    assert capsys.readouterr().err == (f'error: {path}: [sensitivity] over = 3 must be a dimension name such as '
                                       '"month"\n')
