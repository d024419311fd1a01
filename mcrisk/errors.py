"""The one error type mcrisk raises for bad user input."""

from __future__ import annotations

__all__ = ["SpecError", "MCRiskWarning", "shorten"]


class SpecError(ValueError):
    """A priors file, study file or argument that mcrisk cannot accept.

    The message is one line naming the file, the key, the value and what is allowed, for
    example ``priors/x.toml: [gpu_hour_price] dist = 'trianglar' is not a family; known: beta,
    constant, ...``. The command line prints it and exits with status 2.
    """


class MCRiskWarning(UserWarning):
    """A result that is valid but needs the reader's attention (too few samples, NaN outputs)."""


def shorten(value: object, limit: int = 200) -> str:
    """``repr(value)``, cut in the middle with `` ... `` when longer than ``limit`` characters.

    Error messages quote the value they refuse; a 2 MB value must not make a 2 MB line.

    Examples
    --------
    >>> shorten("x" * 1000, limit=20)
    "'xxxxxxx ... xxxxxx'"
    """
    text = repr(value)
    if len(text) <= limit:
        return text
    keep = max(limit - 5, 2)
    return f"{text[: keep - keep // 2]} ... {text[len(text) - keep // 2:]}"
