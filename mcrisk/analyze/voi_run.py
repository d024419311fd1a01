"""The ``[value_of_information]`` table's studies and lever in a study run: run, print, write, report.

:func:`run_evsi` runs the table's ``[[value_of_information.studies]]`` (EVSI and ENBS on the
study's stored samples, :func:`mcrisk.analyze.evsi.evsi`) and :func:`run_voi_lever` its
``lever`` (EVPI and EVPPI at each lever value on common random numbers,
:func:`mcrisk.analyze.voi_lever.evppi_lever`). :mod:`mcrisk.study.runner` runs them as tables
``"evsi"`` and ``"voi_lever"`` beside ``"value_of_information"`` (in parallel with it);
:func:`write_voi_tables` writes ``evsi.csv`` and ``voi_lever.csv``, :func:`voi_sections` gives
the report its two tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import xarray as xr

from mcrisk.analyze.decision_run import drawn_samples
from mcrisk.analyze.discovery_run import decision_words
from mcrisk.analyze.evsi import METHOD, evsi, evsi_frame, evsi_sentence
from mcrisk.analyze.voi_lever import evppi_lever, lever_frame, lever_sentence
from mcrisk.core.labels import sentence_labels
from mcrisk.core.statistics import per_period
from mcrisk.core.text import MINUS, Labels, aligned, format_number
from mcrisk.analyze.calibration import equal_weights
from mcrisk.core.thinning import DISCOVERY_SAMPLES, thin, thin_step, thinned_words

__all__ = ["format_evsi", "format_voi_lever", "read_voi_tables", "run_evsi", "run_voi_lever", "voi_sections",
           "write_voi_tables"]


def run_evsi(study, results: xr.Dataset, *, echo: Callable[[str], None] | None = None,
             quiet: bool = True) -> xr.Dataset:
    """EVSI and ENBS of the study's ``[[value_of_information.studies]]``, money per the study's period.

    Parameters
    ----------
    study
        A loaded study whose ``[value_of_information]`` has ``studies``.
    results
        Its results over ``sample``.
    echo
        Called with the printed table.
    quiet
        Unused.

    Returns
    -------
    xarray.Dataset
        As :func:`mcrisk.analyze.evsi.evsi`.
    """
    cfg = study.value_of_information
    seed = study.seed if cfg.seed is None else cfg.seed
    results = equal_weights(results, rng=seed)  # the regression averages samples: resampled if calibrated
    ds = evsi(per_period(thin(results, DISCOVERY_SAMPLES), study.period_days), cfg.studies, output=cfg.output,
              decision=cfg.decision, resamples=cfg.resamples, rng=seed)
    n = int(results.sizes.get("sample", 0))
    said = [results.attrs["resampled"]] if "resampled" in results.attrs else []  # a calibrated run's
    if (step := thin_step(n, DISCOVERY_SAMPLES)) > 1:
        said.append(thinned_words(n, step))
    if said:
        ds.attrs["subsample"] = "; ".join(said)
    if echo is not None:
        echo("\n" + format_evsi(ds, _labels(study)))
    return ds


def _labels(study) -> Labels:
    return sentence_labels(study.model, study.priors, study.period_days)


def run_voi_lever(study, results: xr.Dataset, *, echo: Callable[[str], None] | None = None,
                  quiet: bool = True) -> xr.Dataset:
    """EVPI, and EVPPI of ``lever_inputs``, at each of the ``[value_of_information]`` lever's values.

    Parameters
    ----------
    study
        A loaded study whose ``[value_of_information]`` has a ``lever``.
    results
        Its results: the lever's run draws as many samples as a ``[sweep]`` would
        (:func:`mcrisk.analyze.decision_run.drawn_samples`), on the study's design and seed.
    echo
        Called with the printed table.
    quiet
        Unused.

    Returns
    -------
    xarray.Dataset
        As :func:`mcrisk.analyze.voi_lever.evppi_lever`.
    """
    cfg = study.value_of_information
    ds = evppi_lever(study.model, study.priors, cfg.lever, cfg.lever_values, drawn_samples(study, results),
                     output=cfg.output, decision=cfg.decision, inputs=cfg.lever_inputs,
                     period_days=study.period_days, resamples=cfg.resamples, method=study.method,
                     rng=study.seed, seed=study.seed if cfg.seed is None else cfg.seed)
    if getattr(study, "calibrate", None) is not None:  # fresh draws at each lever value carry no weights
        ds.attrs["subsample"] = "on the priors: the lever's draws are not weighted by [calibrate]"
    if echo is not None:
        echo("\n" + format_voi_lever(ds, _labels(study)))
    return ds


def format_evsi(ds: xr.Dataset, labels: Labels | None = None) -> str:
    """EVSI ± SE and ENBS per study and size as printed, then each study's best size in words.

    Parameters
    ----------
    ds
        From :func:`mcrisk.analyze.evsi.evsi`.
    labels
        Name -> plain label for the sentences.

    Returns
    -------
    str
    """
    units, money = ds.attrs["units"], ds.attrs["enbs_units"]
    used = f"; {ds.attrs['subsample']}" if "subsample" in ds.attrs else ""
    df = evsi_frame(ds)
    rows = [["study", "input", "n", "EVSI", "SE", f"ENBS ({money})" if money not in ("", "1") else "ENBS", ""],
            *([r.study, r.input, f"{r.n:,}", format_number(r.evsi, units), format_number(r.se, units),
               format_number(r.enbs, money), "best" if b else ""] for r, b in zip(df.itertuples(), ds.best.values))]
    lines = [f"Value of sample information ({decision_words(ds, labels)}; {units}{used})",
             *(f"  {s}".rstrip() for s in aligned(rows, left=2)),
             *(f"  {evsi_sentence(ds, name, labels)}" for name in dict.fromkeys(map(str, ds.study.values))),
             f"  method: {METHOD}"]
    return "\n".join(lines)


def format_voi_lever(ds: xr.Dataset, labels: Labels | None = None) -> str:
    """EVPI (and EVPPI) at each lever value as printed, then where knowledge is worth most.

    Parameters
    ----------
    ds
        From :func:`mcrisk.analyze.voi_lever.evppi_lever`.
    labels
        Name -> plain label for the sentence.

    Returns
    -------
    str
    """
    units, lever, lunit = ds.attrs["units"], ds.attrs["lever"], ds.attrs["lever_units"]
    names = [str(k) for k in ds.inputs.values]
    head = [f"{lever} ({lunit})" if lunit else lever, *("EVPI" if k == "all" else k for k in names), "SE (EVPI)"]
    rows = [[format_number(float(v), lunit), *(format_number(float(ds.evppi[i, j]), units) for j in range(len(names))),
             format_number(float(ds.se.sel(inputs="all")[i]), units)] for i, v in enumerate(ds.lever_value.values)]
    used = f"; {ds.attrs['subsample']}" if "subsample" in ds.attrs else ""
    return "\n".join([f"Value of information against {lever} ({units}; common random numbers{used})",
                      *(f"  {s}" for s in aligned([head, *rows], left=0)), f"  {lever_sentence(ds, labels)}"])


def write_voi_tables(tables: Mapping[str, Any], folder: Path) -> None:
    """Write ``evsi.csv`` and ``voi_lever.csv`` for the tables the run has.

    Parameters
    ----------
    tables
        A run's tables (``"evsi"``, ``"voi_lever"``).
    folder
        The output folder.

    Returns
    -------
    None
    """
    if "evsi" in tables:
        evsi_frame(tables["evsi"]).to_csv(folder / "evsi.csv", index=False, float_format="%.10g")
    if "voi_lever" in tables:
        lever_frame(tables["voi_lever"]).to_csv(folder / "voi_lever.csv", index=False, float_format="%.10g")


def read_voi_tables(study, folder: Path, units: str) -> dict[str, xr.Dataset]:
    """``evsi.csv`` and ``voi_lever.csv`` of a finished run read back as :func:`run_evsi` and
    :func:`run_voi_lever` gave them (``mcrisk deck`` on a folder), their settings from the study.

    Parameters
    ----------
    study
        The study the folder was written from.
    folder
        The output folder.
    units
        The decision output's units in the folder (``summary.csv``'s, per the study's period).

    Returns
    -------
    dict
        ``"evsi"`` and ``"voi_lever"``, for the files the folder holds and the study asks for.
    """
    import numpy as np
    import pandas as pd

    from mcrisk.analyze.evsi import evsi_table
    from mcrisk.analyze.sweep import lever_unit
    from mcrisk.core.tomlfile import is_file

    cfg, out = study.value_of_information, {}
    if cfg is None:
        return out
    decision = (f"go ahead only if the expected {cfg.output} is positive" if cfg.decision == "go" else
                "choose the option of largest expected net benefit: " + ", ".join(cfg.decision))
    if cfg.studies and is_file(folder / "evsi.csv"):
        df = pd.read_csv(folder / "evsi.csv")
        by = {s.name: s for s in cfg.studies}
        rows = [(r.study, r.input, int(r.n), r.evsi, r.se, r.enbs, by[r.study].periods, by[r.study].cost_fixed,
                 by[r.study].cost_per_observation) for r in df.itertuples() if r.study in by]
        paired = df.se_vs_best.to_numpy(float)[[r.study in by for r in df.itertuples()]] if "se_vs_best" in df else None
        out["evsi"] = evsi_table(rows, units, cfg.output, np.zeros((1, 1)), study.samples, cfg.resamples,
                                 se_vs_best=paired)
        out["evsi"].attrs.update(decision=decision, evpi=float("nan"))
    if cfg.lever is not None and is_file(folder / "voi_lever.csv"):
        df = pd.read_csv(folder / "voi_lever.csv", keep_default_na=False)
        table = df.pivot(index="lever_value", columns="inputs")
        names = list(dict.fromkeys(df.inputs))
        lunit = lever_unit(study.model, study.priors, cfg.lever)
        out["voi_lever"] = xr.Dataset(
            {k: (("lever_value", "inputs"), table[k][names].to_numpy(float), {"units": units}) for k in ("evppi", "se")},
            coords={"lever_value": table.index.to_numpy(float), "inputs": names},
            attrs={"lever": cfg.lever, "lever_units": lunit, "output": cfg.output, "units": units,
                   "decision": decision, "samples": min(study.samples, 20_000), "method": ""})
    return out


def voi_sections(tables: Mapping[str, Any],
                 labels: Labels | None = None) -> dict[str, tuple[str, list[str], list[list[str]]]]:
    """The report's "What a study is worth" and "Where knowledge is worth most" tables.

    Parameters
    ----------
    tables
        A run's tables.
    labels
        Name -> plain label for the sentences.

    Returns
    -------
    dict
        ``"evsi"`` and ``"voi_lever"`` -> ``(heading, header row, rows)``, every cell a string.
    """
    out = {}
    if (ds := tables.get("evsi")) is not None:
        units, money = ds.attrs["units"], ds.attrs["enbs_units"]
        rows = [[r.study, r.input, f"{r.n:,}", format_number(r.evsi, units, minus=MINUS),
                 format_number(r.se, units, minus=MINUS), format_number(r.enbs, money, minus=MINUS),
                 "best" if b else ""] for r, b in zip(evsi_frame(ds).itertuples(), ds.best.values)]
        rows += [["in words", evsi_sentence(ds, name, labels), "", "", "", "", ""]
                 for name in dict.fromkeys(map(str, ds.study.values))]
        out["evsi"] = (f"What a study is worth (EVSI in {units}, ENBS in {money}; {METHOD})",
                       ["study", "input", "n", "EVSI", "SE", "ENBS", ""], rows)
    if (ds := tables.get("voi_lever")) is not None:
        units, lunit = ds.attrs["units"], ds.attrs["lever_units"]
        rows = [[format_number(float(ds.lever_value[i]), lunit), str(k).replace("+", " + ").replace("all", "EVPI (all)"),
                 format_number(float(ds.evppi[i, j]), units, minus=MINUS),
                 format_number(float(ds.se[i, j]), units, minus=MINUS)]
                for i in range(ds.sizes["lever_value"]) for j, k in enumerate(ds.inputs.values)]
        rows.append(["in words", lever_sentence(ds, labels), "", ""])
        heading = f"Where knowledge is worth most ({units} against {ds.attrs['lever']}, common random numbers)"
        out["voi_lever"] = (heading, [f"{ds.attrs['lever']} ({lunit})", "inputs", "EVPPI", "SE"], rows)
    return out
