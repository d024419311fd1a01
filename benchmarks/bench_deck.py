"""What ``--formats pptx,xlsx`` adds to a run: the deck and the workbook against the report.

One run of a study (default ``studies/deepseek_uncertain.toml``, its own samples) is computed
once in this process; then, ``--repeat`` times each and alternating, the report
(:func:`mcrisk.report.document.write_report`, figures as PNG), the deck (:func:`mcrisk.report.deck.write_deck`)
and the workbook (:func:`mcrisk.report.workbook.write_workbook`) are written to a scratch folder. The
table gives the median wall time of each and the ratios deck / report and workbook / report,
measured in the same process under the same load. The workbook's time grows with the samples
it lists (one cell per sample and variable).

Run: ``python benchmarks/bench_deck.py [STUDY] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from machine import cpu_line

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mcrisk.report.deck import write_deck  # noqa: E402
from mcrisk.report.document import write_report  # noqa: E402
from mcrisk.study.runner import run_study  # noqa: E402
from mcrisk.report.workbook import write_workbook  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("study", nargs="?", default=str(Path(__file__).resolve().parent.parent / "studies"
                                                    / "deepseek_uncertain.toml"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    run = run_study(args.study, write=False)
    times: dict[str, list[float]] = {"report": [], "deck": [], "workbook": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        jobs = {"report": lambda: write_report(run, folder / "r", formats=("png",)),
                "deck": lambda: write_deck(run, folder / "deck.pptx", folder=folder),
                "workbook": lambda: write_workbook(run, folder / "workbook.xlsx")}
        for name, job in jobs.items():  # warm-up: imports and font metrics
            job()
        for r in range(args.repeat):
            for name in (list(jobs) if r % 2 == 0 else list(jobs)[::-1]):
                t = time.perf_counter()
                jobs[name]()
                times[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(cpu_line())
    print(f"{Path(args.study).name}: {run.study.samples:,} samples, {len(run.results.data_vars)} variables")
    for k, v in med.items():
        print(f"{k:9s} {v:7.2f} s   {v / med['report']:.2f} x the report")
    return 0


if __name__ == "__main__":
    sys.exit(main())
