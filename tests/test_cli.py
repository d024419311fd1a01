"""The ``mcrisk`` command: describe, check, run; every bad input is one line on stderr and status 2.

Most cases call :func:`mcrisk.cli.main` in this process (cheap); a few run the real command in
a subprocess, concurrently, to prove there is no traceback and no folder left behind there too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from mcrisk import SpecError, load_priors, load_study, run_study
from mcrisk.cli.main import main
from mcrisk.core.errors import Terminated
from mcrisk.models import maas

BAD_DIR = Path(__file__).resolve().parent / "data" / "bad"
BAD_FILES = sorted(p.name for p in BAD_DIR.glob("*.toml"))


def _library_message(path: Path) -> str:
    """The SpecError the library raises for ``path``: what the CLI must print, word for word."""
    try:
        is_study = "model" in tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError:
        is_study = False
    with pytest.raises(SpecError) as info:
        (load_study if is_study else load_priors)(path)
    return str(info.value)


def _commands(*argvs: list[str], cwd: Path) -> list[subprocess.CompletedProcess]:
    """Run ``python -m mcrisk.cli ARGV`` for every argv at once; wait for all."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    procs = [subprocess.Popen([sys.executable, "-m", "mcrisk.cli.main", *map(str, argv)], cwd=cwd, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for argv in argvs]
    done = []
    for argv, p in zip(argvs, procs, strict=True):
        out, err = p.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(argv, p.returncode, out, err))
    return done


def test_enough_bad_files() -> None:
    assert len(BAD_FILES) >= 15


def test_describe_maas(capsys) -> None:
    assert main(["describe", "maas"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("maas: ")
    for section, table in (("Inputs", maas.inputs), ("Outputs", maas.outputs)):
        assert section in lines
        for name, var in table.items():
            (line,) = [ln for ln in lines if ln.split()[:1] == [name]]
            assert line.split(maxsplit=1)[1].startswith(var.unit + "  "), name
            assert line.rstrip().endswith(var.long_name), name
    assert "default 8.0" in next(ln for ln in lines if ln.split()[:1] == ["gpus_per_node"])
    assert "required" in next(ln for ln in lines if ln.split()[:1] == ["gpu_hour_price"])


def test_describe_unknown_model(capsys) -> None:
    assert main(["describe", "mass"]) == 2
    captured = capsys.readouterr()
    assert captured.err == ("error: describe: model = 'mass' is not a built-in model; known: maas, ishigami, "
                            "gfunction, maas_hourly, maas_monthly, gpu_hour_cost (or FILE.py:function, package.module:function, STUDY.toml)\n")
    assert captured.out == ""


def test_check_good_files(capsys, good: Path) -> None:
    files = [good / "every_family.toml", good / "maas_point.toml", good / "study_uniform_price.toml"]
    assert main(["check", *map(str, files)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{files[0]}: priors ok (22 inputs, 20 uncertain)",
        f"{files[1]}: priors ok (12 inputs, 0 uncertain)",
        f"{files[2]}: study ok (maas, 12 inputs, 1 uncertain)",
    ]


def test_check_repository_files(capsys, root: Path) -> None:
    assert main(["check", str(root / "priors" / "deepseek-2025-02-27.toml"),
                 str(root / "studies" / "deepseek_545.toml")]) == 0
    out = capsys.readouterr().out
    assert "deepseek-2025-02-27.toml: priors ok (18 inputs, 0 uncertain)" in out
    assert "deepseek_545.toml: study ok (maas, 18 inputs, 0 uncertain)" in out


@pytest.mark.parametrize("name", BAD_FILES)
def test_check_bad_file(capsys, name: str) -> None:
    path = BAD_DIR / name
    assert main(["check", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"error: {_library_message(path)}\n"
    assert captured.out == ""


def test_missing_file(capsys, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["check", str(tmp_path / "nope.toml")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'nope.toml'}: no such file\n"
    assert main(["run", str(tmp_path / "nope.toml"), "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'nope.toml'}: no such file\n"
    assert not out.exists()


def test_check_reports_every_bad_file(capsys, good: Path) -> None:
    files = [BAD_DIR / "sd_not_positive.toml", good / "maas_point.toml", BAD_DIR / "bad_seed.toml"]
    assert main(["check", *map(str, files)]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"error: {_library_message(files[0])}",
                                         f"error: {_library_message(files[2])}"]
    assert captured.out == f"{files[1]}: priors ok (12 inputs, 0 uncertain)\n"


@pytest.mark.parametrize("name", [n for n in BAD_FILES if "model =" in (BAD_DIR / n).read_text()])
def test_run_bad_study_writes_nothing(capsys, tmp_path: Path, name: str) -> None:
    path = BAD_DIR / name
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"error: {_library_message(path)}\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, message", [
    (["run", "s.toml", "--samples", "0"], "error: mcrisk run: argument --samples: samples = 0 must be an integer from 1 to 1,099,511,627,776\n"),
    (["run", "s.toml", "--seed", "-1"], "error: mcrisk run: argument --seed: seed = -1 must be an integer >= 0 and < 2**63\n"),
    (["run", "s.toml", "--seed", "x"], "error: mcrisk run: argument --seed: 'x' is not an integer\n"),
    # --method gets the study file's check; a command argparse's own choice error (quoting varies by Python)
    (["run", "s.toml", "--method", "halton"], "error: mcrisk run: argument --method: method = 'halton' is not a "
                                                "sampling method; known: random, lhs, sobol"),
    (["frobnicate"], "error: mcrisk: argument COMMAND: invalid choice: 'frobnicate'"),
], ids=["samples_zero", "seed_negative", "seed_text", "method", "command"])
def test_bad_arguments(capsys, argv: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(message)
    if message.endswith("'"):
        assert all(m in err for m in (["random", "lhs", "sobol"] if "--method" in argv
                                      else ["run", "check", "describe"]))


def test_bad_inputs_through_the_real_command(tmp_path: Path, good: Path) -> None:
    # One case per path to an error (a priors file, a missing file, a study, a flag): each
    # process costs a second of imports, and the in-process tests above cover every file.
    cases = [
        ["check", BAD_DIR / "unknown_family.toml"],
        ["run", BAD_DIR / "model_missing_module.toml", "--out", tmp_path / "out1"],
        ["run", good / "study_uniform_price.toml", "--samples", "0", "--out", tmp_path / "out2"],
    ]
    procs = _commands(*cases, cwd=tmp_path)
    for case, proc in zip(cases, procs, strict=True):
        assert proc.returncode == 2, case
        assert "Traceback" not in proc.stderr, case
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: "), case
        assert proc.stdout == "", case
    for i in (0, 1):
        assert procs[i].stderr == f"error: {_library_message(cases[i][1])}\n"
    assert procs[2].stderr == "error: mcrisk run: argument --samples: samples = 0 must be an integer from 1 to 1,099,511,627,776\n"
    assert list(tmp_path.iterdir()) == []  # no output folder, no temporary folder, no results/


def test_run_writes_results_and_is_reproducible(tmp_path: Path, good: Path, monkeypatch) -> None:
    study = good / "study_uniform_price.toml"
    args = ["--samples", "256", "--seed", "3", "--method", "sobol", "--quiet", "--formats", "png"]
    (proc,) = _commands(["run", study, "--out", tmp_path / "a", *args], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "Profit per day" in proc.stdout and "USD/day" in proc.stdout  # the plain label, per day
    assert proc.stdout.rstrip().endswith(f"wrote {tmp_path / 'a'}/")
    assert [p.name for p in tmp_path.iterdir()] == ["a"]  # no temporary folder left
    assert (tmp_path / "a" / "report.md").is_file()
    # The same run again, in this process (without the report, whose figures take seconds and
    # are tested elsewhere), into another folder: the same data.
    import mcrisk.report.document

    monkeypatch.setattr(mcrisk.report.document, "write_report", lambda run, folder, formats=(), progress=False: {})
    assert main(["run", str(study), "--out", str(tmp_path / "b"), *args]) == 0

    with xr.open_dataset(tmp_path / "a" / "results.nc") as ra, xr.open_dataset(tmp_path / "b" / "results.nc") as rb:
        assert ra.sizes == {"sample": 256}
        xr.testing.assert_identical(ra, rb)  # same seed, same results, in two separate processes
        assert ra.attrs["model"] == "maas" and ra.attrs["method"] == "sobol"
        assert ra.attrs["seed"] == 3 and ra.attrs["samples"] == 256
        assert ra.attrs["mcrisk_version"] == mcrisk.__version__
        assert "[gpu_hour_price]" in ra.attrs["priors"]  # the priors' own text
        for name in [*maas.outputs, "gpu_hour_price"]:
            assert ra[name].attrs["units"] and ra[name].attrs["long_name"], name
        assert ra.profit_per_day.attrs["units"] == "USD / day"  # as pint writes it (mcrisk.units)
        assert ra.profit_per_day.attrs["units_label"] == "USD/day"
        # The library with the same arguments gives the same numbers.
        lib = run_study(study, samples=256, seed=3, method="sobol", write=False)
        np.testing.assert_array_equal(ra.profit_per_day.values, lib.results.profit_per_day.values)
        other = run_study(study, samples=256, seed=4, method="sobol", write=False)
        assert not np.array_equal(ra.profit_per_day.values, other.results.profit_per_day.values)

    csv_a, csv_b = ((tmp_path / d / "summary.csv").read_text() for d in ("a", "b"))
    assert csv_a == csv_b
    header, *rows = csv_a.splitlines()
    assert header.split(",") == ["output", *mcrisk.analyze.risk.STATISTICS, "n_valid", "units"]
    assert [r.split(",")[0] for r in rows] == list(maas.outputs)
    profit = next(r.split(",") for r in rows if r.startswith("profit_per_day,"))
    assert profit[-2:] == ["256", "USD/day"]


# ---- start-up, the output folder checked first, and every outcome one line -------------------


def test_parser_names_match_the_library() -> None:
    from mcrisk.cli.main import MODEL_NAMES
    from mcrisk.models import MODELS

    assert MODEL_NAMES == tuple(MODELS)


def test_help_imports_no_numerical_library(tmp_path: Path) -> None:
    # What keeps `mcrisk --help` (and Ctrl-C while the library loads) fast: one process, ~0.3 s.
    code = ("import sys\nfrom mcrisk.cli.main import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('numpy', 'scipy', 'xarray', 'pandas', 'SALib', 'matplotlib') "
            "if m in sys.modules), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == "[]\n"
    assert "usage: mcrisk" in proc.stdout


@pytest.mark.parametrize("command", ["run", "sensitivity"])
@pytest.mark.parametrize("out, message", [
    ("~/x", f"out = '~/x' starts with a literal '~', which the shell expands only when it is not quoted; "
            f"did you mean {Path.home() / 'x'}?"),
    ("/proc/x", "out = '/proc/x' is under /proc, a system folder; name a folder for the results"),
    ("afile", "out = 'afile' is a file; name a folder for the results"),
    ("afile/x", "out = 'afile/x' cannot be created (afile is a file)"),
], ids=["tilde", "proc", "file", "under_a_file"])
def test_out_is_checked_before_computing(capsys, tmp_path: Path, good: Path, monkeypatch, command: str,
                                         out: str, message: str) -> None:
    import mcrisk.simulation.engine as engine
    import mcrisk.study.runner as runner

    def never(*args, **kwargs):
        raise AssertionError("computed before checking --out")

    monkeypatch.setattr(runner, "simulate", never)  # a module, imported by name: no function hides it
    monkeypatch.setattr(engine, "simulate", never)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("")
    assert main([command, str(good / "study_sensitivity.toml"), "--out", out, "--quiet"]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]  # in particular no ./~


def test_an_unexpected_error_is_one_line(capsys, good: Path, monkeypatch) -> None:
    import mcrisk.study.runner
    from mcrisk.core.errors import clip

    text = "x" * 300 + "\nsecond line"

    def bug(*args, **kwargs):
        raise RuntimeError(text)

    monkeypatch.setattr(mcrisk.study.runner, "run_study", bug)
    monkeypatch.delenv("MCRISK_DEBUG", raising=False)
    assert main(["run", str(good / "study_uniform_price.toml")]) == 1
    err = capsys.readouterr().err
    assert err == (f"error: internal error: RuntimeError: {clip('x' * 300 + ' second line')} "
                   "(MCRISK_DEBUG=1 shows the traceback)\n")
    assert len(err) < 300 and "x...x" in err
    monkeypatch.setenv("MCRISK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="second line"):
        main(["run", str(good / "study_uniform_price.toml")])


@pytest.mark.parametrize("stop, status, line", [(KeyboardInterrupt, 130, "interrupted"),
                                                (Terminated, 143, "terminated")], ids=["sigint", "sigterm"])
def test_interrupt_and_terminate_are_one_line(capsys, good: Path, monkeypatch, stop, status, line) -> None:
    # The real signals, sent to real runs while they import and while they write, are in
    # tests/test_outfolder.py; here the exceptions their handlers raise, in this process.
    import signal

    import mcrisk.study.runner

    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)

    def stopped(*args, **kwargs):
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, handlers[1])  # main's handler
        raise stop

    monkeypatch.setattr(mcrisk.study.runner, "run_study", stopped)
    assert main(["run", str(good / "study_uniform_price.toml")]) == status
    assert capsys.readouterr().err == f"{line}\n"
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers  # put back


def test_on_nonfinite_and_version(tmp_path: Path, capsys, good: Path) -> None:
    import mcrisk

    # gross_margin = profit / revenue is NaN when a constant zero price leaves no revenue.
    study = tmp_path / "s.toml"
    study.write_text('model = "maas"\npriors = ["' + (good / "maas_point.toml").as_posix()
                     + '"]\nsamples = 8\n[inputs]\nprice_output = 0.0\nprice_input_hit = 0.0\n'
                       'price_input_miss = 0.0\ngpu_hour_price = { dist = "uniform", low = 1.0, high = 2.0 }\n',
                     encoding="utf-8")
    assert main(["run", str(study), "--out", str(tmp_path / "o"), "--on-nonfinite", "error", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: gross_margin is NaN or infinite in 8 of 8 samples (the first is sample 0); "
                          "on_nonfinite = 'error' stops here") and err.count("\n") == 1
    assert not (tmp_path / "o").exists()
    assert main(["run", str(study), "--out", str(tmp_path / "o"), "--on-nonfinite", "keep", "--quiet",
                 "--formats", "svg"]) == 0
    out = capsys.readouterr().out
    assert "note: NaN and infinite samples are kept: a NaN makes every statistic NaN" in out
    assert "they are kept (on_nonfinite = 'keep')" in (tmp_path / "o" / "report.md").read_text(encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out == f"mcrisk {mcrisk.__version__}\n"


# ---- describe FILE.py:function, package.module:function and STUDY.toml (in process, < 0.1 s each) ----

_SHOP = '''import mcrisk


@mcrisk.model(inputs={"price": ("{currency}/1M tokens", "list price"), "tokens": "1M tokens/day"},
              outputs={"revenue": ("{currency}/day", "revenue per day")}, default_output="revenue")
def shop(*, price, tokens, fee=0.0):
    """Revenue of a token shop."""
    return {"revenue": price * tokens - fee}


def bare(*, x):
    return {"y": x}
'''


def test_describe_a_model_in_a_python_file(capsys, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "shop.py").write_text(_SHOP)
    monkeypatch.chdir(tmp_path)  # FILE.py is relative to the current folder
    assert main(["describe", "models/shop.py:shop"]) == 0
    assert capsys.readouterr().out == (
        "models/shop.py:shop: Revenue of a token shop.\n\n"
        "Inputs\n"
        "  price    {currency}/1M tokens  required     list price\n"
        "  tokens   1M tokens/day         required\n"
        "  fee                            default 0.0\n\n"
        "Outputs\n"
        "  revenue  {currency}/day        revenue per day\n\n"
        'A study analyses revenue unless it sets output = "...".\n'
        "{currency} is the study's currency.\n")


def test_describe_an_undeclared_model_says_how_to_declare_it(capsys, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "shop.py").write_text(_SHOP)
    monkeypatch.chdir(tmp_path)
    assert main(["describe", "shop.py:bare"]) == 0
    assert capsys.readouterr().out == (
        "shop.py:bare: (no docstring)\n\nInputs\n  x    required\n\nOutputs\n"  # x, no unit, required
        "  not declared; found by evaluating the model once (@mcrisk.model(outputs=...) declares them)\n"
        "{currency} is the study's currency.\n")


def test_describe_a_model_in_a_package_module(capsys) -> None:
    assert main(["describe", "mcrisk.models.testfunctions:ishigami"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("mcrisk.models.testfunctions:ishigami: The Ishigami function ")
    assert lines[lines.index("Outputs") + 1].split() == ["y", "1", "Ishigami", "function"]


def test_describe_a_study_lists_what_it_sets_and_leaves_free(capsys, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "shop.py").write_text(_SHOP)
    (tmp_path / "s.toml").write_text('model = "shop.py:shop"\ncurrency = "EUR"\n'
                                     '[inputs.price]\ndist = "uniform"\nlow = 1\nhigh = 2\n'
                                     '[inputs.tokens]\nvalue = 3\n')
    monkeypatch.chdir(tmp_path)
    assert main(["describe", "s.toml"]) == 0
    assert capsys.readouterr().out == (
        "s.toml: model shop.py:shop: Revenue of a token shop.\n\n"
        f"{'Inputs':<39}in this study\n"  # over the fourth column
        "  price    EUR/1M tokens  required     uncertain uniform(low=1, high=2)  list price\n"
        "  tokens   1M tokens/day  required     constant 3\n"
        "  fee                     default 0.0  model default\n\n"
        "Outputs\n"
        "  revenue  EUR/day        revenue per day\n\n"
        "The study analyses revenue. It sets 2 inputs (1 uncertain: price; 1 constant) and leaves 1 at "
        "the model's defaults: fee.\n")


@pytest.mark.parametrize(("arg", "message"), [
    ("nosuch.py:f", "describe: model = 'nosuch.py:f': no such file {tmp}/nosuch.py"),
    ("shop.py:nosuch", "describe: model = 'shop.py:nosuch': shop.py has no function 'nosuch'"),
    ("nosuch.toml", "nosuch.toml: no such file"),
], ids=["file", "function", "study"])
def test_describe_errors_are_one_line(capsys, tmp_path: Path, monkeypatch, arg: str, message: str) -> None:
    (tmp_path / "shop.py").write_text(_SHOP)
    monkeypatch.chdir(tmp_path)
    assert main(["describe", arg]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"error: {message.format(tmp=tmp_path)}\n" and captured.out == ""


def test_main_leaves_the_warnings_module_as_it_found_it(tmp_path: Path, capsys) -> None:
    # the CLI shows warnings its own way while a command runs, and a program calling main()
    # gets its own display and filters back, whether the command succeeds or fails
    import warnings

    shown, filters = warnings.showwarning, list(warnings.filters)
    assert main(["check", str(tmp_path / "nope.toml")]) == 2
    assert main(["check", str(Path(__file__).resolve().parent.parent / "studies" / "deepseek_545.toml")]) == 0
    assert warnings.showwarning is shown and warnings.filters == filters
    capsys.readouterr()
