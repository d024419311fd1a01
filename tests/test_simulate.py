"""simulate(): inputs, outputs, units and provenance together; P(loss) against a closed form."""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest
import xarray as xr

import mcrisk
from mcrisk import MCRiskWarning, Priors, SpecError, load_priors, simulate, summarize
from mcrisk.models import maas
from mcrisk.spec.priors import parse_prior
from mcrisk.simulation.engine import evaluate
from conftest import bonferroni_z, prob_se


def _with(priors: Priors, **specs) -> Priors:
    extra = {k: parse_prior(k, v, file="test") for k, v in specs.items()}
    return priors.merged(Priors(MappingProxyType(extra)))


@pytest.mark.parametrize("method, n", [("random", 20_000), ("lhs", 20_000), ("sobol", 16_384)])
def test_probability_of_loss_has_its_closed_form(deepseek_priors_path: Path, method: str, n: int) -> None:
    # DeepSeek's 24 h (2025-02-27) with only the GPU rent uncertain, price ~ U(low, high).
    # Cost is linear in the price, so profit < 0 exactly when price > p* = revenue / (nodes 8 24),
    # and P(loss) = (high - p*) / (high - low). The numbers below are DeepSeek's published ones.
    nodes = 608e9 / (86_400 * 73_700) + 168e9 / (86_400 * 14_800)
    revenue = (608e9 * (342 / 608 * 0.14 + (1 - 342 / 608) * 0.55) + 168e9 * 2.19) / 1e6
    p_star = revenue / (nodes * 8 * 24)
    low, high = 8.0, 16.0
    assert low < p_star < high  # USD 12.9 per GPU-hour breaks even
    exact = (high - p_star) / (high - low)

    priors = _with(load_priors(deepseek_priors_path),
                   gpu_hour_price={"dist": "uniform", "low": low, "high": high})
    assert priors.uncertain == ("gpu_hour_price",)
    s = summarize(simulate(maas, priors, n, method=method, rng=2025)).sel(output="profit_per_day")
    # The reported SE, sqrt(p (1 - p) / n) at the estimate, against the same at the exact p:
    # 4 SE of p move it by 0.6% here (d log se / dp = (1 - 2p) / (2p (1 - p)) = 0.46), so 5%
    # holds by over 30 SE.
    se = prob_se(exact, n)
    assert float(s["se_p_below_zero"]) == pytest.approx(se, rel=0.05)
    # 4 SE of a proportion (0.0138 at n = 20,000); LHS and Sobol' err less.
    assert abs(float(s["p_below_zero"]) - exact) < bonferroni_z(1) * se
    if method != "random":
        # One stratified input: an LHS or Sobol' design puts exactly n (high - p*)/(high - low)
        # points, give or take one, above p*, far closer than the random-sampling error.
        assert abs(float(s["p_below_zero"]) - exact) <= 1 / n


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> mcrisk.Priors:
    path = tmp_path_factory.mktemp("p") / "small.toml"
    path.write_text('currency = "CNY"\ninput_tokens = 1e11\noutput_tokens = 1e10\n'
                    'prefill_tps_per_node = 5e4\ndecode_tps_per_node = 5e3\npeak_to_avg = 1.5\n'
                    'price_input_miss = 4.0\nprice_output = 16.0\n'
                    '[gpu_hour_price]\ndist = "triangular"\nlow = 8\nmode = 12\nhigh = 20\n'
                    'unit = "CNY/GPU-hour"\nsource = "test"\n')
    return load_priors(path)


def test_results_hold_inputs_outputs_units_and_provenance(small: mcrisk.Priors) -> None:
    ds = simulate(maas, small, 256, method="lhs", rng=0)
    assert ds.sizes == {"sample": 256}
    assert set(maas.outputs) <= set(ds.data_vars) and set(small) <= set(ds.data_vars)
    assert ds.gpu_hour_price.dims == ("sample",) and ds.input_tokens.ndim == 0
    assert ds.profit_per_day.attrs["units"] == "CNY/day"  # {currency} replaced
    assert ds.profit_per_day.attrs["long_name"] == "revenue minus cost per day"
    assert ds.profit_per_day.attrs["role"] == "output" and ds.gpu_hour_price.attrs["role"] == "input"
    assert ds.price_output.attrs["units"] == "CNY/1M tokens"  # the model's unit where the prior has none
    assert ds.nodes_avg.attrs["units"] == "nodes"
    for var in ds.data_vars.values():
        assert var.attrs["units"] and var.attrs["long_name"]
    assert ds.attrs["model"] == "maas" and ds.attrs["method"] == "lhs"
    assert ds.attrs["seed"] == 0 and ds.attrs["samples"] == 256 and ds.attrs["currency"] == "CNY"
    assert ds.attrs["mcrisk_version"] == mcrisk.__version__
    # The libraries that made the numbers, by their installed versions, and only those: draws and
    # designs, inverse CDFs, the Dataset, unit conversions, the file (dask only when it ran).
    import platform
    from importlib.metadata import version

    assert ds.attrs["versions"] == (
        f"mcrisk {mcrisk.__version__}, python {platform.python_version()}, numpy {version('numpy')}, "
        f"scipy {version('scipy')}, SALib {version('SALib')}, xarray {version('xarray')}, "
        f"pint {version('pint')}, netCDF4 {version('netCDF4')}")
    assert "[gpu_hour_price]" in ds.attrs["priors"] and 'dist = "triangular"' in ds.attrs["priors"]
    # Outputs equal the model applied to the sampled inputs.
    direct = maas(**{k: ds[k].values for k in small})
    np.testing.assert_array_equal(ds.profit_per_day.values, direct["profit_per_day"])


@pytest.mark.parametrize("method", ["random", "lhs", "sobol"])
def test_chunk_size_does_not_change_results(small: mcrisk.Priors, method: str) -> None:
    whole = simulate(maas, small, 512, method=method, rng=4)
    chunked = simulate(maas, small, 512, method=method, rng=4, chunk_size=100)
    np.testing.assert_array_equal(chunked.profit_per_day.values, whole.profit_per_day.values)
    np.testing.assert_array_equal(chunked.sample.values, np.arange(512))


def test_nan_and_inf_are_counted_and_reported() -> None:
    def model(x):
        return {"root": np.sqrt(x), "capped": np.where(x > 0.9, np.inf, x)}

    model.outputs = {}
    priors = Priors(MappingProxyType({"x": parse_prior("x", {"dist": "uniform", "low": -1.0, "high": 1.0},
                                                        file="test")}))
    # LHS with n = 100: exactly one point in each stratum of width 0.02, so exactly 50 below 0
    # (sqrt is NaN) and 5 above 0.9 (inf).
    with pytest.warns(MCRiskWarning) as record:
        ds = simulate(model, priors, 100, method="lhs", rng=1)
    assert sorted(str(w.message) for w in record) == [
        "capped is NaN or infinite in 5 of 100 samples; its statistics use the other samples",
        "root is NaN or infinite in 50 of 100 samples; its statistics use the other samples",
    ]
    assert ds.root.attrs["nonfinite"] == 50 and ds.capped.attrs["nonfinite"] == 5
    s = summarize(ds)
    assert int(s.n_valid.sel(output="root")) == 50
    assert int(s.n_valid.sel(output="capped")) == 95


def test_missing_and_unknown_inputs(small: mcrisk.Priors) -> None:
    with pytest.raises(SpecError, match=re.escape("inputs: model maas needs gpu_hour_price, which no prior "
                                                  "or input gives")):
        simulate(maas, small.subset([k for k in small if k != "gpu_hour_price"]), 10, rng=0)
    extra = _with(small, gpu_price=2.0)
    with pytest.raises(SpecError, match=f"^{re.escape('inputs: gpu_price is not an input of model maas; its inputs: input_tokens, output_tokens, prefill_tps_per_node,')}"):
        simulate(maas, extra, 10, rng=0)


def test_model_taking_any_keyword_accepts_every_input(small: mcrisk.Priors) -> None:
    def total(**kw):
        return {"n": sum(np.asarray(v, dtype=float) for v in kw.values())}

    ds = simulate(total, _with(small, anything=1.0), 8, rng=0)
    assert ds.n.shape == (8,)
    assert ds.attrs["model"].endswith(":test_model_taking_any_keyword_accepts_every_input.<locals>.total")


def test_model_must_return_a_dict(small: mcrisk.Priors) -> None:
    def bad(**kw):
        return [1.0]

    with pytest.raises(SpecError, match=r"returned list; a model must return a dict of output arrays$"):
        evaluate(bad, mcrisk.sample(small, 4, rng=0))


def test_a_model_output_of_the_wrong_length_is_a_spec_error(tmp_path):
    # Caught when the study is loaded: a model without an outputs list is probed at one sample.
    (tmp_path / "short.py").write_text("import numpy as np\n\ndef m(*, x):\n    return {'y': np.ones(3)}\n")
    (tmp_path / "s.toml").write_text('model = "short.py:m"\noutput = "y"\nsamples = 10\n'
                                     '[inputs]\nx = { dist = "uniform", low = 0, high = 1 }\n')
    with pytest.raises(SpecError, match=r"s\.toml: model short.py:m returned output y of shape \(3,\); a model must "
                                        r"return arrays of the inputs' length \(1\) or scalars$"):
        mcrisk.run_study(tmp_path / "s.toml", write=False)


def test_simulate_takes_an_inputs_dataset_and_gives_the_same_results(small: mcrisk.Priors) -> None:
    # sample -> inputs -> simulate(model, inputs): the data flow in steps, the same bits as one call.
    inputs = mcrisk.sample(small, 300, method="lhs", rng=5)
    a = simulate(maas, inputs, chunk_size=128)
    b = simulate(maas, small, 300, method="lhs", rng=5)
    xr.testing.assert_identical(a, b)
    # one draw, a second model on the same samples
    doubled = simulate(lambda **kw: {"twice": 2 * maas(**kw)["profit_per_day"]}, inputs)
    np.testing.assert_array_equal(doubled["twice"].values, 2 * b["profit_per_day"].values)
    with pytest.raises(SpecError, match=r"^workers and scheduler need the priors, not drawn inputs"):
        simulate(maas, inputs, workers=2)


def test_a_declared_output_the_model_does_not_return_is_a_one_line_error(small: mcrisk.Priors) -> None:
    @mcrisk.model(outputs={"profit_per_day": "{currency}/day", "spare": "nodes"})
    def forgetful(**kw):
        return {"profit_per_day": maas(**kw)["profit_per_day"]}

    with pytest.raises(SpecError, match=r"declares output spare but did not return it; it returned: "
                                        r"profit_per_day$"):
        simulate(forgetful, small, 8, rng=0)
