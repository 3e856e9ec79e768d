"""Templates by e-mail: new messages in the bureau's mailbox → the inbox, quarantine, or held.

:func:`fetch` reads the messages not yet marked processed (an IMAP keyword), and for each one:

1. archives the raw message (.eml) under its SHA-256 before reading anything, and takes its
   receipt time from the server (IMAP INTERNALDATE), never from the sender's ``Date:``;
2. recognises a message seen before (same Message-ID or same bytes) as a duplicate: nothing changes;
3. finds exactly one workbook attachment and reads the unit, month and signature from the
   template's own meta sheet;
4. accepts it only when everything vouches for the sender (:func:`_refusal`): the unit reports by
   e-mail (``units.yaml channels``), the sender is one of the unit's ``emails``, the bureau's own
   mail server's ``Authentication-Results`` says the sender passed (:mod:`mail_auth`; mail.yaml
   ``require_authentication_results`` for a server that adds none), and the template's
   signature is the bureau's for this unit and month (:func:`template.signature`);
5. drops the workbook at ``{data}/inbox/{unit}/{period}/{unit}.xlsx``, stamped with the receipt time;
   or, when the warehouse already holds an accepted version of that month, holds it in
   ``{data}/mailbox/held/`` for an admin (a mailed file never silently replaces accepted figures);
6. leaves a template for a later month that is already over unmarked, for the run collecting it;
7. or quarantines the message with a reason: kept, never accepted, folders and files named by
   hashes (never by a header or an attachment name; the names are in ``reason.txt``). Any
   surprise while reading one message quarantines that message; only the mail server's failure
   or a full / read-only data folder fails the run (the message then stays new);
8. records the outcome in ``{data}/mailbox/messages.jsonl`` and only then marks the message
   processed on the server.

:mod:`mail_notices` tells the admins (and a proven sender) about what was not accepted;
:func:`county_reports.deliver.notify.reply_by_mail` answers each inboxed message after validation,
reading and writing this module's mail ledger (:func:`pending`, :func:`entries`, :func:`record_sent`).

``client`` is imaplib-compatible: ``ImapHook.mail_client`` in the DAG, ``imaplib.IMAP4`` in tests.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import datetime, UTC
from pathlib import Path
from typing import Any
from collections.abc import Collection, Iterable

from county_reports.core import archive, atomic, messages, paths, periods as months
from county_reports.collect import inbox, mail_auth, mail_message
from county_reports.collect import template
from county_reports.core.atomic import DataFolderError
from county_reports.core.catalog import Catalog
from county_reports.core.mail import MailSettings
from county_reports.collect.mail_message import MailServerError

log = logging.getLogger(__name__)
INBOXED, QUARANTINED, DUPLICATE, HELD = "inboxed", "quarantined", "duplicate", "held"


@dataclass
class MailEntry:
    """One processed message, as the mail ledger keeps it."""

    message_id: str
    sha256: str                         # of the raw message, archived
    outcome: str                        # inboxed | quarantined | held | duplicate
    sender: str
    subject: str
    date: str | None                    # the message's own Date (the sender's claim), ISO 8601
    references: str = ""
    unit: str | None = None
    period: str | None = None
    filename: str | None = None
    workbook_sha256: str | None = None
    reason_key: str | None = None
    reason: str | None = None
    quarantine: str | None = None       # folder with the attachments of a quarantined / held message
    processed_at: str = ""
    received_at: str | None = None      # when the bureau's server took it (IMAP INTERNALDATE)


def mailbox_dir(data_dir: Path) -> Path:
    return paths.mailbox(data_dir)


def ledger_path(data_dir: Path) -> Path:
    return mailbox_dir(data_dir) / "messages.jsonl"


def sent_path(data_dir: Path) -> Path:
    return mailbox_dir(data_dir) / "sent.jsonl"


def held_dir(data_dir: Path) -> Path:
    """Mailed workbooks that would replace an accepted version, each waiting for an admin."""
    return mailbox_dir(data_dir) / "held"


# --------------------------------------------------------------------------- fetching


def fetch(client, catalog: Catalog, data_dir: Path, wanted: Iterable[str], settings: MailSettings, *,
          template_key: str, accepted: Collection[tuple[str, str]] = (),
          now: datetime | None = None) -> list[MailEntry]:
    """Process every new message in the mailbox folder; returns one entry per message.

    ``template_key``: the bureau's key the templates are signed with; ``accepted``: the (unit,
    month) pairs the warehouse holds an accepted version of (a mailed workbook for one is held
    for an admin). One message's trouble quarantines that message; only the mail server's
    (:class:`MailServerError`) or a full or read-only data folder's fails the run.
    """
    if not template_key:
        raise ValueError("no template key: the Connection in mail.yaml template_key_conn_id is missing")
    data_dir = paths.location(data_dir)
    ctx = _Context(catalog, data_dir, sorted(set(wanted)), settings, template_key, set(accepted), now)
    mail_message.select(client, settings.folder)
    seen_ids, seen_shas = _seen(data_dir)
    out = []
    for uid in mail_message.new_uids(client, settings.processed_keyword):
        entry = _fetch_one(client, uid, ctx, seen_ids, seen_shas)
        if entry is None:
            continue
        _append(ledger_path(data_dir), asdict(entry))
        seen_ids.add(entry.message_id)
        seen_shas.add(entry.sha256)
        # Only now, with the workbook in the inbox (or the message quarantined) and the outcome
        # recorded: a crash before this line fetches the message again, as a duplicate.
        mail_message.call(client, "STORE", uid, "+FLAGS", f"({settings.processed_keyword})")
        out.append(entry)
    return out


@dataclass
class _Context:
    catalog: Catalog
    data_dir: Path
    wanted: list[str]
    settings: MailSettings
    key: str
    accepted: set[tuple[str, str]]
    now: datetime | None


def _fetch_one(client, uid: bytes, ctx: _Context, seen_ids: set[str], seen_shas: set[str]) -> MailEntry | None:
    size, arrived = mail_message.size_and_arrival(client, uid)
    arrived = min(arrived or _now(ctx.now), _now(ctx.now))
    if size is not None and size > ctx.settings.max_message_bytes:
        head = mail_message.body(client, uid, "BODY.PEEK[HEADER]") or b""
        entry = _entry_or_blank(head, "", arrived, ctx.now)
        entry.sha256 = ""
        return _quarantine(entry, ctx.data_dir, [], "too_large", size=size, limit=ctx.settings.max_message_bytes,
                         folder_hash=hashlib.sha256(head + uid).hexdigest())
    raw = mail_message.body(client, uid)
    if raw is None:
        log.warning("message UID %s vanished before it could be fetched", uid)
        return None
    stored = archive.store(ctx.data_dir, raw)          # before anything reads the message
    entry = _entry_or_blank(raw, stored.sha256, arrived, ctx.now)
    if entry.message_id in seen_ids or entry.sha256 in seen_shas:
        entry.outcome = DUPLICATE
        return entry
    try:
        return _classify(mail_message.parse(raw), entry, ctx)
    except (MailServerError, DataFolderError):
        # The server's or our data folder's trouble, not the message's (no path comes from a
        # message): the task fails and retries, the message stays new.
        raise
    except Exception as exc:                       # never lose a message, never stop the month
        log.exception("reading message %s failed", entry.message_id)
        return _quarantine(entry, ctx.data_dir, [], "unreadable", detail=type(exc).__name__)


def _classify(msg, entry: MailEntry, ctx: _Context) -> MailEntry | None:
    parts = mail_message.attachments(msg)
    books = [(name, data) for name, data, mime in parts if mail_message.is_workbook(name, mime)]
    if not books:
        names = messages.join(name for name, _, _ in parts) or messages.text("mail_words", "no_attachments")
        return _quarantine(entry, ctx.data_dir, parts, "no_workbook", attachments=names)
    if len(books) > 1:
        return _quarantine(entry, ctx.data_dir, parts, "two_workbooks", count=len(books),
                           filenames=messages.join(name for name, _ in books))
    filename, data = books[0]
    entry.filename = filename
    entry.workbook_sha256 = archive.store(ctx.data_dir, data).sha256
    try:
        unit_code, period, signed = inbox.read_identity(data, "")
    except inbox.InboxError as exc:
        key = "corrupt" if exc.damaged else "not_template"
        return _quarantine(entry, ctx.data_dir, parts, key, filename=filename,
                           detail=exc.reason.rstrip(messages.text("joins", "sentence_end")))
    entry.unit, entry.period = unit_code, period
    refused = _refusal(msg, entry, ctx, unit_code, period, signed)
    if refused is not None:
        return _quarantine(entry, ctx.data_dir, parts, refused[0], **refused[1])
    if period not in ctx.wanted:
        if ctx.wanted and max(ctx.wanted) < period < _current_month(ctx.catalog, ctx.now):
            return None        # a later month, already over: left new for the run collecting it
        return _quarantine(entry, ctx.data_dir, parts, "other_month", period=period,
                           periods=messages.join(ctx.wanted) or messages.text("joins", "none"))
    if (unit_code, period) in ctx.accepted:
        return _hold(entry, ctx.data_dir, data, unit=unit_code, period=period)
    _drop_in_inbox(ctx.data_dir, period, unit_code, data, datetime.fromisoformat(entry.received_at))
    entry.outcome = INBOXED
    return entry


def _refusal(msg, entry: MailEntry, ctx: _Context, unit_code: str, period: str,
             signed: str) -> tuple[str, dict[str, Any]] | None:
    """Why this message may not speak for ``unit_code`` (a reason key and its values), or None.
    In order: a unit that exists and reports by e-mail, a sender registered to it, our own mail
    server vouching for the sender, and the template's signature for this unit and month."""
    unit = ctx.catalog.unit_by_code.get(unit_code)
    if unit is None or not unit.active_in(period):
        return "unknown_unit", {"unit": unit_code, "period": period}
    if "email" not in unit.channels:
        return "not_email_channel", {"unit": unit_code, "sender": entry.sender or messages.text("joins", "none")}
    registered = {a: u.code for u in ctx.catalog.units for a in u.emails}
    sender_unit = registered.get(entry.sender)
    if sender_unit is None:
        return "unknown_sender", {"sender": entry.sender or messages.text("joins", "none"), "unit": unit_code}
    if sender_unit != unit_code:
        return "other_unit", {"sender": entry.sender, "sender_unit": sender_unit, "unit": unit_code}
    said = mail_auth.verdict(mail_message.raw_headers(msg), entry.sender, ctx.settings.authserv_id)
    if said == mail_auth.FAIL:
        return "not_authenticated", {"sender": entry.sender, "server": ctx.settings.authserv_id}
    if said == mail_auth.NONE and ctx.settings.require_authentication_results:
        return "no_authentication", {"sender": entry.sender, "server": ctx.settings.authserv_id}
    if not template.signature_fits(ctx.key, unit_code, period, signed):
        return "bad_signature", {"unit": unit_code, "period": period}
    return None


def _drop_in_inbox(data_dir: Path, period: str, unit: str, data: bytes, when: datetime) -> Path:
    """Write the workbook where collection reads it, stamped with the time the bureau's server
    received the message (the inbox reads a workbook's receipt time from that stamp)."""
    target = inbox.inbox_path(data_dir, period, unit)
    inbox.stamp_submitted(target, when)          # before the workbook: a reader never misses it
    if paths.is_remote(target):                  # one PUT is atomic; objects have no settable time
        atomic.write_bytes(target, data)
        return target
    aside = target.with_name(f".{target.name}.mail")
    atomic.write_bytes(aside, data)
    stamp = when.timestamp()
    os.utime(aside, (stamp, stamp))
    os.replace(aside, target)
    return target


def _folder_for(entry: MailEntry, data_dir: Path, kind: str, folder_hash: str | None) -> Path:
    """A message's quarantine (or held) folder: named by a hash, never by a header."""
    name = (folder_hash or entry.sha256 or hashlib.sha256(entry.message_id.encode()).hexdigest())[:32]
    return (paths.quarantine(data_dir) if kind == QUARANTINED else held_dir(data_dir)) / name


def _quarantine(entry: MailEntry, data_dir: Path, parts: list[tuple[str, bytes, str]],
                key: str, folder_hash: str | None = None, **values: Any) -> MailEntry:
    entry.outcome, entry.reason_key = QUARANTINED, key
    entry.reason = messages.text("mail_quarantine", key, **values)
    folder = _folder_for(entry, data_dir, QUARANTINED, folder_hash)
    kept = []
    for n, (name, data, mime) in enumerate(parts, 1):
        stored = mail_message.stored_name(n, name, data, mime)
        atomic.write_bytes(folder / stored, data)
        kept.append(f"{stored}: {name}")
    atomic.write_text(folder / "reason.txt", _reason_text(entry, kept))
    entry.quarantine = str(folder)
    return entry


def _hold(entry: MailEntry, data_dir: Path, data: bytes, **values: Any) -> MailEntry:
    """A mailed workbook that would replace an accepted version: kept for an admin to release."""
    folder = _folder_for(entry, data_dir, HELD, None)
    entry.outcome, entry.reason_key = HELD, "held"
    entry.reason = messages.text("mail_quarantine", "held", folder=folder, **values)
    atomic.write_bytes(folder / "workbook.xlsx", data)
    atomic.write_text(folder / "reason.txt", _reason_text(entry, [f"workbook.xlsx: {entry.filename}"]))
    entry.quarantine = str(folder)
    return entry


def _reason_text(entry: MailEntry, kept: list[str]) -> str:
    lines = [entry.reason or "", f"Message-ID: {entry.message_id}", f"From: {entry.sender}",
             f"Subject: {entry.subject}", f"Received: {entry.received_at}", f"Date (sender's): {entry.date}",
             f"SHA-256: {entry.sha256}", *kept]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- replying


def pending(data_dir: Path, outcome: str, kind: str) -> list[MailEntry]:
    """Ledger entries with ``outcome`` that have no ``kind`` mail recorded as sent yet."""
    done = {(row["kind"], row["message_id"]) for row in _read(sent_path(data_dir))}
    out: dict[str, MailEntry] = {}
    for row in _read(ledger_path(data_dir)):
        if row["outcome"] == outcome and (kind, row["message_id"]) not in done:
            out[row["message_id"]] = MailEntry(**row)
    return list(out.values())


def summary(fetched: list[MailEntry]) -> str:
    """A few lines for the task log: one per message fetched."""
    if not fetched:
        return "Mailbox: no new messages."
    lines = [f"Mailbox: {len(fetched)} new message(s)."]
    for e in fetched:
        what = {INBOXED: f"→ inbox {e.period}/{e.unit}.xlsx", DUPLICATE: "duplicate, nothing changed",
                QUARANTINED: f"quarantined: {e.reason}", HELD: f"held for an admin: {e.reason}"}[e.outcome]
        lines.append(f"  {e.sender or '?'} {e.message_id}: {what}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- helpers


def _entry_or_blank(raw: bytes, sha256: str, arrived: datetime, now: datetime | None) -> MailEntry:
    """The message's record; a message whose headers cannot be read at all still gets one."""
    entry = MailEntry(f"<sha256.{sha256}>", sha256, "", "", "", None, processed_at=_stamp(now),
                      received_at=arrived.isoformat(timespec="seconds"))
    try:
        msg = mail_message.parse(raw)
        entry.message_id = mail_message.header(msg, "Message-ID") or entry.message_id
        entry.sender, entry.subject = mail_message.sender(msg), mail_message.header(msg, "Subject")
        entry.date, entry.references = mail_message.claimed_date(msg), mail_message.header(msg, "References")
    except Exception as exc:          # the parser's surprise: the record keeps what it has
        log.warning("headers of message %s unreadable: %s", sha256 or "(not downloaded)", type(exc).__name__)
    return entry


def _current_month(catalog: Catalog, now: datetime | None) -> str:
    from zoneinfo import ZoneInfo

    return months.of_date(_now(now).astimezone(ZoneInfo(catalog.bureau.timezone)).date())


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).isoformat(timespec="seconds")


def _seen(data_dir: Path) -> tuple[set[str], set[str]]:
    rows = _read(ledger_path(data_dir))
    return {r["message_id"] for r in rows}, {r["sha256"] for r in rows if r["sha256"]}


def _entries(data_dir: Path) -> list[MailEntry]:
    return [MailEntry(**row) for row in _read(ledger_path(data_dir))]


def entries(data_dir: Path) -> list[MailEntry]:
    """Every message the mail ledger holds, oldest first."""
    return _entries(data_dir)


def record_sent(data_dir: Path, kind: str, message_id: str, receipt: str | None, note: str | None) -> None:
    """Record that the ``kind`` mail (reply, admin, sender) about ``message_id`` went out."""
    _append(sent_path(data_dir), {"kind": kind, "message_id": message_id, "receipt": receipt,
                                  "note": note, "at": _stamp(None)})


def _append(path: Path, row: dict[str, Any]) -> None:
    atomic.append_lines(path, [json.dumps(row, ensure_ascii=False, sort_keys=True)])


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
