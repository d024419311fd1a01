"""A study rerun with one table overridden: ``mcrisk sensitivity``, ``mcrisk scenarios``, ``mcrisk voi``.

Each loads the study, applies the run options, replaces the table's keys with
:func:`~mcrisk.spec.studyfile.with_table` (checked as the file's table is, never re-parsed) and
runs it whole with :func:`~mcrisk.study.runner.run_study`, so the output folder never mixes two
runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import xarray as xr

from mcrisk.analyze.salib_methods import get_method
from mcrisk.core.errors import SpecError
from mcrisk.core.validate import SensitivityMethod
from mcrisk.spec.studyfile import load_study, with_table
from mcrisk.study.options import RunOptions
from mcrisk.study.runner import run_study

__all__ = ["run_discovery", "run_sensitivity"]

def run_sensitivity(path: str | Path, *, method: SensitivityMethod | None = None, samples: int | None = None,
                    options: RunOptions | None = None, echo: Callable[[str], None] = print,
                    **given: Any) -> xr.Dataset:
    """``mcrisk sensitivity STUDY``: the study rerun with its ``[sensitivity]`` table overridden.

    ``method`` and ``samples`` replace the table's. Every file of the output folder (default
    ``results/<study>/``) that shows the sensitivity analysis, the tables, the tornado's ST
    column, the sensitivity chart, the headline's top driver and the report, is rewritten
    from the same run, so the folder never shows two analyses at once: it is the folder
    ``mcrisk run`` writes for the study with that table (checked before anything is computed,
    swapped in whole).

    Parameters
    ----------
    path
        The study file (TOML).
    method
        A sensitivity method (a key of :data:`mcrisk.analyze.salib_methods.METHODS`) replacing the table's;
        the table's ``samples`` is then dropped if it is below the new method's minimum (and
        ``samples`` is not given).
    samples
        The sensitivity analysis's base sample size ``N``, replacing the table's.
    options, echo, **given
        The run's options, as for :func:`run_study` (``out=``, ``quiet=``, ``seed=``...); the
        run's own ``samples`` is ``options.samples``, not ``samples``. Unlike :func:`run_study`,
        progress bars show unless ``quiet=True``.

    Returns
    -------
    xarray.Dataset
        The sensitivity indices over ``input`` (and ``output``), as
        :func:`mcrisk.analyze.sensitivity.sensitivity`.

    Raises
    ------
    SpecError
        If the study file, ``method``, ``samples`` or the resulting ``[sensitivity]`` table is
        not valid, or the run fails on bad input.
    """
    opts = _loud(options, given, "mcrisk sensitivity")
    study = opts.applied(load_study(path, strict=opts.strict))  # --set before the table is checked, as for the file
    written = study.spec.get("sensitivity", {})
    changes: dict[str, Any] = {}
    if method is not None:
        m = get_method(method, "--")  # a bad flag is named as the flag, not as the file's key
        changes["method"] = method
        if samples is None and isinstance(written.get("samples"), int) and written["samples"] < m.min_samples:
            changes["samples"] = None  # the file's N was for another method: dropped
    if samples is not None:
        changes["samples"] = samples
    study = with_table(study, "sensitivity", **changes)
    return run_study(study, options=replace(opts, settings=()), echo=echo).tables["sensitivity"]


def run_discovery(path: str | Path, analysis: str, *, options: RunOptions | None = None,
                  out: str | Path | None = None, quiet: bool | None = None, echo: Callable[[str], None] = print,
                  **table: Any) -> xr.Dataset:
    """``mcrisk scenarios STUDY`` and ``mcrisk voi STUDY``: the study run with that analysis.

    The study is run in full (same seed, so the same samples as any earlier run of it) and its
    output folder written whole, report included, so the folder never mixes two runs; a study
    without the table gets its defaults (``[scenarios]``: a loss, ``output < 0``;
    ``[value_of_information]``: go ahead only if the expected output is positive).

    Parameters
    ----------
    path
        The study file.
    analysis
        ``"scenarios"`` or ``"value_of_information"``.
    options
        The run's options, as for :func:`run_study`; ``out`` and ``quiet`` replace its own when
        given (without ``options``, progress bars show unless ``quiet=True``).
    out, quiet, echo
        As for :func:`run_study`.
    **table
        Keys replacing the study table's (``event="> 0"``, ``threshold_density=0.95``); None
        values are ignored. The table is checked again, as the file's would be.

    Returns
    -------
    xarray.Dataset
        The analysis's table (:func:`mcrisk.analyze.scenarios.scenarios` or :func:`mcrisk.analyze.voi.evppi`).

    Raises
    ------
    SpecError
        If the study or its table is not valid.
    """
    opts = _loud(options, {k: v for k, v in (("out", out), ("quiet", quiet)) if v is not None}, f"[{analysis}]")
    study = opts.applied(load_study(path, strict=opts.strict))  # --set before the table is checked, as for the file
    given = {k: v for k, v in table.items() if v is not None}
    study = with_table(study, analysis, flags={k: "--" + k.replace("_", "-") for k in given}, **given)
    return run_study(study, options=replace(opts, settings=()), echo=echo).tables[analysis]


def _loud(options: RunOptions | None, given: dict[str, Any], what: str) -> RunOptions:
    # the commands' library calls show progress bars unless told quiet (run_study is quiet by default)
    opts = RunOptions.of(options, **{**({"quiet": False} if options is None else {}), **given})
    if opts.summary_only:
        raise SpecError(f"--summary-only keeps no per-sample results; {what} needs them")
    return opts
