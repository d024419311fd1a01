"""Every value through the same checks: a value given on the command line, in a [sweep] or [solve]
table or to a library function is refused in the words the same value in a study file gets.

For each rule the message is asserted whole, per source: the part that names where the value came
from (``studies/x.toml: [paid_share]``, ``--set paid_share=2.0:``, ``--output``) differs, the rule
text after it is the same, made by the same function (:mod:`mcrisk.core.domains`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from mcrisk.analyze.solve import solve
from mcrisk.analyze.sweep import sweep
from mcrisk.cli.main import main
from mcrisk.core.errors import SpecError
from mcrisk.spec.studyfile import load_study

GOOD = Path(__file__).parent / "data" / "good"

#: The rule text of a share outside [0, 1] and of a negative throughput, wherever they come from.
SHARE = 'value 2 lies outside the domain of paid_share, [0, 1]; a share is a fraction (0.5 for 50%), or give unit = "%"'
NEGATIVE = "value -1 lies outside the domain of decode_tps_per_node, [0, inf)"
#: The rule text of an hourly output named for an analysis (maas_hourly's daily outputs listed).
HOURLY = ("'profit' is an hourly output over (sample, hour); analyses take one value per sample, such as the "
          "daily totals; outputs: nodes_avg, nodes_provisioned, nodes_charged, utilization, cost_per_day, "
          "list_revenue, revenue_per_day, profit_per_day, cost_profit_margin, gross_margin, "
          "cost_per_million_output_tokens, nodes_peak")


def _maas(tmp_path: Path, extra: str = "", name: str = "s") -> Path:
    """A maas study (every input a constant but the GPU rent) with ``extra`` appended to its [inputs]."""
    text = (GOOD / "study_uniform_price.toml").read_text(encoding="utf-8").replace(
        '"maas_point.toml"', f'"{(GOOD / "maas_point.toml").as_posix()}"')
    path = tmp_path / f"{name}.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def _hourly(tmp_path: Path, extra: str = "", output: str = "cost_profit_margin") -> Path:
    """The shipped maas_hourly study (studies/deepseek_hourly.toml) with ``extra`` appended."""
    text = (ROOT / "studies" / "deepseek_hourly.toml").read_text(encoding="utf-8")
    text = text.replace('"../priors/', f'"{(ROOT / "priors").as_posix()}/').replace(
        'output = "cost_profit_margin"', f'output = "{output}"')
    path = tmp_path / "h.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def _refused(capsys, argv: list[str], out: Path) -> str:
    """Run ``mcrisk argv``: exit status 2, one line on stderr, nothing written; the line."""
    try:
        status = main([*argv, "--out", str(out)])
    except SystemExit as stop:  # a flag's value: refused while the command line is parsed
        status = stop.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()
    return err.rstrip("\n")


def _load_error(path: Path) -> str:
    with pytest.raises(SpecError) as err:
        load_study(path)
    return str(err.value)


# -- a value outside its input's domain --------------------------------------------------------

def test_a_share_outside_its_domain_is_one_message_from_every_source(tmp_path, capsys) -> None:
    path = _maas(tmp_path, "paid_share = 2\n", name="file")
    assert _load_error(path) == f"{path}: [paid_share] {SHARE}"
    base = _maas(tmp_path)
    assert _refused(capsys, ["run", str(base), "--set", "paid_share=2"], tmp_path / "o") == (
        f"error: --set paid_share=2.0: {SHARE}")
    sweep_file = _maas(tmp_path, '\n[sweep]\nlever = "paid_share"\nvalues = [0.5, 2]\n', name="sweep")
    assert _load_error(sweep_file) == f"{sweep_file}: [sweep] values: {SHARE}"
    solve_file = _maas(tmp_path, '\n[solve]\nlever = "paid_share"\ntarget = "P(profit_per_day > 0) >= 0.9"\n'
                                 "low = 0.5\nhigh = 2\n", name="solve")
    assert _load_error(solve_file) == f"{solve_file}: [solve] high: {SHARE}"
    assert _refused(capsys, ["solve", str(base), "--lever", "paid_share", "--target",
                             "P(profit_per_day > 0) >= 0.9", "--low", "0.5", "--high", "2"], tmp_path / "o") == (
        f"error: --high: {SHARE}")


def test_a_negative_throughput_is_one_message_from_every_source(tmp_path, capsys) -> None:
    path = _maas(tmp_path, "decode_tps_per_node = -1\n", name="file")
    assert _load_error(path) == f"{path}: [decode_tps_per_node] {NEGATIVE}"
    base = _maas(tmp_path)
    assert _refused(capsys, ["run", str(base), "--set", "decode_tps_per_node=-1"], tmp_path / "o") == (
        f"error: --set decode_tps_per_node=-1.0: {NEGATIVE}")
    assert _refused(capsys, ["solve", str(base), "--lever", "decode_tps_per_node", "--target",
                             "P(profit_per_day > 0) >= 0.9", "--low", "-1", "--high", "100"], tmp_path / "o") == (
        f"error: --low: {NEGATIVE}")
    sweep_file = _maas(tmp_path, '\n[sweep]\nlever = "decode_tps_per_node"\nlow = -1\nhigh = 100\nnum = 3\n',
                       name="sweep")
    assert _load_error(sweep_file) == f"{sweep_file}: [sweep] values: {NEGATIVE}"


def test_the_library_sweep_and_solve_check_lever_values_as_the_file_does(tmp_path) -> None:
    study = load_study(_maas(tmp_path))
    with pytest.raises(SpecError) as err:
        sweep(study.model, study.priors, "paid_share", [0.5, 2], 10, rng=0)
    assert str(err.value) == f"sweep: values: {SHARE}"
    with pytest.raises(SpecError) as err:
        solve(study.model, study.priors, "decode_tps_per_node", "P(profit_per_day > 0) >= 0.5", -1, 100, 10, rng=0)
    assert str(err.value) == f"solve: low: {NEGATIVE}"


def test_a_solve_without_bounds_searches_inside_the_lever_domain(tmp_path) -> None:
    # offpeak_reuse is a constant 1 in maas_point.toml: [c/10, 10 c] would reach 10, outside [0, 1];
    # cache_hit_share = 0.5625 would reach 5.625
    from mcrisk.analyze.decision_run import _default_range

    study = load_study(_maas(tmp_path))
    assert _default_range(study, "offpeak_reuse") == (0.1, 1.0)
    assert _default_range(study, "cache_hit_share") == (0.05625, 1.0)
    assert _default_range(study, "price_output") == (0.219, 21.9)  # no upper bound: as before


# -- an output no analysis takes ---------------------------------------------------------------

@pytest.mark.parametrize("key, extra", [
    ("output", ""),
    ("[scenarios] output", '\n[scenarios]\noutput = "profit"\n'),
    ("[scenarios] event", '\n[scenarios]\nevent = "profit < 0"\n'),
    ("[value_of_information] output", '\n[value_of_information]\noutput = "profit"\n'),
    ("[sweep] output", '\n[sweep]\nlever = "gpu_hour_price"\nvalues = [1, 2]\noutput = "profit"\n'),
    ("[solve] target output", ('\n[solve]\nlever = "gpu_hour_price"\ntarget = "P(profit < 0) <= 0.5"\n'
                               "low = 1\nhigh = 5\n")),
    ("[tornado] output", '\n[tornado]\noutput = "profit"\n'),
])
def test_an_hourly_output_in_a_study_file(tmp_path, key, extra) -> None:
    path = _hourly(tmp_path, extra, output="profit" if key == "output" else "cost_profit_margin")
    assert _load_error(path) == f"{path}: {key} = {HOURLY}"


@pytest.mark.parametrize("argv, flag", [
    (["scenarios", "--output", "profit"], "--output"),
    (["voi", "--output", "profit"], "--output"),
    (["scenarios", "--event", "profit < 0"], "--event"),
    (["solve", "--lever", "gpu_hour_price", "--low", "1", "--high", "5", "--target", "P(profit < 0) <= 0.5"],
     "--target output"),
], ids=["scenarios-output", "voi-output", "scenarios-event", "solve-target"])
def test_an_hourly_output_on_the_command_line(tmp_path, capsys, argv, flag) -> None:
    path = _hourly(tmp_path)
    assert _refused(capsys, [argv[0], str(path), *argv[1:]], tmp_path / "o") == f"error: {flag} = {HOURLY}"


# -- run settings ------------------------------------------------------------------------------

@pytest.mark.parametrize("key, value, rule", [
    ("method", "lhsx", "method = 'lhsx' is not a sampling method; known: random, lhs, sobol"),
    ("samples", "0", "samples = 0 must be an integer from 1 to 1,099,511,627,776"),
    ("seed", "-1", "seed = -1 must be an integer >= 0 and < 2**63"),
])
def test_a_run_setting_is_one_message_in_the_file_and_as_a_flag(tmp_path, capsys, key, value, rule) -> None:
    base = _maas(tmp_path)
    text = base.read_text(encoding="utf-8")
    written = f'"{value}"' if key == "method" else value
    bad = tmp_path / "bad.toml"
    bad.write_text("\n".join(f"{key} = {written}" if line.startswith(f"{key} =") else line
                             for line in text.splitlines()), encoding="utf-8")
    assert _load_error(bad) == f"{bad}: {rule}"
    assert _refused(capsys, ["run", str(base), f"--{key}", value], tmp_path / "o") == (
        f"error: mcrisk run: argument --{key}: {rule}")


def test_on_nonfinite_as_a_flag_gets_its_check_not_argparse_choices(tmp_path, capsys) -> None:
    assert _refused(capsys, ["run", str(_maas(tmp_path)), "--on-nonfinite", "x"], tmp_path / "o") == (
        "error: mcrisk run: argument --on-nonfinite: on_nonfinite = 'x' is not a policy for NaN or infinite "
        "outputs; known: drop, keep, error")


# -- [options] ---------------------------------------------------------------------------------

def test_an_option_is_one_message_for_the_model_and_for_a_chain_that_holds_it(tmp_path) -> None:
    rule = "[options]: policy = 'schedul' is not a policy; known: 'fixed', 'elastic', 'schedule', 'capped'"
    single = _hourly(tmp_path)
    single.write_text(single.read_text(encoding="utf-8").replace('policy = "schedule"', 'policy = "schedul"'),
                      encoding="utf-8")
    assert _load_error(single) == f"{single}: {rule}"
    text = (ROOT / "studies" / "own_vs_rent.toml").read_text(encoding="utf-8")
    text = text.replace('"../priors/', f'"{(ROOT / "priors").as_posix()}/').replace(
        '"own_vs_rent.py:', f'"{(ROOT / "studies").as_posix()}/own_vs_rent.py:')
    chained = tmp_path / "chain.toml"  # gpu_hour_cost -> rent_gap -> maas_hourly
    chained.write_text(text.replace('policy = "fixed"', 'policy = "schedul"'), encoding="utf-8")
    assert _load_error(chained) == f"{chained}: {rule}"


@pytest.mark.parametrize("value", ["abc", "-1"])
def test_a_solve_tolerance_is_one_message_in_the_file_and_as_a_flag(tmp_path, capsys, value) -> None:
    shown = "'abc'" if value == "abc" else "-1"
    rule = "must be a positive number in the lever's units, or a percentage of the answer such as \"0.5%\""
    written = '"abc"' if value == "abc" else value
    table = ('\n[solve]\nlever = "paid_share"\ntarget = "P(profit_per_day > 0) >= 0.5"\nlow = 0.1\nhigh = 1\n'
             f"tolerance = {written}\n")
    path = _maas(tmp_path, table, name="solve")
    assert _load_error(path) == f"{path}: [solve] tolerance = {shown} {rule}"
    flag = "'abc'" if value == "abc" else "-1.0"
    assert _refused(capsys, ["solve", str(_maas(tmp_path)), "--lever", "paid_share", "--target",
                             "P(profit_per_day > 0) >= 0.5", "--low", "0.1", "--high", "1", "--tolerance", value],
                    tmp_path / "o") == f"error: --tolerance = {flag} {rule}"


def test_a_solve_bound_that_is_no_number_is_one_message_in_the_file_and_as_a_flag(tmp_path, capsys) -> None:
    table = '\n[solve]\nlever = "paid_share"\ntarget = "P(profit_per_day > 0) >= 0.5"\nlow = "abc"\nhigh = 1\n'
    path = _maas(tmp_path, table, name="solve")
    assert _load_error(path) == f"{path}: [solve] low = 'abc' must be a number"
    assert _refused(capsys, ["solve", str(_maas(tmp_path)), "--lever", "paid_share", "--target",
                             "P(profit_per_day > 0) >= 0.5", "--low", "abc", "--high", "1"], tmp_path / "o") == (
        "error: --low = 'abc' must be a number")
