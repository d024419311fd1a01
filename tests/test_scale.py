"""Runs on a dask.distributed cluster on loopback: the same numbers as in-process."""

import subprocess
import sys
from importlib.metadata import version
from types import MappingProxyType

import numpy as np
import pytest
import xarray as xr

from mcrisk import simulate
from mcrisk.core.errors import SpecError
from mcrisk.models import maas
from mcrisk.spec.priors import Correlation, Priors, parse_prior
from mcrisk.analyze.risk import summarize
from mcrisk.simulation.engine import simulate_summary
from mcrisk.study.runner import run_study

distributed = pytest.importorskip("distributed")

#: What a run on a dask cluster adds to the results' ``versions`` attr.
_DASK_VERSIONS = f", dask {version('dask')}, distributed {version('distributed')}"

SPECS = {
    "input_tokens": {"dist": "lognormal", "median": 608e9, "sigma": 0.3},
    "output_tokens": 168e9,
    "cache_hit_share": {"dist": "beta", "a": 5.6, "b": 4.4},
    "prefill_tps_per_node": {"dist": "triangular", "low": 50_000, "mode": 73_700, "high": 90_000},
    "decode_tps_per_node": {"dist": "triangular", "low": 10_000, "mode": 14_800, "high": 18_000},
    "gpu_hour_price": {"dist": "pert", "low": 1.5, "mode": 2.0, "high": 3.5},
    "peak_to_avg": {"dist": "truncnormal", "mean": 1.23, "sd": 0.25, "low": 1.0},
    "price_input_hit": 0.14, "price_input_miss": 0.55, "price_output": 2.19,
}

STUDY = """title = "scale test"
model = "maas"
samples = 20000
seed = 5
method = "lhs"
output = "profit_per_day"
period_days = 30
[inputs]
input_tokens = { dist = "lognormal", median = 608e9, sigma = 0.3 }
output_tokens = 168e9
cache_hit_share = { dist = "beta", a = 5.6, b = 4.4 }
prefill_tps_per_node = { dist = "triangular", low = 50000, mode = 73700, high = 90000 }
decode_tps_per_node = { dist = "triangular", low = 10000, mode = 14800, high = 18000 }
gpu_hour_price = { dist = "pert", low = 1.5, mode = 2.0, high = 3.5 }
peak_to_avg = { dist = "truncnormal", mean = 1.23, sd = 0.25, low = 1.0 }
price_input_hit = 0.14
price_input_miss = 0.55
price_output = 2.19
"""


@pytest.fixture(scope="module")
def priors() -> Priors:
    entries = {k: parse_prior(k, v, file="t.toml", table=k) for k, v in SPECS.items()}
    return Priors(MappingProxyType(entries), currency="USD",
                  correlations=(Correlation("decode_tps_per_node", "prefill_tps_per_node", 0.8),))


@pytest.fixture(scope="module")
def cluster():
    # Two worker processes listening on loopback only, no dashboard.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0") as c:
        yield c


@pytest.mark.parametrize("method", ["random", "lhs", "sobol"])
def test_cluster_run_is_bit_identical_to_in_process(priors, cluster, method):
    n = 16_384
    local = simulate(maas, priors, n, method=method, rng=21)
    remote = simulate(maas, priors, n, method=method, rng=21, chunk_size=3000,
                      scheduler=cluster.scheduler_address)
    # the same numbers, bit for bit; the provenance adds the versions of dask, which ran them
    assert remote.attrs["versions"] == local.attrs["versions"] + _DASK_VERSIONS
    remote.attrs["versions"] = local.attrs["versions"]
    xr.testing.assert_identical(remote, local)


def test_summary_only_on_the_cluster_equals_in_process(priors, cluster):
    n = 2**15
    ref = summarize(simulate(maas, priors, n, method="sobol", rng=2))
    got = simulate_summary(maas, priors, n, method="sobol", rng=2, chunk_size=4096,
                           scheduler=cluster.scheduler_address)
    for k in ("p05", "p50", "p95", "min", "max", "p_below_zero"):
        np.testing.assert_array_equal(got[k].values, ref[k].values, err_msg=k)
    np.testing.assert_allclose(got["mean"].values, ref["mean"].values, rtol=1e-12)


def test_run_study_with_workers_and_summary_only(tmp_path):
    study = tmp_path / "s.toml"
    study.write_text(STUDY)
    local = run_study(study, out=tmp_path / "local", write=False)
    one = run_study(study, out=tmp_path / "one", write=False, workers=1, chunk_size=4096)
    assert one.results.attrs["versions"] == local.results.attrs["versions"] + _DASK_VERSIONS
    one.results.attrs["versions"] = local.results.attrs["versions"]
    xr.testing.assert_identical(one.results, local.results)
    small = run_study(study, out=tmp_path / "small", summary_only=True, chunk_size=3000)
    for k in ("p05", "p50", "p95", "p_below_zero"):
        np.testing.assert_array_equal(small.summary[k].values, local.summary[k].values, err_msg=k)
    written = xr.load_dataset(tmp_path / "small" / "results.nc")
    assert "sample" not in written.dims and written.attrs["samples"] == 20000
    assert written.attrs["versions"] == local.results.attrs["versions"]  # no dask: it did not run
    assert sorted(p.name for p in (tmp_path / "small").iterdir()) == ["results.nc", "summary.csv"]


def test_unreachable_scheduler_is_a_spec_error(priors):
    with pytest.raises(SpecError, match=r"scheduler = 'tcp://127.0.0.1:9': no dask scheduler answers"):
        simulate(maas, priors, 100, scheduler="tcp://127.0.0.1:9")


def test_missing_dask_says_how_to_install(priors, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(SpecError, match=r"pip install 'mcrisk\[dask\]'"):
        simulate(maas, priors, 100, workers=2)


def test_in_process_runs_need_no_dask():
    # dask and distributed made unimportable: the default in-process runs still work. (xarray
    # itself imports dask.array when it is installed, so only its absence proves this.)
    code = ("import sys; sys.modules['dask'] = sys.modules['distributed'] = None; "
            "import mcrisk; from mcrisk.models import maas; "
            "p = mcrisk.load_priors('priors/deepseek-2025-02-27.toml'); "
            "a = mcrisk.simulate(maas, p, 1000, rng=1, chunk_size=100); "
            "from mcrisk.simulation.engine import simulate_summary; "
            "s = simulate_summary(maas, p, 1000, rng=1, chunk_size=300); "
            "print(a.sizes['sample'], int(s.n_valid[0]))")
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True)
    assert out.stdout.strip() == "1000 1000"


def test_a_run_too_large_to_hold_keeps_the_exact_summary_and_every_kth_sample(tmp_path, monkeypatch, good):
    # IN_MEMORY lowered to 2,000: a 5,000-sample run is summarised in two passes (exactly the
    # in-memory statistics) and keeps samples 0, 5, 10, ... for results.nc, figures and analyses.
    import mcrisk.study.runner as study_mod

    path = good / "study_sensitivity.toml"
    whole = study_mod.run_study(path, samples=5000, write=False)
    monkeypatch.setattr(study_mod, "IN_MEMORY", 2000)
    monkeypatch.setattr(study_mod, "THINNED_ROWS", 1000)
    lines = []
    run = study_mod.run_study(path, samples=5000, out=tmp_path / "o", formats=("svg",), echo=lines.append,
                              chunk_size=1024)
    for k in ("min", "p05", "p50", "p95", "max", "p_below_zero"):
        np.testing.assert_array_equal(run.summary[k].values, whole.summary[k].values)
    np.testing.assert_allclose(run.summary["mean"].values, whole.summary["mean"].values, rtol=1e-12)
    assert run.results.sizes["sample"] == 1000 and run.results.attrs["thin_step"] == 5
    xr.testing.assert_identical(run.results["profit_per_day"].reset_coords(drop=True),
                                whole.results["profit_per_day"].isel(sample=slice(None, None, 5)).reset_coords(drop=True))
    assert any("results.nc, the figures and the sample-based analyses hold 1 in 5 of the run's 5,000 samples (1,000 samples)" in s for s in lines)
    assert "use 1 in 5 of the run's 5,000 samples (1,000 samples)." in (run.out / "report.md").read_text(encoding="utf-8")


def test_a_sweep_and_a_solve_of_a_run_too_large_to_hold_draw_as_many_samples_as_it_holds(tmp_path, monkeypatch,
                                                                                          good):
    # IN_MEMORY lowered to 2,000: a 5,000-sample run holds 1,000 samples, and its [sweep] and
    # [solve] (which redraw the samples at each lever value) use the design's first 1,000, so
    # their memory is that of 1,000 samples: the same answers as a 1,000-sample study.
    import mcrisk.study.runner as study_mod

    path = good / "study_decisions.toml"
    small = study_mod.run_study(path, samples=1000, write=False)
    monkeypatch.setattr(study_mod, "IN_MEMORY", 2000)
    monkeypatch.setattr(study_mod, "THINNED_ROWS", 1000)
    lines = []
    run = study_mod.run_study(path, samples=5000, out=tmp_path / "o", formats=("svg",), echo=lines.append)
    assert run.tables["solve"] == small.tables["solve"] and run.tables["solve"].samples == 1000
    xr.testing.assert_identical(run.tables["sweep"].summary, small.tables["sweep"].summary)
    assert any(line.endswith("; a [sweep] or [solve] draws the design's first 1,000") for line in lines)
