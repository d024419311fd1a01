"""``mcrisk fit DATA.csv --column COL``: fit, print the table, write the entry and the figure.

The fitting is :func:`mcrisk.elicit.fit.fit_data`; this module wires it to files: it reads the
column, prints the families by AIC, appends the best to a priors file and draws the data against
the fits (:func:`mcrisk.report.plot.fit_chart.plot_fit`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from mcrisk.core.errors import SpecError
from mcrisk.core.text import aligned
from mcrisk.elicit.fit import DataFit, fit_data, read_column
from mcrisk.spec.priorentry import params_text, prior_entry, write_entry

__all__ = ["fit_file"]


def fit_file(path: str | Path, column: str, *, families: Sequence[str] | None = None,
             weights: str | None = None, unit: str = "", name: str | None = None,
             out: str | Path | None = None, plot: str | Path | None = None, source: str = "",
             note: str = "", replace: bool = False, echo: Callable[[str], None] = print) -> list[DataFit]:
    """``mcrisk fit DATA.csv --column COL``: fit, rank, print, and write the best fit as a prior.

    Parameters
    ----------
    path, column
        The CSV file and the column to fit.
    families
        Candidate names (:data:`DATA_FAMILIES`); ``None``: every one the data allow.
    weights
        A column of weights.
    unit
        The column's unit, written into the entry.
    name
        The entry's name (default: the column's).
    out
        A priors file to add the best fit to (:func:`~mcrisk.spec.priorentry.write_entry`: an
        entry of the same name is refused unless ``replace``), or to create.
    plot
        A figure file (``.png``, ``.svg`` or ``.pdf``) of the data against every fit; with ``out``
        and no ``plot``, ``<out stem>_<name>_fit.png`` beside it (one per entry). An existing
        ``plot`` file is refused unless ``replace``: no figure overwrites a file the user wrote.
        The figure beside ``out`` is mcrisk's own and follows its entry.
    source
        Where the data come from, put before the fit's description in the entry's ``source``.
    note
        The entry's ``note`` (why this family, what the data stand for).
    replace
        Replace an entry of the same name in ``out``, and an existing ``plot`` file.
    echo
        Called with each printed block.

    Returns
    -------
    list of DataFit
        Best (lowest AIC) first.
    """
    path = Path(path)
    if plot is not None:  # before anything is read or written: a refused figure changes no file
        plot = _figure_file(Path(plot), replace)
    x, w, rows = read_column(path, column, weights=weights)
    fits = fit_data(x, weights=w, families=families)
    echo(f"{path}: column {column!r}, {rows}" + (f", weighted by {weights!r}" if weights else ""))
    top = float(np.max(np.abs(x)))  # the mean of values near 1e308 would overflow
    mean = float(np.average(x / top, weights=w)) * top
    table = [["family", "AIC", "BIC", "KS", "mean", f"parameters (data mean {mean:.6g})"],
             *([f.name, f"{f.aic:,.2f}", f"{f.bic:,.2f}", f"{f.ks:.4f}", f"{float(f.dist.mean()):.6g}",
                params_text(f.params)] for f in fits)]
    echo("\n".join(f"  {line}" for line in aligned(table, text_last=True)))
    best = fits[0]
    echo(f"best by AIC: {best.name}")
    if out is not None:
        others = ", ".join(f.name for f in fits[1:])
        choice = (f"{best.name} has the lowest AIC ({best.aic:.2f}) against {others}" if others
                  else f"{best.name} (the family asked for), AIC {best.aic:.2f}")
        fit_text = (f"fitted by maximum likelihood (mcrisk fit) to {path.name}, column {column}, {rows}"
                    + (f", weighted by {weights}" if weights else "")
                    + f": {choice}; KS distance {best.ks:.4f}")
        text = prior_entry(name or column, best.family, best.params, unit=unit, note=note,
                           source=f"{source}; {fit_text}" if source else fit_text)
        write_entry(out, text, replace=replace)
        echo(f"wrote [{name or column}] to {out}")
        if plot is None:
            plot = Path(out).with_name(f"{Path(out).stem}_{name or column}_fit.png")
    if plot is not None and not 1e-100 < top < 1e100:
        echo(f"no figure: values of magnitude {top:.3g} overflow its densities; rescale the column to draw it")
    elif plot is not None:
        from mcrisk.report.plot.fit_chart import plot_fit  # matplotlib: only when a figure is asked for
        from mcrisk.report.plot.style import save_figure

        fig = plot_fit(x, fits, weights=w, label=f"{column}" + (f" ({unit})" if unit else ""),
                       title=f"{len(x)} values of {column}; best fit by AIC: {best.name}")
        save_figure(fig, plot.with_suffix(""), (plot.suffix.lstrip("."),))
        echo(f"wrote {plot}")
    return fits


def _figure_file(plot: Path, replace: bool) -> Path:
    """The ``--plot`` file, checked: a figure format (none given: ``.png``), and no existing file unless ``replace``."""
    plot = plot.with_suffix(plot.suffix.lower() or ".png")  # the file save_figure writes
    if plot.suffix not in (".png", ".svg", ".pdf"):
        raise SpecError(f"--plot {plot}: the figure must be .png, .svg or .pdf")
    if plot.exists() and not replace:
        raise SpecError(f"--plot {plot} exists; remove it, name another file, or give --replace to replace it")
    return plot
