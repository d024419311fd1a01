"""The workbook's sheets for a model over months: the base case's cash flow, cash by month, indices by month.

* ``Cash flow``: the base case (every input at its base value: the prior's ``base`` if given,
  else its median, as the tornado's) evaluated once; its monthly cash flows as numbers, month 0
  the upfront flow, and its NPV and IRR as Excel formulas over them, so a finance reader can
  check the convention in their own tool: the monthly rate ``(1 + r)^(1/12) - 1`` from the
  annual effective ``discount_rate``, ``=C0 + NPV(monthly rate, C1:CM)`` (month 0 outside
  NPV's discounting, which starts one period out) and the explicit sum of
  ``CF_m / (1 + r)^(m/12)`` beside it, and ``=(1 + IRR(C0:CM))^12 - 1``. The model's own NPV
  and IRR are written beside the formulas; LibreOffice and Excel recalculate them to the same.
* ``Cash by month``: P5 ... P95 of cumulative cash and P(cumulative cash < 0) per month, with a
  native line chart (the report's fan chart); and per month the share of samples that pay back
  and that turn negative for good, with a column chart (when the loss happens).
* ``Sensitivity`` over months: one row per input and month (:func:`sensitivity_over_sheet`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mcrisk.analyze.cashflow import CUMULATIVE, cash_bands, has_months, turning_months
from mcrisk.analyze.sensitivity import rank_order
from mcrisk.core.statistics import CENTRAL_50_90, percentile_head
from mcrisk.models.call import call_model, model_outputs
from mcrisk.report.findings import stated
from mcrisk.report.palette import FAN, GAIN, LOSS

__all__ = ["base_case", "cash_flow_sheet", "cash_month_sheet", "sensitivity_over_sheet"]

#: The inputs and outputs the Cash flow sheet needs besides ``cash`` over months.
_NEEDS = ("discount_rate", "npv")


def _money(book, currency: str | None = None) -> Any:
    c = book.currency if currency is None else currency
    return book.fmt(f'#,##0 "{c}";-#,##0 "{c}"' if c else "#,##0")


def base_case(study) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """The base case: every input at its base value (the prior's ``base``, else its median), and the model there.

    Parameters
    ----------
    study
        A loaded :class:`~mcrisk.spec.studyfile.Study`.

    Returns
    -------
    inputs : dict of str to float
        Each input's base value, in the model's units.
    outputs : dict of str to numpy.ndarray
        The model's outputs for that one sample (shape ``(1,)`` or ``(1, M)``).
    """
    inputs = {k: float(p.base_value) for k, p in study.priors.items()}
    outputs = model_outputs(study.model, call_model(study.model, {k: np.full(1, v) for k, v in inputs.items()}), 1)
    return inputs, outputs


def _has_cash_flow(run) -> bool:
    outs = getattr(run.study.model, "outputs", None) or {}
    return (all(k in run.study.priors or k in outs for k in _NEEDS) and "discount_rate" in run.study.priors
            and tuple(getattr(outs.get("cash"), "dims", ())) == ("month",)
            and tuple(getattr(outs.get(CUMULATIVE), "dims", ())) == ("month",))


def cash_flow_sheet(book, run) -> None:
    """The base case's monthly cash flows as numbers, its NPV and IRR as Excel formulas over them.

    Written for a model with ``cash`` and ``cumulative_cash`` over months, an output ``npv`` and
    an input ``discount_rate`` (``maas_monthly``, or a user's model of that form); nothing else.

    Parameters
    ----------
    book
        The workbook being written (:class:`mcrisk.report.workbook._Book`).
    run
        A :class:`~mcrisk.study.runner.StudyRun`.

    Returns
    -------
    None
    """
    if not _has_cash_flow(run):
        return
    inputs, out = base_case(run.study)
    cash = np.asarray(out["cash"], dtype=float).reshape(-1)
    cum1 = float(np.asarray(out[CUMULATIVE], dtype=float).reshape(-1)[0])
    flows = np.concatenate([[cum1 - cash[0]], cash])  # month 0: CF_0 = cumulative cash at month 1 - CF_1
    r = inputs["discount_rate"]
    ws = book.wb.add_worksheet("Cash flow")
    money, pct = _money(book), book.fmt("0.00%")
    ws.write(0, 0, "Base case: every input at its base value (the prior's base if given, else its median), the model "
                   "evaluated once there; money as the model gives it, undiscounted. NPV and IRR are formulas over "
                   "column D: change a cash flow and they follow. Month 0 is the upfront flow, outside NPV()'s "
                   "discounting (NPV() discounts its first value by one period).")
    first, last = 9, 9 + len(flows) - 1  # the flows' rows (0-based): month 0 .. M
    d0, d1, dm = f"D{first + 1}", f"D{first + 2}", f"D{last + 1}"
    rows = [("Discount rate, annual effective", r, pct, None, ""),
            ("Discount rate, monthly: (1 + annual)^(1/12) - 1", "=(1+B3)^(1/12)-1", book.fmt("0.0000%"), None, ""),
            ("NPV: month 0 + NPV(monthly rate, months 1..M)", f"={d0}+NPV(B4,{d1}:{dm})", money, "npv", "model's npv"),
            ("NPV: sum of CF_m / (1 + annual)^(m/12)", f"=SUM(F{first + 1}:F{last + 1})", money, "npv", "model's npv"),
            ("IRR, annual effective: (1 + IRR(months 0..M))^12 - 1", f"=(1+IRR({d0}:{dm}))^12-1", pct, "irr",
             "model's irr")]
    for i, (label, value, fmt, name, note) in enumerate(rows):
        ws.write(2 + i, 0, label)
        if isinstance(value, str):
            ws.write_formula(2 + i, 1, value, fmt, "")  # no cached value: LibreOffice computes it on load
        else:
            ws.write_number(2 + i, 1, value, fmt)
        if name is not None and name in out and math.isfinite(v := float(np.ravel(out[name])[0])):
            ws.write_number(2 + i, 2, v, fmt)
            ws.write(2 + i, 3, note)
    ws.write_row(8, 0, ["Month", "Revenue", "Cost", "Cash flow", "Cumulative cash", "Discounted cash flow"], book.bold)
    rev = np.asarray(out.get("revenue", np.full((1, len(cash)), np.nan)), dtype=float).reshape(-1)
    cost = np.asarray(out.get("cost", np.full((1, len(cash)), np.nan)), dtype=float).reshape(-1)
    for m, flow in enumerate(flows):
        row = first + m
        ws.write_number(row, 0, m)
        if m and math.isfinite(rev[m - 1]):
            ws.write_number(row, 1, float(rev[m - 1]), money)
        if m and math.isfinite(cost[m - 1]):
            ws.write_number(row, 2, float(cost[m - 1]), money)
        ws.write_number(row, 3, float(flow), money)
        ws.write_formula(row, 4, f"=D{row + 1}" if m == 0 else f"=E{row}+D{row + 1}", money, "")
        ws.write_formula(row, 5, f"=D{row + 1}/(1+$B$3)^(A{row + 1}/12)", money, "")
    ws.set_column(0, 0, 52)
    ws.set_column(1, 5, 18)


def cash_month_sheet(book, run) -> None:
    """Cumulative cash by month (P5 ... P95, P(< 0)) and when the loss happens, with native charts.

    Parameters
    ----------
    book
        The workbook being written.
    run
        A :class:`~mcrisk.study.runner.StudyRun`; nothing is written without ``cumulative_cash`` over months.

    Returns
    -------
    None
    """
    res = stated(run) if run.results is not None else None
    if not has_months(res):
        return
    b, t = cash_bands(res), turning_months(res)
    ws = book.wb.add_worksheet("Cash by month")
    n = max(t.sizes["sample"], 1)
    ws.write(0, 0, f"Cumulative cash over the {b.attrs['samples']:,} samples, month by month (percentiles of each "
                   "month, not single paths; break-even is 0), and the share of samples that pay back (cumulative "
                   "cash first >= 0) and that turn negative for good in each month: "
                   f"{t.attrs['never_pays_back']:.1%} never pay back, {t.attrs['ends_in_loss']:.1%} end in a loss")
    head = ["Month", *(percentile_head(k) for k in CENTRAL_50_90), "P(cumulative cash < 0)", "Share paying back",
            "Share turning negative for good"]
    ws.write_row(1, 0, head, book.bold)
    months = [int(m) for m in b.month.values]
    money, pct = _money(book), book.fmt("0.0%")
    for i, m in enumerate(months):
        ws.write_number(2 + i, 0, m)
        for j, k in enumerate(CENTRAL_50_90):
            if math.isfinite(v := float(b[k].values[i])):
                ws.write_number(2 + i, 1 + j, v, money)
        ws.write_number(2 + i, 6, float(b.p_below_zero.values[i]), pct)
        if m >= 1:
            ws.write_number(2 + i, 7, float((t.payback_month.values == m).sum() / n), pct)
            ws.write_number(2 + i, 8, float((t.loss_month.values == m).sum() / n), pct)
    last = 1 + len(months)
    fan = book.wb.add_chart({"type": "scatter", "subtype": "straight"})
    for j, k in enumerate(CENTRAL_50_90):
        colour, wide = FAN[k]
        fan.add_series({"name": "median" if k == "p50" else percentile_head(k),
                        "categories": ["Cash by month", 2, 0, last, 0], "values": ["Cash by month", 2, 1 + j, last, 1 + j],
                        "line": {"color": f"#{colour}", "width": 2.5 if wide else 1.25}})
    fan.set_title({"name": "Cumulative cash by month"})
    fan.set_x_axis({"name": "Month", "min": months[0], "max": months[-1]})
    fan.set_y_axis({"name": f"Cumulative cash ({book.currency})" if book.currency else "Cumulative cash",
                    "num_format": "#,##0", "major_gridlines": {"visible": False}})
    fan.set_size({"width": 900, "height": 420})
    ws.insert_chart(last + 2, 0, fan)
    timing = book.wb.add_chart({"type": "column"})
    start = 2 + (1 if months[0] == 0 else 0)
    for col, name, colour in ((7, "pays back in the month", GAIN), (8, "turns negative for good", LOSS)):
        timing.add_series({"name": name, "categories": ["Cash by month", start, 0, last, 0],
                           "values": ["Cash by month", start, col, last, col], "fill": {"color": colour}})
    timing.set_title({"name": "When the loss happens"})
    timing.set_x_axis({"name": "Month"})
    timing.set_y_axis({"name": "Share of samples", "num_format": "0%", "major_gridlines": {"visible": False}})
    timing.set_size({"width": 900, "height": 380})
    ws.insert_chart(last + 24, 0, timing)
    ws.set_column(0, 0, 10)
    ws.set_column(1, 8, 16)
    ws.freeze_panes(2, 1)


def sensitivity_over_sheet(book, run, output: str, sens) -> None:
    """Indices over months: one row per input and month, inputs ranked by the index's mean over months.

    Parameters
    ----------
    book
        The workbook being written.
    run
        A :class:`~mcrisk.study.runner.StudyRun`.
    output, sens
        From :func:`mcrisk.report.findings.analysed`: the output and its indices over ``input`` and months.

    Returns
    -------
    None
    """
    over = sens.attrs["over"]
    keys = [k for k, v in sens.data_vars.items() if set(v.dims) == {"input", over}]
    ws = book.wb.add_worksheet("Sensitivity")
    ws.write(0, 0, f"Sensitivity of {book.lab(output, True)} ({output}) by {over} ({sens.attrs.get('method', '')}, "
                   f"N = {int(sens.attrs.get('samples', 0)):,}); *_conf: half-width of the "
                   f"{float(sens.attrs.get('conf_level', 0.95)):.0%} interval; a {over} not analysed is empty")
    ws.write_row(1, 0, ["Input", "Name", over.capitalize(), *keys], book.bold)
    row, fmt = 2, book.fmt("0.000")
    for j in rank_order(sens):
        name = str(sens.input.values[j])
        for m in sens[over].values:
            ws.write_row(row, 0, [book.lab(name), name])
            ws.write_number(row, 2, int(m))
            for c, k in enumerate(keys):
                if math.isfinite(v := float(sens[k].sel({over: m}).values[j])):
                    ws.write_number(row, 3 + c, v, fmt)
            row += 1
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2 + len(keys), 12)
    ws.freeze_panes(2, 3)
