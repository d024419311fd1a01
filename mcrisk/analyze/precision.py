"""Running to a stated precision: add batches of samples until each named statistic's 95%
interval is narrow enough, or a cap is reached.

How the batches grow, and how the intervals are computed, depend on the design (every design
stays a valid design as it grows):

* ``random``: the run continues at the next sample positions (the draws of sample ``i`` depend
  only on ``i`` and the seed, so a run stopped at ``N`` samples is the plain run of ``N``).
  Intervals for independent draws: the mean ``+- 1.96 s / sqrt(N)``; P(loss) Wilson's score
  interval; a percentile the exact order-statistic interval of the binomial
  (:func:`mcrisk.analyze.solve.order_ranks`), half its width.
* ``lhs``: independent Latin hypercubes; ``sobol``: independently scrambled Sobol' sequences of
  ``2^k`` points each (randomised quasi-Monte Carlo, each replicate a balanced design). The
  first batch is :data:`MIN_REPLICATES` replicates of ``m = samples / 4`` (Sobol': the next
  power of 2), replicate ``0`` the study's own design at its seed; each later batch at most
  :data:`~mcrisk.analyze.replicates.REPLICATES_PER_BATCH` replicates of one size of at least
  ``m``, each at its own seed, so the designs drawn stay a few dozen whatever the first batch.
  The estimate is the statistic of all samples pooled; the half-width the replicate interval
  ``t_{R-1, 0.975} s_R / sqrt(R)`` over the ``R`` replicates when they are all of one size, and
  in general the sample-weighted combination of the classes of equal-size replicates with
  Welch-Satterthwaite degrees of freedom (Owen, *Monte Carlo theory, methods and examples*,
  2013, ch. 17; :mod:`mcrisk.analyze.replicates` gives the estimator and its references).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import xarray as xr

from mcrisk.analyze.intervals import order_ranks
from mcrisk.analyze.replicates import (
    MIN_REPLICATES,
    estimate,
    next_batch,
    per_replicate,
    replicate_groups,
    replicate_half_width,
    replicate_inputs,
    replicate_sizes,
)
from mcrisk.core.errors import MCRiskWarning, SpecError
from mcrisk.core.statistics import Z95_TWO_SIDED, per_period
from mcrisk.core.validate import SamplingMethod, check_method, check_samples
from mcrisk.core.warned import warn
from mcrisk.sampling.design import normalize_seed, sample
from mcrisk.simulation.engine import simulate
from mcrisk.simulation.evaluate import join_chunks, progress_bar
from mcrisk.spec.callcheck import conform_call
from mcrisk.spec.precision_text import Precision
from mcrisk.spec.priors import Priors

__all__ = ["INTERVAL_METHODS", "MAX_SAMPLES", "MIN_REPLICATES", "convergence_frame", "format_convergence", "half_width",
           "simulate_to_precision"]

#: The default cap on the samples of a precision run (the largest run ``mcrisk run`` holds whole).
MAX_SAMPLES = 2**21

#: How each design's intervals are computed (stored in ``results.nc`` as ``interval_method``).
INTERVAL_METHODS = {
    "random": "independent draws: mean +- 1.96 s/sqrt(n); P(loss) Wilson score; percentiles exact binomial "
              "order statistics",
    "lhs": "independent Latin hypercube replicates: pooled estimate +- t(R-1) sd(replicate estimates)/sqrt(R); "
           "replicates of several sizes: classes of equal size weighted by their samples, Welch-Satterthwaite df",
    "sobol": "independently scrambled Sobol' replicates (2^k points each): pooled estimate +- t(R-1) "
             "sd(replicate estimates)/sqrt(R); replicates of several sizes: classes of equal size weighted by "
             "their samples, Welch-Satterthwaite df",
}


def half_width(stat: str, y: np.ndarray, replicate: np.ndarray | None = None) -> tuple[float, float]:
    """``(estimate, 95% half-width)`` of a summary statistic of the finite values ``y``.

    Parameters
    ----------
    stat
        ``mean``, ``p_below_zero`` or a percentile ``p05`` ... ``p95``.
    y
        The output's values (non-finite ones are dropped).
    replicate
        The replicate of each value (LHS and Sobol' runs): the replicate interval, each
        replicate's size being its count of values, finite or not; ``None``: the interval for
        independent draws.

    Returns
    -------
    (float, float)
        See the module docstring for the intervals.
    """
    ok = np.isfinite(y)
    if replicate is not None:
        ids, size = replicate_sizes(replicate)
    y = y[ok]
    n = y.size
    if n < 2:
        return (estimate(stat, y) if n else math.nan), math.inf
    est = estimate(stat, y)
    if replicate is not None:
        kept = replicate[ok]
        per = per_replicate(stat, y, kept)
        return est, replicate_half_width(per, size if ok.all() else size[np.searchsorted(ids, replicate_sizes(kept)[0])])
    if stat == "mean":
        return est, Z95_TWO_SIDED * float(y.std(ddof=1)) / math.sqrt(n)
    if stat == "p_below_zero":
        z2 = Z95_TWO_SIDED * Z95_TWO_SIDED
        return est, Z95_TWO_SIDED / (1 + z2 / n) * math.sqrt(est * (1 - est) / n + z2 / (4 * n * n))
    q = int(stat[1:]) / 100
    r, s = order_ranks(n, q)
    if r < 1 or s > n:
        return est, math.inf
    lo, hi = np.partition(y, [r - 1, s - 1])[[r - 1, s - 1]]
    return est, float(hi - lo) / 2


def _output_values(part: xr.Dataset, output: str, period_days: float | None) -> np.ndarray:
    """The output's values over the part's samples (per ``period_days`` for money), as floats."""
    values = per_period(part[[output]], period_days)[output].values if period_days else part[output].values
    return np.broadcast_to(np.asarray(values, dtype=float), (part.sizes["sample"],))


def _replicate_batch(model: Callable, priors: Priors, method: str, seed: int, first: int, batch: tuple[int, int],
                     start: int, chunk_size: int | None, progress: bool) -> list[xr.Dataset]:
    """The results of replicates ``first:first + R`` of ``m`` samples, ``batch = (R, m)``, from sample ``start``.

    A few model calls per batch, not one per replicate: groups of up to
    :data:`~mcrisk.analyze.replicates.REPLICATE_ROWS` samples, each drawn and evaluated in one call.
    """
    groups = replicate_groups(first, *batch)
    bar = progress_bar(len(groups), progress, f"{start + batch[0] * batch[1]:,} samples")
    out = []
    for pieces in groups:
        out.append(simulate(model, replicate_inputs(priors, method, seed, pieces, start), chunk_size=chunk_size))
        start += out[-1].sizes["sample"]
        bar.update(1)
    bar.close()
    return out


def simulate_to_precision(model: Callable, priors: Priors, precision: Sequence[Precision], output: str, *,
                          samples: int, method: SamplingMethod = "random",
                          rng: int | np.random.Generator | None = 0,
                          max_samples: int = MAX_SAMPLES, period_days: float | None = None,
                          chunk_size: int | None = None, progress: bool = False) -> tuple[xr.Dataset, xr.Dataset]:
    """Simulate in batches until each statistic in ``precision`` is within its tolerance.

    Parameters
    ----------
    model, priors
        As :func:`mcrisk.simulate`.
    precision
        From :func:`mcrisk.spec.precision_text.parse_precision`.
    output
        The output whose statistics are checked.
    samples
        The first batch (the study's ``samples``); for ``lhs`` and ``sobol`` it is cut into
        :data:`MIN_REPLICATES` replicates of ``m = samples / 4`` samples (Sobol': the next power
        of 2), and every later batch is 2 to 16 replicates of one size of at least ``m``
        (:func:`mcrisk.analyze.replicates.next_batch`).
    method, rng
        Design and seed (an integer, a Generator or None, as :func:`mcrisk.simulate`).
    max_samples
        The cap: the run stops there, with a :class:`~mcrisk.core.errors.MCRiskWarning`, if the
        tolerances are not all met.
    period_days
        Money tolerances given in absolute terms are per this period (as the summary).
    chunk_size
        Evaluate this many samples at a time.
    progress
        Show a progress bar on stderr for each batch (for ``lhs`` and ``sobol``, over its groups of
        up to 2^16 samples, each drawn and evaluated in one call).

    Returns
    -------
    (xarray.Dataset, xarray.Dataset)
        The results of every sample used (over ``sample``, with a ``replicate`` coordinate for
        ``lhs`` and ``sobol``; attrs ``samples``, ``replicate_samples`` (the first batch's replicate size), ``precision``, ``interval_method``,
        ``precision_met``), and the convergence table over ``row`` (``output``, ``statistic``,
        ``estimate``, ``half_width``, ``tolerance``, ``samples``; one row per statistic per
        batch, the last batch's rows the final ones).

    Raises
    ------
    SpecError
        If ``max_samples`` is below ``samples`` or a bad setting is given.

    Warns
    -----
    MCRiskWarning
        When the cap is reached before every tolerance is met (naming them).
    """
    priors, converted = conform_call(model, priors, where="simulate_to_precision", stacklevel=3)
    method = check_method(method)
    rng = normalize_seed(rng)
    samples, cap = check_samples(samples), check_samples(max_samples, "max_samples")
    if cap < samples:
        raise SpecError(f"max_samples = {cap:,} must be at least samples = {samples:,}")
    if method == "random":
        m = 1
    elif method == "lhs":
        m = max(2, math.ceil(samples / MIN_REPLICATES))
    else:
        m = 1 << max(1, math.ceil(math.log2(max(2, samples / MIN_REPLICATES))))
    n = samples if method == "random" else MIN_REPLICATES * m
    if n > cap:
        raise SpecError(f"max_samples = {cap:,} is below the first batch of {n:,} samples "
                        f"({MIN_REPLICATES} replicates of {m:,})")
    parts: list[xr.Dataset] = []
    rows: list[tuple] = []
    done, reps, batch = 0, 0, (MIN_REPLICATES, m)
    ys: list[np.ndarray] = []
    while True:
        new = len(parts)
        if method == "random":
            inputs = sample(priors, cap, method="random", rng=rng, start=done, stop=n)
            parts.append(simulate(model, inputs, chunk_size=chunk_size, progress=progress))
        else:
            parts += _replicate_batch(model, priors, method, rng, reps, batch, done, chunk_size, progress)
            reps += batch[0]
        done = n
        ys += [_output_values(part, output, period_days) for part in parts[new:]]  # the Dataset is joined once
        y = np.concatenate(ys) if len(ys) > 1 else ys[0]
        rep = np.concatenate([part["replicate"].values for part in parts]) if method != "random" else None
        ratio = 0.0
        for p in precision:
            est, hw = half_width(p.statistic, y, rep)
            allowed = p.allowed(est)
            rows.append((output, p.statistic, est, hw, allowed, n))
            ratio = max(ratio, hw / allowed if allowed > 0 else math.inf)
        if ratio <= 1:
            break
        wanted = math.ceil(n * min(ratio * ratio * 1.1, 4.0) if math.isfinite(ratio) else 4.0 * n)
        if method == "random":
            n = min(cap, max(n + 1, wanted))
        else:  # a few replicates of a larger size, within the cap
            batch = next_batch(cap - n, wanted - n, m, method == "sobol")
            n += batch[0] * batch[1] if batch else 0
        if n <= done:  # no room for another batch under the cap
            break
    res = join_chunks(parts) if len(parts) > 1 else parts[0]
    met = ratio <= 1
    if not met:
        short = [f"{r[1]} +-{r[3]:.4g} (tolerance {r[4]:.4g})" for r in rows[-len(precision):] if r[3] > r[4]]
        warn(f"precision not reached at {n:,} samples (max_samples = {cap:,}): {', '.join(short)}",
                      MCRiskWarning, stacklevel=2)
    res.attrs.update({"samples": n, "precision": ", ".join(f"{p.name}:{p.tolerance:g}{'(relative)' if p.relative else ''}"
                                                            for p in precision),
                      "interval_method": INTERVAL_METHODS[method], "precision_met": int(met),
                      "first_batch": samples, "max_samples": cap})
    if method != "random":
        res.attrs["replicate_samples"] = m
    if converted:
        res.attrs["unit_conversions"] = "\n".join(converted)
    cols = list(zip(*rows, strict=True))
    conv = xr.Dataset({k: ("row", np.asarray(v)) for k, v in
                       zip(("output", "statistic", "estimate", "half_width", "tolerance", "samples"), cols, strict=True)},
                      attrs={"interval_method": INTERVAL_METHODS[method], "precision_met": int(met)})
    return res, conv


def convergence_frame(conv: xr.Dataset):
    """The convergence table as ``convergence.csv``'s rows.

    Parameters
    ----------
    conv
        From :func:`simulate_to_precision`.

    Returns
    -------
    pandas.DataFrame
        Columns ``output, statistic, estimate, half_width, tolerance, samples``.
    """
    return conv.to_dataframe().reset_index(drop=True)[["output", "statistic", "estimate", "half_width", "tolerance",
                                                       "samples"]]


def format_convergence(conv: xr.Dataset) -> str:
    """The precision run's last batch: samples used, and each statistic's estimate, half-width and tolerance.

    Parameters
    ----------
    conv
        From :func:`simulate_to_precision`.

    Returns
    -------
    str
        One line (and a blank line after it).
    """
    n = int(conv.samples.values[-1])
    last = conv.samples.values == n
    items = [f"{s} {e:.6g} +-{h:.3g} (tolerance {t:.3g})" for s, e, h, t in
             zip(conv.statistic.values[last], conv.estimate.values[last], conv.half_width.values[last],
                 conv.tolerance.values[last], strict=True)]
    state = "met" if conv.attrs.get("precision_met") else "NOT met (cap reached)"
    return f"precision {state} at {n:,} samples ({conv.output.values[0]}): " + "; ".join(items) + "\n"
