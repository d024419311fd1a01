"""The SALib methods mcrisk runs, in one dispatch dict: each one's design, analyzer and limits.

:data:`METHODS` maps a name (``sobol``, ``morris``, ``fast``, ``rbd_fast``, ``delta``, ``pawn``)
to a :class:`Method`: how it draws its rows on the unit cube, how SALib analyzes them, how many
model runs ``n`` base samples cost, which indices it reports and ranks by, its sample limits
(:data:`mcrisk.spec.sensitivity_table.SAMPLE_LIMITS`) and whether it is valid for correlated
inputs. :func:`mcrisk.analyze.sensitivity.sensitivity` runs them.

Correlated inputs are attributed as groups: :func:`mcrisk.analyze.groups.correlation_groups` makes the connected
components of the ``[[correlation]]`` graph, and the methods whose SALib design and analyzer take
``problem["groups"]`` (Sobol' and Morris) move each group's columns together on the independent
unit cube; the copula is applied to each row afterwards. Its Cholesky factor is block-diagonal
over the components, so every row has the right joint distribution and the groups are
independent of one another: a group's Sobol' indices are then exact, not an approximation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mcrisk.core.errors import SpecError
from mcrisk.sampling.design import unit_design
from mcrisk.spec.sensitivity_table import SAMPLE_LIMITS

__all__ = ["INDEX_MEANINGS", "MEASURES", "METHODS", "Method", "get_method"]


@dataclass(frozen=True)
class Method:
    """One SALib method: its unit-cube design, its analyzer and what it needs."""

    design: Callable[..., np.ndarray]            # (problem, n, seed, opts) -> unit-cube rows
    analyze: Callable[..., dict[str, Any]]       # (problem, X, Y, seed, opts) -> SALib dict
    rows: Callable[[int, int, dict], int]        # (n, d, opts) -> model runs
    indices: tuple[str, ...]                     # indices checked against their ``_conf``
    rank_by: str
    min_samples: int
    default_samples: int
    dependent: bool                               # valid for correlated inputs, one input at a time
    groups: bool = False                          # SALib's design and analyzer take problem["groups"]


# Each method imports its SALib module when it runs: SALib's analyzers pull in pandas plotting
# and scipy.optimize, about 0.5 s that a study without [sensitivity] should not pay.
def _sobol_design(problem, n, seed, o):
    from SALib.sample import sobol
    return sobol.sample(problem, n, calc_second_order=o["second_order"], scramble=True, seed=seed)


def _sobol_analyze(problem, x, y, seed, o):
    from SALib.analyze import sobol
    return sobol.analyze(problem, y, calc_second_order=o["second_order"], num_resamples=o["num_resamples"],
                         conf_level=o["conf_level"], parallel=False, seed=seed)


def _morris_design(problem, n, seed, o):
    from SALib.sample import morris
    return morris.sample(problem, n, num_levels=o["num_levels"], seed=seed)


def _morris_analyze(problem, x, y, seed, o):
    from SALib.analyze import morris
    s = morris.analyze(problem, x, y, num_resamples=o["num_resamples"], conf_level=o["conf_level"],
                       num_levels=o["num_levels"], seed=seed)
    # The grid levels are mapped to stratum midpoints (see _to_unit), so a step is
    # (L-1)/L of SALib's: rescale to output change per unit change of the input's quantile.
    k = o["num_levels"] / (o["num_levels"] - 1)
    return {v: np.asarray(s[v], float) * k for v in ("mu", "mu_star", "mu_star_conf", "sigma")}


def _fast_design(problem, n, seed, o):
    from SALib.sample import fast_sampler
    return fast_sampler.sample(problem, n, M=4, seed=seed)


def _fast_analyze(problem, x, y, seed, o):
    from SALib.analyze import fast
    return fast.analyze(problem, y, M=4, num_resamples=o["num_resamples"], conf_level=o["conf_level"], seed=seed)


def _lhs_design(problem, n, seed, o):
    return unit_design("lhs", problem["num_vars"], n, seed=seed)


def _rbd_analyze(problem, x, y, seed, o):
    from SALib.analyze import rbd_fast
    return rbd_fast.analyze(problem, x, y, M=10, num_resamples=o["num_resamples"], conf_level=o["conf_level"],
                            seed=seed)


def _delta_analyze(problem, x, y, seed, o):
    from SALib.analyze import delta
    s = delta.analyze(problem, x, y, num_resamples=o["num_resamples"], conf_level=o["conf_level"], seed=seed,
                      method="all")
    # SALib 1.6 names Borgonovo's bootstrap estimate (Plischke et al. 2013) "delta_raw".
    return {"delta": s["delta_raw"], "delta_conf": s["delta_raw_conf"], "S1": s["S1"], "S1_conf": s["S1_conf"],
            "delta_balanced": s["delta_balanced"], "delta_balanced_conf": s["delta_balanced_conf"]}


def _pawn_analyze(problem, x, y, seed, o):
    from SALib.analyze import pawn
    s = pawn.analyze(problem, x, y, S=10, seed=seed)
    return {k: s[k] for k in ("minimum", "mean", "median", "maximum", "CV")}


#: Sensitivity methods by name (alphabetical).
METHODS: dict[str, Method] = {
    "delta": Method(_lhs_design, _delta_analyze, lambda n, d, o: n, ("delta", "S1"), "delta",
                     *SAMPLE_LIMITS["delta"], True),
    "fast": Method(_fast_design, _fast_analyze, lambda n, d, o: n * d, ("S1", "ST"), "ST",
                    *SAMPLE_LIMITS["fast"], False),
    "morris": Method(_morris_design, _morris_analyze, lambda n, d, o: n * (d + 1), ("mu_star",), "mu_star",
                      *SAMPLE_LIMITS["morris"], False, True),
    "pawn": Method(_lhs_design, _pawn_analyze, lambda n, d, o: n, (), "median", *SAMPLE_LIMITS["pawn"], True),
    "rbd_fast": Method(_lhs_design, _rbd_analyze, lambda n, d, o: n, ("S1",), "S1", *SAMPLE_LIMITS["rbd_fast"],
                        False),
    "sobol": Method(_sobol_design, _sobol_analyze,
                     lambda n, d, o: n * (2 * d + 2 if o["second_order"] else d + 2),
                     ("S1", "ST"), "ST", *SAMPLE_LIMITS["sobol"], False, True),
}

#: What each index means, for the ``long_name`` of its variable.
INDEX_MEANINGS = {
    "S1": "first-order index", "ST": "total-order index", "S2": "second-order index",
    "mu": "mean elementary effect", "mu_star": "mean absolute elementary effect",
    "sigma": "standard deviation of the elementary effects", "delta": "Borgonovo's delta",
    "delta_balanced": "Borgonovo's delta, bin-balanced bootstrap", "minimum": "PAWN minimum KS over slices",
    "mean": "PAWN mean KS over slices", "median": "PAWN median KS over slices",
    "maximum": "PAWN maximum KS over slices", "CV": "PAWN coefficient of variation of KS over slices",
}


#: Each ranking index by the name a reader knows it by: how a headline says which measure ranks.
MEASURES = {
    "ST": "total Sobol' index", "S1": "first-order Sobol' index", "mu_star": "Morris mu*",
    "delta": "Borgonovo's delta", "median": "PAWN median KS", "mean": "PAWN mean KS",
    "minimum": "PAWN minimum KS", "maximum": "PAWN maximum KS",
}


def get_method(name: str, where: str = "") -> Method:
    """The method called ``name``; an unknown name is a SpecError listing the known ones.

    Parameters
    ----------
    name
        A key of :data:`METHODS`: ``"delta"``, ``"fast"``, ``"morris"``, ``"pawn"``,
        ``"rbd_fast"`` or ``"sobol"``.
    where
        Text that starts the message (a file name with a trailing space, or ``""``).

    Returns
    -------
    Method
        The method's design, analyzer, model-run count, indices and sample-size defaults.

    Raises
    ------
    SpecError
        If ``name`` is not a key of :data:`METHODS`.
    """
    if name not in METHODS:
        raise SpecError(f"{where}method = {name!r} is not a method; known: {', '.join(sorted(METHODS))}")
    return METHODS[name]

