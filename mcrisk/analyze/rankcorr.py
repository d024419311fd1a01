"""Attribution from an ordinary Monte Carlo run: rank correlations and what drives a loss.

These need no extra model runs: they read the inputs and outputs of a results Dataset from
:func:`mcrisk.simulate` (any design, correlated inputs included).

* :func:`rank_correlations`: Spearman's rank correlation of each uncertain input with the
  output, and the partial rank correlation coefficient (PRCC: the rank correlation after the
  linear effect of every other input's ranks is removed), each with a Fisher-z interval.
* :func:`loss_attribution`: for the event ``output < threshold`` (a loss when the threshold is
  0), the first-order Sobol' index of the loss indicator, estimated from the sample by
  binning each input (SALib's ``delta`` analyzer, ``method="sobol"``, with bootstrap
  intervals), and the Monte Carlo filtering statistic: the two-sample Kolmogorov-Smirnov
  distance between the input's values in the loss samples and in the others.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence

import numpy as np
import scipy.stats as st
import xarray as xr
from threadpoolctl import threadpool_limits

from mcrisk.core.errors import MCRiskWarning, SpecError
from mcrisk.core.events import Event
from mcrisk.core.warned import WARNINGS_LOCK, guarded_warnings, warn

__all__ = ["loss_attribution", "quiet_salib", "rank_correlations", "salib_seed", "uncertain_inputs"]


@contextlib.contextmanager
def quiet_salib(messages: list[str] | None = None) -> Iterator[None]:
    """Run SALib code without letting it touch global state, one thread at a time.

    Some SALib analyzers seed numpy's global generator (delta's and PAWN's bootstraps draw from
    it), call ``warnings.simplefilter`` and replace ``warnings.formatwarning``; this puts all
    three back and collects SALib's warnings into ``messages`` instead of printing them. The
    block holds :data:`~mcrisk.core.warned.WARNINGS_LOCK`: two threads drawing from numpy's one
    global generator at once would each get a share of the other's draws (two studies analysed
    in two threads swapped parts of their confidence intervals), and SALib's warnings are
    recorded by a process-wide hook. BLAS runs on one thread meanwhile: SALib's
    delta analyzer makes thousands of tiny kernel-density solves, which threads only slow down
    (ten times over on a busy two-core machine).

    Parameters
    ----------
    messages
        A list that collects the text of each distinct warning raised inside the block (whitespace
        collapsed to single spaces), or ``None`` to drop them.

    Yields
    ------
    None
        Nothing; the block runs with the state saved.
    """
    with WARNINGS_LOCK:
        state = np.random.get_state()
        fmt = warnings.formatwarning
        with guarded_warnings(record=True) as caught, threadpool_limits(limits=1, user_api="blas"):
            warnings.simplefilter("always")
            try:
                yield
            finally:
                np.random.set_state(state)
                warnings.formatwarning = fmt
    if messages is not None:
        for w in caught:
            text = " ".join(str(w.message).split())
            if text not in messages:
                messages.append(text)


def uncertain_inputs(results: xr.Dataset) -> list[str]:
    """The inputs of ``results`` that vary along ``sample`` (constants are 0-d).

    Parameters
    ----------
    results
        Results over ``sample`` (from :func:`mcrisk.simulation.engine.simulate`).

    Returns
    -------
    list of str
        The names of the variables with ``role`` ``"input"`` and a ``sample`` dimension, in order.
    """
    return [k for k, v in results.data_vars.items()
            if v.attrs.get("role") == "input" and "sample" in v.dims]


def _outputs(output: str | Sequence[str]) -> list[str]:
    return [output] if isinstance(output, str) else list(output)


def _columns(results: xr.Dataset, inputs: Sequence[str], output: str) -> tuple[np.ndarray, np.ndarray]:
    if output not in results:
        raise SpecError(f"output = {output!r} is not in the results; variables: {', '.join(results.data_vars)}")
    x = np.column_stack([results[k].values.astype(float) for k in inputs])
    y = results[output].values.astype(float)
    keep = np.isfinite(y) & np.isfinite(x).all(axis=1)
    return x[keep], y[keep]


def _fisher(r: np.ndarray, se: float, z: float) -> tuple[np.ndarray, np.ndarray]:
    zr = np.arctanh(np.clip(r, -1 + 1e-15, 1 - 1e-15))
    return np.tanh(zr - z * se), np.tanh(zr + z * se)


def _rank_one(x: np.ndarray, y: np.ndarray, conf_level: float, inputs: Sequence[str] = (),
              output: str = "", notes: list[str] | None = None) -> dict[str, np.ndarray]:
    """Spearman and PRCC of each column of ``x`` with ``y``; NaN where a column is constant.

    A constant column (or fewer than 3 samples, or a constant ``y``) has no rank correlation:
    its entries are NaN and a sentence saying why is appended to ``notes``.
    """
    n, d = x.shape
    out = {k: np.full(d, np.nan) for k in ("spearman", "spearman_low", "spearman_high", "prcc", "prcc_low",
                                           "prcc_high")}
    notes = [] if notes is None else notes
    if n < 3:
        notes.append(f"{output}: only {n} sample(s) with finite values; no rank correlation can be estimated")
        return out
    ranks = st.rankdata(np.column_stack([x, y]), axis=0)
    varies = np.ptp(ranks, axis=0) > 0
    if not varies[d]:
        notes.append(f"{output} is the same in every sample with finite values; its rank correlations are nan")
        return out
    keep = np.flatnonzero(varies[:d])
    if len(keep) < d:
        flat = [str(inputs[i]) if i < len(inputs) else f"#{i}" for i in np.flatnonzero(~varies[:d])]
        one = len(flat) == 1
        notes.append(f"{output}: {', '.join(flat)} {'does' if one else 'do'} not vary in the samples with "
                     f"finite values; {'its' if one else 'their'} rank correlations are nan")
    k = len(keep)
    c = np.corrcoef(ranks[:, [*keep, d]], rowvar=False)
    z = st.norm.ppf(0.5 + conf_level / 2)
    rho = c[:k, k]
    # Fieller, Hartley and Pearson (1957): var(atanh r_s) ~ 1.06 / (n - 3)
    lo, hi = _fisher(rho, np.sqrt(1.06 / max(n - 3, 1)), z)
    p = np.linalg.pinv(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        prcc = np.clip(-p[:k, k] / np.sqrt(np.abs(p[:k, :k].diagonal() * p[k, k])), -1, 1)
    plo, phi = _fisher(prcc, 1 / np.sqrt(max(n - 3 - (k - 1), 1)), z)
    for name, v in (("spearman", rho), ("spearman_low", lo), ("spearman_high", hi), ("prcc", prcc),
                    ("prcc_low", plo), ("prcc_high", phi)):
        out[name][keep] = v
    return out


_RANK_DOC = {
    "spearman": "Spearman rank correlation with the output",
    "prcc": "partial rank correlation with the output (other inputs' ranks removed)",
}


def _assemble(per_output: list[dict[str, np.ndarray]], outputs: list[str], inputs: Sequence[str],
              docs: dict[str, str]) -> xr.Dataset:
    data = {}
    for k in per_output[0]:
        base = k.removeprefix("loss_").rsplit("_", 1)[0] if k.endswith(("_low", "_high", "_conf", "_pvalue")) else k
        attrs = {"units": "1", "long_name": docs.get(base.removeprefix("loss_"), docs.get(base, k)) + (
            " (lower bound)" if k.endswith("_low") else " (upper bound)" if k.endswith("_high") else
            " (half-width of the interval)" if k.endswith("_conf") else " (p-value)" if k.endswith("_pvalue") else "")}
        if len(outputs) == 1:
            data[k] = ("input", per_output[0][k], attrs)
        else:
            data[k] = (("output", "input"), np.stack([r[k] for r in per_output]), attrs)
    coords = {"input": np.array(list(inputs), dtype=object)}
    if len(outputs) > 1:
        coords["output"] = np.array(outputs, dtype=object)
    return xr.Dataset(data, coords=coords)


def rank_correlations(results: xr.Dataset, *, output: str | Sequence[str], inputs: Sequence[str] | None = None,
                      conf_level: float = 0.95, notes: list[str] | None = None) -> xr.Dataset:
    """Spearman and partial rank correlations of each uncertain input with ``output``.

    Parameters
    ----------
    results
        A results Dataset over ``sample`` (:func:`mcrisk.simulate`).
    output
        One output name, or several.
    inputs
        The inputs to correlate (default: every input that varies along ``sample``).
    conf_level
        Confidence level of the intervals.
    notes
        Sentences about inputs or outputs with no rank correlation (constant in the samples
        with finite values; their entries are NaN) are appended here; without a list they
        come as :class:`~mcrisk.core.errors.MCRiskWarning`.

    Returns
    -------
    xarray.Dataset
        Over ``input`` (and ``output`` when several): ``spearman``, ``spearman_low``,
        ``spearman_high``, ``prcc``, ``prcc_low``, ``prcc_high`` (all dimensionless).

    Notes
    -----
    Intervals use Fisher's ``z = atanh r`` with standard error ``sqrt(1.06 / (n - 3))`` for
    Spearman (Fieller, Hartley and Pearson, 1957) and ``1 / sqrt(n - 3 - (k - 1))`` for the
    PRCC with ``k`` inputs. With ``P`` the inverse of the rank correlation matrix of
    ``(x_1, ..., x_k, y)``, ``PRCC_i = -P_iy / sqrt(P_ii P_yy)``. Samples where the output or an
    input is not finite are left out.
    """
    inputs = uncertain_inputs(results) if inputs is None else list(inputs)
    outputs = _outputs(output)
    rows, said = [], [] if notes is None else notes
    for out in outputs:
        x, y = _columns(results, inputs, out)
        rows.append(_rank_one(x, y, conf_level, inputs, out, said))
    if notes is None:
        for text in said:
            warn(text, MCRiskWarning, stacklevel=2)
    return _assemble(rows, outputs, inputs, _RANK_DOC)


_LOSS_DOC = {
    "S1": "first-order Sobol' index of the loss indicator (binned estimate)",
    "ks": "Kolmogorov-Smirnov distance between the input in loss and in other samples",
}


def loss_attribution(results: xr.Dataset, *, output: str | Sequence[str], threshold: float = 0.0,
                     inputs: Sequence[str] | None = None, num_resamples: int = 100,
                     conf_level: float = 0.95, seed: int = 0,
                     notes: list[str] | None = None, event: Event | None = None) -> xr.Dataset:
    """Which inputs decide an event such as ``output < threshold`` (a loss, for a profit and 0).

    Parameters
    ----------
    results
        A results Dataset over ``sample``.
    output
        One output name, or several.
    threshold
        The event is ``output < threshold`` (when ``event`` is None).
    inputs
        Default: every input that varies along ``sample``.
    num_resamples, conf_level
        Bootstrap resamples and confidence level of ``loss_S1_conf``.
    seed
        Seeds the bootstrap.
    notes
        Sentences about the estimate (too few loss samples, no loss at all) are appended here.
    event
        The event, of each output (:class:`mcrisk.core.events.Event`; its output, if named, is
        ignored): ``"< x"``, ``"> x"``, ... Default ``"< threshold"``.

    Returns
    -------
    xarray.Dataset
        Over ``input`` (and ``output``): ``loss_S1``, ``loss_S1_conf`` (share of the variance of
        the indicator ``1[output < threshold]`` explained by the input alone), ``loss_ks`` and
        ``loss_ks_pvalue`` (Monte Carlo filtering). Attr ``loss_probability`` (per output).

    Notes
    -----
    ``loss_S1_i = Var(E[1_loss | x_i]) / Var(1_loss)``, estimated by partitioning ``x_i``
    into equal-frequency classes (Plischke, Borgonovo and Smith, 2013), the estimator of
    SALib's ``delta`` analyzer. ``loss_ks_i = sup_t |F_i(t | loss) - F_i(t | no loss)|``
    (Hornberger and Spear, 1981).
    """
    from SALib.analyze import delta  # heavy (about 0.5 s): imported when the attribution runs

    inputs = uncertain_inputs(results) if inputs is None else list(inputs)
    outputs = _outputs(output)
    notes = [] if notes is None else notes
    rows, probs = [], []
    event = Event(None, "<", float(threshold)) if event is None else event
    for out in outputs:
        x, y = _columns(results, inputs, out)
        loss = np.asarray(event.happens(y), dtype=bool)
        k, n = int(loss.sum()), len(y)
        probs.append(k / n if n else np.nan)
        row = {f"loss_{v}": np.full(len(inputs), np.nan) for v in ("S1", "S1_conf", "ks", "ks_pvalue")}
        if k == 0 or k == n:
            notes.append(f"{out}: {'no' if k == 0 else 'every'} sample of {n:,} has {out} {event.condition}, "
                         "so nothing can be attributed to the loss event")
            rows.append(row)
            continue
        if min(k, n - k) < 50:
            notes.append(f"{out}: only {min(k, n - k):,} of {n:,} samples fall on the "
                         f"{'loss' if k < n - k else 'no-loss'} side of {out} {event.condition}; loss "
                         "attribution is rough (more samples would help)")
        problem = {"num_vars": len(inputs), "names": list(inputs), "bounds": [[0.0, 1.0]] * len(inputs)}
        u = (st.rankdata(x, axis=0) - 0.5) / n
        try:
            with quiet_salib():
                s = delta.analyze(problem, u, loss.astype(float), num_resamples=num_resamples,
                                  conf_level=conf_level, seed=salib_seed(seed, 99), method="sobol")
        except (np.linalg.LinAlgError, ValueError) as exc:  # a (nearly) constant column
            notes.append(f"{out}: the loss attribution failed in SALib ({' '.join(str(exc).split())}); its "
                         "loss_S1 is left out")
            s = {"S1": np.full(len(inputs), np.nan), "S1_conf": np.full(len(inputs), np.nan)}
        with guarded_warnings():
            # Ties (a discrete input) make scipy fall back from the exact p-value to the
            # asymptotic one, and say so; the fallback is the right answer, not news.
            warnings.filterwarnings("ignore", "ks_2samp: Exact calculation unsuccessful", RuntimeWarning)
            ks = st.ks_2samp(x[loss], x[~loss], axis=0)
        row.update({"loss_S1": np.asarray(s["S1"], float), "loss_S1_conf": np.asarray(s["S1_conf"], float),
                    "loss_ks": np.asarray(ks.statistic, float), "loss_ks_pvalue": np.asarray(ks.pvalue, float)})
        rows.append(row)
    ds = _assemble(rows, outputs, inputs, _LOSS_DOC)
    ds.attrs.update({"loss_event": f"output {event.condition}",
                     "loss_method": "loss_S1: first-order Sobol' index of the loss indicator estimated from the "
                                    "Monte Carlo sample by equal-frequency binning (SALib delta analyzer, "
                                    "method='sobol'); loss_ks: Monte Carlo filtering, two-sample "
                                    "Kolmogorov-Smirnov distance of each input between loss and no-loss samples",
                     "loss_probability": probs[0] if len(probs) == 1 else np.asarray(probs)})
    return ds


def salib_seed(seed: int, stream: int = 0) -> int:
    """A nonzero seed for SALib call ``stream`` of a run seeded ``seed``.

    Several SALib analyzers test ``if seed:``, which silently ignores a seed of 0; every seed
    mcrisk hands SALib is derived from the run's seed and is never 0.

    Parameters
    ----------
    seed
        The run's integer seed.
    stream
        Which SALib call of the run (0, 1, ...): each gets its own seed.

    Returns
    -------
    int
        A seed in ``[1, 2**32)``, from ``numpy.random.SeedSequence(seed, spawn_key=(stream,))``.
    """
    s = int(np.random.SeedSequence(int(seed), spawn_key=(stream,)).generate_state(1, np.uint32)[0])
    return s or 1
