"""Mail settings (include/config/mail.yaml) and the outgoing messages every mail step builds.

The package never talks to Airflow: steps that send take a ``send(EmailMessage) -> str``
callable (the DAGs pass one over the SMTP provider's hook, tests one over smtplib) and steps
that read the mailbox take an imaplib-compatible client (the IMAP provider's
``ImapHook.mail_client``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Callable, Iterable

from county_reports.admins import load_settings as load_admins
from county_reports.config import ConfigError, Fields, read_config_file

FILE = "mail.yaml"
SmtpSend = Callable[[EmailMessage], str]
_KEYWORD = re.compile(r"^[$A-Za-z][A-Za-z0-9_$-]{0,63}$")
_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


@dataclass(frozen=True)
class MailSettings:
    imap_conn_id: str = "bureau_mailbox"
    folder: str = "INBOX"
    processed_keyword: str = "$CountyReports"
    max_message_bytes: int = 20_000_000
    smtp_conn_id: str = "smtp_default"
    sender: str = "jtj@example.cn"
    admins: tuple[str, ...] = ()
    days_before: int = 2
    lookback_months: int = 6
    repeat_threshold: int = 2

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1]


def load_settings(config_dir: str | Path | None = None) -> MailSettings:
    data = read_config_file(FILE, config_dir)
    if not isinstance(data, dict):
        raise ConfigError(FILE, "(file)", "expected a mapping with mailbox, smtp, admins, reminders, circular")
    box = Fields(FILE, "mailbox", data.get("mailbox"))
    smtp = Fields(FILE, "smtp", data.get("smtp"))
    reminders = Fields(FILE, "reminders", data.get("reminders") or {})
    circular = Fields(FILE, "circular", data.get("circular") or {})
    keyword = box.text("processed_keyword", "$CountyReports")
    if not _KEYWORD.match(keyword):
        raise box.error("processed_keyword", f"{keyword!r} is not an IMAP keyword (letters, digits, $ _ -)")
    sender = smtp.text("from")
    if not _ADDRESS.match(parseaddr(sender)[1]):
        raise smtp.error("from", f"{sender!r} has no e-mail address")
    if "admins" in data:
        raise ConfigError(FILE, "admins", "the admins' addresses are in admins.yaml (one list for every alert)")
    admins = load_admins(config_dir).addresses
    settings = MailSettings(
        imap_conn_id=box.text("imap_conn_id"), folder=box.text("folder", "INBOX"),
        processed_keyword=keyword,
        max_message_bytes=_positive(box, "max_message_bytes", 20_000_000),
        smtp_conn_id=smtp.text("conn_id"), sender=sender,
        admins=tuple(a.lower() for a in admins),
        days_before=_positive(reminders, "days_before", 2, zero=True),
        lookback_months=_positive(circular, "lookback_months", 6),
        repeat_threshold=_positive(circular, "repeat_threshold", 2))
    return settings


def _positive(f: Fields, name: str, default: int, zero: bool = False) -> int:
    value = f.get(name, int, default)
    if value < (0 if zero else 1):
        raise f.error(name, f"{value} must be {'0 or more' if zero else 'at least 1'}")
    return value


def message(settings: MailSettings, to: Iterable[str], subject: str, body: str, *,
            in_reply_to: str | None = None, references: str | None = None,
            attachments: Iterable[tuple[str, bytes, str]] = ()) -> EmailMessage:
    """A plain-text UTF-8 message from the bureau; ``attachments`` as (filename, bytes, mime)."""
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=settings.sender_address.split("@")[-1])
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = f"{references} {in_reply_to}".strip() if references else in_reply_to
    msg.set_content(body, charset="utf-8")
    for filename, data, mime in attachments:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def address_of(header: str | None) -> str:
    """The bare, lower-cased address of a From header ('' when there is none)."""
    return parseaddr(str(header or ""))[1].strip().lower()

