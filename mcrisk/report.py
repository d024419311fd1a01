"""The report folder a person can open: ``figures/``, ``report.md`` and a self-contained ``report.html``.

:func:`write_report` is called by :func:`mcrisk.run_study` after the tables are written. The
HTML page carries its figures as base64 PNG data URIs and its CSS inline, so it can be mailed
as one file and opened offline; it loads nothing from anywhere.

Contents, in order: the headline (P(loss), the median and 90% interval of the study output,
the top driver), the figures, the summary table, the sensitivity and tornado tables when the
study has them, the assumptions (every input's distribution, unit, source and note), the
warnings and notes, and the provenance (model, method, samples, seed, mcrisk version, date,
study and priors files).
"""

from __future__ import annotations

import base64
import ctypes
import datetime as _dt
import functools
import html
import io
import math
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from tqdm import tqdm

from .errors import SpecError
from .plot import (CHART_MAX, FORMATS, SENSITIVITY_INDICES, chart_limit, check_config, plot_convergence,
                   plot_distribution, plot_exceedance, plot_scatter, plot_sensitivity, plot_tornado, save_figure,
                   title_of)
from .risk import outputs_of, per_period
from .sensitivity import rank_order
from .text import MINUS, format_number, format_value, loss_words, percent_text

__all__ = ["Figure", "figures", "headline", "report_tables", "write_report"]


@dataclass(frozen=True)
class Figure:
    """One chart of the report: file stem, the matplotlib figure, and its title (the finding)."""

    name: str
    figure: Any
    title: str


# --- what the study found ------------------------------------------------------------------------

def _sensitivity_of(run, output: str | None = None) -> xr.Dataset | None:
    """The sensitivity results of ``output`` (default: the study's), or None if it was not analysed."""
    sens = run.tables.get("sensitivity")
    output = output or run.study.output
    if sens is None:
        return None
    if "output" in sens.dims:
        names = [str(v) for v in sens.output.values]
        return sens.sel(output=output) if output in names else None
    return sens if sens.attrs.get("output") == output else None


def _analysed(run) -> tuple[str, xr.Dataset] | None:
    """``(output, results)`` of the sensitivity table to show: the study's output if it was
    analysed, else the first output the ``[sensitivity]`` table names."""
    sens = run.tables.get("sensitivity")
    if sens is None:
        return None
    names = [str(v) for v in sens.output.values] if "output" in sens.dims else [str(sens.attrs.get("output"))]
    first = run.study.output if run.study.output in names else names[0]
    return first, _sensitivity_of(run, first)


def _driver(run) -> dict[str, Any] | None:
    """The input that matters most: by Sobol' S1/ST, else the method's main index, else the tornado."""

    sens = _sensitivity_of(run)
    if sens is not None and sens.sizes.get("input", 0):
        # With correlated inputs first-order shares overlap (two correlated inputs can each
        # "explain" 80%): lead with the method's own index (delta), not S1.
        first = (sens.attrs["rank_by"],) if run.study.priors.correlations and "rank_by" in sens.attrs else ()
        for index in (*first, "S1", "ST", *SENSITIVITY_INDICES):
            if index in sens:
                v = np.abs(np.nan_to_num(np.asarray(sens[index].values, dtype=float), nan=-1))
                i = int(np.argmax(v))
                return {"input": str(sens.input.values[i]), "index": index,
                        "value": float(sens[index].values[i])}
    tab = run.tables.get("tornado")
    if tab is not None and tab.sizes.get("input", 0) and tab.attrs.get("output") == run.study.output:
        return {"input": str(tab.input.values[0]), "index": "swing", "value": float(tab.swing.values[0]),
                "units": tab.attrs.get("units", "")}
    return None


def _driver_phrase(d: dict[str, Any] | None, what: str = "it") -> str:
    if d is None:
        return ""
    name = d["input"].replace("_", " ")
    if d["index"] == "S1":
        return f"{name} explains {d['value']:.0%} of the variance"
    if d["index"] == "ST":
        return f"{name} is involved in {d['value']:.0%} of the variance"
    if d["index"] == "swing":
        return f"{name} swings {what} most ({format_value(d['value'], d['units'])})" \
            if what != "it" else f"{name} (tornado swing {format_value(d['value'], d['units'])})"
    return f"{name} matters most ({d['index']} = {d['value']:.2f})"


def _stated(run) -> xr.Dataset:
    return per_period(run.results, run.study.period_days)


def headline(run) -> str:
    """One paragraph: P(loss) with its Monte Carlo error, median and 90% interval, top driver.

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.StudyRun` (what :func:`~mcrisk.study.run_study` computed).

    Returns
    -------
    str
        One sentence about the study output, its values in the output's units: P(loss) (a
        percentage, with its standard error or, at 0% or 100%, the rule-of-three bound; left
        out for an output that is not a profit or margin and never reaches zero), the median
        and P05 to P95, and the top driver when there is one.
    """
    s = run.summary.sel(output=run.study.output)
    unit = str(s.units.values)
    loss, _ = loss_words(run.study.output)
    what = run.study.output.removesuffix("_per_day").replace("_", " ")
    p = float(s.p_below_zero)
    parts = [f"P({loss}) = {p:.1%} ({_p_error(p, int(s.n_valid), float(s['max']) > float(s['min']))})"
             ] if _can_be_negative(s) else []
    parts += [f"median {what} {format_value(float(s.p50), unit)}, 90% interval {format_value(float(s.p05), unit, with_unit=False)}"
             f" to {format_value(float(s.p95), unit)}"]
    if phrase := _driver_phrase(_driver(run)):
        parts.append(f"top driver: {phrase}")
    text = "; ".join(parts) + "."
    return text[:1].upper() + text[1:]


def _p_error(p: float, n: int, varies: bool) -> str:
    """How sure P is: its Monte Carlo standard error, or, when no sample (or every sample) fell
    below zero, the 95% bound of the rule of three, 3 / n (the standard error would read 0)."""
    if not varies:
        return "every sample is the same"
    if p in (0.0, 1.0):
        side = "upper" if p == 0.0 else "lower"
        bound = 3 / n if p == 0.0 else 1 - 3 / n
        return f"{'none' if p == 0.0 else 'all'} of {n:,} samples; 95% {side} bound {bound:.2%}"
    se = math.sqrt(p * (1 - p) / n)
    return f"Monte Carlo standard error {se:.1%}"


def _can_be_negative(s: xr.Dataset) -> bool:
    """Whether P(output < 0) is worth stating: always for profit and margins (P(loss) = 0% is
    news), for other outputs only when some sample reached zero or below."""
    return loss_words(str(s.output.values))[0] == "loss" or float(s["min"]) <= 0


# --- figures --------------------------------------------------------------------------------------

def _varies(x: np.ndarray) -> bool:
    x = x[np.isfinite(x)]
    return x.size >= 2 and float(np.ptp(x)) > 0


def figure_plan(run, notes: list[str] | None = None) -> list[tuple[str, Callable[[], Any]]]:
    """Every chart the study's results support, in report order, as ``(name, draw)`` pairs.

    ``draw()`` returns the chart's Axes. The charts: distribution of the study output (title:
    P(loss) and the top driver), exceedance, tornado (with ST beside each bar when Sobol'
    indices of the tornado's output exist), sensitivity, scatter of the output against the
    ``[plots] scatter`` inputs (default: the top driver), convergence, and the distributions of
    ``[plots] outputs``. An output too large to chart (:data:`mcrisk.plot.CHART_MAX`) gets no
    charts; ``notes`` receives why. Drawing is left to the caller, so charts can be drawn in
    parallel processes (:func:`write_report`).
    """

    study = run.study
    cfg = dict(study.analyses.get("plots") or check_config({}))
    res = _stated(run)
    out = study.output
    y = np.asarray(res[out].values, dtype=float).ravel()
    notes = [] if notes is None else notes
    if (big := np.abs(y[np.isfinite(y)]).max(initial=0)) > CHART_MAX:
        notes.append(chart_limit(out, float(big)) + ": the report has no charts of it.")
        y = np.empty(0)
    tab = run.tables.get("tornado")
    driver = _driver(run)
    plan: list[tuple[str, Callable[[], Any]]] = []

    s = run.summary.sel(output=out)
    loss, _ = loss_words(out)
    what = out.removesuffix('_per_day').replace('_', ' ')
    parts = [f"P({loss}) = {percent_text(float(s.p_below_zero))}"] if _can_be_negative(s) else []
    parts.append(_driver_phrase(driver, what) if driver else
                 f"median {what} {format_value(float(s.p50), str(s.units.values))}")
    title = "; ".join(parts)
    title = title[:1].upper() + title[1:]
    if y.size:
        plan.append(("distribution", lambda: plot_distribution(res, output=out, bins=cfg["bins"], title=title)))
    if cfg["exceedance"] and _varies(y):
        plan.append(("exceedance", lambda: plot_exceedance(res, output=out)))
    if tab is not None and tab.sizes.get("input", 0):
        beside = _sensitivity_of(run, tab.attrs.get("output"))  # only the tornado output's own indices
        beside = beside if beside is not None and "ST" in beside else None
        plan.append(("tornado", lambda: plot_tornado(tab, sensitivity=beside, top=cfg["top"])))
    if (shown := _analysed(run)) is not None and shown[1].sizes.get("input", 0):
        if any(k in shown[1] or f"loss_{k}" in shown[1] for k in ("ST", *SENSITIVITY_INDICES)):
            plan.append(("sensitivity", lambda: plot_sensitivity(shown[1], output=shown[0], top=cfg["top"])))
    inputs = cfg["scatter"] if cfg["scatter"] is not None else ([driver["input"]] if driver else [])
    for name in inputs:
        if name not in study.priors.uncertain:
            raise SpecError(f"{study.path}: [plots] scatter = {name!r} is not an uncertain input; uncertain "
                            f"inputs: {', '.join(study.priors.uncertain) or '(none)'}")
        if _varies(y):
            plan.append((f"scatter_{name}", functools.partial(plot_scatter, res, name, output=out)))
    if cfg["convergence"] and _varies(y) and y.size >= 20:
        plan.append(("convergence", lambda: plot_convergence(res, output=out)))
    for extra in cfg["outputs"]:
        if extra not in res or res[extra].attrs.get("role") != "output":
            outs = outputs_of(res)
            raise SpecError(f"{study.path}: [plots] outputs = {extra!r} is not an output; outputs: "
                            f"{', '.join(outs)}")
        plan.append((f"distribution_{extra}", functools.partial(plot_distribution, res, output=extra,
                                                                bins=cfg["bins"])))
    return plan


def figures(run, notes: list[str] | None = None) -> list[Figure]:
    """The charts of :func:`figure_plan`, drawn, as :class:`Figure` objects.

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.StudyRun` (what :func:`~mcrisk.study.run_study` computed).
    notes
        A list that receives why a chart is left out (an output too large to chart); ``None``
        drops them.

    Returns
    -------
    list of Figure
        The charts in report order, each with its file stem, matplotlib figure and title.
    """

    out = []
    for name, draw in figure_plan(run, notes):
        ax = draw()
        out.append(Figure(name, ax.figure, title_of(ax)))
    return out


# --- tables ---------------------------------------------------------------------------------------

def _num(v: float, unit: str = "") -> str:
    return format_number(float(v), unit, minus=MINUS)


def _summary_table(run) -> tuple[list[str], list[list[str]]]:
    head = ["output", "units", "mean", "P5", "P50", "P95", "P(< 0)", "ES 5%", "finite samples"]
    rows = []
    s = run.summary
    for i, name in enumerate(s.output.values):
        unit = str(s.units.values[i])
        g = lambda k: float(s[k].values[i])  # noqa: E731
        rows.append([str(name), unit, _num(g("mean"), unit), _num(g("p05"), unit), _num(g("p50"), unit),
                     _num(g("p95"), unit), f"{g('p_below_zero'):.1%}", _num(g("es05"), unit),
                     f"{int(s.n_valid.values[i]):,}" if "n_valid" in s else ""])
    return head, rows


def _sensitivity_table(sens: xr.Dataset) -> tuple[list[str], list[list[str]]]:
    mains = [k for k, v in sens.data_vars.items() if "input" in v.dims and v.ndim == 1
             and not k.endswith(("_conf", "_low", "_high"))]
    head = ["input", *mains]
    rows = []
    order = rank_order(sens)
    for j in order:
        name = sens.input.values[j]
        row = [str(name)]
        for k in mains:
            v = float(sens[k].values[j])
            cell = f"{v:.3f}" if math.isfinite(v) else "n/a"
            if f"{k}_conf" in sens and math.isfinite(c := float(sens[f"{k}_conf"].values[j])):
                cell += f" \u00b1 {c:.3f}"
            elif f"{k}_low" in sens and f"{k}_high" in sens:
                cell += f" [{float(sens[f'{k}_low'].values[j]):.3f}, {float(sens[f'{k}_high'].values[j]):.3f}]"
            row.append(cell.replace("-", "\u2212"))
        rows.append(row)
    return head, rows


def _tornado_table(tab: xr.Dataset) -> tuple[list[str], list[list[str]]]:
    unit = tab.attrs.get("units", "")
    qlo, qhi = f"P{tab.attrs.get('low', 0.1) * 100:g}", f"P{tab.attrs.get('high', 0.9) * 100:g}"
    head = ["input", "unit", f"input at {qlo}", f"input at {qhi}", f"output at {qlo}", f"output at {qhi}",
            f"swing ({unit})"]
    units = tab["input_units"].values if "input_units" in tab.coords else [""] * tab.sizes["input"]
    rows = [[str(n), str(units[i]), _num(tab.input_low.values[i], str(units[i])),
             _num(tab.input_high.values[i], str(units[i])), _num(tab.output_low.values[i], unit),
             _num(tab.output_high.values[i], unit), _num(tab.swing.values[i], unit)]
            for i, n in enumerate(tab.input.values)]
    return head, rows


def _assumptions_table(run) -> tuple[list[str], list[list[str]]]:
    head = ["input", "distribution", "unit", "source", "note"]
    return head, [[name, p.describe(), p.unit, p.source, p.note] for name, p in run.study.priors.items()]


def report_tables(run) -> dict[str, tuple[str, list[str], list[list[str]]]]:
    """The report's tables: key -> (heading, header row, rows), formatted for reading.

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.StudyRun` (what :func:`~mcrisk.study.run_study` computed).

    Returns
    -------
    dict
        ``"summary"``, ``"sensitivity"`` (when an analysis of indices is shown), ``"tornado"``
        (when the run has a tornado table) and ``"assumptions"``, in that order; each value is
        ``(heading, header row, rows)``, every cell a string.
    """
    tables = {"summary": ("Summary", *_summary_table(run))}
    if (shown := _analysed(run)) is not None:
        output, sens = shown
        method = sens.attrs.get("method", "")
        tables["sensitivity"] = (f"Sensitivity of {output}" + (f" ({method})" if method else ""),
                                 *_sensitivity_table(sens))
    tab = run.tables.get("tornado")
    if tab is not None:
        heading = (f"Tornado: {tab.attrs.get('output', '')}, each input alone, base case "
                   f"{_num(tab.attrs['base_output'], tab.attrs.get('units', ''))} {tab.attrs.get('units', '')}")
        tables["tornado"] = (heading, *_tornado_table(tab))
    tables["assumptions"] = ("Assumptions", *_assumptions_table(run))
    return tables


def _notes(run) -> list[str]:
    notes = []
    if step := int(run.results.attrs.get("thin_step", 0)):
        notes.append(f"The summary is of all {int(run.results.attrs['thinned_from']):,} samples; results.nc, the "
                     f"figures and the sample-based analyses use 1 in {step:,} of them "
                     f"({run.results.sizes['sample']:,} samples).")
    kept = run.summary.attrs.get("on_nonfinite") == "keep"
    for name, var in run.results.data_vars.items():
        if var.attrs.get("role") == "output" and int(var.attrs.get("nonfinite", 0)):
            notes.append(f"{name} is NaN or infinite in {int(var.attrs['nonfinite']):,} of "
                         f"{int(run.results.attrs.get('samples', var.size)):,} samples; "
                         + ("they are kept (on_nonfinite = 'keep'): a NaN makes every statistic NaN, an "
                            "infinity counts as the largest or smallest value." if kept else
                            "its statistics use the others."))
    sens = run.tables.get("sensitivity")
    if sens is not None:
        extra = sens.attrs.get("notes")
        if isinstance(extra, str) and extra:
            notes.extend(s for s in extra.split("\n") if s.strip())
        elif isinstance(extra, (list, tuple, np.ndarray)):
            notes.extend(str(s) for s in extra if str(s).strip())
    if run.study.period_days and run.study.period_days != 1:
        notes.append(f"Money per day is stated per {'month' if run.study.period_days == 30 else f'{run.study.period_days:g} days'}"
                     f" (\u00d7 {run.study.period_days:g}).")
    return notes


def _provenance(run) -> list[tuple[str, str]]:
    a = run.results.attrs
    study = run.study
    return [
        ("study", study.title),
        ("study file", str(study.path)),
        ("priors files", ", ".join(p for p, _ in study.priors.texts) or "(none)"),
        ("model", str(a.get("model", study.model_ref))),
        ("method", str(a.get("method", study.method))),
        ("samples", f"{int(a.get('samples', study.samples)):,}"),
        ("seed", str(a.get("seed", study.seed))),
        ("mcrisk version", str(a.get("mcrisk_version", ""))),
        ("library versions", str(a.get("versions", ""))),
        ("date", _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
    ]


# --- rendering ------------------------------------------------------------------------------------

def _md_cell(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    numeric = [j > 0 and all(_is_num(r[j]) for r in rows if r[j]) and any(r[j] for r in rows)
               for j in range(len(head))]
    lines = ["| " + " | ".join(map(_md_cell, head)) + " |",
             "| " + " | ".join("---:" if x else "---" for x in numeric) + " |"]
    lines += ["| " + " | ".join(map(_md_cell, r)) + " |" for r in rows]
    return "\n".join(lines)


def _markdown(run, figs: list[Figure], files: dict[str, str], tables, notes, prov) -> str:
    study = run.study
    out = [f"# {study.title}", "", f"**{headline(run)}**", ""]
    if study.description:
        out += [" ".join(study.description.split()), ""]
    for f in figs:
        out += [f"![{_md_cell(f.title)}]({files[f.name]})" if files.get(f.name) else f"*{f.title}*", ""]
    for heading, head, rows in tables.values():
        out += [f"## {heading}", "", _md_table(head, rows), ""]
    if notes:
        out += ["## Warnings and notes", "", *[f"- {n}" for n in notes], ""]
    out += ["## Provenance", "", _md_table(["item", "value"], [list(p) for p in prov]), ""]
    return "\n".join(out)


_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#1a1a1a;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.3em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd}
.headline{font-size:1.15em;font-weight:600;background:#f4f8fb;border-left:5px solid #0072B2;padding:.7em 1em}
figure{margin:1.5em 0}figure img{width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:.92em}
table{border-collapse:collapse;font-size:.9em;margin:.5em 0;width:100%}
th,td{padding:.3em .6em;border-bottom:1px solid #e5e5e5;vertical-align:top}
th{background:#fafafa;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
ul.notes li{color:#7a3b00}
"""


def _is_num(s: str) -> bool:
    t = s.replace(",", "").replace("\u2212", "-").replace("%", "").split(" ")[0]
    try:
        float(t)
        return True
    except ValueError:
        return False


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    e = html.escape
    th = "".join(f"<th>{e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f'<td class="num">{e(c)}</td>' if j > 0 and _is_num(c) else f"<td>{e(c)}</td>"
                                    for j, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _html(run, figs: list[Figure], pngs: dict[str, bytes], tables, notes, prov) -> str:
    e = html.escape
    study = run.study
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{e(study.title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{e(study.title)}</h1>", f'<p class="headline">{e(headline(run))}</p>']
    if study.description:
        parts.append(f"<p>{e(' '.join(study.description.split()))}</p>")
    for f in figs:
        data = base64.b64encode(pngs[f.name]).decode("ascii")
        parts.append(f'<figure id="fig-{e(f.name)}"><img src="data:image/png;base64,{data}" alt="{e(f.title)}">'
                     f"<figcaption>{e(f.title)}</figcaption></figure>")
    for key, (heading, head, rows) in tables.items():
        parts.append(f'<h2 id="{key}">{e(heading)}</h2>{_html_table(head, rows)}')
    if notes:
        parts.append('<h2 id="notes">Warnings and notes</h2><ul class="notes">'
                     + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    parts.append('<h2 id="provenance">Provenance</h2>' + _html_table(["item", "value"], [list(p) for p in prov]))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(run, folder: str | Path, formats: Sequence[str] = ("png", "svg"), *,
                 progress: bool = False) -> dict[str, Path]:
    """Write ``figures/``, ``report.md`` and a self-contained ``report.html`` into ``folder``.

    Parameters
    ----------
    run
        A :class:`mcrisk.study.StudyRun`.
    folder
        The output folder (created if missing).
    formats
        Figure file formats: any of ``png``, ``svg``, ``pdf``. The HTML page embeds PNGs
        whatever is chosen.
    progress
        A progress bar on stderr while the figures are drawn and saved.

    Returns
    -------
    dict
        ``"report.md"``, ``"report.html"`` and each figure file name -> its path.

    Raises
    ------
    SpecError
        For an unknown format, or a ``[plots]`` scatter input or output the study lacks.
    """

    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    for f in formats:
        if f not in FORMATS:
            raise SpecError(f"formats: {f!r} is not a figure format; allowed: {', '.join(FORMATS)}")
    folder = Path(folder)
    figdir = folder / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    chart_notes: list[str] = []
    plan = figure_plan(run, chart_notes)
    drawn = _render_all(plan, figdir, formats, progress)
    figs = [Figure(name, None, title) for name, title, _, _ in drawn]
    written = {f"figures/{f}": figdir / f for _, _, _, files in drawn for f in files}
    pngs = {name: png for name, _, png, _ in drawn}
    shown = next((x for x in ("png", "svg") if x in formats), None)
    md_files = {name: f"figures/{name}.{shown}" if shown else "" for name, _, _, _ in drawn}
    tables = report_tables(run)
    notes = _notes(run) + chart_notes
    prov = _provenance(run)
    (folder / "report.md").write_text(_markdown(run, figs, md_files, tables, notes, prov), encoding="utf-8")
    (folder / "report.html").write_text(_html(run, figs, pngs, tables, notes, prov), encoding="utf-8")
    written["report.md"] = folder / "report.md"
    written["report.html"] = folder / "report.html"
    return written


# --- drawing the figures, in parallel where there are cores -----------------------------------------

#: What the forked drawing processes read: ``(plan, figure folder, formats)``, set just before
#: the fork (a plan holds closures over the results, which need not be pickled that way).
_JOBS: tuple[list[tuple[str, Callable[[], Any]]], Path, tuple[str, ...]] | None = None


def _render(i: int) -> tuple[str, str, bytes, list[str]]:
    """Draw chart ``i`` of the plan, save it in every format: ``(name, title, PNG bytes, files)``."""

    plan, figdir, formats = _JOBS
    name, draw = plan[i]
    ax = draw()
    paths = save_figure(ax.figure, figdir / name, formats)
    if "png" in formats:
        png = (figdir / f"{name}.png").read_bytes()
    else:  # the HTML page embeds a PNG whatever the formats
        buf = io.BytesIO()
        ax.figure.savefig(buf, format="png", **FORMATS["png"])
        png = buf.getvalue()
    return name, title_of(ax), png, [p.name for p in paths]


def _quiet_child(parent: int) -> None:
    # Ctrl-C and SIGTERM are the parent's to handle: it stops the pool and reports in one line.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A parent killed outright (SIGKILL) cannot stop the pool: die with it rather than wait for
    # tasks forever, holding the parent's stdout and stderr open for whoever reads them.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)


def _render_all(plan: list[tuple[str, Callable[[], Any]]], figdir: Path, formats: tuple[str, ...],
                progress: bool) -> list[tuple[str, str, bytes, list[str]]]:
    """:func:`_render` for every chart: in forked processes, one per core, where that helps.

    Drawing and saving a chart takes 0.5-1.5 s of CPU and the charts are independent, so on two
    cores the figures of a study take about half the time. Without ``fork`` (or with one core)
    they are drawn here, one after the other.
    """
    global _JOBS
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = min(cores, len(plan))
    bar = tqdm(total=len(plan), desc="figures", unit="figure", leave=False, disable=not progress)
    _JOBS = (plan, figdir, formats)
    try:
        if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
            done = []
            for i in range(len(plan)):
                done.append(_render(i))
                bar.update(1)
            return done
        # The most expensive charts first, so the two processes finish together.
        order = sorted(range(len(plan)), key=lambda i: -_COST.get(plan[i][0].split("_")[0], 1))
        with multiprocessing.get_context("fork").Pool(workers, initializer=_quiet_child, initargs=(os.getpid(),)) as pool:
            got = {}
            for i, r in zip(order, pool.imap(_render, order), strict=True):
                got[i] = r
                bar.update(1)
        return [got[i] for i in range(len(plan))]
    finally:
        _JOBS = None
        bar.close()


#: Relative cost of drawing and saving each kind of chart (measured on the main study).
_COST = {"tornado": 3, "scatter": 2.5, "convergence": 2, "distribution": 1.5, "exceedance": 1.5, "sensitivity": 1.5}
