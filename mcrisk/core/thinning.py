"""Thinning: the 1 in k samples kept when a run or an analysis would hold too many.

One rule everywhere: of ``n`` samples, keep those at positions ``0, k, 2k, ...`` with
``k = ceil(n / cap)`` (:func:`thin_step`), so at most ``cap`` remain and a run of at most ``cap``
samples is used whole. Positions, not random picks: the same run always gives the same
subsample, whatever its chunking. Each cap below is named once, with its reason, and every
sentence about a thinned set of samples comes from :func:`thinned_words`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["CURVE_POINTS", "DISCOVERY_SAMPLES", "LOSS_SAMPLES", "RANK_SAMPLES", "SUBSAMPLE", "THINNED_ROWS",
           "thin", "thin_step", "thinned_words"]

#: Samples a run too large to hold keeps, inputs and outputs, for results.nc, the figures and the
#: sample-based analyses (half of what a run held whole may hold).
THINNED_ROWS = 2**20
#: Values per output a streamed run keeps from its first pass to place the brackets of its
#: exact order statistics (the brackets are then a few thousandths of the range wide).
SUBSAMPLE = 2**20
#: Samples the rank correlations use at most: their standard error is then below 0.003.
RANK_SAMPLES = 2**17
#: Samples the loss attribution uses at most (SALib's delta estimator costs about 0.13 ms a
#: sample here; its bootstrap intervals say what the size buys).
LOSS_SAMPLES = 20_000
#: Samples PRIM and the EVPPI regressions use at most, as many as the loss attribution: their
#: cost grows with the samples, and the standard errors say what precision that buys (EVPPI's
#: SE of the main study is a few percent of EVPI at 20,000).
DISCOVERY_SAMPLES = 20_000
#: Steps an exceedance curve is drawn through at most: each step then falls by at most
#: 1/CURVE_POINTS, the same curve at any screen size.
CURVE_POINTS = 2**15


def thin_step(n: int, cap: int) -> int:
    """The ``k`` of "1 in k": ``ceil(n / cap)``, at least 1, so at most ``cap`` of ``n`` remain.

    Parameters
    ----------
    n
        Samples there are.
    cap
        The largest number of samples kept (positive).

    Returns
    -------
    int
        1 when ``n <= cap`` (all kept), else ``ceil(n / cap)``.

    Examples
    --------
    >>> thin_step(5000, 1000), thin_step(20_000, 20_000), thin_step(20_001, 20_000)
    (5, 1, 2)
    """
    return max(1, -(-int(n) // int(cap)))


def thin(results: xr.Dataset, cap: int) -> xr.Dataset:
    """Every ``k``-th sample of ``results``, ``k = thin_step(n, cap)``, so at most ``cap`` remain.

    Parameters
    ----------
    results
        Results over ``sample``.
    cap
        The largest number of samples kept.

    Returns
    -------
    xarray.Dataset
        ``results`` itself when it has at most ``cap`` samples, else the samples at positions
        ``0, k, 2k, ...``.
    """
    step = thin_step(int(results.sizes.get("sample", 0)), cap)
    return results if step == 1 else results.isel(sample=slice(None, None, step))


def thinned_words(n: int, step: int) -> str:
    """A thinned set of samples in words: ``"1 in 5 of the run's 5,000 samples (1,000 samples)"``.

    Parameters
    ----------
    n
        Samples of the run.
    step
        The ``k`` kept 1 in (greater than 1).

    Returns
    -------
    str
        The words every note, attr and report line about thinning uses.
    """
    return f"1 in {step:,} of the run's {n:,} samples ({-(-n // step):,} samples)"
