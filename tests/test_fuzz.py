"""Fuzzing the loaders: every priors or study file, however malformed, loads or is one line.

Hypothesis writes TOML text, from scratch and by mutating the real files in ``priors/``,
``studies/`` and ``tests/data/good`` (wrong types, missing and extra keys, NaN and infinities,
huge and tiny numbers, deep nesting, unicode, a byte-order mark, CRLF, truncation), and runs
``mcrisk check`` on it in-process: it returns 0, or 2 with exactly one bounded ``error: ``
line on stderr, and never raises. A smaller set runs what ``check`` accepts, so a file that
checks but cannot run is caught.

Cost: about 1,800 ``check`` cases and 40 small runs: 25 s on two idle cores, 35 s on busy ones.
"""

from __future__ import annotations

import json
import math
import tomllib
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcrisk import SpecError, load_study, run_study
from mcrisk.cli.main import main
from mcrisk.core.errors import MCRiskWarning
from mcrisk.distributions.families import FAMILIES

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "tests" / "data" / "good"
MAAS_POINT = GOOD / "maas_point.toml"
#: An error line is at most this long: values are shortened, lists of names cut.
MAX_LINE = 600

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                      HealthCheck.too_slow, HealthCheck.data_too_large])


# ---- writing TOML ----------------------------------------------------------------------------


def _key(k: str) -> str:
    return json.dumps(k, ensure_ascii=False)  # a quoted key holds anything


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # JSON's escapes are TOML's
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    return str(v)  # dates and times: TOML's own spelling


def _document(data: dict[str, Any]) -> str:
    """Top-level scalars and arrays first, then one ``[table]`` per table (inline tables nested)."""
    flat = [f"{_key(k)} = {_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    tables = [f"[{_key(k)}]\n" + "".join(f"{_key(a)} = {_value(b)}\n" for a, b in v.items())
              for k, v in data.items() if isinstance(v, dict)]
    return "\n".join(flat) + "\n\n" + "\n".join(tables)


# ---- values and files ------------------------------------------------------------------------

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 1e308, -1e308, 5e-324, 1e-300, 1e300, 2.0**53, 0.999999]),
    st.integers(min_value=-10, max_value=10),
    st.sampled_from([10**30, -(10**30), 2**63, 2**63 - 1, 2**40, 2**40 + 1, 2**24 + 1]),
)
TEXT = st.one_of(st.text(max_size=12), st.sampled_from(["", "lhs", "sobol", "random", "maas", "png", "delta",
                                                        "profit_per_day", "gpu_hour_price", "é", "a\nb"]))
SCALARS = st.one_of(NUMBERS, TEXT, st.booleans())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(TEXT, inner, max_size=3)), max_leaves=6)
#: Parameter names mcrisk knows, so that mutations often reach the checks behind the key check.
PARAMS = sorted({k for f in FAMILIES.values() for k in (*f.required, *f.optional)}
                | {"dist", "p05", "p95", "unit", "source", "base", "value", "a", "scale", "loc", "c", "df"})
FAMILY_NAMES = [*FAMILIES, "gamma", "burr", "genpareto", "t", "weibull_min", "nosuch", ""]


@st.composite
def priors_table(draw) -> dict[str, Any]:
    fam = draw(st.sampled_from(FAMILY_NAMES))
    table: dict[str, Any] = {"dist": fam}
    for k in draw(st.lists(st.sampled_from(PARAMS), max_size=5, unique=True)):
        table[k] = draw(st.one_of(NUMBERS, NUMBERS, VALUES))
    if draw(st.booleans()) and fam in FAMILIES:  # a complete, often valid, parameter set
        for k in FAMILIES[fam].required:
            table.setdefault(k, draw(st.one_of(st.floats(-3, 3), NUMBERS)))
        if fam == "discrete":
            table["values"] = draw(st.lists(NUMBERS, min_size=1, max_size=3))
            table["weights"] = [1 / len(table["values"])] * len(table["values"])
    return table


@st.composite
def priors_file(draw) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in draw(st.lists(st.one_of(st.sampled_from(["x", "y", "gpu_hour_price", "currency", "description",
                                                         "correlation"]), TEXT), max_size=4, unique=True)):
        data[name] = draw(st.one_of(priors_table(), NUMBERS, VALUES))
    if draw(st.booleans()):
        names = list(data) or ["x"]
        data["correlation"] = [{"between": [draw(st.sampled_from(names)), draw(st.sampled_from(names))],
                                "rank": draw(NUMBERS)}]
    return data


STUDY_KEYS = ["title", "description", "model", "priors", "inputs", "samples", "seed", "method", "output",
              "period_days", "currency", "correlation", "sensitivity", "tornado", "plots", "options"]
SECTION_KEYS = {"sensitivity": ["method", "output", "samples", "seed", "second_order", "num_resamples",
                                "conf_level", "num_levels", "event", "loss_below"],
                "tornado": ["output", "low", "high"],
                "plots": ["scatter", "bins", "outputs", "top", "convergence", "exceedance"],
                "options": ["shape", "policy", "schedule", "lag_hours"]}


@st.composite
def study_file(draw) -> dict[str, Any]:
    data: dict[str, Any] = {"model": draw(st.one_of(st.just("maas"), st.just("ishigami"), st.just("maas_hourly"), TEXT,
                                                    st.sampled_from(["builtins:max", "math:sqrt", "..x:f",
                                                                     "os.path:join", "nosuch.py:f"]))),
                            "priors": [MAAS_POINT.as_posix()]}
    for k in draw(st.lists(st.sampled_from(STUDY_KEYS), max_size=5, unique=True)):
        if k in SECTION_KEYS:
            data[k] = {s: draw(st.one_of(NUMBERS, VALUES))
                       for s in draw(st.lists(st.sampled_from(SECTION_KEYS[k]), max_size=3, unique=True))}
        elif k == "inputs":
            data[k] = {n: draw(st.one_of(priors_table(), NUMBERS))
                       for n in draw(st.lists(st.one_of(st.sampled_from(["gpu_hour_price", "price_output", "x1"]),
                                                        TEXT), max_size=2, unique=True))}
        else:
            data[k] = draw(st.one_of(NUMBERS, VALUES))
    return data


def _real_files() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in [*sorted((ROOT / "priors").glob("*.toml")), *sorted((ROOT / "studies").glob("*.toml")),
                 *sorted(GOOD.glob("*.toml"))]:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        if "priors" in data:  # point the study at the real files from wherever the copy is written
            data["priors"] = [(path.parent / f).resolve().as_posix() for f in data["priors"]]
        if isinstance(data.get("model"), str) and ".py:" in data["model"]:
            data["model"] = (path.parent / data["model"]).resolve().as_posix()
        elif isinstance(data.get("model"), list):  # a chain: each file model in it likewise
            data["model"] = [(path.parent / m).resolve().as_posix() if isinstance(m, str) and ".py:" in m else m
                             for m in data["model"]]
        for spec in data.get("inputs", {}).values():  # and its priors entries by reference
            if isinstance(spec, dict) and isinstance(spec.get("ref"), str):
                file, entry = spec["ref"].split("#")
                spec["ref"] = f"{(path.parent / file).resolve().as_posix()}#{entry}"
        options = data.get("options")
        for key, value in (options.items() if isinstance(options, dict) else ()):  # an option by reference
            if isinstance(value, str) and value.count("#") == 1 and value.split("#")[0].endswith(".toml"):
                file, entry = value.split("#")
                options[key] = f"{(path.parent / file).resolve().as_posix()}#{entry}"
        out.append((path.name, data))
    return out


REAL = _real_files()


@st.composite
def mutated_file(draw) -> dict[str, Any]:
    _, data = draw(st.sampled_from(REAL))
    data = json.loads(json.dumps(data, default=str))  # a deep copy (the files hold no dates)
    for _ in range(draw(st.integers(1, 3))):
        # Walk to a random table, then replace, delete or add one of its keys.
        table = data
        while True:
            subs = [k for k, v in table.items() if isinstance(v, dict)]
            if not subs or draw(st.booleans()):
                break
            table = table[draw(st.sampled_from(sorted(subs)))]
        keys = sorted(table)
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "add" or not keys:
            table[draw(st.one_of(TEXT, st.sampled_from(PARAMS + STUDY_KEYS)))] = draw(VALUES)
        elif action == "delete":
            del table[draw(st.sampled_from(keys))]
        else:
            table[draw(st.sampled_from(keys))] = draw(st.one_of(NUMBERS, VALUES, priors_table()))
    return data


@st.composite
def raw_text(draw) -> str:
    """Text-level damage to a real file: truncation, inserted characters, BOM, CRLF, deep nesting."""
    _, data = draw(st.sampled_from(REAL))
    text = _document(data)
    kind = draw(st.sampled_from(["truncate", "insert", "bom_crlf", "deep", "empty", "garbage"]))
    if kind == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif kind == "insert":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(min_size=1, max_size=5)) + text[at:]
    elif kind == "bom_crlf":
        text = "\ufeff" + text.replace("\n", "\r\n")
    elif kind == "deep":
        depth, opener = draw(st.integers(40, 3000)), draw(st.sampled_from(["[", "{a="]))
        closer = "]" if opener == "[" else "}"
        nest = opener * depth + "1" + closer * depth if opener != "[" else "[" * depth + "]" * depth
        text = draw(st.sampled_from([f"x = {nest}\n", "a" + ".b" * depth + " = 1\n"])) + text
    elif kind == "empty":
        text = draw(st.sampled_from(["", "\n", "\ufeff", "# only a comment\n", "[x]\n"]))
    else:
        text = draw(st.text(max_size=40))
    return text


# ---- the properties ----------------------------------------------------------------------------


def _check_is_total(tmp_path: Path, capsys, content: str | bytes) -> None:
    path = tmp_path / "f.toml"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(content)
    capsys.readouterr()
    status = main(["check", str(path)])
    err = capsys.readouterr().err
    if status == 0:  # a check that passes may warn (a source key no bibliography holds), a line each
        assert all(line.startswith("warning: ") and len(line) < MAX_LINE for line in err.splitlines()), err[:2000]
        return
    assert status == 2
    lines = err.split("\n")
    assert len(lines) == 2 and lines[1] == "", err[:2000]
    assert lines[0].startswith("error: "), err[:2000]
    assert len(lines[0]) < MAX_LINE, lines[0]


@settings(FUZZ, max_examples=450)
@given(data=st.one_of(priors_file(), study_file()))
def test_check_from_scratch(tmp_path: Path, capsys, data: dict[str, Any]) -> None:
    _check_is_total(tmp_path, capsys, _document(data))


@settings(FUZZ, max_examples=550)
@given(data=mutated_file(), crlf=st.booleans())
def test_check_mutated_real_files(tmp_path: Path, capsys, data: dict[str, Any], crlf: bool) -> None:
    text = _document(data)
    _check_is_total(tmp_path, capsys, text.replace("\n", "\r\n") if crlf else text)


@settings(FUZZ, max_examples=300)
@given(text=raw_text())
def test_check_damaged_text(tmp_path: Path, capsys, text: str) -> None:
    _check_is_total(tmp_path, capsys, text)


@settings(FUZZ, max_examples=60)
@given(raw=st.binary(max_size=64))
def test_check_bytes(tmp_path: Path, capsys, raw: bytes) -> None:
    _check_is_total(tmp_path, capsys, raw)


# ---- what check accepts, run runs ---------------------------------------------------------------

SMALL_SENSITIVITY = {"sobol": 4, "morris": 2, "fast": 65, "rbd_fast": 100, "pawn": 200, "delta": 200}


MAGNITUDES = st.sampled_from([1e-300, 1e-8, 0.5, 1.0, 3.0, 1e8, 1e150, 1e300])
SIGNED = st.one_of(MAGNITUDES, MAGNITUDES.map(lambda x: -x), st.just(0.0))


@st.composite
def edge_prior(draw) -> dict[str, Any]:
    """A well-formed prior with parameters from tiny to huge: the load checks decide."""
    fam = draw(st.sampled_from(["uniform", "loguniform", "triangular", "pert", "normal", "truncnormal",
                                "lognormal", "beta", "discrete", "gamma", "constant"]))
    low, width, frac = draw(SIGNED), draw(MAGNITUDES), draw(st.floats(0, 1))
    high = low + width
    if fam in ("uniform", "loguniform"):
        return {"dist": fam, "low": abs(low) if fam == "loguniform" else low, "high": abs(low) + width}
    if fam in ("triangular", "pert"):
        return {"dist": fam, "low": low, "mode": low + frac * width, "high": high}
    if fam in ("normal", "truncnormal"):
        table = {"dist": fam, "mean": low, "sd": width}
        return {**table, "low": low - frac * width} if fam == "truncnormal" else table
    if fam == "lognormal":
        return {"dist": fam, "median": width, "sigma": draw(st.sampled_from([1e-8, 0.1, 1.0, 10.0, 50.0]))}
    if fam == "beta":
        return {"dist": fam, "a": width, "b": draw(MAGNITUDES), "low": low, "high": high}
    if fam == "discrete":
        values = draw(st.lists(SIGNED, min_size=1, max_size=3, unique=True))
        return {"dist": fam, "values": values, "weights": [1 / len(values)] * len(values)}
    if fam == "gamma":
        return {"dist": fam, "a": width, "scale": draw(MAGNITUDES)}
    return {"value": low}


@st.composite
def runnable_study(draw) -> dict[str, Any]:
    """A maas study with random priors on two inputs and random analyses, kept small enough to run."""
    inputs = {}
    for name, (lo, hi) in (("gpu_hour_price", (0.5, 20.0)), ("price_output", (0.1, 10.0))):
        # A sensible prior half the time, so the analyses get real data.
        inputs[name] = draw(st.one_of(edge_prior(), st.just({"dist": "uniform", "low": lo, "high": hi})))
    data: dict[str, Any] = {"model": "maas", "priors": [MAAS_POINT.as_posix()], "inputs": inputs,
                            "method": draw(st.sampled_from(["random", "lhs", "sobol"])),
                            "seed": draw(st.integers(0, 2**63 - 1))}
    if draw(st.booleans()):
        data["correlation"] = [{"between": ["gpu_hour_price", "price_output"], "rank": draw(NUMBERS)}]
    if draw(st.booleans()):
        data["tornado"] = {"low": draw(st.floats(0.01, 0.49)), "high": draw(st.floats(0.51, 0.99))}
    if draw(st.booleans()):
        method = draw(st.sampled_from(sorted(SMALL_SENSITIVITY)))
        data["sensitivity"] = {"method": method, "samples": SMALL_SENSITIVITY[method], "num_resamples": 2,
                               "output": draw(st.sampled_from(["profit_per_day",
                                                               ["profit_per_day", "gross_margin"]]))}
    if draw(st.booleans()):
        data["plots"] = {"scatter": draw(st.sampled_from([[], ["gpu_hour_price"], ["price_output"]])),
                         "outputs": draw(st.sampled_from([[], ["cost_per_day"]]))}
    return data


@settings(FUZZ, max_examples=40)
@given(data=runnable_study(), samples=st.integers(1, 40))
def test_what_check_accepts_runs(tmp_path: Path, data: dict[str, Any], samples: int) -> None:
    path = tmp_path / "s.toml"
    path.write_text(_document(data), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MCRiskWarning)  # generated inputs far outside the plausible ranges
        try:
            load_study(path)
        except SpecError as err:
            assert "\n" not in str(err) and len(str(err)) < MAX_LINE
            return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MCRiskWarning)  # few samples, NaN margins: warned, not wrong
        # Inputs near 1e300 are valid doubles whose outputs overflow to inf: the summary, the
        # tornado and the sensitivity notes handle them without numpy's warnings (an error here).
        run_study(path, write=False, samples=samples)


@pytest.mark.parametrize("name", [n for n, d in REAL if "model" in d])
def test_real_studies_check(tmp_path: Path, capsys, name: str) -> None:
    # The writer round-trips: the real studies, rewritten by _document, still check.
    path = tmp_path / name
    path.write_text(_document(dict(REAL)[name]), encoding="utf-8")
    assert main(["check", str(path)]) == 0, capsys.readouterr().err
