"""The combination matrix, continued: every command and run option that takes a study, on each model form.

On each form of :data:`test_matrix.FORMS`, with the studies of :mod:`test_matrix_tables` (64
samples, every table, the output's break-even mid-range): ``mcrisk run --formats png,pptx,xlsx``
and ``mcrisk deck``; ``mcrisk check``, ``describe``, ``solve``, ``scenarios``, ``voi``,
``sensitivity`` and ``compare``; ``--summary-only``, ``--set`` and the local dask pool of
``--workers 2`` (one for all five forms). Commands run in this process through
:func:`mcrisk.cli.main.main`. Only the export cell draws its charts; the other cells that write a
folder draw none (:func:`no_figures`: drawing is 0.5-1.5 s of CPU a chart and is the same code
whichever command asks for it), to keep the matrix within a minute of the suite's time.

:data:`REFUSED` lists every refused cell of the matrix with its one-line message, asserted.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pptx
import pytest
from openpyxl import load_workbook
from test_matrix import FORMS
from test_matrix_tables import DECIDE, DESIGNS, SAMPLES, _discovery, _solve, _sweep, slope, tables_text, write_study

import mcrisk.report.document
from mcrisk import run_study
from mcrisk.cli.main import main




#: Every table but [sweep] (whose deck is the xfail below): the study of the command cells.
def command_tables(form: str, *, held: bool = False) -> str:
    """The decision and discovery tables from ``[solve]`` on; ``held``: none naming the held input
    or the lever in the value of information (a study file refuses those once they are constants)."""
    text = tables_text(form, lever_inputs=not held, studies=not held)
    return text[text.index("[solve]"):]


def run_main(args: list[str]) -> tuple[int, str, str]:
    """``mcrisk ARGS`` in this process: exit status, stdout, stderr (argparse's exit included)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(args)
        except SystemExit as e:
            rc = e.code
    return rc, out.getvalue(), err.getvalue()


def _titles(path: Path) -> list[str]:
    return [s.shapes.title.text_frame.text if s.shapes.title is not None else "" for s in pptx.Presentation(path).slides]


@pytest.fixture
def no_figures(monkeypatch):
    """Charts are planned but not drawn: the report and deck are written without their pictures."""
    def render(plan, figdir, formats, progress, alongside=()):
        for job in alongside:  # results.nc
            job()
        return [(name, name, b"", []) for name, _ in plan]
    monkeypatch.setattr(mcrisk.report.document, "render_all", render)


@pytest.fixture(scope="module", params=list(FORMS))
def exported(request, tmp_path_factory):
    """Each form's study with every table run by ``mcrisk run --formats png,pptx,xlsx``, charts drawn."""
    form = request.param
    folder = tmp_path_factory.mktemp(form)
    path = write_study(folder, form, tables=tables_text(form))
    rc, out, err = run_main(["run", str(path), "--out", str(folder / "out"), "--quiet", "--formats", "png,pptx,xlsx"])
    return form, path, folder / "out", rc, out, err


def test_export_on_every_form(exported):
    form, _path, out, rc, printed, err = exported
    assert (rc, err) == (0, "")
    lever = DECIDE[form][0]
    sol = json.loads((out / "solve.json").read_text())
    assert sol["lever"] == lever and f"[solve] {lever} = " in printed
    files = {p.name for p in out.iterdir()} | {p.name for p in (out / "figures").iterdir()}
    assert files >= {"deck.pptx", "workbook.xlsx", "results.nc", "summary.csv", "tornado.csv", "scenarios.csv",
                     "voi.csv", "solve.json", "report.html", "sweep.png", "scenarios_box.png", "voi.png", "tornado.png",
                     "evsi.csv", "voi_lever.csv", "evsi.png", "voi_lever.png"}
    titles = _titles(out / "deck.pptx")
    assert titles[1] == "Headline" and {"Scenarios", "Value of information", "Value of sample information (EVSI, ENBS)",
                                        "Value of information against the lever"} <= set(titles), titles
    assert [t for t in titles if t.startswith("Tornado")], titles
    assert [t for t in titles if t.startswith("Trial of ")] and [t for t in titles if t.startswith("Knowledge is worth")]
    ev, lv = pd.read_csv(out / "evsi.csv"), pd.read_csv(out / "voi_lever.csv")
    assert list(ev.columns) == ["study", "input", "n", "evsi", "se", "enbs", "se_vs_best"]
    assert list(ev.n) == [1, 4, 1_000_000] and ev.se_vs_best[ev.enbs.idxmax()] == 0  # the best size against itself
    assert list(lv.columns) == ["lever_value", "inputs", "evppi", "se"] and len(lv) == 6  # 3 values x (input, all)
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## What a study is worth" in report and "## Where knowledge is worth most" in report
    wb = load_workbook(out / "workbook.xlsx", read_only=True)
    assert {"Summary", "Tornado", "Assumptions", "Samples", "EVSI", "VOI lever"} <= set(wb.sheetnames)
    enbs = [r[5] for r in wb["EVSI"].iter_rows(min_row=3, max_row=5, values_only=True)]
    lead = [r[10] for r in wb["EVSI"].iter_rows(min_row=3, max_row=5, values_only=True)]
    assert lead == pytest.approx(list(ev.se_vs_best), rel=1e-9)  # the sheet's paired SE is evsi.csv's (10 digits)
    assert enbs == pytest.approx(list(ev.enbs), rel=1e-9)  # numbers, not text
    samples = list(wb["Samples"].iter_rows(values_only=True))
    wb.close()  # a read-only workbook holds its file open until closed
    assert len(samples) == 1 + SAMPLES  # a header and one row a sample


def test_deck_command_of_a_sweep_study(exported):
    _form, path, out, *_ = exported
    rc, printed, err = run_main(["deck", str(path), "--out", str(out)])
    assert (rc, err, printed) == (0, "", f"wrote {out}/deck.pptx\n")


@pytest.fixture(params=list(FORMS))
def command_study(request, tmp_path, no_figures):
    """The form's study with [solve], [scenarios], [value_of_information] and [tornado]; no chart drawn."""
    return request.param, write_study(tmp_path, request.param, tables=command_tables(request.param))


def test_check_and_describe_on_every_form(command_study, tmp_path):
    form, path = command_study
    rc, out, err = run_main(["check", str(path)])
    n = len(load_study_inputs(path))
    assert (rc, err) == (0, "") and out.startswith(f"{path}: study ok (")
    rc, out, err = run_main(["describe", str(path)])
    assert (rc, err) == (0, "") and f"The study analyses {FORMS[form][2]}." in out and n > 0


def load_study_inputs(path: Path) -> tuple[str, ...]:
    from mcrisk import load_study
    return load_study(path).priors.uncertain


def test_solve_command_on_every_form(command_study, tmp_path):
    """``mcrisk solve`` with the [solve] table's samples, seed and design gives its answer bit for bit;
    the same from the command line's --lever/--target/--low/--high."""
    form, path = command_study
    lever, low, high, _ = DECIDE[form]
    table = run_study(path, write=False).tables["solve"]
    rc, _out, err = run_main(["solve", str(path), "--out", str(tmp_path / "a")])
    assert (rc, err) == (0, "")
    given = ["--lever", lever, "--target", f"P({FORMS[form][2]} < 0) <= 0.5", "--low", str(low), "--high", str(high)]
    assert run_main(["solve", str(path), *given, "--out", str(tmp_path / "b")])[0] == 0
    for name in ("a", "b"):
        got = json.loads((tmp_path / name / "solve.json").read_text())
        assert (got["value"], got["ci_low"], got["ci_high"]) == (table.value, table.ci_low, table.ci_high)
    if form.endswith("_file"):
        assert table.ci_low <= 0.55 <= table.ci_high  # 10 a - 5.5 = 0


def test_scenarios_voi_and_deck_commands_on_every_form(command_study, tmp_path):
    """``mcrisk scenarios`` and ``mcrisk voi`` write the study's folder; the box restricts the driver,
    its EVPPI is the largest; ``mcrisk deck`` then rewrites the deck from that folder alone."""
    form, path = command_study
    driver = DECIDE[form][0]
    out = tmp_path / "out"
    rc, printed, err = run_main(["scenarios", str(path), "--out", str(out), "--quiet", "--formats", "pptx,xlsx"])
    assert (rc, err) == (0, "") and f"Scenarios ({EVENT_SHOWN[form]}, PRIM)" in printed
    box = pd.read_csv(out / "scenarios.csv")
    assert driver in set(box.loc[box.box == 1, "input"]), box  # the rows of the inputs each box restricts
    rc, printed, err = run_main(["voi", str(path), "--out", str(out), "--quiet", "--formats", "pptx,xlsx"])
    assert (rc, err) == (0, "")
    voi = pd.read_csv(out / "voi.csv")
    single = voi[voi.inputs.isin(load_study_inputs(path))]
    assert single.sort_values("evppi").inputs.iloc[-1] == driver and single.evppi.max() > 0, voi
    before = _titles(out / "deck.pptx")
    (out / "deck.pptx").unlink()
    rc, printed, err = run_main(["deck", str(path), "--out", str(out)])
    assert (rc, err, printed) == (0, "", f"wrote {out}/deck.pptx\n")
    assert _titles(out / "deck.pptx") == before and {"Scenarios", "Value of information"} <= set(before)


def test_sensitivity_command_on_every_form(command_study, tmp_path):
    form, path = command_study
    out = tmp_path / "out"
    rc, printed, err = run_main(["sensitivity", str(path), "--method", "morris", "--samples", "8", "--out", str(out),
                                 "--quiet", "--formats", "png"])
    assert (rc, err) == (0, "") and f"Sensitivity of {SHOWN[form]}: morris, N = 8" in printed
    table = pd.read_csv(out / "sensitivity.csv")
    assert table.sort_values("mu_star").input.iloc[-1] == DECIDE[form][0], table


#: model form -> its output as printed: by label, money per the study's period (here per day)
SHOWN = {"maas": "profit per day", "maas_hourly": "profit per day", "chain": "profit per day", "plain_file": "y",
         "decorated_file": "y", "maas_curve": "profit per day", "hourly_curve": "profit per day",
         "chain_curve": "profit per day"}


#: model form -> its loss event as printed: the declared output's unit "1" reads as a percentage
EVENT_SHOWN = {"maas": "profit per day < USD 0", "maas_hourly": "profit per day < USD 0",
               "chain": "profit per day < USD 0", "plain_file": "y < 0", "decorated_file": "y < 0%",
               "maas_curve": "profit per day < USD 0", "hourly_curve": "profit per day < USD 0",
               "chain_curve": "profit per day < USD 0"}


#: model form -> (study B's driver, uniform from low to high, and A's width): ``mcrisk compare A B``
MOVED = {"maas": ("price_output", 1.5, 4.5, 2.0), "maas_hourly": ("price_output", 1.5, 4.5, 2.0),
         "chain": ("server_price_per_gpu", 51000, 81000, 20000.0),
         "maas_curve": ("price_output", 1.5, 4.5, 2.0), "hourly_curve": ("price_output", 1.5, 4.5, 2.0),
         "chain_curve": ("server_price_per_gpu", 51000, 81000, 20000.0),
         "plain_file": ("a", 0.5, 2.0, 1.0), "decorated_file": ("a", 0.5, 2.0, 1.0)}


def _compare(tmp_path: Path, form: str, b_prior: str) -> tuple[int, str, str, pd.DataFrame | None]:
    a = write_study(tmp_path, form, tables=command_tables(form), name="a")
    b = write_study(tmp_path, form, tables=command_tables(form), name="b", inputs=b_prior)
    rc, printed, err = run_main(["compare", str(a), str(b), "--samples", str(SAMPLES), "--out", str(tmp_path / "o"),
                                 "--formats", "png"])
    if rc:
        return rc, printed, err, None
    table = pd.read_csv(tmp_path / "o" / "compare.csv")
    return rc, printed, err, table[table.output == FORMS[form][2]].set_index("statistic")


@pytest.mark.parametrize("form", list(FORMS))
def test_compare_two_studies_of_every_form(tmp_path, form):
    """B's driver is drawn from the same uniforms u as A's (inputs matched by name) over a range moved up
    and widened: each sample of B is A's moved by slope x (B's driver - A's), and the difference of
    the means is exactly that at the mean of the draws."""
    name, low, high, width = MOVED[form]
    rc, printed, err, table = _compare(tmp_path, form, f'{name} = {{ dist = "uniform", low = {low}, high = {high} }}')
    assert (rc, err) == (0, "")
    run = run_study(tmp_path / "a.toml", write=False)  # A's samples in the comparison: its seed, samples, design
    a_low = DECIDE[form][1] if name == DECIDE[form][0] else None
    u = (run.results[name].values - a_low) / width
    moved = slope(form, run.results) * np.mean(low + u * (high - low) - (a_low + u * width))
    assert table.loc["mean", "diff"] == pytest.approx(moved, rel=1e-9)
    for stat in ("mean", "p05", "p50", "p95"):
        assert table.loc[stat, "diff_low"] <= table.loc[stat, "diff"] <= table.loc[stat, "diff_high"]
        assert np.sign(table.loc[stat, "diff"]) == np.sign(moved), stat  # B earns more, or (the chain) less
    assert np.sign(table.loc["p_below_zero", "diff"]) in (0, -np.sign(moved))
    assert f"note: {name}: A uniform(" in printed, printed


def test_compare_of_a_constant_difference(tmp_path):
    # b moves every sample by exactly 10 x 0.5 = 5 (up to rounding): a difference that is one number
    rc, _printed, err, table = _compare(tmp_path, "plain_file", 'a = { dist = "uniform", low = 0.5, high = 1.5 }')
    assert (rc, err) == (0, "")
    assert table.loc["mean", "diff"] == pytest.approx(5.0, rel=1e-12)


@pytest.mark.parametrize("form", list(FORMS))
def test_summary_only_on_every_form(tmp_path, form):
    """Per-sample tables are skipped with a note; [sweep], [solve] and [tornado] run; the summary is the full run's."""
    path = write_study(tmp_path, form, tables=tables_text(form))
    out = tmp_path / "out"
    rc, printed, err = run_main(["run", str(path), "--summary-only", "--out", str(out), "--quiet",
                                 "--formats", "png,pptx,xlsx"])
    assert (rc, err) == (0, "")
    for line in ("[scenarios] skipped: --summary-only keeps no per-sample results",
                 "[value_of_information] skipped: --summary-only keeps no per-sample results",
                 "pptx, xlsx skipped: --summary-only keeps no per-sample results",
                 f"[solve] {DECIDE[form][0]} = "):
        assert line in printed, (line, printed)
    # the table's studies and lever are skipped with it, said once
    assert printed.count("[value_of_information] skipped") == 1 and not (out / "evsi.csv").exists()
    full = run_study(path, write=False)
    assert json.loads((out / "solve.json").read_text())["value"] == full.tables["solve"].value
    got = pd.read_csv(out / "tornado.csv").set_index("input").swing
    np.testing.assert_allclose(got.values, full.tables["tornado"].swing.sel(input=got.index).values, rtol=1e-9)
    assert not (out / "deck.pptx").exists() and not (out / "scenarios.csv").exists()


#: model form -> the input ``--set`` holds (not the lever) and the value: the other input that matters
HELD = {"maas": ("gpu_hour_price", 8.38), "maas_hourly": ("gpu_hour_price", 11.15),
        "chain": ("electricity_price", 0.1), "plain_file": ("b", -5.5), "decorated_file": ("b", -5.5),
        "maas_curve": ("gpu_hour_price", 8.38), "hourly_curve": ("gpu_hour_price", 3.17),
        "chain_curve": ("electricity_price", 0.1)}


@pytest.mark.parametrize("form", list(FORMS))
def test_set_on_every_form(tmp_path, form):
    """``--set`` holds an input in the run and in every table's draws; the tables' closed forms still hold."""
    name, value = HELD[form]
    # the value of information's lever_inputs name the held input, refused once it is not uncertain: left out
    path = write_study(tmp_path, form, tables=tables_text(form, lever_inputs=False))
    run = run_study(path, settings={name: value}, write=False)
    assert np.all(run.results[name].values == value)
    assert np.all(run.tables["sweep"].results[name].values == value)
    assert name not in run.tables["value_of_information"].inputs.values  # no longer uncertain
    _sweep(form, run, value if form.endswith("_file") else None)
    _solve(form, run)
    _discovery(form, run)
    if form.endswith("_file"):  # y = 10 a - 5.5 in every sample: P(y < 0) falls from 1 to 0 at a = 0.55
        np.testing.assert_allclose(run.results["y"].values, 10 * run.results["a"].values - 5.5, rtol=1e-12)
        assert run.tables["solve"].value == pytest.approx(0.55, abs=run.tables["solve"].tolerance)


def _same(one, other) -> None:
    assert set(one.data_vars) == set(other.data_vars)
    for k in one.data_vars:
        assert np.array_equal(one[k].values, other[k].values, equal_nan=True), k


def test_a_local_dask_pool_on_every_form(tmp_path):
    """Every form on the two-worker local cluster ``--workers 2`` starts (one cluster for all five, by its
    address, as ``--scheduler`` takes it; chunks of 16 samples spread over both workers): the numbers of
    one process, bit for bit. (tests/test_cluster.py runs ``--workers 2`` itself, and a real cluster.)"""
    pytest.importorskip("distributed")
    from mcrisk.simulation.distributed import client
    with client(workers=2) as pool:
        address = pool.scheduler.address
        for form in FORMS:
            (tmp_path / form).mkdir()
            path = write_study(tmp_path / form, form, tables=command_tables(form))
            one = run_study(path, write=False)
            pooled = run_study(path, write=False, scheduler=address, chunk_size=16)
            _same(one.results, pooled.results)
            _same(one.summary, pooled.summary)
            assert pooled.tables["solve"] == one.tables["solve"], form
            _same(one.tables["value_of_information"], pooled.tables["value_of_information"])


_ELECTRICITY = ('[solve]\nlever = "electricity_price"\ntarget = "P(profit_per_day < 470000) <= 0.5"\nlow = 0.05\n'
                'high = 0.15\n')
_INTERMEDIATE = '[sweep]\nlever = "gpu_hour_price"\nvalues = [1, 2]\n'
#: Every refused cell of the matrix, and why: cell -> (model form, the study's tables, whether its break-even
#: is shifted, the command, its exact one-line message). ``{study}`` is the study file and ``{out}`` a new
#: folder; each study has 64 samples, seed 7 and the random design unless its command says otherwise.
#: An hourly output named for analysis is refused too: test_matrix.py asserts those messages.
REFUSED = {
    "[solve] met over its whole range (the chain, lhs)": (
        "chain", _ELECTRICITY, False, ["run", "{study}", "--method", "lhs", "--quiet", "--out", "{out}"],
        ("{study}: [solve] target 'P(profit_per_day < 470000) <= 0.5' is met over all of [0.05, 0.15] for "
         "electricity_price (P(profit_per_day < 470000) = 0.3125 at 0.05, 0.484375 at 0.15); lower low or raise "
         "high to find where it is just met")),
    "[sweep] of an input the chain computes": (
        "chain", _INTERMEDIATE, True, ["run", "{study}", "--out", "{out}"],
        ("{study}: [sweep] lever = 'gpu_hour_price' is not an input of the model; inputs: server_price_per_gpu, "
         "depreciation_years, electricity_price, input_tokens, output_tokens, prefill_tps_per_node, "
         "decode_tps_per_node, price_input_miss, price_output, financing_rate, power_kw_per_gpu, pue, "
         "hosting_per_gpu_year, service_share, cache_hit_share, price_input_hit, gpus_per_node, headro ...")),
    "--set of an input the chain computes": (
        "chain", "", True, ["run", "{study}", "--set", "gpu_hour_price=2", "--out", "{out}"],
        ("--set gpu_hour_price=2.0: not an input of the study; inputs: input_tokens, output_tokens, "
         "prefill_tps_per_node, decode_tps_per_node, price_input_miss, server_price_per_gpu, depreciation_years, "
         "electricity_price, power_kw_per_gpu, price_output, cache_hit_share, financing_rate, pue, "
         "hosting_per_gpu_year, service_share, price_input_hit, gpus_per_node, headroom, offpeak_reuse, "
         "overhead_share, paid_share, price_cut, offpeak_discount, burst_dispersion, service_quantile, peak_to_avg, "
         "trough_to_avg, peak_hour")),
    "[value_of_information] on fewer than 20 samples": (
        "maas_hourly", "[value_of_information]\n", True,
        ["run", "{study}", "--samples", "16", "--quiet", "--out", "{out}"],
        "{study}: [value_of_information] 16 samples with finite profit_per_day; at least 20 needed"),
    "precision with --workers 2": (
        "plain_file", "", False, ["run", "{study}", "--precision", "mean:5%", "--workers", "2", "--out", "{out}"],
        "--precision runs its batches in this process; it cannot be combined with --workers or --scheduler"),
    "precision with --summary-only": (
        "decorated_file", "", False, ["run", "{study}", "--precision", "mean:5%", "--summary-only", "--out", "{out}"],
        "--precision keeps every sample used; it cannot be combined with --summary-only"),
    "mcrisk scenarios --summary-only (no per-sample results to search)": (
        "maas", "[scenarios]\n", True, ["scenarios", "{study}", "--summary-only", "--out", "{out}"],
        "mcrisk: unrecognized arguments: --summary-only"),
    "mcrisk voi --summary-only": (
        "maas", "[value_of_information]\n", True, ["voi", "{study}", "--summary-only", "--out", "{out}"],
        "mcrisk: unrecognized arguments: --summary-only"),
    "mcrisk sensitivity --summary-only": (
        "plain_file", "", True, ["sensitivity", "{study}", "--summary-only", "--out", "{out}"],
        "mcrisk: unrecognized arguments: --summary-only"),
    "mcrisk solve --workers 2 (a solve runs in this process)": (
        "chain", command_tables("chain"), True, ["solve", "{study}", "--workers", "2", "--out", "{out}"],
        "mcrisk: unrecognized arguments: --workers 2"),
    "mcrisk compare --summary-only (the paired differences need the samples)": (
        "maas", "", True, ["compare", "{study}", "{study}", "--summary-only", "--out", "{out}"],
        "mcrisk: unrecognized arguments: --summary-only"),
    "mcrisk deck before any run": (
        "decorated_file", "", True, ["deck", "{study}", "--out", "{out}"],
        "{out}: no results.nc; run `mcrisk run {study}` first to write the folder (or give it with --out)"),
}


@pytest.mark.parametrize("cell", list(REFUSED))
def test_refused_cells_say_why_in_one_line(tmp_path, cell):
    form, tables, shift, command, message = REFUSED[cell]
    path = write_study(tmp_path, form, tables=tables, shift=shift)
    names = {"study": str(path), "out": str(tmp_path / "out")}
    rc, _printed, err = run_main([a.format(**names) for a in command])
    assert (rc, err) == (2, f"error: {message.format(**names)}\n")
    assert not (tmp_path / "out").exists()


def test_a_sobol_design_of_no_power_of_2_is_said_once(tmp_path):
    """The run says it once; its [sweep] and [solve], which redraw the same design, do not say it again."""
    path = write_study(tmp_path, "plain_file", tables=tables_text("plain_file"))
    rc, printed, err = run_main(["run", str(path), "--method", "sobol", "--samples", "50", "--summary-only", "--quiet",
                                 "--out", str(tmp_path / "out")])
    said = "warning: Sobol' designs keep their balance only when samples is a power of 2; 50 is not (try 64)\n"
    assert (rc, err) == (0, said)
    assert "[solve] a = " in printed and "[sweep] y" in printed


@pytest.mark.parametrize(("form", "design"), [(f, DESIGNS[i % 3]) for i, f in enumerate(FORMS)],
                         ids=[f"{f}-{DESIGNS[i % 3]}" for i, f in enumerate(FORMS)])
def test_serve_on_every_form(tmp_path, form, design):
    """``mcrisk serve``'s numbers on every form and design: ``mcrisk run --set``'s, bit for bit, for an input
    held and the lever moved; the page's view draws; a saved study reproduces them."""
    from mcrisk.study.saved import save_study
    from mcrisk.study.whatif import Change, WhatIf

    name, value = HELD[form]
    lever, low, high, _ = DECIDE[form]
    # a saved what-if holds the input and the lever at one value each: no table names them as uncertain
    path = write_study(tmp_path, form, design=design, tables=command_tables(form, held=True))
    out = FORMS[form][2]
    whatif = WhatIf(path)
    change = Change(((name, value), (lever, (low + high) / 2)))
    with pytest.warns(match=r"--set .*: the \[solve\] holds"):  # the CLI's word about its lever
        run = run_study(path, settings=dict(change.values), write=False)
    row = run.summary.sel(output=out)
    got = whatif.summary(change)
    assert [got[k] for k in ("p_loss", "p_loss_se", "mean", "p05", "p50", "p95")] == [
        float(row[v]) for v in ("p_below_zero", "se_p_below_zero", "mean", "p05", "p50", "p95")]
    view = whatif.view(change)
    assert sum(view["histogram"]["counts"]) == SAMPLES
    uncertain = set(whatif.study_of(change)[0].priors.uncertain)
    assert name not in uncertain and {r["input"] for r in view["tornado"]["rows"]} == uncertain
    saved, page = save_study(whatif, change)
    again = run_study(saved, write=False).summary.sel(output=out)
    assert float(again.p_below_zero) == page["p_loss"] and float(again.p50) == page["p50"]
