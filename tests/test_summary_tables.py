"""``[sweep]`` and ``[solve]`` under ``--summary-only``: streamed in chunks, the same numbers, their files written.

The streamed solve must give the in-memory answer bit for bit (the samples, the model's
arithmetic and the reductions are the same) for every kind of target, design and chunk size;
the streamed sweep summary must equal :func:`summarize_sweep` exactly in its order statistics
and counts, and to rounding in its sums. Memory is measured with tracemalloc (numpy reports its
buffers to it): the streamed solve holds a fraction of what the in-memory one does.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mcrisk import run_study
from mcrisk.analyze.solve import solve
from mcrisk.analyze.sweep import summarize_sweep, summarize_sweep_streamed, sweep
from mcrisk.spec.studyfile import load_study

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "studies" / "third_party_provider.toml"
DECISIONS = ROOT / "tests" / "data" / "good" / "study_decisions.toml"


@pytest.fixture(scope="module")
def main_study():
    return load_study(MAIN)


@pytest.mark.parametrize("target", ["P(profit_per_day < 0) <= 0.1", "p05(profit_per_day) >= 0",
                                    "mean(profit_per_day) >= 0"], ids=["probability", "percentile", "mean"])
@pytest.mark.parametrize("method", ["random", "lhs", "sobol"])
def test_streamed_solve_is_the_in_memory_solve_bit_for_bit(main_study, target: str, method: str) -> None:
    st, cfg = main_study, main_study.solve
    n = 4096
    kw = {"method": method, "rng": st.seed, "tolerance": cfg.tolerance, "relative": cfg.relative}
    held = solve(st.model, st.priors, cfg.lever, target, cfg.low, cfg.high, n, **kw)
    for chunk in (1000, 4096, 777):
        assert solve(st.model, st.priors, cfg.lever, target, cfg.low, cfg.high, n, chunk_size=chunk, **kw) == held


def test_the_main_study_solve_is_unchanged(main_study) -> None:
    st, cfg = main_study, main_study.solve
    sol = solve(st.model, st.priors, cfg.lever, cfg.target, cfg.low, cfg.high, st.samples, method=st.method,
                rng=st.seed, tolerance=cfg.tolerance, relative=cfg.relative, chunk_size=6000)
    # the answer recorded before streaming existed (in memory, 20,000 LHS samples)
    assert (sol.value, sol.ci_low, sol.ci_high, sol.achieved, sol.evaluations) == (
        219.1181640625, 214.9140625, 222.7216796875, 0.0999, 31)


def test_streamed_solve_memory_is_flat_in_the_samples(main_study) -> None:
    st, cfg = main_study, main_study.solve

    def peak(n: int, **kw) -> int:
        tracemalloc.start()
        try:
            solve(st.model, st.priors, cfg.lever, cfg.target, cfg.low, cfg.high, n, method="random", rng=1,
                  tolerance=0.01, **kw)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(100_000, chunk_size=10_000), peak(400_000, chunk_size=10_000)
    held = peak(400_000)
    # measured: 6.0 and 6.2 MB streamed (one chunk of 10,000 samples), 71 MB held (20 inputs of
    # 400,000 doubles are 64 MB); probability targets keep counts only, so 4x the samples adds nothing
    assert large < small + 1e6 and held > 60e6 and large < held / 8, (small, large, held)


def test_streamed_sweep_summary_is_summarize_sweep(main_study) -> None:
    st = main_study
    values = [10.0, 16.0, 40.0]
    held = summarize_sweep(sweep(st.model, st.priors, "price_output", values, 3000, method="lhs", rng=st.seed),
                           period_days=st.period_days)
    streamed = summarize_sweep_streamed(st.model, st.priors, "price_output", values, 3000, method="lhs",
                                        seed=st.seed, chunk_size=700, period_days=st.period_days)
    assert streamed.attrs == held.attrs
    assert list(streamed.data_vars) == list(held.data_vars)
    xr.testing.assert_identical(streamed.price_output, held.price_output)
    for name in held.data_vars:
        a, b = held[name].values, streamed[name].transpose(*held[name].dims).values
        if name in ("mean", "std", "es05", "se_mean"):  # the same sums in another order
            np.testing.assert_allclose(b, a, rtol=1e-12)
        else:
            np.testing.assert_array_equal(b, a, err_msg=name)


def test_summary_only_study_writes_sweep_and_solve(tmp_path: Path) -> None:
    printed: list[str] = []
    plain = run_study(DECISIONS, write=False, samples=1000)
    run = run_study(DECISIONS, out=tmp_path / "so", summary_only=True, samples=1000, echo=printed.append)
    out = tmp_path / "so"
    assert sorted(p.name for p in out.iterdir()) == ["results.nc", "solve.json", "summary.csv"]
    assert json.loads((out / "solve.json").read_text()) == plain.tables["solve"].as_dict()
    frame = pd.read_csv(out / "summary.csv")
    assert list(frame.columns[:2]) == ["price_output", "output"]
    assert frame.price_output.tolist() == [v for v in (1.0, 2.0, 3.0, 4.0, 5.0) for _ in range(11)]
    want = plain.tables["sweep"].summary
    np.testing.assert_array_equal(frame.p_below_zero.to_numpy(), want.p_below_zero.values.ravel())
    np.testing.assert_array_equal(frame.p50.to_numpy(), [float(f"{v:.10g}") for v in want.p50.values.ravel()])
    with xr.open_dataset(out / "results.nc") as res:
        assert "sample" not in res.dims and res.attrs["lever"] == "price_output"
    assert run.tables["sweep"].results is None
    assert run.tables["sweep"].breakeven == plain.tables["sweep"].breakeven
    sweep_text = next(p for p in printed if p.startswith("\n[sweep]"))
    assert sweep_text.splitlines()[1] == "[sweep] profit per day (USD/day) against price_output, common random numbers"


def test_chunk_size_reaches_the_streamed_sweep_and_solve(tmp_path: Path, monkeypatch) -> None:
    from mcrisk.analyze import decision_run, solve_eval
    from mcrisk.core import forking

    monkeypatch.setattr(forking, "cores", lambda: 1)  # the tables in this process, where the spies see them
    sweep_chunks, solve_spans = [], []
    streamed_sweep, spans_of = decision_run.summarize_sweep_streamed, solve_eval.chunks

    def sweep_spy(*args, chunk_size=None, **kw):
        sweep_chunks.append(chunk_size)
        return streamed_sweep(*args, chunk_size=chunk_size, **kw)

    def chunks_spy(n, size):
        solve_spans.append((n, size))
        return spans_of(n, size)

    monkeypatch.setattr(decision_run, "summarize_sweep_streamed", sweep_spy)
    monkeypatch.setattr(solve_eval, "chunks", chunks_spy)
    solved, frames = {}, {}
    for chunk in (None, 1000, 1337):
        out = tmp_path / f"c{chunk}"
        run_study(DECISIONS, out=out, summary_only=True, samples=3000, chunk_size=chunk)
        solved[chunk], frames[chunk] = (out / "solve.json").read_bytes(), pd.read_csv(out / "summary.csv")
    assert sweep_chunks == [2**20, 1000, 1337] and solve_spans == [(3000, 2**20), (3000, 1000), (3000, 1337)]
    # the solve counts hits: bit for bit whatever the chunk
    assert solved[1000] == solved[None] and solved[1337] == solved[None]
    # the sweep's order statistics and counts are selected exactly, and its sums (mean, std, es05,
    # se_mean) are taken over blocks at fixed sample positions: the same text whatever the chunks
    for chunk in (1000, 1337):
        pd.testing.assert_frame_equal(frames[chunk], frames[None], check_exact=True)


def test_mcrisk_solve_of_more_samples_than_a_run_holds_streams(monkeypatch) -> None:
    # above 2^21 samples mcrisk solve streams its chunks (as a --summary-only run does), with the answer
    # the in-memory solve gives (test_streamed_solve_equals_the_held_one): the chunk size reaches solve()
    from mcrisk.analyze import decision_run

    seen = []

    def spy(study, cfg, samples=None, chunk_size=None):
        seen.append((study.samples, chunk_size))
        raise SystemExit(0)  # enough: what was asked of solve()

    monkeypatch.setattr(decision_run, "_solve_with", spy)
    for n in (2**21, 2**21 + 1):
        with pytest.raises(SystemExit):
            decision_run.solve_study(DECISIONS, samples=n, write=False)
    assert seen == [(2**21, None), (2**21 + 1, 2**20)]
