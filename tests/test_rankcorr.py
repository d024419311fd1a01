"""Rank correlations from a Monte Carlo run: a column with no spread is NaN with a note, never an error."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from mcrisk.core.errors import MCRiskWarning
from mcrisk.analyze.rankcorr import rank_correlations


def _results(x: dict[str, np.ndarray], y: np.ndarray) -> xr.Dataset:
    data = {k: ("sample", v, {"role": "input"}) for k, v in x.items()}
    data["y"] = ("sample", y, {"role": "output"})
    return xr.Dataset(data)


def test_constant_input_is_nan_and_the_others_are_exact(rng: np.random.Generator) -> None:
    # y = a + b exactly: ranks of a and b against y; the constant c has no rank correlation. Its
    # column left out, the PRCCs are those of (a, b) alone, compared to a run without c.
    a, b = rng.random(500), rng.random(500)
    notes: list[str] = []
    with_c = rank_correlations(_results({"a": a, "b": b, "c": np.full(500, 2.0)}, a + b), output="y", notes=notes)
    without = rank_correlations(_results({"a": a, "b": b}, a + b), output="y", notes=[])
    assert notes == ["y: c does not vary in the samples with finite values; its rank correlations are nan"]
    for k in ("spearman", "spearman_low", "spearman_high", "prcc", "prcc_low", "prcc_high"):
        assert np.isnan(with_c[k].sel(input="c"))
    np.testing.assert_allclose(with_c.spearman.sel(input=["a", "b"]), without.spearman, rtol=1e-15)
    np.testing.assert_allclose(with_c.prcc.sel(input=["a", "b"]), without.prcc, rtol=1e-12)


def test_input_constant_once_non_finite_rows_are_dropped() -> None:
    # x varies only where y is NaN: among the finite rows it is constant.
    x = np.array([1.0, 1.0, 1.0, 1.0, 5.0])
    y = np.array([1.0, 2.0, 3.0, 4.0, np.nan])
    with pytest.warns(MCRiskWarning, match=r"^y: x does not vary in the samples with finite values"):
        rc = rank_correlations(_results({"x": x, "z": np.arange(5.0)}, y), output="y")
    assert np.isnan(rc.prcc.sel(input="x"))
    assert rc.spearman.sel(input="z") == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("y, note", [
    (np.full(6, 3.0), "y is the same in every sample with finite values; its rank correlations are nan"),
    (np.array([1.0, 2.0, np.nan, np.nan, np.nan, np.nan]),
     "y: only 2 sample(s) with finite values; no rank correlation can be estimated"),
], ids=["constant_output", "two_finite_samples"])
def test_no_rank_correlation_at_all(y: np.ndarray, note: str) -> None:
    notes: list[str] = []
    rc = rank_correlations(_results({"x": np.arange(6.0)}, y), output="y", notes=notes)
    assert notes == [note]
    assert np.isnan(rc.spearman).all() and np.isnan(rc.prcc).all()
