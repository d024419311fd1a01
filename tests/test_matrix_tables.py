"""The combination matrix, continued: every model form x every design x every decision and discovery table.

The model forms are :data:`test_matrix.FORMS`. Each cell is a small study in a temporary folder
run in this process by :func:`mcrisk.run_study` (64 samples; nothing written): its design draws
what the design promises, and its ``[sweep]``, ``[solve]``, ``[scenarios]``,
``[value_of_information]`` and ``[tornado]`` give the closed forms below. ``[inputs]`` makes
each study's output straddle 0 at the middle of its lever's range, so that the loss event
``< 0`` is a real decision (the value of information is zero when the decision is sure):

- ``maas``/``maas_hourly``: profit moves by ``output_tokens / 10^6 = 168,000`` USD/day per USD
  of ``price_output``, the same in every sample (nothing else depends on the price), and the
  rent of a GPU-hour is where revenue at a price of 2 USD/M pays the fleet (8.38 and 11.15
  USD/GPU-hour; the hourly model's elastic fleet charges fewer GPU-hours than the peak-sized one);
- the chain: profit moves by ``-GPU-hours a day / (depreciation_years x 8,760)`` per USD of
  ``server_price_per_gpu`` (a GPU-hour costs the server over its hours plus the power), and a
  half-year depreciation puts the break-even at a server price of about 51,000 USD;
- the file models: ``y = 10 a + b`` with ``b`` uniform on [-6, -5]: the break-even is ``a = 0.55``.

:data:`test_matrix_cli` runs the commands and run options that take a study on each form;
:data:`REFUSED` (there) lists every refused cell with its one-line message.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st
from conftest import bonferroni_z, quantile_se
from test_matrix import _FILE, FORMS

from mcrisk import run_study


SAMPLES = 64
#: One year of hours, and the chain's depreciation (years) at which a server of about 51,000 USD breaks even (a
#: short life, but within the factor 10 of the published 3-4 years that the plausibility check allows).
HOURS, YEARS = 8760, 0.5
#: model form -> (the lever, its low and high, the [inputs] that put the break-even mid-range)
DECIDE = {
    "maas": ("price_output", 1.0, 3.0, 'gpu_hour_price = { dist = "uniform", low = 8.28, high = 8.48 }'),
    "maas_hourly": ("price_output", 1.0, 3.0, 'gpu_hour_price = { dist = "uniform", low = 11.05, high = 11.25 }'),
    "chain": ("server_price_per_gpu", 41000.0, 61000.0, f"depreciation_years = {YEARS}\n"
              'server_price_per_gpu = { dist = "uniform", low = 41000, high = 61000 }'),
    "maas_curve": ("price_output", 1.0, 3.0, 'gpu_hour_price = { dist = "uniform", low = 8.28, high = 8.48 }'),
    # the capped fleet's cost, 800 x 8 x 24 x g, meets the revenue at price_output 2 (486,500 USD/day) at g = 3.17
    "hourly_curve": ("price_output", 1.0, 3.0, 'gpu_hour_price = { dist = "uniform", low = 3.12, high = 3.22 }'),
    "chain_curve": ("server_price_per_gpu", 41000.0, 61000.0, f"depreciation_years = {YEARS}\n"
                    'server_price_per_gpu = { dist = "uniform", low = 41000, high = 61000 }'),
    "plain_file": ("a", 0.0, 1.0, 'b = { dist = "uniform", low = -6, high = -5 }'),
    "decorated_file": ("a", 0.0, 1.0, 'b = { dist = "uniform", low = -6, high = -5 }'),
}
DESIGNS = ("random", "lhs", "sobol")


def tables_text(form: str) -> str:
    """Every decision and discovery table on the form's lever and its loss event ``< 0``."""
    lever, low, high, _ = DECIDE[form]
    out = FORMS[form][2]
    return (f'[sweep]\nlever = "{lever}"\nvalues = [{low}, {(low + high) / 2}, {high}]\n'
            f'[solve]\nlever = "{lever}"\ntarget = "P({out} < 0) <= 0.5"\nlow = {low}\nhigh = {high}\n'
            '[scenarios]\nevent = "< 0"\n[value_of_information]\nresamples = 10\n[tornado]\n')


def write_study(folder: Path, form: str, *, design: str = "random", tables: str = "", shift: bool = True,
                name: str = "s", top: str = "", inputs: str = "") -> Path:
    """A study of the form in ``folder`` (with ``m.py`` and ``p.toml``): ``top`` goes before the
    tables, ``inputs`` into ``[inputs]`` after the break-even shift (unless ``shift`` is False)."""
    model, priors, out, options, *_ = FORMS[form]
    (folder / "m.py").write_text(_FILE)
    (folder / "p.toml").write_text(priors)
    # an input given in ``inputs`` replaces the break-even shift's line for it
    named = {line.split("=")[0].strip() for line in inputs.splitlines()}
    shifted = [line for line in (DECIDE[form][3] if shift else "").splitlines() if line.split("=")[0].strip() not in named]
    given = "\n".join(x for x in (*shifted, inputs) if x)
    path = folder / f"{name}.toml"
    path.write_text(f'model = {model}\npriors = ["p.toml"]\nsamples = {SAMPLES}\nseed = 7\nmethod = "{design}"\n'
                    f'output = "{out}"\n{top}' + (f"[inputs]\n{given}\n" if given else "") + tables + options)
    return path


def slope(form: str, results) -> float:
    """How far the output moves per unit of the lever, in every sample alike (the module notes)."""
    if form in ("maas", "maas_hourly", "maas_curve", "hourly_curve"):
        return 168e9 / 1e6
    if form in ("chain", "chain_curve"):
        gpu_hours = (results["cost_per_day"] / results["gpu_hour_price"]).values
        assert np.ptp(gpu_hours) < 1e-9 * gpu_hours[0]  # the fleet is the same in every sample
        return -gpu_hours[0] / (YEARS * HOURS)
    return 10.0


def _strata(run, design: str) -> None:
    """lhs and sobol: each uncertain input has one draw in each of the n equal-probability strata
    (a scrambled Sobol' net's one-dimensional projections are stratified too); random: not (a
    random draw is a permutation of the strata with probability 64!/64^64 < 1e-26)."""
    priors = run.study.priors
    for name in priors.uncertain:
        p = priors[name]
        u = p.dist.cdf(run.results[name].values / p.scale)
        strata = np.sort(np.floor(u * SAMPLES).astype(int))
        assert np.array_equal(strata, np.arange(SAMPLES)) == (design != "random"), (name, strata)


def _sweep(form: str, run, b: float | None = None) -> None:
    """Each sample moves by slope x the lever's change; for the file models, the quantiles of
    ``10 a + b`` at each ``a`` are the closed form (``b`` uniform on [-6, -5], or held at ``b``)."""
    lever, low, high, _ = DECIDE[form]
    sw = run.tables["sweep"]
    y = sw.results[sw.output]
    moved = (y.sel({lever: high}) - y.sel({lever: low})).values
    # every sample moves by exactly slope x (high - low): the lever is held, the rest drawn once
    np.testing.assert_allclose(moved, slope(form, run.results) * (high - low), rtol=1e-9)
    if not form.endswith("_file"):
        return
    q = np.array([0.05, 0.5, 0.95])
    # y = 10 a + b, b ~ U(-6, -5): P5, P50, P95 are 10 a - 6 + q, within random sampling's SE
    # (larger than lhs/sobol's); with b held, all three are 10 a + b
    expected, tol = ((-6 + q, bonferroni_z(9) * quantile_se(st.uniform(-6, 1), q, SAMPLES)) if b is None
                     else (np.full(3, b), 1e-12))
    for v in sw.summary[lever].values:
        got = sw.summary[["p05", "p50", "p95"]].sel({lever: v, "output": "y"}).to_array().values
        assert np.all(np.abs(got - (10 * v + expected)) <= tol), (v, got)


def _solve(form: str, run) -> None:
    """P(out < 0) <= 0.5 on 64 samples holds once at most 32 samples lose: the answer lies between
    the lever values at which the 32nd and the 33rd smallest sample of the low end reach 0."""
    lever, low, _high, _ = DECIDE[form]
    sol, sw = run.tables["solve"], run.tables["sweep"]
    at_low = np.sort(sw.results[sw.output].sel({lever: low}).values)
    k = slope(form, run.results)
    crossings = sorted(low - at_low[i] / k for i in (SAMPLES // 2 - 1, SAMPLES // 2))
    assert crossings[0] - sol.tolerance <= sol.value <= crossings[1] + sol.tolerance, (sol, crossings)
    assert sol.ci_low <= sol.value <= sol.ci_high
    if form.endswith("_file"):
        # the closed form, 10 a - 5.5 = 0, to the bisection's tolerance (the interval is a point when b is held)
        assert sol.ci_low - sol.tolerance <= 0.55 <= sol.ci_high + sol.tolerance


def _discovery(form: str, run) -> None:
    driver = DECIDE[form][0]
    box = run.tables["scenarios"].isel(box=0)
    assert bool(box.restricted.sel(input=driver)), box  # the loss lives where the driver is bad
    voi = run.tables["value_of_information"]
    single = voi.evppi.sel(inputs=[i for i in voi.inputs.values if i in run.study.priors.uncertain])
    assert single.inputs.values[int(np.argmax(single.values))] == driver and float(single.max()) > 0, voi
    t = run.tables["tornado"]
    assert t.input.values[int(np.argmax(t.swing.values))] == driver
    p = run.study.priors[driver]
    span = np.diff(p.dist.ppf([t.attrs["low"], t.attrs["high"]]))[0] * p.scale
    np.testing.assert_allclose(float(t.swing.sel(input=driver)), abs(slope(form, run.results)) * span, rtol=1e-9)


@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("form", list(FORMS))
def test_every_table_on_every_form_and_design(tmp_path, form, design):
    run = run_study(write_study(tmp_path, form, design=design, tables=tables_text(form)), write=False)
    assert run.results.attrs["method"] == design and run.results.sizes["sample"] == SAMPLES
    _strata(run, design)
    _sweep(form, run)
    _solve(form, run)
    _discovery(form, run)


@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("form", list(FORMS))
def test_precision_on_every_form_and_design(tmp_path, form, design):
    # the forms' own priors (no break-even shift): a relative tolerance needs a mean far from 0
    path = write_study(tmp_path, form, design=design, shift=False, top='precision = "mean:2%"\n')
    run = run_study(path, write=False)
    conv, out = run.tables["convergence"], FORMS[form][2]
    last = conv.isel(row=-1)
    assert conv.attrs["precision_met"] == 1 and float(last.half_width) <= float(last.tolerance)
    assert int(last.samples) == run.results.sizes["sample"] and run.results.attrs["method"] == design
    assert float(last.estimate) == pytest.approx(float(run.summary["mean"].sel(output=out)), rel=1e-12)
    assert float(last.tolerance) == pytest.approx(0.02 * abs(float(last.estimate)), rel=1e-12)
    if form.endswith("_file"):
        # 10 a + b + 0 c has mean 5.5 and sd 2.90: 2% (0.11) needs about 2,700 random samples, so batches
        # were added (a hypercube or a net of an additive model meets it at once); the half-width is
        # 1.96 SE, so 4 SE is 4 / 1.96 half-widths
        assert (len(conv.row) > 1) == (design == "random")
        assert abs(float(last.estimate) - 5.5) <= 4 / 1.96 * float(last.half_width)
