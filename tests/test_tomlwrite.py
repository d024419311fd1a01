"""Writing TOML: every study and priors file, and the awkward cases, read back as the same table."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest

from mcrisk.core.tomlwrite import dump_toml, toml_key, toml_value

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted([*ROOT.glob("studies/*.toml"), *ROOT.glob("priors/*.toml")])


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_shipped_file_reads_back_the_same(path):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert tomllib.loads(dump_toml(data, header="a header\nof two lines")) == data


def test_awkward_values_read_back_bit_for_bit():
    data = {"a b": {"c": [{"x": 1, "y": {"z": [1, 2]}}]}, "s": "q\"\\\n\t\x7f\u00e9\u4e2d", "empty": [],
            "t": {}, "f": [0.1, 1e300, -0.0, 5e-324, 2.0**53 + 1], "big": 2**62, "yes": True,
            "nested": [[1, 2], ["x"]], "inf": math.inf, "inline": [{"p": 1}, 2]}
    back = tomllib.loads(dump_toml(data))
    assert back == data
    assert math.copysign(1.0, back["f"][2]) == -1.0  # -0.0 keeps its sign
    assert math.isnan(tomllib.loads(dump_toml({"n": math.nan}))["n"])


def test_keys_and_values_are_spelled_as_toml_spells_them():
    assert (toml_key("gpu_hour_price"), toml_key("a b"), toml_key("")) == ("gpu_hour_price", '"a b"', '""')
    assert (toml_value(0.1), toml_value(True), toml_value(-math.inf)) == ("0.1", "true", "-inf")
    with pytest.raises(TypeError, match="^NoneType None has no TOML form$"):
        toml_value(None)
