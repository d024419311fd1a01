"""Fitted priors: parameters recovered within their standard errors, the right family on large data,
the metalog exact through its quantiles, and each mistake's one-line error."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given
from hypothesis import strategies as hs

from conftest import bonferroni_z
from mcrisk import SpecError
from mcrisk.cli.main import main
from mcrisk.elicit.expert import fit_quantiles, parse_quantiles
from mcrisk.elicit.fit import fit_data, read_column
from mcrisk.distributions.metalog import Metalog, MetalogError
from mcrisk.spec.priors import load_priors, priors_from_dict


def test_normal_fit_recovers_mean_and_sd_within_their_standard_errors(rng) -> None:
    n, mu, sigma = 4000, 10.0, 2.0
    fit = fit_data(rng.normal(mu, sigma, n), families=["normal"])[0]
    z = bonferroni_z(2)
    # MLE standard errors: sd / sqrt(n) for the mean, sd / sqrt(2 n) for the sd.
    assert abs(fit.params["mean"] - mu) <= z * sigma / math.sqrt(n)
    assert abs(fit.params["sd"] - sigma) <= z * sigma / math.sqrt(2 * n)


def test_lognormal_fit_recovers_median_and_sigma(rng) -> None:
    n, median, sigma = 4000, 3.0, 0.5
    fit = fit_data(st.lognorm(sigma, scale=median).rvs(n, random_state=rng), families=["lognormal"])[0]
    z = bonferroni_z(2)
    # log x is normal(log median, sigma): SE of log median sigma / sqrt(n), of sigma sigma / sqrt(2 n).
    assert abs(math.log(fit.params["median"] / median)) <= z * sigma / math.sqrt(n)
    assert abs(fit.params["sigma"] - sigma) <= z * sigma / math.sqrt(2 * n)


def test_weighted_fit_equals_the_fit_of_repeated_rows(rng) -> None:
    # Integer weights are repeated rows: the weighted normal MLE is the repeated rows' mean and sd.
    x = rng.normal(0.0, 1.0, 200)
    w = rng.integers(1, 4, 200).astype(float)
    fit = fit_data(x, weights=w, families=["normal"])[0]
    rep = np.repeat(x, w.astype(int))
    assert fit.params["mean"] == pytest.approx(rep.mean(), abs=1e-6)
    assert fit.params["sd"] == pytest.approx(rep.std(), abs=1e-6)


@pytest.mark.parametrize(("truth", "dist"), [
    ("gamma", st.gamma(2.0, scale=3.0)),
    ("lognormal", st.lognorm(0.6, scale=5.0)),
    ("weibull", st.weibull_min(1.5, scale=4.0)),
])
def test_large_data_pick_the_family_they_came_from(rng, truth, dist) -> None:
    fits = fit_data(dist.rvs(20_000, random_state=rng))
    assert fits[0].name == truth
    assert [f.aic for f in fits] == sorted(f.aic for f in fits)
    assert fits[0].ks < 0.02  # D of the right family ~ 1.36 / sqrt(n) = 0.0096 at the 95% level


def test_ks_distance_of_a_known_case() -> None:
    # Data 1, 2, 3 against uniform(0, 4): the ECDF steps to 1/3, 2/3, 1 at F = 1/4, 1/2, 3/4.
    fit = fit_data([1.0, 2.0, 3.0], families=["normal"])[0]
    d = max(max(k / 3 - fit.dist.cdf(x), fit.dist.cdf(x) - (k - 1) / 3) for k, x in enumerate([1, 2, 3], 1))
    assert fit.ks == pytest.approx(d, abs=1e-12)


def test_fit_errors() -> None:
    with pytest.raises(SpecError, match=r"^fit: lognormal cannot fit these data: it needs positive values$"):
        fit_data([-1.0, 1.0, 2.0], families=["lognormal"])
    with pytest.raises(SpecError, match=r"^fit: --family 'cauchy' is not a family mcrisk fits to data; known: normal"):
        fit_data([1.0, 2.0, 3.0], families=["cauchy"])
    with pytest.raises(SpecError, match=r"^fit: every value is 2; a constant needs no fit \(value = 2\)$"):
        fit_data([2.0, 2.0, 2.0])


def test_metalog_through_three_quantiles_returns_them_exactly() -> None:
    for low, high in [(None, None), (0.0, None), (None, 10.0), (0.0, 10.0)]:
        m = Metalog.fit([[0.1, 2.0], [0.5, 3.0], [0.9, 6.0]], low, high)
        np.testing.assert_allclose(m.ppf(np.array([0.1, 0.5, 0.9])), [2.0, 3.0, 6.0], rtol=1e-13)
    # The family in a priors file: the expert's 5%, 50% and 95% are its quantiles.
    p = priors_from_dict({"x": {"dist": "metalog", "quantiles": [[0.05, 12], [0.5, 20], [0.95, 45]]}}, file="f")["x"]
    np.testing.assert_allclose(p.ppf(np.array([0.05, 0.5, 0.95])), [12.0, 20.0, 45.0], rtol=1e-13)
    assert p.base_value == pytest.approx(20.0, rel=1e-13)


def test_two_quantile_metalog_is_the_logistic() -> None:
    # Two terms: x = a1 + a2 ln(y / (1 - y)), the logistic with loc a1 and scale a2.
    m = Metalog.fit([[0.25, 1.0], [0.75, 3.0]])
    y = np.array([0.01, 0.3, 0.5, 0.99])
    np.testing.assert_allclose(m.ppf(y), st.logistic(2.0, 2.0 / math.log(9.0)).ppf(y), rtol=1e-12)


def test_metalog_draws_stay_within_its_bounds() -> None:
    m = Metalog.fit([[0.1, 2.0], [0.5, 3.0], [0.9, 6.0]], 1.0, 8.0)
    x = m.ppf(np.array([2.0**-54, 1e-9, 0.5, 1 - 2.0**-53]))
    assert (x >= 1.0).all() and (x <= 8.0).all() and (np.diff(x) > 0).all()


@pytest.mark.parametrize(("spec", "message"), [
    ({"quantiles": [[0.1, 3], [0.5, 2], [0.9, 6]]}, r"has values that do not increase with the probabilities"),
    ({"quantiles": [[0.1, 2], [0.5, 2.1], [0.9, 60]]}, r"admit no metalog with these bounds: the quantile function "
                                                      r"through them is not increasing \(unbounded; give low"),
    ({"quantiles": [[0.1, 2], [0.5, 3], [0.9, 6]], "low": 2.5}, r"has values outside the bounds \(2.5, none\)"),
    ({"quantiles": [[0, 2], [0.5, 3]]}, r"has a probability outside \(0, 1\)"),
    ({"quantiles": 3}, r"must be a list of \[probability, value\] pairs"),
])
def test_metalog_errors_are_one_line(spec, message) -> None:
    with pytest.raises(SpecError, match=r"^f: \[x\] quantiles = .*" + message):
        priors_from_dict({"x": {"dist": "metalog", **spec}}, file="f")


def test_named_families_least_squares_on_the_quantile_function() -> None:
    # A normal's own five quantiles are matched exactly by the normal, not by a uniform (whose
    # quantiles are evenly spaced in probability).
    q = [[p, float(st.norm(5, 2).ppf(p))] for p in (0.05, 0.25, 0.5, 0.75, 0.95)]
    fits = {f.family: f for f in fit_quantiles(q)}
    assert fits["normal"].params["mean"] == pytest.approx(5.0, abs=1e-9)
    assert fits["normal"].params["sd"] == pytest.approx(2.0, abs=1e-9)
    assert fits["normal"].miss < 1e-9 and fits["uniform"].miss > 0.05
    assert "metalog" not in fits  # a named family matches: no metalog offered


def test_metalog_offered_where_named_families_miss() -> None:
    fits = fit_quantiles(parse_quantiles("0.1:2, 0.5:3, 0.9:6"))
    assert fits[0].family == "metalog" and fits[0].miss < 1e-12
    assert all(f.miss > 0.01 for f in fits[1:])  # the stated tolerance: 1% of the span


def test_quantile_text_errors() -> None:
    with pytest.raises(SpecError, match=r"^--quantiles: '0.1:2, 0.5:1, 0.9:6' are incoherent"):
        parse_quantiles("0.1:2, 0.5:1, 0.9:6")
    with pytest.raises(SpecError, match=r"^--quantiles: '1.5:2': the probability must lie in \(0, 1\)"):
        parse_quantiles("1.5:2, 0.5:3")
    with pytest.raises(SpecError, match=r"^--quantiles: '0.5-3' is not probability:value"):
        parse_quantiles("0.1:2, 0.5-3")


def test_cli_fit_writes_a_prior_that_loads_with_its_source(tmp_path: Path, capsys) -> None:
    data = tmp_path / "d.csv"
    rng = np.random.default_rng(5)
    x = rng.lognormal(np.log(14_800), 0.2, 300)
    data.write_text("day,tps\n" + "".join(f"{i},{v:.6f}\n" for i, v in enumerate(x)) + "300,\n", encoding="utf-8")
    out = tmp_path / "p.toml"
    assert main(["fit", str(data), "--column", "tps", "--family", "lognormal,gamma", "--unit", "tokens/s",
                 "--name", "decode_tps_per_node", "--out", str(out)]) == 0
    prior = load_priors(out)["decode_tps_per_node"]
    assert prior.unit == "tokens/s"
    assert prior.source.startswith("fitted by maximum likelihood (mcrisk fit) to d.csv, column tps, rows 1-300 "
                                   "(300 values, 1 blank left out): ")
    assert (tmp_path / "p_decode_tps_per_node_fit.png").stat().st_size > 10_000
    text = tomllib.loads(out.read_text(encoding="utf-8"))
    assert text["decode_tps_per_node"]["dist"] in ("lognormal", "gamma")


def test_cli_fit_quantiles_forces_a_family(tmp_path: Path, capsys) -> None:
    out = tmp_path / "q.toml"
    assert main(["fit", "--quantiles", "0.05:12, 0.5:20, 0.95:45", "--family", "metalog", "--low", "0",
                 "--name", "price_output", "--out", str(out)]) == 0
    prior = load_priors(out)["price_output"]
    assert prior.family == "metalog" and prior.params["low"] == 0.0
    np.testing.assert_allclose(prior.ppf(np.array([0.05, 0.5, 0.95])), [12, 20, 45], rtol=1e-12)
    assert main(["fit", "--quantiles", "0.1:2, 0.5:2.1, 0.9:60", "--family", "metalog"]) == 2
    assert capsys.readouterr().err.startswith("error: --quantiles: no metalog fits: the quantiles admit no metalog")


def test_read_column_errors(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("a,b\n1,2\nx,3\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"d.csv: has no column 'c'; columns: 'a', 'b'$"):
        read_column(data, "c")
    with pytest.raises(SpecError, match=r"d.csv: row 2, column 'a' = 'x' is not a number$"):
        read_column(data, "a")
    assert read_column(data, "b")[2] == "rows 1-2 (2 values)"


@given(hs.floats(0.01, 0.45), hs.floats(-1e3, 1e3), hs.floats(1e-3, 1e3), hs.floats(1.0, 3.0),
       hs.sampled_from([(None, None), ("low", None), ("low", "high")]))
def test_metalog_meets_any_quantiles_it_accepts(p1: float, mid: float, width: float, skew: float, bounds) -> None:
    # Three quantiles P(p1), P50, P(1 - p1), the upper gap `skew` times the lower. Whatever the
    # bounds, a metalog that is returned meets them (to rounding) and increases; one that is not
    # is refused with MetalogError (a one-line SpecError in a priors file).
    q = [[p1, mid - width], [0.5, mid], [1 - p1, mid + skew * width]]
    low = mid - 2 * width if bounds[0] else None
    high = mid + 3 * skew * width if bounds[1] else None
    try:
        m = Metalog.fit(q, low, high)
    except MetalogError:
        assert skew > 1 or low is not None  # symmetric and unbounded: the logistic, always a fit
        return
    np.testing.assert_allclose(m.ppf(np.array([r[0] for r in q])), [r[1] for r in q], rtol=1e-9,
                               atol=1e-9 * width)
    x = m.ppf(np.linspace(1e-6, 1 - 1e-6, 2001))
    assert (np.diff(x) >= 0).all()
