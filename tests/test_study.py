"""Studies: DeepSeek's 545% reproduced, a P(loss) with a closed form, and every mistake's message."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import mcrisk
import mcrisk.study.runner
from mcrisk import SpecError, Study, load_study, run_study
from mcrisk.models import maas

MAAS_INPUTS = ("input_tokens, output_tokens, prefill_tps_per_node, decode_tps_per_node, gpu_hour_price, "
               "peak_to_avg, price_input_miss, price_output, cache_hit_share, price_input_hit, gpus_per_node, "
               "headroom, offpeak_reuse, overhead_share, paid_share, price_cut, offpeak_token_share, "
               "offpeak_discount")
MAAS_OUTPUTS = ("nodes_avg, nodes_provisioned, nodes_charged, utilization, cost_per_day, list_revenue, "
                "revenue_per_day, profit_per_day, cost_profit_margin, gross_margin, "
                "cost_per_million_output_tokens")
STUDY_KEYS = ("title, description, model, priors, inputs, samples, seed, method, output, period_days, "
              "currency, correlation, sensitivity, tornado, plots, options, sweep, solve, precision, scenarios, "
              "value_of_information, fx, calibrate")
KNOWN = ("beta, constant, discrete, lognormal, loguniform, metalog, normal, pert, triangular, truncnormal, "
         "uniform, weibull, or any continuous scipy.stats family by its name")


def test_deepseek_545_reproduced(root: Path) -> None:
    run = run_study(root / "studies" / "deepseek_545.toml", write=False)
    s = run.summary
    # DeepSeek, "DeepSeek-V3/R1 Inference System Overview", 2025-03-01: 226.75 H800 nodes on
    # average, USD 87,072 GPU cost and USD 562,027 theoretical income a day, cost-profit margin
    # 545%. mcrisk's 226.9 / 87.1 k / 562.1 k differ by the rounding of the published token counts.
    nodes = float(s["mean"].sel(output="nodes_avg"))
    cost = float(s["mean"].sel(output="cost_per_day"))
    revenue = float(s["mean"].sel(output="revenue_per_day"))
    margin = float(s["mean"].sel(output="cost_profit_margin"))
    assert nodes == pytest.approx(226.9, abs=0.05) and nodes == pytest.approx(226.75, rel=1e-3)
    assert cost == pytest.approx(87_072, rel=1e-3) and cost == pytest.approx(87_100, abs=100)
    assert revenue == pytest.approx(562_027, rel=5e-4) and revenue == pytest.approx(562_100, abs=100)
    assert round(margin, 2) == 5.45
    assert float(s["std"].sel(output="profit_per_day")) == 0.0  # every input is a constant
    assert run.study.output == "cost_profit_margin"
    assert run.results.attrs["model"] == "maas" and run.out is None  # write=False: no folder


def test_hand_solvable_study(good: Path) -> None:
    # tests/data/good/study_uniform_price.toml: DeepSeek's point values with the GPU rent
    # ~ U(2, 14). Break-even rent p* = revenue / (nodes 8 24); P(loss) = (14 - p*) / 12.
    nodes = 608e9 / (86_400 * 73_700) + 168e9 / (86_400 * 14_800)
    revenue = (608e9 * (0.5625 * 0.14 + 0.4375 * 0.55) + 168e9 * 2.19) / 1e6
    exact = (14.0 - revenue / (nodes * 8 * 24)) / 12.0
    run = run_study(good / "study_uniform_price.toml", write=False)
    s = run.summary.sel(output="profit_per_day")
    assert abs(float(s["p_below_zero"]) - exact) < 4 * float(s["se_p_below_zero"])
    # The override keeps the unit the priors file gave the input.
    assert run.study.priors["gpu_hour_price"].unit == "USD/GPU-hour"
    assert run.study.priors["gpu_hour_price"].source == "study override (study_uniform_price.toml)"


def test_load_study_fields_and_overrides(good: Path) -> None:
    study = load_study(good / "study_uniform_price.toml")
    assert isinstance(study, Study)
    assert (study.samples, study.seed, study.method, study.output) == (4000, 7, "lhs", "profit_per_day")
    assert study.model is maas and study.model_ref == "maas" and study.name == "study_uniform_price"
    assert study.priors.uncertain == ("gpu_hour_price",) and study.priors.currency == "USD"
    assert study.text.startswith('title = "DeepSeek setting')
    again = load_study(good / "study_uniform_price.toml", samples=10, seed=0, method="sobol")
    assert (again.samples, again.seed, again.method) == (10, 0, "sobol")


def test_defaults(tmp_path: Path, good: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(f'model = "maas"\npriors = ["{(good / "maas_point.toml").as_posix()}"]\n')
    study = load_study(path)
    assert (study.samples, study.seed, study.method, study.output) == (10_000, 0, "random", "profit_per_day")
    assert study.title == "s"


def test_model_references(tmp_path: Path, good: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "margin.py").write_text(
        "def margin(*, price, cost=1.0):\n    return {'margin': price - cost}\n")
    base = 'priors = []\n[inputs]\nprice = { dist = "uniform", low = 0.0, high = 4.0 }\n'
    (tmp_path / "file.toml").write_text('model = "models/margin.py:margin"\noutput = "margin"\n' + base)
    run = run_study(tmp_path / "file.toml", samples=1000, seed=1, method="lhs", write=False)
    # margin = price - 1 with price ~ U(0, 4): P(margin < 0) = 1/4, exactly 250 of 1000 LHS points.
    assert float(run.summary.p_below_zero.sel(output="margin")) == 0.25
    assert run.results.attrs["model"] == "margin.py:margin"
    (tmp_path / "module.toml").write_text('model = "mcrisk.models.margin:maas"\n'
                                          f'priors = ["{(good / "maas_point.toml").as_posix()}"]\n')
    assert load_study(tmp_path / "module.toml").model is maas


def test_run_writes_the_folder(tmp_path: Path, good: Path, monkeypatch) -> None:
    # The report's figures take seconds and have their own tests; here only the data files count.
    # (tests/test_cli.py runs the whole thing, report included, once.)
    import mcrisk.report.document

    monkeypatch.setattr(mcrisk.report.document, "write_report", lambda run, folder, formats=(), progress=False: {})
    out = tmp_path / "out"
    run = run_study(good / "study_uniform_price.toml", out=out, samples=64, formats=("png",))
    assert run.out == out and (out / "results.nc").is_file() and (out / "summary.csv").is_file()
    with xr.open_dataset(out / "results.nc") as ds:
        np.testing.assert_array_equal(ds.profit_per_day.values, run.results.profit_per_day.values)
        assert ds.attrs["samples"] == 64 and ds.attrs["seed"] == 7
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left


def test_failed_write_leaves_nothing_behind(tmp_path: Path, good: Path, monkeypatch) -> None:
    def broken(run, folder: Path, progress: bool = False) -> None:
        (folder / "results.nc").write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(mcrisk.study.runner, "_write", broken)
    out = tmp_path / "out"
    with pytest.raises(SpecError, match=r"^out = '.*out' cannot be written \(disk full\)$"):
        run_study(good / "study_uniform_price.toml", out=out, samples=16)
    assert list(tmp_path.iterdir()) == []
    # An earlier result in the same folder survives a failed rerun.
    out.mkdir()
    (out / "summary.csv").write_text("earlier")
    with pytest.raises(SpecError, match="disk full"):
        run_study(good / "study_uniform_price.toml", out=out, samples=16)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert (out / "summary.csv").read_text() == "earlier"


# tests/data/bad/<file> -> the message after "<path>: ".
BAD_STUDIES = {
    "unknown_study_key.toml": f"sampels = 1000 is not a key; allowed: {STUDY_KEYS}",
    "unknown_input.toml": f"gpu_price is not an input of model maas; its inputs: {MAAS_INPUTS}",
    "missing_input.toml": "model maas needs decode_tps_per_node, gpu_hour_price, which no prior or input gives",
    "bad_method.toml": "method = 'halton' is not a sampling method; known: random, lhs, sobol",
    "bad_samples.toml": "samples = 0 must be an integer from 1 to 1,099,511,627,776",
    "bad_seed.toml": "seed = -1 must be an integer >= 0 and < 2**63",
    "bad_output.toml": f"output = 'profit' is not an output of maas; outputs: {MAAS_OUTPUTS}",
    "model_without_colon.toml": ("model = 'maas_v2' is not a model; allowed: a built-in model (maas, ishigami, "
                                 "gfunction, maas_hourly, maas_monthly, gpu_hour_cost), \"package.module:function\" "
                                 "or \"file.py:function\""),
    "model_missing_module.toml": ("model = 'nosuchpackage.margins:maas': cannot import 'nosuchpackage.margins' "
                                  "(No module named 'nosuchpackage')"),
    "model_missing_function.toml": "model = 'math:margin': math has no function 'margin'",
    "unknown_family_in_inputs.toml": f"[inputs.gpu_hour_price] dist = 'gaussian' is not a family; known: {KNOWN}",
    "method_list.toml": "method = ['lhs'] is not a sampling method; known: random, lhs, sobol",
    "samples_huge.toml": ("samples = 1000000000000000000000000000000 must be an integer from 1 to "
                          "1,099,511,627,776"),
    "model_builtin.toml": ("model = 'builtins:max' has no signature mcrisk can read; a model is a Python function "
                           "taking its inputs as keyword arguments"),
    "plots_unknown_input.toml": ("[plots] scatter = 'gpu_hour_prize' is not an uncertain input; uncertain inputs: "
                                 "(none)"),
    "sensitivity_all_constant.toml": "[sensitivity] has no uncertain input to analyse: every input is a constant",
    "sensitivity_resamples_huge.toml": "[sensitivity] num_resamples = 1000000 must be an integer from 1 to 10,000",
}


@pytest.mark.parametrize("name", sorted(BAD_STUDIES))
def test_bad_study(bad: Path, name: str) -> None:
    path = bad / name
    with pytest.raises(SpecError, match=f"^{re.escape(f'{path}: {BAD_STUDIES[name]}')}$"):
        load_study(path)


def test_bad_study_naming_a_missing_file(bad: Path) -> None:
    path = bad / "model_missing_file.toml"
    with pytest.raises(SpecError, match=f"^{re.escape(f'{path}: model = ')}'nosuch_model.py:margin': "
                                        f"no such file {re.escape(str(bad / 'nosuch_model.py'))}$"):
        load_study(path)
    path = bad / "missing_priors_file.toml"
    with pytest.raises(SpecError, match=f"^{re.escape(f'{path}: priors = ')}'../good/no_such_priors.toml': "
                                        f"no such file {re.escape(str(bad / '../good/no_such_priors.toml'))}$"):
        load_study(path)


def test_missing_study_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=f"^{re.escape(str(tmp_path / 'nope.toml'))}: no such file$"):
        load_study(tmp_path / "nope.toml")


def test_bad_priors_file_named_by_a_study(tmp_path: Path, bad: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(f'model = "maas"\npriors = ["{(bad / "sd_not_positive.toml").as_posix()}"]\n')
    with pytest.raises(SpecError, match=f"^{re.escape(str(bad / 'sd_not_positive.toml'))}: "
                                        r"\[gpu_hour_price\] sd = 0.0 must be > 0$"):
        load_study(path)


@pytest.mark.parametrize("line, message", [
    ('model = 3', "model = 3 must be a string such as \"maas\", or a list of models to chain such as "
     "[\"gpu_hour_cost\", \"maas_hourly\"]"),
    ('title = "t"', "model is missing; give a built-in model such as \"maas\", \"package.module:function\" "
                    "or \"file.py:function\""),
    ('model = "maas"\npriors = 3', "priors = 3 must be a list of priors files"),
    ('model = "maas"\ninputs = 3', "inputs = 3 must be a table of overrides"),
    ('model = "maas"\nsamples = 2.5', "samples = 2.5 must be an integer from 1 to 1,099,511,627,776"),
    ('model = "maas"\nseed = "x"', "seed = 'x' must be an integer >= 0 and < 2**63"),
    ('model = "maas"\nperiod_days = 0', "period_days = 0 must be a positive number of days (30: per month)"),
    ('model = "maas"\n[tornado]\nlow = 0.9\nhigh = 0.1', "[tornado] high = 0.1 must be greater than low = 0.9"),
    ('model = "maas"\n[tornado]\nwidth = 3', "[tornado] width = 3 is not a key; allowed: output, low, high"),
    ('model = "maas"\nmethod = {}', "method = {} is not a sampling method; known: random, lhs, sobol"),
    ('model = "maas"\nsamples = true', "samples = True must be an integer from 1 to 1,099,511,627,776"),
    ('model = "maas"\nsamples = 1099511627777', "samples = 1099511627777 must be an integer from 1 to "
                                                 "1,099,511,627,776"),
    ('model = "maas"\nseed = 1e3', "seed = 1000.0 must be an integer >= 0 and < 2**63"),
    ('model = "maas"\nperiod_days = inf', "period_days = inf must be a positive number of days (30: per month)"),
    ('model = "maas"\noutput = ["profit_per_day"]', f"output = ['profit_per_day'] is not an output of maas; "
                                                     f"outputs: {MAAS_OUTPUTS}"),
    ('model = "maas"\ntitle = ["t"]', "title = ['t'] must be a string"),
    ('model = "maas"\n[tornado]\noutput = 3', "[tornado] output = 3 must be an output name"),
    ('model = "maas"\n[plots]\noutputs = ["profit"]', f"[plots] outputs = 'profit' is not an output; outputs: "
                                                        f"{MAAS_OUTPUTS}"),
    ('model = "maas"\n[plots]\nbins = "60"', "[plots] bins = '60' must be an integer from 5 to 500"),
    ('model = "maas"\nsampels = "' + "x" * 1000 + '"', "sampels = '" + "x" * 98 + "..." + "x" * 97
     + f"' is not a key; allowed: {STUDY_KEYS}"),
    ('model = "builtins:max"', "model = 'builtins:max' has no signature mcrisk can read; a model is a Python "
                               "function taking its inputs as keyword arguments"),
    ('model = "maas"\n[inputs]\n"a\\nb" = 1.0', f"'a\\nb' is not an input of model maas; its inputs: {MAAS_INPUTS}"),
    ('model = "..x:f"', "model = '..x:f': cannot import '..x' (the 'package' argument is required to perform a "
                        "relative import for '..x')"),
], ids=["model_not_string", "model_missing", "priors_not_list", "inputs_not_table", "samples_float",
        "seed_string", "period_zero", "tornado_order", "tornado_key", "method_table", "samples_bool",
        "samples_over_cap", "seed_float", "period_inf", "output_list", "title_list", "tornado_output_number",
        "plots_unknown_output", "plots_bins_string", "long_value_shortened", "builtin_without_signature",
        "input_name_with_newline", "relative_module"])
def test_bad_study_value(tmp_path: Path, good: Path, line: str, message: str) -> None:
    path = tmp_path / "s.toml"
    priors = f'priors = ["{(good / "maas_point.toml").as_posix()}"]\n' if "priors =" not in line else ""
    head, _, tables = line.partition("\n[")
    path.write_text(head + "\n" + priors + ("[" + tables if tables else ""))
    with pytest.raises(SpecError, match=f"^{re.escape(f'{path}: {message}')}$"):
        load_study(path)


def test_all_constant_study_with_no_revenue(tmp_path: Path, good: Path) -> None:
    # Every input a constant, so the model sees plain floats; no revenue makes the gross margin
    # -inf, which is counted and reported, not a ZeroDivisionError.
    path = tmp_path / "s.toml"
    path.write_text(f'model = "maas"\npriors = ["{(good / "maas_point.toml").as_posix()}"]\nsamples = 1\n'
                    '[inputs]\npaid_share = 0.0\n')
    with pytest.warns(mcrisk.MCRiskWarning, match=re.escape(
            "gross_margin is NaN or infinite in 1 of 1 samples; its statistics use the other samples")):
        run = run_study(path, write=False)
    assert float(run.results.cost_profit_margin[0]) == -1.0  # profit = -cost
    assert int(run.summary.n_valid.sel(output="gross_margin")) == 0


# ---- the output folder is never someone else's, and the model's own errors are one line --------


def test_out_never_replaces_a_folder_that_is_not_mcrisk_output(tmp_path: Path, good: Path, monkeypatch) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("keep")
    with pytest.raises(SpecError, match=r"^out = '.*precious' exists and is not an mcrisk output folder \(it has "
                                        r"no results.nc, summary.csv, sensitivity.nc, solve.json, compare.csv\); "
                                        r"name a new folder or empty it$"):
        run_study(good / "study_uniform_price.toml", out=precious, samples=16)
    assert (precious / "thesis.txt").read_text() == "keep"
    monkeypatch.chdir(precious)
    with pytest.raises(SpecError, match=r"^out = '\.' is the current folder or one above it; name a new folder"):
        run_study(good / "study_uniform_price.toml", out=".", samples=16)
    with pytest.raises(SpecError, match=r"^out = '.*good' holds .*study_uniform_price.toml; name a folder of its own"):
        run_study(good / "study_uniform_price.toml", out=good, samples=16)
    (tmp_path / "afile").write_text("")
    with pytest.raises(SpecError, match=r"^out = '.*afile' is a file; name a folder for the results$"):
        run_study(good / "study_uniform_price.toml", out=tmp_path / "afile", samples=16)


def test_a_model_that_raises_or_returns_nothing_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def boom(*, x):\n    raise RuntimeError('no capacity data')\n\n"
                                   "def empty(*, x):\n    return {}\n")
    for fn, message in (("boom", r"s\.toml: model m.py:boom raised RuntimeError: no capacity data \(MCRISK_DEBUG=1 shows "
                                 r"the traceback\)"),
                        ("empty", r"s.toml: model = 'm.py:empty' returned no outputs; a model must return a dict "
                                  r"of output arrays")):
        (tmp_path / "s.toml").write_text(f'model = "m.py:{fn}"\noutput = "y"\n'
                                         '[inputs]\nx = { dist = "uniform", low = 0, high = 1 }\n')
        with pytest.raises(SpecError, match=f"{message}$"):
            load_study(tmp_path / "s.toml")


@pytest.mark.parametrize(("line", "message"), [
    ("seed = 9223372036854775808", "seed = 9223372036854775808 must be an integer >= 0 and < 2**63"),
    ("description = 5", "description = 5 must be a string"),
])
def test_seed_and_description_are_checked(tmp_path: Path, good: Path, line: str, message: str) -> None:
    text = (good / "study_uniform_price.toml").read_text()
    text = "\n".join(x for x in text.splitlines() if not x.startswith(line.split(" =")[0] + " ="))
    priors = (good / "maas_point.toml").as_posix()
    (tmp_path / "s.toml").write_text(line + "\n" + text.replace('"maas_point.toml"', f'"{priors}"'))
    with pytest.raises(SpecError, match=re.escape(f"s.toml: {message}")):
        load_study(tmp_path / "s.toml")


def test_a_study_listed_as_its_own_priors_file_is_named_as_a_study(tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text('model = "maas"\npriors = ["s.toml"]\n')
    with pytest.raises(SpecError, match=r"s.toml: is a study file \(it names a model, priors, samples or a title\), not a priors file$"):
        load_study(tmp_path / "s.toml")


def test_method_names_need_no_scipy() -> None:
    # mcrisk.validate lists the names without importing scipy; they must be the dispatch dicts' keys.
    from mcrisk.report.plot import FORMATS
    from mcrisk.sampling.design import METHODS
    from mcrisk.analyze.salib_methods import METHODS as SENSITIVITY
    from mcrisk.core.validate import FIGURE_FORMATS, SAMPLING_METHODS, SENSITIVITY_METHODS

    assert tuple(METHODS) == SAMPLING_METHODS
    assert tuple(sorted(SENSITIVITY)) == SENSITIVITY_METHODS
    assert tuple(FORMATS) == FIGURE_FORMATS


def test_validate_is_a_leaf_module() -> None:
    import subprocess
    import sys

    code = "import sys, mcrisk.core.validate; print(sorted(m for m in ('numpy', 'scipy', 'xarray') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("check, value, message", [
    ("check_samples", 0, "samples = 0 must be an integer from 1 to 1,099,511,627,776"),
    ("check_samples", np.int64(5), None),
    ("check_seed", 2**63, "seed = 9223372036854775808 must be an integer >= 0 and < 2**63"),
    ("check_seed", 0, None),
    ("check_method", "halton", "method = 'halton' is not a sampling method; known: random, lhs, sobol"),
    ("check_sensitivity_method", ["sobol"], "method = ['sobol'] is not a method; known: delta, fast, morris, "
                                            "pawn, rbd_fast, sobol"),
    ("check_formats", "png,gif", "formats: 'gif' is not an output format; allowed: png, svg, pdf, pptx, xlsx"),
    ("check_formats", 3, "formats = 3 must be a list of output formats; allowed: png, svg, pdf, pptx, xlsx"),
], ids=["samples_zero", "samples_numpy", "seed_2_63", "seed_0", "method", "sensitivity_method_list",
        "formats_gif", "formats_number"])
def test_validators(check: str, value, message: str | None) -> None:
    import mcrisk.core.validate as v

    if message is None:
        assert getattr(v, check)(value) == value
    else:
        with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):
            getattr(v, check)(value, "")
        with pytest.raises(SpecError, match=f"^{re.escape('f.toml: ' + message)}$"):
            getattr(v, check)(value, "f.toml:")


def test_no_uncertain_input_and_huge_samples_does_not_hang() -> None:
    # Every input a constant: no design is drawn, so 2**40 samples cost only their index (which
    # needs 8 TB: a MemoryError the command line reports in one line), not 2**24 empty blocks.
    from mcrisk.spec.priors import priors_from_dict
    from mcrisk.sampling.design import sample

    priors = priors_from_dict({"a": 1.0}, file="p.toml")
    assert sample(priors, 3, rng=0)["a"].item() == 1.0
    with pytest.raises(MemoryError):
        sample(priors, 2**40, rng=0)


def test_plots_accepted_at_load_run(tmp_path: Path, good: Path) -> None:
    # scatter and outputs are checked against the study at load; what load accepts, the report draws.
    path = tmp_path / "s.toml"
    path.write_text((good / "study_uniform_price.toml").read_text().replace(
        '"maas_point.toml"', f'"{(good / "maas_point.toml").as_posix()}"')
        + '\n[plots]\nscatter = "gpu_hour_price"\noutputs = ["cost_per_day"]\nconvergence = false\n')
    study = load_study(path)
    assert study.plots.scatter == ("gpu_hour_price",)
    assert study.plots.outputs == ("cost_per_day",)
    assert study.analyses == {"plots": study.plots}


def test_check_finds_a_declared_output_the_model_does_not_return(tmp_path: Path) -> None:
    # Every model is evaluated at one sample when the study loads, so `mcrisk check` finds what the
    # run's first chunk would.
    (tmp_path / "m.py").write_text("import mcrisk\n\n@mcrisk.model(outputs={'y': '1', 'z': '1'})\n"
                                   "def half(*, x):\n    return {'y': x}\n")
    (tmp_path / "s.toml").write_text('model = "m.py:half"\noutput = "y"\n'
                                     '[inputs]\nx = { dist = "uniform", low = 0, high = 1 }\n')
    with pytest.raises(SpecError, match=r"s\.toml: model m\.py:half declares output z but did not return it; "
                                        r"it returned: y$"):
        load_study(tmp_path / "s.toml")


def test_a_changed_spec_is_resolved_with_the_checks_of_the_file(good: Path) -> None:
    from mcrisk.spec.studyfile import resolve
    from mcrisk.core.events import LOSS, read_event
    from mcrisk.spec.tables import SensitivityTable, TornadoTable

    study = load_study(good / "study_sensitivity.toml")
    assert study.tornado == TornadoTable(output="profit_per_day", low=0.1, high=0.9)
    loss = read_event(LOSS, unit="USD/day")  # the loss event as the study reads it: 0 USD/day, 0 as stored
    assert (loss.threshold, loss.unit, loss.stored) == (0.0, "USD/day", 0.0)
    assert study.sensitivity == SensitivityTable(method="sobol", output=("profit_per_day", "cost_profit_margin"),
                                                 samples=8192, event=loss)
    changed = resolve({**study.spec, "samples": 500, "tornado": {"low": 0.05}}, study.path, text=study.text)
    loaded = load_study(good / "study_sensitivity.toml", samples=500)
    assert (changed.samples, changed.priors, changed.sensitivity) == (loaded.samples, loaded.priors, loaded.sensitivity)
    assert changed.tornado == TornadoTable(output="profit_per_day", low=0.05, high=0.9)
    with pytest.raises(SpecError) as err:
        resolve({**study.spec, "tornado": {"low": 0.05, "lo": 0.1}}, study.path)
    assert str(err.value) == f"{study.path}: [tornado] lo = 0.1 is not a key; allowed: output, low, high"
    with pytest.raises(SpecError) as err:
        resolve({**study.spec, "samples": 0}, study.path)
    assert str(err.value) == f"{study.path}: samples = 0 must be an integer from 1 to 1,099,511,627,776"
