"""Global sensitivity analysis: which assumption drives the output (SALib on the unit cube).

SALib's samplers and analyzers only ever see ``[0, 1]^d``: each design row is mapped through
every prior's inverse CDF (:func:`mcrisk.sampling.design.to_values`), so every family mcrisk knows
works with every method. Constants are not factors; they go to the model as scalars. One set
of model runs serves every output asked for.

=========  ===========================================  ==================================
method     design (rows for base N, D inputs)           variables
=========  ===========================================  ==================================
sobol      Saltelli/Sobol' ``N (G + 2)``, or ``N (2G+2)``  S1, S1_conf, ST, ST_conf (S2, S2_conf)
morris     ``N`` trajectories, ``N (G + 1)``            mu, mu_star, mu_star_conf, sigma
fast       eFAST ``N D``                                S1, S1_conf, ST, ST_conf
rbd_fast   Latin hypercube ``N``                        S1, S1_conf
delta      Latin hypercube ``N`` (copula if correlated)  delta, delta_conf, S1, S1_conf
pawn       Latin hypercube ``N`` (copula if correlated)  minimum, mean, median, maximum, CV
=========  ===========================================  ==================================

``G`` is the number of factors: the ``D`` inputs, or, when the priors declare rank
correlations, the groups of correlated inputs (:func:`~mcrisk.analyze.groups.correlation_groups`).
With correlations each method attributes as follows (the ``notes`` attr says which, and a
``group`` coordinate over ``input`` names each input's group, ``""`` for an input on its own):

* ``sobol`` and ``morris`` attribute to the groups: SALib's design moves a group's columns
  together on the independent unit cube and the copula is applied to each row after, so a
  group's Sobol' indices are exact (the copula's factor is block-diagonal over the groups). Each
  member's row carries its group's index.
* ``delta`` and ``pawn`` are defined for dependent inputs and run one input at a time on the
  correlated sample; the indices of a group's members overlap (each includes what it shares).
* ``fast`` and ``rbd_fast`` assume independent inputs and SALib's take no groups: the run
  becomes ``sobol`` on the groups, for about the same model runs, and says so before the model
  runs (``announce``, else an :class:`~mcrisk.core.errors.MCRiskWarning`) with the expected time.
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import xarray as xr
from tqdm import tqdm

from mcrisk.core.errors import MCRiskWarning, SpecError, clip
from mcrisk.models import output_unit
from mcrisk.spec.callcheck import conform_call
from mcrisk.spec.priors import Priors
from mcrisk.analyze.rankcorr import quiet_salib, salib_seed
from mcrisk.analyze.groups import correlation_groups, group_note, group_text, on_inputs, switch_text
from mcrisk.analyze.ranking import rank_order, top_factor
from mcrisk.analyze.salib_methods import INDEX_MEANINGS, METHODS, Method, get_method
from mcrisk.analyze.sensitivity_over import analyze_over, check_outputs, over_notes, size_notes
from mcrisk.analyze.sensitivity_over import pow2 as _pow2
from mcrisk.distributions.copula import apply_copula, copula_factor
from mcrisk.sampling.design import normalize_seed, to_values, unit_design
from mcrisk.core.validate import SensitivityMethod
from mcrisk.core.warned import guarded_warnings, warn
from mcrisk.simulation.evaluate import call_model, check_inputs, model_outputs

# rank_order and top_factor live in mcrisk.analyze.ranking; imported from here as before.
__all__ = ["rank_order", "sensitivity", "switch_announcement", "top_factor"]

_LO, _HI = 2.0**-54, 1 - 2.0**-53  # keep u off 0 and 1, where unbounded ppfs are infinite
_CHUNK = 2**16


def _to_unit(method: str, u: np.ndarray, o: dict) -> np.ndarray:
    if method == "morris":  # levels l/(L-1) -> the midpoints (l + 1/2)/L of L equal-probability strata
        L = o["num_levels"]
        return (u * (L - 1) + 0.5) / L
    return np.clip(u, _LO, _HI)


def _evaluate(model, priors: Priors, x: np.ndarray, names: tuple[str, ...], correlated: bool,
              progress: bool, over: str | None = None) -> tuple[dict[str, np.ndarray], dict[str, tuple[str, ...]]]:
    """The per-sample outputs on the rows ``x`` (and those over ``over``), and the dimensions of
    the outputs over more than ``sample``.

    An output declared over more than ``sample`` (an hourly model's ``(sample, hour)``) is not
    analysed unless ``over`` names its dimension: analyses take the daily totals.
    """
    consts = {k: float(p.params["value"]) for k, p in priors.items() if k not in names}
    meta = getattr(model, "outputs", None) or {}
    profiles = {k: tuple(v.dims) for k, v in meta.items() if getattr(v, "dims", ())}
    spans = [(a, min(a + _CHUNK, len(x))) for a in range(0, len(x), _CHUNK)] if progress else [(0, len(x))]
    parts: list[dict] = []
    for a, b in tqdm(spans, desc="sensitivity", unit="chunk", leave=False, disable=len(spans) < 2):
        if correlated:  # x already carries the copula; map each marginal only
            values = {k: priors[k].ppf(x[a:b, i]) for i, k in enumerate(names)}
        else:
            values = to_values(priors, x[a:b], names)
        res = model_outputs(model, call_model(model, {**consts, **values}), b - a)
        parts.append({k: v for k, v in res.items() if k not in profiles or profiles[k] == (over,)})
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}, profiles


def _switch(m: Method, method: str, n: int, d: int, groups: list[str], o: dict) -> tuple[str, Method, int, bool]:
    """The method that runs, its N and whether it was switched, for about the same model runs.

    FAST and RBD-FAST take no groups: with correlated inputs they become Sobol' on the groups.
    When every input is in one group, the group's index is the whole variance and ranks
    nothing (SALib ignores a single group): Sobol', Morris, FAST and RBD-FAST become delta.
    """
    if len(set(groups)) == d or m.dependent or (m.groups and len(set(groups)) > 1):
        return method, m, n, False
    budget = m.rows(_pow2(n) if method == "sobol" else n, d, o)
    if len(set(groups)) == 1:
        target = METHODS["delta"]
        return "delta", target, max(budget, target.min_samples), True
    target = METHODS["sobol"]
    return "sobol", target, max(_pow2(-(-budget // target.rows(1, len(set(groups)), o))), target.min_samples), True


def switch_announcement(model: Callable, priors: Priors, *, method: SensitivityMethod, n: int | None = None,
                        calc_second_order: bool = False, num_levels: int = 4, num_resamples: int = 100) -> str | None:
    """The line that announces, before anything runs, that :func:`sensitivity` will switch method.

    Parameters
    ----------
    model, priors, method, n, calc_second_order, num_levels, num_resamples
        As for :func:`sensitivity`.

    Returns
    -------
    str or None
        With correlated inputs, FAST or RBD-FAST (which take no groups), or any method but delta
        and PAWN when every input is in one group: what runs instead, why, N, the model runs
        and their expected time from a pilot of up to 512 rows on a Latin hypercube (with
        delta's analysis of them); None when the method runs as asked.
    """
    m = get_method(method)
    with guarded_warnings():  # sensitivity() itself says what conform_call has to say
        warnings.simplefilter("ignore", MCRiskWarning)
        priors, _ = conform_call(model, priors, where="sensitivity")
    names = priors.uncertain
    o = {"second_order": bool(calc_second_order), "num_levels": int(num_levels), "num_resamples": int(num_resamples),
         "conf_level": 0.95}
    groups = correlation_groups(priors.correlations, names)
    target, m, n, switched = _switch(m, method, m.default_samples if n is None else int(n), len(names), groups, o)
    if not switched:
        return None
    runs = m.rows(n, len(set(groups)), o)
    x = np.clip(unit_design("lhs", len(names), min(runs, 512), seed=1), _LO, _HI)
    if priors.correlations:
        x = apply_copula(x, copula_factor(priors.correlations, names))
    seconds = _pilot_seconds(model, priors, x, names, bool(priors.correlations), target, o) * runs / len(x)
    return switch_text(method, target, priors.correlations, groups, n, runs, seconds)


def _pilot_seconds(model, priors: Priors, x: np.ndarray, names, correlated: bool, method: str, o: dict) -> float:
    """Seconds for the model on the rows ``x``, and for delta's analysis of them (a pilot: outputs dropped)."""
    t0 = time.perf_counter()
    results, _ = _evaluate(model, priors, x, names, correlated, False)
    y = next((v for v in results.values() if np.isfinite(v).all() and np.ptp(v) > 0), None)
    if method == "delta" and y is not None and len(x) >= METHODS["delta"].min_samples:
        problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
        try:
            with quiet_salib():
                METHODS["delta"].analyze(problem, x, y, 1, o)
        except (np.linalg.LinAlgError, ValueError):  # a (nearly) constant column: the run will say so
            pass
    return time.perf_counter() - t0


def _analyze_output(m, method: str, problem: dict, u: np.ndarray, x: np.ndarray, y: np.ndarray, *, out: str,
                    seed: int, o: dict, info: list[str], notes: list[str], unit: str,
                    factors: list[str]) -> xr.Dataset:
    """The indices of output ``out`` over ``input``: NaN, with a note, where SALib's analyzer fails.

    ``u`` is the design on the unit cube (Morris analyses it), ``x`` the rows the model ran on,
    ``unit`` the indices' unit ("1", or the output's per unit quantile for Morris), ``factors``
    what SALib attributes to: the inputs, or the groups of ``problem["groups"]`` in their order.
    """
    names, d = factors, len(factors)
    if bad := int(np.count_nonzero(~np.isfinite(y))):
        text = f"{out} is NaN or infinite in {bad:,} of {len(y):,} model runs; its indices are not reliable"
        notes.append(text)
        warn(text, MCRiskWarning, stacklevel=3)
    try:
        with quiet_salib(info):
            s = m.analyze(problem, u if method == "morris" else x, y, seed, o)
    except (np.linalg.LinAlgError, ValueError) as exc:  # delta's densities of a (nearly) constant column
        text = (f"{out}: SALib's {method} analyzer failed ({clip(' '.join(str(exc).split()))}): an input or "
                "the output takes (almost) a single value; its indices are left out (NaN)")
        notes.append(text)
        warn(text, MCRiskWarning, stacklevel=3)
        s = {k: np.full(d, np.nan) for i in dict.fromkeys((*m.indices, m.rank_by)) for k in (i, f"{i}_conf")}
    part = xr.Dataset(coords={"input": np.array(names, dtype=object)})
    for k, v in s.items():
        if k in ("names", "notes") or v is None:
            continue
        v = np.asarray(v, dtype=float)
        base = k.removesuffix("_conf")
        attrs = {"units": unit, "long_name": INDEX_MEANINGS.get(base, base) + (" (half-width of the interval)"
                                                                   if k.endswith("_conf") else "")}
        part[k] = (("input", "input2"), v, attrs) if v.ndim == 2 else ("input", v, attrs)
    if "input2" in part.dims:
        part = part.assign_coords(input2=np.array(names, dtype=object))
    return part


def _analyze_one(j: int, out: str, *, model, m: Method, method: str, problem: dict, u: np.ndarray, x: np.ndarray,
                 y: np.ndarray, seed: int, o: dict, info: list[str], notes: list[str], n: int, names, groups,
                 by_group: bool, over: str | None, several: bool, currency: str | None) -> xr.Dataset:
    """Output ``out``'s indices over ``input`` (and ``over``: one set per month), its notes said as warnings."""
    unit = f"{output_unit(model, out, currency)} per unit quantile".strip() if method == "morris" else "1"
    factors = [group_text(g) for g in dict.fromkeys(groups)] if by_group else list(names)
    before = len(notes)
    one = functools.partial(_analyze_output, m, method, problem, u, x, out=out, seed=salib_seed(seed, 1 + j), o=o,
                            info=info, unit=unit, factors=factors)
    sized = functools.partial(size_notes, m=m, method=method, n=n, out=out if several else "")
    if over is None:
        part = one(y, notes=notes)
        sized(part, notes=notes)
    else:  # one set of indices per month, the notes of all months said once
        part = analyze_over(lambda col, mine: one(col, notes=mine), y, over=over, out=out, factors=factors,
                            nan_keys=[k for i in dict.fromkeys((*m.indices, m.rank_by)) for k in (i, f"{i}_conf")],
                            notes=notes)
        over_notes(part, over, sized, notes)
    for text in notes[before:]:
        warn(text, MCRiskWarning, stacklevel=3)
    return on_inputs(part, names, groups, by_group) if len(set(groups)) < len(names) else part


def _joined(parts: list[xr.Dataset], outputs: Sequence[str]) -> xr.Dataset:
    """One output's indices, or several along ``output`` (an output whose analysis failed has only
    the NaN main indices: the others are filled with NaN to align)."""
    if len(parts) == 1:
        return parts[0]
    every = dict.fromkeys(k for p in parts for k in p.data_vars)
    parts = [p.assign({k: xr.full_like(next(q[k] for q in parts if k in q), np.nan) for k in every
                       if k not in p}) for p in parts]
    ds = xr.concat(parts, dim=pd.Index(outputs, name="output"))
    return ds.assign_coords(output=np.array(outputs, dtype=object))


def sensitivity(model: Callable, priors: Priors, *, output: str | Sequence[str], method: SensitivityMethod = "sobol",
                n: int | None = None, rng: int | np.random.Generator | None = None,
                calc_second_order: bool = False, num_resamples: int = 100, conf_level: float = 0.95,
                num_levels: int = 4, progress: bool = False, over: str | None = None,
                announce: Callable[[str], None] | None = None) -> xr.Dataset:
    """Global sensitivity indices of ``output`` to every uncertain input (SALib).

    Parameters
    ----------
    model
        A model callable (see :mod:`mcrisk.models`).
    priors
        One prior per model input; constants are passed to the model, not analysed.
    output
        An output name, or several analysed from the same model runs: outputs of one value per
        sample (an hourly model's daily totals, not its outputs over ``(sample, hour)``).
    method
        ``"sobol"``, ``"morris"``, ``"fast"``, ``"rbd_fast"``, ``"delta"`` or ``"pawn"``.
    n
        Base sample size: Sobol' N (rounded up to a power of 2, with a warning), Morris
        trajectories, FAST samples per input, or the sample size of the others.
    rng
        Integer seed (0 is a seed) or a numpy Generator.
    calc_second_order
        Sobol' only: also ``S2``/``S2_conf`` over ``(input, input2)``; ``N (2D + 2)`` runs.
    num_resamples, conf_level
        Bootstrap resamples and confidence level of every ``*_conf`` (a half-width).
    num_levels
        Morris grid levels; level ``l`` is the input's quantile ``(l + 1/2) / L``.
    progress
        A progress bar on stderr for long runs.
    over
        A dimension of the outputs besides ``sample`` (``"month"``, ``"hour"``): every output
        named is over ``(sample, over)`` and gets one set of indices per step, on the same model
        runs (:mod:`mcrisk.analyze.sensitivity_over`); a step where the output is constant is NaN,
        with a note. None: outputs of one value per sample.
    announce
        Called, before the model runs, with the line that announces a switch of method (FAST
        or RBD-FAST with correlated inputs become Sobol' on the groups); None: a warning.

    Returns
    -------
    xarray.Dataset
        Over ``input`` (and ``output`` first when several outputs; and ``over`` last, with the
        attr ``over``, when given), variables as SALib names them (see the module table). Attrs ``method``, ``requested_method``, ``output``,
        ``samples`` (base N actually used), ``model_runs``, ``seed``, ``rank_by`` (the index
        tables sort by), ``notes`` (warnings in words, one per line); with correlated inputs
        the coordinate ``group`` over ``input`` and the attrs ``groups`` (the groups in words)
        and ``indices_of`` (``"groups"`` or ``"inputs"``).

    Raises
    ------
    SpecError
        For an unknown method, too few samples, no uncertain input, an output the model does
        not return or returns over more than ``sample`` (an hourly output).

    Warns
    -----
    MCRiskWarning
        When N is rounded, when FAST or RBD-FAST becomes Sobol' (without ``announce``), when an
        interval is wider than 0.1 or an index is clearly negative (with the N that would help).

    Notes
    -----
    Sobol' indices ``S1_i = V[E(Y|X_i)]/V(Y)`` and ``ST_i = E[V(Y|X_~i)]/V(Y)`` use SALib's
    Saltelli (2010) and Jansen estimators on a scrambled Sobol' design. Morris elementary
    effects are changes of the output per unit change of the input's quantile. Intervals shrink
    like ``1/sqrt(N)``: an interval of width ``w`` needs about ``N (w/0.1)^2`` for width 0.1.

    Examples
    --------
    >>> from mcrisk.models.testfunctions import ishigami
    >>> s = sensitivity(ishigami, priors, output="y", method="sobol", n=2**12, rng=0)
    >>> s.S1.sel(input="x2").item()  # analytic 0.4424
    """
    outputs = [output] if isinstance(output, str) else list(output)
    if not outputs or not all(isinstance(o, str) for o in outputs):
        raise SpecError(f"output = {output!r} must be an output name or a list of output names")
    m = get_method(method)
    requested, seed = method, normalize_seed(rng)
    check_inputs(model, list(priors))
    priors, converted = conform_call(model, priors, where="sensitivity", stacklevel=3)  # as a study's
    names = priors.uncertain
    d = len(names)
    if d == 0:
        raise SpecError("sensitivity: every input is a constant; give at least one input a distribution")
    o = {"second_order": bool(calc_second_order), "num_resamples": int(num_resamples),
         "conf_level": float(conf_level), "num_levels": int(num_levels)}
    n = m.default_samples if n is None else n
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < m.min_samples:
        raise SpecError(f"samples = {n!r} must be an integer >= {m.min_samples} for method {method}")
    n = int(n)
    notes, info = [], []
    correlated = bool(priors.correlations)
    groups = correlation_groups(priors.correlations, names) if correlated else list(names)
    grouped = len(set(groups)) < d  # some inputs are correlated (a rank of 0 correlates nothing)
    method, m, n, switched = _switch(m, method, n, d, groups, o)
    by_group = grouped and m.groups
    if method == "sobol" and n & (n - 1):
        notes.append(f"sobol: samples = {n:,} is not a power of 2; using N = {_pow2(n):,} (Sobol' designs keep "
                     "their balance only at powers of 2)")
        n = _pow2(n)
    for text in notes:
        warn(text, MCRiskWarning, stacklevel=2)
    if grouped:  # what the indices of correlated inputs mean: a note on the record, not a warning
        notes.append(group_note(priors.correlations, groups, method, by_group))

    problem = {"num_vars": d, "names": list(names), "bounds": [[0.0, 1.0]] * d,
               **({"groups": groups} if by_group else {})}
    with quiet_salib(info):
        u = np.asarray(m.design(problem, n, salib_seed(seed, 0), o), dtype=float)
    x = _to_unit(method, u, o)
    if correlated:  # after the design, row by row: a group's columns moved together on the independent cube
        x = apply_copula(x, copula_factor(priors.correlations, names))
    if switched:
        pilot = _pilot_seconds(model, priors, x[:512], names, correlated, method, o)
        text = switch_text(requested, method, priors.correlations, groups, n, len(x),
                           pilot * len(x) / min(len(x), 512))
        notes.insert(0, text)
        if announce is not None:
            announce(text)
        else:
            warn(text, MCRiskWarning, stacklevel=2)
    results, profiles = _evaluate(model, priors, x, names, correlated, progress, over)
    check_outputs(outputs, results, profiles, over)

    parts = [_analyze_one(j, out, model=model, m=m, method=method, problem=problem, u=u, x=x, y=results[out],
                          seed=seed, o=o, info=info, notes=notes, n=n, names=names, groups=groups, by_group=by_group,
                          over=over, several=len(outputs) > 1, currency=priors.currency) for j, out in enumerate(outputs)]
    ds = _joined(parts, outputs)
    ds.attrs.update({"method": method, "requested_method": requested, "output": ", ".join(outputs),
                     "samples": n, "model_runs": int(len(x)), "seed": seed, "rank_by": m.rank_by,
                     "conf_level": o["conf_level"], "num_resamples": o["num_resamples"],
                     "second_order": int(o["second_order"]), "notes": "\n".join(notes),
                     "salib_messages": "\n".join(info), **({"over": over} if over is not None else {}),
                     **({"groups": "; ".join(group_text(g) for g in dict.fromkeys(groups) if ", " in g),
                         "indices_of": "groups" if by_group else "inputs"} if grouped else {}),
                     **({"unit_conversions": "\n".join(converted)} if converted else {})})
    return ds
