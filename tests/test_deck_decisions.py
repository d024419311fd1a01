"""A [sweep] or [solve] study's deck.pptx and workbook.xlsx: the fan chart, the sweep sheet, the solve's answer.

Each is reopened with python-pptx and openpyxl; ``mcrisk deck`` of a sweep folder (which holds the
sweep, not the study's own run) writes the same slides without an error, for the built-in maas
model and for a model from a file.
"""

from __future__ import annotations

import inspect
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from mcrisk.cli.main import main
from mcrisk.core.text import format_number

pptx = pytest.importorskip("pptx")
openpyxl = pytest.importorskip("openpyxl")

GOOD = ROOT / "tests" / "data" / "good"

# A file model whose P(loss) and median have closed forms: profit = price x 3 - cost, cost ~ U(2, 10) a day.
_SHOP = inspect.cleandoc('''
    import mcrisk

    @mcrisk.model(inputs={"price": ("{currency}/1M tokens", "list price"), "tokens": "1M tokens/day",
                          "cost": ("{currency}/day", "running cost")},
                  outputs={"profit_per_day": ("{currency}/day", "profit per day")}, default_output="profit_per_day")
    def shop(*, price, tokens, cost):
        return {"profit_per_day": price * tokens - cost}
    ''') + "\n"
_SHOP_STUDY = """
title = "A shop"
model = "shop.py:shop"
currency = "EUR"
samples = 800
seed = 3
method = "lhs"
period_days = 30

[inputs]
price = { value = 1.5, source = "judgement" }
tokens = { value = 3, source = "judgement" }
cost = { dist = "uniform", low = 2, high = 10, source = "judgement" }

[tornado]

[sweep]
lever = "price"
values = [1.0, 2.0, 4.0]
"""


def _run(study: Path, out: Path, **kw):
    from mcrisk.study.runner import run_study

    return run_study(study, out=out, formats=("pptx", "xlsx"), **kw)


@pytest.fixture(scope="module")
def maas_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("maas") / "out"
    return _run(GOOD / "study_decisions.toml", out, samples=1000)


@pytest.fixture(scope="module")
def shop_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("shop")
    (d / "shop.py").write_text(_SHOP, encoding="utf-8")
    (d / "shop.toml").write_text(_SHOP_STUDY, encoding="utf-8")
    return _run(d / "shop.toml", d / "out")


def _titles(prs) -> list[str]:
    return [s.shapes.title.text_frame.text if s.shapes.title is not None else "" for s in prs.slides]


def _fan(prs):
    (chart,) = [sh.chart for s in prs.slides for sh in s.shapes if sh.has_chart
                and sh.chart.chart_type == pptx.enum.chart.XL_CHART_TYPE.XY_SCATTER_LINES]
    return chart


def _sweep_values(run) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    sw = run.tables["sweep"]
    s = sw.summary.sel(output=sw.output)
    lever = sw.summary.attrs["lever"]
    stats = ("p05", "p10", "p25", "p50", "p75", "p90", "p95", "mean")
    return (np.asarray(sw.summary[lever].values, dtype=float), {k: np.asarray(s[k].values) for k in stats},
            np.asarray(s.p_below_zero.values))


@pytest.mark.parametrize("which", ["maas_run", "shop_run"])
def test_the_fan_chart_slide_draws_the_sweeps_percentiles(which, request) -> None:
    run = request.getfixturevalue(which)
    prs = pptx.Presentation(str(run.out / "deck.pptx"))
    chart = _fan(prs)
    v, q, p = _sweep_values(run)
    series = {s.name: s for s in chart.plots[0].series}
    assert list(series) == ["P5", "P25", "median", "P75", "P95"]
    for name, key in (("P5", "p05"), ("P25", "p25"), ("median", "p50"), ("P75", "p75"), ("P95", "p95")):
        np.testing.assert_array_equal(series[name].values, q[key])  # the embedded numbers are the sweep's
        xs = [float(x.text) for x in series[name]._element.xpath("./c:xVal//c:pt/c:v")]
        np.testing.assert_array_equal(xs, v)  # the lever's values on a value axis, not as categories
    labels = [series["median"].points[i].data_label.text_frame.text for i in range(len(v))]
    assert labels == [f"P(loss) {pi:.1%}" for pi in p]
    # the report's fan chart and the slide: the same colours, the median in the palette's blue
    from mcrisk.report.palette import FAN, PALETTE

    assert str(series["median"].format.line.color.rgb) == PALETTE["blue"].lstrip("#") == FAN["p50"][0]
    # a table slide holds the same numbers, per the study's period
    titles = _titles(prs)
    assert sum(t.startswith("Sweep of ") for t in titles) == 1


def test_the_shop_sweep_has_its_closed_form_and_reads_per_month(shop_run) -> None:
    v, q, p = _sweep_values(shop_run)
    # LHS of 800: exactly one cost per 1/800 stratum, so P(cost > 3 price) is exact
    np.testing.assert_array_equal(p, [700 / 800, 400 / 800, 0.0])
    # the median cost is 6 within one stratum (8/800 EUR/day): the median profit per month, 30 (3 price - 6)
    np.testing.assert_allclose(q["p50"], [30 * (3 * x - 6) for x in v], atol=30 * 8 / 800)
    prs = pptx.Presentation(str(shop_run.out / "deck.pptx"))
    (title,) = [t for t in _titles(prs) if t.startswith("Profit per month against")]
    assert title == "Profit per month against price: P(loss) 87.5% at 1 EUR/1M tokens, 0.0% at 4 EUR/1M tokens"
    chart = _fan(prs)
    assert chart.value_axis.axis_title.text_frame.text == "Profit per month (EUR/month)"
    assert chart.category_axis.axis_title.text_frame.text == "Price (EUR/1M tokens)"
    ws = openpyxl.load_workbook(shop_run.out / "workbook.xlsx")["Sweep"]
    assert [c.value for c in ws[2]] == ["Price (EUR/1M tokens)", "P(< 0) (%)", "Mean (EUR/month)",
                                        "P5 (EUR/month)", "P10 (EUR/month)", "P50 (EUR/month)",
                                        "P90 (EUR/month)", "P95 (EUR/month)", "Finite samples"]


@pytest.mark.parametrize("which", ["maas_run", "shop_run"])
def test_the_sweep_sheet_holds_the_sweeps_numbers(which, request) -> None:
    run = request.getfixturevalue(which)
    wb = openpyxl.load_workbook(run.out / "workbook.xlsx")
    assert "Sweep" in wb.sheetnames and wb.sheetnames.index("Sweep") < wb.sheetnames.index("Assumptions")
    ws = wb["Sweep"]
    v, q, p = _sweep_values(run)
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3, max_row=2 + len(v))]
    same = dict(rtol=1e-15, atol=0)  # XlsxWriter writes 16 significant digits: at most 5e-16 off
    np.testing.assert_allclose([r[0] for r in rows], v, **same)
    np.testing.assert_allclose([r[1] for r in rows], p, **same)
    for j, k in enumerate(("mean", "p05", "p10", "p50", "p90", "p95")):
        np.testing.assert_allclose([r[2 + j] for r in rows], q[k], **same)
    assert [r[8] for r in rows] == [int(run.tables["sweep"].summary.n_valid.sel(output=run.tables["sweep"].output)
                                        .values[i]) for i in range(len(v))]
    assert ws.cell(3, 2).number_format == "0.0%"


@pytest.mark.parametrize("which", ["maas_run", "shop_run"])
def test_mcrisk_deck_of_a_sweep_folder_writes_the_fan_chart_without_an_error(which, request, capsys) -> None:
    run = request.getfixturevalue(which)
    before = pptx.Presentation(str(run.out / "deck.pptx"))
    capsys.readouterr()
    assert main(["deck", str(run.study.path), "--out", str(run.out)]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (f"wrote {run.out}/deck.pptx\n", "")
    after = pptx.Presentation(str(run.out / "deck.pptx"))
    assert _titles(after) == _titles(before)
    for a, b in zip(_fan(after).plots[0].series, _fan(before).plots[0].series, strict=True):
        assert a.values == b.values
    # the study's own run, which a sweep folder does not keep, is drawn again: the same numbers
    from mcrisk.study.folderrun import read_run

    back = read_run(run.study.path, run.out)
    for k in ("mean", "p05", "p50", "p95", "p_below_zero"):
        np.testing.assert_array_equal(back.summary[k].values, run.summary[k].values)


def test_a_solve_gets_a_slide_and_a_sheet_with_its_answer(maas_run, capsys) -> None:
    sol = json.loads((maas_run.out / "solve.json").read_text())
    for prs in (pptx.Presentation(str(maas_run.out / "deck.pptx")),):
        (slide,) = [s for s in prs.slides if s.shapes.title is not None
                    and s.shapes.title.text_frame.text.startswith("What it takes")]
        assert slide.shapes.title.text_frame.text == ("What it takes: price, output for "
                                                      "P(profit per day > 0) >= 0.9")
        texts = [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]
        fmt = lambda x: format_number(x, sol["unit"])  # noqa: E731  as `mcrisk run` prints the answer
        assert f"{fmt(sol['value'])} USD/1M tokens" in texts and fmt(sol["value"]) == "2.16"
        assert f"{fmt(sol['ci_low'])} to {fmt(sol['ci_high'])} USD/1M tokens" in texts
        assert "P(profit per day > 0) >= 0.9" in texts
    ws = openpyxl.load_workbook(maas_run.out / "workbook.xlsx")["Solve"]
    rows = {r[0].value: (r[1].value, r[2].value, r[1].number_format) for r in ws.iter_rows(min_row=2)}
    assert rows["Value"][1] == "USD/1M tokens"
    for key, name in (("Value", "value"), ("95% interval, low", "ci_low"), ("95% interval, high", "ci_high")):
        assert rows[key][0] == pytest.approx(sol[name], rel=1e-15, abs=0)  # 16 digits, as XlsxWriter writes
    assert rows["Target"][0] == "P(profit per day > 0) >= 0.9 (P(profit_per_day > 0) >= 0.9)"
    assert rows["Value"][2] == '#,##0.000 "USD";-#,##0.000 "USD"'  # the answer's digits, not rounded to 0


def test_no_sweep_or_solve_no_such_slide_or_sheet(tmp_path) -> None:
    text = (GOOD / "study_decisions.toml").read_text().split("[sweep]")[0].replace(
        'priors = ["maas_point.toml"]', f'priors = ["{(GOOD / "maas_point.toml").as_posix()}"]')
    (tmp_path / "s.toml").write_text(text)
    run = _run(tmp_path / "s.toml", tmp_path / "out", samples=200)
    assert not {"Sweep", "Solve"} & set(openpyxl.load_workbook(run.out / "workbook.xlsx").sheetnames)
    titles = _titles(pptx.Presentation(str(run.out / "deck.pptx")))
    assert not [t for t in titles if t.startswith(("Sweep", "What it takes"))]
    with zipfile.ZipFile(run.out / "deck.pptx") as z:
        assert not any(b"<c:scatterChart>" in z.read(n) for n in z.namelist() if n.startswith("ppt/charts/"))


def _unit_of(text: str) -> str | None:
    m = re.search(r"\(([^()]*)\)$", text or "")
    return m.group(1) if m else None


def _agrees(unit: str, code: str, currency: str) -> bool:
    """A unit as a heading or unit cell reads it against its cells' number format: one rule."""
    if unit == "%":
        return code == "0.0%"
    if unit.startswith(currency + "/"):
        return f'"{currency}"' in code and "%" not in code
    return "%" not in code and '"' not in code


@pytest.mark.parametrize("which", ["maas_run", "shop_run"])
def test_every_unit_in_the_workbook_matches_its_columns_number_format(which, request) -> None:
    run = request.getfixturevalue(which)
    cur = run.study.priors.currency or "USD"
    wb = openpyxl.load_workbook(run.out / "workbook.xlsx")
    checked = 0
    for sheet, head_row, unit_col, cols in (("Summary", 1, 3, range(4, 10)), ("Tornado", 4, 3, (4, 5)),
                                            ("Assumptions", 1, 7, (4, 5, 6))):
        if sheet not in wb.sheetnames:  # study_decisions.toml has no [tornado]
            continue
        ws = wb[sheet]
        for r in range(head_row + 1, ws.max_row + 1):
            unit = ws.cell(r, unit_col).value or ""
            for c in cols:
                if isinstance(ws.cell(r, c).value, int | float):
                    assert _agrees(unit, ws.cell(r, c).number_format, cur), (sheet, r, c, unit)
                    checked += 1
    for sheet, head_row in (("Samples", 1), ("Sweep", 2), ("Tornado", 4)):
        if sheet not in wb.sheetnames:
            continue
        ws = wb[sheet]
        for c in range(1, ws.max_column + 1):
            unit = _unit_of(ws.cell(head_row, c).value)
            if unit is not None and isinstance(ws.cell(head_row + 1, c).value, int | float):
                assert _agrees(unit, ws.cell(head_row + 1, c).number_format, cur), (sheet, c, unit)
                checked += 1
    assert checked >= 20  # every number column of the sheets above was read


def test_a_ratio_shown_in_another_unit_has_that_unit_in_its_cells(monkeypatch) -> None:
    # The workbook takes both the unit a heading reads and the cells' format from the labels' one
    # rule: were a ratio read as "×", its cells would say "×" too, never "%".
    import mcrisk.report.workbook as wbmod

    monkeypatch.setattr(wbmod, "shown_unit", lambda u: "×" if u == "ratio" else u)
    assert wbmod._number_format("ratio", "USD", [0.42]) == '0.00"×";-0.00"×"'
    assert wbmod._number_format("1", "USD", [0.42]) == "0.0%"


def test_p10_and_p90_have_one_colour_each_in_the_figure_the_deck_and_the_workbook(shop_run) -> None:
    from matplotlib.colors import to_hex

    from mcrisk.report.palette import QUANTILE_HIGH, QUANTILE_LOW
    from mcrisk.report.plot import plot_tornado

    tab = shop_run.tables["tornado"]
    ax = plot_tornado(tab)
    k = tab.sizes["input"]
    bars = [p for p in ax.patches if p.get_height() == pytest.approx(0.62)]  # the tornado's bars: low, then high
    assert len(bars) == 2 * k
    png = {to_hex(p.get_facecolor()).upper() for p in bars[:k]}, {to_hex(p.get_facecolor()).upper() for p in bars[k:]}
    assert png == ({QUANTILE_LOW.upper()}, {QUANTILE_HIGH.upper()}) == ({"#0072B2"}, {"#E69F00"})
    prs = pptx.Presentation(str(shop_run.out / "deck.pptx"))
    (chart,) = [sh.chart for s in prs.slides for sh in s.shapes if sh.has_chart
                and s.shapes.title.text_frame.text.startswith("Tornado")]
    deck = {s.name: "#" + str(s.format.fill.fore_color.rgb) for s in chart.plots[0].series}
    assert deck == {"Input at its P10": "#0072B2", "Input at its P90": "#E69F00"}
    with zipfile.ZipFile(shop_run.out / "workbook.xlsx") as z:
        (name,) = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        xml = z.read(name).decode()
    series = re.findall(r"<c:ser>.*?<c:v>([^<]*)</c:v>.*?<a:srgbClr val=\"([0-9A-F]{6})\"", xml, re.S)
    assert series == [("Input at its P10", "0072B2"), ("Input at its P90", "E69F00")]


def test_titles_and_headers_name_the_output_by_label_per_the_studys_period(shop_run) -> None:
    # period_days = 30: the model's profit_per_day (EUR/day) reads "Profit per month", EUR/month
    prs = pptx.Presentation(str(shop_run.out / "deck.pptx"))
    titles = _titles(prs)
    assert titles[2:6] == ["Distribution of profit per month: P(loss) = 68.8%",
                           "Tornado: what moves profit per month one input at a time",
                           "Profit per month against price: P(loss) 87.5% at 1 EUR/1M tokens, 0.0% at 4 EUR/1M tokens",
                           "Sweep of price: profit per month"]
    assert not [t for t in titles if "_" in t or "day" in t]
    wb = openpyxl.load_workbook(shop_run.out / "workbook.xlsx")
    (profit,) = [r for r in wb["Summary"].iter_rows(min_row=2, values_only=True) if r[1] == "profit_per_day"]
    assert profit[:3] == ("Profit per month", "profit_per_day", "EUR/month")
    assert [c.value for c in wb["Tornado"][4]][5:] == ["Profit per month, input at P10 (EUR/month)",
                                                       "Profit per month, input at P90 (EUR/month)",
                                                       "Swing (EUR/month)"]
    # the title's 68.8%: P(cost > 4.5) for cost ~ U(2, 10) at price 1.5, 5.5/8, exact on 800 LHS strata
    assert float(shop_run.summary.sel(output="profit_per_day").p_below_zero) == 550 / 800


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_converts_the_sweep_and_solve_deck_and_workbook(maas_run, tmp_path) -> None:
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(maas_run.out / "deck.pptx"),
                    str(maas_run.out / "workbook.xlsx")], check=True, capture_output=True, timeout=300)
    pages = lambda f: len(re.findall(rb"/Type\s*/Page[^s]", (tmp_path / f).read_bytes()))  # noqa: E731
    assert pages("deck.pdf") == len(pptx.Presentation(str(maas_run.out / "deck.pptx")).slides)
    assert pages("workbook.pdf") >= len(openpyxl.load_workbook(maas_run.out / "workbook.xlsx").sheetnames)
