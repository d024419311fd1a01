"""The ``[sensitivity]`` study table: its keys, defaults and checks, without running anything.

Kept apart from :mod:`mcrisk.sensitivity_study` (which runs the table and needs SALib, pandas
and xarray) so that checking a study file imports no heavy library.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.validate import check_int, check_keys, check_seed, check_sensitivity_method

__all__ = ["SAMPLE_LIMITS", "check_config"]

#: Base samples per sensitivity method: ``(least, default)``; :data:`mcrisk.sensitivity.METHODS`
#: takes its limits from here.
SAMPLE_LIMITS: dict[str, tuple[int, int]] = {
    "delta": (200, 4096), "fast": (65, 1024), "morris": (2, 100), "pawn": (200, 4096),
    "rbd_fast": (100, 4096), "sobol": (2, 1024),
}

_KEYS = ("method", "output", "samples", "seed", "second_order", "num_resamples", "conf_level", "num_levels",
         "loss_below")


def check_config(table: Mapping[str, Any], *, where: str, default_output: str) -> dict[str, Any]:
    """Check a ``[sensitivity]`` study table and fill in its defaults.

    Keys: ``method`` (default ``"sobol"``), ``output`` (a name or a list; default the study's
    output), ``samples`` (base N; default per method), ``seed`` (default the study's),
    ``second_order`` (Sobol' S2), ``num_resamples`` (100), ``conf_level`` (0.95),
    ``num_levels`` (Morris, 4) and ``loss_below`` (the loss event is ``output < loss_below``, 0).
    ``where`` prefixes each message, e.g. ``"studies/x.toml: [sensitivity]"``.

    Parameters
    ----------
    table
        The parsed ``[sensitivity]`` table.
    where
        Text that starts each message.
    default_output
        The study's output, used when the table has no ``output``.

    Returns
    -------
    dict
        Every key above with its value or default; ``output`` a name or a tuple of names,
        ``seed`` ``None`` when the table has none.

    Raises
    ------
    SpecError
        If a key is unknown or a value is not allowed: ``samples`` from the method's minimum to
        ``2**24``, ``num_resamples`` from 1 to 10,000, ``num_levels`` from 2 to 100,
        ``conf_level`` strictly between 0 and 1, ``loss_below`` finite, ``second_order`` a bool.
    """
    check_keys(table, _KEYS, where)
    method = check_sensitivity_method(table.get("method", "sobol"), where)
    least, default = SAMPLE_LIMITS[method]
    cfg: dict[str, Any] = {"method": method, "output": table.get("output", default_output),
                           "samples": table.get("samples", default), "seed": table.get("seed"),
                           "second_order": table.get("second_order", False),
                           "num_resamples": table.get("num_resamples", 100),
                           "conf_level": table.get("conf_level", 0.95), "num_levels": table.get("num_levels", 4),
                           "loss_below": table.get("loss_below", 0.0)}
    out = cfg["output"]
    if (isinstance(out, list) and out and all(isinstance(x, str) for x in out)
            and len(set(out)) == len(out)):
        cfg["output"] = out[0] if len(out) == 1 else tuple(out)
    elif not isinstance(out, str):
        raise SpecError(f"{where} output = {shorten(out)} must be an output name or a list of different "
                        "output names")

    # The upper bounds keep a typo from asking for terabytes: 2^24 base samples is already
    # hundreds of millions of model runs for ten inputs.
    cfg["samples"] = check_int(cfg["samples"], where, "samples", least, 2**24, f" for method {method}")
    if cfg["seed"] is not None:
        cfg["seed"] = check_seed(cfg["seed"], where)
    cfg["num_resamples"] = check_int(cfg["num_resamples"], where, "num_resamples", 1, 10_000)
    cfg["num_levels"] = check_int(cfg["num_levels"], where, "num_levels", 2, 100)
    if not isinstance(cfg["second_order"], bool):
        raise SpecError(f"{where} second_order = {shorten(cfg['second_order'])} must be true or false")
    c = cfg["conf_level"]
    if isinstance(c, bool) or not isinstance(c, int | float) or not 0 < c < 1:
        raise SpecError(f"{where} conf_level = {shorten(c)} must be a probability strictly between 0 and 1")
    lb = cfg["loss_below"]
    if isinstance(lb, bool) or not isinstance(lb, int | float) or not math.isfinite(lb):
        raise SpecError(f"{where} loss_below = {shorten(lb)} must be a finite number (the loss event is "
                        "output < loss_below)")
    return cfg
