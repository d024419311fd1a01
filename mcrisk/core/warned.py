"""Warnings that stay with the run that gave them, when runs share a process with other threads.

Python's warning filters and its ``showwarning`` hook are one per process (until 3.14), so a
block that records warnings (``warnings.catch_warnings(record=True)``) in one thread also
records those another thread gives meanwhile, and two blocks that change the filters in two
threads can put back each other's filters. Every such block in mcrisk is
:func:`guarded_warnings`, and every warning mcrisk gives goes through :func:`warn`: both hold
one process-wide re-entrant lock, so a study run in one thread never records, drops or shows
a warning of a study run in another (``tests/test_threads.py``). The command line's own hook,
which only prints, is the one block outside it.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Iterator

from mcrisk.core.errors import MCRiskWarning

__all__ = ["WARNINGS_LOCK", "guarded_warnings", "warn", "warn_again"]

#: held while a block changes or records warnings, and while mcrisk gives one
WARNINGS_LOCK = threading.RLock()


@contextlib.contextmanager
def guarded_warnings(*, record: bool = False) -> Iterator[list[warnings.WarningMessage] | None]:
    """:func:`warnings.catch_warnings` holding :data:`WARNINGS_LOCK`.

    Parameters
    ----------
    record
        As for :func:`warnings.catch_warnings`: collect the warnings in a list instead of showing them.

    Yields
    ------
    list of warnings.WarningMessage or None
        The recorded warnings (with ``record``), else None.
    """
    with WARNINGS_LOCK, warnings.catch_warnings(record=record) as caught:
        yield caught


def warn(message: str, category: type[Warning] = MCRiskWarning, stacklevel: int = 1) -> None:
    """:func:`warnings.warn` holding :data:`WARNINGS_LOCK` (``stacklevel`` counted from the caller).

    Parameters
    ----------
    message
        The warning's text.
    category
        Its category (default :class:`~mcrisk.core.errors.MCRiskWarning`).
    stacklevel
        As for :func:`warnings.warn`, from the caller of this function: 1 names the caller's line.
    """
    with WARNINGS_LOCK:
        warnings.warn(message, category, stacklevel=stacklevel + 1)


def warn_again(kept: tuple) -> None:
    """:func:`warnings.warn_explicit` of a warning recorded elsewhere (a forked job), holding :data:`WARNINGS_LOCK`.

    Parameters
    ----------
    kept
        ``(message, category, filename, lineno)`` as recorded.
    """
    with WARNINGS_LOCK:
        warnings.warn_explicit(*kept)
