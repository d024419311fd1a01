"""The optional ``[plots]`` table of a study: its keys, their checks and their defaults."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.validate import check_keys, show_keys

__all__ = ["check_config"]

#: The optional ``[plots]`` table of a study: key -> (check, default, what is allowed).
_PLOT_KEYS: dict[str, tuple[Any, Any, str]] = {
    "scatter": (lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v), None,
                "a list of input names, e.g. [\"gpu_hour_price\"]"),
    "bins": (lambda v: isinstance(v, int) and not isinstance(v, bool) and 5 <= v <= 500, 60,
             "an integer from 5 to 500"),
    "outputs": (lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v), [],
                "a list of further outputs to draw the distribution of"),
    "top": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, None,
            "an integer >= 1: the number of inputs shown in tornado and sensitivity charts"),
    "convergence": (lambda v: isinstance(v, bool), True, "true or false"),
    "exceedance": (lambda v: isinstance(v, bool), True, "true or false"),
}


def check_config(table: Mapping[str, Any], *, where: str = "[plots]", uncertain: Sequence[str] | None = None,
                 outputs: Sequence[str] | None = None) -> dict[str, Any]:
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
    dict
        Every key with its value or default; a ``scatter`` string becomes a one-item list, and
        ``scatter`` and ``top`` are ``None`` by default.

    Raises
    ------
    SpecError
        One line naming the key and value and listing what is allowed.
    """
    cfg = {k: (list(d) if isinstance(d, list) else d) for k, (_, d, _) in _PLOT_KEYS.items()}
    check_keys(table, _PLOT_KEYS, where)
    for key, value in table.items():
        ok, _, allowed = _PLOT_KEYS[key]
        if key == "scatter" and isinstance(value, str):
            value = [value]
        if not ok(value):
            raise SpecError(f"{where} {key} = {shorten(value)} must be {allowed}")
        cfg[key] = value
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
    return cfg
