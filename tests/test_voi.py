"""Value of information: EVPI and regression EVPPI against closed forms; the study tables and their errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st
import xarray as xr

from mcrisk.core.events import LOSS
from mcrisk.cli.main import main
from mcrisk.spec.discovery_tables import check_scenarios, check_voi
from mcrisk.spec.tables import ScenariosTable, VoiTable
from mcrisk.core.errors import SpecError
from mcrisk.analyze.voi import evppi, voi_frame

GOOD = Path(__file__).parent / "data" / "good"


def _results(x: np.ndarray, y: np.ndarray) -> xr.Dataset:
    ds = xr.Dataset({f"x{i + 1}": ("sample", x[:, i], {"role": "input", "units": "1"}) for i in range(x.shape[1])})
    ds["profit_per_day"] = ("sample", y, {"role": "output", "units": "USD/day"})
    ds.attrs["output"] = "profit_per_day"
    return ds


def _gain(m: float, s: float) -> float:
    # E[max(X, 0)] - max(m, 0) for X ~ N(m, s)
    return s * st.norm.pdf(m / s) - abs(m) * st.norm.cdf(-abs(m) / s)


@pytest.fixture(scope="module")
def linear() -> xr.Dataset:
    # profit = x1 + x2, x1 ~ N(0.3, 1), x2 ~ N(-0.5, 0.7); x3 does not enter the model
    rng = np.random.default_rng(2026)
    n = 10_000
    x = np.column_stack([rng.normal(0.3, 1.0, n), rng.normal(-0.5, 0.7, n), rng.random(n)])
    return evppi(_results(x, x[:, 0] + x[:, 1]), groups=[["x1", "x2"]], rng=1)


def test_linear_normal_evppi_matches_its_closed_form(linear: xr.Dataset) -> None:
    # EVPPI(x1) = E[max(x1 + m2, 0)] - max(m1 + m2, 0): x1 + m2 ~ N(-0.2, 1); likewise x2 with
    # N(-0.2, 0.7); the pair and EVPI with N(-0.2, hypot(1, 0.7)). Within 3 bootstrap SE (the
    # tolerance the specification sets).
    want = {"x1": _gain(-0.2, 1.0), "x2": _gain(-0.2, 0.7), "x1+x2": _gain(-0.2, np.hypot(1.0, 0.7)),
            "all": _gain(-0.2, np.hypot(1.0, 0.7))}
    for k, v in want.items():
        got = linear.sel(inputs=k)
        assert abs(float(got.evppi) - v) <= 3 * float(got.se), (k, float(got.evppi), v, float(got.se))
    assert linear.attrs["evpi"] == float(linear.evppi.sel(inputs="all"))


def test_an_input_outside_the_model_is_worth_nothing(linear: xr.Dataset) -> None:
    null = linear.sel(inputs="x3")
    assert abs(float(null.evppi)) <= float(null.se)


def test_with_one_input_evppi_is_evpi() -> None:
    # profit = exp(x) - 1.7, x ~ U(0, 1): knowing x is knowing everything
    x = np.random.default_rng(5).random((4000, 1))
    v = evppi(_results(x, np.exp(x[:, 0]) - 1.7))
    evpi, one = float(v.evppi.sel(inputs="all")), v.sel(inputs="x1")
    # closed form: E[max(0, e^x - 1.7)] = (e - 1.7) - 1.7 (1 - ln 1.7), E[profit] = e - 2.7 > 0;
    # within 4 bootstrap SE of EVPI
    exact = (np.e - 1.7) - 1.7 * (1 - np.log(1.7)) - (np.e - 2.7)
    assert abs(evpi - exact) <= 4 * float(v.se.sel(inputs="all"))
    assert abs(float(one.evppi) - evpi) <= 1e-3 * evpi


def test_a_list_of_options_picks_the_best_expected() -> None:
    # options a = x1 and b = 0.5 - x1 (x1 ~ U(0, 1)): E = 0.5 and 0; knowing x1 picks a when
    # x1 > 0.25, so EVPPI = EVPI = E[max(x1, 0.5 - x1)] - 0.5 = 0.0625 (LHS-free, MC error)
    x = np.random.default_rng(9).random((4000, 1))
    ds = _results(x, x[:, 0])
    ds["other"] = ("sample", 0.5 - x[:, 0], {"role": "output", "units": "USD/day"})
    v = evppi(ds, decision=["profit_per_day", "other"])
    assert v.attrs["best_option"] == "profit_per_day"
    assert abs(float(v.evppi.sel(inputs="all")) - 0.0625) <= 4 * float(v.se.sel(inputs="all"))


def test_voi_csv_ranks_rows_and_ends_with_all(linear: xr.Dataset) -> None:
    df = voi_frame(linear)
    assert list(df.columns) == ["inputs", "evppi", "se", "noise", "units"]
    assert list(df.inputs) == ["x1+x2", "x1", "x2", "x3", "all"]


# ---- the study tables --------------------------------------------------------------------------

FIELDS = {"output": "profit_per_day", "outputs": ("profit_per_day", "cost_per_day"), "uncertain": ("a", "b")}


@pytest.mark.parametrize(("table", "message"), [
    ({"groups": [["a", "nope"]]}, "s.toml: [value_of_information] groups: 'nope' is not an uncertain input of the "
                                  "study; uncertain inputs: a, b"),
    ({"decision": ["profit_per_day", "revenue"]}, "s.toml: [value_of_information] decision = 'revenue' is not an "
                                                  "output of the model; outputs: profit_per_day, cost_per_day"),
    ({"decision": "maybe"}, "s.toml: [value_of_information] decision = 'maybe' must be \"go\""),
    ({"resamples": 5}, "s.toml: [value_of_information] resamples = 5 must be an integer from 10 to 2,000"),
    ({"colour": 1}, "s.toml: [value_of_information] colour = 1 is not a key; allowed: output, decision, groups"),
], ids=["group-input", "decision-output", "decision-word", "resamples", "key"])
def test_voi_table_errors(table: dict, message: str) -> None:
    with pytest.raises(SpecError) as err:
        check_voi(table, "s.toml", FIELDS)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(("table", "message"), [
    ({"event": "= 0"}, ("s.toml: [scenarios] event = '= 0' must be \"< x\", \"> x\", \"OUTPUT < x\" or "
                        "\"OUTPUT > x\" (also <=, >=) with a finite number x (\"< 0\": a loss)")),
    ({"output": "profit_per_day", "event": "cost_per_day > 1e5"},
     "s.toml: [scenarios] event = 'cost_per_day > 1e5' is of cost_per_day, but output = profit_per_day; name one output"),
    ({"threshold_density": 1.5}, "s.toml: [scenarios] threshold_density = 1.5 must be a share from 0 to 1"),
    ({"output": "margin"}, "s.toml: [scenarios] output = 'margin' is not an output of the model"),
    ({"max_boxes": 0}, "s.toml: [scenarios] max_boxes = 0 must be an integer from 1 to 20"),
    ({"mass_min": 0}, "s.toml: [scenarios] mass_min = 0 must be a share above 0 and at most 0.5"),
], ids=["event", "event-output", "density", "output", "boxes", "mass"])
def test_scenarios_table_errors(table: dict, message: str) -> None:
    with pytest.raises(SpecError) as err:
        check_scenarios(table, "s.toml", FIELDS)
    assert str(err.value).startswith(message)


def test_table_defaults() -> None:
    assert check_scenarios({}, "s.toml", FIELDS) == ScenariosTable(
        output="profit_per_day", event=LOSS, operator="<", threshold=0.0, threshold_density=0.8,
        threshold_coverage=0.0, max_boxes=3, mass_min=0.05)
    assert check_voi({}, "s.toml", FIELDS) == VoiTable(
        output="profit_per_day", decision="go", groups=(), resamples=50, seed=None)


def test_cli_bad_group_is_one_line_and_status_2(tmp_path: Path, capsys) -> None:
    study = tmp_path / "s.toml"
    study.write_text((GOOD / "study_uniform_price.toml").read_text().replace(
        'priors = ["maas_point.toml"]', f'priors = ["{GOOD / "maas_point.toml"}"]')
        + '\n[value_of_information]\ngroups = [["gpu_hour_price", "decode"]]\n')
    assert main(["voi", str(study), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: {study}: [value_of_information] groups: 'decode' is not an uncertain input of the "
                   "study; uncertain inputs: gpu_hour_price\n")
    assert not (tmp_path / "out").exists()


def test_correlated_inputs_condition_on_what_they_tell() -> None:
    # x2 = 0.8 x1 + 0.6 z (x1, z standard normal, so corr = 0.8), profit = x2 - 0.2: knowing x1
    # gives E[profit | x1] = 0.8 x1 - 0.2 ~ N(-0.2, 0.8), knowing x2 is knowing everything.
    rng = np.random.default_rng(77)
    x1, z = rng.standard_normal((2, 10_000))
    x = np.column_stack([x1, 0.8 * x1 + 0.6 * z])
    v = evppi(_results(x, x[:, 1] - 0.2), rng=3)
    for k, s in (("x1", 0.8), ("x2", 1.0), ("all", 1.0)):
        got = v.sel(inputs=k)
        assert abs(float(got.evppi) - _gain(-0.2, s)) <= 4 * float(got.se), (k, float(got.evppi), float(got.se))


def test_evppi_chart_is_titled_with_the_top_input(linear: xr.Dataset) -> None:
    from mcrisk.report.plot import plot_evppi, title_of

    ax = plot_evppi(linear)
    assert title_of(ax) == ("Knowing x1 and x2 is worth 0.395 USD/day (EVPI, knowing everything: 0.395 USD/day)")
    bars = [p for p in ax.patches if p.get_gid() == "evppi"]
    # top to bottom: barh draws the first row at the top position
    assert [round(b.get_width(), 6) for b in sorted(bars, key=lambda b: -b.get_y())] == [round(float(linear.evppi.sel(inputs=k)), 6)
                                                        for k in ("x1+x2", "x1", "x2", "x3")]
    ax.figure.clf()


def test_the_table_checker_imports_nothing_heavy() -> None:
    # studyfile imports it for `mcrisk check`, which must not load numpy or scipy
    import ast
    import subprocess
    import sys

    import mcrisk.spec.discovery_tables as mod

    tree = ast.parse(Path(mod.__file__).read_text(encoding="utf-8"))
    names = {(n.module or "") if isinstance(n, ast.ImportFrom) else a.name
             for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)
             for a in (n.names if isinstance(n, ast.Import) else [None])}
    assert names == {"__future__", "collections.abc", "typing", "mcrisk.core.errors", "mcrisk.core.domains",
                     "mcrisk.core.events", "mcrisk.core.validate", "mcrisk.spec.tables", "mcrisk.spec.voi_tables"}
    # and what those import in turn (the studies' and lever's checks too): no numpy, scipy or xarray
    code = "import sys, mcrisk.spec.discovery_tables; print(sorted({'numpy', 'scipy', 'xarray'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_large_run_feeds_one_in_k_samples_and_says_so(monkeypatch) -> None:
    import mcrisk.analyze.discovery_run as ds_mod
    from mcrisk.simulation.engine import simulate
    from mcrisk.spec.studyfile import load_study

    study = load_study(GOOD / "study_uniform_price.toml", samples=400)
    res = simulate(study.model, study.priors, 400, method="lhs", rng=1)
    fields = {"output": "profit_per_day", "outputs": (), "uncertain": ("gpu_hour_price",)}
    from dataclasses import replace

    study = replace(study, value_of_information=check_voi({}, "s.toml", fields))
    monkeypatch.setattr(ds_mod, "DISCOVERY_SAMPLES", 100)
    v = ds_mod.run_voi(study, res)
    assert v.attrs["samples"] == 100
    assert v.attrs["subsample"] == "1 in 4 of the run's 400 samples (100 samples)"
    assert ds_mod.report_sections({"value_of_information": v})["voi"][0].endswith("(100 samples))")


def _sklearn_basis(x: np.ndarray, knots: int) -> np.ndarray:
    """The basis as mcrisk 0.2 built it, with scikit-learn (the oracle; in the test extra)."""
    sk = pytest.importorskip("sklearn.preprocessing", reason="the oracle, scikit-learn, is not installed")
    q = np.unique(np.quantile(x, np.linspace(0.0, 1.0, knots)))
    if q.size < 4:
        return (x[:, None] == np.unique(x)[None, 1:]).astype(float)
    st_ = sk.SplineTransformer(knots=q[:, None], degree=3, extrapolation="linear", include_bias=False)
    return st_.fit_transform(x[:, None])


@pytest.mark.parametrize("knots", [4, 6, 12])
def test_the_spline_basis_is_scikit_learn_s(knots: int) -> None:
    # the same B-splines on the same knots, evaluated by the same de Boor recursion in scipy:
    # equal to rounding (1e-13 on values of order 1), on skewed, uniform and tied inputs
    from mcrisk.analyze.voi_regression import _basis

    rng = np.random.default_rng(7)
    for x in (rng.lognormal(0, 1, 3000), rng.random(3000), np.round(rng.random(3000), 2)):
        np.testing.assert_allclose(_basis(x, knots), _sklearn_basis(x, knots), rtol=0, atol=1e-13)


def test_evppi_with_the_scipy_basis_is_the_scikit_learn_one(monkeypatch) -> None:
    # EVPPI, its bootstrap SE and the noise column, on one input, a group (tensor products) and
    # two options, computed with each basis on the same samples and seeds: equal to 1e-10 of EVPI
    from mcrisk.analyze import voi_regression

    rng = np.random.default_rng(11)
    n = 4000
    x = np.column_stack([rng.normal(0.3, 1.0, n), rng.lognormal(0.0, 0.5, n), rng.random(n)])
    ds = _results(x, x[:, 0] - 0.5 * x[:, 1] ** 2 + 0.2 * x[:, 2])
    ds["other"] = ("sample", 0.5 * x[:, 0] * x[:, 2] - 0.1, {"role": "output", "units": "USD/day"})

    def both(**kw) -> tuple[xr.Dataset, xr.Dataset]:
        ours = evppi(ds, rng=3, resamples=20, **kw)
        with monkeypatch.context() as m:
            m.setattr(voi_regression, "_basis", _sklearn_basis)
            ref = evppi(ds, rng=3, resamples=20, **kw)
        return ours, ref

    for kw in ({"groups": [["x1", "x2"]]}, {"decision": ["profit_per_day", "other"]}):
        ours, ref = both(**kw)
        scale = float(ref.attrs["evpi"])
        assert scale > 0.01
        for name in ref.data_vars:
            np.testing.assert_allclose(ours[name].values, ref[name].values, rtol=0, atol=1e-10 * scale,
                                       err_msg=name)
