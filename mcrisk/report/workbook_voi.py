"""The value-of-information sheets of ``workbook.xlsx``: ``EVSI`` and ``VOI lever``.

:func:`evsi_sheet` writes each ``[[value_of_information.studies]]`` size's EVSI, its standard
error and ENBS, the best size marked, with a native line chart of ENBS against the size;
:func:`voi_lever_sheet` writes EVPI and each named input's EVPPI at every lever value, with a
line chart of them against the lever. Numbers are numbers, in the cell formats of the other sheets
(:meth:`mcrisk.report.workbook._Book.number`). Neither sheet is written when the run lacks it.
"""

from __future__ import annotations

import numpy as np


__all__ = ["evsi_sheet", "voi_lever_sheet"]


def evsi_sheet(book, run) -> None:
    """Per study and size: EVSI, its SE, ENBS, the best size and the SE of its ENBS lead over each size
    (paired); a chart of ENBS against the size."""
    from mcrisk.analyze.evsi import METHOD

    if (ds := run.tables.get("evsi")) is None:
        return
    ws = book.wb.add_worksheet("EVSI")
    units, money = ds.attrs["units"], ds.attrs["enbs_units"]
    ws.write(0, 0, f"Value of sample information: {METHOD}; ENBS = periods x EVSI - cost_fixed - "
                   "cost_per_observation x n")
    head = ["Study", "Input", "n", book.head("EVSI", units), book.head("SE", units), book.head("ENBS", money), "Periods",
            book.head("Cost fixed", money), book.head("Cost per observation", money), "Best",
            book.head("SE of the best's lead", money)]
    ws.write_row(1, 0, head, book.bold)
    code, mcode = book.number(units, ds.evsi.values), book.number(money, ds.enbs.values)
    for i in range(ds.sizes["row"]):
        r = 2 + i
        ws.write_string(r, 0, str(ds.study.values[i]))
        ws.write_string(r, 1, book.lab(str(ds.input.values[i])))
        ws.write_number(r, 2, int(ds.n.values[i]), book.fmt("#,##0"))
        ws.write_number(r, 3, float(ds.evsi.values[i]), code)
        ws.write_number(r, 4, float(ds.se.values[i]), code)
        ws.write_number(r, 5, float(ds.enbs.values[i]), mcode)
        ws.write_number(r, 6, float(ds.periods.values[i]), book.fmt("#,##0.###"))
        ws.write_number(r, 7, float(ds.cost_fixed.values[i]), mcode)
        ws.write_number(r, 8, float(ds.cost_per_observation.values[i]), mcode)
        ws.write_string(r, 9, "best" if bool(ds.best.values[i]) else "")
        if np.isfinite(lead := float(ds.se_vs_best.values[i])):  # NaN: read back from an older evsi.csv
            ws.write_number(r, 10, lead, mcode)
    chart = book.wb.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
    for name in dict.fromkeys(map(str, ds.study.values)):
        rows = np.flatnonzero(ds.study.values == name)
        first, last = 2 + int(rows[0]), 2 + int(rows[-1])
        chart.add_series({"name": f"ENBS: {name}", "categories": ["EVSI", first, 2, last, 2],
                          "values": ["EVSI", first, 5, last, 5]})
    chart.set_title({"name": "ENBS against the study's size"})
    wide = ds.n.values.max() >= 8 * ds.n.values.min()
    chart.set_x_axis({"name": "n (observations)", "log_base": 10 if wide else None})
    chart.set_y_axis({"name": book.head("ENBS", money)})
    ws.insert_chart(3 + ds.sizes["row"], 0, chart, {"x_scale": 1.6, "y_scale": 1.3})
    ws.set_column(0, 1, 24)
    ws.set_column(2, 10, 16)
    ws.freeze_panes(2, 1)


def voi_lever_sheet(book, run) -> None:
    """EVPI and EVPPI at each lever value, with their SEs; a chart of them against the lever."""
    if (ds := run.tables.get("voi_lever")) is None:
        return
    ws = book.wb.add_worksheet("VOI lever")
    lever, lunit, units = ds.attrs["lever"], ds.attrs["lever_units"], ds.attrs["units"]
    names = [str(k) for k in ds.inputs.values]
    shown = ["EVPI" if k == "all" else "EVPPI " + " + ".join(book.lab(x) for x in k.split("+")) for k in names]
    ws.write(0, 0, f"Value of information at each value of {book.lab(lever)} ({lever}), on the same "
                   f"{int(ds.attrs['samples']):,} samples of the other inputs (common random numbers)")
    head = [book.head(book.lab(lever), lunit), *(book.head(s, units) for s in shown), *(book.head(f"SE {s}", units) for s in shown)]
    ws.write_row(1, 0, head, book.bold)
    lcode, code = book.number(lunit, ds.lever_value.values), book.number(units, ds.evppi.values.ravel())
    k = len(names)
    for i, v in enumerate(ds.lever_value.values):
        ws.write_number(2 + i, 0, float(v), lcode)
        for j in range(k):
            ws.write_number(2 + i, 1 + j, float(ds.evppi.values[i, j]), code)
            ws.write_number(2 + i, 1 + k + j, float(ds.se.values[i, j]), code)
    last = 1 + ds.sizes["lever_value"]
    chart = book.wb.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
    for j, s in enumerate(shown):
        chart.add_series({"name": s, "categories": ["VOI lever", 2, 0, last, 0],
                          "values": ["VOI lever", 2, 1 + j, last, 1 + j]})
    chart.set_title({"name": f"Value of information against {book.lab(lever)}"})
    chart.set_x_axis({"name": book.head(book.lab(lever), lunit)})
    chart.set_y_axis({"name": book.head("value of information", units)})
    ws.insert_chart(last + 2, 0, chart, {"x_scale": 1.6, "y_scale": 1.3})
    ws.set_column(0, 2 * k, 20)
    ws.freeze_panes(2, 1)
