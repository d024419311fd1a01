"""maas_hourly: exact reductions to maas, DeepSeek's schedule, the policies, the parametric shape, errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

from mcrisk import SpecError
from mcrisk.core.statistics import Z95_TWO_SIDED
from mcrisk.models import maas, maas_hourly
from mcrisk.models.hourly_margin import day_shape

DAILY = ("nodes_avg", "nodes_provisioned", "nodes_charged", "utilization", "cost_per_day", "list_revenue",
         "revenue_per_day", "profit_per_day", "cost_profit_margin", "gross_margin",
         "cost_per_million_output_tokens")
SCHEDULE = np.array([218, 195.5, 150.5, 83, 68, 68, 83, 158, 248] + [278] * 15)  # DeepSeek, UTC+8 hours 0-23
DS = dict(input_tokens=608e9, output_tokens=168e9, cache_hit_share=342 / 608, prefill_tps_per_node=73_700.0,
          decode_tps_per_node=14_800.0, gpu_hour_price=2.0, price_input_hit=0.14, price_input_miss=0.55,
          price_output=2.19)


@pytest.fixture
def inputs(rng) -> dict:
    n = 64
    return dict(input_tokens=rng.uniform(1e10, 1e12, n), output_tokens=rng.uniform(1e9, 2e11, n),
                cache_hit_share=rng.uniform(0, 0.8, n), prefill_tps_per_node=rng.uniform(3e4, 9e4, n),
                decode_tps_per_node=rng.uniform(5e3, 2e4, n), gpu_hour_price=rng.uniform(1, 3, n),
                price_input_hit=0.14, price_input_miss=0.55, price_output=2.19, headroom=rng.uniform(1, 1.5, n),
                offpeak_reuse=rng.uniform(0, 1, n), overhead_share=rng.uniform(0, 0.3, n),
                paid_share=rng.uniform(0.5, 1, n), price_cut=rng.uniform(0, 0.5, n),
                offpeak_discount=rng.uniform(0, 0.75, n))


def assert_daily_equal(hourly: dict, daily: dict) -> None:
    # sums of 24 hours against one product: equal to float rounding of the terms (profit is a
    # difference, so its rounding is relative to revenue + cost, not to itself)
    scale = np.abs(daily["revenue_per_day"]) + np.abs(daily["cost_per_day"])
    for k in DAILY:
        ref = np.asarray(daily[k], dtype=float)
        atol = {"profit_per_day": scale, "cost_profit_margin": scale / daily["cost_per_day"],
                "gross_margin": scale / daily["revenue_per_day"]}.get(k, np.abs(ref))
        np.testing.assert_array_less(np.abs(hourly[k] - ref), 1e-13 * atol + 1e-300, err_msg=k)


def test_flat_fixed_no_bursts_is_maas_at_peak_to_avg_1(inputs):
    assert_daily_equal(maas_hourly(**inputs), maas(**inputs, peak_to_avg=1.0))


@pytest.mark.parametrize("shape", ["deepseek-2025-02-27", "list"])
def test_any_shape_fixed_is_maas_at_its_peak(inputs, shape, rng):
    if shape == "list":
        shape = rng.uniform(0, 5, 24)
    s = day_shape(shape)
    assert_daily_equal(maas_hourly(**inputs, shape=shape, policy="fixed"), maas(**inputs, peak_to_avg=s.max()))


def test_elastic_without_rounding_lag_or_bursts_is_maas_at_peak_to_avg_1(inputs):
    out = maas_hourly(**inputs, shape="deepseek-2025-02-27", policy="elastic")
    assert_daily_equal(out, maas(**inputs, peak_to_avg=1.0))


def test_discount_hours_are_maas_offpeak_token_share(inputs):
    s = day_shape("deepseek-2025-02-27")
    hours = [0, 1, 2, 3, 4, 5, 6, 7]
    out = maas_hourly(**inputs, shape="deepseek-2025-02-27", discount_hours=np.array(hours, dtype=float))
    assert_daily_equal(out, maas(**inputs, peak_to_avg=s.max(), offpeak_token_share=s[hours].sum() / 24))


def test_discount_shares_half_hours():
    # DeepSeek's 00:30-08:30: half of hour 0, hours 1-7, half of hour 8
    shares = np.array([0.5] + [1.0] * 7 + [0.5] + [0.0] * 15)
    s = day_shape("deepseek-2025-02-27")
    out = maas_hourly(**DS, shape="deepseek-2025-02-27", offpeak_discount=0.5, discount_hours=shares)
    ref = maas(**DS, peak_to_avg=s.max(), offpeak_discount=0.5, offpeak_token_share=(shares * s).sum() / 24)
    np.testing.assert_allclose(out["revenue_per_day"], ref["revenue_per_day"], rtol=1e-13)


def test_deepseek_schedule_costs_87072_a_day():
    # the peak-hour throughput the schedule implies: DeepSeek's average tokens spread over its income
    # shape need 301 nodes at 22:00 against 278; 1.0829 x the published throughput covers every hour
    s = day_shape("deepseek-2025-02-27")
    scale = (608e9 / 73_700 + 168e9 / 14_800) / 86_400 * s.max() / 278
    assert scale == pytest.approx(1.0829, abs=1e-4)
    out = maas_hourly(**{**DS, "prefill_tps_per_node": 73_700 * scale, "decode_tps_per_node": 14_800 * scale},
                      shape="deepseek-2025-02-27", policy="schedule", schedule=SCHEDULE)
    assert float(out["cost_per_day"][0]) == 87_072.0  # 5,442 node-hours x 8 GPUs x USD 2
    assert float(out["nodes_provisioned"][0]) == 226.75
    assert float(out["nodes_peak"][0]) == 278.0
    assert out["cost"].shape == (1, 24) and float(out["cost"][0, 4]) == 68 * 16.0
    np.testing.assert_allclose(out["load_nodes"][0].max(), 278.0, rtol=1e-12)  # exactly full at 22:00
    assert int(out["load_nodes"][0].argmax()) == 22


def test_schedule_too_few_nodes_names_the_hours():
    message = ("schedule has too few nodes for the load: hours 9, 10, 11, 14, 15, 16, 19, 20, 21, 22, 23, "
               "by up to 23.03 nodes (8.3%) at hour 22")
    with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):
        maas_hourly(**DS, shape="deepseek-2025-02-27", policy="schedule", schedule=SCHEDULE)
    # a few hours: each with its gap (DeepSeek's schedule lowered by 120 nodes in hours 0 and 1: 98 and 75.5
    # nodes against a need of 209.50 x 21.8 / 23.4375 = 194.86 and 209.50 x 18.0 / 23.4375 = 160.90)
    low = SCHEDULE - np.where(np.arange(24) < 2, 120.0, 0.0)
    with pytest.raises(SpecError, match=re.escape("hour 0 by 96.86 nodes (98.8%), hour 1 by 85.4 nodes (113.1%)")):
        maas_hourly(**{**DS, "prefill_tps_per_node": 79_807, "decode_tps_per_node": 16_027},
                    shape="deepseek-2025-02-27", policy="schedule", schedule=low)


def test_elastic_lag_step_floor_by_hand():
    # 1 node busy on average; shape 2 in hour 0, 0 in hour 12, 1 elsewhere (scaled to mean 1)
    shape = np.ones(24)
    shape[0], shape[12] = 2.0, 0.0
    kw = dict(input_tokens=86_400.0, output_tokens=0.0, prefill_tps_per_node=1.0, decode_tps_per_node=1.0,
              gpu_hour_price=1.0, gpus_per_node=1.0, price_input_miss=0.0, price_output=0.0, headroom=1.5)
    out = maas_hourly(**kw, shape=shape, policy="elastic", lag_hours=1, step_nodes=2, min_nodes=1)
    # lagged need: hour 0 max(2, 1) = 2, hour 1 max(1, 2) = 2, hour 12 max(0, 1) = 1, hour 13 max(1, 0) = 1;
    # times 1.5 -> 3, 3, 1.5, 1.5; rounded up to 2 -> 4, 4, 2, 2; floor 1 changes nothing; others 1.5 -> 2
    assert out["nodes"][0].tolist() == [4, 4] + [2] * 22
    out = maas_hourly(**kw, shape=shape, policy="elastic", min_nodes=1.6)
    # no lag, no step: 3, 1.5 ..., 0 at hour 12 -> floored to 1.6; 1.5 elsewhere -> 1.6
    assert out["nodes"][0].tolist() == [3.0] + [1.6] * 23
    # hour 23 looks back to hour 0 with a lag of 23: every hour covers the day's peak
    out = maas_hourly(**kw, shape=shape, policy="elastic", lag_hours=23)
    assert out["nodes"][0].tolist() == [3.0] * 24


def test_bursts_grow_as_the_square_root_of_the_load():
    # need = mu + z sqrt(D mu): spare nodes / busy nodes falls as 1 / sqrt(mu)
    kw = dict(output_tokens=0.0, prefill_tps_per_node=1.0, decode_tps_per_node=1.0, gpu_hour_price=1.0,
              price_input_miss=0.0, price_output=0.0, burst_dispersion=4.0, service_quantile=0.975)
    z = Z95_TWO_SIDED
    out = maas_hourly(input_tokens=np.array([1.0, 100.0]) * 86_400, **kw)
    np.testing.assert_allclose(out["nodes_provisioned"], [1 + z * 2, 100 + z * 20], rtol=1e-12)
    np.testing.assert_allclose(out["utilization"], [1 / (1 + 2 * z), 1 / (1 + 0.2 * z)], rtol=1e-12)


def test_parametric_shape_mean_peak_and_trough(rng):
    n = 200
    p, t, h = rng.uniform(1.1, 3, n), rng.uniform(0, 0.9, n), rng.uniform(0, 23.49, n)
    kw = dict(input_tokens=86_400.0, output_tokens=0.0, prefill_tps_per_node=1.0, decode_tps_per_node=1.0,
              gpu_hour_price=1.0, price_input_miss=0.0, price_output=0.0)
    ok = (1 - t) / (p - t)
    keep = (ok > 1 / 24) & (ok < 23 / 24)
    out = maas_hourly(**kw, shape="parametric", peak_to_avg=p[keep], trough_to_avg=t[keep], peak_hour=h[keep],
                      policy="elastic")
    load = out["load_nodes"]
    np.testing.assert_allclose(load.mean(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(load.max(axis=1), p[keep], rtol=1e-12)
    np.testing.assert_allclose(load.min(axis=1), t[keep], rtol=1e-12, atol=1e-12)
    assert load.argmax(axis=1).tolist() == np.round(h[keep]).astype(int).tolist()


@pytest.mark.parametrize("kwargs, message", [
    (dict(shape=[1.0] * 23), "shape has 23 values; it needs 24, one per hour (0-23)"),
    (dict(shape=[1.0] * 23 + [-1.0]), "shape has -1.0 at hour 23; loads must be finite and non-negative"),
    (dict(shape="deepseek"), "shape = 'deepseek' is not a shape; known: 'flat', 'deepseek-2025-02-27', "
                             "'parametric' or a list of 24 numbers"),
    (dict(policy="elastc"), "policy = 'elastc' is not a policy; known: 'fixed', 'elastic', 'schedule', 'capped'"),
    (dict(policy="schedule"), "policy = 'schedule' needs the option schedule, 24 node counts"),
    (dict(policy="schedule", schedule=[1.0] * 3), "schedule has 3 values; it needs 24 node counts, one per hour (0-23)"),
    (dict(schedule=[1.0] * 24), "schedule is used only with policy = 'schedule' (policy = 'fixed')"),
    (dict(lag_hours=1.5), "lag_hours = 1.5 must be an integer from 0 to 23"),
    (dict(discount_hours=[24.0]), "discount_hours = [24.0] must list distinct hours 0-23, or give 24 shares "
                                  "between 0 and 1 (the discounted share of each hour)"),
    (dict(discount_hours={}), "discount_hours = {} must be a list of numbers"),
    (dict(schedule=["a"] * 24, policy="schedule"), "schedule = ['a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', "
                                                   "'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', "
                                                   "'a', 'a', 'a'] must be a list of numbers"),
    (dict(peak_to_avg=1.5), "peak_to_avg is an input only with shape = 'parametric' (shape = 'flat')"),
    (dict(shape="parametric", peak_to_avg=1.5),
     "shape = 'parametric' needs the inputs trough_to_avg, peak_hour"),
    (dict(shape="parametric", peak_to_avg=1.5, trough_to_avg=0.98, peak_hour=3.0),
     "shape = 'parametric' with peak_to_avg = 1.5 and trough_to_avg = 0.98 cannot average 1 over 24 hours; it "
     "needs 0 <= trough_to_avg < 1 < peak_to_avg and (1 - trough_to_avg) / (peak_to_avg - trough_to_avg) "
     "between 1/24 and 23/24"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None)
def test_errors(kwargs, message):
    with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):
        maas_hourly(**DS, **kwargs)


def test_deepseek_hourly_study_releases_night_nodes():
    from pathlib import Path

    from mcrisk import run_study

    run = run_study(Path(__file__).resolve().parent.parent / "studies" / "deepseek_hourly.toml", write=False)
    res = run.results.isel(sample=0)
    assert float(res["cost_per_day"]) == 87_072.0
    # 278 nodes all day would cost 278 x 8 x 24 x USD 2 = 106,752: the schedule saves 18.4%
    assert float(res["nodes_peak"]) == 278
    load = res["load_nodes"].values
    assert load.max() <= 278 and load.max() == pytest.approx(278, abs=0.01)  # full at 22:00, never short
    # 75% off in the window 00:30-08:30: its share of the day's income, from DeepSeek's digitized
    # hourly income (half of the 00:00 and 08:00 hours, all of 01:00-07:00)
    csv = Path(__file__).resolve().parent.parent / "mcrisk" / "models" / "data" / "deepseek_2025-02-27_income.csv"
    income = np.array([float(line.split(",")[1]) for line in csv.read_text().splitlines() if line[:1].isdigit()])
    assert income.size == 24
    window = income[[0, 8]].sum() / 2 + income[1:8].sum()
    assert float(1 - res["revenue_per_day"] / res["list_revenue"]) == pytest.approx(0.75 * window / income.sum(),
                                                                                    rel=1e-12)


@pytest.mark.parametrize("shape", [{"dist": "constant"}, [1.0, "x"]], ids=["table", "text_in_list"])
def test_a_shape_that_is_not_numbers_is_a_spec_error(shape) -> None:
    # found by tests/test_fuzz.py: a table given for the shape option was an internal error
    with pytest.raises(SpecError, match=r"^shape = .* must be a list of numbers$"):
        day_shape(shape)


@pytest.mark.parametrize("shape", ["flat", "deepseek-2025-02-27"])
def test_capped_is_maas_where_the_fleet_always_covers_the_need(inputs, shape):
    """A fleet of exactly the peak need times headroom serves every hour: maas at peak_to_avg = max(s),
    with idle nodes charged (the capped fleet is paid for all day)."""
    inputs["offpeak_reuse"] = 0.0
    s = day_shape(shape)
    daily = maas(**inputs, peak_to_avg=s.max())
    out = maas_hourly(**inputs, shape=shape, policy="capped", fleet_nodes=daily["nodes_provisioned"])
    assert_daily_equal(out, daily)
    np.testing.assert_allclose(out["served_share"], 1.0, rtol=1e-15)
    assert np.all(np.abs(out["unserved_tokens"]) <= 1e-15 * (inputs["input_tokens"] + inputs["output_tokens"])[:, None])
    bigger = maas_hourly(**inputs, shape=shape, policy="capped", fleet_nodes=2 * daily["nodes_provisioned"])
    np.testing.assert_allclose(bigger["cost_per_day"], 2 * daily["cost_per_day"], rtol=1e-14)
    np.testing.assert_allclose(bigger["revenue_per_day"], daily["revenue_per_day"], rtol=1e-14)


#: 12 hours at half the mean load and 12 at 1.5 times it; the day's load keeps 10 nodes busy on average
HALVES = dict(input_tokens=0.0, output_tokens=10 * 86_400 * 1_000.0, decode_tps_per_node=1_000.0,
              prefill_tps_per_node=1.0, gpu_hour_price=2.0, price_input_miss=0.0, price_output=3.0,
              shape=[0.5] * 12 + [1.5] * 12, policy="capped")


def test_capped_turns_away_what_the_fleet_cannot_serve_by_hand():
    """10 nodes against hours needing 5 and 15: the busy hours serve 10/15 of their load.

    served share = (12 x 5 + 12 x 10) / (24 x 10) = 0.75; revenue = 0.75 x 864e6 tokens x 3 USD/1M = 1944 USD;
    cost = 10 nodes x 8 GPUs x 24 h x 2 USD = 3840 USD; turned away in a busy hour: 864e6 x 1.5 / 24 / 3."""
    out = maas_hourly(**HALVES, fleet_nodes=10.0)
    assert float(out["served_share"][0]) == pytest.approx(0.75, rel=1e-15)
    assert float(out["revenue_per_day"][0]) == pytest.approx(0.75 * 864e6 * 3 / 1e6, rel=1e-14)
    assert float(out["cost_per_day"][0]) == pytest.approx(3840.0, rel=1e-15)
    np.testing.assert_allclose(out["unserved_tokens"][0], [0.0] * 12 + [864e6 * 1.5 / 24 / 3] * 12, rtol=1e-14, atol=1e-6)
    np.testing.assert_allclose(out["nodes"][0], 10.0)
    assert float(out["nodes_avg"][0]) == pytest.approx(7.5, rel=1e-15)  # the load served keeps 7.5 nodes busy
    assert float(out["utilization"][0]) == pytest.approx(0.75, rel=1e-15)
    # the cost per million output tokens is per token served: 3840 / (0.75 x 864)
    assert float(out["cost_per_million_output_tokens"][0]) == pytest.approx(3840 / (0.75 * 864), rel=1e-14)
    # headroom: the capacity kept spare is not sold, so 10 nodes at headroom 1.25 serve as 8 would
    spare = maas_hourly(**HALVES, fleet_nodes=10.0, headroom=1.25)
    assert float(spare["served_share"][0]) == pytest.approx((12 * 5 + 12 * 8) / 240, rel=1e-15)


@pytest.mark.parametrize("kwargs, message", [
    (dict(policy="capped"), "policy = 'capped' needs the input fleet_nodes"),
    (dict(fleet_nodes=5.0), "fleet_nodes is an input only with policy = 'capped' (policy = 'fixed')"),
])
def test_capped_errors(kwargs, message):
    with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):
        maas_hourly(**DS, **kwargs)


def test_fleet_nodes_as_a_sweep_and_a_solve_lever(tmp_path):
    """How many nodes maximise the median profit, and how few serve 90% of the day (the HALVES day at
    30 USD per million output tokens): served(F) = (60 + 12 F) / 240 from 5 to 15 nodes, 1 beyond, so profit
    25,920 served(F) - 384 F peaks at F = 15, the busy hours' need; served(F) = 0.9 at F = 13."""
    from mcrisk import run_study

    path = tmp_path / "capped.toml"
    path.write_text(f"""model = "maas_hourly"
currency = "USD"
samples = 8
seed = 0
[inputs]
input_tokens = 0
output_tokens = 864e6
decode_tps_per_node = 1000
prefill_tps_per_node = 50_000
gpu_hour_price = {{ dist = "uniform", low = 1.99, high = 2.01 }}
price_input_miss = 0
price_output = 30
fleet_nodes = 12
[sweep]
lever = "fleet_nodes"
values = [5, 10, 15, 20]
[solve]
lever = "fleet_nodes"
target = "P(served_share < 0.9) <= 0.1"
low = 5
high = 20
tolerance = 0.001
[options]
shape = {[0.5] * 12 + [1.5] * 12}
policy = "capped"
""")
    run = run_study(path, write=False)
    sw = run.tables["sweep"]
    median = sw.summary["p50"].sel(output="profit_per_day").values
    served = np.array([0.5, 0.75, 1.0, 1.0])
    # the median GPU-hour price is 2 (to the sample's median of 8 uniform draws): within 0.01 x 384 F
    np.testing.assert_allclose(median, 25_920 * served - 384 * np.array([5, 10, 15, 20]), atol=0.01 * 384 * 20)
    assert int(np.argmax(median)) == 2
    assert run.tables["solve"].value == pytest.approx(13.0, abs=run.tables["solve"].tolerance)
