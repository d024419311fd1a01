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
import datetime as _dt
import html
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from mcrisk.core.statistics import CENTRAL_90, percentile_head
from mcrisk.report.decision_text import decision_tables
from mcrisk.analyze.calibration_run import report_section
from mcrisk.analyze.discovery_run import report_sections
from mcrisk.analyze.voi_run import voi_sections
from mcrisk.spec.bibliography import cited_sources, study_folders
from mcrisk.core.errors import SpecError
from mcrisk.report.figures import Figure, figure_plan, figures, render_all
from mcrisk.report.findings import analysed, headline
from mcrisk.report.plot import FORMATS
from mcrisk.analyze.sensitivity import rank_order
from mcrisk.analyze.sensitivity_over import shown_steps
from mcrisk.core.labels import is_share, period_name, run_labels, shown_unit
from mcrisk.core.text import MINUS, Labels, table_number, words
from mcrisk.core.thinning import thinned_words

# figures and headline live in mcrisk.report.figures and mcrisk.report.findings; importable from here too.
__all__ = ["Figure", "figures", "headline", "report_tables", "write_report"]


def _label(name: str, labels: Labels | None) -> str:
    # the variable's plain label (mcrisk.core.labels.run_labels of the run), capitalised
    text = words(str(name), labels)
    return text[:1].upper() + text[1:]


def _num(v: float, unit: str = "") -> str:
    return table_number(float(v), unit, minus=MINUS)


def _summary_table(run, labels: Labels) -> tuple[list[str], list[list[str]]]:
    head = ["output", "units", "mean", *map(percentile_head, CENTRAL_90), "P(< 0)", "ES 5%", "finite samples"]
    rows = []
    s = run.summary
    for i, name in enumerate(s.output.values):
        unit = str(s.units.values[i])
        g = lambda k: float(s[k].values[i])  # noqa: E731
        num = lambda v: _num(v, unit)  # noqa: E731
        rows.append([_label(name, labels), shown_unit(unit), num(g("mean")),
                     *(num(g(k)) for k in CENTRAL_90), f"{g('p_below_zero'):.1%}", num(g("es05")),
                     f"{int(s.n_valid.values[i]):,}" if "n_valid" in s else ""])
    return head, rows


def _sensitivity_over_table(sens: xr.Dataset, labels: Labels) -> tuple[list[str], list[list[str]]]:
    """Indices over months: the ranking index at up to seven months (sensitivity.csv has every month)."""
    over, key = sens.attrs["over"], sens.attrs.get("rank_by", "ST")
    steps = shown_steps([int(m) for m in sens[over].values])
    rows = []
    for j in rank_order(sens):
        cells = []
        for m in steps:
            v = float(sens[key].sel({over: m}).values[j])
            c = float(sens[f"{key}_conf"].sel({over: m}).values[j]) if f"{key}_conf" in sens else math.nan
            cells.append((f"{v:.3f}" + (f" \u00b1 {c:.3f}" if math.isfinite(c) else "") if math.isfinite(v)
                          else "n/a").replace("-", "\u2212"))
        rows.append([_label(sens.input.values[j], labels), *cells])
    return ["input", *(f"{key}, {over} {m}" for m in steps)], rows


def _sensitivity_table(sens: xr.Dataset, labels: Labels) -> tuple[list[str], list[list[str]]]:
    if sens.attrs.get("over") in sens.dims:
        return _sensitivity_over_table(sens, labels)
    mains = [k for k, v in sens.data_vars.items() if "input" in v.dims and v.ndim == 1
             and not k.endswith(("_conf", "_low", "_high"))]
    grouped = "group" in sens.coords  # correlated inputs: each one's group, named as a group
    head = ["input", *(["group"] if grouped else []), *mains]
    rows = []
    order = rank_order(sens)
    for j in order:
        name = sens.input.values[j]
        row = [_label(name, labels)]
        if grouped and (group := str(sens.group.values[j])):
            row.append("{" + ", ".join(_label(m, labels) for m in group.split(", ")) + "}")
        elif grouped:
            row.append("")
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


def _tornado_table(tab: xr.Dataset, labels: Labels) -> tuple[list[str], list[list[str]]]:
    unit = tab.attrs.get("units", "")
    qlo, qhi = f"P{tab.attrs.get('low', 0.1) * 100:g}", f"P{tab.attrs.get('high', 0.9) * 100:g}"
    head = ["input", "unit", f"input at {qlo}", f"input at {qhi}", f"output at {qlo}", f"output at {qhi}",
            f"swing ({shown_unit(unit)})"]
    units = tab["input_units"].values if "input_units" in tab.coords else [""] * tab.sizes["input"]
    rows = [[_label(n, labels), shown_unit(str(units[i])), _num(tab.input_low.values[i], str(units[i])),
             _num(tab.input_high.values[i], str(units[i])), _num(tab.output_low.values[i], unit),
             _num(tab.output_high.values[i], unit), _num(tab.swing.values[i], unit)]
            for i, n in enumerate(tab.input.values)]
    return head, rows


def _assumptions_table(run, labels: Labels) -> tuple[list[str], list[list[str]]]:
    # the study key beside the label: the name a reader looks for to edit the line in the study or priors file
    head = ["input", "key", "distribution", "unit", "source", "note"]
    return head, [[_label(name, labels), name, p.describe(), p.unit, p.source, p.note]
                  for name, p in run.study.priors.items()]


def report_tables(run) -> dict[str, tuple[str, list[str], list[list[str]]]]:
    """The report's tables: key -> (heading, header row, rows), formatted for reading.

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.runner.StudyRun` (what :func:`~mcrisk.study.runner.run_study` computed).

    Returns
    -------
    dict
        ``"summary"``, ``"sensitivity"`` (when an analysis of indices is shown), ``"tornado"``
        (when the run has a tornado table), ``"assumptions"`` and ``"sources"`` (the full
        citation of every bracketed key the sources cite, from ``SOURCES.md``), in that order; each value is
        ``(heading, header row, rows)``, every cell a string.
    """
    labels = run_labels(run)  # the run's plain labels, in every table as in the figures
    tables = {"summary": ("Summary", *_summary_table(run, labels))}
    if (shown := analysed(run)) is not None:
        output, sens = shown
        method = sens.attrs.get("method", "")
        by = f" by {sens.attrs['over']}" if sens.attrs.get("over") in sens.dims else ""
        tables["sensitivity"] = (f"Sensitivity of {words(output, labels)}{by}" + (f" ({method})" if method else ""),
                                 *_sensitivity_table(sens, labels))
    tab = run.tables.get("tornado")
    if tab is not None:
        unit = str(tab.attrs.get("units", ""))
        heading = (f"Tornado: {words(str(tab.attrs.get('output', '')), labels)}, each input alone, base case "
                   f"{_num(tab.attrs['base_output'], unit)}{'' if is_share(unit) else ' ' + unit} "
                   "(every input at its base value, the prior's base else its median; not the mean or the "
                   "median of the simulated output)"
                   + (f"; {tab.attrs['priors_only']}" if "priors_only" in tab.attrs else ""))
        tables["tornado"] = (heading, *_tornado_table(tab, labels))
    tables.update(decision_tables(run))
    tables.update(report_sections(run.tables, labels))  # "Where the loss lives", "What is worth knowing"
    if (cal := run.tables.get("calibrate")) is not None:
        tables["calibrate"] = report_section(cal, labels)  # "What the record says"
    tables.update(voi_sections(run.tables, labels))  # "What a study is worth", "Where knowledge is worth most"
    tables["assumptions"] = ("Assumptions", *_assumptions_table(run, labels))
    if cited := cited_sources(run.study.priors, study_folders(run.study)):
        tables["sources"] = ("Sources", ["key", "citation"], [[f"[{k}]", text] for k, text in cited])
    return tables


def _notes(run) -> list[str]:
    notes = [f"Unit converted at load: {c}" for c in getattr(run.study, "conversions", ())]
    if step := int(run.results.attrs.get("thin_step", 0)):
        notes.append(f"The summary is of all {int(run.results.attrs['thinned_from']):,} samples; results.nc, the "
                     f"figures and the sample-based analyses use "
                     f"{thinned_words(int(run.results.attrs['thinned_from']), step)}.")
    kept = run.summary.attrs.get("on_nonfinite") == "keep"
    for name, var in run.results.data_vars.items():
        if var.attrs.get("role") == "output" and var.attrs.get("nan_means") and int(var.attrs.get("nonfinite", 0)):
            notes.append(f"{name} is NaN in {int(var.attrs['nonfinite']):,} of "
                         f"{int(run.results.attrs.get('samples', var.size)):,} samples: {var.attrs['nan_means']}; "
                         "its statistics use the others.")
        elif var.attrs.get("role") == "output" and int(var.attrs.get("nonfinite", 0)):
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
        notes.append(f"Money is stated per {period_name(run.study.period_days)}: "
                     f"{run.study.period_days:g} \u00d7 the model's daily values (results.nc keeps those).")
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
                 progress: bool = False, alongside: Sequence[Callable[[], Any]] = ()) -> dict[str, Path]:
    """Write ``figures/``, ``report.md`` and a self-contained ``report.html`` into ``folder``.

    Parameters
    ----------
    run
        A :class:`mcrisk.study.runner.StudyRun`.
    folder
        The output folder (created if missing).
    formats
        Figure file formats: any of ``png``, ``svg``, ``pdf``. The HTML page embeds PNGs
        whatever is chosen.
    progress
        A progress bar on stderr while the figures are drawn and saved.
    alongside
        Other jobs to run in the figures' processes while they draw (their results are
        dropped): :func:`mcrisk.study.runner.run_study` writes ``results.nc`` this way.

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
    drawn = render_all(plan, figdir, formats, progress, alongside)
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
