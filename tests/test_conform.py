"""Priors conformed to their model: units converted at load by the right factor, domains enforced."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from mcrisk import SpecError, load_study, run_study
from mcrisk.cli.main import main
from mcrisk.analyze.risk import summarize


def _study(tmp_path: Path, root: Path, extra: str, *, currency: str = "") -> Path:
    path = tmp_path / "s.toml"
    path.write_text(f'model = "maas"\npriors = [{str(root / "priors" / "deepseek-2025-02-27.toml")!r}]\n'
                    f'samples = 64\nseed = 1\n{currency}\n{extra}\n', encoding="utf-8")
    return path


def test_throughput_per_second_for_a_per_day_input_is_multiplied_by_86400(tmp_path, root) -> None:
    s = load_study(_study(tmp_path, root, '[inputs.output_tokens]\nvalue = 1e6\nunit = "tokens/s"'))
    assert s.priors["output_tokens"].params["value"] == 86_400e6
    assert s.priors["output_tokens"].unit == "tokens/day"
    assert s.conversions == ("output_tokens: tokens/s -> tokens/day: x 86,400",)


def test_price_per_1k_for_a_per_1m_input_is_multiplied_by_1000(tmp_path, root) -> None:
    s = load_study(_study(tmp_path, root, '[inputs.price_output]\ndist = "uniform"\nlow = 0.001\nhigh = 0.003\n'
                                          'unit = "USD/1K tokens"'))
    p = s.priors["price_output"]
    u = np.array([0.0, 0.25, 0.5, 1.0])
    assert p.scale == 1000.0 and p.unit == "USD/1M tokens"
    np.testing.assert_allclose(p.ppf(u), [1.0, 1.5, 2.0, 3.0], rtol=1e-12)
    assert p.base_value == pytest.approx(2.0, rel=1e-12)  # the tornado's base, in the model's unit
    assert p.describe() == "uniform(low=0.001, high=0.003) x 1000"


def test_a_converted_study_gives_the_unconverted_numbers(tmp_path, root) -> None:
    # DeepSeek's 545% with the decode throughput per hour and the output price per 1K tokens.
    path = _study(tmp_path, root, '[inputs.decode_tps_per_node]\nvalue = 53_280_000\nunit = "tokens/hour"\n'
                                  '[inputs.price_output]\nvalue = 0.00219\nunit = "USD/1K tokens"')
    lines: list[str] = []
    got = run_study(path, write=False, echo=lines.append).summary
    ref = run_study(root / "studies" / "deepseek_545.toml", samples=64, write=False).summary
    np.testing.assert_allclose(got["mean"].values, ref["mean"].values, rtol=1e-12)
    assert "unit converted: decode_tps_per_node: tokens/hour -> tokens/s: x 0.000278" in lines
    assert "unit converted: price_output: USD/1K tokens -> USD/1M tokens: x 1,000" in lines


def test_fx_converts_a_cny_rent_in_a_usd_study(tmp_path, root) -> None:
    path = _study(tmp_path, root, '[inputs.gpu_hour_price]\nvalue = 13.020833\nunit = "CNY/GPU-hour"\n'
                                  '[fx]\nCNY = 0.139', currency='currency = "USD"')
    s = load_study(path)
    assert s.priors["gpu_hour_price"].params["value"] == pytest.approx(13.020833 * 0.139, rel=1e-12)
    assert s.conversions == ("gpu_hour_price: CNY/GPU-hour -> USD/GPU-hour: x 0.139, 1 CNY = 0.139 USD",)


def test_fx_table_errors(tmp_path, root) -> None:
    no_rate = _study(tmp_path, root, '[inputs.gpu_hour_price]\nvalue = 13.0\nunit = "CNY/GPU-hour"',
                     currency='currency = "USD"')
    with pytest.raises(SpecError, match=r"s.toml: \[gpu_hour_price\] unit 'CNY/GPU-hour' is in CNY but the model "
                                        r"wants 'USD/GPU-hour': add an exchange rate, \[fx\] CNY = <value of 1 CNY"):
        load_study(no_rate)
    for table, message in [("XYZ = 1.0", r"\[fx\] XYZ = 1.0 is not a key; allowed: USD, CNY"),
                           ("CNY = -0.1", r"\[fx\] CNY = -0.1 must be a positive number: the value of 1 CNY in USD"),
                           ('CNY = { dist = "normal", mean = 0.139, sd = 0.05 }',
                            r"\[fx.CNY\] normal\(mean=0.139, sd=0.05\) ranges over \[-0.275\d*, 0.549\d*\], outside the "
                            r"domain of fx_CNY, \(0, inf\)")]:
        with pytest.raises(SpecError, match=message):
            load_study(_study(tmp_path, root, f"[fx]\n{table}", currency='currency = "USD"'))


def test_inconvertible_unit_is_exit_status_2_with_one_line(tmp_path, root, capsys) -> None:
    path = _study(tmp_path, root, '[inputs.price_output]\nvalue = 2.19\nunit = "tokens/s"')
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: {path}: [price_output] unit 'tokens/s' cannot be converted to the model's "
                   "'USD/1M tokens': they measure different things ([token] / [time] vs [currency_USD] / [token])\n")


def test_strict_asks_for_every_unit(tmp_path, root, capsys) -> None:
    priors = tmp_path / "p.toml"
    priors.write_text((root / "priors" / "deepseek-2025-02-27.toml").read_text(encoding="utf-8")
                      .replace('value = 0.0\nunit = "1"\nsource = "DeepSeek, DeepSeek-V3/R1 Inference System '
                               'Overview, 2025-03-01: list price"',
                               'value = 0.0\nsource = "list price"'), encoding="utf-8")
    study = tmp_path / "s.toml"
    study.write_text('model = "maas"\npriors = ["p.toml"]\n', encoding="utf-8")
    assert main(["check", str(study)]) == 0
    assert main(["check", "--strict", str(study)]) == 2
    assert main(["check", "--strict", str(priors)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"error: {study}: [price_cut] has no unit; --strict asks every prior for one (the model's: '1')",
                   f"error: {priors}: [price_cut] has no unit; --strict asks every prior for one "
                   "(unit = \"1\" for a ratio)"]


@pytest.mark.parametrize(("entry", "message"), [
    ('[inputs.paid_share]\ndist = "uniform"\nlow = 50\nhigh = 100',
     r"\[paid_share\] uniform\(low=50, high=100\) ranges over \[50, 100\], outside the domain of paid_share, \[0, 1\]; "
     r"a share is a fraction \(0.5 for 50%\), or give unit = \"%\"$"),
    ('[inputs.price_output]\ndist = "normal"\nmean = 2.19\nsd = 0.5',
     r"\[price_output\] normal\(mean=2.19, sd=0.5\) ranges over \[-1.95618, 6.29477\], outside the domain "
     r"of price_output, \[0, inf\); choose a family bounded below at 0"),
    ("[inputs]\nprice_cut = 1.5", r"\[price_cut\] value 1.5 lies outside the domain of price_cut, \[0, 1\]; a share is a fraction"),
    ("[inputs]\npeak_to_avg = 0.8", r"\[peak_to_avg\] value 0.8 lies outside the domain of peak_to_avg, \[1, inf\)$"),
], ids=["share-in-percent", "negative-price", "cut-over-100%", "peak-below-mean"])
def test_a_prior_outside_its_domain_is_one_line(tmp_path, root, entry, message) -> None:
    with pytest.raises(SpecError, match=message):
        load_study(_study(tmp_path, root, entry))


def test_strict_knows_the_spellings(tmp_path, root) -> None:
    path = _study(tmp_path, root, '[inputs.output_tokens]\nvalue = 168e9\nunit = "tokns/day"')
    # Spelled like nothing the model declares: an error with or without --strict.
    with pytest.raises(SpecError, match=r"\[output_tokens\] unit 'tokns/day': tokns is not a unit mcrisk knows"):
        load_study(path)
    custom = tmp_path / "c.toml"
    custom.write_text('[requests]\nvalue = 3.0\nunit = "requests/s"\nsource = "x"\n', encoding="utf-8")
    assert main(["check", str(custom)]) == 0  # a custom model's own unit is fine ...
    assert main(["check", "--strict", str(custom)]) == 2  # ... but not in the registry's spellings


def test_a_share_in_percent_with_its_unit_is_converted(tmp_path, root) -> None:
    s = load_study(_study(tmp_path, root, '[inputs.paid_share]\ndist = "uniform"\nlow = 50\nhigh = 100\nunit = "%"'))
    np.testing.assert_allclose(s.priors["paid_share"].ppf(np.array([0.0, 1.0])), [0.5, 1.0], rtol=1e-12)


def test_expected_shortfall_follows_the_bad_side() -> None:
    x = np.arange(1.0, 101.0)
    ds = xr.Dataset({"cost": ("sample", x, {"role": "output", "bad": "high"}),
                     "profit": ("sample", x, {"role": "output", "bad": "low"}),
                     "other": ("sample", x, {"role": "output"})})
    s = summarize(ds)
    # ceil(0.05 * 100) = 5 worst: the 5 highest of a cost, the 5 lowest otherwise.
    assert s["es05"].values.tolist() == [98.0, 3.0, 3.0]


def test_maas_costs_are_bad_high_and_reach_results(root) -> None:
    run = run_study(root / "studies" / "deepseek_545.toml", samples=16, write=False)
    assert run.results["cost_per_day"].attrs["bad"] == "high"
    assert run.results["profit_per_day"].attrs["bad"] == "low"


def test_an_uncertain_rate_multiplies_in_the_model_call(tmp_path, root) -> None:
    from mcrisk.models import maas

    path = _study(tmp_path, root, '[inputs.gpu_hour_price]\nvalue = 13.020833\nunit = "CNY/GPU-hour"\n'
                                  '[inputs.price_output]\nvalue = 0.0159\nunit = "CNY/1K tokens"\n'
                                  '[fx.CNY]\ndist = "uniform"\nlow = 0.135\nhigh = 0.140', currency='currency = "USD"')
    lines: list[str] = []
    run = run_study(path, write=False, echo=lines.append)
    res = run.results
    assert res["fx_CNY"].attrs["units"] == "USD/CNY" and res["gpu_hour_price"].attrs["units"] == "CNY/GPU-hour"
    assert float(res["price_output"]) == pytest.approx(15.9, rel=1e-12)  # x 1,000 applied, CNY/1M tokens
    # The model saw each CNY column times the sampled rate, the same rate for both inputs.
    args = {k: (res[k].values if res[k].ndim else float(res[k])) for k in res.data_vars
            if res[k].attrs.get("role") == "input" and k != "fx_CNY"}
    args["gpu_hour_price"] = args["gpu_hour_price"] * res["fx_CNY"].values
    args["price_output"] = args["price_output"] * res["fx_CNY"].values
    np.testing.assert_array_equal(maas(**args)["profit_per_day"], res["profit_per_day"].values)
    assert ("unit converted: gpu_hour_price: CNY/GPU-hour -> USD/GPU-hour: x fx_CNY (uncertain, "
            "uniform(low=0.135, high=0.14) USD/CNY), in the model call") in lines
    assert "fx_CNY" in run.study.priors.uncertain
    # The wrapper pickles (dask workers get it by value), and computes the same after the trip.
    import pickle

    again = pickle.loads(pickle.dumps(run.study.model))
    np.testing.assert_array_equal(again(**{**args, "gpu_hour_price": res["gpu_hour_price"].values,
                                          "price_output": float(res["price_output"]),
                                          "fx_CNY": res["fx_CNY"].values})["profit_per_day"],
                                  res["profit_per_day"].values)


def test_the_report_states_each_conversion(tmp_path, root) -> None:
    path = _study(tmp_path, root, '[inputs.price_output]\nvalue = 0.00219\nunit = "USD/1K tokens"')
    run_study(path, out=tmp_path / "out", formats=("svg",))
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "- Unit converted at load: price_output: USD/1K tokens -> USD/1M tokens: x 1,000" in report


def test_describe_lists_domains_and_bad_sides(capsys) -> None:
    assert main(["describe", "maas"]) == 0
    out = capsys.readouterr().out
    assert "  [0, 1]    cache_hit_share, offpeak_reuse, paid_share, price_cut, offpeak_token_share, offpeak_discount\n" in out
    assert "  [1, inf)  gpus_per_node, peak_to_avg, headroom\n" in out
    assert "  high      nodes_avg, nodes_provisioned, nodes_charged, cost_per_day, cost_per_million_output_tokens\n" in out
