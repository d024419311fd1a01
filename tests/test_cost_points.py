"""Three published cost-per-million-token points reproduced from their own premises.

SemiAnalysis InferenceX prices a token as its "owning - hyperscaler" TCO per GPU-hour over the
tokens a GPU serves in that hour [IX-app]: cost per million tokens = TCO x 1e6 / (3600 x total
tokens/s per GPU). Its premises are in the catalogue: the TCO is the p05 of each accelerator's
owned_per_gpu_hour (priors/hardware-2026.toml), the throughput a curve point times
(ISL + OSL) / OSL (the catalogue stores output tokens, the benchmark total tokens). The published
costs are rounded to three decimals, so a reproduction must round to the same number.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT
from mcrisk.spec.hardware import load_catalogue

CATALOGUE = {a.key: a for a in load_catalogue(ROOT / "priors" / "hardware-2026.toml")}

#: (accelerator, curve, interactivity, input/output length ratio, published USD per million tokens, source)
POINTS = [
    ("b200", "r1_fp8_1k1k", 42, 1, 0.113, "IX-compare-b200-h100"),
    ("mi300x", "r1_fp8_8k1k", 23, 8, 0.429, "IX-compare-b200-mi300x"),
    ("gb200_nvl72", "r1_fp8_8k1k", 75, 8, 0.106, "IX-compare-b200-gb200"),
]


def _premises(key: str, curve: str, x: float, ratio: int) -> tuple[float, float]:
    acc = CATALOGUE[key]
    tco = float(acc.owned.ppf(np.array([0.05]))[0])  # the hyperscaler TCO: owned_per_gpu_hour's p05
    (output,) = [y for px, y in next(c for c in acc.curves if c.name == curve).points if px == x]
    return tco, output * (1 + ratio)


@pytest.mark.parametrize("key, curve, x, ratio, published, source", POINTS)
def test_a_published_cost_point_reproduces_to_its_rounding(key, curve, x, ratio, published, source) -> None:
    tco, total = _premises(key, curve, x, ratio)
    assert round(tco * 1e6 / (3600 * total), 3) == published, source


def test_the_premises_are_the_published_ones() -> None:
    # [IX-app] GPU_SPECS costh, and the published total tokens/s per GPU
    assert [_premises(*p[:4]) for p in POINTS] == [
        pytest.approx((1.95, 4791.6), abs=0.01), pytest.approx((1.12, 725.2), abs=0.05),
        pytest.approx((2.21, 5789.6), abs=0.05)]


@pytest.mark.parametrize("key, curve, x, ratio, published, source", POINTS)
def test_maas_with_the_curve_gives_the_same_cost(key, curve, x, ratio, published, source) -> None:
    """The model's own route: maas with the catalogue curve as throughput_curve, a decode-only fleet
    (no peak, headroom or overhead) at the TCO, costs the published USD per million tokens, where the
    benchmark's tokens are input and output alike: cost / (input + output tokens)."""
    from mcrisk.models import maas

    acc = CATALOGUE[key]
    tco = float(acc.owned.ppf(np.array([0.05]))[0])
    points = [list(p) for p in next(c for c in acc.curves if c.name == curve).points]
    out = maas(input_tokens=ratio * 1e9, output_tokens=1e9, gpu_hour_price=tco, peak_to_avg=1.0,
               price_input_miss=0.0, price_output=0.0, interactivity=float(x), throughput_curve=points,
               gpus_per_node=float(acc.gpus_per_node))
    per_total = float(out["cost_per_million_output_tokens"]) / (1 + ratio)
    assert round(per_total, 3) == published, source
