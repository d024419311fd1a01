"""Solving for a target: answers known in closed form, their order-statistic intervals, every failure named."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st
from conftest import quantile_se

from mcrisk import MCRiskWarning, SpecError, load_study, priors_from_dict
from mcrisk.cli.main import main
from mcrisk.models import maas
from mcrisk.analyze.solve import format_solution, order_ranks, solve
from mcrisk.analyze.sweep import lever_inputs
from mcrisk.core.statistics import Z95_TWO_SIDED
from mcrisk.spec.decision_tables import parse_target
from mcrisk.spec.thresholds import read_target

GOOD = Path(__file__).resolve().parent / "data" / "good"
N = 4000


@pytest.fixture(scope="module")
def study():
    """maas at DeepSeek's point values with only the rent uncertain, U(2, 14) USD/GPU-hour."""
    return load_study(GOOD / "study_decisions.toml")


def _linear(study) -> tuple[float, float, float]:
    """profit = a + b price_output - c gpu_hour_price (maas is linear in both)."""
    point = {k: float(p.params["value"]) for k, p in study.priors.items() if p.is_constant}
    f = lambda p, g: float(maas(**{**point, "price_output": p, "gpu_hour_price": g})["profit_per_day"])  # noqa: E731
    a = f(0, 0)
    return a, f(1, 0) - a, a - f(0, 1)


def _rents(study, method: str) -> np.ndarray:
    """The rents every lever value is evaluated on (the same draws solve makes)."""
    return np.sort(lever_inputs(study.priors, "price_output", N, method=method, rng=7).gpu_hour_price.values)


def test_order_ranks_cover_exactly() -> None:
    # P(r <= B <= s - 1) >= 0.95 for B ~ Bin(n, q), and neither rank can move inwards.
    for n, q in ((4000, 0.9), (100, 0.5), (20, 0.05)):
        r, s = order_ranks(n, q)
        b = st.binom(n, q)
        assert b.cdf(s - 1) - b.cdf(r - 1) >= 0.95
        assert b.cdf(r - 1) <= 0.025 < b.cdf(r) and b.sf(s - 1) <= 0.025 < b.sf(s - 2)
    assert order_ranks(20, 0.05)[0] == 0  # too few draws for a lower bound: X_(0) = -inf


@pytest.mark.parametrize("method", ["lhs", "random"])
def test_probability_target_is_a_quantile_of_the_rent(study, method: str) -> None:
    # P(profit > 0) >= 0.9 <=> a + b p > c g for 90% of rents: p = (c g_0.9 - a) / b, with the
    # sample's 3,600th smallest rent, and the interval the order statistics of order_ranks.
    a, b, c = _linear(study)
    sol = solve(maas, study.priors, "price_output", "P(profit_per_day > 0) >= 0.9", 0.5, 10.0, N,
                method=method, rng=7, tolerance=1e-5)
    g = _rents(study, method)
    price = lambda rent: (c * rent - a) / b  # noqa: E731
    tol = 1e-5 * sol.value * 1.0001
    assert sol.value == pytest.approx(price(g[3599]), abs=tol)
    assert sol.value >= price(g[3599]) and sol.achieved >= 0.9 and sol.met_above
    r, s = order_ranks(N, 0.9)
    assert sol.ci_low == pytest.approx(price(g[r - 1]), abs=tol)
    assert sol.ci_high == pytest.approx(price(g[s - 1]), abs=tol)
    # the truth, 12.8 USD/GPU-hour, within 4 SE of the random-sampling quantile error (LHS: less)
    se = quantile_se(st.uniform(2, 12), 0.9, N)
    assert abs(g[3599] - 12.8) <= 4 * se
    # a loss target states the same condition: the same answer and the same order statistics
    loss = solve(maas, study.priors, "price_output", "P(profit_per_day < 0) <= 0.1", 0.5, 10.0, N,
                 method=method, rng=7, tolerance=1e-5)
    assert (loss.value, loss.ci_low, loss.ci_high) == pytest.approx((sol.value, sol.ci_low, sol.ci_high), abs=tol)


def test_percentile_and_mean_targets(study) -> None:
    a, b, c = _linear(study)
    g = _rents(study, "random")
    price = lambda rent: (c * rent - a) / b  # noqa: E731
    p05 = solve(maas, study.priors, "price_output", "p05(profit_per_day) >= 0", 0.5, 10.0, N, rng=7, tolerance=1e-6)
    # p05(a + b p - c g) = a + b p - c q95(g), np.quantile's linear interpolation on both sides
    assert p05.value == pytest.approx(price(np.quantile(g, 0.95)), rel=2e-6)
    r, s = order_ranks(N, 0.05)  # the 5% quantile of profit is the 95% of rent: ranks N + 1 - s, N + 1 - r
    assert (p05.ci_low, p05.ci_high) == pytest.approx((price(g[N - s]), price(g[N - r])), rel=2e-6)
    mean = solve(maas, study.priors, "price_output", "mean(profit_per_day) >= 0", 0.5, 10.0, N, rng=7,
                 tolerance=1e-6)
    se = g.std(ddof=1) / np.sqrt(N)
    assert mean.value == pytest.approx(price(g.mean()), rel=2e-6)
    assert (mean.ci_low, mean.ci_high) == pytest.approx((price(g.mean() - Z95_TWO_SIDED * se), price(g.mean() + Z95_TWO_SIDED * se)),
                                                        rel=2e-6)
    assert mean.achieved >= 0 and mean.samples == N and mean.method == "random" and mean.seed == 7


def test_target_out_of_reach_names_the_best_value(study) -> None:
    with pytest.raises(SpecError) as info:
        solve(maas, study.priors, "price_output", "P(profit_per_day > 0) >= 0.9", 0.5, 2.0, 100, rng=7)
    # at 2 USD/1M output tokens about 15% of rents still lose money: P(profit > 0) peaks near 0.85
    assert str(info.value).startswith("target 'P(profit_per_day > 0) >= 0.9' cannot be met for price_output in "
                                      "[0.5, 2]: the best reached is P(profit_per_day > 0) = ")
    assert str(info.value).endswith(" at price_output = 2")
    with pytest.raises(SpecError, match=r"is met over all of \[20, 30\] for price_output"):
        solve(maas, study.priors, "price_output", "P(profit_per_day > 0) >= 0.9", 20, 30, 100, rng=7)


def _no_rate(*, price, cost):
    """An IRR-like output that exists only where the price is above 5: NaN below."""
    return {"irr": np.where(np.asarray(price) > 5, price - cost, np.nan)}


def test_a_statistic_with_no_value_on_the_grid_is_named() -> None:
    """An output NaN in every sample at some lever value (a rate of return that never exists) has no P(...)
    there: one line naming the lever value, where it was an internal error (All-NaN slice)."""
    priors = priors_from_dict({"cost": {"dist": "uniform", "low": 0, "high": 1}}, file="t")
    with pytest.raises(SpecError) as info:
        solve(_no_rate, priors, "price", "P(irr < 6) <= 0.5", 1.0, 10.0, 100, rng=7)
    assert str(info.value) == ("target 'P(irr < 6) <= 0.5' cannot be solved for price in [1, 10]: P(irr < 6) has no "
                               "value at price = 1 (its output is NaN or infinite in every sample there)")


def _bump(*, price, cost):
    return {"profit": 1 - (price - cost) ** 2}


def test_a_target_met_and_missed_twice_is_not_monotone() -> None:
    priors = priors_from_dict({"cost": {"dist": "uniform", "low": 0, "high": 10}}, file="t")
    with pytest.raises(SpecError) as info:
        solve(_bump, priors, "price", "P(profit > 0) >= 0.15", -5, 15, 2000, rng=1)
    assert str(info.value).startswith("target 'P(profit > 0) >= 0.15' is not monotone in price: it is met and "
                                      "missed more than once in [-5, 15] (changes between ")
    # one crossing, but the probability rises and falls on the grid: a warning, and the answer
    with pytest.warns(MCRiskWarning, match="P\\(profit > 0\\) is not monotone in price over \\[-5, 5\\]"):
        sol = solve(_bump, priors, "price", "P(profit > 0) >= 0.15", -5, 5, 2000, rng=1, tolerance=1e-4,
                    relative=False)
    assert 0 < sol.value < 1 and sol.achieved >= 0.15


def test_unknown_lever(study) -> None:
    with pytest.raises(SpecError, match=r"^lever = 'price' is not an input of the model; inputs: input_tokens"):
        solve(maas, study.priors, "price", "P(profit_per_day > 0) >= 0.9", 1, 2, 10)


def test_cli_solve_writes_solve_json(tmp_path: Path, capsys, study) -> None:
    out = tmp_path / "solved"
    assert main(["solve", str(GOOD / "study_decisions.toml"), "--out", str(out)]) == 0
    got = json.loads((out / "solve.json").read_text())
    assert {"lever", "target", "value", "ci_low", "ci_high", "achieved", "samples"} <= set(got)
    sol = solve(maas, study.priors, "price_output", "P(profit_per_day > 0) >= 0.9", 0.5, 10.0, N, method="lhs",
                rng=7, tolerance=1e-4, unit="USD/1M tokens")
    assert (got["lever"], got["target"], got["samples"]) == ("price_output", "P(profit_per_day > 0) >= 0.9", N)
    assert (got["value"], got["ci_low"], got["ci_high"], got["achieved"]) == (
        sol.value, sol.ci_low, sol.ci_high, sol.achieved)
    read = read_target(parse_target("P(profit_per_day > 0) >= 0.9"), unit="USD/day")
    printed = capsys.readouterr().out
    assert printed == f"{study.title}\n{format_solution(sol, read, {'profit_per_day': 'profit per day'})}\n\nwrote {out}/\n"
    assert printed.splitlines()[2].startswith(f"P(profit per day > USD 0) = {sol.achieved:.6g} there (target >= 0.9); ")
    # out of reach: exit status 2, one line naming the best value, nothing written
    bad = tmp_path / "bad"
    assert main(["solve", str(GOOD / "study_decisions.toml"), "--high", "2", "--out", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {GOOD / 'study_decisions.toml'}: [solve] target 'P(profit_per_day > 0) >= 0.9' "
                          "cannot be met for price_output in [0.5, 2]: the best reached is")
    assert err.count("\n") == 1 and not bad.exists()


@pytest.mark.parametrize("text, expected", [
    ("P(x > 1) >= 0.5", 0.5), ("P(x >= 1) >= 0.5", 0.75), ("P(x < 1) <= 0.5", 0.25), ("P(x <= 1) <= 0.5", 0.5),
    ("p50(x) >= 0", 1.5), ("mean(x) >= 0", 1.5),
])
def test_statistic_counts_the_threshold_as_written(text: str, expected: float) -> None:
    from mcrisk.spec.decision_tables import parse_target
    from mcrisk.analyze.solve import statistic

    assert statistic(parse_target(text), np.array([0.0, 1.0, 2.0, 3.0])) == expected


def test_another_lever_than_the_tables_does_not_take_the_tables_range(tmp_path, capsys) -> None:
    # the main study's [solve] searches price_output over [16, 1000] CNY per million tokens; asked for
    # gpu_hour_price instead, the search runs over that input's own prior, from its 0.1% to 99.9% quantile
    path = Path(__file__).resolve().parents[1] / "studies" / "third_party_provider.toml"
    prior = load_study(path).priors["gpu_hour_price"]
    lo, hi = (float(prior.ppf([u])[0]) for u in (0.001, 0.999))
    assert main(["solve", str(path), "--lever", "gpu_hour_price", "--samples", "2000", "--out",
                 str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert f"cannot be met for gpu_hour_price in [{lo:g}, {hi:g}]" in err, err
    assert not (tmp_path / "s").exists()


def test_set_on_the_solve_lever_says_the_solve_holds_it_itself(tmp_path, capsys) -> None:
    path = Path(__file__).resolve().parents[1] / "studies" / "third_party_provider.toml"
    assert main(["run", str(path), "--set", "price_output=20", "--samples", "500", "--quiet", "--formats", "png",
                 "--out", str(tmp_path / "o")]) == 0
    assert capsys.readouterr().err == ("warning: --set price_output=20.0: the [solve] holds price_output at each value "
                                       "it tries; the setting holds for the run and the other tables\n")
