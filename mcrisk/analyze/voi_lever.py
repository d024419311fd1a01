"""EVPI, and EVPPI of chosen inputs, against a lever: where on the lever's axis knowledge is worth most.

BCEA's "EVPI against willingness to pay" (Baio, Berardi and Heath 2017, ch. 4), for any lever
of the model: :func:`evppi_lever` holds the lever at each value on common random numbers (the
other inputs drawn once, :func:`mcrisk.analyze.sweep.sweep`) and computes EVPI and the EVPPI of
each named input or group at each value, on the same samples and the same bootstrap resamples
(the regression of :func:`mcrisk.analyze.voi.evppi`, :mod:`mcrisk.analyze.voi_regression`). Far
from the break-even the decision is sure and information
is worth nothing; near it, most. With common random numbers the curve's differences between
lever values are the lever's, not sampling noise.

References
----------
Baio, G., Berardi, A. and Heath, A. (2017). Bayesian Cost-Effectiveness Analysis with the R
package BCEA. Springer (the EVPI against willingness to pay, ``plot(bcea)``, ch. 4).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import xarray as xr
from threadpoolctl import threadpool_limits

from mcrisk.analyze.sweep import sweep
from mcrisk.analyze.voi_regression import (
    bootstrap_weights,
    evpi_and_se,
    incremental,
    input_column,
    net_benefits,
    regression_value,
)
from mcrisk.core.statistics import per_period
from mcrisk.core.text import Labels, format_number, format_value, words
from mcrisk.core.thinning import DISCOVERY_SAMPLES, thin
from mcrisk.sampling.design import Method
from mcrisk.spec.priors import Priors

__all__ = ["evppi_lever", "lever_frame", "lever_sentence"]


def evppi_lever(model: Callable, priors: Priors, lever: str, values: Sequence[float], n: int, *,
                output: str, decision: str | Sequence[str] = "go", inputs: Sequence[Sequence[str]] = (),
                period_days: float | None = None, resamples: int = 50, method: Method = "random",
                rng: int | np.random.Generator | None = None, seed: int = 0) -> xr.Dataset:
    """EVPI and EVPPI of ``inputs`` at each lever value, on common random numbers.

    Parameters
    ----------
    model, priors, lever, values, n, method, rng
        As :func:`mcrisk.analyze.sweep.sweep` (``rng``: the design's seed).
    output, decision
        As :func:`mcrisk.analyze.voi.evppi`.
    inputs
        The inputs or groups (each a sequence of names) whose EVPPI is wanted at every value.
    period_days
        Money per day is restated per this many days.
    resamples
        Bootstrap resamples for the standard errors (the same resamples at every value).
    seed
        The bootstrap's seed.

    Returns
    -------
    xarray.Dataset
        Over ``(lever_value, inputs)``: ``evppi`` and ``se`` in the output's units; ``inputs``
        holds each row's names joined by ``+`` and ``"all"`` (the EVPI). Attrs: ``lever``,
        ``lever_units``, ``output``, ``units``, ``decision``, ``samples``, ``method``.

    Examples
    --------
    >>> v = evppi_lever(maas, priors, "price_output", [16, 40, 80], 4000,  # doctest: +SKIP
    ...                 output="profit_per_day", inputs=[["decode_tps_per_node"]])
    """
    sw = per_period(sweep(model, priors, lever, values, n, method=method, rng=rng), period_days)
    groups = [list(g) for g in inputs]
    est, se, weights, names, units = [], [], None, [], ""
    with threadpool_limits(limits=1, user_api="blas"):  # narrow regressions: one thread (as voi.evppi)
        for i in range(sw.sizes[lever]):
            at = thin(sw.isel({lever: i}), DISCOVERY_SAMPLES)
            nb, names, units = net_benefits(at, output, decision)
            ok, nb, D = incremental(nb, names, need=bool(groups))
            if weights is None or weights.shape[1] != len(D):  # the resamples evppi(rng=seed) draws
                weights = bootstrap_weights(len(D), resamples, np.random.default_rng(seed))
            rows = [regression_value([input_column(at, k, ok) for k in g], D, weights)[:2]
                    for g in groups]
            rows.append(evpi_and_se(D, weights))
            est.append([r[0] for r in rows])
            se.append([r[1] for r in rows])
    lunit = sw[lever].attrs.get("units", "")
    return xr.Dataset(
        {"evppi": (("lever_value", "inputs"), np.array(est), {"long_name": "expected value of partial perfect "
                                                                           "information ('all': EVPI)", "units": units}),
         "se": (("lever_value", "inputs"), np.array(se), {"long_name": "standard error of evppi (bootstrap)",
                                                          "units": units})},
        coords={"lever_value": ("lever_value", np.asarray(sw[lever].values, dtype=float),
                                {"units": lunit, "long_name": lever}),
                "inputs": ["+".join(g) for g in groups] + ["all"]},
        attrs={"lever": lever, "lever_units": lunit, "output": output, "units": units,
               "decision": (f"go ahead only if the expected {output} is positive" if decision == "go" else
                            "choose the option of largest expected net benefit: " + ", ".join(names)),
               "samples": int(thin(sw.isel({lever: 0}), DISCOVERY_SAMPLES).sizes["sample"]),
               "method": f"Strong-Oakley regression: cubic P-spline GAM, GCV penalty; SE by {resamples} bootstrap "
                         "resamples, the same at every lever value; common random numbers at every lever value"})


def lever_frame(ds: xr.Dataset) -> pd.DataFrame:
    """``voi_lever.csv``: columns ``lever_value, inputs, evppi, se``; the EVPI rows have ``inputs = all``.

    Parameters
    ----------
    ds
        From :func:`evppi_lever`.

    Returns
    -------
    pandas.DataFrame
        One row per lever value and input (or group), the lever values in order.
    """
    df = ds[["evppi", "se"]].to_dataframe().reset_index()
    return df[["lever_value", "inputs", "evppi", "se"]]


def lever_sentence(ds: xr.Dataset, labels: Labels | None = None) -> str:
    """Where on the lever's axis knowing everything is worth most, in words.

    Parameters
    ----------
    ds
        From :func:`evppi_lever`.
    labels
        Name -> plain label for the lever.

    Returns
    -------
    str
        ``"Knowledge is worth most at price output = 60 CNY/M tokens: EVPI 12.3M CNY/month"``.
    """
    evpi = ds.evppi.sel(inputs="all")
    i = int(np.argmax(evpi.values))
    lunit = ds.attrs.get("lever_units", "")
    at = f"{format_number(float(ds.lever_value[i]), lunit)} {lunit}".rstrip()
    if float(evpi.max()) <= 0:
        return f"Knowledge is worth nothing at any {words(ds.attrs['lever'], labels)} tried: the decision is sure"
    return (f"Knowledge is worth most at {words(ds.attrs['lever'], labels)} = {at}: "
            f"EVPI {format_value(float(evpi[i]), ds.attrs['units'])}")
