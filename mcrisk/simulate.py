"""Simulation: run a model over sampled inputs and keep inputs, outputs and provenance together."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator

import numpy as np
import xarray as xr

from .errors import MCRiskWarning, SpecError
from .models import Var, model_inputs, model_name
from .priors import Priors
from .sampling import Method, normalize_seed, sample, warn_unbalanced
from .validate import check_method, check_samples, show_key
from .version import __version__, library_versions

__all__ = ["call_model", "check_inputs", "chunks", "evaluate", "simulate", "simulate_summary"]


def check_inputs(model: Callable, names: list[str] | tuple[str, ...], *, where: str = "inputs") -> None:
    """Raise SpecError unless ``names`` covers the model's required inputs and nothing else."""
    required, optional, anykw = model_inputs(model)
    if missing := [k for k in required if k not in names]:
        raise SpecError(f"{where}: model {model_name(model)} needs {', '.join(missing)}, which "
                        "no prior or input gives")
    if not anykw and (unknown := [k for k in names if k not in required and k not in optional]):
        raise SpecError(f"{where}: {show_key(unknown[0])} is not an input of model {model_name(model)}; its "
                        f"inputs: {', '.join([*required, *optional])}")


def _unit(var: Var | None, currency: str | None) -> tuple[str, str]:
    if var is None:
        return "", ""
    return var.unit_in(currency), var.long_name


def call_model(model: Callable, kwargs: dict) -> dict:
    """``model(**kwargs)``, with an exception from the model's own code as a one-line SpecError.

    Set the environment variable ``MCRISK_DEBUG=1`` to get the model's traceback instead.
    """
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return model(**kwargs)
    except Exception as exc:
        if os.environ.get("MCRISK_DEBUG"):
            raise
        raise SpecError(f"model {model_name(model)} raised {exc.__class__.__name__}: {exc} "
                        "(MCRISK_DEBUG=1 shows the traceback)") from None


def evaluate(model: Callable, inputs: xr.Dataset, *, currency: str | None = None) -> xr.Dataset:
    """Call ``model`` on the variables of ``inputs`` and return inputs and outputs together.

    Each output gets ``units`` and ``long_name`` from the model's ``outputs`` description and
    is broadcast along ``sample``; NaN or infinite values are counted in its ``nonfinite`` attr.
    """
    kwargs = {k: v.values if v.ndim else float(v) for k, v in inputs.data_vars.items()}
    result = call_model(model, kwargs)
    if not isinstance(result, dict):
        raise SpecError(f"model {model_name(model)} returned {type(result).__name__}; a model "
                        "must return a dict of output arrays")
    n = inputs.sizes.get("sample", 1)
    meta = getattr(model, "outputs", {})
    out = inputs.copy()
    held = [v.values for v in inputs.data_vars.values()]
    for name, values in result.items():
        try:
            values = _own(values, n, held)
        except (ValueError, TypeError):
            raise SpecError(f"model {model_name(model)} returned output {name} of shape "
                            f"{np.shape(values)}; a model must return arrays of the inputs' length "
                            f"({n}) or scalars") from None
        unit, long_name = _unit(meta.get(name), currency)
        bad = int(np.count_nonzero(~np.isfinite(values)))
        out[name] = ("sample", values, {"units": unit, "long_name": long_name or name,
                                        "role": "output", "nonfinite": bad})
    for name in inputs.data_vars:
        out[name].attrs["role"] = "input"
        unit, long_name = _unit(getattr(model, "inputs", {}).get(name), currency)
        if unit and not out[name].attrs.get("units"):
            out[name].attrs["units"] = unit
        if long_name:
            out[name].attrs["long_name"] = long_name
    return out


def _own(values, n: int, held: list[np.ndarray]) -> np.ndarray:
    """``values`` as a float array of length ``n`` that no input shares (copied only if needed)."""
    arr = np.asarray(values, dtype=float)
    if (arr.shape == (n,) and arr.base is None and arr.flags.writeable
            and not any(np.may_share_memory(arr, h) for h in held)):
        return arr  # a fresh array the model made: keep it rather than hold two copies
    return np.array(np.broadcast_to(arr, (n,)))


def chunks(n: int, chunk_size: int | None) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive chunks covering ``range(n)``."""
    size = n if not chunk_size else int(chunk_size)
    if size < 1:
        raise SpecError(f"chunk_size = {chunk_size!r} must be a positive integer")
    for start in range(0, n, size):
        yield start, min(n, start + size)


def simulate(model: Callable, priors: Priors, n: int, *, method: Method = "random",
             rng: int | np.random.Generator | None = None, chunk_size: int | None = None,
             progress: bool = False, workers: int | None = None,
             scheduler: str | None = None) -> xr.Dataset:
    """Sample the priors ``n`` times and evaluate the model on every sample.

    Parameters
    ----------
    model
        A model callable (see :mod:`mcrisk.models`).
    priors
        One prior per model input; inputs the model defaults may be left out.
    n
        Number of samples.
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
        ``versions`` (mcrisk, Python and the libraries that made the numbers) and ``priors``
        (the text of every priors file).

    Examples
    --------
    >>> from mcrisk import load_priors, simulate
    >>> from mcrisk.models import maas
    >>> ds = simulate(maas, load_priors("priors/deepseek-2025-02-27.toml"), 1000, rng=0)
    >>> float(ds.cost_profit_margin.mean()).__round__(2)
    5.45
    """
    check_inputs(model, list(priors))
    n, method = check_samples(n), check_method(method)
    seed = normalize_seed(rng)
    if workers is not None or scheduler is not None:
        from .distributed import client, simulate_dask

        warn_unbalanced(method, n, stacklevel=3)
        with client(workers, scheduler) as c:
            ds = simulate_dask(model, priors, int(n), method=method, seed=seed, chunk_size=chunk_size,
                               client=c)
    else:
        parts = []
        spans = list(chunks(n, chunk_size))
        bar = _progress(len(spans), progress, desc="simulate")
        for start, stop in spans:
            parts.append(evaluate(model, sample(priors, n, method=method, rng=seed, start=start,
                                                stop=stop), currency=priors.currency))
            bar.update(1)
        bar.close()
        ds = parts[0] if len(parts) == 1 else xr.concat(parts, dim="sample", data_vars="minimal",
                                                        coords="minimal", compat="override")
    for name, var in ds.data_vars.items():
        if var.attrs.get("role") == "output":
            var.attrs["nonfinite"] = bad = int(np.count_nonzero(~np.isfinite(var.values)))
            if bad:
                warnings.warn(f"{name} is NaN or infinite in {bad:,} of {n:,} samples; its "
                              "statistics use the other samples", MCRiskWarning, stacklevel=2)
    ds.attrs.update(_provenance(model, priors, n, method, seed))
    return ds


def _provenance(model: Callable, priors: Priors, n: int, method: str, seed: int) -> dict:
    return {
        "model": model_name(model),
        "method": method,
        "seed": seed,
        "samples": n,
        "currency": priors.currency or "",
        "mcrisk_version": __version__,
        "versions": library_versions(),
        "priors": "\n\n".join(f"# {path}\n{text}" for path, text in priors.texts),
    }


def simulate_summary(model: Callable, priors: Priors, n: int, *, method: Method = "random",
                     rng: int | np.random.Generator | None = None, chunk_size: int | None = None,
                     period_days: float | None = None, progress: bool = False,
                     workers: int | None = None, scheduler: str | None = None,
                     nonfinite: str = "drop") -> xr.Dataset:
    """The risk summary of an ``n``-sample run, in memory bounded by ``chunk_size``.

    The same Dataset as ``summarize(per_period(simulate(...), period_days))``, with the
    provenance attrs of :func:`simulate`, but no per-sample results are ever held: two passes
    over the chunks (see :mod:`mcrisk.streaming`). Percentiles, min, max and P(below zero) are
    exact; mean, std and ES05 agree with the in-memory values to rounding (relative 1e-12).
    ``workers``/``scheduler`` run the chunks on a dask cluster as in :func:`simulate`.
    ``nonfinite`` is ``"drop"`` or ``"error"`` (:data:`mcrisk.risk.NONFINITE`).

    Examples
    --------
    >>> s = simulate_summary(maas, priors, 10**8, rng=1, chunk_size=2**20, progress=True)
    """
    from .streaming import summarize_chunked

    check_inputs(model, list(priors))
    n, method = check_samples(n), check_method(method)
    seed = normalize_seed(rng)
    attrs = _provenance(model, priors, int(n), method, seed)
    if period_days and period_days != 1:
        attrs["period_days"] = period_days
    kw = dict(method=method, seed=seed, chunk_size=chunk_size, period_days=period_days,
              progress=progress, attrs=attrs, nonfinite=nonfinite)
    if workers is None and scheduler is None:
        return summarize_chunked(model, priors, int(n), **kw)
    from .distributed import client, dask_mapper

    with client(workers, scheduler) as c:
        return summarize_chunked(model, priors, int(n), mapper=dask_mapper(c), **kw)


class _NoBar:
    def update(self, k: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, show: bool, desc: str):
    if not show or total <= 1:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="chunk", leave=False)
