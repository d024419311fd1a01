"""The combination matrix for ``maas_monthly``: every design, held and streamed, chunked, on dask, chained.

The study: DeepSeek's day (608 B input and 168 B output tokens, its throughputs) over 24 months,
with uncertain price and demand multiples, a price war in month 6 to 30 cutting 0-60%, and a
fleet bought for USD 400 M. Each cell asserts the month statistics against a count over the
per-sample results (P(cumulative cash < 0) in month m is the share of samples under water then),
and that every way of running gives the same numbers: in memory or ``--summary-only``, any chunk
size, a local dask pool; ``--set`` holds an input; the chain with ``gpu_hour_cost`` feeds the owned
GPU-hour's cost to every month; an analysis naming a monthly output is refused in one line.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_matrix_cli import run_main

from mcrisk import SpecError, run_study
from mcrisk.models import gpu_hour_cost, maas
from mcrisk.models.monthly_margin import DAYS_PER_MONTH

_PRIORS = """currency = "USD"
input_tokens = 608e9
output_tokens = 168e9
cache_hit_share = 0.5625
prefill_tps_per_node = 73_700
decode_tps_per_node = 14_800
peak_to_avg = 1.226
price_input_hit = 0.14
price_input_miss = 0.55
price_output = 2.19
price_multiple_per_year = { dist = "uniform", low = 0.2, high = 1.0 }
demand_multiple_per_year = { dist = "uniform", low = 1.0, high = 4.0 }
price_war_month = { dist = "uniform", low = 6, high = 30 }
price_war_cut = { dist = "uniform", low = 0.0, high = 0.6 }
discount_rate = 0.1
upfront_cost = { value = 4e8, unit = "USD" }
salvage_value = { value = 1e8, unit = "USD" }
"""
_RENT = 'gpu_hour_price = { dist = "uniform", low = 1.5, high = 2.5 }\n'
_OWN = ('server_price_per_gpu = { dist = "uniform", low = 20000, high = 40000 }\ndepreciation_years = 4\n'
        'electricity_price = { dist = "uniform", low = 0.05, high = 0.15 }\npower_kw_per_gpu = 1.0\n')


def write_study(folder: Path, *, chain: bool = False, design: str = "random", tables: str = "") -> Path:
    (folder / "p.toml").write_text(_PRIORS + (_OWN if chain else _RENT))
    model = '["gpu_hour_cost", "maas_monthly"]' if chain else '"maas_monthly"'
    path = folder / "s.toml"
    path.write_text(f'model = {model}\npriors = ["p.toml"]\nsamples = 64\nseed = 11\nmethod = "{design}"\n'
                    f'output = "npv"\n[options]\nmonths = 24\n{tables}')
    return path


def _by_month(results) -> np.ndarray:
    return (results["cumulative_cash"] < 0).mean("sample").values


@pytest.mark.parametrize("design", ["random", "lhs", "sobol"])
def test_held_and_streamed_runs_give_the_same_month_statistics(tmp_path, design):
    path = write_study(tmp_path, design=design)
    held = run_study(path, write=False)
    res = held.results
    assert res.sizes["month"] == 24 and list(res["month"].values) == list(range(1, 25))
    np.testing.assert_array_equal(held.summary["month_p_below_zero"].sel(monthly_output="cumulative_cash"),
                                  _by_month(res))
    np.testing.assert_allclose(held.summary["month_mean"].sel(monthly_output="profit"),
                               res["profit"].mean("sample").values, rtol=1e-12)
    for chunk in (7, 64):
        streamed = run_study(path, write=False, summary_only=True, chunk_size=chunk).summary
        np.testing.assert_array_equal(streamed["month_p_below_zero"].sel(monthly_output="cumulative_cash"),
                                      _by_month(res))
        # the same block sums at the same sample positions: the means to the last bit
        np.testing.assert_array_equal(streamed["month_mean"], held.summary["month_mean"])
        for stat in ("p05", "p50", "p95", "p_below_zero", "n_valid"):  # exact order statistics and counts
            np.testing.assert_array_equal(streamed[stat].values, held.summary[stat].values, err_msg=stat)
    out = tmp_path / "out"
    rc, printed, err = run_main(["run", str(path), "--summary-only", "--chunk-size", "7", "--out", str(out), "--quiet"])
    assert (rc, err) == (0, ""), err
    months = pd.read_csv(out / "months.csv").set_index(["monthly_output", "month"])
    np.testing.assert_allclose(months.loc["cumulative_cash", "month_p_below_zero"].values, _by_month(res),
                               rtol=1e-9)  # written with 10 significant digits
    # the printed share of samples that never pay back: NaN payback months, counted
    never = np.isnan(res["payback_month"].values).mean()
    assert f"payback_month: never pays back in {never:.1%} of samples" in printed


def test_a_nan_that_is_an_answer_warns_nothing_and_stops_nothing(tmp_path):
    # pytest turns warnings into errors: the run must not warn of its NaN payback months and IRRs
    run = run_study(write_study(tmp_path), write=False, on_nonfinite="error")
    never = int(np.isnan(run.results["payback_month"].values).sum())
    assert 0 < never < 64  # the study has both
    assert int(run.summary["n_valid"].sel(output="payback_month")) == 64 - never


def test_set_holds_an_input_in_every_month(tmp_path):
    path = write_study(tmp_path)
    rc, printed, err = run_main(["run", str(path), "--set", "price_war_month=6", "--set", "price_war_cut=0.5",
                                 "--out", str(tmp_path / "out"), "--quiet", "--formats", "png"])
    assert (rc, err) == (0, "")
    run = run_study(path, settings={"price_war_month": 6, "price_war_cut": 0.5}, write=False)
    ratio = run.results["revenue"].isel(month=5) / run.results["revenue"].isel(month=4)
    # month 6 against month 5: the price war's cut, and a month of price and demand growth
    growth = (run.results["price_multiple_per_year"] * run.results["demand_multiple_per_year"]) ** (1 / 12)
    np.testing.assert_allclose(ratio.values, 0.5 * growth.values, rtol=1e-13)
    assert (tmp_path / "out" / "months.csv").is_file() and "P(cumulative cash < 0) by month: 1 " in printed


def test_the_chain_feeds_the_owned_gpu_hour_to_every_month(tmp_path):
    run = run_study(write_study(tmp_path, chain=True), write=False)
    res = run.results
    own = gpu_hour_cost(server_price_per_gpu=res["server_price_per_gpu"].values, depreciation_years=4.0,
                        electricity_price=res["electricity_price"].values, power_kw_per_gpu=1.0)["gpu_hour_price"]
    day = maas(input_tokens=608e9, output_tokens=168e9, cache_hit_share=0.5625, prefill_tps_per_node=73_700.0,
               decode_tps_per_node=14_800.0, peak_to_avg=1.226, price_input_hit=0.14, price_input_miss=0.55,
               price_output=2.19, gpu_hour_price=own)
    # rent multiple 1: the owned GPU-hour's cost is every month's; the nodes grow with demand
    for m in (0, 11, 23):
        demand = res["demand_multiple_per_year"].values ** (m / 12)
        np.testing.assert_allclose(res["cost"].isel(month=m).values, day["cost_per_day"] * demand * DAYS_PER_MONTH,
                                   rtol=1e-13)


@pytest.mark.parametrize("table", ["[tornado]\noutput = \"cash\"\n",
                                   ("[sensitivity]\nmethod = \"morris\"\noutput = \"cumulative_cash\"\n"
                                    "samples = 4\n")])
def test_a_monthly_output_named_for_analysis_is_refused_in_one_line(tmp_path, table):
    name = re.search(r'output = "(\w+)"', table).group(1)
    with pytest.raises(SpecError, match=rf"{name}'? is a monthly output over \(sample, month\); .*npv") as err:
        run_study(write_study(tmp_path, tables=table), write=False)
    assert "\n" not in str(err.value)


# the note that 64 samples give wide intervals is a warning when nothing prints
@pytest.mark.filterwarnings("ignore::mcrisk.core.errors.MCRiskWarning")
def test_tornado_and_sensitivity_of_npv_and_the_workbook_and_deck(tmp_path):
    tables = ('[tornado]\noutput = "npv"\n[sensitivity]\nmethod = "sobol"\noutput = "npv"\nsamples = 64\n'
              'num_resamples = 20\n')
    path = write_study(tmp_path, tables=tables)
    rc, _printed, err = run_main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet", "--formats",
                                  "xlsx,pptx"])
    assert (rc, err) == (0, ""), err
    run = run_study(path, write=False)
    swing = run.tables["tornado"].swing.to_series()
    # the price multiple (0.2-1 a year) moves 24 months of revenue most: it leads the tornado
    assert swing.idxmax() == "price_multiple_per_year", swing
    assert np.all(np.isfinite(run.tables["sensitivity"]["ST"].values))
    assert (tmp_path / "out" / "workbook.xlsx").is_file() and (tmp_path / "out" / "deck.pptx").is_file()


def test_a_local_dask_pool_gives_the_numbers_of_one_process(tmp_path):
    pytest.importorskip("distributed")
    from mcrisk.simulation.distributed import client
    path = write_study(tmp_path)
    one = run_study(path, write=False)
    with client(workers=2) as pool:
        pooled = run_study(path, write=False, scheduler=pool.scheduler.address, chunk_size=16)
        streamed = run_study(path, write=False, scheduler=pool.scheduler.address, chunk_size=16, summary_only=True)
    for k in one.results.data_vars:
        assert np.array_equal(one.results[k].values, pooled.results[k].values, equal_nan=True), k
    assert list(pooled.results["month"].values) == list(range(1, 25))
    for k in ("month_mean", "month_p_below_zero", "month_n_valid"):
        np.testing.assert_array_equal(streamed.summary[k].values, one.summary[k].values, err_msg=k)
