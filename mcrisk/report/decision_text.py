"""The report's tables of a run's decisions: the ``[sweep]`` over its lever, the ``[solve]`` answer, a
precision run's last batch, as heading, header row and rows of text."""

from __future__ import annotations

import numpy as np

from mcrisk.core.labels import run_labels
from mcrisk.core.statistics import CENTRAL_50_90, percentile_head
from mcrisk.core.text import format_number, words

__all__ = ["decision_tables"]


def decision_tables(run) -> dict[str, tuple[str, list[str], list[list[str]]]]:
    """The report's sweep, solve and precision tables: key -> (heading, header row, rows).

    Parameters
    ----------
    run
        A :class:`~mcrisk.study.runner.StudyRun`.

    Returns
    -------
    dict
        ``"sweep"``, ``"solve"`` and ``"convergence"`` (a precision run's last batch) where the
        run has them.
    """
    out = {}
    labels = run_labels(run)
    if (sw := run.tables.get("sweep")) is not None:
        lever = sw.summary.attrs["lever"]
        s = sw.summary.sel(output=sw.output)
        unit, lunit = str(np.ravel(s.units.values)[0]), sw.summary[lever].attrs.get("units", "")
        rows = [[format_number(float(v), lunit), f"{float(s.p_below_zero.values[i]):.1%}",
                 *(format_number(float(s[k].values[i]), unit) for k in CENTRAL_50_90)]
                for i, v in enumerate(sw.summary[lever].values)]
        out["sweep"] = (f"Sweep of {lever}: {words(sw.output, labels)} ({unit}) on common random numbers",
                        [f"{lever} ({lunit})", "P(< 0)", *map(percentile_head, CENTRAL_50_90)], rows)
    if (sol := run.tables.get("solve")) is not None:
        target = getattr(run.study, "solve", None)
        said = f"{target.target.words(labels)} {target.target.goal_words()}" if target is not None else sol.target
        out["solve"] = (f"Solve: {said}", ["lever", "value", "95% CI", "achieved", "samples"],
                        [[sol.lever, f"{format_number(sol.value, sol.unit)} {sol.unit}".rstrip(),
                          f"{format_number(sol.ci_low, sol.unit)} to {format_number(sol.ci_high, sol.unit)}",
                          f"{sol.achieved:.6g}", f"{sol.samples:,}"]])
    if (conv := run.tables.get("convergence")) is not None:
        n = int(conv.samples.values[-1])
        last = conv.samples.values == n
        state = "met" if conv.attrs.get("precision_met") else "not met: the cap was reached first"
        out["convergence"] = (f"Precision ({state}) at {n:,} samples; {conv.attrs['interval_method']}",
                              ["output", "statistic", "estimate", "95% half-width", "tolerance"],
                              [[str(o), str(st), f"{e:.6g}", f"{h:.3g}", f"{t:.3g}"] for o, st, e, h, t in
                               zip(conv.output.values[last], conv.statistic.values[last], conv.estimate.values[last],
                                   conv.half_width.values[last], conv.tolerance.values[last], strict=True)])
    return out
