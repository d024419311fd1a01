"""The ``[sensitivity]`` study table: its keys, defaults and checks, without running anything.

Kept apart from :mod:`mcrisk.analyze.sensitivity_run` (which runs the table and needs SALib, pandas
and xarray) so that checking a study file imports no heavy library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from mcrisk.core.errors import SpecError, shorten
from mcrisk.core.events import LOSS, loss_below, parse_event
from mcrisk.core.validate import check_int, check_seed, check_sensitivity_method
from mcrisk.spec.tables import Key, SensitivityTable, must, parse_table

__all__ = ["SAMPLE_LIMITS", "SENSITIVITY_KEYS", "check_config", "check_over", "check_study_sensitivity"]

#: Base samples per sensitivity method: ``(least, default)``; :data:`mcrisk.analyze.salib_methods.METHODS`
#: takes its limits from here.
SAMPLE_LIMITS: dict[str, tuple[int, int]] = {
    "delta": (200, 4096), "fast": (65, 1024), "morris": (2, 100), "pawn": (200, 4096),
    "rbd_fast": (100, 4096), "sobol": (2, 1024),
}

def _output(out: Any, where: str) -> str | tuple[str, ...]:
    if isinstance(out, list) and out and all(isinstance(x, str) for x in out) and len(set(out)) == len(out):
        return out[0] if len(out) == 1 else tuple(out)
    if not isinstance(out, str):
        raise SpecError(f"{where} output = {shorten(out)} must be an output name or a list of different "
                        "output names")
    return out


def _probability(c: Any) -> bool:
    return not isinstance(c, bool) and isinstance(c, int | float) and 0 < c < 1


# The upper bounds keep a typo from asking for terabytes: 2^24 base samples is already
# hundreds of millions of model runs for ten inputs. ``samples`` is checked against its method.
SENSITIVITY_KEYS = (
    Key("method", "sobol", lambda v, where: check_sensitivity_method(v, where), "a SALib method"),
    Key("output", None, _output, "an output or a list of outputs (default: the study's)"),
    Key("samples", None, None, "the base sample size N (default per method)"),
    Key("seed", None, lambda v, where: check_seed(v, where), "default: the study's seed"),
    Key("second_order", False, must(lambda v: isinstance(v, bool), "true or false", "second_order"),
        "Sobol' second-order indices"),
    Key("num_resamples", 100, lambda v, where: check_int(v, where, "num_resamples", 1, 10_000),
        "bootstrap resamples"),
    Key("conf_level", 0.95, must(_probability, "a probability strictly between 0 and 1", "conf_level"),
        "confidence level of the intervals"),
    Key("num_levels", 4, lambda v, where: check_int(v, where, "num_levels", 2, 100), "Morris grid levels"),
    Key("event", LOSS, lambda v, where: parse_event(v, where),
        'the loss event the attribution explains, "< 0" (one grammar: mcrisk.core.events)'),
    Key("loss_below", None, lambda v, where: loss_below(v, where),
        'the older spelling: loss_below = x is event = "< x"'),
    Key("over", None, must(lambda v: isinstance(v, str) and v.isidentifier(), 'a dimension name such as "month"',
                           "over"),
        'the indices of an output over this dimension ("month", "hour"), one set per step of it'),
)


def check_config(table: Mapping[str, Any], *, where: str, default_output: str) -> SensitivityTable:
    """Check a ``[sensitivity]`` study table and fill in its defaults.

    Keys: ``method`` (default ``"sobol"``), ``output`` (a name or a list; default the study's
    output), ``samples`` (base N; default per method), ``seed`` (default the study's),
    ``second_order`` (Sobol' S2), ``num_resamples`` (100), ``conf_level`` (0.95),
    ``num_levels`` (Morris, 4), ``over`` (a dimension such as ``"month"``: the indices of an
    output over it, one set per step; checked against the model by :func:`check_over`) and ``event``, the event the loss attribution explains
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
    SensitivityTable
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
    cfg = parse_table(table, SENSITIVITY_KEYS, where, output=default_output)
    least, default = SAMPLE_LIMITS[cfg["method"]]
    cfg["samples"] = check_int(table.get("samples", default), where, "samples", least, 2**24,
                               f" for method {cfg['method']}")
    given = cfg.pop("loss_below")
    if "event" in table and "loss_below" in table:
        raise SpecError(f"{where} loss_below = {shorten(table['loss_below'])} cannot be given with event = "
                        f"{shorten(table['event'])}; loss_below = x is event = \"< x\"")
    if "loss_below" in table:
        cfg["event"] = given
    ev = cfg["event"]
    if ev.output is not None and ev.output != cfg["output"]:
        raise SpecError(f"{where} event = {shorten(table['event'])} is of {ev.output}, but output = "
                        f"{shorten(cfg['output'])}; name the output once, or give the event as \"< x\"")
    return SensitivityTable(**cfg)


def check_over(cfg: SensitivityTable, table: Mapping[str, Any], outputs: Mapping[str, Any],
               where: str) -> SensitivityTable:
    """A table with ``over``: its outputs are over ``(sample, over)``; the default output is one of them.

    Parameters
    ----------
    cfg
        The table from :func:`check_config`; returned unchanged when it has no ``over``.
    table
        The table as written (whether it names an ``output``).
    outputs
        The model's declared outputs, name -> :class:`~mcrisk.models.Var` (with ``dims``).
    where
        Text that starts each message, e.g. ``"studies/x.toml: [sensitivity]"``.

    Returns
    -------
    SensitivityTable
        With ``output`` the one given, or by default ``cumulative_cash`` when the model has it
        over ``over``, else its first output over ``over``.

    Raises
    ------
    SpecError
        When the model has no output over ``(sample, over)``, or a named output is not over it.
    """
    if cfg.over is None:
        return cfg
    over = [k for k, v in outputs.items() if tuple(getattr(v, "dims", ())) == (cfg.over,)]
    if not over:
        dims = sorted({d for v in outputs.values() for d in getattr(v, "dims", ())})
        raise SpecError(f"{where} over = {cfg.over!r}: the model has no output over (sample, {cfg.over}); "
                        f"dimensions its outputs have besides sample: {', '.join(dims) or '(none)'}")
    if "output" not in table:
        return replace(cfg, output="cumulative_cash" if "cumulative_cash" in over else over[0])
    named = [cfg.output] if isinstance(cfg.output, str) else list(cfg.output)
    if bad := next((k for k in named if k not in over), None):
        raise SpecError(f"{where} output = {bad!r} is not an output over (sample, {cfg.over}), which over = "
                        f"{cfg.over!r} analyses; outputs over it: {', '.join(over)}")
    return cfg


def check_study_sensitivity(table: Mapping[str, Any], where: str, study: Mapping[str, Any]) -> SensitivityTable:
    """A study file's ``[sensitivity]``, checked against the study (:data:`mcrisk.spec.studyfile.ANALYSES`).

    Parameters
    ----------
    table
        The table as read.
    where
        The study file, for messages.
    study
        What the study resolved: ``uncertain`` inputs, default ``output``, ``declared`` outputs.

    Returns
    -------
    SensitivityTable
    """
    if not study["uncertain"]:
        raise SpecError(f"{where}: [sensitivity] has no uncertain input to analyse: every input is a constant")
    cfg = check_config(table, where=f"{where}: [sensitivity]", default_output=study["output"])
    return check_over(cfg, table, study["declared"], f"{where}: [sensitivity]")
