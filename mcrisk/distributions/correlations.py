"""Rank correlations between uncertain inputs: the ``[[correlation]]`` tables, checked.

The copula that imposes them is :mod:`mcrisk.distributions.copula`; :class:`mcrisk.spec.priors.Priors` holds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.validate import check_keys, finite_number, show_keys

__all__ = ["Correlation", "parse_correlations"]


@dataclass(frozen=True)
class Correlation:
    """A target Spearman rank correlation between two uncertain inputs."""

    a: str
    b: str
    rank: float


def parse_correlations(items: Any, *, file: str, names: Mapping[str, Any]) -> tuple[Correlation, ...]:
    """Check ``[[correlation]]`` tables against the inputs in ``names``.

    Parameters
    ----------
    items
        The file's ``correlation`` value: a list of tables with ``between`` (two input names),
        ``rank`` (Spearman's rho, in [-1, 1]) and optionally ``source`` and ``note``.
    file
        The file, for error messages.
    names
        The inputs declared so far (name -> prior); correlated inputs must be uncertain.

    Returns
    -------
    tuple of Correlation

    Raises
    ------
    SpecError
        For a malformed table, an unknown or constant input, a rank outside [-1, 1] or a pair
        given twice.
    """
    if not isinstance(items, list):
        raise SpecError(f"{file}: correlation = {shorten(items)} must be an array of tables [[correlation]]")
    seen: dict[frozenset[str], int] = {}
    out = []
    for i, item in enumerate(items, 1):
        where = f"{file}: [[correlation]] #{i}"
        if not isinstance(item, dict):
            raise SpecError(f"{where} = {shorten(item)} must be a table with between and rank")
        check_keys(item, ("between", "rank", "source", "note"), where)
        between = item.get("between")
        if not (isinstance(between, list) and len(between) == 2 and all(isinstance(x, str) for x in between)):
            raise SpecError(f"{where} between = {shorten(between)} must name two inputs, e.g. [\"a\", \"b\"]")
        a, b = between
        if a == b:
            raise SpecError(f"{where} between = {shorten(between)} must name two different inputs")
        for x in (a, b):
            if x not in names:
                raise SpecError(f"{where} between = {shorten(between)}: {shorten(x)} is not an input here; "
                                f"known: {show_keys(names)}")
            if names[x].is_constant:
                raise SpecError(f"{where} between = {shorten(between)}: {shorten(x)} is a constant; only uncertain "
                                "inputs can be correlated")
        if "rank" not in item:
            raise SpecError(f"{where} rank is missing; give a Spearman rank correlation in [-1, 1]")
        rank = finite_number(where, "rank", item["rank"])
        if not -1 <= rank <= 1:
            raise SpecError(f"{where} rank = {shorten(item['rank'])} must lie in [-1, 1]")
        key = frozenset(between)
        if key in seen:
            raise SpecError(f"{where} between = {shorten(between)} repeats the pair of [[correlation]] #{seen[key]}")
        seen[key] = i
        out.append(Correlation(a, b, rank))
    return tuple(out)
