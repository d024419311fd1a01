"""The ``[sweep]`` and ``[solve]`` tables of a study and ``mcrisk solve``: run, print, write.

:func:`run_sweep_table` and :func:`run_solve_table` are the study runner's steps for the two
tables (:data:`mcrisk.study._RUNNERS`); :func:`write_decisions` writes what they computed into
the output folder (``results.nc`` and ``summary.csv`` over the lever for a sweep, ``solve.json``
for a solve); :func:`decision_tables` gives the report its tables. :func:`solve_study` is
``mcrisk solve``.
"""

from __future__ import annotations

import contextlib
import json
import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from mcrisk.core.statistics import CENTRAL_90, percentile_head
from mcrisk.core.errors import SpecError
from mcrisk.models import model_inputs
from mcrisk.core.outfolder import check_out, write_atomically
from mcrisk.core.outlock import hold_out
from mcrisk.analyze.precision import convergence_frame
from mcrisk.spec.priors import Priors
from mcrisk.analyze.solve import Solution, format_solution, solve
from mcrisk.spec.studyfile import Study, load_study, with_table
from mcrisk.spec.tables import SolveTable
from mcrisk.analyze.sweep import breakeven_value, lever_unit, summarize_sweep, summarize_sweep_streamed, sweep
from mcrisk.core.labels import sentence_labels
from mcrisk.core.text import aligned, format_number, words
from mcrisk.core.warned import guarded_warnings

__all__ = ["STREAM_CHUNK", "SweepRun", "drawn_samples", "lever_names", "run_solve_table", "run_sweep_table",
           "solve_study", "summary_only", "write_decisions"]


@dataclass(frozen=True)
class SweepRun:
    """A study's sweep: per-sample results over ``(lever, sample)``, their summary, the break-even."""

    results: xr.Dataset | None  # None under --summary-only: the summary was streamed
    summary: xr.Dataset
    output: str
    breakeven: float | None


#: Samples per chunk of a ``[sweep]`` or ``[solve]`` streamed under ``--summary-only`` unless the run
#: gives ``--chunk-size`` (the plain run's default chunk; memory grows with it, the numbers do not).
STREAM_CHUNK = 2**20


def summary_only(results: xr.Dataset) -> bool:
    """Whether ``results`` is a ``--summary-only`` run's summary (no ``sample`` dimension).

    Parameters
    ----------
    results
        The study's run.

    Returns
    -------
    bool
    """
    return "sample" not in results.dims


def lever_names(model: Callable, priors: Priors) -> tuple[str, ...]:
    """The inputs a lever may be: the model's inputs (and, for a ``**kwargs`` model, the priors').

    Parameters
    ----------
    model
        The model.
    priors
        The study's priors.

    Returns
    -------
    tuple of str
    """
    required, optional, anykw = model_inputs(model)
    extra = [k for k in priors if k not in required and k not in optional] if anykw else []
    return (*required, *optional, *extra)


def drawn_samples(study: Study, results: xr.Dataset) -> int:
    """The samples a ``[sweep]`` or ``[solve]`` draws: the study's, or as many as a thinned run holds.

    A run too large to hold whole keeps 1 in k of its samples (``thin_step``); a sweep or solve
    redraws its samples at every lever value, so it takes the first ``m`` of the same design,
    ``m`` the rows the thinned run holds, and its memory stays that of ``m`` samples.

    Parameters
    ----------
    study
        The study.
    results
        The study's run.

    Returns
    -------
    int
    """
    return int(results.sizes["sample"]) if results.attrs.get("thin_step") else study.samples


@contextlib.contextmanager
def _design_said() -> Iterator[None]:
    """A table of a study run redraws the run's design: what the run said of it (a Sobol' design of
    a size that is no power of 2) is not said again for each table."""
    with guarded_warnings():
        warnings.filterwarnings("ignore", message="Sobol' designs keep their balance only")
        yield


def run_sweep_table(study: Study, results: xr.Dataset, *, echo=None, quiet: bool = True,
                    chunk_size: int | None = None) -> SweepRun:
    """Run the study's ``[sweep]``: every value on the study's samples, seed and design.

    Parameters
    ----------
    study
        A study with a ``[sweep]`` table.
    results
        The study's own run: the sweep draws the other inputs itself, as many as
        :func:`drawn_samples` says.
    echo
        Called with the printed table (P(loss) and percentiles per lever value).
    quiet
        Unused (no progress bar).
    chunk_size
        Samples per chunk when ``results`` is a ``--summary-only`` run's (the run's
        ``--chunk-size``; default :data:`STREAM_CHUNK`); unused otherwise.

    Returns
    -------
    SweepRun
    """
    cfg = study.sweep
    with _design_said():
        if summary_only(results):  # every value streamed in chunks; no per-sample results are held
            res = None
            summary = summarize_sweep_streamed(study.model, study.priors, cfg.lever, cfg.values, study.samples,
                                               method=study.method, seed=study.seed,
                                               chunk_size=chunk_size or STREAM_CHUNK,
                                               period_days=study.period_days,
                                               nonfinite=results.attrs.get("on_nonfinite", "drop"))
            summary.attrs.update({"title": study.title, "study": study.text, "study_file": str(study.path),
                                  "output": cfg.output})
        else:
            res = sweep(study.model, study.priors, cfg.lever, cfg.values, drawn_samples(study, results),
                        method=study.method, rng=study.seed)
            res.attrs.update({"title": study.title, "study": study.text, "study_file": str(study.path),
                              "output": cfg.output})
            if study.period_days and study.period_days != 1:
                res.attrs["period_days"] = study.period_days
            summary = summarize_sweep(res, period_days=study.period_days)
    run = SweepRun(res, summary, cfg.output, breakeven_value(summary, cfg.output))
    if echo is not None:
        echo("\n" + format_sweep(run, _labels(study)))
    return run


def format_sweep(run: SweepRun, labels: dict[str, str] | None = None) -> str:
    """The sweep as a plain-text table: per lever value, P(below zero) and P5/P50/P95 of the output.

    Parameters
    ----------
    run
        From :func:`run_sweep_table`.
    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`): the output by its label.

    Returns
    -------
    str
        A heading, the table, and the break-even (where P(below zero) crosses 50%) if any.
    """
    lever = run.summary.attrs["lever"]
    s = run.summary.sel(output=run.output)
    unit = str(np.ravel(s.units.values)[0])
    lunit = run.summary[lever].attrs.get("units", "")
    head = [f"{lever} ({lunit})" if lunit else lever, "P(< 0)", *map(percentile_head, CENTRAL_90)]
    rows = [[format_number(float(v), lunit), f"{float(s.p_below_zero.values[i]):.1%}",
             *(format_number(float(s[k].values[i]), unit) for k in CENTRAL_90)]
            for i, v in enumerate(run.summary[lever].values)]
    lines = [f"[sweep] {words(run.output, labels)} ({unit}) against {lever}, common random numbers"]
    lines += aligned([head, *rows], left=0)
    if run.breakeven is not None:
        lines.append(f"break-even (P(< 0) = 50%): {lever} = {format_number(run.breakeven, lunit)} {lunit}".rstrip())
    return "\n".join(lines)


def _labels(study: Study) -> dict[str, str]:
    return sentence_labels(study.model, study.priors, study.period_days)


def _solve_with(study: Study, cfg: SolveTable, samples: int | None = None, chunk_size: int | None = None) -> Solution:
    return solve(study.model, study.priors, cfg.lever, cfg.target, cfg.low, cfg.high,
                 samples or study.samples, method=study.method, rng=study.seed, tolerance=cfg.tolerance,
                 relative=cfg.relative, unit=lever_unit(study.model, study.priors, cfg.lever),
                 chunk_size=chunk_size)


def run_solve_table(study: Study, results: xr.Dataset, *, echo=None, quiet: bool = True,
                    chunk_size: int | None = None) -> Solution:
    """Run the study's ``[solve]`` on the study's samples, seed and design; print the answer.

    Parameters
    ----------
    study
        A study with a ``[solve]`` table.
    results
        The study's own run: the solve draws the other inputs itself, as many as
        :func:`drawn_samples` says.
    echo
        Called with the printed answer.
    quiet
        Unused.
    chunk_size
        As for :func:`run_sweep_table`: the chunk of a ``--summary-only`` run's streamed solve.

    Returns
    -------
    Solution
    """
    # under --summary-only, no inputs are held: each batch of lever values streams the chunks
    with _design_said():
        sol = _solve_with(study, study.solve, drawn_samples(study, results),
                          chunk_size=(chunk_size or STREAM_CHUNK) if summary_only(results) else None)
    if echo is not None:
        echo("\n[solve] " + format_solution(sol, study.solve.target, _labels(study)))
    return sol


def write_solution(sol: Solution, folder: Path) -> None:
    """Write ``solve.json``: the :class:`~mcrisk.analyze.solve.Solution`'s fields.

    Parameters
    ----------
    sol
        The answer.
    folder
        The output folder being written.

    Returns
    -------
    None
    """
    (folder / "solve.json").write_text(json.dumps(sol.as_dict(), indent=2) + "\n", encoding="utf-8")


def write_decisions(run, folder: Path) -> None:
    """Write the sweep (``results.nc`` over the lever, ``summary.csv`` one block per value) and ``solve.json``.

    ``run`` is a :class:`~mcrisk.study.runner.StudyRun`; for a study with ``[sweep]`` its
    ``results.nc`` and ``summary.csv`` are replaced by the sweep's (the lever is a dimension
    named after it holding its values); the study's own run at the priors' lever stays in the
    report's other tables and figures.

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.runner.StudyRun`.
    folder
        The output folder being written.

    Returns
    -------
    None
    """
    if (sw := run.tables.get("sweep")) is not None:
        (sw.summary if sw.results is None else sw.results).to_netcdf(folder / "results.nc")
        sw.summary.to_dataframe().to_csv(folder / "summary.csv", float_format="%.10g")
    if (sol := run.tables.get("solve")) is not None:
        write_solution(sol, folder)
    if (conv := run.tables.get("convergence")) is not None:
        convergence_frame(conv).to_csv(folder / "convergence.csv", index=False, float_format="%.10g")


def _default_range(study: Study, lever: str) -> tuple[float, float]:
    prior = study.priors.get(lever)
    if prior is not None and not prior.is_constant:
        lo, hi = (float(prior.ppf([u])[0]) for u in (0.001, 0.999))
        if math.isfinite(lo) and math.isfinite(hi) and lo < hi:
            return lo, hi
    value = float(prior.params["value"]) if prior is not None and prior.is_constant else None
    if value is not None and value > 0:  # within the lever's domain: a share at 0.5 searches [0.05, 1]
        dlo, dhi = getattr((getattr(study.model, "inputs", None) or {}).get(lever), "domain", None) or (-math.inf, math.inf)
        lo, hi = max(value / 10, dlo), min(value * 10, dhi)
        if lo < hi:
            return lo, hi
    raise SpecError(f"{study.path}: solve {lever}: give --low and --high (the range to search; the lever "
                    "has no positive constant or prior range to default to)")


def solve_study(path: str | Path, *, lever: str | None = None, target: str | None = None,
                low: float | None = None, high: float | None = None, tolerance: str | float | None = None,
                samples: int | None = None, seed: int | None = None, method: str | None = None,
                out: str | Path | None = None, write: bool = True,
                echo: Callable[[str], None] | None = None) -> Solution:
    """``mcrisk solve STUDY``: the study's ``[solve]`` table with the given settings replacing its own.

    Parameters
    ----------
    path
        The study file.
    lever, target, low, high, tolerance
        Replace the ``[solve]`` table's; another lever than the table's does not take the
        table's range. Without ``low``/``high`` (and no table's range) the range is
        the lever's prior from its 0.1% to 99.9% quantile, or, for a positive constant ``c``,
        ``[c/10, 10 c]``.
    samples, seed, method
        Replace the study's.
    out
        Output folder (default ``results/<study>-solve/``); it receives ``solve.json``.
    write
        Write the folder.
    echo
        Called with the printed answer.

    Returns
    -------
    Solution

    Raises
    ------
    SpecError
        For a bad setting, a target that cannot be met in the range, or a non-monotone target;
        nothing is written.
    """
    study = load_study(path, samples=samples, seed=seed, method=method)
    table = dict(study.spec.get("solve", {}))
    if lever is not None and lever != table.get("lever"):  # the table's range is its own lever's, not this one's
        table.pop("low", None), table.pop("high", None)
    given = {"lever": lever, "target": target, "low": low, "high": high, "tolerance": tolerance}
    table.update({k: v for k, v in given.items() if v is not None})
    if "lever" not in table:
        raise SpecError(f"{study.path}: solve: lever is missing; give --lever NAME or a [solve] table")
    if "low" not in table or "high" not in table:
        if isinstance(table["lever"], str) and table["lever"] in lever_names(study.model, study.priors):
            lo, hi = _default_range(study, table["lever"])
            table.setdefault("low", lo)
            table.setdefault("high", hi)
    cfg = with_table(study, "solve", flags={k: f"--{k}" for k, v in given.items() if v is not None}, **table).solve
    target_dir = Path(out) if out else Path("results") / f"{study.name}-solve"
    with contextlib.ExitStack() as held:
        if write:
            check_out(target_dir, (study.path,))
            held.enter_context(hold_out(target_dir))  # a second run into target_dir is refused
        try:
            # more samples than a run holds in memory (2^21): streamed in chunks, the same answer bit for bit
            sol = _solve_with(study, cfg, chunk_size=STREAM_CHUNK if study.samples > 2 * STREAM_CHUNK else None)
        except SpecError as err:
            raise SpecError(f"{study.path}: [solve] {err}") from None
        if echo is not None:
            echo(f"{study.title}\n{format_solution(sol, cfg.target, _labels(study))}")
        if write:
            write_atomically(target_dir, lambda tmp: write_solution(sol, tmp), protect=(study.path,))
            if echo is not None:
                echo(f"\nwrote {target_dir}/")
        return sol
