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
import time
from dataclasses import asdict, dataclass
from datetime import datetime, UTC
from pathlib import Path
from typing import Any, Protocol

from county_reports.core import paths
from county_reports.deliver.channels import (AttemptFailed, build_message, metadata, redact, send_folder, send_http,
                                              send_smtp)
from county_reports.deliver.office_settings import DeliverySettings
from county_reports.core.mail import SmtpSend
from county_reports.core.delivery_status import DELIVERED, FAILED, UNCONFIRMED
from county_reports.core.report_settings import KINDS
from county_reports.core.tokens import TokenLookup

log = logging.getLogger(__name__)
__all__ = ["Document", "DeliveryResult", "DeliveryLedger", "deliver"]

ALREADY_DELIVERED = "already_delivered"   # an answer only: the ledger's statuses are in core.delivery_status


class DocumentChanged(Exception):
    """The .docx on disk is not the approved one: it must be approved again (never retried)."""


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
    approved_sha256: str | None = None  # set: only a .docx with exactly this SHA-256 may leave

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", paths.location(self.path))
        object.__setattr__(self, "extras", tuple(paths.location(p) for p in self.extras))
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


# --------------------------------------------------------------------------- deliver


@dataclass
class _Send:
    """What one call sends: the exact files, their metadata, the key, and why (``note``)."""
    blobs: list[tuple[Path, bytes]]
    meta: dict[str, Any]
    key: str
    resume: dict[str, Any] | None = None
    note: str | None = None

    @property
    def sha(self) -> str:
        return self.meta["sha256"]

    @property
    def what(self) -> str:
        return f"{self.meta['kind']} {self.meta['year']} ({self.blobs[0][0].name}, sha256 {self.sha[:12]}…)"


def deliver(document: Document, settings: DeliverySettings, *, ledger: DeliveryLedger,
            token_lookup: TokenLookup | None = None, force: bool = False,
            smtp_send: SmtpSend | None = None, archive_dir: Path | None = None) -> DeliveryResult:
    """Send ``document`` over ``settings.channel`` unless (kind, year) was delivered already;
    resume an open attempt (same bytes, same key) first. ``archive_dir``: the data folder whose
    ``raw/`` keeps what is sent (default: the configured data folder)."""
    channel = settings.channel
    if channel == "smtp" and smtp_send is None:
        raise ValueError("channel smtp needs smtp_send (inside Airflow: a sender built on SmtpHook; "
                         "outside: smtplib_sender(host, port))")
    if channel == "http" and token_lookup is None:
        raise ValueError("channel http needs token_lookup")
    data_root = paths.location(archive_dir) if archive_dir is not None else paths.data_dir()
    planned = _what_to_send(document, settings, ledger, force, data_root)
    if isinstance(planned, DeliveryResult):
        return planned
    secrets: list[str] = []
    if channel == "http":
        token, problem = _token(settings, token_lookup)
        if not token:
            ledger.record_delivery(kind=document.kind, year=document.year, sha256=planned.sha,
                                   filename=planned.blobs[0][0].name, channel=channel, status=FAILED,
                                   attempts=0, error=problem)
            return DeliveryResult(FAILED, channel, planned.sha, None, 0, problem, planned.note)
        secrets.append(token)
        send = lambda: send_http(settings.http, token, planned.key, planned.meta, planned.blobs)  # noqa: E731
    elif channel == "smtp":
        msg = build_message(document, planned.blobs, planned.sha, planned.key, settings.smtp, settings.recipient)
        send = lambda: send_smtp(smtp_send, msg)  # noqa: E731
    else:
        send = lambda: send_folder(settings.folder, planned.key, planned.meta, planned.blobs)  # noqa: E731
    # Before anything leaves: the exact files are archived and the attempt is on record.
    attempt_id = planned.resume["id"] if planned.resume is not None else ledger.begin_attempt(
        kind=document.kind, year=document.year, sha256=planned.sha, filename=planned.blobs[0][0].name,
        channel=channel, key=planned.key,
        manifest_sha256=_store_manifest(data_root, planned.key, planned.meta, planned.blobs))
    return _attempts(planned, send, settings, ledger, attempt_id, secrets)


def _what_to_send(document: Document, settings: DeliverySettings, ledger: DeliveryLedger, force: bool,
                  data_root: Path) -> _Send | DeliveryResult:
    """The open attempt to resume, the current rendering under a new key, or — delivered
    already and not forced — the answer ``already_delivered`` with the first receipt."""
    current = [(p, p.read_bytes()) for p in document.files]
    current_sha = hashlib.sha256(current[0][1]).hexdigest()
    previous = ledger.already_delivered(document.kind, document.year)
    pending = ledger.open_attempt(document.kind, document.year)
    if pending and pending.get("manifest_sha256") and pending.get("idempotency_key") and \
            not (force and pending.get("document_sha256") != current_sha):
        blobs, meta, key = _load_manifest(data_root, pending)
        note = (f"resumed the attempt begun for {document.kind} {document.year} under key {key} "
                f"(sha256 {meta['sha256'][:12]}…, the document rendered then)")
        if meta["sha256"] != current_sha:
            note += f"; the current rendering (sha256 {current_sha[:12]}…) was not sent — use force to send it"
        log.warning("Delivery: %s", note)
        return _Send(blobs, meta, key, pending, note)
    if document.approved_sha256 and current_sha != document.approved_sha256:
        # Checked on the bytes about to be sent, not on an earlier read of the file.
        raise DocumentChanged(f"{document.path.name} is not the document the admin approved (sha256 "
                              f"{current_sha[:12]}…, approved {document.approved_sha256[:12]}…): nothing sent")
    planned = _Send(current, metadata(document, current, current_sha, settings.recipient),
                    f"{document.kind}-{document.year}-{current_sha[:16]}")
    if previous:
        same = previous.get("document_sha256") == current_sha
        earlier = (f"delivered on {previous.get('delivered_at')} via {previous.get('channel')}, receipt "
                   f"{previous.get('receipt_id')}; " + ("same document (identical bytes)" if same else
                   f"that was a different rendering (sha256 {str(previous.get('document_sha256'))[:12]}…)"))
        if not force:
            log.info("Not sending %s: already %s. Use force to send it again.", planned.what, earlier)
            return DeliveryResult(ALREADY_DELIVERED, previous.get("channel") or settings.channel, current_sha,
                                  previous.get("receipt_id"), 0, None, earlier)
        log.warning("Forced re-delivery of %s; earlier: %s", planned.what, earlier)
        planned.key += "-re-" + hashlib.sha256(str(previous.get("receipt_id")).encode()).hexdigest()[:8]
        planned.note = "forced re-delivery"
    elif pending:
        log.warning("Forced delivery of %s while attempt %s (sha256 %s…) is open", planned.what,
                    pending.get("idempotency_key"), str(pending.get("document_sha256"))[:12])
        planned.key += "-re-" + hashlib.sha256(str(pending.get("idempotency_key")).encode()).hexdigest()[:8]
        planned.note = "forced delivery of a new rendering while an earlier attempt was unconfirmed"
    return planned


def _token(settings: DeliverySettings, token_lookup: TokenLookup) -> tuple[str | None, str]:
    """The office's bearer token, or None and why not (never the token itself)."""
    conn_id = settings.http.token_conn_id
    try:
        token = token_lookup(conn_id)
    except Exception as exc:
        return None, f"could not read Airflow connection {conn_id!r} ({type(exc).__name__})"
    return token, f"no bearer token: Airflow connection {conn_id!r} is missing or has no password"


def _attempts(planned: _Send, send, settings: DeliverySettings, ledger: DeliveryLedger, attempt_id: int,
              secrets: list[str]) -> DeliveryResult:
    """Send until a receipt, a failure a retry cannot help, or ``settings.retries`` retries; then
    conclude the attempt in the ledger (``unconfirmed`` when the office may hold it anyway)."""
    receipt, error, maybe_stored = None, None, False
    attempts, tried = int((planned.resume or {}).get("attempts") or 0), 0
    while receipt is None:
        attempts, tried = attempts + 1, tried + 1
        try:
            receipt = send()
        except AttemptFailed as exc:
            error = redact(exc.reason, secrets)
            maybe_stored = maybe_stored or exc.maybe_stored
            last = not exc.retry or tried > settings.retries
            log.warning("Delivery attempt %d of %s over %s failed%s: %s", attempts, planned.what,
                        settings.channel, "" if last else ", retrying", error)
            if last:
                break
            time.sleep(min(settings.backoff * 2 ** (tried - 1), settings.backoff_max))
    if receipt:
        log.info("Delivered %s over %s on attempt %d: receipt %s", planned.what, settings.channel, attempts, receipt)
    status = DELIVERED if receipt else FAILED
    ledger.finish_attempt(attempt_id, status=status if receipt or not maybe_stored else UNCONFIRMED,
                          attempts=attempts, receipt_id=receipt, error=None if receipt else error,
                          delivered_at=datetime.now(UTC) if receipt else None)
    return DeliveryResult(status, settings.channel, planned.sha, receipt, attempts, None if receipt else error,
                          planned.note)


def _store_manifest(data_root: Path, key: str, meta: dict, blobs: list[tuple[Path, bytes]]) -> str:
    """Archive every file and a manifest naming them; returns the manifest's SHA-256."""
    from county_reports.core import archive

    files = [{"name": p.name, "sha256": archive.store(data_root, data).sha256} for p, data in blobs]
    manifest = json.dumps({"key": key, "meta": meta, "files": files}, ensure_ascii=False, sort_keys=True)
    return archive.store(data_root, manifest.encode("utf-8")).sha256


def _load_manifest(data_root: Path, row: dict[str, Any]) -> tuple[list[tuple[Path, bytes]], dict, str]:
    from county_reports.core import archive

    try:
        manifest = json.loads(archive.read(data_root, row["manifest_sha256"]))
        blobs = [(Path(f["name"]), archive.read(data_root, f["sha256"])) for f in manifest["files"]]
    except (OSError, ValueError, KeyError) as exc:
        raise RuntimeError(f"cannot resume delivery attempt {row.get('id')} ({row.get('idempotency_key')}): "
                           f"its archived files are not readable under {paths.raw(data_root)} "
                           f"({type(exc).__name__}: {exc})") from None
    return blobs, manifest["meta"], row["idempotency_key"]
