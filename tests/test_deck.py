"""deck.pptx and workbook.xlsx, reopened with python-pptx and openpyxl (and LibreOffice where installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from conftest import ROOT
from mcrisk.cli.main import main

from mcrisk.core.labels import label_of
from mcrisk.report.textfit import LINE, fit_text, text_height

pptx = pytest.importorskip("pptx")
openpyxl = pytest.importorskip("openpyxl")

STUDY = f"""
title = "A small deck: DeepSeek at a price cut, 收入与成本"
model = "maas"
priors = ["{(ROOT / 'priors' / 'deepseek-2025-02-27.toml').as_posix()}"]
samples = 1000
seed = 7
method = "lhs"
output = "profit_per_day"
period_days = 30

[inputs]
gpu_hour_price = {{ dist = "triangular", low = 1.5, mode = 2.0, high = 2.5, source = "DeepSeek [DS-post]: USD 2", label = "H800 rent" }}
paid_share = {{ dist = "uniform", low = 0.1, high = 0.9, source = "judgement [MIT-TR]" }}
price_cut = {{ dist = "uniform", low = 0.0, high = 0.5, source = "judgement" }}

[tornado]

[sensitivity]
method = "sobol"
samples = 4096
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    from mcrisk.study.runner import run_study

    d = tmp_path_factory.mktemp("deck")
    (d / "small.toml").write_text(STUDY, encoding="utf-8")
    run_study(d / "small.toml", out=d / "out", formats=("png", "pptx", "xlsx"))
    return d / "out"


@pytest.fixture(scope="module")
def deck(folder):
    return pptx.Presentation(str(folder / "deck.pptx"))


def _charts(prs):
    return [(i, sh.chart) for i, s in enumerate(prs.slides) for sh in s.shapes if sh.has_chart]


def _title(slide) -> str:
    return slide.shapes.title.text_frame.text if slide.shapes.title is not None else ""


def test_the_deck_is_16_9_with_its_slides_in_order(deck) -> None:
    assert (deck.slide_width, deck.slide_height) == (pptx.util.Inches(13.333), pptx.util.Inches(7.5))
    titles = [_title(s) for s in deck.slides]
    assert titles[0] == "A small deck: DeepSeek at a price cut, 收入与成本"
    assert titles[1] == "Headline"
    assert titles[2].startswith("Distribution of profit per month: P(loss) = ")
    assert titles[3] == "Tornado: what moves profit per month one input at a time"
    assert titles[4] == "What drives profit per month: sensitivity indices"
    assert [t for t in titles[5:] if t.startswith("Assumptions")]
    assert titles[-1] == "Sources"
    assert len(titles) == 7 + sum(t.startswith("Assumptions (") for t in titles) - (
        1 if any(t.startswith("Assumptions (") for t in titles) else 0)


def test_the_title_slide_states_the_run(deck) -> None:
    text = "\n".join(sh.text_frame.text for sh in deck.slides[0].shapes if sh.has_text_frame)
    assert "Money in USD per month" in text
    assert "1,000 samples, Latin hypercube design, seed 7" in text
    assert re.search(r"\d{4}-\d\d-\d\d \u00b7 mcrisk \S+", text)


def test_the_tornado_is_a_native_bar_chart_of_tornado_csv(deck, folder) -> None:
    tab = pd.read_csv(folder / "tornado.csv")
    (i, chart), = [(i, c) for i, c in _charts(deck) if _title(deck.slides[i]).startswith("Tornado")]
    assert chart.chart_type == pptx.enum.chart.XL_CHART_TYPE.BAR_CLUSTERED
    from mcrisk.study.runner import load_study

    study = load_study(folder.parent / "small.toml")
    assert list(chart.plots[0].categories) == [label_of(n, model=study.model, priors=study.priors)
                                               for n in tab["input"]]
    assert "H800 rent" in chart.plots[0].categories  # the study's label overrides the model's
    low, high = chart.plots[0].series
    np.testing.assert_allclose(low.values, tab["output_low"], rtol=1e-9)  # tornado.csv: 10 digits
    np.testing.assert_allclose(high.values, tab["output_high"], rtol=1e-9)
    # the bars grow from the base case, which the slide states in words
    notes = " ".join(sh.text_frame.text for sh in deck.slides[i].shapes if sh.has_text_frame)
    assert "every input at its base value" in notes and "not the mean or the median" in notes
    base = chart.value_axis.crosses_at
    assert chart.value_axis.crosses == pptx.enum.chart.XL_AXIS_CROSSES.CUSTOM or base is not None
    # per month: 30 x the model's per-day profit at the base values
    from mcrisk.simulation.evaluate import call_model

    day = call_model(study.model, {n: np.array([p.base_value]) for n, p in study.priors.items()})
    assert base == pytest.approx(30 * float(day["profit_per_day"][0]), rel=1e-12)


def test_the_distribution_chart_puts_exactly_the_losses_in_the_loss_series(deck, folder) -> None:
    (i, chart), = [(i, c) for i, c in _charts(deck) if _title(deck.slides[i]).startswith("Distribution")]
    assert chart.chart_type == pptx.enum.chart.XL_CHART_TYPE.COLUMN_CLUSTERED
    loss, profit = chart.plots[0].series
    summary = pd.read_csv(folder / "summary.csv", index_col="output")
    p = summary.loc["profit_per_day", "p_below_zero"]
    # 0 is a bar edge and the tails are clipped into the end bars: the loss bars hold every loss
    assert sum(loss.values) == pytest.approx(p, abs=1e-12)
    assert sum(loss.values) + sum(profit.values) == pytest.approx(1.0, abs=1e-12)
    assert f"P(loss) = {p:.1%}" in _title(deck.slides[i])


def test_the_sensitivity_chart_shows_the_indices_with_intervals(deck, folder) -> None:
    sens = xr.open_dataset(folder / "sensitivity.nc")
    (i, chart), = [(i, c) for i, c in _charts(deck) if _title(deck.slides[i]).startswith("What drives")]
    series = chart.plots[0].series[0]
    index = sens.attrs["rank_by"]
    assert series.name == index
    order = np.argsort(-np.abs(sens[index].values), kind="stable")
    np.testing.assert_allclose(series.values, sens[index].values[order], rtol=1e-12)
    first = series.points[0].data_label.text_frame.text
    assert first == f"{sens[index].values[order[0]]:.3f} \u00b1 {sens[index + '_conf'].values[order[0]]:.3f}"


def _overflows(prs) -> list[str]:
    """Every text whose wrapped height exceeds its box (by the deck's own font metrics)."""
    bad = []
    emu = 12700
    for k, slide in enumerate(prs.slides):
        for sh in slide.shapes:
            if sh.has_text_frame and sh.text_frame.text:
                tf = sh.text_frame
                runs = [r for p in tf.paragraphs for r in p.runs]
                size = runs[0].font.size.pt
                w = (sh.width - tf.margin_left - tf.margin_right) / emu
                h = (sh.height - tf.margin_top - tf.margin_bottom) / emu
                if text_height(tf.text.replace("\v", "\n"), w, size, bold=bool(runs[0].font.bold)) > h + 1e-6:
                    bad.append(f"slide {k + 1}: {tf.text[:40]!r}")
            if sh.has_table:
                table = sh.table
                assert sh.top + sum(r.height for r in table.rows) <= prs.slide_height, f"slide {k + 1}: table"
                for r, row in enumerate(table.rows):
                    for c, cell in enumerate(row.cells):
                        runs = [x for p in cell.text_frame.paragraphs for x in p.runs]
                        if not runs:
                            continue
                        w = (table.columns[c].width - cell.margin_left - cell.margin_right) / emu
                        h = (row.height - cell.margin_top - cell.margin_bottom) / emu
                        if text_height(cell.text_frame.text, w, runs[0].font.size.pt,
                                       bold=bool(runs[0].font.bold)) > h + 1e-6:
                            bad.append(f"slide {k + 1}: cell {r},{c} {cell.text_frame.text[:30]!r}")
    return bad


def test_no_text_overflows_its_box(deck) -> None:
    assert _overflows(deck) == []


def test_fit_text_shrinks_then_cuts() -> None:
    text = "Decode throughput per node " * 40
    fitted, size = fit_text(text, 300, 100, max_pt=28, min_pt=9)
    assert size == 9 and fitted.endswith("\u2026") and text_height(fitted, 300, 9) <= 100
    short, big = fit_text("Profit", 300, 100, max_pt=28)
    assert (short, big) == ("Profit", 28.0)
    # a wide CJK character is one em: 10 of them at 10 pt are 100 pt wide, one line of 12 pt
    assert text_height("收" * 10, 100, 10) == pytest.approx(LINE * 10)
    assert text_height("收" * 11, 100, 10) == pytest.approx(2 * LINE * 10)


def test_mcrisk_deck_rewrites_the_deck_from_the_folder_with_table_slides(folder, capsys) -> None:
    pd.DataFrame({"input": ["paid_share", "price_cut"], "evpi": [1234.5, 67.0]}).to_csv(folder / "voi.csv",
                                                                                        index=False)
    try:
        assert main(["deck", str(folder.parent / "small.toml"), "--out", str(folder)]) == 0
        prs = pptx.Presentation(str(folder / "deck.pptx"))
        (slide,) = [s for s in prs.slides if _title(s) == "Value of information"]
        (table,) = [sh.table for sh in slide.shapes if sh.has_table]
        assert [[c.text_frame.text for c in r.cells] for r in table.rows] == [
            ["input", "evpi"], ["Paid share of tokens", "1,234"], ["Price cut", "67"]]  # names as labels
        assert _overflows(prs) == []
    finally:
        (folder / "voi.csv").unlink()


def test_a_template_gives_its_size_and_a_bad_one_is_one_line(folder, tmp_path, capsys) -> None:
    template = pptx.Presentation()  # python-pptx's own 4:3 default, as a house template
    template.slides.add_slide(template.slide_layouts[6])  # a template's own slide is dropped
    template.save(str(tmp_path / "house.pptx"))
    study = str(folder.parent / "small.toml")
    before = (folder / "deck.pptx").read_bytes()
    (tmp_path / "broken.pptx").write_text("not a zip", encoding="utf-8")
    assert main(["deck", study, "--out", str(folder), "--template", str(tmp_path / "broken.pptx")]) == 2
    assert main(["deck", study, "--out", str(folder), "--template", str(tmp_path / "missing.pptx")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"error: --template {tmp_path / 'broken.pptx'}: not a PowerPoint file python-pptx can open "
                   "(PackageNotFoundError)",
                   f"error: --template {tmp_path / 'missing.pptx'}: no such file; give a PowerPoint file (.pptx)"]
    assert (folder / "deck.pptx").read_bytes() == before  # nothing half-written
    from mcrisk.report.deck import write_deck
    from mcrisk.study.folderrun import read_run

    out = write_deck(read_run(study, folder), tmp_path / "house_deck.pptx", template=tmp_path / "house.pptx")
    prs = pptx.Presentation(str(out))
    assert (prs.slide_width, prs.slide_height) == (template.slide_width, template.slide_height)
    assert _title(prs.slides[0]).startswith("A small deck") and len(prs.slides) == len(
        pptx.Presentation(str(folder / "deck.pptx")).slides)
    assert _overflows(prs) == []


def test_mcrisk_deck_refuses_a_folder_of_another_study(folder, tmp_path, capsys) -> None:
    other = tmp_path / "other.toml"
    other.write_text(STUDY.replace("seed = 7", "seed = 8"), encoding="utf-8")
    assert main(["deck", str(other), "--out", str(folder)]) == 2
    assert capsys.readouterr().err == (f"error: {folder}: was not written from {other} as it is now (its "
                                       f"results.nc holds a different study text); rerun `mcrisk run {other}`\n")


def test_the_workbook_holds_numbers_with_number_formats(folder) -> None:
    wb = openpyxl.load_workbook(folder / "workbook.xlsx")
    assert wb.sheetnames == ["Summary", "Tornado", "Sensitivity", "Assumptions", "Sources", "Settings", "Samples"]
    summary = pd.read_csv(folder / "summary.csv", index_col="output")
    ws = wb["Summary"]
    rows = {r[1].value: r for r in ws.iter_rows(min_row=2)}
    profit = rows["profit_per_day"]
    assert profit[0].value == "Profit per month" and profit[2].value == "USD/month"
    assert profit[6].value == pytest.approx(summary.loc["profit_per_day", "p50"], rel=1e-9)  # a number; csv: 10 digits
    assert profit[6].number_format == '#,##0 "USD";-#,##0 "USD"'
    assert profit[9].value == pytest.approx(summary.loc["profit_per_day", "p_below_zero"], rel=1e-9) and profit[9].number_format == "0.0%"
    margin = rows["gross_margin"]
    assert margin[2].value == "%" and margin[6].number_format == "0.0%"  # no "1" printed as a unit
    tab = pd.read_csv(folder / "tornado.csv")
    ws = wb["Tornado"]
    got = [(r[1].value, r[5].value, r[6].value) for r in ws.iter_rows(min_row=5, max_row=4 + len(tab))]
    assert [g[0] for g in got] == list(tab["input"])
    np.testing.assert_allclose([g[1:] for g in got], tab[["output_low", "output_high"]], rtol=1e-9)
    with zipfile.ZipFile(folder / "workbook.xlsx") as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1 and b"<c:barChart>" in z.read(charts[0])
    samples = wb["Samples"]
    assert samples.max_row == 1001 and all(isinstance(c.value, int | float) for c in samples[2])
    sources = {r[0].value: r[1].value for r in wb["Sources"].iter_rows(min_row=2)}
    assert set(sources) == {"DS-post", "MIT-TR"} and sources["MIT-TR"].startswith("MIT Technology Review")


def test_the_samples_sheet_keeps_the_first_rows_a_sheet_holds_and_says_so(folder, tmp_path, monkeypatch) -> None:
    import mcrisk.report.workbook
    from mcrisk.study.folderrun import read_run

    monkeypatch.setattr(mcrisk.report.workbook, "MAX_ROWS", 100)
    path = mcrisk.report.workbook.write_workbook(read_run(folder.parent / "small.toml", folder), tmp_path / "w.xlsx")
    ws = openpyxl.load_workbook(path)["Samples"]
    assert ws.max_row == 101
    assert ws.cell(1, ws.max_column).value == ("Note: the first 100 of 1,000 samples (a sheet holds 100); "
                                               "results.nc has them all")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_converts_the_deck_and_the_workbook(folder, deck, tmp_path) -> None:
    # one soffice process for both files: its start-up is most of the time
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(folder / "deck.pptx"),
                    str(folder / "workbook.xlsx")], check=True, capture_output=True, timeout=300)
    pages = lambda f: len(re.findall(rb"/Type\s*/Page[^s]", (tmp_path / f).read_bytes()))  # noqa: E731
    assert pages("deck.pdf") == len(pptx.Presentation(str(folder / "deck.pptx")).slides)
    assert pages("workbook.pdf") >= 7  # at least a page a sheet


def test_an_unknown_format_is_one_line(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", str(tmp_path / "x.toml"), "--formats", "png,docx"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.endswith("argument --formats: formats: 'docx' is not an output format; "
                                            "allowed: png, svg, pdf, pptx, xlsx\n")



def test_chinese_text_draws_in_a_cjk_font_where_one_is_installed() -> None:
    import io

    from matplotlib import font_manager

    from mcrisk.report.plot.style import CJK_FONTS, deck_figure, deck_style

    if not any(k in Path(p).name.lower() for p in font_manager.findSystemFonts()
               for k in ("cjk", "wqy", "sourcehan", "droidsansfallback")):
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")
    with deck_style():  # a glyph missing from every face would be a UserWarning: an error here
        fig = deck_figure()
        fig.add_subplot().set_title("利润 (元/月): 潞晨科技", fontweight="bold")
        fig.savefig(io.BytesIO(), format="png", dpi=40)
        import matplotlib

        assert matplotlib.rcParams["font.family"][0] == "DejaVu Sans"
        assert set(matplotlib.rcParams["font.family"][1:]) <= set(CJK_FONTS)


def test_a_chart_on_a_users_8_by_4_5_axes_keeps_every_label_inside(folder) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from mcrisk.study.folderrun import read_run
    from mcrisk.report.plot import plot_distribution, plot_tornado

    run = read_run(folder.parent / "small.toml", folder)
    draws = {"tornado": lambda ax: plot_tornado(run.tables["tornado"], ax=ax, title="Tornado"),
             "distribution": lambda ax: plot_distribution(run.results, output="profit_per_day", ax=ax,
                                                          title="Profit")}
    for name, draw in draws.items():
        fig = Figure(figsize=(8, 4.5))  # a user's own figure: no layout engine, one axes
        FigureCanvasAgg(fig)
        draw(fig.add_subplot())
        fig.canvas.draw()
        drawn = fig.get_tightbbox(fig.canvas.get_renderer())  # everything drawn, in inches
        assert -0.01 <= drawn.x0 and drawn.x1 <= 8.01 and -0.01 <= drawn.y0 and drawn.y1 <= 4.51, (name, drawn)


def test_the_report_lists_the_cited_sources(folder) -> None:
    md = (folder / "report.md").read_text(encoding="utf-8")
    sources = md.split("## Sources\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in sources.splitlines() if line.startswith("| [")]
    assert [r.split(" | ")[0] for r in rows] == ["| [DS-post]", "| [MIT-TR]"]  # in order of first citation
    assert "MIT Technology Review, 2025-03-26/27" in rows[1]


def test_the_workbook_formats_a_margin_above_one_as_the_report_shows_it() -> None:
    # one rule: a dimensionless value is a percentage wherever it is read; a cost-profit margin of
    # 5.45 is 545% in the report, so its cells are "0.0%", labelled "%", never "5.45x"
    from mcrisk.report.workbook import _number_format

    assert _number_format("1", "USD", [0.2, 5.45, 9.0]) == "0.0%"
    assert _number_format("", "USD", [0.25]) == "#,##0.000"  # no unit given: a plain number
    assert _number_format("USD/day", "USD", [87_072.0]) == '#,##0 "USD";-#,##0 "USD"'
