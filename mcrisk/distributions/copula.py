"""The Gaussian copula that imposes rank correlations, the same on every machine.

A target Spearman rank correlation ``rho_ij`` between two inputs is imposed by a Gaussian
copula: the design's uniforms ``u`` become normal scores ``z = Phi^-1(u)``, are mixed by a
factor ``A`` of the normal correlation matrix ``R`` (``A A^T = R``), and go back to uniforms
``u' = Phi(z A^T)``. Each marginal is left exactly as it was; only the dependence changes.
``R_ij = 2 sin(pi rho_ij / 6)`` is the Pearson correlation of a bivariate normal whose Spearman
correlation is ``rho_ij`` (Kruskal, 1958).

Many factors ``A`` satisfy ``A A^T = R`` and each gives a different sample for the same seed.
A LAPACK eigendecomposition, for one, returns eigenvectors whose signs depend on the BLAS/LAPACK
build, so the same seed would give different draws on different machines. mcrisk therefore
uses one canonical factor, the lower-triangular Cholesky factor with a non-negative diagonal,
computed here in plain Python floating point (correctly rounded sums with :func:`math.fsum`,
a fixed order of operations): it is the same, bit for bit, on every machine. For a positive
semi-definite ``R`` (a rank correlation of +-1, or pairs that pin a third) the factor is the
semi-definite Cholesky factor: a pivot that is zero to rounding leaves its column zero, which
is exact for such matrices.

This module is a leaf: it needs numpy, :mod:`scipy.special` and :mod:`mcrisk.core.errors` only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.special as sc

from mcrisk.core.errors import SpecError

__all__ = ["PSD_TOL", "apply_copula", "cholesky", "copula_factor", "normal_correlation", "smallest_eigenvalue"]

#: A correlation matrix whose smallest eigenvalue is above ``-PSD_TOL`` counts as positive
#: semi-definite (rounding in the entries of a valid matrix stays far below this).
PSD_TOL = 1e-10


def normal_correlation(rank: np.ndarray) -> np.ndarray:
    """``R = 2 sin(pi rho / 6)``: the normal copula's correlation for Spearman's ``rho``.

    Parameters
    ----------
    rank
        Spearman rank correlation matrix (dimensionless, entries in [-1, 1]).

    Returns
    -------
    numpy.ndarray
        The Pearson correlation matrix of the copula's normal scores; the diagonal stays 1.
    """
    rank = np.asarray(rank, dtype=float)
    # 2 sin(pi/6) rounds to 1 - 2^-53: a perfect rank correlation (the diagonal among them)
    # must stay exactly +-1, so that an input correlated with nothing keeps its draws exactly.
    return np.where(np.abs(rank) == 1, rank, 2 * np.sin(np.pi * rank / 6))


def smallest_eigenvalue(m: np.ndarray) -> float:
    """The smallest eigenvalue of the symmetric matrix ``m`` (for the positive semi-definite check).

    Only compared with ``-PSD_TOL``; no sample depends on its last bits.

    Parameters
    ----------
    m
        A symmetric square matrix (a correlation matrix; only its lower triangle is read).

    Returns
    -------
    float
        The smallest eigenvalue; 0.0 for an empty matrix.
    """
    return float(np.linalg.eigvalsh(np.asarray(m, dtype=float)).min()) if len(m) else 0.0


def cholesky(r: np.ndarray) -> np.ndarray:
    """The lower-triangular factor ``L`` (``L L^T = r``, ``L_ii >= 0``) of a correlation matrix.

    Parameters
    ----------
    r
        A symmetric positive semi-definite matrix (d, d), d up to a few dozen.

    Returns
    -------
    numpy.ndarray
        ``L``, lower triangular. For a positive definite ``r`` it is the unique Cholesky factor;
        for a semi-definite one, a pivot ``<= 1e-12 r_jj`` sets column ``j`` to zero.

    Notes
    -----
    Cholesky-Banachiewicz, row by row: ``L_jj = sqrt(r_jj - sum_k L_jk^2)`` and
    ``L_ij = (r_ij - sum_k L_ik L_jk) / L_jj`` for ``k < j < i``. Every sum is
    :func:`math.fsum` (correctly rounded) and every operation a Python float operation, so the
    factor does not depend on the machine, its BLAS or its LAPACK.
    """
    a = [[float(x) for x in row] for row in np.asarray(r, dtype=float)]
    d = len(a)
    low = [[0.0] * d for _ in range(d)]
    for i in range(d):
        for j in range(i + 1):
            s = a[i][j] - math.fsum(low[i][k] * low[j][k] for k in range(j))
            if i == j:
                low[i][i] = math.sqrt(s) if s > 1e-12 * a[i][i] else 0.0
            elif low[j][j] > 0.0:
                low[i][j] = s / low[j][j]
    return np.array(low, dtype=float).reshape(d, d)


def apply_copula(u: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """``Phi(Phi^-1(u) A^T)``, row by row, on the columns the factor mixes.

    Parameters
    ----------
    u
        Design rows in ``(0, 1)``, shape (n, d).
    factor
        ``A`` (d, d) from :func:`copula_factor`.

    Returns
    -------
    numpy.ndarray
        ``u`` with the copula's dependence and the same marginals: a new array, or ``u`` itself
        when the factor mixes nothing. A column whose row of ``A`` is a unit row is returned
        exactly as it was.

    Notes
    -----
    Elementwise sums in a fixed order rather than a BLAS matrix product: a BLAS kernel may
    round a row differently depending on how many rows it is given, and a sample must depend
    neither on its chunk nor on the machine.
    """
    eye = np.eye(len(factor))
    cols = [i for i in range(len(factor)) if not np.array_equal(factor[i], eye[i])]
    if not cols:
        return u
    used = [j for j in range(len(factor)) if factor[cols, j].any()]
    z = {j: sc.ndtri(u[:, j]) for j in used}
    u = np.array(u, dtype=float)
    for i in cols:
        acc = np.zeros(u.shape[0])
        for j in used:
            if factor[i, j]:
                acc += factor[i, j] * z[j]
        u[:, i] = sc.ndtr(acc)
    return u


def copula_factor(correlations: Sequence, names: Sequence[str]) -> np.ndarray | None:
    """The canonical factor ``A`` of the copula for rank correlations between ``names``.

    Parameters
    ----------
    correlations
        Objects with attributes ``a``, ``b`` (input names) and ``rank`` (Spearman's rho), as
        :class:`mcrisk.spec.priors.Correlation`.
    names
        The uncertain inputs in design-column order.

    Returns
    -------
    numpy.ndarray or None
        ``A`` (d, d), lower triangular, with ``A A^T = R``; the row of an input that takes part in
        no correlation is its unit row, so its draws are left exactly as the design made them.
        ``None`` when there is no correlation.

    Raises
    ------
    SpecError
        If the rank correlation matrix, or the normal correlation it implies, is not positive
        semi-definite; the message names the smallest eigenvalue and the pairs.
    """
    if not correlations:
        return None
    index = {k: i for i, k in enumerate(names)}
    rho = np.eye(len(names))
    for c in correlations:
        i, j = index[c.a], index[c.b]
        rho[i, j] = rho[j, i] = c.rank
    pearson = normal_correlation(rho)
    for m, what in ((rho, "rank correlation"), (pearson, "implied normal-copula correlation")):
        if (low := smallest_eigenvalue(m)) < -PSD_TOL:
            pairs = ", ".join(f"{c.a}~{c.b} = {c.rank:g}" for c in correlations)
            raise SpecError(f"[[correlation]] the {what} matrix is not positive semi-definite (smallest eigenvalue "
                             f"{low:.3g}); the pairs {pairs} contradict each other")
    return cholesky(pearson)

