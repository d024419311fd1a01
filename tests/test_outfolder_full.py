"""A full disk while an output folder is written: one line, exit status 2, the old folder kept.

Where the tests may mount a file system (root, as in CI containers), the disk really fills: a
256 KiB tmpfs receives a 2 MB netCDF file, and netCDF-C reports it as ``NetCDF: HDF error``.
Elsewhere those tests are skipped and the simulated ones (a writer raising ``ENOSPC``) remain.
"""

from __future__ import annotations

import errno
import subprocess
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from mcrisk import SpecError
from mcrisk.cli.main import main
from mcrisk.core.outfolder import write_atomically

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 256 KiB tmpfs at ``tmp_path / "disk"``, unmounted afterwards; skipped where mount is not allowed."""
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def _old_folder(out: Path) -> None:
    out.mkdir()
    (out / "summary.csv").write_text("old\n", encoding="utf-8")


def _write_netcdf(folder: Path) -> None:
    (folder / "summary.csv").write_text("new\n", encoding="utf-8")
    xr.Dataset({"x": ("sample", np.arange(250_000, dtype=float))}).to_netcdf(folder / "results.nc")


def test_a_real_full_disk_is_one_line_and_keeps_the_old_folder(small_disk: Path) -> None:
    out = small_disk / "r"
    _old_folder(out)
    with pytest.raises(SpecError, match=r"^out = '.*/disk/r' cannot be written \(No space left on device: "
                                        r"NetCDF: HDF error\)$"):
        write_atomically(out, _write_netcdf)
    assert [p.name for p in small_disk.iterdir()] == ["r"]  # the temporary folder is gone
    assert (out / "summary.csv").read_text(encoding="utf-8") == "old\n"


def test_mcrisk_run_onto_a_full_disk_exits_2_with_one_line(small_disk: Path, capsys) -> None:
    study = ROOT / "studies" / "deepseek_545.toml"
    assert main(["run", str(study), "--samples", "20000", "--quiet", "--out", str(small_disk / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: out = ")
    assert "(No space left on device" in err[0]
    assert list(small_disk.iterdir()) == []


def test_enospc_from_any_writer_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "r"
    _old_folder(out)

    def full(folder: Path) -> None:
        (folder / "summary.csv").write_text("new\n", encoding="utf-8")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(SpecError, match=r"^out = '.*/r' cannot be written \(No space left on device\)$"):
        write_atomically(out, full)
    assert (out / "summary.csv").read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_a_netcdf_error_with_room_on_the_disk_stays_an_internal_error(tmp_path: Path) -> None:
    out = tmp_path / "r"

    def broken(folder: Path) -> None:
        raise RuntimeError("NetCDF: HDF error")

    with pytest.raises(RuntimeError, match="NetCDF: HDF error"):
        write_atomically(out, broken)
    assert list(tmp_path.iterdir()) == []
