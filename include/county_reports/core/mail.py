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
from collections.abc import Callable, Iterable

from county_reports.core.admins import load_settings as load_admins
from county_reports.core.config import ConfigError, Fields, read_config_file
from county_reports.core.config_models.base import validate

FILE = "mail.yaml"
SmtpSend = Callable[[EmailMessage], str]
_KEYWORD = re.compile(r"^[$A-Za-z][A-Za-z0-9_$-]{0,63}$")
_AUTHSERV_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")
_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


@dataclass(frozen=True)
class MailSettings:
    imap_conn_id: str = "bureau_mailbox"
    folder: str = "INBOX"
    processed_keyword: str = "$CountyReports"
    max_message_bytes: int = 20_000_000
    # Who vouches for a sender: the bureau's own mail server's Authentication-Results (its
    # authserv-id), and the template's signature made with the key in this Connection.
    authserv_id: str = "mx.qinghe.example"
    require_authentication_results: bool = True
    template_key_conn_id: str = "county_reports_template_key"
    imap_timeout_seconds: int = 60
    smtp_timeout_seconds: int = 60
    task_timeout_minutes: int = 20
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
    from county_reports.core.config_models.settings import MailFile

    data = read_config_file(FILE, config_dir)
    if not isinstance(data, dict):
        raise ConfigError(FILE, "(file)", "expected a mapping with mailbox, smtp, admins, reminders, circular")
    validate(MailFile, data, FILE)          # unknown keys (a time-out, a security switch) and types
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
    admins = load_admins(config_dir).addresses
    authserv_id = box.text("authserv_id")
    if not _AUTHSERV_ID.match(authserv_id):
        raise box.error("authserv_id", f"{authserv_id!r} is not a mail server's name (letters, digits, . - _)")
    settings = MailSettings(
        imap_conn_id=box.text("imap_conn_id"), folder=box.text("folder", "INBOX"),
        processed_keyword=keyword,
        max_message_bytes=_positive(box, "max_message_bytes", 20_000_000),
        authserv_id=authserv_id.lower(),
        require_authentication_results=box.get("require_authentication_results", bool, True),
        template_key_conn_id=box.text("template_key_conn_id"),
        imap_timeout_seconds=_positive(box, "timeout_seconds", 60),
        smtp_timeout_seconds=_positive(smtp, "timeout_seconds", 60),
        task_timeout_minutes=_positive(box, "task_timeout_minutes", 20),
        smtp_conn_id=smtp.text("conn_id"), sender=sender,
        admins=tuple(a.lower() for a in admins),
        days_before=_positive(reminders, "days_before", 2, zero=True),
        lookback_months=_positive(circular, "lookback_months", 6),
        repeat_threshold=_positive(circular, "repeat_threshold", 2))
    return settings


def task_timeout(settings: MailSettings):
    """The execution_timeout of the DAG tasks that talk to the mail servers."""
    from datetime import timedelta

    return timedelta(minutes=settings.task_timeout_minutes)


def one_line(text: str | None) -> str:
    """Header text we reuse (a subject, a name) on one line: CR, LF and other control characters
    become spaces, so a hostile header can neither add headers nor stop a reply being built."""
    return " ".join("".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in str(text or "")).split())


def _positive(f: Fields, name: str, default: int, zero: bool = False) -> int:
    value = f.get(name, int, default)
    if value < (0 if zero else 1):
        raise f.error(name, f"{value} must be {'0 or more' if zero else 'at least 1'}")
    return value


def message(settings: MailSettings, to: Iterable[str], subject: str, body: str, *,
            in_reply_to: str | None = None, references: str | None = None,
            attachments: Iterable[tuple[str, bytes, str]] = (), bcc: Iterable[str] = ()) -> EmailMessage:
    """A plain-text UTF-8 message from the bureau; ``attachments`` as (filename, bytes, mime).
    ``bcc``: recipients who must not see each other (the SMTP client sends to them and drops the
    header). Subjects and references are put on one line (they may quote a unit's header)."""
    to, bcc = list(to), list(bcc)
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = ", ".join(to) if to else settings.sender
    if bcc:
        msg["Bcc"] = ", ".join(bcc)
    msg["Subject"] = one_line(subject)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=settings.sender_address.split("@")[-1])
    if in_reply_to:
        in_reply_to, references = one_line(in_reply_to), one_line(references)
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

