"""The simulator's HTTP plumbing: a threaded keep-alive server handing each request, as a
:class:`Request`, to an application's ``handle`` and sending back its :class:`Response`."""
from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import threading
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from collections.abc import Callable
from urllib.parse import parse_qs, unquote, urlsplit

JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    match: re.Match | None = None  # set for routes added with add_route

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def bearer_token(self) -> str | None:
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: Any, **headers: str) -> Response:
        return cls(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), JSON_TYPE, headers)


Handler = Callable[[Request], Response]


class ThreadedHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 1024  # a benchmark opens ~100 connections at once
    app: Any                   # what answers: app.handle(request) -> Response

    def __init__(self, *args: Any, **kwargs: Any):
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # the client hung up (a collector's timeout): expected, not worth a traceback
        super().handle_error(request, client_address)

    def track(self, sock: socket.socket, is_open: bool) -> None:
        with self._open_lock:
            (self._open.add if is_open else self._open.discard)(sock)

    def close_connections(self) -> None:
        with self._open_lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"       # keep-alive; every response carries Content-Length
    server_version = "CountyUnitSimulator/1"
    disable_nagle_algorithm = True      # headers and body go out at once, no 40 ms ACK stalls
    timeout = 120                       # an idle keep-alive connection frees its thread
    server: ThreadedHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        super().finish()

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            return self._send(Response.json(400, {"error": "bad Content-Length"}))
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = Request(method, unquote(parts.path), parse_qs(parts.query), self.headers, body)
        try:
            response = self.server.app.handle(request)
        except Exception as exc:  # a broken handler must not kill the connection silently
            response = Response.json(500, {"error": f"simulator error: {type(exc).__name__}: {exc}"})
        self._send(response)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # benchmarks send tens of thousands of requests; access logs would drown the output
