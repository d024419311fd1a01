"""Figures for a slide deck: distribution, exceedance, tornado, sensitivity, scatter, convergence.

Every function has the form ``plot_x(data, *, ax=None, **kwargs) -> Axes``: it draws on ``ax``
through its methods, makes a 16:9 figure only when ``ax`` is None, and never touches pyplot's
global state (figures are :class:`matplotlib.figure.Figure` objects, rendered by Agg when
saved), so plotting is safe in scripts, servers and threads. Matplotlib is imported on the
first call, never when mcrisk is imported.

The layers, each importing only those above it (and :mod:`mcrisk.text` for every number)::

    style.py          the deck style: palette, rc style, figures, titles, notes, axis labels, save_figure
    layout.py         label placement: staggered labels, the first place a label fits
    data.py           what is drawn: finite samples, the drawn range, CHART_MAX, sensitivity picks
    config.py         the [plots] table of a study: check_config and its defaults
    risk_charts.py    plot_distribution, plot_exceedance, plot_convergence
    tornado_chart.py  plot_tornado
    driver_charts.py  plot_sensitivity, plot_scatter
    discovery_charts.py  plot_tradeoff, plot_scenario_box (PRIM), plot_evppi (value of information)

Example
-------
>>> from mcrisk import run_study
>>> from mcrisk.plot import plot_distribution, save_figure
>>> run = run_study("studies/deepseek_545.toml", write=False)       # doctest: +SKIP
>>> ax = plot_distribution(run.results)                              # doctest: +SKIP
>>> save_figure(ax.figure, "profit", ("png", "svg"))                 # doctest: +SKIP
"""

from __future__ import annotations

from ..text import format_value, loss_words, percent_text, si_number
from .config import check_config
from .data import CHART_MAX, chart_limit
from .discovery_charts import plot_evppi, plot_scenario_box, plot_tradeoff
from .driver_charts import SENSITIVITY_INDICES, plot_scatter, plot_sensitivity
from .risk_charts import plot_convergence, plot_distribution, plot_exceedance
from .style import FORMATS, PALETTE, label_of, save_figure, title_of
from .tornado_chart import plot_tornado

__all__ = ["CHART_MAX", "FORMATS", "PALETTE", "SENSITIVITY_INDICES", "chart_limit", "check_config",
           "format_value", "label_of", "loss_words", "percent_text", "plot_convergence", "plot_distribution",
           "plot_evppi", "plot_exceedance", "plot_scatter", "plot_scenario_box", "plot_sensitivity", "plot_tornado", "plot_tradeoff", "save_figure", "si_number",
           "title_of"]
