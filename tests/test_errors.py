"""How error messages quote what the user gave: shortened in the middle, both ends kept."""

from __future__ import annotations

import pytest

from mcrisk.core.errors import SpecError, clip, shorten


@pytest.mark.parametrize("text, limit, expected", [
    ("abcdefghij", 10, "abcdefghij"),
    ("abcdefghij", 9, "abc...hij"),
    ("abcdefghij", 8, "abc...ij"),
    ("abcdefghij", 7, "ab...ij"),
    ("", 5, ""),
])
def test_clip(text: str, limit: int, expected: str) -> None:
    assert clip(text, limit) == expected


def test_shorten_is_a_repr_of_at_most_limit_characters() -> None:
    assert shorten("p05") == "'p05'"
    assert shorten(1.5) == "1.5"
    long = shorten({"low": list(range(1000))})
    assert len(long) == 200
    assert long.startswith("{'low': [0, 1, 2,") and long.endswith("998, 999]}") and "..." in long
    assert shorten("x" * 500, 20) == "'xxxxxxxx...xxxxxxx'"


def test_specerror_is_a_valueerror() -> None:
    assert issubclass(SpecError, ValueError)
