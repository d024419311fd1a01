"""The bibliography: every bracketed key in a prior's ``source`` resolves to a full citation.

A ``source`` such as ``"DeepSeek [DS-post]: ~14.8 k output tokens/s per H800 node"`` cites
``DS-post``. The citations live in ``sources.toml`` beside the priors files (the project's is
``priors/sources.toml``), one table per key::

    [DS-post]
    citation = "github.com/deepseek-ai/open-infra-index/... (the address, as found)"

:func:`unknown_keys` lists the keys a study cites that no bibliography holds (``mcrisk check``
warns about them; ``--strict`` makes them an error); :func:`cited_sources` gives the citations
of the keys cited, for the report and the deck.

Pure Python (tomllib), so ``mcrisk check`` stays fast.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import SpecError

__all__ = ["BIBLIOGRAPHY", "bibliography", "cited_sources", "source_keys", "unknown_keys"]

#: The file name of a bibliography, looked for beside each priors file and the study.
BIBLIOGRAPHY = "sources.toml"
_KEY = re.compile(r"\[([A-Za-z][A-Za-z0-9_.-]*)\]")


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
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise SpecError(f"{path}: not a bibliography TOML file: {err}") from None
    out = {}
    for key, entry in data.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("citation"), str) or not entry["citation"].strip():
            raise SpecError(f"{path}: [{key}] must be a table with citation = \"...\" (the full citation)")
        out[key] = entry["citation"].strip()
    return out


def bibliography(folders: Iterable[str | Path]) -> dict[str, str]:
    """The citations of every ``sources.toml`` in ``folders`` (earlier folders win on a clash).

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
        For a ``sources.toml`` that is not valid TOML or has an entry without a citation.
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
        A study's or priors file's :class:`~mcrisk.priors.Priors`.
    extra
        More folders to look for ``sources.toml`` in (the study's).

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
        More folders to look for ``sources.toml`` in.

    Returns
    -------
    list of tuple
        A key missing from the bibliography has the citation ``"(not in the bibliography)"``.
    """
    known = bibliography(_folders(priors, extra))
    keys = dict.fromkeys(k for p in priors.values() for k in source_keys(p.source))
    return [(k, known.get(k, "(not in the bibliography)")) for k in keys]
