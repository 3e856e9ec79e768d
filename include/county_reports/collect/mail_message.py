"""One message of the bureau's mailbox, read defensively: the IMAP calls :mod:`mailbox` makes,
and what it takes from a message (headers on one line and bounded, attachments, the receipt time).

Everything here treats the message as hostile: header texts are put on one line and cut to
``MAX_HEADER_TEXT`` characters, nothing read from a header or an attachment name ever becomes a
path (:func:`stored_name` names files by content hash), and the receipt time is the server's
INTERNALDATE (when the bureau's server took the message), never the sender's ``Date:``.

An IMAP call that fails — the server said NO/BAD, the connection dropped or timed out — raises
:class:`MailServerError`: the server's trouble, not the message's (the task fails and retries,
the message stays new).
"""
from __future__ import annotations

import hashlib
import imaplib
import time
from datetime import datetime, UTC
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime

from county_reports.collect.inbox import WORKBOOK_SUFFIXES
from county_reports.core.mail import address_of, one_line

MAX_HEADER_TEXT = 300
_WORKBOOK_TYPES = ("spreadsheetml", "ms-excel")



class MailServerError(Exception):
    """The mailbox server failed (not one message): the run fails, the message stays new."""


def call(client, *args):
    """``client.uid(*args)``'s data; MailServerError unless the server answered OK."""
    return _answered(args[0], client.uid, *args)


def select(client, folder: str) -> list[bytes]:
    """Select ``folder``; the UIDs of the messages without ``keyword`` come from :func:`new_uids`."""
    return _answered("SELECT", client.select,
                     folder if folder.isalnum() else '"' + folder.replace('"', '\\"') + '"')


def _answered(command: str, method, *args):
    """``method(*args)``'s data, or MailServerError naming ``command`` (NO/BAD, a dropped connection)."""
    try:
        typ, data = method(*args)
    except (imaplib.IMAP4.error, OSError) as exc:
        raise MailServerError(f"IMAP {command} failed: {type(exc).__name__}: {exc}") from exc
    if typ != "OK":
        raise MailServerError(f"IMAP {command} failed: {typ} {data!r}")
    return data


def new_uids(client, keyword: str) -> list[bytes]:
    found = call(client, "SEARCH", None, "UNKEYWORD", keyword)
    return [u for u in b" ".join(x for x in found if x).split() if u]


def size_and_arrival(client, uid: bytes) -> tuple[int | None, datetime | None]:
    """(RFC822.SIZE, INTERNALDATE as an aware UTC time) of a message; None where unreadable."""
    size, arrived = None, None
    for part in call(client, "FETCH", uid, "(RFC822.SIZE INTERNALDATE)") or ():
        text = part[0] if isinstance(part, tuple) else part
        if not isinstance(text, bytes):
            continue
        if b"RFC822.SIZE" in text:
            try:
                size = int(text.split(b"RFC822.SIZE", 1)[1].split()[0].strip(b")"))
            except (ValueError, IndexError):
                size = None
        stamp = imaplib.Internaldate2tuple(text) if b"INTERNALDATE" in text else None
        if stamp is not None:
            arrived = datetime.fromtimestamp(time.mktime(stamp), UTC)
    return size, arrived


def body(client, uid: bytes, section: str = "BODY.PEEK[]") -> bytes | None:
    """The message's bytes (or only its header with ``BODY.PEEK[HEADER]``); None if it vanished."""
    parts = call(client, "FETCH", uid, f"({section})")
    return next((p[1] for p in parts or () if isinstance(p, tuple) and len(p) > 1), None)


def parse(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def header(msg, name: str) -> str:
    """A header's text on one line, bounded; '' when absent or unreadable."""
    try:
        value = msg.get(name)
    except Exception:        # a malformed header the parser refuses on access
        return ""
    return one_line(str(value or ""))[:MAX_HEADER_TEXT]


def raw_headers(msg) -> list[tuple[str, str]]:
    """Every header as (name, raw text), top first (what the trace checks walk)."""
    out = []
    for name, value in msg.raw_items():
        out.append((str(name), str(value)))
    return out


def sender(msg) -> str:
    return address_of(header(msg, "From"))


def claimed_date(msg) -> str | None:
    """The sender's own Date (kept for the record; never used for timeliness)."""
    try:
        return parsedate_to_datetime(header(msg, "Date")).isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def attachments(msg) -> list[tuple[str, bytes, str]]:
    """(name as given, on one line and bounded, bytes, content type) of every attachment."""
    out = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if not name and part.get_content_disposition() != "attachment":
            continue
        data = part.get_payload(decode=True) or b""
        out.append((one_line(name)[:MAX_HEADER_TEXT] or "unnamed", data, part.get_content_type()))
    return out


def is_workbook(name: str, mime: str) -> bool:
    return name.lower().endswith(tuple(WORKBOOK_SUFFIXES)) or any(t in mime for t in _WORKBOOK_TYPES)


def stored_name(n: int, name: str, data: bytes, mime: str) -> str:
    """The file name an attachment is kept under: its number and content hash, never its name."""
    suffix = ".xlsx" if is_workbook(name, mime) else ".bin"
    return f"{n}-{hashlib.sha256(data).hexdigest()[:16]}{suffix}"
