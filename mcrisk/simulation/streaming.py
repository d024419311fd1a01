"""Summaries of runs too large to hold: two passes over chunks, exact order statistics.

:func:`summarize_chunked` gives the same Dataset as
``summarize(per_period(simulate(...), period_days))`` without ever holding more than one chunk
of samples. Every chunk is regenerated from its sample positions, so both passes see the same
numbers (see :mod:`mcrisk.sampling`).

* Pass 1, per chunk and output: the count of finite values, their sum, minimum, maximum and
  count below zero, and every ``stride``-th value (at most :data:`~mcrisk.core.thinning.SUBSAMPLE` values per output).
* Between passes: each order statistic the summary needs (the two neighbours of every
  percentile, and the ``ceil(0.05 n)``-th value for the expected shortfall) gets a bracket
  ``[lo, hi]`` from the subsample's ranks, widened by 6 binomial standard deviations.
* Pass 2, per chunk: the sum of squared deviations from the mean, and per bracket the count
  and sum of values below ``lo`` and the distinct values inside it with their counts (so ties,
  as in a constant or discrete output, cost nothing). The order statistics are then selected
  exactly; a bracket that missed its rank (about one time in 10^9) is widened and
  that pass repeated.

So min, max, the percentiles (numpy's default linear interpolation between the two order
statistics, the same floating-point operations as :func:`numpy.quantile`) and P(below zero)
are exactly those of the whole run; mean, std and ES05 are the same sums taken in another
order, equal to the in-memory values up to rounding (relative 1e-12). Every sum is taken over
blocks of :data:`~mcrisk.simulation.blocksums.BLOCK` samples at fixed sample positions (a block cut by a chunk's edge is put
together from its pieces first), and the blocks' sums are added by :func:`math.fsum` in order:
so the sums, and the mean, std and ES05, are the same to the last bit whatever the chunk size
or the number of workers.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from mcrisk.core.errors import MCRiskWarning, SpecError
from mcrisk.simulation.evaluate import chunks, evaluate, join_chunks, progress_bar
from mcrisk.core.statistics import PERCENTILES, STATISTICS, nonfinite_error, outputs_of, per_period
from mcrisk.sampling.design import sample, warn_unbalanced
from mcrisk.core.validate import NONFINITE, check_nonfinite
from mcrisk.core.thinning import SUBSAMPLE, thin_step
from mcrisk.simulation.blocksums import block_sums, fsum_blocks
from mcrisk.simulation.monthly import month_parts, month_statistics
from mcrisk.core.warned import guarded_warnings, warn

__all__ = ["run_chunk", "summarize_and_thin", "summarize_chunked"]

_BRACKET_SDS = 6.0  # bracket half-width in binomial standard deviations

Mapper = Callable[[Callable[..., Any], list[tuple]], list[Any]]


def run_chunk(model, priors, n: int, method: str, seed: int, period_days: float | None,
              start: int, stop: int) -> xr.Dataset:
    """Inputs and outputs of samples ``start:stop`` of a run, money restated per period.

    The warning that a Sobol' ``n`` is not a power of 2 is silenced here (the run warns once).

    Parameters
    ----------
    model
        A model callable (see :mod:`mcrisk.models`).
    priors
        The priors, one per model input.
    n
        Number of samples of the whole run (the design depends on it).
    method
        ``"random"``, ``"lhs"`` or ``"sobol"``.
    seed
        The run's integer seed.
    period_days
        Restate money per day per this many days, as :func:`mcrisk.core.statistics.per_period`; ``None``
        keeps per day.
    start, stop
        The samples wanted, ``stop`` exclusive.

    Returns
    -------
    xarray.Dataset
        Inputs and outputs over the ``stop - start`` samples, with the attr ``currency``.
    """
    with guarded_warnings():
        # Said once for the whole run by summarize_chunked, not once per chunk.
        warnings.filterwarnings("ignore", message="Sobol' designs keep", category=MCRiskWarning)
        ds = evaluate(model, sample(priors, n, method=method, rng=seed, start=start, stop=stop),
                      currency=priors.currency)
    ds.attrs["currency"] = priors.currency or ""
    return per_period(ds, period_days)


def _finite(ds: xr.Dataset, name: str) -> np.ndarray:
    x = np.asarray(ds[name].values, dtype=float).ravel()
    return x[np.isfinite(x)]


#: The keys of pass 1's kept rows and month sums (no output can be named so).
_ROWS, _MONTHS = "", " months"


def _pass1(job: tuple, start: int, stop: int, stride: int, row_stride: int = 0) -> dict[str, tuple]:
    *run, period_days = job
    raw = run_chunk(*run, None, start, stop)
    ds = per_period(raw, period_days)
    out = {}
    if row_stride:  # every row_stride-th sample, inputs and outputs as the model gave them
        # a copy: a strided view would keep the whole chunk alive in memory
        out[_ROWS] = raw.isel(sample=slice((-start) % row_stride, None, row_stride)).copy(deep=True)
    if months := month_parts(ds, start):  # per month of an output over months: counts and sums
        out[_MONTHS] = months
    first = (-start) % stride  # positions start + first, + stride, ... are multiples of stride
    for name in outputs_of(ds):
        raw = np.asarray(ds[name].values, dtype=float).ravel()
        sub = raw[first::stride]
        ok = np.isfinite(raw)
        x = raw[ok]
        out[name] = (x.size, block_sums(np.where(ok, raw, 0.0), start), float(x.min()) if x.size else math.inf,
                     float(x.max()) if x.size else -math.inf, int(np.count_nonzero(x < 0)),
                     sub[np.isfinite(sub)])
    return out


def _pass2(job: tuple, start: int, stop: int, means: dict[str, float],
           brackets: dict[str, list[tuple[float, float]]]) -> dict[str, tuple]:
    *run, period_days = job
    ds = per_period(run_chunk(*run, None, start, stop), period_days)
    out = {}
    for name, mean in means.items():
        raw = np.asarray(ds[name].values, dtype=float).ravel()
        ok = np.isfinite(raw)
        x = raw[ok]
        # sums over fixed blocks of samples (non-finite ones as 0): the same whatever the chunks
        ss = block_sums(np.where(ok, (raw - mean) ** 2, 0.0) if mean is not None else np.zeros(0), start)
        per = []
        for lo, hi in brackets.get(name, []):
            below = x < lo
            # Distinct values with counts: a constant or discrete output (ties) stays small.
            vals, counts = np.unique(x[~below & (x <= hi)], return_counts=True)
            tied = counts.size and counts.max() > 1
            per.append((int(np.count_nonzero(below)), block_sums(np.where(ok & (raw < lo), raw, 0.0), start), vals,
                        counts if tied else np.ones(0, dtype=np.int64)))
        out[name] = (ss, per)
    return out


def _serial(fn: Callable[..., Any], args: list[tuple], progress: bool = False, desc: str = "") -> list:

    bar = progress_bar(len(args), progress, desc=desc)
    out = []
    for a in args:
        out.append(fn(*a))
        bar.update(1)
    bar.close()
    return out


def _quantile_ranks(n: int, p: float) -> tuple[int, int, float]:
    # numpy.quantile, method="linear": the virtual index and weight exactly as numpy forms them.
    h = np.float64(n - 1) * p
    prev = float(np.floor(h))
    if h >= n - 1:
        return n - 1, n - 1, 0.0
    if h < 0:
        return 0, 0, 0.0
    return int(prev), int(prev) + 1, float(h - prev)


def _lerp(a: float, b: float, t: float) -> float:
    a, b, t = np.float64(a), np.float64(b), np.float64(t)
    diff = b - a
    return float(b - diff * (1 - t)) if t >= 0.5 else float(a + diff * t)


def summarize_chunked(model, priors, n: int, *, method: str = "random", seed: int = 0,
                      chunk_size: int | None = None, period_days: float | None = None,
                      progress: bool = False, mapper: Mapper | None = None,
                      attrs: dict[str, Any] | None = None, nonfinite: str = "drop") -> xr.Dataset:
    """The summary of an ``n``-sample run, computed chunk by chunk in bounded memory.

    As :func:`summarize_and_thin` with ``rows = 0``: only the summary.

    Parameters
    ----------
    model, priors, n, method, seed, chunk_size, period_days, progress, mapper, attrs, nonfinite
        As :func:`summarize_and_thin`.

    Returns
    -------
    xarray.Dataset
        The summary over ``output``, as :func:`mcrisk.analyze.risk.summarize`, in each output's units.

    Raises
    ------
    SpecError
        If ``nonfinite`` is not ``"drop"`` or ``"error"``, the model fails, or (with ``"error"``)
        an output is NaN or infinite.
    """
    return summarize_and_thin(model, priors, n, method=method, seed=seed, chunk_size=chunk_size,
                              period_days=period_days, progress=progress, mapper=mapper, attrs=attrs,
                              nonfinite=nonfinite)[0]


def summarize_and_thin(model, priors, n: int, *, method: str = "random", seed: int = 0,
                       chunk_size: int | None = None, period_days: float | None = None,
                       progress: bool = False, mapper: Mapper | None = None,
                       attrs: dict[str, Any] | None = None, nonfinite: str = "drop",
                       rows: int = 0) -> tuple[xr.Dataset, xr.Dataset | None]:
    """The summary of an ``n``-sample run, computed chunk by chunk in bounded memory.

    Parameters
    ----------
    model, priors, n, method, seed
        The run, as for :func:`mcrisk.simulate` (``seed`` an integer).
    chunk_size
        Samples per chunk (default ``2**20``); memory grows with it, the numbers do not.
    period_days
        Restate money per day per this many days, as :func:`mcrisk.core.statistics.per_period`.
    progress
        A progress bar per pass on stderr.
    mapper
        ``mapper(fn, [args, ...]) -> [fn(*args), ...]``; the default runs in this process,
        :mod:`mcrisk.simulation.distributed` passes one that runs the chunks on a dask cluster.
    attrs
        Extra attrs for the summary (provenance).
    rows
        Also keep every ``k``-th sample, ``k = thin_step(n, rows)`` (at most ``rows`` samples), inputs
        and outputs, from pass 1: the results the figures and the sample-based analyses of a
        run too large to hold are drawn from. 0 keeps none.
    nonfinite
        ``"drop"`` or ``"error"`` (see :data:`mcrisk.core.validate.NONFINITE`); ``"keep"`` needs the
        per-sample results and is refused here.

    Returns
    -------
    tuple of xarray.Dataset
        The summary, as :func:`mcrisk.analyze.risk.summarize` (one row per output, the statistics of
        :data:`mcrisk.core.statistics.STATISTICS` and ``n_valid``), and the kept samples over ``sample``
        (None when ``rows`` is 0), with attrs ``thinned_from`` (``n``) and ``thin_step`` (``k``).
    """
    if check_nonfinite(nonfinite) == "keep":
        raise SpecError("on_nonfinite = 'keep' needs the per-sample results, which --summary-only does not "
                        "keep; use 'drop' or 'error'")
    warn_unbalanced(method, n, stacklevel=3)
    spans = list(chunks(n, chunk_size or 2**20))
    job = (model, priors, n, method, seed, period_days)
    run = mapper or (lambda fn, args: _serial(fn, args, progress, desc=f"pass {fn.__name__[-1]}"))
    stride = thin_step(n, SUBSAMPLE)  # at most SUBSAMPLE values per output
    row_stride = thin_step(n, rows) if rows else 0
    first = run(_pass1, [(job, a, b, stride, row_stride) for a, b in spans])
    kept = [p.pop(_ROWS) for p in first if _ROWS in p]
    thinned = None
    if kept:
        thinned = join_chunks(kept)
        thinned.attrs.update(thinned_from=n, thin_step=row_stride)
    del kept
    months = [p.pop(_MONTHS) for p in first if _MONTHS in p]
    names = list(first[0])
    probe = run_chunk(*job, 0, 1)
    first = _merge_first(first, names)
    stats: dict[str, dict[str, float]] = {}
    wanted: dict[str, list[int]] = {}
    means: dict[str, float | None] = {}
    for name in names:
        count, total, lo, hi, neg, sub = first[name]
        if nonfinite == "error" and count < n and not probe[name].attrs.get("nan_means"):
            raise nonfinite_error(name, n - count, n)
        st = stats[name] = {"n": count, "sum": total, "sub": sub, "min": lo, "max": hi, "neg": neg}
        means[name] = total / count if count else None
        ranks = set()
        if count:
            for p in PERCENTILES.values():
                lo, hi, _ = _quantile_ranks(count, p)
                ranks.update((lo, hi))
            if (r := _es_rank(count, probe[name].attrs.get("bad"))) >= 0:
                ranks.add(r)
        wanted[name] = sorted(ranks)
        st["order"] = {}
    widen = 1.0
    pending = {k: list(v) for k, v in wanted.items()}
    sums_sq: dict[str, float] = {}
    es_parts: dict[str, tuple[int, float, np.ndarray]] = {}
    while any(pending.values()) or not sums_sq:
        per_rank = {name: [_bracket(stats[name], k, widen) for k in pending[name]] for name in names}
        # Neighbouring ranks (the two sides of a percentile) share one bracket.
        brackets = {name: sorted(set(v)) for name, v in per_rank.items()}
        second = run(_pass2, [(job, a, b, means, brackets) for a, b in spans])
        if not sums_sq:
            sums_sq = {name: fsum_blocks([p[name][0] for p in second]) for name in names}
        for name in names:
            st = stats[name]
            es_rank = _es_rank(st["n"], probe[name].attrs.get("bad")) if st["n"] else None
            parts = [[p[name][1][i] for p in second] for i in range(len(brackets[name]))]
            pending[name] = [k for r, k in enumerate(pending[name])
                             if not _order_statistic(st, k, parts[brackets[name].index(per_rank[name][r])],
                                                     es_rank, es_parts, name)]
        widen *= 8
    for name in names:
        if (bad := n - stats[name]["n"]) and not probe[name].attrs.get("nan_means"):
            warn(f"{name} is NaN or infinite in {bad:,} of {n:,} samples; its "
                          "statistics use the other samples", MCRiskWarning, stacklevel=2)
    attrs = {**(attrs or {}), "on_nonfinite": nonfinite, "nonfinite_policy": NONFINITE[nonfinite]}
    summary = _table(names, stats, means, sums_sq, es_parts, probe, attrs)
    if (by_month := month_statistics(months, probe)) is not None:
        summary = xr.merge([summary, by_month], combine_attrs="override")
    return summary, thinned


def _order_statistic(st: dict, k: int, parts: list, es_rank: int | None, es_parts: dict, name: str) -> bool:
    """Find the rank-``k`` value of an output in its bracket's second-pass parts; False if outside it.

    Each part is one chunk's ``(count below the bracket, sum below it, values inside, their
    weights)``; the value goes into ``st["order"][k]``, and at the expected shortfall's rank the
    sum of the values up to it into ``es_parts[name]``.
    """
    below = sum(p[0] for p in parts)
    vals, inv = np.unique(np.concatenate([p[2] for p in parts]), return_inverse=True)
    weights = np.concatenate([p[3] if p[3].size else np.ones(p[2].size, dtype=np.int64) for p in parts])
    counts = np.bincount(inv, weights=weights, minlength=vals.size).astype(np.int64)
    upto = below + np.cumsum(counts)  # ranks < upto[j] are <= vals[j]
    if not below <= k < (upto[-1] if upto.size else below):
        return False
    j = int(np.searchsorted(upto, k, side="right"))
    st["order"][k] = float(vals[j])
    if k == es_rank:  # the k + 1 smallest: all below lo, then vals in order
        take = np.minimum(counts[: j + 1], k + 1 - (upto[: j + 1] - counts[: j + 1]))
        es_parts[name] = (below, fsum_blocks([p[1] for p in parts]), vals[: j + 1] * take)
    return True


def _es_rank(n: int, bad: str | None) -> int:
    """The rank whose ``rank + 1`` smallest values the expected shortfall needs.

    Low side: the ``k = ceil(0.05 n)`` smallest. High side (a cost): the ``n - k`` smallest,
    whose sum taken from the total leaves the ``k`` largest; -1 when that is none of them.
    """
    k = max(1, math.ceil(0.05 * n))
    return n - k - 1 if bad == "high" else k - 1


def _merge_first(first: list[dict[str, tuple]], names: list[str]) -> dict[str, tuple]:
    # Output by output, dropping each chunk's subsample once merged, to keep one copy at a time.
    out = {}
    for name in names:
        parts = [p.pop(name) for p in first]
        out[name] = (sum(p[0] for p in parts), fsum_blocks([p[1] for p in parts]), min(p[2] for p in parts),
                     max(p[3] for p in parts), sum(p[4] for p in parts),
                     np.sort(np.concatenate([p[5] for p in parts])))
    return out


def _bracket(st: dict, k: int, widen: float) -> tuple[float, float]:
    sub, n = st["sub"], st["n"]
    if widen > 1e6 or sub.size == 0:
        return -math.inf, math.inf
    m = sub.size
    j = k * m / n
    half = widen * (_BRACKET_SDS * math.sqrt(max(j * (1 - j / m), 1.0)) + 2 + m / n)
    lo_i, hi_i = math.floor(j - half), math.ceil(j + half)
    lo = sub[lo_i] if lo_i > 0 else -math.inf
    hi = sub[hi_i] if hi_i < m - 1 else math.inf
    return float(lo), float(hi)


def _table(names: Sequence[str], stats, means, sums_sq, es_parts, probe: xr.Dataset,
           attrs: dict[str, Any]) -> xr.Dataset:
    rows: dict[str, list[float]] = {k: [] for k in STATISTICS}
    pct = PERCENTILES
    for name in names:
        st, n = stats[name], stats[name]["n"]
        if not n:
            for k in rows:
                rows[k].append(math.nan)
            continue
        std = math.sqrt(sums_sq[name] / (n - 1)) if n > 1 else 0.0
        p_neg = st["neg"] / n
        k_es = max(1, math.ceil(0.05 * n))
        below, s_below, head = es_parts.get(name, (0, 0.0, np.zeros(0)))
        s_es = s_below + math.fsum(head)
        if probe[name].attrs.get("bad") == "high":  # the k largest: the total less the n - k smallest
            s_es = st["sum"] - s_es
        values = {
            "mean": means[name], "std": std, "min": st["min"], "max": st["max"],
            "p_below_zero": p_neg, "es05": s_es / k_es,
            "se_mean": std / math.sqrt(n) if n > 1 else 0.0,
            "se_p_below_zero": math.sqrt(p_neg * (1 - p_neg) / n),
        }
        for key, p in pct.items():
            lo, hi, t = _quantile_ranks(n, p)
            values[key] = _lerp(st["order"][lo], st["order"][hi], t)
        for k in rows:
            rows[k].append(values.get(k, math.nan))
    units = [probe[name].attrs.get("units", "") for name in names]
    data = {k: ("output", np.array(v), {"long_name": STATISTICS[k][1]}) for k, v in rows.items()}
    data["n_valid"] = ("output", np.array([stats[k]["n"] for k in names], dtype=np.int64),
                       {"long_name": "finite samples"})
    return xr.Dataset(data, coords={"output": list(names), "units": ("output", units)}, attrs=attrs)
