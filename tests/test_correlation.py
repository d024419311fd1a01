"""Rank correlations: the Gaussian copula keeps every marginal and hits its Spearman target.

The copula lives in mcrisk/sampling.py (``copula_factor``, ``to_values``) and the tables are
checked in mcrisk/priors.py (``parse_correlations``); these tests hold both to the issue's
contract at 10^5 samples (2^17 = 131,072, a power of 2 so Sobol' stays balanced).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st

from mcrisk import SpecError, load_priors, load_study, sample
from conftest import bonferroni_z, ks_crit, quantile_se, spearman_se

ROOT = Path(__file__).resolve().parent.parent
N = 2**17
METHOD_IDS = ["random", "lhs", "sobol"]
# Tolerances are random-sampling errors at N (see tests/conftest.py): for the LHS and Sobol'
# designs, which err less, they are conservative. The Gaussian copula maps each Spearman
# target r to the normal correlation 2 sin(pi r / 6), whose Spearman is r exactly, so the
# targets are the true values and only sampling error is left.

_MARGINALS = """
[a]
dist = "triangular"
low = 1.5
mode = 2.0
high = 3.5

[b]
dist = "lognormal"
median = 14800
sigma = 0.6

[c]
dist = "beta"
a = 2.0
b = 5.0

[d]
dist = "loguniform"
low = 964.5
high = 14800
"""


def _priors(tmp_path: Path, corr: str, name: str = "p.toml"):
    path = tmp_path / name
    path.write_text(_MARGINALS + corr, encoding="utf-8")
    return load_priors(path)


def _corr(*pairs: tuple[str, str, float]) -> str:
    return "".join(f'\n[[correlation]]\nbetween = ["{a}", "{b}"]\nrank = {r}\n' for a, b, r in pairs)


CASES = {
    "positive": [("a", "b", 0.8)],
    "negative": [("c", "d", -0.6)],
    "three": [("a", "b", 0.5), ("b", "d", -0.3), ("a", "d", 0.4)],
}


@pytest.fixture(scope="module", params=METHOD_IDS)
def draws(request, tmp_path_factory) -> dict:
    """One correlated draw per method with all three cases' pairs at once (a 4x4 matrix)."""
    tmp = tmp_path_factory.mktemp("corr")
    pairs = [("a", "b", 0.8), ("c", "d", -0.6), ("b", "c", 0.3), ("a", "d", 0.4)]
    priors = _priors(tmp, _corr(*pairs))
    ds = sample(priors, N, method=request.param, rng=7)
    return {"priors": priors, "ds": ds, "pairs": pairs, "method": request.param}


def test_achieved_spearman_is_within_sampling_error_of_target(draws) -> None:
    # 4 pairs: z = 4.21 SE each; SE = (1 - r^2) sqrt(1.06 / (N - 3)) = 0.0010 to 0.0028 here.
    ds, z = draws["ds"], bonferroni_z(len(draws["pairs"]))
    for a, b, target in draws["pairs"]:
        rho = st.spearmanr(ds[a].values, ds[b].values).statistic
        assert abs(rho - target) < z * spearman_se(target, N), (draws["method"], a, b, rho, target)


def test_marginals_are_unchanged(draws) -> None:
    # 4 Kolmogorov-Smirnov distances and 4 x 5 quantiles: 24 assertions, 1e-4 in all, so the
    # KS critical value at 1e-4 / 24 (2.56 / sqrt(N)) and z = 4.60 SE per quantile, where the
    # SE of the p-quantile is sqrt(p (1 - p) / N) / f(x_p): for beta(2, 5) at p = 0.05 that is
    # 0.00041 (0.7% of 0.0628), so the tolerance is 0.0019.
    priors, ds = draws["priors"], draws["ds"]
    p = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
    z, crit = bonferroni_z(24), ks_crit(N, 24)
    for name in "abcd":
        x, dist = ds[name].values, priors[name].dist
        ks = st.kstest(x, dist.cdf).statistic
        assert ks < crit, (draws["method"], name, ks)
        q = np.quantile(x, p)
        assert np.all(np.abs(q - dist.ppf(p)) < z * quantile_se(dist, p, N)), (draws["method"], name, q)


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_each_case_alone_hits_its_targets(tmp_path: Path, case: str) -> None:
    priors = _priors(tmp_path, _corr(*CASES[case]))
    ds = sample(priors, N, method="lhs", rng=11)
    # at most 3 + 2 Spearman estimates per case: z = 4.27 SE each (SE at r = 0: 0.0028)
    z = bonferroni_z(5)
    for a, b, target in CASES[case]:
        assert abs(st.spearmanr(ds[a].values, ds[b].values).statistic - target) < z * spearman_se(target, N)
    # pairs not declared stay independent
    declared = {frozenset((a, b)) for a, b, _ in CASES[case]}
    for a, b in [("a", "c"), ("c", "b")]:
        if frozenset((a, b)) not in declared:
            assert abs(st.spearmanr(ds[a].values, ds[b].values).statistic) < z * spearman_se(0.0, N)


def test_uncorrelated_priors_draw_independent_inputs(tmp_path: Path) -> None:
    ds = sample(_priors(tmp_path, ""), N, method="random", rng=3)
    # 4 SE of Spearman's r at r = 0: 4 sqrt(1.06 / (N - 3)) = 0.011
    assert abs(st.spearmanr(ds["a"].values, ds["b"].values).statistic) < bonferroni_z(1) * spearman_se(0.0, N)


def test_a_study_correlation_reaches_its_samples() -> None:
    study = load_study(ROOT / "studies" / "fleet_400.toml")
    ds = sample(study.priors, study.samples, method=study.method, rng=study.seed)
    rho = st.spearmanr(ds["decode_tps_per_node"].values, ds["prefill_tps_per_node"].values).statistic
    # 4 SE of Spearman's r at r = 0.8 and the study's samples (0.0076 at 4,000)
    assert abs(rho - 0.8) < bonferroni_z(1) * spearman_se(0.8, study.samples)


BAD = {
    "unknown_name": (_corr(("a", "zz", 0.5)),
                     "[[correlation]] #1 between = ['a', 'zz']: 'zz' is not an input here; known: k, a, b, c, d"),
    "rank_above_1": (_corr(("a", "b", 1.5)), "[[correlation]] #1 rank = 1.5 must lie in [-1, 1]"),
    "rank_below_minus_1": (_corr(("a", "b", -1.01)), "[[correlation]] #1 rank = -1.01 must lie in [-1, 1]"),
    "not_psd": (_corr(("a", "b", 0.9), ("b", "c", 0.9), ("a", "c", -0.9)),
                "[[correlation]] the rank correlation matrix is not positive semi-definite (smallest "
                "eigenvalue -0.8); the pairs a~b = 0.9, b~c = 0.9, a~c = -0.9 contradict each other"),
    "pair_twice": (_corr(("a", "b", 0.5), ("b", "a", 0.2)),
                   "[[correlation]] #2 between = ['b', 'a'] repeats the pair of [[correlation]] #1"),
    "same_input_twice": (_corr(("a", "a", 0.5)),
                         "[[correlation]] #1 between = ['a', 'a'] must name two different inputs"),
    "constant_input": (_corr(("a", "k", 0.5)),
                       "[[correlation]] #1 between = ['a', 'k']: 'k' is a constant; only uncertain inputs "
                       "can be correlated"),
    "missing_rank": ('\n[[correlation]]\nbetween = ["a", "b"]\n',
                     "[[correlation]] #1 rank is missing; give a Spearman rank correlation in [-1, 1]"),
    "rank_not_a_number": ('\n[[correlation]]\nbetween = ["a", "b"]\nrank = "high"\n',
                          "[[correlation]] #1 rank = 'high' must be a number"),
    "one_name": ('\n[[correlation]]\nbetween = ["a"]\nrank = 0.5\n',
                 "[[correlation]] #1 between = ['a'] must name two inputs, e.g. [\"a\", \"b\"]"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_correlation_tables_are_rejected_with_the_exact_message(tmp_path: Path, case: str) -> None:
    corr, message = BAD[case]
    path = tmp_path / "bad.toml"
    path.write_text("k = 3\n" + _MARGINALS + corr, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_priors(path)
    assert str(err.value) == f"{path}: {message}"


def test_a_study_correlation_on_an_input_it_made_constant_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_text(_MARGINALS + _corr(("a", "b", 0.5)), encoding="utf-8")
    study = tmp_path / "s.toml"
    study.write_text('model = "ishigami"\npriors = ["p.toml"]\n[inputs]\nb = 2.0\n', encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_study(study)
    assert str(err.value).endswith(": b is a constant here; only uncertain inputs can be correlated")
