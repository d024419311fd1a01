"""``mcrisk serve``'s page in a real browser: Playwright driving Debian's Chromium (never a downloaded one).

The page loads and shows ``mcrisk run``'s P(loss); moving a slider shows the P(loss) that
``mcrisk run --set`` gives for the slider's value; saving writes a study file that ``mcrisk run``
(the command, in a process of its own) reproduces. Skipped, with the reason, where Playwright or
Chromium is missing; CI (``CI`` set) has both (``.ci/run`` installs chromium, the test extra
Playwright), so there a missing one fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_serve import MAIN, ROOT, _run_summary, serving

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium")) if p and os.path.exists(p)), None)
N = 1024


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install '.[test]')"
    if CHROMIUM is None:
        return "chromium is not installed (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser():
    if (why := _missing()) is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {why}: .ci/run installs chromium and the test extra playwright")
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("repo")
    (root / "studies").mkdir()
    shutil.copy(ROOT / "studies" / f"{MAIN}.toml", root / "studies")
    (root / "priors").symlink_to(ROOT / "priors")
    with serving(root / "studies" / f"{MAIN}.toml", samples=N) as server:
        yield server


@pytest.fixture
def page(browser, served):
    # the page's own Content-Security-Policy holds (a violation is a console error): the tests wait on
    # selectors, never on script text, which the policy forbids
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.goto(served.url)
    pg.wait_for_selector("body[data-rendered='1']", timeout=60_000)
    yield pg
    context.close()
    assert errors == []


def _shown(pg, seq: int) -> float:
    pg.wait_for_selector(f"body[data-rendered='{seq}']", timeout=60_000)
    return float(pg.get_attribute("#p_loss", "data-value"))


def test_the_page_loads_with_mcrisk_runs_numbers(page, served):
    want = _run_summary(served.whatif.study.path, {}, samples=N)
    assert _shown(page, 1) == want["p_loss"]
    assert page.inner_text("#p_loss") == f"{100 * want['p_loss']:.1f}%"
    assert page.inner_text("h1") == served.whatif.study.title
    assert page.locator("#hist rect").count() == 60
    assert page.locator("#tornado rect").count() == 2 * len(served.whatif.study.priors.uncertain)


def test_moving_a_slider_shows_the_p_loss_of_mcrisk_run_set(page, served):
    page.check("#hold-decode_tps_per_node")
    held = float(page.input_value("#value-decode_tps_per_node"))
    assert _shown(page, 2) == _run_summary(served.whatif.study.path, {"decode_tps_per_node": held}, samples=N)["p_loss"]
    slider = page.locator("#value-decode_tps_per_node")
    slider.focus()
    for _ in range(60):  # 60 steps of 1/400 of the P1-P99 range: far enough to move P(loss)
        page.keyboard.press("ArrowRight")
    moved = float(page.input_value("#value-decode_tps_per_node"))
    assert moved > held
    # 1 load + 1 hold + 60 moves: the page shows change 62 once the last request has answered
    page.wait_for_selector("body[data-rendered='62']", timeout=60_000)
    got = float(page.get_attribute("#p_loss", "data-value"))
    want = _run_summary(served.whatif.study.path, {"decode_tps_per_node": moved}, samples=N)["p_loss"]
    assert got == want
    assert got < _run_summary(served.whatif.study.path, {"decode_tps_per_node": held}, samples=N)["p_loss"]


def test_saving_writes_a_study_that_mcrisk_run_reproduces(page, served, tmp_path):
    page.check("#hold-gpu_hour_price")
    _shown(page, 2)
    page.fill("#spread-paid_share", "0.5")  # a range input: fill sets the value and fires input
    shown = _shown(page, 3)
    page.click("#save")
    page.wait_for_selector("#saved[data-file]", timeout=60_000)
    path = Path(page.get_attribute("#saved", "data-file"))
    assert path.parent == served.whatif.study.path.parent and path.name.startswith(f"{MAIN}-whatif-")
    assert "spread = 0.5" in path.read_text()
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "mcrisk.cli", "run", str(path), "--out", str(out), "--quiet",
                           "--formats", "svg"], check=False, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    row = pd.read_csv(out / "summary.csv", index_col="output").loc["profit_per_day"]
    assert row["p_below_zero"] == float(f"{shown:.10g}")  # summary.csv keeps 10 significant digits
    assert _run_summary(path, {})["p_loss"] == shown  # and the library's run, bit for bit
