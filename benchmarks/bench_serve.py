"""Time from a change on ``mcrisk serve``'s page to the screen showing it, in headless Chromium.

For each sample count, ``mcrisk serve STUDY --port 0 --samples N`` runs in a process of its own
(as a user runs it) and Playwright drives the page in Debian's Chromium. After the first view and
one input held (which draws that design once), the script makes ``--changes`` changes one after
another, each waiting for the screen: two in three move the held input's slider (the common case,
a drag: the model evaluated again on the kept samples), one in three scales another input's spread
(its draws mapped again). The page times each change itself, from the input event to the first
task after the frame that shows the new numbers, histogram, tornado and attribution is painted
(``window.mcrisk.times``). Printed: p50, p95 and max in ms per kind of change and for all, with
the processor line and the load average (the machine is shared).

Run: ``python benchmarks/bench_serve.py [--samples 20000,100000] [--changes 45]``. Needs
Playwright (the test extra) and Debian's chromium (``apt-get install chromium``); ``--screenshot
PATH`` also saves a PNG of the page after the changes (docs/serve.png is one).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
from machine import cpu_line

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "studies" / "third_party_provider.toml"
HELD, SPREAD = "decode_tps_per_node", "paid_share"
CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium")) if p and os.path.exists(p)), None)


def _serve(samples: int) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "mcrisk.cli", "serve", str(STUDY), "--port", "0",
                             "--samples", str(samples)], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    for _ in range(3):
        line = proc.stdout.readline()
    return proc, line.split()[1]


def _change(page, selector: str, value: float, seq: int) -> None:
    page.evaluate("([s, v]) => { const e = document.querySelector(s); e.value = String(v);"
                  " e.dispatchEvent(new Event('input', {bubbles: true})); }", [selector, value])
    page.wait_for_selector(f"body[data-rendered='{seq}']", timeout=120_000)


def measure(browser, samples: int, changes: int, screenshot: Path | None) -> dict[str, list[float]]:
    proc, url = _serve(samples)
    try:
        context = browser.new_context(viewport={"width": 1600, "height": 1000}, bypass_csp=True)
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("body[data-rendered='1']", timeout=120_000)
        page.check(f"#hold-{HELD}")
        page.wait_for_selector("body[data-rendered='2']", timeout=120_000)
        lo = float(page.get_attribute(f"#value-{HELD}", "min"))
        hi = float(page.get_attribute(f"#value-{HELD}", "max"))
        kinds, seq = [], 2
        for i in range(changes):
            seq += 1
            if i % 3 == 2:
                _change(page, f"#spread-{SPREAD}", [0.5, 0.75, 1.25, 1.5][i % 4], seq)
                kinds.append("spread")
            else:
                _change(page, f"#value-{HELD}", lo + (hi - lo) * ((i * 0.37) % 1.0), seq)
                kinds.append("held slider")
        times = page.evaluate("window.mcrisk.times")[2:]  # the load and the first hold are not changes
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=False)
        context.close()
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: the server stops cleanly
        proc.wait(30)
    out: dict[str, list[float]] = {}
    for kind, t in zip(kinds, times, strict=True):
        out.setdefault(kind, []).append(t)
    out["all"] = times
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", default="20000,100000")
    ap.add_argument("--changes", type=int, default=45)
    ap.add_argument("--screenshot", type=Path)
    args = ap.parse_args()
    if CHROMIUM is None:
        sys.exit("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    print(cpu_line())
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for n in (int(s) for s in args.samples.split(",")):
            load = os.getloadavg()[0]
            shot = args.screenshot if n == int(args.samples.split(",")[0]) else None
            for kind, t in measure(browser, n, args.changes, shot).items():
                rows.append((n, kind, len(t), *np.percentile(t, [50, 95]), max(t), load))
        browser.close()
    print("\n| samples | change | changes | p50 (ms) | p95 (ms) | max (ms) | load average |")
    print("|---|---|---|---|---|---|---|")
    for n, kind, k, p50, p95, top, load in rows:
        print(f"| {n:,} | {kind} | {k} | {p50:.0f} | {p95:.0f} | {top:.0f} | {load:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
