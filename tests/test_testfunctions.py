"""The test functions' analytic indices, checked against direct quadrature of their variances."""

from __future__ import annotations

import numpy as np
import pytest

from mcrisk.models.testfunctions import G_A, gfunction, gfunction_indices, ishigami, ishigami_indices

# Gauss-Legendre on [0, 1]; 40 nodes integrate these smooth integrands to machine precision.
_T, _W = np.polynomial.legendre.leggauss(40)
_U, _WU = (_T + 1) / 2, _W / 2


def test_ishigami_indices_are_the_published_values():
    s = ishigami_indices()
    np.testing.assert_allclose(s["S1"], [0.3139, 0.4424, 0.0], atol=5e-5)
    np.testing.assert_allclose(s["ST"], [0.5576, 0.4424, 0.2437], atol=5e-5)


def test_ishigami_indices_match_quadrature():
    x = -np.pi + 2 * np.pi * _U
    x1, x2, x3 = np.meshgrid(x, x, x, indexing="ij")
    w = _WU[:, None, None] * _WU[None, :, None] * _WU[None, None, :]
    y = ishigami(x1=x1, x2=x2, x3=x3)["y"]
    mean = (w * y).sum()
    var = (w * (y - mean) ** 2).sum()
    assert var == pytest.approx(7**2 / 8 + 0.1 * np.pi**4 / 5 + 0.01 * np.pi**8 / 18 + 0.5, rel=1e-10)
    s = ishigami_indices()
    for i in range(3):
        axes = tuple(j for j in range(3) if j != i)
        cond = (w * y).sum(axis=axes) / w.sum(axis=axes)        # E[y | x_i]
        wi = w.sum(axis=axes)
        assert (wi * (cond - mean) ** 2).sum() / var == pytest.approx(s["S1"][i], abs=1e-10)
        rest = (w * y).sum(axis=i, keepdims=True) / w.sum(axis=i, keepdims=True)  # E[y | x_~i]
        assert (w * (y - rest) ** 2).sum() / var == pytest.approx(s["ST"][i], abs=1e-10)


def test_gfunction_indices_match_quadrature():
    # 3 inputs; the kink of |4x - 2| at 0.5 is split so each half is integrated exactly.
    a = (0.0, 1.0, 9.0)
    u = np.concatenate([_U / 2, 0.5 + _U / 2])
    wu = np.concatenate([_WU, _WU]) / 2
    x1, x2, x3 = np.meshgrid(u, u, u, indexing="ij")
    w = wu[:, None, None] * wu[None, :, None] * wu[None, None, :]
    y = gfunction(a=a, x1=x1, x2=x2, x3=x3)["y"]
    assert (w * y).sum() == pytest.approx(1.0, abs=1e-12)
    var = (w * (y - 1) ** 2).sum()
    s = gfunction_indices(a)
    for i in range(3):
        axes = tuple(j for j in range(3) if j != i)
        wi = w.sum(axis=axes)
        cond = (w * y).sum(axis=axes) / wi
        assert (wi * (cond - 1) ** 2).sum() / var == pytest.approx(s["S1"][i], abs=1e-10)
        rest = (w * y).sum(axis=i, keepdims=True) / w.sum(axis=i, keepdims=True)
        assert (w * (y - rest) ** 2).sum() / var == pytest.approx(s["ST"][i], abs=1e-10)


def test_gfunction_default_coefficients_rank_inputs():
    s = gfunction_indices(G_A)
    assert list(np.argsort(-s["ST"], kind="stable")) == list(range(8))
    assert s["S1"][0] == pytest.approx((1 / 3) / (np.prod(1 + 1 / (3 * (1 + np.array(G_A)) ** 2)) - 1))


def test_gfunction_rejects_wrong_number_of_coefficients():
    with pytest.raises(ValueError, match="gfunction got 2 inputs but 8 coefficients a"):
        gfunction(x1=np.zeros(3), x2=np.zeros(3))
