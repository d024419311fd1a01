"""The contract every sampling design passes, and what is special to each."""

from __future__ import annotations

import re
import warnings
from types import MappingProxyType

import numpy as np
import pytest
import scipy.stats as st

from mcrisk import MCRiskWarning, Priors, SpecError, sample
from mcrisk.spec.priors import Correlation, parse_prior
from mcrisk.sampling.design import BLOCK, LHS_BLOCK, METHODS, normalize_seed, unit_design
from conftest import FALSE_FAILURE_RATE, bonferroni_z, spearman_se

METHOD_IDS = ["random", "lhs", "sobol"]
N = 512  # a power of 2, so Sobol' is balanced and warns nothing


def _priors(**specs) -> Priors:
    return Priors(MappingProxyType({k: parse_prior(k, v, file="t.toml") for k, v in specs.items()}))


@pytest.fixture(scope="module")
def mixed() -> Priors:
    """Bounded, unbounded, discrete and constant inputs together."""
    return _priors(
        price={"dist": "uniform", "low": 1.5, "high": 3.5},
        share={"dist": "beta", "a": 2.0, "b": 5.0},
        rate={"dist": "lognormal", "median": 2.0, "sigma": 0.5},
        z={"dist": "normal", "mean": 0.0, "sd": 1.0},
        gpus={"dist": "discrete", "values": [4, 8], "weights": [0.25, 0.75]},
        fixed=3.0,
    )


def test_methods_are_the_three_designs() -> None:
    assert list(METHODS) == METHOD_IDS


@pytest.mark.parametrize("method", METHOD_IDS)
def test_shape_units_and_attrs(mixed: Priors, method: str) -> None:
    ds = sample(mixed, N, method=method, rng=5)
    assert set(ds.data_vars) == {"price", "share", "rate", "z", "gpus", "fixed"}
    for name in ("price", "share", "rate", "z", "gpus"):
        assert ds[name].dims == ("sample",) and ds[name].shape == (N,)
    assert ds["fixed"].ndim == 0 and float(ds["fixed"]) == 3.0
    np.testing.assert_array_equal(ds["sample"].values, np.arange(N))
    assert ds.attrs == {"method": method, "seed": 5, "samples": N, "currency": "", "priors": ""}  # built in code: no file
    assert ds["price"].attrs["distribution"] == "uniform(low=1.5, high=3.5)"


@pytest.mark.parametrize("method", METHOD_IDS)
def test_support(mixed: Priors, method: str) -> None:
    ds = sample(mixed, N, method=method, rng=5)
    assert ((1.5 <= ds.price) & (ds.price <= 3.5)).all()
    assert ((0 < ds.share) & (ds.share < 1)).all()
    assert (ds.rate > 0).all()
    assert np.isfinite(ds.z).all()
    assert set(np.unique(ds.gpus.values)) == {4.0, 8.0}


@pytest.mark.parametrize("method", METHOD_IDS)
def test_same_seed_same_draws(mixed: Priors, method: str) -> None:
    a = sample(mixed, N, method=method, rng=123)
    b = sample(mixed, N, method=method, rng=123)
    for name in mixed.uncertain:
        np.testing.assert_array_equal(a[name].values, b[name].values)


@pytest.mark.parametrize("method", METHOD_IDS)
def test_different_seed_different_draws(mixed: Priors, method: str) -> None:
    a = sample(mixed, N, method=method, rng=123)
    b = sample(mixed, N, method=method, rng=124)
    for name in ("price", "share", "rate", "z"):
        assert not np.any(a[name].values == b[name].values), name


@pytest.mark.parametrize("method", METHOD_IDS)
def test_seed_zero_is_a_seed(mixed: Priors, method: str) -> None:
    a = sample(mixed, N, method=method, rng=0)
    b = sample(mixed, N, method=method, rng=0)
    assert a.attrs["seed"] == 0
    np.testing.assert_array_equal(a.price.values, b.price.values)
    assert not np.array_equal(a.price.values, sample(mixed, N, method=method, rng=1).price.values)


@pytest.mark.parametrize("method", METHOD_IDS)
def test_generator_as_rng(mixed: Priors, method: str) -> None:
    a = sample(mixed, N, method=method, rng=np.random.default_rng(42))
    b = sample(mixed, N, method=method, rng=np.random.default_rng(42))
    np.testing.assert_array_equal(a.price.values, b.price.values)
    # The seed the run used is recorded as an integer, so the run can be repeated from it.
    again = sample(mixed, N, method=method, rng=a.attrs["seed"])
    np.testing.assert_array_equal(a.price.values, again.price.values)


@pytest.mark.parametrize("method", METHOD_IDS)
@pytest.mark.parametrize("start, stop", [(0, 100), (100, 333), (333, 512)], ids=["head", "middle", "tail"])
def test_chunk_is_a_slice_of_the_whole(mixed: Priors, method: str, start: int, stop: int) -> None:
    whole = sample(mixed, N, method=method, rng=9)
    part = sample(mixed, N, method=method, rng=9, start=start, stop=stop)
    np.testing.assert_array_equal(part.sample.values, np.arange(start, stop))
    for name in mixed.uncertain:
        np.testing.assert_array_equal(part[name].values, whole[name].values[start:stop])


def test_random_chunk_across_a_block_boundary() -> None:
    # Positions are tied to blocks of BLOCK samples; a chunk spanning two blocks is still the slice.
    priors = _priors(x={"dist": "uniform", "low": 0.0, "high": 1.0})
    n = BLOCK + 1000
    whole = sample(priors, n, method="random", rng=2).x.values
    part = sample(priors, n, method="random", rng=2, start=BLOCK - 500, stop=BLOCK + 500).x.values
    np.testing.assert_array_equal(part, whole[BLOCK - 500 : BLOCK + 500])


@pytest.mark.parametrize("n", [7, 100, 1000])
def test_latin_hypercube_stratification(n: int) -> None:
    # Each of the n equal strata of every column holds exactly one point.
    u = unit_design("lhs", 4, n, seed=31)
    for j in range(4):
        np.testing.assert_array_equal(np.sort(np.floor(u[:, j] * n)), np.arange(n))
    # ... and it survives the inverse CDFs: the normal's strata are its n-quantiles.
    z = sample(_priors(z={"dist": "normal", "mean": 3.0, "sd": 2.0}), n, method="lhs", rng=31).z.values
    np.testing.assert_array_equal(np.sort(np.floor(st.norm(3.0, 2.0).cdf(z) * n)), np.arange(n))


def test_lhs_longer_than_a_block_is_a_union_of_exact_hypercubes() -> None:
    # Blocks of LHS_BLOCK rows, each an exact Latin hypercube with its own strata: the first
    # LHS_BLOCK rows have one point in each 1/LHS_BLOCK stratum, the last 1000 one in each
    # 1/1000 stratum. (About 0.1 s: two designs of 2^16 + 1000 rows by 3 columns.)
    n = LHS_BLOCK + 1000
    u = unit_design("lhs", 3, n, seed=17)
    for j in range(3):
        np.testing.assert_array_equal(np.sort(np.floor(u[:LHS_BLOCK, j] * LHS_BLOCK)), np.arange(LHS_BLOCK))
        np.testing.assert_array_equal(np.sort(np.floor(u[LHS_BLOCK:, j] * 1000)), np.arange(1000))
    # Positions are tied to blocks: a chunk across the boundary is the slice of the whole run.
    part = unit_design("lhs", 3, n, seed=17, start=LHS_BLOCK - 300, stop=LHS_BLOCK + 300)
    np.testing.assert_array_equal(part, u[LHS_BLOCK - 300 : LHS_BLOCK + 300])


def test_sobol_points_are_balanced() -> None:
    # Scrambled Sobol' with n = 2^k: each of the n equal strata per column holds one point too.
    u = unit_design("sobol", 3, 256, seed=4)
    for j in range(3):
        np.testing.assert_array_equal(np.sort(np.floor(u[:, j] * 256)), np.arange(256))


def test_sobol_warns_when_n_is_not_a_power_of_two(mixed: Priors) -> None:
    with pytest.warns(MCRiskWarning, match=re.escape(
            "Sobol' designs keep their balance only when samples is a power of 2; 1000 is not (try 1024)")):
        sample(mixed, 1000, method="sobol", rng=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sample(mixed, 1024, method="sobol", rng=1)


@pytest.mark.parametrize("method", METHOD_IDS)
def test_uniform_moments(method: str) -> None:
    # U(0, 1) by every design: mean 1/2, variance 1/12, each within 5 random-sampling standard
    # errors (2 assertions need 4.06; the designs err less): SE of the mean sqrt(1/12 / n),
    # SE of the variance sqrt((mu4 - sigma^4) / n) with mu4 = 1/80, sigma^4 = 1/144, i.e.
    # sqrt(1/180 / n). The variance's bias, -1/(12 n), is 0.005 of its SE here.
    n = 4096
    x = sample(_priors(x={"dist": "uniform", "low": 0.0, "high": 1.0}), n, method=method, rng=8).x.values
    assert abs(x.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    assert abs(x.var() - 1 / 12) < 5 * np.sqrt(1 / 180 / n)


def test_rank_correlation_is_imposed() -> None:
    base = _priors(a={"dist": "lognormal", "median": 1.0, "sigma": 1.0},
                   b={"dist": "uniform", "low": 0.0, "high": 10.0})
    priors = Priors(base.entries, correlations=(Correlation("a", "b", 0.7),))
    n = 20_000
    ds = sample(priors, n, method="lhs", rng=6)
    rho = st.spearmanr(ds.a.values, ds.b.values).statistic
    # 2 random assertions, 5e-5 each: z = 4.06 SE of Spearman's r, (1 - 0.49) sqrt(1.06 / n) =
    # 0.0037, so within 0.015 (the Gaussian copula's Spearman is the target exactly)
    assert abs(rho - 0.7) < bonferroni_z(2) * spearman_se(0.7, n)
    # The marginals stay exact: the uniform is still uniform on [0, 10] (KS p-value, uniform
    # under the null, so it falls below 5e-5 with probability 5e-5).
    assert st.kstest(ds.b.values, st.uniform(0, 10).cdf).pvalue > FALSE_FAILURE_RATE / 2


def test_contradictory_correlations_are_refused() -> None:
    base = _priors(a={"dist": "normal", "mean": 0.0, "sd": 1.0}, b={"dist": "normal", "mean": 0.0, "sd": 1.0},
                   c={"dist": "normal", "mean": 0.0, "sd": 1.0})
    priors = Priors(base.entries, correlations=(Correlation("a", "b", 0.9), Correlation("b", "c", 0.9),
                                                Correlation("a", "c", -0.9)))
    with pytest.raises(SpecError, match=r"^\[\[correlation\]\] the rank correlation matrix is not positive "
                                        r"semi-definite \(smallest eigenvalue -0\.8\); the pairs a~b = 0\.9, "
                                        r"b~c = 0\.9, a~c = -0\.9 contradict each other$"):
        sample(priors, 10, rng=0)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True], ids=["zero", "negative", "float", "bool"])
def test_bad_sample_count(mixed: Priors, bad) -> None:
    with pytest.raises(SpecError, match=f"^{re.escape(f'samples = {bad!r} must be an integer from 1 to 1,099,511,627,776')}$"):
        sample(mixed, bad, rng=0)


@pytest.mark.parametrize("bad", [-1, 1.5, "7", True], ids=["negative", "float", "string", "bool"])
def test_bad_rng(bad) -> None:
    with pytest.raises(SpecError, match=f"^{re.escape(f'rng = {bad!r} must be a non-negative integer seed or a numpy Generator')}$"):
        normalize_seed(bad)


def test_bad_method(mixed: Priors) -> None:
    with pytest.raises(SpecError, match=r"^method = 'halton' is not a sampling method; known: random, lhs, sobol$"):
        sample(mixed, 10, method="halton", rng=0)  # type: ignore[arg-type]


def test_lhs_blocks_shuffled_ahead_are_the_blocks_drawn_one_at_a_time() -> None:
    # Over several hypercube blocks the next block's strata are shuffled on a second thread while
    # this block's values are computed: the values are those of one block at a time, from any
    # start, and the thread is gone when sampling ends.
    import threading

    priors = _priors(x={"dist": "uniform", "low": 0.0, "high": 1.0}, y={"dist": "normal", "mean": 0.0, "sd": 1.0})
    n = 3 * LHS_BLOCK + 100
    threads = threading.active_count()
    whole = sample(priors, n, method="lhs", rng=4)
    assert threading.active_count() == threads
    one_at_a_time = [sample(priors, n, method="lhs", rng=4, start=lo, stop=min(n, lo + LHS_BLOCK))
                     for lo in range(0, n, LHS_BLOCK)]
    part = sample(priors, n, method="lhs", rng=4, start=1000, stop=n - 50)
    for k in ("x", "y"):
        np.testing.assert_array_equal(whole[k].values, np.concatenate([c[k].values for c in one_at_a_time]))
        np.testing.assert_array_equal(part[k].values, whole[k].values[1000 : n - 50])
    # a Latin hypercube in each full block: one point in each of the LHS_BLOCK strata
    strata = np.floor(whole.x.values[:LHS_BLOCK] * LHS_BLOCK)
    np.testing.assert_array_equal(np.sort(strata), np.arange(LHS_BLOCK))
