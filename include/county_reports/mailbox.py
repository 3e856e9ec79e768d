"""Templates by e-mail: new messages in the bureau's mailbox → the inbox, or quarantine.

:func:`fetch` reads the messages not yet marked processed (an IMAP keyword), and for each one:

1. archives the raw message (.eml) under its SHA-256 before reading anything;
2. recognises a message seen before (same Message-ID or same bytes) as a duplicate: nothing changes;
3. finds exactly one workbook attachment, reads the unit and month from the template's own meta
   sheet, and checks the sender against the unit's registered addresses (``units.yaml emails``);
4. drops the workbook at ``{data}/inbox/{period}/{unit}.xlsx`` (from there on, as every other
   channel) with the message's date as the file's time (the submission time);
5. leaves a template for a later month that is already over unmarked, for the run collecting
   that month (a hand-run for an earlier month must not quarantine it);
6. or quarantines the message with a reason (unknown sender, another unit's template, another
   month, not a template, a corrupt workbook, two workbooks …): kept, never accepted, and the
   admins are told by :func:`notify_admins` (and a registered sender by :func:`tell_senders`);
7. records the outcome in ``{data}/mailbox/messages.jsonl`` and only then marks the message
   processed on the server.

:func:`county_reports.notify.reply_by_mail` answers each inboxed message once, after validation,
with the unit's feedback, as a reply to the unit's own message: it reads and writes this module's
mail ledger (:func:`pending`, :func:`entries`, :func:`record_sent`), but it is validation's
feedback, so it lives with the other feedback channels and collection does not import validation.

``client`` is imaplib-compatible: ``ImapHook.mail_client`` in the DAG, ``imaplib.IMAP4`` in tests.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Iterable

from county_reports import archive, atomic, inbox, messages, paths, periods as months
from county_reports.catalog import Catalog
from county_reports.mail import MailSettings, SmtpSend, address_of, message

log = logging.getLogger(__name__)
INBOXED, QUARANTINED, DUPLICATE = "inboxed", "quarantined", "duplicate"
_WORKBOOK_TYPES = ("spreadsheetml", "ms-excel")


@dataclass
class MailEntry:
    """One processed message, as the mail ledger keeps it."""

    message_id: str
    sha256: str                         # of the raw message, archived
    outcome: str                        # inboxed | quarantined | duplicate
    sender: str
    subject: str
    date: str | None                    # the message's Date, ISO 8601
    references: str = ""
    unit: str | None = None
    period: str | None = None
    filename: str | None = None
    workbook_sha256: str | None = None
    reason_key: str | None = None
    reason: str | None = None
    quarantine: str | None = None       # folder with the attachments of a quarantined message
    processed_at: str = ""


def mailbox_dir(data_dir: Path) -> Path:
    return paths.mailbox(data_dir)


def ledger_path(data_dir: Path) -> Path:
    return mailbox_dir(data_dir) / "messages.jsonl"


def sent_path(data_dir: Path) -> Path:
    return mailbox_dir(data_dir) / "sent.jsonl"


# --------------------------------------------------------------------------- fetching


def fetch(client, catalog: Catalog, data_dir: Path, wanted: Iterable[str], settings: MailSettings,
          *, now: datetime | None = None) -> list[MailEntry]:
    """Process every new message in the mailbox folder; returns one entry per message."""
    data_dir = paths.location(data_dir)
    wanted = sorted(set(wanted))
    _ok(client.select(_quote(settings.folder)), "SELECT")
    found = _ok(client.uid("SEARCH", None, "UNKEYWORD", settings.processed_keyword), "SEARCH")
    uids = [u for u in b" ".join(x for x in found if x).split() if u]
    seen_ids, seen_shas = _seen(data_dir)
    out = []
    for uid in uids:
        entry = _fetch_one(client, uid, catalog, data_dir, wanted, settings, seen_ids, seen_shas, now)
        if entry is None:
            continue
        _append(ledger_path(data_dir), asdict(entry))
        seen_ids.add(entry.message_id)
        seen_shas.add(entry.sha256)
        # Only now, with the workbook in the inbox (or the message quarantined) and the outcome
        # recorded: a crash before this line fetches the message again, as a duplicate.
        _ok(client.uid("STORE", uid, "+FLAGS", f"({settings.processed_keyword})"), "STORE")
        out.append(entry)
    return out


def _fetch_one(client, uid: bytes, catalog: Catalog, data_dir: Path, wanted: list[str],
               settings: MailSettings, seen_ids: set[str], seen_shas: set[str],
               now: datetime | None) -> MailEntry | None:
    size = _size(client, uid)
    if size is not None and size > settings.max_message_bytes:
        header = _header_only(client, uid)
        entry = _entry(header, "", now)
        entry.sha256 = ""
        return _quarantine(entry, data_dir, [], "too_large", size=size, limit=settings.max_message_bytes)
    typ, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
    raw = next((p[1] for p in parts or () if isinstance(p, tuple) and len(p) > 1), None)
    if typ != "OK" or raw is None:
        log.warning("message UID %s vanished before it could be fetched", uid)
        return None
    stored = archive.store(data_dir, raw)          # before anything reads the message
    try:
        msg = message_from_bytes(raw, policy=policy.default)
        entry = _entry(msg, stored.sha256, now)
    except Exception as exc:                       # a message the parser cannot take at all
        entry = MailEntry(f"<sha256.{stored.sha256}>", stored.sha256, QUARANTINED, "", "", None,
                          processed_at=_stamp(now))
        return _quarantine(entry, data_dir, [], "unreadable", detail=type(exc).__name__)
    if entry.message_id in seen_ids or entry.sha256 in seen_shas:
        entry.outcome = DUPLICATE
        return entry
    try:
        return _classify(msg, entry, catalog, data_dir, wanted, now)
    except OSError:                                # our data folder failed (disk full …): the
        raise                                      # message stays new on the server; the task retries
    except Exception as exc:                       # never lose a message over our own surprise
        log.exception("reading message %s failed", entry.message_id)
        return _quarantine(entry, data_dir, [], "unreadable", detail=type(exc).__name__)


def _classify(msg, entry: MailEntry, catalog: Catalog, data_dir: Path, wanted: list[str],
              now: datetime | None) -> MailEntry | None:
    attachments = _attachments(msg)
    books = [(name, data) for name, data, mime in attachments if _is_workbook(name, mime)]
    if not books:
        names = messages.join(name for name, _, _ in attachments) or messages.text("mail_words", "no_attachments")
        return _quarantine(entry, data_dir, attachments, "no_workbook", attachments=names)
    if len(books) > 1:
        return _quarantine(entry, data_dir, attachments, "two_workbooks", count=len(books),
                           filenames=messages.join(name for name, _ in books))
    filename, data = books[0]
    entry.filename = filename
    entry.workbook_sha256 = archive.store(data_dir, data).sha256
    try:
        unit_code, period = inbox.read_identity(data, filename)
    except inbox.InboxError as exc:
        key = "corrupt" if exc.damaged else "not_template"
        return _quarantine(entry, data_dir, attachments, key, filename=filename,
                           detail=exc.reason.rstrip(messages.text("joins", "sentence_end")))
    entry.unit, entry.period = unit_code, period
    unit = catalog.unit_by_code.get(unit_code)
    if unit is None or not unit.active_in(period):
        return _quarantine(entry, data_dir, attachments, "unknown_unit", unit=unit_code, period=period)
    registered = {a: u.code for u in catalog.units for a in u.emails}
    sender_unit = registered.get(entry.sender)
    if sender_unit is None:
        return _quarantine(entry, data_dir, attachments, "unknown_sender",
                           sender=entry.sender or messages.text("joins", "none"), unit=unit_code)
    if sender_unit != unit_code:
        return _quarantine(entry, data_dir, attachments, "other_unit", sender=entry.sender,
                           sender_unit=sender_unit, unit=unit_code)
    if period not in wanted:
        if wanted and max(wanted) < period < _current_month(catalog, now):
            return None        # a later month, already over: left new for the run collecting it
        return _quarantine(entry, data_dir, attachments, "other_month", period=period,
                           periods=messages.join(wanted) or messages.text("joins", "none"))
    _drop_in_inbox(data_dir, period, unit_code, data, _submitted(entry, now))
    entry.outcome = INBOXED
    return entry


def _drop_in_inbox(data_dir: Path, period: str, unit: str, data: bytes, when: datetime) -> Path:
    """Write the workbook where collection reads it, stamped with the message's time (the
    inbox reads a workbook's submission time from that stamp, else from the file's time)."""
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


def _quarantine(entry: MailEntry, data_dir: Path, parts: list[tuple[str, bytes, str]],
                key: str, **values: Any) -> MailEntry:
    entry.outcome, entry.reason_key = QUARANTINED, key
    entry.reason = messages.text("mail_quarantine", key, **values)
    folder = paths.quarantine(data_dir) / (entry.sha256[:16] or entry.message_id.strip("<>")[:40])
    for n, (name, data, _) in enumerate(parts, 1):
        atomic.write_bytes(folder / f"{n}-{_safe_name(name)}", data)
    atomic.write_text(folder / "reason.txt", f"{entry.reason}\n")
    entry.quarantine = str(folder)
    return entry


# --------------------------------------------------------------------------- replying


def pending(data_dir: Path, outcome: str, kind: str) -> list[MailEntry]:
    """Ledger entries with ``outcome`` that have no ``kind`` mail recorded as sent yet."""
    done = {(row["kind"], row["message_id"]) for row in _read(sent_path(data_dir))}
    out: dict[str, MailEntry] = {}
    for row in _read(ledger_path(data_dir)):
        if row["outcome"] == outcome and (kind, row["message_id"]) not in done:
            out[row["message_id"]] = MailEntry(**row)
    return list(out.values())


def notify_admins(data_dir: Path, settings: MailSettings, send: SmtpSend | None) -> list[MailEntry]:
    """Tell the admins about every quarantined message not told yet; returns those told."""
    waiting = pending(data_dir, QUARANTINED, "admin")
    if not waiting or send is None or not settings.admins:
        return []
    lines = [messages.text("mail_admin", "quarantine_intro", folder=archive.archive_root(data_dir),
                           quarantine=paths.quarantine(data_dir)), ""]
    none, untitled = messages.text("joins", "none"), messages.text("mail_words", "no_subject")
    for n, e in enumerate(waiting, 1):
        lines.append(messages.text("mail_admin", "quarantine_item", n=n, date=e.date or "—", sender=e.sender or none,
                                   subject=e.subject or untitled, reason=e.reason,
                                   sha256=e.sha256 or messages.text("mail_words", "not_downloaded")))
    msg = message(settings, settings.admins,
                  messages.text("mail_admin", "quarantine_subject", count=len(waiting)), "\n".join(lines))
    try:
        receipt = send(msg)
    except Exception as exc:               # collection goes on; the notice is tried next run
        log.warning("quarantine notice to the admins failed: %s", type(exc).__name__)
        return []
    for e in waiting:
        record_sent(data_dir, "admin", e.message_id, receipt, e.reason_key)
    return waiting


def tell_senders(catalog: Catalog, data_dir: Path, settings: MailSettings, send: SmtpSend | None) -> list[str]:
    """A quarantined message from a registered address gets a reply saying why (an unknown
    sender never does: only the admins are told). Once per message."""
    registered = {a: u for u in catalog.units for a in u.emails}
    told = []
    for entry in pending(data_dir, QUARANTINED, "sender"):
        unit = registered.get(entry.sender)
        if unit is None or send is None:
            continue
        fields = {"unit": unit.code, "unit_name": unit.name, "bureau": catalog.bureau.name,
                  "subject": entry.subject or messages.text("mail_words", "no_subject"), "reason": entry.reason}
        body = "\n\n".join([messages.text("mail_reply", "quarantined", **fields),
                             messages.text("mail_reply", "closing", **fields)])
        subject = messages.text("mail_reply", "subject", **fields)
        try:
            receipt = send(message(settings, [entry.sender], subject, body,
                                   in_reply_to=entry.message_id, references=entry.references))
        except Exception as exc:           # tried again on the next run
            log.warning("reply to quarantined %s failed: %s", entry.message_id, type(exc).__name__)
            continue
        record_sent(data_dir, "sender", entry.message_id, receipt, entry.reason_key)
        told.append(f"{unit.code} {entry.sender}")
    return told


def summary(fetched: list[MailEntry]) -> str:
    """A few lines for the task log: one per message fetched."""
    if not fetched:
        return "Mailbox: no new messages."
    lines = [f"Mailbox: {len(fetched)} new message(s)."]
    for e in fetched:
        what = {INBOXED: f"→ inbox {e.period}/{e.unit}.xlsx", DUPLICATE: "duplicate, nothing changed",
                QUARANTINED: f"quarantined: {e.reason}"}[e.outcome]
        lines.append(f"  {e.sender or '?'} {e.message_id}: {what}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- helpers


def _entry(msg, sha256: str, now: datetime | None) -> MailEntry:
    message_id = str(msg.get("Message-ID") or "").strip() or f"<sha256.{sha256}>"
    date = None
    try:
        if msg.get("Date"):
            date = parsedate_to_datetime(str(msg["Date"])).isoformat()
    except (TypeError, ValueError):
        date = None
    return MailEntry(message_id=message_id, sha256=sha256, outcome="", sender=address_of(msg.get("From")),
                     subject=str(msg.get("Subject") or "").strip(), date=date,
                     references=str(msg.get("References") or "").strip(), processed_at=_stamp(now))


def _attachments(msg) -> list[tuple[str, bytes, str]]:
    out = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if not name and part.get_content_disposition() != "attachment":
            continue
        data = part.get_payload(decode=True) or b""
        out.append((name or "unnamed", data, part.get_content_type()))
    return out


def _is_workbook(name: str, mime: str) -> bool:
    return name.lower().endswith(tuple(inbox.WORKBOOK_SUFFIXES)) or any(t in mime for t in _WORKBOOK_TYPES)


def _current_month(catalog: Catalog, now: datetime | None) -> str:
    from zoneinfo import ZoneInfo

    return months.of_date((now or datetime.now(timezone.utc)).astimezone(ZoneInfo(catalog.bureau.timezone)).date())


def _submitted(entry: MailEntry, now: datetime | None) -> datetime:
    """The message's Date, never later than now (a sender's clock can be fast)."""
    current = now or datetime.now(timezone.utc)
    if entry.date:
        sent = datetime.fromisoformat(entry.date)
        if sent.tzinfo is None:
            sent = sent.replace(tzinfo=timezone.utc)
        return min(sent, current)
    return current


def _size(client, uid: bytes) -> int | None:
    typ, parts = client.uid("FETCH", uid, "(RFC822.SIZE)")
    for part in parts or ():
        text = part.decode() if isinstance(part, bytes) else ""
        if "RFC822.SIZE" in text:
            try:
                return int(text.split("RFC822.SIZE", 1)[1].strip(" )").split()[0].rstrip(")"))
            except (ValueError, IndexError):
                return None
    return None


def _header_only(client, uid: bytes):
    typ, parts = client.uid("FETCH", uid, "(BODY.PEEK[HEADER])")
    raw = next((p[1] for p in parts or () if isinstance(p, tuple) and len(p) > 1), b"")
    return message_from_bytes(raw, policy=policy.default)


def _ok(answer, what: str):
    typ, data = answer
    if typ != "OK":
        raise RuntimeError(f"IMAP {what} failed: {typ} {data!r}")
    return data


def _quote(folder: str) -> str:
    return folder if folder.isalnum() else '"' + folder.replace('"', '\\"') + '"'


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[-120:] or "attachment"


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")


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
