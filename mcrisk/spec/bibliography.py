"""The bibliography: every bracketed key in a prior's ``source`` resolves to a full citation.

A ``source`` such as ``"DeepSeek [DS-post]: ~14.8 k output tokens/s per H800 node"`` cites
``DS-post``. The citations live in ``SOURCES.md`` beside the priors files (the project's is
``priors/SOURCES.md``), one list item per key, readable as it is::

    - **[DS-post]** github.com/deepseek-ai/open-infra-index/... (the address, as found)

A study's bibliography is found wherever the study lives (:func:`study_folders`): beside the
study, each priors file it reads and each priors file an input refers to (``ref``), and, for each of
those folders without a ``SOURCES.md``, in the nearest folder above it that has one. A study
copied to another folder that refs the project's priors by an absolute path cites the same
sources as in the project.

:func:`unknown_keys` lists the keys a study cites that no bibliography holds (``mcrisk check``
warns about them; ``--strict`` makes them an error); :func:`cited_sources` gives the citations
of the keys cited, for the report and the deck.

Pure Python, so ``mcrisk check`` stays fast.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mcrisk.core.errors import SpecError

__all__ = ["BIBLIOGRAPHY", "bibliography", "cited_sources", "source_keys", "study_folders", "unknown_keys"]

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
        Folders to look in (the priors files' and the study's); one without a ``SOURCES.md``
        stands for the nearest folder above it that has one.

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
    for path in dict.fromkeys(p for f in folders if (p := _nearest(Path(f))) is not None):
        found = {**_read(path), **found}
    return found


def _nearest(folder: Path) -> Path | None:
    """The ``SOURCES.md`` in ``folder``, else in the nearest folder above it; None if none has one."""
    folder = folder.resolve()
    for d in (folder, *folder.parents):
        try:
            if (d / BIBLIOGRAPHY).is_file():
                return d / BIBLIOGRAPHY
        except OSError:  # a folder we may not look into
            return None
    return None


def study_folders(study: Any) -> list[Path]:
    """The folders a study's bibliography is looked for in: the study's, its priors files' and its refs'.

    Parameters
    ----------
    study
        A :class:`~mcrisk.spec.studyfile.Study` (its ``path``, ``priors.texts`` and the ``ref`` of
        each ``[inputs]`` entry in its ``text``).

    Returns
    -------
    list of Path
        The study's folder first, then the priors files' and the referenced files' folders
        (a ``ref`` is relative to the study's folder, or absolute), each once.
    """
    base = Path(study.path).parent
    refs = []
    try:
        inputs = tomllib.loads(study.text).get("inputs", {})
    except (tomllib.TOMLDecodeError, AttributeError, TypeError):
        inputs = {}
    for spec in inputs.values() if isinstance(inputs, dict) else ():
        if isinstance(spec, dict) and isinstance(ref := spec.get("ref"), str) and "#" in ref:
            refs.append((base / ref.split("#")[0]).parent)
    return list(dict.fromkeys([base, *(Path(p).parent for p, _ in getattr(study.priors, "texts", ())), *refs]))


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
