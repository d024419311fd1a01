"""Simulation: run a model over sampled inputs and keep inputs, outputs and provenance together."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xarray as xr

from mcrisk.simulation.distributed import check_workers, client, dask_mapper, simulate_dask
from mcrisk.core.errors import MCRiskWarning, SpecError
from mcrisk.simulation.evaluate import call_model, check_inputs, chunks, evaluate, join_chunks, progress_bar
from mcrisk.models import model_name
from mcrisk.spec.callcheck import conform_call, conform_inputs
from mcrisk.spec.priors import Priors, priors_text
from mcrisk.sampling.design import Method, normalize_seed, sample, warn_unbalanced
from mcrisk.simulation.streaming import summarize_and_thin
from mcrisk.core.thinning import THINNED_ROWS
from mcrisk.core.validate import NonFinite, check_method, check_samples
from mcrisk.core.version import __version__, library_versions
from mcrisk.core.warned import warn

# call_model, check_inputs, chunks and evaluate live in mcrisk.simulation.evaluate; importable from here too.
__all__ = ["call_model", "check_inputs", "chunks", "evaluate", "simulate", "simulate_summary", "simulate_thinned"]


def simulate(model: Callable, priors: Priors | xr.Dataset, n: int | None = None, *, method: Method = "random",
             rng: int | np.random.Generator | None = None, chunk_size: int | None = None,
             progress: bool = False, workers: int | None = None,
             scheduler: str | None = None) -> xr.Dataset:
    """Evaluate the model on every sample: of the priors (drawn here) or of an inputs Dataset.

    ``simulate(model, priors, n, method=..., rng=...)`` draws and evaluates in one call;
    ``simulate(model, sample(priors, n, ...))`` evaluates inputs drawn before, so one draw can
    feed several models or analyses (the results are the same, bit for bit).

    Parameters
    ----------
    model
        A model callable (see :mod:`mcrisk.models`).
    priors
        One prior per model input (inputs the model defaults may be left out), or an inputs
        Dataset over ``sample`` from :func:`mcrisk.sampling.design.sample`, whose attrs (method, seed,
        samples, currency, priors) then become the results' provenance.
    n
        Number of samples (with priors; an inputs Dataset has its own).
    method
        ``"random"``, ``"lhs"`` or ``"sobol"``.
    rng
        Integer seed or numpy Generator; the seed used is stored in the result.
    chunk_size
        Evaluate this many samples at a time; the result does not depend on it.
    progress
        Show a progress bar on stderr.
    workers, scheduler
        Run the chunks on a local dask cluster of ``workers`` processes, or on the
        dask.distributed cluster at ``scheduler`` (``"tcp://host:8786"``); needs
        ``pip install 'mcrisk[dask]'``. The result is the same, bit for bit.

    Returns
    -------
    xarray.Dataset
        Every input and output over ``sample``, with ``units`` and ``long_name``; attrs
        ``model``, ``method``, ``seed``, ``samples``, ``currency``, ``mcrisk_version``,
        ``versions`` (mcrisk, Python and the libraries that made the numbers), ``priors``
        (the text of every priors file) and, when a prior's unit was converted,
        ``unit_conversions`` (one line each).

    Raises
    ------
    SpecError
        As a study file would: a prior whose unit cannot be converted to its model input's, or
        whose range leaves the input's domain (:func:`mcrisk.spec.callcheck.conform_call`).

    Warns
    -----
    MCRiskWarning
        ``unit converted: ...`` for each prior converted to its model input's unit (a price in
        USD/1K tokens for an input in USD/1M tokens: its draws times 1,000).

    Examples
    --------
    >>> from mcrisk import load_priors, simulate
    >>> from mcrisk.models import maas
    >>> ds = simulate(maas, load_priors("priors/deepseek-2025-02-27.toml"), 1000, rng=0)
    >>> float(ds.cost_profit_margin.mean()).__round__(2)
    5.45
    """
    if isinstance(priors, xr.Dataset):
        return _simulate_inputs(model, priors, chunk_size=chunk_size, progress=progress,
                                distributed=workers is not None or scheduler is not None)
    check_inputs(model, list(priors))
    priors, converted = conform_call(model, priors, where="simulate", stacklevel=3)
    n, method = check_samples(n), check_method(method)
    seed = normalize_seed(rng)
    if workers is not None or scheduler is not None:
        warn_unbalanced(method, n, stacklevel=3)
        with client(workers, scheduler) as c:
            check_workers(c, model, priors, method, seed)
            ds = simulate_dask(model, priors, int(n), method=method, seed=seed, chunk_size=chunk_size,
                               client=c)
    else:
        ds = _evaluate_chunks(model, n, chunk_size, progress, priors.currency,
                              lambda a, b: sample(priors, n, method=method, rng=seed, start=a, stop=b))
    _count_nonfinite(ds, n)
    on_dask = workers is not None or scheduler is not None
    ds.attrs.update(_provenance(model, priors, n, method, seed, converted, dask=on_dask))
    return ds


def _evaluate_chunks(model: Callable, n: int, chunk_size: int | None, progress: bool, currency: str | None,
                     inputs_of: Callable[[int, int], xr.Dataset]) -> xr.Dataset:
    """:func:`evaluate` on the inputs of each chunk ``inputs_of(start, stop)``, joined."""
    spans = list(chunks(n, chunk_size))
    bar = progress_bar(len(spans), progress, desc="simulate")
    parts = []
    for start, stop in spans:
        parts.append(evaluate(model, inputs_of(start, stop), currency=currency))
        bar.update(1)
    bar.close()
    return join_chunks(parts)


def _simulate_inputs(model: Callable, inputs: xr.Dataset, *, chunk_size: int | None, progress: bool,
                     distributed: bool) -> xr.Dataset:
    """:func:`simulate` of an inputs Dataset: evaluated chunk by chunk, provenance from its attrs."""
    if distributed:
        raise SpecError("workers and scheduler need the priors, not drawn inputs: each worker draws its own "
                        "chunk (pass the priors and n)")
    if "sample" not in inputs.dims:
        raise SpecError(f"inputs has dimensions {tuple(inputs.dims)}; simulate needs an inputs Dataset over "
                        "'sample' (from mcrisk.sample)")
    check_inputs(model, list(inputs.data_vars))
    inputs, converted = conform_inputs(model, inputs, where="simulate", stacklevel=4)
    n = inputs.sizes["sample"]
    ds = _evaluate_chunks(model, n, chunk_size, progress, inputs.attrs.get("currency") or None,
                          lambda a, b: inputs.isel(sample=slice(a, b)))
    _count_nonfinite(ds, n)
    a = inputs.attrs
    ds.attrs.update({**a, "model": model_name(model), "mcrisk_version": __version__,
                     "versions": library_versions()})
    ds.attrs.setdefault("samples", n)
    ds.attrs.setdefault("currency", "")
    if converted:
        ds.attrs["unit_conversions"] = "\n".join(converted)
    return ds


def _count_nonfinite(ds: xr.Dataset, n: int) -> None:
    for name, var in ds.data_vars.items():
        if var.attrs.get("role") == "output":
            var.attrs["nonfinite"] = bad = int(np.count_nonzero(~np.isfinite(var.values)))
            if bad and not var.attrs.get("nan_means"):  # a NaN that is an answer ("never pays back") is no failure
                warn(f"{name} is NaN or infinite in {bad:,} of {n:,} samples; its "
                              "statistics use the other samples", MCRiskWarning, stacklevel=3)


def _provenance(model: Callable, priors: Priors, n: int, method: str, seed: int,
                converted: tuple[str, ...] = (), *, dask: bool = False) -> dict:
    said = {"unit_conversions": "\n".join(converted)} if converted else {}  # as a study run's results
    return {
        "model": model_name(model),
        "method": method,
        "seed": seed,
        "samples": n,
        "currency": priors.currency or "",
        "mcrisk_version": __version__,
        "versions": library_versions(dask=dask),
        "priors": priors_text(priors),
        **said,
    }


def simulate_summary(model: Callable, priors: Priors, n: int, *, method: Method = "random",
                     rng: int | np.random.Generator | None = None, chunk_size: int | None = None,
                     period_days: float | None = None, progress: bool = False,
                     workers: int | None = None, scheduler: str | None = None,
                     nonfinite: NonFinite = "drop") -> xr.Dataset:
    """The risk summary of an ``n``-sample run, in memory bounded by ``chunk_size``.

    The same Dataset as ``summarize(per_period(simulate(...), period_days))``, with the
    provenance attrs of :func:`simulate`, but no per-sample results are ever held: two passes
    over the chunks (see :mod:`mcrisk.simulation.streaming`). Percentiles, min, max and P(below zero) are
    exact; mean, std and ES05 agree with the in-memory values to rounding (relative 1e-12).
    ``workers``/``scheduler`` run the chunks on a dask cluster as in :func:`simulate`.
    ``nonfinite`` is ``"drop"`` or ``"error"`` (:data:`mcrisk.core.validate.NONFINITE`).

    Parameters
    ----------
    model
        A model callable (see :mod:`mcrisk.models`).
    priors
        One prior per model input (inputs the model defaults may be left out).
    n
        Number of samples.
    method
        ``"random"``, ``"lhs"`` or ``"sobol"``.
    rng
        Integer seed or numpy Generator; ``None`` for fresh entropy. The seed used is stored in
        the summary's attrs.
    chunk_size
        Samples per chunk (default ``2**20``); memory grows with it, the numbers do not.
    period_days
        Restate money per day per this many days (30: per month), as
        :func:`mcrisk.core.statistics.per_period`; ``None`` keeps per day.
    progress
        Show a progress bar per pass on stderr.
    workers, scheduler
        Run the chunks on a local dask cluster of ``workers`` processes, or on the
        dask.distributed cluster at ``scheduler`` (``"tcp://host:8786"``), as in
        :func:`simulate`.
    nonfinite
        ``"drop"`` or ``"error"``; ``"keep"`` needs the per-sample results and is refused.

    Returns
    -------
    xarray.Dataset
        The summary over ``output``, as :func:`mcrisk.analyze.risk.summarize` (the statistics of
        :data:`mcrisk.core.statistics.STATISTICS` and ``n_valid``), in each output's units (money per
        ``period_days``), with the provenance attrs of :func:`simulate`.

    Raises
    ------
    SpecError
        If the priors do not match the model's inputs, ``n``, ``method``, ``rng``,
        ``chunk_size`` or ``nonfinite`` is not allowed, the model fails, or (with ``"error"``)
        an output is NaN or infinite.

    Examples
    --------
    >>> s = simulate_summary(maas, priors, 10**8, rng=1, chunk_size=2**20, progress=True)
    """
    check_inputs(model, list(priors))
    priors, converted = conform_call(model, priors, where="simulate_summary", stacklevel=3)  # said here, once
    summary = simulate_thinned(model, priors, n, method=method, rng=rng, chunk_size=chunk_size,
                               period_days=period_days, progress=progress, workers=workers,
                               scheduler=scheduler, nonfinite=nonfinite, rows=0)[0]
    if converted:
        summary.attrs["unit_conversions"] = "\n".join(converted)
    return summary


def simulate_thinned(model: Callable, priors: Priors, n: int, *, method: Method = "random",
                     rng: int | np.random.Generator | None = None, chunk_size: int | None = None,
                     period_days: float | None = None, progress: bool = False,
                     workers: int | None = None, scheduler: str | None = None,
                     nonfinite: NonFinite = "drop", rows: int = THINNED_ROWS) -> tuple[xr.Dataset, xr.Dataset | None]:
    """The exact summary of an ``n``-sample run and every ``k``-th of its samples, in bounded memory.

    For runs too large to hold (``mcrisk run`` above :data:`mcrisk.study.IN_MEMORY`): the
    summary as :func:`simulate_summary`, and the samples at positions ``0, k, 2k, ...``
    (``k = ceil(n / rows)``) with inputs and outputs, kept from the first pass, for the
    figures, the rank correlations and the loss attribution. Memory: one chunk per process,
    plus the kept rows.

    Parameters
    ----------
    model, priors, n, method, rng, chunk_size, period_days, progress, workers, scheduler, nonfinite
        As :func:`simulate_summary`.
    rows
        At most this many samples kept (0: none).

    Returns
    -------
    tuple of xarray.Dataset
        The summary, and the kept samples (``None`` when ``rows`` is 0) with the provenance attrs
        of :func:`simulate` and ``thinned_from``, ``thin_step``.
    """
    check_inputs(model, list(priors))
    priors, converted = conform_call(model, priors, where="simulate_thinned", stacklevel=3)
    n, method = check_samples(n), check_method(method)
    seed = normalize_seed(rng)
    on_dask = workers is not None or scheduler is not None
    attrs = _provenance(model, priors, int(n), method, seed, converted, dask=on_dask)
    if period_days and period_days != 1:
        attrs["period_days"] = period_days
    kw = dict(method=method, seed=seed, chunk_size=chunk_size, period_days=period_days,
              progress=progress, attrs=attrs, nonfinite=nonfinite, rows=rows)
    if not on_dask:
        summary, thinned = summarize_and_thin(model, priors, int(n), **kw)
    else:
        with client(workers, scheduler) as c:
            check_workers(c, model, priors, method, seed)
            summary, thinned = summarize_and_thin(model, priors, int(n), mapper=dask_mapper(c, progress, model),
                                                  **kw)
    if thinned is not None:
        thinned.attrs = {**_provenance(model, priors, int(n), method, seed, converted, dask=on_dask), **thinned.attrs}
    return summary, thinned
