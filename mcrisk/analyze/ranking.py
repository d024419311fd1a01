"""The one ranking of sensitivity results: every table, chart, headline and slide orders inputs by it.

:func:`rank_order` sorts the inputs by the method's own index (``rank_by``); :func:`top_factor`
is its first, the deciding input or group, with the index named in words.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from mcrisk.analyze.salib_methods import MEASURES

__all__ = ["rank_index", "rank_order", "top_factor"]


def rank_order(ds: xr.Dataset, index: str | None = None) -> np.ndarray:
    """The order of ``ds``'s inputs, most influential first: the one ranking of every table and chart.

    Parameters
    ----------
    ds
        Sensitivity results over ``input`` (one output: select it first).
    index
        The index to rank by; default the method's own (``attrs["rank_by"]``: ``ST`` for Sobol'
        and FAST, ``mu_star`` for Morris, ``delta``, ``S1`` for RBD-FAST, ``median`` for PAWN),
        else ``ST``, else the first index present.

    Returns
    -------
    numpy.ndarray
        Positions along ``input``, by the index's absolute value, largest first; NaN last; ties
        in their original order. Indices over months (attr ``over``) rank by their mean
        absolute value over the months analysed.
    """
    index = rank_index(ds) if index is None else index
    if index is None:
        return np.arange(ds.sizes["input"])
    v = np.abs(np.asarray(ds[index].values, dtype=float))
    if (over := ds.attrs.get("over")) in ds.dims:  # indices over months: by their mean over the months analysed
        v = np.abs(np.asarray(ds[index].transpose("input", over).values, dtype=float))
        count = np.isfinite(v).sum(axis=1)
        v = np.where(count > 0, np.nansum(v, axis=1) / np.maximum(count, 1), np.nan)
    return np.argsort(-np.nan_to_num(v, nan=-1.0), kind="stable")


def rank_index(ds: xr.Dataset) -> str | None:
    """The index :func:`rank_order` ranks by: ``attrs["rank_by"]``, else ``ST``, else the first present.

    Parameters
    ----------
    ds
        Sensitivity results over ``input`` (and ``attrs["over"]``, months, when given).

    Returns
    -------
    str or None
        None when ``ds`` has no index over ``input``.
    """
    shape = ("input", over) if (over := ds.attrs.get("over")) in ds.dims else ("input",)
    have = [k for k, v in ds.data_vars.items() if v.dims == shape
            and not k.endswith(("_conf", "_low", "_high", "_pvalue"))]
    return next((k for k in (ds.attrs.get("rank_by"), "ST", *have) if k in have), None)


def top_factor(ds: xr.Dataset) -> dict[str, Any] | None:
    """The first of :func:`rank_order`: the one deciding input (or group) of every table, headline and slide.

    Parameters
    ----------
    ds
        Sensitivity results over ``input`` (one output: select it first).

    Returns
    -------
    dict or None
        ``input`` (the first input in the ranking), ``index`` (the ranking index), ``measure``
        (its name in words, :data:`~mcrisk.analyze.salib_methods.MEASURES`), ``value``,
        ``units``, ``members`` (the input's group of correlated inputs, or the input alone) and
        ``of_group`` (True when the value is the group's own index, not the input's); None
        without inputs or a ranking index, or for indices over months (one decides each month).
    """
    index = rank_index(ds)
    if index is None or not ds.sizes.get("input", 0) or ds.attrs.get("over") in ds.dims:
        return None
    i = int(rank_order(ds, index)[0])
    name = str(ds.input.values[i])
    group = str(ds.group.values[i]) if "group" in ds.coords else ""
    return {"input": name, "index": index, "measure": MEASURES.get(index, index),
            "value": float(ds[index].values[i]), "units": str(ds[index].attrs.get("units", "")),
            "members": group.split(", ") if group else [name],
            "of_group": bool(group) and ds.attrs.get("indices_of") == "groups"}
