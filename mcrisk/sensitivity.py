"""Global sensitivity analysis: which assumption drives the output (SALib on the unit cube).

SALib's samplers and analyzers only ever see ``[0, 1]^d``: each design row is mapped through
every prior's inverse CDF (:func:`mcrisk.sampling.to_values`), so every family mcrisk knows
works with every method. Constants are not factors; they go to the model as scalars. One set
of model runs serves every output asked for.

=========  ===========================================  ==================================
method     design (rows for base N, D inputs)           variables
=========  ===========================================  ==================================
sobol      Saltelli/Sobol' ``N (D + 2)``, or ``N (2D+2)``  S1, S1_conf, ST, ST_conf (S2, S2_conf)
morris     ``N`` trajectories, ``N (D + 1)``            mu, mu_star, mu_star_conf, sigma
fast       eFAST ``N D``                                S1, S1_conf, ST, ST_conf
rbd_fast   Latin hypercube ``N``                        S1, S1_conf
delta      Latin hypercube ``N`` (copula if correlated)  delta, delta_conf, S1, S1_conf
pawn       Latin hypercube ``N`` (copula if correlated)  minimum, mean, median, maximum, CV
=========  ===========================================  ==================================

Sobol', Morris and FAST assume independent inputs. When the priors declare rank correlations,
:func:`sensitivity` says so (an :class:`~mcrisk.errors.MCRiskWarning` and the ``notes`` attr)
and runs ``delta`` instead, on a correlated sample of the same number of model runs:
Borgonovo's delta and the binned first-order index are defined for dependent inputs.
"""

from __future__ import annotations

import tomllib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.special as sc
import xarray as xr

from .errors import MCRiskWarning, SpecError
from .models import output_unit
from .priors import Priors
from .rankcorr import loss_attribution, quiet_salib, rank_correlations, salib_seed
from .sampling import copula_factor, normalize_seed, to_values, unit_design
from .simulate import call_model, check_inputs

__all__ = ["METHODS", "check_config", "format_sensitivity", "run_configured", "run_sensitivity_command",
           "sensitivity", "write_tables"]

_LO, _HI = 2.0**-54, 1 - 2.0**-53  # keep u off 0 and 1, where unbounded ppfs are infinite
_CHUNK = 2**16


@dataclass(frozen=True)
class _Method:
    design: Callable[..., np.ndarray]            # (problem, n, seed, opts) -> unit-cube rows
    analyze: Callable[..., dict[str, Any]]       # (problem, X, Y, seed, opts) -> SALib dict
    rows: Callable[[int, int, dict], int]        # (n, d, opts) -> model runs
    indices: tuple[str, ...]                     # indices checked against their ``_conf``
    rank_by: str
    min_samples: int
    default_samples: int
    dependent: bool                               # valid for correlated inputs


def _sobol_design(problem, n, seed, o):
    from SALib.sample import sobol
    return sobol.sample(problem, n, calc_second_order=o["second_order"], scramble=True, seed=seed)


def _sobol_analyze(problem, x, y, seed, o):
    from SALib.analyze import sobol
    return sobol.analyze(problem, y, calc_second_order=o["second_order"], num_resamples=o["num_resamples"],
                         conf_level=o["conf_level"], parallel=False, seed=seed)


def _morris_design(problem, n, seed, o):
    from SALib.sample import morris
    return morris.sample(problem, n, num_levels=o["num_levels"], seed=seed)


def _morris_analyze(problem, x, y, seed, o):
    from SALib.analyze import morris
    s = morris.analyze(problem, x, y, num_resamples=o["num_resamples"], conf_level=o["conf_level"],
                       num_levels=o["num_levels"], seed=seed)
    # The grid levels are mapped to stratum midpoints (see _to_unit), so a step is
    # (L-1)/L of SALib's: rescale to output change per unit change of the input's quantile.
    k = o["num_levels"] / (o["num_levels"] - 1)
    return {v: np.asarray(s[v], float) * k for v in ("mu", "mu_star", "mu_star_conf", "sigma")}


def _fast_design(problem, n, seed, o):
    from SALib.sample import fast_sampler
    return fast_sampler.sample(problem, n, M=4, seed=seed)


def _fast_analyze(problem, x, y, seed, o):
    from SALib.analyze import fast
    return fast.analyze(problem, y, M=4, num_resamples=o["num_resamples"], conf_level=o["conf_level"], seed=seed)


def _lhs_design(problem, n, seed, o):
    return unit_design("lhs", problem["num_vars"], n, seed=seed)


def _rbd_analyze(problem, x, y, seed, o):
    from SALib.analyze import rbd_fast
    return rbd_fast.analyze(problem, x, y, M=10, num_resamples=o["num_resamples"], conf_level=o["conf_level"],
                            seed=seed)


def _delta_analyze(problem, x, y, seed, o):
    from SALib.analyze import delta
    s = delta.analyze(problem, x, y, num_resamples=o["num_resamples"], conf_level=o["conf_level"], seed=seed,
                      method="all")
    # SALib 1.6 names Borgonovo's bootstrap estimate (Plischke et al. 2013) "delta_raw".
    return {"delta": s["delta_raw"], "delta_conf": s["delta_raw_conf"], "S1": s["S1"], "S1_conf": s["S1_conf"],
            "delta_balanced": s["delta_balanced"], "delta_balanced_conf": s["delta_balanced_conf"]}


def _pawn_analyze(problem, x, y, seed, o):
    from SALib.analyze import pawn
    s = pawn.analyze(problem, x, y, S=10, seed=seed)
    return {k: s[k] for k in ("minimum", "mean", "median", "maximum", "CV")}


#: Sensitivity methods by name (alphabetical).
METHODS: dict[str, _Method] = {
    "delta": _Method(_lhs_design, _delta_analyze, lambda n, d, o: n, ("delta", "S1"), "delta", 200, 4096, True),
    "fast": _Method(_fast_design, _fast_analyze, lambda n, d, o: n * d, ("S1", "ST"), "ST", 65, 1024, False),
    "morris": _Method(_morris_design, _morris_analyze, lambda n, d, o: n * (d + 1), ("mu_star",), "mu_star",
                      2, 100, False),
    "pawn": _Method(_lhs_design, _pawn_analyze, lambda n, d, o: n, (), "median", 200, 4096, True),
    "rbd_fast": _Method(_lhs_design, _rbd_analyze, lambda n, d, o: n, ("S1",), "S1", 100, 4096, False),
    "sobol": _Method(_sobol_design, _sobol_analyze,
                     lambda n, d, o: n * (2 * d + 2 if o["second_order"] else d + 2),
                     ("S1", "ST"), "ST", 2, 1024, False),
}

_DOC = {
    "S1": "first-order index", "ST": "total-order index", "S2": "second-order index",
    "mu": "mean elementary effect", "mu_star": "mean absolute elementary effect",
    "sigma": "standard deviation of the elementary effects", "delta": "Borgonovo's delta",
    "delta_balanced": "Borgonovo's delta, bin-balanced bootstrap", "minimum": "PAWN minimum KS over slices",
    "mean": "PAWN mean KS over slices", "median": "PAWN median KS over slices",
    "maximum": "PAWN maximum KS over slices", "CV": "PAWN coefficient of variation of KS over slices",
}


def _method(name: str, where: str = "") -> _Method:
    if name not in METHODS:
        raise SpecError(f"{where}method = {name!r} is not a method; known: {', '.join(sorted(METHODS))}")
    return METHODS[name]


def _pow2(n: int) -> int:
    return 1 << max(int(n) - 1, 0).bit_length()


def _to_unit(method: str, u: np.ndarray, o: dict) -> np.ndarray:
    if method == "morris":  # levels l/(L-1) -> the midpoints (l + 1/2)/L of L equal-probability strata
        L = o["num_levels"]
        return (u * (L - 1) + 0.5) / L
    return np.clip(u, _LO, _HI)


def _evaluate(model, priors: Priors, x: np.ndarray, names: tuple[str, ...], correlated: bool,
              progress: bool) -> dict[str, np.ndarray]:
    from tqdm import tqdm

    consts = {k: float(p.params["value"]) for k, p in priors.items() if k not in names}
    spans = [(a, min(a + _CHUNK, len(x))) for a in range(0, len(x), _CHUNK)] if progress else [(0, len(x))]
    parts: list[dict] = []
    for a, b in tqdm(spans, desc="sensitivity", unit="chunk", leave=False, disable=len(spans) < 2):
        if correlated:  # x already carries the copula; map each marginal only
            values = {k: priors[k].ppf(x[a:b, i]) for i, k in enumerate(names)}
        else:
            values = to_values(priors, x[a:b], names)
        res = call_model(model, {**consts, **values})
        parts.append({k: np.broadcast_to(np.asarray(v, dtype=float), (b - a,)) for k, v in res.items()})
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _size_notes(ds: xr.Dataset, m: _Method, method: str, n: int, out: str, notes: list[str]) -> None:
    label = f"{out}: " if out else ""
    worst, wide, neg = 0.0, [], []
    scale = 1.0
    if method == "morris":  # mu_star is in output units: compare with 10% of the largest
        scale = float(np.nanmax(ds["mu_star"].values)) or 1.0
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
        more = _pow2(more) if method == "sobol" else more
        rel = " of the largest mu_star" if method == "morris" else ""
        notes.append(f"{label}{len(wide)} confidence interval(s) are wider than 0.1{rel} ({', '.join(wide[:4])}"
                     f"{', ...' if len(wide) > 4 else ''}): too few {unit}. Intervals shrink like 1/sqrt(N); "
                     f"{unit} = {more:,} (now {n:,}) would bring the widest under 0.1")
    if neg:
        more = _pow2(4 * n) if method == "sobol" else 4 * n
        notes.append(f"{label}{len(neg)} index(es) are clearly negative ({', '.join(neg[:4])}): an index cannot "
                     f"be, so the estimate is noise; try {unit} = {more:,} (now {n:,})")


def sensitivity(model: Callable, priors: Priors, *, output: str | Sequence[str], method: str = "sobol",
                n: int | None = None, rng: int | np.random.Generator | None = None,
                calc_second_order: bool = False, num_resamples: int = 100, conf_level: float = 0.95,
                num_levels: int = 4, progress: bool = False) -> xr.Dataset:
    """Global sensitivity indices of ``output`` to every uncertain input (SALib).

    Parameters
    ----------
    model
        A model callable (see :mod:`mcrisk.models`).
    priors
        One prior per model input; constants are passed to the model, not analysed.
    output
        An output name, or several analysed from the same model runs.
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

    Returns
    -------
    xarray.Dataset
        Over ``input`` (and ``output`` first when several outputs), variables as SALib names
        them (see the module table). Attrs ``method``, ``requested_method``, ``output``,
        ``samples`` (base N actually used), ``model_runs``, ``seed``, ``rank_by`` (the index
        tables sort by), ``notes`` (warnings in words, one per line).

    Warns
    -----
    MCRiskWarning
        When N is rounded, when correlated inputs force ``delta``, when an interval is wider
        than 0.1 or an index is clearly negative (with the N that would help).

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
    m = _method(method)
    requested, seed = method, normalize_seed(rng)
    check_inputs(model, list(priors))
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
    if correlated and not m.dependent:
        pairs = ", ".join(f"{c.a}~{c.b} = {c.rank:g}" for c in priors.correlations)
        runs = m.rows(_pow2(n) if method == "sobol" else n, d, o)
        notes.append(f"{method} assumes independent inputs but the priors declare rank correlations ({pairs}); "
                     f"using delta (valid for dependent inputs) on a correlated sample of {runs:,} model runs")
        method, m, n = "delta", METHODS["delta"], runs
    if method == "sobol" and n & (n - 1):
        notes.append(f"sobol: samples = {n:,} is not a power of 2; using N = {_pow2(n):,} (Sobol' designs keep "
                     "their balance only at powers of 2)")
        n = _pow2(n)
    for text in notes:
        warnings.warn(text, MCRiskWarning, stacklevel=2)

    problem = {"num_vars": d, "names": list(names), "bounds": [[0.0, 1.0]] * d}
    with quiet_salib(info):
        u = np.asarray(m.design(problem, n, salib_seed(seed, 0), o), dtype=float)
    x = _to_unit(method, u, o)
    if correlated:
        x = sc.ndtr(sc.ndtri(x) @ copula_factor(priors, names).T)
    results = _evaluate(model, priors, x, names, correlated, progress)
    if missing := [k for k in outputs if k not in results]:
        raise SpecError(f"sensitivity output = {missing[0]!r} is not an output of the model; outputs: "
                        f"{', '.join(results)}")

    parts = []
    for j, out in enumerate(outputs):
        y = results[out]
        if bad := int(np.count_nonzero(~np.isfinite(y))):
            text = f"{out} is NaN or infinite in {bad:,} of {len(y):,} model runs; its indices are not reliable"
            notes.append(text)
            warnings.warn(text, MCRiskWarning, stacklevel=2)
        with quiet_salib(info):
            s = m.analyze(problem, u if method == "morris" else x, y, salib_seed(seed, 1 + j), o)
        part = xr.Dataset(coords={"input": np.array(names, dtype=object)})
        for k, v in s.items():
            if k in ("names", "notes") or v is None:
                continue
            v = np.asarray(v, dtype=float)
            base = k.removesuffix("_conf")
            attrs = {"units": "1", "long_name": _DOC.get(base, base) + (" (half-width of the interval)"
                                                                       if k.endswith("_conf") else "")}
            if method == "morris":
                attrs["units"] = f"{output_unit(model, out, priors.currency)} per unit quantile".strip()
            part[k] = (("input", "input2"), v, attrs) if v.ndim == 2 else ("input", v, attrs)
        if "input2" in part.dims:
            part = part.assign_coords(input2=np.array(names, dtype=object))
        before = len(notes)
        _size_notes(part, m, method, n, out if len(outputs) > 1 else "", notes)
        for text in notes[before:]:
            warnings.warn(text, MCRiskWarning, stacklevel=2)
        parts.append(part)
    ds = parts[0] if len(outputs) == 1 else xr.concat(parts, dim=pd.Index(outputs, name="output"))
    if len(outputs) > 1:
        ds = ds.assign_coords(output=np.array(outputs, dtype=object))
    ds.attrs.update({"method": method, "requested_method": requested, "output": ", ".join(outputs),
                     "samples": n, "model_runs": int(len(x)), "seed": seed, "rank_by": m.rank_by,
                     "conf_level": o["conf_level"], "num_resamples": o["num_resamples"],
                     "second_order": int(o["second_order"]), "notes": "\n".join(notes),
                     "salib_messages": "\n".join(info)})
    return ds


# ---------------------------------------------------------------------------- studies

_KEYS = ("method", "output", "samples", "seed", "second_order", "num_resamples", "conf_level", "num_levels",
         "loss_below")


def check_config(table: Mapping[str, Any], *, where: str, default_output: str) -> dict[str, Any]:
    """Check a ``[sensitivity]`` study table and fill in its defaults.

    Keys: ``method`` (default ``"sobol"``), ``output`` (a name or a list; default the study's
    output), ``samples`` (base N; default per method), ``seed`` (default the study's),
    ``second_order`` (Sobol' S2), ``num_resamples`` (100), ``conf_level`` (0.95),
    ``num_levels`` (Morris, 4) and ``loss_below`` (the loss event is ``output < loss_below``, 0).
    ``where`` prefixes each message, e.g. ``"studies/x.toml: [sensitivity]"``.
    """
    for k, v in table.items():
        if k not in _KEYS:
            raise SpecError(f"{where} {k} = {v!r} is not a key; allowed: {', '.join(_KEYS)}")
    method = table.get("method", "sobol")
    if not isinstance(method, str) or method not in METHODS:
        raise SpecError(f"{where} method = {method!r} is not a method; known: {', '.join(sorted(METHODS))}")
    m = METHODS[method]
    cfg: dict[str, Any] = {"method": method, "output": table.get("output", default_output),
                           "samples": table.get("samples", m.default_samples), "seed": table.get("seed"),
                           "second_order": table.get("second_order", False),
                           "num_resamples": table.get("num_resamples", 100),
                           "conf_level": table.get("conf_level", 0.95), "num_levels": table.get("num_levels", 4),
                           "loss_below": table.get("loss_below", 0.0)}
    out = cfg["output"]
    if isinstance(out, list) and out and all(isinstance(x, str) for x in out):
        cfg["output"] = out[0] if len(out) == 1 else tuple(out)
    elif not isinstance(out, str):
        raise SpecError(f"{where} output = {out!r} must be an output name or a list of output names")

    def integer(key: str, low: int, high: int, what: str = "") -> None:
        v = cfg[key]
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
            raise SpecError(f"{where} {key} = {v!r} must be an integer from {low} to {high:,}{what}")

    # The upper bounds keep a typo from asking for terabytes: 2^24 base samples is already
    # hundreds of millions of model runs for ten inputs.
    integer("samples", m.min_samples, 2**24, f" for method {method}")
    if cfg["seed"] is not None:
        integer("seed", 0, 2**63 - 1)
    integer("num_resamples", 1, 10_000)
    integer("num_levels", 2, 100)
    if not isinstance(cfg["second_order"], bool):
        raise SpecError(f"{where} second_order = {cfg['second_order']!r} must be true or false")
    c = cfg["conf_level"]
    if isinstance(c, bool) or not isinstance(c, int | float) or not 0 < c < 1:
        raise SpecError(f"{where} conf_level = {c!r} must be a probability strictly between 0 and 1")
    lb = cfg["loss_below"]
    if isinstance(lb, bool) or not isinstance(lb, int | float):
        raise SpecError(f"{where} loss_below = {lb!r} must be a number (the loss event is output < loss_below)")
    return cfg


def run_configured(study, results: xr.Dataset, *, echo: Callable[[str], None] | None = None,
                   quiet: bool = True) -> xr.Dataset:
    """Run a study's ``[sensitivity]`` table: indices, rank correlations and loss attribution.

    The indices come from their own design (:func:`sensitivity`); the rank correlations and the
    attribution of the loss event come from the study's ordinary Monte Carlo ``results``,
    with no new model runs. Prints the ranked table through ``echo``.
    """
    echo = echo or (lambda s: None)
    cfg = study.analyses["sensitivity"]
    seed = study.seed if cfg.get("seed") is None else cfg["seed"]
    ds = sensitivity(study.model, study.priors, output=cfg["output"], method=cfg["method"], n=cfg["samples"],
                     rng=seed, calc_second_order=cfg["second_order"], num_resamples=cfg["num_resamples"],
                     conf_level=cfg["conf_level"], num_levels=cfg["num_levels"], progress=not quiet)
    outputs = [cfg["output"]] if isinstance(cfg["output"], str) else list(cfg["output"])
    inputs = list(ds.input.values)
    rc = rank_correlations(results, output=outputs, inputs=inputs, conf_level=cfg["conf_level"])
    loss_notes: list[str] = []
    loss = loss_attribution(results, output=outputs, threshold=float(cfg["loss_below"]), inputs=inputs,
                            num_resamples=cfg["num_resamples"], conf_level=cfg["conf_level"], seed=seed,
                            notes=loss_notes)
    for text in loss_notes:
        warnings.warn(text, MCRiskWarning, stacklevel=2)
    for part in (rc, loss):
        for k, v in part.data_vars.items():
            ds[k] = v
    notes = [t for t in [ds.attrs["notes"], *loss_notes] if t]
    ds.attrs.update({k: v for k, v in loss.attrs.items()})
    ds.attrs.update({"notes": "\n".join(notes), "mc_samples": int(results.sizes.get("sample", 0)),
                     "rank_correlations": "spearman, prcc: from the study's Monte Carlo run of "
                                          f"{results.sizes.get('sample', 0):,} samples, Fisher-z intervals"})
    echo("\n" + format_sensitivity(ds))
    return ds


def _fmt(v: float, c: float | None = None) -> str:
    if not np.isfinite(v):
        return "nan"
    return f"{v:.3f}" if c is None or not np.isfinite(c) else f"{v:.3f} ± {c:.3f}"


def format_sensitivity(ds: xr.Dataset) -> str:
    """The indices as a ranked text table, one block per output, with the notes below."""
    lines = []
    outputs = list(ds.output.values) if "output" in ds.dims else [None]
    key = ds.attrs.get("rank_by", "ST")
    cols = [k for k in ("S1", "ST", "mu_star", "sigma", "delta", "median", "spearman", "prcc", "loss_S1", "loss_ks")
            if k in ds]
    for out in outputs:
        sub = ds.sel(output=out) if out is not None else ds
        order = np.argsort(-np.nan_to_num(sub[key].values, nan=-np.inf), kind="stable")
        head = out if out is not None else ds.attrs.get("output", "")
        lines.append(f"Sensitivity of {head}: {ds.attrs['method']}, N = {ds.attrs['samples']:,} "
                     f"({ds.attrs['model_runs']:,} model runs), seed {ds.attrs['seed']}; ranked by {key}")
        rows = [["input", *cols]]
        for i in order:
            rows.append([str(sub.input.values[i]), *[
                _fmt(float(sub[c].values[i]), float(sub[f"{c}_conf"].values[i]) if f"{c}_conf" in sub else None)
                for c in cols]])
        w = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
        lines += ["  ".join(c.ljust(w[j]) if j == 0 else c.rjust(w[j]) for j, c in enumerate(r)) for r in rows]
        lines.append("")
    if "loss_event" in ds.attrs:
        p = np.atleast_1d(ds.attrs["loss_probability"])
        lines.append(f"loss event {ds.attrs['loss_event']}: probability {', '.join(f'{x:.4g}' for x in p)}")
    if ds.attrs.get("notes"):
        lines += [f"note: {t}" for t in ds.attrs["notes"].split("\n")]
    return "\n".join(lines).rstrip()


def write_tables(ds: xr.Dataset, folder: str | Path) -> None:
    """Write ``sensitivity.nc`` (everything) and ``sensitivity.csv`` (one row per input, ranked).

    With second-order indices, ``sensitivity_s2.csv`` holds ``S2``/``S2_conf`` per input pair.
    """
    folder = Path(folder)
    ds.to_netcdf(folder / "sensitivity.nc")
    flat = ds.drop_vars([k for k, v in ds.data_vars.items() if "input2" in v.dims])
    flat = flat.drop_dims("input2", errors="ignore")
    key = ds.attrs.get("rank_by")
    frame = flat.to_dataframe().reset_index()
    frame = frame[[c for c in ("output", "input") if c in frame] + [c for c in flat.data_vars]]
    if key in frame:
        by = [c for c in ("output",) if c in frame]
        frame = frame.assign(_k=-frame[key].fillna(-np.inf)).sort_values([*by, "_k"], kind="stable").drop(columns="_k")
    frame.to_csv(folder / "sensitivity.csv", index=False, float_format="%.10g")
    if "S2" in ds:
        s2 = ds[["S2", "S2_conf"]].to_dataframe().reset_index().dropna(subset=["S2"])
        s2.to_csv(folder / "sensitivity_s2.csv", index=False, float_format="%.10g")


def run_sensitivity_command(path: str | Path, *, method: str | None = None, samples: int | None = None,
                            out: str | Path | None = None, quiet: bool = False,
                            echo: Callable[[str], None] = print) -> xr.Dataset:
    """``mcrisk sensitivity STUDY``: the study's ``[sensitivity]`` analysis alone.

    Runs the study's Monte Carlo sample (for the rank correlations and the loss attribution) and
    the sensitivity design, then writes ``sensitivity.nc`` and ``sensitivity.csv`` into the
    output folder (default ``results/<study>/``), each file replaced atomically, leaving the
    folder's other files alone. ``method`` and ``samples`` override the table's.
    """
    from dataclasses import replace
    from types import MappingProxyType

    from .simulate import simulate
    from .study import _write_atomically, load_study

    study = load_study(path)
    table = dict(tomllib.loads(study.text).get("sensitivity", {})) if study.text else {}
    if method is not None:
        m = _method(method, "--")  # a bad flag is named as the flag, not as the file's key
        table["method"] = method
        if samples is None and isinstance(table.get("samples"), int) and table["samples"] < m.min_samples:
            table.pop("samples")  # the file's N was for another method
    if samples is not None:
        table["samples"] = samples
    cfg = check_config(table, where=f"{study.path}: [sensitivity]", default_output=study.output)
    study = replace(study, analyses=MappingProxyType({**study.analyses, "sensitivity": MappingProxyType(cfg)}))
    results = simulate(study.model, study.priors, study.samples, method=study.method, rng=study.seed,
                       progress=not quiet)
    ds = run_configured(study, results, echo=echo, quiet=quiet)
    target = Path(out) if out else Path("results") / study.name
    staging = target.parent / f".{target.name}.sensitivity"
    _write_atomically(staging, lambda tmp: write_tables(ds, tmp))
    target.mkdir(parents=True, exist_ok=True)
    for f in sorted(staging.iterdir()):
        f.replace(target / f.name)
    staging.rmdir()
    echo(f"\nwrote {', '.join(str(target / n) for n in ('sensitivity.nc', 'sensitivity.csv'))}")
    return ds
