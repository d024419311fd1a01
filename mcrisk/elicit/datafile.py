"""A column of numbers from a CSV file in any text encoding it can detect, with what was dropped.

:func:`read_column` is what ``mcrisk fit DATA.csv --column COL`` reads. The file is decoded by
its byte-order mark (UTF-8, UTF-16 or UTF-32), else as UTF-8, else as UTF-16 without a mark
(every other byte zero, as Windows tools write ASCII text), else as Windows-1252 (a spreadsheet
exported on Windows: numbers are ASCII in every one of these, only header names differ, and
Windows-1252 reads every byte that text holds). A file with NUL or other control bytes that none
of these explain is binary and refused. Rows whose field count differs from the header's are
refused with their line; blank and non-finite cells (``NaN``, ``inf``, beyond 1.8e308) are left
out and counted.
"""

from __future__ import annotations

import codecs
import csv
import re
from pathlib import Path

import numpy as np

from mcrisk.core.errors import SpecError, shorten

__all__ = ["decode_text", "read_column"]

#: Byte-order marks, longest first (the UTF-32-LE mark begins with the UTF-16-LE one).
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _guess(raw: bytes) -> str | None:
    """The encoding of ``raw`` (no byte-order mark), or ``None`` for bytes that are not text."""
    if b"\x00" in raw:
        even, odd = raw[0::2], raw[1::2]
        if len(raw) % 2 == 0 and not odd.strip(b"\x00") and even.strip(b"\x00"):
            return "utf-16-le"
        if len(raw) % 2 == 0 and not even.strip(b"\x00") and odd.strip(b"\x00"):
            return "utf-16-be"
        return None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252" if _decodes(raw, "cp1252") else "latin-1"
    return "utf-8"


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def decode_text(path: str | Path) -> tuple[str, str]:
    """The text of a file and the encoding it was read in.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    text : str
    encoding : str
        ``"utf-8"``, ``"utf-8-sig"``, ``"utf-16"``, ``"utf-16-le"``, ``"utf-16-be"``, ``"utf-32"``,
        ``"cp1252"`` or ``"latin-1"``.

    Raises
    ------
    SpecError
        For a file that cannot be read, or bytes that are not text in any of these encodings.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise SpecError(f"{path}: cannot be read ({err.strerror or err.__class__.__name__})") from None
    encoding = next((enc for bom, enc in _BOMS if raw.startswith(bom)), None) or _guess(raw)
    try:
        text = raw.decode(encoding) if encoding else None
    except UnicodeDecodeError as err:
        raise SpecError(f"{path}: is marked as {encoding} but byte {err.start} is not {encoding}; "
                        "save it as UTF-8 text") from None
    if text is None or _CONTROL.search(text):
        raise SpecError(f"{path}: is not a text file (it holds control bytes such as NUL); give a CSV file "
                        "saved as text (UTF-8, UTF-16 or Windows-1252)")
    return text, encoding


def _rows(path: Path, text: str) -> tuple[list[str], list[list[str]]]:
    """Header and data rows; ``#`` lines and empty lines skipped, a ragged row refused with its line."""
    lines = text.splitlines(keepends=True)
    notes = text.startswith("#") or "\n#" in text or "\r#" in text
    table = list(csv.reader([line for line in lines if not line.startswith("#")] if notes else lines))
    if not all(table):
        table = [r for r in table if r]
    if not table:
        raise SpecError(f"{path}: is empty; give a CSV file with a header row and one value per row")
    header, rows = table[0], table[1:]
    width = len(header)
    if any(len(r) != width for r in rows):
        _ragged(path, lines, width)
    return header, rows


def _ragged(path: Path, lines: list[str], width: int) -> None:
    """Raise for the first row whose field count is not the header's, naming its line (read again)."""
    kept = [i for i, line in enumerate(lines, start=1) if not line.startswith("#")]
    reader = csv.reader(lines[i - 1] for i in kept)
    head = None
    for row in reader:
        if row and head is None:
            head = kept[reader.line_num - 1]
        elif row and len(row) != width:
            n = len(row)
            raise SpecError(f"{path}: line {kept[reader.line_num - 1]} has {n} field{'s' * (n != 1)} where the "
                            f"header (line {head}) has {width}: {shorten(','.join(row))}")


def _numbers(path: Path, name: str, cells: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The cells as floats (NaN where blank) and a mask of the blank ones."""
    blank = np.array([not c.strip() for c in cells], dtype=bool)
    try:
        return np.array(["nan" if b else c for c, b in zip(cells, blank, strict=True)], dtype=float), blank
    except ValueError:
        pass
    for i, c in enumerate(cells, start=1):
        if not blank[i - 1]:
            try:
                float(c)
            except ValueError:
                raise SpecError(f"{path}: row {i}, column {name!r} = {shorten(c)} is not a number") from None
    raise AssertionError("unreachable: every cell converted")  # pragma: no cover


def read_column(path: str | Path, column: str, *,
                weights: str | None = None) -> tuple[np.ndarray, np.ndarray | None, str]:
    """One numeric column of a CSV file (and a weights column), with the rows it came from.

    Parameters
    ----------
    path
        The CSV file, with a header row, in any encoding :func:`decode_text` reads; lines
        starting with ``#`` (a source note) are skipped, and rows are counted from the first
        below the header.
    column
        The column's header.
    weights
        The header of a weights column, or ``None``.

    Returns
    -------
    values : numpy.ndarray
        The column's finite numbers; rows with a blank or non-finite cell (in either column)
        are left out and counted.
    weights : numpy.ndarray or None
    rows : str
        Which data rows were read and what was left out, e.g. ``"rows 1-24 (23 values, 1 NaN
        left out)"``.

    Raises
    ------
    SpecError
        For a missing or binary file, a missing column, a row with another field count than the
        header's, a cell that is not a number, or a column with no finite numbers.
    """
    path = Path(path)
    header, rows = _rows(path, decode_text(path)[0])
    cols = {}
    for col in (column, weights):
        if col is not None and col not in header:
            known = ", ".join(map(repr, header)) or "none"
            raise SpecError(f"{path}: has no column {col!r}; columns: {known}")
        if col is not None:
            k = header.index(col)
            cols[col] = _numbers(path, col, [r[k] for r in rows])
    x, blank = cols[column]
    w, wblank = cols[weights] if weights else (np.zeros_like(x), np.zeros_like(blank))
    blank |= wblank
    nonfinite = ~blank & ~(np.isfinite(x) & np.isfinite(w))
    keep = ~blank & ~nonfinite
    used = np.flatnonzero(keep) + 1
    if not used.size:
        raise SpecError(f"{path}: column {column!r} has no finite numbers")
    span = f"row {used[0]}" if used.size == 1 else f"rows {used[0]}-{used[-1]}"
    dropped = [f"{n} {what}" for n, what in ((int(blank.sum()), "blank"), (int(nonfinite.sum()), "NaN or infinite"))
               if n]
    skipped = f", {' and '.join(dropped)} left out" if dropped else ""
    return x[keep], (w[keep] if weights else None), f"{span} ({used.size} values{skipped})"
