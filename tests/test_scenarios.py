"""Scenario discovery (PRIM) on stored samples: a planted box, the event that never or always happens."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from mcrisk.core.errors import SpecError
from mcrisk.core.text import percent_text
from mcrisk.analyze.scenarios import box_sentence, event_mask, scenario_frame, scenarios


def _results(x: np.ndarray, y: np.ndarray) -> xr.Dataset:
    ds = xr.Dataset({f"x{i + 1}": ("sample", x[:, i], {"role": "input", "units": "1"}) for i in range(x.shape[1])})
    ds["profit_per_day"] = ("sample", y, {"role": "output", "units": "USD/day"})
    ds.attrs["output"] = "profit_per_day"
    return ds


@pytest.fixture(scope="module")
def planted() -> xr.Dataset:
    # a loss exactly when x1 < 0.3 and x2 > 0.6, on independent uniforms; x3 does nothing
    rng = np.random.default_rng(12)
    x = rng.random((4000, 3))
    y = np.where((x[:, 0] < 0.3) & (x[:, 1] > 0.6), -1.0, 1.0)
    return scenarios(_results(x, y), bounds={k: (0.0, 1.0) for k in ("x1", "x2", "x3")})


def test_prim_recovers_a_planted_box(planted: xr.Dataset) -> None:
    b = planted.sel(box=1)
    # the peels are 5% of the remaining box each, so an edge lands within one peel of the truth
    assert abs(float(b.high.sel(input="x1")) - 0.3) <= 0.03
    assert abs(float(b.low.sel(input="x2")) - 0.6) <= 0.03
    assert float(b.coverage) > 0.9 and float(b.density) > 0.9
    assert list(b.restricted.values) == [True, True, False]
    # unrestricted edges are the bounds given (the priors' support)
    assert float(b.low.sel(input="x1")) == 0.0 and float(b.high.sel(input="x2")) == 1.0
    assert float(b.low.sel(input="x3")) == 0.0 and float(b.high.sel(input="x3")) == 1.0


def test_the_box_is_picked_by_the_stated_rule(planted: xr.Dataset) -> None:
    b = planted.sel(box=1)
    c, d, r = b.trajectory_coverage.values, b.trajectory_density.values, b.trajectory_restricted.values
    ok = (d >= 0.8) & (r >= 1)
    assert c[int(b.step)] == np.nanmax(c[ok])
    assert d[int(b.step)] == np.nanmax(d[ok & (c == c[int(b.step)])])
    assert float(b.coverage) == c[int(b.step)] and float(b.density) == d[int(b.step)]


def test_csv_rows_and_sentence(planted: xr.Dataset) -> None:
    df = scenario_frame(planted)
    assert list(df.columns) == ["box", "input", "low", "high", "unit", "coverage", "density", "n_restricted"]
    assert list(df.input) == ["x1", "x2"] and set(df.box) == {1}
    b = planted.sel(box=1)
    assert box_sentence(planted, 1) == (
        f"loss in {percent_text(float(b.density))} of cases when x1 < {float(b.high.sel(input='x1')):.1%} and "
        f"x2 > {float(b.low.sel(input='x2')):.1%}; {percent_text(float(b.coverage))} of all losses lie there")


@pytest.mark.parametrize(("y", "note"), [
    (np.ones(50), "no box to find: profit_per_day < 0 in none of the 50 samples (the event is impossible here)"),
    (-np.ones(50), "no box to find: profit_per_day < 0 in every sample (50 of 50; the event is certain here)"),
], ids=["never", "always"])
def test_an_event_that_never_or_always_happens_has_no_box(y: np.ndarray, note: str) -> None:
    ds = scenarios(_results(np.random.default_rng(0).random((50, 2)), y))
    assert ds.sizes["box"] == 0 and ds.attrs["note"] == note
    assert scenario_frame(ds).empty


def test_event_mask_and_bad_event() -> None:
    y = np.array([-1.0, 0.0, 2.0, np.nan])
    assert event_mask(y, "< 0").tolist() == [True, False, False, False]
    assert event_mask(y, "> 1.5").tolist() == [False, False, True, False]
    assert event_mask(y, "<= 0").tolist() == [True, True, False, False]
    with pytest.raises(SpecError, match=r"^event: event = '=< 0' must be \"< x\", \"> x\", \"OUTPUT < x\" or "):
        event_mask(y, "=< 0")


def test_correlated_inputs_still_find_the_box() -> None:
    # x2 follows x1 (Gaussian copula, rank correlation ~0.6); the loss is x1 < 0.3 alone, so the
    # box restricts x1 at 0.3 (one peel, 0.03) and reports every loss in it
    rng = np.random.default_rng(4)
    import scipy.stats as st

    z = rng.standard_normal((4000, 2))
    z[:, 1] = 0.6 * z[:, 0] + 0.8 * z[:, 1]
    x = st.norm.cdf(z)
    ds = scenarios(_results(x, np.where(x[:, 0] < 0.3, -1.0, 1.0)), bounds={"x1": (0.0, 1.0), "x2": (0.0, 1.0)})
    b = ds.sel(box=1)
    assert abs(float(b.high.sel(input="x1")) - 0.3) <= 0.03
    assert float(b.coverage) > 0.9 and float(b.density) > 0.9


def test_charts_draw_the_trajectory_and_the_box(planted: xr.Dataset) -> None:
    from mcrisk.report.plot import plot_scenario_box, plot_tradeoff, title_of

    ax = plot_tradeoff(planted)
    b = planted.sel(box=1)
    picked = next(c for c in ax.collections if c.get_gid() == "picked")
    assert picked.get_offsets().tolist() == [[float(b.coverage), float(b.density)]]
    ax.figure.clf()
    rng = np.random.default_rng(12)
    x = rng.random((4000, 3))
    res = _results(x, np.where((x[:, 0] < 0.3) & (x[:, 1] > 0.6), -1.0, 1.0))
    ax = plot_scenario_box(res, planted)
    assert title_of(ax).startswith("Loss in ")
    box = next(p for p in ax.patches if p.get_gid() == "box")
    # an unpeeled edge (the prior's bound) is drawn at the samples' extreme
    assert box.get_x() == x[:, 0].min()
    assert box.get_x() + box.get_width() == pytest.approx(float(b.high.sel(input="x1")), rel=1e-12)
    assert box.get_y() == float(b.low.sel(input="x2"))
    assert ax.get_xlabel().startswith("X1") and ax.get_ylabel().startswith("X2")
    ax.figure.clf()
    for chart, args in ((plot_tradeoff, (planted,)), (plot_scenario_box, (res, planted))):
        with pytest.raises(SpecError, match=rf"^box = 7 is not a box of the scenarios; boxes: "
                                            rf"\[{', '.join(map(str, planted.box.values))}\]$"):
            chart(*args, box=7)


def test_scenarios_command_writes_both_analyses_and_matches_closed_forms(tmp_path, capsys) -> None:
    # Only the GPU rent is uncertain, U(2, 14), and profit falls linearly with it, a - b p:
    # - the loss lives exactly above the break-even rent a / b, so the box is one edge on
    #   gpu_hour_price there (within one 5% peel of the remaining range, 0.6 USD/GPU-hour);
    # - profit is uniform on [L, U] = [a - 14 b, a - 2 b], so EVPI = E[max(P, 0)] - max(E[P], 0)
    #   = U^2 / (2 (U - L)) - max((L + U) / 2, 0), and EVPPI(gpu_hour_price) = EVPI.
    # The study has a [value_of_information] table, so the command's run writes voi.csv too.
    from pathlib import Path

    import pandas as pd

    from mcrisk.cli.main import main

    good = Path(__file__).parent / "data" / "good"
    study = tmp_path / "s.toml"
    study.write_text((good / "study_uniform_price.toml").read_text().replace(
        'priors = ["maas_point.toml"]', f'priors = ["{good / "maas_point.toml"}"]')
        + "\n[value_of_information]\nresamples = 30\n")
    out = tmp_path / "out"
    assert main(["scenarios", str(study), "--out", str(out), "--quiet", "--threshold-density", "0.99"]) == 0
    res = xr.open_dataset(out / "results.nc")
    p, y = res.gpu_hour_price.values, res.profit_per_day.values
    slope, icept = np.polyfit(p, y, 1)
    df = pd.read_csv(out / "scenarios.csv")
    assert list(df.input) == ["gpu_hour_price"] and df.high[0] == 14.0  # the prior's bound
    assert abs(df.low[0] - (-icept / slope)) <= 0.6 and df.density[0] >= 0.99
    traj = pd.read_csv(out / "scenarios_trajectory.csv")
    assert traj.picked.sum() == 1 and traj.coverage.iloc[0] == 1.0
    assert traj[traj.picked].density.iloc[0] == df.density[0]
    printed = capsys.readouterr().out
    assert "box 1: loss in" in printed and "Value of information" in printed

    voi = pd.read_csv(out / "voi.csv").set_index("inputs")
    lo, hi = icept + 14 * slope, icept + 2 * slope
    exact = hi**2 / (2 * (hi - lo)) - max((lo + hi) / 2, 0)
    assert list(voi.index) == ["gpu_hour_price", "all"]
    assert abs(voi.evppi["all"] - exact) <= 4 * voi.se["all"]
    assert abs(voi.evppi["gpu_hour_price"] - voi.evppi["all"]) <= 1e-3 * voi.evppi["all"]
    report = (out / "report.md").read_text()
    assert "## Where the loss lives" in report and "## What is worth knowing" in report
    assert (out / "figures" / "voi.png").exists() and (out / "figures" / "scenarios_box.png").exists()


def test_coverage_and_density_are_shares_of_the_event_at_any_threshold() -> None:
    # at threshold_density 0 every step qualifies; coverage and density are still the event's
    # shares counted in the box (the Workbench, up to 0.2, counted every sample as a case then:
    # density 1 and coverage = mass, and picked the first peel)
    from mcrisk.analyze.prim import in_box

    rng = np.random.default_rng(12)
    x = rng.random((4000, 3))
    loss = (x[:, 0] < 0.3) & (x[:, 1] > 0.6)
    ds = scenarios(_results(x, np.where(loss, -1.0, 1.0)), threshold_density=0.0, max_boxes=1)
    b = ds.sel(box=1)
    inside = in_box(x, b.low.values, b.high.values)
    assert float(b.coverage) == (inside & loss).sum() / loss.sum()
    assert float(b.density) == (inside & loss).sum() / inside.sum() < 1.0
    # the rule: the largest coverage over restricted steps, here the whole event, then the densest
    assert float(b.coverage) == 1.0 and int(b.step) > 1
