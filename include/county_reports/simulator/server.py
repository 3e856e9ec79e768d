"""A real HTTP server speaking submission protocol v1 for every unit of a catalogue.

``GET /units/{code}/submissions/{period}`` serves the unit's monthly submission (or a fault from
the profile), ``POST …/{period}/feedback`` records what the bureau sends back, ``GET /health``
says it is up. Other modules mount their own routes with :meth:`SimulatorServer.add_route`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import random
import re
import sys
import threading
import time
from collections import Counter
from typing import Any
from collections.abc import Mapping

from county_reports.core import periods
from county_reports.core.catalog import Catalog, load_catalog
from county_reports.core.config import ConfigError
from county_reports.core.projects.register import load_register
from county_reports.simulator.data import SubmissionGenerator
from county_reports.simulator.projects import ProjectSimulator
from county_reports.simulator.faults import faulty_body, html_page, truncated
from county_reports.simulator.http_server import (JSON_TYPE, Handler, Request, RequestHandler, Response,
                                                  ThreadedHTTPServer)
from county_reports.simulator.profile import (FAULTS, FIXED_BY_REVISION, Profile, as_profile,
                                              load_profile)

FIRST_PERIOD, LAST_PERIOD = "2024-01", "2025-12"   # the months the simulator has data for
FLAKY_FAILURES = 2                                  # 503s before a flaky unit answers
_SUBMISSION = re.compile(r"/units/(?P<unit>[^/]+)/submissions/(?P<period>[^/]+)")
_FEEDBACK = re.compile(r"/units/(?P<unit>[^/]+)/submissions/(?P<period>[^/]+)/feedback")
_REMINDER = re.compile(r"/units/(?P<unit>[^/]+)/reminders/(?P<period>[^/]+)")


def make_tokens(catalog: Catalog, seed: int) -> dict[str, str]:
    """Stable demo tokens: HMAC-SHA256 of the connection id keyed by the seed, 32 hex digits."""
    key = str(seed).encode()
    return {u.token_conn_id: hmac.new(key, u.token_conn_id.encode(), hashlib.sha256).hexdigest()[:32]
            for u in catalog.units}


def _project_simulator(catalog: Catalog, generator: SubmissionGenerator) -> ProjectSimulator | None:
    """The key projects the units report: projects.yaml's (the register validation checks
    against), or none when it does not fit this catalogue's roster (a test county of its own)."""
    try:
        register = load_register(catalog)
    except ConfigError:
        return None
    return ProjectSimulator(catalog, generator, register) if register.projects else None


class SimulatorServer:
    """The units' endpoints. ``tokens`` maps Airflow connection id (``unit.token_conn_id``) → token.

    ``profile=None`` loads ``config/simulator/profile.yaml`` (the demo county with its faults);
    pass ``Profile()`` for a county where every unit reports cleanly (a dict with the profile's
    keys works too, e.g. ``{**load_profile(), "faults": []}``). ``latency`` (seconds before
    every response) overrides the profile's when non-zero.

    ``hits[(unit, period)]`` counts authorised GETs of a submission (whatever was answered);
    ``feedback[(unit, period)]`` lists the JSON bodies POSTed back, oldest first.
    ``reminders[(unit, period)]`` lists the reminders POSTed to ``…/reminders/{period}``.
    """

    def __init__(self, catalog: Catalog, tokens: Mapping[str, str], *, host: str = "127.0.0.1",
                 port: int = 0, profile: Profile | Mapping[str, Any] | None = None,
                 latency: float = 0.0):
        self.catalog = catalog
        self.tokens = dict(tokens)
        self.profile = as_profile(profile) if profile is not None else load_profile()
        self.latency = float(latency or self.profile.latency)
        self.slow_seconds = self.profile.slow_seconds
        self.host, self.port = host, port
        self.generator = SubmissionGenerator(catalog, seed=self.profile.seed, sizes=self.profile.sizes)
        self.projects = _project_simulator(catalog, self.generator)
        self.feedback: dict[tuple[str, str], list[Any]] = {}
        self.reminders: dict[tuple[str, str], list[Any]] = {}     # POST …/reminders/{period}
        self.hits: Counter[tuple[str, str]] = Counter()
        self._faults: dict[tuple[str, str], str] = dict(self.profile.faults)
        self._revisions: dict[tuple[str, str], int] = {}
        self._flaky_attempts: Counter[tuple[str, str]] = Counter()
        self._routes: list[tuple[str, re.Pattern, Handler]] = []
        self._lock = threading.Lock()
        self._httpd: ThreadedHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> str:
        """Serve in a background thread; returns the base URL ``http://host:port``."""
        if self._httpd is None:
            self._httpd = ThreadedHTTPServer((self.host, self.port), RequestHandler)
            self._httpd.app = self
            self._thread = threading.Thread(target=self._httpd.serve_forever,
                                            kwargs={"poll_interval": 0.05},
                                            name="unit-simulator", daemon=True)
            self._thread.start()
        return self.url

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.close_connections()  # idle keep-alive connections would keep threads waiting
            httpd.server_close()
            self._thread.join(timeout=5)

    def __enter__(self) -> SimulatorServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the simulator is not running: call start() first")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------------ control

    def set_fault(self, unit: str, period: str, fault: str | None) -> None:
        """Make (unit, period) misbehave from the next request on; ``None`` makes it clean."""
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}: one of {', '.join(FAULTS)}")
        with self._lock:
            if fault is None:
                self._faults.pop((unit, period), None)
            else:
                self._faults[unit, period] = fault
            self._flaky_attempts.pop((unit, period), None)

    def fault(self, unit: str, period: str) -> str | None:
        return self._faults.get((unit, period))

    def clear_faults(self) -> None:
        """Every unit reports cleanly from now on, profile faults included."""
        with self._lock:
            self._faults.clear()
            self._flaky_attempts.clear()

    def revise(self, unit: str, period: str) -> int:
        """The unit corrects its figures: the next pull returns revised content, submitted later.

        A content fault the correction is about (invalid or messy values, a broken rule, the
        wrong unit code) is gone in the revision. Returns the new revision number.
        """
        with self._lock:
            revision = self._revisions[unit, period] = self._revisions.get((unit, period), 0) + 1
            if self._faults.get((unit, period)) in FIXED_BY_REVISION:
                del self._faults[unit, period]
        return revision

    def add_route(self, method: str, regex: str | re.Pattern, handler: Handler) -> None:
        """Serve ``method`` (or ``*``) on paths fully matching ``regex`` with ``handler(request)``.

        Added routes are tried before the built-in ones; ``request.match`` holds the match.
        """
        pattern = re.compile(regex) if isinstance(regex, str) else regex
        with self._lock:
            self._routes = [*self._routes, (method.upper(), pattern, handler)]

    # ------------------------------------------------------------------ serving

    def handle(self, request: Request) -> Response:
        if self.latency:
            time.sleep(self.latency)
        for method, pattern, handler in self._routes:
            if method in ("*", request.method) and (match := pattern.fullmatch(request.path)):
                request.match = match
                return handler(request)
        if request.path == "/health":
            return Response.json(200, {"status": "ok", "units": len(self.catalog.units)})
        if match := _FEEDBACK.fullmatch(request.path):
            if request.method != "POST":
                return Response.json(405, {"error": "feedback is sent with POST"}, Allow="POST")
            return self._feedback(request, match["unit"], match["period"])
        if match := _REMINDER.fullmatch(request.path):
            if request.method != "POST":
                return Response.json(405, {"error": "reminders are sent with POST"}, Allow="POST")
            return self._reminder(request, match["unit"], match["period"])
        if match := _SUBMISSION.fullmatch(request.path):
            if request.method != "GET":
                return Response.json(405, {"error": "submissions are read with GET"}, Allow="GET")
            return self._submission(request, match["unit"], match["period"])
        return Response.json(404, {"error": f"no such resource: {request.path}"})

    def _check(self, request: Request, code: str, period: str) -> Response | None:
        """Unknown unit → 404, bad token → 401, malformed period → 400; None when all is well."""
        unit = self.catalog.unit_by_code.get(code)
        if unit is None:
            return Response.json(404, {"error": f"unknown unit {code}"})
        expected = self.tokens.get(unit.token_conn_id)
        given = request.bearer_token
        if expected is None or given is None or not hmac.compare_digest(
                given.encode("utf-8"), expected.encode("utf-8")):
            return Response.json(401, {"error": "missing or wrong bearer token"},
                                 **{"WWW-Authenticate": 'Bearer realm="units"'})
        if not periods.is_period(period):
            return Response.json(400, {"error": f"period {period!r} is not a month written YYYY-MM"})
        return None

    def _submission(self, request: Request, code: str, period: str) -> Response:
        refused = self._check(request, code, period)
        if refused is not None:
            return refused
        key = (code, period)
        with self._lock:
            self.hits[key] += 1
            fault = self._faults.get(key)
            revision = self._revisions.get(key, 0)
            if fault == "flaky":
                self._flaky_attempts[key] += 1
            attempt = self._flaky_attempts[key]
        unit = self.catalog.unit_by_code[code]
        if not FIRST_PERIOD <= period <= LAST_PERIOD:
            return Response.json(404, {"error": f"no data outside {FIRST_PERIOD}..{LAST_PERIOD}"})
        if not unit.active_in(period):
            return Response.json(404, {"error": f"{code} does not report for {period}"})
        if fault == "missing":
            return Response.json(404, {"error": f"{code} has not submitted {period} yet"})
        if fault == "server_error":
            return Response.json(500, {"error": "internal server error"})
        if fault == "flaky" and attempt <= FLAKY_FAILURES:
            return Response.json(503, {"error": "service temporarily unavailable"})
        if fault == "slow":
            time.sleep(self.slow_seconds)
        body = self.generator.payload(code, period, revision=revision, late=fault == "late")
        if self.projects is not None:
            body.update(self.projects.keys_for(body, code, period))
        if fault in ("invalid_values", "rule_violation", "messy_values", "wrong_unit"):
            rng = random.Random(f"{self.profile.seed}:{code}:{period}:{revision}:{fault}")
            body = faulty_body(self.catalog, body, fault, rng)
        text = json.dumps(body, ensure_ascii=False)
        if fault == "truncated":
            return Response(200, truncated(text.encode("utf-8")), JSON_TYPE)
        if fault == "wrong_content_type":
            return Response(200, html_page(unit.name, period), "text/html; charset=utf-8")
        if fault == "gbk":
            return Response(200, text.encode("gbk"), "application/json; charset=gbk")
        return Response(200, text.encode("utf-8"), JSON_TYPE)

    def _feedback(self, request: Request, code: str, period: str) -> Response:
        refused = self._check(request, code, period)
        if refused is not None:
            return refused
        try:
            messages = request.json()
        except (UnicodeDecodeError, ValueError):
            return Response.json(400, {"error": "the body must be a JSON list of messages"})
        if not isinstance(messages, list):
            return Response.json(400, {"error": "the body must be a JSON list of messages"})
        with self._lock:
            self.feedback.setdefault((code, period), []).append(messages)
        return Response.json(200, {"received": len(messages)})

    def _reminder(self, request: Request, code: str, period: str) -> Response:
        refused = self._check(request, code, period)
        if refused is not None:
            return refused
        try:
            body = request.json()
        except (UnicodeDecodeError, ValueError):
            return Response.json(400, {"error": "the body must be a JSON object"})
        if not isinstance(body, dict):
            return Response.json(400, {"error": "the body must be a JSON object"})
        with self._lock:
            self.reminders.setdefault((code, period), []).append(body)
        return Response.json(200, {"received": True})


def serve_forever(host: str, port: int, *, catalog: Catalog | None = None,
                  tokens: Mapping[str, str] | None = None, latency: float = 0.0) -> None:
    """Run the demo simulator in the foreground: prints the base URL, stops on Ctrl-C."""
    catalog = catalog or load_catalog()
    profile = load_profile()
    if tokens is None:
        tokens = make_tokens(catalog, profile.seed)
    server = SimulatorServer(catalog, tokens, host=host, port=port, profile=profile, latency=latency)
    url = server.start()
    print(url, flush=True)
    print(f"{len(catalog.units)} units at {url}/units/<code>/submissions/<YYYY-MM> "
          f"({FIRST_PERIOD}..{LAST_PERIOD}); {len(profile.faults)} faults from the profile; "
          f"Ctrl-C stops", file=sys.stderr, flush=True)
    try:
        while server._thread is not None and server._thread.is_alive():
            server._thread.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
