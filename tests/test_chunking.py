"""Same numbers whatever the chunking; chunked summaries equal the in-memory ones."""

from types import MappingProxyType

import numpy as np
import pytest
import xarray as xr

from mcrisk import simulate
from mcrisk.models import maas
from mcrisk.spec.priors import Priors, parse_prior
from mcrisk.analyze.risk import summarize
from mcrisk.core.statistics import per_period
from mcrisk.simulation.engine import simulate_summary
from mcrisk.simulation.streaming import _lerp, _quantile_ranks

SPECS = {
    "input_tokens": {"dist": "lognormal", "median": 608e9, "sigma": 0.3},
    "output_tokens": 168e9,
    "cache_hit_share": {"dist": "beta", "a": 5.6, "b": 4.4},
    "offpeak_reuse": {"dist": "beta", "a": 0.8, "b": 1.6},
    "prefill_tps_per_node": {"dist": "triangular", "low": 50_000, "mode": 73_700, "high": 90_000},
    "decode_tps_per_node": {"dist": "triangular", "low": 10_000, "mode": 14_800, "high": 18_000},
    "gpu_hour_price": {"dist": "pert", "low": 1.5, "mode": 2.0, "high": 3.5},
    "peak_to_avg": {"dist": "truncnormal", "mean": 1.23, "sd": 0.25, "low": 1.0},
    "paid_share": {"dist": "uniform", "low": 0.1, "high": 0.6},
    "price_input_hit": 0.14, "price_input_miss": 0.55, "price_output": 2.19,
}


def _priors(correlated: bool = False) -> Priors:
    entries = {k: parse_prior(k, v, file="t.toml", table=k) for k, v in SPECS.items()}
    p = Priors(MappingProxyType(entries), currency="USD")
    if correlated:
        from mcrisk.spec.priors import Correlation

        p = Priors(p.entries, currency="USD",
                   correlations=(Correlation("decode_tps_per_node", "prefill_tps_per_node", 0.8),))
    return p


METHODS = ["random", "lhs", "sobol"]


@pytest.mark.parametrize("method", METHODS)
def test_samples_are_bit_identical_for_any_chunk_size(method):
    n = 16_384
    p = _priors(correlated=True)
    whole = simulate(maas, p, n, method=method, rng=11)
    for size in (1000, 4096):
        xr.testing.assert_identical(simulate(maas, p, n, method=method, rng=11, chunk_size=size), whole)


@pytest.mark.parametrize("method", METHODS)
def test_chunked_summary_equals_the_in_memory_summary(method, monkeypatch):
    import mcrisk.simulation.streaming as streaming

    n = 2**17
    # A small subsample, so the brackets of pass 2 are wide and placed by a stride > 1.
    monkeypatch.setattr(streaming, "SUBSAMPLE", 2**12)
    p = _priors(correlated=True)
    ref = summarize(per_period(simulate(maas, p, n, method=method, rng=3), 30))
    got = simulate_summary(maas, p, n, method=method, rng=3, chunk_size=5000, period_days=30)
    assert list(got.output.values) == list(ref.output.values)
    for k in ("min", "max", "p05", "p10", "p25", "p50", "p75", "p90", "p95", "p_below_zero",
              "se_p_below_zero", "n_valid"):
        np.testing.assert_array_equal(got[k].values, ref[k].values, err_msg=k)
    for k in ("mean", "std", "es05", "se_mean"):
        scale = np.maximum(np.abs(ref[k].values), np.abs(ref["mean"].values))
        assert np.all(np.abs(got[k].values - ref[k].values) <= 1e-12 * scale), k
    assert got.attrs["samples"] == n and got.attrs["seed"] == 3 and got.attrs["period_days"] == 30


@pytest.mark.parametrize("method", ["random", "lhs", "sobol"])
def test_chunked_summary_is_bit_identical_for_any_chunk_size(method):
    # every statistic, the sums (mean, std, es05) included: they are taken over blocks of 4,096 samples
    # at fixed positions, whatever the chunks (5000 and 777 cut blocks; 8192 does not)
    p = _priors(correlated=True)
    n = 2**15  # a power of 2, as Sobol' designs need
    got = [simulate_summary(maas, p, n, method=method, rng=5, chunk_size=c, period_days=30)
           for c in (8192, 5000, 777, n)]
    for other in got[1:]:
        xr.testing.assert_identical(other.drop_attrs(), got[0].drop_attrs())


def test_chunked_summary_of_a_million_samples_in_small_chunks():
    n = 10**6
    p = _priors()
    ref = summarize(simulate(maas, p, n, rng=8))
    got = simulate_summary(maas, p, n, rng=8, chunk_size=2**16)
    for k in ("p05", "p50", "p95", "min", "max", "p_below_zero"):
        np.testing.assert_array_equal(got[k].values, ref[k].values, err_msg=k)
    np.testing.assert_allclose(got.es05.values, ref.es05.values, rtol=1e-12)
    np.testing.assert_allclose(got["mean"].values, ref["mean"].values, rtol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101, 1000, 12345])
@pytest.mark.parametrize("p", [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95])
def test_quantile_from_order_statistics_is_numpys(n, p):
    x = np.sort(np.random.default_rng(n).standard_normal(n))
    lo, hi, t = _quantile_ranks(n, p)
    assert _lerp(x[lo], x[hi], t) == float(np.quantile(x, p))


def test_a_hand_solvable_summary():
    # x = 0, 1, ..., 99 (a uniform prior through the identity): every statistic by hand.
    def ident(x):
        return {"y": x - 50.0}

    p = Priors(MappingProxyType({"x": parse_prior("x", {"dist": "uniform", "low": 0, "high": 100},
                                                  file="t.toml", table="x")}))
    s = simulate_summary(ident, p, 100, method="lhs", rng=0, chunk_size=7).sel(output="y")
    ref = summarize(simulate(ident, p, 100, method="lhs", rng=0)).sel(output="y")
    assert float(s.p_below_zero) == float(ref.p_below_zero)
    assert float(s.p50) == float(ref.p50)
    # An LHS of 100 points has one in each [k, k + 1): exactly half lie below 50.
    assert float(s.p_below_zero) == 0.5
    np.testing.assert_allclose(float(s.es05), float(ref.es05), rtol=1e-14)
    assert -50 < float(s.es05) < -45  # the mean of the 5 points in [0, 5), less 50
    assert int(s.n_valid) == 100 and 49 < float(s.p50) + 50 < 51


def test_ties_and_constant_outputs_summarise_exactly():
    # A discrete input and a constant output: brackets full of ties, held as counts.
    def tied(x):
        return {"y": x * 1.0, "c": np.full(np.shape(x), 2.5)}

    p = Priors(MappingProxyType({"x": parse_prior(
        "x", {"dist": "discrete", "values": [-1.0, 0.5, 3.0], "weights": [0.2, 0.5, 0.3]},
        file="t.toml", table="x")}))
    ref = summarize(simulate(tied, p, 50_000, rng=4))
    got = simulate_summary(tied, p, 50_000, rng=4, chunk_size=3333)
    for k in ("p05", "p25", "p50", "p75", "p95", "min", "max", "p_below_zero"):
        np.testing.assert_array_equal(got[k].values, ref[k].values, err_msg=k)
    np.testing.assert_allclose(got.es05.values, ref.es05.values, rtol=1e-12)
    assert float(got.es05.sel(output="y")) == -1.0 and float(got.p50.sel(output="c")) == 2.5
