"""One bounded HTTP GET: a wall-clock deadline over connect, headers, body and every retry
(and :func:`post_json`, the one way to POST to a unit: no redirect followed).

A per-read socket timeout does not bound a request: a server that sends one byte a second never
trips it. Here every unit gets a *deadline* (monotonic clock) that covers everything — connecting,
the status line and headers, the body, backoff sleeps and ``Retry-After`` waits:

- each socket operation's timeout is the smaller of the configured timeout and the time left;
- the body is read in chunks (``read1``: whatever has arrived) with a deadline check between them,
  counted against the size cap *after* decompression (a gzip bomb stops at the cap);
- a :class:`Watchdog` thread shuts the socket down the moment the deadline passes, which is the
  only thing that ends a server dripping its headers one byte at a time;
- ``Retry-After`` is honoured up to ``retry_after_max`` and only when the wait still fits;
- redirects are not followed: the bearer token goes to the configured endpoint and nowhere else.

``attempts`` counts requests actually sent. No Airflow import, no token in any text returned.
"""
from __future__ import annotations

import contextlib
import heapq
import http.client
import itertools
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, UTC
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CHUNK = 65536
# What ends a fetch the request's fault: sockets, the HTTP parser, urllib3's decoders.
NETWORK_ERRORS = (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError, ValueError)

COMPLETE = "complete"          # a full answer (any status); body read whole for 200
TOO_LARGE = "too_large"        # body over the cap: ``body`` holds the first ``max_body_bytes``
BROKEN = "broken"              # the connection broke while the body was coming: partial ``body``
DEADLINE = "deadline"          # the unit's deadline passed (``body`` holds what had arrived)
UNREACHABLE = "unreachable"    # no answer at all after the retries (connect/read errors)
WAIT_TOO_LONG = "wait_too_long"  # the server asked to come back later than the deadline allows


@dataclass
class Limits:
    deadline_seconds: float
    connect_timeout: float
    read_timeout: float
    retries: int
    backoff: float
    backoff_max: float
    retry_after_max: float
    max_body_bytes: int


@dataclass
class Fetched:
    outcome: str
    attempts: int = 0
    status: int | None = None
    content_type: str = ""
    body: bytes = b""
    received_at: str | None = None     # when the body (or its last byte) arrived, ISO 8601 UTC
    error: str | None = None           # exception name and short detail, never a token
    timed_out: bool = False            # the last failure was a timeout (per read or deadline)
    retry_after: float | None = None   # the wait the server asked for, as sent
    started: float = field(default_factory=time.monotonic)


class Watchdog:
    """Shuts sockets down when their deadline passes. One thread for a whole batch."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, socket.socket]] = []
        self._live: set[int] = set()
        self._ids = itertools.count()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="pull-watchdog", daemon=True)
        self._thread.start()

    def watch(self, sock: socket.socket, deadline: float) -> int:
        with self._cond:
            ident = next(self._ids)
            heapq.heappush(self._heap, (deadline, ident, sock))
            self._live.add(ident)
            self._cond.notify()
            return ident

    def release(self, ident: int) -> None:
        with self._cond:
            self._live.discard(ident)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def __enter__(self) -> Watchdog:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self) -> None:
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                while self._heap and (self._heap[0][1] not in self._live or self._heap[0][0] <= now):
                    _, ident, sock = heapq.heappop(self._heap)
                    if ident in self._live:
                        self._live.discard(ident)
                        with contextlib.suppress(OSError):
                            sock.shutdown(socket.SHUT_RDWR)   # wakes the reader blocked in recv()
                self._cond.wait(timeout=(self._heap[0][0] - now) if self._heap else None)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:120] if str(exc) else ""
    return f"{type(exc).__name__}{': ' + text if text else ''}"


def _is_timeout(exc: BaseException) -> bool:
    if isinstance(exc, urllib3.exceptions.NewConnectionError):   # a ConnectTimeoutError subclass
        return "timed out" in str(exc).lower()
    return isinstance(exc, (TimeoutError, socket.timeout, urllib3.exceptions.TimeoutError)) or \
        "timed out" in str(exc).lower()


def get(url: str, headers: dict[str, str], limits: Limits, watchdog: Watchdog, *,
        started: float | None = None, on_attempt=None, post: bytes | None = None) -> Fetched:
    """GET ``url`` within ``limits.deadline_seconds`` of ``started``; never raises for the server.
    With ``post``, a POST of that body whose 200 or 201 answer is read (a county's /auth/token)."""
    result = Fetched(COMPLETE, started=started if started is not None else time.monotonic())
    clock = _Deadline(result.started + limits.deadline_seconds)
    endpoint = _Endpoint.of(url, post)
    while True:
        if clock.left() <= 0:
            result.outcome, result.timed_out = DEADLINE, True
            return result
        result.attempts += 1
        if on_attempt:
            on_attempt(result.attempts)
        if not _attempt(endpoint, headers, limits, watchdog, clock, result):
            return result


@dataclass(frozen=True)
class _Endpoint:
    """Where a URL's requests go: the connection class, host, port and request target."""

    conn_class: type
    host: str
    port: int
    target: str
    post: bytes | None = None

    @classmethod
    def of(cls, url: str, post: bytes | None = None) -> _Endpoint:
        parts = urlsplit(url)
        https = parts.scheme == "https"
        return cls(HTTPSConnection if https else HTTPConnection, parts.hostname,
                   parts.port or (443 if https else 80),
                   (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), post)


class _Deadline:
    """A fetch's wall-clock deadline on the monotonic clock."""

    def __init__(self, at: float):
        self.at = at

    def left(self) -> float:
        return self.at - time.monotonic()

    def wait(self, seconds: float) -> bool:
        """Sleep if the wait still fits before the deadline; False if it does not."""
        if seconds >= self.left():
            return False
        time.sleep(max(0.0, seconds))
        return True


def _backoff(limits: Limits, attempts: int) -> float:
    return min(limits.backoff * 2 ** (attempts - 1), limits.backoff_max)


def _attempt(endpoint: _Endpoint, headers: dict[str, str], limits: Limits, watchdog: Watchdog,
             clock: _Deadline, result: Fetched) -> bool:
    """One request on a new connection; True when it is to be sent again (the pause is waited)."""
    conn = endpoint.conn_class(endpoint.host, endpoint.port,
                               timeout=max(0.01, min(limits.connect_timeout, clock.left())))
    ident = None
    try:
        try:
            conn.connect()
            sock = conn.sock   # kept: http.client drops conn.sock once a closing answer starts
            ident = watchdog.watch(sock, clock.at)
            sock.settimeout(max(0.01, min(limits.read_timeout, clock.left())))
            conn.request("GET" if endpoint.post is None else "POST", endpoint.target, body=endpoint.post,
                         headers=headers, preload_content=False, decode_content=True)
            response = conn.getresponse()
        except NETWORK_ERRORS as exc:
            return _after_no_answer(exc, result, limits, clock)
        return _after_answer(conn, sock, response, result, limits, clock, endpoint.post is not None)
    finally:
        if ident is not None:
            watchdog.release(ident)
        conn.close()


def _after_no_answer(exc: BaseException, result: Fetched, limits: Limits, clock: _Deadline) -> bool:
    """Connecting or the request failed: True to send again after the backoff, else the outcome is set."""
    result.error, result.timed_out = _describe(exc), _is_timeout(exc)
    if clock.left() <= 0:
        result.outcome, result.timed_out = DEADLINE, True
        return False
    if result.attempts <= limits.retries and clock.wait(_backoff(limits, result.attempts)):
        return True
    result.outcome = DEADLINE if clock.left() <= 0 else UNREACHABLE
    return False


def _after_answer(conn, sock: socket.socket, response, result: Fetched, limits: Limits,
                  clock: _Deadline, posted: bool = False) -> bool:
    """An answer came: True to send again (a status worth retrying, its pause waited), else the
    outcome is set and a 200's body read."""
    result.status = response.status
    result.content_type = response.headers.get("Content-Type", "")
    if response.status in RETRY_STATUSES and result.attempts <= limits.retries:
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        result.retry_after = asked
        pause = (min(asked, limits.retry_after_max) if asked is not None
                 else _backoff(limits, result.attempts))
        conn.close()
        if clock.wait(pause):
            return True
        result.outcome = WAIT_TOO_LONG if asked is not None else COMPLETE
        return False
    if response.status != 200 and not (response.status == 201 and posted):
        result.outcome = COMPLETE
        return False
    _read_body(sock, response, result, limits, clock.left)
    return False


def _read_body(sock: socket.socket, response, result: Fetched, limits: Limits, left) -> None:
    chunks, size = [], 0
    cap = limits.max_body_bytes
    try:
        while True:
            remaining = left()
            if remaining <= 0:
                result.outcome, result.timed_out = DEADLINE, True
                break
            if sock.fileno() != -1:   # http.client closes it once the declared length is read
                sock.settimeout(max(0.01, min(limits.read_timeout, remaining)))
            chunk = response.read1(CHUNK)
            if not chunk:
                # EOF. If the watchdog shut the socket, it is the deadline, not the end of the body.
                if left() <= 0:
                    result.outcome, result.timed_out = DEADLINE, True
                else:
                    result.outcome = COMPLETE
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                result.outcome = TOO_LARGE
                break
    except NETWORK_ERRORS as exc:
        result.error, result.timed_out = _describe(exc), _is_timeout(exc)
        result.outcome = DEADLINE if left() <= 0 else BROKEN
    result.body = b"".join(chunks)[:cap]
    result.received_at = _now_iso()


# --------------------------------------------------------------------------- one POST to a unit


def post_json(url: str, payload, token: str, *, timeout: float = 10.0) -> dict:
    """POST ``payload`` as JSON to a unit's endpoint: {delivered, http_status, error}, never raises
    for the endpoint's fault. Redirects are not followed — a 307 would send the body (and with
    requests' rules perhaps the token) to another host and count as delivered there — so a 3xx is
    a failure naming its status. The answer's body is never read (its size is the endpoint's)."""
    import requests

    try:
        with requests.post(url, json=payload, timeout=timeout, allow_redirects=False, stream=True,
                           headers={"Authorization": f"Bearer {token}"}) as response:
            status = response.status_code
    except requests.RequestException as exc:
        return {"delivered": False, "http_status": None, "error": f"{type(exc).__name__} while posting"}
    if 300 <= status < 400:
        return {"delivered": False, "http_status": status,
                "error": f"HTTP {status}: the endpoint redirects elsewhere; redirects are not followed"}
    ok = 200 <= status < 300
    return {"delivered": ok, "http_status": status, "error": None if ok else f"HTTP {status}"}
