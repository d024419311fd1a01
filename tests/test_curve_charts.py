"""The throughput curve and the cost frontier: what is computed and drawn, in the report, the deck and the workbook."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import openpyxl
import pptx
import pytest
import xarray as xr

from mcrisk import load_study, run_study
from mcrisk.analyze.frontier import cost_frontier, curve_label, throughput_curve_of
from mcrisk.report.plot import plot_cost_frontier, plot_throughput_curve, title_of

H100 = [[42.0, 266.0], [100.0, 23.0]]
B = math.log(23 / 266) / math.log(100 / 42)  # the power between the two points


def _study(tmp_path: Path) -> Path:
    """Decode only at a GPU-hour price of 2 USD (the only uncertain input: the engineering factor)."""
    (tmp_path / "hw.toml").write_text((Path(__file__).parent / "data" / "hardware" / "catalogue.toml").read_text())
    path = tmp_path / "s.toml"
    path.write_text("""model = "maas"
currency = "USD"
samples = 64
seed = 2
output = "cost_per_million_output_tokens"
[inputs]
input_tokens = 0
output_tokens = 168e9
gpu_hour_price = 2
peak_to_avg = 1
price_input_miss = 0.55
price_output = 2.19
interactivity = { dist = "uniform", low = 50, high = 80 }
engineering_factor = { dist = "uniform", low = 0.5, high = 2 }
[options]
throughput_curve = "hw.toml#h100.curves.r1_fp8_1k1k"
""")
    return path


def test_the_frontier_is_the_benchmarks_cost_at_each_speed(tmp_path):
    """Decode only: cost per million = 2 x 1e6 / (3600 curve(i) f), so at each speed its quantiles over the
    samples are that at the quantiles of 1 / f (a decreasing function of f)."""
    study = load_study(_study(tmp_path))
    run = run_study(study, write=False)
    points = throughput_curve_of(study.model)
    assert points.tolist() == H100 and curve_label(study.spec) == "h100.curves.r1_fp8_1k1k"
    fr = cost_frontier(study.model, run.results, points, label="H100")
    x = fr["interactivity"].values
    assert x[0] == 42 and x[-1] == 100 and fr.sizes == {"hardware": 1, "interactivity": 13}
    np.testing.assert_allclose(np.diff(np.log(x)), np.log(100 / 42) / 12, rtol=1e-12)
    f = run.results["engineering_factor"].values
    per_gpu = 266 * (x / 42) ** B
    np.testing.assert_allclose(fr["tokens_per_gpu"].sel(hardware="H100").values, per_gpu, rtol=1e-13)
    for k, q in (("p05", 0.05), ("p50", 0.5), ("p95", 0.95)):
        want = 2e6 / (3600 * per_gpu) * np.quantile(1 / f, q)
        np.testing.assert_allclose(fr[k].sel(hardware="H100").values, want, rtol=1e-12, err_msg=k)


def test_plot_throughput_curve_draws_the_points_and_shades_the_range():
    ax = plot_throughput_curve({"H100": H100, "B200": [[42, 4792], [100, 497]]}, interactivity=(50, 80))
    line = next(l for l in ax.lines if l.get_gid() == "curve_0")
    np.testing.assert_array_equal(line.get_xdata(), [42, 100])
    np.testing.assert_array_equal(line.get_ydata(), [266, 23])
    assert next(l for l in ax.lines if l.get_gid() == "curve_1").get_label() == "B200"
    span = next(p for p in ax.patches if p.get_gid() == "study_range")
    assert (span.get_x(), span.get_x() + span.get_width()) == (50, 80)
    assert ax.get_xscale() == ax.get_yscale() == "log"
    # 266 (50/42)^b and 266 (80/42)^b with b = -2.822: 162.6 and 43.17 tokens/s per GPU
    assert title_of(ax) == "Throughput 163 to 43.2 tokens/s per GPU at 50 to 80 tokens/s per user"


def test_plot_cost_frontier_draws_each_hardware():
    x = np.array([42.0, 60.0, 100.0])
    ds = xr.Dataset({k: (("hardware", "interactivity"), v, {"units": "USD/1M tokens"})
                     for k, v in (("p05", [[1.0, 2, 3], [0.1, 0.2, 0.3]]), ("p50", [[2.0, 3, 4], [0.2, 0.3, 0.4]]),
                                  ("p95", [[3.0, 4, 5], [0.3, 0.4, 0.5]]))},
                    coords={"hardware": ["H100", "B200"], "interactivity": x},
                    attrs={"output": "cost_per_million_output_tokens"})
    ax = plot_cost_frontier(ds)
    for i, med in enumerate(([2.0, 3, 4], [0.2, 0.3, 0.4])):
        line = next(l for l in ax.lines if l.get_gid() == f"frontier_{i}")
        np.testing.assert_array_equal(line.get_xdata(), x)
        np.testing.assert_array_equal(line.get_ydata(), med)
    assert ax.get_xscale() == "log"
    assert title_of(ax) == "Median 2 to 4 USD/1M tokens at 42 to 100 tokens/s per user"


@pytest.mark.filterwarnings("ignore::mcrisk.core.errors.MCRiskWarning")  # few samples: rough intervals
def test_report_deck_and_workbook_show_the_curve_and_the_frontier(tmp_path):
    out = tmp_path / "out"
    run_study(_study(tmp_path), out=out, formats=("png", "pptx", "xlsx"))
    assert (out / "figures" / "throughput_curve.png").exists() and (out / "figures" / "cost_frontier.png").exists()
    report = (out / "report.md").read_text()
    assert "throughput_curve.png" in report and "cost_frontier.png" in report
    titles = [s.shapes.title.text_frame.text for s in pptx.Presentation(out / "deck.pptx").slides if s.shapes.title]
    assert "Throughput against speed: h100.curves.r1_fp8_1k1k" in titles
    assert any(t.startswith("Cost per million output tokens: median ") for t in titles), titles
    ws = openpyxl.load_workbook(out / "workbook.xlsx", read_only=True)["Throughput"]
    rows = [r for r in ws.iter_rows(values_only=True)]
    assert rows[2][:2] == (42, 266) and rows[3][:2] == (100, 23)
    ws.parent.close()


def test_a_model_pricing_its_own_tiers_on_a_curve_shows_the_curve_without_a_range(tmp_path):
    """studies/hardware_tiers.py takes the curve but no interactivity (its tiers are the curve's points): the
    report, the deck and the workbook show the curve's points; no speed range, no frontier (it needs the input)."""
    root = Path(__file__).resolve().parent.parent
    (tmp_path / "studies").mkdir()
    (tmp_path / "priors").symlink_to(root / "priors")
    for name in ("hardware_2026.toml", "hardware_tiers.py"):
        (tmp_path / "studies" / name).write_text((root / "studies" / name).read_text())
    out = tmp_path / "out"
    run = run_study(tmp_path / "studies" / "hardware_2026.toml", out=out, formats=("png", "pptx", "xlsx"),
                    samples=64, quiet=True)
    assert "interactivity" not in run.results
    assert (out / "figures" / "throughput_curve.png").exists() and not (out / "figures" / "cost_frontier.png").exists()
    assert "throughput_curve.png" in (out / "report.md").read_text()
    slides = [s for s in pptx.Presentation(out / "deck.pptx").slides if s.shapes.title]
    curve = [s for s in slides if s.shapes.title.text_frame.text == "Throughput against speed: h100.curves.r1_fp8_1k1k"]
    assert len(curve) == 1
    notes = " ".join(sh.text_frame.text for sh in curve[0].shapes if sh.has_text_frame)
    assert "The model prices its own speed tiers on this curve" in notes
    book = openpyxl.load_workbook(out / "workbook.xlsx", read_only=True)
    rows = list(book["Throughput"].iter_rows(values_only=True))
    book.close()
    # priors/hardware-2026.toml's H100 points, in output tokens (InferenceX's total tokens halved at 1k/1k)
    assert [r[:2] for r in rows[2:5]] == [(42, 133.15), (71, 36.7), (100, 11.65)] and len(rows) == 5
