"""Reading the TOML of priors and study files: one-line errors, byte-order marks, nesting bounds."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from mcrisk.core.errors import SpecError

__all__ = ["MAX_DEPTH", "TomlReader", "is_file", "is_study", "read_toml"]

#: Arrays and tables may nest this deep in a priors or study file; mcrisk's own files need 3.
MAX_DEPTH = 50


def read_toml(path: str | Path) -> tuple[dict[str, Any], str]:
    """Read a TOML file, turning a missing file or bad syntax into a one-line SpecError.

    Parameters
    ----------
    path
        The file, UTF-8 (a byte-order mark is dropped).

    Returns
    -------
    tuple of (dict, str)
        The parsed table and the file's text (line ends as ``\\n``).

    Raises
    ------
    SpecError
        If the file is missing or cannot be read, is not valid TOML, or nests arrays or tables
        more than :data:`MAX_DEPTH` levels deep.
    """
    path = Path(path)
    try:
        # utf-8-sig: a byte-order mark (Windows Notepad, Excel) is not part of the text.
        # read_text turns CRLF and CR line ends into LF.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SpecError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    too_deep = SpecError(f"{path}: nesting too deep: arrays or tables nested more than {MAX_DEPTH} levels")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: is not valid TOML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise too_deep from None
    if _depth(data) > MAX_DEPTH:
        raise too_deep
    return data, text


class TomlReader:
    """:func:`read_toml` that reads each file once: one per study load, so a priors file named by
    ``priors = [...]`` and by several ``ref = "file#entry"`` is opened and parsed once.

    Calling it returns a deep copy of the parsed table (callers may change theirs) and the text.
    Files are told apart by their resolved path; a failed read is not remembered.
    """

    def __init__(self) -> None:
        self._files: dict[Path, tuple[dict[str, Any], str]] = {}

    def __call__(self, path: str | Path) -> tuple[dict[str, Any], str]:
        key = Path(path).resolve()
        if key not in self._files:
            self._files[key] = read_toml(path)
        data, text = self._files[key]
        return copy.deepcopy(data), text


def _depth(data: Any) -> int:
    """How deep arrays and tables nest in ``data`` (a scalar is 0), without recursion."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            level += 1
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                break
            stack.extend((v, level) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def is_file(path: Any) -> bool:
    """Whether ``path`` names an existing file; False, not an error, for a name the file system
    refuses (too long, a NUL byte), so the caller can say "no such file" in its own words.

    Parameters
    ----------
    path
        A path (str or Path).

    Returns
    -------
    bool
    """
    try:
        return Path(path).is_file()
    except (OSError, ValueError):
        return False


def is_study(data: Any) -> bool:
    """Whether a parsed TOML table is a study file (it names a model, priors, samples or a title)
    rather than a priors file: the one rule ``mcrisk check`` and the priors loader share.

    Parameters
    ----------
    data
        A parsed TOML file (any value is accepted).

    Returns
    -------
    bool
        True if ``data`` is a dict with a top-level ``model``, ``priors``, ``title`` or
        ``samples`` key.
    """
    return isinstance(data, dict) and bool({"model", "priors", "title", "samples"} & set(data))
