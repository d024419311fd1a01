"""The maas tornado against swings worked out by hand from DESIGN.md's equations."""

from __future__ import annotations

import pandas as pd
import pytest

import mcrisk
from mcrisk import SpecError
from mcrisk.models import maas
from mcrisk.analyze.tornado import format_tornado, tornado


def _profit(gpu: float, price_output: float, decode: float) -> float:
    """profit_per_day from DESIGN.md with the maas_point.toml constants (offpeak_reuse = 1)."""
    nodes_avg = 608e9 / (86400 * 73_700) + 168e9 / (86400 * decode)
    cost = nodes_avg * 8 * 24 * gpu                      # nodes_charged = nodes_avg when reuse = 1
    revenue = (608e9 * (0.5625 * 0.14 + 0.4375 * 0.55) + 168e9 * price_output) / 1e6
    return revenue - cost


@pytest.fixture(scope="module")
def priors(good):
    study = mcrisk.load_study(good / "study_sensitivity.toml")
    return study.priors


def test_swings_match_the_hand_calculation(priors):
    tab = tornado(maas, priors, output="profit_per_day", low=0.1, high=0.9)
    # uniform quantiles: low + q (high - low); base: median, except price_output's base = 2.19
    gpu = (2 + 0.1 * 12, 2 + 0.9 * 12, 8.0)
    price = (2.0 + 0.1 * 0.4, 2.0 + 0.9 * 0.4, 2.19)
    decode = (14_000 + 0.1 * 1600, 14_000 + 0.9 * 1600, 14_800.0)
    expect = {
        "gpu_hour_price": (_profit(gpu[0], price[2], decode[2]), _profit(gpu[1], price[2], decode[2])),
        "price_output": (_profit(gpu[2], price[0], decode[2]), _profit(gpu[2], price[1], decode[2])),
        "decode_tps_per_node": (_profit(gpu[2], price[2], decode[0]), _profit(gpu[2], price[2], decode[1])),
    }
    assert list(tab.input.values) == ["gpu_hour_price", "price_output", "decode_tps_per_node"]
    for name, (lo, hi) in expect.items():
        row = tab.sel(input=name)
        assert row.output_low.item() == pytest.approx(lo, rel=1e-12)
        assert row.output_high.item() == pytest.approx(hi, rel=1e-12)
        assert row.swing.item() == pytest.approx(abs(hi - lo), rel=1e-12)
    assert tab.attrs["base_output"] == pytest.approx(_profit(8.0, 2.19, 14_800.0), rel=1e-12)
    # price_output sits at its given base 2.19, not its median 2.2
    assert tab.input_base.sel(input="price_output").item() == 2.19
    # the GPU-rent swing by hand: 9.6 USD/GPU-hour x 192 GPU-hours per node-day x nodes
    nodes = 608e9 / (86400 * 73_700) + 168e9 / (86400 * 14_800)
    assert tab.swing.sel(input="gpu_hour_price").item() == pytest.approx(9.6 * 192 * nodes, rel=1e-12)


def test_format_states_the_base_case(priors):
    text = format_tornado(tornado(maas, priors, output="profit_per_day"))
    assert text.splitlines()[0] == ("Tornado of profit per day (USD/day): each input alone at its P10 and "
                                    f"P90; base case {_profit(8.0, 2.19, 14_800.0):,.6g}")


def test_run_study_writes_tornado_csv(tmp_path, good):
    study = tmp_path / "t.toml"
    study.write_text(f'model = "maas"\npriors = ["{(good / "maas_point.toml").as_posix()}"]\n'
                     'samples = 200\n[inputs]\n'
                     'gpu_hour_price = { dist = "uniform", low = 2.0, high = 14.0 }\n'
                     'price_output = { dist = "uniform", low = 2.0, high = 2.4 }\n'
                     '[tornado]\nlow = 0.25\nhigh = 0.75\n')
    run = mcrisk.run_study(study, out=tmp_path / "out", formats=())
    frame = pd.read_csv(tmp_path / "out" / "tornado.csv")
    assert list(frame.columns) == ["input", "input_low", "input_high", "output_low", "output_high", "swing"]
    assert list(frame.input) == ["gpu_hour_price", "price_output"]
    assert frame.input_low.tolist() == pytest.approx([5.0, 2.1])
    assert frame.input_high.tolist() == pytest.approx([11.0, 2.3])
    assert frame.swing.iloc[0] == pytest.approx(abs(_profit(11.0, 2.2, 14_800) - _profit(5.0, 2.2, 14_800)))
    assert run.tables["tornado"].attrs["base_output"] == pytest.approx(_profit(8.0, 2.2, 14_800))


def test_bad_quantiles_are_rejected(priors, tmp_path, good):
    with pytest.raises(SpecError, match=r"^tornado low = 0\.9, high = 0\.1 must satisfy 0 < low < high < 1$"):
        tornado(maas, priors, output="profit_per_day", low=0.9, high=0.1)
    study = tmp_path / "t.toml"
    study.write_text(f'model = "maas"\npriors = ["{(good / "maas_point.toml").as_posix()}"]\n[tornado]\nlow = 1.5\n')
    with pytest.raises(SpecError, match=r"\[tornado\] low = 1\.5 must be a quantile strictly between 0 and 1$"):
        mcrisk.load_study(study)
