"""The mail door, attacked: a real Dovecot (and an SMTP server, the unit simulator) started by
the tests. Forged senders, spoofed verdicts, signatures for another unit or month, poison
messages, path-like headers and a CR/LF subject: each is refused or isolated, the month goes on.
"""
from __future__ import annotations

import base64
import dataclasses
import io
from datetime import datetime, UTC

import pytest
from mail_helpers import TEMPLATE_KEY, email, fetch, unprocessed, filled_template, mx_trace, use_template_key
from openpyxl import load_workbook

from county_reports.collect import pulls, inbox, mail_auth, mail_notices, mailbox, template
from county_reports.collect.pull_settings import PullContext
from county_reports.core import mail, tokens

PERIOD = "2025-06"
UNIT, ADDRESS = "TS10", "ts10@qinghe.example"          # channels [http, email]
HTTP_UNIT, HTTP_ADDRESS = "TS03", "ts03@qinghe.example"  # channels [http] (the default)
SERVER = "mx.qinghe.example"


@pytest.fixture(autouse=True)
def template_key(monkeypatch):
    return use_template_key(monkeypatch)


@pytest.fixture
def settings():
    return mail.load_settings()


@pytest.fixture
def data(tmp_path):
    return tmp_path / "data"




def edited(book: bytes, **cells) -> bytes:
    """The workbook with meta-sheet values changed (a forger editing the hidden sheet)."""
    wb = load_workbook(io.BytesIO(book))
    ws = wb[template.SHEET_META]
    for row in range(1, ws.max_row + 1):
        if ws.cell(row=row, column=1).value in cells:
            ws.cell(row=row, column=2, value=cells[ws.cell(row=row, column=1).value])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- who may speak for a unit


def test_authentication_results_only_from_the_top_of_our_own_server():
    ours = [("Authentication-Results", f"{SERVER}; dkim=pass (good sig) header.d=qinghe.example; dmarc=none"),
            ("Received", f"from mail.qinghe.example by {SERVER}"),
            ("Authentication-Results", f"{SERVER}; dmarc=fail header.from=qinghe.example")]
    # the header below our server's Received line was written by the sender: ignored
    assert mail_auth.verdict(ours, ADDRESS, SERVER) == mail_auth.PASS
    # a forged pass below our server's Received line does not count: our own "none" decides
    forged = [("Authentication-Results", f"{SERVER}; dmarc=none header.from=qinghe.example"),
              ("Received", f"from attacker.example by {SERVER}"),
              ("Authentication-Results", f"{SERVER}; dmarc=pass header.from=qinghe.example")]
    assert mail_auth.verdict(forged, ADDRESS, SERVER) == mail_auth.FAIL
    # dkim=pass must be aligned with the From domain
    other = [("Authentication-Results", f"{SERVER}; dkim=pass header.d=evil.example")]
    assert mail_auth.verdict(other, ADDRESS, SERVER) == mail_auth.FAIL
    # a sub-domain signer is aligned (relaxed), a comment or quoted ';' cannot smuggle a result
    sub = [("Authentication-Results", f'{SERVER} (our "mx;" box); dkim=pass header.d=mail.qinghe.example')]
    assert mail_auth.verdict(sub, ADDRESS, SERVER) == mail_auth.PASS
    smuggled = [("Authentication-Results", f"{SERVER}; dkim=fail (x; dmarc=pass) header.d=qinghe.example")]
    assert mail_auth.verdict(smuggled, ADDRESS, SERVER) == mail_auth.FAIL
    # our server's dmarc=fail outweighs any pass; nothing of ours at all is NONE
    both = [("Authentication-Results", f"{SERVER}; dmarc=fail; dkim=pass header.d=qinghe.example")]
    assert mail_auth.verdict(both, ADDRESS, SERVER) == mail_auth.FAIL
    assert mail_auth.verdict([("Authentication-Results", "mx.evil.example; dmarc=pass")], ADDRESS, SERVER) \
        == mail_auth.NONE
    assert mail_auth.verdict([("Authentication-Results", SERVER + "; dmarc=pass" + " x" * 5000)], ADDRESS, SERVER) \
        == mail_auth.NONE                                            # unbounded: not read


def test_forged_senders_are_quarantined_and_the_real_units_http_submission_untouched(
        dovecot, catalog, data, settings, tmp_path, simulator, smtp_inbox):
    simulator.clear_faults()
    book = filled_template(catalog, UNIT, PERIOD, tmp_path)
    http_book = filled_template(catalog, HTTP_UNIT, PERIOD, tmp_path)
    forged_below = [("Authentication-Results", f"{SERVER}; dmarc=fail header.from=qinghe.example"),
                    ("Received", f"from attacker.example by {SERVER}"),
                    ("Authentication-Results", f"{SERVER}; dmarc=pass header.from=qinghe.example")]
    cases = {
        "no_authentication": email(ADDRESS, "a", [("TS10.xlsx", book)], trace=[]),
        "not_authenticated": email(ADDRESS, "b", [("TS10.xlsx", book)], trace=mx_trace(ADDRESS, dmarc="fail")),
        "spoofed_other_server": email(ADDRESS, "c", [("TS10.xlsx", book)],
                                      trace=mx_trace(ADDRESS, server="mx.attacker.example")),
        "forged_below_ours": email(ADDRESS, "d", [("TS10.xlsx", book)], trace=forged_below),
        "other_month": email(ADDRESS, "e", [("TS10.xlsx", edited(
            filled_template(catalog, UNIT, "2025-05", tmp_path), period=PERIOD))]),
        "other_unit": email(ADDRESS, "f", [("TS10.xlsx", edited(
            filled_template(catalog, "TS11", PERIOD, tmp_path), unit=UNIT))]),
        "unsigned": email(ADDRESS, "g", [("TS10.xlsx", filled_template(catalog, UNIT, PERIOD, tmp_path,
                                                                          key="not-the-bureaus-key"))]),
        "http_unit": email(HTTP_ADDRESS, "h", [("TS03.xlsx", http_book)]),   # even vouched for and signed
    }
    expected = {"no_authentication": "no_authentication", "not_authenticated": "not_authenticated",
                "spoofed_other_server": "no_authentication", "forged_below_ours": "not_authenticated",
                "other_month": "bad_signature", "other_unit": "bad_signature", "unsigned": "bad_signature",
                "http_unit": "not_email_channel"}
    for raw in cases.values():
        dovecot.deliver(raw)
    fetched = fetch(dovecot, catalog, data, settings)
    by_subject = {e.subject: e for e in fetched}
    got = {name: by_subject[chr(ord("a") + n)].reason_key for n, name in enumerate(cases)}
    assert got == expected
    assert all(e.outcome == mailbox.QUARANTINED for e in fetched) and unprocessed(dovecot, settings) == []
    assert not inbox.inbox_path(data, PERIOD, UNIT).exists() and not inbox.inbox_path(data, PERIOD, HTTP_UNIT).exists()
    # the admins hear of every one; no forged From gets the bureau to write to the real unit
    host, port, received = smtp_inbox
    from county_reports.deliver import channels

    send = channels.smtplib_sender(host, port, timeout=5)
    assert len(mail_notices.notify_admins(data, settings, send)) == len(cases)
    assert mail_notices.tell_senders(catalog, data, settings, send) == []
    assert received.to(ADDRESS) == received.to(HTTP_ADDRESS) == []

    # a workbook dropped in the inbox for the HTTP unit is not read either: TS03 is pulled
    dropped = inbox.inbox_path(data, PERIOD, HTTP_UNIT)
    dropped.parent.mkdir(parents=True, exist_ok=True)
    dropped.write_bytes(http_book)
    assert dropped in pulls.unexpected_inbox_files(data, catalog, PERIOD)
    [outcome] = pulls.pull_batch(catalog, PERIOD, [HTTP_UNIT],
                                 PullContext(data_dir=data, token_lookup=tokens.env_or_file()))
    assert outcome["source"] == "http" and outcome["http_status"] == 200 and outcome["status"] == "received"


def test_a_genuine_message_is_inboxed_with_the_servers_receipt_time(dovecot, catalog, data, settings, tmp_path):
    book = filled_template(catalog, UNIT, PERIOD, tmp_path)
    received = datetime(2025, 7, 6, 2, 0, tzinfo=UTC)      # after the deadline (the 5th)
    forged = datetime(2025, 7, 2, 1, 0, tzinfo=UTC)        # what a late clerk would claim
    dovecot.deliver(email(f"新华镇 <{ADDRESS}>", "6月报表", [("TS10.xlsx", book)], date=forged), received=received)
    [entry] = fetch(dovecot, catalog, data, settings)
    assert entry.outcome == mailbox.INBOXED and entry.received_at == received.isoformat()
    [outcome] = pulls.pull_batch(catalog, PERIOD, [UNIT],
                                 PullContext(data_dir=data, token_lookup=lambda _: None))
    assert outcome["source"] == "inbox" and outcome["status"] == "received"
    assert datetime.fromisoformat(outcome["received_at"]) == received
    assert datetime.fromisoformat(outcome["submitted_at"]) == received           # never the forged Date


def test_a_workbook_replacing_accepted_figures_is_held_for_an_admin(dovecot, catalog, data, settings,
                                                                    tmp_path, smtp_inbox):
    book = filled_template(catalog, UNIT, PERIOD, tmp_path)
    dovecot.deliver(email(ADDRESS, "6月报表（更正）", [("TS10.xlsx", book)]))
    [entry] = fetch(dovecot, catalog, data, settings, accepted={(UNIT, PERIOD)})
    assert entry.outcome == mailbox.HELD and not inbox.inbox_path(data, PERIOD, UNIT).exists()
    folder = mailbox.held_dir(data) / entry.sha256[:32]
    assert (folder / "workbook.xlsx").read_bytes() == book and "已暂存待管理员确认" in (folder / "reason.txt").read_text()
    host, port, received = smtp_inbox
    from county_reports.deliver import channels

    [told] = mail_notices.notify_admins(data, settings, channels.smtplib_sender(host, port, timeout=5))
    assert told.message_id == entry.message_id
    assert f"inbox/{UNIT}/{PERIOD}/{UNIT}.xlsx" in received.to(settings.admins[0])[0].get_content()


# --------------------------------------------------------------------------- poison messages


def test_poison_messages_are_quarantined_inside_the_data_folder_and_the_month_goes_on(
        dovecot, catalog, data, settings, tmp_path):
    outside = tmp_path / "outside"
    # ~97 characters, 281 bytes: over the file-name limit (255 bytes) of every common file system
    long_name = ("清河县新华镇交通运输管理站二〇二五年六月份交通运输统计报表及工作总结" * 3)[:92] + ".xlsx"
    assert len(long_name) == 97 and len(long_name.encode()) > 255
    junk = [("附件.bin", b"\0" * 120_000)]
    poison = {
        "long_name": email(ADDRESS, "长文件名", [(long_name, filled_template(catalog, UNIT, PERIOD, tmp_path))]),
        "abs_id": email(ADDRESS, "绝对路径", junk, message_id=f"<{outside}>"),
        "up_id": email(ADDRESS, "上级目录", junk, message_id="<../../..>"),
        "reason_id": email(ADDRESS, "已有文件", junk, message_id="<reason.txt>"),
    }
    for raw in poison.values():
        dovecot.deliver(raw)
    small = dataclasses.replace(settings, max_message_bytes=100_000)
    fetched = fetch(dovecot, catalog, data, small)
    assert len(fetched) == len(poison) and unprocessed(dovecot, settings) == []      # all marked
    by_subject = {e.subject: e for e in fetched}
    assert by_subject["长文件名"].outcome == mailbox.INBOXED                       # its name is no path
    for subject in ("绝对路径", "上级目录", "已有文件"):
        entry = by_subject[subject]
        assert entry.outcome == mailbox.QUARANTINED and entry.reason_key == "too_large"
        folder = data / "mailbox" / "quarantine"
        assert str(entry.quarantine).startswith(str(folder)) and len(entry.quarantine.rsplit("/", 1)[1]) == 32
        assert entry.message_id in (folder / entry.quarantine.rsplit("/", 1)[1] / "reason.txt").read_text()
    # nothing was written outside the data folder
    assert not outside.exists()
    assert sorted(p.relative_to(tmp_path).parts[0] for p in tmp_path.rglob("reason.txt")) == ["data"] * 3
    # and the month is collected: the long-named workbook is TS10's submission
    [outcome] = pulls.pull_batch(catalog, PERIOD, [UNIT],
                                 PullContext(data_dir=data, token_lookup=lambda _: None))
    assert outcome["source"] == "inbox" and outcome["status"] == "received"


def test_a_broken_mime_message_is_quarantined_not_fatal(dovecot, catalog, data, settings, tmp_path):
    book = filled_template(catalog, UNIT, PERIOD, tmp_path)
    # a broken MIME structure: a multipart without its boundary, a base64 body that is not base64
    broken = (f"From: {ADDRESS}\r\nSubject: broken\r\nMessage-ID: <broken@x>\r\nMIME-Version: 1.0\r\n"
              "Content-Type: multipart/mixed\r\n\r\n--\r\nContent-Type: application/vnd.ms-excel\r\n"
              "Content-Disposition: attachment; filename*=utf-8''%FF%FE%00.xlsx\r\n"
              "Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n").encode()
    dovecot.deliver(broken)
    dovecot.deliver(email(ADDRESS, "6月报表", [("TS10.xlsx", book)]))
    fetched = {e.message_id: e.outcome for e in fetch(dovecot, catalog, data, settings)}
    assert fetched.pop("<broken@x>") == mailbox.QUARANTINED and list(fetched.values()) == [mailbox.INBOXED]
    assert unprocessed(dovecot, settings) == []


# --------------------------------------------------------------------------- replies


def test_a_crlf_subject_never_stops_the_replies(dovecot, catalog, data, settings, tmp_path, smtp_inbox):
    import pandas as pd

    from county_reports.deliver import channels, notify
    from county_reports.validate import intake
    from county_reports.validate.model import read_verdicts

    evil = base64.b64encode("6月报表\r\nBcc: evil@example.com".encode()).decode()
    first = email(ADDRESS, "PLACEHOLDER", [("TS10.xlsx", filled_template(catalog, UNIT, PERIOD, tmp_path))],
                  message_id="<crlf@qinghe.example>")
    first = first.replace(b"Subject: PLACEHOLDER", f"Subject: =?utf-8?b?{evil}?=".encode())
    dovecot.deliver(first)
    dovecot.deliver(email(ADDRESS, "7月报表", [("TS10.xlsx", filled_template(catalog, UNIT, "2025-07", tmp_path))],
                          message_id="<next@qinghe.example>"))
    fetched = sorted(fetch(dovecot, catalog, data, settings, wanted=(PERIOD, "2025-07")), key=lambda e: e.period)
    assert [e.outcome for e in fetched] == [mailbox.INBOXED, mailbox.INBOXED]
    assert fetched[0].message_id == "<crlf@qinghe.example>" and "\n" not in fetched[0].subject
    outcomes = [pulls.read_inbox_file(catalog, catalog.unit_by_code[UNIT], p, inbox.inbox_path(data, p, UNIT),
                                        data_dir=data) for p in (PERIOD, "2025-07")]
    files = intake.validate_outcomes(outcomes, catalog, data, history=pd.DataFrame(
        columns=["unit", "period", "indicator", "value"]), docs_dir=None, out_dir=tmp_path / "verdicts")
    verdicts = [v for f in files for v in read_verdicts(f)]
    # an entry an older version recorded with the raw subject, and one whose unit left the roster
    # (its reply cannot even be built): neither stops the replies after them
    old = dataclasses.replace(fetched[0], message_id="<old@qinghe.example>", subject="旧\r\nBcc: evil@example.com")
    gone = dataclasses.replace(fetched[0], message_id="<gone@qinghe.example>", unit="XX99")
    for row in (gone, old):
        mailbox._append(mailbox.ledger_path(data), dataclasses.asdict(row))
    host, port, received = smtp_inbox
    result = notify.reply_by_mail(verdicts + [dataclasses.replace(verdicts[0], unit="XX99")], catalog, data,
                                  settings, channels.smtplib_sender(host, port, timeout=5))
    answered = {m["In-Reply-To"] for m in received.to(ADDRESS)}
    assert {"<crlf@qinghe.example>", "<next@qinghe.example>", "<old@qinghe.example>"} <= answered
    assert result["failed"] == [f"XX99 {PERIOD}"] and received.to("evil@example.com") == []
    for m in received.to(ADDRESS):
        assert "\n" not in m["Subject"] and m["Bcc"] is None


# --------------------------------------------------------------------------- the template's signature


def test_the_template_signature_fits_only_its_unit_month_and_key(catalog, tmp_path):
    path = template.write_template(catalog, UNIT, PERIOD, tmp_path / "t.xlsx", key=TEMPLATE_KEY)
    unit, period, signed = inbox.read_identity(path.read_bytes())
    assert (unit, period) == (UNIT, PERIOD) and template.signature_fits(TEMPLATE_KEY, UNIT, PERIOD, signed)
    assert not template.signature_fits("another key", UNIT, PERIOD, signed)
    assert not template.signature_fits(TEMPLATE_KEY, "TS11", PERIOD, signed)
    assert not template.signature_fits(TEMPLATE_KEY, UNIT, "2025-07", signed)
    assert not template.signature_fits(TEMPLATE_KEY, UNIT, PERIOD, "签名" + signed)   # no crash on non-ASCII
    unsigned = template.write_template(catalog, UNIT, PERIOD, tmp_path / "u.xlsx")
    assert inbox.read_identity(unsigned.read_bytes())[2] == ""


def test_a_hand_dropped_file_counts_from_when_the_bureau_saw_it_not_its_own_time(catalog, data, tmp_path):
    import os
    import time

    path = inbox.inbox_path(data, PERIOD, UNIT)
    path.parent.mkdir(parents=True)
    path.write_bytes(filled_template(catalog, UNIT, PERIOD, tmp_path))
    claimed = datetime(2025, 7, 1, tzinfo=UTC).timestamp()
    os.utime(path, (claimed, claimed))                 # a copy that says "1 July"
    before = time.time()
    [outcome] = pulls.pull_batch(catalog, PERIOD, [UNIT],
                                 PullContext(data_dir=data, token_lookup=lambda _: None))
    assert datetime.fromisoformat(outcome["received_at"]).timestamp() >= before - 60
