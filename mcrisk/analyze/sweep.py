"""Sweeps: one lever set to each of several values, every value on the same samples.

:func:`sweep` draws the other inputs once and evaluates the model with the lever held at each
value (common random numbers): sample ``i`` is the same draw at every lever value, so the
differences between values are the lever's effect, not sampling noise. :func:`summarize_sweep`
gives the risk summary of each value, :func:`breakeven_value` the lever value at which an
output's P(below zero) crosses one half.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from types import MappingProxyType

import numpy as np
import xarray as xr

from mcrisk.core.errors import MCRiskWarning, SpecError
from mcrisk.simulation.evaluate import call_model
from mcrisk.models import model_inputs, model_name
from mcrisk.spec.callcheck import check_lever_values, conform_call, conform_inputs
from mcrisk.spec.priors import Priors, parse_prior
from mcrisk.analyze.risk import summarize
from mcrisk.core.statistics import STATISTICS, outputs_of, per_period, row_statistics
from mcrisk.core.validate import NONFINITE
from mcrisk.sampling.design import Method, sample
from mcrisk.simulation.engine import simulate
from mcrisk.simulation.streaming import summarize_chunked
from mcrisk.core.validate import NonFinite, check_samples
from mcrisk.core.warned import guarded_warnings, warn

__all__ = ["breakeven_value", "lever_inputs", "lever_unit", "summarize_sweep", "summarize_sweep_streamed", "sweep"]


def lever_unit(model: Callable, priors: Priors, lever: str) -> str:
    """The lever's unit: from its prior, else from the model's declaration, else ``""``.

    Parameters
    ----------
    model
        The model (its ``inputs`` declaration, if any, gives the unit).
    priors
        The study's priors (the lever's prior, if any, gives the unit first).
    lever
        The input.

    Returns
    -------
    str
        The unit, with ``{currency}`` replaced by the priors' currency.
    """
    if lever in priors and priors[lever].unit:
        return priors[lever].unit
    var = getattr(model, "inputs", {}).get(lever)
    return var.unit_in(priors.currency) if var is not None else ""


def lever_inputs(priors: Priors, lever: str, n: int, *, method: Method = "random",
                 rng: int | np.random.Generator | None = None) -> xr.Dataset:
    """The inputs of a lever study: every input but the lever, drawn once.

    The lever is dropped from the priors before sampling (with its correlations), so the other
    inputs' draws are the same whether the priors held it constant or uncertain: sample ``i``
    at lever value ``v`` is then, bit for bit, sample ``i`` of the study whose priors set the
    lever to the constant ``v``.

    Parameters
    ----------
    priors
        The study's priors (the lever may be among them, constant or uncertain, or not).
    lever
        The input the caller sets.
    n, method, rng
        As :func:`mcrisk.sampling.design.sample`.

    Returns
    -------
    xarray.Dataset
        The other inputs over ``sample`` (attrs as :func:`~mcrisk.sampling.design.sample`).
    """
    others = priors.subset([k for k in priors if k != lever])
    return sample(others, check_samples(n), method=method, rng=rng)


def _with_lever(inputs: xr.Dataset, lever: str, value: float, unit: str) -> xr.Dataset:
    return inputs.assign({lever: ((), float(value), {"units": unit, "long_name": lever.replace("_", " "),
                                                     "distribution": "lever"})})


def sweep(model: Callable, priors: Priors, lever: str, values: Sequence[float], n: int, *,
          method: Method = "random", rng: int | np.random.Generator | None = None,
          inputs: xr.Dataset | None = None) -> xr.Dataset:
    """Evaluate the model at each value of one input (the lever) on common random numbers.

    Parameters
    ----------
    model
        A model callable (see :mod:`mcrisk.models`); ``lever`` must be one of its inputs.
    priors
        The other inputs' priors. A lever that is in the priors (constant or uncertain) is held
        at each swept value instead: it is dropped before sampling (:func:`lever_inputs`), so
        the other inputs' draws do not depend on whether it was uncertain.
    lever
        The input swept.
    values
        Its values (at least 2), in the model's unit for it (the priors are converted to the
        model's units, and checked against its inputs' domains, as a study run's are).
    n, method, rng
        Samples of the other inputs, design and seed, as :func:`mcrisk.simulate`.
    inputs
        The other inputs already drawn (from :func:`lever_inputs`); ``n``, ``method`` and
        ``rng`` are then ignored.

    Returns
    -------
    xarray.Dataset
        The other inputs over ``sample``; every output over ``(lever, sample)``, where the
        dimension is named after the lever and its coordinate holds the values (with the
        lever's ``units``); attrs as :func:`mcrisk.simulate` plus ``lever``.

    Raises
    ------
    SpecError
        If ``lever`` is not an input of the model, fewer than 2 values are given, or a value
        repeats.

    Warns
    -----
    MCRiskWarning
        For an output that is NaN or infinite in some samples (the count over every value).

    Notes
    -----
    Common random numbers: with ``u_i`` the ``i``-th design row of the other inputs,
    ``y_i(v) = f(x_i(u_i), v)`` for every swept ``v``; a difference ``y_i(v') - y_i(v)`` has
    no sampling noise from the other inputs' draws, and P(loss) is monotone in ``v`` whenever
    every ``y_i`` is. The first value is evaluated as :func:`mcrisk.simulate` does (outputs'
    units, labels, checks); the others with the same model call on the same arrays.

    Examples
    --------
    >>> ds = sweep(maas, priors, "price_output", [8, 12, 16], 10_000, method="lhs", rng=1)
    >>> ds.profit_per_day.sizes
    Frozen({'price_output': 3, 'sample': 10000})
    """
    values = _checked_values(model, priors, lever, values)
    priors, converted = conform_call(model, priors, where="sweep", stacklevel=3)  # values: the model's unit
    if inputs is None:
        inputs = lever_inputs(priors, lever, n, method=method, rng=rng)
    else:  # drawn by the caller, perhaps from priors in other units: every lever value sees the same columns
        inputs, more = conform_inputs(model, inputs, where="sweep", stacklevel=3)
        converted += tuple(x for x in more if x not in converted)  # the priors' line once
    n = inputs.sizes["sample"]
    unit = lever_unit(model, priors, lever)
    with guarded_warnings():  # counted below over every value, not for the first alone
        warnings.filterwarnings("ignore", message=".* is NaN or infinite in ", category=MCRiskWarning)
        first = simulate(model, _with_lever(inputs, lever, values[0], unit))
    outs = outputs_of(first)
    kwargs = {k: v.values if v.ndim else float(v) for k, v in inputs.data_vars.items()}
    data = {k: np.empty((len(values), n)) for k in outs}
    for k in outs:
        data[k][0] = first[k].values
    for i, v in enumerate(values[1:], start=1):
        got = call_model(model, {**kwargs, lever: v})
        for k in outs:
            if k not in got:
                raise SpecError(f"model {model_name(model)} returned no {k} at {lever} = {v!r}")
            data[k][i] = np.broadcast_to(np.asarray(got[k], dtype=float), (n,))
    coord = xr.DataArray(np.array(values), dims=lever, name=lever,
                         attrs={"units": unit, "long_name": f"{lever.replace('_', ' ')} (lever)"})
    # outputs over (sample, hour) are not swept: they would hold the first lever value only
    profiles = [k for k, v in first.data_vars.items() if str(v.attrs.get("role", "")).startswith("output_")]
    ds = first.drop_vars([*outs, *profiles, lever])
    for k in outs:
        bad = int(np.count_nonzero(~np.isfinite(data[k])))
        ds[k] = ((lever, "sample"), data[k], {**first[k].attrs, "nonfinite": bad})
        if bad:
            warn(f"{k} is NaN or infinite in {bad:,} of {data[k].size:,} samples x lever values; its "
                          "statistics use the other samples", MCRiskWarning, stacklevel=2)
    ds = ds.assign_coords({lever: coord})
    ds.attrs["lever"] = lever
    if converted:
        ds.attrs["unit_conversions"] = "\n".join(converted)
    return ds


def summarize_sweep(results: xr.Dataset, *, period_days: float | None = None,
                    nonfinite: NonFinite = "drop") -> xr.Dataset:
    """The risk summary of each lever value of a sweep.

    Parameters
    ----------
    results
        From :func:`sweep`.
    period_days
        Restate money per day per this many days (:func:`mcrisk.core.statistics.per_period`).
    nonfinite
        As :func:`mcrisk.analyze.risk.summarize`.

    Returns
    -------
    xarray.Dataset
        The statistics of :func:`mcrisk.analyze.risk.summarize` over ``(lever, output)``: for each lever
        value, what :func:`~mcrisk.analyze.risk.summarize` gives for that value's samples (computed for
        all values at once where every sample is finite).
    """
    lever = results.attrs["lever"]
    res = per_period(results, period_days)
    outs = outputs_of(res)
    k = res.sizes[lever]
    stats = {s: np.empty((k, len(outs))) for s in STATISTICS}
    n_valid = np.empty((k, len(outs)), dtype=np.int64)
    for j, name in enumerate(outs):
        x = np.asarray(res[name].transpose(lever, "sample").values, dtype=float)
        if np.isfinite(x).all():
            for s, v in row_statistics(x, res[name].attrs.get("bad", "low")).items():
                stats[s][:, j] = v
            n_valid[:, j] = x.shape[1]
        else:  # the rows with NaN or inf: as summarize() treats them
            for i in range(k):
                one = summarize(res[[name]].isel({lever: i}), nonfinite=nonfinite)
                for s in STATISTICS:
                    stats[s][i, j] = float(one[s].values[0])
                n_valid[i, j] = int(one["n_valid"].values[0])
    data = {s: ((lever, "output"), v, {"long_name": STATISTICS[s][1]}) for s, v in stats.items()}
    data["n_valid"] = ((lever, "output"), n_valid, {"long_name": "finite samples"})
    units = [res[name].attrs.get("units", "") for name in outs]
    attrs = {a: res.attrs[a] for a in ("model", "method", "seed", "samples", "period_days") if a in res.attrs}
    attrs.update(on_nonfinite=nonfinite, nonfinite_policy=NONFINITE[nonfinite], lever=lever)
    return xr.Dataset(data, coords={lever: res[lever], "output": outs, "units": ("output", units)}, attrs=attrs)


def summarize_sweep_streamed(model: Callable, priors: Priors, lever: str, values: Sequence[float], n: int, *,
                             method: Method = "random", seed: int = 0, chunk_size: int | None = None,
                             period_days: float | None = None, nonfinite: NonFinite = "drop",
                             progress: bool = False) -> xr.Dataset:
    """:func:`summarize_sweep` of :func:`sweep`, in memory bounded by one chunk: nothing per sample is held.

    Each lever value is a run of the other inputs' draws with the lever held at that value
    (the same draws, sample for sample, as :func:`lever_inputs`'), summarised in two passes
    over its chunks (:func:`mcrisk.simulation.streaming.summarize_chunked`): percentiles, min,
    max and P(below zero) are exactly :func:`summarize_sweep`'s; mean, std and ES05 the same
    sums in another order (relative 1e-12). Time: two passes per lever value.

    Parameters
    ----------
    model, priors, lever, values, n, method
        As :func:`sweep`.
    seed
        The run's integer seed.
    chunk_size
        Samples per chunk (default ``2**20``).
    period_days, nonfinite
        As :func:`summarize_sweep` (``nonfinite`` ``"drop"`` or ``"error"``).
    progress
        A progress bar per pass on stderr.

    Returns
    -------
    xarray.Dataset
        As :func:`summarize_sweep`.
    """
    values = _checked_values(model, priors, lever, values)
    priors, _ = conform_call(model, priors, where="sweep", stacklevel=3)
    others = priors.subset([k for k in priors if k != lever])
    unit = lever_unit(model, priors, lever)
    rows = []
    for v in values:
        held = Priors(MappingProxyType({lever: parse_prior(lever, v, file="sweep")}))
        rows.append(summarize_chunked(model, others.merged(held), check_samples(n), method=method, seed=seed,
                                      chunk_size=chunk_size, period_days=period_days, nonfinite=nonfinite,
                                      progress=progress))
    coord = xr.DataArray(np.array(values), dims=lever, name=lever,
                         attrs={"units": unit, "long_name": f"{lever.replace('_', ' ')} (lever)"})
    out = xr.concat(rows, dim=coord, coords="minimal", compat="override", combine_attrs="override")
    out = out.transpose(lever, "output", ...)
    attrs = {"model": model_name(model), "method": method, "seed": seed, "samples": n}
    if period_days and period_days != 1:
        attrs["period_days"] = period_days
    out.attrs = {**attrs, "on_nonfinite": nonfinite, "nonfinite_policy": NONFINITE[nonfinite], "lever": lever}
    return out


def _checked_values(model: Callable, priors: Priors, lever: str, values: Sequence[float]) -> list[float]:
    """The lever values as floats, once the lever is known to be a model input and the values distinct and in its domain."""
    required, optional, anykw = model_inputs(model)
    if lever not in required and lever not in optional and not (anykw and lever in priors):
        raise SpecError(f"lever = {lever!r} is not an input of the model; inputs: "
                        f"{', '.join([*required, *optional])}")
    values = [float(v) for v in values]
    if len(values) < 2 or len(set(values)) < len(values) or not np.all(np.isfinite(values)):
        raise SpecError(f"values = {values!r} must be at least 2 distinct finite lever values")
    for v in values:  # each in the lever's domain, as a study's [sweep] values are
        check_lever_values(model, lever, {"values": v}, where="sweep")
    return values


def breakeven_value(summary: xr.Dataset, output: str) -> float | None:
    """The lever value at which P(``output`` below zero) crosses 1/2, by linear interpolation.

    Parameters
    ----------
    summary
        From :func:`summarize_sweep`.
    output
        The output.

    Returns
    -------
    float or None
        The first crossing between neighbouring swept values, or ``None`` if P(below zero)
        stays on one side of 1/2.

    Notes
    -----
    Between swept values ``v_k`` and ``v_{k+1}`` with ``p_k - 1/2`` and ``p_{k+1} - 1/2`` of
    opposite signs: ``v = v_k + (1/2 - p_k) (v_{k+1} - v_k) / (p_{k+1} - p_k)``.
    """
    lever = summary.attrs["lever"]
    v = np.asarray(summary[lever].values, dtype=float)
    p = np.asarray(summary["p_below_zero"].sel(output=output).values, dtype=float) - 0.5
    for k in range(len(v) - 1):
        if p[k] == 0:
            return float(v[k])
        if p[k] * p[k + 1] < 0:
            return float(v[k] + (0 - p[k]) * (v[k + 1] - v[k]) / (p[k + 1] - p[k]))
    return float(v[-1]) if p[-1] == 0 else None
