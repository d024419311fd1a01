"""Test functions with known sensitivity indices, to prove the estimators right.

Both take inputs ``x1 ... xk`` on their usual domains and return ``{"y": ...}``.

Notes
-----
**Ishigami** (Ishigami and Homma, 1990), ``x_i ~ U(-pi, pi)``::

    y = sin x1 + a sin^2 x2 + b x3^4 sin x1

With ``V1 = 1/2 (1 + b pi^4/5)^2``, ``V2 = a^2/8``, ``V13 = b^2 pi^8 (1/18 - 1/50)`` and
``V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2``, the indices are ``S1 = (V1, V2, 0)/V`` and
``ST = (V1 + V13, V2, V13)/V``; for ``a = 7, b = 0.1``: S1 = 0.3139, 0.4424, 0 and
ST = 0.5576, 0.4424, 0.2437.

**Sobol' G-function** (Saltelli and Sobol', 1995), ``x_i ~ U(0, 1)``::

    y = prod_i (|4 x_i - 2| + a_i) / (1 + a_i)

with ``V_i = 1 / (3 (1 + a_i)^2)``, ``V = prod_i (1 + V_i) - 1``, ``S1_i = V_i / V`` and
``ST_i = V_i prod_{j != i} (1 + V_j) / V``. Small ``a_i`` means an important input.

References
----------
T. Ishigami, T. Homma (1990), An importance quantification technique in uncertainty analysis
for computer models. A. Saltelli, I. M. Sobol' (1995), About the use of rank transformation in
sensitivity analysis of model output, Reliab. Eng. Syst. Saf. 50.
"""

from __future__ import annotations

import numpy as np

from mcrisk.models.base import model

__all__ = ["G_A", "gfunction", "gfunction_indices", "ishigami", "ishigami_indices"]

#: The usual coefficients of the 8-input G-function.
G_A = (0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0)


@model(outputs={"y": ("1", "Ishigami function")}, default_output="y")
def ishigami(*, x1, x2, x3, a=7.0, b=0.1) -> dict[str, np.ndarray]:
    """The Ishigami function ``sin x1 + a sin^2 x2 + b x3^4 sin x1`` (inputs on [-pi, pi]).

    Parameters
    ----------
    x1, x2, x3 : array_like
        The inputs (1), usually uniform on [-pi, pi].
    a, b : float
        The coefficients; 7 and 0.1 give the indices of the module notes.

    Returns
    -------
    dict of str to ndarray
        ``{"y": ...}`` (1).
    """
    return {"y": np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)}


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, np.ndarray]:
    """Analytic first-order and total indices of :func:`ishigami` (see the module notes).

    Parameters
    ----------
    a, b
        The coefficients of :func:`ishigami`.

    Returns
    -------
    dict of str to ndarray
        ``{"S1": ..., "ST": ...}``, each of shape (3,) for ``x1, x2, x3`` (1).
    """
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    v = a**2 / 8 + b * np.pi**4 / 5 + b**2 * np.pi**8 / 18 + 0.5
    return {"S1": np.array([v1, v2, 0.0]) / v, "ST": np.array([v1 + v13, v2, v13]) / v}


@model(outputs={"y": ("1", "Sobol' G-function")}, default_output="y")
def gfunction(a=G_A, **x) -> dict[str, np.ndarray]:
    """The Sobol' G-function of inputs ``x1 ... xk`` on [0, 1] with coefficients ``a``.

    Parameters
    ----------
    a : sequence of float
        One coefficient per input, >= 0 (default :data:`G_A`, 8 inputs).
    **x : array_like
        The inputs ``x1 ... xk`` (1), on [0, 1]; ``k = len(a)``.

    Returns
    -------
    dict of str to ndarray
        ``{"y": ...}`` (1).

    Raises
    ------
    ValueError
        If the number of inputs differs from ``len(a)``.
    """
    names = sorted(x, key=lambda k: int(k[1:]))
    if len(names) != len(a):
        raise ValueError(f"gfunction got {len(names)} inputs but {len(a)} coefficients a")
    y = 1.0
    for k, ai in zip(names, a, strict=True):
        y = y * (np.abs(4 * np.asarray(x[k]) - 2) + ai) / (1 + ai)
    return {"y": y}



def gfunction_indices(a=G_A) -> dict[str, np.ndarray]:
    """Analytic first-order and total indices of :func:`gfunction` (see the module notes).

    Parameters
    ----------
    a : sequence of float
        The coefficients of :func:`gfunction`.

    Returns
    -------
    dict of str to ndarray
        ``{"S1": ..., "ST": ...}``, each of shape ``(len(a),)`` (1).
    """
    vi = 1 / (3 * (1 + np.asarray(a, dtype=float)) ** 2)
    v = np.prod(1 + vi) - 1
    st_ = np.array([vi[i] * np.prod(np.delete(1 + vi, i)) for i in range(len(vi))]) / v
    return {"S1": vi / v, "ST": st_}
