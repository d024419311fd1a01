"""Sensitivity indices against analytic values, rankings, rank correlations, loss attribution, errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mcrisk
from mcrisk import MCRiskWarning, SpecError
from mcrisk.models.testfunctions import G_A, gfunction, gfunction_indices, ishigami, ishigami_indices
from mcrisk.priors import priors_from_dict
from mcrisk.rankcorr import rank_correlations
from mcrisk.sensitivity import METHODS, sensitivity
from mcrisk.sensitivity_study import check_config
from mcrisk.study import run_sensitivity, run_study


@pytest.fixture(scope="module")
def ishigami_priors():
    return priors_from_dict({f"x{i}": {"dist": "uniform", "low": -math.pi, "high": math.pi} for i in (1, 2, 3)},
                            file="ishigami")


@pytest.fixture(scope="module")
def g_priors():
    return priors_from_dict({f"x{i + 1}": {"dist": "uniform", "low": 0.0, "high": 1.0} for i in range(8)},
                            file="gfunction")


# ---------------------------------------------------------------- proven right

def test_sobol_ishigami_within_003_of_analytic_at_n_8192(ishigami_priors):
    ds = sensitivity(ishigami, ishigami_priors, output="y", method="sobol", n=2**13, rng=0)
    exact = ishigami_indices()
    np.testing.assert_allclose(ds.S1.values, exact["S1"], atol=0.03)
    np.testing.assert_allclose(ds.ST.values, exact["ST"], atol=0.03)
    assert ds.attrs["model_runs"] == 2**13 * (3 + 2)
    assert ds.attrs["notes"] == ""
    # every index carries its interval, and the intervals cover the analytic values
    for k in ("S1", "ST"):
        assert np.all(np.abs(ds[k].values - exact[k]) <= ds[f"{k}_conf"].values + 0.01)


def test_sobol_second_order_ishigami(ishigami_priors):
    ds = sensitivity(ishigami, ishigami_priors, output="y", method="sobol", n=2**12, rng=3,
                     calc_second_order=True, num_resamples=20)
    assert ds.attrs["model_runs"] == 2**12 * (2 * 3 + 2)
    assert ds.S2.dims == ("input", "input2")
    # analytic S13 = V13 / V = ST1 - S1_1; the other pairs are 0
    exact = ishigami_indices()
    assert ds.S2.sel(input="x1", input2="x3").item() == pytest.approx(exact["ST"][0] - exact["S1"][0], abs=0.06)
    assert abs(ds.S2.sel(input="x1", input2="x2").item()) < 0.06


def test_sobol_and_morris_rank_the_gfunction_inputs(g_priors):
    s = sensitivity(gfunction, g_priors, output="y", method="sobol", n=2**12, rng=1, num_resamples=20)
    np.testing.assert_allclose(s.ST.values, gfunction_indices(G_A)["ST"], atol=0.04)
    assert list(s.input.values[np.argsort(-s.ST.values)][:4]) == ["x1", "x2", "x3", "x4"]
    m = sensitivity(gfunction, g_priors, output="y", method="morris", n=200, rng=1)
    assert m.attrs["model_runs"] == 200 * 9
    mu = m.mu_star.values
    assert list(np.argsort(-mu)[:4]) == [0, 1, 2, 3]
    assert mu[3] > 3 * mu[4:].max()  # a = 9 is still well above the a = 99 inputs


@pytest.mark.parametrize(("method", "n", "atol"), [("fast", 8000, 0.05), ("rbd_fast", 4096, 0.05),
                                                    ("delta", 2000, 0.05)])
def test_first_order_of_other_methods_on_ishigami(ishigami_priors, method, n, atol):
    with warnings.catch_warnings():  # SALib's FAST intervals are rough (SALib issue 649); not the point here
        warnings.simplefilter("ignore", MCRiskWarning)
        ds = sensitivity(ishigami, ishigami_priors, output="y", method=method, n=n, rng=2, num_resamples=10)
    np.testing.assert_allclose(ds.S1.values, ishigami_indices()["S1"], atol=atol)
    if method == "fast":  # FAST's total index lands near ST too
        np.testing.assert_allclose(ds.ST.values, ishigami_indices()["ST"], atol=0.06)
    if method == "delta":  # x2 and x1 matter more than x3 also by Borgonovo's delta
        assert ds.delta.sel(input="x2") > ds.delta.sel(input="x1") > ds.delta.sel(input="x3")
        assert set(ds.data_vars) >= {"delta", "delta_conf", "S1", "S1_conf"}


def test_pawn_ranks_the_gfunction_inputs(g_priors):
    ds = sensitivity(gfunction, g_priors, output="y", method="pawn", n=4000, rng=0)
    med = ds["median"].values
    assert list(np.argsort(-med)[:2]) == [0, 1]
    assert med[1] > med[4:].max()
    assert set(ds.data_vars) == {"minimum", "mean", "median", "maximum", "CV"}


# ---------------------------------------------------------------- behaviour

def test_every_family_works_and_constants_are_not_factors(every_family):
    names = list(every_family)

    def model(**kw):
        return {"y": sum(np.asarray(kw[k], float) for k in names)}

    ds = sensitivity(model, every_family, output="y", method="sobol", n=4096, rng=0, num_resamples=5)
    assert list(ds.input.values) == list(every_family.uncertain)
    assert "bare" not in ds.input.values and "constant" not in ds.input.values
    # An additive model: S1_i = ST_i = Var(x_i) / sum_j Var(x_j), with the variances from scipy.
    var = np.array([every_family[k].dist.var() for k in every_family.uncertain])
    np.testing.assert_allclose(ds.S1.values, var / var.sum(), atol=0.01)
    np.testing.assert_allclose(ds.ST.values, var / var.sum(), atol=0.01)


def test_seed_zero_is_a_seed_and_global_state_is_untouched(ishigami_priors):
    before = np.random.get_state()[1].copy()
    with pytest.warns(MCRiskWarning, match="too few samples"):
        a = sensitivity(ishigami, ishigami_priors, output="y", method="delta", n=300, rng=0, num_resamples=5)
        b = sensitivity(ishigami, ishigami_priors, output="y", method="delta", n=300, rng=0, num_resamples=5)
        c = sensitivity(ishigami, ishigami_priors, output="y", method="delta", n=300, rng=1, num_resamples=5)
    xr.testing.assert_identical(a, b)
    assert not np.allclose(a.delta_conf.values, c.delta_conf.values)
    assert a.attrs["seed"] == 0
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_sobol_rounds_n_up_to_a_power_of_two(ishigami_priors):
    with pytest.warns(MCRiskWarning, match="samples = 5,000 is not a power of 2; using N = 8,192"):
        ds = sensitivity(ishigami, ishigami_priors, output="y", method="sobol", n=5000, rng=0, num_resamples=20)
    assert ds.attrs["samples"] == 8192 and ds.attrs["model_runs"] == 8192 * 5
    assert "not a power of 2" in ds.attrs["notes"]


def test_wide_intervals_are_reported_with_the_n_that_would_help(ishigami_priors):
    with pytest.warns(MCRiskWarning, match=r"wider than 0\.1.*Intervals shrink like 1/sqrt\(N\); samples = "):
        ds = sensitivity(ishigami, ishigami_priors, output="y", method="sobol", n=64, rng=0, num_resamples=20)
    widest = 2 * max(ds.S1_conf.max().item(), ds.ST_conf.max().item())
    suggested = 1 << math.ceil(math.log2(64 * (widest / 0.1) ** 2))
    assert f"samples = {suggested:,} (now 64)" in ds.attrs["notes"]


def test_several_outputs_from_one_set_of_runs(ishigami_priors):
    def model(x1, x2, x3):
        y = ishigami(x1=x1, x2=x2, x3=x3)["y"]
        return {"y": y, "twice": 2 * y + 5}

    ds = sensitivity(model, ishigami_priors, output=["y", "twice"], method="sobol", n=4096, rng=0,
                     num_resamples=20)
    assert ds.S1.dims == ("output", "input")
    assert ds.attrs["model_runs"] == 4096 * 5  # not twice that
    np.testing.assert_allclose(ds.S1.sel(output="y"), ds.S1.sel(output="twice"), atol=1e-12)


def test_correlated_inputs_switch_to_delta_on_a_correlated_sample():
    priors = priors_from_dict({"a": {"dist": "uniform", "low": 0.0, "high": 1.0},
                               "b": {"dist": "normal", "mean": 0.0, "sd": 1.0},
                               "correlation": [{"between": ["a", "b"], "rank": 0.8}]}, file="corr")
    seen = []

    def model(a, b):
        seen.append(pd.Series(a).corr(pd.Series(b), method="spearman"))
        return {"y": a + 0.1 * b}

    with pytest.warns(MCRiskWarning, match=r"sobol assumes independent inputs but the priors declare rank "
                                           r"correlations \(a~b = 0\.8\); using delta"):
        ds = sensitivity(model, priors, output="y", method="sobol", n=256, rng=0, num_resamples=5)
    assert ds.attrs["method"] == "delta" and ds.attrs["requested_method"] == "sobol"
    assert ds.attrs["model_runs"] == 256 * (2 + 2)
    assert seen[0] == pytest.approx(0.8, abs=0.03)
    assert "delta" in ds and "S1" in ds


def test_unknown_method_and_output():
    priors = priors_from_dict({"x1": {"dist": "uniform", "low": 0.0, "high": 1.0}, "x2": 0.5, "x3": 0.5},
                              file="p")
    with pytest.raises(SpecError, match=r"^method = 'sobl' is not a method; known: delta, fast, morris, pawn, "
                                        r"rbd_fast, sobol$"):
        sensitivity(ishigami, priors, output="y", method="sobl", n=64)
    with pytest.raises(SpecError, match=r"^sensitivity output = 'z' is not an output of the model; outputs: y$"):
        sensitivity(ishigami, priors, output="z", method="sobol", n=64)
    assert sorted(METHODS) == ["delta", "fast", "morris", "pawn", "rbd_fast", "sobol"]


# ---------------------------------------------------------------- Monte Carlo attribution

def test_rank_correlations_of_a_hand_solvable_sample():
    x = np.array([1.0, 2, 3, 4, 5])
    y = np.array([2.0, 1, 4, 3, 5])
    ds = xr.Dataset({"x": ("sample", x, {"role": "input"}), "y": ("sample", y, {"role": "output"})})
    rc = rank_correlations(ds, output="y")
    # Spearman = 1 - 6 sum d^2 / (n (n^2 - 1)) = 1 - 6 * 4 / 120
    assert rc.spearman.item() == pytest.approx(0.8)
    se = math.sqrt(1.06 / 2)
    z = 1.959963984540054
    assert rc.spearman_low.item() == pytest.approx(math.tanh(math.atanh(0.8) - z * se))
    assert rc.spearman_high.item() == pytest.approx(math.tanh(math.atanh(0.8) + z * se))
    assert rc.prcc.item() == pytest.approx(0.8)  # with one input nothing is partialled out


def test_prcc_matches_the_two_input_formula(rng):
    n = 500
    x1, x2 = rng.random(n), rng.random(n)
    y = x1 + 0.5 * x2 + 0.3 * rng.random(n)
    ds = xr.Dataset({"x1": ("sample", x1, {"role": "input"}), "x2": ("sample", x2, {"role": "input"}),
                     "y": ("sample", y, {"role": "output"})})
    rc = rank_correlations(ds, output="y")
    r = pd.DataFrame({"x1": x1, "x2": x2, "y": y}).corr(method="spearman")
    r1y, r2y, r12 = r.loc["x1", "y"], r.loc["x2", "y"], r.loc["x1", "x2"]
    expect = (r1y - r12 * r2y) / math.sqrt((1 - r12**2) * (1 - r2y**2))
    assert rc.prcc.sel(input="x1").item() == pytest.approx(expect, abs=1e-12)
    se = 1 / math.sqrt(n - 3 - 1)
    assert rc.prcc_low.sel(input="x1").item() == pytest.approx(math.tanh(math.atanh(expect) - 1.959963984540054 * se))


@pytest.fixture(scope="module")
def study_run(tmp_path_factory):
    from tests.conftest import DATA

    out = tmp_path_factory.mktemp("run") / "out"
    return mcrisk.run_study(DATA / "good" / "study_sensitivity.toml", out=out, formats=())


def test_loss_attribution_ranks_the_only_cause_of_a_loss_first(study_run):
    ds = study_run.tables["sensitivity"].sel(output="profit_per_day")
    for k in ("loss_S1", "loss_ks"):
        assert ds[k].idxmax().item() == "gpu_hour_price"
    assert ds.loss_ks.sel(input="gpu_hour_price") > 0.8
    # P(loss) = P(gpu rent above the break-even near 12.9 on U(2, 14)) ~ 0.09
    p = float(np.atleast_1d(study_run.tables["sensitivity"].attrs["loss_probability"])[0])
    assert p == pytest.approx(float((study_run.results.profit_per_day < 0).mean()))
    assert 0.06 < p < 0.12
    assert study_run.tables["sensitivity"].attrs["loss_method"].startswith("loss_S1: first-order Sobol' index")


def test_rank_correlation_of_a_monotone_input_is_near_minus_one(study_run):
    ds = study_run.tables["sensitivity"].sel(output="profit_per_day", input="gpu_hour_price")
    assert -1 < ds.spearman_low < ds.spearman < ds.spearman_high < -0.98
    assert ds.spearman_high - ds.spearman_low < 0.01


def test_run_study_writes_sensitivity_files(study_run):
    ds = xr.open_dataset(study_run.out / "sensitivity.nc")
    assert ds.attrs["method"] == "sobol" and ds.attrs["samples"] == 8192
    assert ds.attrs["model_runs"] == 8192 * 5 and ds.attrs["seed"] == 0
    ds.close()
    frame = pd.read_csv(study_run.out / "sensitivity.csv")
    assert list(frame.columns[:6]) == ["output", "input", "S1", "S1_conf", "ST", "ST_conf"]
    assert {"spearman", "spearman_low", "spearman_high", "prcc", "prcc_low", "prcc_high", "loss_S1"} <= set(frame)
    prof = frame[frame.output == "profit_per_day"]
    assert list(prof.input) == ["gpu_hour_price", "price_output", "decode_tps_per_node"]  # ranked by ST


def test_sensitivity_command_rewrites_everything_that_shows_the_analysis(tmp_path, good):
    # A folder written with Sobol' indices, then the command with Morris: the tables, the chart
    # and the report all show Morris afterwards, never a mix of the two.
    out = tmp_path / "res"
    run_study(good / "study_sensitivity.toml", out=out, formats=("svg",))
    assert "## Sensitivity of profit_per_day (sobol)" in (out / "report.md").read_text(encoding="utf-8")
    lines = []
    ds = run_sensitivity(good / "study_sensitivity.toml", method="morris", samples=400, out=out,
                                 quiet=True, echo=lines.append)
    assert ds.attrs["method"] == "morris" and ds.attrs["model_runs"] == 400 * 4
    assert "Sensitivity of profit_per_day: morris" in "\n".join(lines)
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Sensitivity of profit_per_day (morris)" in report and "(sobol)" not in report
    assert xr.open_dataset(out / "sensitivity.nc").attrs["method"] == "morris"
    assert pd.read_csv(out / "sensitivity.csv").input.iloc[0] == "gpu_hour_price"
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())


# ---------------------------------------------------------------- [sensitivity] tables

def _study(tmp_path, good, table: str):
    p = tmp_path / "s.toml"
    p.write_text(f'model = "maas"\npriors = ["{(good / "maas_point.toml").as_posix()}"]\n'
                 f'[inputs]\ngpu_hour_price = {{ dist = "uniform", low = 2.0, high = 14.0 }}\n'
                 f'[sensitivity]\n{table}\n')
    return p


@pytest.mark.parametrize(("table", "message"), [
    ('method = "sobl"', "[sensitivity] method = 'sobl' is not a method; known: delta, fast, morris, pawn, "
                        "rbd_fast, sobol"),
    ("samples = 0", "[sensitivity] samples = 0 must be an integer from 2 to 16,777,216 for method sobol"),
    ('method = "fast"\nsamples = 64', "[sensitivity] samples = 64 must be an integer from 65 to 16,777,216 for method fast"),
    ('output = "profit"', "[sensitivity] output = 'profit' is not an output of maas; outputs: nodes_avg, "),
    ('output = ["profit_per_day", "loss"]', "[sensitivity] output = 'loss' is not an output of maas; outputs: "),
    ("sample = 100", "[sensitivity] sample = 100 is not a key; allowed: method, output, samples, seed, "
                     "second_order, num_resamples, conf_level, num_levels, loss_below"),
    ("conf_level = 95", "[sensitivity] conf_level = 95 must be a probability strictly between 0 and 1"),
    ('second_order = "yes"', "[sensitivity] second_order = 'yes' must be true or false"),
], ids=["unknown-method", "bad-samples", "fast-too-few", "unknown-output", "unknown-output-in-list",
        "unknown-key", "conf-level", "second-order"])
def test_bad_sensitivity_tables(tmp_path, good, table, message):
    p = _study(tmp_path, good, table)
    with pytest.raises(SpecError) as err:
        mcrisk.load_study(p)
    assert str(err.value).startswith(f"{p}: {message}")


def test_check_config_fills_defaults():
    cfg = check_config({}, where="x.toml: [sensitivity]", default_output="profit_per_day")
    assert cfg == {"method": "sobol", "output": "profit_per_day", "samples": 1024, "seed": None,
                   "second_order": False, "num_resamples": 100, "conf_level": 0.95, "num_levels": 4,
                   "loss_below": 0.0}
    assert check_config({"method": "morris"}, where="w", default_output="y")["samples"] == 100


def test_attribution_runs_on_a_stated_positional_subsample() -> None:
    from mcrisk.sensitivity_study import LOSS_SAMPLES, thin

    ds = xr.Dataset({"y": ("sample", np.arange(50_001.0))}, coords={"sample": np.arange(50_001)})
    sub = thin(ds, LOSS_SAMPLES)
    # ceil(50,001 / 20,000) = 3: samples 0, 3, 6, ..., 50,001 -> 16,667 of them, at most the cap
    assert sub.sizes["sample"] == 16_667 and sub["sample"].values[:3].tolist() == [0, 3, 6]
    assert thin(ds.isel(sample=slice(0, LOSS_SAMPLES)), LOSS_SAMPLES).sizes["sample"] == LOSS_SAMPLES
