"""Value of information: what resolving an uncertainty before deciding is worth, in money.

The decision is "go ahead only if the expected output (profit) is positive", or a choice among
named options, each an output of the model, the best expected one chosen. With net benefit
:math:`NB_k(\\theta)` of option :math:`k`,

.. math::

    \\text{EVPI} = E_\\theta[\\max_k NB_k] - \\max_k E_\\theta[NB_k], \\qquad
    \\text{EVPPI}(\\phi) = E_\\phi[\\max_k E(NB_k \\mid \\phi)] - \\max_k E_\\theta[NB_k],

where :math:`\\phi` is one input or a group of inputs. EVPI comes straight from the samples.
EVPPI needs :math:`E(NB_k \\mid \\phi)`, which :func:`evppi` estimates by regression on the same
samples (Strong, Oakley and Brennan 2014): no nested Monte Carlo, no new model runs.

The smoother: a penalised regression spline, the P-spline form of the additive GAM that Strong
et al. use. The basis is cubic B-splines with knots at the input's quantiles, built with
:meth:`scipy.interpolate.BSpline.design_matrix` (scikit-learn's ``SplineTransformer`` basis; pygam
would be one more dependency); a group of inputs adds the tensor products of each pair's bases
(interactions). The ridge penalty is chosen by generalised cross-validation, in closed
form on one eigendecomposition of the Gram matrix, which also makes the permutation fits below
nearly free (that is why the fit is written in numpy, in :mod:`mcrisk.analyze.voi_regression`,
rather than through ``RidgeCV``).

Standard error: a bootstrap of the samples (``resamples`` resamples of the rows, the penalty
held at the fitted one), which covers the Monte Carlo error of the averages and the error of the
fit. EVPI's standard error is the bootstrap of its two averages.

Bias for an input with no effect: the fit of pure noise is not flat, and the expectation of a
maximum of a noisy fit is above the maximum of expectations, so regression EVPPI is biased
upward, most where the expected net benefits of the options are close. mcrisk does not
subtract a correction (one estimated on a no-effect input over-corrects an input with a real
effect, whose fit has less noise); it reports it: the column ``noise`` is the EVPPI the same
smoother finds for the same input with its rows shuffled (the mean over ``permutations``
shuffles), what an input with no effect would show on these samples. An EVPPI within two
standard errors of ``noise`` is read as "not worth learning" (:func:`worth_knowing`). The tests
check that an input that does not enter the model has EVPPI within one standard error of 0.

Correlated inputs are fine: the regression conditions on the inputs as sampled, so EVPPI of a
correlated input includes what it tells about its partners (as it should: learning it
would).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr
from threadpoolctl import threadpool_limits

from mcrisk.analyze.voi_regression import (
    bootstrap_weights,
    evpi_and_se,
    incremental,
    input_column,
    net_benefits,
    regression_value,
)
from mcrisk.core.errors import SpecError
from mcrisk.core.text import Labels, format_value, words

__all__ = ["evppi", "voi_frame", "voi_sentence", "worth_knowing"]

def _row(results: xr.Dataset, names: list[str], ok: np.ndarray, D: np.ndarray, weights: np.ndarray, knots: int,
         permutations: int, gen: np.random.Generator, n: int) -> tuple[float, float, float]:
    """EVPPI of one input or group, its bootstrap SE and its no-effect level (row shuffles)."""
    cols = [input_column(results, k, ok) for k in names]
    return regression_value(cols, D, weights, knots=knots, permutations=permutations, gen=gen)


def evppi(results: xr.Dataset, *, output: str | None = None, decision: str | Sequence[str] = "go",
          inputs: Sequence[str] | None = None, groups: Sequence[Sequence[str]] = (), resamples: int = 50,
          permutations: int = 10, knots: int = 8, rng: int | np.random.Generator | None = 0) -> xr.Dataset:
    """EVPI and, per input and group of inputs, EVPPI with standard errors, from stored samples.

    Parameters
    ----------
    results
        Results over ``sample``; money per period if it should be read so (see
        :func:`mcrisk.core.statistics.per_period`).
    output
        The decision ``"go"``'s output (default ``results.attrs["output"]``): go ahead only if
        its expectation is positive, else 0.
    decision
        ``"go"``, or the outputs that are the options' net benefits (at least two; choose the
        largest expectation).
    inputs
        The inputs, one row each (default: every input that varies).
    groups
        Groups of inputs, one row each, named ``"a+b"``.
    resamples
        Bootstrap resamples for the standard errors.
    permutations
        Row shuffles for the ``noise`` column.
    knots
        Knots of each input's cubic spline basis (half as many in a group's interactions).
    rng
        Seed or generator for the bootstrap and the shuffles.

    Returns
    -------
    xarray.Dataset
        Over ``inputs`` (each input, each group, then ``"all"``, whose EVPPI is the EVPI):
        ``evppi``, ``se`` and ``noise`` in the output's units. Attrs: ``output``, ``units``,
        ``decision`` (text), ``options``, ``best_option`` (the choice without more information),
        ``evpi``, ``evpi_se``, ``samples``, ``method``.

    Notes
    -----
    See the module docstring: :math:`\\text{EVPPI}(\\phi) = \\overline{\\max_k \\hat g_k(\\phi_i)} -
    \\max_k \\overline{\\hat g_k}` with :math:`\\hat g_k` the fitted :math:`E(NB_k - NB_1 \\mid \\phi)`.
    For one input that alone decides the net benefit, EVPPI equals EVPI; for an input that does
    not enter the model it is 0 up to the fit's noise.

    References
    ----------
    Strong, M., Oakley, J. E. and Brennan, A. (2014). Estimating multiparameter partial expected
    value of perfect information from a probabilistic sensitivity analysis sample: a
    nonparametric regression approach. Medical Decision Making 34(3), 311-326.

    Examples
    --------
    >>> v = evppi(run.results, groups=[["decode_tps_per_node", "prefill_tps_per_node"]])  # doctest: +SKIP
    >>> float(v.evppi.sel(inputs="all")) == v.attrs["evpi"]                              # doctest: +SKIP
    True
    """
    output = output or results.attrs.get("output")
    nb, names, units = net_benefits(results, output, decision)
    gen = np.random.default_rng(rng)
    varying = [k for k, v in results.data_vars.items()
               if v.attrs.get("role") == "input" and "sample" in v.dims and np.ptp(v.values) > 0]
    rows = [[k] for k in (varying if inputs is None else inputs)] + [list(g) for g in groups]
    for g in rows:
        for k in g:
            if k not in results or "sample" not in results[k].dims:
                raise SpecError(f"value_of_information: {k!r} is not an uncertain input of the results; "
                                f"uncertain inputs: {', '.join(varying) or '(none)'}")
    ok, nb, D = incremental(nb, names, need=bool(rows))
    n = len(nb)
    weights = bootstrap_weights(n, resamples, gen)
    evpi, evpi_se = evpi_and_se(D, weights)

    est, se, noise = [], [], []
    # One BLAS thread: the matrices are narrow (at most a few hundred columns), where threads
    # cost more than they give (20x slower on a busy 2-core machine), and the sums then do not
    # depend on the thread count.
    with threadpool_limits(limits=1, user_api="blas"):
        for g in rows:
            est_g, se_g, noise_g = _row(results, g, ok, D, weights, knots, permutations, gen, n)
            est.append(est_g)
            se.append(se_g)
            noise.append(noise_g)
    est.append(evpi)
    se.append(evpi_se)
    noise.append(0.0)
    labels = ["+".join(g) for g in rows] + ["all"]
    means = nb.mean(axis=0)
    attrs = {"output": output, "units": units, "options": names, "best_option": names[int(np.argmax(means))],
             "decision": ("go ahead only if the expected " + output + " is positive") if decision == "go"
             else "choose the option of largest expected net benefit: " + ", ".join(names),
             "evpi": evpi, "evpi_se": se[-1], "samples": n,
             "method": f"Strong-Oakley regression: cubic P-spline GAM ({knots} quantile knots), GCV penalty; "
                       f"SE by {resamples} bootstrap resamples; noise by {permutations} row shuffles"}
    return xr.Dataset(
        {"evppi": ("inputs", np.array(est), {"long_name": "expected value of partial perfect information",
                                             "units": units}),
         "se": ("inputs", np.array(se), {"long_name": "standard error of evppi (bootstrap)", "units": units}),
         "noise": ("inputs", np.array(noise), {"long_name": "evppi of the input with its rows shuffled "
                                                            "(what no effect shows)", "units": units})},
        coords={"inputs": labels}, attrs=attrs)


def worth_knowing(ds: xr.Dataset) -> xr.DataArray:
    """Whether each EVPPI stands out of the fit's noise: ``evppi > noise + 2 se``.

    Parameters
    ----------
    ds
        From :func:`evppi`.

    Returns
    -------
    xarray.DataArray of bool
        Over ``inputs``.
    """
    return ds.evppi > ds.noise + 2 * ds.se


def voi_sentence(ds: xr.Dataset, labels: Labels | None = None) -> str:
    """The top input (or group) and its value in words: ``"Knowing decode tps per node is worth 12.0M CNY/month"``.

    Parameters
    ----------
    ds
        From :func:`evppi`.
    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the variables named; None: names in words.

    Returns
    -------
    str
        The sentence; ``"No uncertainty is worth resolving before deciding: EVPI 0"`` when EVPI
        is 0, ``"No single uncertainty is worth resolving ..."`` when no row stands out of the
        noise (:func:`worth_knowing`).
    """
    units = ds.attrs.get("units", "")
    rows = ds.drop_sel(inputs="all")
    evpi = format_value(float(ds.attrs["evpi"]), units)
    if rows.sizes["inputs"] == 0 or float(ds.attrs["evpi"]) <= 0 or not bool(worth_knowing(rows).any()):
        return (f"No uncertainty is worth resolving before deciding: EVPI {evpi}"
                if float(ds.attrs["evpi"]) <= 0 else
                f"No single uncertainty is worth resolving before deciding (the choice, {ds.attrs['best_option']}, "
                f"stays); knowing everything is worth {evpi} (EVPI)")
    top = str(rows.evppi.idxmax().values)
    v = float(rows.evppi.sel(inputs=top))
    return (f"Knowing {' and '.join(words(k, labels) for k in top.split('+'))} is worth "
            f"{format_value(v, units)} (EVPI, knowing everything: {evpi})")


def voi_frame(ds: xr.Dataset) -> pd.DataFrame:
    """``voi.csv``: one row per input or group (names joined with ``+``) and ``all`` (the EVPI).

    Parameters
    ----------
    ds
        From :func:`evppi`.

    Returns
    -------
    pandas.DataFrame
        Columns ``inputs``, ``evppi``, ``se``, ``noise``, ``units``; rows ranked by EVPPI, ``all``
        last.
    """
    df = pd.DataFrame({"inputs": ds.inputs.values.astype(str), "evppi": ds.evppi.values, "se": ds.se.values,
                       "noise": ds.noise.values, "units": ds.attrs.get("units", "")})
    body = df[df.inputs != "all"].sort_values("evppi", ascending=False, kind="stable")
    return pd.concat([body, df[df.inputs == "all"]], ignore_index=True)
