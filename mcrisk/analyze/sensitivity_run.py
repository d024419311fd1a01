"""Sensitivity in studies: the ``[sensitivity]`` table, its run and its tables.

:func:`mcrisk.analyze.sensitivity.sensitivity` does the analysis; this module checks a study's
``[sensitivity]`` table (:func:`check_config`), runs it with rank correlations and loss
attribution from the study's ordinary Monte Carlo results (:func:`run_configured`), prints a
ranked table (:func:`format_sensitivity`), writes ``sensitivity.nc`` and ``sensitivity.csv``
(:func:`write_tables`). ``mcrisk sensitivity`` is :func:`mcrisk.study.reruns.run_sensitivity`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from mcrisk.core.errors import MCRiskWarning
from mcrisk.analyze.rankcorr import loss_attribution, rank_correlations
from mcrisk.analyze.groups import factor_words, group_text
from mcrisk.analyze.sensitivity import rank_order, sensitivity, switch_announcement, top_factor
from mcrisk.analyze.sensitivity_over import leaders_text, shown_steps
from mcrisk.spec.sensitivity_table import check_config
from mcrisk.core.labels import sentence_labels
from mcrisk.core.text import Labels, aligned, index_text, words
from mcrisk.core.thinning import LOSS_SAMPLES, RANK_SAMPLES, thin, thin_step, thinned_words
from mcrisk.core.warned import guarded_warnings, warn

__all__ = ["announce_switch", "check_config", "format_sensitivity", "run_configured", "write_tables"]


def run_configured(study, results: xr.Dataset, *, echo: Callable[[str], None] | None = None,
                   quiet: bool = True) -> xr.Dataset:
    """Run a study's ``[sensitivity]`` table: indices, rank correlations and loss attribution.

    The indices come from their own design (:func:`sensitivity`); the rank correlations and the
    attribution of the loss event come from the study's ordinary Monte Carlo ``results``,
    with no new model runs. Prints the ranked table through ``echo``.

    Parameters
    ----------
    study
        A loaded :class:`~mcrisk.study.runner.Study` whose ``analyses`` hold a checked
        ``"sensitivity"`` table (see :func:`check_config`).
    results
        The study's Monte Carlo results over ``sample``; at most :data:`~mcrisk.core.thinning.RANK_SAMPLES` of them
        (every ``k``-th) feed the rank correlations and :data:`~mcrisk.core.thinning.LOSS_SAMPLES` the loss
        attribution (see :func:`mcrisk.core.thinning.thin`).
    echo
        Called with the ranked table (and its notes); ``None`` prints nothing and gives the
        notes as :class:`~mcrisk.core.errors.MCRiskWarning`.
    quiet
        No progress bars.

    Returns
    -------
    xarray.Dataset
        The indices over ``input`` (and ``output``), with ``spearman`` and ``prcc`` (and their
        ``_low``/``_high`` bounds), ``loss_S1`` (and ``loss_S1_conf``), ``loss_ks`` (and
        ``loss_ks_pvalue``), and attrs recording the samples each part used.
    """
    cfg = study.sensitivity
    seed = study.seed if cfg.seed is None else cfg.seed
    with guarded_warnings():
        if echo is not None:  # the notes end the printed table: no second copy as warnings
            warnings.simplefilter("ignore", MCRiskWarning)
        ds = sensitivity(study.model, study.priors, output=cfg.output, method=cfg.method,
                         n=cfg.samples, rng=seed, calc_second_order=cfg.second_order,
                         num_resamples=cfg.num_resamples, conf_level=cfg.conf_level,
                         num_levels=cfg.num_levels, progress=not quiet, over=cfg.over,
                         announce=lambda text: None)  # announce_switch said it before the study ran
    if cfg.over is not None:  # rank correlations and the loss event are of one value per sample
        return _over_done(study, ds, echo)
    outputs = [cfg.output] if isinstance(cfg.output, str) else list(cfg.output)
    inputs = list(ds.input.values)
    n = int(results.sizes.get("sample", 0))
    for_ranks, for_loss = thin(results, RANK_SAMPLES), thin(results, LOSS_SAMPLES)
    loss_notes: list[str] = []  # and the rank correlations' notes (an input constant in the finite samples)
    rc = rank_correlations(for_ranks, output=outputs, inputs=inputs, conf_level=cfg.conf_level, notes=loss_notes)
    loss = loss_attribution(for_loss, output=outputs, event=cfg.event, inputs=inputs,
                            num_resamples=cfg.num_resamples, conf_level=cfg.conf_level, seed=seed,
                            notes=loss_notes)
    if echo is None:
        for text in loss_notes:
            warn(text, MCRiskWarning, stacklevel=2)
    for part in (rc, loss):
        for k, v in part.data_vars.items():
            ds[k] = v
    notes = [t for t in [ds.attrs["notes"], *loss_notes] if t]
    if for_loss.sizes["sample"] < results.sizes["sample"]:
        notes.append(f"Loss attribution uses {_thinned(n, LOSS_SAMPLES)}; rank "
                     f"correlations use {_thinned(n, RANK_SAMPLES)}.")
    ds.attrs.update({k: v for k, v in loss.attrs.items()})
    ds.attrs.update({"notes": "\n".join(notes), "mc_samples": n,
                     "rank_samples": int(for_ranks.sizes.get("sample", 0)),
                     "loss_samples": int(for_loss.sizes.get("sample", 0)),
                     "rank_correlations": "spearman, prcc: from " + _thinned(n, RANK_SAMPLES) + ", Fisher-z intervals",
                     "loss_attribution": "loss_S1, loss_ks: from " + _thinned(n, LOSS_SAMPLES)})
    if echo is not None:
        echo("\n" + format_sensitivity(ds, sentence_labels(study.model, study.priors, study.period_days)))
    return ds


def _over_done(study, ds: xr.Dataset, echo: Callable[[str], None] | None) -> xr.Dataset:
    """A run over months: its table printed; no rank correlations or loss attribution (one value per sample)."""
    ds.attrs["notes"] = "\n".join(t for t in (ds.attrs["notes"], (
        f"Indices over {ds.attrs['over']}: one set per {ds.attrs['over']} on the same model runs; rank correlations "
        "and the loss attribution, which take one value per sample, are not computed.")) if t)
    if echo is not None:
        echo("\n" + format_sensitivity(ds, sentence_labels(study.model, study.priors, study.period_days)))
    return ds


def announce_switch(study, echo: Callable[[str], None] | None = None) -> str | None:
    """Say, before the study runs, that its ``[sensitivity]`` method will not run as asked.

    FAST and RBD-FAST with correlated inputs become Sobol' on the groups of correlated inputs,
    and any method but delta and PAWN becomes delta when every input is in one group
    (:func:`~mcrisk.analyze.sensitivity.switch_announcement`): one line with what, why, the model
    runs and their expected time. The table's notes repeat it.

    Parameters
    ----------
    study
        A loaded :class:`~mcrisk.study.runner.Study` with a ``"sensitivity"`` table.
    echo
        Called with the line (``"note: [sensitivity] ..."``); None: an
        :class:`~mcrisk.core.errors.MCRiskWarning`.

    Returns
    -------
    str or None
        The line, or None when the method runs as asked.
    """
    cfg = study.sensitivity
    line = switch_announcement(study.model, study.priors, method=cfg.method, n=cfg.samples,
                               calc_second_order=cfg.second_order, num_levels=cfg.num_levels,
                               num_resamples=cfg.num_resamples)
    if line is None:
        return None
    if echo is not None:
        echo(f"note: [sensitivity] {line}")
    else:
        warn(f"[sensitivity] {line}", MCRiskWarning, stacklevel=2)
    return line


def _thinned(n: int, cap: int) -> str:
    step = thin_step(n, cap)
    return f"the study's Monte Carlo run of {n:,} samples" if step == 1 else thinned_words(n, step)


def format_sensitivity(ds: xr.Dataset, labels: Labels | None = None) -> str:
    """The indices as a ranked text table, one block per output, with the notes below.

    Parameters
    ----------
    ds
        Sensitivity results over ``input`` (and ``output``), from :func:`run_configured` or
        :func:`~mcrisk.analyze.sensitivity.sensitivity`, with the attrs ``method``, ``samples``,
        ``model_runs`` and ``seed``.
    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`): each output by its label.

    Returns
    -------
    str
        Per output, a heading and the indices (dimensionless, ``value \u00b1 half-width``) in
        :func:`~mcrisk.analyze.sensitivity.rank_order`; then the loss event's probability and the notes.
    """
    lines = []
    outputs = list(ds.output.values) if "output" in ds.dims else [None]
    key = ds.attrs.get("rank_by", "ST")
    cols = [k for k in ("S1", "ST", "mu_star", "sigma", "delta", "median", "spearman", "prcc", "loss_S1", "loss_ks")
            if k in ds]
    for out in outputs:
        sub = ds.sel(output=out) if out is not None else ds
        if ds.attrs.get("over") in ds.dims:
            lines += [*_over_lines(sub, out if out is not None else ds.attrs.get("output", ""), labels), ""]
            continue
        order = rank_order(sub, key if key in sub else None)
        head = out if out is not None else ds.attrs.get("output", "")
        of = " of the groups of correlated inputs" if ds.attrs.get("indices_of") == "groups" else ""
        lines.append(f"Sensitivity of {words(str(head), labels)}: {ds.attrs['method']}, N = {ds.attrs['samples']:,} "
                     f"({ds.attrs['model_runs']:,} model runs), seed {ds.attrs['seed']}; ranked by {key}{of}")
        grouped = "group" in sub.coords
        rows = [["input", *(["group"] if grouped else []), *cols]]
        for i in order:
            group = [group_text(str(sub.group.values[i])) if sub.group.values[i] else ""] if grouped else []
            rows.append([str(sub.input.values[i]), *group, *[
                index_text(float(sub[c].values[i]), float(sub[f"{c}_conf"].values[i]) if f"{c}_conf" in sub else None)
                for c in cols]])
        lines += aligned(rows)
        if (top := top_factor(sub)) is not None and np.isfinite(top["value"]):
            lines.append(f"most influential: {factor_words(top)}")
        lines.append("")
    if "loss_event" in ds.attrs:
        p = np.atleast_1d(ds.attrs["loss_probability"])
        lines.append(f"loss event {ds.attrs['loss_event']}: probability {', '.join(f'{x:.4g}' for x in p)}")
    if ds.attrs.get("notes"):
        lines += [f"note: {t}" for t in ds.attrs["notes"].split("\n")]
    return "\n".join(lines).rstrip()


def _over_lines(sub: xr.Dataset, head: str, labels: Labels | None) -> list[str]:
    """One output's indices over months: the ranking index at up to seven months, and who decides when."""
    over, key = sub.attrs["over"], sub.attrs.get("rank_by", "ST")
    steps = shown_steps([int(m) for m in sub[over].values])
    of = " of the groups of correlated inputs" if sub.attrs.get("indices_of") == "groups" else ""
    lines = [f"Sensitivity of {words(str(head), labels)} by {over}: {sub.attrs['method']}, N = {sub.attrs['samples']:,} "
             f"({sub.attrs['model_runs']:,} model runs), seed {sub.attrs['seed']}; {key}{of} at each {over} shown, "
             f"ranked by its mean over the {over}s"]
    grouped = "group" in sub.coords
    rows = [["input", *(["group"] if grouped else []), *(f"{key} {over} {m}" for m in steps)]]
    for i in rank_order(sub):
        group = [group_text(str(sub.group.values[i])) if sub.group.values[i] else ""] if grouped else []
        rows.append([str(sub.input.values[i]), *group, *[
            index_text(float(sub[key].sel({over: m}).values[i]),
                       float(sub[f"{key}_conf"].sel({over: m}).values[i]) if f"{key}_conf" in sub else None)
            for m in steps]])
    lines += aligned(rows)
    if text := leaders_text(sub, lambda k: words(k, labels)):
        lines.append(f"most influential: {text}")
    return lines


def write_tables(ds: xr.Dataset, folder: str | Path) -> None:
    """Write ``sensitivity.nc`` (everything) and ``sensitivity.csv`` (one row per input, ranked; over
    months, one row per input and month, in long form).

    With second-order indices, ``sensitivity_s2.csv`` holds ``S2``/``S2_conf`` per input pair.

    Parameters
    ----------
    ds
        Sensitivity results over ``input`` (and ``output``, ``input2``).
    folder
        An existing folder; the files are overwritten.

    Returns
    -------
    None
    """
    folder = Path(folder)
    ds.to_netcdf(folder / "sensitivity.nc")
    flat = ds.drop_vars([k for k, v in ds.data_vars.items() if "input2" in v.dims])
    flat = flat.drop_dims("input2", errors="ignore")
    # each output's inputs in rank_order, outputs in their order
    parts = [flat.sel(output=o).isel(input=rank_order(flat.sel(output=o))) for o in flat.output.values] \
        if "output" in flat.dims else [flat.isel(input=rank_order(flat))]
    over = [ds.attrs["over"]] if ds.attrs.get("over") in ds.dims else []  # long form: one row per input and month
    frame = pd.concat([p.to_dataframe(dim_order=[d for d in ("output", "input", *over) if d in p.dims]).reset_index()
                       for p in parts], ignore_index=True)
    frame = frame[[c for c in ("output", "input", "group", *over) if c in frame] + [c for c in flat.data_vars]]
    frame.to_csv(folder / "sensitivity.csv", index=False, float_format="%.10g")
    if "S2" in ds:
        s2 = ds[["S2", "S2_conf"]].to_dataframe().reset_index().dropna(subset=["S2"])
        s2.to_csv(folder / "sensitivity_s2.csv", index=False, float_format="%.10g")
