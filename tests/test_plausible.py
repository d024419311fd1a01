"""Plausible ranges: every built-in input has one, every number in it cites a source, and a prior
whose median lies more than 10 times beyond it is a warning naming the slip (an error under --strict)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from conftest import ROOT
from mcrisk.cli.main import main
from mcrisk.core.errors import MCRiskWarning, SpecError
from mcrisk.models import gpu_hour_cost, maas, maas_hourly, maas_monthly
from mcrisk.spec.bibliography import bibliography, source_keys
from mcrisk.spec.conform import conform_priors
from mcrisk.spec.plausible import FACTOR, plausibility, plausible_ranges
from mcrisk.spec.priors import priors_from_dict
from mcrisk.spec.studyfile import load_study

GOOD = Path(__file__).parent / "data" / "good"
DECODE = ("decode_tps_per_node: median 1e+09 tokens/s is 10^5 times the highest published decode throughput "
          "(14,800 tokens/s, DeepSeek 2025): tokens per day given as tokens per second?")
PRICE = ("price_output: median 0.002 USD/1M tokens is 30 times below the lowest published output price "
         "(0.06 USD/1M tokens, a16z, 2024): price per 1K tokens given per 1M?")


def _flags(model, values: dict, currency: str | None = "USD") -> list[str]:
    priors = priors_from_dict(values, file="x")
    return plausibility(model, conform_priors(model, priors, currency=currency).priors, currency=currency)


@pytest.mark.parametrize("model", [maas, maas_hourly, maas_monthly, gpu_hour_cost], ids=lambda m: m.__name__)
def test_every_builtin_input_has_a_plausible_range_in_its_unit(model) -> None:
    ranges = plausible_ranges()
    for name, var in model.inputs.items():
        if name in ranges["shares"]["names"]:
            assert var.domain is not None and tuple(var.domain) == (0.0, 1.0), name
            continue
        assert name in ranges, name
        assert ranges[name]["unit"] == var.unit.replace("{currency}", "USD"), name


def test_every_number_cites_a_source_the_bibliography_holds() -> None:
    ranges, known = plausible_ranges(), bibliography([ROOT / "priors"])
    entries = {k: v for k, v in ranges.items() if isinstance(v, dict) and k not in ("fx", "shares")}
    assert len(entries) == 28
    cited = set()
    for name, entry in entries.items():
        for side in ("low", "high"):
            source = entry[f"{side}_source"]  # a number's source, or why there is no number
            if side in entry:
                assert entry[side] > 0 and entry[f"{side}_cite"], (name, side)
                assert source_keys(source) or source.startswith(("DERIVED", "UNCONFIRMED", "its ", "facts.md")), name
            else:
                assert source.startswith(("none:", "its domain")), (name, side)
            cited.update(source_keys(source))
        if "low" in entry and "high" in entry:
            assert entry["low"] < entry["high"], name
    assert cited - set(known) == set()  # every key is a line of priors/SOURCES.md
    assert source_keys(ranges["fx"]["source"]) == ["parity-0224", "parity-0430"] and ranges["fx"]["CNY"] == 7.1717


def test_the_published_figures_as_facts_md_gives_them() -> None:
    r = plausible_ranges()
    assert (r["decode_tps_per_node"]["high"], r["prefill_tps_per_node"]["high"]) == (14_800, 73_700)  # facts.md §0 #14-15
    assert r["decode_tps_per_node"]["low"] == 90 * 8  # [blockbeats-nv]: 90 tokens/s per H200 GPU
    assert r["prefill_tps_per_node"]["low"] == round(73_700 * 964.5 / 14_800)  # 4,803.0
    assert r["peak_to_avg"]["low"] == round(278 / 226.75, 3)
    assert r["price_input_miss"]["low"] == round(0.8 / 7.1717, 2)
    assert r["server_price_per_gpu"]["high"] == 2.7e6 / 8 / 7.2
    assert r["hosting_per_gpu_year"]["high"] == 133 * 12
    assert r["overhead_share"]["high"] == round(1.92 / 1.41 - 1, 2)
    assert FACTOR == 10


def test_a_slip_is_named() -> None:
    assert _flags(maas, {"decode_tps_per_node": 1e9, "price_output": 0.002}) == [DECODE, PRICE]
    assert _flags(gpu_hour_cost, {"power_kw_per_gpu": 700}) == [
        ("power_kw_per_gpu: median 700 kW/GPU is 10^3 times the highest published power per GPU (1 kW/GPU, "
         "owned H100, UNCONFIRMED): watts given as kilowatts?")]
    assert _flags(maas, {"gpus_per_node": 1}) == []  # 1 GPU: 8 times below DeepSeek's 8, within the factor
    # no slip known for that side: the generic advice
    assert _flags(gpu_hour_cost, {"depreciation_years": 0.25}) == [
        ("depreciation_years: median 0.25 years is 12 times below the lowest published payback period (3 years, "
         "facts.md §5, UNCONFIRMED); check its unit")]


def test_the_factor_is_ten_on_either_side() -> None:
    assert _flags(maas, {"decode_tps_per_node": 148_000}) == []  # exactly 10 x 14,800
    assert len(_flags(maas, {"decode_tps_per_node": 148_001})) == 1
    assert _flags(maas, {"price_output": 0.006}) == []  # exactly 0.06 / 10
    assert len(_flags(maas, {"price_output": 0.0059})) == 1
    assert _flags(maas, {"price_output": 0.0}) == []  # free: taken as meant
    assert _flags(maas, {"decode_tps_per_node": 1.7e308, "price_output": 2.2e-311}) == [  # ratios beyond a double
        ("decode_tps_per_node: median 1.7e+308 tokens/s is 10^304 times the highest published decode throughput "
         "(14,800 tokens/s, DeepSeek 2025): tokens per day given as tokens per second?"),
        ("price_output: median 2.2e-311 USD/1M tokens is 10^309 times below the lowest published output price "
         "(0.06 USD/1M tokens, a16z, 2024): price per 1K tokens given per 1M?")]


def test_the_median_is_what_is_checked() -> None:
    # a lognormal with median 2e5 and a long right tail: its 99.9% reaches 10^6, its median is 13.5 x 14,800
    wide = {"dist": "lognormal", "median": 2e5, "sigma": 0.5}
    assert _flags(maas, {"decode_tps_per_node": wide}) == [
        ("decode_tps_per_node: median 200000 tokens/s is 14 times the highest published decode throughput "
         "(14,800 tokens/s, DeepSeek 2025): tokens per day given as tokens per second?")]
    assert _flags(maas, {"decode_tps_per_node": {"dist": "uniform", "low": 1_000, "high": 280_000}}) == []


def test_money_in_cny_is_converted_and_other_currencies_are_not_checked() -> None:
    # CNY 50 a GPU-hour: 7 USD x 7.1717 = CNY 50.2 is the top, 10x that CNY 502
    assert _flags(maas, {"gpu_hour_price": 500}, currency="CNY") == []
    assert _flags(maas, {"gpu_hour_price": 510}, currency="CNY") == [
        ("gpu_hour_price: median 510 CNY/GPU-hour is 10 times the highest published GPU-hour price (50.2 "
         "CNY/GPU-hour, H200 hyperscaler on-demand): price per GPU-month or per server-month given per GPU-hour?")]
    assert _flags(maas, {"gpu_hour_price": 5_000, "decode_tps_per_node": 1e9}, currency="EUR") == [DECODE]
    assert _flags(maas, {"gpu_hour_price": 5_000}, currency=None) == []


def test_a_prior_in_other_units_is_checked_in_the_model_unit() -> None:
    # USD 2.19 per 1M written as 0.00219 per 1K is right, and passes; 0.002 per 1M is the slip
    assert _flags(maas, {"price_output": {"value": 0.00219, "unit": "USD/1K tokens"}}) == []
    assert _flags(maas, {"decode_tps_per_node": {"value": 1.28e9, "unit": "tokens/day"}}) == []


def _study(tmp_path: Path, inputs: str) -> Path:
    """The shipped deepseek_545 study (every prior with its unit: it passes --strict) plus ``inputs``."""
    text = (ROOT / "studies" / "deepseek_545.toml").read_text(encoding="utf-8").replace(
        '"../priors/', f'"{(ROOT / "priors").as_posix()}/')
    path = tmp_path / "s.toml"
    path.write_text(text + ("\n[inputs]\n" + inputs if inputs else ""), encoding="utf-8")
    return path


def test_check_and_run_warn_and_strict_refuses(tmp_path, capsys) -> None:
    path = _study(tmp_path, 'decode_tps_per_node = { value = 1e9, unit = "tokens/s" }\n')
    warning = f"warning: {path}: [{DECODE.replace(': median', '] median', 1)}\n"
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().err == warning
    assert main(["check", "--strict", str(path)]) == 2
    assert capsys.readouterr().err == f"error: {path}: [{DECODE.replace(': median', '] median', 1)} (--strict)\n"
    out = tmp_path / "out"
    assert main(["run", str(path), "--samples", "10", "--quiet", "--formats", "png", "--out", str(out),
                 "--strict"]) == 2
    assert capsys.readouterr().err == f"error: {path}: [{DECODE.replace(': median', '] median', 1)} (--strict)\n"
    assert not out.exists()
    with pytest.warns(MCRiskWarning) as record:
        load_study(path)
    assert [str(w.message) for w in record] == [warning[len("warning: "):-1]]


def test_a_set_value_is_checked_as_the_file_value(tmp_path, capsys) -> None:
    path, out = _study(tmp_path, ""), tmp_path / "out"
    assert main(["run", str(path), "--set", "decode_tps_per_node=1e9", "--strict", "--out", str(out)]) == 2
    tail = DECODE.split(": ", 1)[1]
    assert capsys.readouterr().err == f"error: --set decode_tps_per_node=1000000000.0: {tail} (--strict)\n"
    assert not out.exists()


PRIORS = """currency = "USD"
[decode_tps_per_node]
value = 1e9
unit = "tokens/s"
[price_output]
value = 0.002
unit = "USD/1M tokens"
[price_input_miss]
value = 0.00219
unit = "USD/1K tokens"
[my_own_input]
value = 1e30
unit = "1"
[prefill_tps_per_node]
value = 5
unit = "USD"
[paid_share]
value = 2
unit = "1"
"""


def test_a_priors_file_alone_is_checked_against_the_builtin_inputs(tmp_path, capsys) -> None:
    path = tmp_path / "p.toml"
    path.write_text(PRIORS, encoding="utf-8")
    assert main(["check", str(path)]) == 0
    # the slips only: 0.00219 per 1K is USD 2.19 per 1M; an input no built-in model has, a unit that
    # does not convert and a share outside [0, 1] are not plausibility's to judge
    assert capsys.readouterr().err.splitlines() == [f"warning: {path}: [{DECODE.replace(': median', '] median', 1)}",
                                                    f"warning: {path}: [{PRICE.replace(': median', '] median', 1)}"]
    assert main(["check", "--strict", str(path)]) == 2
    assert capsys.readouterr().err == f"error: {path}: [{DECODE.replace(': median', '] median', 1)} (--strict)\n"


@pytest.mark.parametrize("currency, warned", [('currency = "CNY"\n', True), ('currency = "EUR"\n', False),
                                              ("", False)], ids=["CNY", "EUR", "none"])
def test_a_priors_file_is_checked_in_its_own_currency(tmp_path, capsys, currency: str, warned: bool) -> None:
    path = tmp_path / "p.toml"
    path.write_text(f'{currency}[gpu_hour_price]\nvalue = 510\n[server_price_per_gpu]\nvalue = 30000\n',
                    encoding="utf-8")
    assert main(["check", str(path)]) == 0
    line = (f"warning: {path}: [gpu_hour_price] median 510 CNY/GPU-hour is 10 times the highest published "
            "GPU-hour price (50.2 CNY/GPU-hour, H200 hyperscaler on-demand): price per GPU-month or per "
            "server-month given per GPU-hour?")
    assert capsys.readouterr().err.splitlines() == ([line] if warned else [])


def test_no_shipped_priors_file_warns(capsys) -> None:
    files = sorted(str(p) for p in (ROOT / "priors").glob("*.toml"))
    assert len(files) == 7 and main(["check", "--strict", *files]) == 0
    assert capsys.readouterr().err == ""


def test_no_shipped_study_warns() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", MCRiskWarning)
        for path in sorted((ROOT / "studies").glob("*.toml")):
            try:
                load_study(path, strict=True)
            except SpecError as err:  # --strict: an implausible prior (or a missing unit) is an error
                pytest.fail(str(err))


def test_the_docs_table_is_generated_from_the_data_file() -> None:
    from mcrisk.spec.plausible import plausible_table

    table = plausible_table()
    assert table.count("\n") == 2 + 28 and "| `decode_tps_per_node` | tokens/s | 720 | 14,800 |" in table
    assert table in (ROOT / "docs" / "models.md").read_text(encoding="utf-8")
