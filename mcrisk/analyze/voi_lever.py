"""EVPI, and EVPPI of chosen inputs, against a lever: where on the lever's axis knowledge is worth most.

BCEA's "EVPI against willingness to pay" (Baio, Berardi and Heath 2017, ch. 4), for any lever
of the model: :func:`evppi_lever` holds the lever at each value on common random numbers (the
other inputs drawn once, :func:`mcrisk.analyze.sweep.sweep`) and computes EVPI and the EVPPI of
each named input or group at each value, on the same samples and the same bootstrap resamples
(:func:`mcrisk.analyze.voi.evppi`). Far from the break-even the decision is sure and information
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

from mcrisk.analyze.sweep import sweep
from mcrisk.analyze.voi import evppi
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
    sw = sweep(model, priors, lever, values, n, method=method, rng=rng)
    sw = per_period(sw, period_days)
    groups = [list(g) for g in inputs]
    est, se, first = [], [], None
    for i in range(sw.sizes[lever]):
        at = thin(sw.isel({lever: i}).drop_vars(lever), DISCOVERY_SAMPLES)
        at.attrs["output"] = output
        v = evppi(at, output=output, decision=decision, inputs=[], groups=groups, resamples=resamples,
                  permutations=0, rng=seed)
        first = first if first is not None else v
        est.append(v.evppi.values)
        se.append(v.se.values)
    units = first.attrs["units"]
    return xr.Dataset(
        {"evppi": (("lever_value", "inputs"), np.array(est), {"long_name": "expected value of partial perfect "
                                                                           "information ('all': EVPI)", "units": units}),
         "se": (("lever_value", "inputs"), np.array(se), {"long_name": "standard error of evppi (bootstrap)",
                                                          "units": units})},
        coords={"lever_value": ("lever_value", np.asarray(sw[lever].values, dtype=float),
                                {"units": sw[lever].attrs.get("units", ""), "long_name": lever}),
                "inputs": first.inputs.values},
        attrs={"lever": lever, "lever_units": sw[lever].attrs.get("units", ""), "output": output, "units": units,
               "decision": first.attrs["decision"], "samples": int(first.attrs["samples"]),
               "method": first.attrs["method"].split("; noise")[0] + "; common random numbers at every lever value"})


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
