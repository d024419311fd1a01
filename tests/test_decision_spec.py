"""Targets, sweep ranges, [sweep] / [solve] tables and precisions: parsed exactly, every mistake one line."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from mcrisk import SpecError, load_study
from mcrisk.spec.tables import SweepTable
from mcrisk.spec.decision_tables import Target, check_solve, check_sweep, parse_target, sweep_values
from mcrisk.spec.precision_text import Precision, parse_precision

BAD = Path(__file__).resolve().parent / "data" / "bad"
STUDY = {"output": "profit", "outputs": ("profit", "cost"), "inputs": ("price", "cost_rate")}


@pytest.mark.parametrize("text, expected", [
    ("P(profit_per_day > 0) >= 0.9",
     Target("P(profit_per_day > 0) >= 0.9", "probability", "profit_per_day", ">=", 0.9, True, 0.0)),
    ("P( profit_per_day<-1e3 )<=0.1",
     Target("P(profit_per_day < -1e3) <= 0.1", "probability", "profit_per_day", "<=", 0.1, False, -1000.0)),
    ("P(x >= 2) >= 0.5", Target("P(x >= 2) >= 0.5", "probability", "x", ">=", 0.5, True, 2.0, inclusive=True)),
    ("p05(profit_per_day) >= 0", Target("p05(profit_per_day) >= 0", "quantile", "profit_per_day", ">=", 0.0, q=0.05)),
    ("median(x) <= 1_000", Target("median(x) <= 1_000", "quantile", "x", "<=", 1000.0, q=0.5)),
    ("mean(cost_profit_margin) >= 1", Target("mean(cost_profit_margin) >= 1", "mean", "cost_profit_margin", ">=", 1.0)),
], ids=["probability", "below", "inclusive", "percentile", "median", "mean"])
def test_targets_parse(text: str, expected: Target) -> None:
    got = parse_target(text)
    assert got == expected
    assert got.met(expected.level)
    assert got.met(expected.level + 1) == (expected.comparison == ">=")


@pytest.mark.parametrize("text, message", [
    ("P(profit > 0) > 0.9", "target = 'P(profit > 0) > 0.9' is not a target; targets look like"),
    ("P(profit > 0) >= 1.5", "target = 'P(profit > 0) >= 1.5': the probability 1.5 must be between 0 and 1"),
    ("p00(profit) >= 0", "target = 'p00(profit) >= 0': p00 is not a percentile; use p01 ... p99 or median"),
    ("std(profit) >= 0", "target = 'std(profit) >= 0' is not a target"),
    (0.9, "target = 0.9 must be a string"),
])
def test_malformed_targets_are_one_line(text, message: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_target(text)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_sweep_values_list_linear_and_log() -> None:
    assert sweep_values([8, 10, 12]) == (8.0, 10.0, 12.0)
    assert sweep_values(low=8, high=16, num=5) == (8.0, 10.0, 12.0, 14.0, 16.0)
    log = sweep_values(low=1, high=100, num=3, scale="log")
    assert log[0] == 1.0 and log[-1] == 100.0 and log[1] == pytest.approx(10.0, rel=1e-15)


@pytest.mark.parametrize("kwargs, message", [
    ({"values": [1]}, "[sweep] values = [1] must be a list of at least 2 numbers"),
    ({"values": [1, 1]}, "[sweep] values = [1, 1] repeats a value; give each lever value once"),
    ({"values": [1, "a"]}, "[sweep] values = 'a' must be a number"),
    ({"low": 3, "high": 1, "num": 4}, "[sweep] low = 3 must be below high = 1"),
    ({"low": 1, "high": 3, "num": 1}, "[sweep] num = 1 must be an integer from 2 to 10,000 (lever values)"),
    ({"low": 1, "high": 3}, "[sweep] num is missing; give values = [...] or low, high and num"),
    ({"low": 0, "high": 3, "num": 3, "scale": "log"}, '[sweep] low = 0 must be positive for scale = "log"'),
    ({"low": 1, "high": 3, "num": 3, "scale": "ln"}, "[sweep] scale = 'ln' is not a scale; allowed: linear, log"),
    ({"values": [1, 2], "low": 1}, "[sweep] values = [1, 2]: give values or low, high and num, not both"),
])
def test_sweep_value_errors(kwargs, message: str) -> None:
    values = kwargs.pop("values", None)
    with pytest.raises(SpecError) as info:
        sweep_values(values, **kwargs)
    assert str(info.value) == message


def test_tables_fill_defaults() -> None:
    assert check_sweep({"lever": "price", "values": [1, 2]}, "s.toml", STUDY) == SweepTable(
        lever="price", values=(1.0, 2.0), output="profit")
    cfg = check_solve({"lever": "price", "target": "P(profit > 0) >= 0.9", "low": 1, "high": 2}, "s.toml", STUDY)
    assert (cfg.lever, cfg.low, cfg.high, cfg.tolerance, cfg.relative) == ("price", 1.0, 2.0, 0.001, True)
    cfg = check_solve({"lever": "price", "target": "mean(cost) <= 3", "low": 1, "high": 2, "tolerance": 0.01},
                      "s.toml", STUDY)
    assert (cfg.tolerance, cfg.relative) == (0.01, False)


@pytest.mark.parametrize("table, message", [
    ({"lever": "prize", "values": [1, 2]},
     "s.toml: [sweep] lever = 'prize' is not an input of the model; inputs: price, cost_rate"),
    ({"values": [1, 2]}, "s.toml: [sweep] lever is missing; name the input to sweep"),
    ({"lever": "price", "values": [1, 2], "output": "loss"},
     "s.toml: [sweep] output = 'loss' is not an output of the model; outputs: profit, cost"),
    ({"lever": "price", "values": [1, 2], "step": 1},
     "s.toml: [sweep] step = 1 is not a key; allowed: lever, values, low, high, num, scale, output"),
])
def test_sweep_table_errors(table, message: str) -> None:
    with pytest.raises(SpecError) as info:
        check_sweep(table, "s.toml", STUDY)
    assert str(info.value) == message


@pytest.mark.parametrize("table, message", [
    ({"lever": "prize", "target": "P(profit > 0) >= 0.9"},
     "s.toml: [solve] lever = 'prize' is not an input of the model; inputs: price, cost_rate"),
    ({"lever": "price", "target": "P(profit > 0) >= 0.9", "low": 1},
     "s.toml: [solve] high is missing; [solve] needs lever, target, low and high"),
    ({"lever": "price", "target": "P(loss > 0) >= 0.9", "low": 1, "high": 2},
     "s.toml: [solve] target output = 'loss' is not an output of the model; outputs: profit, cost"),
    ({"lever": "price", "target": "P(profit > 0) >= 0.9", "low": 2, "high": 2},
     "s.toml: [solve] low = 2 must be below high = 2"),
    ({"lever": "price", "target": "P(profit > 0) >= 0.9", "low": 1, "high": 2, "tolerance": "0%"},
     's.toml: [solve] tolerance = \'0%\' must be a percentage between 0% and 100%, e.g. "0.5%"'),
    ({"lever": "price", "target": "P(profit > 0) >= 0.9", "low": 1, "high": 2, "tolerance": -1},
     "s.toml: [solve] tolerance = -1 must be a positive number in the lever's units, or a percentage of "
     'the answer such as "0.5%"'),
])
def test_solve_table_errors(table, message: str) -> None:
    with pytest.raises(SpecError) as info:
        check_solve(table, "s.toml", STUDY)
    assert str(info.value) == message


def test_precision_parses_absolute_and_relative() -> None:
    got = parse_precision("p_loss:0.005, p05:1%, mean:0.5%")
    assert got == (Precision("p_loss", "p_below_zero", 0.005, False), Precision("p05", "p05", 0.01, True),
                   Precision("mean", "mean", 0.005, True))
    # a probability's percentage is percentage points: absolute
    assert parse_precision("p_loss:0.5%") == (Precision("p_loss", "p_below_zero", 0.005, False),)
    assert got[1].allowed(-200.0) == pytest.approx(2.0)
    assert got[0].allowed(0.3) == 0.005


@pytest.mark.parametrize("text, message", [
    ("p07:1%", "precision = 'p07:1%': p07 is not a statistic; allowed: p_loss, p_below_zero, mean, p05, p10, "
               "p25, p50, p75, p90, p95"),
    ("mean", "precision = 'mean': mean: needs a positive tolerance such as mean:0.005 or mean:1%"),
    ("mean:-1%", "precision = 'mean:-1%': mean:-1% needs a positive tolerance such as mean:0.005 or mean:1%"),
    ("p_loss:0.01, p_below_zero:0.02", "precision = 'p_loss:0.01, p_below_zero:0.02': p_below_zero is named twice"),
    ("", "precision = '' must be a string such as \"p_loss:0.005, p05:1%, mean:0.5%\""),
])
def test_precision_errors(text: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_precision(text)
    assert str(info.value) == message


@pytest.mark.parametrize("name, message", [
    ("sweep_unknown_lever", "[sweep] lever = 'price_outptu' is not an input of the model; inputs: input_tokens,"),
    ("sweep_one_value", "[sweep] values = [2.19] must be a list of at least 2 numbers"),
    ("sweep_low_not_below_high", "[sweep] low = 3 must be below high = 1"),
    ("solve_malformed_target", "[solve] target = 'P(profit_per_day > 0) > 0.9' is not a target;"),
    ("solve_low_not_below_high", "[solve] low = 10 must be below high = 10"),
    ("solve_unknown_output", "[solve] target output = 'profit_per_dya' is not an output of maas;"),
    ("precision_unknown_statistic", "precision = 'p_loss:0.005, p07:1%': p07 is not a statistic;"),
])
def test_bad_study_files(name: str, message: str) -> None:
    path = BAD / f"{name}.toml"
    with pytest.raises(SpecError) as info:
        load_study(path)
    assert str(info.value).startswith(f"{path}: {message}")


def test_no_nan_slips_through() -> None:
    with pytest.raises(SpecError):
        sweep_values([1.0, math.nan])


def test_a_sweep_value_passes_the_domain_check_of_its_lever(tmp_path) -> None:
    from mcrisk.spec.studyfile import load_study

    good = Path(__file__).parent / "data" / "good"
    path = tmp_path / "s.toml"
    text = (good / "study_uniform_price.toml").read_text(encoding="utf-8").replace(
        '"maas_point.toml"', f'"{(good / "maas_point.toml").as_posix()}"')
    path.write_text(text + '\n[sweep]\nlever = "paid_share"\nvalues = [0.5, 1.5]\n', encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_study(path)
    assert str(err.value) == (f"{path}: [sweep] values: value 1.5 lies outside the domain of paid_share, [0, 1]; "
                              'a share is a fraction (0.5 for 50%), or give unit = "%"')
    path.write_text(text + '\n[sweep]\nlever = "paid_share"\nvalues = [0, 0.5, 1]\n', encoding="utf-8")
    assert load_study(path).sweep.values == (0.0, 0.5, 1.0)
