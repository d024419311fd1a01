"""The regression behind EVPPI and EVSI: a P-spline GAM of the incremental net benefits, and its bootstrap.

:func:`regression_value` is the value of learning some columns (inputs for
:func:`mcrisk.analyze.voi.evppi`, a study's simulated statistic for :func:`mcrisk.analyze.evsi.evsi`)
before choosing, by the nonparametric regression of Strong, Oakley and Brennan (2014); the
smoother and the standard errors are described in :mod:`mcrisk.analyze.voi`.
:func:`net_benefits` and :func:`incremental` give the decision's net benefits from results;
:func:`bootstrap_weights` the resamples every estimate of one table shares, :func:`evpi_and_se` the
EVPI and its standard error.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr
from scipy.interpolate import BSpline

from mcrisk.core.errors import SpecError

__all__ = ["bootstrap_weights", "evpi_and_se", "incremental", "input_column", "net_benefits", "regression_replicates",
           "regression_value"]

_ALPHAS = np.logspace(-8, 6, 43)  # ridge penalties tried, relative to the Gram matrix's mean eigenvalue


def _basis(x: np.ndarray, knots: int) -> np.ndarray:
    """The B-spline basis of one input (no constant column), or indicators for a few-valued input.

    Cubic B-splines on knots at the input's quantiles, the boundary knots continued outward at
    the spacing of the first and last interval; the last spline is dropped, the constant being
    the regression's intercept (the basis of scikit-learn's ``SplineTransformer(knots=q,
    degree=3, include_bias=False)``, which ``tests/test_voi.py`` checks it against). Every
    sample lies within the knots, so no extrapolation is needed.
    """
    q = np.unique(np.quantile(x, np.linspace(0.0, 1.0, knots)))
    if q.size < 4:  # a discrete input with 2 or 3 values: its indicator columns fit it exactly
        values = np.unique(x)
        return (x[:, None] == values[None, 1:]).astype(float)
    return _bsplines(x, q)[:, :-1]


def _bsplines(x: np.ndarray, q: np.ndarray, degree: int = 3) -> np.ndarray:
    """All ``q.size + degree - 1`` B-splines of ``degree`` on the knots ``q`` at ``x`` (within ``q``)."""
    lo, hi = q[1] - q[0], q[-1] - q[-2]
    t = np.r_[np.linspace(q[0] - degree * lo, q[0] - lo, num=degree), q,
              np.linspace(q[-1] + hi, q[-1] + degree * hi, num=degree)]
    return BSpline.design_matrix(x, t, degree).toarray()


def _design(cols: list[np.ndarray], knots: int) -> np.ndarray:
    """Additive bases of each input, plus the pairwise tensor products for a group."""
    if len(cols) == 1:
        return _basis(cols[0], knots)
    coarse = [_basis(c, max(4, knots // 2)) for c in cols]
    blocks = [_basis(c, knots) for c in cols]
    for i in range(len(cols)):
        for j in range(i + 1, len(cols)):
            blocks.append((coarse[i][:, :, None] * coarse[j][:, None, :]).reshape(len(cols[0]), -1))
    return np.hstack(blocks)


class _Fit:
    """Ridge regression of the incremental net benefits on a centred design, penalty by GCV."""

    def __init__(self, X: np.ndarray):
        self.X = X - X.mean(axis=0)
        self.n = X.shape[0]
        lam, self.V = np.linalg.eigh(self.X.T @ self.X)
        self.lam = np.clip(lam, 0.0, None)
        self.scale = max(float(self.lam.mean()), 1e-300)

    def fitted(self, D: np.ndarray) -> tuple[np.ndarray, float]:
        """``(E[D | x] at every sample, chosen penalty)`` for the columns of ``D`` (n, k)."""
        d = D - D.mean(axis=0)
        z = self.V.T @ (self.X.T @ d)  # (m, k)
        total = float((d * d).sum())
        best = (np.inf, 0.0)
        for a in _ALPHAS * self.scale:
            c = z / (self.lam + a)[:, None]
            rss = total - 2 * float((z * c).sum()) + float((self.lam[:, None] * c * c).sum())
            df = float((self.lam / (self.lam + a)).sum())
            gcv = self.n * max(rss, 0.0) / max(self.n - df, 1.0) ** 2
            if gcv < best[0]:
                best = (gcv, a)
        alpha = best[1]
        c = z / (self.lam + alpha)[:, None]
        return D.mean(axis=0) + self.X @ (self.V @ c), alpha


def _value(g: np.ndarray, w: np.ndarray | None = None) -> float:
    """E[max(0, g_1, ..., g_k)] - max(0, E[g_1], ..., E[g_k]) over rows (weights ``w`` sum to n)."""
    best = np.maximum(g.max(axis=1), 0.0)
    if w is None:
        return float(best.mean() - max(0.0, g.mean(axis=0).max()))
    n = w.sum()
    return float((w @ best) / n - max(0.0, ((w @ g) / n).max()))


def _boot_evppi(X: np.ndarray, D: np.ndarray, alpha: float, weights: np.ndarray) -> np.ndarray:
    """EVPPI of each bootstrap resample (rows of ``weights``: resample counts), penalty fixed.

    All resamples at once: the weighted normal equations ``(X1' W X1 + alpha P) beta = X1' W D``
    with ``X1 = [1, X]`` and ``P`` the identity without its intercept entry (an unpenalised
    intercept is the centred ridge of :class:`_Fit`), their Gram matrices one product
    ``weights @ (x x')``.
    """
    n, m = X.shape
    X1 = np.column_stack([np.ones(n), X])
    gram = np.zeros((len(weights), (m + 1) ** 2))
    rows = max(1, 2**22 // (m + 1) ** 2)  # the rows' outer products held at once: at most 32 MB
    for s in range(0, n, rows):
        part = X1[s:s + rows]
        gram += weights[:, s:s + rows] @ (part[:, :, None] * part[:, None, :]).reshape(len(part), -1)
    gram = gram.reshape(len(weights), m + 1, m + 1)
    gram[:, 1:, 1:] += alpha * np.eye(m)
    rhs = np.einsum("bi,ij,ik->bjk", weights, X1, D, optimize=True)
    beta = np.linalg.solve(gram, rhs)  # (B, m + 1, k)
    fitted = np.einsum("ij,bjk->bik", X1, beta, optimize=True)  # (B, n, k)
    return _values(fitted, weights)


def _values(g: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """:func:`_value` of each resample: ``g`` (B, n, k) or (n, k), ``weights`` (B, n)."""
    best = np.maximum(g.max(axis=-1), 0.0)
    n = weights.sum(axis=1)
    if g.ndim == 2:
        return (weights @ best) / n - np.maximum((weights @ g) / n[:, None], 0.0).max(axis=1)
    return (np.einsum("bi,bi->b", weights, best) / n
            - np.maximum(np.einsum("bi,bik->bk", weights, g) / n[:, None], 0.0).max(axis=1))


def regression_replicates(cols: list[np.ndarray], D: np.ndarray, weights: np.ndarray, *,
                          knots: int = 8) -> tuple[float, np.ndarray]:
    """:func:`regression_value`'s value and its value on each bootstrap resample (rows of ``weights``).

    Values of several column sets on the same ``weights`` are paired: the standard deviation of
    their replicates' difference is the standard error of the difference of the values.

    Returns
    -------
    tuple
        ``(value, replicates of shape (B,))``; ``(0, zeros)`` where every column is constant.
    """
    cols = [c for c in cols if np.ptp(c) > 0]
    if not cols:
        return 0.0, np.zeros(len(weights))
    X = _design(cols, knots)
    ghat, alpha = _Fit(X).fitted(D)
    return _value(ghat), _boot_evppi(X, D, alpha, weights)


def regression_value(cols: list[np.ndarray], D: np.ndarray, weights: np.ndarray, *, knots: int = 8,
                     permutations: int = 0, gen: np.random.Generator | None = None) -> tuple[float, float, float]:
    """The value of learning ``cols`` before choosing: regression of ``D`` on them, bootstrap SE.

    The one estimator behind EVPPI (``cols``: the inputs) and EVSI (``cols``: a study's simulated
    summary statistic, :mod:`mcrisk.analyze.evsi`): :math:`\\overline{\\max(0, \\hat g(c_i))} -
    \\max(0, \\overline{\\hat g})` with :math:`\\hat g` the P-spline GAM fit of the incremental
    net benefits ``D`` (n, k) on ``cols``.

    Parameters
    ----------
    cols
        One array of n values per regressor.
    D
        Incremental net benefits against the first option, (n, k).
    weights
        Bootstrap resample counts, (B, n).
    knots
        Knots of each regressor's spline basis.
    permutations
        Row shuffles for the no-effect level (0: none, the level is NaN).
    gen
        The generator of the shuffles.

    Returns
    -------
    tuple of float
        ``(value, bootstrap SE, no-effect level)``.
    """
    n = len(D)
    cols = [c for c in cols if np.ptp(c) > 0]
    if not cols:  # every regressor held at one value (--set, a constant): it is known, learning it is worth 0
        return 0.0, 0.0, 0.0 if permutations else float("nan")
    X = _design(cols, knots)
    fit = _Fit(X)
    ghat, alpha = fit.fitted(D)
    noise = (float(np.mean([_value(fit.fitted(D[gen.permutation(n)])[0]) for _ in range(permutations)]))
             if permutations and gen is not None else float("nan"))
    return _value(ghat), float(np.std(_boot_evppi(X, D, alpha, weights), ddof=1)), noise


def input_column(results: xr.Dataset, name: str, ok: np.ndarray) -> np.ndarray:
    """Input ``name``'s value at each sample kept by the mask ``ok``; an input held at one value
    (``--set``, a constant) is that value at every sample.

    Parameters
    ----------
    results
        A run's results over ``sample``.
    name
        An input's name.
    ok
        A boolean mask over the samples.

    Returns
    -------
    numpy.ndarray
        ``ok.sum()`` values.
    """
    return np.broadcast_to(np.asarray(results[name].values, dtype=float).ravel(), ok.shape)[ok]


def net_benefits(results: xr.Dataset, output: str, decision: str | Sequence[str]) -> tuple[np.ndarray, list[str], str]:
    """``(net benefit of each option per sample (n, k), the options' names, the output's units)``.

    Decision ``"go"``: the options are "do nothing" (0) and ``output``; else the outputs named.
    """
    names = [output] if decision == "go" else list(decision)
    for k in names:
        if k not in results:
            raise SpecError(f"value_of_information: {k!r} is not an output of the results; outputs: "
                            + ", ".join(v for v in results.data_vars if results[v].attrs.get("role") == "output"))
    nb = np.column_stack([np.broadcast_to(np.asarray(results[k].values, dtype=float).ravel(),
                                          (results.sizes["sample"],)) for k in names])
    if decision == "go":
        nb = np.column_stack([np.zeros(len(nb)), nb])
        names = ["do nothing", output]
    return nb, names, str(results[names[-1]].attrs.get("units", ""))


def incremental(nb: np.ndarray, names: list[str], need: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(finite rows, their net benefits, incremental net benefits against the first option)``.

    At least 20 finite rows are needed when ``need`` (a regression on fewer is noise).
    """
    ok = np.isfinite(nb).all(axis=1)
    nb = nb[ok]
    if len(nb) < 20 and need:
        raise SpecError(f"value_of_information: {len(nb)} samples with finite {', '.join(names[1:])}; "
                        "at least 20 needed")
    return ok, nb, nb[:, 1:] - nb[:, :1]


def bootstrap_weights(n: int, resamples: int, gen: np.random.Generator) -> np.ndarray:
    """Resample counts of ``n`` rows, ``(resamples, n)``: the bootstrap every estimate of a table shares."""
    return gen.multinomial(n, np.full(n, 1.0 / n), size=resamples).astype(float)


def evpi_and_se(D: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """EVPI of the incremental net benefits ``D`` (n, k) and its bootstrap standard error."""
    return _value(D), float(np.std(_values(D, weights), ddof=1))
