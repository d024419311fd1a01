"""Correlated inputs as groups: which inputs form one, and how a sensitivity run says so.

The groups are the connected components of the ``[[correlation]]`` graph
(:func:`correlation_groups`). :func:`mcrisk.analyze.sensitivity.sensitivity` attributes to them
with SALib's ``problem["groups"]`` (Sobol', Morris), gives every member its group's index
(:func:`on_inputs`) and says in words what it did (:func:`group_note`, :func:`switch_text`) and
what decides (:func:`factor_words`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xarray as xr

from mcrisk.core.text import si_number

__all__ = ["correlation_groups", "factor_parts", "factor_words", "group_note", "group_text", "on_inputs", "switch_text"]


def correlation_groups(correlations, names) -> list[str]:
    """The group of each input: the connected components of the rank-correlation graph.

    Parameters
    ----------
    correlations
        Objects with ``a``, ``b`` (input names) and ``rank`` (:class:`mcrisk.distributions.correlations.Correlation`);
        a pair with rank 0 correlates nothing and joins no group.
    names
        The uncertain inputs, in design-column order.

    Returns
    -------
    list of str
        For each input of ``names``, its group's name: the members joined by ``", "`` in
        ``names`` order (``"decode_tps_per_node, prefill_tps_per_node"``), or the input's own
        name when it is correlated with nothing. Inputs of one group share one name.
    """
    parent = {k: k for k in names}

    def root(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for c in correlations:
        if c.rank != 0 and c.a in parent and c.b in parent:
            parent[root(c.a)] = root(c.b)
    members: dict[str, list[str]] = {}
    for k in names:
        members.setdefault(root(k), []).append(k)
    return [", ".join(members[root(k)]) for k in names]


def group_text(group: str) -> str:
    """A group's name as it is printed: ``"{a, b}"`` for a group, the bare name for one input.

    Parameters
    ----------
    group
        A name from :func:`correlation_groups`.

    Returns
    -------
    str
    """
    return f"{{{group}}}" if ", " in group else group


def _pairs(correlations) -> str:
    return ", ".join(f"{c.a}~{c.b} = {c.rank:g}" for c in correlations)


def group_note(correlations, groups: list[str], method: str, by_group: bool) -> str:
    """The note that says what a method's indices of correlated inputs are.

    Parameters
    ----------
    correlations
        The priors' :class:`~mcrisk.distributions.correlations.Correlation` pairs.
    groups
        Each input's group, from :func:`correlation_groups`.
    method
        The method that ran.
    by_group
        True when the indices are the groups' (Sobol', Morris), False when each input has its
        own (delta, PAWN on the correlated sample).

    Returns
    -------
    str
    """
    named = " and ".join(group_text(g) for g in dict.fromkeys(groups) if ", " in g)
    if by_group:
        return (f"the priors declare rank correlations ({_pairs(correlations)}); {method} treats each group of "
                f"correlated inputs ({named}) as one factor (its columns move together in the design, the copula "
                "is applied after): each member's row shows its group's index")
    return (f"the priors declare rank correlations ({_pairs(correlations)}); {method} is defined for dependent "
            f"inputs one at a time: each index of {named} includes what the input shares with the others of its "
            "group, so they overlap and do not add up")


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    return f"about {seconds:.0f} s" if seconds < 90 else f"about {seconds / 60:.0f} min"


def switch_text(requested: str, target: str, correlations, groups: list[str], n: int, runs: int,
                seconds: float) -> str:
    """The one line that announces, before the model runs, a switch of method.

    Parameters
    ----------
    requested
        The method asked for.
    target
        The method that runs: ``"sobol"`` on the groups (FAST and RBD-FAST take no groups), or
        ``"delta"`` (every input in one group, whose index would rank nothing).
    correlations, groups
        As for :func:`group_note`.
    n, runs
        Base samples and model runs of the switched run.
    seconds
        The run's expected time, from a pilot.

    Returns
    -------
    str
        What runs instead, why, ``N``, the model runs and the expected time.
    """
    factors = ", ".join(group_text(g) for g in dict.fromkeys(groups))
    if target == "delta":
        why = (f"every uncertain input is in one group of correlated inputs ({_pairs(correlations)}), whose "
               f"{requested} index would be the whole variance and rank nothing")
        what = "delta (one input at a time, defined for dependent inputs)"
    else:
        why = (f"{requested} assumes independent inputs and SALib's {requested} takes no groups, but the priors "
               f"declare rank correlations ({_pairs(correlations)})")
        what = f"sobol on the groups ({factors})"
    return f"{why}: running {what} instead, N = {n:,}, {runs:,} model runs, {_duration(seconds)} by a pilot"


def on_inputs(part: xr.Dataset, names, groups: list[str], by_group: bool) -> xr.Dataset:
    """Indices over ``input`` with each input's ``group`` (``""`` when it is correlated with nothing).

    Indices of groups are given to every member, so tables and charts list every input and
    merge with the per-input rank correlations.

    Parameters
    ----------
    part
        Indices over ``input``: one entry per group, in the order of first appearance in
        ``groups`` (when ``by_group``), else one per input of ``names``.
    names
        The uncertain inputs, in design-column order.
    groups
        Each input's group, from :func:`correlation_groups`.
    by_group
        Whether ``part`` is over the groups.

    Returns
    -------
    xarray.Dataset
        Over the inputs of ``names`` (and ``input2`` for second-order indices), with the
        ``group`` coordinate.
    """
    if by_group:
        order = list(dict.fromkeys(groups))
        at = [order.index(g) for g in groups]
        part = part.isel(input=at, **({"input2": at} if "input2" in part.dims else {}))
        part = part.assign_coords(input=np.array(names, dtype=object), **(
            {"input2": np.array(names, dtype=object)} if "input2" in part.dims else {}))
    return part.assign_coords(group=("input", np.array([g if ", " in g else "" for g in groups], dtype=object)))


def factor_parts(top: dict, name: Callable[[str], str] = str) -> tuple[str, str, str]:
    """What decides, the value of its ranking index, and what to know about an overlap.

    Parameters
    ----------
    top
        From :func:`mcrisk.analyze.sensitivity.top_factor`.
    name
        Maps an input's name to the words shown (a plain label); default the name itself.

    Returns
    -------
    tuple of str
        ``"the group {a, b}"`` (an index of the group) or the input; the value (two decimals,
        with its unit when it has one); for an input whose index is its own but which is
        correlated with others, ``"rank-correlated with b, whose index overlaps"``, else ``""``.
    """
    v = top["value"]
    value = f"{v:.2f}" if not np.isfinite(v) or abs(v) < 100 else si_number(v)
    unit = top.get("units", "")
    value += f" {unit}" if unit not in ("", "1") else ""
    if top["of_group"]:
        return f"the group {{{', '.join(name(m) for m in top['members'])}}}", value, ""
    others = [name(m) for m in top["members"] if m != top["input"]]
    overlap = "index overlaps" if len(others) == 1 else "indices overlap"
    return name(top["input"]), value, f"rank-correlated with {', '.join(others)}, whose {overlap}" if others else ""


def factor_words(top: dict, name: Callable[[str], str] = str) -> str:
    """The deciding input or group and the index that ranks it, in words.

    ``"the group {decode_tps_per_node, prefill_tps_per_node}, total Sobol' index 0.62"``, or
    ``"decode_tps_per_node, Borgonovo's delta 0.46 (rank-correlated with prefill_tps_per_node,
    whose index overlaps)"``.

    Parameters
    ----------
    top
        From :func:`mcrisk.analyze.sensitivity.top_factor`.
    name
        Maps an input's name to the words shown (a plain label); default the name itself.

    Returns
    -------
    str
    """
    who, value, overlap = factor_parts(top, name)
    return f"{who}, {top['measure']} {value}" + (f" ({overlap})" if overlap else "")
