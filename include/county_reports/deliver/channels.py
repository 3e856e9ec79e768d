"""The three ways a document reaches the county office: HTTP (multipart, bearer token,
``Idempotency-Key``), SMTP (one mail, Message-ID from the key) and a folder (one sub-folder per
key, moved into place whole). Each sends the exact bytes it is given and either returns a receipt
or raises :class:`AttemptFailed` saying whether a retry can help and whether the office may hold
the document anyway. The bookkeeping around them (never twice, resume, the ledger) is
:mod:`county_reports.deliver.office`'s.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import smtplib
import uuid
from datetime import datetime, UTC
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any

import requests

from county_reports.core import messages
from county_reports.deliver.office_settings import FolderSettings, HttpSettings, SmtpSettings
from county_reports.core.mail import SmtpSend

# ``doc`` below is a county_reports.deliver.office.Document (not imported: deliver imports this module).

RECEIPT_FILE = "receipt.json"
MIME_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".json": "application/json", ".pdf": "application/pdf",
}


class AttemptFailed(Exception):
    """``maybe_stored``: the office may hold the document (the answer was lost on the way)."""

    def __init__(self, reason: str, retry: bool, maybe_stored: bool = False):
        super().__init__(reason)
        self.reason, self.retry, self.maybe_stored = reason, retry, maybe_stored


def _mime(path: Path) -> str:
    return MIME_TYPES.get(path.suffix.lower(), "application/octet-stream")


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def metadata(doc: Any, blobs: list[tuple[Path, bytes]], sha: str, recipient: str) -> dict[str, Any]:
    return {"protocol": 1, "kind": doc.kind, "year": doc.year, "title": doc.title, "sha256": sha,
            "sender": doc.issuer, "recipient": recipient, "filename": doc.path.name,
            "correction_of": doc.correction_of,
            "attachments": [{"filename": p.name, "sha256": hashlib.sha256(b).hexdigest(), "size": len(b)}
                            for p, b in blobs[1:]]}


def send_http(cfg: HttpSettings, token: str, key: str, meta: dict, blobs: list[tuple[Path, bytes]]) -> str:
    files = [("metadata", (None, json.dumps(meta, ensure_ascii=False).encode("utf-8"), "application/json"))]
    files += [("document" if i == 0 else "attachment", (p.name, data, _mime(p))) for i, (p, data) in enumerate(blobs)]
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key, "Accept": "application/json",
               "User-Agent": "county-reports/0.1 (delivery)"}
    try:
        with requests.Session() as session:
            answer = session.post(cfg.url, files=files, headers=headers, allow_redirects=False,
                                  timeout=(cfg.connect_timeout, cfg.read_timeout))
    except requests.RequestException as exc:
        raise AttemptFailed(f"could not reach the county office at {cfg.url}: {type(exc).__name__}: "
                             f"{str(exc)[:200]}", retry=True, maybe_stored=_maybe_sent(exc)) from None
    status = answer.status_code
    if status >= 500 or status == 429:
        raise AttemptFailed(f"the county office answered HTTP {status}", retry=True)
    if status in (401, 403):
        raise AttemptFailed(f"the county office refused the bearer token (HTTP {status}); check the "
                             f"password of Airflow connection {cfg.token_conn_id!r}", retry=False)
    if status >= 300:
        raise AttemptFailed(f"the county office refused the document (HTTP {status}): "
                             f"{answer.text[:200]}", retry=False)
    try:
        answered = answer.json()
        receipt = answered["receipt_id"]
        if not isinstance(receipt, str) or not receipt:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        # Probably stored; asking again with the same Idempotency-Key cannot store it twice.
        raise AttemptFailed(f"HTTP {status} but no receipt_id in the answer", retry=True,
                             maybe_stored=True) from None
    check_receipt(answered, meta["sha256"], key)
    return receipt


def check_receipt(answered: dict, sha: str, key: str) -> None:
    """A receipt counts only for this document: the office echoes its SHA-256 and our key.

    Otherwise it may be some other document's receipt (a proxy's cache, a confused office): the
    office may hold ours, so the attempt is unconfirmed — never delivered, not retried blindly."""
    echoed = {"sha256": answered.get("sha256"), "idempotency_key": answered.get("idempotency_key")}
    wrong = [name for name, want in (("sha256", sha), ("idempotency_key", key)) if echoed[name] != want]
    if wrong:
        raise AttemptFailed(f"the office's receipt {str(answered.get('receipt_id'))[:80]!r} does not echo this "
                            f"document's {' and '.join(wrong)}: not counted as delivered", retry=False,
                            maybe_stored=True)


def _maybe_sent(exc: requests.RequestException) -> bool:
    """False only when the request certainly never reached the office (no connection made)."""
    import urllib3

    if isinstance(exc, requests.ConnectTimeout):
        return False
    cause = exc.args[0] if exc.args else None
    return not isinstance(getattr(cause, "reason", cause), urllib3.exceptions.NewConnectionError)


def build_message(doc: Any, blobs: list[tuple[Path, bytes]], sha: str, key: str,
                  cfg: SmtpSettings, recipient: str) -> EmailMessage:
    """The mail: Chinese subject and body from delivery.yaml, attachments with RFC 2231 names."""
    attached = [(p, b) for p, b in blobs if p.suffix.lower() in cfg.attach]
    fields = {"sender": doc.issuer, "recipient": recipient, "title": doc.title, "year": doc.year,
              "filename": doc.path.name, "sha256": sha, "attachments": messages.join(p.name for p, _ in attached)}
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


def send_smtp(smtp_send: SmtpSend, msg: EmailMessage) -> str:
    try:
        return smtp_send(msg) or str(msg["Message-ID"])
    except smtplib.SMTPRecipientsRefused as exc:
        raise AttemptFailed(f"the mail server refused every recipient: {', '.join(exc.recipients)}",
                             retry=False) from None
    except smtplib.SMTPResponseException as exc:   # 4xx: try later; 5xx: permanent
        detail = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        raise AttemptFailed(f"the mail server answered {exc.smtp_code} {detail}"[:300],
                             retry=exc.smtp_code < 500) from None
    except Exception as exc:  # connection refused, disconnects, the hook's own errors: retry
        raise AttemptFailed(f"could not send the mail: {type(exc).__name__}: {exc}"[:300], retry=True,
                             maybe_stored=not isinstance(exc, ConnectionRefusedError)) from None


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "xb") as fh:                 # "x": never overwrite
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def send_folder(cfg: FolderSettings, key: str, meta: dict, blobs: list[tuple[Path, bytes]]) -> str:
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
        raise AttemptFailed(f"{target} exists and does not hold this document; nothing was overwritten",
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
            receipt = {"receipt_id": receipt_id, "delivered_at": datetime.now(UTC).isoformat(),
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
        raise AttemptFailed(f"could not write to {cfg.path}: {type(exc).__name__}: {exc}", retry=True) from None
    return receipt_id


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
