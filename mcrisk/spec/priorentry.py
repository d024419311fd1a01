"""A fitted prior as a priors-file table, checked by loading it back, and the file it is written to.

:func:`prior_entry` writes a fit (:mod:`mcrisk.elicit.fit`, :mod:`mcrisk.elicit.expert`) as a table whose
``source`` names where it came from; it is read back with
:func:`mcrisk.spec.priors.priors_from_dict` before it is returned, so what is written loads.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mcrisk.core.errors import SpecError
from mcrisk.spec.priors import priors_from_dict

__all__ = ["params_text", "prior_entry", "write_entry"]


def _toml_value(v: Any) -> str:
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(e) for e in v) + "]"
    return repr(float(f"{float(v):.10g}"))


def prior_entry(name: str, family: str, params: Mapping[str, Any], *, unit: str = "", source: str = "",
                note: str = "") -> str:
    """A priors-file table for a fitted prior, checked by loading it back.

    Parameters
    ----------
    name
        The input name (the table's).
    family, params
        The fitted family and its parameters (numbers to 10 significant digits).
    unit, source, note
        The entry's metadata (``source`` names the data or expert and the fit).

    Returns
    -------
    str
        The TOML table, ending in a newline.

    Raises
    ------
    SpecError
        If the entry would not load (a bug of the fit, not of the data).
    """
    lines = [f"[{name}]", f"dist = {_toml_value(family)}"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in params.items() if v is not None]
    lines += [f"{k} = {_toml_value(v)}" for k, v in (("unit", unit), ("source", source), ("note", note)) if v]
    text = "\n".join(lines) + "\n"
    priors_from_dict(tomllib.loads(text), file=f"the fitted entry [{name}]")
    return text


def write_entry(path: str | Path, text: str, *, header: str = "", replace: bool = False) -> Path:
    """Add ``text`` (one entry) to a priors file, or write a new file holding it; atomically.

    An existing file keeps every line it had; the entry goes at its end. An entry of the same
    name is refused unless ``replace``, which takes its table out (up to the next table's
    header) and adds the new one at the end. The new text goes to a temporary file beside
    ``path``, which is then renamed over it (``os.replace``): a crash leaves the old file or the
    new one, never a mix.

    Parameters
    ----------
    path
        The priors file to write.
    text
        The entry, from :func:`prior_entry`.
    header
        Comment lines put first (each starting with ``#``) when the file is new.
    replace
        Replace an entry of the same name instead of refusing it.

    Returns
    -------
    Path

    Raises
    ------
    SpecError
        For an entry of the same name (without ``replace``), or an existing file that is not
        TOML text or whose entry is not a ``[name]`` table that can be taken out; the file is
        unchanged.
    """
    path = Path(path)
    (name,) = tomllib.loads(text)
    if path.exists():
        old = _read_priors_text(path)
        if name in tomllib.loads(old):
            if not replace:
                raise SpecError(f"{path}: already has [{name}]; give --replace to replace it, or --name for "
                                "another input; the file is unchanged")
            old = _without_table(path, old, name)
        new = (old.rstrip("\n") + "\n\n" if old.strip() else "") + text
    else:
        new = (header + "\n" if header else "") + text
    try:
        _replace_atomically(path, new)
    except OSError as err:
        raise SpecError(f"{path}: cannot be written ({err.strerror or err}); the file is unchanged") from None
    return path


def _replace_atomically(path: Path, new: str) -> None:
    """Write ``new`` to a temporary file beside ``path``, then rename it over ``path``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(new)
        if path.exists():
            shutil.copymode(path, tmp)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a priors file is shared like any other
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read_priors_text(path: Path) -> str:
    try:
        old = path.read_text(encoding="utf-8")
        tomllib.loads(old)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise SpecError(f"{path}: exists and is not a priors file mcrisk can add to ({err}); name a new "
                        "file with --out; the file is unchanged") from None
    return old


def _without_table(path: Path, text: str, name: str) -> str:
    """``text`` without the ``[name]`` table: its header line up to the next table's header."""
    lines = text.splitlines(keepends=True)
    head = re.compile(r"\s*\[\s*(" + re.escape(name) + "|\"" + re.escape(name) + "\"|'" + re.escape(name)
                      + r"')\s*\]\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if head.match(line)), None)
    if start is None:
        raise SpecError(f"{path}: [{name}] is not written as a [{name}] table mcrisk can replace; edit it by "
                        "hand; the file is unchanged")
    stop = next((i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")), len(lines))
    while stop > start + 1 and (not lines[stop - 1].strip() or lines[stop - 1].lstrip().startswith("#")):
        stop -= 1  # comments just above the next table are that table's: they stay
    kept = "".join(lines[:start] + lines[stop:])
    try:
        still = name in tomllib.loads(kept)
    except tomllib.TOMLDecodeError:
        still = True
    if still:
        raise SpecError(f"{path}: [{name}] has parts outside its [{name}] table ([{name}.x] tables or dotted "
                        "keys); edit it by hand; the file is unchanged")
    return kept


def params_text(params: Mapping[str, Any]) -> str:
    """``"mean=1, sd=0.38"``: parameters to 6 significant digits, for the printed tables.

    Parameters
    ----------
    params
        A family's parameters by name.

    Returns
    -------
    str
    """
    return ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
