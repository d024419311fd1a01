"""The day and the fleet plan of :func:`~mcrisk.models.hourly_margin.maas_hourly`: load shapes and options.

The day's load shape (hours 0-23, mean 1): a built-in one (``"flat"``, DeepSeek's published
hourly income), 24 numbers of the study's own, or the parametric shape built from sampled
inputs; the fleet policies; the discount hours; and the model's options checked into the plan
the model evaluates (:func:`make_plan`). The equations are in :mod:`.hourly_margin`'s notes.
"""

from __future__ import annotations

import functools
import math
from importlib import resources
from typing import Any

import numpy as np

from mcrisk.core.errors import SpecError, shorten
from mcrisk.models.curves import CURVE_OPTION, check_curve

__all__ = ["HOURS", "OPTIONS", "POLICIES", "SHAPES", "as_column", "check_options", "day_shape", "make_plan",
           "parametric_shape"]

#: Hours in the day (0-23 of the provider's clock).
HOURS = 24

#: Built-in shapes by name (``"parametric"`` is built from sampled inputs).
SHAPES = ("flat", "deepseek-2025-02-27", "parametric")
#: Fleet policies.
POLICIES = ("fixed", "elastic", "schedule", "capped")
_SHAPE_FILES = {"deepseek-2025-02-27": "deepseek_2025-02-27_income.csv"}

OPTIONS = {
    "shape": "the day's load / its mean, hours 0-23: \"flat\", \"deepseek-2025-02-27\" (DeepSeek's "
             "hourly income, 2025-03-01 post, UTC+8), \"parametric\" (inputs peak_to_avg, trough_to_avg, "
             "peak_hour) or 24 numbers (rescaled to mean 1)",
    "policy": "\"fixed\" (the day's highest need times headroom, all day), \"elastic\" (each hour its own "
              "need, lagged, times headroom, rounded up to step_nodes, at least min_nodes), \"schedule\" or "
              "\"capped\" (input fleet_nodes all day; each hour serves what they can, the rest is turned away)",
    "schedule": "24 node counts charged as given (policy = \"schedule\")",
    "step_nodes": "elastic: nodes are provisioned in multiples of this (0: no rounding)",
    "min_nodes": "elastic: nodes never fall below this",
    "lag_hours": "elastic: each hour covers the highest need of the last lag_hours + 1 hours",
    "discount_hours": "hours (0-23) in which offpeak_discount applies to every token, or 24 shares of "
                      "each hour that is discounted",
    CURVE_OPTION[0]: CURVE_OPTION[1],
}


@functools.cache
def _builtin_shape(name: str) -> np.ndarray:
    text = resources.files(__package__).joinpath("data", _SHAPE_FILES[name]).read_text()
    rows = [ln.split(",") for ln in text.splitlines() if ln and not ln.startswith("#")][1:]
    values = np.array([float(r[1]) for r in rows])
    values.flags.writeable = False
    return values


def _numbers(value: Any, name: str) -> np.ndarray:
    try:  # a table, a string or nested lists are not a list of numbers
        arr = None if isinstance(value, str | dict) else np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.ndim != 1:
        raise SpecError(f"{name} = {shorten(value)} must be a list of numbers")
    return arr


def day_shape(shape: Any) -> np.ndarray | None:
    """The 24 hourly loads relative to the day's mean for a shape option.

    Parameters
    ----------
    shape
        ``"flat"``, ``"deepseek-2025-02-27"``, ``"parametric"`` or 24 non-negative numbers
        (rescaled to mean 1).

    Returns
    -------
    ndarray of shape (24,) or None
        Values with mean 1 (to float rounding); ``None`` for ``"parametric"``, whose shape
        comes from sampled inputs.

    Raises
    ------
    SpecError
        For an unknown name, a list of the wrong length, a negative or non-finite value, or
        a list of zeros.
    """
    if isinstance(shape, str):
        if shape == "flat":
            return np.ones(HOURS)
        if shape == "parametric":
            return None
        if shape in _SHAPE_FILES:
            s = _builtin_shape(shape)
            return s / s.mean()
        raise SpecError(f"shape = {shape!r} is not a shape; known: {', '.join(map(repr, SHAPES))} "
                        "or a list of 24 numbers")
    s = _numbers(shape, "shape")
    if s.size != HOURS:
        raise SpecError(f"shape has {s.size} values; it needs {HOURS}, one per hour (0-23)")
    if not np.all(np.isfinite(s) & (s >= 0)):
        h = int(np.flatnonzero(~np.isfinite(s) | (s < 0))[0])
        raise SpecError(f"shape has {float(s[h])!r} at hour {h}; loads must be finite and non-negative")
    if not s.sum() > 0:
        raise SpecError("shape is all zeros; it needs a positive load in some hour")
    return s / s.mean()


def _discount_shares(hours: Any) -> np.ndarray:
    if hours is None or (isinstance(hours, tuple | list | np.ndarray) and len(hours) == 0):
        return np.zeros(HOURS)
    d = _numbers(hours, "discount_hours")
    if d.size == HOURS and np.all((d >= 0) & (d <= 1)) and not np.array_equal(d, np.arange(HOURS)):
        return d  # 24 shares, one per hour
    if not np.all((d == np.round(d)) & (d >= 0) & (d < HOURS)) or np.unique(d).size != d.size:
        raise SpecError(f"discount_hours = {shorten(hours)} must list distinct hours 0-23, or give 24 "
                        "shares between 0 and 1 (the discounted share of each hour)")
    out = np.zeros(HOURS)
    out[d.astype(int)] = 1.0
    return out


def _count(value: Any, name: str, *, integer: bool = False, below: float = math.inf) -> float:
    ok = (not isinstance(value, bool) and isinstance(value, int | float | np.floating | np.integer)
          and 0 <= value < below and (not integer or float(value).is_integer()))
    if not ok:
        what = f"an integer from 0 to {below - 1:g}" if integer else "a non-negative number"
        raise SpecError(f"{name} = {shorten(value)} must be {what}")
    return float(value)


def make_plan(shape, policy, schedule, step_nodes, min_nodes, lag_hours, discount_hours) -> dict[str, Any]:
    """The options checked and in the form the model uses.

    Parameters
    ----------
    shape, policy, schedule, step_nodes, min_nodes, lag_hours, discount_hours
        The model's options (:data:`OPTIONS`), as :func:`check_options` takes them.

    Returns
    -------
    dict of str to object
        ``shape`` (:func:`day_shape`'s 24 values, or None for ``"parametric"``), ``policy``,
        ``step``, ``floor`` and ``lag`` (numbers), ``discount`` (the discounted share of each
        of the 24 hours) and ``schedule`` (24 node counts, or None).

    Raises
    ------
    SpecError
        For an option :func:`check_options` refuses.
    """
    if not isinstance(policy, str) or policy not in POLICIES:
        raise SpecError(f"policy = {shorten(policy)} is not a policy; known: {', '.join(map(repr, POLICIES))}")
    plan = {"shape": day_shape(shape), "policy": policy, "step": _count(step_nodes, "step_nodes"),
            "floor": _count(min_nodes, "min_nodes"), "lag": int(_count(lag_hours, "lag_hours", integer=True,
                                                                           below=HOURS)),
            "discount": _discount_shares(discount_hours), "schedule": None}
    if policy == "schedule":
        if schedule is None:
            raise SpecError("policy = 'schedule' needs the option schedule, 24 node counts")
        s = _numbers(schedule, "schedule")
        if s.size != HOURS:
            raise SpecError(f"schedule has {s.size} values; it needs {HOURS} node counts, one per hour (0-23)")
        if not np.all(np.isfinite(s) & (s >= 0)):
            h = int(np.flatnonzero(~(np.isfinite(s) & (s >= 0)))[0])
            raise SpecError(f"schedule has {float(s[h])!r} at hour {h}; node counts must be non-negative")
        plan["schedule"] = s
    elif schedule is not None:
        raise SpecError(f"schedule is used only with policy = 'schedule' (policy = {policy!r})")
    return plan


def check_options(*, shape: Any = "flat", policy: str = "fixed", schedule: Any = None, step_nodes: float = 0,
                  min_nodes: float = 0, lag_hours: int = 0, discount_hours: Any = (),
                  throughput_curve: Any = None) -> None:
    """Check ``maas_hourly``'s options when a study binds them (the model checks them again).

    Parameters
    ----------
    shape, policy, schedule, step_nodes, min_nodes, lag_hours, discount_hours, throughput_curve
        See :data:`OPTIONS`.

    Returns
    -------
    None

    Raises
    ------
    SpecError
        One line naming the option, its value and what is allowed.
    """
    make_plan(shape, policy, schedule, step_nodes, min_nodes, lag_hours, discount_hours)
    if throughput_curve is not None:
        check_curve(throughput_curve)


def parametric_shape(peak_to_avg, trough_to_avg, peak_hour) -> np.ndarray:
    """Hourly shapes (samples, 24) with mean 1, max ``peak_to_avg`` at the peak hour, min ``trough_to_avg``.

    Parameters
    ----------
    peak_to_avg, trough_to_avg, peak_hour : array_like
        Per sample: the highest and the lowest hour's load over the mean (1), and the hour of
        the highest load (h, rounded to a whole hour).

    Returns
    -------
    ndarray of shape (samples, 24)
        ``T + (P - T) u_h^k`` with ``k`` solved so that each row has mean 1 (the equation is
        in :mod:`.hourly_margin`'s notes).

    Raises
    ------
    SpecError
        For a sample whose peak and trough cannot average 1 over 24 hours.
    """
    p, t, h0 = as_column(peak_to_avg), as_column(trough_to_avg), np.round(as_column(peak_hour))
    with np.errstate(divide="ignore", invalid="ignore"):
        m = (1 - t) / (p - t)  # the mean u^k must take
    ok = (t >= 0) & (m > 1 / HOURS) & (m < 1 - 1 / HOURS) & np.isfinite(h0)
    if not np.all(ok):
        i = np.unravel_index(int(np.flatnonzero(~ok.ravel())[0]), ok.shape)
        pi, ti = float(np.broadcast_to(p, ok.shape)[i]), float(np.broadcast_to(t, ok.shape)[i])
        raise SpecError(f"shape = 'parametric' with peak_to_avg = {pi:g} and trough_to_avg = {ti:g} cannot "
                        "average 1 over 24 hours; it needs 0 <= trough_to_avg < 1 < peak_to_avg and "
                        "(1 - trough_to_avg) / (peak_to_avg - trough_to_avg) between 1/24 and 23/24")
    u = (1 + np.cos(2 * np.pi * (np.arange(HOURS) - h0) / HOURS)) / 2
    lo = np.full(m.shape, -12.0)
    hi = np.full(m.shape, 12.0)
    for _ in range(64):  # mean(u^k) falls as k grows: bisect log k to float resolution
        mid = (lo + hi) / 2
        above = (u ** np.exp(mid)).mean(axis=-1, keepdims=True) > m
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return t + (p - t) * u ** np.exp((lo + hi) / 2)


def as_column(x) -> np.ndarray:
    """Per-sample values as a column (samples or 1, 1), to broadcast against the 24 hours.

    Parameters
    ----------
    x : array_like
        A scalar or one value per sample.

    Returns
    -------
    ndarray of shape (samples or 1, 1)
        ``x`` as floats.
    """
    return np.asarray(x, dtype=float).reshape(-1, 1)
