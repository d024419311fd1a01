"""One validator per run setting, shared by the loaders, the library functions and the CLI.

Each ``check_*(value, where)`` returns the value, normalised, or raises a one-line
:class:`~mcrisk.core.errors.SpecError` that starts with ``where`` (for example
``"studies/x.toml:"``; empty for a library argument) and states what is allowed. This module
imports nothing heavy (no numpy, scipy or xarray), so the command line can check its
arguments before loading the numerical stack.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal, get_args

from mcrisk.core.errors import SpecError, shorten

__all__ = ["EXPORT_FORMATS", "OUTPUT_FORMATS", "ExportFormat", "FIGURE_FORMATS", "FigureFormat", "NonFinite", "SamplingMethod", "SensitivityMethod", "MAX_SAMPLES", "MAX_SEED", "NONFINITE", "SAMPLING_METHODS", "SENSITIVITY_METHODS",
           "check_nonfinite", "finite_number",
           "check_formats", "check_int", "check_keys", "check_method", "check_samples", "check_seed",
           "check_sensitivity_method", "show_key", "show_keys", "show_text"]

#: Sampling designs, in the order they are listed (the keys of :data:`mcrisk.sampling.design.METHODS`).
#: The options as types, for signatures (``Literal``), and as tuples of names, for checks.
SamplingMethod = Literal["random", "lhs", "sobol"]
SensitivityMethod = Literal["delta", "fast", "morris", "pawn", "rbd_fast", "sobol"]
FigureFormat = Literal["png", "svg", "pdf"]
NonFinite = Literal["drop", "keep", "error"]
SAMPLING_METHODS: tuple[str, ...] = get_args(SamplingMethod)
#: Sensitivity methods, alphabetical (the keys of :data:`mcrisk.analyze.salib_methods.METHODS`).
SENSITIVITY_METHODS: tuple[str, ...] = get_args(SensitivityMethod)
#: Figure formats (the keys of :data:`mcrisk.report.plot.FORMATS`).
FIGURE_FORMATS: tuple[str, ...] = get_args(FigureFormat)
#: Files for other programs: ``pptx`` writes ``deck.pptx`` (:mod:`mcrisk.report.deck`), ``xlsx``
#: ``workbook.xlsx`` (:mod:`mcrisk.report.workbook`).
ExportFormat = Literal["pptx", "xlsx"]
EXPORT_FORMATS: tuple[str, ...] = get_args(ExportFormat)
#: What ``formats`` (``--formats``) may list: the figure formats, then the export formats.
OUTPUT_FORMATS: tuple[str, ...] = FIGURE_FORMATS + EXPORT_FORMATS
#: The largest number of Monte Carlo samples a run may ask for: 2**40, some 8 TB per input
#: column, already far beyond any machine; a larger number is a typo.
MAX_SAMPLES = 2**40
#: Seeds are integers in ``[0, MAX_SEED)``.
MAX_SEED = 2**63


_BARE = re.compile(r"[A-Za-z0-9_-]{1,80}")


def show_key(key: Any) -> str:
    """A key as an error message shows it: bare if TOML allows it bare, else quoted and shortened.

    A quoted TOML key may hold anything, a newline included; the message stays one line.

    Parameters
    ----------
    key
        A key of a parsed table (usually a string).

    Returns
    -------
    str
        ``key`` itself if it is a string of 1 to 80 letters, digits, ``_`` or ``-``, else
        :func:`~mcrisk.core.errors.shorten` of it (its ``repr``, at most 80 characters).
    """
    return key if isinstance(key, str) and _BARE.fullmatch(key) else shorten(key, 80)


def show_text(text: Any, limit: int = 200) -> str:
    """``str(text)`` as is when it is printable and short (a path, a name), else :func:`shorten`-ed.

    Parameters
    ----------
    text
        Any value; it is converted with ``str``.
    limit
        The largest length shown as is, in characters; longer or unprintable text is quoted and
        cut to this length.

    Returns
    -------
    str
        The text for a one-line message.
    """
    text = str(text)
    return text if text.isprintable() and len(text) <= limit else shorten(text, limit)


def show_keys(keys: Iterable[Any], limit: int = 300) -> str:
    """Keys joined by ``, `` for a message (``(none)`` if there are none), cut after ``limit`` characters.

    Parameters
    ----------
    keys
        The keys, each shown by :func:`show_key`.
    limit
        The largest length of the text, in characters; a longer list ends in `` ...``.

    Returns
    -------
    str
        The keys as one line of text.
    """
    text = ", ".join(show_key(k) for k in keys) or "(none)"
    return text if len(text) <= limit else text[: limit - 4] + " ..."


def check_keys(table: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    """The one check for a key a table does not take, worded the same for every table.

    Parameters
    ----------
    table
        The parsed table.
    allowed
        The keys it takes.
    where
        The file and table, to start the message: ``"studies/x.toml: [tornado]"``.

    Raises
    ------
    SpecError
        For the first key not in ``allowed``:
        ``studies/x.toml: [tornado] lo = 0.1 is not a key; allowed: output, low, high``.
    """
    allowed = tuple(allowed)
    for key, value in table.items():
        if key not in allowed:
            raise SpecError(f"{where} {show_key(key)} = {shorten(value)} is not a key; allowed: {show_keys(allowed)}")


def _at(where: str) -> str:
    return f"{where} " if where else ""


def finite_number(where: str, key: str, value: Any) -> float:
    """``value`` as a float if it is a finite number (not a bool), else a one-line SpecError.

    Parameters
    ----------
    where
        The file and table, for the message (``"priors/x.toml: [gpu_hour_price]"``).
    key
        The key the value was given for.
    value
        What the file gave.

    Returns
    -------
    float
        The value (an integer beyond the largest double is refused, not rounded to inf).

    Raises
    ------
    SpecError
        ``{where} {key} = {value} must be a number`` (or ``a finite number``).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{where} {key} = {shorten(value)} must be a number")
    try:
        x = float(value)
    except OverflowError:  # an integer beyond the largest double, e.g. 10**400
        x = math.inf
    if not math.isfinite(x):
        raise SpecError(f"{where} {key} = {shorten(value)} must be a finite number")
    return x


def _choice(value: Any, choices: tuple[str, ...], where: str, key: str, what: str) -> str:
    # the one shape of every "one of these names" setting: the message lists the choices
    if not isinstance(value, str) or value not in choices:
        raise SpecError(f"{_at(where)}{key} = {shorten(value)} is not {what}; known: {', '.join(choices)}")
    return value


def check_int(value: Any, where: str, key: str, low: int, high: int, what: str = "") -> int:
    """``value`` if it is an integer (not a bool) from ``low`` to ``high`` inclusive.

    The message reads ``{where} {key} = {value} must be an integer from {low} to {high}{what}``,
    with ``high`` written with thousands separators.

    Parameters
    ----------
    value
        The value given.
    where
        Where the value came from, to start the message (``"studies/x.toml:"``, a CLI option, or
        ``""`` for a library argument).
    key
        The setting's name, as the message shows it.
    low, high
        The smallest and largest values allowed (inclusive).
    what
        Text appended to the message (for example the unit or a hint); ``""`` for none.

    Returns
    -------
    int
        ``value`` as a Python ``int``.

    Raises
    ------
    SpecError
        If ``value`` is a bool, not an integer, or outside ``[low, high]``.
    """
    if isinstance(value, bool) or not hasattr(value, "__index__") or not low <= value <= high:
        raise SpecError(f"{_at(where)}{key} = {shorten(value)} must be an integer from {low:,} to "
                        f"{high:,}{what}")
    return int(value)


def check_samples(value: Any, where: str = "") -> int:
    """The number of Monte Carlo samples: an integer from 1 to :data:`MAX_SAMPLES`.

    Parameters
    ----------
    value
        The number of samples given.
    where
        Where the value came from, to start the message (``"studies/x.toml:"``, a CLI option, or
        ``""`` for a library argument).

    Returns
    -------
    int
        The number of samples.

    Raises
    ------
    SpecError
        If ``value`` is not an integer from 1 to :data:`MAX_SAMPLES` (see :func:`check_int`).
    """
    return check_int(value, where, "samples", 1, MAX_SAMPLES)


def check_seed(value: Any, where: str = "") -> int:
    """A seed: an integer with ``0 <= seed < 2**63``.

    Parameters
    ----------
    value
        The seed given.
    where
        Where the value came from, to start the message (``"studies/x.toml:"``, a CLI option, or
        ``""`` for a library argument).

    Returns
    -------
    int
        The seed, as a Python ``int``.

    Raises
    ------
    SpecError
        If ``value`` is a bool, not an integer, negative or at least :data:`MAX_SEED`.
    """
    if isinstance(value, bool) or not hasattr(value, "__index__") or not 0 <= value < MAX_SEED:
        raise SpecError(f"{_at(where)}seed = {shorten(value)} must be an integer >= 0 and < 2**63")
    return int(value)


def check_method(value: Any, where: str = "") -> str:
    """A sampling design: one of :data:`SAMPLING_METHODS`.

    Parameters
    ----------
    value
        The method given.
    where
        Where the value came from, to start the message (``"studies/x.toml:"``, a CLI option, or
        ``""`` for a library argument).

    Returns
    -------
    str
        ``value`` unchanged.

    Raises
    ------
    SpecError
        If ``value`` is not one of :data:`SAMPLING_METHODS`; the message lists them.
    """
    return _choice(value, SAMPLING_METHODS, where, "method", "a sampling method")


def check_sensitivity_method(value: Any, where: str = "") -> str:
    """A sensitivity method: one of :data:`SENSITIVITY_METHODS`.

    Parameters
    ----------
    value
        The method given.
    where
        Where the value came from, to start the message (``"studies/x.toml:"``, a CLI option, or
        ``""`` for a library argument).

    Returns
    -------
    str
        ``value`` unchanged.

    Raises
    ------
    SpecError
        If ``value`` is not one of :data:`SENSITIVITY_METHODS`; the message lists them.
    """
    return _choice(value, SENSITIVITY_METHODS, where, "method", "a method")


#: What NaN or infinite outputs do to the statistics: policy -> what it means (:mod:`mcrisk.analyze.risk`).
NONFINITE: dict[str, str] = {
    "drop": "NaN and infinite samples are left out of the statistics (n_valid counts the others)",
    "keep": "NaN and infinite samples are kept: a NaN makes every statistic NaN, an infinity counts "
            "as the largest or smallest value",
    "error": "a NaN or infinite sample stops the run with an error",
}


def check_nonfinite(value: Any, where: str = "") -> str:
    """A policy for NaN or infinite outputs: one of :data:`NONFINITE`.

    Parameters
    ----------
    value
        The ``on_nonfinite`` policy given.
    where
        Where the value came from, to start the message (``"studies/x.toml:"``, a CLI option, or
        ``""`` for a library argument).

    Returns
    -------
    str
        ``value`` unchanged: ``"drop"``, ``"keep"`` or ``"error"``.

    Raises
    ------
    SpecError
        If ``value`` is not a key of :data:`NONFINITE`; the message lists them.
    """
    return _choice(value, tuple(NONFINITE), where, "on_nonfinite", "a policy for NaN or infinite outputs")


def check_formats(value: Any, where: str = "") -> tuple[str, ...]:
    """Output formats: a sequence (or a comma-separated string) of :data:`OUTPUT_FORMATS`.

    Parameters
    ----------
    value
        A list or tuple of formats, or a string such as ``"png,svg"`` (blank items are skipped).
    where
        Where the value came from, to start the message (``"studies/x.toml:"``, a CLI option, or
        ``""`` for a library argument).

    Returns
    -------
    tuple of str
        The formats, in the order given.

    Raises
    ------
    SpecError
        If ``value`` is neither a string, a list nor a tuple, or an item is not one of
        :data:`OUTPUT_FORMATS` (figure formats and ``pptx``, ``xlsx``); the message lists them.
    """
    items = [f.strip() for f in value.split(",") if f.strip()] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise SpecError(f"{_at(where)}formats = {shorten(value)} must be a list of output formats; "
                        f"allowed: {', '.join(OUTPUT_FORMATS)}")
    for f in items:
        if not isinstance(f, str) or f not in OUTPUT_FORMATS:
            raise SpecError(f"{_at(where)}formats: {shorten(f)} is not an output format; allowed: "
                            f"{', '.join(OUTPUT_FORMATS)}")
    return tuple(items)
