"""Sensitivity over time: the indices of an output over ``(sample, month)``, one set per month.

``[sensitivity] over = "month"`` (or ``sensitivity(..., over="month")``) analyses each month's
column of a per-month output (``cumulative_cash``, ``profit``) with the same SALib method on the
same model runs: the result is over ``input`` x ``month`` (SALib users have asked for this
since 2022, SALib issue #525). A month the method cannot analyse, because the output takes one
value in every model run there (a constant month, zero variance) or SALib's analyzer fails on
it, has NaN indices and a note, never an error. The same works over ``hour`` for an hourly
model's outputs over ``(sample, hour)``.

:func:`variance_shares` turns the indices into each input's share of the variance by month,
for the stacked chart of :func:`mcrisk.report.plot.plot_sensitivity_over`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from mcrisk.analyze.groups import group_text
from mcrisk.analyze.ranking import rank_index, rank_order
from mcrisk.analyze.salib_methods import Method
from mcrisk.core.errors import MCRiskWarning, SpecError
from mcrisk.core.warned import guarded_warnings

__all__ = ["analyze_over", "check_outputs", "leaders", "leaders_text", "over_coords", "over_notes", "pow2", "shown_steps",
           "size_notes", "variance_shares"]

#: The first step of each dimension a model's outputs are over: months count from 1 (month 0 is
#: the upfront outlay), hours of the day from 0.
_FIRST = {"month": 1}
_SHOWN = 3  # months named in a note before "and k more"


def pow2(n: int) -> int:
    """The least power of 2 at or above ``n`` (at least 1): Sobol' designs balance only at powers of 2."""
    return 1 << max(int(n) - 1, 0).bit_length()


def over_coords(over: str, size: int) -> np.ndarray:
    """The labels of the steps of ``over``: months ``1..M``, hours (and others) ``0..n-1``.

    Parameters
    ----------
    over
        The dimension (``"month"``, ``"hour"``).
    size
        Its length.

    Returns
    -------
    numpy.ndarray of int
    """
    return np.arange(size) + _FIRST.get(over, 0)


def check_outputs(outputs: Sequence[str], results: dict, profiles: dict, over: str | None) -> None:
    """Refuse an output the analysis cannot take: over more than ``sample`` (unless ``over`` it), or none.

    Parameters
    ----------
    outputs
        The outputs asked for.
    results
        Output name -> values, the outputs evaluated.
    profiles
        Output name -> its dimensions besides ``sample``, for the outputs over more than ``sample``.
    over
        The dimension analysed step by step (``"month"``), or None.

    Raises
    ------
    SpecError
        One line naming the output and the outputs that can be analysed.
    """
    if over is not None:
        mine = [k for k, dims in profiles.items() if dims == (over,)]
        if bad := next((k for k in outputs if k not in mine), None):
            raise SpecError(f"sensitivity output = {bad!r} is not an output over (sample, {over}), which over = "
                            f"{over!r} analyses; outputs over it: {', '.join(mine) or '(none)'}")
        return
    if hourly := [k for k in outputs if k in profiles]:
        dims = profiles[hourly[0]]
        kind, span = "an hourly output" if dims == ("hour",) else "an output", ", ".join(("sample", *dims))
        raise SpecError(f"sensitivity output = {hourly[0]!r} is {kind} over ({span}); sensitivity analyses "
                        f"one value per sample, such as the daily totals: {', '.join(results)}")
    if missing := [k for k in outputs if k not in results]:
        raise SpecError(f"sensitivity output = {missing[0]!r} is not an output of the model; outputs: "
                        f"{', '.join(results)}")


def _steps(over: str, labels: Sequence[int]) -> str:
    shown = ", ".join(str(v) for v in labels[:_SHOWN])
    more = f" and {len(labels) - _SHOWN} more" if len(labels) > _SHOWN else ""
    return f"{over}{'s' if len(labels) > 1 else ''} {shown}{more}"


def analyze_over(analyze_one: Callable[[np.ndarray, list[str]], xr.Dataset], y: np.ndarray, *, over: str,
                 out: str, nan_keys: Sequence[str], factors: Sequence[str], notes: list[str]) -> xr.Dataset:
    """The indices of each step of ``over``: ``analyze_one`` on each column of ``y``, joined along ``over``.

    Parameters
    ----------
    analyze_one
        ``analyze_one(column, notes)``: the indices of one column over ``input`` (the
        analysis of one value per sample), appending its notes to ``notes``.
    y
        The output over ``(sample, over)``.
    over, out
        The dimension and the output's name, for the coordinate and the notes.
    nan_keys
        The index variables a step left out has (NaN) when no step could be analysed.
    factors
        What the indices are of (the inputs, or the groups), in order.
    notes
        Receives one note per kind of trouble, naming its steps (a month that is constant, one
        whose analysis failed or is NaN in some runs); the notes of one step are said once.

    Returns
    -------
    xarray.Dataset
        The indices over ``input`` (and ``input2``) and ``over``, NaN at a step not analysed.
    """
    labels = over_coords(over, y.shape[1])
    parts: list[xr.Dataset | None] = []
    constant, said = [], {}
    for j, label in enumerate(labels):
        col = np.asarray(y[:, j], dtype=float)
        finite = col[np.isfinite(col)]
        if finite.size and np.ptp(finite) == 0 and finite.size == col.size:
            constant.append(int(label))
            parts.append(None)
            continue
        mine: list[str] = []
        with guarded_warnings():  # one note per kind for all the steps, said below, not one per step
            warnings.simplefilter("ignore", MCRiskWarning)
            parts.append(analyze_one(col, mine))
        for text in mine:
            said.setdefault(_kind(text, out), []).append(int(label))
    if constant:
        one = len(constant) == 1
        notes.append(f"{out}: {_steps(over, constant)} {'takes' if one else 'take'} one value in every model run "
                     f"(nothing varies there); {'its' if one else 'their'} indices are NaN")
    for kind, steps in said.items():
        notes.append(f"{out} at {_steps(over, steps)}: {kind}")
    template = next((p for p in parts if p is not None), None)
    if template is None:
        template = xr.Dataset({k: ("input", np.full(len(factors), np.nan), {"units": "1"}) for k in nan_keys},
                              coords={"input": np.array(factors, dtype=object)})
    empty = xr.full_like(template, np.nan)
    ds = xr.concat([p if p is not None else empty for p in parts], dim=pd.Index(labels, name=over)).transpose(..., over)
    ds[over].attrs.update({"long_name": over, "units": over})
    return ds


def _kind(text: str, out: str) -> str:
    """A step's note in words that do not change from step to step, so each kind is said once."""
    if "NaN or infinite" in text:
        return "the output is NaN or infinite in some model runs; the indices there are not reliable"
    if "analyzer failed" in text:
        return (text.removeprefix(f"{out}: ").split(" (", 1)[0] + " (the output takes almost a single value); "
                "the indices there are NaN")
    return text.removeprefix(f"{out}: ")


def size_notes(ds: xr.Dataset, *, m: Method, method: str, n: int, out: str, notes: list[str]) -> None:
    """Notes on the intervals of ``ds``'s indices: too wide (over 0.1) or clearly negative, with the N that would help.

    Parameters
    ----------
    ds
        Indices over ``input`` (with ``*_conf`` half-widths).
    m, method, n
        The method, its name and the base N used.
    out
        The output's name to start each note, or ``""``.
    notes
        Receives the notes.
    """
    label = f"{out}: " if out else ""
    worst, wide, neg = 0.0, [], []
    scale = 1.0
    if method == "morris":  # mu_star is in output units: compare with 10% of the largest
        mu = np.asarray(ds["mu_star"].values, dtype=float)
        scale = float(np.max(mu[np.isfinite(mu)], initial=0.0)) or 1.0
    for k in m.indices:
        v, c = ds[k].values, ds[f"{k}_conf"].values if f"{k}_conf" in ds else None
        if c is None:
            continue
        for name, vi, ci in zip(ds.input.values, v, c, strict=True):
            w = 2 * ci / scale
            if np.isfinite(w) and w > 0.1:
                wide.append(f"{k}[{name}] = {vi:.3g} ± {ci:.2g}")
                worst = max(worst, w)
            if method != "morris" and np.isfinite(vi) and vi < -ci:
                neg.append(f"{k}[{name}] = {vi:.3g} ± {ci:.2g}")
    unit = "samples" if method != "morris" else "trajectories"
    if wide:
        more = int(np.ceil(n * (worst / 0.1) ** 2))
        more = pow2(more) if method == "sobol" else more
        rel = " of the largest mu_star" if method == "morris" else ""
        notes.append(f"{label}{len(wide)} confidence interval(s) are wider than 0.1{rel} ({', '.join(wide[:4])}"
                     f"{', ...' if len(wide) > 4 else ''}): too few {unit}. Intervals shrink like 1/sqrt(N); "
                     f"{unit} = {more:,} (now {n:,}) would bring the widest under 0.1")
    if neg:
        more = pow2(4 * n) if method == "sobol" else 4 * n
        notes.append(f"{label}{len(neg)} index(es) are clearly negative ({', '.join(neg[:4])}): an index cannot "
                     f"be, so the estimate is noise; try {unit} = {more:,} (now {n:,})")


def over_notes(part: xr.Dataset, over: str, sized: Callable[..., None], notes: list[str]) -> None:
    """The notes on the intervals of every step at once (too wide, clearly negative): ``size_notes`` on
    the indices flattened over ``input`` x ``over``, each entry named ``"input (month m)"``; ``sized(ds, notes=)``
    is :func:`size_notes` with the method bound."""
    keep = [k for k, v in part.data_vars.items() if v.dims == ("input", over)]
    names = [f"{i} ({over} {m})" for i in part.input.values for m in part[over].values]
    flat = xr.Dataset({k: ("input", np.asarray(part[k].transpose("input", over).values, dtype=float).ravel())
                       for k in keep}, coords={"input": np.array(names, dtype=object)}, attrs=part.attrs)
    sized(flat, notes=notes)


def variance_shares(ds: xr.Dataset) -> tuple[list[str], np.ndarray, np.ndarray, str]:
    """Each factor's share of the output's variance at each step of ``over``, for a stacked chart.

    Parameters
    ----------
    ds
        The indices of one output over ``input`` and ``ds.attrs["over"]`` (select an output first).

    Returns
    -------
    factors : list of str
        The inputs, or the groups of correlated inputs (``"{a, b}"``), in :func:`rank_order` order.
    shares : numpy.ndarray
        Shape (factors, steps): first-order indices ``S1`` where the method gives them (Sobol',
        FAST, RBD-FAST, delta), clipped at 0 and, where their sum exceeds 1 (noise), scaled to sum
        to 1; for Morris and PAWN, each factor's part of the sum of the ranking index. NaN at a
        step not analysed.
    rest : numpy.ndarray
        Per step, ``1 - sum(shares)``: interactions and what the first-order indices leave
        unexplained (0 for Morris and PAWN, whose shares sum to 1).
    what : str
        What the shares are, in words, for the chart's axis.

    Notes
    -----
    For a model linear in independent inputs, ``S1_i = a_i^2 var_i / sum_j a_j^2 var_j``: each
    input's share of the variance exactly, and ``rest`` is 0.
    """
    over = ds.attrs["over"]
    key = "S1" if "S1" in ds else ds.attrs.get("rank_by", "ST")
    order = rank_order(ds)
    if "group" in ds.coords and ds.attrs.get("indices_of") == "groups":  # members carry their group's index
        seen, pick = set(), []
        for i in order:
            g = str(ds.group.values[i]) or str(ds.input.values[i])
            if g not in seen:
                seen.add(g)
                pick.append((group_text(g), i))
    else:
        pick = [(str(ds.input.values[i]), i) for i in order]
    v = np.asarray(ds[key].transpose("input", over).values, dtype=float)[[i for _, i in pick]]
    v = np.abs(v) if key != "S1" else np.clip(v, 0, None)
    total = np.nansum(v, axis=0)
    bad = np.all(np.isnan(v), axis=0)
    if key == "S1":
        scale = np.where(total > 1, total, 1.0)
        what = "Share of the variance (S1)"
    else:
        scale = np.where(total > 0, total, np.nan)
        what = f"Share of the summed {key}"
    shares = v / scale
    rest = np.clip(1 - np.nansum(shares, axis=0), 0, None)
    shares[:, bad] = np.nan
    rest[bad] = np.nan
    return [p for p, _ in pick], shares, rest, what


def leaders(ds: xr.Dataset) -> list[tuple[str, int, int]]:
    """Which input decides in which steps: runs of consecutive steps with the same largest index.

    Parameters
    ----------
    ds
        The indices of one output over ``input`` and ``ds.attrs["over"]``.

    Returns
    -------
    list of (str, int, int)
        ``(input or "{group}", first step, last step)`` in step order, by the method's ranking
        index (``ST`` for Sobol'); steps not analysed (NaN) end a run and belong to none.
    """
    over, key = ds.attrs["over"], rank_index(ds)
    if key is None:
        return []
    v = np.abs(np.asarray(ds[key].transpose("input", over).values, dtype=float))
    grouped = "group" in ds.coords and ds.attrs.get("indices_of") == "groups"
    names = [group_text(str(g)) if grouped and g else str(i) for i, g in
             zip(ds.input.values, ds.group.values if "group" in ds.coords else [""] * ds.sizes["input"], strict=True)]
    runs: list[tuple[str, int, int]] = []
    last = None
    for j, step in enumerate(int(m) for m in ds[over].values):
        col = v[:, j]
        who = names[int(np.nanargmax(col))] if np.isfinite(col).any() else None
        if who is not None and last is not None and runs and runs[-1][0] == who and last == j - 1:
            runs[-1] = (who, runs[-1][1], step)
        elif who is not None:
            runs.append((who, step, step))
        last = j if who is not None else None
    return runs


def leaders_text(ds: xr.Dataset, name: Callable[[str], str] = str) -> str:
    """Which input decides when, in words: ``"x1 in months 1-3, x2 in months 4-6"``.

    Parameters
    ----------
    ds
        As for :func:`leaders`.
    name
        Maps an input's name to the words shown (a plain label).

    Returns
    -------
    str
        ``""`` when no step was analysed.
    """
    over = ds.attrs["over"]
    parts = [f"{name(who)} in {over} {a}" if a == b else f"{name(who)} in {over}s {a}-{b}" for who, a, b in leaders(ds)]
    return ", ".join(parts)


def shown_steps(labels: Sequence[int], most: int = 7) -> list[int]:
    """At most ``most`` steps spread evenly from the first to the last (a table's columns).

    Parameters
    ----------
    labels
        The steps (months 1..M).
    most
        How many to show.

    Returns
    -------
    list of int
    """
    labels = list(labels)
    if len(labels) <= most:
        return labels
    at = np.unique(np.round(np.linspace(0, len(labels) - 1, most)).astype(int))
    return [labels[i] for i in at]
