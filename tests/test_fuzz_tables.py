"""Fuzzing the tables 0.2 added, and the command line's values: a study runs, or is one line.

Hypothesis builds small but otherwise random studies of every model form (``maas``,
``maas_hourly`` with options, a chain, a plain and a decorated function from a file) with the
tables 0.2 added: ``[sweep]``, ``[solve]``, ``precision``, ``[options]``, ``[fx]``, ``unit``,
metalog ``quantiles``, ``ref``, ``[scenarios]``, ``[value_of_information]``, mostly well formed
with one value at a time pushed to an edge; and runs ``mcrisk run`` on each in-process with
random ``--set`` and ``--formats``. Each case exits 0, or 2 with exactly one ``error: ``
line; never 1 (an internal error) or a traceback.

About half the cases run (``--hypothesis-show-statistics`` counts them by form and exit status,
with the first words of each refusal); in a rough case (half of them) a value now and then is
an edge number, a wrong type or an unknown name. Cost: 40 small runs, about 60 s on two busy
cores; ``MCRISK_FUZZ_EXAMPLES=500`` runs more (500 ran clean before this test was committed).
"""

from __future__ import annotations

import json
import re
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mcrisk.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
MAAS_POINT = (ROOT / "tests" / "data" / "good" / "maas_point.toml").as_posix()
MARKET = (ROOT / "priors" / "market-2025.toml").as_posix()
MAX_LINE = 600
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                      HealthCheck.data_too_large])

_FILE_MODEL = """import numpy as np

import mcrisk


def plain(*, a, b, w=1.0):
    return {"y": w * a + b}


@mcrisk.model(outputs={"y": ("1", "w a plus b")}, options={"w": "weight of a"})
def declared(*, a, b, w=1.0):
    return {"y": np.asarray(w * a + b, dtype=float)}
"""

#: maas_monthly's own inputs: prices falling, demand growing, a price war, servers bought upfront
_MONTHLY = {"price_multiple_per_year": {"dist": "uniform", "low": 0.2, "high": 1.0},
            "demand_multiple_per_year": {"dist": "uniform", "low": 1.0, "high": 4.0},
            "price_war_month": {"dist": "uniform", "low": 6, "high": 30},
            "price_war_cut": {"dist": "uniform", "low": 0.0, "high": 0.6}, "upfront_cost": 4e8, "discount_rate": 0.1}
#: the curve form's throughput curve: 8 x 1,850 = 14,800 tokens/s per node at interactivity 40, DeepSeek's
CURVE = [[20, 3700], [40, 1850], [80, 925]]

#: form -> (model, inputs, outputs worth naming, levers with a sensible range, options worth trying)
FORMS: dict[str, tuple[Any, dict, list[str], dict[str, tuple[float, float]], dict[str, list]]] = {
    "maas": ("maas", {"price_output": {"dist": "uniform", "low": 1.0, "high": 3.0}},
             ["profit_per_day", "gross_margin", "cost_per_day"],
             {"price_output": (0.5, 4.0), "gpu_hour_price": (1.0, 3.0), "paid_share": (0.2, 1.0)}, {}),
    "maas_hourly": ("maas_hourly", {"price_output": {"dist": "uniform", "low": 1.0, "high": 3.0},
                                    "gpu_hour_price": {"dist": "uniform", "low": 1.9, "high": 2.1}},
                    ["profit_per_day", "gross_margin", "nodes_peak"],
                    {"price_output": (0.5, 4.0), "gpu_hour_price": (1.0, 3.0)},
                    {"shape": ["deepseek-2025-02-27", "flat", "nosuch", [1.0] * 24, [1.0] * 23],
                     "policy": ["fixed", "elastic", "schedule", "nosuch"], "lag_hours": [0, 1, -1, 2.5]}),
    "chain": (["gpu_hour_cost", "maas_hourly"],
              {"server_price_per_gpu": {"dist": "uniform", "low": 20000, "high": 40000},
               "depreciation_years": 4, "electricity_price": 0.1, "power_kw_per_gpu": 1.0},
              ["profit_per_day", "gpu_hour_price", "cost_per_day"],
              {"electricity_price": (0.01, 0.5), "server_price_per_gpu": (1e4, 6e4)},
              {"policy": ["fixed", "elastic"]}),
    "maas_monthly": ("maas_monthly", _MONTHLY, ["npv", "irr", "payback_month", "profit_total"],
                     {"price_multiple_per_year": (0.1, 1.0), "upfront_cost": (1e8, 8e8)},
                     {"months": [12, 24, 0, 2.5, "x"], "days_per_month": [30.0, 31.0, -1.0]}),
    # a throughput curve (always given: the priors have no decode throughput), its speed tier uncertain
    "monthly_curve": ("maas_monthly", {**_MONTHLY, "interactivity": {"dist": "uniform", "low": 30, "high": 50}},
                      ["npv", "irr", "decode_tps_per_gpu"], {"interactivity": (25.0, 70.0), "price_war_cut": (0.0, 0.6)},
                      {"months": [12, 24, 0, "x"]}),
    "plain_file": ("m.py:plain", {"a": {"dist": "uniform", "low": 0, "high": 1}, "b": 0.5}, ["y"],
                   {"a": (0.0, 1.0), "b": (0.0, 2.0)}, {"w": [1.5, 2.0, "x", [1.0, 2.0]]}),
    "decorated_file": ("m.py:declared", {"a": {"dist": "uniform", "low": 0, "high": 1}, "b": 0.5}, ["y"],
                       {"a": (0.0, 1.0), "b": (0.0, 2.0)}, {"w": [1.5, -1.0, "x"]}),
}
EDGES = [0.0, -1.0, 1e300, -1e300, 5e-324, 1e-12, 2.0, 0.5, float("nan"), float("inf")]


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if v != v else ("inf" if v > 0 else "-inf") if v in (float("inf"), float("-inf")) else repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(x)}" for k, x in v.items()) + "}"
    return str(v)


def _document(top: dict[str, Any], tables: dict[str, dict[str, Any]]) -> str:
    return ("".join(f"{k} = {_toml(v)}\n" for k, v in top.items())
            + "".join(f"[{name}]\n" + "".join(f"{json.dumps(k)} = {_toml(v)}\n" for k, v in t.items())
                      for name, t in tables.items()))


def _edge(draw, value: Any) -> Any:
    """``value`` in a clean case (half of them), else mostly ``value`` and now and then an edge number or a wrong type."""
    if not draw(st.shared(st.booleans(), key="rough")) or draw(st.integers(0, 5)):
        return value
    return draw(st.one_of(st.sampled_from(EDGES), st.sampled_from(["x", [1, 2], True])))


def _pick(draw, good: list, bad: list) -> Any:
    """One of ``good``, or in a rough case now and then one of ``bad``."""
    if draw(st.shared(st.booleans(), key="rough")) and not draw(st.integers(0, 3)):
        return draw(st.sampled_from(bad))
    return draw(st.sampled_from(good))


@st.composite
def sweep_table(draw, levers):
    lever = _pick(draw, list(levers), ["nosuch"])
    lo, hi = levers.get(lever, (0.0, 1.0))
    if draw(st.booleans()):
        return {"lever": lever, "values": [_edge(draw, lo), _edge(draw, hi)]}
    return {"lever": lever, "low": _edge(draw, lo), "high": _edge(draw, hi), "num": _edge(draw, 3)}


@st.composite
def solve_table(draw, levers, outputs):
    lever = _pick(draw, list(levers), ["nosuch"])
    lo, hi = levers.get(lever, (0.0, 1.0))
    out = draw(st.sampled_from(outputs))
    op = draw(st.sampled_from(["<", "<=", ">", ">="]))
    stat = _pick(draw, [f"P({out} {op} {_edge(draw, 0.0)})", f"p50({out})", f"mean({out})", f"p95({out})"],
                 ["P(nosuch < 0)", f"P({out} < 0", f"p101({out})"])
    return {"lever": lever, "target": f"{stat} {draw(st.sampled_from(['<=', '>=']))} {_edge(draw, 0.5)}",
            "low": _edge(draw, lo), "high": _edge(draw, hi)}


@st.composite
def fuzzed_study(draw):
    form = draw(st.sampled_from(sorted(FORMS)))
    model, inputs, outputs, levers, options = FORMS[form]
    inputs = json.loads(json.dumps(inputs))
    # maas_hourly's shapes give the peak: its priors leave out peak_to_avg; the chain computes the rent too
    priors = {"chain": ["point_hourly.toml"], "maas_hourly": ["point_hourly.toml"],
              "monthly_curve": ["point_curve.toml"]}.get(form, [] if "file" in form else [MAAS_POINT])
    top: dict[str, Any] = {"model": model, "priors": priors,
                           "samples": draw(st.sampled_from([32, 64, 128])), "seed": draw(st.integers(0, 2**32)),
                           "method": draw(st.sampled_from(["random", "lhs", "sobol"]))}
    if "file" in form or draw(st.booleans()):
        top["output"] = _pick(draw, outputs, ["z", "revenue"])  # revenue: maas_hourly's is over (sample, hour)
    if "file" not in form:
        top["currency"] = _pick(draw, ["USD", "USD", "CNY"], ["EUR", "xx"])
        if draw(st.booleans()):
            top["period_days"] = _edge(draw, 30)
    tables: dict[str, dict[str, Any]] = {}
    which = draw(st.lists(st.sampled_from(["sweep", "solve", "precision", "options", "fx", "unit", "metalog", "ref",
                                           "scenarios", "value_of_information"]), max_size=3, unique=True))
    if "sweep" in which:
        tables["sweep"] = draw(sweep_table(levers))
    if "solve" in which:
        tables["solve"] = draw(solve_table(levers, outputs))
    if "precision" in which:
        top["precision"] = _pick(draw, ["mean:20%", "p_loss:0.2", "p50:10%", "p95:50%"], ["mean:0%", "nosuch:1", "mean", 5])
    if "options" in which and options:
        key = draw(st.sampled_from(sorted(options)))
        tables["options"] = {key: _pick(draw, options[key][:2], options[key][2:] or ["x"])}
    if form == "monthly_curve":
        tables.setdefault("options", {})["throughput_curve"] = _pick(draw, [CURVE], [[[20, 3700]], "x", [[20, -1], [40, 1]]])
    if top.get("currency") == "CNY":  # the priors are in USD
        tables["fx"] = {"USD": _pick(draw, [7.2, {"dist": "uniform", "low": 7.1, "high": 7.3}], [0.0, -7.2])}
    elif "fx" in which and "file" not in form:
        tables["fx"] = {_pick(draw, ["CNY", "EUR"], ["xx"]): _pick(
            draw, [0.139, 7.2, {"dist": "uniform", "low": 0.135, "high": 0.14}], [0.0, -1.0, float("nan")])}
    if "unit" in which and "file" not in form:
        inputs["price_output"] = {"dist": "uniform", "low": 0.001, "high": 0.003,
                                  "unit": _pick(draw, ["USD/1K tokens", "CNY/1M tokens", "USD/1M tokens",
                                                       "USD/(1K tokens)"], ["tokens/s", "kg", ""])}
    if "metalog" in which:
        name = "a" if "file" in form else "gpu_hour_price"
        q = _pick(draw, [[[0.05, 1.5], [0.5, 2.0], [0.95, 3.0]], [[0.1, 1.0], [0.9, 2.0]]],
                  [[[0.05, 3.0], [0.5, 2.0], [0.95, 1.5]], [[0.5, 2.0]], [[0.0, 1.0], [1.0, 2.0]], [[0.1, 1.0], [0.1, 2.0]]])
        inputs[name] = {"dist": "metalog", "quantiles": q, **({"low": 0} if draw(st.booleans()) else {})}
    if "ref" in which and form in ("maas", "maas_hourly"):
        inputs["gpu_hour_price"] = {"ref": _pick(draw, [f"{MARKET}#h100_gpu_hour_price"],
                                                 [f"{MARKET}#nosuch", "nosuch.toml#x", f"{MARKET}#v32_price_output"])}
    if "scenarios" in which:
        out = draw(st.sampled_from(outputs))
        tables["scenarios"] = {"event": _pick(draw, [f"{out} < {_edge(draw, 0.0)}", "< 0", "> 1e6"],
                                              ["nosuch < 0", "<< 0"]),
                               **({"max_boxes": _edge(draw, 2)} if draw(st.booleans()) else {})}
    if "value_of_information" in which:
        tables["value_of_information"] = {"resamples": _edge(draw, 10),
                                          **({"output": draw(st.sampled_from(outputs))} if draw(st.booleans()) else {})}
    top["inputs"] = inputs
    tables = {"inputs": top.pop("inputs"), **tables}
    sets = [_pick(draw, [f"{k}={lo + (hi - lo) / 3:g}" for k, (lo, hi) in levers.items()],
                  [f"{k}={v}" for k in [*levers, "nosuch"] for v in ("-1", "nan", "x", "1e400")])
            for _ in range(draw(st.integers(0, 2)))]
    formats = _pick(draw, [None, "png", "png,pptx,xlsx", "svg", "pdf,xlsx"], ["nosuch", ""])
    return form, top, tables, sets, formats


@settings(FUZZ, max_examples=int(os.environ.get("MCRISK_FUZZ_EXAMPLES", "40")))
@given(case=fuzzed_study(), summary_only=st.booleans())
def test_every_table_runs_or_is_one_line(tmp_path: Path, capsys, case, summary_only: bool) -> None:
    form, top, tables, sets, formats = case
    tmp_path = Path(tempfile.mkdtemp(dir=tmp_path))  # hypothesis reuses tmp_path across examples
    (tmp_path / "m.py").write_text(_FILE_MODEL)
    # DeepSeek's point values without the rent (the chain computes it) and the peak (a shape gives it)
    point = Path(MAAS_POINT).read_text().split("[gpu_hour_price]")[0]
    (tmp_path / "point_hourly.toml").write_text(re.sub(r"(?m)^peak_to_avg = .*\n", "", point))
    (tmp_path / "point_curve.toml").write_text(re.sub(r"(?m)^decode_tps_per_node = .*\n", "",
                                                      Path(MAAS_POINT).read_text()))
    path = tmp_path / "s.toml"
    path.write_text(_document(top, tables), encoding="utf-8")
    argv = ["run", str(path), "--quiet", "--out", str(tmp_path / "out"),
            *(["--formats", formats] if formats is not None else []), *(["--summary-only"] if summary_only else [])]
    for s in sets:
        argv += ["--set", s]
    capsys.readouterr()
    try:
        status = main(argv)
    except SystemExit as stop:  # argparse's own refusal of a flag's value: one line, status 2
        status = stop.code
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if not line.startswith("warning: ")]
    case_text = f"{form} {argv[5:]}\n{path.read_text()}\n{err[-2000:]}"
    event(f"{form}: exit {status} {re.sub(r'/[^ ]*/', '', lines[0])[:90] if status == 2 and lines else ''}")  # --hypothesis-show-statistics: how many ran, how many were refused
    assert status in (0, 2), case_text
    if status == 2:
        assert len(lines) == 1 and lines[0].startswith("error: ") and len(lines[0]) < MAX_LINE, case_text
        assert not (tmp_path / "out").exists(), case_text  # nothing half-written
    else:
        assert lines == [], case_text
