"""Scenario discovery and value of information in studies: the runners and their tables.

:func:`run_scenarios` and :func:`run_voi` run a study's ``[scenarios]`` and
``[value_of_information]`` tables (checked by :mod:`mcrisk.spec.discovery_tables`) on the study's
stored Monte Carlo samples, with no new model runs; :func:`write_tables` writes
``scenarios.csv`` and ``voi.csv``. :mod:`mcrisk.study` registers the runners in its
``_RUNNERS``, so ``mcrisk run`` does both when the study has the tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import xarray as xr

from mcrisk.analyze.calibration import equal_weights
from mcrisk.analyze.scenarios import box_sentence, scenario_frame, scenarios, trajectory_frame
from mcrisk.analyze.voi import evppi, voi_frame, voi_sentence
from mcrisk.core.events import Event, parse_event
from mcrisk.core.labels import sentence_labels
from mcrisk.core.statistics import per_period
from mcrisk.core.text import Labels, aligned, format_number, words
from mcrisk.core.thinning import DISCOVERY_SAMPLES, thin, thin_step, thinned_words

__all__ = ["decision_words", "format_scenarios", "format_voi", "report_sections", "run_scenarios", "run_voi",
           "scenario_event", "write_tables"]


def _used(ds: xr.Dataset, results: xr.Dataset) -> xr.Dataset:
    n = int(results.sizes.get("sample", 0))
    said = [results.attrs["resampled"]] if "resampled" in results.attrs else []  # a calibrated run's
    if (step := thin_step(n, DISCOVERY_SAMPLES)) > 1:
        said.append(thinned_words(n, step))
    if said:
        ds.attrs["subsample"] = "; ".join(said)
    return ds


def run_scenarios(study, results: xr.Dataset, *, echo: Callable[[str], None] | None = None,
                  quiet: bool = True) -> xr.Dataset:
    """PRIM on the study's samples, as its ``[scenarios]`` table says (:func:`mcrisk.analyze.scenarios.scenarios`).

    Parameters
    ----------
    study
        A loaded :class:`~mcrisk.spec.studyfile.Study` with a ``"scenarios"`` analysis.
    results
        Its results over ``sample``.
    echo
        Called with the printed boxes.
    quiet
        Unused (PRIM has no progress bar).

    Returns
    -------
    xarray.Dataset
        As :func:`mcrisk.analyze.scenarios.scenarios`; an unrestricted edge is the prior's bound.
    """
    cfg = study.scenarios
    bounds = {k: tuple(float(b) for b in study.priors[k].dist.support()) for k in study.priors.uncertain}
    results = equal_weights(results, rng=study.seed)  # PRIM counts samples: a calibrated run is resampled
    sub = thin(results, DISCOVERY_SAMPLES)
    ds = _used(scenarios(sub, output=cfg.output, event=cfg.event, threshold_density=cfg.threshold_density,
                         threshold_coverage=cfg.threshold_coverage, max_boxes=cfg.max_boxes,
                         mass_min=cfg.mass_min, bounds=bounds),
               results)
    if echo is not None:  # the boxes in the words of the report and the charts: plain labels
        echo("\n" + format_scenarios(ds, sentence_labels(study.model, study.priors, study.period_days)))
    return ds


def run_voi(study, results: xr.Dataset, *, echo: Callable[[str], None] | None = None,
            quiet: bool = True) -> xr.Dataset:
    """EVPI and EVPPI on the study's samples, money per the study's period (:func:`mcrisk.analyze.voi.evppi`).

    Parameters
    ----------
    study
        A loaded study with a ``"value_of_information"`` analysis.
    results
        Its results over ``sample``.
    echo
        Called with the printed table.
    quiet
        Unused.

    Returns
    -------
    xarray.Dataset
        As :func:`mcrisk.analyze.voi.evppi`.
    """
    cfg = study.value_of_information
    seed = study.seed if cfg.seed is None else cfg.seed
    results = equal_weights(results, rng=seed)  # the regression averages samples: resampled if calibrated
    sub = thin(results, DISCOVERY_SAMPLES)
    ds = _used(evppi(per_period(sub, study.period_days), output=cfg.output, decision=cfg.decision,
                     groups=cfg.groups, resamples=cfg.resamples, rng=seed), results)
    if echo is not None:
        echo("\n" + format_voi(ds, sentence_labels(study.model, study.priors, study.period_days)))
    return ds


def format_scenarios(ds: xr.Dataset, labels: Labels | None = None) -> str:
    """The boxes as printed: a heading and one sentence per box (or why there is none).

    Parameters
    ----------
    ds
        From :func:`mcrisk.analyze.scenarios.scenarios`.
    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the inputs and the event.

    Returns
    -------
    str
        Lines of text.
    """
    head = f"Scenarios ({scenario_event(ds).words(labels)}, PRIM" + (
        f"; {ds.attrs['subsample']})" if "subsample" in ds.attrs else ")")
    if "note" in ds.attrs:
        return f"{head}\n  {ds.attrs['note']}"
    return head + "".join(f"\n  box {int(b)}: {box_sentence(ds, int(b), labels)}" for b in ds.box.values)


def scenario_event(ds: xr.Dataset) -> Event:
    """The event of :func:`mcrisk.analyze.scenarios.scenarios`'s boxes, as the study read it (its unit too)."""
    ev = parse_event(ds.attrs["event"], "event:")
    return replace(ev, output=str(ds.attrs["output"]), unit=str(ds.attrs.get("event_unit", "")))


def decision_words(ds: xr.Dataset, labels: Labels | None = None) -> str:
    """The value of information's decision in words, the output by its label:
    ``"go ahead only if the expected profit per month is positive"``."""
    if ds.attrs["decision"].startswith("go ahead only if the expected "):
        return f"go ahead only if the expected {words(str(ds.attrs['output']), labels)} is positive"
    return str(ds.attrs["decision"])


def format_voi(ds: xr.Dataset, labels: Labels | None = None) -> str:
    """The value of information as printed: EVPPI ± SE per input, ranked, then EVPI.

    Parameters
    ----------
    ds
        From :func:`mcrisk.analyze.voi.evppi`.
    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the sentence.

    Returns
    -------
    str
        Lines of text.
    """
    df = voi_frame(ds)
    units = ds.attrs.get("units", "")
    used = f"; {ds.attrs['subsample']}" if "subsample" in ds.attrs else ""
    rows = [["inputs", "EVPPI", "SE"],
            *([r.inputs, format_number(r.evppi, units), format_number(r.se, units)] for r in df.itertuples())]
    lines = [f"Value of information ({decision_words(ds, labels)}; {units}{used})", *(f"  {s}" for s in aligned(rows))]
    return "\n".join(lines + [f"  {voi_sentence(ds, labels)}"])


def write_tables(tables: Mapping[str, Any], folder: Path) -> None:
    """Write ``scenarios.csv``, ``scenarios_trajectory.csv`` and ``voi.csv`` for the analyses in ``tables``.

    Parameters
    ----------
    tables
        A run's tables (``"scenarios"``, ``"value_of_information"``).
    folder
        The output folder.

    Returns
    -------
    None
    """
    if "scenarios" in tables:
        scenario_frame(tables["scenarios"]).to_csv(folder / "scenarios.csv", index=False, float_format="%.10g")
        trajectory_frame(tables["scenarios"]).to_csv(folder / "scenarios_trajectory.csv", index=False,
                                                     float_format="%.10g")
    if "value_of_information" in tables:
        voi_frame(tables["value_of_information"]).to_csv(folder / "voi.csv", index=False, float_format="%.10g")


def report_sections(tables: Mapping[str, Any],
                    labels: Labels | None = None) -> dict[str, tuple[str, list[str], list[list[str]]]]:
    """The report's "Where the loss lives" and "What is worth knowing" tables, when the run has them.

    Parameters
    ----------
    tables
        A run's tables.
    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the sentences.

    Returns
    -------
    dict
        ``"scenarios"`` and ``"voi"`` -> ``(heading, header row, rows)``, every cell a string.
    """
    from mcrisk.analyze.scenarios import event_words
    from mcrisk.core.text import MINUS, format_number

    out = {}
    if (ds := tables.get("scenarios")) is not None:
        heading = f"Where the {event_words(ds, labels)} lives" + (f" ({ds.attrs['subsample']})" if "subsample" in ds.attrs
                                                          else "")
        head = ["box", "in words", "coverage", "density", "inputs restricted"]
        rows = [[str(int(b)), box_sentence(ds, int(b), labels), f"{float(ds.coverage.sel(box=b)):.3f}",
                 f"{float(ds.density.sel(box=b)):.3f}", str(int(ds.n_restricted.sel(box=b)))] for b in ds.box.values]
        out["scenarios"] = (heading, head, rows or [["", ds.attrs.get("note", ""), "", "", ""]])
    if (ds := tables.get("value_of_information")) is not None:
        units = ds.attrs.get("units", "")
        df = voi_frame(ds)
        rows = [[r.inputs.replace("+", " + "), format_number(r.evppi, units, minus=MINUS),
                 format_number(r.se, units, minus=MINUS), format_number(r.noise, units, minus=MINUS)]
                for r in df.itertuples()]
        rows.append(["in words", voi_sentence(ds, labels), "", ""])
        used = f"; {ds.attrs['subsample']}" if "subsample" in ds.attrs else ""
        out["voi"] = (f"What is worth knowing ({units}; {decision_words(ds, labels)}{used})",
                      ["inputs", "EVPPI", "SE", "no-effect level"], rows)
    return out
