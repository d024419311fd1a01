"""Two studies run in two threads give exactly what each gives alone.

Nothing a run computes or writes may travel through process-wide state: numpy's global
generator (which SALib's delta and PAWN bootstraps draw from), label tables, chart styles.
The two studies differ in model form, method and period, so that anything shared between
them shows as a difference.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from mcrisk import run_study

_SERVE = """currency = "USD"
input_tokens = 608e9
output_tokens = 168e9
prefill_tps_per_node = 73_700
decode_tps_per_node = { dist = "uniform", low = 10000, high = 20000 }
price_input_miss = 0.55
price_output = { dist = "uniform", low = 1.0, high = 3.0 }
cache_hit_share = { dist = "uniform", low = 0.5, high = 0.6 }
gpu_hour_price = { dist = "uniform", low = 1.9, high = 2.1 }
"""
# delta and PAWN draw their bootstraps from numpy's global generator (the 0.2 code gave each
# study a share of the other's draws: the confidence intervals differed from a run alone)
STUDIES = {
    "day": ('model = "maas"\npriors = ["p.toml"]\nsamples = 300\nseed = 3\nmethod = "lhs"\n'
            '[inputs]\npeak_to_avg = 1.33\n[tornado]\n[sensitivity]\nmethod = "delta"\nsamples = 300\nnum_resamples = 30\n'
            '[scenarios]\nevent = "< 370000"\n'),
    "month": ('model = "maas_hourly"\npriors = ["p.toml"]\nsamples = 200\nseed = 11\nperiod_days = 30\n'
              '[sensitivity]\nmethod = "pawn"\nsamples = 200\nnum_resamples = 30\n'
              '[options]\nshape = "deepseek-2025-02-27"\npolicy = "elastic"\n'),
}


def _write(folder: Path, name: str) -> Path:
    folder.mkdir()
    (folder / "p.toml").write_text(_SERVE)
    (folder / f"{name}.toml").write_text(STUDIES[name])
    return folder / f"{name}.toml"


def _tables(run) -> dict[tuple[str, str], object]:
    flat: dict[tuple[str, str], object] = {}
    for key, ds in [*run.tables.items(), ("summary", run.summary), ("results", run.results)]:
        if isinstance(ds, xr.Dataset):
            flat[(key, "attrs")] = repr(ds.attrs)
            flat.update({(key, v): np.asarray(ds[v].values) for v in ds.data_vars})
    return flat


def _same(a: dict, b: dict) -> list[tuple[str, str]]:
    return [k for k in a.keys() | b.keys() if k not in a or k not in b
            or not (a[k] == b[k] if isinstance(a[k], str) else np.array_equal(a[k], b[k], equal_nan=True))]


def _files(folder: Path) -> dict[str, str]:
    # every line but the report's run date, which may turn a minute between the two runs
    return {f.name: "".join(line for line in f.read_text().splitlines(keepends=True) if not line.startswith("| date |"))
            for f in folder.iterdir() if f.suffix in (".csv", ".md", ".json")}


@pytest.mark.filterwarnings("ignore::mcrisk.core.errors.MCRiskWarning")
def test_two_studies_in_two_threads_give_what_each_gives_alone(tmp_path):
    paths = {name: _write(tmp_path / name, name) for name in STUDIES}
    alone = {name: run_study(p, out=tmp_path / f"{name}-alone", formats=("png",)) for name, p in paths.items()}
    together: dict[str, object] = {}
    failures: list[BaseException] = []
    start = threading.Barrier(len(paths))

    def go(name: str) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start.wait()
                together[name] = run_study(paths[name], out=tmp_path / f"{name}-together", formats=("png",))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread below
            failures.append(exc)

    threads = [threading.Thread(target=go, args=(name,)) for name in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    for name in paths:
        assert _same(_tables(alone[name]), _tables(together[name])) == [], name
        # the written report, summary and tables, labels and periods included, are the same text
        assert _files(tmp_path / f"{name}-alone") == _files(tmp_path / f"{name}-together"), name
    # and the two studies differ, so a swap would show: per day against per month
    assert "per month" in (tmp_path / "month-alone" / "report.md").read_text()
    assert "per month" not in (tmp_path / "day-alone" / "report.md").read_text()


def test_every_warning_block_holds_the_lock():
    """Each block that records or filters warnings, and each warning mcrisk gives, holds WARNINGS_LOCK.

    Outside mcrisk.core.warned only the command line's printing hook (cli/main.py) may use the
    warnings module's process-wide machinery directly.
    """
    root = Path(__file__).resolve().parents[1] / "mcrisk"
    direct = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                    if p.name != "warned.py" and p != root / "cli" / "main.py"
                    and any(call in p.read_text() for call in ("warnings.warn(", "warnings.warn_explicit(",
                                                              "warnings.catch_warnings(")))
    assert direct == []
