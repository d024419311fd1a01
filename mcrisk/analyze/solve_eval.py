"""The statistic of a solve's target at each lever value tried: from samples held, or streamed in chunks.

:func:`mcrisk.analyze.solve.solve` asks for the target's statistic, and the two bounds of its
95% interval, at batches of lever values (the grid, then the bisection steps of its three roots
in lockstep). :func:`in_memory` evaluates them on other inputs drawn once and held;
:func:`streamed` holds none: every batch is one pass over the run's chunks, each chunk's inputs
drawn again from its sample positions (the same numbers as the whole run's, see
:mod:`mcrisk.sampling`), so memory is one chunk of inputs plus, per target:

* probability ``P(y > t)``: two counts per lever value (hits and finite samples), exact;
* percentile or mean: the target output's finite values at one lever value, ``8 n`` bytes
  (every value is held for ``np.quantile`` and the order-statistic bounds, which are then
  exactly the in-memory ones); one lever value per pass.

Either way the statistics are those of the in-memory evaluation, bit for bit (the samples, the
model's arithmetic on them and the reductions are the same), whatever the chunk size.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import xarray as xr

from mcrisk.analyze.intervals import order_ranks
from mcrisk.core.errors import MCRiskWarning, SpecError
from mcrisk.core.statistics import Z95_TWO_SIDED
from mcrisk.core.warned import guarded_warnings
from mcrisk.sampling.design import sample
from mcrisk.simulation.evaluate import call_model, chunks
from mcrisk.spec.decision_tables import Target
from mcrisk.spec.priors import Priors

__all__ = ["BOUNDS", "in_memory", "probability", "statistic", "streamed"]

#: The statistics computed at each lever value: the lower bound, the estimate, the upper bound.
BOUNDS = (-1, 0, 1)

Stats = dict[float, tuple[float, float, float]]


def probability(target: Target, hits: int, n: int, bound: int = 0) -> float:
    """A probability target's estimate ``hits / n``, or a bound of its interval (see :func:`statistic`).

    Parameters
    ----------
    target
        A probability target.
    hits, n
        Finite samples where the event happens, and finite samples.
    bound
        0, -1 or +1.

    Returns
    -------
    float
    """
    p = float(hits) / n
    if bound:
        r, s = order_ranks(n, target.level)
        # the level where this rank is reached, moved onto the target's level; for "<=" the
        # rank below, so the answer's bounds are the same order statistics as for ">="
        k = (r if bound < 0 else s) - (target.comparison == "<=")
        p -= k / n - target.level
    return p


def statistic(target: Target, y: np.ndarray, bound: int = 0) -> float:
    """The target's statistic of the finite values ``y`` (``bound`` 0), or a bound of its 95% interval.

    Parameters
    ----------
    target
        The target.
    y
        The output's finite values at one lever value.
    bound
        0: the estimate; -1 / +1: the lower / upper end of the statistic's 95% interval, as
        used to bound the answer (see :func:`solve`).

    Returns
    -------
    float

    Notes
    -----
    Probability ``p = P(y > t)``: the estimate is ``#{y_i > t} / n``; a bound is the estimate
    minus ``r/n - level`` or ``s/n - level`` (ranks of :func:`order_ranks` for
    ``q = level``; one rank less for ``<=``): the answer's interval is then the order-statistic interval of the
    per-sample break-even lever values. Percentile ``q``: ``np.quantile`` (linear), the bounds
    the order statistics ``y_(r)``, ``y_(s)``. Mean: ``mean +- 1.96 s / sqrt(n)``.
    """
    n = y.size
    if n == 0:
        return math.nan
    if target.kind == "probability":
        return probability(target, int(np.count_nonzero(target.event.happens(y))), n, bound)
    if target.kind == "quantile":
        if not bound:
            return float(np.quantile(y, target.q))
        r, s = order_ranks(n, target.q)
        k = r if bound < 0 else s
        if not 1 <= k <= n:  # too few draws to bound this end
            return -math.inf if k < 1 else math.inf
        return float(np.partition(y, k - 1)[k - 1])
    m = float(y.mean())
    se = float(y.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
    return m + bound * Z95_TWO_SIDED * se



def _output(model: Callable, kwargs: dict, lever: str, v: float, target: Target, n: int) -> np.ndarray:
    """The target output at lever value ``v``, its finite values only."""
    out = call_model(model, {**kwargs, lever: v})
    if target.output not in out:
        raise SpecError(f"target {target.text!r}: {target.output!r} is not an output of the model; "
                        f"outputs: {', '.join(out)}")
    y = np.broadcast_to(np.asarray(out[target.output], dtype=float), (n,))
    return y[np.isfinite(y)]


def _kwargs(inputs: xr.Dataset) -> dict:
    return {k: v.values if v.ndim else float(v) for k, v in inputs.data_vars.items()}


def in_memory(model: Callable, lever: str, target: Target, inputs: xr.Dataset) -> Callable[[Sequence[float]], Stats]:
    """An evaluator on the other inputs held: lever values -> (lower, estimate, upper) of the statistic.

    Parameters
    ----------
    model, lever, target
        As :func:`mcrisk.analyze.solve.solve`.
    inputs
        The other inputs (:func:`mcrisk.analyze.sweep.lever_inputs`).

    Returns
    -------
    callable
    """
    kwargs, n = _kwargs(inputs), inputs.sizes["sample"]

    def evaluate(values: Sequence[float]) -> Stats:
        out = {}
        for v in values:
            y = _output(model, kwargs, lever, v, target, n)
            out[v] = tuple(statistic(target, y, b) for b in BOUNDS)
        return out

    return evaluate


def streamed(model: Callable, others: Priors, lever: str, target: Target, n: int, *, method: str, seed: int,
             chunk_size: int) -> Callable[[Sequence[float]], Stats]:
    """An evaluator that holds no inputs: each batch of lever values is one pass over the chunks.

    Parameters
    ----------
    model, lever, target
        As :func:`mcrisk.analyze.solve.solve`.
    others
        The priors of every input but the lever (conformed to the model).
    n, method, seed
        The run: samples, design, integer seed.
    chunk_size
        Samples per chunk.

    Returns
    -------
    callable
        As :func:`in_memory`'s; a percentile or mean target takes its lever values one pass each.
    """
    spans = list(chunks(n, chunk_size))

    def one_pass(values: Sequence[float]) -> Stats:
        hits, count = np.zeros(len(values), dtype=np.int64), np.zeros(len(values), dtype=np.int64)
        held: list[list[np.ndarray]] = [[] for _ in values]
        for a, b in spans:
            with guarded_warnings():  # said once for the whole run
                warnings.filterwarnings("ignore", message="Sobol' designs keep", category=MCRiskWarning)
                kwargs = _kwargs(sample(others, n, method=method, rng=seed, start=a, stop=b))
            for i, v in enumerate(values):
                y = _output(model, kwargs, lever, v, target, b - a)
                if target.kind == "probability":
                    hits[i] += int(np.count_nonzero(target.event.happens(y)))
                    count[i] += y.size
                else:
                    held[i].append(y)
            del kwargs
        if target.kind == "probability":
            return {v: tuple(probability(target, int(hits[i]), int(count[i]), b) if count[i] else math.nan
                             for b in BOUNDS) for i, v in enumerate(values)}
        out = {}
        for i, v in enumerate(values):
            y = np.concatenate(held[i]) if held[i] else np.empty(0)
            held[i] = []
            out[v] = tuple(statistic(target, y, b) for b in BOUNDS)
        return out

    def evaluate(values: Sequence[float]) -> Stats:
        if target.kind == "probability":
            return one_pass(list(values))
        out: Stats = {}
        for v in values:  # one output column held at a time
            out.update(one_pass([v]))
        return out

    return evaluate
