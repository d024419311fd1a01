"""Running a study: the run, its analyses and its output folder, in one call.

:func:`run_study` loads a study file (:mod:`mcrisk.spec.studyfile`), applies the run options
(:class:`~mcrisk.study.options.RunOptions`) to it, samples and simulates it,
summarises the outputs, runs the ``[tornado]`` and ``[sensitivity]`` tables, prints the
summary before any figure is drawn, and writes ``results.nc``, the tables, the figures and the
report into one output folder, swapped in whole (:mod:`mcrisk.core.outfolder`): a failed or killed
run leaves the previous folder as it was. :func:`run_sensitivity` reruns a study with its
``[sensitivity]`` table overridden (``mcrisk sensitivity``).
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xarray as xr

from mcrisk.analyze.calibration_run import calibration_table, format_calibration, run_calibration, write_calibration
from mcrisk.analyze.decision_run import run_solve_table, run_sweep_table, write_decisions
from mcrisk.spec.precision_text import parse_precision
from mcrisk.analyze.discovery_run import run_scenarios, run_voi
from mcrisk.analyze.discovery_run import write_tables as write_discovery_tables
from mcrisk.analyze.voi_run import run_evsi, run_voi_lever, write_voi_tables
from mcrisk.report.deck import check_template, write_deck
from mcrisk.core.errors import MCRiskWarning, SpecError
from mcrisk.core.forking import run_forked
from mcrisk.core.labels import sentence_labels
from mcrisk.core.outfolder import check_out, write_atomically
from mcrisk.core.outlock import hold_out
from mcrisk.analyze.precision import MAX_SAMPLES, format_convergence, simulate_to_precision
from mcrisk.report.document import write_report
from mcrisk.analyze.risk import format_over_time, format_summary, summarize
from mcrisk.simulation.monthly import month_table, output_table
from mcrisk.core.statistics import per_period
from mcrisk.analyze.sensitivity_run import announce_switch, run_configured, write_tables
from mcrisk.simulation.engine import simulate, simulate_summary, simulate_thinned
from mcrisk.spec.studyfile import ANALYSES, Study, load_study
from mcrisk.core.thinning import THINNED_ROWS, thinned_words
from mcrisk.analyze.tornado import format_tornado, tornado, tornado_frame
from mcrisk.core.units import with_pint_units
from mcrisk.report.workbook import write_workbook
from mcrisk.core.validate import EXPORT_FORMATS, FIGURE_FORMATS, NonFinite
from mcrisk.core.warned import guarded_warnings, warn_again
from mcrisk.study.options import RunOptions

# Study, load_study and ANALYSES live in mcrisk.spec.studyfile; importable from here too.
__all__ = ["ANALYSES", "IN_MEMORY", "Study", "StudyRun", "load_study", "run_study"]

#: Runs of more samples than this are not held whole (about 0.4 GB for the main study): the
#: summary is computed in two passes over chunks, and results.nc, the figures, the rank
#: correlations and the loss attribution use every k-th sample, at most :data:`~mcrisk.core.thinning.THINNED_ROWS`.
IN_MEMORY = 2**21


@dataclass(frozen=True)
class StudyRun:
    """What :func:`run_study` computed and where it wrote it (``out`` is None when it wrote nothing)."""

    study: Study
    results: xr.Dataset
    summary: xr.Dataset
    out: Path | None
    tables: Mapping[str, Any] = field(default_factory=dict)
    formats: tuple[str, ...] = ("png", "svg")
    template: Path | None = None


def run_study(path: str | Path | Study, *, options: RunOptions | None = None,
              echo: Callable[[str], None] | None = None, **given: Any) -> StudyRun:
    """Run a study end to end: simulate, summarise, run its tables, print, write its output folder.

    Parameters
    ----------
    path
        A study file or an already loaded :class:`Study`; either honours every option alike (a
        loaded study gets ``samples``, ``seed``, ``method`` and ``settings`` as its file would).
    options
        The run options (:class:`~mcrisk.study.options.RunOptions`: each option's default, type
        and meaning; the table of ``docs/run-options.md``). Default: every option at its default.
    echo
        Called with each printable block (the CLI passes ``print``); sensitivity notes then
        end the printed table. Without it nothing is printed and the notes come as
        :class:`~mcrisk.core.errors.MCRiskWarning`.
    **given
        Run options by name, replacing those of ``options``: ``samples=500, seed=3,
        method="lhs", out=..., formats=("png",), chunk_size=..., precision="p_loss:0.005"``...,
        each checked as :class:`~mcrisk.study.options.RunOptions` checks it.

    Returns
    -------
    StudyRun

    Raises
    ------
    SpecError
        For a bad option, study or output folder; checked before anything is computed.
    TypeError
        For a keyword that is not a run option.

    Notes
    -----
    A run of more than :data:`IN_MEMORY` samples (without ``summary_only``) keeps the exact
    summary of every sample and 1 in ``k`` samples (at most :data:`THINNED_ROWS`) for
    ``results.nc``, the figures, the rank correlations and the loss attribution; memory stays
    bounded (one chunk per process plus the kept samples), and the report says so.
    """
    opts = RunOptions.of(options, **given)
    study = opts.applied(path if isinstance(path, Study) else load_study(path, strict=opts.strict))
    target, prec = _checked(study, opts)
    with hold_out(target) if opts.write else contextlib.nullcontext():  # a second run into target is refused
        return _run_checked(study, opts, target, prec, echo)


def _run_checked(study: Study, opts: RunOptions, target: Path, prec: tuple,
                 echo: Callable[[str], None] | None) -> StudyRun:
    """:func:`run_study` once its options are checked and its output folder held."""
    say = echo or (lambda s: None)
    thinned = not opts.summary_only and study.samples > IN_MEMORY and not prec
    if "sensitivity" in study.analyses and not opts.summary_only:  # a switch of method, before anything runs
        announce_switch(study, echo)
    results, summary, conv = _simulate(study, opts, prec, thinned)
    if study.calibrate is not None:  # weights before any statistic: every one honours them
        results = run_calibration(study, results, strict=opts.strict)
    keys = [k for k in _RUNNERS if _wanted(study, k)]
    per_sample = ("sensitivity", "scenarios", "value_of_information", "evsi", "voi_lever")
    skipped = [k for k in keys if k in per_sample] if opts.summary_only else []
    keys = [k for k in keys if k not in skipped]
    # The tables, and the summary of a run held whole, in forked processes (one per core): what
    # each prints and warns is shown here, in order.
    jobs = [functools.partial(_run_table, key, study, results, opts.quiet, echo is not None,
                              opts.chunk_size if key in _CHUNKED else None) for key in keys]
    costs = [_TABLE_COST[k] for k in keys]
    if summary is None:
        jobs.insert(0, functools.partial(_summary_job, results, study.period_days, opts.on_nonfinite))
        costs.insert(0, max(_TABLE_COST.values()) + 1)  # first: the first number printed
    done = run_forked(jobs, costs=costs, desc="analyses", unit="table", progress=not opts.quiet)
    if summary is None:
        summary, _, warned = next(done)
        for w in warned:
            warn_again(w)
    _say_summary(study, results, summary, say, prec=bool(prec), thinned=thinned)
    tables: dict[str, Any] = {}
    if study.calibrate is not None:
        say("\n" + format_calibration(study, results, sentence_labels(study.model, study.priors, study.period_days)))
        tables["calibrate"] = calibration_table(study, results)
    if conv is not None:
        tables["convergence"] = conv
        say(format_convergence(conv))
    for key in dict.fromkeys(_TABLE_OF.get(k, k) for k in skipped):
        say(f"\n[{key}] skipped: --summary-only keeps no per-sample results")
    if opts.summary_only and study.calibrate is not None:
        say("\n[calibrate] with --summary-only: the run still holds every sample (each weight needs that "
            "sample's outputs); it writes the weighted summary, calibration.csv and calibration.json, no "
            "per-sample results")
    for key, (table, printed, warned) in zip(keys, done, strict=True):
        for text in printed:
            say(text)
        for w in warned:
            warn_again(w)
        tables[key] = table
    if opts.write and opts.summary_only and (skipped := [f for f in opts.formats if f in EXPORT_FORMATS]):
        say(f"\n{', '.join(skipped)} skipped: --summary-only keeps no per-sample results")
    run = StudyRun(study, results, summary, target if opts.write else None, tables, opts.formats, opts.template)
    if opts.write:
        write_atomically(target, lambda tmp: _write_summary_only(run, tmp) if opts.summary_only
                         else _write(run, tmp, progress=not opts.quiet), protect=(study.path,))
        say(f"\nwrote {run.out}/")
    return run


def _checked(study: Study, opts: RunOptions) -> tuple[Path, tuple]:
    """The output folder and the precision of the run; every check of the options against the study.

    Done before the run, not after it.
    """
    if opts.template is not None and "pptx" in opts.formats:
        check_template(opts.template)
    target = opts.out or Path("results") / study.name
    if opts.write:
        check_out(target, (study.path,))
    prec = parse_precision(opts.precision, "--precision") if opts.precision is not None else study.precision
    if opts.max_samples is not None and not prec:
        raise SpecError(f"--max-samples = {opts.max_samples} needs a precision (--precision or precision = "
                        "in the study)")
    if study.calibrate is not None and (prec or study.samples > IN_MEMORY):
        raise SpecError(f"{study.path}: [calibrate] weighs every sample of a run held whole: at most "
                        f"{IN_MEMORY:,} samples and no --precision (samples = {study.samples:,}"
                        f"{', with a precision' if prec else ''})")
    if prec and opts.summary_only:
        raise SpecError("--precision keeps every sample used; it cannot be combined with --summary-only")
    if prec and (opts.workers is not None or opts.scheduler is not None):
        raise SpecError("--precision runs its batches in this process; it cannot be combined with --workers "
                        "or --scheduler")
    return target, prec


def _simulate(study: Study, opts: RunOptions, prec: tuple,
              thinned: bool) -> tuple[xr.Dataset, xr.Dataset | None, xr.Dataset | None]:
    """The run's results, its summary where the run made it already (else None), its convergence table."""
    common = {"method": study.method, "rng": study.seed, "progress": not opts.quiet}
    dask = {"workers": opts.workers, "scheduler": opts.scheduler}
    summary = conv = None
    if prec:
        results, conv = simulate_to_precision(
            study.model, study.priors, prec, study.output, samples=study.samples,
            max_samples=opts.max_samples or MAX_SAMPLES, period_days=study.period_days,
            chunk_size=opts.chunk_size, **common)
    elif thinned:  # too many to hold: the exact summary, and every k-th sample for the rest
        summary, results = simulate_thinned(
            study.model, study.priors, study.samples, chunk_size=opts.chunk_size or 2**20,
            period_days=study.period_days, nonfinite=opts.on_nonfinite, rows=THINNED_ROWS, **common, **dask)
    elif opts.summary_only and study.calibrate is None:  # no per-sample results: results.nc holds the summary and provenance
        results = summary = simulate_summary(
            study.model, study.priors, study.samples, chunk_size=opts.chunk_size, period_days=study.period_days,
            nonfinite=opts.on_nonfinite, **common, **dask)
    else:
        with guarded_warnings():
            if opts.on_nonfinite != "drop":  # simulate's count speaks of dropping; the summary states the policy
                warnings.filterwarnings("ignore", message=".* is NaN or infinite in ", category=MCRiskWarning)
            results = simulate(study.model, study.priors, study.samples, chunk_size=opts.chunk_size,
                               **common, **dask)
    results.attrs.update({"title": study.title, "study": study.text, "study_file": str(study.path),
                          "output": study.output})
    if study.conversions:
        results.attrs["unit_conversions"] = "\n".join(study.conversions)
    return results, summary, conv


def _say_summary(study: Study, results: xr.Dataset, summary: xr.Dataset, say: Callable[[str], None], *,
                 prec: bool, thinned: bool) -> None:
    """Print the run's header, its unit conversions, its summary and what it kept."""
    say(f"{study.title}\n{results.sizes['sample'] if prec else study.samples:,} samples, {study.method}, "
        f"seed {study.seed}\n")
    for line in study.conversions:
        say(f"unit converted: {line}")
    say(format_summary(summary, labels=sentence_labels(study.model, study.priors, study.period_days)))
    if thinned:
        say(f"note: the summary is of all {study.samples:,} samples; results.nc, the figures and the "
            f"sample-based analyses hold {thinned_words(study.samples, results.attrs['thin_step'])}"
            + ("; a [sweep] or [solve] draws the design's first "
               f"{results.sizes['sample']:,}" if {"sweep", "solve"} & set(study.analyses) else ""))
    nan_means = {k: v.nan for k, v in getattr(study.model, "outputs", {}).items() if getattr(v, "nan", "")}
    n = results.sizes["sample"] if prec else study.samples
    if over_time := format_over_time(summary, n, nan_means):
        say(over_time)
    if any(int(summary["n_valid"].sel(output=k)) < n for k in summary.output.values if k not in nan_means):
        say(f"note: {summary.attrs['nonfinite_policy']}")


def _run_tornado(study: Study, results: xr.Dataset, *, echo, quiet) -> xr.Dataset:
    cfg = study.tornado
    tab = per_period(tornado(study.model, study.priors, output=cfg.output, low=cfg.low,
                             high=cfg.high), study.period_days)
    if study.calibrate is not None:  # one input at a time at its prior quantiles: no weights to apply
        tab.attrs["priors_only"] = "of the priors: each input at its prior quantiles, not weighted by [calibrate]"
    if echo is not None:
        echo("\n" + format_tornado(tab, sentence_labels(study.model, study.priors, study.period_days))
             + (f"\nnote: the tornado is {tab.attrs['priors_only']}" if "priors_only" in tab.attrs else ""))
    return tab


def _run_sensitivity(study: Study, results: xr.Dataset, *, echo, quiet) -> xr.Dataset:
    return run_configured(study, results, echo=echo, quiet=quiet)


_RUNNERS = {"tornado": _run_tornado, "sensitivity": _run_sensitivity, "sweep": run_sweep_table,
            "solve": run_solve_table, "scenarios": run_scenarios, "value_of_information": run_voi,
            "evsi": run_evsi, "voi_lever": run_voi_lever}
#: Runs of one study table besides its own: the [value_of_information] table's studies and lever.
_TABLE_OF = {"evsi": "value_of_information", "voi_lever": "value_of_information"}
#: The tables that stream the run's chunks under --summary-only, and take its --chunk-size.
_CHUNKED = ("sweep", "solve")
#: Relative run time of each table on the main study (scenarios: PRIM, 0.6 s against the value
#: of information's 2 s), so the costliest start first when they run in parallel.
_TABLE_COST = {"tornado": 0.1, "sensitivity": 2, "sweep": 2, "solve": 1.5, "scenarios": 0.5,
               "value_of_information": 1, "evsi": 0.5, "voi_lever": 1}


def _wanted(study: Study, key: str) -> bool:
    """Whether the study runs ``key``: its table is there (and, for EVSI and the lever, has them)."""
    voi = study.value_of_information
    if key == "evsi":
        return voi is not None and bool(voi.studies)
    if key == "voi_lever":
        return voi is not None and voi.lever is not None
    return key in study.analyses


def _run_table(key: str, study: Study, results: xr.Dataset, quiet: bool, echo: bool,
               chunk_size: int | None = None) -> tuple[Any, list[str], list[tuple]]:
    """One optional table's runner: its table, the blocks it printed (if ``echo``), the warnings it raised.

    ``chunk_size`` (the run's ``--chunk-size``) goes to the tables of :data:`_CHUNKED` only.

    What it prints and warns is kept and given back, so that the parent, which may have run the
    tables in parallel processes (:func:`mcrisk.core.forking.run_forked`), shows them in table order.
    Warnings pass the filters in force (an ``error`` filter raises here, as in a serial run).
    """
    printed: list[str] = []
    with guarded_warnings(record=True) as caught:
        try:
            chunked = {"chunk_size": chunk_size} if key in _CHUNKED else {}
            table = _RUNNERS[key](study, results, echo=printed.append if echo else None, quiet=quiet, **chunked)
        except SpecError as err:
            raise SpecError(_at_table(study, _TABLE_OF.get(key, key), str(err))) from None
    return table, printed, _kept(caught)


def _at_table(study: Study, key: str, message: str) -> str:
    """A table's error as every other study error reads: ``FILE: [key] what``, named once.

    The analyses' own messages (``"value_of_information: 16 samples ..."``, a solve's ``"target
    ... is met over all of ..."``) name neither the file nor, always, the table.
    """
    where = f"{study.path}: "
    if message.startswith(where):
        return message
    for name in (key, key.replace("_", " ")):
        message = message.removeprefix(f"{name}: ").removeprefix(f"{name} ")
    return f"{where}[{key}] {message}"


def _summary_job(results: xr.Dataset, period_days: float,
                 nonfinite: NonFinite) -> tuple[xr.Dataset, list, list]:
    """The run's summary, as :func:`_run_table` gives a table (nothing printed; warnings kept)."""
    with guarded_warnings(record=True) as caught:
        summary = summarize(per_period(results, period_days), nonfinite=nonfinite)
    return summary, [], _kept(caught)


def _kept(caught: list[warnings.WarningMessage]) -> list[tuple]:
    # what warnings.warn_explicit takes to raise each again in the parent
    return [(w.message, w.category, w.filename, w.lineno) for w in caught]


def _write_results(results: xr.Dataset, path: Path) -> None:
    with_pint_units(results).to_netcdf(path)  # units pint reads; labels kept


def _write_summary_only(run: StudyRun, folder: Path) -> None:
    # results.nc is the summary itself (with the run's provenance attrs); no figures or report,
    # which need per-sample results.
    run.summary.to_netcdf(folder / "results.nc")
    _write_tables(run, folder)
    write_decisions(run, folder)  # [sweep]: its summary over the lever (streamed); [solve]: solve.json


def _write_tables(run: StudyRun, folder: Path) -> None:
    output_table(run.summary).to_dataframe().to_csv(folder / "summary.csv", float_format="%.10g")
    if (by_month := month_table(run.summary)) is not None:  # P(cumulative cash < 0) by month, ...
        by_month.to_dataframe().to_csv(folder / "months.csv", float_format="%.10g")
    if "calibrate" in run.tables:
        write_calibration(run.tables["calibrate"], folder)
    if "tornado" in run.tables:
        tornado_frame(run.tables["tornado"]).to_csv(folder / "tornado.csv", index=False, float_format="%.10g")


def _write(run: StudyRun, folder: Path, progress: bool = False) -> None:
    _write_tables(run, folder)
    if "sensitivity" in run.tables:
        write_tables(run.tables["sensitivity"], folder)
    write_discovery_tables(run.tables, folder)
    write_voi_tables(run.tables, folder)  # evsi.csv, voi_lever.csv
    # results.nc is written in the figures' processes, while they draw
    write_report(run, folder, formats=tuple(f for f in run.formats if f in FIGURE_FORMATS), progress=progress,
                 alongside=(functools.partial(_write_results, run.results, folder / "results.nc"),))
    write_decisions(run, folder)  # [sweep]: results.nc and summary.csv over the lever; [solve]: solve.json
    if "xlsx" in run.formats:
        write_workbook(run, folder / "workbook.xlsx")
    if "pptx" in run.formats:  # last: it gives a slide to every table the folder holds
        write_deck(run, folder / "deck.pptx", template=run.template, folder=folder)
