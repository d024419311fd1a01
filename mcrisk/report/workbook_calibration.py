"""The ``Calibration`` sheet of ``workbook.xlsx``: a calibrated run's prior against posterior.

:func:`calibration_sheet` writes each input's prior and posterior mean, sd, P5, P50 and P95 (the
columns of ``calibration.csv``) with the run's effective sample size and Pareto k-hat above them.
Numbers are numbers, in the cell formats of the other sheets. Not written for an uncalibrated run.
"""

from __future__ import annotations

from mcrisk.analyze.calibration import k_hat_words
from mcrisk.core.labels import shown_unit

__all__ = ["calibration_sheet"]


def calibration_sheet(book, run) -> None:
    """A calibrated run's inputs, prior against posterior (the columns of calibration.csv), k-hat and ESS."""
    if (cal := run.tables.get("calibrate")) is None:
        return
    ws = book.wb.add_worksheet("Calibration")
    cols = ["prior_mean", "prior_sd", "prior_p05", "prior_p50", "prior_p95", "post_mean", "post_sd", "post_p05",
            "post_p50", "post_p95"]
    ws.write_row(0, 0, [f"Weighted by the record: {cal.attrs['ess']:,.0f} effective draws of {cal.attrs['samples']:,},"
                        f" {k_hat_words(cal.attrs['k_hat'])} (calibration.json has the observations)"], book.bold)
    ws.write_row(1, 0, ["Input", "Name", "Unit", *(c.replace("_", " ") for c in cols)], book.bold)
    for i, name in enumerate(str(v) for v in cal.input.values):
        row, unit = cal.sel(input=name), str(cal.unit.sel(input=name).item())
        ws.write_row(i + 2, 0, [book.lab(name), name, shown_unit(unit)])
        code = book.number(unit, [float(row[c]) for c in cols])
        for j, c in enumerate(cols):
            ws.write_number(i + 2, 3 + j, float(row[c]), code)
    ws.set_column(0, 0, 28)
    ws.set_column(1, 2, 20)
    ws.set_column(3, 12, 13)
