"""``mcrisk serve``: a study's what-if page on this machine only, on the standard library's HTTP server.

The page (``web/index.html`` and ``web/app.js``, package data) and a JSON API over a
:class:`~mcrisk.study.whatif.WhatIf`:

===============================  ==================================================================
``GET /``, ``GET /app.js``       the page and its script; nothing else is served from disk
``GET /api/study``               the controls, labels, units and colours (:func:`page_data`)
``GET /api/summary?set=N:V&...`` ``p_loss``, ``p_loss_se``, ``mean``, ``p05``, ``p50``, ``p95``,
                                 ``samples``, ``seed``, ``method``: ``mcrisk run --set N=V``'s numbers
``GET /api/view?...``            the summary, a histogram, the tornado, the first-order attribution
``POST /api/save?...``           the settings as a new study file beside the original (token)
``POST /api/sobol?...``          full Sobol' indices, in the background (token);
``GET /api/sobol``               its state, elapsed and expected seconds, and its result
===============================  ==================================================================

``set=NAME:VALUE`` holds an input (or a constant, or a lever) at a value; ``spread=NAME:K`` scales
an uncertain input's spread about its median by ``K``; both repeat.

Locked to this machine: it binds 127.0.0.1 only; a request whose ``Host`` is not its own
loopback address and port is refused (403), so a web page elsewhere cannot reach it by DNS
rebinding; any path but those above is 404 (``..`` included: no file is served by path); a
``POST`` needs the per-session token that only the page holds (403 without it); a bad parameter
is a 400 whose body is one line, ``{"error": "..."}``, and never a traceback.
"""

from __future__ import annotations

import hmac
import json
import math
import secrets
import threading
import time
import warnings
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mcrisk.analyze.sensitivity import sensitivity
from mcrisk.core.errors import SpecError, clip
from mcrisk.core.labels import label_of
from mcrisk.core.warned import guarded_warnings
from mcrisk.study.pagedata import page_data
from mcrisk.study.saved import save_study
from mcrisk.study.whatif import Change, WhatIf, parse_change

__all__ = ["HOST", "WhatIfServer", "make_server", "serve_study"]

#: The one address the server binds.
HOST = "127.0.0.1"
_PAGES = {"/": ("index.html", "text/html; charset=utf-8"), "/app.js": ("app.js", "text/javascript; charset=utf-8")}
_SECURITY = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
             "X-Frame-Options": "DENY"}
_CSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:"


class WhatIfServer(ThreadingHTTPServer):
    """The HTTP server of one :class:`WhatIf`, bound to :data:`HOST`, with its session token."""

    daemon_threads = True  # Ctrl-C does not wait for an open connection

    def __init__(self, whatif: WhatIf, port: int = 0) -> None:
        self.whatif = whatif
        self.token = secrets.token_urlsafe(32)
        self.sobol = _SobolJob(whatif)
        try:
            super().__init__((HOST, port), _Handler)
        except OSError as err:
            raise SpecError(f"serve: cannot listen on {HOST}:{port} ({err.strerror or err}); --port 0 picks a "
                            "free port") from None
        self.hosts = {f"{HOST}:{self.port}", f"localhost:{self.port}"}

    @property
    def port(self) -> int:
        """The port listened on (the one picked, after ``port=0``)."""
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        """The page's address."""
        return f"http://{HOST}:{self.port}/"


def make_server(whatif: WhatIf, port: int = 0) -> WhatIfServer:
    """A :class:`WhatIfServer` for ``whatif`` on ``port`` of 127.0.0.1 (0: a free port); not yet serving.

    Raises
    ------
    SpecError
        When the port cannot be listened on (in use, or not allowed).
    """
    return WhatIfServer(whatif, port)


class _SobolJob:
    """Full Sobol' indices of the output under a change, one run at a time, on a thread of its own."""

    def __init__(self, whatif: WhatIf) -> None:
        self.whatif, self.lock = whatif, threading.Lock()
        self.state: dict[str, Any] = {"state": "idle"}

    def start(self, change: Change) -> dict[str, Any]:
        study, _ = self.whatif.study_of(change)  # a bad change is a 400 now, not a failed job later
        if not study.priors.uncertain:
            raise SpecError("sobol: every input is held or constant; nothing to attribute")
        cfg = study.sensitivity
        n = cfg.samples if cfg is not None and cfg.method == "sobol" else 1024
        runs = (1 << max(0, (int(n) - 1).bit_length())) * (len(study.priors.uncertain) + 2)
        seconds = runs * self.whatif.seconds_per_sample * 1.5 + 0.5  # the analysis and its bootstrap on top
        with self.lock:
            if self.state["state"] == "running":
                raise SpecError("sobol: a run is already under way; wait for it")
            self.state = {"state": "running", "started": time.monotonic(), "expected": seconds, "model_runs": runs}
        threading.Thread(target=self._run, args=(study, n, cfg), daemon=True, name="mcrisk-sobol").start()
        return self.status()

    def _run(self, study, n: int, cfg) -> None:
        try:
            with self.whatif.lock, guarded_warnings(record=True) as caught:
                warnings.simplefilter("always")  # notes for the page, not errors
                ds = sensitivity(study.model, study.priors, output=study.output, method="sobol", n=n,
                                 rng=study.seed, num_resamples=cfg.num_resamples if cfg is not None else 100)
            label = lambda k: label_of(k, model=study.model, priors=study.priors)
            rows = [{"input": str(k), "label": label(str(k)), **{v: _num(ds[v].values[i]) for v in
                                                                    ("S1", "S1_conf", "ST", "ST_conf")}}
                    for i, k in enumerate(ds.input.values)]
            result = {"rows": sorted(rows, key=lambda r: -r["ST"]), "samples": int(ds.attrs["samples"]),
                      "model_runs": int(ds.attrs["model_runs"]), "notes": [str(w.message) for w in caught]}
            done = {"state": "done", "result": result}
        except Exception as err:  # noqa: BLE001 -- a failed job is a message on the page, not a dead thread
            done = {"state": "error", "error": clip(" ".join(str(err).split())) or type(err).__name__}
        with self.lock:
            self.state = {**self.state, **done, "elapsed": time.monotonic() - self.state["started"]}

    def status(self) -> dict[str, Any]:
        with self.lock:
            state = dict(self.state)
        if state["state"] == "running":
            state["elapsed"] = time.monotonic() - state["started"]
        state.pop("started", None)
        return state


def _num(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


class _Handler(BaseHTTPRequestHandler):
    server: WhatIfServer
    protocol_version = "HTTP/1.1"  # keep-alive: the page's next request reuses the connection (every answer has a length)
    server_version = "mcrisk"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # http.server's own signature
        pass  # the page's requests are not news; errors reach the page

    def do_GET(self) -> None:  # http.server's names
        self._answer("GET")

    def do_POST(self) -> None:
        self.close_connection = True  # a body the API does not read must not be taken for the next request
        self._answer("POST")

    def _answer(self, method: str) -> None:
        if self.headers.get("Host", "") not in self.server.hosts:
            return self._send(HTTPStatus.FORBIDDEN, {"error": "this server answers only its own address "
                                                              f"{self.server.url}"})
        url = urlsplit(self.path)
        route = _ROUTES.get((method, url.path))
        if route is None:
            if method == "GET" and url.path in _PAGES:
                return self._page(url.path)
            return self._send(HTTPStatus.NOT_FOUND, {"error": f"no such page: {clip(url.path)}"})
        try:
            query = parse_qs(url.query, keep_blank_values=True, max_num_fields=200)
            if method == "POST" and not hmac.compare_digest(self.headers.get("X-Mcrisk-Token", ""), self.server.token):
                return self._send(HTTPStatus.FORBIDDEN, {"error": "a change to files needs the page's session token"})
            return self._send(HTTPStatus.OK, route(self.server, query))
        except SpecError as err:
            return self._send(HTTPStatus.BAD_REQUEST, {"error": " ".join(str(err).split())})
        except ValueError as err:  # parse_qs: too many fields
            return self._send(HTTPStatus.BAD_REQUEST, {"error": clip(" ".join(str(err).split()))})
        except Exception as err:  # noqa: BLE001 -- one line, never a traceback
            return self._send(HTTPStatus.INTERNAL_SERVER_ERROR,
                              {"error": f"internal error: {type(err).__name__}: {clip(' '.join(str(err).split()))}"})

    def _page(self, path: str) -> None:
        name, kind = _PAGES[path]
        body = (resources.files("mcrisk.study") / "web" / name).read_text(encoding="utf-8")
        if name == "index.html":
            body = body.replace("{{TOKEN}}", self.server.token)
        self._send(HTTPStatus.OK, body.encode("utf-8"), kind)

    def _send(self, status: HTTPStatus, body: Any, kind: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, allow_nan=False, default=str).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for k, v in {**_SECURITY, **({"Content-Security-Policy": _CSP} if kind.startswith("text/html") else {})}.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def _finite(obj: Any) -> Any:
    """``obj`` with every non-finite float as None (JSON has no NaN)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def _no_query(query: dict) -> None:
    if query:
        raise SpecError(f"{clip(next(iter(query)))} is not a parameter here; this address takes none")


def _study(server: WhatIfServer, query: dict) -> dict:
    _no_query(query)
    return _finite(page_data(server.whatif))


def _save(server: WhatIfServer, query: dict) -> dict:
    path, summary = save_study(server.whatif, parse_change(query))
    return _finite({"file": path.name, "path": str(path), "command": f"mcrisk run {_shown(path)}", "summary": summary})


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _sobol_status(server: WhatIfServer, query: dict) -> dict:
    _no_query(query)
    return _finite(server.sobol.status())


_ROUTES: dict[tuple[str, str], Callable[[WhatIfServer, dict], dict]] = {
    ("GET", "/api/study"): _study,
    ("GET", "/api/summary"): lambda s, q: _finite(s.whatif.summary(parse_change(q))),
    ("GET", "/api/view"): lambda s, q: _finite(s.whatif.view(parse_change(q))),
    ("POST", "/api/save"): _save,
    ("POST", "/api/sobol"): lambda s, q: _finite(s.sobol.start(parse_change(q))),
    ("GET", "/api/sobol"): _sobol_status,
}


def serve_study(study: str | Path, *, port: int = 8765, options: Any = None,
                echo: Callable[[str], None] = print, ready: Callable[[WhatIfServer], None] | None = None) -> int:
    """``mcrisk serve``: load the study, draw its design, serve its page until Ctrl-C; return 0.

    Parameters
    ----------
    study
        The study file.
    port
        The port on 127.0.0.1; 0 picks a free one (the printed address says which).
    options
        :class:`~mcrisk.study.options.RunOptions`; only :data:`~mcrisk.study.whatif.SERVE_OPTIONS` apply.
    echo
        Prints the address and the closing line.
    ready
        Called with the server once it listens (tests).

    Raises
    ------
    SpecError
        For a bad study or option, or a port that cannot be listened on.
    """
    whatif = WhatIf(study, options=options)
    whatif.view()  # the design is drawn now, not on the first page load
    server = make_server(whatif, port)
    echo(f"{whatif.study.title}\n{whatif.study.samples:,} samples, {whatif.study.method}, seed "
         f"{whatif.study.seed}\nopen {server.url} (this machine only; Ctrl-C stops it)")
    if ready is not None:
        ready(server)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        echo("stopped")
    finally:
        server.server_close()
    return 0
