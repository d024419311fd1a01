"""Figures for a slide deck: distribution, exceedance, tornado, sensitivity, scatter, convergence.

Every function has the form ``plot_x(data, *, ax=None, **kwargs) -> Axes``: it draws on ``ax``
through its methods, makes a 16:9 figure only when ``ax`` is None, and never touches pyplot's
global state (figures are :class:`matplotlib.figure.Figure` objects, rendered by Agg when
saved), so plotting is safe in scripts, servers and threads. Matplotlib is imported on the
first call, never when mcrisk is imported.

The layers, each importing only those above it (and :mod:`mcrisk.core.text` for every number)::

    style.py          the deck style: palette, rc style, figures, titles, notes, axis labels, save_figure
    layout.py         label placement: staggered labels, the first place a label fits
    data.py           what is drawn: finite samples, the drawn range, CHART_MAX, sensitivity picks
    config.py         the [plots] table of a study: check_config and its defaults
    risk_charts.py    plot_distribution, plot_exceedance, plot_convergence
    tornado_chart.py  plot_tornado
    hourly_charts.py  plot_hourly (an hourly model's day), plot_by_scale (an output against volume)
    curve_charts.py   plot_throughput_curve, plot_cost_frontier (throughput as a speed choice)
    driver_charts.py  plot_sensitivity, plot_scatter
    decision_charts.py plot_sweep (fan chart), plot_compare, plot_quantile_convergence
    discovery_charts.py  plot_tradeoff, plot_scenario_box (PRIM), plot_evppi (value of information)

Example
-------
>>> from mcrisk import run_study
>>> from mcrisk.report.plot import plot_distribution, save_figure
>>> run = run_study("studies/deepseek_545.toml", write=False)       # doctest: +SKIP
>>> ax = plot_distribution(run.results)                              # doctest: +SKIP
>>> save_figure(ax.figure, "profit", ("png", "svg"))                 # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

# Each public name and the module that defines it, imported on first use (PEP 562): checking a
# study's [plots] table (mcrisk.report.plot.config) must not import the charts and, through them,
# xarray and scipy.
_LAZY = {
    "CHART_MAX": ".data", "chart_limit": ".data",
    "check_config": "mcrisk.spec.plots_table",
    "SENSITIVITY_INDICES": ".driver_charts", "plot_scatter": ".driver_charts", "plot_sensitivity": ".driver_charts",
    "plot_convergence": ".risk_charts", "plot_distribution": ".risk_charts", "plot_exceedance": ".risk_charts",
    "FORMATS": ".style", "PALETTE": ".style", "label_of": ".style", "save_figure": ".style", "title_of": ".style",
    "plot_tornado": ".tornado_chart",
    "plot_compare": ".decision_charts", "plot_quantile_convergence": ".decision_charts",
    "plot_sweep": ".decision_charts",
    "plot_evppi": ".discovery_charts", "plot_scenario_box": ".discovery_charts", "plot_tradeoff": ".discovery_charts",
    "plot_by_scale": ".hourly_charts", "plot_hourly": ".hourly_charts",
    "plot_cost_frontier": ".curve_charts", "plot_throughput_curve": ".curve_charts",
    "format_value": "mcrisk.core.text", "loss_words": "mcrisk.core.text", "percent_text": "mcrisk.core.text", "si_number": "mcrisk.core.text",
}

__all__ = ["CHART_MAX", "FORMATS", "PALETTE", "SENSITIVITY_INDICES", "chart_limit", "check_config",
           "format_value", "label_of", "loss_words", "percent_text", "plot_by_scale", "plot_compare",
           "plot_convergence", "plot_cost_frontier", "plot_distribution", "plot_evppi", "plot_exceedance", "plot_hourly",
           "plot_quantile_convergence", "plot_scatter", "plot_scenario_box", "plot_sensitivity", "plot_sweep",
           "plot_throughput_curve", "plot_tornado", "plot_tradeoff", "save_figure", "si_number", "title_of"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
