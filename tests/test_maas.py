"""The margin model against DeepSeek's published figures and against its equations worked by hand."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as hs

from mcrisk.models import MODELS, maas
from mcrisk.models.margin import INPUTS, OUTPUTS

# DeepSeek, "DeepSeek-V3/R1 Inference System Overview", open-infra-index, 2025-03-01, 24 h from
# 2025-02-27 12:00 (UTC+8): 608 B input tokens of which 342 B hit the KV cache, 168 B output
# tokens, ~73.7 k input tokens/s per H800 node in prefill, ~14.8 k output tokens/s per node in
# decode, USD 2 per GPU-hour, R1 prices 0.14 / 0.55 / 2.19 USD per million tokens, peak 278
# nodes, average 226.75.
DEEPSEEK = dict(input_tokens=608e9, output_tokens=168e9, cache_hit_share=342 / 608,
                prefill_tps_per_node=73_700, decode_tps_per_node=14_800, gpus_per_node=8,
                gpu_hour_price=2.0, peak_to_avg=278 / 226.75, offpeak_reuse=1.0,
                price_input_hit=0.14, price_input_miss=0.55, price_output=2.19)
# ... and its published results: 226.75 nodes on average, USD 87,072 cost and 562,027
# theoretical income a day, a cost-profit margin of 545%.
PUBLISHED_NODES, PUBLISHED_COST, PUBLISHED_REVENUE, PUBLISHED_MARGIN = 226.75, 87_072, 562_027, 5.45


def test_deepseek_published_figures() -> None:
    out = maas(**DEEPSEEK)
    # The gap to the published node count is rounding in the published token counts.
    assert float(out["nodes_avg"]) == pytest.approx(PUBLISHED_NODES, rel=1e-3)
    assert float(out["nodes_avg"]) == pytest.approx(226.9, abs=0.05)
    assert float(out["cost_per_day"]) == pytest.approx(PUBLISHED_COST, rel=1e-3)
    assert float(out["revenue_per_day"]) == pytest.approx(PUBLISHED_REVENUE, rel=5e-4)
    assert round(float(out["cost_profit_margin"]), 2) == PUBLISHED_MARGIN
    # offpeak_reuse = 1: the night's idle nodes are not charged, so cost is on the average.
    assert float(out["nodes_charged"]) == float(out["nodes_avg"])
    assert float(out["nodes_provisioned"]) == pytest.approx(278, rel=1e-3)


def test_equations_by_hand() -> None:
    # Round numbers: 86.4e9 input tokens at 10k/s/node = 100 node-days; 8.64e9 output tokens at
    # 1k/s/node = 100 node-days; so 200 nodes on average.
    out = maas(input_tokens=86.4e9, output_tokens=8.64e9, prefill_tps_per_node=10_000,
               decode_tps_per_node=1_000, gpu_hour_price=2.5, peak_to_avg=1.5, headroom=1.2,
               offpeak_reuse=0.25, overhead_share=0.1, gpus_per_node=8, cache_hit_share=0.5,
               price_input_hit=0.1, price_input_miss=0.5, price_output=2.0, paid_share=0.8,
               price_cut=0.25, offpeak_token_share=0.4, offpeak_discount=0.5)
    nodes_avg = 200.0
    nodes_prov = 200 * 1.5 * 1.2  # 360
    nodes_charged = 200 + (360 - 200) * 0.75  # 320
    cost = 320 * 8 * 24 * 2.5 * 1.1  # 168,960
    list_revenue = (86.4e9 * (0.5 * 0.1 + 0.5 * 0.5) + 8.64e9 * 2.0) / 1e6  # 43,200
    revenue = list_revenue * 0.8 * 0.75 * (1 - 0.4 * 0.5)  # 20,736
    expected = {
        "nodes_avg": nodes_avg, "nodes_provisioned": nodes_prov, "nodes_charged": nodes_charged,
        "utilization": 200 / 360, "cost_per_day": cost, "list_revenue": list_revenue,
        "revenue_per_day": revenue, "profit_per_day": revenue - cost,
        "cost_profit_margin": (revenue - cost) / cost, "gross_margin": (revenue - cost) / revenue,
        "cost_per_million_output_tokens": cost / 8640,
    }
    assert set(out) == set(expected)
    for name, value in expected.items():
        assert float(out[name]) == pytest.approx(value, rel=1e-12), name


def test_vectorised_and_broadcast() -> None:
    prices = np.array([1.0, 2.0, 4.0])
    out = maas(**{**DEEPSEEK, "gpu_hour_price": prices})
    assert out["cost_per_day"].shape == (3,)
    np.testing.assert_allclose(out["cost_per_day"], out["cost_per_day"][0] * prices, rtol=1e-12)
    # Inputs that do not vary stay scalars and broadcast.
    np.testing.assert_allclose(out["revenue_per_day"], float(maas(**DEEPSEEK)["revenue_per_day"]))


def test_zero_revenue_gives_non_finite_gross_margin() -> None:
    out = maas(**{**DEEPSEEK, "paid_share": np.array([0.0, 1.0])})
    assert np.isinf(out["gross_margin"][0]) and np.isfinite(out["gross_margin"][1])
    # Plain floats too (a study whose inputs are all constants): -inf, not ZeroDivisionError.
    assert maas(**{**DEEPSEEK, "paid_share": 0.0})["gross_margin"] == -np.inf


def test_inputs_and_outputs_are_described() -> None:
    params = inspect.signature(maas).parameters
    assert list(INPUTS) == ["input_tokens", "output_tokens", "cache_hit_share", "prefill_tps_per_node",
                            "decode_tps_per_node", "gpus_per_node", "gpu_hour_price", "peak_to_avg",
                            "headroom", "offpeak_reuse", "overhead_share", "price_input_hit",
                            "price_input_miss", "price_output", "paid_share", "price_cut",
                            "offpeak_token_share", "offpeak_discount"]
    assert set(INPUTS) == set(params) - set(maas.options)  # an option (throughput_curve) is no input
    assert set(OUTPUTS) == set(maas(**DEEPSEEK))
    assert INPUTS["gpu_hour_price"].unit == "{currency}/GPU-hour"
    assert OUTPUTS["profit_per_day"].unit == "{currency}/day"
    assert maas.default_output == "profit_per_day"
    assert MODELS["maas"] is maas


positive = hs.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)
share = hs.floats(min_value=0.0, max_value=1.0)


@given(p1=positive, dp=positive, peak=hs.floats(1.0, 5.0), reuse=share, overhead=hs.floats(0.0, 2.0),
       tokens=hs.floats(1e6, 1e13), cut=share)
def test_profit_falls_as_gpu_price_rises(p1, dp, peak, reuse, overhead, tokens, cut) -> None:
    common = {**DEEPSEEK, "peak_to_avg": peak, "offpeak_reuse": reuse, "overhead_share": overhead,
              "output_tokens": tokens, "price_cut": cut}
    low = maas(**{**common, "gpu_hour_price": p1})
    high = maas(**{**common, "gpu_hour_price": p1 + dp})
    assert high["profit_per_day"] < low["profit_per_day"]
    assert high["cost_per_day"] > low["cost_per_day"]
    assert high["revenue_per_day"] == low["revenue_per_day"]
