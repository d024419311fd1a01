"""A model from a user file on a real dask cluster: a ``dask scheduler`` and two ``dask worker``
processes on 127.0.0.1, started apart from the run in another working directory."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import MappingProxyType

import pytest
import xarray as xr

from mcrisk import simulate
from mcrisk.core.errors import SpecError
from mcrisk.models import resolve_model
from mcrisk.spec.priors import Priors, parse_prior
from mcrisk.study.runner import run_study

distributed = pytest.importorskip("distributed", reason="the cluster tests need the dask extra (distributed)")

ROOT = Path(__file__).resolve().parents[1]

#: studies/fleet_400.toml without its tornado and sensitivity tables, its priors by absolute path.
FLEET = (ROOT / "studies" / "fleet_400.toml").read_text().split("\n[tornado]")[0].replace(
    '"../priors/', f'"{(ROOT / "priors").as_posix()}/')

#: A model that takes 0.25 s a chunk and leaves a mark <pid>-<first a> in MARKS as it starts one,
#: so that a worker can be killed while the run is under way.
SLOW = '''import os
import time

MARKS = {marks!r}


def slow(*, a, b):
    if getattr(a, "size", 1) > 1:
        if MARKS:
            open(os.path.join(MARKS, f"{{os.getpid()}}-{{a.flat[0]!r}}"), "w").close()
        time.sleep(0.25)
    return {{"y": a * b + a}}
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    # mcrisk from this checkout (PYTHONPATH), but not the study's folder: cwd is elsewhere.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)


def _worker(address: str, cwd: Path) -> subprocess.Popen:
    # No nanny: a killed worker process stays dead, as a lost machine would.
    return _start(["distributed.cli.dask_worker", address, "--nthreads", "1", "--nworkers", "1", "--no-nanny",
                   "--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(cwd)], cwd)


class _Cluster:
    def __init__(self, address: str, cwd: Path, workers: list[subprocess.Popen]) -> None:
        self.address, self.cwd, self.workers = address, cwd, workers

    def wait_for(self, n: int) -> None:
        """Until the scheduler answers and has ``n`` workers."""
        with distributed.Client(self.address, timeout="20s", set_as_default=False) as c:
            if n:
                c.wait_for_workers(n, timeout=60)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``dask scheduler`` on 127.0.0.1:<a free port> and two ``dask worker`` processes."""
    cwd = tmp_path_factory.mktemp("workers")
    address = f"tcp://127.0.0.1:{_free_port()}"
    scheduler = _start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":")[-1],
                        "--no-dashboard"], cwd)
    workers: list[subprocess.Popen] = []
    try:
        workers += [_worker(address, cwd) for _ in range(2)]
        c = _Cluster(address, cwd, workers)  # a test may replace a worker: it appends to workers
        c.wait_for(2)
        yield c
    finally:
        _stop([*workers, scheduler])


@pytest.fixture(scope="module")
def fleet_study(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("study")
    (d / "fleet.py").write_text((ROOT / "studies" / "fleet.py").read_text())
    (d / "fleet_400.toml").write_text(FLEET)
    return d / "fleet_400.toml"


def _same_numbers(a: xr.Dataset, b: xr.Dataset) -> None:
    # bit for bit; the provenance of the cluster run adds the versions of dask, which ran it
    if "versions" in a.attrs:
        assert b.attrs.pop("versions").startswith(a.attrs.pop("versions") + ", dask ")
    assert a.attrs == b.attrs
    xr.testing.assert_identical(a, b)


@pytest.mark.parametrize("summary_only", [False, True], ids=["samples", "summary-only"])
def test_file_model_on_a_real_cluster_is_bit_identical(cluster, fleet_study, summary_only):
    kw = {"samples": 6000, "chunk_size": 1000, "write": False, "quiet": True, "summary_only": summary_only}
    one = run_study(fleet_study, **kw)
    remote = run_study(fleet_study, scheduler=cluster.address, **kw)
    assert one.results.attrs["model"] == "fleet.py:fleet"
    _same_numbers(one.summary, remote.summary)
    if not summary_only:
        _same_numbers(one.results, remote.results)


def test_file_model_with_local_workers_is_bit_identical(fleet_study):
    kw = {"samples": 3000, "chunk_size": 1000, "write": False, "quiet": True}
    _same_numbers(run_study(fleet_study, **kw).results, run_study(fleet_study, workers=2, **kw).results)


def test_model_a_worker_cannot_import_is_refused_in_one_line(cluster, tmp_path, monkeypatch):
    # importable here (the module is on this process's path), not on the workers
    (tmp_path / "mcrisk_test_only_here.py").write_text(SLOW.format(marks=""))
    monkeypatch.syspath_prepend(str(tmp_path))
    model = resolve_model("mcrisk_test_only_here:slow")
    t0 = time.monotonic()
    with pytest.raises(SpecError, match=r"^model mcrisk_test_only_here:slow: the dask worker tcp://127\.0\.0\.1:\d+ "
                                        r"cannot call it: ModuleNotFoundError: No module named "
                                        r"'mcrisk_test_only_here'$"):
        simulate(model, _slow_priors(), 100, rng=1, scheduler=cluster.address)
    assert time.monotonic() - t0 < 10


def test_cluster_that_loses_its_last_worker_stops_in_one_line(tmp_path, monkeypatch):
    # its only worker killed mid-run: the run stops after NO_WORKER_TIMEOUT; the next run is
    # refused by the check after CHECK_TIMEOUT
    monkeypatch.setattr("mcrisk.simulation.distributed.NO_WORKER_TIMEOUT", 3.0)
    (tmp_path / "marks").mkdir()
    (tmp_path / "slow.py").write_text(SLOW.format(marks=str(tmp_path / "marks")))
    model = resolve_model("slow.py:slow", base=tmp_path)
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
                        "--no-dashboard"], tmp_path)
    workers: list[subprocess.Popen] = []
    try:
        workers.append(_worker(address, tmp_path))
        _Cluster(address, tmp_path, workers).wait_for(1)
        threading.Thread(target=_kill_when_marked, args=(workers[0], tmp_path / "marks"), daemon=True).start()
        t0 = time.monotonic()
        with pytest.raises(SpecError, match=rf"^the dask cluster at {address} has had no worker for 3 s; "
                                            r"the run stopped$"):
            simulate(model, _slow_priors(), 12_000, rng=1, chunk_size=1000, scheduler=address)
        assert workers[0].poll() is not None and time.monotonic() - t0 < 20
        monkeypatch.setattr("mcrisk.simulation.distributed.CHECK_TIMEOUT", 2.0)
        t0 = time.monotonic()
        with pytest.raises(SpecError, match=r"^model slow.py:slow: the dask worker \(any\) did not evaluate one "
                                            r"sample within 2 s$"):
            simulate(model, _slow_priors(), 100, rng=1, scheduler=address)
        assert time.monotonic() - t0 < 10
    finally:
        _stop([*workers, scheduler])


def _kill_when_marked(worker: subprocess.Popen, marks: Path) -> None:
    deadline = time.monotonic() + 30
    while not os.listdir(marks) and time.monotonic() < deadline:  # a chunk under way
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)


def _slow_priors() -> Priors:
    specs = {"a": {"dist": "uniform", "low": 1, "high": 2}, "b": {"dist": "normal", "mean": 0, "sd": 1}}
    return Priors(MappingProxyType({k: parse_prior(k, v, file="t.toml", table=k) for k, v in specs.items()}),
                  currency="USD")


def test_killed_worker_costs_nothing_or_stops_in_one_line(cluster, tmp_path):
    (tmp_path / "marks").mkdir()
    (tmp_path / "slow.py").write_text(SLOW.format(marks=str(tmp_path / "marks")))
    model = resolve_model("slow.py:slow", base=tmp_path)
    n, kw = 12_000, {"rng": 7, "chunk_size": 1000}
    one = simulate(model, _slow_priors(), n, **kw)
    outcome: dict = {}

    def run():
        try:
            outcome["ds"] = simulate(model, _slow_priors(), n, scheduler=cluster.address, **kw)
        except SpecError as exc:
            outcome["error"] = str(exc)

    thread = threading.Thread(target=run, daemon=True)
    victim = cluster.workers[0]
    here = f"{os.getpid()}-"

    def started():
        return [m for m in os.listdir(tmp_path / "marks") if not m.startswith(here)]

    try:
        thread.start()
        while len(started()) < 2 and thread.is_alive():  # two chunks of the 12 under way on the cluster
            time.sleep(0.05)
        under_way = thread.is_alive()
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        thread.join(timeout=60)
        assert not thread.is_alive(), "the run hangs after a worker was killed"
    finally:
        cluster.workers.append(_worker(cluster.address, cluster.cwd))  # the module's cluster has two again
        cluster.wait_for(2)
    assert under_way and len(started()) >= 12  # killed mid-run; every chunk ran on the cluster
    if "error" in outcome:  # stopped: one line
        assert "\n" not in outcome["error"] and outcome["error"].startswith("the run on the dask cluster stopped")
    else:  # dask computed the lost chunks again on the other worker: the same numbers
        _same_numbers(one, outcome["ds"])
