"""One-at-a-time swings: the tornado table that goes on a slide."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import xarray as xr

from mcrisk.core.errors import SpecError
from mcrisk.models import output_unit
from mcrisk.spec.callcheck import conform_call
from mcrisk.spec.priors import Priors
from mcrisk.simulation.evaluate import call_model, check_inputs
from mcrisk.core.text import Labels, format_number, words

__all__ = ["format_tornado", "tornado", "tornado_frame"]


def tornado(model: Callable, priors: Priors, *, output: str, low: float = 0.10,
            high: float = 0.90) -> xr.Dataset:
    """Move each uncertain input alone to its ``low`` and ``high`` quantile.

    Every other input stays at its base value (the prior's ``base`` if given, else its
    median); constants stay constant.

    Parameters
    ----------
    model, priors
        As for :func:`mcrisk.simulate`: priors are converted to the model's units and checked
        against its inputs' domains, as a study run's are.
    output
        The model output to record.
    low, high
        Quantiles of each input's prior, ``0 < low < high < 1``.

    Returns
    -------
    xarray.Dataset
        Over ``input``, sorted by swing, largest first: ``input_low``, ``input_high`` (the
        input's quantiles), ``output_low``, ``output_high`` (the output with the input at
        them) and ``swing = |output_high - output_low|``; attr ``base_output`` is the output
        with every input at its base value.

    Notes
    -----
    All ``2 k + 1`` cases are evaluated in one vectorised model call.
    """
    if not 0 < low < high < 1:
        raise SpecError(f"tornado low = {low!r}, high = {high!r} must satisfy 0 < low < high < 1")
    check_inputs(model, list(priors))
    priors, converted = conform_call(model, priors, where="tornado", stacklevel=3)
    names = list(priors.uncertain)
    k = len(names)
    base = {n: p.base_value for n, p in priors.items()}
    cases = {n: np.full(2 * k + 1, base[n]) for n in priors}
    q = {}
    for i, n in enumerate(names):
        q[n] = priors[n].ppf(np.array([low, high]))
        cases[n][1 + 2 * i : 3 + 2 * i] = q[n]
    result = call_model(model, cases)
    if output not in result:
        raise SpecError(f"tornado output = {output!r} is not an output of the model; outputs: "
                        f"{', '.join(result)}")
    y = np.broadcast_to(np.asarray(result[output], dtype=float), (2 * k + 1,))
    lo, hi = y[1::2], y[2::2]
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: a swing that is not a number
        swing = np.abs(hi - lo)
    order = np.argsort(-np.nan_to_num(swing, nan=-1.0), kind="stable")  # NaN swings last
    units = output_unit(model, output, priors.currency)
    ds = xr.Dataset(
        {
            "input_low": ("input", np.array([q[n][0] for n in names])[order]),
            "input_high": ("input", np.array([q[n][1] for n in names])[order]),
            "input_base": ("input", np.array([base[n] for n in names])[order]),
            "output_low": ("input", lo[order], {"units": units}),
            "output_high": ("input", hi[order], {"units": units}),
            "swing": ("input", swing[order], {"units": units}),
        },
        coords={"input": np.array(names, dtype=object)[order],
                "input_units": ("input", np.array([priors[n].unit for n in names], dtype=object)[order])},
        attrs={"output": output, "units": units, "base_output": float(y[0]), "low": low, "high": high,
               "currency": priors.currency or "",
               **({"unit_conversions": "\n".join(converted)} if converted else {})},
    )
    return ds


def tornado_frame(tab: xr.Dataset) -> pd.DataFrame:
    """The ``tornado.csv`` table: ``input, input_low, input_high, output_low, output_high, swing``.

    Parameters
    ----------
    tab
        A tornado table over ``input`` (from :func:`tornado`); inputs in the units of their
        priors, outputs and swing in the output's units.

    Returns
    -------
    pandas.DataFrame
        One row per input, in the table's order.
    """
    cols = ["input_low", "input_high", "output_low", "output_high", "swing"]
    return pd.DataFrame({"input": tab.input.values, **{c: tab[c].values for c in cols}})


def format_tornado(tab: xr.Dataset, labels: Labels | None = None) -> str:
    """The tornado table as text, with the base-case output stated above it.

    Parameters
    ----------
    tab
        A tornado table over ``input`` (from :func:`tornado`), with the attrs ``output``,
        ``units``, ``low``, ``high`` (quantiles as shares in [0, 1]) and ``base_output``.
    labels
        Name -> plain label (:data:`mcrisk.core.text.Labels`): the output by its label ("profit per month").

    Returns
    -------
    str
        A heading line, then the table of :func:`tornado_frame` with numbers formatted by
        :func:`~mcrisk.core.text.format_number`.
    """
    u = tab.attrs["units"]
    lines = [f"Tornado of {words(tab.attrs['output'], labels)} ({u}): each input alone at its "
             f"P{tab.attrs['low'] * 100:g} and P{tab.attrs['high'] * 100:g}; base case "
             f"{format_number(tab.attrs['base_output'])}"]
    frame = tornado_frame(tab)
    lines.append(frame.to_string(index=False, float_format=format_number))
    return "\n".join(lines)
