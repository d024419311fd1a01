"""The tabulated beta / PERT inverse CDF against scipy.special.betaincinv, tails included."""

from pathlib import Path

import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as st

from mcrisk.distributions.families import BETA_PPF_RTOL, beta_ppf
from mcrisk.spec.priors import parse_prior

# A dense grid of probabilities reaching 1e-17 into both tails (the designs never go below
# 2**-54), and the centre on an even grid.
_TAIL = np.logspace(-17, np.log10(0.5), 4000)
U = np.unique(np.concatenate([_TAIL, np.linspace(0, 1, 20001), 1 - _TAIL]))

SHAPES = [(2.0, 3.0), (0.3, 0.5), (0.5, 5.0), (5.0, 0.7), (1.0, 1.0), (1.0, 5.0), (0.1, 0.1),
          (20.0, 0.2), (50.0, 50.0), (0.05, 3.0), (1.8, 4.2), (3.0, 1.0)]

#: The bound the tests hold the table to: 10 x the build tolerance, plus the rounding of x.
BOUND = 10 * BETA_PPF_RTOL


@pytest.mark.parametrize(("a", "b"), SHAPES, ids=[f"a={a:g},b={b:g}" for a, b in SHAPES])
def test_beta_ppf_error_bound(a, b):
    x, ref = beta_ppf(a, b, U), sc.betaincinv(a, b, U)
    err = np.abs(x - ref)
    allowed = BOUND * np.minimum(ref, 1 - ref) + 2.0**-52
    worst = np.argmax(err / allowed)
    assert err[worst] <= allowed[worst], f"u = {U[worst]!r}: {x[worst]!r} vs {ref[worst]!r}"


@pytest.mark.parametrize(("a", "b"), SHAPES[:6], ids=[f"a={a:g},b={b:g}" for a, b in SHAPES[:6]])
def test_beta_ppf_round_trip(a, b):
    # F(ppf(u)) = u to the accuracy F itself allows at x: |F(x + dx) - F(x)| ~ f(x) |dx|.
    x = beta_ppf(a, b, U)
    ref = sc.betaincinv(a, b, U)
    inside = (ref > 1e-300) & (ref < 1 - 1e-15)
    slack = st.beta(a, b).pdf(ref[inside]) * (BOUND * np.minimum(ref, 1 - ref)[inside] + 2.0**-52)
    gap = np.abs(sc.betainc(a, b, x[inside]) - U[inside])
    assert np.all(gap <= slack + 4e-16)  # 4e-16: the rounding of F itself


def test_beta_ppf_ends_and_monotone():
    x = beta_ppf(0.4, 2.5, U)
    assert x[0] == 0.0 and x[-1] == 1.0
    assert np.all(np.diff(x) >= 0)
    assert np.all(np.isnan(beta_ppf(2.0, 3.0, np.array([-0.1, 1.1, np.nan]))))


def test_beta_ppf_shapes_beyond_any_table_fall_back_to_scipy():
    np.testing.assert_array_equal(beta_ppf(400.0, 3.0, U), sc.betaincinv(400.0, 3.0, U))


def test_pert_prior_uses_the_table_and_matches_scipy():
    p = parse_prior("gpu_hour_price", {"dist": "pert", "low": 1.5, "mode": 2.0, "high": 3.5},
                    file="t.toml", table="gpu_hour_price")
    # lambda = 4: a = 1 + 4 (2 - 1.5)/2 = 2, b = 1 + 4 (3.5 - 2)/2 = 4
    x, ref = p.ppf(U), st.beta(2.0, 4.0, loc=1.5, scale=2.0).ppf(U)
    np.testing.assert_allclose(x, ref, rtol=BOUND, atol=2 * 2.0**-52)


def test_scaled_beta_prior():
    p = parse_prior("share", {"dist": "beta", "a": 0.7, "b": 0.9, "low": 0.2, "high": 0.6},
                    file="t.toml", table="share")
    np.testing.assert_allclose(p.ppf(U), 0.2 + 0.4 * sc.betaincinv(0.7, 0.9, U), rtol=BOUND, atol=1e-15)


def test_beta_ppf_keeps_shape():
    u = np.linspace(0.01, 0.99, 12).reshape(3, 4)
    assert beta_ppf(2.0, 2.0, u).shape == (3, 4)
    # Beta(2, 2) is symmetric: F^-1(1 - u) = 1 - F^-1(u).
    np.testing.assert_allclose(beta_ppf(2.0, 2.0, 1 - u), 1 - beta_ppf(2.0, 2.0, u), atol=4e-16)


def test_the_kernel_is_a_leaf_module_that_families_re_exports():
    import ast
    import inspect

    import mcrisk.distributions.betappf
    import mcrisk.distributions.families

    assert mcrisk.distributions.families.beta_ppf is mcrisk.distributions.betappf.beta_ppf
    assert mcrisk.distributions.families.BETA_PPF_RTOL == mcrisk.distributions.betappf.BETA_PPF_RTOL == 1e-10
    tree = ast.parse(inspect.getsource(mcrisk.distributions.betappf))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported == {"__future__", "functools", "math", "numpy", "scipy.special"}


def test_a_check_probes_pert_and_beta_without_building_a_table():
    # A table costs tens of ms and serves many draws; a check's probes take a handful of
    # probabilities straight from betaincinv, which the table matches to BOUND.
    from mcrisk.distributions import betappf
    from mcrisk.spec.studyfile import load_study

    betappf._beta_table.cache_clear()
    root = Path(__file__).resolve().parent.parent
    study = load_study(root / "studies" / "third_party_provider.toml")  # its GPU rent is a PERT
    assert betappf._beta_table.cache_info().currsize == 0
    rent = study.priors["gpu_hour_price"]
    few, drawn = rent.ppf(U, few=True), rent.ppf(U)
    assert betappf._beta_table.cache_info().currsize == 1
    np.testing.assert_array_equal(few, rent.params["low"] + (rent.params["high"] - rent.params["low"])
                                  * sc.betaincinv(*_pert_ab(rent.params), U))
    np.testing.assert_allclose(drawn, few, rtol=BOUND, atol=2 * 31.25 * 2.0**-52)
    p = parse_prior("share", {"dist": "beta", "a": 0.7, "b": 0.9}, file="t.toml", table="share")
    np.testing.assert_array_equal(p.ppf(U, few=True), sc.betaincinv(0.7, 0.9, U))


def _pert_ab(p):
    span = p["high"] - p["low"]
    return 1 + 4 * (p["mode"] - p["low"]) / span, 1 + 4 * (p["high"] - p["mode"]) / span
