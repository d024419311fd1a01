"""Scenario discovery: in which combinations of inputs does the event (a loss) happen?

:func:`scenarios` runs the Patient Rule Induction Method (PRIM; Friedman and Fisher 1999) on a
study's stored samples: the uncertain inputs, and the indicator of the event (``output < 0`` by
default). PRIM peels thin slices off a box, one input's edge at a time, keeping the peel that
raises the box's density most, and records the *peeling trajectory*: for each step, the
**coverage** (share of all the event's cases inside the box) and the **density** (share of the
box's cases that have the event). A person picks the trade-off on that curve; mcrisk picks by a
stated rule, :data:`RULE`. Further boxes are found in the cases outside the earlier ones (the
covering approach), their coverage still a share of *all* the event's cases.

The peeling and pasting are :func:`mcrisk.analyze.prim.trajectory`, PRIM as the EMA Workbench
(Kwakkel 2017) runs it with its defaults, written here in numpy so that a run needs neither the
Workbench nor its dependencies; ``tests/test_prim.py`` checks that it gives the Workbench's
trajectory and boxes step for step.

Correlated inputs are fine: PRIM describes where the event's cases lie among the samples as
drawn, whatever their dependence (a box on one of two correlated inputs also selects the other;
the sentence names only the edges PRIM peeled).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd
import xarray as xr

from mcrisk.analyze.prim import in_box, trajectory
from mcrisk.core.events import Event, parse_event
from mcrisk.core.events import event_words as _event_words
from mcrisk.core.errors import SpecError
from mcrisk.core.text import Labels, format_value, percent_text, words

__all__ = ["RULE", "box_sentence", "event_mask", "event_words", "scenario_frame", "scenarios",
           "trajectory_frame"]

#: How a box is picked on each peeling trajectory.
RULE = ("among the steps that restrict at least one input and reach density >= threshold_density and "
        "coverage >= threshold_coverage, the one of largest coverage (the densest among ties)")


def event_mask(y: np.ndarray, event: str | Event) -> np.ndarray:
    """Where the event happens: ``y < x`` or ``y > x`` for the event ``"< x"`` or ``"> x"``.

    Parameters
    ----------
    y
        The output's samples.
    event
        ``"< x"``, ``"> x"`` (and so on, :func:`mcrisk.core.events.parse_event`), ``x`` in the
        output's unit; or a parsed :class:`~mcrisk.core.events.Event`.

    Returns
    -------
    numpy.ndarray of bool
        True where the event happens (False where ``y`` is NaN).
    """
    ev = parse_event(event, "event:") if isinstance(event, str) else event
    with np.errstate(invalid="ignore"):
        return np.asarray(ev.happens(y), dtype=bool)


def _uncertain(results: xr.Dataset) -> list[str]:
    return [k for k, v in results.data_vars.items()
            if v.attrs.get("role") == "input" and "sample" in v.dims and np.ptp(v.values) > 0]


def scenarios(results: xr.Dataset, *, output: str | None = None, event: str | Event = "< 0",
              threshold_density: float = 0.8, threshold_coverage: float = 0.0, max_boxes: int = 3,
              mass_min: float = 0.05, bounds: Mapping[str, tuple[float, float]] | None = None) -> xr.Dataset:
    """PRIM boxes of the event on a study's samples, each with its coverage and density.

    Parameters
    ----------
    results
        Results over ``sample`` (inputs with ``role = "input"``, the output); every varying input
        takes part.
    output
        The output (default ``results.attrs["output"]``).
    event
        ``"< x"``, ``"> x"``, ``"OUTPUT < x"``, ... (:func:`mcrisk.core.events.parse_event`) in
        the output's unit as stored (money per day), or a parsed event; an event naming an
        output gives the output when ``output`` is None.
    threshold_density, threshold_coverage
        The box picked on each trajectory: see :data:`RULE`. Shares in [0, 1].
    max_boxes
        At most this many boxes; the search stops earlier when no step of a trajectory meets
        the thresholds.
    mass_min
        PRIM stops peeling when the box would hold less than this share of the samples (the
        Workbench's default 0.05); lower it for an event rarer than that.
    bounds
        Per input, the prior's support ``(low, high)``: the value written for an edge PRIM did
        not peel. Default: the samples' minimum and maximum.

    Returns
    -------
    xarray.Dataset
        Over ``box`` and ``input``: ``low``, ``high`` (input units; the ``unit`` coordinate) and
        ``restricted``; over ``box``: ``coverage``, ``density``, ``mass`` (share of all samples in
        the box), ``cases`` (samples in the box), ``n_restricted``, ``step`` (the trajectory step
        picked); over ``(box, step_index)``: the trajectory ``trajectory_coverage``,
        ``trajectory_density`` and ``trajectory_restricted`` (NaN past its end). Attrs:
        ``output``, ``units``, ``event``, ``base_density`` (the event's share of all samples),
        ``event_cases``, ``samples``, ``rule``, and ``note`` when no box was found.

    Notes
    -----
    For a box :math:`B` and event indicator :math:`e_i`,

    .. math:: \\text{coverage} = \\frac{\\sum_{i\\in B} e_i}{\\sum_i e_i}, \\qquad
              \\text{density} = \\frac{\\sum_{i\\in B} e_i}{|B|}, \\qquad
              \\text{mass} = \\frac{|B|}{n}.

    PRIM with the EMA Workbench's defaults: peel and paste alpha 0.05 (each peel removes 5% of
    the box's samples), minimum mass ``mass_min``.

    References
    ----------
    Friedman, J. H. and Fisher, N. I. (1999). Bump hunting in high-dimensional data.
    Statistics and Computing 9, 123-143. Kwakkel, J. H. (2017). The Exploratory Modeling
    Workbench. Environmental Modelling & Software 96, 239-250.

    Examples
    --------
    >>> box = scenarios(run.results, event="< 0")          # doctest: +SKIP
    >>> float(box.coverage[0]), float(box.density[0])      # doctest: +SKIP
    (0.71, 0.92)
    """
    ev = parse_event(event, "scenarios:") if isinstance(event, str) else event
    output = output or ev.output or results.attrs.get("output")
    if ev.output not in (None, output):
        raise SpecError(f"scenarios: event = {ev.text!r} is of {ev.output}, but output = {output!r}")
    event = ev.condition
    if output not in results:
        raise SpecError(f"scenarios: output = {output!r} is not in the results")
    for key, value in (("threshold_density", threshold_density), ("threshold_coverage", threshold_coverage)):
        if not 0 <= value <= 1:
            raise SpecError(f"scenarios: {key} = {value!r} must be a share from 0 to 1")
    y = np.asarray(results[output].values, dtype=float).ravel()
    ok = np.isfinite(y)
    hit = event_mask(y, ev)[ok]  # the event as read: its threshold in the stored unit
    names = _uncertain(results)
    x = np.empty((hit.size, len(names)))
    for j, k in enumerate(names):
        x[:, j] = np.asarray(results[k].values, dtype=float).ravel()[ok]
    units = [str(results[k].attrs.get("units", "")) for k in names]
    lo_hi = {k: (float(x[:, j].min()), float(x[:, j].max())) if hit.size else (np.nan, np.nan)
             for j, k in enumerate(names)}
    lo_hi.update({k: tuple(map(float, v)) for k, v in (bounds or {}).items() if k in lo_hi})
    attrs = {"output": output, "units": str(results[output].attrs.get("units", "")), "event": event,
             **({"event_unit": ev.unit} if ev.unit else {}),
             **({"event_limit": ev.limit} if ev.limit != ev.threshold else {}),  # the threshold as stored
             "base_density": float(hit.mean()) if hit.size else float("nan"), "event_cases": int(hit.sum()),
             "samples": int(hit.size), "rule": RULE, "threshold_density": float(threshold_density),
             "threshold_coverage": float(threshold_coverage), "mass_min": float(mass_min)}

    boxes: list[dict] = []
    note = _no_box_reason(hit, names, output, event)
    if note is None:
        boxes = _find_boxes(x, hit, threshold_density, threshold_coverage, max_boxes, mass_min)
        if not boxes:
            note = (f"no box: no step of the peeling trajectory reaches density >= {threshold_density:g} "
                    f"with coverage >= {threshold_coverage:g} ({output} {event} in "
                    f"{percent_text(attrs['base_density'])} of all samples)")
    if note:
        attrs["note"] = note
    return _dataset(boxes, names, units, lo_hi, attrs)


def _no_box_reason(hit: np.ndarray, names: list[str], output: str, event: str) -> str | None:
    if not hit.any():
        return f"no box to find: {output} {event} in none of the {hit.size:,} samples (the event is impossible here)"
    if hit.all():
        return (f"no box to find: {output} {event} in every sample ({hit.size:,} of {hit.size:,}; the event is "
                "certain here)")
    if not names:
        return "no box to find: no input varies"
    return None


def _find_boxes(x: np.ndarray, hit: np.ndarray, dens: float, cov: float, max_boxes: int,
                mass_min: float) -> list[dict]:
    """Up to ``max_boxes`` boxes by the covering approach, each picked on its trajectory by :data:`RULE`."""
    remaining = np.ones(hit.size, dtype=bool)
    init = (x.min(axis=0), x.max(axis=0))
    found = []
    for _ in range(max_boxes):
        if not remaining.any():
            break
        t = trajectory(x, hit, remaining, peel_alpha=0.05, paste_alpha=0.05, mass_min=mass_min)
        if not t.density[-1] >= dens:  # PRIM's last box is below the threshold: the search ends
            break
        res_dim = t.restricted.sum(axis=1)
        ok = (res_dim >= 1) & (t.density >= dens - 1e-12) & (t.coverage >= cov - 1e-12)
        if not ok.any():
            break
        c, d = t.coverage, t.density
        step = max(np.flatnonzero(ok), key=lambda i: (c[i], d[i], -i))
        # the covering approach: the next box is looked for outside this one
        remaining &= ~in_box(x, t.low[step], t.high[step])
        found.append({"low_r": t.low[step] > init[0], "high_r": t.high[step] < init[1], "step": int(step),
                      "coverage": float(c[step]), "density": float(d[step]), "mass": float(t.mass[step]),
                      "cases": int(t.cases[step]), "low": t.low[step], "high": t.high[step],
                      "traj": (c, d, res_dim.astype(float))})
    return found


def _dataset(boxes: list[dict], names: list[str], units: list[str], lo_hi: dict, attrs: dict) -> xr.Dataset:
    nb, ni = len(boxes), len(names)
    low = np.empty((nb, ni))
    high = np.empty((nb, ni))
    low_r = np.zeros((nb, ni), dtype=bool)
    high_r = np.zeros((nb, ni), dtype=bool)
    width = max((len(b["traj"][0]) for b in boxes), default=0)
    traj = np.full((3, nb, width), np.nan)
    for i, b in enumerate(boxes):
        low_r[i], high_r[i] = b["low_r"], b["high_r"]
        # an edge PRIM left at the samples' extreme is written as the prior's bound
        low[i] = np.where(low_r[i], b["low"], [lo_hi[k][0] for k in names])
        high[i] = np.where(high_r[i], b["high"], [lo_hi[k][1] for k in names])
        for r, arr in enumerate(b["traj"]):
            traj[r, i, :arr.size] = arr
    box = np.arange(1, nb + 1)
    restricted = low_r | high_r
    ds = xr.Dataset(
        {"low": (("box", "input"), low, {"long_name": "lower edge of the box", "units": "input units"}),
         "high": (("box", "input"), high, {"long_name": "upper edge of the box", "units": "input units"}),
         "restricted": (("box", "input"), restricted, {"long_name": "PRIM peeled this input", "units": "1"}),
         "low_restricted": (("box", "input"), low_r, {"long_name": "PRIM raised the lower edge", "units": "1"}),
         "high_restricted": (("box", "input"), high_r, {"long_name": "PRIM lowered the upper edge",
                                                        "units": "1"}),
         "coverage": ("box", np.array([b["coverage"] for b in boxes]),
                      {"long_name": "share of all the event's cases inside the box", "units": "1"}),
         "density": ("box", np.array([b["density"] for b in boxes]),
                     {"long_name": "share of the box's cases with the event", "units": "1"}),
         "mass": ("box", np.array([b["mass"] for b in boxes]),
                  {"long_name": "share of all samples inside the box", "units": "1"}),
         "cases": ("box", np.array([b["cases"] for b in boxes], dtype=int),
                   {"long_name": "samples inside the box", "units": "samples"}),
         "n_restricted": ("box", restricted.sum(axis=1), {"long_name": "inputs restricted", "units": "inputs"}),
         "step": ("box", np.array([b["step"] for b in boxes], dtype=int),
                  {"long_name": "step of the peeling trajectory picked", "units": "1"}),
         "trajectory_coverage": (("box", "step_index"), traj[0], {"long_name": "coverage along the peeling",
                                                                   "units": "1"}),
         "trajectory_density": (("box", "step_index"), traj[1], {"long_name": "density along the peeling",
                                                                 "units": "1"}),
         "trajectory_restricted": (("box", "step_index"), traj[2],
                                   {"long_name": "inputs restricted along the peeling", "units": "inputs"})},
        coords={"box": box, "input": names, "unit": ("input", units)}, attrs=attrs)
    return ds


def box_sentence(ds: xr.Dataset, box: int, labels: Labels | None = None) -> str:
    """One box in plain words, with units.

    ``"loss in 92% of cases when decode tps per node < 4.1k tokens/s and paid share < 35.0%;
    71% of all losses lie there"``. A later box speaks of the cases outside the boxes before it,
    where PRIM looked for it; its coverage is still a share of all the event's cases.

    Parameters
    ----------
    ds
        From :func:`scenarios`.
    box
        The box number (1 for the first).
    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the variables named; None: names in words.
    Returns
    -------
    str
        The sentence.
    """
    b = ds.sel(box=box)
    what = event_words(ds, labels)
    parts = []
    for k in ds.input.values[b.restricted.values]:
        unit = str(ds.unit.sel(input=k).values)
        lo, hi = float(b.low.sel(input=k)), float(b.high.sel(input=k))
        name = words(str(k), labels)
        lo_set, hi_set = bool(b.low_restricted.sel(input=k)), bool(b.high_restricted.sel(input=k))
        if lo_set and hi_set:
            parts.append(f"{name} between {format_value(lo, unit)} and {format_value(hi, unit)}")
        elif hi_set:
            parts.append(f"{name} < {format_value(hi, unit)}")
        else:
            parts.append(f"{name} > {format_value(lo, unit)}")
    beyond = "" if box == 1 else f"outside box{'es 1-' if box > 2 else ' '}{box - 1}: "
    return (f"{beyond}{what} in {percent_text(float(b.density))} of cases when " + " and ".join(parts)
            + f"; {percent_text(float(b.coverage))} of all {_plural(what)} lie there")


def event_words(ds: xr.Dataset, labels: Labels | None = None) -> str:
    """The event in words: ``"loss"`` or ``"profit"`` for a profit or margin against 0, else ``"<output> < x"``.

    Parameters
    ----------
    ds
        From :func:`scenarios`.

    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the variables named; None: names in words.

    Returns
    -------
    str
        The words.
    """
    ev = parse_event(ds.attrs["event"], "event:")
    return _event_words(replace(ev, unit=str(ds.attrs.get("event_unit", ""))), str(ds.attrs["output"]), labels)


def _plural(what: str) -> str:
    return {"loss": "losses", "profit": "profitable cases"}.get(what, f"cases of {what}")


def scenario_frame(ds: xr.Dataset) -> pd.DataFrame:
    """``scenarios.csv``: one row per restricted input of each box.

    Parameters
    ----------
    ds
        From :func:`scenarios`.

    Returns
    -------
    pandas.DataFrame
        Columns ``box``, ``input``, ``low``, ``high`` (input units; an edge PRIM did not peel is
        the prior's bound), ``unit``, ``coverage``, ``density``, ``n_restricted``.
    """
    rows = []
    for b in ds.box.values:
        s = ds.sel(box=b)
        for k in ds.input.values[s.restricted.values]:
            rows.append({"box": int(b), "input": str(k), "low": float(s.low.sel(input=k)),
                         "high": float(s.high.sel(input=k)), "unit": str(ds.unit.sel(input=k).values),
                         "coverage": float(s.coverage), "density": float(s.density),
                         "n_restricted": int(s.n_restricted)})
    return pd.DataFrame(rows, columns=["box", "input", "low", "high", "unit", "coverage", "density",
                                       "n_restricted"])


def trajectory_frame(ds: xr.Dataset) -> pd.DataFrame:
    """``scenarios_trajectory.csv``: every step of each box's peeling trajectory, to pick another trade-off.

    Parameters
    ----------
    ds
        From :func:`scenarios`.

    Returns
    -------
    pandas.DataFrame
        Columns ``box``, ``step``, ``coverage``, ``density``, ``n_restricted``, ``picked``
        (True at the step :data:`RULE` picked). ``mcrisk scenarios --threshold-density`` picks
        another.
    """
    rows = []
    for b in ds.box.values:
        s = ds.sel(box=b)
        c, d, r = s.trajectory_coverage.values, s.trajectory_density.values, s.trajectory_restricted.values
        rows += [{"box": int(b), "step": i, "coverage": float(c[i]), "density": float(d[i]), "n_restricted": int(r[i]),
                  "picked": i == int(s.step)} for i in np.flatnonzero(np.isfinite(c))]
    return pd.DataFrame(rows, columns=["box", "step", "coverage", "density", "n_restricted", "picked"])
