"""Writing TOML: a parsed study or priors table back to text that :mod:`tomllib` reads as the same table.

mcrisk reads TOML with the standard library's :mod:`tomllib`, which only reads. A study saved
from the page (:mod:`mcrisk.study.saved`) is written by :func:`dump_toml`: every value that
:mod:`tomllib` gives (strings, integers, floats, booleans, dates and times, arrays, tables)
comes back equal when the text is read again, floats to the last bit (``repr`` round-trips).
Comments and layout are not kept; the values, and so the run, are.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["dump_toml", "toml_key", "toml_value"]

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def toml_key(key: str) -> str:
    """A key as TOML spells it: bare when it can be, else a quoted string."""
    return key if _BARE.fullmatch(key) else _string(key)


def _string(text: str) -> str:
    # JSON's escapes are TOML's (\" \\ \b \f \n \r \t \uXXXX); DEL, which JSON leaves as it is, is escaped too
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: Any) -> str:
    """One value as inline TOML: ``2.5``, ``"CNY"``, ``[1, 2]``, ``{ dist = "uniform", low = 0 }``.

    Raises
    ------
    TypeError
        For a value TOML cannot hold (None, an object).
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }" if value else "{}"
    raise TypeError(f"{type(value).__name__} {value!r} has no TOML form")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def dump_toml(data: Mapping[str, Any], *, header: str = "") -> str:
    """The TOML text of a table: its plain keys first, then each sub-table as a ``[section]``.

    Parameters
    ----------
    data
        A table as :func:`tomllib.loads` gives it.
    header
        Comment lines put first (each line gets ``# ``).

    Returns
    -------
    str
        Text that :func:`tomllib.loads` reads back as ``data``; a final newline.

    Examples
    --------
    >>> print(dump_toml({"seed": 1, "inputs": {"x": {"dist": "uniform", "low": 0, "high": 1}}}), end="")
    seed = 1
    <BLANKLINE>
    [inputs.x]
    dist = "uniform"
    low = 0
    high = 1
    """
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    _table(data, [], lines)
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines) + "\n"


def _table(data: Mapping[str, Any], path: list[str], lines: list[str]) -> None:
    """``data``'s plain keys as ``key = value`` lines, then its tables and arrays of tables, nested."""
    subs = [(k, v) for k, v in data.items() if isinstance(v, Mapping) or _is_table_array(v)]
    plain = [(k, v) for k, v in data.items() if not (isinstance(v, Mapping) or _is_table_array(v))]
    if path and (plain or not subs):  # a table of tables only needs no header of its own
        lines += ["", f"[{'.'.join(toml_key(p) for p in path)}]"]
    lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in plain]
    for k, v in subs:
        if isinstance(v, Mapping):
            _table(v, [*path, k], lines)
            continue
        for item in v:
            lines += ["", f"[[{'.'.join(toml_key(p) for p in [*path, k])}]]"]
            # a table inside an array item is written inline, so that it stays with its item
            lines += [f"{toml_key(ik)} = {toml_value(iv)}" for ik, iv in item.items()]
