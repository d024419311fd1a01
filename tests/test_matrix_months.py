"""The combination matrix over months: outputs over (sample, month) in every cell that takes them.

A model over months is a built-in (``maas_monthly``) or a user's file of that form (:data:`MONTHS_FILE`):
per sample ``npv``, ``irr``, ``payback_month``, ``profit_total``; over (sample, month) ``revenue``,
``cost``, ``profit``, ``cash`` and ``cumulative_cash``. Each form meets every sensitivity method
with ``[sensitivity] over = "month"``, the cash charts in the report, the deck and the workbook,
``--summary-only``, ``--set`` and the Python API; an hourly output is analysed ``over = "hour"``.

The file model: revenue in month ``m`` is ``revenue_month1 x price_multiple_per_year^((m - 1)/12)``,
cost ``monthly_cost`` each month; ``CF_0 = -upfront_cost``, ``salvage_value`` added to ``CF_M``. Month
1's cumulative cash moves with revenue_month1 (range 40,000) and monthly_cost (20,000) only, so
revenue_month1 decides month 1; by month 12 the price multiple (0.1 to 0.9 a year) moves revenue by
a factor 9^(11/12) = 7.5 over its range and decides the end of a 12-month study.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from test_matrix_monthly import write_study as write_monthly

from mcrisk import run_study
from mcrisk.analyze.salib_methods import METHODS

#: A user's model over months, of maas_monthly's form (its outputs and their dimensions).
MONTHS_FILE = '''import numpy as np

import mcrisk
from mcrisk.models import Var


def _irr(flows):
    """Annual effective IRR of monthly flows (sample, 0..M) by bisection on the monthly rate; NaN without a sign change."""
    m = np.arange(flows.shape[1])
    lo, hi = np.full(flows.shape[0], -0.9), np.full(flows.shape[0], 1.0)
    f = lambda r: (flows / (1 + r[:, None]) ** m).sum(axis=1)
    flo, fhi = f(lo), f(hi)
    ok = np.sign(flo) != np.sign(fhi)
    for _ in range(100):
        mid = (lo + hi) / 2
        fm = f(mid)
        left = np.sign(fm) == np.sign(flo)
        lo, flo = np.where(left, mid, lo), np.where(left, fm, flo)
        hi = np.where(left, hi, mid)
    return np.where(ok, (1 + (lo + hi) / 2) ** 12 - 1, np.nan)


@mcrisk.model(inputs={"revenue_month1": ("USD/month", "revenue in month 1"),
                      "price_multiple_per_year": ("1", "price multiple per year"),
                      "monthly_cost": ("USD/month", "cost per month"), "upfront_cost": ("USD", "upfront cost"),
                      "discount_rate": ("1", "discount rate, annual"), "salvage_value": ("USD", "salvage value")},
              outputs={"npv": ("USD", "net present value"),
                       "irr": Var("1", "internal rate of return, annual", nan="the cash never changes sign"),
                       "payback_month": Var("month", "payback month", nan="never pays back"),
                       "profit_total": ("USD", "profit over the months"),
                       "revenue": Var("USD/month", "revenue", dims=("month",)),
                       "cost": Var("USD/month", "cost", dims=("month",)),
                       "profit": Var("USD/month", "profit", dims=("month",)),
                       "cash": Var("USD", "cash flow", dims=("month",)),
                       "cumulative_cash": Var("USD", "cumulative cash", dims=("month",))},
              default_output="npv", options={"months": "months"})
def business(*, revenue_month1, price_multiple_per_year, monthly_cost, upfront_cost, discount_rate,
             salvage_value=0.0, months=24):
    n = np.broadcast(*map(np.asarray, (revenue_month1, price_multiple_per_year, monthly_cost, upfront_cost,
                                        discount_rate, salvage_value))).shape
    col = lambda v: np.broadcast_to(np.asarray(v, dtype=float), n).reshape(-1, 1)
    t = (np.arange(1, months + 1) - 1) / 12
    revenue = col(revenue_month1) * col(price_multiple_per_year) ** t
    cost = np.broadcast_to(col(monthly_cost), revenue.shape)
    profit = revenue - cost
    cash = profit.copy()
    cash[:, -1] += col(salvage_value)[:, 0]
    flows = np.column_stack([-col(upfront_cost), cash])
    cum = np.cumsum(flows, axis=1)[:, 1:]
    r = col(discount_rate)
    npv = (flows / (1 + r) ** (np.arange(months + 1) / 12)).sum(axis=1)
    paid = cum >= 0
    payback = np.where(paid.any(axis=1), np.argmax(paid, axis=1) + 1.0, np.nan)
    return {"npv": npv, "irr": _irr(flows), "payback_month": payback, "profit_total": profit.sum(axis=1),
            "revenue": revenue, "cost": cost, "profit": profit, "cash": cash, "cumulative_cash": cum}
'''

MONTHS_PRIORS = """currency = "USD"
revenue_month1 = { dist = "uniform", low = 80000, high = 120000 }
price_multiple_per_year = { dist = "uniform", low = 0.1, high = 0.9 }
monthly_cost = { dist = "uniform", low = 40000, high = 60000 }
upfront_cost = 600000
discount_rate = 0.1
salvage_value = 50000
"""


def write_months(folder: Path, *, samples: int = 64, tables: str = "", months: int = 24, design: str = "random") -> Path:
    """A study of the file model over ``months`` in ``folder`` (``m.py``, ``p.toml``, ``s.toml``)."""
    (folder / "m.py").write_text(MONTHS_FILE)
    (folder / "p.toml").write_text(MONTHS_PRIORS)
    path = folder / "s.toml"
    path.write_text(f'title = "A business over months"\nmodel = "m.py:business"\npriors = ["p.toml"]\n'
                    f'samples = {samples}\nseed = 7\nmethod = "{design}"\noutput = "npv"\n{tables}'
                    f"[options]\nmonths = {months}\n")
    return path


def _builtin(chain: bool):
    """A writer of test_matrix_monthly's maas_monthly study (rented GPUs, or the chain that owns them)."""
    def write(folder: Path, *, samples: int = 64, tables: str = "", months: int = 24, design: str = "random") -> Path:
        path = write_monthly(folder, chain=chain, design=design, tables=tables)
        path.write_text(path.read_text().replace("samples = 64", f"samples = {samples}")
                        .replace("months = 24", f"months = {months}"))
        return path
    return write


def _curve(folder: Path, *, samples: int = 64, tables: str = "", months: int = 24, design: str = "random") -> Path:
    """maas_monthly with a throughput curve t = 74,000 / i tokens/s per GPU at interactivity 40: 8 x 1,850 =
    14,800 tokens/s per node, the other built-in forms' decode throughput, so their numbers carry over."""
    path = _builtin(False)(folder, samples=samples, tables=tables, months=months, design=design)
    priors = folder / "p.toml"
    priors.write_text(priors.read_text().replace("decode_tps_per_node = 14_800\n", "interactivity = 40\n"))
    path.write_text(path.read_text().replace("[options]\n", "[options]\n"
                                             "throughput_curve = [[20, 3700], [40, 1850], [80, 925]]\n"))
    return path


#: model form -> the study writer of that form: the file model, maas_monthly on rented GPUs, the
#: chain gpu_hour_cost -> maas_monthly, and maas_monthly with a throughput curve
MONTH_FORMS = {"months_file": write_months, "maas_monthly": _builtin(False), "chain": _builtin(True),
               "monthly_curve": _curve}
#: per form, the input that decides month 1 and the one that decides month 12 (the module notes)
DECIDES = {"months_file": ("revenue_month1", "price_multiple_per_year"),
           "maas_monthly": ("gpu_hour_price", "price_multiple_per_year"),
           "chain": ("server_price_per_gpu", "price_multiple_per_year"),
           "monthly_curve": ("gpu_hour_price", "price_multiple_per_year")}
#: per form, the upfront cost (USD, the same in every sample), and inputs whose values --set holds
#: so that month 1 is the same in every sample (month 1 moves with them alone)
UPFRONT = {"months_file": 600_000, "maas_monthly": 400_000_000, "chain": 400_000_000, "monthly_curve": 400_000_000}
MONTH1 = {"months_file": {"revenue_month1": 90000, "monthly_cost": 50000}, "maas_monthly": {"gpu_hour_price": 2.0},
          "chain": {"server_price_per_gpu": 30000, "electricity_price": 0.1}, "monthly_curve": {"gpu_hour_price": 2.0}}
#: each method's base N in these cells: its least, or where that is too few to rank by month, more
#: (Sobol' N = 2 has 2 rows per estimate; Morris' 2 trajectories see one step per input)
CELL_N = {"sobol": 16, "morris": 10, "fast": 65, "rbd_fast": 100, "delta": 200, "pawn": 200}


# the notes of intervals too wide at these small sample sizes are warnings when nothing prints
@pytest.mark.filterwarnings("ignore::mcrisk.core.errors.MCRiskWarning")
@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("form", list(MONTH_FORMS))
def test_every_method_over_months(tmp_path, form, method):
    design = ("random", "lhs", "sobol")[sorted(METHODS).index(method) % 3]
    path = MONTH_FORMS[form](tmp_path, design=design, months=12, tables=(
        f'[sensitivity]\nmethod = "{method}"\nsamples = {CELL_N[method]}\nover = "month"\nnum_resamples = 20\n'))
    run = run_study(path, write=False)
    ds = run.tables["sensitivity"]
    assert ds.attrs["method"] == method and ds.attrs["over"] == "month" and ds.attrs["output"] == "cumulative_cash"
    key = ds.attrs["rank_by"]
    v = np.abs(ds[key].transpose("input", "month").values)
    assert ds[key].sizes["month"] == 12 and np.all(np.isfinite(v)), v
    first, last = (str(ds.input.values[int(np.argmax(v[:, j]))]) for j in (0, -1))
    assert (first, last) == DECIDES[form], v


@pytest.mark.parametrize("form", list(MONTH_FORMS))
def test_the_cash_charts_in_the_report_the_deck_and_the_workbook(tmp_path, form):
    pptx = pytest.importorskip("pptx")
    openpyxl = pytest.importorskip("openpyxl")
    path = MONTH_FORMS[form](tmp_path, months=12, tables='[sensitivity]\nsamples = 8\nover = "month"\n')
    with pytest.warns(Warning):  # the intervals of N = 8 are wide, and it says so
        run = run_study(path, out=tmp_path / "out", formats=("png", "xlsx", "pptx"), quiet=True)
    figs = {p.stem for p in (run.out / "figures").glob("*.png")}
    assert {"cash_fan", "loss_timing", "sensitivity_over"} <= figs and "sensitivity" not in figs
    report = (run.out / "report.md").read_text()
    assert "figures/cash_fan.png" in report and "Sensitivity of cumulative cash by month (sobol)" in report
    from mcrisk.cli.main import main

    (run.out / "deck.pptx").rename(tmp_path / "first.pptx")
    assert main(["deck", str(path), "--out", str(run.out)]) == 0  # the deck again, from the folder alone
    for deck in (tmp_path / "first.pptx", run.out / "deck.pptx"):
        titles = [s.shapes.title.text for s in pptx.Presentation(str(deck)).slides if s.shapes.title]
        assert any(t.startswith("Cumulative cash by month") for t in titles)
        assert any(t.startswith("When the loss happens") for t in titles)
        assert any(t.startswith("What decides cumulative cash, month by month") for t in titles), titles
    wb = openpyxl.load_workbook(run.out / "workbook.xlsx", read_only=True)
    try:
        assert {"Cash flow", "Cash by month", "Sensitivity"} <= set(wb.sheetnames)
        rows = list(wb["Cash by month"].iter_rows(min_row=3, values_only=True))
        assert [r[0] for r in rows] == list(range(13))  # months 0 (the upfront outlay) to 12
        assert rows[0][3] == -UPFRONT[form]  # every sample's month 0 is -upfront_cost
        sens = list(wb["Sensitivity"].iter_rows(min_row=3, values_only=True))
        inputs = len(run.study.priors.uncertain)  # one row per input and month
        assert len(sens) == inputs * 12 and {r[2] for r in sens} == set(range(1, 13))
    finally:
        wb.close()


@pytest.mark.parametrize("form", list(MONTH_FORMS))
def test_summary_only_and_set_on_a_model_over_months(tmp_path, form, capsys):
    from mcrisk.cli.main import main

    path = MONTH_FORMS[form](tmp_path, months=12, tables='[sensitivity]\nsamples = 8\nover = "month"\n')
    assert main(["run", str(path), "--summary-only", "--quiet", "--out", str(tmp_path / "a")]) == 0
    assert "[sensitivity] skipped: --summary-only keeps no per-sample results" in capsys.readouterr().out
    # --set holds the inputs month 1 moves with: its cumulative cash is then the same in every sample,
    # and its indices NaN with a note, not an error
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = run_study(path, write=False, settings=MONTH1[form], quiet=True)
    said = [str(w.message) for w in caught]
    first = run.results["cumulative_cash"].sel(month=1).values
    assert np.ptp(first) == 0 and first[0] < 0
    if form == "months_file":
        assert first[0] == 90000 - 50000 - 600000
    assert any(t.startswith("cumulative_cash: month 1 takes one value in every model run") for t in said), said
    assert np.isnan(run.tables["sensitivity"].ST.sel(month=1).values).all()
    assert np.isfinite(run.tables["sensitivity"].ST.sel(month=12).values).all()


@pytest.mark.parametrize("form", list(MONTH_FORMS))
def test_mcrisk_sensitivity_keeps_over(tmp_path, form, capsys):
    from mcrisk.cli.main import main

    path = MONTH_FORMS[form](tmp_path, months=6, tables='[sensitivity]\nsamples = 8\nover = "month"\n')
    assert main(["sensitivity", str(path), "--method", "rbd_fast", "--samples", "100", "--quiet", "--formats", "png",
                 "--out", str(tmp_path / "out")]) == 0
    assert "Sensitivity of cumulative cash by month: rbd_fast, N = 100" in capsys.readouterr().out
    frame = pd.read_csv(tmp_path / "out" / "sensitivity.csv")
    assert set(frame.month) == set(range(1, 7)) and len(frame) == 6 * frame.input.nunique()


#: hourly forms: the output analysed over hours and the input that decides every hour (test_matrix's notes:
#: price_output moves revenue 80 times as far as anything else moves it)
HOURLY = {"decorated_file": ("y_hour", "a"), "maas_hourly": ("revenue", "price_output")}


@pytest.mark.filterwarnings("ignore::mcrisk.core.errors.MCRiskWarning")  # wide intervals at N = 64
@pytest.mark.parametrize("form", list(HOURLY))
def test_an_hourly_output_over_hours_in_a_study(tmp_path, form):
    from test_matrix import EVENT, _write

    output, driver = HOURLY[form]
    path = _write(tmp_path, form, "sobol", output=output, n=64)
    path.write_text(path.read_text().replace(f'event = "{EVENT[form]}"\n', 'over = "hour"\n'))
    run = run_study(path, out=tmp_path / "out", formats=("png",), quiet=True)
    ds = run.tables["sensitivity"]
    # decorated_file: y_hour = (10 a + b) / 24, every hour S1(a) = 100/101; maas_hourly: the price of output
    # tokens moves each hour's revenue, the cache hit share (0.5 to 0.6) barely
    assert ds.attrs["over"] == "hour" and ds.sizes["hour"] == 24
    assert all(str(ds.input.values[int(np.argmax(ds.ST.values[:, h]))]) == driver for h in range(24))
    assert (run.out / "figures" / "sensitivity_over.png").exists()
