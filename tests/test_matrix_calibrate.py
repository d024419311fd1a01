"""The combination matrix for ``[calibrate]``: every model form, in Python, with --summary-only,
--set and the CLI, and every file it writes (results.nc, calibration.csv/json, report, deck, workbook).

Each cell observes the study output in an interval, the middle half of an uncalibrated run of
the same study and seed: the calibrated run is then rejection sampling of that run's draws, so
its weighted statistics must equal the plain statistics of the draws inside the interval, exactly.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from test_matrix import FORMS
from test_matrix_tables import write_study

from mcrisk import run_study
from mcrisk.analyze.calibration import CALIBRATION_COLUMNS
from mcrisk.cli.main import main

# 64 samples: a calibration that keeps half of them warns that fewer than 200 draws carry it
pytestmark = pytest.mark.filterwarnings("ignore:.*the record contradicts these priors:mcrisk.core.errors.MCRiskWarning")


def _interval(tmp_path, form: str, **options) -> tuple[str, np.ndarray, str]:
    """The ``[calibrate]`` table observing the middle half of the output, the draws it keeps, the output."""
    out = FORMS[form][2]
    plain = run_study(write_study(tmp_path, form, shift=False, name="plain"), write=False, **options)
    y = plain.results[out].values
    low, high = (float(q) for q in np.quantile(y, [0.25, 0.75]))
    table = f"[calibrate]\nobserve = {{ {out} = {{ low = {low!r}, high = {high!r} }} }}\n"
    return table, (y >= low) & (y <= high), out


@pytest.mark.parametrize("form", list(FORMS))
def test_calibrate_on_every_form_is_rejection_sampling(tmp_path, form):
    table, kept, out = _interval(tmp_path, form)
    path = write_study(tmp_path, form, shift=False, tables=table)
    run = run_study(path, write=False)
    w = run.results.weight.values
    assert run.results.attrs["ess"] == pytest.approx(kept.sum())  # equal weights on the kept draws
    np.testing.assert_allclose(w[kept], 1 / kept.sum())
    y = run.results[out].values
    assert float(run.summary["mean"].sel(output=out)) == pytest.approx(y[kept].mean(), rel=1e-12)
    assert float(run.summary["p50"].sel(output=out)) == pytest.approx(np.quantile(y[kept], 0.5), rel=1e-12)
    cal = run.tables["calibrate"]
    assert sorted(cal.input.values) == sorted(run.study.priors.uncertain)
    driver = FORMS[form][4]
    x = run.results[driver].values
    assert float(cal.post_mean.sel(input=driver)) == pytest.approx(x[kept].mean(), rel=1e-12)
    # --summary-only weighs the same draws: the same summary
    alone = run_study(path, write=False, summary_only=True)
    xr.testing.assert_allclose(alone.summary["mean"], run.summary["mean"])


@pytest.mark.parametrize("form", list(FORMS))
def test_calibrate_with_set(tmp_path, form):
    other = FORMS[form][5][0]
    setting = ((other, float(run_study(write_study(tmp_path, form, shift=False, name="m"), write=False)
                             .study.priors[other].ppf(np.array([0.5]))[0])),)
    table, kept, out = _interval(tmp_path, form, settings=setting)
    run = run_study(write_study(tmp_path, form, shift=False, tables=table), write=False, settings=setting)
    assert float(run.results[other].values.ravel()[0]) == setting[0][1]
    assert float(run.summary["mean"].sel(output=out)) == pytest.approx(run.results[out].values[kept].mean(),
                                                                       rel=1e-12)
    assert other not in run.tables["calibrate"].input.values  # held: no longer uncertain


def test_calibrate_writes_every_file(tmp_path):
    pytest.importorskip("pptx")
    openpyxl = pytest.importorskip("openpyxl")
    import pptx

    table, kept, out = _interval(tmp_path, "maas")
    run = run_study(write_study(tmp_path, "maas", shift=False, tables=table), out=tmp_path / "out",
                    formats=("png", "xlsx", "pptx"))
    folder = tmp_path / "out"
    with xr.open_dataset(folder / "results.nc") as ds:
        assert float(ds.weight.sum()) == pytest.approx(1.0) and int((ds.weight > 0).sum()) == kept.sum()
    head = (folder / "calibration.csv").read_text().splitlines()[0]
    assert head == ",".join(CALIBRATION_COLUMNS)
    doc = json.loads((folder / "calibration.json").read_text())
    assert set(doc) == {"k_hat", "ess", "samples", "observations"} and doc["ess"] == pytest.approx(kept.sum())
    ob = doc["observations"][0]
    assert ob["output"] == out and set(ob["prior"]) == set(ob["posterior"]) == {"p05", "p50", "p95"}
    assert ob["low"] <= ob["posterior"]["p05"] <= ob["posterior"]["p95"] <= ob["high"]
    assert "## What the record says" in (folder / "report.md").read_text()
    assert (folder / "figures" / "calibration.png").exists()
    book = openpyxl.load_workbook(folder / "workbook.xlsx", read_only=True)
    try:
        assert "Calibration" in book.sheetnames
    finally:
        book.close()
    titles = [sh.text_frame.text for s in pptx.Presentation(str(folder / "deck.pptx")).slides
              for sh in s.shapes if sh.has_text_frame]
    assert any(t.startswith("What the record says") for t in titles)
    assert run.results.sizes["sample"] == 64


def test_summary_only_from_the_cli_says_what_it_keeps(tmp_path, capsys):
    table, _, _ = _interval(tmp_path, "plain_file")
    path = write_study(tmp_path, "plain_file", shift=False, tables=table)
    assert main(["run", str(path), "--summary-only", "--out", str(tmp_path / "o"), "--quiet"]) == 0
    said = capsys.readouterr().out
    assert "[calibrate] with --summary-only: the run still holds every sample" in said
    assert "What the record says" in said
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["calibration.csv", "calibration.json",
                                                                 "results.nc", "summary.csv"]


def test_precision_is_refused_in_one_line(tmp_path):
    from mcrisk import SpecError

    table, _, _ = _interval(tmp_path, "plain_file")
    path = write_study(tmp_path, "plain_file", shift=False, tables=table)
    with pytest.raises(SpecError, match=r"s\.toml: \[calibrate\] weighs every sample of a run held whole: at most "
                                        r"2,097,152 samples and no --precision \(samples = 64, with a precision\)$"):
        run_study(path, write=False, precision="mean:1%")


@pytest.mark.parametrize("form", list(FORMS))
def test_calibrate_beside_every_table(tmp_path, form):
    from test_matrix_tables import tables_text

    out = FORMS[form][2]
    table = f"[calibrate]\nobserve = {{ {out} = {{ value = 0, sd = 1e12 }} }}\n"  # all but flat weights
    run = run_study(write_study(tmp_path, form, tables=tables_text(form) + table), write=False)
    assert set(run.tables) == {"calibrate", "tornado", "sweep", "solve", "scenarios", "value_of_information",
                               "evsi", "voi_lever"}
    for key in ("scenarios", "value_of_information", "evsi"):  # PRIM and the regressions on a resample, said
        assert run.tables[key].attrs["subsample"].startswith("a resample of 64 draws by the calibration's weights")
    # the lever draws afresh at each of its values: no weights, and it says so
    assert run.tables["voi_lever"].attrs["subsample"] == "on the priors: the lever's draws are not weighted by [calibrate]"
    # weights equal to 1e-9: every draw counts, and no heavy tail (k-hat NaN or below 0.7)
    assert not run.results.attrs["k_hat"] > 0.7 and run.results.attrs["ess"] == pytest.approx(64)
