"""The ``[sensitivity]`` study table: its keys, defaults and checks, without running anything.

Kept apart from :mod:`mcrisk.sensitivity_study` (which runs the table and needs SALib, pandas
and xarray) so that checking a study file imports no heavy library.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.events import LOSS, loss_below, parse_event
from mcrisk.core.validate import check_int, check_seed, check_sensitivity_method, show_key

__all__ = ["SAMPLE_LIMITS", "check_config"]

#: Base samples per sensitivity method: ``(least, default)``; :data:`mcrisk.sensitivity.METHODS`
#: takes its limits from here.
SAMPLE_LIMITS: dict[str, tuple[int, int]] = {
    "delta": (200, 4096), "fast": (65, 1024), "morris": (2, 100), "pawn": (200, 4096),
    "rbd_fast": (100, 4096), "sobol": (2, 1024),
}

_KEYS = ("method", "output", "samples", "seed", "second_order", "num_resamples", "conf_level", "num_levels",
         "event", "loss_below")


def check_config(table: Mapping[str, Any], *, where: str, default_output: str) -> dict[str, Any]:
    """Check a ``[sensitivity]`` study table and fill in its defaults.

    Keys: ``method`` (default ``"sobol"``), ``output`` (a name or a list; default the study's
    output), ``samples`` (base N; default per method), ``seed`` (default the study's),
    ``second_order`` (Sobol' S2), ``num_resamples`` (100), ``conf_level`` (0.95),
    ``num_levels`` (Morris, 4) and ``event``, the event the loss attribution explains
    (:func:`mcrisk.core.events.parse_event`; default ``"< 0"``, a loss; the older ``loss_below = x``
    means ``"< x"``).
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
        ``seed`` ``None`` when the table has none, ``event`` an :class:`~mcrisk.core.events.Event`
        (for ``loss_below`` too, which is not returned).

    Raises
    ------
    SpecError
        If a key is unknown or a value is not allowed: ``samples`` from the method's minimum to
        ``2**24``, ``num_resamples`` from 1 to 10,000, ``num_levels`` from 2 to 100,
        ``conf_level`` strictly between 0 and 1, ``event`` an event, ``loss_below`` finite (not both),
        ``second_order`` a bool.
    """
    for k, v in table.items():
        if k not in _KEYS:
            raise SpecError(f"{where} {show_key(k)} = {shorten(v)} is not a key; allowed: {', '.join(_KEYS)}")
    method = check_sensitivity_method(table.get("method", "sobol"), where)
    least, default = SAMPLE_LIMITS[method]
    cfg: dict[str, Any] = {"method": method, "output": table.get("output", default_output),
                           "samples": table.get("samples", default), "seed": table.get("seed"),
                           "second_order": table.get("second_order", False),
                           "num_resamples": table.get("num_resamples", 100),
                           "conf_level": table.get("conf_level", 0.95), "num_levels": table.get("num_levels", 4),
                           "event": LOSS}
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
    if "event" in table and "loss_below" in table:
        raise SpecError(f"{where} loss_below = {shorten(table['loss_below'])} cannot be given with event = "
                        f"{shorten(table['event'])}; loss_below = x is event = \"< x\"")
    if "loss_below" in table:
        cfg["event"] = loss_below(table["loss_below"], where)
    elif "event" in table:
        cfg["event"] = ev = parse_event(table["event"], where)
        if ev.output is not None and ev.output != cfg["output"]:
            raise SpecError(f"{where} event = {shorten(table['event'])} is of {ev.output}, but output = "
                            f"{shorten(cfg['output'])}; name the output once, or give the event as \"< x\"")
    return cfg
