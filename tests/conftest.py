"""Shared fixtures: paths to the repository's files and the tests' tiny data files, a seeded rng."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

import mcrisk

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

# Hypothesis: no per-example deadline (the first call of a property imports scipy paths), and
# few enough examples that the properties stay a small share of the suite's time budget.
settings.register_profile("mcrisk", deadline=None, max_examples=60)
settings.load_profile("mcrisk")


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
