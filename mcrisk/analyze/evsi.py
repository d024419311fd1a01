"""Expected value of sample information (EVSI) and the expected net benefit of sampling (ENBS).

A study of ``n`` observations of one input :math:`\\theta` does not reveal :math:`\\theta`; it
reveals a summary statistic :math:`X_n`. With the incremental net benefit :math:`D` of going
ahead (or of each option against the first),

.. math::

    \\text{EVSI}(n) = E_{X_n}[\\max(0, E(D \\mid X_n))] - \\max(0, E[D]), \\qquad
    \\text{ENBS}(n) = \\text{periods} \\cdot \\text{EVSI}(n) - c_\\text{fixed} - c_\\text{obs}\\, n.

:func:`evsi` estimates :math:`E(D \\mid X_n)` by the regression method of Strong, Oakley, Brennan
and Breeze (2015): for each stored sample :math:`i` it draws the study's sufficient statistic
given that sample's input, :math:`\\bar x_i = \\theta_i + (\\text{sd}/\\sqrt n)\\, z_i` (or, with
``scale = "log"``, :math:`\\log \\bar x_i = \\log\\theta_i + (\\text{sd}/\\sqrt n)\\, z_i`: the
mean of the observations' logs, for noise relative to the input), then regresses :math:`D` on
:math:`\\bar x` with the same P-spline smoother and bootstrap as the EVPPI
(:func:`mcrisk.analyze.voi_regression.regression_value`). No new model runs: one regression per study
and size. The standard normals :math:`z_i` are drawn once per study and shared by every size
(common random numbers), so EVSI against ``n`` is a smooth curve, not one noisy draw per size.

As ``n`` grows, :math:`\\bar x \\to \\theta` and EVSI rises to the input's EVPPI; at ``n`` small
or noise large it falls to 0. The regression shares the EVPPI's small upward bias where the
decision is close (a fit of noise is not flat).

References
----------
Strong, M., Oakley, J. E., Brennan, A. and Breeze, P. (2015). Estimating the expected value of
sample information using the probabilistic sensitivity analysis sample: a fast, nonparametric
regression-based method. Medical Decision Making 35(5), 570-583.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr
from threadpoolctl import threadpool_limits

from mcrisk.analyze.voi_regression import (bootstrap_weights, incremental, input_column, net_benefits,
                                           regression_replicates)
from mcrisk.core.errors import SpecError
from mcrisk.core.text import Labels, format_value, words
from mcrisk.spec.tables import EvsiStudy
from mcrisk.spec.voi_tables import check_evsi_study

__all__ = ["METHOD", "best_sizes", "evsi", "evsi_frame", "evsi_sentence", "evsi_table"]

#: The method, as the tables and the report name it.
METHOD = ("regression-based EVSI (Strong, Oakley, Brennan & Breeze 2015, Medical Decision Making 35:570): "
          "the study's summary statistic simulated per sample, the incremental net benefit regressed on it")


def _statistic(theta: np.ndarray, s: EvsiStudy, size: int, z: np.ndarray) -> np.ndarray:
    """The study's sufficient statistic at each sample: the mean of ``size`` observations (or of their logs)."""
    if s.scale == "log":
        return np.log(theta) + s.sd / np.sqrt(size) * z
    return theta + s.sd / np.sqrt(size) * z


def _studies(studies: Sequence[EvsiStudy | Mapping], uncertain: list[str]) -> list[EvsiStudy]:
    """Python arguments pass the file's checks: a mapping becomes an :class:`EvsiStudy`."""
    return [s if isinstance(s, EvsiStudy) else check_evsi_study(dict(s), f"evsi: studies[{i + 1}]", uncertain)
            for i, s in enumerate(studies)]


def evsi(results: xr.Dataset, studies: Sequence[EvsiStudy | Mapping], *, output: str | None = None,
         decision: str | Sequence[str] = "go", resamples: int = 50, knots: int = 8,
         rng: int | np.random.Generator | None = 0) -> xr.Dataset:
    """EVSI with its standard error, and ENBS, of each study at each of its sizes.

    Parameters
    ----------
    results
        Results over ``sample``, money per period (:func:`mcrisk.core.statistics.per_period`).
    studies
        :class:`~mcrisk.spec.tables.EvsiStudy` objects, or mappings with the keys of a
        ``[[value_of_information.studies]]`` table (checked as the file's are).
    output, decision
        As :func:`mcrisk.analyze.voi.evppi`.
    resamples
        Bootstrap resamples for the standard errors.
    knots
        Knots of the statistic's spline basis.
    rng
        Seed or generator for the bootstrap and the study's noise.

    Returns
    -------
    xarray.Dataset
        Over ``row`` (one per study and size), with coordinates ``study``, ``input``, ``n``,
        ``periods``, ``cost_fixed`` and ``cost_per_observation``:
        ``evsi`` and ``se`` in the output's units (per period), ``enbs`` in the currency, and
        ``best`` (True at each study's size of largest ENBS, if that ENBS is positive). Attrs:
        ``output``, ``units``, ``enbs_units``, ``evpi``, ``samples``, ``decision`` and ``method``.

    Notes
    -----
    See the module docstring. For a normal prior :math:`N(\\mu_0, s_0^2)`, net benefit
    :math:`\\theta` and noise sd :math:`e`, the closed form is :math:`\\tau\\phi(\\mu_0/\\tau) +
    \\mu_0\\Phi(\\mu_0/\\tau) - \\max(\\mu_0, 0)` with :math:`\\tau^2 = s_0^2\\, n s_0^2/(n s_0^2 + e^2)`;
    ``tests/test_evsi.py`` checks the estimate against it.

    Examples
    --------
    >>> ds = evsi(results, [{"name": "bench", "input": "decode_tps_per_node", "sd": 0.3,  # doctest: +SKIP
    ...                      "scale": "log", "n": [1, 4, 16]}])
    """
    output = output or results.attrs.get("output")
    uncertain = [k for k, v in results.data_vars.items() if v.attrs.get("role") == "input" and "sample" in v.dims]
    held = [k for k, v in results.data_vars.items() if v.attrs.get("role") == "input" and "sample" not in v.dims]
    studies = _studies(studies, uncertain + held)  # a held input (--set) is known: its study is worth 0
    nb, names, units = net_benefits(results, output, decision)
    ok, nb, D = incremental(nb, names)
    gen = np.random.default_rng(rng)
    n = len(D)
    weights = bootstrap_weights(n, resamples, gen)
    rows: list[tuple] = []
    replicates: list[np.ndarray] = []  # each row's EVSI on every bootstrap resample: the sizes' differences
    with threadpool_limits(limits=1, user_api="blas"):  # narrow matrices: one thread (as voi.evppi)
        for s in studies:
            held = s.input not in uncertain and s.input in results.data_vars  # --set: known, worth 0
            if s.input not in uncertain and not held:  # a checked EvsiStudy of another run's input
                raise SpecError(f"evsi: study {s.name!r}: input = {s.input!r} is not an uncertain input of the "
                                f"results; uncertain inputs: {', '.join(uncertain) or '(none)'}")
            theta = input_column(results, s.input, ok)
            if s.scale == "log" and not np.all(theta > 0) and not held:
                raise SpecError(f"evsi: study {s.name!r}: scale = \"log\" needs {s.input} positive in every "
                                "sample; give scale = \"linear\" and sd in its unit")
            z = gen.standard_normal(n)
            for size in s.n:
                value, reps = ((0.0, np.zeros(len(weights))) if held else
                               regression_replicates([_statistic(theta, s, size, z)], D, weights, knots=knots))
                se = float(np.std(reps, ddof=1)) if len(reps) > 1 else 0.0
                enbs = s.periods * value - s.cost_fixed - s.cost_per_observation * size
                rows.append((s.name, s.input, size, value, se, enbs, s.periods, s.cost_fixed, s.cost_per_observation))
                replicates.append(s.periods * reps)
    ds = evsi_table(rows, units, output, D, n, resamples, replicates=replicates)
    ds.attrs["decision"] = (f"go ahead only if the expected {output} is positive" if decision == "go" else
                            "choose the option of largest expected net benefit: " + ", ".join(names))
    return ds


def evsi_table(rows: list[tuple], units: str, output: str, D: np.ndarray, n: int, resamples: int, *,
               replicates: list[np.ndarray] | None = None, se_vs_best: np.ndarray | None = None) -> xr.Dataset:
    """:func:`evsi`'s Dataset from its rows ``(study, input, n, evsi, se, enbs, periods, cost_fixed,
    cost_per_observation)``, each study's best size marked; ``D`` gives the EVPI attr.

    ``replicates`` holds each row's ``periods x EVSI`` on every bootstrap resample (the same
    resamples for every row): the costs are exact, so the standard deviation of two rows'
    difference is the standard error of their ENBS difference (``se_vs_best``, against the
    study's size of largest ENBS). A table read back from ``evsi.csv`` gives ``se_vs_best``.
    """
    df = pd.DataFrame(rows, columns=["study", "input", "n", "evsi", "se", "enbs", "periods", "cost_fixed",
                                     "cost_per_observation"])
    best = np.zeros(len(df), dtype=bool)
    paired = np.full(len(df), np.nan) if se_vs_best is None else np.asarray(se_vs_best, dtype=float)
    for _, part in df.groupby("study", sort=False):
        i = part.enbs.idxmax()
        best[i] = part.enbs[i] > 0
        for j in part.index if replicates is not None else ():
            diff = replicates[i] - replicates[j]
            paired[j] = float(np.std(diff, ddof=1)) if diff.size > 1 else 0.0
    money = units.split("/")[0] if "/" in units else units
    evpi = float(np.maximum(D.max(axis=1), 0.0).mean() - max(0.0, D.mean(axis=0).max()))
    return xr.Dataset(
        {"evsi": ("row", df.evsi.to_numpy(float), {"long_name": "expected value of sample information", "units": units}),
         "se": ("row", df.se.to_numpy(float), {"long_name": "standard error of evsi (bootstrap)", "units": units}),
         "enbs": ("row", df.enbs.to_numpy(float), {"long_name": "expected net benefit of sampling: periods x evsi "
                                                                "- cost_fixed - cost_per_observation x n",
                                                   "units": money}),
         "best": ("row", best, {"long_name": "the study's size of largest positive ENBS"}),
         "se_vs_best": ("row", paired, {"long_name": "standard error of the ENBS of the study's size of largest "
                                                         "ENBS minus this size's (bootstrap, paired)", "units": money})},
        coords={"study": ("row", df.study.to_numpy(str)), "input": ("row", df.input.to_numpy(str)),
                "n": ("row", df.n.to_numpy(int)), "periods": ("row", df.periods.to_numpy(float)),
                "cost_fixed": ("row", df.cost_fixed.to_numpy(float), {"units": money}),
                "cost_per_observation": ("row", df.cost_per_observation.to_numpy(float), {"units": money})},
        attrs={"output": output, "units": units, "enbs_units": money, "evpi": evpi, "samples": n,
               "method": f"{METHOD}; cubic P-spline GAM, GCV penalty; SE by {resamples} bootstrap resamples"})


def best_sizes(ds: xr.Dataset) -> dict[str, int | None]:
    """Each study's best size (largest ENBS), or None where no size has a positive ENBS.

    Parameters
    ----------
    ds
        From :func:`evsi`.

    Returns
    -------
    dict
        Study name -> size or None, in the studies' order.
    """
    out: dict[str, int | None] = {}
    for name in dict.fromkeys(map(str, ds.study.values)):
        part = ds.isel(row=np.flatnonzero(ds.study.values == name))
        out[name] = int(part.n[part.best].values[0]) if bool(part.best.any()) else None
    return out


def evsi_sentence(ds: xr.Dataset, study: str, labels: Labels | None = None) -> str:
    """One study's answer in words: its best size and what it is worth net of its cost.

    Parameters
    ----------
    ds
        From :func:`evsi`.
    study
        The study's name.
    labels
        Name -> plain label for the input.

    Returns
    -------
    str
        ``"benchmark of decode tps per node: best n = 4, ENBS CNY 3.2M (EVSI 0.4M CNY/month); n = 8
        is CNY 0.1M behind (SE of the difference CNY 0.2M, within 2 SE)"``: the runner-up size and the
        standard error of its ENBS gap (bootstrap, paired), or that no size pays for itself.
    """
    part = ds.isel(row=np.flatnonzero(ds.study.values == study))
    what = f"{study} of {words(str(part.input.values[0]), labels)}"
    units, money = ds.attrs["units"], ds.attrs["enbs_units"]
    if not bool(part.best.any()):
        top = part.isel(row=int(np.argmax(part.enbs.values)))
        return (f"{what}: no size pays for itself (the best, n = {int(top.n)}, has ENBS "
                f"{format_value(float(top.enbs), money)})")
    top = part.isel(row=int(np.flatnonzero(part.best.values)[0]))
    said = (f"{what}: best n = {int(top.n)}, ENBS {format_value(float(top.enbs), money)} "
            f"(EVSI {format_value(float(top.evsi), units)})")
    if part.sizes["row"] < 2 or not np.isfinite(part.se_vs_best.values).all():
        return said
    order = np.argsort(-part.enbs.values, kind="stable")
    second = part.isel(row=int(order[1]))  # the runner-up: is the best size told apart from it?
    gap, se = float(top.enbs - second.enbs), float(second.se_vs_best)
    return (f"{said}; n = {int(second.n)} is {format_value(gap, money)} behind (SE of the difference "
            f"{format_value(se, money)}{', within 2 SE' if gap <= 2 * se else ''})")


def evsi_frame(ds: xr.Dataset) -> pd.DataFrame:
    """``evsi.csv``: columns ``study, input, n, evsi, se, enbs, se_vs_best``, one row per study and size.

    Parameters
    ----------
    ds
        From :func:`evsi`.

    Returns
    -------
    pandas.DataFrame
    """
    return pd.DataFrame({"study": ds.study.values.astype(str), "input": ds.input.values.astype(str),
                         "n": ds.n.values.astype(int), "evsi": ds.evsi.values, "se": ds.se.values,
                         "enbs": ds.enbs.values, "se_vs_best": ds.se_vs_best.values})
