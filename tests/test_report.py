"""The report folder: figures, report.md and a self-contained report.html, checked in a real browser."""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import struct
import subprocess
from dataclasses import replace

import numpy as np
import pytest
import xarray as xr

import mcrisk
from mcrisk.core.labels import label_of
from mcrisk import SpecError
from mcrisk.report.document import write_report
from mcrisk.study.runner import run_study

STUDY = """\
title = "DeepSeek V3/R1 with uncertain rent, throughput and paid share"
model = "maas"
priors = ["{priors}"]
samples = 2000
seed = 11
method = "lhs"
output = "profit_per_day"
period_days = 30

[inputs]
gpu_hour_price = {{ dist = "triangular", low = 1.5, mode = 2.0, high = 3.5, source = "rental market, 2025" }}
decode_tps_per_node = {{ dist = "triangular", low = 8000, mode = 14800, high = 16000 }}
paid_share = {{ dist = "triangular", low = 0.1, mode = 0.3, high = 0.6, note = "free app traffic is unbilled" }}

[tornado]

[plots]
scatter = ["gpu_hour_price"]
"""

FIGURES = ["distribution", "exceedance", "tornado", "scatter_gpu_hour_price", "convergence", "convergence_quantiles"]


@pytest.fixture(scope="module")
def run(tmp_path_factory, deepseek_priors_path):
    folder = tmp_path_factory.mktemp("report")
    study = folder / "study.toml"
    study.write_text(STUDY.format(priors=deepseek_priors_path.as_posix()))
    return run_study(study, out=folder / "out")


@pytest.fixture(scope="module")
def page(run) -> str:
    return (run.out / "report.html").read_text(encoding="utf-8")


def _png_width(data: bytes) -> int:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">I", data[16:20])[0]


def _sobol(names) -> xr.Dataset:
    return xr.Dataset({"S1": ("input", [0.61, 0.22, 0.08]), "S1_conf": ("input", [0.03, 0.02, 0.02]),
                       "ST": ("input", [0.66, 0.27, 0.10]), "ST_conf": ("input", [0.04, 0.02, 0.01])},
                      coords={"input": names}, attrs={"method": "sobol", "output": "profit_per_day",
                                                      "samples": 1024, "notes": "sobol: a note to show"})


def test_run_writes_figures_and_both_reports(run):
    files = sorted(p.name for p in (run.out / "figures").iterdir())
    assert files == sorted(f"{f}.{ext}" for f in FIGURES for ext in ("png", "svg"))
    for f in FIGURES:
        assert _png_width((run.out / "figures" / f"{f}.png").read_bytes()) >= 1600
    md = (run.out / "report.md").read_text()
    assert re.findall(r"!\[[^\]]*\]\((figures/[^)]+)\)", md) == [f"figures/{f}.png" for f in FIGURES]


def test_html_embeds_every_figure_and_loads_nothing(run, page):
    srcs = re.findall(r'<img src="([^"]+)"', page)
    assert len(srcs) == len(FIGURES) == len(list((run.out / "figures").glob("*.png")))
    for src, name in zip(srcs, FIGURES, strict=True):
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]) == (run.out / "figures" / f"{name}.png").read_bytes()
    assert not re.search(r'(src|href)="(?!data:)|url\(|@import|<link|<script', page)


def test_headline_states_p_loss_median_interval_and_driver(run, page):
    profit = run.results.profit_per_day.values * 30           # the study states money per month
    p_loss = np.mean(profit < 0)
    se = np.sqrt(p_loss * (1 - p_loss) / profit.size)
    head = html.unescape(re.search(r'<p class="headline">(.*?)</p>', page).group(1))
    assert head.startswith(f"P(loss) = {p_loss:.1%} (Monte Carlo standard error {se:.1%}); median profit ")
    assert "USD/month" in head
    tab = run.tables["tornado"]
    assert str(tab.input.values[0]) == "paid_share"
    assert head.endswith("largest one-at-a-time swing: paid share of tokens ("
                         f"{mcrisk.report.plot.si_number(float(tab.swing.values[0]))} USD/month).")


def test_summary_tornado_assumptions_and_provenance(run, page):
    text = html.unescape(page)
    mean = float(run.results.profit_per_day.mean()) * 30
    assert f"<td class=\"num\">{mean:,.0f}</td>".replace("-", "\u2212") in page
    assert "<h2 id=\"tornado\">" in page and "<h2 id=\"sensitivity\">" not in page
    assert "triangular(low=1.5, mode=2, high=3.5)" in text and "rental market, 2025" in text
    assert "free app traffic is unbilled" in text
    for name in run.study.priors:                      # every input has a row, under its plain label
        assert f"<tr><td>{label_of(name, model=run.study.model, priors=run.study.priors)}</td>" in page
    rows = dict(re.findall(r"<tr><td>([a-z ]+)</td><td[^>]*>([^<]*)</td></tr>", page))
    assert rows["model"] == "maas" and rows["method"] == "lhs" and rows["samples"] == "2,000"
    assert rows["seed"] == "11" and rows["mcrisk version"] == mcrisk.__version__
    assert rows["study file"].endswith("study.toml") and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", rows["date"])


def test_sensitivity_nan_notes_and_pdf_only(run, tmp_path):
    names = [str(n) for n in run.tables["tornado"].input.values]
    res = run.results.copy()
    res["profit_per_day"].attrs["nonfinite"] = 7
    extended = replace(run, results=res, tables={**run.tables, "sensitivity": _sobol(names)})
    written = write_report(extended, tmp_path, formats=("pdf",))
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == sorted(
        f"{f}.pdf" for f in [*FIGURES, "sensitivity"])
    assert "figures/tornado.pdf" in written
    page = (tmp_path / "report.html").read_text()
    assert len(re.findall(r'<img src="data:image/png;base64,', page)) == len(FIGURES) + 1
    md = (tmp_path / "report.md").read_text()
    assert "**P(loss) = " in md and ("top driver: paid share of tokens, total Sobol' index 0.66 (involved in 66% of the variance).**"
                                   in md)  # the table's ranking index (ST), named, not S1
    assert "| Paid share of tokens | 0.610 ± 0.030 | 0.660 ± 0.040 |" in md
    assert "- profit_per_day is NaN or infinite in 7 of 2,000 samples; its statistics use the others." in md
    assert "- sobol: a note to show" in md


def test_bad_format_and_bad_scatter_input(run, tmp_path):
    with pytest.raises(SpecError, match=r"^formats: 'gif' is not a figure format; allowed: png, svg, pdf$"):
        write_report(run, tmp_path / "a", formats=("png", "gif"))
    assert not (tmp_path / "a").exists()
    plots = replace(run.study.plots, scatter=("headroom",))
    bad = replace(run, study=replace(run.study, plots=plots))
    with pytest.raises(SpecError, match=r"study.toml: \[plots\] scatter = 'headroom' is not an uncertain input; "
                                        r"uncertain inputs: decode_tps_per_node, gpu_hour_price, paid_share$"):
        write_report(bad, tmp_path / "b")


def test_constant_study_has_one_figure(root, tmp_path):
    run = run_study(root / "studies" / "deepseek_545.toml", out=tmp_path / "out")
    assert sorted(p.name for p in (run.out / "figures").iterdir()) == ["distribution.png", "distribution.svg"]
    page = (run.out / "report.html").read_text()
    assert page.count("<img ") == 1 and "P(loss) = 0.0%" in html.unescape(page)


def test_headline_of_an_output_that_cannot_go_below_zero_states_no_probability(run):
    # Cost is positive in every sample: "P(cost < 0) = 0%" would be noise on a slide.
    cost = replace(run, study=replace(run.study, output="cost_per_day"))
    from mcrisk.report.document import headline

    text = headline(cost)
    assert "P(" not in text
    assert text.startswith("Median cost ") and " USD/month, 90% interval " in text
    assert headline(run).startswith("P(loss) = ")


# --- in a real browser ----------------------------------------------------------------------------

_PROBE = """<script>window.__errors=[];window.addEventListener('error',function(e){
window.__errors.push(String(e.message||(e.target&&e.target.tagName)||e.type))},true);
window.addEventListener('load',function(){var im=[].slice.call(document.images);
var d=document.createElement('pre');d.id='mcrisk-check';d.textContent=JSON.stringify({images:im.length,
loaded:im.filter(function(i){return i.complete&&i.naturalWidth>0}).length,
widths:im.map(function(i){return i.naturalWidth}),errors:window.__errors});document.body.appendChild(d);});
</script>"""


def _chromium() -> str | None:
    return next((p for p in ("/usr/bin/chromium", shutil.which("chromium")) if p and os.path.exists(p)), None)


def test_report_opens_in_headless_chromium(run, page, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but chromium is missing: .ci/run installs Debian's chromium")
        pytest.skip("chromium is not installed (apt-get install chromium); CI runs this check")
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("<head>", "<head>" + _PROBE, 1), encoding="utf-8")
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000", "--dump-dom",
           probe.as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    found = re.search(r'<pre id="mcrisk-check">(.*?)</pre>', done.stdout, re.S)
    assert found, f"no check marker in chromium's DOM (exit {done.returncode}): {done.stderr[-500:]}"
    check = json.loads(html.unescape(found.group(1)))
    assert check == {"images": len(FIGURES), "loaded": len(FIGURES), "widths": [2000] * len(FIGURES),
                     "errors": []}


@pytest.mark.parametrize(("p", "n", "varies", "text"), [
    (0.25, 10_000, True, "Monte Carlo standard error 0.4%"),          # sqrt(0.25 * 0.75 / 10^4) = 0.0043
    (0.0, 20_000, True, "none of 20,000 samples; 95% upper bound 0.01%"),   # rule of three: 3 / n
    (1.0, 300, True, "all of 300 samples; 95% lower bound 99.00%"),
    (0.0, 1, False, "every sample is the same"),
])
def test_how_sure_p_loss_is(p, n, varies, text):
    from mcrisk.report.findings import p_error as _p_error

    assert _p_error(p, n, varies) == text


def test_the_top_driver_is_the_sensitivity_tables_first_by_its_own_index(run):
    from mcrisk.report.findings import driver as _driver
    from mcrisk.report.findings import driver_phrase

    # Two correlated inputs both "explain" most of the variance alone (S1); the table ranks by
    # delta, and so does the headline, naming the measure and the overlap.
    sens = xr.Dataset({"delta": ("input", [0.54, 0.49]), "S1": ("input", [0.78, 0.83])},
                      coords={"input": ["decode_tps_per_node", "gpu_hour_price"],
                              "group": ("input", ["decode_tps_per_node, gpu_hour_price"] * 2)},
                      attrs={"method": "delta", "rank_by": "delta", "output": "profit_per_day",
                             "indices_of": "inputs"})
    d = _driver(replace(run, tables={"sensitivity": sens}))
    assert d == {"input": "decode_tps_per_node", "index": "delta", "measure": "Borgonovo's delta", "value": 0.54,
                 "units": "", "members": ["decode_tps_per_node", "gpu_hour_price"], "of_group": False}
    assert driver_phrase(d) == ("decode tps per node, Borgonovo's delta 0.54 (rank-correlated with gpu hour price, "
                                "whose index overlaps)")
    # Sobol' on the group: one index, the group's, named as a group
    grouped = sens.assign(ST=("input", [0.62, 0.62])).assign_attrs(method="sobol", rank_by="ST", indices_of="groups")
    d = _driver(replace(run, tables={"sensitivity": grouped}))
    assert d["of_group"] and d["index"] == "ST"
    assert driver_phrase(d) == ("the group {decode tps per node, gpu hour price}, total Sobol' index 0.62 "
                                "(involved in 62% of the variance)")


def test_each_analysis_says_which_output_it_is_about(tmp_path, deepseek_priors_path):
    # [tornado] on the margin, [sensitivity] on profit: the tornado shows no ST (profit's indices
    # are not the margin's), and every table heading names its output.
    study = tmp_path / "study.toml"
    text = STUDY.format(priors=deepseek_priors_path.as_posix()).split("[tornado]")[0]
    study.write_text(text + '[tornado]\noutput = "cost_profit_margin"\n\n[sensitivity]\nmethod = "sobol"\n'
                            'samples = 4096\n', encoding="utf-8")
    res = run_study(study, out=tmp_path / "out", formats=("svg",))
    figs = {f.name: f for f in mcrisk.report.figures.figures(res)}
    ax = figs["tornado"].figure.axes[0]
    assert [t for t in ax.texts if t.get_gid() == "st_label"] == []
    assert "ST =" not in figs["tornado"].title
    md = (res.out / "report.md").read_text(encoding="utf-8")
    assert "## Sensitivity of profit per month (sobol)" in md  # by label, per the study period, as every heading
    assert "## Tornado: cost-profit margin, each input alone" in md
