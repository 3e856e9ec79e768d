"""mail_message.py: what is taken from a hostile message: bounded one-line headers, the sender,
the claimed date, attachments, and file names made of hashes, never of what the sender wrote."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

from county_reports.collect import mail_message as mm
from county_reports.simulator.mail import email


def test_headers_on_one_line_and_bounded():
    import base64
    long = base64.b64encode(("报表" + "长" * 500).encode()).decode()
    raw = (b"From: TS10 <ts10@qinghe.example>\r\nSubject: =?utf-8?q?a=0D=0ABcc:_x@evil?=\r\n"
           b"X-Long: =?utf-8?b?" + long.encode() + b"?=\r\n\r\nbody")
    msg = mm.parse(raw)
    subject = mm.header(msg, "Subject")
    assert "\n" not in subject and "\r" not in subject and "Bcc" in subject
    assert len(mm.header(msg, "X-Long")) == mm.MAX_HEADER_TEXT
    assert mm.header(msg, "X-Absent") == ""
    assert mm.sender(msg) == "ts10@qinghe.example"


def test_raw_headers_keep_the_trace_in_order():
    msg = mm.parse(email("ts10@qinghe.example", "s"))
    names = [name.lower() for name, _ in mm.raw_headers(msg)]
    assert names.index("authentication-results") < names.index("from")


def test_claimed_date_is_kept_only_when_readable():
    sent = datetime(2025, 7, 3, 9, 12, tzinfo=timezone(timedelta(hours=8)))
    assert mm.claimed_date(mm.parse(email("a@b.example", "s", date=sent))) == sent.isoformat()
    assert mm.claimed_date(mm.parse(email("a@b.example", "s"))) is None
    broken = mm.parse(b"From: a@b.example\r\nDate: the third of July\r\n\r\nx")
    assert mm.claimed_date(broken) is None


def test_attachments_with_their_names_bytes_and_types():
    raw = email("a@b.example", "s", [("TS10.xlsx", b"PK\x03\x04book"), ("../../etc/passwd", b"x")])
    found = mm.attachments(mm.parse(raw))
    assert [(n, d) for n, d, _ in found] == [("TS10.xlsx", b"PK\x03\x04book"), ("../../etc/passwd", b"x")]
    assert "spreadsheetml" in found[0][2]
    msg = EmailMessage()
    msg.set_content("body")
    msg.add_attachment(b"data", maintype="application", subtype="octet-stream")      # no name
    assert [(n, d) for n, d, _ in mm.attachments(mm.parse(msg.as_bytes()))] == [("unnamed", b"data")]


def test_stored_names_come_from_content_only():
    data = b"PK\x03\x04book"
    digest = hashlib.sha256(data).hexdigest()[:16]
    assert mm.stored_name(1, "../../TS10.xlsx", data, "application/octet-stream") == f"1-{digest}.xlsx"
    assert mm.stored_name(2, "a.exe", data, "application/vnd.ms-excel") == f"2-{digest}.xlsx"
    assert mm.stored_name(3, "note.txt", data, "text/plain") == f"3-{digest}.bin"
    assert mm.is_workbook("BOOK.XLSX", "") and not mm.is_workbook("book.xlsx.exe", "text/plain")
