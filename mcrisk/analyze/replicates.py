"""The replicates of a Latin hypercube or Sobol' precision run: how they are drawn, and their interval.

A run's replicates are numbered ``r = 0, 1, ...`` in the order drawn. Replicate ``r`` is the
``m_r``-point design of its method at its own seed (:func:`replicate_seed`; replicate ``0`` is
the study's own design at its seed), so it depends only on the seed, ``r`` and ``m_r``, never on
how replicates are grouped for the model calls, the chunk size or the workers.

The first batch is :data:`MIN_REPLICATES` replicates of ``m_0``; each later batch is at most
:data:`REPLICATES_PER_BATCH` replicates of one size ``m_b >= m_0`` (a power of 2 for Sobol')
chosen so that the batch is about the samples wanted (:func:`next_batch`). So a run draws a few
dozen designs whatever its first batch, and a batch of ``n`` samples costs about what the plain
run of ``n`` does.

Interval (:func:`replicate_half_width`). Replicates of one size ``c`` are independent and
identically distributed, so they form a class: ``R_c`` replicates with estimates ``x_ci``, mean
``xbar_c`` and sample variance ``s_c^2``. Replicates of different sizes are not identically
distributed (a Latin hypercube's variance falls like ``1/m``, a scrambled net's faster), so the
classes are combined as independent estimates of one quantity, each weighted by its share of
the samples, ``w_c = R_c c / N``:

    T = sum_c w_c xbar_c,    V = sum_c w_c^2 s_c^2 / R_c,
    half-width = t_{nu, 0.975} sqrt(V),    nu = V^2 / sum_c (w_c^2 s_c^2 / R_c)^2 / (R_c - 1)

(Welch-Satterthwaite degrees of freedom). For a mean or a probability ``T`` is exactly the
statistic of all samples pooled, which is the estimate reported; for a percentile the pooled
percentile and ``T`` agree to first order (Bahadur's representation makes a sample quantile a
mean of indicators), and ``V`` estimates the pooled percentile's variance. With one class (every
replicate of one size) it is the standard replicate interval ``t_{R-1} s / sqrt(R)`` of
randomised quasi-Monte Carlo and Latin hypercube sampling (A. B. Owen, *Monte Carlo theory,
methods and examples*, 2013, ch. 17, "Randomized quasi-Monte Carlo", on independent replicates
of a randomised design; B. L. Welch, "The generalization of Student's problem when several
different population variances are involved", Biometrika 34, 1947; F. E. Satterthwaite,
Biometrics Bulletin 2, 1946).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import xarray as xr
from scipy import stats

from mcrisk.sampling.design import sample, to_values, unit_design
from mcrisk.spec.priors import Priors

__all__ = ["MIN_REPLICATES", "REPLICATES_PER_BATCH", "REPLICATE_ROWS", "estimate", "next_batch", "per_replicate",
           "replicate_groups", "replicate_half_width", "replicate_inputs", "replicate_seed", "replicate_sizes"]

#: Replicates a Latin hypercube or Sobol' precision run starts with (for the t interval).
MIN_REPLICATES = 4
#: The most replicates a later batch holds: its designs cost about 1 ms each, so a batch costs a
#: few dozen ms besides its samples; 16 gives the batch's class 15 degrees of freedom.
REPLICATES_PER_BATCH = 16
#: Samples drawn and evaluated per model call (whole replicates, or a part of one larger replicate).
REPLICATE_ROWS = 2**16


def estimate(stat: str, y: np.ndarray) -> float:
    """The statistic ``stat`` (``mean``, ``p_below_zero``, ``p05`` ... ``p95``) of the values ``y``."""
    if stat == "mean":
        return float(y.mean())
    if stat == "p_below_zero":
        return float(np.mean(y < 0))
    return float(np.quantile(y, int(stat[1:]) / 100))


def _rows_estimate(stat: str, rows: np.ndarray) -> np.ndarray:
    if stat == "mean":
        return rows.mean(axis=1)
    if stat == "p_below_zero":
        return np.mean(rows < 0, axis=1)
    return np.quantile(rows, int(stat[1:]) / 100, axis=1)


def replicate_sizes(rep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, counts)`` of the replicates in ``rep``, as ``np.unique(rep, return_counts=True)``.

    A run's replicates are in increasing order: then one pass, not a sort.
    """
    if rep.size and (rep[1:] >= rep[:-1]).all():
        starts = np.r_[0, np.flatnonzero(rep[1:] != rep[:-1]) + 1]
        return rep[starts], np.diff(np.r_[starts, rep.size])
    return np.unique(rep, return_counts=True)


def per_replicate(stat: str, y: np.ndarray, rep: np.ndarray) -> np.ndarray:
    """The statistic of each replicate's values, replicates in increasing order.

    One sort groups the replicates (a run's are already in order, and stay so); each run of
    consecutive replicates of equal size is a matrix reduced along its rows in one call, with
    the same arithmetic per row as on the replicate alone.
    """
    order = np.argsort(rep, kind="stable")
    y, rep = y[order], rep[order]
    cuts = np.flatnonzero(rep[1:] != rep[:-1]) + 1
    sizes = np.diff(np.r_[0, cuts, rep.size])
    starts = np.r_[0, cuts]
    runs = np.r_[0, np.flatnonzero(sizes[1:] != sizes[:-1]) + 1, sizes.size]
    out = [_rows_estimate(stat, y[starts[a]:starts[a] + (b - a) * sizes[a]].reshape(b - a, sizes[a]))
           for a, b in itertools.pairwise(runs) if b > a]
    return np.concatenate(out) if out else np.empty(0)


def replicate_half_width(per: np.ndarray, size: np.ndarray) -> float:
    """The 95% half-width from the replicate estimates ``per`` of replicates of ``size`` samples.

    See the module docstring: classes of equal size weighted by their samples, Welch-Satterthwaite
    degrees of freedom; ``inf`` when a class has fewer than 2 replicates.
    """
    classes = np.unique(size)
    if classes.size == 1:  # the textbook interval, in its own arithmetic
        if per.size < 2:
            return math.inf
        return float(stats.t.ppf(0.975, per.size - 1) * per.std(ddof=1) / math.sqrt(per.size))
    total = float(np.sum(size))
    parts, dfs = [], []
    for c in classes:
        x = per[size == c]
        if x.size < 2:
            return math.inf
        w = x.size * float(c) / total
        parts.append(w * w * x.var(ddof=1) / x.size)
        dfs.append(x.size - 1)
    v = float(np.sum(parts))
    if v == 0:
        return 0.0
    nu = v * v / float(np.sum(np.square(parts) / np.asarray(dfs)))
    return float(stats.t.ppf(0.975, nu) * math.sqrt(v))


def replicate_seed(seed: int, r: int) -> int:
    """Replicate ``r``'s seed: the run's own for ``r = 0``, else an independent stream of it."""
    if r == 0:
        return seed
    return int(np.random.SeedSequence(seed, spawn_key=(0x7072, r)).generate_state(1, np.uint64)[0] >> 1)


def next_batch(room: int, want: int, m0: int, sobol: bool) -> tuple[int, int] | None:
    """``(replicates, size)`` of the next batch: about ``want`` samples within ``room``, or ``None``.

    At least 2 replicates (a class's variance) of at least ``m0`` samples (Sobol': a power of 2),
    at most :data:`REPLICATES_PER_BATCH`; ``None`` when not even 2 replicates of ``m0`` fit.
    """
    want = min(room, max(want, 2 * m0))
    m = max(m0, want // REPLICATES_PER_BATCH)
    if sobol:  # the largest power of 2 not above m (m0 is one)
        m = 1 << (m.bit_length() - 1)
    r = min(REPLICATES_PER_BATCH, want // m)
    return (r, m) if r >= 2 else None


def replicate_groups(first: int, count: int, m: int) -> list[list[tuple[int, int, int, int]]]:
    """Replicates ``first:first + count`` of ``m`` samples as groups of at most :data:`REPLICATE_ROWS` rows.

    Each group is a list of pieces ``(r, m, lo, hi)``, rows ``lo:hi`` of replicate ``r``: whole
    replicates when ``m <= REPLICATE_ROWS``, else consecutive parts of one replicate.
    """
    if m <= REPLICATE_ROWS:
        per = REPLICATE_ROWS // m
        return [[(r, m, 0, m) for r in range(a, min(first + count, a + per))]
                for a in range(first, first + count, per)]
    return [[(r, m, lo, min(m, lo + REPLICATE_ROWS))] for r in range(first, first + count)
            for lo in range(0, m, REPLICATE_ROWS)]


def replicate_inputs(priors: Priors, method: str, seed: int, pieces: Sequence[tuple[int, int, int, int]],
                     start: int) -> xr.Dataset:
    """The rows of ``pieces`` (see :func:`replicate_groups`) as one inputs Dataset from sample ``start``.

    Rows ``lo:hi`` of replicate ``r`` are those of ``sample(priors, m, method=method,
    rng=replicate_seed(seed, r))``, bit for bit: its own design (:func:`unit_design` at its own
    seed; any rows of it), then the copula and each prior's inverse CDF, which act row by row,
    applied to all the pieces' rows in one call. So the draws do not depend on the grouping.
    The Dataset has a ``replicate`` coordinate.
    """
    names = priors.uncertain
    u = np.concatenate([unit_design(method, len(names), m, seed=replicate_seed(seed, r), start=lo, stop=hi)
                        for r, m, lo, hi in pieces])
    values = to_values(priors, u, names) if names else {}
    r, m = pieces[0][:2]
    head = sample(priors, m, method=method, rng=replicate_seed(seed, r), stop=1)  # attrs, as a replicate's
    data = {k: (("sample",), values[k], v.attrs) if k in values else v for k, v in head.data_vars.items()}
    rep = np.concatenate([np.full(hi - lo, r) for r, _, lo, hi in pieces])
    return xr.Dataset(data, coords={"sample": np.arange(start, start + rep.size), "replicate": ("sample", rep)},
                      attrs=head.attrs)
