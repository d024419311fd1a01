"""Sampling: a design on the unit cube, then each prior's inverse CDF.

mcrisk owns the marginals; the designs (plain random, Latin hypercube, scrambled Sobol') only
ever see ``[0, 1]^d``. That is what lets every family work with every design, and SALib's
designs too.

Random numbers are tied to sample *positions*, not to chunks or workers: sample ``i`` of a
run with seed ``s`` is the same whether it is drawn alone, in a chunk of 1,000 or in one go.

* ``random``: the sample axis is cut into fixed blocks of :data:`BLOCK` samples; block ``b``
  draws from its own stream, ``SeedSequence(s, spawn_key=(b,))``.
* ``lhs``: a Latin hypercube per block of :data:`LHS_BLOCK` (2^16) samples: column ``j`` of
  block ``b`` is a permutation of the block's strata from its own stream
  ``SeedSequence(s, spawn_key=(b, j))``, jittered within each stratum by the ``random`` draws
  at the same positions. A run of up to 2^16 samples is one exact Latin hypercube (each of its
  ``n`` equal strata of every input holds one point); a longer run is a union of exact ones,
  each with its own strata (the last one smaller). The blocks are kept small so that the
  permutation (512 KiB) is shuffled in the processor's L2 cache: one hypercube of 2^20 rows
  shuffles in main memory, several times slower per row on machines with small caches.
  What the union gives up is small. Both constructions leave a variance of the mean of
  ``sigma_r^2 / n + o(1 / n)``, ``sigma_r^2`` being the output's variance less its additive
  (main-effect) part (Stein 1987), against ``sigma^2 / n`` for plain random sampling; only
  the faster-than-``1/n`` terms of the additive part differ: across ``k`` blocks of ``m`` they
  fall like ``1 / (n m^2)`` for smooth main effects and ``1 / (n m)`` for main effects with a
  jump, against ``1 / n^3`` and ``1 / n^2`` for one hypercube of ``n``.
  With ``m = 2^16`` and ``d`` inputs they stay below ``sigma_r^2 / n`` unless the
  non-additive part is under about ``d / m`` (a part in 10^4) of the output's variance.
  (M. Stein, "Large sample properties of simulations using Latin hypercube sampling",
  Technometrics 29(2), 1987.)
* ``sobol``: one scrambled Sobol' sequence, fast-forwarded to the first position wanted.

Rank correlations are imposed by the Gaussian copula of :mod:`mcrisk.distributions.copula` (its canonical
Cholesky factor, the same on every machine). It works sample by sample, so it too is
independent of chunking, and every marginal stays exact.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import xarray as xr
from scipy.stats import qmc

from mcrisk.distributions.copula import apply_copula
from mcrisk.distributions.copula import copula_factor
from mcrisk.core.errors import MCRiskWarning, SpecError
from mcrisk.spec.priors import Priors, priors_text
from mcrisk.core.validate import SamplingMethod, check_method, check_samples
from mcrisk.core.warned import guarded_warnings, warn

__all__ = [
    "BLOCK",
    "LHS_BLOCK",
    "METHODS",
    "Method",
    "normalize_seed",
    "sample",
    "to_values",
    "unit_design",
    "warn_unbalanced",
]

Method = SamplingMethod  # "random" | "lhs" | "sobol"

#: Samples per independent random stream of the ``random`` design.
BLOCK = 2**16
#: Samples per Latin hypercube of the ``lhs`` design (its permutations fit in L2).
LHS_BLOCK = 2**16
_TINY = 2.0**-54  # keeps u off exactly 0, where an unbounded ppf is -inf


def normalize_seed(rng: int | np.random.Generator | None) -> int:
    """The integer seed a run uses, from an int, a Generator, or None (fresh entropy).

    A seed of 0 is a seed like any other.

    Parameters
    ----------
    rng
        A non-negative integer seed, a numpy ``Generator`` (one integer is drawn from it, which
        advances it), or ``None`` for a seed from fresh OS entropy.

    Returns
    -------
    int
        The seed, in ``[0, 2**63)`` for a Generator or ``None``.

    Raises
    ------
    SpecError
        If ``rng`` is a bool, a negative integer, or of another type.
    """
    if rng is None:
        return int(np.random.SeedSequence().entropy % 2**63)
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**63))
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer) or rng < 0:
        raise SpecError(f"rng = {rng!r} must be a non-negative integer seed or a numpy Generator")
    return int(rng)


def _blocks(start: int, stop: int, size: int) -> range:
    return range(start // size, (stop - 1) // size + 1) if stop > start else range(0)


def _design_random(d: int, start: int, stop: int, n: int, seed: int) -> np.ndarray:
    parts = []
    for b in _blocks(start, stop, BLOCK):
        gen = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(b,)))
        lo, hi = max(start, b * BLOCK), min(stop, (b + 1) * BLOCK)
        block = gen.random((min(BLOCK, hi - b * BLOCK), d))
        parts.append(block[lo - b * BLOCK : hi - b * BLOCK])
    out = np.concatenate(parts) if parts else np.empty((0, d))
    return np.maximum(out, _TINY, out=out)


@functools.lru_cache(maxsize=1)
def _lhs_strata(d: int, n: int, seed: int, b: int) -> tuple[np.ndarray, ...]:
    """The stratum of every row of LHS block ``b``: one permutation of ``range(m)`` per column.

    Each column draws from its own stream, so the block is built a column at a time (scipy's
    LatinHypercube holds the whole float hypercube and its permutations at once, twice the
    memory of the values); kept for the next call, since a chunked run asks chunk after chunk.
    A column's strata (``m <= 2^16`` int64, 512 KiB) are shuffled within the L2 cache.
    Sorting random keys, which needs no random access at all, measured 1.5 to 3 times slower
    than the shuffle at this size (numpy 2.4, AMD EPYC), so the blocks use the shuffle.
    """
    m = min(LHS_BLOCK, n - b * LHS_BLOCK)
    strata = tuple(np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(b, j))).permutation(m)
                   for j in range(d))
    for column in strata:
        column.flags.writeable = False
    return strata


def _design_lhs(d: int, start: int, stop: int, n: int, seed: int,
                strata_of: Callable[[int], tuple[np.ndarray, ...]] | None = None) -> np.ndarray:
    # Row i of block b, column j: (stratum + jitter) / m, with the jitter drawn at position i
    # from the random design's streams: one point in each of the m equal strata of each column.
    u = _design_random(d, start, stop, n, seed)
    for b in _blocks(start, stop, LHS_BLOCK):
        strata = strata_of(b) if strata_of is not None else _lhs_strata(d, n, seed, b)
        m = len(strata[0]) if strata else 1
        lo, hi = max(start, b * LHS_BLOCK), min(stop, (b + 1) * LHS_BLOCK)
        rows = u[lo - start : hi - start]
        for j, column in enumerate(strata):  # a column at a time: no transposed copy
            rows[:, j] += column[lo - b * LHS_BLOCK : hi - b * LHS_BLOCK]
        rows /= m
    return u


def _sobol_engine(d: int, n: int, seed: int, start: int) -> qmc.Sobol:
    engine = qmc.Sobol(d, scramble=True, bits=max(30, int(np.ceil(np.log2(max(n, 2))))),
                       rng=np.random.default_rng(seed))
    if start:
        engine.fast_forward(start)
    return engine


def _sobol_rows(engine: qmc.Sobol, k: int) -> np.ndarray:
    """The engine's next ``k`` rows, kept off an exact 0 (-inf for an unbounded prior)."""
    with guarded_warnings():
        # The balance warning is for whole runs; warn_unbalanced() gives it once, in mcrisk's words.
        warnings.filterwarnings("ignore", message="The balance properties of Sobol")
        u = engine.random(k)
    return np.maximum(u, _TINY, out=u)


def _design_sobol(d: int, start: int, stop: int, n: int, seed: int) -> np.ndarray:
    return _sobol_rows(_sobol_engine(d, n, seed, start), stop - start)


METHODS: dict[str, Callable[[int, int, int, int, int], np.ndarray]] = {
    "random": _design_random,
    "lhs": _design_lhs,
    "sobol": _design_sobol,
}


def unit_design(method: Method, d: int, n: int, *, seed: int, start: int = 0,
                stop: int | None = None) -> np.ndarray:
    """Rows ``start:stop`` of the ``n``-point design ``method`` on ``[0, 1)^d``.

    The rows depend only on ``(method, d, n, seed)`` and their positions, so any cut of
    ``range(n)`` into chunks gives the same rows.

    Parameters
    ----------
    method
        ``"random"``, ``"lhs"`` or ``"sobol"`` (a key of :data:`METHODS`).
    d
        Number of dimensions (uncertain inputs).
    n
        Number of samples in the whole design.
    seed
        The run's integer seed.
    start, stop
        The rows wanted, ``stop`` exclusive; ``stop=None`` means ``n``.

    Returns
    -------
    numpy.ndarray
        Shape ``(stop - start, d)``, values in ``[0, 1)``.

    Raises
    ------
    SpecError
        If ``method`` is not a sampling method, or not ``0 <= start <= stop <= n``.
    """
    stop = n if stop is None else stop
    _check_rows(method, n, start, stop)
    return METHODS[method](d, start, stop, n, seed)


def _check_rows(method: str, n: int, start: int, stop: int) -> None:
    check_method(method)
    if not 0 <= start <= stop <= n:
        raise SpecError(f"rows {start}:{stop} are outside a design of n = {n}")


_ROWS = 2**16  # design rows mapped at a time by sample()


def _design_blocks(method: Method, d: int, n: int, seed: int, start: int, stop: int):
    """``(lo, hi, rows lo:hi of the design)`` for consecutive blocks of ``start:stop``."""
    _check_rows(method, n, start, stop)
    if method == "lhs" and len(_blocks(start, stop, LHS_BLOCK)) > 1:
        with ThreadPoolExecutor(1, thread_name_prefix="mcrisk-lhs") as pool:
            ahead = _StrataAhead(d, n, seed, stop, pool)
            hi = start
            while hi < stop:  # _ROWS == LHS_BLOCK: one block at a time
                lo, hi = hi, min(stop, (hi // _ROWS + 1) * _ROWS)
                yield lo, hi, _design_lhs(d, lo, hi, n, seed, strata_of=ahead)
        return
    engine, hi = None, start
    while hi < stop:
        lo, hi = hi, min(stop, (hi // _ROWS + 1) * _ROWS)
        if method != "sobol":
            yield lo, hi, METHODS[method](d, lo, hi, n, seed)
            continue
        if engine is None:  # one engine, fast-forwarded once, then drawn block after block
            engine = _sobol_engine(d, n, seed, lo)
        yield lo, hi, _sobol_rows(engine, hi - lo)


class _StrataAhead:
    """The LHS strata of block ``b``, with block ``b + 1``'s shuffled meanwhile on a second thread.

    The permutations are about a third of an LHS draw's time, and numpy's shuffle releases the
    GIL: the next block's overlap this block's inverse CDFs. Each permutation comes from its
    own stream, so the values are those of :func:`_lhs_strata`, whichever thread drew them.
    """

    def __init__(self, d: int, n: int, seed: int, stop: int, pool: ThreadPoolExecutor) -> None:
        self.d, self.n, self.seed, self.stop, self.pool = d, n, seed, stop, pool
        self.next: dict[int, Future] = {}

    def __call__(self, b: int) -> tuple[np.ndarray, ...]:
        later = self.next.pop(b, None)
        strata = later.result() if later is not None else _lhs_strata(self.d, self.n, self.seed, b)
        if (b + 1) * LHS_BLOCK < self.stop:
            self.next[b + 1] = self.pool.submit(_lhs_strata.__wrapped__, self.d, self.n, self.seed, b + 1)
        return strata


def to_values(priors: Priors, u: np.ndarray, names: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """Map design rows ``u`` (n, d) through the copula and each prior's inverse CDF.

    Parameters
    ----------
    priors
        The priors, with their correlations (if any).
    u
        Design rows, shape ``(n, d)``, values in ``[0, 1)``; column ``i`` is ``names[i]``.
    names
        The inputs the columns stand for; ``None`` means ``priors.uncertain``.

    Returns
    -------
    dict of str to numpy.ndarray
        Input name -> ``n`` values, in the units of its prior.
    """
    names = priors.uncertain if names is None else names
    factor = copula_factor(priors.correlations, names)
    if factor is not None:
        u = apply_copula(u, factor)
    return {k: priors[k].ppf(u[:, i]) for i, k in enumerate(names)}


def warn_unbalanced(method: str, n: int, *, stacklevel: int = 2) -> None:
    """Warn, once per run, when a Sobol' design's ``n`` is not a power of 2 (its balance is lost).

    Parameters
    ----------
    method
        The sampling method; only ``"sobol"`` warns.
    n
        Number of samples.
    stacklevel
        Passed to :func:`warnings.warn`, so the warning points at the caller's caller.

    Returns
    -------
    None

    Warns
    -----
    MCRiskWarning
        If ``method`` is ``"sobol"`` and ``n`` is not a power of 2; the message suggests the next
        power of 2.
    """
    if method == "sobol" and n & (n - 1):
        warn(f"Sobol' designs keep their balance only when samples is a power of 2; "
                      f"{n} is not (try {1 << int(n).bit_length()})", MCRiskWarning, stacklevel=stacklevel)


def sample(priors: Priors, n: int, *, method: Method = "random",
           rng: int | np.random.Generator | None = None, start: int = 0,
           stop: int | None = None) -> xr.Dataset:
    """Draw ``n`` samples of every input.

    Parameters
    ----------
    priors
        The inputs' distributions. Constants become 0-d variables.
    n
        Number of samples.
    method
        ``"random"``, ``"lhs"`` (Latin hypercube) or ``"sobol"`` (scrambled Sobol').
    rng
        An integer seed or a :class:`numpy.random.Generator`.
    start, stop
        Draw only positions ``start:stop`` of the ``n``-sample run (for chunked runs).

    Returns
    -------
    xarray.Dataset
        One variable per input over the dimension ``sample`` with ``units`` and ``long_name``;
        attrs ``method``, ``seed``, ``samples``, ``currency`` and ``priors`` (the files' text).

    Examples
    --------
    >>> ds = sample(load_priors("priors/deepseek-2025-02-27.toml"), 1000, method="lhs", rng=1)
    """
    n = check_samples(n)
    seed = normalize_seed(rng)
    if start == 0:
        warn_unbalanced(method, n, stacklevel=3)
    stop = n if stop is None else stop
    names = priors.uncertain
    values = {k: np.empty(stop - start) for k in names}
    factor = copula_factor(priors.correlations, names)
    # Design rows a block at a time: the (rows, d) design never exists whole, so memory stays
    # close to the values themselves.
    # No uncertain input: no design to draw (and no loop over the blocks of a huge n).
    for lo, hi, u in _design_blocks(method, len(names), n, seed, start, stop) if names else ():
        if factor is not None:
            u = apply_copula(u, factor)
        for i, k in enumerate(names):
            values[k][lo - start : hi - start] = priors[k].ppf(u[:, i])
    if method == "lhs" and (stop == n or stop % LHS_BLOCK == 0):
        _lhs_strata.cache_clear()  # the hypercube is finished with: free it
    data = {}
    for k, p in priors.items():
        attrs = {"units": p.unit, "long_name": k.replace("_", " "), "distribution": p.describe()}
        data[k] = (("sample",), values[k], attrs) if k in values else ((), p.params["value"], attrs)
    return xr.Dataset(data, coords={"sample": np.arange(start, stop)},
                      attrs={"method": method, "seed": seed, "samples": n, "currency": priors.currency or "",
                             "priors": priors_text(priors)})
