"""simulator/http_server.py: the simulator's HTTP plumbing — requests handed to an app as Request,
its Response sent with Content-Length on a keep-alive connection, a broken handler a 500, a bad
Content-Length a 400, open connections shut down on stop."""
from __future__ import annotations

import http.client
import json
import socket
import threading

import pytest

from county_reports.simulator.http_server import Request, RequestHandler, Response, ThreadedHTTPServer


class App:
    def __init__(self):
        self.seen: list[Request] = []

    def handle(self, request: Request) -> Response:
        self.seen.append(request)
        if request.path == "/boom":
            raise RuntimeError("broken handler")
        if request.method == "POST":
            return Response.json(201, {"got": request.json(), "token": request.bearer_token}, Location="/x")
        return Response.json(200, {"path": request.path, "query": request.query, "token": request.bearer_token})


@pytest.fixture
def server():
    srv = ThreadedHTTPServer(("127.0.0.1", 0), RequestHandler)
    srv.app = App()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _conn(server):
    return http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)


def test_requests_and_responses_on_one_connection(server):
    conn = _conn(server)
    conn.request("GET", "/units/TS%2001/submissions?period=2025-06", headers={"Authorization": "Bearer  tok "})
    answer = conn.getresponse()
    assert answer.status == 200 and answer.getheader("Content-Type") == "application/json; charset=utf-8"
    assert json.loads(answer.read()) == {"path": "/units/TS 01/submissions", "query": {"period": ["2025-06"]},
                                         "token": "tok"}
    conn.request("POST", "/fb", body='{"中": 1}'.encode(), headers={"Authorization": "Basic abc"})
    answer = conn.getresponse()                      # the same connection: keep-alive
    assert answer.status == 201 and answer.getheader("Location") == "/x"
    assert json.loads(answer.read()) == {"got": {"中": 1}, "token": None}
    conn.close()


def test_a_broken_handler_is_a_500(server):
    conn = _conn(server)
    conn.request("GET", "/boom")
    answer = conn.getresponse()
    assert answer.status == 500 and b"RuntimeError" in answer.read()


def test_a_bad_content_length_is_a_400(server):
    with socket.create_connection(server.server_address, timeout=5) as s:
        s.sendall(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n")
        data = s.recv(4096)
    assert data.startswith(b"HTTP/1.1 400") and not server.app.seen


def test_bearer_token_parsing():
    from email.message import Message

    def token(value):
        headers = Message()
        if value is not None:
            headers["Authorization"] = value
        return Request("GET", "/", {}, headers, b"").bearer_token
    assert token("Bearer abc") == "abc" and token("bearer abc") == "abc"
    assert token(None) is None and token("Bearer ") is None and token("Token abc") is None


def test_open_connections_are_shut_on_stop(server):
    conn = _conn(server)
    conn.request("GET", "/a")
    conn.getresponse().read()
    server.close_connections()
    conn.request("GET", "/b")
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        conn.getresponse().read()
