"""The decision sheets of ``workbook.xlsx``: ``Sweep`` and ``Solve``.

:func:`sweep_sheet` writes, per value of a ``[sweep]``'s lever, P(< 0), the mean, the percentiles
and the finite samples of its output; :func:`solve_sheet` a ``[solve]``'s answer, its 95%
interval, the target and the search. Numbers are numbers, in the cell formats of the other sheets
(``book.number``). Neither sheet is written when the run lacks its table.
"""

from __future__ import annotations

import numpy as np

from mcrisk.core.labels import run_labels, shown_unit
from mcrisk.core.statistics import CENTRAL_80_90, CENTRAL_90, percentile_head
from mcrisk.report.deck_decisions import target_words

__all__ = ["solve_sheet", "sweep_sheet"]


def sweep_sheet(book, run) -> None:
    """Per lever value of the ``[sweep]``: P(< 0), the mean and percentiles of its output, finite samples."""
    if (sw := run.tables.get("sweep")) is None:
        return
    ws = book.wb.add_worksheet("Sweep")
    lever = sw.summary.attrs["lever"]
    s = sw.summary.sel(output=sw.output)
    unit, lunit = str(np.ravel(s.units.values)[0]), str(sw.summary[lever].attrs.get("units", ""))
    values = np.asarray(sw.summary[lever].values, dtype=float)
    stats = ("mean", *CENTRAL_80_90)
    ws.write(0, 0, f"{book.lab(sw.output, True)} ({sw.output}) at each value of {book.lab(lever)} ({lever}), on the "
                   f"same {int(sw.summary.attrs.get('samples', 0)):,} samples of the other inputs (common random "
                   "numbers)" + ("" if sw.breakeven is None else
                                 f"; P(< 0) crosses 50% at {lever} = {sw.breakeven:.6g} {lunit}".rstrip()))
    head = [book.head(book.lab(lever), lunit), book.head("P(< 0)", "1"),
            *(book.head("Mean" if k == "mean" else percentile_head(k), unit) for k in stats), "Finite samples"]
    ws.write_row(1, 0, head, book.bold)
    lcode = book.number(lunit, values)
    code = book.number(unit, [float(v) for v in np.ravel(s[list(CENTRAL_90)].to_array())])
    for i, v in enumerate(values):
        ws.write_number(2 + i, 0, float(v), lcode)
        ws.write_number(2 + i, 1, float(s.p_below_zero.values[i]), book.number("1"))
        for j, k in enumerate(stats):
            ws.write_number(2 + i, 2 + j, float(s[k].values[i]), code)
        ws.write_number(2 + i, 2 + len(stats), int(s.n_valid.values[i]), book.fmt("#,##0"))
    ws.set_column(0, 0, 24)
    ws.set_column(1, 2 + len(stats), 16)
    ws.freeze_panes(2, 1)


def solve_sheet(book, run) -> None:
    """The ``[solve]``'s answer: the lever value meeting the target, its 95% interval, the target, the search."""
    if (sol := run.tables.get("solve")) is None:
        return
    ws = book.wb.add_worksheet("Solve")
    u = sol.unit
    rows = [("Lever", f"{book.lab(sol.lever)} ({sol.lever})", ""),
            ("Target", f"{target_words(sol.target, run_labels(run))} ({sol.target})", ""),
            ("Value", sol.value, u), ("95% interval, low", sol.ci_low, u), ("95% interval, high", sol.ci_high, u),
            ("Achieved there", sol.achieved, ""), ("Target met", "above the value" if sol.met_above else
                                                   "below the value", ""),
            ("Range searched, low", sol.low, u), ("Range searched, high", sol.high, u),
            ("Bisected to", sol.tolerance, u), ("Samples", sol.samples, ""), ("Sampling design", sol.method, ""),
            ("Seed", str(sol.seed), ""), ("Model evaluations", sol.evaluations, ""), ("Interval", sol.interval, "")]
    if sol.clipped:
        rows.append(("Interval clipped at", f"the range's {sol.clipped.replace(',', ' and ')} end", ""))
    ws.write_row(0, 0, ["Item", "Value", "Unit"], book.bold)
    for i, (k, v, unit) in enumerate(rows):
        ws.write(i + 1, 0, k)
        if isinstance(v, str):
            ws.write_string(i + 1, 1, v)
        else:
            code = book.fmt("#,##0") if isinstance(v, int) else book.number(unit, [0.0])  # 3 decimals
            ws.write_number(i + 1, 1, v, code)
        ws.write(i + 1, 2, shown_unit(unit))
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 48)
    ws.set_column(2, 2, 16)
