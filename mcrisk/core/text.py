"""Numbers and names as text: the one formatter family of tables, chart labels, titles and the report.

Two styles, one per place a number is read:

* tables (printed, CSV-like, the report's tables): :func:`table_number`, thousands separators
  and no exponent below 1e15 (:func:`format_number`);
* labels and titles (charts, the report's headline): :func:`si_number` and :func:`format_value`,
  k/M/B/T suffixes with three significant digits and a true minus sign (U+2212) that reads well
  on a slide.

In both, a dimensionless value (unit ``"1"``: a share, a margin, a ratio) is a percentage, the
one rule of :func:`mcrisk.core.labels.is_share`.

Probabilities are :func:`percent_text` (a P(loss)) and :func:`share_text` (a share of samples);
sensitivity indices are :func:`index_text`. A leaf module: numpy-free, matplotlib-free.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from mcrisk.core.labels import is_share

__all__ = ["MINUS", "Labels", "aligned", "format_number", "format_value", "index_text", "labelled", "loss_words", "p_error",
           "percent_text", "share_text", "si_number", "table_number", "words"]

#: Variable name -> its plain label as read mid-sentence (``"paid share of tokens"``), built by
#: :func:`mcrisk.core.labels.sentence_labels`; passed to whatever writes a name for a reader.
Labels = Mapping[str, str]

#: The typographic minus sign, U+2212: the width of a plus, unlike the hyphen ``-``.
MINUS = "\u2212"

_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def format_number(x: float, unit: str = "", *, minus: str = "-") -> str:
    """A number for a table: thousands separators, no exponent, shares to 3 decimals.

    Parameters
    ----------
    x
        The value, in ``unit``.
    unit
        ``"1"`` or ``""`` marks a dimensionless value: below 100 it gets three decimals.
    minus
        The minus sign of finite values; :data:`MINUS` for the report's tables. Non-finite
        values are always ``str(x)``: ``'nan'``, ``'inf'``, ``'-inf'``.

    Returns
    -------
    str
        The number as text; the unit is not written.

    Examples
    --------
    >>> format_number(1234567.8, "USD/day"), format_number(0.25, "1"), format_number(-3.5e20)
    ('1,234,568', '0.250', '-3.5e+20')
    """
    if not math.isfinite(x):
        return str(x)
    if abs(x) >= 1e15:  # beyond a quadrillion digits stop being read: 1.234e+20
        s = f"{x:.4g}"
    elif unit in ("1", "") and abs(x) < 100:
        s = f"{x:,.3f}"
    elif abs(x) >= 1000:
        s = f"{x:,.0f}"
    else:
        s = f"{x:.1f}" if abs(x) >= 100 else f"{x:.3g}"
    return s if minus == "-" else s.replace("-", minus)


def si_number(x: float, *, digits: int = 3) -> str:
    """``x`` with a k/M/B/T suffix and ``digits`` significant digits: ``2187923 -> '2.19M'``.

    Uses a true minus sign so negative tick labels read well on a slide; below 0.001 in
    magnitude, e-notation (``'1.20e\u221205'``); non-finite values are ``str(x)``.

    Parameters
    ----------
    x
        The value, in any unit (the unit is not written; see :func:`format_value`).
    digits
        Significant digits of the mantissa (the e-notation below 0.001 always has three).

    Returns
    -------
    str
        The label, such as ``'2.19M'`` or ``'\u22123.5k'``.
    """
    if not math.isfinite(x):
        return str(x)
    a = abs(x)
    for scale, suffix in _SUFFIXES:
        if a >= scale * 0.9995:
            s = f"{x / scale:.{digits}g}{suffix}"
            break
    else:
        s = f"{x:.{digits}g}" if a >= 1e-3 or a == 0 else f"{x:.2e}"
    return s.replace("-", MINUS)


def table_number(x: float, unit: str, *, minus: str = "-") -> str:
    """A number for a table cell: a dimensionless value as a percentage, else :func:`format_number`.

    Parameters
    ----------
    x
        The value, in ``unit``.
    unit
        Its unit; ``"1"`` (:func:`~mcrisk.core.labels.is_share`) gives one decimal of a percentage.
    minus
        The minus sign (:data:`MINUS` for the report's tables).

    Returns
    -------
    str
        ``'545.0%'`` for a margin of 5.45, ``'1,234,568'`` for 1234567.8 USD/day.
    """
    if is_share(unit):
        s = f"{x:.1%}"
        return s if minus == "-" else s.replace("-", minus)
    return format_number(x, unit, minus=minus)


def format_value(x: float, unit: str, *, digits: int = 3, with_unit: bool = True) -> str:
    """A value for a label: a dimensionless value as a percentage, others k/M/B with their unit.

    ``unit`` ``"1"`` is a share, margin or ratio (``0.25 -> '25.0%'``, ``5.45 -> '545%'``);
    anything else is written after the :func:`si_number` (``'2.19M USD/month'``) unless
    ``with_unit`` is false.

    Parameters
    ----------
    x
        The value, in ``unit`` (a share in [0, 1] when ``unit`` is ``"1"``).
    unit
        The value's unit: ``"1"`` (dimensionless, shown as a percentage) or a unit such as
        ``"USD/day"``; ``""`` writes no unit.
    digits
        Significant digits (for a share of at least 0.1 in magnitude, ``digits - 2`` decimals of
        the percentage, else ``digits - 1``).
    with_unit
        Whether a unit other than ``"1"`` is written after the number.

    Returns
    -------
    str
        The label, with a true minus sign for negative values.
    """
    if is_share(unit):
        return f"{x:.{max(digits - 2, 0) if abs(x) >= 0.1 else digits - 1}%}".replace("-", MINUS)
    s = si_number(x, digits=digits)
    return f"{s} {unit}" if with_unit and unit else s


def percent_text(p: float) -> str:
    """A probability such as P(loss) to one decimal (``'16.8%'``); exactly 0 and 1 as ``'0%'``, ``'100%'``.

    Parameters
    ----------
    p
        The probability, a share in [0, 1].

    Returns
    -------
    str
        The percentage.
    """
    return f"{p:.1%}" if 0 < p < 0.1 else f"{p:.0%}" if p in (0.0, 1.0) else f"{p:.1%}"


def share_text(p: float) -> str:
    """A share of samples: ``'0.4%'``, and ``'<0.1%'`` below one in a thousand.

    Parameters
    ----------
    p
        The share of samples, in [0, 1].

    Returns
    -------
    str
        The percentage to one decimal, or ``'<0.1%'`` when ``p`` is below 0.001.
    """
    return f"{p:.1%}" if p >= 0.001 else "<0.1%"


def index_text(v: float, conf: float | None = None, *, digits: int = 3) -> str:
    """A sensitivity index with its interval half-width: ``'0.610 \u00b1 0.030'``.

    ``'nan'`` when ``v`` is not finite; the ``\u00b1`` part only when ``conf`` is finite.

    Parameters
    ----------
    v
        The index (dimensionless).
    conf
        The half-width of its confidence interval (dimensionless), or ``None`` for none.
    digits
        Decimals of both numbers.

    Returns
    -------
    str
        The index as text.
    """
    if not math.isfinite(v):
        return "nan"
    s = f"{v:.{digits}f}"
    return s if conf is None or not math.isfinite(conf) else f"{s} \u00b1 {conf:.{digits}f}"


def labelled(name: str, labels: Labels | None = None) -> str:
    """A variable's plain label with a capital, from ``labels``; else ``name`` itself.

    For tables whose first column names variables: a label where there is one, the stored
    name (what ``results.nc`` and the CSV files hold) where there is none.

    Parameters
    ----------
    name
        A variable name.
    labels
        Name -> plain label (:data:`Labels`); None for none.

    Returns
    -------
    str
        ``"Profit per month"`` or ``"profit_per_day"``.
    """
    label = labels.get(name) if labels else None
    return label[:1].upper() + label[1:] if label else name


def words(name: str, labels: Labels | None = None) -> str:
    """A variable name as words: ``'gpu_hour_price' -> 'gpu hour price'``, or its plain label.

    Parameters
    ----------
    name
        A variable name.
    labels
        Name -> plain label (:data:`Labels`); None for none.

    Returns
    -------
    str
        The variable's label in ``labels``, else ``name`` with each underscore replaced by a space.
    """
    return (labels.get(name) if labels else None) or name.replace("_", " ")


def loss_words(name: str, labels: Labels | None = None) -> tuple[str, str]:
    """What ``x < 0`` and ``x > 0`` are called for this output: ``('loss', 'profit')`` for a
    profit or margin, else ``('<name> < 0', '<name> > 0')``.

    Parameters
    ----------
    name
        An output's variable name; one containing ``profit`` or ``margin`` has a loss and a profit.
    labels
        Name -> plain label, for the name in words.

    Returns
    -------
    tuple of str
        The words for below zero and for above zero (``<name>`` written as :func:`words`).
    """
    if any(k in name for k in ("profit", "margin")):
        return "loss", "profit"
    return f"{words(name, labels)} < 0", f"{words(name, labels)} > 0"


def p_error(p: float, n: int, varies: bool) -> str:
    """How sure P is: its Monte Carlo standard error, or, when no sample (or every sample) fell
    below zero, the 95% bound of the rule of three, 3 / n (the standard error would read 0).

    Parameters
    ----------
    p
        The estimated probability, a share in [0, 1].
    n
        The samples it was estimated from.
    varies
        Whether the output varies at all.

    Returns
    -------
    str
        ``"Monte Carlo standard error 0.3%"``, ``"none of 20,000 samples; 95% upper bound
        0.02%"`` or ``"every sample is the same"``.
    """
    if not varies:
        return "every sample is the same"
    if p in (0.0, 1.0):
        side = "upper" if p == 0.0 else "lower"
        bound = 3 / n if p == 0.0 else 1 - 3 / n
        return f"{'none' if p == 0.0 else 'all'} of {n:,} samples; 95% {side} bound {bound:.2%}"
    se = math.sqrt(p * (1 - p) / n)
    return f"Monte Carlo standard error {se:.1%}"


def aligned(rows: Sequence[Sequence[str]], *, left: int = 1, rule: bool = False,
            text_last: bool = False) -> list[str]:
    """Rows of cells as the lines of a plain-text table, columns two spaces apart: the one table layout.

    Every plain-text table mcrisk prints is laid out here (the summary, the sensitivity, sweep
    and comparison tables, the value of information, the fitted families, ``mcrisk describe``);
    a free-text last column is a left-justified column like any other, and no line ends in spaces.

    Parameters
    ----------
    rows
        The cells, the header row first; every row as long as the first.
    left
        How many leading columns (names, units) are padded on the right; the others (numbers)
        are padded on the left.
    rule
        A line of dashes under the header.
    text_last
        The last column is free text (parameters, a description): padded on the right like the
        leading ones.

    Returns
    -------
    list of str
        One line per row (and the rule), no trailing spaces or newline.
    """
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    last = len(widths) - 1 if text_last else len(widths)
    line = lambda r: "  ".join(c.ljust(w) if j < left or j == last else c.rjust(w)  # noqa: E731
                               for j, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
    lines = [line(r) for r in rows]
    return [lines[0], line(["-" * w for w in widths]), *lines[1:]] if rule else lines
