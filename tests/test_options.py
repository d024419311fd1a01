"""The run options: declared once (RunOptions), checked once, the same on every path a study runs.

Every path that runs a study, a file or a loaded Study, mcrisk run, a precision run, a run too
large to hold, --summary-only, sweep, solve, compare, mcrisk sensitivity / scenarios / voi,
gets the options it was given: checked here either by intercepting where the path hands them
to the simulation, or by its numbers, which must equal the plain run's bit for bit.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import mcrisk.study.runner as runner
from mcrisk.analyze.decision_run import solve_study
from mcrisk.cli.main import _parser
from mcrisk.core.errors import MCRiskWarning, SpecError
from mcrisk.spec.studyfile import load_study
from mcrisk.study.compare import compare_studies
from mcrisk.study.options import PRECISION_MAX_SAMPLES, RunOptions, add_arguments, from_args, options_table
from mcrisk.study.reruns import run_discovery, run_sensitivity
from mcrisk.study.runner import run_study

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "tests" / "data" / "good"
#: maas at DeepSeek's point values, the rent uncertain; [sweep] and [solve] of price_output; its
#: file says 4,000 samples, seed 7, lhs.
DECISIONS = GOOD / "study_decisions.toml"
GIVEN = {"samples": 512, "seed": 5, "method": "sobol"}


# ---- declared once, checked once ----------------------------------------------------------------


def test_every_flag_of_mcrisk_run_is_a_field_and_parses_to_it(tmp_path: Path) -> None:
    args = _parser().parse_args([
        "run", "s.toml", "--samples", "300", "--seed", "4", "--method", "lhs", "--out", "o", "--quiet",
        "--formats", "svg,pptx", "--on-nonfinite", "keep", "--chunk-size", "64", "--summary-only",
        "--workers", "2", "--scheduler", "tcp://h:1", "--precision", "mean:1%", "--max-samples", "9000",
        "--set", "gpu_hour_price=2.5", "--set", "paid_share=0.5", "--template", "t.pptx"])
    assert from_args(args) == RunOptions(
        samples=300, seed=4, method="lhs", out=Path("o"), quiet=True, formats=("svg", "pptx"), on_nonfinite="keep",
        chunk_size=64, summary_only=True, workers=2, scheduler="tcp://h:1", precision="mean:1%", max_samples=9000,
        settings=(("gpu_hour_price", 2.5), ("paid_share", 0.5)), template=Path("t.pptx"))
    # No flag given: the fields' defaults, except that the command line shows progress bars.
    assert from_args(_parser().parse_args(["run", "s.toml"])) == RunOptions(quiet=False)
    flags = [f.metadata["flag"] for f in fields(RunOptions) if f.metadata["flag"]]
    run = next(a for a in _parser()._subparsers._group_actions[0].choices["run"]._actions if a.dest == "samples")
    assert run.help == "number of samples (overrides the study)"
    assert [f.name for f in fields(RunOptions) if not f.metadata["flag"]] == ["write"]  # a library keyword only
    assert len(flags) == len(set(flags)) == 16


@pytest.mark.parametrize("given, message", [
    ({"samples": 0}, "samples = 0 must be an integer from 1 to 1,099,511,627,776"),
    ({"seed": -1}, "seed = -1 must be an integer >= 0 and < 2**63"),
    ({"method": "halton"}, "method = 'halton' is not a sampling method; known: random, lhs, sobol"),
    ({"formats": "png,gif"}, "formats: 'gif' is not an output format; allowed: png, svg, pdf, pptx, xlsx"),
    ({"on_nonfinite": "skip"}, "on_nonfinite = 'skip' is not a policy for NaN or infinite outputs; known: drop, "
                               "keep, error"),
    ({"chunk_size": 0}, "chunk_size = 0 must be an integer from 1 to 1,099,511,627,776"),
    ({"workers": True}, "workers = True must be an integer from 1 to 1,099,511,627,776"),
    ({"max_samples": 2.5}, "max_samples = 2.5 must be an integer from 1 to 1,099,511,627,776"),
    ({"quiet": "yes"}, "quiet = 'yes' must be True or False"),
    ({"scheduler": 8786}, "scheduler = 8786 must be a string"),
    ({"out": 3}, "out = 3 must be a path"),
    ({"precision": "p_lss:0.01"}, "--precision = 'p_lss:0.01': p_lss is not a statistic; allowed: p_loss, "
                                  "p_below_zero, mean, p05, p10, p25, p50, p75, p90, p95"),
    ({"settings": {"gpu_hour_price": float("nan")}}, "--set gpu_hour_price = nan must be a finite number"),
    ({"settings": 5}, "settings = 5 must map input names to numbers"),
], ids=lambda v: next(iter(v)) if isinstance(v, dict) else None)
def test_a_bad_option_is_one_line_before_the_study_is_read(given: dict, message: str) -> None:
    with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):
        RunOptions(**given)
    with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):  # not "no such file": options first
        run_study(GOOD / "no_such_study.toml", **given)


def test_an_unknown_keyword_is_named_with_the_options() -> None:
    with pytest.raises(TypeError, match=r"^'sample' is not a run option; options: samples, seed, method, out, quiet, "):
        run_study(DECISIONS, sample=5)
    assert RunOptions(settings={"a": 1}).settings == (("a", 1.0),)
    assert RunOptions(formats="png, pdf").formats == ("png", "pdf")
    assert RunOptions.of(RunOptions(seed=3), samples=9) == RunOptions(seed=3, samples=9)


def test_the_precision_cap_is_the_libraries() -> None:
    from mcrisk.analyze.precision import MAX_SAMPLES

    assert PRECISION_MAX_SAMPLES == MAX_SAMPLES


def test_the_options_module_imports_no_numerical_library() -> None:
    code = ("import sys, mcrisk.study.options as o; o.RunOptions(samples=5, precision='mean:1%'); "
            "print(sorted(m for m in ('numpy', 'scipy', 'xarray', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n"


def test_other_commands_take_the_same_declarations() -> None:
    p = argparse.ArgumentParser()
    add_arguments(p, ["samples", "out"], help={"out": "elsewhere"})
    assert p.parse_args(["--samples", "7"]).samples == 7
    with pytest.raises(SystemExit):
        p.parse_args(["--samples", "0"])
    texts = {a.dest: a.help for a in p._actions}
    assert texts["out"] == "elsewhere" and texts["samples"] == "number of samples (overrides the study)"
    for argv, expected in ((["solve", "s.toml", "--samples", "9", "--seed", "2", "--method", "lhs"],
                            RunOptions(samples=9, seed=2, method="lhs")),
                           (["compare", "a.toml", "b.toml", "--formats", "pdf"], RunOptions(formats=("pdf",))),
                           (["scenarios", "s.toml", "--out", "o"], RunOptions(out=Path("o"), quiet=False)),
                           (["sensitivity", "s.toml", "--method", "delta", "--samples", "64"], RunOptions(quiet=False))):
        assert from_args(_parser().parse_args(argv)) == expected, argv


# ---- the docs table ----------------------------------------------------------------------------


def test_the_docs_table_of_run_options_is_generated_from_runoptions() -> None:
    doc = ROOT / "docs" / "run-options.md"
    if not doc.is_file():
        pytest.skip("docs/run-options.md is not written yet (it holds options_table()'s output)")
    lines = doc.read_text(encoding="utf-8").splitlines()
    start = lines.index("| flag | default | meaning |")
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    assert "\n".join(lines[start:end]) + "\n" == options_table()
    table = options_table().splitlines()
    # the defaults the table states are the study file's own (mcrisk.spec.tables.STUDY_KEYS)
    from mcrisk.spec.tables import STUDY_KEYS

    file_default = {k.name: k.default for k in STUDY_KEYS}
    assert table[2] == (f"| `--samples` | the study's (`samples`, else {file_default['samples']:,}) | number of "
                        "samples (overrides the study) |")
    assert f"else {file_default['seed']})" in table[3] and f"else {file_default['method']})" in table[4]
    assert len(table) == 2 + 16


# ---- a loaded study and its path: the same run, bit for bit -----------------------------------


@pytest.fixture(scope="module")
def path_run():
    return run_study(DECISIONS, write=False, **GIVEN)


def test_a_loaded_study_honours_samples_seed_and_method_as_its_path(path_run) -> None:
    loaded = run_study(load_study(DECISIONS), write=False, **GIVEN)
    xr.testing.assert_identical(loaded.results, path_run.results)
    xr.testing.assert_identical(loaded.summary, path_run.summary)
    xr.testing.assert_identical(loaded.tables["sweep"].results, path_run.tables["sweep"].results)
    assert loaded.tables["solve"] == path_run.tables["solve"]
    assert path_run.results.attrs["samples"] == 512 and path_run.results.attrs["seed"] == 5
    assert path_run.results.attrs["method"] == "sobol"
    assert path_run.tables["sweep"].results.sizes["sample"] == 512
    # Only what is given replaces the file's (4,000 lhs samples at seed 7); a loaded study used
    # to run the file's settings whatever was given.
    alone = run_study(load_study(DECISIONS), write=False, samples=64).results
    assert (alone.sizes["sample"], alone.attrs["seed"], alone.attrs["method"]) == (64, 7, "lhs")
    with_options = run_study(load_study(DECISIONS), options=RunOptions(**GIVEN, write=False))
    xr.testing.assert_identical(with_options.results, path_run.results)


def test_set_reaches_a_loaded_study_and_its_path_alike() -> None:
    # the study's [sweep] and [solve] hold price_output themselves: said once each per run
    with pytest.warns(MCRiskWarning, match=r"the \[(sweep|solve)\] holds price_output at each value it tries"):
        a = run_study(DECISIONS, write=False, samples=64, settings={"price_output": 3.0})
    with pytest.warns(MCRiskWarning, match=r"the \[(sweep|solve)\] holds price_output at each value it tries"):
        b = run_study(load_study(DECISIONS), write=False, samples=64, settings={"price_output": 3.0})
    xr.testing.assert_identical(a.results, b.results)
    assert float(a.results.price_output) == 3.0  # held, as --set price_output=3 does


def test_solve_and_compare_run_the_same_samples_as_the_run(path_run) -> None:
    # mcrisk solve with the same samples, seed and design answers as the run's [solve] table.
    assert solve_study(DECISIONS, write=False, **GIVEN) == path_run.tables["solve"]
    # compare draws one design for both studies: study A's run is the plain run's, bit for bit.
    c = compare_studies(DECISIONS, DECISIONS, write=False, chunk_size=100, **GIVEN)
    np.testing.assert_array_equal(c.a.profit_per_day.values, path_run.results.profit_per_day.values)
    assert float(c.table["diff"].sel(output="profit_per_day", statistic="mean")) == 0.0
    with pytest.raises(SpecError, match=r"^compare: --workers = 2 is not an option of compare; options: samples, "):
        compare_studies(DECISIONS, DECISIONS, write=False, workers=2)


# ---- every simulation path gets every option ----------------------------------------------------


class _Stop(Exception):
    pass


def _recorder(calls: dict, name: str):
    def record(model, priors, *args, **kw):
        calls[name] = {"n": kw["samples"] if "samples" in kw else args[0], **kw}
        raise _Stop
    return record


@pytest.mark.parametrize("path", ["plain", "summary_only", "thinned", "precision"])
def test_every_simulation_path_gets_the_run_options(path: str, monkeypatch) -> None:
    calls: dict = {}
    for name in ("simulate", "simulate_summary", "simulate_thinned", "simulate_to_precision"):
        monkeypatch.setattr(runner, name, _recorder(calls, name))
    monkeypatch.setattr(runner, "IN_MEMORY", 100)  # 512 samples: too many to hold, on the thinned path
    opts = {"chunk_size": 128, "quiet": False, **GIVEN}
    extra = {"plain": {"samples": 64, "workers": 2}, "summary_only": {"summary_only": True, "scheduler": "tcp://h:1"},
             "thinned": {"workers": 3}, "precision": {"precision": "mean:1%", "max_samples": 4096}}[path]
    with pytest.raises(_Stop):
        run_study(load_study(DECISIONS), write=False, **{**opts, **extra})
    (name, kw), = calls.items()
    assert name == {"plain": "simulate", "summary_only": "simulate_summary", "thinned": "simulate_thinned",
                    "precision": "simulate_to_precision"}[path]
    assert (kw["n"], kw["method"], kw["rng"], kw["chunk_size"], kw["progress"]) == (
        extra.get("samples", 512), "sobol", 5, 128, True)
    if path == "precision":
        assert kw["max_samples"] == 4096 and kw["period_days"] is None
    else:
        assert (kw["workers"], kw["scheduler"]) == (extra.get("workers"), extra.get("scheduler"))
    if path in ("summary_only", "thinned"):
        assert kw["nonfinite"] == "drop"


def test_a_precision_run_refuses_workers_and_scheduler() -> None:
    for given in ({"workers": 2}, {"scheduler": "tcp://h:1"}):
        with pytest.raises(SpecError, match=r"^--precision runs its batches in this process; it cannot be combined "
                                            r"with --workers or --scheduler$"):
            run_study(DECISIONS, write=False, precision="mean:1%", **given)


def test_the_commands_hand_their_options_to_run_study(monkeypatch, tmp_path: Path) -> None:
    from mcrisk.cli.main import main

    seen = []
    import mcrisk.study.reruns as reruns

    monkeypatch.setattr(reruns, "run_study", lambda study, *, options, echo: seen.append((study, options)) or _Stop())
    with pytest.raises(AttributeError):  # the stand-in returns no StudyRun; the options are what matter
        run_sensitivity(DECISIONS, options=RunOptions(**GIVEN, write=False))
    with pytest.raises(AttributeError):
        run_discovery(DECISIONS, "scenarios", options=RunOptions(**GIVEN, write=False), quiet=True)
    assert [o for _, o in seen] == [RunOptions(**GIVEN, write=False)] * 2
    assert seen[0][0].analyses["sensitivity"] and seen[1][0].analyses["scenarios"]
    seen.clear()
    with pytest.raises(AttributeError):  # --set is applied before the table is checked, and once
        run_discovery(DECISIONS, "scenarios", options=RunOptions(settings={"gpu_hour_price": 3.0}))
    assert seen[0][0].priors["gpu_hour_price"].is_constant and seen[0][1].settings == ()
    assert seen[0][0].text.count("--set gpu_hour_price") == 1
    with pytest.raises(SpecError, match=r"^--summary-only keeps no per-sample results; mcrisk sensitivity needs them$"):
        run_sensitivity(DECISIONS, summary_only=True)
    seen.clear()
    with pytest.raises(AttributeError):
        run_discovery(DECISIONS, "value_of_information", out=tmp_path / "o")
    assert seen[0][1] == RunOptions(out=tmp_path / "o", quiet=False)  # the library's commands show progress
    seen.clear()
    monkeypatch.delenv("MCRISK_DEBUG", raising=False)
    assert main(["voi", str(DECISIONS), "--out", str(tmp_path / "v"), "--quiet", "--seed", "4"]) == 1  # the stand-in's
    assert seen[0][1] == RunOptions(out=tmp_path / "v", quiet=True, seed=4)
    assert main(["sensitivity", str(DECISIONS), "--samples", "64", "--seed", "4", "--formats", "svg"]) == 1
    assert seen[1][1] == RunOptions(quiet=False, seed=4, formats=("svg",))  # --samples is the table's N
    assert seen[1][0].sensitivity.samples == 64
