"""``workbook.xlsx``: the study's tables as an Excel workbook, numbers as numbers.

:func:`write_workbook` writes one sheet each for the summary, the tornado (with a native bar
chart drawn from the base case), the sensitivity indices, a ``[sweep]`` (per lever value) and a
``[solve]`` (the answer) where the study has them, the assumptions with their sources,
the sources cited, the study settings and the samples (inputs and outputs, money per the
study's period). Every number is a number cell with a number format: money with thousands
separators and the currency (``#,##0 "USD"``), shares and margins as percentages, others
with thousands separators; the unit a heading or unit cell shows is the unit of its cells'
format (:func:`_number_format`). Labels are the plain ones of :mod:`mcrisk.core.labels`; the
stored name is beside each.

A sheet holds at most 1,048,576 rows: with more samples, the samples sheet keeps the first
:data:`MAX_ROWS` and says so in its first row (``results.nc`` has them all).

XlsxWriter (a dependency of python-pptx) is imported inside :func:`write_workbook`.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mcrisk.core.statistics import CENTRAL_80, CENTRAL_80_90, CENTRAL_90, PERCENTILES, percentile_head
from mcrisk.spec.bibliography import cited_sources, study_folders
from mcrisk.report.deck import dist_words
from mcrisk.report.findings import analysed, stated
from mcrisk.report.palette import QUANTILE_HIGH, QUANTILE_LOW
from mcrisk.report.workbook_calibration import calibration_sheet
from mcrisk.report.workbook_decisions import solve_sheet, sweep_sheet
from mcrisk.report.workbook_voi import evsi_sheet, voi_lever_sheet
from mcrisk.report.workbook_curves import throughput_sheet
from mcrisk.core.labels import is_share, label_of, period_name, shown_unit
from mcrisk.analyze.sensitivity import rank_order
from mcrisk.report.workbook_months import cash_flow_sheet, cash_month_sheet, sensitivity_over_sheet

__all__ = ["MAX_ROWS", "write_workbook"]

#: Data rows of the samples sheet: Excel's 1,048,576 rows less the header.
MAX_ROWS = 1_048_575


def _number_format(unit: str, currency: str, values=None) -> str:
    """Excel's number format for a value in ``unit``: percent, money with currency, or plain.

    The number is shown in the unit :func:`~mcrisk.core.labels.shown_unit` names, the unit its
    column's heading or unit cell reads: a dimensionless value (:func:`~mcrisk.core.labels.is_share`)
    is a percentage and reads ``%``, as the report, the deck and the charts show it; any other
    unit that rule restates is written into the cells' format.
    """
    shown = shown_unit(unit)
    if is_share(unit) or shown == "%":
        return "0.0%"
    if shown != unit:  # a unit mcrisk.core.labels restates for reading (a ratio as "×"): the cells say it too
        return f'0.00"{shown}";-0.00"{shown}"'
    if currency and unit.startswith(currency + "/"):
        return f'#,##0 "{currency}";-#,##0 "{currency}"' if _large(values) else \
            f'#,##0.000 "{currency}";-#,##0.000 "{currency}"'
    return "#,##0" if _large(values) else "#,##0.000"


def _large(values) -> bool:
    if values is None:
        return True
    v = np.abs(np.asarray(values, dtype=float))
    v = v[np.isfinite(v)]
    return not v.size or float(np.median(v)) >= 100


def _cell(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass
class _Book:
    """The workbook being written, its shared cell formats and the study's labels."""

    wb: Any
    study: Any
    currency: str
    formats: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.bold = self.wb.add_format({"bold": True, "bg_color": "#DCE6F1", "text_wrap": True,
                                        "valign": "top"})
        self.wrap = self.wb.add_format({"text_wrap": True, "valign": "top"})

    def fmt(self, code: str):
        """The cell format of number format ``code``, made once per workbook."""
        if code not in self.formats:
            self.formats[code] = self.wb.add_format({"num_format": code, "valign": "top"})
        return self.formats[code]

    def number(self, unit: str, values=None):
        """The cell format of numbers in ``unit`` (money, share or count), as every sheet shows them."""
        return self.fmt(_number_format(unit, self.currency, values))

    @staticmethod
    def head(text: str, unit: str) -> str:
        """A column heading with the unit its cells are shown in: ``"P50 (CNY/month)"``, ``"P(< 0) (%)"``."""
        return f"{text} ({shown_unit(unit)})" if shown_unit(unit) else text

    def lab(self, name: str, out: bool = False) -> str:
        """The label of a variable; an output's money reads per the study's period."""
        s = self.study
        return label_of(name, model=s.model, priors=s.priors, period_days=s.period_days if out else None)


def write_workbook(run, path: str | Path) -> Path:
    """Write the study's tables and samples as an Excel workbook.

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.runner.StudyRun`.
    path
        The file (``workbook.xlsx``); written to a temporary name beside it, then renamed.

    Returns
    -------
    Path
        ``path``.

    Notes
    -----
    Sheets: ``Summary`` (each output's mean, P5, P10, P50, P90, P95, P(< 0), ES 5% and finite
    samples), ``Tornado`` (and its bar chart), ``Sensitivity``, ``Sweep`` (per lever value of a
    ``[sweep]``: P(< 0), mean and percentiles), ``Solve`` (a ``[solve]``'s answer, its 95% interval
    and target), ``Calibration`` (a ``[calibrate]``'s prior against posterior per input), ``EVSI``
    and ``VOI lever`` (:mod:`mcrisk.report.workbook_voi`), ``Throughput`` (a throughput curve and its
    cost frontier), ``Cash flow`` and ``Cash by month`` (a model over months:
    :mod:`mcrisk.report.workbook_months`), ``Assumptions``, ``Sources``, ``Settings`` and
    ``Samples``; a sheet without content (no tornado, no analysis, no sweep, solve or curve) is
    left out.
    """
    import xlsxwriter  # the writer: only a run asking for xlsx pays for its import

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    study = run.study
    currency = study.priors.currency or str(run.results.attrs.get("currency", "")) or ""
    try:
        wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "nan_inf_to_errors": True})
        book = _Book(wb, study, currency)
        for sheet in _SHEETS:
            sheet(book, run)
        for ws in wb.worksheets():  # printed: landscape, each sheet one page wide
            ws.set_landscape()
            ws.fit_to_pages(1, 0)
        wb.close()
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _summary_sheet(book: _Book, run) -> None:
    """Each output's mean, percentiles, P(< 0), expected shortfall and finite samples."""
    ws = book.wb.add_worksheet("Summary")
    s = run.summary
    head = ["Output", "Name", "Unit", "Mean", *map(percentile_head, CENTRAL_80_90), "P(< 0)", "ES 5%",
            "Finite samples"]
    ws.write_row(0, 0, head, book.bold)
    for i, name in enumerate(str(v) for v in s.output.values):
        unit = str(s.units.values[i])
        row = s.isel(output=i)
        code = _number_format(unit, book.currency, [float(row[k]) for k in CENTRAL_90])
        ws.write_row(i + 1, 0, [book.lab(name, True), name, shown_unit(unit)])
        for j, k in enumerate(("mean", *CENTRAL_80_90)):
            ws.write_number(i + 1, 3 + j, float(row[k]), book.fmt(code))
        ws.write_number(i + 1, 9, float(row["p_below_zero"]), book.fmt("0.0%"))
        ws.write_number(i + 1, 10, float(row["es05"]), book.fmt(code))
        if "n_valid" in row:
            ws.write_number(i + 1, 11, int(row["n_valid"]), book.fmt("#,##0"))
    ws.set_column(0, 0, 32)
    ws.set_column(1, 1, 24)
    ws.set_column(2, 2, 14)
    ws.set_column(3, 11, 15)
    ws.freeze_panes(1, 1)


def _tornado_sheet(book: _Book, run) -> None:
    """The tornado table and its bar chart (no sheet without a tornado)."""
    tab = run.tables.get("tornado")
    if tab is None or not tab.sizes.get("input", 0):
        return
    ws = book.wb.add_worksheet("Tornado")
    unit = str(tab.attrs.get("units", ""))
    out = str(tab.attrs.get("output", run.study.output))
    qlo, qhi = f"P{tab.attrs.get('low', 0.1) * 100:g}", f"P{tab.attrs.get('high', 0.9) * 100:g}"
    base = float(tab.attrs["base_output"])
    code = _number_format(unit, book.currency, [base])
    ws.write(0, 0, f"{book.lab(out, True)}, each input alone at its {qlo} and {qhi}; base case: every input "
                   "at its base value (the prior's base, else its median), not the mean or median "
                   "of the output")  # one line, running on to the right
    ws.write(1, 0, "Base case", book.bold)
    ws.write_number(1, 1, base, book.fmt(code))
    ws.write(1, 2, shown_unit(unit))
    olab = book.lab(out, True)
    head = ["Input", "Name", "Input unit", f"Input at {qlo}", f"Input at {qhi}", book.head(f"{olab}, input at {qlo}", unit),
            book.head(f"{olab}, input at {qhi}", unit), book.head("Swing", unit)]
    ws.write_row(3, 0, head, book.bold)
    units = [str(u) for u in tab["input_units"].values] if "input_units" in tab.coords else [""] * tab.sizes["input"]
    n = tab.sizes["input"]
    for i in range(n):
        name = str(tab.input.values[i])
        icode = _number_format(units[i], book.currency, [tab.input_low.values[i], tab.input_high.values[i]])
        ws.write_row(4 + i, 0, [book.lab(name), name, shown_unit(units[i])])
        ws.write_number(4 + i, 3, float(tab.input_low.values[i]), book.fmt(icode))
        ws.write_number(4 + i, 4, float(tab.input_high.values[i]), book.fmt(icode))
        for j, k in enumerate(("output_low", "output_high", "swing")):
            ws.write_number(4 + i, 5 + j, float(tab[k].values[i]), book.fmt(code))
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 7, 16)
    chart = book.wb.add_chart({"type": "bar"})
    for col, qq, colour in ((5, qlo, QUANTILE_LOW), (6, qhi, QUANTILE_HIGH)):
        chart.add_series({"name": f"Input at its {qq}", "categories": ["Tornado", 4, 0, 3 + n, 0],
                          "values": ["Tornado", 4, col, 3 + n, col], "fill": {"color": colour},
                          "overlap": 100, "gap": 40})
    chart.set_title({"name": f"Tornado: {book.lab(out, True)}"})
    chart.set_x_axis({"crossing": base, "name": f"{book.lab(out, True)} ({shown_unit(unit)})".replace(" ()", ""),
                      "num_format": "0%" if is_share(unit) else "#,##0", "major_gridlines": {"visible": False}})
    chart.set_y_axis({"reverse": True, "label_position": "low"})
    chart.set_legend({"position": "top"})
    chart.set_size({"width": 900, "height": 60 + 40 * n + 120})
    ws.insert_chart(5 + n, 0, chart)


def _sensitivity_sheet(book: _Book, run) -> None:
    """The sensitivity indices of the analysed output, ranked (no sheet without them)."""
    if (shown := analysed(run)) is None:
        return
    output, sens = shown
    if sens.attrs.get("over") in sens.dims:  # indices by month: one row per input and month
        return sensitivity_over_sheet(book, run, output, sens)
    ws = book.wb.add_worksheet("Sensitivity")
    keys = [k for k, v in sens.data_vars.items() if v.dims == ("input",)]
    ws.write(0, 0, f"Sensitivity of {_mid(book.lab(output, True))} ({sens.attrs.get('method', '')}, "
                   f"N = {int(sens.attrs.get('samples', 0)):,}); *_conf: half-width of the "
                   f"{float(sens.attrs.get('conf_level', 0.95)):.0%} interval")
    grouped = "group" in sens.coords  # correlated inputs: the group each belongs to ("" for none)
    ws.write_row(1, 0, ["Input", "Name", *(["Group"] if grouped else []), *keys], book.bold)
    first = 3 if grouped else 2
    for r, j in enumerate(rank_order(sens)):
        name = str(sens.input.values[j])
        group = str(sens.group.values[j]) if grouped else ""
        ws.write_row(2 + r, 0, [book.lab(name), name, *([f"{{{group}}}" if group else ""] if grouped else [])])
        for c, k in enumerate(keys):
            ws.write_number(2 + r, first + c, float(sens[k].values[j]), book.fmt("0.000"))
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 22)
    ws.set_column(first, first - 1 + len(keys), 12)


def _mid(label: str) -> str:
    """A label mid-sentence: "Profit per month" -> "profit per month"; "GPU-hour price" keeps its capitals."""
    return label if label[1:2].isupper() or label[1:2].isdigit() else label[:1].lower() + label[1:]


def _assumptions_sheet(book: _Book, run) -> None:
    """Each input's distribution in words, P10/P50/P90, unit, source and note."""
    ws = book.wb.add_worksheet("Assumptions")
    ws.write_row(0, 0, ["Input", "Name", "Distribution", *map(percentile_head, CENTRAL_80), "Unit", "Source",
                        "Note"], book.bold)
    for i, (name, prior) in enumerate(run.study.priors.items()):
        q = prior.ppf(np.array([PERCENTILES[k] for k in CENTRAL_80]))
        code = _number_format(prior.unit, book.currency, q)
        ws.write_row(i + 1, 0, [book.lab(name), name, dist_words(prior)], book.wrap)
        for j, v in enumerate(q):
            ws.write_number(i + 1, 3 + j, float(v), book.fmt(code))
        ws.write_row(i + 1, 6, [shown_unit(prior.unit), prior.source, prior.note], book.wrap)
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2, 34)
    ws.set_column(3, 5, 14)
    ws.set_column(6, 6, 14)
    ws.set_column(7, 8, 60)
    ws.freeze_panes(1, 1)


def _sources_sheet(book: _Book, run) -> None:
    """The citations of the bracketed keys the priors cite."""
    ws = book.wb.add_worksheet("Sources")
    ws.write_row(0, 0, ["Key", "Citation"], book.bold)
    for i, (key, text) in enumerate(cited_sources(run.study.priors, study_folders(run.study))):
        ws.write_row(i + 1, 0, [key, text], book.wrap)
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 120)


def _settings_sheet(book: _Book, run) -> None:
    """How the run was made: study, model, output, samples, design, seed, currency, period."""
    a = run.results.attrs
    ws = book.wb.add_worksheet("Settings")
    settings = [("Study", run.study.title), ("Study file", str(run.study.path)), ("Model", str(run.study.model_ref)),
                ("Output", f"{book.lab(run.study.output, True)} ({run.study.output})"),
                ("Samples", int(a.get("samples", run.study.samples))),
                ("Sampling design", str(a.get("method", run.study.method))), ("Seed", str(a.get("seed", run.study.seed))),
                ("Currency", book.currency), ("Money per", period_name(run.study.period_days)),
                ("Priors files", ", ".join(p for p, _ in run.study.priors.texts)),
                ("mcrisk version", str(a.get("mcrisk_version", ""))),
                ("Written", f"{_dt.datetime.now(_dt.UTC):%Y-%m-%d %H:%M} UTC")]
    ws.write_row(0, 0, ["Setting", "Value"], book.bold)
    for i, (k, v) in enumerate(settings):
        ws.write(i + 1, 0, k)
        if isinstance(v, int):
            ws.write_number(i + 1, 1, v, book.fmt("#,##0"))
        else:
            ws.write_string(i + 1, 1, v)
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 90)


def _samples_sheet(book: _Book, run) -> None:
    """The per-sample inputs and outputs, as many as a sheet holds (none for a summary-only run)."""
    res = stated(run)
    cols = [k for k, v in res.data_vars.items() if v.dims == ("sample",)]
    if not cols:
        return
    ws = book.wb.add_worksheet("Samples")
    n = res.sizes["sample"]
    kept = min(n, MAX_ROWS)
    head = [f"{book.lab(k, True)} ({shown_unit(str(res[k].attrs.get('units', '')))})".replace(" ()", "") for k in cols]
    if kept < n:
        head.append(f"Note: the first {kept:,} of {n:,} samples (a sheet holds {MAX_ROWS:,}); "
                    "results.nc has them all")
    ws.write_row(0, 0, head, book.bold)
    data = np.column_stack([np.asarray(res[k].values[:kept], dtype=float) for k in cols])
    codes = [book.fmt(_number_format(str(res[k].attrs.get("units", "")), book.currency,
                                     res[k].values[:1000])) for k in cols]
    for r in range(kept):
        for c, v in enumerate(data[r].tolist()):
            ws.write_number(r + 1, c, v, codes[c])
    ws.set_column(0, len(cols) - 1, 16)
    ws.freeze_panes(1, 0)


#: The sheets in workbook order; each writes nothing when the run has nothing for it.
_SHEETS = (_summary_sheet, _tornado_sheet, _sensitivity_sheet, sweep_sheet, solve_sheet, calibration_sheet,
           evsi_sheet, voi_lever_sheet, throughput_sheet, cash_flow_sheet, cash_month_sheet, _assumptions_sheet,
           _sources_sheet, _settings_sheet, _samples_sheet)


