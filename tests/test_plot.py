"""Deck figures: what each chart draws (bars, order, labels, P(loss) text), file output, [plots] checks."""

from __future__ import annotations

import struct
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from mcrisk import SpecError
from mcrisk.spec.tables import PlotsTable
from mcrisk.report.plot import (check_config, label_of, plot_convergence, plot_distribution, plot_exceedance,
                         plot_scatter, plot_sensitivity, plot_tornado, save_figure, si_number, title_of)

# 201 profits of -50k ... 150k in steps of 1k: 50 are losses, so P(loss) = 50/201; the 5th, 50th
# and 95th percentiles fall exactly on samples 10, 100 and 190: -40k, 50k and 140k.
PROFIT = np.arange(-50, 151) * 1000.0
P_LOSS = 50 / 201


@pytest.fixture
def results() -> xr.Dataset:
    share = np.linspace(0.1, 0.6, PROFIT.size)
    return xr.Dataset(
        {"paid_share": ("sample", share, {"units": "1", "role": "input"}),
         "profit_per_day": ("sample", PROFIT.copy(), {"units": "USD/month", "role": "output",
                                               "long_name": "revenue minus cost"})},
        attrs={"output": "profit_per_day", "currency": "USD", "samples": PROFIT.size})


@pytest.fixture
def tab() -> xr.Dataset:
    """A tornado table as mcrisk.analyze.tornado.tornado returns it: largest swing first."""
    names = ["paid_share", "gpu_hour_price", "decode_tps_per_node"]
    return xr.Dataset(
        {"input_low": ("input", [0.1, 1.5, 8000.0]), "input_high": ("input", [0.6, 3.5, 16000.0]),
         "input_base": ("input", [0.3, 2.0, 14800.0]),
         "output_low": ("input", [-1.0e6, 3.0e6, 1.8e6], {"units": "USD/month"}),
         "output_high": ("input", [5.0e6, 1.0e6, 2.6e6], {"units": "USD/month"}),
         "swing": ("input", [6.0e6, 2.0e6, 0.8e6], {"units": "USD/month"})},
        coords={"input": names, "input_units": ("input", ["1", "USD/GPU-hour", "tokens/s"])},
        attrs={"output": "profit_per_day", "units": "USD/month", "base_output": 2.3e6, "low": 0.1, "high": 0.9})


@pytest.fixture
def sobol() -> xr.Dataset:
    """Sobol' indices for two outputs, inputs in a different order from the tornado's."""
    names = ["decode_tps_per_node", "paid_share", "gpu_hour_price"]
    s1 = np.array([[0.08, 0.61, 0.22], [0.5, 0.1, 0.3]]).T
    st = np.array([[0.10, 0.66, 0.27], [0.6, 0.2, 0.35]]).T
    dims = ("input", "output")
    return xr.Dataset({"S1": (dims, s1), "S1_conf": (dims, np.full((3, 2), 0.03)),
                       "ST": (dims, st), "ST_conf": (dims, np.full((3, 2), 0.04))},
                      coords={"input": names, "output": ["profit_per_day", "cost_per_day"]},
                      attrs={"method": "sobol", "output": "profit_per_day", "samples": 8192})


def _texts(ax, gid=None) -> list[str]:
    return [t.get_text() for t in ax.texts if gid is None or t.get_gid() == gid]


def _bars(ax) -> list[BarContainer]:
    return [c for c in ax.containers if isinstance(c, BarContainer)]


def _png_width(path) -> int:
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">I", head[16:20])[0]


# --- numbers on the axes --------------------------------------------------------------------------

@pytest.mark.parametrize(("x", "text"), [(2_187_923, "2.19M"), (-693_114, "\u2212693k"), (1.5e9, "1.5B"),
                                         (999.9, "1k"), (950, "950"), (0, "0"), (0.25, "0.25"),
                                         (4.2e12, "4.2T")])
def test_si_number(x, text):
    assert si_number(x) == text


def test_label_of_states_the_period_unit_not_per_day():
    da = xr.DataArray([1.0], attrs={"units": "USD/month"})
    assert label_of(da, "profit_per_day") == "Profit (USD/month)"
    assert label_of(None, "paid_share", "1") == "Paid share (%)"
    assert label_of(None, "y", "") == "Y"


# --- distribution and exceedance ------------------------------------------------------------------

def test_distribution_writes_p_loss_and_quantiles(results):
    ax = plot_distribution(results)
    assert _texts(ax, "p_loss") == [f"P(loss) = {P_LOSS:.1%}"] == ["P(loss) = 24.9%"]
    assert title_of(ax).startswith("P(loss) = 24.9%; median profit 50k USD/month")
    assert ax.get_xlabel() == "Profit (USD/month)"
    assert ax.get_ylabel() == "Share of samples"
    marks = _texts(ax, "quantile_label")
    assert marks == ["P5 \u221240k", "P50 50k", "P95 140k"]
    # Zero is a bin edge: the loss-side bars (vermillion) hold exactly the losses.
    bars = [p for p in ax.patches if p.get_gid() == "histogram" or p.get_label() != ""]
    bars = [p for c in _bars(ax) for p in c]
    loss = [p for p in bars if p.get_x() + p.get_width() <= 1e-9]
    assert sum(p.get_height() for p in loss) == pytest.approx(P_LOSS, abs=1e-12)
    assert sum(p.get_height() for p in bars) == pytest.approx(1.0)
    assert {p.get_facecolor()[:3] for p in loss} == {(0xD5 / 255, 0x5E / 255, 0)}
    assert ax.xaxis.get_major_formatter()(-2e6, 0) == "\u22122M"


def _outputs(values, unit="USD/month") -> xr.Dataset:
    return xr.Dataset({"profit_per_day": ("sample", np.asarray(values, dtype=float),
                                          {"units": unit, "role": "output"})}, attrs={"output": "profit_per_day"})


def _drawn(ax):
    """Render with Agg so text extents are the ones a saved PNG has."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(ax.figure).draw()
    return ax


def _disjoint(boxes) -> bool:
    return all(not a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_distribution_clips_a_long_tail_and_says_how_much(results):
    # 1,992 samples on -10 ... 30 (each of 83 values 24 times) and 8 at -1,000: P0.5 = -10, so the
    # 0.4% at -1,000 are off the chart and the body fills it.
    x = np.r_[np.full(8, -1000.0), np.repeat(np.linspace(-10, 30, 83), 24)]
    ax = _drawn(plot_distribution(_outputs(x)))
    lo, hi = ax.get_xlim()
    assert -10 - 40 / 60 <= lo <= -10 and hi >= 30
    q05, q95 = np.quantile(x, [0.05, 0.95])
    assert lo < 0 < hi and lo <= q05 and q95 <= hi
    assert _texts(ax, "note") == [f"tails off the chart: 0.4% of samples below {si_number(lo)} (min \u22121k)"]
    bars = [p for c in _bars(ax) for p in c]
    assert sum(p.get_height() for p in bars) == pytest.approx(1992 / 2000)
    assert min(abs(p.get_x()) for p in bars) < 1e-12              # 0 is still a bin edge
    # grid values -10 + 40k/82 < 0 for k = 0 ... 20: P(loss) = (8 + 21 * 24) / 2000 from every sample
    assert _texts(ax, "p_loss") == ["P(loss) = 25.6%"]


def test_distribution_keeps_zero_when_the_only_losses_are_a_clipped_tail():
    # 10 of 2,000 samples lose 5,000; the rest earn 100 ... 200. P0.5 = 74.5, but 0 stays on the chart.
    x = np.r_[np.full(10, -5000.0), np.linspace(100, 200, 1990)]
    ax = plot_distribution(_outputs(x))
    assert ax.get_xlim()[0] == 0
    assert _texts(ax, "note") == ["tails off the chart: 0.5% of samples below 0 (min \u22125k)"]
    assert _texts(ax, "p_loss") == ["P(loss) = 0.5%"]


def test_distribution_draws_a_compact_sample_whole(results):
    ax = plot_distribution(results)
    assert ax.get_xlim()[0] <= -50_000 and ax.get_xlim()[1] >= 150_000
    assert _texts(ax, "note") == []


def test_distribution_labels_never_overlap():
    # P50 = 1 and P95 = 1.9 are a few pixels apart on an axis from -100 to 2.
    x = np.r_[np.linspace(-100, 0, 100, endpoint=False), np.linspace(0, 2, 1900)]
    ax = _drawn(plot_distribution(_outputs(x)))
    labels = [t for t in ax.texts if t.get_gid() == "quantile_label"]
    assert [t.get_text().split()[0] for t in labels] == ["P5", "P50", "P95"]
    boxes = [t.get_window_extent() for t in [*labels, *(t for t in ax.texts if t.get_gid() == "p_loss")]]
    assert _disjoint(boxes)
    frame = ax.get_window_extent()
    assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1 for b in boxes)


def test_distribution_of_a_constant_merges_labels_and_keeps_ticks_distinct():
    ax = _drawn(plot_distribution(_outputs(np.full(50, -2.22e8))))
    assert _texts(ax, "quantile_label") == ["P5 = P50 = P95 \u2212222M"]
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert len(ticks) >= 3 and len(set(ticks)) == len(ticks)
    assert ax.get_xlim()[0] < -2.22e8 < ax.get_xlim()[1]


def test_distribution_counts_nan_samples_and_draws_on_given_axes(results):
    results["profit_per_day"][:3] = np.nan
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_distribution(results, ax=ax, title="given") is ax
    assert "3 NaN/inf samples left out" in _texts(ax)
    assert ax.get_title(loc="left") == title_of(ax) == "given" and fig.get_suptitle() == ""
    assert _texts(ax, "p_loss") == [f"P(loss) = {47 / 198:.1%}"]


def test_distribution_of_unknown_output_lists_outputs(results):
    with pytest.raises(SpecError, match=r"^output = 'margin' is not in the results; outputs: profit_per_day$"):
        plot_distribution(results, output="margin")


def test_exceedance_marks_break_even(results):
    ax = plot_exceedance(results)
    (line,) = [ln for ln in ax.lines if ln.get_gid() == "exceedance"]
    x, y = line.get_data()
    assert y[0] == 1.0 and y[-1] == 0.0 and np.all(np.diff(y) <= 0)
    (point,) = [ln for ln in ax.lines if ln.get_gid() == "break_even"]
    assert point.get_xdata()[0] == 0 and point.get_ydata()[0] == pytest.approx(150 / 201)
    assert f"break-even: P(profit) = {150 / 201:.1%}" in _texts(ax)
    assert ax.get_ylabel() == "Probability of exceeding" and ax.get_xlabel() == "Profit (USD/month)"
    assert title_of(ax) == "P(profit) = 74.6%; 1 in 20 chance of \u221240k USD/month or less"


def test_a_large_exceedance_curve_is_drawn_through_exact_steps():
    # 200,000 samples -100,000 .. 99,999, shuffled: every drawn vertex (x_(i), (n - i)/n) is an
    # exact point of the curve, 1 in 7 of them kept (and the last), each drop at most 7 / n.
    from mcrisk.core.thinning import CURVE_POINTS

    n = 200_000
    x = np.random.default_rng(1).permutation(np.arange(n, dtype=float) - n // 2)
    (line,) = [ln for ln in plot_exceedance(_outputs(x)).lines if ln.get_gid() == "exceedance"]
    xd, yd = line.get_data()
    k = -(-n // CURVE_POINTS)
    assert k == 7 and xd.size == 1 + -(-n // k) + 1
    np.testing.assert_array_equal(xd[1:-1], np.arange(0, n, k) - n // 2)
    np.testing.assert_array_equal(yd[1:], (n - 1 - np.r_[np.arange(0, n, k), n - 1]) / n)
    assert yd[0] == 1.0 and yd[-1] == 0.0 and -np.diff(yd[1:]).max() <= k / n


@pytest.mark.parametrize("p_gain", [0.05, 0.5, 0.97])
def test_exceedance_break_even_label_inside_the_axes(p_gain):
    # Profits on a grid with the given share above 0 and a long loss tail: break-even sits near
    # either edge of the clipped range, and the label must still be inside the axes.
    n_gain = int(p_gain * 2000)
    x = np.r_[np.full(8, -1e6), np.linspace(-1000, -1, 2000 - n_gain - 8), np.linspace(1, 40, n_gain)]
    ax = _drawn(plot_exceedance(_outputs(x)))
    (label,) = [t for t in ax.texts if t.get_gid() == "break_even_label"]
    assert label.get_text() == f"break-even: P(profit) = {p_gain:.1%}"
    bb, frame = label.get_window_extent(), ax.get_window_extent()
    assert frame.x0 <= bb.x0 and bb.x1 <= frame.x1 and frame.y0 <= bb.y0 and bb.y1 <= frame.y1
    assert ax.get_xlim()[0] == pytest.approx(np.quantile(x, 0.005))          # the long tail cut at P0.5
    assert _texts(ax, "note")[0].startswith("tails off the chart: 0.5% of samples below \u2212")
    assert title_of(ax).startswith(f"P(profit) = {p_gain:.1%}; 1 in 20 chance of ")


# --- tornado and sensitivity ----------------------------------------------------------------------

def _bars_top_to_bottom(ax) -> list[tuple[float, float]]:
    """(pixel y, bar width) of every tornado bar, from the top of the chart down."""
    bars = [p for c in _bars(ax) for p in c]
    ax.figure.canvas.draw() if hasattr(ax.figure.canvas, "draw") else None
    ys = [ax.transData.transform((0, p.get_y() + p.get_height() / 2))[1] for p in bars]
    return sorted(zip(ys, [p.get_width() for p in bars], strict=True), reverse=True)


def test_tornado_has_two_bars_per_input_largest_swing_on_top(tab):
    ax = plot_tornado(tab)
    drawn = _bars_top_to_bottom(ax)
    assert len(drawn) == 6
    # Pairs from the top: |low - base| + |high - base| is the swing, largest first.
    swings = [abs(drawn[i][1]) + abs(drawn[i + 1][1]) for i in (0, 2, 4)]
    assert swings == pytest.approx([6.0e6, 2.0e6, 0.8e6])
    ticks = sorted(((ax.transData.transform((0, t))[1], lab.get_text())
                    for t, lab in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)), reverse=True)
    assert [lab for _, lab in ticks] == ["paid share", "gpu hour price", "decode tps per node"]
    assert sorted(_texts(ax, "end_label")) == sorted(["10.0%", "60.0%", "1.5 USD/GPU-hour", "3.5 USD/GPU-hour",
                                                      "8k tokens/s", "16k tokens/s"])
    # every bar starts at the base value
    assert {p.get_x() for c in _bars(ax) for p in c} == {2.3e6}
    assert ax.get_xlabel() == "Profit (USD/month)"
    assert title_of(ax) == "Paid share moves profit most one input at a time: swing 6M USD/month"
    assert "base 2.3M" in _texts(ax) and "break-even" in _texts(ax)


def test_tornado_labels_a_dimensionless_ratio_and_a_share_alike_as_percent(tab):
    # one rule for every dimensionless value, as the report, deck and workbook show it
    ratio = tab.assign_coords(input_units=("input", ["1", "USD/GPU-hour", "1"]))
    ratio["input_low"] = ("input", [0.1, 1.5, 1.226])
    ratio["input_high"] = ("input", [0.6, 3.5, 2.3])
    ax = plot_tornado(ratio)
    assert sorted(_texts(ax, "end_label")) == sorted(["10.0%", "60.0%", "1.5 USD/GPU-hour", "3.5 USD/GPU-hour",
                                                      "122.6%", "230.0%"])


def test_tornado_top_and_st_beside_each_bar(tab, sobol):
    ax = plot_tornado(tab, sensitivity=sobol, top=2)
    assert len([p for c in _bars(ax) for p in c]) == 4
    labels = [(t.xy[1], t.get_text()) for t in ax.texts if t.get_gid() == "st_label"]
    # matched by name, not by position: paid share is row 0, gpu hour price row 1
    assert sorted(labels) == [(0, "0.66 \u00b1 0.04"), (1, "0.27 \u00b1 0.04")]
    assert title_of(ax).endswith("ST = 0.66")


def test_tornado_without_uncertain_inputs(tab):
    ax = plot_tornado(tab.isel(input=slice(0, 0)))
    assert title_of(ax) == "No uncertain inputs: nothing swings"


def test_sensitivity_draws_s1_and_st_with_intervals_sorted_by_st(sobol):
    ax = plot_sensitivity(sobol)
    s1, st = _bars(ax)
    assert [p.get_width() for p in s1.patches] == [0.61, 0.22, 0.08]
    assert [p.get_width() for p in st.patches] == [0.66, 0.27, 0.10]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["paid share", "gpu hour price", "decode tps per node"]
    assert ax.get_ylim()[0] > ax.get_ylim()[1]          # first row on top
    (err,) = st.errorbar.lines[2]
    seg = err.get_segments()
    assert [s[1][0] - s[0][0] for s in seg] == pytest.approx([0.08] * 3)
    assert title_of(ax) == "Paid share explains 61% of the variance of profit alone"
    assert ax.get_xlabel() == "Share of the variance of profit"
    cost = plot_sensitivity(sobol, output="cost_per_day")
    assert [p.get_width() for p in _bars(cost)[1].patches] == [0.6, 0.35, 0.2]


def test_tornado_ends_on_one_side_of_the_base(tab):
    # Both quantiles of decode_tps_per_node raise profit above the base (1.8M and 2.6M > 1.5M):
    # the nearer end's label sits inside its bar, the labels do not overlap, and both bars show.
    ax = _drawn(plot_tornado(tab.assign_attrs(base_output=1.5e6)))
    ends = {t.get_text(): t for t in ax.texts if t.get_gid() == "end_label"}
    near, far = ends["8k tokens/s"], ends["16k tokens/s"]
    assert (near.get_ha(), far.get_ha()) == ("right", "left")
    assert not near.get_window_extent().overlaps(far.get_window_extent())
    low, high = _bars(ax)
    assert low[2].get_zorder() > high[2].get_zorder() and low[2].get_width() == pytest.approx(0.3e6)


def test_tornado_base_and_break_even_labels_never_collide(tab, sobol):
    # The base case is 100k below break-even: on this axis the two vertical lines are a few
    # pixels apart, so both labels must not share a row.
    near = tab.assign(output_low=tab.output_low - 2.4e6, output_high=tab.output_high - 2.4e6)
    near = near.assign_attrs(base_output=-1.0e5)
    ax = _drawn(plot_tornado(near, sensitivity=sobol))
    (base,) = [t for t in ax.texts if t.get_gid() == "base_label"]
    (even,) = [t for t in ax.texts if t.get_gid() == "break_even_label"]
    assert base.get_text() == "base \u2212100k" and even.get_text() == "break-even"
    assert not base.get_window_extent().overlaps(even.get_window_extent())
    fig = ax.figure.bbox
    inside = [t for t in ax.texts if t.get_gid() in ("base_label", "break_even_label", "st_label", "end_label")]
    assert len(inside) == 2 + 3 + 6
    for t in inside:
        bb = t.get_window_extent()
        assert fig.x0 <= bb.x0 and bb.x1 <= fig.x1 and fig.y0 <= bb.y0 and bb.y1 <= fig.y1, t.get_text()
    assert _disjoint([t.get_window_extent() for t in inside])


@pytest.mark.parametrize(("var", "xlabel"), [("mu_star", "Morris \u03bc* (mean |elementary effect|) of profit"),
                                             ("delta", "Borgonovo \u03b4 (moment-independent) of profit")])
def test_sensitivity_other_methods_draw_their_main_index(var, xlabel):
    ds = xr.Dataset({var: ("input", [0.2, 0.5]), f"{var}_conf": ("input", [0.05, 0.1])},
                    coords={"input": ["a", "b"]}, attrs={"output": "profit_per_day"})
    ax = plot_sensitivity(ds)
    assert [p.get_width() for p in _bars(ax)[0].patches] == [0.5, 0.2]
    assert ax.get_xlabel() == xlabel


def test_sensitivity_interval_from_low_and_high():
    ds = xr.Dataset({"spearman": ("input", [-0.7, 0.3]), "spearman_low": ("input", [-0.8, 0.1]),
                     "spearman_high": ("input", [-0.5, 0.4])}, coords={"input": ["a", "b"]})
    ax = plot_sensitivity(ds)
    (err,) = _bars(ax)[0].errorbar.lines[2]
    assert [tuple(np.round([s[0][0], s[1][0]], 12)) for s in err.get_segments()] == [(-0.8, -0.5), (0.1, 0.4)]


def test_sensitivity_unknown_index():
    ds = xr.Dataset({"S1": ("input", [0.2])}, coords={"input": ["a"]})
    with pytest.raises(SpecError, match=r"^index = 'mu' is not in the sensitivity results; available: S1$"):
        plot_sensitivity(ds, index="mu")


# --- scatter and convergence ----------------------------------------------------------------------

def test_scatter_colours_losses(results):
    ax = plot_scatter(results, "paid_share")
    by_gid = {c.get_gid(): len(c.get_offsets()) for c in ax.collections}
    assert by_gid == {"scatter_gain": 151, "scatter_loss": 50}
    assert ax.get_xlabel() == "Paid share (%)" and ax.get_ylabel() == "Profit (USD/month)"
    assert title_of(ax) == "Profit rises with paid share (Spearman \u03c1 = 1.00)"
    with pytest.raises(SpecError, match=r"^scatter input = 'x' is not an input of the results; inputs: paid_share$"):
        plot_scatter(results, "x")


def test_scatter_cuts_long_tails_and_says_so():
    # y = x on 1 ... 996 plus 4 samples at (1e6, -1e9). x is cut at P99.5 = 995.005, so the sample
    # at 996 and the 4 outliers are off the axes: 0.5%; y keeps 0, so its cut drops only the outliers.
    x = np.r_[np.arange(1.0, 997.0), np.full(4, 1e6)]
    ds = _outputs(np.r_[np.arange(1.0, 997.0), np.full(4, -1e9)])
    ds["paid_share"] = ("sample", x, {"units": "1", "role": "input"})
    ax = plot_scatter(ds, "paid_share")
    assert ax.get_xlim()[1] < 1e6 and ax.get_ylim()[0] > -1e9 and ax.get_ylim()[0] <= 0
    assert _texts(ax, "note") == ["long tails cut: 0.5% of samples off the axes"]
    assert _texts(plot_scatter(_with_input(), "paid_share"), "note") == []


def _with_input() -> xr.Dataset:
    ds = _outputs(PROFIT)
    ds["paid_share"] = ("sample", np.linspace(0.1, 0.6, PROFIT.size), {"units": "1", "role": "input"})
    return ds


def test_title_shrinks_to_one_line_before_wrapping(results):
    long = "P(loss) = 77.0%; decode tps per node swings profit most (16.6M USD/month)"
    ax = _drawn(plot_distribution(results, title=long))
    sup = ax.figure.get_suptitle()
    t = ax.figure._suptitle
    assert sup == long and 13 <= t.get_fontsize() < 17
    assert t.get_window_extent().x1 <= ax.figure.bbox.x1
    longer = long + "; and a second clause no slide can fit on one line at a legible size"
    ax = _drawn(plot_distribution(results, title=longer))
    assert "\n" in ax.figure.get_suptitle() and ax.figure._suptitle.get_fontsize() == 13
    assert title_of(ax) == longer
    assert ax.figure._suptitle.get_window_extent().x1 <= ax.figure.bbox.x1


def test_convergence_ends_at_the_sample_statistics(results, rng):
    results["profit_per_day"][:] = rng.permutation(PROFIT)
    ax = plot_convergence(results)
    (mean,) = [ln for ln in ax.lines if ln.get_gid() == "running_mean"]
    (other,) = [a for a in ax.figure.axes if a is not ax]
    (p,) = [ln for ln in other.lines if ln.get_gid() == "running_p_loss"]
    assert mean.get_ydata()[-1] == pytest.approx(50_000) and mean.get_xdata()[-1] == 201
    assert p.get_ydata()[-1] == pytest.approx(P_LOSS)
    assert other.get_ylabel() == "P(loss)" and ax.get_ylabel() == "Mean (USD/month)"
    se = np.std(PROFIT, ddof=1) / np.sqrt(201)
    # The headline's words for the Monte Carlo error (findings.headline says the same).
    assert title_of(ax) == (f"201 samples: P(loss) = 24.9% (Monte Carlo standard error "
                            f"{np.sqrt(P_LOSS * (1 - P_LOSS) / 201):.1%}), "
                            f"mean 50k (standard error {si_number(se)} USD/month)")


def test_convergence_on_one_axes_uses_a_twin(results):
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_convergence(results, ax=ax) is ax
    assert len(fig.axes) == 2


# --- saving and configuration ---------------------------------------------------------------------

def test_save_figure_png_wide_enough_svg_and_pdf(results, tmp_path):
    ax = plot_distribution(results)
    paths = save_figure(ax.figure, tmp_path / "sub" / "dist", ("png", "svg", "pdf"))
    assert [p.name for p in paths] == ["dist.png", "dist.svg", "dist.pdf"]
    assert _png_width(paths[0]) == 2000
    assert paths[1].read_text().lstrip().startswith("<?xml") and paths[2].read_bytes()[:5] == b"%PDF-"
    narrow = Figure(figsize=(4, 3))
    narrow.add_subplot().plot([0, 1])
    (png,) = save_figure(narrow, tmp_path / "narrow", ["png"])
    assert _png_width(png) >= 1600


def test_save_figure_unknown_format(tmp_path):
    with pytest.raises(SpecError, match=r"^formats: 'jpg' is not a figure format; allowed: png, svg, pdf$"):
        save_figure(Figure(), tmp_path / "x", ("png", "jpg"))
    assert list(tmp_path.iterdir()) == []


def test_check_config_defaults_and_errors():
    assert check_config({}) == PlotsTable(scatter=None, bins=60, outputs=(), top=None, convergence=True,
                                          exceedance=True)
    assert check_config({"scatter": "paid_share", "bins": 40}).scatter == ("paid_share",)
    with pytest.raises(SpecError, match=r"^s.toml: \[plots\] colour = 'red' is not a key; allowed: scatter, bins, "
                                        r"outputs, top, convergence, exceedance$"):
        check_config({"colour": "red"}, where="s.toml: [plots]")
    with pytest.raises(SpecError, match=r"^\[plots\] bins = 2 must be an integer from 5 to 500$"):
        check_config({"bins": 2})
    with pytest.raises(SpecError, match=r"top = True must be an integer >= 1"):
        check_config({"top": True})


def test_no_matplotlib_at_import_and_no_pyplot_when_plotting():
    code = ("import sys, mcrisk, mcrisk.report.plot\n"
            "assert 'matplotlib' not in sys.modules\n"
            "import xarray as xr, numpy as np\n"
            "ds = xr.Dataset({'y': ('sample', np.arange(-5.0, 20.0), {'role': 'output'})})\n"
            "mcrisk.report.plot.plot_distribution(ds)\n"
            "assert 'matplotlib.pyplot' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_tornado_refuses_another_outputs_indices(tab, sobol):
    # ST of profit beside the bars of the margin's tornado would tell two stories in one chart.
    margin = tab.assign_attrs(output="cost_profit_margin")
    with pytest.raises(SpecError, match=r"^the sensitivity results are of profit_per_day, not of "
                                        r"cost_profit_margin; analyse that output to show its indices$"):
        plot_tornado(margin, sensitivity=sobol.sel(output="profit_per_day"))


def test_outputs_beyond_the_chart_limit_are_refused_in_one_line() -> None:
    from mcrisk.report.plot import CHART_MAX, plot_distribution

    res = xr.Dataset({"out": ("sample", np.array([-1.7e308, 0.0, 1.7e308]), {"role": "output", "units": "1"})})
    with pytest.raises(SpecError, match=r"^out reaches 1\.7e\+308; values beyond \u00b11e\+150 cannot be charted$"):
        plot_distribution(res, output="out")
    assert CHART_MAX == 1e150


def test_tornado_with_a_non_finite_base_or_end_draws_what_it_can(tab) -> None:
    ax = plot_tornado(tab.assign_attrs(base_output=-np.inf))
    assert title_of(ax).startswith("No tornado: ") and title_of(ax).endswith("at the base case is -inf")
    one_inf = tab.copy()
    one_inf["output_low"] = ("input", np.r_[-np.inf, tab.output_low.values[1:]])
    ax = plot_tornado(one_inf)
    assert len(list(_bars(ax))[0]) == tab.sizes["input"] - 1  # the infinite row is left out, and said so
    assert any(t.get_text().startswith("not drawn, output not chartable: ") for t in ax.texts + ax.figure.texts)


def test_running_percentiles_are_those_of_each_prefix_with_order_statistic_bands():
    from mcrisk.report.plot import plot_quantile_convergence
    from mcrisk.analyze.solve import order_ranks

    x = np.random.default_rng(2).normal(size=3000)
    ax = plot_quantile_convergence(_outputs(x), output="profit_per_day")
    for name, q in (("p05", 0.05), ("p50", 0.5), ("p95", 0.95)):
        (line,) = [ln for ln in ax.lines if ln.get_gid() == f"running_{name}"]
        ns, est = line.get_data()
        assert ns[0] == 50 and ns[-1] == 3000
        np.testing.assert_array_equal(est, [np.quantile(x[:n], q) for n in ns])
    r, s = order_ranks(3000, 0.5)
    xs = np.sort(x)
    band = ax.collections[1]  # P50's: the second band drawn
    ys = band.get_paths()[0].vertices[:, 1]
    assert xs[r - 1] in ys and xs[s - 1] in ys  # the last band runs from y_(r) to y_(s)


def test_a_chart_names_variables_by_the_labels_it_is_given_and_by_nothing_else(results):
    # Titles and axes depend only on the plot function's arguments: the plain labels come in as
    # `labels`, never from state a caller set before (a forked child would inherit that state).
    import mcrisk.core.text as text

    assert not hasattr(text, "labels_in_use") and not hasattr(text, "_LABELS")
    plain = {"profit_per_day": "operating profit per month", "profit": "operating profit"}
    ax = plot_distribution(results, labels=plain)
    assert title_of(ax).startswith("P(loss) = 24.9%; median operating profit 50k USD/month")
    assert ax.get_xlabel() == "Operating profit (USD/month)"
    ax = plot_distribution(results)  # no labels: the names in words, whatever was drawn before
    assert title_of(ax).startswith("P(loss) = 24.9%; median profit 50k USD/month")
    assert ax.get_xlabel() == "Profit (USD/month)"
