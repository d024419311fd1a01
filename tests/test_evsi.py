"""EVSI, ENBS and EVPI against a lever: closed forms at standard-error tolerances; the table's checks."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
import xarray as xr

import mcrisk
from mcrisk.analyze.evsi import best_sizes, evsi, evsi_frame
from mcrisk.analyze.voi import evppi
from mcrisk.analyze.voi_lever import evppi_lever, lever_frame
from mcrisk.core.errors import SpecError
from mcrisk.spec.discovery_tables import check_voi
from mcrisk.spec.priors import parse_prior

MU0, S0, E = -0.3, 1.0, 2.0
SIZES = [1, 2, 4, 8, 16, 64, 1024]


def _results(theta: np.ndarray, y: np.ndarray) -> xr.Dataset:
    return xr.Dataset({"x1": ("sample", theta, {"role": "input", "units": "1"}),
                       "profit_per_day": ("sample", y, {"role": "output", "units": "USD/day"})},
                      attrs={"output": "profit_per_day"})


def _gain(m: float, s: float) -> float:
    # E[max(X, 0)] - max(m, 0) for X ~ N(m, s^2): tau phi(m/tau) + m Phi(m/tau) - max(m, 0)
    return s * st.norm.pdf(m / s) + m * st.norm.cdf(m / s) - max(m, 0.0)


def _closed_form(n: int, mu0: float = MU0, s0: float = S0, e: float = E) -> float:
    # the preposterior mean E[theta | xbar] ~ N(mu0, tau^2), tau^2 = s0^2 n s0^2 / (n s0^2 + e^2)
    return _gain(mu0, np.sqrt(s0**2 * n * s0**2 / (n * s0**2 + e**2)))


@pytest.fixture(scope="module")
def normal() -> tuple[xr.Dataset, xr.Dataset]:
    # a normal-normal decision: go ahead if E[theta] > 0, theta ~ N(-0.3, 1), noise sd 2 per observation
    theta = np.random.default_rng(2026).normal(MU0, S0, 20_000)
    res = _results(theta, theta)
    study = {"name": "trial", "input": "x1", "sd": E, "n": SIZES, "cost_fixed": 0.05,
             "cost_per_observation": 0.02, "periods": 10}
    return res, evsi(res, [study], rng=3)


def test_evsi_of_a_normal_normal_decision_is_its_closed_form(normal) -> None:
    _, ds = normal
    for n, got, se in zip(SIZES, ds.evsi.values, ds.se.values, strict=True):
        # within 4 bootstrap standard errors of the closed form (the tolerance the project sets)
        assert abs(got - _closed_form(n)) <= 4 * se, (n, got, _closed_form(n), se)


def test_evsi_rises_to_the_evppi_as_the_study_grows(normal) -> None:
    res, ds = normal
    # common random numbers across sizes: the curve rises with n
    assert np.all(np.diff(ds.evsi.values) > 0)
    whole = evppi(res, rng=3).sel(inputs="x1")
    # at n = 1,024 the study is almost perfect: tau is within 0.2% of s0, so EVSI is within 0.3%
    # of EVPPI in the closed form; on the samples, within 4 SE of the EVPPI estimate
    assert _closed_form(1024) == pytest.approx(_gain(MU0, S0), rel=3e-3)
    assert abs(float(ds.evsi.values[-1]) - float(whole.evppi)) <= 4 * float(whole.se)
    assert float(ds.evsi.values[0]) < 0.3 * float(whole.evppi)  # one noisy observation teaches little


def test_enbs_is_periods_times_evsi_less_the_cost_and_the_best_size_maximises_it(normal) -> None:
    _, ds = normal
    n = np.array(SIZES)
    np.testing.assert_allclose(ds.enbs.values, 10 * ds.evsi.values - 0.05 - 0.02 * n, rtol=1e-12)
    best = best_sizes(ds)["trial"]
    assert best == SIZES[int(np.argmax(ds.enbs.values))] and bool(ds.best.sum() == 1)
    # the closed form's ENBS peaks at n = 16 among these sizes (1.90 against 1.76 at 8 and 1.22 at 64);
    # the estimate's best is a neighbour at least (its curve is within a few SE of the closed form's)
    exact = 10 * np.array([_closed_form(k) for k in SIZES]) - 0.05 - 0.02 * n
    assert SIZES[int(np.argmax(exact))] == 16 and best in (8, 16, 64)
    # the closed form's best size is no worse than the estimate's, so the estimate's ENBS gap to it is
    # noise: within 4 of its paired bootstrap SE (the same resamples at every size)
    top, at16 = SIZES.index(best), SIZES.index(16)
    assert float(ds.se_vs_best[top]) == 0.0
    assert best == 16 or float(ds.se_vs_best[at16]) > 0
    assert float(ds.enbs[top] - ds.enbs[at16]) <= 4 * float(ds.se_vs_best[at16])
    df = evsi_frame(ds)
    assert list(df.columns) == ["study", "input", "n", "evsi", "se", "enbs", "se_vs_best"] and list(df.n) == SIZES


def test_a_study_on_the_log_scale_is_the_normal_study_of_the_log() -> None:
    # theta = exp(u), u ~ N(0, 1); net benefit = u - 0.4: a log-scale study of theta with sd e is a
    # linear study of u; EVSI = the closed form with mu0 = -0.4
    u = np.random.default_rng(11).normal(0.0, 1.0, 20_000)
    ds = evsi(_results(np.exp(u), u - 0.4), [{"name": "s", "input": "x1", "sd": 1.5, "scale": "log", "n": [1, 4]}],
              rng=5)
    for n, got, se in zip([1, 4], ds.evsi.values, ds.se.values, strict=True):
        want = _closed_form(n, mu0=-0.4, e=1.5)
        assert abs(got - want) <= 4 * se, (n, got, want, se)  # 4 bootstrap SE


def test_a_study_that_never_pays_has_no_best_size(normal) -> None:
    res, _ = normal
    ds = evsi(res, [{"name": "dear", "input": "x1", "sd": E, "n": [1, 2], "cost_fixed": 100.0}], rng=3)
    assert best_sizes(ds) == {"dear": None} and not bool(ds.best.any())


def test_a_held_input_is_known_and_worth_nothing_to_study_or_to_know() -> None:
    # --set holds x1 at 0.2: it is known, so a study of it and its EVPPI are worth exactly 0
    gen = np.random.default_rng(5)
    x2 = gen.normal(0.0, 1.0, 2_000)
    res = xr.Dataset({"x1": ((), 0.2, {"role": "input", "units": "1"}),
                      "x2": ("sample", x2, {"role": "input", "units": "1"}),
                      "profit_per_day": ("sample", 0.2 + x2, {"role": "output", "units": "USD/day"})},
                     attrs={"output": "profit_per_day"})
    study = {"name": "trial", "input": "x1", "sd": 1.0, "n": [1, 10], "cost_fixed": 0.0,
             "cost_per_observation": 0.01, "periods": 1}
    ev = evsi(res, [study], rng=3)
    assert ev.evsi.values.tolist() == [0.0, 0.0] and ev.se.values.tolist() == [0.0, 0.0]
    assert ev.enbs.values.tolist() == [-0.01, -0.1]


def test_python_studies_are_checked_as_the_files_are(normal) -> None:
    res, _ = normal
    with pytest.raises(SpecError, match=r"^evsi: studies\[1\] sd = 0 must be a positive number"):
        evsi(res, [{"name": "s", "input": "x1", "sd": 0, "n": [1]}])
    with pytest.raises(SpecError, match=r"^evsi: studies\[1\] input = 'x9' is not an uncertain input"):
        evsi(res, [{"name": "s", "input": "x9", "sd": 1, "n": [1]}])
    neg = _results(np.linspace(-1, 1, 100), np.linspace(-1, 1, 100))
    with pytest.raises(SpecError, match="scale = \"log\" needs x1 positive in every sample"):
        evsi(neg, [{"name": "s", "input": "x1", "sd": 1, "scale": "log", "n": [1]}])


# ---- EVPI against a lever ------------------------------------------------------------------------


def _lever_model(x, w, p):
    # net benefit 2 p + x, x ~ N(-3, 1); w does not enter
    return {"y": 2.0 * p + x + 0.0 * w}


def test_evpi_against_a_lever_is_the_closed_form_at_every_value() -> None:
    priors = mcrisk.Priors({"x": parse_prior("x", {"dist": "normal", "mean": -3.0, "sd": 1.0}, file="t"),
                            "w": parse_prior("w", {"dist": "uniform", "low": 0, "high": 1}, file="t")})
    values = [0.5, 1.0, 1.5, 2.0, 2.5]
    ds = evppi_lever(_lever_model, priors, "p", values, 20_000, output="y", inputs=[["x"], ["w"]], rng=2, seed=1)
    assert list(ds.inputs.values) == ["x", "w", "all"]
    for i, v in enumerate(values):
        want = _gain(2 * v - 3, 1.0)  # E[max(2v + x, 0)] - max(2v - 3, 0)
        for k in ("all", "x"):  # knowing x is knowing everything
            got, se = float(ds.evppi.sel(inputs=k)[i]), float(ds.se.sel(inputs=k)[i])
            assert abs(got - want) <= 4 * se + 1e-12, (v, k, got, want, se)  # 4 bootstrap SE
        # w does not enter: its EVPPI is 0 within its standard error
        assert abs(float(ds.evppi.sel(inputs="w")[i])) <= float(ds.se.sel(inputs="w")[i]) + 1e-12
    assert float(ds.lever_value[int(np.argmax(ds.evppi.sel(inputs="all").values))]) == 1.5  # the break-even
    df = lever_frame(ds)
    assert list(df.columns) == ["lever_value", "inputs", "evppi", "se"] and len(df) == 15
    assert list(df.inputs[df.lever_value == 1.5]) == ["x", "w", "all"]


# ---- the table's checks ----------------------------------------------------------------------------

FIELDS = {"output": "profit_per_day", "outputs": ("profit_per_day",), "uncertain": ("a", "b"),
          "inputs": ("a", "b", "price"), "domains": {"price": (0.0, float("inf"))}}
STUDY = {"name": "bench", "input": "a", "sd": 0.2, "n": [1, 2]}
AT = "s.toml: [value_of_information]"


@pytest.mark.parametrize(("table", "message"), [
    ({"studies": [{**STUDY, "input": "c"}]},
     f"{AT} studies[1] input = 'c' is not an uncertain input of the study; uncertain inputs: a, b"),
    ({"studies": [{**STUDY, "sd": -1}]}, f"{AT} studies[1] sd = -1 must be a positive number"),
    ({"studies": [{**STUDY, "n": [2, 2]}]}, f"{AT} studies[1] n = [2, 2] repeats a size; give each once"),
    ({"studies": [{**STUDY, "n": [0]}]}, f"{AT} studies[1] n = 0 must be an integer from 1 to 1,000,000"),
    ({"studies": [{**STUDY, "n": 4}]}, f"{AT} studies[1] n = 4 must be a list of study sizes"),
    ({"studies": [{**STUDY, "scale": "ln"}]}, f"{AT} studies[1] scale = 'ln' is not a scale; allowed: linear"),
    ({"studies": [{**STUDY, "cost_fixed": -5}]}, f"{AT} studies[1] cost_fixed = -5 must be a number of at least 0"),
    ({"studies": [{**STUDY, "periods": 0}]}, f"{AT} studies[1] periods = 0 must be a positive number of periods"),
    ({"studies": [{"name": "x", "input": "a", "n": [1]}]}, f"{AT} studies[1] sd is missing"),
    ({"studies": [{**STUDY, "colour": 1}]}, f"{AT} studies[1] colour = 1 is not a key"),
    ({"studies": [STUDY, STUDY]}, f"{AT} studies: name = 'bench' is given twice"),
    ({"studies": {"name": "x"}}, f"{AT} studies = "),
    ({"lever": "nope", "values": [1, 2]}, f"{AT} lever = 'nope' is not an input of the model; inputs: a, b, price"),
    ({"lever": "price", "values": [1]}, f"{AT} values = [1] must be a list of at least 2 numbers"),
    ({"lever": "price", "values": [-1, 2]}, f"{AT} values: value -1 lies outside the domain of price, [0, inf)"),
    ({"lever": "price", "low": 1, "high": 2}, f"{AT} num is missing"),
    ({"values": [1, 2]}, f"{AT} values needs lever = \"...\""),
    ({"lever": "price", "values": [1, 2], "lever_inputs": ["c"]}, f"{AT} lever_inputs: 'c' is not an uncertain input"),
    ({"lever": "a", "values": [1, 2], "lever_inputs": ["a"]}, f"{AT} lever_inputs: 'a' is the lever"),
    ({"lever": "price", "values": [1, 2], "lever_inputs": ["a", ["a"]]}, f"{AT} lever_inputs: ['a'] is given twice"),
    # a group of one would give the input's EVPPI a second row of the same name
    ({"groups": [["a"]]}, f"{AT} groups: ['a'] is one input, whose EVPPI is given alone already; a group is two "
                          "or more inputs"),
    ({"groups": [["a", "b"], ["b", "a"]]}, f"{AT} groups = [['a', 'b'], ['b', 'a']] gives a group twice"),
], ids=["input", "sd", "n-repeat", "n-zero", "n-list", "scale", "cost", "periods", "missing", "key", "names",
        "not-list", "lever", "values", "domain", "range", "no-lever", "lever-input", "lever-is-input", "lever-input-twice", "group-of-one",
        "group-twice"])
def test_studies_and_lever_errors_are_one_line(table: dict, message: str) -> None:
    with pytest.raises(SpecError) as err:
        check_voi(table, "s.toml", FIELDS)
    assert str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)


def test_a_table_with_studies_and_a_lever_is_read() -> None:
    t = check_voi({"studies": [{**STUDY, "scale": "log", "cost_per_observation": 3, "periods": 12}],
                   "lever": "price", "low": 1, "high": 3, "num": 3, "lever_inputs": ["a", ["a", "b"]]}, "s.toml", FIELDS)
    s = t.studies[0]
    assert (s.name, s.input, s.sd, s.n, s.scale, s.cost_fixed, s.cost_per_observation, s.periods) == (
        "bench", "a", 0.2, (1, 2), "log", 0.0, 3.0, 12.0)
    assert t.lever == "price" and t.lever_values == (1.0, 2.0, 3.0) and t.lever_inputs == (("a",), ("a", "b"))


# ---- the charts ------------------------------------------------------------------------------------


def test_the_evsi_chart_draws_enbs_evsi_and_stars_the_best_size(normal) -> None:
    from mcrisk.report.plot import plot_evsi, title_of

    _, ds = normal
    ax = plot_evsi(ds)
    line = next(x for x in ax.lines if x.get_gid() == "enbs")
    np.testing.assert_array_equal(line.get_xdata(), SIZES)
    np.testing.assert_array_equal(line.get_ydata(), ds.enbs.values)
    star = next(x for x in ax.lines if x.get_gid() == "best_n")
    assert list(star.get_xdata()) == [best_sizes(ds)["trial"]]
    evsi_line = next(x for a in ax.figure.axes for x in a.lines if x.get_gid() == "evsi")
    np.testing.assert_array_equal(evsi_line.get_ydata(), ds.evsi.values)
    assert ax.get_xscale() == "log" and title_of(ax).startswith("Trial of x1: best n = ")
    ax.figure.clf()


def test_the_lever_chart_marks_where_knowledge_is_worth_most() -> None:
    from mcrisk.report.plot import plot_voi_lever, title_of

    priors = mcrisk.Priors({"x": parse_prior("x", {"dist": "normal", "mean": -3.0, "sd": 1.0}, file="t"),
                            "w": parse_prior("w", {"dist": "uniform", "low": 0, "high": 1}, file="t")})
    ds = evppi_lever(_lever_model, priors, "p", [1.0, 1.5, 2.0], 2_000, output="y", inputs=[["x"]], rng=2, seed=1)
    ax = plot_voi_lever(ds)
    evpi = next(x for x in ax.lines if x.get_gid() == "lever_all")
    np.testing.assert_array_equal(evpi.get_ydata(), ds.evppi.sel(inputs="all").values)
    peak = next(x for x in ax.lines if x.get_gid() == "lever_peak")
    assert list(peak.get_xdata()) == [1.5, 1.5]  # the break-even, 2 p - 3 = 0
    assert title_of(ax).startswith("Knowledge is worth most at p = 1.5")
    ax.figure.clf()
