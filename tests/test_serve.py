"""``mcrisk serve``'s API: the numbers of ``mcrisk run --set``, bit for bit, and a server locked to this machine.

Every request goes to 127.0.0.1 (or, in the one test of the bound address, to this machine's own
non-loopback address, which must refuse). The studies are copies in ``tmp_path`` (with the
repository's ``priors/`` beside them), so that a saved study lands there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from SALib.analyze.delta import sobol_first

from mcrisk import SpecError, run_study
from mcrisk.analyze.sensitivity import sensitivity
from mcrisk.spec.studyfile import ANALYSES, load_study
from mcrisk.study.saved import saved_study
from mcrisk.study.serve import HOST, make_server
from mcrisk.study.whatif import Change, WhatIf, _classes, first_order, parse_change

ROOT = Path(__file__).resolve().parent.parent
MAIN, DEEPSEEK = "third_party_provider", "deepseek_uncertain"
N = 2048  # a power of 2: the Sobol' design keeps its balance (no warning)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """``studies/`` with the two studies and ``priors/`` beside it, as in the repository."""
    root = tmp_path_factory.mktemp("repo")
    (root / "studies").mkdir()
    for name in (MAIN, DEEPSEEK):
        shutil.copy(ROOT / "studies" / f"{name}.toml", root / "studies")
    (root / "priors").symlink_to(ROOT / "priors")
    return root / "studies"


@contextlib.contextmanager
def serving(path: Path, **options):
    """A server for the study on a free port, in a thread; shut down after."""
    server = make_server(WhatIf(path, **options), 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.fixture(scope="module")
def main_server(folder):
    with serving(folder / f"{MAIN}.toml", samples=N) as server:
        yield server


def request(server, method: str, target: str, *, host: str | None = None, headers: dict | None = None):
    """``(status, JSON body)`` of one request to the server (its own Host unless ``host``)."""
    conn = http.client.HTTPConnection(HOST, server.port, timeout=60)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host if host is not None else f"{HOST}:{server.port}")
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        answer = conn.getresponse()
        body = answer.read()
        kind = answer.getheader("Content-Type", "")
        return answer.status, json.loads(body) if kind.startswith("application/json") else body.decode()
    finally:
        conn.close()


def _run_summary(path: Path, settings: dict, **options) -> dict:
    """``mcrisk run``'s summary of the study with ``--set`` ``settings``; its tables, which do not touch the
    summary, left out to keep the test quick."""
    study = dataclasses.replace(load_study(path), **{k: None for k in ANALYSES})
    row = run_study(study, settings=settings, write=False, **options).summary.sel(output="profit_per_day")
    return {"p_loss": float(row.p_below_zero), "p_loss_se": float(row.se_p_below_zero), "mean": float(row["mean"]),
            "p05": float(row.p05), "p50": float(row.p50), "p95": float(row.p95)}


CASES = [  # study, design, settings: an uncertain input held, a constant changed, the [solve] lever, two at once
    (MAIN, "lhs", {}),
    (MAIN, "lhs", {"gpu_hour_price": 15.5}),
    (MAIN, "random", {"cache_hit_share": 0.3}),
    (MAIN, "sobol", {"price_output": 40.0}),
    (MAIN, "sobol", {"paid_share": 0.75, "decode_tps_per_node": 5000.0}),
    (DEEPSEEK, "random", {"decode_tps_per_node": 9000.0}),  # one of a correlated pair
    (DEEPSEEK, "lhs", {"gpu_hour_price": 2.5, "price_cut": 0.1}),
]


@pytest.mark.filterwarnings("ignore:--set price_output:mcrisk.core.errors.MCRiskWarning")  # the [solve] lever
@pytest.mark.parametrize(("study", "design", "settings"), CASES,
                         ids=[f"{s}-{d}-{'+'.join(v) or 'none'}" for s, d, v in CASES])
def test_summary_is_mcrisk_run_set_bit_for_bit(folder, study, design, settings):
    path = folder / f"{study}.toml"
    with serving(path, samples=N, method=design) as server:
        query = "&".join(f"set={k}:{v!r}" for k, v in settings.items())
        status, got = request(server, "GET", f"/api/summary?{query}")
        status_again, again = request(server, "GET", f"/api/summary?{query}")  # the kept design: the same
    assert status == status_again == 200, got
    want = _run_summary(path, settings, samples=N, method=design)
    assert {k: got[k] for k in want} == want  # exactly: the same design, evaluation and statistics
    assert again == got
    seed = load_study(path).seed
    assert (got["samples"], got["seed"], got["method"]) == (N, seed, design)


def test_the_command_line_prints_what_the_api_gives(main_server, tmp_path):
    """``mcrisk run --set`` (a process of its own) writes the API's numbers into summary.csv."""
    status, got = request(main_server, "GET", "/api/summary?set=gpu_hour_price:14.25")
    assert status == 200
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "mcrisk.cli", "run", str(main_server.whatif.study.path), "--set",
                           "gpu_hour_price=14.25", "--samples", str(N), "--out", str(out), "--quiet",
                           "--formats", "svg"], check=False, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    import pandas as pd

    row = pd.read_csv(out / "summary.csv", index_col="output").loc["profit_per_day"]
    for key, column in (("p_loss", "p_below_zero"), ("mean", "mean"), ("p05", "p05"), ("p50", "p50"), ("p95", "p95"),
                        ("p_loss_se", "se_p_below_zero")):
        assert row[column] == float(f"{got[key]:.10g}"), key  # summary.csv keeps 10 significant digits


def test_a_held_slider_moves_on_the_same_samples(main_server):
    """Holding an input at three values: the other inputs are the same draws, so the change is the lever's alone.

    Cost is linear in the rent and revenue does not depend on it, so with common random numbers
    profit(13) - profit(14) equals profit(14) - profit(15) in every sample (to rounding); on fresh
    draws the two differences would differ by the spread of profit itself.
    """
    whatif = main_server.whatif
    profit = [whatif.results(Change((("gpu_hour_price", v),)))[1]["profit_per_day"].values for v in (13.0, 14.0, 15.0)]
    step = profit[0] - profit[1]
    assert np.all(step > 0)
    np.testing.assert_allclose(profit[1] - profit[2], step, rtol=1e-9)


@pytest.mark.parametrize(("host", "why"), [("evil.example:{port}", "a foreign name (DNS rebinding)"),
                                           ("127.0.0.1:1", "another port"), ("", "no host"),
                                           ("127.0.0.1", "no port"), ("10.0.0.1:{port}", "another address")])
def test_a_foreign_host_is_refused(main_server, host, why):
    status, body = request(main_server, "GET", "/api/summary", host=host.format(port=main_server.port))
    assert status == 403, why
    assert body == {"error": f"this server answers only its own address {main_server.url}"}


def test_localhost_by_name_is_its_own_address(main_server):
    assert request(main_server, "GET", "/api/study", host=f"localhost:{main_server.port}")[0] == 200


@pytest.mark.parametrize("path", ["/../pyproject.toml", "/%2e%2e/pyproject.toml", "/..%2fpyproject.toml",
                                  "/app.js/../../studies/third_party_provider.toml", "/web/app.js", "/index.html",
                                  "/api", "/api/nothing", "/etc/passwd", "//etc/passwd"])
def test_dot_dot_and_unknown_paths_are_404(main_server, path):
    status, body = request(main_server, "GET", path)
    assert status == 404
    assert body["error"].startswith("no such page: ")


def test_the_page_and_its_script_are_served(main_server):
    status, page = request(main_server, "GET", "/")
    assert status == 200 and f'content="{main_server.token}"' in page and '<script src="/app.js">' in page
    status, script = request(main_server, "GET", "/app.js")
    assert status == 200 and "X-Mcrisk-Token" in script


@pytest.mark.parametrize("headers", [{}, {"X-Mcrisk-Token": "guess"}, {"X-Mcrisk-Token": ""}],
                         ids=["none", "wrong", "empty"])
def test_a_save_without_the_token_is_refused(main_server, headers):
    before = sorted(main_server.whatif.study.path.parent.iterdir())
    status, body = request(main_server, "POST", "/api/save?set=gpu_hour_price:15", headers=headers)
    assert status == 403 and body == {"error": "a change to files needs the page's session token"}
    assert sorted(main_server.whatif.study.path.parent.iterdir()) == before  # nothing written
    assert request(main_server, "POST", "/api/sobol", headers=headers)[0] == 403


BAD = [  # query, the one-line reason
    ("set=gpu_hour_price", "set='gpu_hour_price' must be NAME:VALUE with a finite number, e.g. set=gpu_hour_price:2.5"),
    ("set=gpu_hour_price:abc", ("set='gpu_hour_price:abc' must be NAME:VALUE with a finite number, e.g. "
                               "set=gpu_hour_price:2.5")),
    ("set=gpu_hour_price:nan", ("set='gpu_hour_price:nan' must be NAME:VALUE with a finite number, e.g. "
                               "set=gpu_hour_price:2.5")),
    ("set=:3", "set=':3' must be NAME:VALUE with a finite number, e.g. set=gpu_hour_price:2.5"),
    ("spread=paid_share", ("spread='paid_share' must be NAME:VALUE with a finite number, e.g. "
                          "spread=gpu_hour_price:1.5")),
    ("colour=red", "'colour' is not a parameter; parameters: set=NAME:VALUE, spread=NAME:FACTOR"),
    ("set=paid_share:0.9&set=paid_share:0.8", ("set=paid_share:0.8: paid_share is named twice; hold an input at a "
                                              "value or scale its spread, once")),
    ("set=paid_share:2", ("set paid_share=2.0: value 2 lies outside the domain of paid_share, [0, 1]; a share is a "
                         "fraction (0.5 for 50%), or give unit = \"%\"")),
    ("spread=paid_share:0", "spread=paid_share:0: spread = 0.0 must be > 0 (1 keeps the spread as it is)"),
    ("spread=cache_hit_share:2", ("spread=cache_hit_share:2: not an uncertain input of the study; uncertain: "
                                 "prefill_tps_per_node, decode_tps_per_node, gpu_hour_price, peak_to_avg, headroom, "
                                 "offpeak_reuse, overhead_share, paid_share, price_cut")),
    ("spread=paid_share:3", ("spread=paid_share:3: uniform(low=0.5, high=1) spread 3 ranges over [0, 1.5], outside "
                            "the domain of paid_share, [0, 1]; a share is a fraction (0.5 for 50%), or give unit = \"%\"")),
]


@pytest.mark.parametrize(("query", "reason"), BAD, ids=[q for q, _ in BAD])
def test_a_malformed_setting_is_400_with_its_reason(main_server, query, reason):
    for address in ("/api/summary", "/api/view"):
        status, body = request(main_server, "GET", f"{address}?{query}")
        assert (status, body) == (400, {"error": reason})


def test_an_unknown_input_is_400_naming_the_inputs(main_server):
    status, body = request(main_server, "GET", "/api/summary?set=nope:1")
    assert status == 400
    assert body["error"].startswith("set nope=1.0: not an input of the study; inputs: output_tokens, ")


def test_a_value_gets_the_checks_of_set(main_server):
    """The page's values pass the checks ``--set`` makes: the same message, but for the flag's name."""
    with pytest.raises(SpecError) as err:
        run_study(main_server.whatif.study.path, settings={"paid_share": 2.0}, samples=N, write=False)
    status, body = request(main_server, "GET", "/api/summary?set=paid_share:2")
    assert status == 400 and body["error"] == str(err.value).replace("--set ", "set ", 1)


def _own_address() -> str | None:
    """This machine's address on its default route, if it has one (a UDP connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed; only picks the interface
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_it_listens_on_loopback_only(main_server):
    assert main_server.server_address[0] == "127.0.0.1"
    address = _own_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to try")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, main_server.port), timeout=5).close()


def test_a_port_in_use_is_one_line(main_server):
    with pytest.raises(SpecError, match=rf"^serve: cannot listen on 127\.0\.0\.1:{main_server.port} \(.*\); "
                                        r"--port 0 picks a free port$"):
        make_server(main_server.whatif, main_server.port)


def test_save_writes_a_study_that_mcrisk_run_reproduces(main_server):
    query = "set=gpu_hour_price:15.25&set=price_output:30&spread=paid_share:0.5&spread=decode_tps_per_node:1.25"
    token = {"X-Mcrisk-Token": main_server.token}
    status, page = request(main_server, "GET", f"/api/summary?{query}")
    status_save, saved = request(main_server, "POST", f"/api/save?{query}", headers=token)
    assert status == status_save == 200, saved
    path = Path(saved["path"])
    assert path.parent == main_server.whatif.study.path.parent and path.name == f"{MAIN}-whatif-1.toml"
    run = _run_summary(path, {})
    assert run == {k: page[k] for k in run}
    status, again = request(main_server, "POST", f"/api/save?{query}", headers=token)
    assert Path(again["path"]).name == f"{MAIN}-whatif-2.toml"  # never over a file
    assert path.read_text().count("spread = ") == 2


def test_a_saved_study_drops_the_correlation_of_a_held_input(folder):
    whatif = WhatIf(folder / f"{DEEPSEEK}.toml", samples=64)
    data = saved_study(whatif, Change((("prefill_tps_per_node", 50000.0),)))
    assert "correlation" not in data
    assert data["inputs"]["prefill_tps_per_node"]["value"] == 50000.0


def test_a_held_input_the_value_of_information_names_leaves_it_and_the_saved_study_runs(folder, tmp_path):
    """launch_benchmark_evsi: decode throughput is in a group, lever_inputs, the EVSI study and [plots]
    scatter. Held, it leaves each (its value of information with --set is 0); the group left with one
    input goes (that input's own EVPPI is there already); the saved file runs every table."""
    (tmp_path / "studies").mkdir()
    (tmp_path / "priors").symlink_to(ROOT / "priors")
    path = tmp_path / "studies" / "launch.toml"
    text = (ROOT / "studies" / "launch_benchmark_evsi.toml").read_text()
    path.write_text(text + '\n[plots]\nscatter = ["decode_tps_per_node", "paid_share"]\n')
    whatif = WhatIf(path, samples=256)
    data = saved_study(whatif, Change((("decode_tps_per_node", 14000.0),)))
    voi = data["value_of_information"]
    assert "groups" not in voi and "lever_inputs" not in voi and "studies" not in voi
    assert voi["lever"] == "price_output" and data["plots"]["scatter"] == ["paid_share"]
    from mcrisk.study.saved import save_study

    saved, _ = save_study(whatif, Change((("decode_tps_per_node", 14000.0),)))
    run = run_study(saved, write=False, samples=256, quiet=True)
    assert run.tables["value_of_information"] is not None and "voi_lever" in run.tables


def test_held_inputs_leave_groups_rows_and_scatter_and_what_is_left_the_same_goes():
    from mcrisk.study.saved import _drop_held

    data = {"value_of_information": {"groups": [["a", "b", "c"], ["a", "b", "d"], ["c", "e"]],
                                     "lever_inputs": ["c", ["a", "d"], "a"], "output": "y"},
            "plots": {"scatter": ["c"], "bins": 40}}
    _drop_held(data, {"c", "d"})
    # [a, b] once (both groups come to it), [c, e] gone (one input left); ["a"] and "a" are one row
    assert data == {"value_of_information": {"groups": [["a", "b"]], "lever_inputs": [["a"]], "output": "y"},
                    "plots": {"bins": 40}}


def test_first_order_is_salibs_delta_estimate():
    """The page's attribution is SALib's delta analyzer's first-order estimate (its classes), for every input."""
    rng = np.random.default_rng(5)
    x = rng.random((3, 5000))
    y = np.sin(6 * x[0]) + x[1] ** 2 + 0.1 * rng.standard_normal(5000)
    parts = [_classes(v) for v in x]
    got = first_order(np.stack([c for c, _ in parts]), np.stack([k for _, k in parts]), y)
    n = y.size
    exp = 2.0 / (7.0 + np.tanh((1500.0 - n) / 500.0))
    m = np.linspace(0, n, int(np.round(min(int(np.ceil(n**exp)), 48))) + 1)
    want = [sobol_first(y, v, m) for v in x]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_the_view_draws_from_the_same_samples(main_server):
    view = main_server.whatif.view(Change((("gpu_hour_price", 15.0),)))
    assert sum(view["histogram"]["counts"]) == N
    assert "gpu_hour_price" not in [r["input"] for r in view["tornado"]["rows"]]  # held: no longer uncertain
    assert {r["input"] for r in view["attribution"]} == set(main_server.whatif.study.priors.uncertain) - {"gpu_hour_price"}
    run = run_study(main_server.whatif.study.path, samples=N, settings={"gpu_hour_price": 15.0}, write=False)
    tab = run.tables["tornado"]
    assert [r["input"] for r in view["tornado"]["rows"]] == list(tab.input.values)
    assert [r["output_low"] for r in view["tornado"]["rows"]] == tab.output_low.values.tolist()


def test_full_sobol_on_request_is_the_sensitivity_of_the_changed_study(main_server):
    token = {"X-Mcrisk-Token": main_server.token}
    status, started = request(main_server, "POST", "/api/sobol?set=gpu_hour_price:15", headers=token)
    assert status == 200 and started["state"] in ("running", "done") and started["model_runs"] == 4096 * 10
    deadline = time.monotonic() + 300
    while (state := request(main_server, "GET", "/api/sobol")[1])["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert state["state"] == "done", state
    study = main_server.whatif.changed(Change((("gpu_hour_price", 15.0),)))
    want = sensitivity(study.model, study.priors, output="profit_per_day", method="sobol", n=4096, rng=study.seed,
                       num_resamples=30)
    got = {r["input"]: r["ST"] for r in state["result"]["rows"]}
    assert got == {str(k): float(v) for k, v in zip(want.input.values, want.ST.values, strict=True)}


def test_parse_change_reads_repeated_pairs():
    change = parse_change({"set": ["a:1", "b: 2.5e3"], "spread": ["c:0.5"]})
    assert change == Change((("a", 1.0), ("b", 2500.0)), (("c", 0.5),))


def test_ctrl_c_stops_the_command_cleanly(folder):
    """``mcrisk serve --port 0`` prints the port it picked; SIGINT ends it with status 0 and no traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "mcrisk.cli", "serve", str(folder / f"{MAIN}.toml"), "--port", "0",
                             "--samples", "256"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[2].startswith("open http://127.0.0.1:"), lines
        port = int(lines[2].split(":")[2].split("/")[0])
        assert port > 0
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        conn.request("GET", "/api/summary?set=gpu_hour_price:15")
        assert json.loads(conn.getresponse().read())["samples"] == 256
        conn.close()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (proc.returncode, out, err) == (0, "stopped\n", "")


def test_what_serve_cannot_honour_is_refused_in_one_line(folder, tmp_path):
    path = folder / f"{MAIN}.toml"
    with pytest.raises(SpecError, match=r"^serve: --workers = 2 is not an option of serve; options: samples, seed, "
                                        r"method, on_nonfinite, strict, quiet$"):
        WhatIf(path, workers=2)
    with pytest.raises(SpecError, match=r"^serve: samples = 2,097,153 is more than a run holds in memory \(2,097,152\); "
                                        r"the page keeps every sample$"):
        WhatIf(path, samples=2**21 + 1)
    precise = tmp_path / "precise.toml"
    precise.write_text(path.read_text().replace('method = "lhs"', 'method = "lhs"\nprecision = "p_loss:0.01"')
                       .replace("../priors/", f"{folder.parent}/priors/"))
    with pytest.raises(SpecError, match=rf"^{precise}: precision = \.\.\. adds samples until a target is met; serve "
                                        r"keeps a fixed design: give --samples N \(and `mcrisk run --samples N` "
                                        r"reproduces the page\)$"):
        WhatIf(precise)


@pytest.mark.parametrize(("port", "message"), [("70000", "--port = 70000 must be 0 (a free port) to 65535"),
                                               ("http", "'http' is not a port number")])
def test_a_bad_port_is_a_usage_error(folder, capsys, port, message):
    from mcrisk.cli.main import main

    with pytest.raises(SystemExit) as done:
        main(["serve", str(folder / f"{MAIN}.toml"), "--port", port])
    assert done.value.code == 2
    assert capsys.readouterr().err == f"error: mcrisk serve: argument --port: {message}\n"


@pytest.mark.filterwarnings("ignore:unit converted:mcrisk.core.errors.MCRiskWarning")
@pytest.mark.parametrize("design", ["random", "lhs", "sobol"])
def test_a_spread_of_a_converted_unit_is_what_its_study_file_runs(folder, tmp_path, design):
    """A prior in another unit (CNY per 1K tokens for a per-1M input: draws times 1,000) with its spread
    scaled on the page: the saved study's ``mcrisk run``, bit for bit; the spread leaves the median alone."""
    text = (folder / f"{MAIN}.toml").read_text().replace("../priors/", f"{folder.parent}/priors/")
    path = tmp_path / "converted.toml"
    path.write_text(text.replace("[solve]", '[inputs.price_output]\ndist = "uniform"\nlow = 0.016\nhigh = 0.048\n'
                                 'unit = "CNY/1K tokens"\n\n[solve]', 1))
    whatif = WhatIf(path, samples=1024, method=design)
    assert whatif.study.priors["price_output"].scale == 1000.0
    change = Change((("gpu_hour_price", 14.0),), (("price_output", 1.5),))
    from mcrisk.study.saved import save_study

    saved, page = save_study(whatif, change)
    assert _run_summary(saved, {}) == {k: page[k] for k in ("p_loss", "p_loss_se", "mean", "p05", "p50", "p95")}
    plain = whatif.results(Change((("gpu_hour_price", 14.0),)))[0].priors["price_output"]
    wide = whatif.results(change)[0].priors["price_output"]
    assert wide.base_value == plain.base_value == pytest.approx(32.0, rel=1e-15)  # the median: CNY 0.032 per 1K = 32 per 1M
