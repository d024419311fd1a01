"""``maas_hourly``: the daily margin of an LLM API computed hour by hour, with a fleet policy.

The day (hours 0-23 of the provider's clock) has a load shape ``s_h`` with mean 1; the fleet
follows a policy; within-hour bursts of a pool of independent users need spare nodes that
grow as the square root of the load, so a bigger provider needs relatively less spare.

Notes
-----
With ``N = input_tokens / (86400 prefill_tps_per_node) + output_tokens / (86400
decode_tps_per_node)`` (the nodes the day's mean load keeps busy, as in ``maas``)::

    mu_h    = N s_h                                    nodes hour h's mean load keeps busy
    need_h  = mu_h + z sqrt(burst_dispersion mu_h)     z = Phi^-1(service_quantile)
    fixed:    P_h = headroom max_k need_k              (every hour)
    elastic:  P_h = max(ceil_step(headroom max_{k=0..lag} need_{h-k}), min_nodes)   (h-k mod 24)
    schedule: P_h = schedule_h, charged as given; need_h <= schedule_h is required
    capped:   P_h = fleet_nodes, charged all day; hour h serves u_h = min(1, fleet_nodes / (headroom need_h))
              of its load, and earns revenue_h u_h; the rest is turned away
    C_h     = mu_h + (P_h - mu_h)(1 - offpeak_reuse)   (schedule, capped: C_h = P_h)
    cost_h  = C_h gpus_per_node gpu_hour_price (1 + overhead_share)
    revenue_h = list_revenue s_h / 24 paid_share (1 - price_cut)(1 - d_h offpeak_discount)

with ``d_h`` the share of hour ``h`` in the discount window and ``list_revenue`` as in
``maas``. The capped policy adds ``served_share = sum_h s_h u_h / 24`` and ``unserved_tokens_h =
(input_tokens + output_tokens) s_h / 24 (1 - u_h)``; its ``nodes_avg`` is the load served and its
cost per million output tokens is per token served. With the option ``throughput_curve``,
``decode_tps_per_node`` comes from ``interactivity`` as in ``maas`` (:mod:`.curves`). The daily outputs sum the hours (money) or average them (nodes), under ``maas``'s
names: a flat shape with the fixed policy and no bursts is ``maas`` with ``peak_to_avg = 1``;
any shape with the fixed policy is ``maas`` with ``peak_to_avg = max(s)``; discount hours
``H`` are ``maas`` with ``offpeak_token_share = sum_{h in H} s_h / 24``.

The parametric shape (``shape = "parametric"``) is ``s_h = T + (P - T) u_h^k`` with
``u_h = (1 + cos(2 pi (h - round(peak_hour)) / 24)) / 2`` and ``k > 0`` solved (bisection in
``log k``) so that the 24 values have mean 1: maximum ``P = peak_to_avg`` at the peak hour,
minimum ``T = trough_to_avg`` twelve hours later. It exists exactly when
``1/24 < (1 - T) / (P - T) < 23/24``.

References
----------
DeepSeek, "DeepSeek-V3/R1 Inference System Overview", open-infra-index, 2025-03-01 (the
built-in shape ``"deepseek-2025-02-27"``, its theoretical income per hour, and its node schedule).

Examples
--------
>>> out = maas_hourly(input_tokens=608e9, output_tokens=168e9, prefill_tps_per_node=73_700,
...                   decode_tps_per_node=14_800, gpu_hour_price=2.0, price_input_miss=0.55,
...                   price_output=2.19, shape="deepseek-2025-02-27", policy="fixed")
>>> out["nodes"].shape
(1, 24)
"""

from __future__ import annotations

import inspect
from statistics import NormalDist

import numpy as np

from mcrisk.core.errors import SpecError, shorten
from mcrisk.models.base import Var, model
# The day's shapes, the fleet policies and the options checked live in hourly_plan.py; OPTIONS,
# POLICIES, SHAPES, check_options and day_shape are importable from here as before.
from mcrisk.models.hourly_plan import HOURS, OPTIONS, POLICIES, SHAPES, as_column, check_options, day_shape, make_plan
from mcrisk.models.hourly_plan import parametric_shape
from mcrisk.models.hourly_fleet import plan_fleet
from mcrisk.models.curves import HIDDEN, check_curve, curve_face, decode_rate, face
from mcrisk.models.margin import INPUTS as MAAS_INPUTS
from mcrisk.models.margin import OUTPUTS as MAAS_OUTPUTS
from mcrisk.models.margin import INF, SECONDS_PER_DAY, SHARE

__all__ = ["BLOCK", "INPUTS", "OPTIONS", "OUTPUTS", "POLICIES", "SHAPES", "check_options", "day_shape", "maas_hourly"]

#: Samples computed at a time: (BLOCK, 24) float arrays of 12.6 MB stay in the last-level cache.
BLOCK = 2**16

_PARAMETRIC = ("peak_to_avg", "trough_to_avg", "peak_hour")

INPUTS: dict[str, Var] = {
    **{k: v for k, v in MAAS_INPUTS.items() if k not in ("peak_to_avg", "offpeak_token_share")},
    "burst_dispersion": Var("nodes", "variance / mean of the nodes busy within an hour (0: no bursts)",
                            domain=(0, INF)),
    "service_quantile": Var("1", "share of within-hour bursts the fleet must serve", domain=SHARE),
    "peak_to_avg": Var("1", "highest hour's load / mean load (shape = \"parametric\" only)", domain=(1, INF)),
    "trough_to_avg": Var("1", "lowest hour's load / mean load (shape = \"parametric\" only)", domain=SHARE),
    "peak_hour": Var("h", "hour of the highest load, 0-23 (shape = \"parametric\" only)", domain=(0, 24)),
}

OUTPUTS: dict[str, Var] = {
    **{k: v for k, v in MAAS_OUTPUTS.items()},
    "nodes_avg": Var("nodes", "nodes busy on average at full load (mean over the hours)", bad="high"),
    "nodes_provisioned": Var("nodes", "nodes provisioned, mean over the hours", bad="high"),
    "nodes_charged": Var("nodes", "nodes paid for, mean over the hours", bad="high"),
    "utilization": Var("1", "nodes busy / nodes provisioned, over the day", bad="low"),
    "nodes_peak": Var("nodes", "most nodes provisioned in any hour", bad="high"),
    "load_nodes": Var("nodes", "nodes the hour's mean load keeps busy", ("hour",), bad="high"),
    "nodes": Var("nodes", "nodes provisioned in the hour", ("hour",), bad="high"),
    "cost": Var("{currency}/hour", "cost of the hour", ("hour",), bad="high"),
    "revenue": Var("{currency}/hour", "revenue of the hour", ("hour",), bad="low"),
    "profit": Var("{currency}/hour", "profit of the hour", ("hour",), bad="low"),
}


@model(inputs=INPUTS, outputs=OUTPUTS, default_output="profit_per_day", options=OPTIONS)
def maas_hourly(
    *,
    input_tokens,
    output_tokens,
    prefill_tps_per_node=None,
    decode_tps_per_node=None,
    gpu_hour_price,
    price_input_miss,
    price_output,
    cache_hit_share=0.0,
    price_input_hit=0.0,
    gpus_per_node=8.0,
    headroom=1.0,
    offpeak_reuse=0.0,
    overhead_share=0.0,
    paid_share=1.0,
    price_cut=0.0,
    offpeak_discount=0.0,
    burst_dispersion=0.0,
    service_quantile=0.99,
    peak_to_avg=None,
    trough_to_avg=None,
    peak_hour=None,
    interactivity=None,
    engineering_factor=None,
    fleet_nodes=None,
    shape="flat",
    policy="fixed",
    schedule=None,
    step_nodes=0,
    min_nodes=0,
    lag_hours=0,
    discount_hours=(),
    throughput_curve=None,
) -> dict[str, np.ndarray]:
    """Daily and hourly cost, revenue and profit of an LLM API under a fleet policy (module notes).

    Parameters
    ----------
    input_tokens, output_tokens, prefill_tps_per_node, decode_tps_per_node, gpu_hour_price,
    price_input_miss, price_output, cache_hit_share, price_input_hit, gpus_per_node, headroom,
    offpeak_reuse, overhead_share, paid_share, price_cut, offpeak_discount : array_like
        As in :func:`mcrisk.models.margin` (per day, currency per GPU-hour, per 1M tokens).
    burst_dispersion : array_like
        Variance over mean of the nodes busy within an hour (nodes); 0: no bursts.
    service_quantile : array_like
        Share of within-hour bursts served, ``z = Phi^-1(service_quantile)``.
    peak_to_avg, trough_to_avg, peak_hour : array_like, optional
        The parametric shape's inputs (only with ``shape = "parametric"``).
    interactivity, engineering_factor : array_like, optional
        With ``throughput_curve`` only, as in :func:`mcrisk.models.maas`.
    fleet_nodes : array_like, optional
        The fleet (nodes), with ``policy = "capped"`` only.
    shape, policy, schedule, step_nodes, min_nodes, lag_hours, discount_hours, throughput_curve
        Options (see :data:`OPTIONS`), fixed by a study's ``[options]``.

    Returns
    -------
    dict of str to ndarray
        The daily outputs of :data:`OUTPUTS` over the samples, and the hourly ones
        (``load_nodes``, ``nodes``, ``cost``, ``revenue``, ``profit``) of shape (samples, 24);
        with a curve also ``decode_tps_per_node`` and ``decode_tps_per_gpu``, with the capped
        policy ``served_share`` and (hourly) ``unserved_tokens``.

    Raises
    ------
    SpecError
        For an option :func:`check_options` refuses, parametric inputs given with another
        shape (or missing with it), or a schedule with fewer nodes than some hour needs (the
        message names the hours and by how much).
    """
    given_inputs = {k: v for k, v in locals().items() if k in INPUTS or k in _FORM_INPUTS}
    options = {k: v for k, v in locals().items() if k in OPTIONS}
    plan = make_plan(shape, policy, schedule, step_nodes, min_nodes, lag_hours, discount_hours)
    rows = max((np.shape(v)[0] for v in given_inputs.values() if np.ndim(v)), default=1)
    if rows > BLOCK:  # blocks of samples: the hourly intermediates stay in the processor's cache
        return _blocked(given_inputs, options, rows)
    s = _day_shape(plan, shape, peak_to_avg, trough_to_avg, peak_hour)
    decode_tps_per_node, prefill_tps_per_node, from_curve = decode_rate(
        "maas_hourly", throughput_curve, decode_tps_per_node=decode_tps_per_node, interactivity=interactivity,
        prefill_tps_per_node=prefill_tps_per_node, engineering_factor=engineering_factor, gpus_per_node=gpus_per_node)
    if (policy == "capped") != (fleet_nodes is not None):
        raise SpecError("policy = 'capped' needs the input fleet_nodes" if fleet_nodes is None else
                        f"fleet_nodes is an input only with policy = 'capped' (policy = {shorten(policy)})")
    nodes_avg = (np.asarray(input_tokens, dtype=float) / (SECONDS_PER_DAY * prefill_tps_per_node)
                 + np.asarray(output_tokens, dtype=float) / (SECONDS_PER_DAY * decode_tps_per_node))
    # Every (samples, 24) array is a pass over memory: few are made, and worked on in place.
    mu = as_column(nodes_avg) * s  # (samples or 1, 24)
    if np.any(np.asarray(burst_dispersion) != 0):
        # z sqrt(D mu_h) = [z sqrt(D N)] sqrt(s_h): a column times a row, no square root per hour
        need = (as_column(_z(service_quantile) * np.sqrt(np.asarray(burst_dispersion) * nodes_avg))
                * np.sqrt(s))
        need = _plus(need, mu)
    else:
        need = mu
    gpu_cost = as_column(np.asarray(gpus_per_node, dtype=float) * gpu_hour_price * (1 + np.asarray(overhead_share)))
    n_avg = np.broadcast_to(nodes_avg, mu.shape[:1]) if np.ndim(nodes_avg) else np.full(mu.shape[:1], float(nodes_avg))
    fleet = plan_fleet(plan, mu, need, n_avg, as_column(headroom), as_column(offpeak_reuse), gpu_cost, fleet_nodes)
    input_price = cache_hit_share * np.asarray(price_input_hit) + (1 - np.asarray(cache_hit_share)) * price_input_miss
    list_revenue = (input_tokens * input_price + output_tokens * np.asarray(price_output)) / 1e6
    billed = as_column(list_revenue * np.asarray(paid_share) * (1 - np.asarray(price_cut)))
    weight = (s / HOURS) * (1 - plan["discount"] * as_column(offpeak_discount))  # (1 or samples, 24)
    return {**_outputs(fleet, mu, n_avg, billed, weight, list_revenue, output_tokens, input_tokens), **from_curve}


#: The input and outputs of the capped policy.
FLEET_INPUT = Var("nodes", "nodes in the fleet, paid for all day (policy = \"capped\")", domain=(0, INF),
                  label="Fleet size")
CAPPED_OUTPUTS: dict[str, Var] = {
    "served_share": Var("1", "share of the day's tokens the fleet served (the rest turned away)", bad="low",
                        label="Share of demand served"),
    "unserved_tokens": Var("tokens/hour", "tokens turned away in the hour", ("hour",), bad="high",
                           label="Tokens turned away"),
}
#: Inputs the function takes that its declaration shows only with an option (a curve, the capped policy).
_FORM_INPUTS = (*HIDDEN, "fleet_nodes")


def _bound_form(options) -> tuple[inspect.Signature, dict, dict] | None:
    """maas_hourly as a study with these options sees it: a curve's inputs, the capped policy's fleet."""
    curve, capped = options.get("throughput_curve"), options.get("policy") == "capped"
    if curve is None and not capped:
        return None
    drop, required, defaults = [*_FORM_INPUTS], ["prefill_tps_per_node", "decode_tps_per_node"], {}
    inputs, outputs = dict(INPUTS), dict(OUTPUTS)
    if curve is not None:
        changes, inputs, outputs = curve_face(check_curve(curve), inputs, outputs)
        drop = [k for k in drop if k not in HIDDEN] + list(changes["drop"])
        required = list(changes["required"])
        defaults = changes["defaults"]
    if capped:
        drop.remove("fleet_nodes")
        required.append("fleet_nodes")
        inputs["fleet_nodes"] = FLEET_INPUT
        outputs.update(CAPPED_OUTPUTS)
    return face(_FULL, drop=tuple(drop), required=tuple(required), defaults=defaults), inputs, outputs


def _day_shape(plan: dict, shape, peak_to_avg, trough_to_avg, peak_hour) -> np.ndarray:
    """The day's load shape: the plan's, or the parametric one from its three inputs."""
    given = [k for k, v in zip(_PARAMETRIC, (peak_to_avg, trough_to_avg, peak_hour), strict=True) if v is not None]
    if plan["shape"] is None:
        if len(given) < len(_PARAMETRIC):
            missing = [k for k in _PARAMETRIC if k not in given]
            raise SpecError(f"shape = 'parametric' needs the inputs {', '.join(missing)}")
        return parametric_shape(peak_to_avg, trough_to_avg, peak_hour)
    if given:
        raise SpecError(f"{given[0]} is an input only with shape = 'parametric' (shape = {shorten(shape)})")
    return plan["shape"]


def _outputs(fleet: dict, mu: np.ndarray, n_avg: np.ndarray, billed: np.ndarray, weight: np.ndarray,
             list_revenue, output_tokens, input_tokens) -> dict[str, np.ndarray]:
    """The daily and hourly outputs of :func:`maas_hourly` from its fleet and its billed revenue."""
    cost_h, provisioned = fleet["cost_h"], fleet["provisioned"]
    capped = {}
    if (served := fleet.get("served")) is not None:  # the capped policy: only the served load earns
        total = mu.sum(axis=-1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            part = np.where(total > 0, mu / total, 1 / HOURS)  # each hour's share of the day's tokens, s_h / 24
        with np.errstate(divide="ignore", invalid="ignore"):  # 1 exactly when every hour is served
            share = np.where(total[:, 0] > 0, (mu * served).sum(axis=-1) / total[:, 0], served.mean(axis=-1))
        tokens = as_column(np.asarray(input_tokens, dtype=float) + np.asarray(output_tokens, dtype=float))
        capped = {"served_share": share, "unserved_tokens": tokens * part * (1 - served)}
        weight = weight * served
        n_avg = (mu * served).mean(axis=-1)
        output_tokens = np.asarray(output_tokens, dtype=float) * share  # the cost per token is per token served
    revenue_h = billed * weight
    cost = cost_h.sum(axis=-1)
    revenue = billed[:, 0] * weight.sum(axis=-1)
    profit = revenue - cost
    with np.errstate(divide="ignore", invalid="ignore"):
        return {**capped,
            "nodes_avg": n_avg,
            "nodes_provisioned": provisioned,
            "nodes_charged": fleet["charged"],
            "utilization": np.divide(n_avg, provisioned),
            "cost_per_day": cost,
            "list_revenue": np.asarray(list_revenue, dtype=float),
            "revenue_per_day": revenue,
            "profit_per_day": profit,
            "cost_profit_margin": np.divide(profit, cost),
            "gross_margin": np.divide(profit, revenue),
            "cost_per_million_output_tokens": np.divide(cost, np.asarray(output_tokens) / 1e6),
            "nodes_peak": fleet["peak"],
            "load_nodes": mu,
            "nodes": fleet["nodes"],
            "cost": cost_h,
            "revenue": revenue_h,
            "profit": revenue_h - cost_h,
        }


def _z(q) -> np.ndarray | float:
    """The standard normal quantile of ``q``: the stdlib's for one value, scipy's for an array."""
    if np.ndim(q) == 0:
        if not 0 < float(q) < 1:
            raise SpecError(f"service_quantile = {float(q)!r} must be strictly between 0 and 1")
        return NormalDist().inv_cdf(float(q))  # no scipy import for a constant (mcrisk check stays quick)
    from scipy.special import ndtri  # scipy is heavy: imported only for a sampled service quantile

    return ndtri(q)


def _blocked(inputs: dict, options: dict, rows: int) -> dict[str, np.ndarray]:
    """:func:`maas_hourly` on blocks of :data:`BLOCK` samples, written into whole outputs.

    Every sample's numbers are the same as in one call (each sample is computed alone; sums run
    over its 24 hours), so the result does not depend on the block size.
    """
    out: dict[str, np.ndarray] = {}
    for start in range(0, rows, BLOCK):
        stop = min(rows, start + BLOCK)
        part = {k: (v[start:stop] if np.ndim(v) else v) for k, v in inputs.items()}
        res = maas_hourly(**part, **options)
        for k, v in res.items():
            if k not in out:
                out[k] = np.empty((rows, *np.shape(v)[1:]))
            out[k][start:stop] = v
    return out


def _plus(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a + b``, in place when ``a`` already has the sum's shape (``a`` is a fresh array)."""
    if np.broadcast_shapes(a.shape, b.shape) == a.shape:
        a += b
        return a
    return a + b


maas_hourly.check_options = check_options
_FULL = inspect.signature(maas_hourly)  # every parameter the function accepts
# Without a curve or the capped policy, maas_hourly shows the inputs it had before them.
maas_hourly.__signature__ = face(_FULL, drop=_FORM_INPUTS, required=("prefill_tps_per_node", "decode_tps_per_node"))
maas_hourly.bound_form = _bound_form
