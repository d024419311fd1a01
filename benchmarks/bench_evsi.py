"""What EVSI and EVPI against a lever add to the main study's run, on its 20,000 samples.

The target (the issue's): EVSI for the main study at 20,000 samples adds at most a few seconds on
the 2-core machine. The main study is ``studies/third_party_provider.toml`` (9 uncertain inputs,
LHS); its ``[value_of_information]`` gets the benchmark study of
``studies/launch_benchmark_evsi.toml`` (decode throughput, 12 sizes, log-normal noise) and,
separately, its lever (16 output prices, EVPPI of decode throughput at each). Reported, best of
``--repeat``: the study's own EVPPI table (:func:`mcrisk.analyze.discovery_run.run_voi`), EVSI of
the 12 sizes (:func:`mcrisk.analyze.voi_run.run_evsi`), EVPI against the lever
(:func:`mcrisk.analyze.voi_run.run_voi_lever`, 16 x 20,000 model evaluations included), each on
the stored results in this process; then ``run_study`` end to end (no files written) without and
with the two, whose difference is what a user waits for (the tables run in forked processes, one
per core, beside the summary and the other tables).

Run: ``python benchmarks/bench_evsi.py [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import time
import tomllib
from pathlib import Path

from machine import cpu_line

ROOT = Path(__file__).resolve().parent.parent


def _best(f, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from mcrisk import load_study, run_study
    from mcrisk.analyze.discovery_run import run_voi
    from mcrisk.analyze.voi_run import run_evsi, run_voi_lever
    from mcrisk.spec.studyfile import with_table

    main_study = load_study(ROOT / "studies" / "third_party_provider.toml")
    sibling = tomllib.loads((ROOT / "studies" / "launch_benchmark_evsi.toml").read_text(encoding="utf-8"))
    voi = sibling["value_of_information"]
    lever = {k: voi[k] for k in ("lever", "low", "high", "num", "lever_inputs")}
    both = with_table(main_study, "value_of_information", studies=voi["studies"], **lever)
    evsi_only = with_table(main_study, "value_of_information", studies=voi["studies"])
    lever_only = with_table(main_study, "value_of_information", **lever)

    plain_run = run_study(main_study, write=False, quiet=True)
    results = plain_run.results
    t_voi, _ = _best(lambda: run_voi(main_study, results), args.repeat)
    t_evsi, ev = _best(lambda: run_evsi(evsi_only, results), args.repeat)
    t_lever, _ = _best(lambda: run_voi_lever(lever_only, results), args.repeat)
    t_plain, _ = _best(lambda: run_study(main_study, write=False, quiet=True), args.repeat)
    t_both, _ = _best(lambda: run_study(both, write=False, quiet=True), args.repeat)
    print(cpu_line())
    print(f"{main_study.samples:,} samples of {main_study.name}; EVSI of {ev.sizes['row']} sizes, "
          f"EVPI against {lever['num']} lever values")
    print(f"EVPPI, every input (the study's own)   {t_voi:6.2f} s")
    print(f"EVSI, 12 sizes, SE                      {t_evsi:6.2f} s")
    print(f"EVPI and EVPPI against the lever        {t_lever:6.2f} s")
    print(f"run_study without them                  {t_plain:6.2f} s")
    print(f"run_study with both                     {t_both:6.2f} s  (adds {t_both - t_plain:+.2f} s)")


if __name__ == "__main__":
    main()
