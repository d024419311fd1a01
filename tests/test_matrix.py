"""The combination matrix: every model form x every sensitivity method runs as a study, or is refused.

Each cell is a small study file in ``tmp_path`` run by :func:`mcrisk.run_study` at the least
sample size its method allows, with the study's design (random, lhs, sobol) turning with the
cell so that each form and each method meets each design. A cell runs and gives finite indices,
non-zero for the inputs that drive the output, the driving one ranked first; none is an internal
error. Hourly models are analysed by their daily totals; an hourly output named for analysis is
refused in one line. Every form x every design x every decision and discovery table is in
``test_matrix_tables.py``; the commands and run options on every form, and the list of refused
cells, in ``test_matrix_cli.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from mcrisk import SpecError, load_study, run_study
from mcrisk.analyze.salib_methods import METHODS
from mcrisk.analyze.sensitivity import rank_order, sensitivity
from mcrisk.cli.main import main
from mcrisk.spec.sensitivity_table import SAMPLE_LIMITS

# maas and maas_hourly: revenue (~600,000 USD/day) moves with price_output from 1 to 3 USD per
# million output tokens, by about +-170,000 USD/day; cost (~85,000 USD/day) moves with
# gpu_hour_price from 1.9 to 2.1 by about +-2,000 USD/day: price_output drives profit_per_day.
_SERVE = """currency = "USD"
input_tokens = 608e9
output_tokens = 168e9
prefill_tps_per_node = 73_700
decode_tps_per_node = 14_800
price_input_miss = 0.55
price_output = { dist = "uniform", low = 1.0, high = 3.0 }
cache_hit_share = { dist = "uniform", low = 0.5, high = 0.6 }
"""
# the chain: gpu_hour_price = server price / (4 years of hours) + 1 kW x electricity, so
# 0.57-1.14 USD/GPU-hour from the server and 0.05-0.15 from power: both move the day's cost, the
# server 5.7 times as far.
_OWN = """server_price_per_gpu = { dist = "uniform", low = 20000, high = 40000 }
depreciation_years = 4
electricity_price = { dist = "uniform", low = 0.05, high = 0.15 }
power_kw_per_gpu = 1.0
price_output = 2.19
cache_hit_share = 0.5625
"""
_FILE = """import numpy as np

import mcrisk


def plain(*, a, b, c):
    return {"y": 10.0 * a + b + 0.0 * c}


@mcrisk.model(outputs={"y": ("1", "ten a plus b"),
                       "y_hour": mcrisk.models.Var("1", "y spread evenly over the day", dims=("hour",))},
              default_output="y")
def declared(*, a, b, c):
    y = np.asarray(10.0 * a + b + 0.0 * c, dtype=float)
    return {"y": y, "y_hour": np.multiply.outer(y, np.full(24, 1 / 24))}
"""
_ABC = """a = { dist = "uniform", low = 0, high = 1 }
b = { dist = "uniform", low = 0, high = 1 }
c = { dist = "uniform", low = 0, high = 1 }
"""
_RENT = 'gpu_hour_price = { dist = "uniform", low = 1.9, high = 2.1 }\n'
_HOURLY_OPTIONS = '[options]\nshape = "deepseek-2025-02-27"\npolicy = "elastic"\n'
# A throughput curve t = 74,000 / i tokens/s per GPU (a power law the log-log interpolation keeps):
# at interactivity 40, 8 x 1,850 = 14,800 tokens/s per node, the other forms' decode throughput, so
# their numbers carry over. maas: interactivity from 36 to 44 moves the decode nodes, linear in it,
# by +-10%: +-6,700 USD/day, as far as gpu_hour_price moves the cost and 25 times less than
# price_output moves revenue. The capped form: 800 nodes always cover the day (at most 240 busy on
# average, 1.23 times that at the peak hour), so interactivity moves nothing and the cost is the
# fleet's, 307,000 USD/day at 2 USD/GPU-hour, +-15,400 from gpu_hour_price. (maas_curve draws other price_output
# samples than maas, an input more: its median profit is 410,000 USD/day.)
_CURVE = "throughput_curve = [[20, 3700], [40, 1850], [80, 925]]\n"
_NO_DECODE = _SERVE.replace("decode_tps_per_node = 14_800\n", "")
_SPEED = 'interactivity = { dist = "uniform", low = 36, high = 44 }\n'

#: model form -> (model = ..., priors text, output, [options] text, the driving input, the others that
#: matter); EVENT: a loss event near the output's median, so that the loss attribution has both sides
FORMS = {
    "maas": ('"maas"', _SERVE + _RENT + "peak_to_avg = 1.33\n", "profit_per_day", "", "price_output",
             ("gpu_hour_price",)),
    "maas_hourly": ('"maas_hourly"', _SERVE + _RENT, "profit_per_day", _HOURLY_OPTIONS, "price_output",
                    ("gpu_hour_price",)),
    "chain": ('["gpu_hour_cost", "maas_hourly"]', _SERVE.replace(
        'price_output = { dist = "uniform", low = 1.0, high = 3.0 }\n', "").replace(
        'cache_hit_share = { dist = "uniform", low = 0.5, high = 0.6 }\n', "") + _OWN,
        "profit_per_day", _HOURLY_OPTIONS, "server_price_per_gpu", ("electricity_price",)),
    "maas_curve": ('"maas"', _NO_DECODE + _RENT + "peak_to_avg = 1.33\n" + _SPEED, "profit_per_day",
                   "[options]\n" + _CURVE, "price_output", ("gpu_hour_price", "interactivity")),
    "hourly_curve": ('"maas_hourly"', _NO_DECODE + _RENT + _SPEED + "fleet_nodes = 800\n", "profit_per_day",
                     '[options]\nshape = "deepseek-2025-02-27"\npolicy = "capped"\n' + _CURVE, "price_output",
                     ("gpu_hour_price",)),
    "chain_curve": ('["gpu_hour_cost", "maas_hourly"]', _NO_DECODE.replace(
        'price_output = { dist = "uniform", low = 1.0, high = 3.0 }\n', "").replace(
        'cache_hit_share = { dist = "uniform", low = 0.5, high = 0.6 }\n', "") + _OWN + "interactivity = 40\n",
        "profit_per_day", _HOURLY_OPTIONS + _CURVE, "server_price_per_gpu", ("electricity_price",)),
    "plain_file": ('"m.py:plain"', _ABC, "y", "", "a", ("b",)),
    "decorated_file": ('"m.py:declared"', _ABC, "y", "", "a", ("b",)),
}


#: The sampling designs (a study's top-level ``method``).
DESIGNS = ("random", "lhs", "sobol")

EVENT = {"maas": "< 370000", "maas_hourly": "< 400000", "chain": "< 470000", "maas_curve": "< 410000",
         "hourly_curve": "< 220000", "chain_curve": "< 470000", "plain_file": "< 6",
         "decorated_file": "< 6"}


def _write(tmp_path: Path, form: str, method: str, *, output: str | None = None, n: int | None = None,
           design: str = "random") -> Path:
    model, priors, out, options, *_ = FORMS[form]
    (tmp_path / "m.py").write_text(_FILE)
    (tmp_path / "p.toml").write_text(priors)
    n = SAMPLE_LIMITS[method][0] if n is None else n
    path = tmp_path / "s.toml"
    path.write_text(f'model = {model}\npriors = ["p.toml"]\nsamples = 64\nseed = 7\nmethod = "{design}"\n'
                    f'output = "{out}"\n'
                    f'[sensitivity]\nmethod = "{method}"\nsamples = {n}\noutput = "{output or out}"\n'
                    f'event = "{EVENT[form]}"\nnum_resamples = 20\n{options}')  # fewer bootstraps: faster
    return path


# the notes of intervals too wide at these least sample sizes are warnings when nothing prints
@pytest.mark.filterwarnings("ignore::mcrisk.core.errors.MCRiskWarning")
@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("form", list(FORMS))
def test_every_model_form_with_every_method(tmp_path, form, method):
    *_, driver, others = FORMS[form]
    # The study's design (its own samples: the rank correlations and the loss attribution) turns
    # with the cell, so that every form and every method meets every design: 30 cells, not 90.
    design = DESIGNS[(list(FORMS).index(form) + sorted(METHODS).index(method)) % len(DESIGNS)]
    # sobol at its least N = 2 has 2 rows per estimate: too few for a ranking, so N = 8 there
    run = run_study(_write(tmp_path, form, method, n=8 if method == "sobol" else None, design=design), write=False)
    ds = run.tables["sensitivity"]
    assert ds.attrs["method"] == method and run.results.attrs["method"] == design
    assert ds.attrs["samples"] == (8 if method == "sobol" else SAMPLE_LIMITS[method][0])
    key = ds.attrs["rank_by"]
    values = dict(zip(ds.input.values, np.abs(ds[key].values), strict=True))
    assert set(values) >= {driver, *others}
    assert all(np.isfinite(values[k]) and values[k] > 0 for k in (driver, *others)), values
    # the driver's range moves the output 5.7 times (the chain) to 10 times (or more) as far as any
    # other input's: it is ranked first
    assert ds.input.values[rank_order(ds)[0]] == driver, values
    assert 0 < ds.attrs["loss_probability"] < 1 and np.all(np.isfinite(ds["spearman"].sel(input=driver).values))


@pytest.mark.parametrize("form", ["maas_hourly", "chain", "decorated_file"])
def test_an_hourly_output_is_refused_in_one_line(tmp_path, form):
    hourly = {"decorated_file": "y_hour"}.get(form, "revenue")
    study = load_study(_write(tmp_path, form, "morris"))
    daily = "y" if form == "decorated_file" else "profit_per_day"
    head = re.escape(f"sensitivity output = {hourly!r} is an hourly output over (sample, hour); ")
    with pytest.raises(SpecError, match=f"^{head}sensitivity analyses one value per sample, such as the daily "
                                        rf"totals: .*\b{daily}\b") as err:
        sensitivity(study.model, study.priors, output=hourly, method="morris", n=2, rng=0)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("method", ["delta", "sobol"])  # every method runs in the matrix above
def test_sensitivity_command_on_an_hourly_study(tmp_path, capsys, method):
    path = _write(tmp_path, "maas_hourly", "sobol")
    n = SAMPLE_LIMITS[method][0]
    assert main(["sensitivity", str(path), "--method", method, "--samples", str(n), "--quiet",
                 "--formats", "png", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert f"Sensitivity of profit per day: {method}, N = {n:,}" in out
    assert (tmp_path / "out" / "sensitivity.csv").exists()


#: a study table naming the chain's hourly output ``nodes``, by where it names it
_HOURLY_TABLES = {
    "[tornado] output": '[tornado]\noutput = "nodes"\n',
    "[scenarios] output": '[scenarios]\noutput = "nodes"\nevent = "< 0"\n',
    "[scenarios] event": '[scenarios]\nevent = "nodes < 0"\n',
    "[value_of_information] output": '[value_of_information]\noutput = "nodes"\n',
    "[sweep] output": '[sweep]\nlever = "electricity_price"\nvalues = [0.05, 0.15]\noutput = "nodes"\n',
    "[solve] target output": ('[solve]\nlever = "electricity_price"\ntarget = "P(nodes < 0) <= 0.1"\nlow = 0.05\n'
                              'high = 0.15\n'),
}


@pytest.mark.parametrize("key", ["output", "[sensitivity] output", *_HOURLY_TABLES])
def test_an_hourly_output_in_a_study_is_refused_in_one_line(tmp_path, capsys, key):
    path = _write(tmp_path, "chain", "morris")
    text = path.read_text()
    if key == "output":
        text = text.replace('output = "profit_per_day"\n[sensitivity]', 'output = "nodes"\n[sensitivity]')
    elif key == "[sensitivity] output":
        text = text.replace('output = "profit_per_day"\nevent', 'output = "nodes"\nevent')
    else:
        text = text.replace("[options]", _HOURLY_TABLES[key] + "[options]")
    path.write_text(text)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: {path}: {key} = 'nodes' is an hourly output over (sample, hour); analyses take one "
                   f"value per sample, such as the daily totals; outputs: gpu_hour_price, capital_per_gpu_year, "
                   "power_per_gpu_hour, nodes_avg, nodes_provisioned, nodes_charged, utilization, cost_per_day, "
                   "list_revenue, revenue_per_day, profit_per_day, cost_profit_margin, gross_margin, "
                   "cost_per_million_output_tokens, nodes_peak\n")
