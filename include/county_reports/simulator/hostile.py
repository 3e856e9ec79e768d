"""Endpoints that misbehave the way real ones do, on 127.0.0.1, for tests and benchmarks.

A raw-socket server (no framework in the way: it can drip, stall and cut off at will). Requests
for ``/units/{code}/submissions/{period}`` are answered per unit by the behaviour set for it;
units without one are passed through to an upstream (the bundled simulator), so healthy units
get real submissions. Every request is counted per unit, so a test can compare the attempts the
client recorded with the requests the server saw.

Behaviours: ``drip_headers`` (a header line at one byte a second, forever), ``drip_body`` (a
declared body at one byte every ``drip_interval`` s), ``retry_after`` (429 with
``Retry-After: 3600``), ``oversized`` (a body of ``oversized_bytes``), ``huge_integer`` (a valid
envelope with a 5,000-digit value), ``broken_body`` (a third of the declared body, then the
connection is cut), ``silent`` (reads the request, never answers), ``gzip_bomb`` (a small gzip
body that inflates to ``bomb_bytes``), ``stream`` (``oversized_bytes`` written as fast as the
socket takes them, without holding them in memory).
"""
from __future__ import annotations

import contextlib
import gzip
import io
import json
import socket
import threading
from collections import Counter

BEHAVIOURS = ("drip_headers", "drip_body", "retry_after", "oversized", "huge_integer",
              "broken_body", "silent", "gzip_bomb", "stream")


class HostileServer:
    def __init__(self, upstream: str | None = None, *, host: str = "127.0.0.1",
                 drip_interval: float = 0.5, oversized_bytes: int = 5_000_000,
                 bomb_bytes: int = 1_000_000_000):
        self.upstream = upstream.rstrip("/") if upstream else None
        self.behaviour: dict[str, str] = {}
        self.requests: Counter[str] = Counter()
        self.drip_interval = drip_interval
        self.oversized_bytes = oversized_bytes
        self.bomb_bytes = bomb_bytes
        self._stop = threading.Event()
        self._sock = socket.create_server((host, 0))
        self._sock.settimeout(0.2)
        self.url = f"http://{host}:{self._sock.getsockname()[1]}"
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._bomb: bytes | None = None

    # ------------------------------------------------------------------ life cycle

    def start(self) -> HostileServer:
        t = threading.Thread(target=self._accept, name="hostile-accept", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        self._sock.close()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set(self, unit: str, behaviour: str) -> None:
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r} ({', '.join(BEHAVIOURS)})")
        self.behaviour[unit] = behaviour

    # ------------------------------------------------------------------ serving

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            with self._lock:
                self._threads = [x for x in self._threads if x.is_alive()] + [t]

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
            parts = path.split("/")
            unit = parts[2] if len(parts) > 2 and parts[1] == "units" else ""
            with self._lock:
                self.requests[unit] += 1
            behaviour = self.behaviour.get(unit)
            if behaviour is None or method != "GET":
                self._pass_through(conn, method, path, headers)
            else:
                getattr(self, f"_{behaviour}")(conn, unit, path)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def _send(self, conn: socket.socket, status: str, body: bytes, content_type: str = "application/json",
              extra: str = "") -> None:
        conn.sendall((f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                      f"{extra}Connection: close\r\n\r\n").encode() + body)

    def _sleep(self, seconds: float) -> bool:
        """False when the server is stopping."""
        return not self._stop.wait(seconds)

    def _pass_through(self, conn: socket.socket, method: str, path: str, headers: dict[str, str]) -> None:
        import requests

        if not self.upstream:
            self._send(conn, "404 Not Found", b"{}")
            return
        answer = requests.request(method, self.upstream + path, timeout=10,
                                  headers={k: v for k, v in headers.items() if k in ("authorization", "accept")})
        self._send(conn, f"{answer.status_code} X", answer.content,
                   answer.headers.get("Content-Type", "application/json"))

    def _drip_headers(self, conn, unit, path) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
        while self._sleep(1.0):
            conn.sendall(b"a")

    def _drip_body(self, conn, unit, path) -> None:
        body = json.dumps({"protocol": 1, "unit": unit, "values": {}}).encode() + b" " * 4000
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
                     f"\r\n\r\n".encode())
        for byte in body:
            if not self._sleep(self.drip_interval):
                return
            conn.sendall(bytes([byte]))

    def _retry_after(self, conn, unit, path) -> None:
        self._send(conn, "429 Too Many Requests", b'{"error": "slow down"}', extra="Retry-After: 3600\r\n")

    def _oversized(self, conn, unit, path) -> None:
        head = b'{"protocol": 1, "unit": "' + unit.encode() + b'", "values": {}, "pad": "'
        body = head + b"x" * (self.oversized_bytes - len(head) - 2) + b'"}'
        self._send(conn, "200 OK", body)

    def _stream(self, conn, unit, path) -> None:
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                     f"{self.oversized_bytes}\r\n\r\n".encode())
        block, sent = b"x" * 65536, 0
        while sent < self.oversized_bytes and not self._stop.is_set():
            n = min(len(block), self.oversized_bytes - sent)
            conn.sendall(block[:n])
            sent += n

    def _huge_integer(self, conn, unit, path) -> None:
        period = path.rstrip("/").split("/")[-1]
        body = (f'{{"protocol": 1, "unit": "{unit}", "period": "{period}", "submitted_at": '
                f'"2025-10-03T09:00:00+08:00", "values": {{"ROAD_INVEST": 1{"0" * 5000}}}}}').encode()
        self._send(conn, "200 OK", body)

    def _broken_body(self, conn, unit, path) -> None:
        body = json.dumps({"protocol": 1, "unit": unit, "values": {}}).encode() + b" " * 9000
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
                     f"\r\n\r\n".encode() + body[:len(body) // 3])
        conn.shutdown(socket.SHUT_RDWR)

    def _silent(self, conn, unit, path) -> None:
        while self._sleep(0.5):
            pass

    def prepare_bomb(self) -> int:
        """Build the gzip bomb now (seconds of CPU for 1 GiB) rather than on the first request."""
        if self._bomb is None:
            out = io.BytesIO()
            with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6) as gz:
                block = b" " * 1_048_576
                for _ in range(self.bomb_bytes // len(block)):
                    gz.write(block)
            self._bomb = out.getvalue()
        return len(self._bomb)

    def _gzip_bomb(self, conn, unit, path) -> None:
        self.prepare_bomb()
        self._send(conn, "200 OK", self._bomb, extra="Content-Encoding: gzip\r\n")


def served(upstream: str | None = None, **behaviours: str) -> HostileServer:
    """A started server with ``unit=behaviour`` set."""
    server = HostileServer(upstream).start()
    for unit, behaviour in behaviours.items():
        server.set(unit, behaviour)
    return server
