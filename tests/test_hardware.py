"""The hardware catalogue: priors/hardware-2026.toml validates, lists, is referenced, and refuses bad entries."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from mcrisk.cli.main import main
from mcrisk.core.errors import SpecError
from mcrisk.spec.hardware import catalogue_unknown_keys, load_catalogue
from mcrisk.spec.studyfile import load_study

CATALOGUE = ROOT / "priors" / "hardware-2026.toml"
DEEPSEEK = (ROOT / "priors" / "deepseek-2025-02-27.toml").as_posix()
GOOD = '''[x]
label = "X 80 GB"
memory_gb = 80
gpus_per_node = 8
source = "judgement"
[x.rent_per_gpu_hour]
dist = "lognormal"
p05 = 1.0
p95 = 4.0
unit = "USD/GPU-hour"
source = "judgement"
[x.owned_per_gpu_hour]
value = 1.5
unit = "USD/GPU-hour"
source = "judgement"
[x.curves.c]
points = [[10, 100.0], [50, 20.0]]
source = "judgement"
'''


def test_the_catalogue_passes_strict_check(capsys) -> None:
    assert main(["check", str(CATALOGUE), "--strict"]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"{CATALOGUE}: hardware catalogue ok (7 accelerators, 7 throughput curves)\n"
    assert captured.err == ""


def test_the_catalogue_has_every_accelerator_the_issue_names_and_every_key_resolves() -> None:
    catalogue = load_catalogue(CATALOGUE)
    assert [a.key for a in catalogue] == ["h800", "h100", "h200", "b200", "gb200_nvl72", "mi300x", "mi355x"]
    assert catalogue_unknown_keys(catalogue, CATALOGUE) == []
    for acc in catalogue:
        assert acc.rent.unit == acc.owned.unit == "USD/GPU-hour"
        for curve in acc.curves:
            xs = [x for x, _ in curve.points]
            assert xs == sorted(set(xs)) and all(y > 0 for _, y in curve.points), curve.name


def test_the_curves_are_the_published_totals_times_the_output_share() -> None:
    """InferenceX publishes total (input + output) tokens/s per GPU [IX-app]; output = total x OSL/(ISL+OSL)."""
    by = {a.key: {c.name: dict(c.points) for c in a.curves} for a in load_catalogue(CATALOGUE)}
    published_1k1k = {"h100": {42: 266.3, 71: 73.4, 100: 23.3}, "b200": {42: 4791.6, 71: 1020.2, 100: 497.5}}
    for key, points in published_1k1k.items():  # [IX-compare-b200-h100]
        for x, total in points.items():
            assert by[key]["r1_fp8_1k1k"][x] == pytest.approx(total / 2, abs=0.005)
    published_8k1k = {"gb200_nvl72": {75: 5789.6, 120: 3987.5, 164: 817.8},  # [IX-compare-b200-gb200]
                      "mi300x": {23: 725.2, 32: 601.1, 42: 406.3}}  # [IX-compare-b200-mi300x]
    for key, points in published_8k1k.items():
        for x, total in points.items():
            assert by[key]["r1_fp8_8k1k"][x] == pytest.approx(total / 9, abs=0.005)


def test_describe_hardware_lists_the_catalogue(capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["describe", "hardware"]) == 0
    lines = capsys.readouterr().out.splitlines()
    h100 = next(ln for ln in lines if ln.split()[:1] == ["h100"]).split()
    # a lognormal's median is the geometric mean of its p05 and p95: sqrt(1.3 x 3.5) = 2.133
    assert h100[1:] == ["80", "GB", "8", f"{math.sqrt(1.3 * 3.5):.2f}", "(1.30-3.50)",
                        f"{math.sqrt(1.3 * 1.69):.2f}", "(1.30-1.69)", "r1_fp8_1k1k", "42-100"]
    b200 = next(ln for ln in lines if ln.split()[:1] == ["b200"])
    assert b200.endswith("r1_fp8_1k1k 42-100; r1_fp8_8k1k 23-164")
    assert next(ln for ln in lines if ln.split()[:1] == ["h800"]).endswith("none published")
    assert main(["describe", str(CATALOGUE)]) == 0
    assert capsys.readouterr().out.splitlines()[2:] == lines[2:]


def test_describe_hardware_outside_the_project(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["describe", "hardware"]) == 2
    assert capsys.readouterr().err == (
        f"error: describe: hardware lists {Path('priors') / 'hardware-2026.toml'}, which is not in {tmp_path}; "
        "give the catalogue's path, e.g. mcrisk describe priors/hardware-2026.toml\n")


def test_a_study_refers_to_a_catalogue_prior_by_its_dotted_path(tmp_path) -> None:
    path = tmp_path / "s.toml"
    ref = f"{CATALOGUE.as_posix()}#b200.owned_per_gpu_hour"
    path.write_text(f'model = "maas"\npriors = ["{DEEPSEEK}"]\nsamples = 100\n[inputs]\n'
                    f'gpu_hour_price = {{ ref = "{ref}" }}\n', encoding="utf-8")
    got = load_study(path).priors["gpu_hour_price"]
    assert (got.family, got.unit) == ("lognormal", "USD/GPU-hour")
    assert got.source.startswith("[IX-app] GPU_SPECS b200")
    assert float(got.dist.median()) == pytest.approx(math.sqrt(1.95 * 2.34), rel=1e-12)


@pytest.mark.parametrize("entry, message", [
    ("h100.rent", "has no entry h100.rent; entries: memory_gb, gpus_per_node, rent_per_gpu_hour, "
                  "owned_per_gpu_hour, curves"),
    ("h900.rent_per_gpu_hour", "has no entry h900.rent_per_gpu_hour; entries: h800, h100, h200, b200, "
                               "gb200_nvl72, mi300x, mi355x"),
    ("h100", "[h100] is not a distribution (a number, or a table with dist or value)"),
])
def test_a_bad_dotted_ref(tmp_path, entry: str, message: str) -> None:
    path = tmp_path / "s.toml"
    ref = f"{CATALOGUE.as_posix()}#{entry}"
    path.write_text(f'model = "maas"\npriors = ["{DEEPSEEK}"]\nsamples = 100\n[inputs]\n'
                    f'gpu_hour_price = {{ ref = "{ref}" }}\n', encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_study(path)
    assert str(info.value).endswith(message)


@pytest.mark.parametrize("old, new, message", [
    ("memory_gb = 80", "memory_gb = 0", "[x] memory_gb = 0 must be > 0"),
    ("memory_gb = 80\n", "", "[x] memory_gb is missing; an accelerator has label, memory_gb, gpus_per_node, "
                             "source, rent_per_gpu_hour, owned_per_gpu_hour"),
    ("gpus_per_node = 8", "gpus_per_node = 7.5", "[x] gpus_per_node = 7.5 must be a whole number >= 1"),
    ('label = "X 80 GB"', 'label = "X 80 GB"\nmemory = 80', "[x] memory = 80 is not a key; allowed: label, "
                                                             "memory_gb, gpus_per_node, source, rent_per_gpu_hour, "
                                                             "owned_per_gpu_hour, curves, note"),
    ("p05 = 1.0\np95 = 4.0\nunit = \"USD/GPU-hour\"", "p05 = 1.0\np95 = 4.0\nunit = \"USD/h\"",
     "[x.rent_per_gpu_hour] unit = 'USD/h' must be \"USD/GPU-hour\""),
    ("points = [[10, 100.0], [50, 20.0]]", "points = [[50, 20.0], [10, 100.0]]",
     "[x.curves.c] points[1] = [10, 100.0]: interactivity 10 must be greater than the point before's 50; "
     "list the points by increasing interactivity"),
    ("points = [[10, 100.0], [50, 20.0]]", "points = [[10, 100.0], [50, 0]]",
     "[x.curves.c] points[1] = [50, 0] must be two positive numbers [interactivity (tokens/s per user), "
     "output tokens/s per GPU]"),
    ("points = [[10, 100.0], [50, 20.0]]", "points = [[10, 100.0]]",
     "[x.curves.c] points = [[10, 100.0]] must be a list of at least two [interactivity, output tokens/s per GPU] "
     "pairs"),
    ('points = [[10, 100.0], [50, 20.0]]\nsource = "judgement"', "points = [[10, 100.0], [50, 20.0]]",
     "[x.curves.c] source = None: every curve cites where its points come from"),
])
def test_a_bad_catalogue_is_one_line(capsys, tmp_path, old: str, new: str, message: str) -> None:
    assert old in GOOD
    path = tmp_path / "hw.toml"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    assert main(["check", str(path)]) == 2
    assert capsys.readouterr().err == f"error: {path}: {message}\n"


def test_an_unknown_source_key_is_an_error_under_strict(capsys, tmp_path) -> None:
    path = tmp_path / "hw.toml"
    path.write_text(GOOD.replace('source = "judgement"\n[x.rent', 'source = "[NOPE]"\n[x.rent'), encoding="utf-8")
    (tmp_path / "SOURCES.md").write_text("- **[YES]** somewhere\n", encoding="utf-8")
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().err == (f"warning: {path}: [x] source cites [NOPE], which no SOURCES.md beside "
                                       "the catalogue holds\n")
    assert main(["check", str(path), "--strict"]) == 2
    assert capsys.readouterr().err.startswith(f"error: {path}: [x] source cites [NOPE]")


def test_the_hardware_studies_pair_their_samples(tmp_path) -> None:
    """On common random numbers every input but the accelerator's own draws the same in both studies, so
    per sample the cost per output token scales by the rent over the curve: B/A = (rent_B / rent_A)
    (curve_A(42) / curve_B(42)), exactly, with the catalogue's points (H100 133.15, B200 2,395.8)."""
    from mcrisk.study.compare import compare

    c = compare(ROOT / "studies" / "hardware_2026.toml", ROOT / "studies" / "hardware_2026_b200.toml",
                samples=64, progress=False)
    a, b = c.a, c.b
    for name in ("price_cut", "paid_share", "peak_to_avg", "headroom", "engineering_factor"):
        assert np.array_equal(a[name].values, b[name].values), name
    ratio = b["cost_per_mtok_rent_42"].values / a["cost_per_mtok_rent_42"].values
    expected = b["rent_gpu_hour_price"].values / a["rent_gpu_hour_price"].values * 133.15 / 2395.8
    np.testing.assert_allclose(ratio, expected, rtol=1e-12)
    # the rents are comonotone draws of two lognormals: the same quantile of each
    za = np.log(a["rent_gpu_hour_price"].values / math.sqrt(1.3 * 3.5)) / (math.log(3.5 / 1.3) / 3.289707253902945)
    zb = np.log(b["rent_gpu_hour_price"].values / math.sqrt(2.9 * 6.0)) / (math.log(6.0 / 2.9) / 3.289707253902945)
    np.testing.assert_allclose(za, zb, rtol=1e-9, atol=1e-9)
