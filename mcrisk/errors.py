"""The one error type mcrisk raises for bad user input."""

from __future__ import annotations

__all__ = ["SpecError", "MCRiskWarning"]


class SpecError(ValueError):
    """A priors file, study file or argument that mcrisk cannot accept.

    The message is one line naming the file, the key, the value and what is allowed, for
    example ``priors/x.toml: [gpu_hour_price] dist = 'trianglar' is not a family; known: beta,
    constant, ...``. The command line prints it and exits with status 2.
    """


class MCRiskWarning(UserWarning):
    """A result that is valid but needs the reader's attention (too few samples, NaN outputs)."""
