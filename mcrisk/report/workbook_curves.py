"""The ``Throughput`` sheet of ``workbook.xlsx``: the throughput curve and the cost frontier, as numbers.

For a study with a ``throughput_curve``: the curve's points (interactivity, output tokens/s per
GPU), then at each speed of the frontier the curve's throughput and the P5, median and P95 of
the cost per million output tokens (:func:`mcrisk.analyze.frontier.cost_frontier`). No sheet for
a study without a curve.
"""

from __future__ import annotations

import numpy as np

from mcrisk.analyze.frontier import run_frontier

__all__ = ["throughput_sheet"]


def throughput_sheet(book, run) -> None:
    """Write the ``Throughput`` sheet of ``book`` (a workbook's ``_Book``) for a study with a curve.

    Parameters
    ----------
    book
        The workbook being written (its ``wb``, ``bold``, ``fmt`` and ``currency``).
    run
        A :class:`~mcrisk.study.runner.StudyRun`.

    Returns
    -------
    None
    """
    if (got := run_frontier(run)) is None:
        return
    name, points, frontier = got
    ws = book.wb.add_worksheet("Throughput")
    ws.write(0, 0, f"Throughput curve {name}: output tokens/s per GPU at each interactivity (tokens/s per user); "
                   "log-log interpolation between points, no extrapolation")
    ws.write_row(1, 0, ["Interactivity (tokens/s per user)", "Output tokens/s per GPU"], book.bold)
    plain = book.fmt("#,##0.0")
    for i, (x, y) in enumerate(points):
        ws.write_number(2 + i, 0, float(x), plain)
        ws.write_number(2 + i, 1, float(y), plain)
    row = 3 + len(points)
    ws.set_column(0, 5, 22)
    if frontier is None:
        return
    f = frontier.isel(hardware=0)
    unit = str(f["p50"].attrs.get("units", ""))
    money = book.fmt(f'#,##0.000 "{book.currency}"' if book.currency else "#,##0.000")
    ws.write(row, 0, f"Cost per million output tokens ({unit}) at each interactivity, on the study's first "
                     f"{int(frontier.attrs['samples']):,} samples of the other inputs (common random numbers)")
    ws.write_row(row + 1, 0, ["Interactivity (tokens/s per user)", "Output tokens/s per GPU", "P5", "Median", "P95"],
                 book.bold)
    for i, x in enumerate(np.asarray(frontier["interactivity"].values, dtype=float)):
        ws.write_number(row + 2 + i, 0, float(x), plain)
        ws.write_number(row + 2 + i, 1, float(f["tokens_per_gpu"].values[i]), plain)
        for j, k in enumerate(("p05", "p50", "p95")):
            v = float(f[k].values[i])
            if np.isfinite(v):
                ws.write_number(row + 2 + i, 2 + j, v, money)
