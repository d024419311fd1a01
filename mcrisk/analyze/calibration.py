"""Calibration: weigh each prior draw by how well its outputs agree with the published record.

With observations ``y_j`` of outputs ``g_j(theta)``, each draw ``theta_i`` of the priors gets the
importance weight of its likelihood,

.. math::

    \\log w_i = \\sum_j \\log L_j(\\theta_i), \\qquad
    L_j = \\exp\\!\\left(-\\tfrac12 \\left(\\frac{g_j(\\theta_i) - y_j}{s_j}\\right)^2\\right)
    \\ \\text{(normal error)} \\quad\\text{or}\\quad
    L_j = 1[a_j \\le g_j(\\theta_i) \\le b_j] \\ \\text{(interval)},

self-normalised (the prior draws are the proposal, so the weighted draws are a sample of the
posterior). The weights are Pareto-smoothed (:func:`mcrisk.analyze.psis.psis`), and the
smoothing's k-hat and Kish's effective sample size ``1 / sum w^2`` say how many draws carry
the result. Every statistic of a calibrated run honours the weights: the summary
(:func:`mcrisk.analyze.risk.summarize` reads the ``weight`` variable), the charts, and, for the
methods that need equal weights (PRIM, the value of information), a systematic resample
(:func:`equal_weights`). The tornado and the sensitivity indices stay analyses of the priors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from mcrisk.analyze.psis import K_HAT_LIMIT, effective_sample_size, psis
from mcrisk.core.errors import SpecError
from mcrisk.core.statistics import WEIGHT, weighted_quantile
from mcrisk.spec.calibrate_table import CalibrateTable

__all__ = ["CALIBRATION_COLUMNS", "MIN_ESS", "calibrate", "calibration_frame", "calibration_warning",
           "equal_weights", "k_hat_words", "log_likelihood", "observation_records"]

#: Fewer effective draws than this and the calibrated statistics are too noisy to report as they are.
MIN_ESS = 200
#: The columns of ``calibration.csv``, in order.
CALIBRATION_COLUMNS = ("input", "prior_mean", "prior_sd", "prior_p05", "prior_p50", "prior_p95",
                       "post_mean", "post_sd", "post_p05", "post_p50", "post_p95")
_Q = (0.05, 0.50, 0.95)


def log_likelihood(results: xr.Dataset, table: CalibrateTable) -> np.ndarray:
    """Each sample's log likelihood of the observations (up to a constant); ``-inf`` where ruled out.

    Parameters
    ----------
    results
        Results over ``sample`` holding every observed output.
    table
        The checked ``[calibrate]`` table.

    Returns
    -------
    numpy.ndarray
        One value per sample; a NaN or infinite output gives ``-inf``.
    """
    n = results.sizes["sample"]
    ll = np.zeros(n)
    for ob in table.observe:
        y = np.broadcast_to(np.asarray(results[ob.output].values, dtype=float), (n,))
        with np.errstate(invalid="ignore"):
            if ob.sd is not None:
                ll -= 0.5 * ((y - ob.value) / ob.sd) ** 2
            else:
                ll[~((y >= ob.low) & (y <= ob.high))] = -np.inf
        ll[~np.isfinite(y)] = -np.inf
    return ll


def calibrate(results: xr.Dataset, table: CalibrateTable) -> xr.Dataset:
    """The results with a ``weight`` variable: each sample's Pareto-smoothed likelihood weight.

    Parameters
    ----------
    results
        A run's results over ``sample``.
    table
        The checked ``[calibrate]`` table.

    Returns
    -------
    xarray.Dataset
        ``results`` with ``weight`` (sums to 1) and attrs ``k_hat``, ``ess`` (Kish's effective
        sample size of the smoothed weights) and ``calibrated`` (the observations in words).

    Raises
    ------
    SpecError
        When no sample agrees with the record (every interval observation misses every sample).

    Examples
    --------
    >>> from mcrisk.spec.calibrate_table import CalibrateTable, Observation
    >>> ds = xr.Dataset({"y": ("sample", np.linspace(-3, 3, 1001), {"role": "output"})})
    >>> cal = calibrate(ds, CalibrateTable((Observation("y", low=0.0, high=3.0),)))
    >>> round(float(cal.weight.sum()), 6), round(cal.attrs["ess"])
    (1.0, 501)
    """
    ll = log_likelihood(results, table)
    if not np.isfinite(ll).any():
        raise SpecError(f"[calibrate] the record rules out all {ll.size:,} samples: none has "
                        + " and ".join(f"{ob.output} {ob.words()}" for ob in table.observe)
                        + "; widen the intervals or the priors")
    w, k_hat = psis(ll)
    out = results.assign({WEIGHT: ("sample", w, {"units": "1", "long_name": "calibration weight", "role": "weight"})})
    out.attrs.update(k_hat=k_hat, ess=effective_sample_size(w),
                     calibrated="; ".join(f"{ob.output} {ob.words()}" for ob in table.observe))
    return out


def k_hat_words(k_hat: float) -> str:
    """``"Pareto k-hat 0.49"``, or what a NaN k-hat means (no tail: the weights kept are equal)."""
    return "no Pareto tail (equal weights)" if math.isnan(k_hat) else f"Pareto k-hat {k_hat:.2f}"


def calibration_warning(results: xr.Dataset) -> str | None:
    """The warning of a calibration that too few draws carry, or None.

    k-hat above :data:`~mcrisk.analyze.psis.K_HAT_LIMIT` or an effective sample size under
    :data:`MIN_ESS`: the record sits in the priors' far tail.
    """
    k_hat, ess, n = results.attrs["k_hat"], results.attrs["ess"], results.sizes["sample"]
    if not (k_hat > K_HAT_LIMIT or ess < MIN_ESS):
        return None
    # the effective draws grow in proportion to the samples; twice that, as a heavy tail's k-hat falls slowly
    more = max(2 * n, int(math.ceil(2 * n * MIN_ESS / max(ess, 1.0) / 1000)) * 1000)
    return (f"the record contradicts these priors; {ess:,.0f} draws carry the result (effective sample size "
            f"of {n:,}, {k_hat_words(k_hat)}; trusted: k-hat at most {K_HAT_LIMIT} and at least {MIN_ESS} "
            f"effective draws): run more samples (--samples {more:,}) or widen the priors the record contradicts")


def _stats(x: np.ndarray, w: np.ndarray) -> list[float]:
    w = w / w.sum()
    mean = float(np.sum(w * x))
    s2 = float(np.sum(w * w))
    sd = math.sqrt(float(np.sum(w * (x - mean) ** 2)) / (1 - s2)) if s2 < 1 else 0.0
    return [mean, sd, *map(float, weighted_quantile(x, w, list(_Q)))]


def calibration_frame(results: xr.Dataset, inputs: Sequence[str]) -> pd.DataFrame:
    """Prior against posterior of each input: the columns :data:`CALIBRATION_COLUMNS`.

    Parameters
    ----------
    results
        Calibrated results (with ``weight``).
    inputs
        The uncertain inputs.

    Returns
    -------
    pandas.DataFrame
        One row per input: mean, standard deviation (``ddof = 1``), 5th, 50th and 95th percentile
        of its draws unweighted (``prior_``) and weighted (``post_``).
    """
    w = np.asarray(results[WEIGHT].values, dtype=float)
    ones = np.ones_like(w)
    rows = [[name, *_stats(x := np.asarray(results[name].values, dtype=float), ones), *_stats(x, w)]
            for name in inputs]
    return pd.DataFrame(rows, columns=list(CALIBRATION_COLUMNS))


def observation_records(results: xr.Dataset, table: CalibrateTable) -> list[dict]:
    """Each observation with the output's prior and posterior 90% interval (``calibration.json``).

    Parameters
    ----------
    results
        Calibrated results (with ``weight``).
    table
        The ``[calibrate]`` table.

    Returns
    -------
    list of dict
        ``output``, ``units``, the observation (``value`` and ``sd``, or ``low`` and ``high``),
        ``prior`` and ``posterior``: each ``{"p05", "p50", "p95"}`` of the output (its model
        value, without the observation's error) under equal and under the calibration's weights.
    """
    w = np.asarray(results[WEIGHT].values, dtype=float)
    n = w.size
    out = []
    for ob in table.observe:
        y = np.broadcast_to(np.asarray(results[ob.output].values, dtype=float), (n,))
        ok = np.isfinite(y)
        rec = {"output": ob.output, "units": str(results[ob.output].attrs.get("units", "")), "kind": ob.kind}
        rec.update({"value": ob.value, "sd": ob.sd} if ob.sd is not None else {"low": ob.low, "high": ob.high})
        for key, ww in (("prior", np.ones(n)), ("posterior", w)):
            q = weighted_quantile(y[ok], ww[ok], list(_Q))
            rec[key] = dict(zip(("p05", "p50", "p95"), map(float, q), strict=True))
        out.append(rec)
    return out


def equal_weights(results: xr.Dataset, *, rng: int | np.random.Generator = 0) -> xr.Dataset:
    """A calibrated run as equally weighted draws: a systematic resample by the weights.

    For the methods that need equal weights (PRIM, the value of information's regression).
    Results without weights come back unchanged.

    Parameters
    ----------
    results
        Results over ``sample``, with or without ``weight``.
    rng
        Seeds the resample's one uniform offset.

    Returns
    -------
    xarray.Dataset
        As many samples as ``results``, draw ``i`` repeated about ``n w_i`` times (systematic
        resampling: Kitagawa 1996), without ``weight``; attr ``resampled`` says so.
    """
    if WEIGHT not in results:
        return results
    w = np.asarray(results[WEIGHT].values, dtype=float)
    n = w.size
    u = (np.random.default_rng(rng).random() + np.arange(n)) / n
    idx = np.minimum(np.searchsorted(np.cumsum(w / w.sum()), u), n - 1)
    out = results.drop_vars(WEIGHT).isel(sample=idx).assign_coords(sample=np.arange(n))
    out.attrs["resampled"] = (f"a resample of {n:,} draws by the calibration's weights "
                              f"({results.attrs.get('ess', effective_sample_size(w)):,.0f} effective)")
    return out
