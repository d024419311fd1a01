"""Throughput curves (mcrisk.models.curves): interpolation, the refused range, the cost-per-token identity,
and a curve by reference from a hardware catalogue in a study."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from mcrisk import SpecError, load_study, run_study
from mcrisk.models import bind_options, maas, maas_hourly, maas_monthly
from mcrisk.models.curves import check_curve, curve_throughput
from mcrisk.spec.priorref import set_inputs

CATALOGUE = Path(__file__).parent / "data" / "hardware" / "catalogue.toml"
H100 = [[42, 266], [100, 23]]  # DeepSeek-R1, FP8, 1k/1k: the two H100 points
#: a decode-only day: no input tokens, no peak, no headroom, no overhead
DECODE_ONLY = dict(input_tokens=0.0, output_tokens=168e9, gpu_hour_price=2.0, peak_to_avg=1.0,
                   price_input_miss=0.55, price_output=2.19)


def test_the_curve_is_exact_at_its_points_and_a_power_law_between():
    assert curve_throughput(H100, [42, 100]).tolist() == [266.0, 23.0]
    # between two points, t = t1 (i / i1)^b with b = log(t2 / t1) / log(i2 / i1): at the geometric mean of
    # the interactivities, the geometric mean of the throughputs
    b = math.log(23 / 266) / math.log(100 / 42)
    i = np.array([50.0, 64.8074069840786, 90.0])
    np.testing.assert_allclose(curve_throughput(H100, i), 266 * (i / 42) ** b, rtol=1e-14)
    assert curve_throughput(H100, math.sqrt(4200)) == pytest.approx(math.sqrt(266 * 23), rel=1e-14)
    # points in any order; three points, each segment its own power law
    three = [[80, 925], [20, 3700], [40, 1850]]
    np.testing.assert_allclose(curve_throughput(three, [25, 40, 60, 80]), 74000 / np.array([25, 40, 60, 80]),
                               rtol=1e-14)


@pytest.mark.parametrize("x", [41.9, 100.5])
def test_no_extrapolation(x):
    with pytest.raises(SpecError, match=re.escape(f"interactivity from {x:g} to {x:g} tokens/s per user leaves "
                                                  "throughput_curve's range, [42, 100]; the curve is not extrapolated")):
        curve_throughput(H100, x)


@pytest.mark.parametrize("value, message", [
    ([[42, 266]], "must be a list of at least two"),
    ([[42, 266], [42, 23]], "has two points at interactivity 42"),
    ([[42, 266], [100, -1]], "must be a list of at least two"),
    ([[42, 266, 1], [100, 23, 1]], "must be a list of at least two"),
    ("h100", "a reference \"FILE.toml#entry.path\" is read from a study file"),
])
def test_a_curve_that_is_not_points_is_refused(value, message):
    with pytest.raises(SpecError, match=re.escape(message)):
        check_curve(value)


@pytest.mark.parametrize("model", [maas, maas_hourly], ids=["maas", "maas_hourly"])
@pytest.mark.parametrize("i, per_gpu", [(42.0, 266.0), (100.0, 23.0), (64.8074069840786, math.sqrt(266 * 23))])
def test_cost_per_million_output_tokens_is_the_benchmarks_figure(model, i, per_gpu):
    """Decode only, peak_to_avg = headroom = 1, no overhead: GPU-hour price x 1e6 / (3600 x tokens/s per GPU)."""
    bound = bind_options(model, {"throughput_curve": H100})
    inputs = {k: v for k, v in DECODE_ONLY.items() if k != "peak_to_avg" or model is maas}
    out = bound(**inputs, interactivity=i)
    assert float(out["decode_tps_per_gpu"]) == pytest.approx(per_gpu, rel=1e-14)
    assert float(out["decode_tps_per_node"]) == pytest.approx(8 * per_gpu, rel=1e-14)
    assert float(np.squeeze(out["cost_per_million_output_tokens"])) == pytest.approx(2.0 * 1e6 / (3600 * per_gpu),
                                                                                      rel=1e-14)
    # the engineering factor and the node size: twice the tokens per GPU halve the cost; the node size cancels
    out = bound(**inputs, interactivity=i, engineering_factor=2.0, gpus_per_node=72.0)
    assert float(np.squeeze(out["cost_per_million_output_tokens"])) == pytest.approx(1e6 / (3600 * per_gpu), rel=1e-14)


#: maas_monthly's own inputs: a fleet bought upfront, prices falling, a price war (every month then moves)
MONTHLY = dict(upfront_cost=4e8, price_multiple_per_year=0.3, demand_multiple_per_year=3.0, price_war_month=7.0,
               price_war_cut=0.4, discount_rate=0.1, salvage_value=1e7)


@pytest.mark.parametrize("model", [maas, maas_monthly], ids=["maas", "maas_monthly"])
def test_with_a_curve_the_model_is_the_model_at_the_curves_throughput(model):
    """A sampled interactivity: the model with the curve equals it given decode_tps_per_node = 8 curve(i) f."""
    rng = np.random.default_rng(3)
    i, f = rng.uniform(42, 100, 50), rng.uniform(0.5, 2, 50)
    kw = dict(DECODE_ONLY, input_tokens=608e9, prefill_tps_per_node=73_700.0, peak_to_avg=1.3, headroom=1.2,
              overhead_share=0.1, **(MONTHLY if model is maas_monthly else {}))
    got = bind_options(model, {"throughput_curve": H100})(**kw, interactivity=i, engineering_factor=f)
    want = model(**kw, decode_tps_per_node=8 * curve_throughput(H100, i) * f)
    for k, v in want.items():
        np.testing.assert_array_equal(got[k], v, err_msg=k)
    np.testing.assert_array_equal(got["decode_tps_per_gpu"], curve_throughput(H100, i) * f)
    with pytest.raises(SpecError, match=f"^{model.__name__} needs decode_tps_per_node "
                                        r"\(or the option throughput_curve and the input interactivity\)$"):
        model(**kw)


@pytest.mark.parametrize("kwargs, message", [
    (dict(interactivity=50.0), "interactivity is an input of maas only with the option throughput_curve"),
    (dict(throughput_curve=H100), "maas with the option throughput_curve needs the input interactivity"),
    (dict(throughput_curve=H100, interactivity=50.0, decode_tps_per_node=1.0),
     "maas computes decode_tps_per_node from throughput_curve; give interactivity instead"),
    (dict(), "maas needs decode_tps_per_node (or the option throughput_curve and the input interactivity)"),
])
def test_inputs_of_the_other_form_are_refused(kwargs, message):
    with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):
        maas(**DECODE_ONLY, prefill_tps_per_node=1.0, **kwargs)


def _study(tmp_path: Path, interactivity: str, *, curve: str = '"hw.toml#h100.curves.r1_fp8_1k1k"',
           tables: str = "") -> Path:
    (tmp_path / "hw.toml").write_text(CATALOGUE.read_text())
    path = tmp_path / "s.toml"
    path.write_text(f"""model = "maas"
currency = "USD"
samples = 200
seed = 1
[inputs]
input_tokens = 0
output_tokens = 168e9
gpu_hour_price = {{ ref = "hw.toml#h100.rent_per_gpu_hour" }}
peak_to_avg = 1
price_input_miss = 0.55
price_output = 2.19
interactivity = {interactivity}
engineering_factor = {{ dist = "uniform", low = 0.8, high = 1.25 }}
{tables}[options]
throughput_curve = {curve}
""")
    return path


def test_a_study_takes_a_curve_and_a_price_from_the_catalogue(tmp_path):
    study = load_study(_study(tmp_path, '{ dist = "uniform", low = 42, high = 100 }'))
    assert study.priors["gpu_hour_price"].params == {"low": 1.9, "high": 2.1}
    assert study.model.bound["throughput_curve"] == ([42, 266], [100, 23])
    assert study.model.inputs["interactivity"].domain == (42.0, 100.0)
    run = run_study(study, write=False)
    r = run.results
    want = r["gpu_hour_price"] * 1e6 / (3600 * curve_throughput(H100, r["interactivity"].values) * r["engineering_factor"])
    np.testing.assert_allclose(r["cost_per_million_output_tokens"].values, want.values, rtol=1e-13)
    assert r["decode_tps_per_gpu"].attrs["units"] == "tokens/s" and r["decode_tps_per_gpu"].attrs["long_name"]


@pytest.mark.parametrize("interactivity, shown", [
    ('{ dist = "uniform", low = 30, high = 90 }', "uniform(low=30, high=90) ranges over [30, 90],"),
    ("120", "value 120 lies"),
])
def test_an_interactivity_outside_the_curve_is_one_line_naming_both_ranges(tmp_path, interactivity, shown):
    path = _study(tmp_path, interactivity)
    rule = (f"{shown} outside the domain of interactivity, [42, 100] (the range of throughput_curve's points; "
            "it is not extrapolated)")
    with pytest.raises(SpecError, match=f"^{re.escape(f'{path}: [interactivity] ')}.*{re.escape(rule)}$"):
        load_study(path)


def test_a_set_value_and_a_lever_range_outside_the_curve_are_refused(tmp_path):
    study = load_study(_study(tmp_path, "60"))
    with pytest.raises(SpecError, match=re.escape("--set interactivity=101.0: value 101 lies outside the domain of "
                                                  "interactivity, [42, 100] (the range of throughput_curve's points")):
        set_inputs(study, {"interactivity": 101.0})
    for table, where in (('[sweep]\nlever = "interactivity"\nvalues = [40, 60]\n', "[sweep] values: value 40"),
                         ('[solve]\nlever = "interactivity"\ntarget = "P(profit_per_day < 0) <= 0.1"\nlow = 42\n'
                          'high = 120\n', "[solve] high: value 120")):
        path = _study(tmp_path, "60", tables=table)
        with pytest.raises(SpecError, match=re.escape(f"{where} lies outside the domain of interactivity, [42, 100]")):
            load_study(path)


def test_how_fast_can_we_sell_at_p_loss_at_most_10_percent(tmp_path):
    """The solve on interactivity: profit falls as the speed rises; the answer is where P(loss) = 10%.

    Decode only, at 2.19 USD per million output tokens and a GPU-hour price g, a sample loses when its
    cost per million tokens g 1e6 / (3600 curve(i) f) exceeds 2.19, i.e. when curve(i) < g 1e6 / (3600 2.19 f).
    With g and f held, every sample loses at the same speed: the closed form."""
    tables = ('[solve]\nlever = "interactivity"\ntarget = "P(profit_per_day < 0) <= 0.1"\nlow = 42\nhigh = 100\n'
              'tolerance = 0.001\n')
    study = set_inputs(load_study(_study(tmp_path, "60", tables=tables)), {"gpu_hour_price": 2.0,
                                                                         "engineering_factor": 1.0})
    sol = run_study(study, write=False).tables["solve"]
    need = 2.0 * 1e6 / (3600 * 2.19)  # tokens/s per GPU at break-even: 253.7
    b = math.log(23 / 266) / math.log(100 / 42)
    answer = 42 * (need / 266) ** (1 / b)  # curve(i) = need: 42.7 tokens/s per user
    assert sol.value == pytest.approx(answer, abs=sol.tolerance)


@pytest.mark.parametrize("curve, message", [
    ('"hw.toml#h100.curves.r2"', "hw.toml has no entry h100.curves.r2; entries there: r1_fp8_1k1k, power"),
    ('"hw.toml#h100"', "[h100] has no points; throughput_curve takes a table with points = [...]"),
    ('"nofile.toml#h100.curves.power"', "no such file"),
    ('"hw.toml"', 'must be a list of points or "FILE.toml#entry.path"'),
])
def test_a_bad_reference_is_one_line(tmp_path, curve, message):
    path = _study(tmp_path, "60", curve=curve)
    with pytest.raises(SpecError, match=f"^{re.escape(f'{path}: [options] throughput_curve = ')}.*{re.escape(message)}"):
        load_study(path)


def test_maas_hourly_in_blocks_is_the_same_with_a_curve_and_a_capped_fleet(monkeypatch):
    """Samples computed in blocks (as for more than 2^16 samples) give every output of one call, bit for bit."""
    import mcrisk.models.hourly_margin as hm

    rng = np.random.default_rng(4)
    kw = dict(input_tokens=rng.uniform(1e11, 1e12, 50), output_tokens=rng.uniform(1e10, 2e11, 50),
              gpu_hour_price=2.0, price_input_miss=0.55, price_output=2.19, interactivity=rng.uniform(42, 100, 50),
              engineering_factor=rng.uniform(0.5, 2, 50), fleet_nodes=rng.uniform(100, 3000, 50),
              prefill_tps_per_node=73_700.0, shape="deepseek-2025-02-27", policy="capped", throughput_curve=H100)
    whole = maas_hourly(**kw)
    assert 0 < whole["served_share"].min() < 1 == whole["served_share"].max()  # some fleets turn load away
    monkeypatch.setattr(hm, "BLOCK", 16)
    parts = maas_hourly(**kw)
    assert whole.keys() == parts.keys() >= {"served_share", "unserved_tokens", "decode_tps_per_gpu"}
    for k, v in whole.items():
        np.testing.assert_array_equal(parts[k], np.broadcast_to(v, parts[k].shape), err_msg=k)
