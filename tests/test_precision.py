"""Running to a stated precision: valid designs as they grow, the stated intervals, the cap."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
import xarray as xr

from mcrisk import MCRiskWarning, SpecError, load_study, run_study, sample, simulate
from mcrisk.cli.main import main
from mcrisk.spec.precision_text import parse_precision
from mcrisk.analyze.intervals import order_ranks
from mcrisk.models import maas
from mcrisk.analyze.precision import MIN_REPLICATES, half_width, simulate_to_precision

GOOD = Path(__file__).resolve().parent / "data" / "good"


@pytest.fixture(scope="module")
def study():
    """maas at DeepSeek's point values with only the rent uncertain, U(2, 14) USD/GPU-hour."""
    return load_study(GOOD / "study_decisions.toml")


def test_random_run_is_the_plain_run_of_the_samples_it_used(study) -> None:
    prec = parse_precision("p_loss:0.01, mean:1%")
    res, conv = simulate_to_precision(maas, study.priors, prec, "profit_per_day", samples=1000, method="random", rng=7)
    n = res.sizes["sample"]
    plain = simulate(maas, study.priors, n, method="random", rng=7)
    np.testing.assert_array_equal(res.profit_per_day.values, plain.profit_per_day.values)
    y = plain.profit_per_day.values
    last = conv.isel(row=conv.samples.values == n)
    # the stated intervals: Wilson's for P(loss), 1.96 s / sqrt(n) for the mean
    p = np.mean(y < 0)
    z = st.norm.isf(0.025)
    wilson = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert last.half_width.values.tolist() == pytest.approx([wilson, z * y.std(ddof=1) / math.sqrt(n)], rel=1e-12)
    assert np.all(last.half_width.values <= last.tolerance.values)
    # it stopped at the first batch meeting them: the batch before did not
    before = conv.isel(row=conv.samples.values == np.unique(conv.samples.values)[-2])
    assert np.any(before.half_width.values > before.tolerance.values)
    assert conv.samples.values[0] == 1000 and res.attrs["precision_met"] == 1


def test_percentile_half_width_is_half_the_order_statistic_interval() -> None:
    y = np.arange(1000.0)  # the k-th order statistic is k - 1
    est, hw = half_width("p05", y)
    # Bin(1000, 0.05): ranks r = 37, s = 65 (order_ranks), so X_(37) = 36 and X_(65) = 64
    assert order_ranks(1000, 0.05) == (37, 65)
    assert (est, hw) == (np.quantile(y, 0.05), (64 - 36) / 2)


@pytest.mark.parametrize("method", ["lhs", "sobol"])
def test_replicated_designs_grow_by_whole_replicates(study, method: str) -> None:
    prec = parse_precision("p_loss:0.004")
    res, conv = simulate_to_precision(maas, study.priors, prec, "profit_per_day", samples=1000, method=method, rng=7)
    m = res.attrs["replicate_samples"]
    assert m == (250 if method == "lhs" else 256)
    n = res.sizes["sample"]
    assert n % m == 0 and n // m >= MIN_REPLICATES
    rep = res.replicate.values
    np.testing.assert_array_equal(rep, np.repeat(np.arange(n // m), m))
    # replicate 0 is the study's own design of m samples at its seed: an exact hypercube or a
    # balanced Sobol' design (no warning: pytest turns warnings into errors)
    first = sample(study.priors, m, method=method, rng=7).gpu_hour_price.values
    np.testing.assert_array_equal(res.gpu_hour_price.values[:m], first)
    if method == "lhs":
        strata = np.sort(np.floor((first - 2) / 12 * m))
        np.testing.assert_array_equal(strata, np.arange(m))
    # the replicate interval, recomputed: t(R-1) sd(replicate P(loss)) / sqrt(R)
    y = res.profit_per_day.values
    per = np.array([np.mean(y[rep == r] < 0) for r in range(n // m)])
    hw = st.t.ppf(0.975, per.size - 1) * per.std(ddof=1) / math.sqrt(per.size)
    assert float(conv.half_width.values[-1]) == pytest.approx(hw, rel=1e-12) and hw <= 0.004
    assert float(conv.estimate.values[-1]) == np.mean(y < 0)


def test_the_cap_stops_the_run_with_a_warning(study) -> None:
    prec = parse_precision("p_loss:0.0001")
    with pytest.warns(MCRiskWarning, match=r"^precision not reached at 3,000 samples \(max_samples = 3,000\): "
                                           r"p_below_zero \+-0\.0\d+ \(tolerance 0\.0001\)$"):
        res, conv = simulate_to_precision(maas, study.priors, prec, "profit_per_day", samples=1000, max_samples=3000,
                                          rng=7)
    assert res.sizes["sample"] == 3000 and res.attrs["precision_met"] == 0
    # a cap that is not a whole number of replicates: the run stops at the last whole one
    with pytest.warns(MCRiskWarning, match=r"^precision not reached at 1,000 samples \(max_samples = 1,100\): "):
        res, _ = simulate_to_precision(maas, study.priors, parse_precision("mean:0.0001%"), "profit_per_day",
                                       samples=1000, max_samples=1100, method="lhs", rng=7)
    assert res.sizes["sample"] == 1000
    with pytest.raises(SpecError, match=r"^max_samples = 500 must be at least samples = 1,000$"):
        simulate_to_precision(maas, study.priors, prec, "profit_per_day", samples=1000, max_samples=500)


def test_cli_precision_writes_convergence_and_every_sample(tmp_path: Path, capsys, monkeypatch) -> None:
    import mcrisk.report.document

    plan = mcrisk.report.document.figure_plan  # only the chart this test is about: drawing is the slow part
    monkeypatch.setattr(mcrisk.report.document, "figure_plan",
                        lambda run, notes=None: [f for f in plan(run, notes) if f[0] == "convergence_quantiles"])
    out = tmp_path / "run"
    path = GOOD / "study_uniform_price.toml"
    assert main(["run", str(path), "--precision", "p_loss:0.01", "--out", str(out), "--quiet", "--formats", "png"]) == 0
    conv = pd.read_csv(out / "convergence.csv")
    assert tuple(conv.columns) == ("output", "statistic", "estimate", "half_width", "tolerance", "samples")
    with xr.open_dataset(out / "results.nc") as res:
        assert res.sizes["sample"] == conv.samples.iloc[-1]
    assert (out / "figures" / "convergence_quantiles.png").is_file()
    n = conv.samples.iloc[-1]
    assert f"Precision (met) at {n:,} samples; independent Latin hypercube replicates" in (out / "report.md").read_text()
    assert "precision met at " in capsys.readouterr().out
    bad = tmp_path / "bad"
    assert main(["run", str(path), "--precision", "p_lss:0.01", "--out", str(bad)]) == 2
    assert capsys.readouterr().err == ("error: --precision = 'p_lss:0.01': p_lss is not a statistic; allowed: p_loss, "
                                       "p_below_zero, mean, p05, p10, p25, p50, p75, p90, p95\n")
    assert main(["run", str(path), "--max-samples", "100", "--out", str(bad)]) == 2
    assert capsys.readouterr().err == ("error: --max-samples = 100 needs a precision (--precision or precision = in "
                                       "the study)\n")
    assert not bad.exists()


def test_a_study_precision_key(tmp_path: Path) -> None:
    text = (GOOD / "study_uniform_price.toml").read_text().replace('priors = ["maas_point.toml"]',
                                                                   f'priors = ["{GOOD / "maas_point.toml"}"]')
    path = tmp_path / "s.toml"
    path.write_text(text.replace('output = "profit_per_day"', 'output = "profit_per_day"\nprecision = "mean:2%"'))
    run = run_study(path, write=False, samples=500)
    assert run.tables["convergence"].attrs["precision_met"] == 1
    assert run.results.sizes["sample"] >= 500
