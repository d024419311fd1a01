"""Calibration: Pareto smoothing against ArviZ and a known tail, the conjugate normal, an interval as
rejection sampling, a record in the prior's far tail, the [calibrate] table's errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
import xarray as xr

from mcrisk import run_study
from mcrisk.analyze.calibration import CALIBRATION_COLUMNS, calibrate, calibration_frame, equal_weights
from mcrisk.analyze.psis import effective_sample_size, psis
from mcrisk.analyze.risk import summarize
from mcrisk.core.errors import MCRiskWarning, SpecError
from mcrisk.spec.calibrate_table import CalibrateTable, Observation, check_calibrate

_STUDY = {"outputs": ("y", "z"), "why": None}


def _results(x: np.ndarray) -> xr.Dataset:
    return xr.Dataset({"x": ("sample", x, {"role": "input", "units": "1"}),
                       "y": ("sample", x, {"role": "output", "units": "1"})}, attrs={"output": "y"})


def _gauss(value: float, sd: float) -> CalibrateTable:
    return CalibrateTable((Observation("y", value=value, sd=sd),))


@pytest.mark.parametrize("shape", [1.0, 2.0])
def test_k_hat_of_a_known_pareto_tail(rng, shape):
    # weights drawn from a Lomax (Pareto II) of shape a have a generalized Pareto tail of k = 1 / a;
    # the fit of the M = 949 largest of 100,000 has sd about (1 + k) / sqrt(M); within 4 of them
    w = rng.pareto(shape, 100_000)
    _, k = psis(np.log(w))
    assert abs(k - 1 / shape) < 4 * (1 + 1 / shape) / math.sqrt(949)


def test_psis_matches_arviz(rng):
    az = pytest.importorskip("arviz")  # an oracle only where it is installed; no dependency of mcrisk
    lw = np.log(rng.pareto(1.5, 5_000))
    w, k = psis(lw)
    lw_az, k_az = az.psislw(lw.copy())
    assert k == pytest.approx(float(k_az), abs=1e-12)
    np.testing.assert_allclose(np.log(w), lw_az, atol=1e-12)


def test_equal_log_weights_are_left_alone():
    w, k = psis(np.zeros(400))
    np.testing.assert_allclose(w, 1 / 400)
    assert math.isnan(k) and effective_sample_size(w) == pytest.approx(400)


def test_weights_equal_but_for_rounding_are_left_alone(rng):
    # log weights within 1e-17 of each other: the tail's excesses round to 0, nothing to fit
    w, k = psis(-1e-17 * rng.random(1000))
    np.testing.assert_allclose(w, 1 / 1000)
    assert math.isnan(k)


def test_conjugate_normal(rng):
    # x ~ N(m, s^2), y = x observed as v with error sd e: the posterior is N(mu, tau^2) with
    # 1/tau^2 = 1/s^2 + 1/e^2 and mu = tau^2 (m/s^2 + v/e^2)
    m, s, v, e, n = 0.0, 1.0, 1.0, 0.5, 40_000
    tau = 1 / math.sqrt(1 / s**2 + 1 / e**2)
    mu = tau**2 * (m / s**2 + v / e**2)
    cal = calibrate(_results(rng.normal(m, s, n)), _gauss(v, e))
    ess = cal.attrs["ess"]
    # Kish's ESS of likelihood weights: n E[L]^2 / E[L^2], L = exp(-(x - v)^2 / (2 e^2)), closed form
    a, b = e / math.sqrt(s**2 + e**2), (e / math.sqrt(2)) / math.sqrt(s**2 + e**2 / 2)
    ratio = (a * math.exp(-(v - m) ** 2 / (2 * (s**2 + e**2)))) ** 2 / (b * math.exp(-(v - m) ** 2 / (2 * (s**2 + e**2 / 2))))
    assert ess == pytest.approx(n * ratio, rel=0.03)  # ratio 0.6: its sampling error is about 0.5%
    assert cal.attrs["k_hat"] < 0.5
    summary = summarize(cal).sel(output="y")
    se = tau / math.sqrt(ess)
    assert float(summary["mean"]) == pytest.approx(mu, abs=4 * se)  # 4 SE of a weighted mean
    assert float(summary["std"]) == pytest.approx(tau, abs=4 * tau / math.sqrt(2 * ess))  # sd's SE: tau / sqrt(2 n)
    p = st.norm.cdf(0, mu, tau)  # posterior P(y < 0) = 3.7%
    assert float(summary["p_below_zero"]) == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / ess))
    assert float(summary["se_mean"]) == pytest.approx(float(summary["std"]) / math.sqrt(ess))
    assert float(summary["p50"]) == pytest.approx(mu, abs=4 * 1.2533 * se)  # median's SE: sqrt(pi/2) sd / sqrt(n)
    frame = calibration_frame(cal, ["x"])
    assert tuple(frame.columns) == CALIBRATION_COLUMNS
    assert float(frame.post_p95[0]) == pytest.approx(mu + 1.6449 * tau, abs=4 * 2.11 * se)  # p95's SE: 2.11 sd / sqrt(n)


def test_an_interval_is_rejection_sampling(rng):
    # the posterior of an interval observation is the prior kept where the output falls inside:
    # the same draws, equally weighted; a + b in [1.2, 1.5] for a, b ~ U(0, 1)
    a, b = rng.random(20_000), rng.random(20_000)
    ds = xr.Dataset({"a": ("sample", a, {"role": "input"}), "b": ("sample", b, {"role": "input"}),
                     "y": ("sample", a + b, {"role": "output", "units": "1"})})
    cal = calibrate(ds, CalibrateTable((Observation("y", low=1.2, high=1.5),)))
    kept = (a + b >= 1.2) & (a + b <= 1.5)
    assert cal.attrs["ess"] == pytest.approx(kept.sum())
    np.testing.assert_allclose(cal.weight.values[kept], 1 / kept.sum())
    assert (cal.weight.values[~kept] == 0).all()
    frame = calibration_frame(cal, ["a"]).iloc[0]
    assert frame.post_mean == pytest.approx(a[kept].mean(), rel=1e-12)
    assert frame.post_p50 == pytest.approx(np.quantile(a[kept], 0.5), rel=1e-12)
    # and the closed form: a given a + b = t in [1.2, 1.5] is uniform on [t - 1, 1], mean t / 2,
    # t's density proportional to 2 - t: E[a] = E[t] / 2 = 0.6726 / ... computed exactly below
    t_mean = (st.triang(1.0, loc=0, scale=2).expect(lambda t: t, lb=1.2, ub=1.5, conditional=True))
    assert frame.post_mean == pytest.approx(t_mean / 2, abs=4 * 0.2 / math.sqrt(kept.sum()))  # sd(a) < 0.2


def test_a_record_in_the_far_tail_warns_and_strict_stops(tmp_path, rng):
    # y = x ~ N(0, 1) observed at 4.5 +- 0.1, 4.5 prior sds out: Kish's n E[L]^2 / E[L^2] (closed
    # form as in the conjugate test) is 4,000 * 6.6e-6 = 0.03, so one or a few draws carry it
    (tmp_path / "m.py").write_text("def ident(*, x):\n    return {'y': x}\n")
    (tmp_path / "p.toml").write_text('x = { dist = "normal", mean = 0, sd = 1, unit = "1" }\n')
    path = tmp_path / "s.toml"
    path.write_text('model = "m.py:ident"\npriors = ["p.toml"]\nsamples = 4000\nseed = 3\noutput = "y"\n'
                    "[calibrate]\nobserve = { y = { value = 4.5, sd = 0.1 } }\n")
    with pytest.warns(MCRiskWarning, match=r"\[calibrate\] the record contradicts these priors; \d+ draws carry "
                                           r"the result .*run more samples \(--samples [\d,]+\)"):
        run = run_study(path, out=tmp_path / "out", formats=("png",))
    assert run.results.attrs["ess"] < 10 and run.results.attrs["k_hat"] > 0.7
    doc = json.loads((tmp_path / "out" / "calibration.json").read_text())
    assert set(doc) >= {"k_hat", "ess", "observations"} and doc["ess"] < 200
    assert doc["observations"][0]["prior"]["p95"] == pytest.approx(1.645, abs=0.1)  # N(0,1)'s P95; SE ~0.03
    with pytest.raises(SpecError, match=r"s\.toml: \[calibrate\] the record contradicts these priors; .* \(--strict\)$"):
        run_study(path, write=False, strict=True)


@pytest.mark.parametrize(("table", "message"), [
    ({}, r"\[calibrate\] observe = None must be a table of observed outputs"),
    ({"observe": {"w": {"value": 1, "sd": 1}}}, r"\[calibrate\] observe = 'w' is not an output of the model; outputs: y, z"),
    ({"observe": {"y": {"value": 1, "sd": 0}}}, r"\[calibrate\] observe\.y sd = 0 must be a positive standard deviation"),
    ({"observe": {"y": {"low": 2, "high": 1}}}, r"\[calibrate\] observe\.y low = 2, high = 1: low must be below high"),
    ({"observe": {"y": {"value": 1}}}, r"\[calibrate\] observe\.y = \{'value': 1\} must be \{ value = v, sd = s \}"),
    ({"observe": {"y": {"value": "a", "sd": 1}}}, r"\[calibrate\] observe\.y value = 'a' must be a number"),
    ({"observe": {"y": {"low": 1, "high": 2}}, "weights": 1}, r"\[calibrate\] weights = 1 is not a key; allowed: observe"),
])
def test_table_errors_name_file_key_value(table, message):
    with pytest.raises(SpecError, match=r"^s\.toml: " + message):
        check_calibrate(table, "s.toml", _STUDY)


def test_equal_weights_resample_keeps_the_weighted_mean(rng):
    x = rng.normal(0, 1, 10_000)
    cal = calibrate(_results(x), _gauss(1.0, 0.5))
    eq = equal_weights(cal, rng=1)
    assert "weight" not in eq and eq.sizes["sample"] == 10_000 and "resampled" in eq.attrs
    mean = float(np.sum(cal.weight.values * x))
    # systematic resampling: each draw i appears floor or ceil of n w_i times, so the means agree
    # to within max |x| / n per draw, about 4e-4 * 4 here
    assert float(eq.y.mean()) == pytest.approx(mean, abs=4 * 4 / 10_000 * 4)
    assert pd.Series(eq.y.values).nunique() <= 10_000


def test_charts_weigh_the_samples(rng):
    # profit ~ N(0, 1) observed at 1 +- 0.5: posterior N(0.8, 0.447^2), P(profit < 0) = 3.7%; the
    # bars hold the weight (they sum to the weight drawn), and P(loss) is the weighted share
    pytest.importorskip("matplotlib")
    from mcrisk.report.plot import plot_distribution, plot_exceedance

    x = rng.normal(0, 1, 20_000)
    ds = xr.Dataset({"profit_per_day": ("sample", x, {"role": "output", "units": "USD/day"})},
                    attrs={"output": "profit_per_day"})
    cal = calibrate(ds, CalibrateTable((Observation("profit_per_day", value=1.0, sd=0.5),)))
    p = float(cal.weight.values[x < 0].sum())
    assert p == pytest.approx(st.norm.cdf(0, 0.8, 0.2 ** 0.5), abs=4 * math.sqrt(0.037 * 0.963 / cal.attrs["ess"]))
    ax = plot_distribution(cal)
    assert [t.get_text() for t in ax.texts if t.get_gid() == "p_loss"] == [f"P(loss) = {p:.1%}"]
    heights = sum(b.get_height() for b in ax.containers[0])
    assert 0.99 < heights <= 1.0 + 1e-9  # the chart cuts only tails of weight under 1%
    ax = plot_exceedance(cal)
    x_curve, p_curve = ax.get_lines()[0].get_data()
    # the curve at the weighted median is one half
    med = float(np.interp(0.5, p_curve[::-1], x_curve[::-1]))
    assert med == pytest.approx(0.8, abs=4 * 1.2533 * 0.447 / math.sqrt(cal.attrs["ess"]))
