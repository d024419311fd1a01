"""Shared fixtures: paths to the repository's files and the tests' tiny data files, a seeded rng.

And the standard errors the statistical tests derive their tolerances from. A tolerance on a
random quantity is ``z`` standard errors with ``z = bonferroni_z(k)``: a test making ``k`` such
assertions then fails by chance with probability below 1e-4 in all (at least 4 SE each).
For LHS and scrambled Sobol' designs these random-sampling standard errors are conservative:
stratification only shrinks the error of the smooth statistics tested here.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import settings

import mcrisk

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

# Hypothesis: no per-example deadline (the first call of a property imports scipy paths), and
# few enough examples that the properties stay a small share of the suite's time budget.
settings.register_profile("mcrisk", deadline=None, max_examples=60)
# CI (CI=true) explores the same generated cases on every run, so a landing never depends on the
# draw; a developer's run explores new ones each time (and keeps what failed in .hypothesis/).
settings.register_profile("mcrisk-ci", parent=settings.get_profile("mcrisk"), derandomize=True, database=None)
settings.load_profile("mcrisk-ci" if os.environ.get("CI") else "mcrisk")


#: Total false-failure rate allowed to one test's statistical assertions.
FALSE_FAILURE_RATE = 1e-4


def bonferroni_z(k: int = 1, rate: float = FALSE_FAILURE_RATE) -> float:
    """Two-sided normal ``z`` for ``k`` assertions failing by chance with probability <= ``rate``
    in all (Bonferroni: ``rate / k`` each), and never below 4."""
    return max(4.0, float(st.norm.isf(rate / (2 * k))))


def prob_se(p: float, n: int) -> float:
    """Standard error of a sample proportion with true probability ``p`` from ``n`` draws."""
    return float(np.sqrt(p * (1 - p) / n))


def quantile_se(dist, p, n: int) -> np.ndarray:
    """Asymptotic standard error of the sample ``p``-quantile of ``n`` draws from the frozen
    scipy distribution ``dist``: ``sqrt(p (1 - p) / n) / f(x_p)`` with ``f`` its density."""
    p = np.asarray(p, dtype=float)
    return np.sqrt(p * (1 - p) / n) / dist.pdf(dist.ppf(p))


def spearman_se(rho: float, n: int) -> float:
    """Standard error of Spearman's rank correlation of ``n`` pairs around the true ``rho``:
    ``var(atanh r_s) = 1.06 / (n - 3)`` (Fieller, Hartley and Pearson, 1957), mapped back
    through ``d tanh(z) / dz = 1 - rho^2``."""
    return float((1 - rho**2) * np.sqrt(1.06 / (n - 3)))


def ks_crit(n: int, k: int = 1, rate: float = FALSE_FAILURE_RATE) -> float:
    """The one-sample Kolmogorov-Smirnov distance that ``n`` draws from the right distribution
    exceed with probability ``rate / k`` (exact, ``scipy.stats.kstwo``)."""
    return float(st.kstwo.isf(rate / k, n))


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded Generator, so every test draws the same numbers on every run."""
    return np.random.default_rng(20250301)


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository root (priors/, studies/)."""
    return ROOT


@pytest.fixture(scope="session")
def good() -> Path:
    """tests/data/good: files mcrisk must accept."""
    return DATA / "good"


@pytest.fixture(scope="session")
def bad() -> Path:
    """tests/data/bad: files mcrisk must reject, one mistake each, named after the mistake."""
    return DATA / "bad"


@pytest.fixture(scope="session")
def deepseek_priors_path() -> Path:
    """DeepSeek's published 24 h point values (2025-02-27)."""
    return ROOT / "priors" / "deepseek-2025-02-27.toml"


@pytest.fixture(scope="session")
def every_family(good: Path) -> mcrisk.Priors:
    """One prior per family and per spelling (bare number, value, 90% interval, scipy name)."""
    return mcrisk.load_priors(good / "every_family.toml")


def pytest_configure(config: pytest.Config) -> None:
    # Hypothesis, when it reports a failing example, imports a module that imports the
    # deprecated mypy_extensions.TypedDict; with filterwarnings = error that turns the report
    # into an INTERNALERROR that hides the falsifying example.
    config.addinivalue_line(
        "filterwarnings", "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning")
