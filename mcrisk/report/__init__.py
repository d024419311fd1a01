"""What a person reads: figures, the report, the deck and the workbook.

::

    plot/           plot_x(data, *, ax=None) -> Axes, one module per kind of chart
    figures.py      which charts a run supports, drawn in parallel
    findings.py     the headline and the deciding input, in words
    document.py     figures/, report.md and report.html
    deck.py         deck.pptx (deck_charts.py, deck_decisions.py: sweep and solve, deck_voi.py: EVSI and the
                    lever's value of information, deck_curves.py: throughput curve and cost frontier,
                    deck_months.py: a model over months, deck_layout.py, textfit.py)
    workbook.py     workbook.xlsx (workbook_decisions.py: the Sweep and Solve sheets, workbook_voi.py:
                    the EVSI and VOI lever sheets, workbook_calibration.py: prior against posterior,
                    workbook_curves.py: throughput, workbook_months.py: the Cash flow sheet and cash
                    by month)
    palette.py      the colours of the figures, the deck and the workbook, one meaning each

May import: core, distributions, models, spec, sampling, simulation, analyze, elicit.
"""
