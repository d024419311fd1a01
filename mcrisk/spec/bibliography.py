"""The bibliography: every bracketed key in a prior's ``source`` resolves to a full citation.

A ``source`` such as ``"DeepSeek [DS-post]: ~14.8 k output tokens/s per H800 node"`` cites
``DS-post``. The citations live in ``SOURCES.md`` beside the priors files (the project's is
``priors/SOURCES.md``), one list item per key, readable as it is::

    - **[DS-post]** github.com/deepseek-ai/open-infra-index/... (the address, as found)

:func:`unknown_keys` lists the keys a study cites that no bibliography holds (``mcrisk check``
warns about them; ``--strict`` makes them an error); :func:`cited_sources` gives the citations
of the keys cited, for the report and the deck.

Pure Python, so ``mcrisk check`` stays fast.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mcrisk.core.errors import SpecError

__all__ = ["BIBLIOGRAPHY", "bibliography", "cited_sources", "source_keys", "unknown_keys"]

#: The file name of a bibliography, looked for beside each priors file and the study.
BIBLIOGRAPHY = "SOURCES.md"
_KEY = re.compile(r"\[([A-Za-z0-9_.-]*[A-Za-z][A-Za-z0-9_.-]*)\]")  # a letter in it: [0.5] is no key
_ITEM = re.compile(r"^- \*\*\[([A-Za-z0-9_.-]*[A-Za-z][A-Za-z0-9_.-]*)\]\*\*\s+(\S.*)$", re.M)


def source_keys(text: str) -> list[str]:
    """The bracketed keys cited in a ``source`` text, in order, each once.

    Parameters
    ----------
    text
        A prior's ``source``.

    Returns
    -------
    list of str
        ``"DeepSeek [DS-post]; [MIT-TR]"`` -> ``["DS-post", "MIT-TR"]``.
    """
    return list(dict.fromkeys(_KEY.findall(text or "")))


@functools.cache
def _read(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError(f"{path}: cannot be read as a bibliography: {err}") from None
    return {key: citation.strip() for key, citation in _ITEM.findall(text)}


def bibliography(folders: Iterable[str | Path]) -> dict[str, str]:
    """The citations of every ``SOURCES.md`` in ``folders`` (earlier folders win on a clash).

    Parameters
    ----------
    folders
        Folders to look in (the priors files' and the study's).

    Returns
    -------
    dict
        Key -> citation.

    Raises
    ------
    SpecError
        For a ``SOURCES.md`` that cannot be read.
    """
    found: dict[str, str] = {}
    for folder in folders:
        path = Path(folder).resolve() / BIBLIOGRAPHY
        if path.is_file():
            found = {**_read(path), **found}
    return found


def _folders(priors: Any, extra: Iterable[str | Path] = ()) -> list[Path]:
    return list(dict.fromkeys([*(Path(p).parent for p, _ in getattr(priors, "texts", ())),
                               *(Path(e) for e in extra)]))


def unknown_keys(priors: Mapping[str, Any], extra: Iterable[str | Path] = ()) -> list[tuple[str, str]]:
    """``(input, key)`` for every key cited in a ``source`` that no bibliography holds.

    Parameters
    ----------
    priors
        A study's or priors file's :class:`~mcrisk.spec.priors.Priors`.
    extra
        More folders to look for ``SOURCES.md`` in (the study's).

    Returns
    -------
    list of tuple
        In input order.
    """
    known = bibliography(_folders(priors, extra))
    return [(name, k) for name, p in priors.items() for k in source_keys(p.source) if k not in known]


def cited_sources(priors: Mapping[str, Any], extra: Iterable[str | Path] = ()) -> list[tuple[str, str]]:
    """``(key, citation)`` of every key the priors' sources cite, in order of first citation.

    Parameters
    ----------
    priors
        The study's priors.
    extra
        More folders to look for ``SOURCES.md`` in.

    Returns
    -------
    list of tuple
        A key missing from the bibliography has the citation ``"(not in the bibliography)"``.
    """
    known = bibliography(_folders(priors, extra))
    keys = dict.fromkeys(k for p in priors.values() for k in source_keys(p.source))
    return [(k, known.get(k, "(not in the bibliography)")) for k in keys]
