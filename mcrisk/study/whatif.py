"""What-if on common random numbers: a study's design drawn once, the model evaluated again for each change.

A :class:`WhatIf` holds one study at its run options. A :class:`Change` holds inputs at values
(``--set``'s check: :func:`mcrisk.spec.priorref.set_inputs`) and scales the spread of others
about their medians (the ``spread`` key of a prior: :func:`mcrisk.spec.priors.with_spread`).
Every change is the study ``mcrisk run --set`` would run, on the same path: the same design
(:func:`mcrisk.sampling.design.sample`), the same evaluation
(:func:`mcrisk.simulation.evaluate.evaluate`) and the same statistics
(:func:`mcrisk.analyze.risk.summarize` of :func:`mcrisk.core.statistics.per_period`), so the
numbers are equal to the last bit.

The draws are kept: the uncertain inputs' samples depend only on which inputs are uncertain,
their priors and correlations, the design, the sample count and the seed, so they are drawn once
for each such set and reused (:data:`KEPT` of them) while held values and constants change.
Moving a held input's slider evaluates the model on the very same samples: what moves is the
change, not sampling noise. Holding a further input changes the design's dimension, as
``--set`` does, and draws that design once.

Beside the summary, :meth:`WhatIf.view` gives what the page draws from the same samples: a
histogram, the tornado (:func:`mcrisk.analyze.tornado.tornado`) and a given-data first-order
attribution (:func:`first_order`).
"""

from __future__ import annotations

import math
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import xarray as xr

from mcrisk.analyze.risk import summarize
from mcrisk.analyze.tornado import tornado
from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.labels import label_of
from mcrisk.core.statistics import per_period
from mcrisk.core.validate import show_key
from mcrisk.core.warned import guarded_warnings
from mcrisk.sampling.design import sample
from mcrisk.simulation.evaluate import evaluate
from mcrisk.spec.conform import check_domain
from mcrisk.spec.priorref import set_inputs
from mcrisk.spec.priors import priors_text, with_spread
from mcrisk.spec.studyfile import Study, load_study
from mcrisk.study.options import RunOptions
from mcrisk.study.runner import IN_MEMORY

__all__ = ["KEPT", "SERVE_OPTIONS", "Change", "WhatIf", "first_order", "parse_change"]

#: Designs kept at once (one per set of uncertain inputs met, the oldest dropped first).
KEPT = 8
#: The run options ``mcrisk serve`` honours: those of the samples and their statistics.
SERVE_OPTIONS = ("samples", "seed", "method", "on_nonfinite", "strict", "quiet")
#: The statistics of :meth:`WhatIf.summary`, by the name the API gives them: summary variable.
SUMMARY_KEYS = {"p_loss": "p_below_zero", "p_loss_se": "se_p_below_zero", "mean": "mean", "p05": "p05",
                "p50": "p50", "p95": "p95"}


@dataclass(frozen=True)
class Change:
    """Held values and spreads: ``values`` holds inputs (as ``--set NAME=VALUE``), ``spreads``
    scales uncertain inputs' spreads about their medians (as ``spread = k`` in the study file)."""

    values: tuple[tuple[str, float], ...] = ()
    spreads: tuple[tuple[str, float], ...] = ()


def _pair(text: str, key: str) -> tuple[str, float]:
    name, colon, value = text.partition(":")
    try:
        number = float(value) if colon and name.strip() else None
    except ValueError:
        number = None
    if number is None or not math.isfinite(number):
        raise SpecError(f"{key}={shorten(text)} must be NAME:VALUE with a finite number, e.g. "
                        f"{key}=gpu_hour_price:{'2.5' if key == 'set' else '1.5'}")
    return name.strip(), number


def parse_change(query: Mapping[str, Sequence[str]]) -> Change:
    """The change a query asks for: ``set=NAME:VALUE`` and ``spread=NAME:FACTOR``, each repeatable.

    Raises
    ------
    SpecError
        One line: a key other than ``set`` and ``spread``, a pair that is not NAME:number, an
        input named twice, or both held and spread.
    """
    if unknown := [k for k in query if k not in ("set", "spread")]:
        raise SpecError(f"{shorten(unknown[0])} is not a parameter; parameters: set=NAME:VALUE, spread=NAME:FACTOR")
    pairs = {key: [_pair(t, key) for t in query.get(key, ())] for key in ("set", "spread")}
    seen: set[str] = set()
    for key, items in pairs.items():
        for name, v in items:
            if name in seen:
                raise SpecError(f"{key}={show_key(name)}:{v:g}: {show_key(name)} is named twice; hold an input "
                                "at a value or scale its spread, once")
            seen.add(name)
    return Change(tuple(pairs["set"]), tuple(pairs["spread"]))


def first_order(classes: np.ndarray, counts: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Given-data first-order indices: the share of ``y``'s variance explained by each input's class.

    Parameters
    ----------
    classes
        ``(d, n)`` integers: the equal-count class of each sample in each input's ranking.
    counts
        ``(d, m)``: the samples in each class.
    y
        ``(n,)`` output values (finite).

    Returns
    -------
    numpy.ndarray
        ``(d,)``: ``sum_k (n_k / n) (mean_k - mean)^2 / var(y)`` (0 for a constant ``y``).

    Notes
    -----
    The correlation ratio over equal-count classes of each input: SALib's ``delta`` analyzer's
    first-order estimate (``sobol_first``, with its number of classes,
    ``min(ceil(n^(2 / (7 + tanh((1500 - n) / 500)))), 48)``), vectorised over inputs. It reads
    any design's samples, needs no model runs and is biased upwards by about ``(m - 1) / n``.
    E. Plischke, E. Borgonovo, C. L. Smith, "Global sensitivity measures from given data",
    European Journal of Operational Research 226(3), 2013.
    """
    var = float(np.var(y))
    if not np.ptp(y) > 0 or not var > 0:
        return np.zeros(len(classes))
    m = counts.shape[1]
    mean = float(y.mean())
    sums = np.stack([np.bincount(c, weights=y, minlength=m) for c in classes])
    means = sums / np.maximum(counts, 1)
    return ((counts / y.size) * (means - mean) ** 2).sum(axis=1) / var


def _classes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each sample's equal-count class in the ranking of ``values`` (ordinal ranks, SALib's partition)."""
    n = values.size
    m = int(np.round(min(int(np.ceil(n ** (2.0 / (7.0 + np.tanh((1500.0 - n) / 500.0))))), 48)))
    ranks = np.empty(n, dtype=np.int64)
    ranks[np.argsort(values, kind="stable")] = np.arange(1, n + 1)
    cls = np.searchsorted(np.linspace(0, n, m + 1), ranks, side="left") - 1
    return cls, np.bincount(cls, minlength=m)


class WhatIf:
    """One study, its design kept, evaluated for one :class:`Change` after another.

    Parameters
    ----------
    study
        A study file or a loaded :class:`~mcrisk.spec.studyfile.Study`.
    options
        Run options; only :data:`SERVE_OPTIONS` apply (another is refused).
    **given
        Run options by name (``samples=20_000``).

    Raises
    ------
    SpecError
        For a bad option, more samples than a run holds in memory, or a study with a precision
        target (its sample count is not fixed).
    """

    def __init__(self, study: str | Path | Study, *, options: RunOptions | None = None, **given: Any) -> None:
        opts = RunOptions.of(options, **given).only(SERVE_OPTIONS, "serve")
        loaded = study if isinstance(study, Study) else load_study(study, strict=opts.strict)
        self.study = opts.applied(loaded)
        self.options = opts
        if self.study.samples > IN_MEMORY:
            raise SpecError(f"serve: samples = {self.study.samples:,} is more than a run holds in memory "
                            f"({IN_MEMORY:,}); the page keeps every sample")
        if self.study.precision:
            raise SpecError(f"{self.study.path}: precision = ... adds samples until a target is met; serve keeps a "
                            "fixed design: give --samples N (and `mcrisk run --samples N` reproduces the page)")
        self.lock = threading.RLock()  # one evaluation at a time: the kept designs are shared
        self._designs: OrderedDict[str, tuple] = OrderedDict()
        #: Seconds one model evaluation took per sample, last measured (a Sobol' run's expected time)
        self.seconds_per_sample = 1e-6

    # -- the study of a change ------------------------------------------------------------------

    def changed(self, change: Change) -> Study:
        """The study with ``change`` applied, checked as ``--set`` and a ``spread`` key are."""
        study = self.study
        if change.values:
            study = set_inputs(study, dict(change.values), where="set", strict=self.options.strict)
        if not change.spreads:
            return study
        entries = dict(study.priors.entries)
        declared = getattr(study.model, "inputs", None) or {}
        for name, k in change.spreads:
            at = f"spread={show_key(name)}:{k:g}:"
            if name not in entries or entries[name].is_constant:
                raise SpecError(f"{at} not an uncertain input of the study; uncertain: "
                                f"{', '.join(study.priors.uncertain) or 'none'}")
            prior = with_spread(entries[name], k, where=at)
            if (var := declared.get(name)) is not None:
                check_domain(prior, var.domain, where=at)
            entries[name] = prior
        return replace(study, priors=replace(study.priors, entries=MappingProxyType(entries)))

    def study_of(self, change: Change) -> tuple[Study, list[str]]:
        """:meth:`changed`, with the warnings it gives as notes (a plausibility check's), not raised."""
        with guarded_warnings(record=True) as caught:
            _notes_only()
            study = self.changed(change)
        return study, list(dict.fromkeys(str(w.message) for w in caught))

    def _inputs(self, study: Study) -> tuple[xr.Dataset, np.ndarray, np.ndarray]:
        """The inputs of ``study``'s run, as :func:`sample` draws them, and each uncertain input's classes.

        The design and each family's inverse CDF are drawn once for a set of uncertain inputs: the
        draws of the priors with no spread and no unit scale (:func:`sample` of those), kept. A
        prior's draws are then :meth:`~mcrisk.spec.priorspec.Prior.transform` of them, the very
        operations its ``ppf`` applies after the family's, so a spread changed on the page costs
        one input's transform, and the values are :func:`sample`'s of the changed priors, bit for
        bit. A spread and a scale keep every rank, so the classes of :func:`first_order` are kept too.
        """
        priors = study.priors
        names = priors.uncertain
        # the priors with neither spread nor unit scale on their uncertain entries
        plain = replace(priors, entries=MappingProxyType({k: replace(p, spread=1.0, scale=1.0) if k in names else p
                                                         for k, p in priors.items()}))
        key = repr(([plain[k] for k in names], priors.correlations))
        if key in self._designs:
            self._designs.move_to_end(key)
        else:
            drawn = sample(plain, study.samples, method=study.method, rng=study.seed)
            parts = [_classes(drawn[k].values) for k in names]
            self._designs[key] = (
                {k: drawn[k].values for k in names}, drawn.coords["sample"].values, dict(drawn.attrs),
                np.stack([c for c, _ in parts]) if parts else np.empty((0, study.samples), np.int64),
                np.stack([c for _, c in parts]) if parts else np.empty((0, 1), np.int64))
            if len(self._designs) > KEPT:
                self._designs.popitem(last=False)
        raw, positions, attrs, classes, counts = self._designs[key]
        # every input in the priors' order, as sample() writes it (constants 0-d, in their own unit)
        variables = {k: xr.Variable(("sample",) if k in names else (),
                                    p.transform(raw[k]) if k in names else p.params["value"],
                                    {"units": p.unit, "long_name": k.replace("_", " "), "distribution": p.describe()})
                     for k, p in priors.items()}
        attrs = {**attrs, "priors": priors_text(priors)}
        return xr.Dataset(variables, coords={"sample": positions}, attrs=attrs), classes, counts

    def results(self, change: Change) -> tuple[Study, xr.Dataset, xr.Dataset, np.ndarray, np.ndarray, list[str]]:
        """The changed study, its results per period, its summary, the classes, and the notes given."""
        with self.lock, guarded_warnings(record=True) as caught:
            _notes_only()
            study = self.changed(change)
            inputs, classes, counts = self._inputs(study)
            start = time.perf_counter()
            results = evaluate(study.model, inputs, currency=study.priors.currency)
            self.seconds_per_sample = (time.perf_counter() - start) / study.samples
            # the output alone, restated per period: per_period and summarize treat each variable alone
            results = per_period(results[[study.output]], study.period_days)
            summary = summarize(results, [study.output], nonfinite=self.options.on_nonfinite)
        notes = list(dict.fromkeys(str(w.message) for w in caught))
        return study, results, summary, classes, counts, notes

    # -- what the API and the page show ---------------------------------------------------------

    def summary(self, change: Change = Change()) -> dict[str, Any]:
        """The output's statistics under ``change``: those of ``mcrisk run --set`` at the same options."""
        study, _, summary, *_ = self.results(change)
        return self._stats(study, summary)

    def _stats(self, study: Study, summary: xr.Dataset) -> dict[str, Any]:
        row = summary.sel(output=study.output)
        stats = {key: float(row[var]) for key, var in SUMMARY_KEYS.items()}
        return {**stats, "samples": int(study.samples), "seed": int(study.seed), "method": study.method,
                "output": study.output, "units": str(row["units"].item()) if "units" in row.coords else ""}

    def view(self, change: Change = Change()) -> dict[str, Any]:
        """What the page draws: the summary, a histogram, the tornado and the first-order attribution."""
        study, results, summary, classes, counts, notes = self.results(change)
        y = np.asarray(results[study.output].values, dtype=float).ravel()
        finite = np.isfinite(y)
        if not finite.all():  # the statistics' samples: the finite ones (copies only then)
            y, classes = y[finite], classes[:, finite]
            counts = np.stack([np.bincount(c, minlength=counts.shape[1]) for c in classes])
        shares = first_order(classes, counts, y) if classes.size else np.zeros(0)
        names = study.priors.uncertain
        label = lambda k: label_of(k, model=study.model, priors=study.priors, period_days=study.period_days)
        return {"summary": self._stats(study, summary), "histogram": _histogram(y, summary.sel(output=study.output)),
                "tornado": self._tornado(study, label),
                "attribution": sorted(({"input": k, "label": label(k), "share": float(s)}
                                       for k, s in zip(names, shares, strict=True)), key=lambda r: -r["share"]),
                "notes": notes}

    def _tornado(self, study: Study, label) -> dict[str, Any]:
        cfg = study.tornado
        output, low, high = (cfg.output, cfg.low, cfg.high) if cfg is not None else (study.output, 0.10, 0.90)
        if not study.priors.uncertain:
            return {"low": low, "high": high, "base": math.nan, "rows": []}
        with self.lock, guarded_warnings(record=True):
            _notes_only()
            tab = per_period(tornado(study.model, study.priors, output=output, low=low, high=high), study.period_days)
        col = {k: tab[k].values.tolist() for k in ("input", "input_units", "input_low", "input_high", "output_low",
                                                   "output_high")}
        rows = [{"input": k, "label": label(k), "unit": u, "input_low": a, "input_high": b, "output_low": c,
                 "output_high": d} for k, u, a, b, c, d in zip(*col.values(), strict=True)]
        return {"low": low, "high": high, "base": float(tab.attrs["base_output"]), "rows": rows,
                "output": output, "units": tab.output_low.attrs.get("units", "")}


def _notes_only() -> None:
    """In a recording block: every warning recorded as a note (none raised by an ``error`` filter), but
    ``--set``'s word about a ``[sweep]`` or ``[solve]`` lever, which is what the page's lever slider is for."""
    warnings.simplefilter("always")
    warnings.filterwarnings("ignore", message=r"set .*: the \[(sweep|solve)\] holds ")


def _histogram(y: np.ndarray, row: xr.Dataset, bins: int = 60) -> dict[str, Any]:
    """Counts of ``y`` over ``bins`` equal bins from its P5 less the P5-P95 width to its P95 plus it
    (cut to the minimum and maximum; the tails beyond are counted in the end bins): the summary's
    own percentiles, so no further sort."""
    if not y.size:
        return {"lo": 0.0, "hi": 0.0, "counts": []}
    p05, p95, low, high = (float(row[k]) for k in ("p05", "p95", "min", "max"))
    lo, hi = max(low, p05 - (p95 - p05)), min(high, p95 + (p95 - p05))
    if not hi > lo:
        return {"lo": lo, "hi": hi, "counts": [int(y.size)]}
    counts = np.bincount(np.clip(((y - lo) / (hi - lo) * bins).astype(np.int64), 0, bins - 1), minlength=bins)
    return {"lo": lo, "hi": hi, "counts": counts.tolist()}
