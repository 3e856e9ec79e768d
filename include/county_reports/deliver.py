"""Delivery: send a rendered document to the county office, with a receipt, never twice.

**The never-twice key is (kind, year).** Once the ledger holds a *delivered* row for, say,
(half_year, 2025), every later call answers ``already_delivered`` with that receipt and sends
nothing, even when the document was rendered again with different bytes: the office has filed
the first one, and a silent second version would confuse it. ``force=True`` sends the current
document anyway and records a second delivery. A re-render with identical bytes has the same
SHA-256 of the .docx and is named as the same document in the answer.

Each channel is also idempotent by itself, for the gap between "sent" and "recorded" (a lost
answer, a worker killed before the ledger write). All three use one key,
``<kind>-<year>-<sha256[:16]>`` (plus ``-re-<8 hex>`` for a forced re-delivery):

- http: sent as ``Idempotency-Key``; the office answers a repeated key with the receipt it already
  gave and stores nothing twice;
- folder: one sub-folder per key, moved into place whole, never overwritten; if it is already
  there with this document, its receipt is taken over;
- smtp: the Message-ID is built from the key, so a mailbox can drop a duplicate.

**The attempt is recorded before anything is sent** (status ``sending``, the key, and the SHA-256
of an archived manifest of the exact files and metadata): if the worker dies after the office
stored the document but before the receipt was recorded, or the answer was lost (``unconfirmed``),
the next call *resumes* that attempt — the same bytes, read back from the archive by hash, under
the same key — even if the report was rendered again meanwhile; the office answers the repeated
key with its first receipt. Sending a *different* document while an attempt is open, or after a
delivery, needs ``force`` (a new key).

Failed calls are recorded too (status ``failed``, attempts, reason). Bearer tokens never appear
in a reason or a log line. No Airflow import here: the DAG passes the token lookup and, for
SMTP, the function that sends an :class:`~email.message.EmailMessage`.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import smtplib
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any, Protocol

import requests

# Settings live in delivery_config; re-exported because callers say deliver.load_settings().
from county_reports.delivery_config import (DeliverySettings, FolderSettings,  # noqa: F401
                                            HttpSettings, SmtpSettings, load_settings,
                                            parse_settings)
from county_reports.tokens import TokenLookup

log = logging.getLogger(__name__)
__all__ = ["Document", "DeliveryResult", "DeliveryLedger", "WarehouseDeliveryLedger", "deliver",
           "build_message", "smtplib_sender", "DeliverySettings", "HttpSettings", "SmtpSettings",
           "FolderSettings", "load_settings", "parse_settings"]

KINDS = ("half_year", "annual")
DELIVERED, ALREADY_DELIVERED, FAILED = "delivered", "already_delivered", "failed"
UNCONFIRMED = "unconfirmed"     # ledger only: the office may hold it; the next call resumes
RECEIPT_FILE = "receipt.json"
MIME_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".json": "application/json", ".pdf": "application/pdf",
}
SmtpSend = Callable[[EmailMessage], str]




# --------------------------------------------------------------------------- what is sent


@dataclass(frozen=True)
class Document:
    """A rendered document: the .docx that identifies it (by SHA-256) and files sent with it."""

    kind: str                        # half_year | annual
    year: int
    title: str                       # e.g. 清河县交通运输局2025年上半年工作总结及下半年工作计划
    issuer: str                      # the issuing bureau, from bureau.yaml
    path: Path                       # the .docx
    extras: tuple[Path, ...] = ()    # sidecar .json, appendix .xlsx …
    correction_of: str | None = None  # a corrected version (更正): the receipt of the original

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        object.__setattr__(self, "extras", tuple(Path(p) for p in self.extras))
        if self.kind not in KINDS:
            raise ValueError(f"document kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if isinstance(self.year, bool) or not isinstance(self.year, int) or not 2000 <= self.year <= 2100:
            raise ValueError(f"document year {self.year!r} is not a year like 2025")
        if not self.title.strip() or not self.issuer.strip():
            raise ValueError("a document needs a title and an issuer")
        if self.path.suffix.lower() != ".docx":
            raise ValueError(f"{self.path.name} is not a .docx file")
        names = [p.name for p in self.files]
        if len(set(names)) != len(names):
            raise ValueError(f"two files of the document share a name: {names}")

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.path, *self.extras)

    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class DeliveryResult:
    status: str                      # delivered | already_delivered | failed
    channel: str
    sha256: str
    receipt_id: str | None = None
    attempts: int = 0
    error: str | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- the ledger


class DeliveryLedger(Protocol):
    def already_delivered(self, kind: str, year: int) -> dict[str, Any] | None:
        """The latest *delivered* row for (kind, year): receipt_id, document_sha256, channel, …"""

    def open_attempt(self, kind: str, year: int) -> dict[str, Any] | None:
        """The latest attempt left ``sending`` or ``unconfirmed`` after the last delivery."""

    def begin_attempt(self, *, kind: str, year: int, sha256: str, filename: str, channel: str,
                      key: str, manifest_sha256: str | None) -> int:
        """Record an attempt before sending; returns its id."""

    def finish_attempt(self, attempt_id: int, *, status: str, attempts: int, receipt_id: str | None = None,
                       error: str | None = None, delivered_at: datetime | None = None) -> None:
        """Conclude an attempt: delivered, failed or unconfirmed."""

    def record_delivery(self, *, kind: str, year: int, sha256: str, filename: str, channel: str,
                        status: str, attempts: int, receipt_id: str | None = None,
                        error: str | None = None, delivered_at: datetime | None = None) -> None:
        """One concluded row for a call that failed before sending (no token …)."""


def __getattr__(name: str):
    # The SQL lives in warehouse/deliveries.py; imported on first use (SQLAlchemy is not light).
    if name == "WarehouseDeliveryLedger":
        from county_reports.warehouse.deliveries import WarehouseDeliveryLedger

        return WarehouseDeliveryLedger
    raise AttributeError(name)


# --------------------------------------------------------------------------- channels


class _AttemptFailed(Exception):
    """``maybe_stored``: the office may hold the document (the answer was lost on the way)."""

    def __init__(self, reason: str, retry: bool, maybe_stored: bool = False):
        super().__init__(reason)
        self.reason, self.retry, self.maybe_stored = reason, retry, maybe_stored


def _mime(path: Path) -> str:
    return MIME_TYPES.get(path.suffix.lower(), "application/octet-stream")


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _metadata(doc: Document, blobs: list[tuple[Path, bytes]], sha: str, recipient: str) -> dict[str, Any]:
    return {"protocol": 1, "kind": doc.kind, "year": doc.year, "title": doc.title, "sha256": sha,
            "sender": doc.issuer, "recipient": recipient, "filename": doc.path.name,
            "correction_of": doc.correction_of,
            "attachments": [{"filename": p.name, "sha256": hashlib.sha256(b).hexdigest(), "size": len(b)}
                            for p, b in blobs[1:]]}


def _send_http(cfg: HttpSettings, token: str, key: str, meta: dict, blobs: list[tuple[Path, bytes]]) -> str:
    files = [("metadata", (None, json.dumps(meta, ensure_ascii=False).encode("utf-8"), "application/json"))]
    files += [("document" if i == 0 else "attachment", (p.name, data, _mime(p))) for i, (p, data) in enumerate(blobs)]
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key, "Accept": "application/json",
               "User-Agent": "county-reports/0.1 (delivery)"}
    try:
        with requests.Session() as session:
            answer = session.post(cfg.url, files=files, headers=headers, allow_redirects=False,
                                  timeout=(cfg.connect_timeout, cfg.read_timeout))
    except requests.RequestException as exc:
        raise _AttemptFailed(f"could not reach the county office at {cfg.url}: {type(exc).__name__}: "
                             f"{str(exc)[:200]}", retry=True, maybe_stored=_maybe_sent(exc)) from None
    status = answer.status_code
    if status >= 500 or status == 429:
        raise _AttemptFailed(f"the county office answered HTTP {status}", retry=True)
    if status in (401, 403):
        raise _AttemptFailed(f"the county office refused the bearer token (HTTP {status}); check the "
                             f"password of Airflow connection {cfg.token_conn_id!r}", retry=False)
    if status >= 300:
        raise _AttemptFailed(f"the county office refused the document (HTTP {status}): "
                             f"{answer.text[:200]}", retry=False)
    try:
        receipt = answer.json()["receipt_id"]
        if not isinstance(receipt, str) or not receipt:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        # Probably stored; asking again with the same Idempotency-Key cannot store it twice.
        raise _AttemptFailed(f"HTTP {status} but no receipt_id in the answer", retry=True,
                             maybe_stored=True) from None
    return receipt


def _maybe_sent(exc: requests.RequestException) -> bool:
    """False only when the request certainly never reached the office (no connection made)."""
    import urllib3

    if isinstance(exc, requests.ConnectTimeout):
        return False
    cause = exc.args[0] if exc.args else None
    return not isinstance(getattr(cause, "reason", cause), urllib3.exceptions.NewConnectionError)


def build_message(doc: Document, blobs: list[tuple[Path, bytes]], sha: str, key: str,
                  cfg: SmtpSettings, recipient: str) -> EmailMessage:
    """The mail: Chinese subject and body from delivery.yaml, attachments with RFC 2231 names."""
    attached = [(p, b) for p, b in blobs if p.suffix.lower() in cfg.attach]
    fields = {"sender": doc.issuer, "recipient": recipient, "title": doc.title, "year": doc.year,
              "filename": doc.path.name, "sha256": sha, "attachments": "、".join(p.name for p, _ in attached)}
    msg = EmailMessage()
    msg["From"] = cfg.sender
    msg["To"] = ", ".join(cfg.to)
    if cfg.cc:
        msg["Cc"] = ", ".join(cfg.cc)
    msg["Subject"] = cfg.subject.format(**fields)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = f"<{key}@{parseaddr(cfg.sender)[1].rpartition('@')[2] or 'localhost'}>"
    msg["X-Document-SHA256"] = sha
    msg.set_content(cfg.body.format(**fields))
    for path, data in attached:
        maintype, subtype = _mime(path).split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=path.name)
    return msg


def _send_smtp(smtp_send: SmtpSend, msg: EmailMessage) -> str:
    try:
        return smtp_send(msg) or str(msg["Message-ID"])
    except smtplib.SMTPRecipientsRefused as exc:
        raise _AttemptFailed(f"the mail server refused every recipient: {', '.join(exc.recipients)}",
                             retry=False) from None
    except smtplib.SMTPResponseException as exc:   # 4xx: try later; 5xx: permanent
        detail = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        raise _AttemptFailed(f"the mail server answered {exc.smtp_code} {detail}"[:300],
                             retry=exc.smtp_code < 500) from None
    except Exception as exc:  # connection refused, disconnects, the hook's own errors: retry
        raise _AttemptFailed(f"could not send the mail: {type(exc).__name__}: {exc}"[:300], retry=True,
                             maybe_stored=not isinstance(exc, ConnectionRefusedError)) from None


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "xb") as fh:                 # "x": never overwrite
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _send_folder(cfg: FolderSettings, key: str, meta: dict, blobs: list[tuple[Path, bytes]]) -> str:
    """Copy into ``<path>/<key>/`` whole: written in a hidden folder, then renamed into place."""
    target = cfg.path / key
    receipt_id = f"DIR-{key}"

    def existing_receipt() -> str:
        try:
            receipt = json.loads((target / RECEIPT_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            receipt = {}
        if receipt.get("sha256") == meta["sha256"] and receipt.get("receipt_id"):
            return receipt["receipt_id"]          # delivered earlier; the ledger did not hear of it
        raise _AttemptFailed(f"{target} exists and does not hold this document; nothing was overwritten",
                             retry=False)

    try:
        cfg.path.mkdir(parents=True, exist_ok=True)
        if target.exists():
            return existing_receipt()
        tmp = cfg.path / f".{key}.partial-{uuid.uuid4().hex[:8]}"   # hidden until complete
        tmp.mkdir()                                                  # (mkdtemp would make it 0700)
        try:
            for path, data in blobs:
                _write_file(tmp / path.name, data)
            receipt = {"receipt_id": receipt_id, "delivered_at": datetime.now(timezone.utc).isoformat(),
                       **meta}
            _write_file(tmp / RECEIPT_FILE, json.dumps(receipt, ensure_ascii=False, indent=1).encode("utf-8"))
            try:
                os.rename(tmp, target)           # atomic; fails if the target appeared meanwhile
            except OSError:
                if target.exists():
                    return existing_receipt()
                raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        raise _AttemptFailed(f"could not write to {cfg.path}: {type(exc).__name__}: {exc}", retry=True) from None
    return receipt_id


# --------------------------------------------------------------------------- deliver


def deliver(document: Document, settings: DeliverySettings, *, ledger: DeliveryLedger,
            token_lookup: TokenLookup | None = None, force: bool = False,
            smtp_send: SmtpSend | None = None, archive_dir: Path | None = None) -> DeliveryResult:
    """Send ``document`` over ``settings.channel`` unless (kind, year) was delivered already;
    resume an open attempt (same bytes, same key) first. ``archive_dir``: the data folder whose
    ``raw/`` keeps what is sent (default: the configured data folder)."""
    from county_reports import paths

    channel = settings.channel
    if channel == "smtp" and smtp_send is None:
        raise ValueError("channel smtp needs smtp_send (inside Airflow: a sender built on SmtpHook; "
                         "outside: smtplib_sender(host, port))")
    if channel == "http" and token_lookup is None:
        raise ValueError("channel http needs token_lookup")
    data_root = Path(archive_dir) if archive_dir is not None else paths.data_dir()
    current = [(p, p.read_bytes()) for p in document.files]
    current_sha = hashlib.sha256(current[0][1]).hexdigest()

    previous = ledger.already_delivered(document.kind, document.year)
    pending = ledger.open_attempt(document.kind, document.year)
    resume = pending if pending and pending.get("manifest_sha256") and pending.get("idempotency_key") and \
        not (force and pending.get("document_sha256") != current_sha) else None
    note = None
    if resume is not None:
        blobs, meta, key = _load_manifest(data_root, resume)
        sha = meta["sha256"]
        note = (f"resumed the attempt begun for {document.kind} {document.year} under key {key} "
                f"(sha256 {sha[:12]}…, the document rendered then)")
        if sha != current_sha:
            note += f"; the current rendering (sha256 {current_sha[:12]}…) was not sent — use force to send it"
        log.warning("Delivery: %s", note)
    else:
        blobs, sha = current, current_sha
        key = f"{document.kind}-{document.year}-{sha[:16]}"
        what = f"{document.kind} {document.year} ({document.path.name}, sha256 {sha[:12]}…)"
        if previous:
            same = previous.get("document_sha256") == sha
            earlier = (f"delivered on {previous.get('delivered_at')} via {previous.get('channel')}, receipt "
                       f"{previous.get('receipt_id')}; " + ("same document (identical bytes)" if same else
                       f"that was a different rendering (sha256 {str(previous.get('document_sha256'))[:12]}…)"))
            if not force:
                log.info("Not sending %s: already %s. Use force to send it again.", what, earlier)
                return DeliveryResult(ALREADY_DELIVERED, previous.get("channel") or channel, sha,
                                      previous.get("receipt_id"), 0, None, earlier)
            log.warning("Forced re-delivery of %s; earlier: %s", what, earlier)
            key += "-re-" + hashlib.sha256(str(previous.get("receipt_id")).encode()).hexdigest()[:8]
            note = "forced re-delivery"
        elif pending:
            log.warning("Forced delivery of %s while attempt %s (sha256 %s…) is open", what,
                        pending.get("idempotency_key"), str(pending.get("document_sha256"))[:12])
            key += "-re-" + hashlib.sha256(str(pending.get("idempotency_key")).encode()).hexdigest()[:8]
            note = "forced delivery of a new rendering while an earlier attempt was unconfirmed"
        meta = _metadata(document, blobs, sha, settings.recipient)
    what = f"{document.kind} {document.year} ({blobs[0][0].name}, sha256 {sha[:12]}…)"

    secrets: list[str] = []
    if channel == "http":
        conn_id = settings.http.token_conn_id
        try:
            token = token_lookup(conn_id)
        except Exception as exc:
            token, problem = None, f"could not read Airflow connection {conn_id!r} ({type(exc).__name__})"
        else:
            problem = f"no bearer token: Airflow connection {conn_id!r} is missing or has no password"
        if not token:
            ledger.record_delivery(kind=document.kind, year=document.year, sha256=sha, filename=blobs[0][0].name,
                                   channel=channel, status=FAILED, attempts=0, error=problem)
            return DeliveryResult(FAILED, channel, sha, None, 0, problem, note)
        secrets.append(token)
        send = lambda: _send_http(settings.http, token, key, meta, blobs)  # noqa: E731
    elif channel == "smtp":
        msg = build_message(document, blobs, sha, key, settings.smtp, settings.recipient)
        send = lambda: _send_smtp(smtp_send, msg)  # noqa: E731
    else:
        send = lambda: _send_folder(settings.folder, key, meta, blobs)  # noqa: E731

    # Before anything leaves: the exact files are archived and the attempt is on record.
    attempt_id = resume["id"] if resume is not None else ledger.begin_attempt(
        kind=document.kind, year=document.year, sha256=sha, filename=blobs[0][0].name, channel=channel,
        key=key, manifest_sha256=_store_manifest(data_root, key, meta, blobs))
    receipt, error, attempts, maybe_stored = None, None, int((resume or {}).get("attempts") or 0), False
    tried = 0
    while receipt is None:
        attempts, tried = attempts + 1, tried + 1
        try:
            receipt = send()
        except _AttemptFailed as exc:
            error = _redact(exc.reason, secrets)
            maybe_stored = maybe_stored or exc.maybe_stored
            last = not exc.retry or tried > settings.retries
            log.warning("Delivery attempt %d of %s over %s failed%s: %s", attempts, what, channel,
                        "" if last else ", retrying", error)
            if last:
                break
            time.sleep(min(settings.backoff * 2 ** (tried - 1), settings.backoff_max))
    if receipt:
        log.info("Delivered %s over %s on attempt %d: receipt %s", what, channel, attempts, receipt)
    status = DELIVERED if receipt else FAILED
    ledger.finish_attempt(attempt_id, status=status if receipt or not maybe_stored else UNCONFIRMED,
                          attempts=attempts, receipt_id=receipt, error=None if receipt else error,
                          delivered_at=datetime.now(timezone.utc) if receipt else None)
    return DeliveryResult(status, channel, sha, receipt, attempts, None if receipt else error, note)


def _store_manifest(data_root: Path, key: str, meta: dict, blobs: list[tuple[Path, bytes]]) -> str:
    """Archive every file and a manifest naming them; returns the manifest's SHA-256."""
    from county_reports import archive

    files = [{"name": p.name, "sha256": archive.store(data_root, data).sha256} for p, data in blobs]
    manifest = json.dumps({"key": key, "meta": meta, "files": files}, ensure_ascii=False, sort_keys=True)
    return archive.store(data_root, manifest.encode("utf-8")).sha256


def _load_manifest(data_root: Path, row: dict[str, Any]) -> tuple[list[tuple[Path, bytes]], dict, str]:
    from county_reports import archive

    try:
        manifest = json.loads(archive.read(data_root, row["manifest_sha256"]))
        blobs = [(Path(f["name"]), archive.read(data_root, f["sha256"])) for f in manifest["files"]]
    except (OSError, ValueError, KeyError) as exc:
        raise RuntimeError(f"cannot resume delivery attempt {row.get('id')} ({row.get('idempotency_key')}): "
                           f"its archived files are not readable under {data_root / 'raw'} "
                           f"({type(exc).__name__}: {exc})") from None
    return blobs, manifest["meta"], row["idempotency_key"]


def smtplib_sender(host: str, port: int = 25, *, username: str | None = None, password: str | None = None,
                   starttls: bool = False, use_ssl: bool = False, timeout: float = 30.0) -> SmtpSend:
    """A plain smtplib sender (tests, CLI); returns the Message-ID as the receipt."""
    def send(msg: EmailMessage) -> str:
        client_class = smtplib.SMTP_SSL if use_ssl else smtplib.SMTP
        with client_class(host, port, timeout=timeout) as client:
            if starttls and not use_ssl:
                client.starttls()
                client.ehlo()
            if username:
                client.login(username, password or "")
            client.send_message(msg)
        return str(msg["Message-ID"])
    return send
