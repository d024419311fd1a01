"""The replicates of LHS and Sobol' precision runs: batch sizes, the combined interval and its coverage."""

from __future__ import annotations

import math
from types import MappingProxyType

import numpy as np
import pytest
import scipy.stats as st
import xarray as xr

from mcrisk.analyze.precision import simulate_to_precision
from mcrisk.analyze.replicates import (
    REPLICATE_ROWS,
    next_batch,
    replicate_groups,
    replicate_half_width,
    replicate_inputs,
    replicate_seed,
)
from mcrisk.sampling.design import sample
from mcrisk.spec.precision_text import parse_precision
from mcrisk.spec.priors import Priors, parse_prior


@pytest.fixture(scope="module")
def unit_priors() -> Priors:
    return Priors(MappingProxyType({k: parse_prior(k, {"dist": "uniform", "low": 0, "high": 1}, file="t.toml",
                                                   table=k) for k in "ab"}))


def bilinear(a, b):
    # mean 0; P(y < 0) = 0.2 + int_0.2^1 (2 - a) / (1 + 4 a) da = 9/16 ln(25/9); not additive, so a
    # hypercube or a net does not meet a tolerance at once and batches of several sizes are drawn
    return {"y": a + b + 4.0 * a * b - 2.0}


TRUTH = {"mean": 0.0, "p_below_zero": 9 / 16 * math.log(25 / 9)}


def test_next_batch_sizes() -> None:
    assert next_batch(10**6, 600, 50, False) == (12, 50)  # 12 replicates of the first batch's size
    assert next_batch(10**6, 2400, 50, False) == (16, 150)  # at most 16, larger ones
    assert next_batch(10**6, 3000, 64, True) == (16, 128)  # Sobol': a power of 2, 187 rounded down
    assert next_batch(10**6, 10, 50, False) == (2, 50)  # at least 2 replicates (a variance) of at least m0
    assert next_batch(100, 1000, 50, False) == (2, 50)  # within the room left under the cap
    assert next_batch(99, 1000, 50, False) is None


def test_one_size_is_the_textbook_interval_and_several_are_welch() -> None:
    per = np.array([1.0, 2.0, 4.0, 7.0])
    assert replicate_half_width(per, np.full(4, 10)) == st.t.ppf(0.975, 3) * per.std(ddof=1) / 2
    # two classes: 4 replicates of 10 (w = 40/100) and 2 of 30 (w = 60/100)
    per6 = np.r_[per, 3.0, 5.0]
    size = np.r_[np.full(4, 10), 30, 30]
    v1, v2 = 0.4**2 * per.var(ddof=1) / 4, 0.6**2 * 2.0 / 2  # var(3, 5) = 2
    nu = (v1 + v2) ** 2 / (v1**2 / 3 + v2**2 / 1)
    assert replicate_half_width(per6, size) == pytest.approx(st.t.ppf(0.975, nu) * math.sqrt(v1 + v2), rel=1e-14)
    assert replicate_half_width(per6[:5], size[:5]) == math.inf  # a class of one replicate has no variance


def test_a_large_replicate_cut_in_parts_is_the_replicate(unit_priors) -> None:
    m = 2 * REPLICATE_ROWS + 5
    groups = replicate_groups(5, 2, m)
    assert [[p[2:] for p in g] for g in groups] == [[(0, 2**16)], [(2**16, 2**17)], [(2**17, m)]] * 2
    assert [g[0][0] for g in groups] == [5, 5, 5, 6, 6, 6]
    for method in ("lhs", "random"):
        parts = xr.concat([replicate_inputs(unit_priors, method, 7, g, 0) for g in groups[:3]], dim="sample")
        alone = sample(unit_priors, m, method=method, rng=replicate_seed(7, 5))
        for k in "ab":
            np.testing.assert_array_equal(parts[k].values, alone[k].values)


@pytest.mark.parametrize("method, text", [("lhs", "mean:0.01"), ("sobol", "mean:0.002")])
def test_the_draws_do_not_depend_on_the_chunk_size(unit_priors, method: str, text: str) -> None:
    prec = parse_precision(text, "p")
    res, conv = simulate_to_precision(bilinear, unit_priors, prec, "y", samples=40, method=method, rng=3)
    assert np.unique(np.unique(res.replicate.values, return_counts=True)[1]).size > 1  # several sizes
    for size in (97, 1000):
        again, conv2 = simulate_to_precision(bilinear, unit_priors, prec, "y", samples=40, method=method, rng=3,
                                             chunk_size=size)
        for k in ("a", "b", "y", "replicate"):
            np.testing.assert_array_equal(again[k].values, res[k].values)
        xr.testing.assert_identical(conv2, conv)


@pytest.mark.parametrize("method, text", [("random", "mean:0.02, p_loss:0.02"), ("lhs", "mean:0.01, p_loss:0.02"),
                                          ("sobol", "mean:0.004, p_loss:0.02")])
def test_the_95_percent_interval_covers_the_closed_form(unit_priors, method: str, text: str) -> None:
    # 200 seeds: the coverage of a 95% interval has SE sqrt(0.95 * 0.05 / 200) = 0.0154, so 4 SE
    # is 0.062; measured 0.945/0.94 (random), 0.955/0.935 (lhs), 0.98/0.935 (sobol) for mean/P(loss)
    hits = {k: 0 for k in TRUTH}
    several = 0
    for seed in range(200):
        res, conv = simulate_to_precision(bilinear, unit_priors, parse_precision(text, "p"), "y", samples=40,
                                          method=method, rng=seed)
        last = conv.isel(row=slice(-2, None))
        for s, e, h in zip(last.statistic.values, last.estimate.values, last.half_width.values, strict=True):
            hits[str(s)] += abs(e - TRUTH[str(s)]) <= h
        if method != "random":
            several += np.unique(np.unique(res.replicate.values, return_counts=True)[1]).size > 1
    for k, h in hits.items():
        assert abs(h / 200 - 0.95) <= 4 * math.sqrt(0.95 * 0.05 / 200), (k, h)
    assert several == (0 if method == "random" else 200)  # the combined interval, not the one-size one
