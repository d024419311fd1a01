"""The fleet of :func:`~mcrisk.models.hourly_margin.maas_hourly` hour by hour, under each policy.

The equations are in :mod:`.hourly_margin`'s notes: the nodes each hour gets (fixed, elastic,
schedule, capped), what they cost, and under the capped policy the share of each hour's load
the fleet serves.
"""

from __future__ import annotations

import numpy as np

from mcrisk.core.errors import SpecError
from mcrisk.models.hourly_plan import HOURS

__all__ = ["plan_fleet", "short_hours", "times"]


def short_hours(need: np.ndarray, schedule: np.ndarray) -> str:
    """Which hours the schedule leaves short of the need, and by how much (``""`` if none)."""
    gap = np.max(need - schedule, axis=tuple(range(need.ndim - 1))) if need.ndim > 1 else need - schedule
    hours = np.flatnonzero(~(gap <= 1e-9 * np.maximum(schedule, 1)))  # NaN counts as short

    def by(h: int) -> str:
        share = f" ({gap[h] / schedule[h]:.1%})" if schedule[h] > 0 and np.isfinite(gap[h]) else ""
        return f"{gap[h]:.4g} nodes{share}"

    if hours.size <= 4:
        return ", ".join(f"hour {h} by {by(h)}" for h in hours)
    worst = int(hours[np.argmax(np.nan_to_num(gap[hours], nan=np.inf))])
    return f"hours {', '.join(map(str, hours))}, by up to {by(worst)} at hour {worst}"


def plan_fleet(plan: dict, mu: np.ndarray, need: np.ndarray, n_avg: np.ndarray, headroom: np.ndarray,
               reuse: np.ndarray, gpu_cost: np.ndarray, fleet_nodes=None) -> dict[str, np.ndarray]:
    """Nodes per hour under the plan's policy, their hourly cost, and the daily node counts.

    ``mu`` is the mean load per hour, ``need`` the nodes the bursts need (``mu`` itself without
    bursts; a fresh array otherwise, whose memory may be reused); columns are per sample. The
    result has ``nodes`` and ``cost_h`` (samples, 24), and ``provisioned``, ``charged``,
    ``peak`` per sample; with the capped policy also ``served`` (samples, 24), the share of
    each hour's load served.
    """
    if plan["policy"] == "capped":
        return _capped(need, headroom, gpu_cost, fleet_nodes)
    if plan["policy"] == "schedule":
        sched = plan["schedule"]
        if short := short_hours(need, sched):
            raise SpecError(f"schedule has too few nodes for the load: {short}")
        provisioned = np.full(need.shape[:1], sched.mean())
        nodes = np.broadcast_to(sched, need.shape)
        return {"nodes": nodes, "cost_h": nodes * gpu_cost,  # the schedule is what is charged
                "provisioned": provisioned, "charged": provisioned, "peak": np.full(need.shape[:1], sched.max())}
    if plan["policy"] == "fixed":
        top = times(need.max(axis=-1, keepdims=True), headroom)  # (samples or 1, 1)
        nodes = np.broadcast_to(top, np.broadcast_shapes(top.shape, need.shape))
        provisioned = peak = top[:, 0]
    else:
        nodes = _elastic_nodes(plan, mu, need, headroom)
        provisioned, peak = nodes.mean(axis=-1), nodes.max(axis=-1)
    # charged_h = mu_h + (nodes_h - mu_h)(1 - reuse) = nodes_h (1 - reuse) + mu_h reuse
    full = np.broadcast_shapes(mu.shape, nodes.shape, reuse.shape[:1] + (HOURS,), gpu_cost.shape[:1] + (HOURS,))
    cost_h = np.empty(full)
    np.multiply(nodes, (1 - reuse) * gpu_cost, out=cost_h)
    if np.any(reuse != 0):
        spare = need if need is not mu and need is not nodes and need.shape == full else np.empty(full)
        np.multiply(mu, reuse * gpu_cost, out=spare)  # need is no longer needed: its memory is reused
        cost_h += spare
    charged = n_avg + (provisioned - n_avg) * (1 - reuse[:, 0])
    return {"nodes": nodes, "cost_h": cost_h, "provisioned": provisioned, "charged": charged, "peak": peak}


def _elastic_nodes(plan: dict, mu: np.ndarray, need: np.ndarray, headroom: np.ndarray) -> np.ndarray:
    """Nodes per hour of the elastic policy: the need over the lag, times headroom, in steps, floored."""
    if plan["lag"]:  # the day repeats: hour 0 looks back to hour 23
        nodes = np.empty_like(need)
        np.maximum(need[:, 1:], need[:, :-1], out=nodes[:, 1:])
        np.maximum(need[:, :1], need[:, -1:], out=nodes[:, :1])
        for k in range(2, plan["lag"] + 1):
            np.maximum(nodes[:, k:], need[:, :-k], out=nodes[:, k:])
            np.maximum(nodes[:, :k], need[:, HOURS - k:], out=nodes[:, :k])
    else:
        nodes = need.copy() if need is mu else need
    scale = headroom / plan["step"] if plan["step"] > 0 else headroom
    if np.any(scale != 1):
        nodes = times(nodes, scale)
    if plan["step"] > 0:  # ceil(headroom x need / step) x step
        np.ceil(nodes, out=nodes)
        nodes *= plan["step"]
    if plan["floor"] > 0:
        np.maximum(nodes, plan["floor"], out=nodes)
    return nodes


def times(a: np.ndarray, col: np.ndarray) -> np.ndarray:
    """``a * col``, in place when ``a`` already has the product's shape (``a`` is a fresh array)."""
    if np.broadcast_shapes(a.shape, col.shape) == a.shape:
        a *= col
        return a
    return a * col


def _capped(need: np.ndarray, headroom: np.ndarray, gpu_cost: np.ndarray, fleet_nodes) -> dict[str, np.ndarray]:
    """The capped policy: ``fleet_nodes`` all day, each hour serving ``min(1, fleet / (headroom need_h))`` of its load."""
    fleet = np.asarray(fleet_nodes, dtype=float).reshape(-1, 1)  # (samples or 1, 1)
    full = np.broadcast_shapes(need.shape, fleet.shape, headroom.shape[:1] + (HOURS,))
    with np.errstate(divide="ignore", invalid="ignore"):
        served = np.minimum(1.0, fleet / (headroom * need))  # an hour without load: fleet / 0 = inf, all served
    served = np.where(need > 0, served, 1.0) * np.ones(full)
    nodes = np.broadcast_to(fleet, full)
    per_sample = np.broadcast_to(fleet[:, 0], full[:1])
    return {"nodes": nodes, "cost_h": nodes * gpu_cost, "provisioned": per_sample, "charged": per_sample,
            "peak": per_sample, "served": served}
