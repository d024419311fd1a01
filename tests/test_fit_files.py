"""``mcrisk fit`` on real broken files, and ``--out`` adding to a priors file without losing a line.

Each broken file is written as a user's tool would write it (empty, one row, text, NaN, negatives
for a positive family, binary, UTF-16 with and without a byte-order mark, ragged rows, values near
1e308 and 1e-305, a million rows) and read through the command: one line and exit status 2, or a
fit whose numbers are checked against closed forms.
"""

from __future__ import annotations

import math
import os
import re
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st

from mcrisk import SpecError
from mcrisk.cli.main import main
from mcrisk.elicit.datafile import decode_text, read_column
from mcrisk.elicit.fit import _weibull_mle, fit_data
from mcrisk.spec.priorentry import prior_entry, write_entry
from mcrisk.spec.priors import load_priors

ROWS = "x\n1.5\n2.25\n3\n4.75\n"


def _err(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.mark.parametrize("content, message", [
    (b"", r"d.csv: is empty; give a CSV file with a header row and one value per row"),
    (b"x\n3.5\n", r"fit: the data must be at least 3 finite numbers; got 1"),
    (b"x\n1\n2\nabc\n", r"d.csv: row 3, column 'x' = 'abc' is not a number"),
    (bytes(range(256)) * 4, (r"d.csv: is not a text file \(it holds control bytes such as NUL\); give a CSV "
                             r"file saved as text \(UTF-8, UTF-16 or Windows-1252\)")),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", r"d.csv: is not a text file"),
    (b"\xff\xfex\x00\n\x00\x00\xd8", r"d.csv: is marked as utf-16 but byte 6 is not utf-16; save it as UTF-8 text"),
    (b"x,y\n1,2\n3\n", r"d.csv: line 3 has 1 field where the header \(line 1\) has 2: '3'"),
    (b"# from the log\nx,y\n\n1,2\n# checked\n3,4,5\n",
     r"d.csv: line 6 has 3 fields where the header \(line 2\) has 2: '3,4,5'"),
    (b"x\nnan\ninf\n", r"d.csv: column 'x' has no finite numbers"),
], ids=["empty", "one-row", "text", "binary", "png", "bad-utf16", "ragged-short", "ragged-long", "all-nan"])
def test_broken_files_are_one_line_with_status_2(tmp_path: Path, capsys, content: bytes, message: str) -> None:
    data = tmp_path / "d.csv"
    data.write_bytes(content)
    assert main(["fit", str(data), "--column", "x"]) == 2
    err = _err(capsys)
    assert err.startswith("error: ") and re.search(message, err), err


def test_negatives_for_a_positive_family(tmp_path: Path, capsys) -> None:
    data = tmp_path / "d.csv"
    data.write_text("x\n1\n-2\n3\n4.5\n", encoding="utf-8")
    assert main(["fit", str(data), "--column", "x", "--family", "lognormal"]) == 2
    assert _err(capsys) == "error: fit: lognormal cannot fit these data: it needs positive values"
    assert main(["fit", str(data), "--column", "x"]) == 0  # auto: the families that take negatives
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()[2:4]] == ["uniform", "normal"]


@pytest.mark.parametrize("encoding, head", [("utf-8", "prix €"), ("utf-8-sig", "prix €"), ("utf-16", "prix €"),
                                            ("utf-32", "prix €"), ("cp1252", "prix €"), ("utf-16-le", "prix é"),
                                            ("utf-16-be", "prix é")])
def test_every_detectable_encoding_reads_the_same_numbers(tmp_path: Path, encoding: str, head: str) -> None:
    data = tmp_path / "d.csv"
    data.write_bytes(f"{head},y\r\n1.5,0\r\n2.25,0\r\n3,0\r\n4.75,0\r\n".encode(encoding))
    x, _, rows = read_column(data, head)
    assert x.tolist() == [1.5, 2.25, 3.0, 4.75] and rows == "rows 1-4 (4 values)"


def test_latin1_bytes_that_windows_1252_lacks(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_bytes(b"caf\xe9\x81\nx\n1\n")  # 0x81 is unassigned in Windows-1252
    assert decode_text(data) == ("caf\xe9\x81\nx\n1\n", "latin-1")


def test_nan_blank_and_infinite_cells_are_counted(tmp_path: Path, capsys) -> None:
    data = tmp_path / "d.csv"
    data.write_text("x,w\n1,1\n2,1\nNaN,1\n3,\n4.5,1\n1e309,1\n6,inf\n", encoding="utf-8")
    x, w, rows = read_column(data, "x", weights="w")
    assert x.tolist() == [1.0, 2.0, 4.5] and w.tolist() == [1.0, 1.0, 1.0]
    assert rows == "rows 1-5 (3 values, 1 blank and 3 NaN or infinite left out)"
    assert main(["fit", str(data), "--column", "x", "--weights", "w", "--family", "normal"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{data}: column 'x', rows 1-5 (3 values, 1 blank and 3 NaN or infinite left out)")
    assert "mean=2.5, sd=1.47196" in out  # the MLE sd: sqrt(mean((x - 2.5)^2)) = sqrt(6.5 / 3)


@pytest.mark.parametrize("scale", [1e307, 1e-305], ids=["near-1e308", "near-1e-305"])
def test_values_at_the_ends_of_the_doubles_fit_as_their_scaled_copies(tmp_path: Path, scale: float) -> None:
    rng = np.random.default_rng(3)
    base = rng.lognormal(0.0, 0.5, 200)
    near = base * scale
    fits = {f.name: f for f in fit_data(near, families=["normal", "lognormal", "gamma", "weibull"])}
    ref = {f.name: f for f in fit_data(base, families=["normal", "lognormal", "gamma", "weibull"])}
    for name, f in fits.items():
        assert f.ks == pytest.approx(ref[name].ks, rel=1e-6)
        assert f.loglik == pytest.approx(ref[name].loglik - 200 * math.log(scale), rel=1e-9)
    assert fits["normal"].params["mean"] == pytest.approx(base.mean() * scale, rel=1e-12)
    assert fits["lognormal"].params["median"] == pytest.approx(ref["lognormal"].params["median"] * scale, rel=1e-9)
    data, out = tmp_path / "d.csv", tmp_path / "p.toml"
    data.write_text("x\n" + "".join(f"{v!r}\n" for v in near.tolist()), encoding="utf-8")
    assert main(["fit", str(data), "--column", "x", "--family", "normal", "--out", str(out)]) == 0
    assert load_priors(out)["x"].params["mean"] == pytest.approx(base.mean() * scale, rel=1e-9)


def test_weibull_mle_solves_its_shape_equation_and_beats_scipys_optimizer() -> None:
    x = st.weibull_min(2.5, scale=3.0).rvs(5000, random_state=np.random.default_rng(8))
    k, loc, lam = _weibull_mle(x)
    assert loc == 0.0
    assert (x**k * np.log(x)).sum() / (x**k).sum() - 1 / k - np.log(x).mean() == pytest.approx(0.0, abs=1e-12)
    assert lam == pytest.approx(np.mean(x**k) ** (1 / k), rel=1e-12)
    scipy_fit = st.weibull_min.fit(x, floc=0)
    assert st.weibull_min.logpdf(x, k, 0, lam).sum() >= st.weibull_min.logpdf(x, *scipy_fit).sum()
    # the shape's standard error is about 0.78 k / sqrt(n) = 0.028: the truth within 4 of them
    assert abs(k - 2.5) < 4 * 0.78 * 2.5 / math.sqrt(5000)


def test_a_million_rows_read_and_fit_in_seconds(tmp_path: Path, capsys) -> None:
    rng = np.random.default_rng(11)
    x = np.round(rng.lognormal(1.0, 0.5, 1_000_000), 6)
    data = tmp_path / "d.csv"
    data.write_text("x\n" + "\n".join(map(repr, x.tolist())) + "\n", encoding="utf-8")
    start = time.process_time()
    assert main(["fit", str(data), "--column", "x"]) == 0
    cpu = time.process_time() - start
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{data}: column 'x', rows 1-1000000 (1000000 values)"
    assert out[-1] == "best by AIC: lognormal"
    mu, sigma = np.log(x).mean(), np.log(x).std()
    assert f"median={math.exp(mu):.6g}, sigma={sigma:.6g}" in out[2]
    assert cpu < 30  # about 5 s of CPU on one core; scipy's Weibull optimizer alone took 5 s more


# --- --out adds to a priors file ---

OLD = """# Priors of the fleet study: hand-written, with comments that must survive.
currency = "USD"

# the price per GPU hour, from the 2025 quotes
[gpu_hour_price]
dist = "triangular"   # the quotes' low, mode, high
low = 1.5
mode = 2.0
high = 3.5

# nodes: fixed
[nodes]
dist = "constant"
value = 100
"""


def _entry(name: str, mean: float) -> str:
    return prior_entry(name, "normal", {"mean": mean, "sd": 1.0}, source="test")


def test_out_adds_an_entry_and_keeps_every_line(tmp_path: Path) -> None:
    p = tmp_path / "p.toml"
    p.write_text(OLD, encoding="utf-8")
    os.chmod(p, 0o640)
    write_entry(p, _entry("load", 3.0))
    text = p.read_text(encoding="utf-8")
    assert text == OLD + "\n" + _entry("load", 3.0)
    assert oct(p.stat().st_mode & 0o777) == "0o640"
    assert sorted(load_priors(p)) == ["gpu_hour_price", "load", "nodes"]
    assert [q.name for q in tmp_path.iterdir()] == ["p.toml"]


def test_a_name_already_there_is_refused_unless_replaced(tmp_path: Path, capsys) -> None:
    p = tmp_path / "p.toml"
    p.write_text(OLD, encoding="utf-8")
    with pytest.raises(SpecError, match=r"p.toml: already has \[gpu_hour_price\]; give --replace to replace it, "
                                        r"or --name for another input; the file is unchanged$"):
        write_entry(p, _entry("gpu_hour_price", 2.0))
    assert p.read_text(encoding="utf-8") == OLD
    write_entry(p, _entry("gpu_hour_price", 2.0), replace=True)
    text = p.read_text(encoding="utf-8")
    assert text == OLD.replace('[gpu_hour_price]\ndist = "triangular"   # the quotes\' low, mode, high\n'
                               'low = 1.5\nmode = 2.0\nhigh = 3.5\n', "") + "\n" + _entry("gpu_hour_price", 2.0)
    assert "# the price per GPU hour, from the 2025 quotes" in text and "# nodes: fixed" in text
    assert load_priors(p)["gpu_hour_price"].params == {"mean": 2.0, "sd": 1.0}


def test_cli_fit_out_twice_adds_then_refuses_then_replaces(tmp_path: Path, capsys) -> None:
    data, p = tmp_path / "d.csv", tmp_path / "p.toml"
    data.write_text(ROWS, encoding="utf-8")
    p.write_text(OLD, encoding="utf-8")
    args = ["fit", str(data), "--column", "x", "--family", "normal", "--out", str(p)]
    assert main(args) == 0
    first = p.read_text(encoding="utf-8")
    assert first.startswith(OLD) and (tmp_path / "p_x_fit.png").exists()
    assert main(args) == 2
    assert _err(capsys).startswith(f"error: {p}: already has [x]; give --replace")
    assert p.read_text(encoding="utf-8") == first
    assert main([*args, "--replace"]) == 0
    assert p.read_text(encoding="utf-8") == first
    assert main(["fit", "--quantiles", "0.1:2, 0.5:3, 0.9:6", "--name", "x", "--out", str(p)]) == 2
    assert _err(capsys).startswith(f"error: {p}: already has [x]")


@pytest.mark.parametrize("content, message", [
    ("[a\n", r"exists and is not a priors file mcrisk can add to \(Expected '\]'"),
    ("x = { dist = 'constant', value = 1 }\n", r"\[x\] is not written as a \[x\] table mcrisk can replace"),
])
def test_files_that_cannot_be_added_to_are_left_alone(tmp_path: Path, content: str, message: str) -> None:
    p = tmp_path / "p.toml"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(SpecError, match=message):
        write_entry(p, _entry("x", 1.0), replace=True)
    assert p.read_text(encoding="utf-8") == content


def test_a_failed_rename_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch) -> None:
    p = tmp_path / "p.toml"
    p.write_text(OLD, encoding="utf-8")

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(SpecError, match=r"p.toml: cannot be written \(No space left on device\); the file is "
                                        r"unchanged$"):
        write_entry(p, _entry("load", 1.0))
    assert p.read_text(encoding="utf-8") == OLD and [q.name for q in tmp_path.iterdir()] == ["p.toml"]
    assert tomllib.loads(OLD)["nodes"]["value"] == 100


def test_an_existing_plot_file_is_refused_unless_replaced(tmp_path: Path, capsys) -> None:
    data, p, fig = tmp_path / "d.csv", tmp_path / "p.toml", tmp_path / "mine.png"
    data.write_text(ROWS, encoding="utf-8")
    fig.write_bytes(b"the user's own figure")
    args = ["fit", str(data), "--column", "x", "--family", "normal", "--out", str(p), "--plot", str(fig)]
    assert main(args) == 2
    assert _err(capsys) == f"error: --plot {fig} exists; remove it, name another file, or give --replace to replace it"
    assert fig.read_bytes() == b"the user's own figure" and not p.exists()  # nothing written, not even the entry
    assert main([*args, "--replace"]) == 0
    assert fig.read_bytes().startswith(b"\x89PNG") and p.exists()
    assert capsys.readouterr().out.splitlines()[-1] == f"wrote {fig}"
    assert main(["fit", str(data), "--column", "x", "--plot", str(tmp_path / "new.svg")]) == 0
    assert (tmp_path / "new.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    (tmp_path / "bare.png").write_bytes(b"mine")  # --plot bare writes bare.png: that file is the one checked
    assert main(["fit", str(data), "--column", "x", "--plot", str(tmp_path / "bare")]) == 2
    assert _err(capsys) == (f"error: --plot {tmp_path / 'bare.png'} exists; remove it, name another file, or give "
                            "--replace to replace it")
    assert (tmp_path / "bare.png").read_bytes() == b"mine"
