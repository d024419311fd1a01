"""Solving for a target: the lever value at which a statistic of an output is just met.

:func:`solve` draws the other inputs once (common random numbers, as :mod:`mcrisk.sweep`),
brackets the answer on a grid over ``[low, high]``, and bisects to a stated tolerance. The
answer comes with a 95% confidence interval, found by solving for the two bounds of the
statistic's own interval on the same samples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

import numpy as np

from mcrisk.spec.decision_tables import Target, parse_target
from mcrisk.core.errors import MCRiskWarning, SpecError
from mcrisk.analyze.intervals import order_ranks
from mcrisk.analyze.solve_eval import in_memory, statistic, streamed
from mcrisk.models import model_inputs
from mcrisk.spec.callcheck import check_lever_values, conform_call
from mcrisk.spec.priors import Priors
from mcrisk.sampling.design import Method, sample
from mcrisk.analyze.sweep import lever_inputs
from mcrisk.core.events import threshold_text
from mcrisk.core.text import Labels, format_number
from mcrisk.core.validate import SamplingMethod, check_samples
from mcrisk.core.warned import warn

# order_ranks lives in mcrisk.analyze.intervals, statistic in mcrisk.analyze.solve_eval; importable from here too.
__all__ = ["GRID", "INTERVALS", "Solution", "format_solution", "order_ranks", "solve", "statistic"]

#: Grid points over ``[low, high]`` evaluated before bisecting (the bracket and the monotonicity check).
GRID = 9

#: How the interval is computed, per design (stored in ``solve.json`` as ``interval``).
INTERVALS: dict[str, str] = {
    "random": "exact distribution-free: order statistics of the binomial (probability and percentile "
              "targets); normal, mean +- 1.96 SE (mean targets)",
    "lhs": "the random-sampling interval; a Latin hypercube's variance is at most n/(n-1) times that of "
           "random sampling (Owen 1997) and usually much less, so the interval is conservative up to that factor",
    "sobol": "the random-sampling interval; usually conservative for a scrambled Sobol' design but not "
             "guaranteed (use method = \"random\" for an exact interval)",
}


@dataclass(frozen=True)
class Solution:
    """The answer of :func:`solve`.

    Attributes
    ----------
    lever, target
        The input solved for and the target (as written).
    value : float
        The lever value at which the target is just met (on the side where it is met), in the
        lever's units.
    ci_low, ci_high : float
        Its 95% confidence interval (clipped to ``[low, high]``; ``clipped`` says which ends).
    achieved : float
        The target's statistic at ``value``.
    samples, method, seed
        The run.
    low, high, tolerance
        The range searched and the bisection's final bracket width (lever units).
    met_above : bool
        Whether the target is met above ``value`` (else below it).
    evaluations : int
        Model evaluations (each of ``samples`` samples).
    interval : str
        How the interval is computed.
    clipped : str
        ``""``, ``"low"``, ``"high"`` or ``"low,high"``: interval ends at the range's ends.
    """

    lever: str
    target: str
    value: float
    ci_low: float
    ci_high: float
    achieved: float
    samples: int
    method: str
    seed: int
    low: float
    high: float
    tolerance: float
    met_above: bool
    evaluations: int
    interval: str
    clipped: str = ""
    unit: str = ""

    def as_dict(self) -> dict:
        """The fields as a dict (what ``solve.json`` holds)."""
        return asdict(self)


def solve(model: Callable, priors: Priors, lever: str, target: str | Target, low: float, high: float, n: int, *,
          method: SamplingMethod | Method = "random", rng: int | np.random.Generator | None = None,
          tolerance: float = 1e-3, relative: bool = True, unit: str = "", chunk_size: int | None = None) -> Solution:
    """The lever value at which ``target`` is just met, with its 95% confidence interval.

    Parameters
    ----------
    model
        A model callable; ``lever`` must be one of its inputs.
    priors
        The other inputs' priors. A lever in the priors is held at each value tried (dropped
        before sampling, as in :func:`mcrisk.analyze.sweep.sweep`).
    lever
        The input solved for.
    target
        Such as ``"P(profit_per_day > 0) >= 0.9"`` (see :func:`mcrisk.spec.decision_tables.parse_target`).
    low, high
        The range searched, in the model's unit for the lever (the priors are converted to the
        model's units, and checked against its inputs' domains, as a study run's are).
    n, method, rng
        Samples of the other inputs, design and seed; every lever value tried uses the same draws.
    tolerance, relative
        Bisect until the bracket is narrower than ``tolerance`` (lever units), or, with
        ``relative``, ``tolerance * |value|``.
    unit
        The lever's unit, for the printed answer.
    chunk_size
        ``None``: draw the other inputs once and hold them. A number: hold none, and stream
        every batch of lever values over chunks of this many samples
        (:func:`mcrisk.analyze.solve_eval.streamed`); the answer is the same, bit for bit.

    Returns
    -------
    Solution

    Raises
    ------
    SpecError
        If the lever is not a model input, the target's output is not an output, ``low >= high``,
        the target is met nowhere in ``[low, high]`` (naming the best value reached) or
        everywhere, or it is met and missed more than once on the grid (not monotone).

    Warns
    -----
    MCRiskWarning
        When the statistic is not monotone on the grid but the target is crossed once.

    Notes
    -----
    With ``m(v) = s(v) - level`` (negated for ``<=``) the target's margin at lever value
    ``v`` on the fixed draws, the statistic is evaluated on a grid of :data:`GRID` values; the
    grid cell where ``m`` changes sign is bisected until it is narrower than the tolerance, and
    ``value`` is its end where the target is met. The interval ends are found the same way,
    with ``s`` replaced by the lower and upper bounds of the statistic's 95% interval
    (:func:`statistic`). For a probability target on random draws and outputs monotone in the
    lever, this is the exact order-statistic interval of the quantile ``level`` of the
    per-sample break-even lever values; for LHS and Sobol' see :data:`INTERVALS`.

    Examples
    --------
    >>> sol = solve(maas, priors, "price_output", "P(profit_per_day > 0) >= 0.9", 1, 100, 20_000, rng=1)
    """
    target = parse_target(target) if isinstance(target, str) else target
    required, optional, anykw = model_inputs(model)
    if lever not in required and lever not in optional and not (anykw and lever in priors):
        raise SpecError(f"lever = {lever!r} is not an input of the model; inputs: "
                        f"{', '.join([*required, *optional])}")
    low, high = float(low), float(high)
    if not low < high:
        raise SpecError(f"low = {low!r} must be below high = {high!r}")
    check_lever_values(model, lever, {"low": low, "high": high}, where="solve")  # as a study's [solve] bounds
    priors, _ = conform_call(model, priors, where="solve", stacklevel=3)  # low, high: the model's unit
    if chunk_size is None:
        inputs = lever_inputs(priors, lever, n, method=method, rng=rng)
        n, method, seed = inputs.sizes["sample"], str(inputs.attrs["method"]), int(inputs.attrs["seed"])
        evaluate = in_memory(model, lever, target, inputs)
    else:  # the inputs are drawn again chunk by chunk at every batch of lever values; none are held
        others = priors.subset([k for k in priors if k != lever])
        probe = sample(others, check_samples(n), method=method, rng=rng, start=0, stop=1)
        method, seed = str(probe.attrs["method"]), int(probe.attrs["seed"])
        evaluate = streamed(model, others, lever, target, n, method=method, seed=seed, chunk_size=chunk_size)
    stats: dict[float, tuple[float, float, float]] = {}

    def need(values) -> None:
        if new := [v for v in dict.fromkeys(values) if v not in stats]:
            stats.update(evaluate(new))

    sign = 1.0 if target.comparison == ">=" else -1.0

    def margin(v: float, bound: int = 0) -> float:  # goal: a percentile's or mean's level as stored (per day)
        return sign * (stats[v][bound + 1] - target.goal)

    grid = np.linspace(low, high, GRID)
    need(grid.tolist())
    increasing = _check_crossing(target, lever, grid, np.array([stats[v][1] for v in grid]))
    value, lo_end, hi_end = _roots(margin, need, grid, increasing, tolerance, relative)
    clipped = ",".join(k for k, (c, ok) in (("low", lo_end), ("high", hi_end)) if not ok)
    width = tolerance * abs(value) if relative else tolerance
    return Solution(lever=lever, target=target.text, value=float(value), ci_low=float(lo_end[0]),
                    ci_high=float(hi_end[0]), achieved=stats[value][1], samples=int(n),
                    method=method, seed=seed, low=low, high=high,
                    tolerance=float(width), met_above=increasing, evaluations=len(stats),
                    interval=INTERVALS[method], clipped=clipped, unit=unit)


def _roots(margin: Callable[..., float], need: Callable, grid: np.ndarray, increasing: bool, tolerance: float,
           relative: bool) -> tuple[float, tuple[float, bool], tuple[float, bool]]:
    """The answer and its interval's two ends: three bisections in lockstep, one batch of lever values a step.

    Each bisection asks for the same lever values as it would alone; evaluating the three
    together lets a streamed evaluation do one pass over the samples per step, not three.
    """
    steps = [_root(lambda v, b=b: margin(v, b), grid, increasing, tolerance, relative) for b in (0, -1, 1)]
    asked: dict[int, float] = {}
    found: dict[int, tuple[float, bool]] = {}

    def advance(i: int) -> None:
        try:
            asked[i] = next(steps[i])
        except StopIteration as done:
            found[i] = done.value
            asked.pop(i, None)

    for i in range(3):
        advance(i)
    while asked:
        need(list(asked.values()))
        for i in list(asked):
            advance(i)
    lo_end, hi_end = sorted([found[1], found[2]])
    return found[0][0], lo_end, hi_end


def _check_crossing(target: Target, lever: str, grid: np.ndarray, s: np.ndarray) -> bool:
    """Whether the target is met above its crossing; refuses a grid met nowhere, everywhere or twice, or a
    statistic with no value somewhere on it.

    ``s`` is the target's statistic at each ``grid`` value; a statistic that rises and falls
    but crosses once is warned about.
    """
    low, high, name = grid[0], grid[-1], target.statistic
    if not np.isfinite(s).all():  # an output NaN in every sample there (an IRR that never exists)
        k = int(np.flatnonzero(~np.isfinite(s))[0])
        raise SpecError(f"target {target.text!r} cannot be solved for {lever} in [{low:g}, {high:g}]: {name} has "
                        f"no value at {lever} = {grid[k]:.6g} (its output is NaN or infinite in every sample there)")
    m = (1.0 if target.comparison == ">=" else -1.0) * (s - target.goal)
    met = m >= 0
    crossings = np.flatnonzero(met[1:] != met[:-1])
    if not met.any():
        best = int(np.nanargmax(m))
        raise SpecError(f"target {target.text!r} cannot be met for {lever} in [{low:g}, {high:g}]: the best "
                        f"reached is {name} = {s[best]:.6g} at {lever} = {grid[best]:.6g}")
    if met.all():
        raise SpecError(f"target {target.text!r} is met over all of [{low:g}, {high:g}] for {lever} "
                        f"({name} = {s[0]:.6g} at {low:g}, {s[-1]:.6g} at {high:g}); lower low or raise high "
                        "to find where it is just met")
    if len(crossings) > 1:
        where = ", ".join(f"{grid[k]:.6g}-{grid[k + 1]:.6g}" for k in crossings)
        raise SpecError(f"target {target.text!r} is not monotone in {lever}: it is met and missed more than "
                        f"once in [{low:g}, {high:g}] (changes between {where}); narrow low and high to one crossing")
    d = np.diff(s)
    if np.any(d > 0) and np.any(d < 0):
        warn(f"{name} is not monotone in {lever} over [{low:g}, {high:g}] (it rises and falls on the "
                      "grid); the answer is the one crossing found", MCRiskWarning, stacklevel=3)
    return bool(met[-1])  # met at high: the target is met above the answer


def _root(margin: Callable[[float], float], grid: np.ndarray, increasing: bool, tolerance: float,
          relative: bool) -> Iterator[float]:
    """The lever value where ``margin`` turns non-negative, bisected; returns (value, whether in range).

    A generator: it yields each lever value it needs before reading its margin (the grid's are known).
    """
    low, high = grid[0], grid[-1]
    ok = np.array([margin(v) for v in grid]) >= 0
    if ok.all() or not ok.any():
        return (low if ok.all() == increasing else high), False
    # the cell where the margin turns non-negative, scanning from the met side inwards
    k = (int(np.flatnonzero(~ok)[-1]) if increasing else int(np.flatnonzero(ok)[-1]))
    if k >= len(grid) - 1:  # this bound turns back before high: its crossing lies beyond the range
        return high, False
    a, b = grid[k], grid[k + 1]  # margin(a) and margin(b) of opposite signs
    while True:
        width = tolerance * max(abs(a), abs(b)) if relative else tolerance
        if b - a <= width:
            break
        mid = 0.5 * (a + b)
        if mid <= a or mid >= b:  # no float between them
            break
        yield mid
        if (margin(mid) >= 0) == increasing:
            b = mid
        else:
            a = mid
    return (b if increasing else a), True


def format_solution(sol: Solution, target: Target | None = None, labels: Labels | None = None) -> str:
    """The answer in two lines: value with its interval and unit, then what the target reaches there.

    Parameters
    ----------
    sol
        From :func:`solve`.
    target
        The target as the study read it (:func:`mcrisk.spec.thresholds.read_target`): the
        second line then restates it in words, in the unit the study shows
        (``"P(profit per month < CNY 50,000) = 0.2 there (target <= 0.2)"``); None: as written.
    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`) for the target's output.

    Returns
    -------
    str
    """
    u = sol.unit
    text = (f"{sol.lever} = {format_number(sol.value, u)} {u}".rstrip()
            + f" (95% CI {format_number(sol.ci_low, u)} to {format_number(sol.ci_high, u)}"
            + (f"; the interval reaches the searched range's {sol.clipped.replace(',', ' and ')} end" if sol.clipped
               else "") + ")")
    if target is not None:
        shown = sol.achieved if target.kind == "probability" else sol.achieved * target.scale
        reached = f"{shown:.6g}" if target.kind == "probability" else threshold_text(shown, target.unit)
        said = f"{target.words(labels)} = {reached} there (target {target.goal_words()})"
    else:
        stat = sol.target.rsplit(">=" if ">=" in sol.target.split(")")[-1] else "<=", 1)[0].strip()
        said = f"{stat} = {sol.achieved:.6g} there (target {sol.target})"
    return (f"{text}\n{said}; {sol.samples:,} samples, "
            f"{sol.method}, seed {sol.seed}, bisected to {format_number(sol.tolerance, u)} {u}".rstrip())
