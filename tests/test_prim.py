"""mcrisk's PRIM against the EMA Workbench's, step for step, on planted boxes and the studies' own samples.

The Workbench (``ema_workbench``, in the ``test`` extra only) is the oracle: on each dataset the
covering search of :func:`mcrisk.analyze.scenarios.scenarios` is run with the Workbench, driven
as mcrisk drove it up to version 0.2 (``Prim(x, y, threshold, peel_alpha=0.05,
paste_alpha=0.05, mass_min)``, ``find_box`` then ``select`` of the step the rule picks), and
every step of every box's trajectory (coverage, density, mass, samples and events in the box,
inputs restricted, both edges of every input) must be *equal*, not close. Equality is the
right tolerance: both compute each edge as the same midpoint ``(a + b) / 2`` of the same two
order statistics and each share as the same ratio of two integer counts, so any difference
is a different decision (an order statistic off by one, a tie broken the other way), which a
tolerance would hide: it moves an edge by about one sample's spacing, 1e-3 of the range here.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from mcrisk.analyze.prim import in_box, quantile, trajectory
from mcrisk.analyze.scenarios import scenarios

STUDIES = Path(__file__).resolve().parent.parent / "studies"


def _workbench_prim():
    """The Workbench's prim module, imported with its import-time warnings (ipyparallel and
    altair missing) silenced and matplotlib's style put back; or a skip saying why not."""
    import matplotlib

    with warnings.catch_warnings(), matplotlib.rc_context():
        warnings.simplefilter("ignore")
        try:
            from ema_workbench.analysis import prim
        except ImportError as e:  # the oracle is in the test extra: pip install '.[test]'
            pytest.skip(f"the oracle, the EMA Workbench, is not importable: {e}")
    return prim


def _workbench_boxes(x: np.ndarray, y: np.ndarray, dens: float, cov: float, max_boxes: int,
                     mass_min: float) -> list[tuple]:
    """``(trajectory DataFrame, box limits per step, step picked, samples left before)`` per box."""
    import pandas as pd

    prim = _workbench_prim()
    frame = pd.DataFrame(x, columns=[f"x{j}" for j in range(x.shape[1])])
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the Workbench's pandas deprecations
        finder = prim.Prim(frame, y, threshold=dens, peel_alpha=0.05, paste_alpha=0.05, mass_min=mass_min)
        for _ in range(max_boxes):
            box = finder.find_box()
            if box is None:
                break
            left = np.zeros(len(y), dtype=bool)
            left[finder.yi_remaining] = True
            traj = box.peeling_trajectory
            ok = ((traj["res_dim"] >= 1) & (traj["density"] >= dens - 1e-12)
                  & (traj["coverage"] >= cov - 1e-12)).to_numpy()
            if not ok.any():
                break
            c, d = traj["coverage"].to_numpy(), traj["density"].to_numpy()
            step = max(np.flatnonzero(ok), key=lambda i: (c[i], d[i], -i))
            box.select(int(step))
            out.append((traj, [lim.to_numpy() for lim in box.box_lims], int(step), left))
    return out


def _dataset(x: np.ndarray, y: np.ndarray) -> xr.Dataset:
    ds = xr.Dataset({f"x{j}": ("sample", x[:, j], {"role": "input", "units": "1"})
                     for j in range(x.shape[1])})
    ds["profit_per_day"] = ("sample", np.where(y, -1.0, 1.0), {"role": "output", "units": "USD/day"})
    ds.attrs["output"] = "profit_per_day"
    return ds


def _planted(rng):
    x = rng.random((2000, 3))
    return x, (x[:, 0] < 0.3) & (x[:, 1] > 0.6)


def _noisy(rng):
    # the event is likely (85%) in one box and rare (10%) outside it: pasting takes samples back
    x = rng.random((3000, 4))
    p = np.where((x[:, 0] > 0.5) & (x[:, 2] < 0.4), 0.85, 0.1)
    return x, rng.random(3000) < p


def _ties(rng):
    # inputs on a grid of 11 values: every quantile lands on ties, which a peel never splits
    x = np.round(rng.random((2500, 3)), 1)
    return x, (x[:, 0] <= 0.3) | ((x[:, 1] >= 0.8) & (rng.random(2500) < 0.9))


def _skewed(rng):
    # lognormal inputs, a loss where their product is large, with noise
    x = rng.lognormal(0.0, 1.0, (3000, 3))
    return x, x[:, 0] * x[:, 1] + 0.3 * rng.standard_normal(3000) > 2.0


#: Each maker and the density threshold its box is sought at.
SYNTHETIC = {"planted": (_planted, 0.8), "noisy": (_noisy, 0.5), "ties": (_ties, 0.8),
             "skewed": (_skewed, 0.7)}


def _study(name: str, n: int) -> tuple[np.ndarray, np.ndarray, float, int]:
    """A study's own samples of its uncertain inputs and its loss (output < 0), with its
    ``[scenarios]`` thresholds where it has the table (else the defaults: 0.8, three boxes)."""
    import mcrisk

    study = mcrisk.load_study(STUDIES / f"{name}.toml")
    res = mcrisk.simulate(study.model, study.priors, n, method=study.method, rng=study.seed)
    cfg = study.scenarios
    y = np.asarray(res[study.output].values, dtype=float)
    names = [k for k in study.priors.uncertain if np.ptp(res[k].values) > 0]
    x = np.column_stack([np.asarray(res[k].values, dtype=float) for k in names])[np.isfinite(y)]
    density, boxes = (cfg.threshold_density, cfg.max_boxes) if cfg is not None else (0.8, 3)
    return x, y[np.isfinite(y)] < 0, density, boxes


#: Synthetic data with known boxes, then the studies' own samples at a tenth of their samples or
#: fewer: the main study (96% losses, its threshold 0.99) and four whose loss is neither rare nor
#: near certain.
CASES = [pytest.param(*SYNTHETIC[k], id=k) for k in SYNTHETIC] + [
    pytest.param(name, n, id=name) for name, n in
    (("third_party_provider", 3000), ("deepseek_uncertain", 2000), ("own_vs_rent", 2000),
     ("price_war_2025", 2000), ("scale_economics", 2000))]


def _data(make, arg) -> tuple[np.ndarray, np.ndarray, float, int]:
    if isinstance(make, str):
        return _study(make, arg)
    x, y = make(np.random.default_rng(20))
    return x, y, arg, 3


@pytest.mark.parametrize(("make", "arg"), CASES)
def test_trajectories_and_boxes_are_the_workbench_s(make, arg) -> None:
    x, y, dens, max_boxes = _data(make, arg)
    oracle = _workbench_boxes(x, y, dens, 0.0, max_boxes, 0.05)
    assert oracle, "the oracle found no box: the dataset tests nothing"
    for traj, lims, step, left in oracle:
        t = trajectory(x, y, left, mass_min=0.05)
        for col, ours in (("coverage", t.coverage), ("density", t.density), ("mass", t.mass),
                          ("n", t.cases), ("k", t.events), ("res_dim", t.restricted.sum(axis=1))):
            np.testing.assert_array_equal(ours, traj[col].to_numpy(dtype=float), err_msg=col)
        np.testing.assert_array_equal(t.low, np.array([lim[0] for lim in lims]))
        np.testing.assert_array_equal(t.high, np.array([lim[1] for lim in lims]))
    # and scenarios picks the same boxes, with the same edges, by the same rule
    ds = scenarios(_dataset(x, y), threshold_density=dens, max_boxes=max_boxes)
    assert ds.sizes["box"] == len(oracle)
    for i, (traj, lims, step, _) in enumerate(oracle):
        b = ds.isel(box=i)
        assert int(b.step) == step
        assert float(b.coverage) == traj["coverage"][step] and float(b.density) == traj["density"][step]
        np.testing.assert_array_equal(b.low.values, lims[step][0])
        np.testing.assert_array_equal(b.high.values, lims[step][1])


def test_the_datasets_exercise_pasting_ties_and_covering() -> None:
    # guards against an oracle test that passes because nothing happened: some box is pasted
    # (its mass grows along the trajectory), some quantile walks over ties, and a second box is
    # looked for outside the first
    x, y = _noisy(np.random.default_rng(20))
    t = trajectory(x, y)
    assert np.any(np.diff(t.mass) > 0)
    x, y = _ties(np.random.default_rng(20))
    assert len(_workbench_boxes(x, y, 0.8, 0.0, 3, 0.05)) >= 2


def test_quantile_steps_over_ties_to_a_midpoint() -> None:
    # ten values 0..9: the 5% quantile sits at order statistic 0.45, between 0 and 1 -> 0.5;
    # with 0 repeated three times it moves past the ties to the midpoint of 0 and 1 still
    x = np.arange(10.0)[:, None]
    assert quantile(x, 0.05).tolist() == [0.5]
    assert quantile(x, 0.95).tolist() == [8.5]
    tied = np.array([0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])[:, None]
    assert quantile(tied, 0.05).tolist() == [0.5]
    assert quantile(np.full((5, 1), 2.0), 0.95).tolist() == [2.0]


def test_a_box_is_its_edges_included() -> None:
    x = np.array([[0.0, 1.0], [0.5, 0.5], [1.0, 2.0]])
    assert in_box(x, np.array([0.0, 0.5]), np.array([0.5, 1.0])).tolist() == [True, True, False]


def test_a_planted_box_is_found_to_within_one_peel() -> None:
    # the loss is exactly x0 < 0.3 on uniforms: the last box's upper edge on x0 is within one
    # 5% peel of the remaining range (0.05 * 0.3) of 0.3, and every sample in it is a loss
    x = np.random.default_rng(5).random((4000, 2))
    t = trajectory(x, x[:, 0] < 0.3)
    assert abs(t.high[-1, 0] - 0.3) <= 0.015 and t.density[-1] == 1.0
    assert t.restricted[-1].tolist() == [True, False]
    assert t.coverage[0] == 1.0 and t.mass[0] == 1.0 and t.cases[0] == 4000
