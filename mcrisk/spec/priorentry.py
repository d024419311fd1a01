"""A fitted prior as a priors-file table, checked by loading it back, and the file it is written to.

:func:`prior_entry` writes a fit (:mod:`mcrisk.elicit.fit`, :mod:`mcrisk.elicit.expert`) as a table whose
``source`` names where it came from; it is read back with
:func:`mcrisk.spec.priors.priors_from_dict` before it is returned, so what is written loads.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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


def write_entry(path: str | Path, text: str, *, header: str = "") -> Path:
    """Write a priors file holding ``text`` (one entry), replacing the file whole.

    Parameters
    ----------
    path
        The priors file to write.
    text
        The entry, from :func:`prior_entry`.
    header
        Comment lines put first (each starting with ``#``).

    Returns
    -------
    Path
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text((header + "\n" if header else "") + text, encoding="utf-8")
    os.replace(tmp, path)
    return path



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
