"""A finished run read back from its output folder, for ``mcrisk deck`` (no rerun).

:func:`read_run` rebuilds the :class:`~mcrisk.study.runner.StudyRun` that wrote a folder from the
folder's files: ``results.nc`` (the samples and the run's provenance), ``summary.csv`` (the
summary of every sample, also of a thinned run), ``sensitivity.nc``, ``solve.json`` and the
tornado, whose table is recomputed from the study (a handful of model calls, deterministic) and
must agree with ``tornado.csv``. A ``[sweep]`` study's folder holds the sweep in ``results.nc``
and ``summary.csv`` (over the lever): the sweep is read from it, and the study's own run at the
priors' lever, which the folder does not keep, is simulated again with the run's samples, seed
and design (deterministic: the numbers the run printed). The study file must be the one the run used, word for word (its text is
stored in ``results.nc``): a deck of an edited study over an old folder would pair two studies.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from mcrisk.core.errors import SpecError
from mcrisk.core.statistics import per_period
from mcrisk.analyze.decision_run import SweepRun
from mcrisk.analyze.risk import summarize
from mcrisk.analyze.solve import Solution
from mcrisk.analyze.sweep import breakeven_value, summarize_sweep
from mcrisk.core.thinning import THINNED_ROWS
from mcrisk.simulation.engine import simulate, simulate_thinned
from mcrisk.simulation.monthly import output_table
from mcrisk.study.options import RunOptions
from mcrisk.study.runner import IN_MEMORY, StudyRun, load_study
from mcrisk.analyze.tornado import tornado
from mcrisk.analyze.voi_run import read_voi_tables
from mcrisk.core.validate import show_text
from mcrisk.core.tomlfile import is_file

__all__ = ["read_run"]


def read_run(study_path: str | Path, folder: str | Path | None = None) -> StudyRun:
    """The run of ``study_path`` that wrote ``folder``, rebuilt from the folder's files.

    Parameters
    ----------
    study_path
        The study file (TOML) the folder was written from.
    folder
        The output folder (default ``results/<study stem>/``).

    Returns
    -------
    StudyRun
        With ``results`` from ``results.nc``, ``summary`` from ``summary.csv`` (money per the
        study's period, as written), and the ``tornado`` and ``sensitivity`` tables when the folder
        has them; ``out`` is the folder.

    Raises
    ------
    SpecError
        If the study does not load, the folder lacks ``results.nc`` or ``summary.csv``, the
        folder was written from another study or an edited one, or ``tornado.csv`` disagrees
        with the study's tornado.
    """
    study = load_study(study_path)
    folder = Path(folder) if folder else Path("results") / study.name
    for name in ("results.nc", "summary.csv"):
        if not is_file(folder / name):
            raise SpecError(f"{folder}: no {name}; run `mcrisk run {study.path}` first to write the folder "
                            "(or give it with --out)")
    try:
        with xr.open_dataset(folder / "results.nc") as ds:
            results = ds.load()
        frame = pd.read_csv(folder / "summary.csv", index_col="output")
    except (OSError, ValueError, KeyError) as err:
        raise SpecError(f"{folder}: results.nc or summary.csv cannot be read: {err}") from None
    if results.attrs.get("study", "") != study.text:
        raise SpecError(f"{folder}: was not written from {show_text(str(study.path))} as it is now "
                        f"(its results.nc holds a different study text); rerun `mcrisk run {study.path}`")
    tables = {}
    if (lever := results.attrs.get("lever")) and lever in results.dims and "sweep" in study.analyses:
        results, frame, tables["sweep"] = _sweep_folder(study, results)
    units = frame.pop("units").astype(str) if "units" in frame else pd.Series("", index=frame.index)
    summary = xr.Dataset({k: ("output", frame[k].to_numpy()) for k in frame.columns},
                         coords={"output": np.array(frame.index, dtype=object),
                                 "units": ("output", units.to_numpy(dtype=object))},
                         attrs={k: results.attrs[k] for k in ("model", "method", "seed", "samples")
                                if k in results.attrs})
    if "tornado" in study.analyses:
        cfg = study.tornado
        tab = per_period(tornado(study.model, study.priors, output=cfg.output, low=cfg.low,
                                 high=cfg.high), study.period_days)
        csv = folder / "tornado.csv"
        if is_file(csv):
            written = pd.read_csv(csv)
            same = (list(written["input"]) == [str(v) for v in tab.input.values]
                    and np.allclose(written["output_low"], tab.output_low.values, rtol=1e-8, equal_nan=True)
                    and np.allclose(written["output_high"], tab.output_high.values, rtol=1e-8, equal_nan=True))
            if not same:
                raise SpecError(f"{csv}: does not match the study's tornado; rerun `mcrisk run {study.path}`")
        tables["tornado"] = tab
    if is_file(folder / "sensitivity.nc"):
        with xr.open_dataset(folder / "sensitivity.nc") as ds:
            tables["sensitivity"] = ds.load()
    if "solve" in study.analyses and is_file(folder / "solve.json"):
        try:
            tables["solve"] = Solution(**json.loads((folder / "solve.json").read_text(encoding="utf-8")))
        except (ValueError, TypeError) as err:
            raise SpecError(f"{folder / 'solve.json'}: cannot be read: {err}; rerun `mcrisk run {study.path}`") from None
    if (voi := study.value_of_information) is not None and voi.output in units.index:  # evsi.csv, voi_lever.csv
        unit = str(units[voi.output])
        tables.update(read_voi_tables(study, folder, "" if unit == "nan" else unit))  # an empty cell reads as NaN
    return StudyRun(study, results, summary, folder, tables)


def _sweep_folder(study, swept: xr.Dataset) -> tuple[xr.Dataset, pd.DataFrame, SweepRun]:
    """A ``[sweep]`` folder's run: the study's own results and summary frame (simulated again), and the sweep.

    The sweep's samples are those of ``results.nc``; the study's own run draws the same
    samples, seed and design as the run did (a thinned run: the study's samples, thinned again).
    """
    summary = summarize_sweep(swept, period_days=study.period_days)
    sweep = SweepRun(swept, summary, study.sweep.output, breakeven_value(summary, study.sweep.output))
    given = {k: swept.attrs[k] for k in ("seed", "method") if k in swept.attrs}
    if study.samples <= IN_MEMORY and "samples" in swept.attrs:
        given["samples"] = int(swept.attrs["samples"])
    own = RunOptions.of(None, **given).applied(study)
    common = {"method": own.method, "rng": own.seed, "progress": False}
    own_summary = None
    if own.samples > IN_MEMORY:  # as the run kept it: the exact summary and every k-th sample
        own_summary, results = simulate_thinned(own.model, own.priors, own.samples, chunk_size=2**20,
                                                period_days=own.period_days, rows=THINNED_ROWS, **common)
    else:
        results = simulate(own.model, own.priors, own.samples, **common)
    results.attrs.update({"title": own.title, "study": own.text, "study_file": str(own.path), "output": own.output})
    if own_summary is None:
        own_summary = summarize(per_period(results, own.period_days))
    frame = output_table(own_summary).to_dataframe()
    return results, frame, sweep
