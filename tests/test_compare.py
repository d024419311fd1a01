"""Comparing two plans on common random numbers: 0 exactly against itself, known differences exactly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mcrisk import Priors, load_study
from mcrisk.cli.main import main
from mcrisk.study.compare import COLUMNS, compare
from mcrisk.spec.priors import parse_prior
from mcrisk.core.statistics import STATISTICS

GOOD = Path(__file__).resolve().parent / "data" / "good"


@pytest.fixture(scope="module")
def study():
    """maas at DeepSeek's point values with only the rent uncertain, U(2, 14) USD/GPU-hour; 4,000 LHS samples."""
    return load_study(GOOD / "study_decisions.toml")


def _with(study, **specs):
    extra = {k: parse_prior(k, v, file="test") for k, v in specs.items()}
    return replace(study, priors=study.priors.merged(Priors(extra)), path=study.path.with_name(f"{study.name}_b.toml"))


def test_a_study_against_itself_differs_by_exactly_zero(study) -> None:
    c = compare(study, study, samples=500)
    t = c.table
    assert list(t.statistic.values) == [*STATISTICS, "n_valid", "median_of_diff"]
    finite = np.isfinite(t["a"].drop_sel(statistic="median_of_diff").values)
    assert finite.all() and np.isnan(t["a"].sel(statistic="median_of_diff").values).all()
    assert np.all(t["diff"].values == 0) and np.all(t.diff_low.values == 0) and np.all(t.diff_high.values == 0)
    assert c.notes == ()


def test_a_price_ten_percent_higher(study) -> None:
    # Output price 2.19 -> 2.409 USD/1M tokens: revenue, so profit, rises by 168e9 x 0.219 / 1e6
    # = 36,792 USD/day in every sample; the rent's draws are shared, so the paired difference
    # has no sampling noise: the mean difference and its interval are that number.
    b = _with(study, price_output=2.19 * 1.1)
    c = compare(study, b)
    row = c.table.sel(output="profit_per_day")
    exact = 168e9 * 0.219 / 1e6
    for stat in ("mean", "p05", "p50", "p95", "min", "max", "es05", "median_of_diff"):
        assert float(row["diff"].sel(statistic=stat)) == pytest.approx(exact, rel=1e-9), stat
    assert float(row.diff_low.sel(statistic="mean")) == pytest.approx(exact, rel=1e-9)
    assert float(row.diff_high.sel(statistic="mean")) == pytest.approx(exact, rel=1e-9)
    assert float(row["diff"].sel(statistic="std")) == pytest.approx(0, abs=1e-6)
    # P(loss) falls by the share of rents between the two break-even rents, counted on the draws
    g = c.a.gpu_hour_price.values
    np.testing.assert_array_equal(g, c.b.gpu_hour_price.values)
    pa, pb = c.a.profit_per_day.values, c.b.profit_per_day.values
    assert float(row["diff"].sel(statistic="p_below_zero")) == np.mean(pb < 0) - np.mean(pa < 0) < 0
    assert c.notes == ("price_output: A 2.19, B 2.409",)
    # revenue of the input tokens, and the cost, do not move at all: exactly 0
    assert np.all(c.table["diff"].sel(output="cost_per_day").values == 0)


def test_different_uncertain_inputs_share_draws_by_name(study) -> None:
    b = _with(study, paid_share={"dist": "uniform", "low": 0.5, "high": 1.0})
    c = compare(study, b, samples=1000)
    np.testing.assert_array_equal(c.a.gpu_hour_price.values, c.b.gpu_hour_price.values)
    assert c.b.paid_share.dims == ("sample",)
    assert c.notes == ("paid_share: only B sets it (uniform(low=0.5, high=1); the other model's default or not "
                       "an input)",)
    # a lower billed share can only lower profit: every paired difference is <= 0
    assert np.all(c.b.profit_per_day.values <= c.a.profit_per_day.values)
    assert float(c.table.diff_high.sel(output="profit_per_day", statistic="mean")) < 0


def test_cli_compare_writes_the_table(tmp_path: Path, capsys, study) -> None:
    out = tmp_path / "cmp"
    path = GOOD / "study_decisions.toml"
    assert main(["compare", str(path), str(path), "--samples", "256", "--out", str(out), "--formats", "png"]) == 0
    frame = pd.read_csv(out / "compare.csv")
    assert tuple(frame.columns) == COLUMNS
    assert (frame["diff"] == 0).all()
    assert (out / "figures" / "compare.png").is_file()
    printed = capsys.readouterr().out
    assert printed.startswith("profit_per_day (USD/day): B - A on common random numbers, 256 samples, lhs, seed 7")
    # a bad study: one line, status 2, nothing written
    bad = tmp_path / "bad"
    assert main(["compare", str(path), str(tmp_path / "nope.toml"), "--out", str(bad)]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'nope.toml'}: no such file\n"
    assert not bad.exists()


def test_a_cost_s_shortfall_is_its_dearest_five_percent_and_so_is_its_interval(study) -> None:
    # B's rent is A's x 1.1 sample by sample (U(2.2, 15.4) on the same Latin hypercube), so B's
    # fleet cost is A's x 1.1: the ES05 of a cost (bad = "high") differs by 0.1 x A's dearest 5%,
    # and its paired bootstrap interval sits around that difference, not the cheapest 5%'s.
    b = _with(study, gpu_hour_price={"dist": "uniform", "low": 2.2, "high": 15.4})
    c = compare(study, b, samples=2000)
    row = c.table.sel(output="cost_per_day", statistic="es05")
    cost = np.sort(c.a.cost_per_day.values)
    assert float(row["diff"]) == pytest.approx(0.1 * cost[-100:].mean(), rel=1e-9)
    assert float(row.diff_low) <= float(row["diff"]) <= float(row.diff_high)
    assert float(row.diff_low) > 0.1 * cost[-200:].mean()  # above even the dearest 10%: it is the top 5%


def test_the_median_of_the_paired_differences_stands_beside_the_difference_of_medians(study) -> None:
    # B bills a uniform share in [0.5, 1] where A bills all: the paired differences' median is not
    # the difference of the two medians (the rent moves both, the billed share only B).
    from mcrisk.analyze.intervals import order_ranks
    from mcrisk.study.compare import format_compare

    b = _with(study, paid_share={"dist": "uniform", "low": 0.5, "high": 1.0})
    c = compare(study, b, samples=1000)
    row = c.table.sel(output="profit_per_day")
    d = np.sort(c.b.profit_per_day.values - c.a.profit_per_day.values)
    med = row.sel(statistic="median_of_diff")
    assert float(med["diff"]) == np.median(d)
    r, s = order_ranks(d.size, 0.5)  # the distribution-free interval: order statistics r and s of the d_i
    assert (r, s) == (469, 532)
    assert (float(med.diff_low), float(med.diff_high)) == (d[r - 1], d[s - 1])
    assert np.isnan(float(med["a"])) and np.isnan(float(med["b"]))
    of_medians = float(row["diff"].sel(statistic="p50"))
    assert of_medians == np.median(c.b.profit_per_day.values) - np.median(c.a.profit_per_day.values)
    assert abs(of_medians - np.median(d)) > 1000  # USD/day: two different numbers, each named for what it is
    lines = format_compare(c).splitlines()
    (p50,) = [x for x in lines if x.startswith("p50")]
    (paired,) = [x for x in lines if x.startswith("median of paired")]
    assert p50.split("  ")[0] == "p50 (B - A: difference of medians)"
    assert paired.split()[:5] == ["median", "of", "paired", "B", "-"] and len(paired.split()) == 10
    assert lines.index(paired) == lines.index(p50) + 2  # after p95, before P(below zero)


def test_differing_options_are_listed(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    text = (root / "studies" / "deepseek_hourly.toml").read_text(encoding="utf-8").replace(
        '"../priors/', f'"{(root / "priors").as_posix()}/')
    a = tmp_path / "a.toml"
    a.write_text(text, encoding="utf-8")
    start = text.index("schedule = [")
    b = tmp_path / "b.toml"
    b.write_text(text[:start].replace('policy = "schedule"', 'policy = "elastic"')
                 + text[text.index("]", start) + 2:], encoding="utf-8")
    c = compare(a, b, samples=64)
    assert c.notes == ("[options] policy: A 'schedule', B 'elastic'",
                       "[options] schedule: only A sets it ([218, 195.5, 150.5, 83, 68, 68, 83, 158, 248, 278, 278, "
                       "278, 278, 278, 278, 278, 278, 278, 278, 278, 278, 278, 278, 278]; the other takes the model's "
                       "default)")
    assert compare(a, a, samples=64).notes == ()
