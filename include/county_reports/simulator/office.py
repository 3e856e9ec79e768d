"""The county office's document intake (县政府办收文), simulated: where delivery sends documents.

``POST /office/documents`` — multipart/form-data with a ``metadata`` part (JSON: kind, year,
title, sha256, sender, filename …), a ``document`` part (the .docx) and any ``attachment`` parts;
``Authorization: Bearer <token>``. Answers ``201 {"receipt_id": "OFF-2025-000001", "sha256": …,
"idempotency_key": …}`` (the document's hash and the key echoed: the receipt is tied to the document). A repeated
``Idempotency-Key`` answers ``200`` with the receipt it already gave, and nothing is stored twice.
``GET /office/documents`` lists what was received.

:class:`OfficeDocuments` holds the state and answers requests without any server, so it can be
mounted on the unit simulator (``office.mount(simulator)``, then deliver to
``{simulator.url}/office/documents``); :class:`OfficeReceiver` serves it on its own.
Faults for tests: ``fail_next(n)`` answers 503 to the next n requests; ``lose_next_response(n)``
stores the next n documents but drops the connection instead of answering (a lost receipt).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

PATH = "/office/documents"
_PARAM = re.compile(r';\s*([A-Za-z0-9_*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


@dataclass(frozen=True)
class Part:
    name: str | None
    filename: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any] | list | None = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False             # close the connection without answering

    def encode(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8") if self.body is not None else b""


def _header_params(value: str) -> tuple[str, dict[str, str]]:
    """``form-data; name="a"; filename*=UTF-8''%E6%96%87.docx`` → ('form-data', {...})."""
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for m in _PARAM.finditer(";" + rest):
        key, raw = m.group(1).lower(), m.group(2).strip()
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        if key.endswith("*"):                       # RFC 2231 / 5987: charset'lang'percent-encoded
            charset, _, encoded = raw.partition("'")
            raw = unquote(encoded.partition("'")[2], encoding=charset or "utf-8", errors="replace")
            key = key[:-1]
            params[key] = raw                        # wins over the plain parameter
        else:
            # HTML5 form encoding (what requests/urllib3 send): raw UTF-8, quotes as %22.
            params.setdefault(key, raw.replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n"))
    return main.strip().lower(), params


def parse_multipart(body: bytes, content_type: str) -> list[Part]:
    kind, params = _header_params(content_type)
    if kind != "multipart/form-data" or not params.get("boundary"):
        raise ValueError("expected multipart/form-data with a boundary")
    delimiter = b"\r\n--" + params["boundary"].encode("latin-1")
    sections = (b"\r\n" + body).split(delimiter)
    if len(sections) < 3 or not sections[-1].startswith(b"--"):
        raise ValueError("multipart body is incomplete (no closing boundary)")
    parts = []
    for section in sections[1:-1]:
        head, sep, data = section.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("multipart part without a header block")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        _, disposition = _header_params(headers.get("content-disposition", ""))
        parts.append(Part(disposition.get("name"), disposition.get("filename"),
                          headers.get("content-type", "text/plain"), data))
    return parts


def _safe_name(name: str) -> str:
    name = Path(name.replace("\\", "/")).name.strip().lstrip(".")
    return re.sub(r'[\x00-\x1f<>:"|?*]', "_", name)[:200] or "unnamed"


class OfficeDocuments:
    """State and request handling of the intake; no server of its own."""

    def __init__(self, root: str | Path, token: str, *, timezone: str = "Asia/Shanghai",
                 max_body_bytes: int = 50_000_000):
        self.root, self.token, self.max_body_bytes = Path(root), token, max_body_bytes
        self.timezone = ZoneInfo(timezone)
        self.received: list[dict[str, Any]] = []
        self._by_key: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._fail = self._lose = self._seq = 0
        self.requests = 0

    def fail_next(self, n: int = 1) -> None:
        with self._lock:
            self._fail = n

    def lose_next_response(self, n: int = 1) -> None:
        with self._lock:
            self._lose = n

    def mount(self, simulator: Any) -> None:
        """Serve this intake on the unit simulator (``SimulatorServer.add_route``), same paths."""
        from county_reports.simulator.http_server import Response

        def handler(request: Any) -> Response:
            reply = self.handle(request.method, request.path, request.headers, request.body)
            if reply.drop:  # the simulator cannot drop a connection; a lost answer looks like a 502
                reply = Reply(502, {"error": "the answer was lost on the way"})
            return Response.json(reply.status, reply.body, **reply.headers)

        simulator.add_route("*", re.compile(re.escape(PATH) + "/?"), handler)

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        headers = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            self.requests += 1
            if self._fail > 0:
                self._fail -= 1
                return Reply(503, {"error": "service temporarily unavailable"}, {"Retry-After": "0"})
            if urlsplit(path).path.rstrip("/") != PATH:
                return Reply(404, {"error": f"no such resource {urlsplit(path).path}"})
            if method not in ("GET", "POST"):
                return Reply(405, {"error": "method not allowed"}, {"Allow": "GET, POST"})
            scheme, _, token = headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), self.token.encode()):
                return Reply(401, {"error": "missing or wrong bearer token"}, {"WWW-Authenticate": "Bearer"})
            if method == "GET":
                return Reply(200, {"documents": list(self.received)})
            return self._receive(headers, body)

    def _receive(self, headers: dict[str, str], body: bytes) -> Reply:
        key = headers.get("idempotency-key")
        try:
            parts = parse_multipart(body, headers.get("content-type", ""))
            meta = json.loads(next(p.data for p in parts if p.name == "metadata"))
            document = next(p for p in parts if p.name == "document")
        except (ValueError, StopIteration) as exc:
            return Reply(400, {"error": f"expected metadata (JSON) and document parts: {exc}"})
        if not isinstance(meta, dict) or not all(meta.get(k) for k in ("kind", "year", "title", "sha256")):
            return Reply(422, {"error": "metadata needs kind, year, title and sha256"})
        if hashlib.sha256(document.data).hexdigest() != meta["sha256"]:
            return Reply(422, {"error": "the document does not match its sha256"})
        if key and key in self._by_key:
            earlier = self._by_key[key]
            if earlier["sha256"] != meta["sha256"]:
                return Reply(409, {"error": "Idempotency-Key already used for another document"})
            return Reply(200, {"receipt_id": earlier["receipt_id"], "replayed": True, "sha256": earlier["sha256"],
                               "idempotency_key": key},
                         {"Idempotent-Replayed": "true"})
        now = datetime.now(self.timezone)
        self._seq += 1
        receipt_id = f"OFF-{now.year}-{self._seq:06d}"
        folder = self.root / receipt_id
        folder.mkdir(parents=True, exist_ok=False)
        files = {}
        for part in parts:
            if part.name in ("document", "attachment"):
                name = _safe_name(meta.get("filename") if part is document and meta.get("filename")
                                  else part.filename or "unnamed")
                (folder / name).write_bytes(part.data)
                files[name] = {"sha256": hashlib.sha256(part.data).hexdigest(), "size": len(part.data),
                               "content_type": part.content_type}
        entry = {"receipt_id": receipt_id, "idempotency_key": key, "received_at": now.isoformat(),
                 "kind": meta["kind"], "year": meta["year"], "title": meta["title"],
                 "sha256": meta["sha256"], "sender": meta.get("sender"),
                 "filename": meta.get("filename"), "correction_of": meta.get("correction_of"),
                 "files": files, "metadata": meta}
        (folder / "metadata.json").write_text(json.dumps(entry, ensure_ascii=False, indent=1), encoding="utf-8")
        self.received.append(entry)
        if key:
            self._by_key[key] = entry
        if self._lose > 0:
            self._lose -= 1
            return Reply(201, {"receipt_id": receipt_id}, drop=True)
        # The receipt names what it acknowledges: the sender checks both (deliver.channels.check_receipt).
        return Reply(201, {"receipt_id": receipt_id, "sha256": meta["sha256"], "idempotency_key": key})


def _handler_class(office: OfficeDocuments) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "CountyOffice/1.0"
        timeout = 30                    # an idle keep-alive connection frees its thread

        def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
            pass

        def _serve(self) -> None:
            length = self.headers.get("Content-Length")
            if self.command == "POST" and length is None:
                return self._answer(Reply(411, {"error": "Content-Length required"}), close=True)
            size = int(length or 0)
            if size > office.max_body_bytes:
                return self._answer(Reply(413, {"error": "document too large"}), close=True)
            body = self.rfile.read(size) if size else b""
            reply = office.handle(self.command, self.path, self.headers, body)
            if reply.drop:
                self.close_connection = True
                return
            self._answer(reply)

        def _answer(self, reply: Reply, close: bool = False) -> None:
            payload = reply.encode()
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler


class OfficeReceiver:
    """:class:`OfficeDocuments` on its own ThreadingHTTPServer; ``port=0`` picks a free port."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, token: str = "",
                 root: str | Path | None = None):
        if not token:
            raise ValueError("the office receiver needs a bearer token")
        self.office = OfficeDocuments(root or tempfile.mkdtemp(prefix="county-office-"), token)
        self._server = ThreadingHTTPServer((host, port), _handler_class(self.office))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The office's base URL: deliver to ``{url}/documents``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/office"

    @property
    def received(self) -> list[dict[str, Any]]:
        return self.office.received

    @property
    def root(self) -> Path:
        return self.office.root

    def fail_next(self, n: int = 1) -> None:
        self.office.fail_next(n)

    def lose_next_response(self, n: int = 1) -> None:
        self.office.lose_next_response(n)

    def start(self) -> str:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="county-office", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> OfficeReceiver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
