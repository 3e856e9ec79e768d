"""fetch.py: one HTTP GET bounded by a wall-clock deadline — retries, Retry-After, the body cap, a
server that drips, no redirect — and post_json. Against real HTTP servers on 127.0.0.1."""
from __future__ import annotations

import gzip
import socket
import threading
import time
from email.utils import format_datetime
from datetime import datetime, timedelta, UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from county_reports.collect import fetch


class Unit(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    script: list = []          # one (status, headers, body) per request; the last repeats
    seen: list = []

    def _answer(self):
        Unit.seen.append((self.command, self.path, self.headers.get("Authorization")))
        status, headers, body = Unit.script[min(len(Unit.seen) - 1, len(Unit.script) - 1)]
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer()

    def log_message(self, *args):
        pass


@pytest.fixture
def unit():
    Unit.script, Unit.seen = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Unit)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _limits(**kw):
    base = dict(deadline_seconds=5, connect_timeout=1, read_timeout=2, retries=2, backoff=0.01,
                backoff_max=0.05, retry_after_max=1, max_body_bytes=1000)
    return fetch.Limits(**{**base, **kw})


def _get(url, **kw):
    with fetch.Watchdog() as dog:
        return fetch.get(url + "/submissions/2025-06", {"Authorization": "Bearer secret-token"}, _limits(**kw), dog)


def test_a_whole_answer(unit):
    Unit.script = [(200, {"Content-Type": "application/json"}, b'{"protocol": 1}')]
    got = _get(unit)
    assert (got.outcome, got.status, got.body, got.attempts) == (fetch.COMPLETE, 200, b'{"protocol": 1}', 1)
    assert got.content_type.startswith("application/json") and got.received_at
    assert Unit.seen == [("GET", "/submissions/2025-06", "Bearer secret-token")]


def test_server_errors_are_retried_then_answered(unit):
    Unit.script = [(503, {}, b""), (500, {}, b""), (200, {}, b"ok")]
    got = _get(unit)
    assert (got.outcome, got.status, got.body, got.attempts) == (fetch.COMPLETE, 200, b"ok", 3)
    Unit.script, Unit.seen = [(502, {}, b"")], []
    got = _get(unit)
    assert got.status == 502 and got.attempts == 3 and len(Unit.seen) == 3     # 1 + retries


def test_retry_after_honoured_or_refused(unit):
    Unit.script = [(429, {"Retry-After": "0"}, b""), (200, {}, b"ok")]
    assert _get(unit).body == b"ok"
    # a long wait is capped at retry_after_max …
    Unit.script, Unit.seen = [(503, {"Retry-After": "30"}, b""), (200, {}, b"ok")], []
    start = time.monotonic()
    assert _get(unit, retry_after_max=0.2).body == b"ok" and time.monotonic() - start < 3
    # … and one that does not fit the deadline is not waited for
    Unit.script, Unit.seen = [(503, {"Retry-After": "30"}, b"")], []
    start = time.monotonic()
    got = _get(unit, deadline_seconds=0.5, retry_after_max=10)
    assert got.outcome == fetch.WAIT_TOO_LONG and got.attempts == 1 and got.retry_after == 30
    assert time.monotonic() - start < 2


def test_the_body_cap_counts_after_decompression(unit):
    Unit.script = [(200, {}, b"x" * 5000)]
    got = _get(unit)
    assert got.outcome == fetch.TOO_LARGE and got.body == b"x" * 1000
    bomb = gzip.compress(b"0" * 1_000_000)
    Unit.script, Unit.seen = [(200, {"Content-Encoding": "gzip"}, bomb)], []
    got = _get(unit)
    assert got.outcome == fetch.TOO_LARGE and len(got.body) == 1000


def test_a_redirect_is_not_followed(unit):
    Unit.script = [(302, {"Location": "http://elsewhere.example/steal"}, b"")]
    got = _get(unit)
    assert got.status == 302 and got.attempts == 1 and len(Unit.seen) == 1


def test_a_server_dripping_its_headers_is_cut_at_the_deadline():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def drip():
        conn, _ = listener.accept()
        try:
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
                conn.sendall(bytes([byte]))
                time.sleep(0.1)
        except OSError:
            pass
        finally:
            conn.close()

    threading.Thread(target=drip, daemon=True).start()
    start = time.monotonic()
    got = _get(f"http://127.0.0.1:{listener.getsockname()[1]}", deadline_seconds=1.0, read_timeout=5, retries=0)
    assert time.monotonic() - start < 3
    assert got.outcome in (fetch.DEADLINE, fetch.UNREACHABLE) and got.timed_out
    assert "secret-token" not in (got.error or "")
    listener.close()


def test_nobody_listening():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    got = _get(f"http://127.0.0.1:{port}", retries=1)
    assert got.outcome == fetch.UNREACHABLE and got.attempts == 2 and got.error


def test_retry_after_seconds():
    assert fetch.retry_after_seconds("120") == 120.0
    assert fetch.retry_after_seconds(None) is None and fetch.retry_after_seconds("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 50 < fetch.retry_after_seconds(later) <= 60
    assert fetch.retry_after_seconds("Mon, 01 Jan 2001 00:00:00 GMT") == 0.0


def test_post_json(unit):
    Unit.script = [(200, {}, b"")]
    assert fetch.post_json(unit + "/fb", [{"text": "x"}], "tok") == {"delivered": True, "http_status": 200, "error": None}
    assert Unit.seen[-1] == ("POST", "/fb", "Bearer tok")
    Unit.script, Unit.seen = [(307, {"Location": "http://elsewhere.example/"}, b"")], []
    answer = fetch.post_json(unit + "/fb", [], "tok")
    assert answer["delivered"] is False and answer["http_status"] == 307 and len(Unit.seen) == 1
    Unit.script = [(500, {}, b"")]
    assert fetch.post_json(unit + "/fb", [], "tok")["error"] == "HTTP 500"
    answer = fetch.post_json("http://127.0.0.1:1/fb", [], "tok", timeout=1)
    assert answer["delivered"] is False and "tok" not in answer["error"]
