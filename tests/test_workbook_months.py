"""The workbook's Cash flow sheet (mcrisk.report.workbook_months), recalculated by LibreOffice.

The base case of the months file model (every input at its median: revenue in month 1 100,000 USD,
price multiple 0.9 a year, cost 50,000 USD a month; upfront 300,000, salvage 50,000, discount rate
10% a year) has the cash flows ``CF_0 = -300,000`` and ``CF_m = 100,000 x 0.9^((m - 1)/12) - 50,000``
(plus the salvage at month 24), all positive after month 0: one sign change, one IRR. The test sums
them by hand, converts the workbook with LibreOffice (which computes formulas that carry no cached
value when it loads the file) and reads back the NPV and IRR the formulas give.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import scipy.optimize as so
from test_matrix_months import MONTH_FORMS, write_months

from mcrisk import run_study

openpyxl = pytest.importorskip("openpyxl")

#: the price multiple between 0.85 and 0.95 (median 0.9), and a smaller outlay: every sample pays back
PRIORS_09 = ('price_multiple_per_year = { dist = "uniform", low = 0.1, high = 0.9 }',
             'price_multiple_per_year = { dist = "uniform", low = 0.85, high = 0.95 }')


def _by_hand() -> tuple[np.ndarray, float, float]:
    m = np.arange(1, 25)
    flows = np.concatenate([[-300_000.0], 100_000 * 0.9 ** ((m - 1) / 12) - 50_000])
    flows[-1] += 50_000
    npv = float(np.sum(flows / 1.1 ** (np.arange(25) / 12)))
    monthly = so.brentq(lambda i: np.sum(flows / (1 + i) ** np.arange(25)), -0.5, 1.0, xtol=1e-15)
    return flows, npv, (1 + monthly) ** 12 - 1


def _study(tmp_path):
    path = write_months(tmp_path, samples=16)
    text = (tmp_path / "p.toml").read_text().replace(*PRIORS_09)
    (tmp_path / "p.toml").write_text(text.replace("upfront_cost = 600000", "upfront_cost = 300000"))
    return path


def test_the_cash_flow_sheet_holds_the_base_case_and_its_formulas(tmp_path) -> None:
    run = run_study(_study(tmp_path), out=tmp_path / "out", formats=("xlsx",), quiet=True)
    flows, npv, irr = _by_hand()
    wb = openpyxl.load_workbook(run.out / "workbook.xlsx")
    try:
        ws = wb["Cash flow"]
        assert ws["A1"].value.startswith("Base case: every input at its base value (the prior's base if given, else "
                                         "its median)")
        np.testing.assert_allclose([ws.cell(10 + m, 4).value for m in range(25)], flows, rtol=1e-12)
        assert ws["B4"].value == "=(1+B3)^(1/12)-1" and ws["B3"].value == 0.1
        assert ws["B5"].value == "=D10+NPV(B4,D11:D34)"  # month 0 outside NPV's discounting
        assert ws["B6"].value == "=SUM(F10:F34)" and ws["B7"].value == "=(1+IRR(D10:D34))^12-1"
        # the model's own values beside the formulas
        assert ws["C5"].value == pytest.approx(npv, rel=1e-9) and ws["C7"].value == pytest.approx(irr, rel=1e-6)
    finally:
        wb.close()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_recalculates_npv_and_irr_to_the_models(tmp_path) -> None:
    run = run_study(_study(tmp_path), out=tmp_path / "out", formats=("xlsx",), quiet=True)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to",
                    "xlsx", "--outdir", str(tmp_path / "calc"), str(run.out / "workbook.xlsx")],
                   check=True, capture_output=True, timeout=300)
    _, npv, irr = _by_hand()
    wb = openpyxl.load_workbook(tmp_path / "calc" / "workbook.xlsx", data_only=True)  # the values computed
    try:
        ws = wb["Cash flow"]
        assert ws["B4"].value == pytest.approx(1.1 ** (1 / 12) - 1, rel=1e-12)
        # NPV() and the explicit sum, each to the model's within rounding; IRR() iterates to ~1e-10
        assert ws["B5"].value == pytest.approx(npv, rel=1e-9) and ws["B6"].value == pytest.approx(npv, rel=1e-9)
        assert ws["B5"].value == pytest.approx(ws["C5"].value, rel=1e-9)
        assert ws["B7"].value == pytest.approx(irr, rel=1e-6) and ws["B7"].value == pytest.approx(ws["C7"].value,
                                                                                                 rel=1e-6)
        assert ws["E34"].value == pytest.approx(float(np.sum(_by_hand()[0])), rel=1e-12)  # cumulative cash, month 24
    finally:
        wb.close()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_recalculates_every_model_forms_cash_flow(tmp_path) -> None:
    # maas_monthly on rented GPUs and the chain that owns them: LibreOffice's NPV() and IRR() over the base
    # case's flows against the model itself called at the base case (its npv and irr are tested against
    # hand sums in test_maas_monthly.py); several months' flows, one sign change each
    books = {}
    for form in ("maas_monthly", "chain"):
        (tmp_path / form).mkdir()
        run = run_study(MONTH_FORMS[form](tmp_path / form, samples=16), out=tmp_path / form / "out",
                        formats=("xlsx",), quiet=True)
        base = {k: np.full(1, p.base_value) for k, p in run.study.priors.items()}
        got = run.study.model(**base)
        books[form] = (run.out / "workbook.xlsx", float(got["npv"][0]), float(got["irr"][0]))
        shutil.copy(books[form][0], tmp_path / f"{form}.xlsx")
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to",
                    "xlsx", "--outdir", str(tmp_path / "calc"), *(str(tmp_path / f"{f}.xlsx") for f in books)],
                   check=True, capture_output=True, timeout=300)
    for form, (_, npv, irr) in books.items():
        wb = openpyxl.load_workbook(tmp_path / "calc" / f"{form}.xlsx", data_only=True)
        try:
            ws = wb["Cash flow"]
            assert ws["B5"].value == pytest.approx(npv, rel=1e-9) and ws["B6"].value == pytest.approx(npv, rel=1e-9)
            assert np.isfinite(irr) and ws["B7"].value == pytest.approx(irr, rel=1e-6), form
        finally:
            wb.close()
