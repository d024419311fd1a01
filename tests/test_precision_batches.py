"""Precision runs draw their LHS and Sobol' replicates in groups: the same draws, a few model calls.

A replicate must be, bit for bit, ``sample(priors, m, method, rng=replicate seed)`` however the
replicates are grouped or cut; the replicate statistics must equal the one-replicate-at-a-time
ones; and a run from a small first batch must draw a few dozen replicates and call the model a
few times per batch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mcrisk.analyze import precision
from mcrisk.analyze.precision import simulate_to_precision
from mcrisk.analyze.replicates import estimate as _estimate
from mcrisk.analyze.replicates import per_replicate as _per_replicate
from mcrisk.analyze.replicates import replicate_inputs
from mcrisk.analyze.replicates import replicate_seed as _replicate_seed
from mcrisk.sampling.design import sample
from mcrisk.spec.precision_text import parse_precision
from mcrisk.spec.studyfile import load_study

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def study():
    return load_study(ROOT / "studies" / "third_party_provider.toml")


@pytest.mark.parametrize("method, m", [("lhs", 50), ("sobol", 64)])
def test_grouped_replicates_are_the_replicates_drawn_alone(study, method: str, m: int) -> None:
    priors = study.priors
    grouped = replicate_inputs(priors, method, 7, [(r, m, 0, m) for r in range(3, 9)], 3 * m)
    alone = [sample(priors, m, method=method, rng=_replicate_seed(7, r)) for r in range(3, 9)]
    assert grouped.sample.values.tolist() == list(range(3 * m, 9 * m))
    assert grouped.replicate.values.tolist() == [r for r in range(3, 9) for _ in range(m)]
    for name in priors:
        want = np.concatenate([np.broadcast_to(a[name].values, (m,)) for a in alone])
        np.testing.assert_array_equal(np.broadcast_to(grouped[name].values, (6 * m,)), want, err_msg=name)
        assert grouped[name].attrs == alone[0][name].attrs
    assert grouped.attrs == alone[0].attrs


def test_per_replicate_statistics_equal_the_loop() -> None:
    rng = np.random.default_rng(2)
    y = rng.normal(size=40 * 25)
    rep = np.repeat(np.arange(40), 25)
    for stat in ("mean", "p_below_zero", "p05", "p50", "p95"):
        loop = np.array([_estimate(stat, y[rep == r]) for r in range(40)])
        np.testing.assert_array_equal(_per_replicate(stat, y, rep), loop)
        # unequal sizes (non-finite values dropped) and shuffled order: grouped by one sort
        keep = rng.random(y.size) > 0.1
        order = rng.permutation(keep.sum())
        yk, rk = y[keep][order], rep[keep][order]
        loop = np.array([_estimate(stat, yk[rk == r]) for r in range(40)])
        np.testing.assert_array_equal(_per_replicate(stat, yk, rk), loop)


def test_thousands_of_replicates_take_a_few_model_calls(study, monkeypatch) -> None:
    calls: list[int] = []
    real = precision.simulate

    def counted(model, inputs, **kw):
        calls.append(inputs.sizes["sample"])
        return real(model, inputs, **kw)

    monkeypatch.setattr(precision, "simulate", counted)
    res, conv = simulate_to_precision(study.model, study.priors, parse_precision("p95:20%, p50:10%", "p"),
                                      study.output, samples=200, method="lhs", rng=study.seed,
                                      max_samples=200_000, period_days=study.period_days)
    n = res.sizes["sample"]
    batches = len(np.unique(conv.samples.values))
    # first batch 4 x 50; then 12 x 50, 16 x 150, 16 x 600, 16 x 2,400, 16 x 1,929 (at most 16
    # replicates a batch, of at least 50): 80 designs for 82,064 samples, not one per 50 samples
    assert (n, res.attrs["replicate_samples"]) == (82_064, 50)
    assert sum(calls) == n and len(calls) <= batches + n // 2**16
    sizes = np.unique(res.replicate.values, return_counts=True)[1]
    assert sizes.tolist() == [50] * 16 + [150] * 16 + [600] * 16 + [2400] * 16 + [1929] * 16
    # replicate 0 is the study's own design of 50 samples at its seed
    own = sample(study.priors, 50, method="lhs", rng=study.seed)
    first = res.isel(sample=slice(0, 50))
    for name in study.priors.uncertain:
        np.testing.assert_array_equal(first[name].values, own[name].values)
