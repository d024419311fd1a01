"""Every family against scipy.stats built independently from the same parameters.

The references below are written from the textbook parametrisation of each family, not read
from mcrisk: if mcrisk maps ``pert`` or ``triangular`` or a 90% interval onto scipy wrongly, the
ppf comparison fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special
import scipy.stats as st

from mcrisk import Priors, sample
from mcrisk.core.statistics import Z90_TWO_SIDED
from mcrisk.distributions.families import FAMILIES, family_names, resolve_family

# Entry of tests/data/good/every_family.toml -> the scipy distribution it must equal.
REFERENCE = {
    "uniform": st.uniform(loc=1.5, scale=2.0),
    "loguniform": st.loguniform(0.01, 10.0),
    "triangular": st.triang(c=(2.0 - 1.0) / (5.0 - 1.0), loc=1.0, scale=4.0),
    # PERT(low, mode, high, lambda) = low + (high - low) Beta(1 + lambda (mode - low)/(high - low),
    #                                                        1 + lambda (high - mode)/(high - low))
    "pert": st.beta(1 + 4 * 1 / 4, 1 + 4 * 3 / 4, loc=1.0, scale=4.0),
    "pert_lambda": st.beta(1 + 2.5 * 1 / 4, 1 + 2.5 * 3 / 4, loc=1.0, scale=4.0),
    "normal": st.norm(10.0, 2.0),
    "truncnormal_low": st.truncnorm((0.0 - 1.0) / 0.5, np.inf, loc=1.0, scale=0.5),
    "truncnormal_high": st.truncnorm(-np.inf, (6.0 - 5.0) / 2.0, loc=5.0, scale=2.0),
    "truncnormal_both": st.truncnorm((0.0 - 0.3) / 0.2, (1.0 - 0.3) / 0.2, loc=0.3, scale=0.2),
    "truncnormal_tail": st.truncnorm(2.0, 4.0, loc=0.0, scale=1.0),
    "lognormal": st.lognorm(0.4, scale=2.0),
    "weibull": st.weibull_min(1.5, scale=4.0),
    "beta": st.beta(2.0, 5.0),
    "beta_scaled": st.beta(2.0, 5.0, loc=10.0, scale=20.0),
    "gamma": st.gamma(2.0, scale=1.5),
}
CONTINUOUS = sorted(REFERENCE)

# Probabilities from deep in both tails through the body.
U = np.concatenate([[1e-12, 1e-9, 1e-6, 1e-3], np.linspace(0.005, 0.995, 199), [1 - 1e-6]])


@pytest.mark.parametrize("name", CONTINUOUS)
def test_ppf_matches_scipy(every_family: Priors, name: str) -> None:
    ref = REFERENCE[name]
    prior = every_family[name]
    scale = float(ref.std())
    # Relative to the spread: near a bound at 0 (truncnormal low = 0) relative error in x is
    # meaningless, but an absolute error of 1e-12 standard deviations is still exact.
    np.testing.assert_allclose(prior.ppf(U), ref.ppf(U), rtol=1e-9, atol=1e-12 * scale)
    np.testing.assert_allclose(prior.dist.ppf(U), ref.ppf(U), rtol=1e-9, atol=1e-12 * scale)


@pytest.mark.parametrize("name", CONTINUOUS)
def test_sample_moments_match_scipy(every_family: Priors, name: str) -> None:
    n = 40_000
    x = sample(every_family.subset([name]), n, method="random", rng=11)[name].values
    mean, var, kurt = (float(m) for m in REFERENCE[name].stats(moments="mvk"))
    # Standard errors of the sample mean and variance; 5 of them is a 1-in-a-million miss.
    se_mean = math.sqrt(var / n)
    se_var = var * math.sqrt((kurt + 2) / n)
    assert abs(x.mean() - mean) < 5 * se_mean
    assert abs(x.var(ddof=1) - var) < 5 * se_var
    lo, hi = REFERENCE[name].support()
    assert lo <= x.min() and x.max() <= hi


def test_pert_mean_and_shapes_by_hand(every_family: Priors) -> None:
    # PERT(1, 2, 5): mean = (low + lambda mode + high) / (lambda + 2).
    assert every_family["pert"].dist.mean() == pytest.approx((1 + 4 * 2 + 5) / 6, rel=1e-12)
    assert every_family["pert_lambda"].dist.mean() == pytest.approx((1 + 2.5 * 2 + 5) / 4.5, rel=1e-12)
    # Shapes alpha = 1 + lambda (mode - low)/(high - low) = 2, beta = 4; variance of Beta(2, 4)
    # is a b / ((a + b)^2 (a + b + 1)) = 8 / 252, scaled by (high - low)^2 = 16.
    assert every_family["pert"].dist.var() == pytest.approx(16 * 8 / 252, rel=1e-12)
    # The mode of the beta is the given mode: (a - 1)/(a + b - 2) = 1/4 of the way up.
    x = np.linspace(1.0, 5.0, 40_001)
    assert x[np.argmax(every_family["pert"].dist.pdf(x))] == pytest.approx(2.0, abs=1e-4)
    assert every_family["pert"].params["lambda"] == 4.0


def test_pert_lambda_changes_the_spread(every_family: Priors) -> None:
    # A smaller lambda puts less weight on the mode: wider distribution.
    assert every_family["pert_lambda"].dist.std() > every_family["pert"].dist.std()


@pytest.mark.parametrize("name, p05, p95", [
    ("normal_90", 1.0, 3.0),
    ("lognormal_90", 1.0, 3.0),
    ("uniform_90", 1.0, 3.0),
    ("loguniform_90", 1.0, 3.0),
])
def test_ninety_percent_interval_hits_its_quantiles(every_family: Priors, name: str, p05: float,
                                                    p95: float) -> None:
    prior = every_family[name]
    np.testing.assert_allclose(prior.ppf(np.array([0.05, 0.95])), [p05, p95], rtol=1e-12)
    np.testing.assert_allclose(prior.dist.ppf([0.05, 0.95]), [p05, p95], rtol=1e-12)


def test_ninety_percent_interval_parameters_by_hand(every_family: Priors) -> None:
    # normal: mean midway, sd = (p95 - p05) / (2 z_0.95), z_0.95 = 1.6448536...
    assert Z90_TWO_SIDED == float(scipy.special.ndtri(0.95)) == 1.6448536269514722
    assert every_family["normal_90"].params["mean"] == pytest.approx(2.0)
    assert every_family["normal_90"].params["sd"] == pytest.approx(2.0 / (2 * 1.6448536269514722))
    # lognormal: median is the geometric mean; sigma = ln(p95/p05) / (2 z_0.95)
    assert every_family["lognormal_90"].params["median"] == pytest.approx(math.sqrt(3.0))
    assert every_family["lognormal_90"].params["sigma"] == pytest.approx(math.log(3.0) / (2 * 1.6448536269514722))
    # uniform: the 90% interval is the middle 90% of [low, high], so 5% of the width is outside
    # on each side: width = 2 / 0.9, low = 1 - 0.05 * 2/0.9.
    assert every_family["uniform_90"].params["low"] == pytest.approx(1 - 0.1 / 0.9)
    assert every_family["uniform_90"].params["high"] == pytest.approx(3 + 0.1 / 0.9)


def test_discrete_by_hand(every_family: Priors) -> None:
    prior = every_family["discrete"]  # values 1, 2.5, 4 with weights 0.2, 0.5, 0.3
    u = np.array([1e-9, 0.1999, 0.2, 0.2001, 0.6999, 0.7, 0.7001, 1 - 1e-9])
    np.testing.assert_array_equal(prior.ppf(u), [1.0, 1.0, 1.0, 2.5, 2.5, 2.5, 4.0, 4.0])
    assert prior.dist.mean() == pytest.approx(0.2 * 1 + 0.5 * 2.5 + 0.3 * 4)
    assert prior.dist.var() == pytest.approx(0.2 * 1 + 0.5 * 6.25 + 0.3 * 16 - 2.65**2)
    np.testing.assert_array_equal(prior.dist.cdf(np.array([0.5, 1.0, 3.0, 4.0])), [0.0, 0.2, 0.7, 1.0])
    x = sample(every_family.subset(["discrete"]), 20_000, method="lhs", rng=3)["discrete"].values
    # A Latin hypercube puts exactly round(w n) points on each value (strata of width 1/n).
    assert [int((x == v).sum()) for v in (1.0, 2.5, 4.0)] == [4000, 10000, 6000]


def test_constant_and_bare_number(every_family: Priors) -> None:
    for name, value in (("constant", 2.0), ("bare", 3.5)):
        prior = every_family[name]
        assert prior.is_constant and prior.family == "constant"
        np.testing.assert_array_equal(prior.ppf(U), np.full(U.shape, value))
        assert prior.dist.mean() == value and prior.dist.std() == 0.0
    assert every_family["constant"].unit == "1"
    assert "constant" not in every_family.uncertain and "bare" not in every_family.uncertain


def test_scipy_family_by_name(every_family: Priors) -> None:
    prior = every_family["gamma"]
    assert prior.family == "gamma"
    assert dict(prior.params) == {"a": 2.0, "loc": 0.0, "scale": 1.5}
    assert prior.dist.mean() == pytest.approx(3.0) and prior.dist.var() == pytest.approx(4.5)


def test_registry_lists_the_design_families() -> None:
    assert sorted(FAMILIES) == ["beta", "constant", "discrete", "lognormal", "loguniform", "metalog", "normal",
                                "pert", "triangular", "truncnormal", "uniform", "weibull"]
    assert family_names().startswith("beta, constant, discrete, lognormal")
    assert resolve_family("weibull_min") is not None
    assert resolve_family("trianglar") is None
    assert resolve_family("binom") is None  # discrete scipy families are not continuous priors


@pytest.mark.parametrize("values, weights, key", [
    ([math.nan, 2.0], [0.5, 0.5], "values"),
    ([1.0, math.inf], [0.5, 0.5], "values"),
    ([1.0, 2.0], [math.nan, 0.5], "weights"),
    ([10**400, 2.0], [0.5, 0.5], "values"),
], ids=["nan_value", "inf_value", "nan_weight", "int_beyond_double"])
def test_discrete_refuses_non_finite_numbers(values, weights, key) -> None:
    from mcrisk.distributions.families import ParamError

    with pytest.raises(ParamError) as info:
        FAMILIES["discrete"].check({"values": values, "weights": weights})
    assert (info.value.key, info.value.problem) == (key, "must hold finite numbers only (no nan or inf)")


@pytest.mark.parametrize("name, params, bad", [
    ("burr", {"c": 2.0, "d": -1.0}, "d"),
    ("burr", {"c": -2.0, "d": 1.0}, "c"),
    ("nct", {"df": 2.0, "nc": math.nan}, "nc"),
    ("gamma", {"a": 0.0}, "a"),
], ids=["burr_second", "burr_first", "nct_nan", "gamma"])
def test_scipy_family_names_the_bad_shape(name: str, params: dict, bad: str) -> None:
    from mcrisk.distributions.families import ParamError

    with pytest.raises(ParamError) as info:
        resolve_family(name).check({**params, "loc": 0.0, "scale": 1.0})
    assert (info.value.key, info.value.problem) == (bad, f"is outside what scipy.stats.{name} allows")
