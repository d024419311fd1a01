"""Loading priors files: what is accepted, what is kept, and the exact message for every mistake."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

from mcrisk import Prior, Priors, SpecError, load_priors
from mcrisk.core.errors import shorten
from mcrisk.spec.priors import PROBE, parse_prior

KNOWN = ("beta, constant, discrete, lognormal, loguniform, metalog, normal, pert, triangular, truncnormal, "
         "uniform, weibull, or any continuous scipy.stats family by its name")

# tests/data/bad/<file> -> the message after "<path>: ".
BAD_PRIORS = {
    "unknown_family.toml": f"[gpu_hour_price] dist = 'trianglar' is not a family; known: {KNOWN}",
    "missing_parameter.toml": "[gpu_hour_price] mode is missing; triangular needs low, mode, high",
    "sd_not_positive.toml": "[gpu_hour_price] sd = 0.0 must be > 0",
    "low_not_below_high.toml": "[gpu_hour_price] high = 1.5 must be greater than low = 3.5",
    "mode_outside.toml": "[gpu_hour_price] mode = 4.0 must lie in [low, high] = [1.5, 3.5]",
    "p05_not_below_p95.toml": "[gpu_hour_price] p95 = 2.0 must be greater than p05 = 3.0",
    "lognormal_p05_not_positive.toml": "[gpu_hour_price] p05 = 0.0 must be > 0 for lognormal",
    "weights_not_summing_to_one.toml": "[gpus_per_node] weights = [0.5, 0.4] must sum to 1 (they sum to 0.9)",
    "unknown_key_in_entry.toml": ("[gpu_hour_price] mean = 2.0 is not a key; allowed: "
                                  "low, high, p05, p95, unit, source, note, base, label, spread"),
    "malformed.toml": "is not valid TOML: Expected ']' at the end of a table declaration (at line 1, column 16)",
    "correlation_rank_out_of_range.toml": "[[correlation]] #1 rank = 1.5 must lie in [-1, 1]",
    "correlation_unknown_input.toml": ("[[correlation]] #1 between = ['prefill_tps_per_node', 'decode_tps']: "
                                       "'decode_tps' is not an input here; known: prefill_tps_per_node"),
    "discrete_nan.toml": "[gpu_hour_price] values = [nan, 2.0] must hold finite numbers only (no nan or inf)",
    "no_inputs.toml": ("has no inputs; a priors file has one table (or number) per model input, e.g. "
                       "[gpu_hour_price] dist = \"triangular\", low = 1.5, mode = 2.0, high = 3.5"),
    "beta_constant_in_disguise.toml": ("[x] beta(low=0, high=1, a=1e+300, b=1e+300) draws the same value 0.5 every "
                                       "time; give it as a constant (value = 0.5) or widen it"),
    "uniform_overflow.toml": ("[x] uniform(low=-1e+308, high=1e+308) has draws that are not finite numbers (its "
                              "inverse CDF at probability 5.55e-17 is inf); choose parameters whose quantiles are "
                              "finite doubles"),
    "nesting_too_deep.toml": "nesting too deep: arrays or tables nested more than 50 levels",
}


@pytest.mark.parametrize("name", sorted(BAD_PRIORS))
def test_bad_priors_file(bad: Path, name: str) -> None:
    path = bad / name
    with pytest.raises(SpecError, match=f"^{re.escape(f'{path}: {BAD_PRIORS[name]}')}$"):
        load_priors(path)


def test_missing_priors_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(SpecError, match=f"^{re.escape(f'{path}: no such file')}$"):
        load_priors(path)


def test_directory_is_not_a_priors_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=f"^{re.escape(f'{tmp_path}: cannot be read (IsADirectoryError)')}$"):
        load_priors(tmp_path)


# Entries checked one at a time: (table, message after "f.toml: [x] ").
BAD_ENTRIES = {
    "no_dist_no_value": ({"low": 1.0}, f"dist is missing; give a family ({KNOWN}) or a value"),
    "negative_weight": ({"dist": "discrete", "values": [1, 2], "weights": [1.5, -0.5]},
                        "weights = [1.5, -0.5] must all be >= 0"),
    "weights_length": ({"dist": "discrete", "values": [1, 2], "weights": [1.0]},
                       "weights = [1.0] must be a list of 2 numbers, one per value"),
    "repeated_value": ({"dist": "discrete", "values": [1, 1], "weights": [0.5, 0.5]},
                       "values = [1, 1] must not repeat a value"),
    "truncnormal_without_bounds": ({"dist": "truncnormal", "mean": 1.0, "sd": 1.0},
                                   "low or high is required: truncnormal needs at least one bound"),
    "lognormal_sigma": ({"dist": "lognormal", "median": 2.0, "sigma": -0.1}, "sigma = -0.1 must be > 0"),
    "loguniform_low": ({"dist": "loguniform", "low": 0.0, "high": 1.0}, "low = 0.0 must be > 0"),
    "beta_a": ({"dist": "beta", "a": 0.0, "b": 2.0}, "a = 0.0 must be > 0"),
    "beta_bounds": ({"dist": "beta", "a": 2.0, "b": 2.0, "low": 5.0, "high": 1.0},
                    "high = 1.0 must be greater than low = 5.0"),
    "pert_lambda": ({"dist": "pert", "low": 1.0, "mode": 2.0, "high": 3.0, "lambda": 0.0},
                    "lambda = 0.0 must be > 0"),
    "interval_for_triangular": ({"dist": "triangular", "p05": 1.0, "p95": 2.0},
                                "p05 = 1.0 is not a parameter of triangular; a 90% interval (p05, p95) "
                                "is allowed for lognormal, loguniform, normal, uniform"),
    "interval_half": ({"dist": "normal", "p05": 1.0}, "p95 is missing; a 90% interval needs both p05 and p95"),
    "interval_and_mean": ({"dist": "normal", "p05": 1.0, "p95": 2.0, "mean": 1.5},
                          "mean = 1.5 cannot be given with p05 and p95"),
    "string_parameter": ({"dist": "uniform", "low": "1", "high": 2.0}, "low = '1' must be a number"),
    "nan_parameter": ({"dist": "normal", "mean": float("nan"), "sd": 1.0}, "mean = nan must be a finite number"),
    "base_outside": ({"dist": "uniform", "low": 1.0, "high": 2.0, "base": 3.0},
                     "base = 3.0 must lie in the support [1, 2]"),
    "unit_not_string": ({"value": 1.0, "unit": 8}, "unit = 8 must be a string"),
    "scipy_shape": ({"dist": "gamma", "a": -1.0}, "a = -1.0 is outside what scipy.stats.gamma allows"),
    # The bad shape is named, not the first one.
    "scipy_second_shape": ({"dist": "burr", "c": 2.0, "d": -1.0}, "d = -1.0 is outside what scipy.stats.burr allows"),
    "discrete_inf_weight": ({"dist": "discrete", "values": [1, 2], "weights": [float("inf"), 0.5]},
                            "weights = [inf, 0.5] must hold finite numbers only (no nan or inf)"),
    "discrete_huge_int": ({"dist": "discrete", "values": [10**400], "weights": [1.0]},
                          f"values = {shorten([10**400])} must hold finite numbers only (no nan or inf)"),
    "discrete_range_overflows": ({"dist": "discrete", "values": [-1e308, 1e308], "weights": [0.5, 0.5]},
                                 "discrete(values=[-1e+308, 1e+308], weights=[0.5, 0.5]) spans -1e+308 to 1e+308, "
                                 "a range wider than the largest double (its width overflows); choose parameters "
                                 "of a smaller magnitude"),
    "discrete_one_value": ({"dist": "discrete", "values": [3.0], "weights": [1.0]},
                           "discrete(values=[3], weights=[1]) draws the same value 3 every time; give it as a "
                           "constant (value = 3) or widen it"),
    "normal_overflow": ({"dist": "normal", "mean": 1e308, "sd": 1e308},
                        "normal(mean=1e+308, sd=1e+308) has draws that are not finite numbers (its inverse CDF at "
                        "probability 5.55e-17 is -inf); choose parameters whose quantiles are finite doubles"),
    "truncnormal_subnormal_sd": ({"dist": "truncnormal", "mean": 1.0, "sd": 5e-324, "low": 0.0},
                                 "truncnormal(low=0, mean=1, sd=4.94066e-324) draws the same value 1 every time; "
                                 "give it as a constant (value = 1) or widen it"),
    "almost_all_mass_on_one_value": ({"dist": "gamma", "a": 1e-8, "scale": 1e-300},
                                     "gamma(loc=0, scale=1e-300, a=1e-08) puts at least 99.8% of its draws on the "
                                     "single value 0 (its P0.1 and P99.9 are equal); give it as a constant or widen it"),
    "huge_int_parameter": ({"dist": "uniform", "low": 0, "high": 10**400},
                           f"high = {shorten(10**400)} must be a finite number"),
    "list_for_number": ({"dist": "uniform", "low": [1.0], "high": 2.0}, "low = [1.0] must be a number"),
    "table_for_number": ({"dist": "uniform", "low": {"a": 1}, "high": 2.0}, "low = {'a': 1} must be a number"),
    "bool_for_number": ({"dist": "uniform", "low": True, "high": 2.0}, "low = True must be a number"),
    "dist_not_string": ({"dist": ["normal"]}, f"dist = ['normal'] is not a family; known: {KNOWN}"),
    "long_value_shortened": ({"dist": "uniform", "low": "x" * 2_000_000, "high": 2.0},
                             f"low = '{'x' * 98}...{'x' * 97}' must be a number"),  # 200 characters
    "scipy_scale": ({"dist": "gamma", "a": 2.0, "scale": 0.0}, "scale = 0.0 must be > 0"),
}


@pytest.mark.parametrize("case", sorted(BAD_ENTRIES))
def test_bad_entry(case: str) -> None:
    spec, message = BAD_ENTRIES[case]
    with pytest.raises(SpecError, match=f"^{re.escape(f'f.toml: [x] {message}')}$"):
        parse_prior("x", spec, file="f.toml")


def test_bad_top_level_value(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('gpu_hour_price = "two dollars"\n')
    with pytest.raises(SpecError, match=f"^{re.escape(f'{path}: gpu_hour_price = ')}'two dollars' must be a "
                                        "number or a table; top-level keys: currency, description, correlation "
                                        "or one table per input$"):
        load_priors(path)


def test_deepseek_priors_file(deepseek_priors_path: Path) -> None:
    priors = load_priors(deepseek_priors_path)
    assert priors.currency == "USD"
    assert priors.uncertain == ()  # published point values only
    # DeepSeek, "DeepSeek-V3/R1 Inference System Overview", 2025-03-01: 608 B input tokens
    # (342 B cache hits), 168 B output tokens, 73.7 k / 14.8 k tokens/s per H800 node, USD 2 per
    # GPU-hour, R1 prices USD 0.14 / 0.55 / 2.19 per million tokens.
    published = {"input_tokens": 608e9, "output_tokens": 168e9, "cache_hit_share": 342 / 608,
                 "prefill_tps_per_node": 73_700, "decode_tps_per_node": 14_800, "gpus_per_node": 8,
                 "gpu_hour_price": 2.0, "peak_to_avg": 278 / 226.75, "price_input_hit": 0.14,
                 "price_input_miss": 0.55, "price_output": 2.19}
    for name, value in published.items():
        assert priors[name].params["value"] == pytest.approx(value, rel=1e-9), name
        assert priors[name].source, f"{name} has no source"
        assert priors[name].unit, f"{name} has no unit"
    assert priors["gpu_hour_price"].unit == "USD/GPU-hour"


def test_every_family_file_keeps_metadata(every_family: Priors) -> None:
    assert every_family.currency == "USD"
    assert len(every_family) == 22
    assert every_family["uniform"].unit == "USD/GPU-hour" and every_family["uniform"].source == "test"
    assert every_family["triangular"].describe() == "triangular(low=1, mode=2, high=5)"
    assert every_family["bare"].describe() == "3.5"
    assert every_family.texts[0][1].startswith("# One entry per family")


def test_priors_are_immutable(every_family: Priors) -> None:
    with pytest.raises(TypeError):
        every_family.entries["uniform"] = every_family["normal"]  # type: ignore[index]
    with pytest.raises(TypeError):
        every_family["uniform"].params["low"] = 0.0  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        every_family["uniform"].unit = "EUR"  # type: ignore[misc]


def test_base_value_defaults_to_median() -> None:
    prior = parse_prior("x", {"dist": "lognormal", "median": 2.0, "sigma": 0.5}, file="f.toml")
    assert prior.base_value == pytest.approx(2.0, rel=1e-12)
    held = parse_prior("x", {"dist": "lognormal", "median": 2.0, "sigma": 0.5, "base": 2.5}, file="f.toml")
    assert held.base_value == 2.5


def test_later_file_overrides_earlier(tmp_path: Path) -> None:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('currency = "USD"\nx = 1\ny = 2\n')
    b.write_text('currency = "CNY"\n[y]\ndist = "uniform"\nlow = 0\nhigh = 1\n')
    merged = load_priors(a).merged(load_priors(b))
    assert list(merged) == ["x", "y"]
    assert merged["x"].params["value"] == 1.0
    assert merged["y"].family == "uniform"
    assert merged.currency == "CNY"
    assert [path for path, _ in merged.texts] == [str(a), str(b)]
    assert isinstance(merged["y"], Prior)


def test_correlation_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[a]\ndist = "normal"\nmean = 0\nsd = 1\n[b]\ndist = "normal"\nmean = 0\nsd = 1\n'
                    '[[correlation]]\nbetween = ["a", "b"]\nrank = -0.4\n')
    (corr,) = load_priors(path).correlations
    assert (corr.a, corr.b, corr.rank) == ("a", "b", -0.4)


def test_correlation_with_a_constant_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('a = 1\n[b]\ndist = "normal"\nmean = 0\nsd = 1\n'
                    '[[correlation]]\nbetween = ["a", "b"]\nrank = 0.4\n')
    with pytest.raises(SpecError, match=f"^{re.escape(str(path))}: " + re.escape(
            "[[correlation]] #1 between = ['a', 'b']: 'a' is a constant; only uncertain inputs can be "
            "correlated") + "$"):
        load_priors(path)


def test_a_90_percent_interval_too_wide_for_floats_is_refused():
    with pytest.raises(SpecError, match=re.escape("p.toml: [x] p05 = 1, p95 = 1e+300 are too far apart for "
                                                  "loguniform: its parameters would not be finite numbers")):
        parse_prior("x", {"dist": "loguniform", "p05": 1, "p95": 1e300}, file="p.toml")


def test_beta_with_shapes_near_zero_falls_back_to_scipy():
    prior = parse_prior("x", {"dist": "beta", "a": 1e-300, "b": 1e-300}, file="p.toml")
    u = np.array([0.25, 0.75])
    np.testing.assert_array_equal(prior.ppf(u), prior.dist.ppf(u))


def test_shorten() -> None:
    assert shorten("abc") == "'abc'"
    assert shorten("x" * 1000, limit=20) == "'xxxxxxxx...xxxxxxx'"
    assert len(shorten(list(range(10**5)))) == 200
    assert shorten(list(range(10**5))).startswith("[0, 1, 2,") and shorten(list(range(10**5))).endswith("99999]")


def test_byte_order_mark_and_crlf_are_accepted(tmp_path: Path) -> None:
    # Windows Notepad and Excel save UTF-8 with a byte-order mark and CRLF line ends.
    path = tmp_path / "p.toml"
    path.write_bytes(b'\xef\xbb\xbf# notes\r\ncurrency = "USD"\r\n[x]\r\ndist = "uniform"\r\nlow = 1.0\r\n'
                     b'high = 2.0\r\nsource = "caf\xc3\xa9"\r\n')
    priors = load_priors(path)
    assert priors.currency == "USD"
    assert priors["x"].describe() == "uniform(low=1, high=2)"
    assert priors["x"].source == "caf\u00e9"


@pytest.mark.parametrize("text", ["a = " + "[" * 5000 + "]" * 5000, "a = " + "{b=" * 3000 + "1" + "}" * 3000,
                                  "a" + ".b" * 5000 + " = 1"], ids=["arrays", "inline_tables", "dotted_keys"])
def test_nesting_too_deep(tmp_path: Path, text: str) -> None:
    # tomllib recurses on the first two (RecursionError); the third parses into 5000 nested
    # tables that no message could show.
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(SpecError, match=f"^{re.escape(f'{path}: nesting too deep: arrays or tables nested more than 50 levels')}$"):
        load_priors(path)


def test_empty_file_has_no_inputs(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("")
    with pytest.raises(SpecError, match=f"^{re.escape(str(path))}: has no inputs; "):
        load_priors(path)


def test_key_with_a_newline_stays_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('"a\\nb" = "text"\n')
    with pytest.raises(SpecError, match=f"^{re.escape(str(path))}: 'a\\\\nb' = 'text' must be a number or a table"):
        load_priors(path)


def test_every_family_passes_the_quantile_probe(every_family: Priors) -> None:
    # The probe at load is the draws' whole range: finite, monotone, and spread for all but constants.
    for name, prior in every_family.items():
        x = prior.ppf(np.array(PROBE))
        assert np.isfinite(x).all() and (np.diff(x) >= 0).all(), name
        assert prior.is_constant or x[0] < x[-1], name


@pytest.mark.parametrize("spec", [{"dist": "uniform", "low": 2.0, "high": 6.0},
                                  {"dist": "normal", "mean": 10.0, "sd": 3.0},
                                  {"dist": "lognormal", "median": 5.0, "sigma": 0.7},
                                  {"dist": "pert", "low": 1.0, "mode": 2.0, "high": 6.0}],
                         ids=["uniform", "normal", "lognormal", "pert"])
@pytest.mark.parametrize("k", [0.5, 1.5])
def test_spread_scales_every_quantile_about_the_median(spec, k) -> None:
    """``spread = k``: the draw at u is m + k (Q(u) - m), m the median; the median and the ranks stay."""
    plain = parse_prior("x", spec, file="f")
    spread = parse_prior("x", {**spec, "spread": k}, file="f")
    u = np.array([2.0**-54, 0.01, 0.1, 0.5, 0.9, 0.99, 1 - 2.0**-53])
    m = float(plain.dist.median())
    np.testing.assert_allclose(spread.ppf(u), m + k * (plain.ppf(u) - m), rtol=1e-15, atol=1e-15 * abs(m))
    assert spread.ppf(np.array([0.5]))[0] == pytest.approx(m, rel=1e-15)
    assert spread.base_value == plain.base_value  # the tornado's base: the median, unchanged
    assert spread.describe() == f"{plain.describe()} spread {k:g}"


def test_spread_of_a_normal_is_its_sd_times_k() -> None:
    """A normal is symmetric about its median, its mean: spread k is the normal of sd k times."""
    u = np.linspace(0.001, 0.999, 999)
    np.testing.assert_allclose(parse_prior("x", {"dist": "normal", "mean": 10.0, "sd": 3.0, "spread": 1.5}, file="f").ppf(u),
                               parse_prior("x", {"dist": "normal", "mean": 10.0, "sd": 4.5}, file="f").ppf(u), rtol=1e-13)


@pytest.mark.parametrize(("spread", "message"), [
    (0, "f: [x] spread = 0 must be > 0 (1 keeps the spread as it is)"),
    (-1.5, "f: [x] spread = -1.5 must be > 0 (1 keeps the spread as it is)"),
    ("wide", "f: [x] spread = 'wide' must be a number"),
])
def test_a_bad_spread_is_one_line(spread, message) -> None:
    with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):
        parse_prior("x", {"dist": "uniform", "low": 0, "high": 1, "spread": spread}, file="f")


def test_a_constant_has_no_spread() -> None:
    with pytest.raises(SpecError, match=r"^f: \[x\] spread = 2 scales a distribution's spread; a constant has none$"):
        parse_prior("x", {"value": 3.0, "spread": 2}, file="f")


def test_spread_widens_the_range_the_domain_check_sees(tmp_path: Path) -> None:
    """A spread that takes a share below 0 is refused at load, as the same range written out would be."""
    root = Path(__file__).resolve().parent.parent
    (tmp_path / "s.toml").write_text(f'model = "maas"\npriors = ["{root}/priors/deepseek-2025-02-27.toml"]\n[inputs]\n'
                                     'paid_share = { dist = "uniform", low = 0.5, high = 1.0, spread = 3 }\n')
    from mcrisk import load_study

    with pytest.raises(SpecError, match=r"uniform\(low=0\.5, high=1\) spread 3 ranges over \[0, 1\.5\], outside "
                                        r"the domain of paid_share, \[0, 1\]"):
        load_study(tmp_path / "s.toml")
