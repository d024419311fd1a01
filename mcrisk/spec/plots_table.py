"""The optional ``[plots]`` table of a study: its keys, their checks and their defaults."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.validate import show_keys
from mcrisk.spec.tables import Key, PlotsTable, must, parse_table

__all__ = ["PLOT_KEYS", "check_config"]


def _names(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(s, str) for s in v)


def _int(low: int, high: float) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


_scatter = must(_names, "a list of input names, e.g. [\"gpu_hour_price\"]", "scatter")

#: The optional ``[plots]`` table of a study.
PLOT_KEYS = (
    Key("scatter", None, lambda v, where: tuple(_scatter([v] if isinstance(v, str) else v, where)),
        "inputs to plot the output against (default: the top driver)"),
    Key("bins", 60, must(_int(5, 500), "an integer from 5 to 500", "bins"), "histogram bins"),
    Key("outputs", (), lambda v, where: tuple(must(_names, "a list of further outputs to draw the distribution of",
                                                   "outputs")(v, where)),
        "further outputs whose distribution is drawn"),
    Key("top", None, must(_int(1, float("inf")), "an integer >= 1: the number of inputs shown in tornado and "
                          "sensitivity charts", "top"), "inputs shown in tornado and sensitivity charts (default all)"),
    Key("convergence", True, must(lambda v: isinstance(v, bool), "true or false", "convergence"),
        "draw the convergence chart"),
    Key("exceedance", True, must(lambda v: isinstance(v, bool), "true or false", "exceedance"),
        "draw the exceedance chart"),
)


def check_config(table: Mapping[str, Any], *, where: str = "[plots]", uncertain: Sequence[str] | None = None,
                 outputs: Sequence[str] | None = None) -> PlotsTable:
    """Check a study's ``[plots]`` table and fill in the defaults.

    Keys: ``scatter`` (inputs to plot the output against; default: the top driver), ``bins``
    (histogram bins, 60), ``outputs`` (further outputs whose distribution is drawn), ``top``
    (inputs shown in tornado and sensitivity charts; default all), ``convergence`` and
    ``exceedance`` (draw those charts; default true).

    ``uncertain`` and ``outputs``, when given, are the study's uncertain inputs and the model's
    outputs: ``scatter`` and ``outputs`` must name them (checked at load, not after the run).

    Parameters
    ----------
    table
        The parsed ``[plots]`` table.
    where
        Text that starts each message (``"studies/x.toml: [plots]"``).
    uncertain
        The study's uncertain inputs, or ``None`` to skip the check of ``scatter``.
    outputs
        The model's outputs, or ``None`` (or empty) to skip the check of ``outputs``.

    Returns
    -------
    PlotsTable
        Every key with its value or default; ``scatter`` a tuple of names (a string becomes
        one), ``scatter`` and ``top`` ``None`` by default.

    Raises
    ------
    SpecError
        One line naming the key and value and listing what is allowed.
    """
    cfg = parse_table(table, PLOT_KEYS, where)
    if uncertain is not None:
        for name in cfg["scatter"] or ():
            if name not in uncertain:
                raise SpecError(f"{where} scatter = {shorten(name)} is not an uncertain input; uncertain "
                                f"inputs: {show_keys(uncertain)}")
    if outputs:
        for name in cfg["outputs"]:
            if name not in outputs:
                raise SpecError(f"{where} outputs = {shorten(name)} is not an output; outputs: "
                                f"{show_keys(outputs)}")
    return PlotsTable(**cfg)
