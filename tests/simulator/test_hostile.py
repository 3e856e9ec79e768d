"""simulator/hostile.py: each misbehaviour does what its name says, seen from a plain client, and
every request is counted per unit; units without one pass through to the upstream."""
from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from county_reports.simulator.hostile import BEHAVIOURS, HostileServer

PATH = "/units/{}/submissions/2025-06"


class Upstream(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"path": self.path, "auth": self.headers.get("Authorization")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def hostile():
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    server = HostileServer(f"http://127.0.0.1:{upstream.server_address[1]}/", drip_interval=0.01,
                           oversized_bytes=20_000, bomb_bytes=2 * 1_048_576).start()
    yield server
    server.stop()
    upstream.shutdown()
    upstream.server_close()


def _raw(server, unit, seconds=2.0) -> bytes:
    """What arrives within ``seconds`` (a dripping server never ends an answer by itself)."""
    host, port = server.url.split("//")[1].split(":")
    deadline = time.monotonic() + seconds
    with socket.create_connection((host, int(port)), timeout=seconds) as s:
        s.sendall(f"GET {PATH.format(unit)} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        out = b""
        while (left := deadline - time.monotonic()) > 0:
            s.settimeout(left)
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            out += chunk
        return out


def test_pass_through_with_the_token_and_counted(hostile):
    answer = requests.get(hostile.url + PATH.format("TS01"), headers={"Authorization": "Bearer t"}, timeout=5)
    assert answer.json() == {"path": PATH.format("TS01"), "auth": "Bearer t"}
    assert hostile.requests["TS01"] == 1


def test_refusals_and_simple_faults(hostile):
    with pytest.raises(ValueError):
        hostile.set("TS01", "polite")
    hostile.set("A", "retry_after")
    hostile.set("B", "oversized")
    hostile.set("C", "huge_integer")
    a = requests.get(hostile.url + PATH.format("A"), timeout=5)
    assert a.status_code == 429 and a.headers["Retry-After"] == "3600"
    assert len(requests.get(hostile.url + PATH.format("B"), timeout=5).content) == 20_000
    body = requests.get(hostile.url + PATH.format("C"), timeout=5).text
    assert "1" + "0" * 5000 in body and '"period": "2025-06"' in body


def test_broken_body_and_gzip_bomb(hostile):
    hostile.set("D", "broken_body")
    raw = _raw(hostile, "D")
    head, _, body = raw.partition(b"\r\n\r\n")
    declared = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    assert 0 < len(body) < declared
    hostile.set("E", "gzip_bomb")
    answer = requests.get(hostile.url + PATH.format("E"), timeout=10, stream=True)
    packed = answer.raw.read(decode_content=False)
    assert len(packed) < 100_000 and len(gzip.decompress(packed)) == 2 * 1_048_576


def test_drips_and_silence_hold_the_client(hostile):
    hostile.set("F", "drip_headers")
    hostile.set("G", "silent")
    hostile.set("H", "drip_body")
    start = time.monotonic()
    assert _raw(hostile, "F", 1.5).startswith(b"HTTP/1.1 200 OK\r\nX-Drip: ")
    assert _raw(hostile, "G", 0.5) == b""
    dripped = _raw(hostile, "H", 0.5)
    assert dripped.startswith(b"HTTP/1.1 200 OK") and len(dripped.partition(b"\r\n\r\n")[2]) < 4000
    assert time.monotonic() - start < 10
    assert set(BEHAVIOURS) >= {"drip_headers", "silent", "drip_body"}
