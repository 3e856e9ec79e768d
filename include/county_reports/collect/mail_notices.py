"""Telling people about the messages the mailbox did not accept (:mod:`mailbox` decides).

- :func:`notify_admins` — one e-mail to the admins listing every quarantined or held message
  not told yet, with the reason, where the message and its attachments are kept, and (held) how
  to release the workbook;
- :func:`tell_senders` — a reply to the sender of a quarantined message, only when the sender
  is a registered address AND the message was not refused for failing the sender checks
  (a forged ``From:`` must not make the bureau write to the real unit about mail it never sent).

Each is recorded in the mail ledger's sent list once it went out, so it is sent once; one that
fails is tried again on the next run and never stops collection.
"""
from __future__ import annotations

import logging
from pathlib import Path

from county_reports.core import archive, messages, paths
from county_reports.core.catalog import Catalog
from county_reports.core.mail import MailSettings, SmtpSend, message
from county_reports.collect.mailbox import HELD, QUARANTINED, MailEntry, pending, record_sent

log = logging.getLogger(__name__)
# Reasons that say the sender is not proven: such a message gets no reply to the From address.
UNPROVEN = ("not_authenticated", "no_authentication", "bad_signature", "not_email_channel")


def notify_admins(data_dir: Path, settings: MailSettings, send: SmtpSend | None) -> list[MailEntry]:
    """Tell the admins about every quarantined or held message not told yet; returns those told."""
    waiting = pending(data_dir, QUARANTINED, "admin") + pending(data_dir, HELD, "admin")
    if not waiting or send is None or not settings.admins:
        return []
    lines = [messages.text("mail_admin", "quarantine_intro", folder=archive.archive_root(data_dir),
                           quarantine=paths.quarantine(data_dir)), ""]
    none, untitled = messages.text("joins", "none"), messages.text("mail_words", "no_subject")
    for n, e in enumerate(waiting, 1):
        lines.append(messages.text("mail_admin", "quarantine_item", n=n, date=e.received_at or e.date or "—",
                                   sender=e.sender or none, subject=e.subject or untitled, reason=e.reason,
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
    """A quarantined message from a registered, proven sender gets a reply saying why (an unknown
    or unproven sender never does: only the admins are told). Once per message."""
    registered = {a: u for u in catalog.units for a in u.emails}
    told = []
    for entry in pending(data_dir, QUARANTINED, "sender"):
        unit = registered.get(entry.sender)
        if unit is None or send is None or entry.reason_key in UNPROVEN:
            continue
        fields = {"unit": unit.code, "unit_name": unit.name, "bureau": catalog.bureau.name,
                  "subject": entry.subject or messages.text("mail_words", "no_subject"), "reason": entry.reason}
        try:
            body = "\n\n".join([messages.text("mail_reply", "quarantined", **fields),
                                 messages.text("mail_reply", "closing", **fields)])
            subject = messages.text("mail_reply", "subject", **fields)
            receipt = send(message(settings, [entry.sender], subject, body,
                                   in_reply_to=entry.message_id, references=entry.references))
        except Exception as exc:           # tried again on the next run; the others still go
            log.warning("reply to quarantined %s failed: %s", entry.message_id, type(exc).__name__)
            continue
        record_sent(data_dir, "sender", entry.message_id, receipt, entry.reason_key)
        told.append(f"{unit.code} {entry.sender}")
    return told
