"""The one thinning rule: the step, the samples kept, the words."""

import numpy as np
import pytest
import xarray as xr

from mcrisk.core.thinning import thin, thin_step, thinned_words


@pytest.mark.parametrize(("n", "cap", "step"), [(0, 10, 1), (10, 10, 1), (11, 10, 2), (5000, 1000, 5),
                                                (50_001, 20_000, 3), (2**21 + 1, 2**20, 3)])
def test_the_step_is_the_ceiling_of_n_over_the_cap(n, cap, step) -> None:
    assert thin_step(n, cap) == step
    assert len(range(0, n, step)) <= cap  # at most cap kept


def test_thin_keeps_positions_0_k_2k_and_the_whole_run_under_the_cap() -> None:
    ds = xr.Dataset({"y": ("sample", np.arange(11.0))}, coords={"sample": np.arange(11)})
    assert thin(ds, 11) is ds
    assert thin(ds, 5)["sample"].values.tolist() == [0, 3, 6, 9]  # ceil(11 / 5) = 3


def test_one_wording_counts_the_samples_kept() -> None:
    assert thinned_words(5000, 5) == "1 in 5 of the run's 5,000 samples (1,000 samples)"
    assert thinned_words(50_001, 3) == "1 in 3 of the run's 50,001 samples (16,667 samples)"
