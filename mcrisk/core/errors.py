"""The one error type mcrisk raises for bad user input, and how messages quote what they were given."""

from __future__ import annotations

__all__ = ["SpecError", "MCRiskWarning", "Terminated", "clip", "shorten"]


class SpecError(ValueError):
    """A priors file, study file or argument that mcrisk cannot accept.

    The message is one line naming the file, the key, the value and what is allowed, for
    example ``priors/x.toml: [gpu_hour_price] dist = 'trianglar' is not a family; known: beta,
    constant, ...``. The command line prints it and exits with status 2.
    """


class MCRiskWarning(UserWarning):
    """A result that is valid but needs the reader's attention (too few samples, NaN outputs)."""


class Terminated(BaseException):
    """Raised in the main thread by the command line's SIGTERM handler.

    A ``BaseException`` like ``KeyboardInterrupt``, so that the same cleanup (a half-written
    output folder removed) runs for both, and no ``except Exception`` swallows it. The command
    line prints ``terminated`` and exits with status 143 (128 + SIGTERM).
    """


def clip(text: str, limit: int = 200) -> str:
    """``text`` cut in the middle to at most ``limit`` characters, the cut marked ``...``.

    Parameters
    ----------
    text
        The text.
    limit
        Its largest length, in characters (a cut text is never shorter than 5: one character,
        ``...``, one character).

    Returns
    -------
    str
        ``text`` itself when it is short enough, else its start, ``...`` and its end.

    Examples
    --------
    >>> clip("abcdefghij", 7)
    'ab...ij'
    """
    if len(text) <= limit:
        return text
    keep = max(limit - 3, 2)
    return f"{text[:(keep + 1) // 2]}...{text[len(text) - keep // 2:]}"


def shorten(value: object, limit: int = 200) -> str:
    """``repr(value)`` for an error message, cut in the middle to at most ``limit`` characters.

    A message echoes what the user gave so the mistake is plain to see; a pasted table or a
    megabyte string must not fill the terminal, and both ends usually show what it was.

    Parameters
    ----------
    value
        Any value the user gave.
    limit
        The largest length of the text, in characters (as :func:`clip`).

    Returns
    -------
    str
        ``repr(value)``, cut by :func:`clip`.

    Examples
    --------
    >>> shorten("x" * 500, 20)
    "'xxxxxxxx...xxxxxxx'"
    >>> shorten(1.5)
    '1.5'
    """
    return clip(repr(value), limit)
