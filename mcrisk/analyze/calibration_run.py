"""A study's ``[calibrate]`` table: weigh the run, say what moved, write the tables.

:func:`run_calibration` weighs a run's results by the record (:func:`mcrisk.analyze.calibration.calibrate`)
before any statistic is computed, warns (or, with ``--strict``, stops) when too few draws carry
the result, and :func:`format_calibration` prints the priors that moved. :func:`write_calibration`
writes ``calibration.csv`` and ``calibration.json``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import xarray as xr

from mcrisk.analyze.calibration import (CALIBRATION_COLUMNS, calibrate, calibration_frame, calibration_warning,
                                        k_hat_words, observation_records)
from mcrisk.core.errors import SpecError
from mcrisk.core.text import Labels, aligned, format_number, labelled
from mcrisk.core.warned import warn

__all__ = ["PRIOR_ANALYSES", "calibration_table", "format_calibration", "moved", "report_section", "run_calibration",
           "write_calibration"]

#: What a calibrated run still analyses on the priors, in words (printed once, in the report).
PRIOR_ANALYSES = ("the tornado (one input at a time, at its prior quantiles), the sensitivity indices, "
                  "the sweep and the solve analyse the priors; the summary, the charts, the scenarios and "
                  "the value of information (on a resample by the weights) are calibrated")


def run_calibration(study, results: xr.Dataset, *, strict: bool = False,
                    echo: Callable[[str], None] | None = None) -> xr.Dataset:
    """The run's results weighted by its ``[calibrate]`` table, with the warning if too few draws carry them.

    Parameters
    ----------
    study
        A loaded :class:`~mcrisk.spec.studyfile.Study` with a ``calibrate`` table.
    results
        Its results over ``sample``.
    strict
        ``--strict``: a calibration that too few draws carry is an error, not a warning.
    echo
        Unused here (the block is printed after the summary by :func:`format_calibration`).

    Returns
    -------
    xarray.Dataset
        ``results`` with ``weight`` and attrs ``k_hat`` and ``ess``.

    Raises
    ------
    SpecError
        When the record rules out every sample, or (``strict``) when k-hat is above 0.7 or
        fewer than 200 effective draws carry the result.
    """
    try:
        out = calibrate(results, study.calibrate)
    except SpecError as err:
        raise SpecError(f"{study.path}: {err}") from None
    if (text := calibration_warning(out)) is not None:
        if strict:
            raise SpecError(f"{study.path}: [calibrate] {text} (--strict)")
        warn(f"{study.path}: [calibrate] {text}")
    return out


def moved(frame: pd.DataFrame) -> pd.Series:
    """How far each input moved: the shift of its mean in prior standard deviations (signed)."""
    return (frame.post_mean - frame.prior_mean) / frame.prior_sd.where(frame.prior_sd > 0, math.nan)


def format_calibration(study, results: xr.Dataset, labels: Labels | None = None) -> str:
    """The calibration as printed: k-hat and the effective draws, each observation, the inputs that moved.

    Parameters
    ----------
    study
        The calibrated study.
    results
        Its calibrated results (:func:`run_calibration`).
    labels
        Name -> plain label for the rows.

    Returns
    -------
    str
        Lines of text: the observed outputs (prior and posterior 90% interval), then every
        uncertain input's median and 90% interval before and after, largest shift first.
    """
    n, ess, k = results.sizes["sample"], results.attrs["ess"], results.attrs["k_hat"]
    lines = [f"What the record says ({ess:,.0f} effective draws of {n:,}, {k_hat_words(k)})"]
    rows = [["observed", "record", "prior p05 .. p95", "posterior p05 .. p95"]]
    for rec, ob in zip(observation_records(results, study.calibrate), study.calibrate.observe, strict=True):
        u = rec["units"]
        rows.append([labelled(ob.output, labels), ob.words(), _span(rec["prior"], u), _span(rec["posterior"], u)])
    frame = calibration_frame(results, study.priors.uncertain)
    shift = moved(frame)
    rows.append(["input", "shift (prior sd)", "prior p05 .. p95", "posterior p05 .. p95"])
    for i in shift.abs().sort_values(ascending=False, na_position="last").index:
        r = frame.loc[i]
        u = study.priors[r.input].unit or ""
        rows.append([labelled(r.input, labels), f"{shift[i]:+.2f}",
                     _span({"p05": r.prior_p05, "p50": r.prior_p50, "p95": r.prior_p95}, u),
                     _span({"p05": r.post_p05, "p50": r.post_p50, "p95": r.post_p95}, u)])
    return "\n".join(lines + [f"  {s}" for s in aligned(rows)] + [f"  note: {PRIOR_ANALYSES}"])


def _span(q: dict, unit: str) -> str:
    return f"{format_number(q['p05'], unit)} .. {format_number(q['p95'], unit)}"


def calibration_table(study, results: xr.Dataset) -> xr.Dataset:
    """The run's calibration as one table: prior against posterior per input, k-hat, ESS, observations.

    Parameters
    ----------
    study
        The calibrated study.
    results
        Its calibrated results (:func:`run_calibration`).

    Returns
    -------
    xarray.Dataset
        Over ``input``: the columns of :data:`~mcrisk.analyze.calibration.CALIBRATION_COLUMNS`
        and ``unit``; attrs ``k_hat``, ``ess``, ``samples`` and ``observations`` (JSON text of
        :func:`~mcrisk.analyze.calibration.observation_records`).
    """
    frame = calibration_frame(results, study.priors.uncertain)
    frame["unit"] = [study.priors[k].unit or "" for k in frame.input]
    ds = frame.set_index("input").to_xarray()
    ds.attrs.update(k_hat=float(results.attrs["k_hat"]), ess=float(results.attrs["ess"]),
                    samples=int(results.sizes["sample"]),
                    observations=json.dumps(observation_records(results, study.calibrate)))
    return ds


def write_calibration(table: xr.Dataset, folder: Path) -> None:
    """Write ``calibration.csv`` (prior against posterior per input) and ``calibration.json``.

    Parameters
    ----------
    table
        From :func:`calibration_table`.
    folder
        The output folder.
    """
    frame = table.drop_vars("unit").to_dataframe().reset_index()
    frame[list(CALIBRATION_COLUMNS)].to_csv(folder / "calibration.csv", index=False, float_format="%.10g")
    k = table.attrs["k_hat"]
    doc = {"k_hat": k if math.isfinite(k) else None, "ess": table.attrs["ess"], "samples": table.attrs["samples"],
           "observations": json.loads(table.attrs["observations"])}
    (folder / "calibration.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def report_section(table: xr.Dataset, labels: Labels | None = None) -> tuple[str, list[str], list[list[str]]]:
    """The report's "What the record says": each observation, then each input's prior against posterior.

    Parameters
    ----------
    table
        From :func:`calibration_table`.
    labels
        Name -> plain label.

    Returns
    -------
    tuple
        ``(heading, header row, rows)``, every cell a string.
    """
    k = table.attrs["k_hat"]
    heading = (f"What the record says ({table.attrs['ess']:,.0f} effective draws of {table.attrs['samples']:,}; "
               f"{k_hat_words(k)})")
    head = ["", "record", "shift (prior sd)", "prior P5 .. P95", "posterior P5 .. P95"]
    rows = [[f"observed: {labelled(r['output'], labels)}",
             f"{r['value']:,.6g} ± {r['sd']:,.6g}" if r["kind"] == "gaussian" else f"in [{r['low']:,.6g}, {r['high']:,.6g}]",
             "", _span(r["prior"], r["units"]), _span(r["posterior"], r["units"])]
            for r in json.loads(table.attrs["observations"])]
    frame = table.to_dataframe().reset_index()
    shift = moved(frame)
    for i in shift.abs().sort_values(ascending=False, na_position="last").index:
        r = frame.loc[i]
        rows.append([labelled(r.input, labels), "", f"{shift[i]:+.2f}",
                     _span({"p05": r.prior_p05, "p95": r.prior_p95}, r.unit),
                     _span({"p05": r.post_p05, "p95": r.post_p95}, r.unit)])
    rows.append(["note", PRIOR_ANALYSES, "", "", ""])
    return heading, head, rows
