"""mail_notices.py: the admins told once about quarantined and held messages; a registered and
proven sender told why; a forged or unknown sender never written to. A real SMTP server."""
from __future__ import annotations

import dataclasses
import json
import socket

import pytest

from county_reports.core import mail
from county_reports.collect import mail_notices
from county_reports.deliver.channels import smtplib_sender
from county_reports.collect.mailbox import HELD, QUARANTINED, MailEntry, ledger_path

UNIT_ADDRESS = "ts10@qinghe.example"


def _entry(n, outcome=QUARANTINED, sender=UNIT_ADDRESS, reason_key="not_a_template"):
    return MailEntry(message_id=f"<m{n}@qinghe.example>", sha256=f"{n:064x}", outcome=outcome, sender=sender,
                     subject=f"报表{n}", date=None, reason_key=reason_key, reason=f"原因{n}",
                     received_at="2025-07-03T01:00:00+00:00")


def _ledger(data, *entries):
    path = ledger_path(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        for e in entries:
            fh.write(json.dumps(dataclasses.asdict(e), ensure_ascii=False) + "\n")


@pytest.fixture
def settings():
    return mail.load_settings()


def test_admins_told_once_of_quarantined_and_held(tmp_path, settings, smtp_inbox):
    host, port, received = smtp_inbox
    send = smtplib_sender(host, port, timeout=5)
    _ledger(tmp_path, _entry(1), _entry(2, outcome=HELD), _entry(3, outcome="inboxed"))
    told = mail_notices.notify_admins(tmp_path, settings, send)
    assert {e.message_id for e in told} == {"<m1@qinghe.example>", "<m2@qinghe.example>"}
    [notice] = received.to(settings.admins[0])
    body = notice.get_content()
    assert "原因1" in body and "原因2" in body and "原因3" not in body and f"{1:064x}" in body
    assert mail_notices.notify_admins(tmp_path, settings, send) == []          # once
    _ledger(tmp_path, _entry(4))
    assert [e.message_id for e in mail_notices.notify_admins(tmp_path, settings, send)] == ["<m4@qinghe.example>"]


def test_a_failed_notice_is_tried_again(tmp_path, settings, smtp_inbox):
    with socket.socket() as s:            # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    _ledger(tmp_path, _entry(1))
    assert mail_notices.notify_admins(tmp_path, settings, smtplib_sender("127.0.0.1", closed, timeout=2)) == []
    assert mail_notices.notify_admins(tmp_path, settings, None) == []
    host, port, _ = smtp_inbox
    assert len(mail_notices.notify_admins(tmp_path, settings, smtplib_sender(host, port, timeout=5))) == 1


def test_only_a_registered_proven_sender_gets_a_reply(tmp_path, catalog, settings, smtp_inbox):
    host, port, received = smtp_inbox
    send = smtplib_sender(host, port, timeout=5)
    _ledger(tmp_path, _entry(1), _entry(2, reason_key="not_authenticated"),
            _entry(3, sender="stranger@evil.example"), _entry(4, outcome=HELD))
    assert mail_notices.tell_senders(catalog, tmp_path, settings, send) == [f"TS10 {UNIT_ADDRESS}"]
    [reply] = received.to(UNIT_ADDRESS)
    assert reply["In-Reply-To"] == "<m1@qinghe.example>" and "原因1" in reply.get_content()
    assert received.to("stranger@evil.example") == []
    assert mail_notices.tell_senders(catalog, tmp_path, settings, send) == []  # once
