"""Comparing two plans: both studies on the same random numbers, the paired difference B - A.

:func:`compare` runs two studies on one unit-cube design: the same seed, design and samples,
with each uncertain input's column chosen by its name, so an input both studies leave
uncertain gets the same draws in both. Every summary statistic of every output both models
return is differenced, B - A, with a 95% interval from the paired samples; a percentile's
difference is that of the two percentiles (``p50``: B's median less A's), so the median of the
paired differences, ``median(y_B - y_A)``, is given beside it (statistic ``median_of_diff``).
Two identical studies give differences of exactly 0; what differs between the studies (model,
inputs, ``[options]``, settings) is listed in the result's notes.
"""

from __future__ import annotations

import contextlib
import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from mcrisk.analyze.intervals import order_ranks
from mcrisk.core.errors import SpecError, clip
from mcrisk.core.outfolder import check_out, write_atomically
from mcrisk.core.outlock import hold_out
from mcrisk.report.plot import plot_compare, save_figure
from mcrisk.spec.priors import Priors, priors_text
from mcrisk.analyze.risk import summarize
from mcrisk.core.statistics import CENTRAL_90, PERCENTILES, STATISTICS, Z95_TWO_SIDED, outputs_of, per_period
from mcrisk.sampling.design import to_values, unit_design, warn_unbalanced
from mcrisk.simulation.engine import simulate
from mcrisk.spec.studyfile import Study, load_study
from mcrisk.core.text import aligned, format_number
from mcrisk.core.validate import SamplingMethod, check_method, check_samples, check_seed
from mcrisk.study.options import RunOptions

__all__ = ["COLUMNS", "COMPARE_OPTIONS", "MEDIAN_OF_DIFF", "Comparison", "compare", "compare_studies", "compare_frame", "format_compare"]

#: The columns of ``compare.csv``.
COLUMNS = ("output", "statistic", "a", "b", "diff", "diff_low", "diff_high")
#: The statistic of the table that is not a difference of two statistics: the median of the
#: paired differences ``y_B - y_A`` (its ``a`` and ``b`` are NaN).
MEDIAN_OF_DIFF = "median_of_diff"
#: The run options :func:`compare_studies` honours (the others are refused).
COMPARE_OPTIONS = ("samples", "seed", "method", "settings", "chunk_size", "quiet", "out", "write", "formats")


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare` computed: the table, both runs, and what differs between the studies."""

    table: xr.Dataset
    a: xr.Dataset
    b: xr.Dataset
    notes: tuple[str, ...]
    names: tuple[str, str]
    output: str


def _inputs(priors: Priors, u: np.ndarray, names: list[str], attrs: dict) -> xr.Dataset:
    """An inputs Dataset like :func:`mcrisk.sampling.design.sample`'s, from design columns ``u`` for ``names``."""
    values = to_values(priors, u, tuple(names)) if names else {}
    data = {}
    for k, p in priors.items():
        a = {"units": p.unit, "long_name": k.replace("_", " "), "distribution": p.describe()}
        data[k] = (("sample",), values[k], a) if k in values else ((), p.params["value"], a)
    return xr.Dataset(data, coords={"sample": np.arange(u.shape[0])},
                      attrs={**attrs, "currency": priors.currency or "", "priors": priors_text(priors)})


def _differences(a: Study, b: Study, method: str, n: int, seed: int) -> list[str]:
    notes = []
    if a.model_ref != b.model_ref:
        notes.append(f"models differ: A {a.model_ref}, B {b.model_ref}")
    for k in dict.fromkeys([*a.priors, *b.priors]):
        pa, pb = a.priors.get(k), b.priors.get(k)
        if pa is None or pb is None:
            notes.append(f"{k}: only {'B' if pa is None else 'A'} sets it "
                         f"({(pb or pa).describe()}; the other model's default or not an input)")
        elif (pa.family, dict(pa.params)) != (pb.family, dict(pb.params)):
            notes.append(f"{k}: A {pa.describe()}, B {pb.describe()}")
    notes += _option_differences(a, b)
    if {(c.a, c.b, c.rank) for c in a.priors.correlations} != {(c.a, c.b, c.rank) for c in b.priors.correlations}:
        notes.append("the correlations differ")
    for key, va, vb, used in (("samples", a.samples, b.samples, n), ("method", a.method, b.method, method),
                              ("seed", a.seed, b.seed, seed)):
        if va != vb:
            notes.append(f"{key}: A {va}, B {vb}; both run with {used}")
    if (a.period_days or 1) != (b.period_days or 1):
        notes.append(f"period_days: B's {b.period_days} replaced by A's {a.period_days}")
    if (a.priors.currency or "") != (b.priors.currency or ""):
        notes.append(f"currencies differ: A {a.priors.currency}, B {b.priors.currency}; money is not converted")
    return notes


def _options(study: Study) -> dict[str, Any]:
    """The study's ``[options]`` table as its file gives it (none for a study without a file text)."""
    try:
        table = tomllib.loads(study.text or "").get("options", {})
    except (tomllib.TOMLDecodeError, TypeError):
        return {}
    return table if isinstance(table, dict) else {}


def _option_differences(a: Study, b: Study) -> list[str]:
    """A note for each ``[options]`` key the two studies set differently (or only one sets)."""
    oa, ob = _options(a), _options(b)
    notes = []
    for k in dict.fromkeys([*oa, *ob]):
        if k not in oa or k not in ob:
            notes.append(f"[options] {k}: only {'B' if k not in oa else 'A'} sets it "
                         f"({clip(repr(ob.get(k, oa.get(k))))}; the other takes the model's default)")
        elif oa[k] != ob[k]:
            notes.append(f"[options] {k}: A {clip(repr(oa[k]))}, B {clip(repr(ob[k]))}")
    return notes


def _median_of_diff(d: np.ndarray, exact: bool) -> tuple[float, float, float]:
    """The median of the paired differences and its distribution-free 95% interval (order statistics)."""
    if not d.size:
        return math.nan, math.nan, math.nan
    med = float(np.median(d))
    if exact:
        return med, med, med
    r, s = order_ranks(d.size, 0.5)
    ds = np.sort(d)
    return med, float(ds[r - 1]) if r >= 1 else math.nan, float(ds[s - 1]) if s <= d.size else math.nan


def _normal(d: np.ndarray) -> tuple[float, float]:
    if d.size < 2:
        return math.nan, math.nan
    m, se = float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size))
    return m - Z95_TWO_SIDED * se, m + Z95_TWO_SIDED * se


def _bootstrap(ya: np.ndarray, yb: np.ndarray, resamples: int, rng: np.random.Generator,
               bad: str = "low") -> dict[str, np.ndarray]:
    """Paired bootstrap replicates of stat(B) - stat(A) for the order-based statistics.

    ES05 averages the worst 5%: the lowest, or the highest where ``bad`` is ``"high"`` (a cost),
    as :func:`mcrisk.analyze.risk.summarize` does.
    """
    m = ya.size
    idx = rng.integers(0, m, size=(resamples, m))
    out: dict[str, np.ndarray] = {}
    sides = []
    for y in (ya, yb):
        r = np.sort(y[idx], axis=1)
        k = max(1, math.ceil(0.05 * m))
        stats = {name: np.quantile(r, p, axis=1) for name, p in PERCENTILES.items()}
        stats["std"] = r.std(axis=1, ddof=1)
        stats["es05"] = r[:, -k:].mean(axis=1) if bad == "high" else r[:, :k].mean(axis=1)
        sides.append(stats)
    for name in sides[0]:
        out[name] = sides[1][name] - sides[0][name]
    return out


def _cells(ra: xr.Dataset, rb: xr.Dataset, outs: list[str], stats: list[str], suma: xr.Dataset, sumb: xr.Dataset,
           n: int, resamples: int, seed: int) -> dict[str, np.ndarray]:
    """The table's ``a``, ``b``, ``diff``, ``diff_low`` and ``diff_high`` over ``(output, statistic)``."""
    rng = np.random.default_rng(seed)
    cells = {k: np.full((len(outs), len(stats)), math.nan) for k in ("a", "b", "diff", "diff_low", "diff_high")}
    for i, name in enumerate(outs):
        ya = np.broadcast_to(np.asarray(ra[name].values, dtype=float), (n,))
        yb = np.broadcast_to(np.asarray(rb[name].values, dtype=float), (n,))
        ok = np.isfinite(ya) & np.isfinite(yb)
        pa, pb = ya[ok], yb[ok]
        same = np.array_equal(pa, pb) and ok.all()
        fixed = pa.size > 0 and np.ptp(pa) == 0 and np.ptp(pb) == 0
        bad = ra[name].attrs.get("bad", "low")
        boot = _bootstrap(pa, pb, resamples, rng, bad) if pa.size > 1 and not same and not fixed else {}
        j = stats.index(MEDIAN_OF_DIFF)  # the paired differences' own median: a and b have none
        cells["diff"][i, j], cells["diff_low"][i, j], cells["diff_high"][i, j] = _median_of_diff(
            pb - pa, same or fixed)
        for j, st in enumerate(stats[:-1]):
            va, vb = float(suma[st].values[i]), float(sumb[st].values[i])
            cells["a"][i, j], cells["b"][i, j], cells["diff"][i, j] = va, vb, vb - va
            if same or (fixed and st not in ("se_mean", "se_p_below_zero", "n_valid")):
                lo = hi = vb - va  # no sampling noise: the difference is exact
            elif st == "mean":
                lo, hi = _normal(pb - pa)
            elif st == "p_below_zero":
                lo, hi = _normal((pb < 0).astype(float) - (pa < 0).astype(float))
            elif st in boot:
                lo, hi = (float(x) for x in np.quantile(boot[st], [0.025, 0.975]))
            else:
                lo = hi = math.nan
            cells["diff_low"][i, j], cells["diff_high"][i, j] = lo, hi
    return cells


def compare(a: Study | str | Path, b: Study | str | Path, *, samples: int | None = None, seed: int | None = None,
            method: SamplingMethod | None = None, resamples: int = 200, chunk_size: int | None = None,
            progress: bool = False) -> Comparison:
    """Run two studies on common random numbers and difference their summaries, B - A.

    Parameters
    ----------
    a, b
        The studies (files or loaded). B is compared against A.
    samples, seed, method
        The run both studies share; default A's.
    resamples
        Paired bootstrap resamples for the intervals of percentiles, std and ES05.
    chunk_size, progress
        Evaluate this many samples at a time, with a progress bar (as :func:`mcrisk.simulate`).

    Returns
    -------
    Comparison
        ``table``: over ``(output, statistic)`` (statistics named as in ``summary.csv``), the
        variables ``a``, ``b``, ``diff`` (= b - a) and its 95% interval ``diff_low``,
        ``diff_high``, and the statistic :data:`MEDIAN_OF_DIFF` (``diff``: the median of the
        paired differences; ``a``, ``b``: NaN); ``a``/``b``: both runs; ``notes``: what differs
        between the studies, ``[options]`` included.

    Raises
    ------
    SpecError
        If a study is invalid or the two models share no output.

    Notes
    -----
    One design ``u`` (``n`` rows) is drawn with a column per input uncertain in either study (A's
    in order, then B's others); each study maps the columns of its own uncertain inputs through
    its copula and inverse CDFs. Intervals, from the ``m`` pairs where both outputs are finite:
    mean and P(below zero) ``d_bar +- 1.96 s_d / sqrt(m)`` with ``d_i = y_B,i - y_A,i`` (for
    P(below zero) ``d_i = 1[y_B,i < 0] - 1[y_A,i < 0]``); percentiles, std and ES05 the
    percentile interval of a paired bootstrap (``resamples`` resamples of the pairs, seeded by
    the run's seed); the median of the paired differences the distribution-free interval of
    two order statistics of the ``d_i`` (:func:`mcrisk.analyze.intervals.order_ranks`); min,
    max, the standard errors and ``n_valid`` get none (NaN). An output
    equal in every sample has difference and interval exactly 0. For LHS and Sobol' designs
    these random-sampling intervals are usually conservative.

    Examples
    --------
    >>> c = compare("studies/third_party_provider.toml", "studies/plan_b.toml")
    >>> float(c.table["diff"].sel(output="profit_per_day", statistic="mean"))
    """
    sa = a if isinstance(a, Study) else load_study(a)
    sb = b if isinstance(b, Study) else load_study(b)
    n = check_samples(samples if samples is not None else sa.samples)
    seed = check_seed(seed if seed is not None else sa.seed)
    method = check_method(method or sa.method)
    warn_unbalanced(method, n, stacklevel=2)
    notes = _differences(sa, sb, method, n, seed)
    names = list(dict.fromkeys([*sa.priors.uncertain, *sb.priors.uncertain]))
    u = unit_design(method, len(names), n, seed=seed) if names else np.empty((n, 0))
    attrs = {"method": method, "seed": seed, "samples": n}
    runs = []
    for s in (sa, sb):
        cols = [names.index(k) for k in s.priors.uncertain]
        inputs = _inputs(s.priors, u[:, cols], list(s.priors.uncertain), attrs)
        runs.append(per_period(simulate(s.model, inputs, chunk_size=chunk_size, progress=progress), sa.period_days))
    ra, rb = runs
    outs = [k for k in outputs_of(ra) if k in outputs_of(rb)]
    if not outs:
        raise SpecError(f"compare: {sa.path} and {sb.path} share no output; outputs: "
                        f"{', '.join(outputs_of(ra))} and {', '.join(outputs_of(rb))}")
    if only := [k for k in outputs_of(ra) + outputs_of(rb) if k not in outs]:
        notes.append(f"outputs of one model only, not compared: {', '.join(dict.fromkeys(only))}")
    stats = [*STATISTICS, "n_valid", MEDIAN_OF_DIFF]
    cells = _cells(ra, rb, outs, stats, summarize(ra, outs), summarize(rb, outs), n, resamples, seed)
    units = [ra[k].attrs.get("units", "") for k in outs]
    table = xr.Dataset({k: (("output", "statistic"), v) for k, v in cells.items()},
                       coords={"output": outs, "statistic": stats, "units": ("output", units)},
                       attrs={"a": str(sa.path), "b": str(sb.path), "method": method, "seed": seed, "samples": n,
                              "resamples": resamples, "notes": "\n".join(notes)})
    for k, text in (("a", "statistic of A"), ("b", "statistic of B"), ("diff", "B - A"),
                    ("diff_low", "B - A, lower end of the 95% interval"),
                    ("diff_high", "B - A, upper end of the 95% interval")):
        table[k].attrs["long_name"] = text
    output = sa.output if sa.output in outs else outs[0]
    return Comparison(table, ra, rb, tuple(notes), (sa.name, sb.name), output)


def compare_frame(table: xr.Dataset):
    """The table as ``compare.csv``'s rows.

    Parameters
    ----------
    table
        :attr:`Comparison.table`.

    Returns
    -------
    pandas.DataFrame
        One row per output and statistic, the columns :data:`COLUMNS`.
    """
    return table.drop_vars("units").to_dataframe().reset_index()[list(COLUMNS)]


#: The printed table's row names where the statistic's name alone would mislead.
_ROW_NAMES = {"p50": "p50 (B - A: difference of medians)", MEDIAN_OF_DIFF: "median of paired B - A"}


def format_compare(c: Comparison) -> str:
    """The study output's differences as a plain-text table, then the notes.

    Parameters
    ----------
    c
        From :func:`compare`.

    Returns
    -------
    str
    """
    t = c.table.sel(output=c.output)
    unit = str(t.units.values)
    head = ["statistic", f"A ({c.names[0]})", f"B ({c.names[1]})", "B - A", "95% interval"]
    rows = []
    for st in ("mean", *CENTRAL_90, MEDIAN_OF_DIFF, "p_below_zero", "es05"):
        r = t.sel(statistic=st)
        f = (lambda x: f"{x:.1%}") if st == "p_below_zero" else (lambda x: format_number(x, unit))  # noqa: E731
        lo, hi = float(r.diff_low), float(r.diff_high)
        both = st != MEDIAN_OF_DIFF  # the median of the paired differences is no statistic of A or B
        rows.append([_ROW_NAMES.get(st, st), f(float(r.a)) if both else "", f(float(r.b)) if both else "",
                     f(float(r["diff"])), f"{f(lo)} to {f(hi)}" if math.isfinite(lo) and math.isfinite(hi) else ""])
    lines = [f"{c.output} ({unit}): B - A on common random numbers, {c.table.attrs['samples']:,} samples, "
             f"{c.table.attrs['method']}, seed {c.table.attrs['seed']}"]
    lines += aligned([head, *rows])
    lines += [f"note: {n}" for n in c.notes]
    return "\n".join(lines)


def compare_studies(a: str | Path, b: str | Path, *, options: RunOptions | None = None,
                    echo: Callable[[str], None] | None = None, **given: Any) -> Comparison:
    """``mcrisk compare A B``: :func:`compare`, printed, and written to ``results/A-vs-B/``.

    The folder gets ``compare.csv`` (:data:`COLUMNS`), ``compare.txt`` (the printed table and
    notes) and ``figures/compare.*`` (both distributions of A's output and their paired
    difference).

    Parameters
    ----------
    a, b
        The study files.
    options, **given
        Run options, as for :func:`mcrisk.run_study` (:class:`~mcrisk.study.options.RunOptions`):
        ``samples``, ``seed``, ``method`` (default A's), ``settings`` (applied to both studies),
        ``chunk_size``, ``quiet``, ``out`` (default ``results/<A>-vs-<B>/``), ``write`` and
        ``formats`` (figure formats); any other option is refused.
    echo
        Called with the printed table.

    Returns
    -------
    Comparison
    """
    opts = RunOptions.of(options, **given).only(COMPARE_OPTIONS, "compare")
    sa, sb = (opts.applied(load_study(p), sample_settings=False) for p in (a, b))
    target = opts.out or Path("results") / f"{sa.name}-vs-{sb.name}"
    with contextlib.ExitStack() as held:
        if opts.write:
            check_out(target, (sa.path, sb.path))
            held.enter_context(hold_out(target))  # a second run into target is refused
        c = compare(sa, sb, samples=opts.samples, seed=opts.seed, method=opts.method, chunk_size=opts.chunk_size,
                    progress=not opts.quiet)
        text = format_compare(c)
        if echo is not None:
            echo(text)

        def _write(folder: Path) -> None:
            compare_frame(c.table).to_csv(folder / "compare.csv", index=False, float_format="%.10g")
            (folder / "compare.txt").write_text(text + "\n", encoding="utf-8")
            (folder / "figures").mkdir()
            ya, yb = c.a[c.output].values, c.b[c.output].values
            n = c.table.attrs["samples"]
            ax = plot_compare(c.table, np.broadcast_to(ya, (n,)).astype(float), np.broadcast_to(yb, (n,)).astype(float),
                              output=c.output, unit=str(c.table.units.sel(output=c.output).values), labels=c.names)
            save_figure(ax.figure, folder / "figures" / "compare", opts.formats)

        if opts.write:
            write_atomically(target, _write, protect=(sa.path, sb.path))
            if echo is not None:
                echo(f"\nwrote {target}/")
        return c
