"""Sweeps: common random numbers, P(loss) known exactly at each value, the lever as a dimension."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mcrisk
from mcrisk import SpecError, load_study, simulate
from mcrisk.models import maas
from mcrisk.spec.priors import parse_prior
from mcrisk.analyze.sweep import breakeven_value, summarize_sweep, sweep

GOOD = Path(__file__).resolve().parent / "data" / "good"


def _linear(study) -> tuple[float, float, float]:
    """profit = a + b price_output - c gpu_hour_price for the point priors (maas is linear in both)."""
    point = {k: float(p.params["value"]) for k, p in study.priors.items() if p.is_constant}
    f = lambda p, g: float(maas(**{**point, "price_output": p, "gpu_hour_price": g})["profit_per_day"])  # noqa: E731
    a = f(0, 0)
    return a, f(1, 0) - a, a - f(0, 1)


def test_sweep_p_loss_is_exact_on_a_latin_hypercube() -> None:
    # Only gpu_hour_price ~ U(2, 14) is uncertain, on an exact Latin hypercube of 4,000 points:
    # at the output price where break-even rent is g*, loss happens for rent above g*; with g* on
    # a stratum boundary 2 + 12 k / 4000, exactly 4000 - k samples lose.
    study = load_study(GOOD / "study_decisions.toml")
    a, b, c = _linear(study)
    g_star = np.array([5.0, 8.0, 11.0])                       # k = 1000, 2000, 3000
    prices = (c * g_star - a) / b
    ds = sweep(maas, study.priors, "price_output", prices, 4000, method="lhs", rng=7)
    s = summarize_sweep(ds)
    p = s.p_below_zero.sel(output="profit_per_day").values
    np.testing.assert_array_equal(p, [0.75, 0.5, 0.25])
    assert breakeven_value(s, "profit_per_day") == pytest.approx(prices[1])  # P(loss) = 1/2 at g* = 8
    # the lever is a dimension named after it, holding its values, in its units
    assert ds.profit_per_day.dims == ("price_output", "sample")
    np.testing.assert_array_equal(ds.price_output.values, prices)
    assert ds.price_output.attrs["units"] == "USD/1M tokens"
    assert ds.gpu_hour_price.dims == ("sample",)              # the other inputs: drawn once


def test_sweep_value_is_the_study_with_the_lever_constant() -> None:
    # Common random numbers: sample i is the same draw at every value, and the same as the study
    # whose priors hold the lever at that value, bit for bit, whether the priors had it uncertain.
    study = load_study(GOOD / "study_decisions.toml")
    uncertain = study.priors.merged(mcrisk.Priors(
        {"price_output": parse_prior("price_output", {"dist": "uniform", "low": 1, "high": 3}, file="t")}))
    ds = sweep(maas, uncertain, "price_output", [2.0, 3.0], 500, method="random", rng=3)
    fixed = study.priors.merged(mcrisk.Priors({"price_output": parse_prior("price_output", 3.0, file="t")}))
    plain = simulate(maas, fixed, 500, method="random", rng=3)
    np.testing.assert_array_equal(ds.profit_per_day.sel(price_output=3.0).values, plain.profit_per_day.values)
    np.testing.assert_array_equal(ds.gpu_hour_price.values, plain.gpu_hour_price.values)
    # profit rises by exactly output_tokens / 1e6 per unit of price, sample by sample
    d = ds.profit_per_day.sel(price_output=3.0).values - ds.profit_per_day.sel(price_output=2.0).values
    np.testing.assert_allclose(d, 168e9 / 1e6, rtol=1e-12)


@pytest.mark.parametrize("lever, values, message", [
    ("price", [1, 2], "lever = 'price' is not an input of the model; inputs: input_tokens,"),
    ("price_output", [1], "values = [1.0] must be at least 2 distinct finite lever values"),
    ("price_output", [1, 1], "values = [1.0, 1.0] must be at least 2 distinct finite lever values"),
])
def test_sweep_errors(lever: str, values, message: str) -> None:
    study = load_study(GOOD / "study_decisions.toml")
    with pytest.raises(SpecError) as info:
        sweep(maas, study.priors, lever, values, 10)
    assert str(info.value).startswith(message)


def test_breakeven_none_when_p_loss_stays_on_one_side() -> None:
    study = load_study(GOOD / "study_decisions.toml")
    s = summarize_sweep(sweep(maas, study.priors, "price_output", [100.0, 200.0], 50, rng=1))
    assert breakeven_value(s, "profit_per_day") is None
    assert s.p_below_zero.sel(output="profit_per_day").values.tolist() == [0.0, 0.0]


def test_a_study_with_sweep_and_solve_writes_both(tmp_path: Path, monkeypatch) -> None:
    import json

    import pandas as pd
    import xarray as xr

    import mcrisk.report.document
    from mcrisk import run_study

    plan = mcrisk.report.document.figure_plan  # only the sweep's chart: drawing is the slow part
    monkeypatch.setattr(mcrisk.report.document, "figure_plan",
                        lambda run, notes=None: [f for f in plan(run, notes) if f[0] == "sweep"])
    out = tmp_path / "run"
    printed = []
    run = run_study(GOOD / "study_decisions.toml", out=out, echo=printed.append, samples=1000)
    with xr.open_dataset(out / "results.nc") as res:
        assert res.profit_per_day.dims == ("price_output", "sample")
        np.testing.assert_array_equal(res.price_output.values, [1.0, 2.0, 3.0, 4.0, 5.0])
        assert res.attrs["lever"] == "price_output"
    frame = pd.read_csv(out / "summary.csv")
    assert list(frame.columns[:2]) == ["price_output", "output"]
    assert frame.price_output.tolist() == [v for v in (1.0, 2.0, 3.0, 4.0, 5.0) for _ in range(11)]
    assert json.loads((out / "solve.json").read_text())["value"] == run.tables["solve"].value
    assert (out / "figures" / "sweep.png").is_file()
    assert "| price_output (USD/1M tokens) | P(< 0) |" in (out / "report.md").read_text()
    table = next(p for p in printed if p.startswith("\n[sweep]"))
    assert table.splitlines()[2].split() == ["price_output", "(USD/1M", "tokens)", "P(<", "0)", "P5", "P50", "P95"]


def test_fan_chart_draws_the_summary() -> None:
    from mcrisk.report.plot import plot_sweep

    study = load_study(GOOD / "study_decisions.toml")
    s = summarize_sweep(sweep(maas, study.priors, "price_output", [1.0, 2.0, 3.0], 400, method="lhs", rng=7))
    ax = plot_sweep(s, output="profit_per_day", breakeven=1.5)
    lines = {ln.get_gid(): ln for a in ax.figure.axes for ln in a.get_lines() if ln.get_gid()}
    np.testing.assert_array_equal(lines["sweep_median"].get_ydata(), s.p50.sel(output="profit_per_day").values)
    np.testing.assert_array_equal(lines["sweep_p_loss"].get_ydata(), s.p_below_zero.sel(output="profit_per_day").values)
    assert list(lines["sweep_breakeven"].get_xdata()) == [1.5, 1.5]
    assert ax.get_xlabel() == "price output (USD/1M tokens)"


def test_each_swept_value_summarises_as_the_study_does_a_cost_s_worst_side_included() -> None:
    # summarize_sweep is summarize at every lever value, bit for bit; for a cost (bad = "high")
    # the expected shortfall is the mean of its highest 5%, not its cheapest 5%.
    study = load_study(GOOD / "study_decisions.toml")
    ds = sweep(maas, study.priors, "price_output", [2.0, 3.0], 400, method="lhs", rng=5)
    s = summarize_sweep(ds)
    for v in (2.0, 3.0):
        one = mcrisk.summarize(ds.sel(price_output=v))
        for stat in one.data_vars:
            np.testing.assert_array_equal(s[stat].sel(price_output=v).values, one[stat].values)
    cost = np.sort(np.broadcast_to(ds.cost_per_day.sel(price_output=2.0).values, (400,)))
    assert ds.cost_per_day.attrs["bad"] == "high"
    assert float(s.es05.sel(price_output=2.0, output="cost_per_day")) == pytest.approx(cost[-20:].mean(), rel=1e-14)
