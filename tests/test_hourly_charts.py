"""plot_hourly and plot_by_scale: what they draw (bars per hour, their medians and bands, P(loss) labels)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from matplotlib.container import BarContainer

from mcrisk.report.plot import plot_by_scale, plot_hourly, title_of


@pytest.fixture
def day() -> xr.Dataset:
    # 101 samples: cost = k * (h + 1), revenue = 2 k (h + 1), nodes = k + h for k = 0..100, so the
    # P5, P50 and P95 over samples are exactly k = 5, 50 and 95 in every hour
    k = np.arange(101.0)[:, None]
    h = np.arange(24.0)[None, :]
    dims = ("sample", "hour")
    return xr.Dataset({"cost": (dims, k * (h + 1), {"units": "USD/hour"}),
                       "revenue": (dims, 2 * k * (h + 1), {"units": "USD/hour"}),
                       "nodes": (dims, k + h, {"units": "nodes"})}, coords={"hour": np.arange(24)})


def test_plot_hourly_draws_medians_bands_and_nodes(day):
    ax = plot_hourly(day)
    bars = {c.get_label(): c for c in ax.containers if isinstance(c, BarContainer)}
    assert [p.get_height() for p in bars["cost (median)"]] == [50.0 * (h + 1) for h in range(24)]
    assert [p.get_height() for p in bars["revenue (median)"]] == [100.0 * (h + 1) for h in range(24)]
    stairs = next(p for p in ax.right_ax.patches if p.get_gid() == "nodes")
    np.testing.assert_array_equal(stairs.get_data().values, 50.0 + np.arange(24))
    # the day's medians: 50 x (1 + ... + 24) = 15,000 cost, 30,000 revenue
    assert title_of(ax) == "Hour by hour: median cost 15k USD, revenue 30k USD a day"


def test_plot_by_scale_draws_median_band_and_p_loss():
    summary = xr.Dataset({"p05": ("output", [-1.0, -0.5, 0.1]), "p50": ("output", [-0.3, 0.2, 0.5]),
                          "p95": ("output", [0.4, 0.9, 1.2]), "p_below_zero": ("output", [0.7, 0.3, 0.04])},
                         coords={"output": ["margin_1b", "margin_10b", "margin_1t"], "units": ("output", ["1"] * 3)})
    ax = plot_by_scale(summary, {"margin_1b": 1e9, "margin_10b": 1e10, "margin_1t": 1e12})
    line = next(l for l in ax.lines if l.get_gid() == "median")
    np.testing.assert_array_equal(line.get_xdata(), [1e9, 1e10, 1e12])
    np.testing.assert_array_equal(line.get_ydata(), [-0.3, 0.2, 0.5])
    assert [t.get_text() for t in ax.texts if t.get_gid() == "p_loss"] == ["P(loss) 70.0%", "P(loss) 30.0%",
                                                                          "P(loss) 4.0%"]
    assert title_of(ax) == "Margin against scale: P(loss) below 25% from 1T"
