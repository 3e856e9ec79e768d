"""Templates by e-mail against a real Dovecot: inbox, duplicates, quarantine, replies, notices."""
from __future__ import annotations

import hashlib
from datetime import datetime, UTC

import pytest
from mail_helpers import email, fetch, unprocessed, filled_template, plain_workbook, use_template_key

from county_reports.core import archive, mail
from county_reports.deliver import channels, notify
from county_reports.collect import inbox, mail_notices, mailbox

PERIOD = "2025-06"
# TS10 reports over HTTP and by e-mail (units.yaml channels); TS03 only over HTTP.
UNIT, ADDRESS = "TS10", "ts10@qinghe.example"


@pytest.fixture(autouse=True)
def template_key(monkeypatch):
    return use_template_key(monkeypatch)


@pytest.fixture
def settings():
    return mail.load_settings()


@pytest.fixture
def data(tmp_path):
    return tmp_path / "data"




def test_a_template_from_its_unit_lands_in_the_inbox_archived_and_marked(dovecot, catalog, data,
                                                                         settings, tmp_path):
    book = filled_template(catalog, UNIT, PERIOD, tmp_path)
    sent = datetime(2025, 7, 3, 9, 30, tzinfo=UTC)
    claimed = datetime(2025, 7, 1, 0, 0, tzinfo=UTC)         # the sender's Date: not believed
    raw = email("新华镇 <TS10@qinghe.example>", "6月报表", [("TS10.xlsx", book)], date=claimed)
    dovecot.deliver(raw, received=sent)
    assert len(unprocessed(dovecot, settings)) == 1

    [entry] = fetch(dovecot, catalog, data, settings)
    assert entry.outcome == mailbox.INBOXED and (entry.unit, entry.period) == (UNIT, PERIOD)
    assert entry.sender == ADDRESS      # registered addresses compare case-blind
    assert entry.received_at == sent.isoformat() and entry.date == claimed.isoformat()
    # the raw message as the server serves it (CRLF lines) is archived under its SHA-256
    kept = archive.read(data, entry.sha256)
    assert hashlib.sha256(kept).hexdigest() == entry.sha256 and kept.replace(b"\r\n", b"\n") == raw
    dropped = inbox.inbox_path(data, PERIOD, UNIT)
    assert dropped.read_bytes() == book
    assert dropped.stat().st_mtime == sent.timestamp()            # when the bureau's server took it
    assert unprocessed(dovecot, settings) == []                   # marked only now
    payload = inbox.read_template(dropped, catalog, expect_unit=UNIT, expect_period=PERIOD)
    assert payload["submitted_at"].startswith("2025-07-03T17:30")  # Asia/Shanghai

    # the same message again (re-delivered: a new UID, same Message-ID and bytes) is a duplicate
    dovecot.deliver(raw)
    [again] = fetch(dovecot, catalog, data, settings)
    assert again.outcome == mailbox.DUPLICATE
    assert dropped.read_bytes() == book and dropped.stat().st_mtime == sent.timestamp()
    assert fetch(dovecot, catalog, data, settings) == []          # nothing new left


CASES = {
    "unknown_sender": ("stranger@example.com", lambda c, t: [("TS10.xlsx", filled_template(c, UNIT, PERIOD, t))],
                       "不是任何单位登记的报送邮箱"),
    "other_unit": ("ts01@qinghe.example", lambda c, t: [("TS10.xlsx", filled_template(c, UNIT, PERIOD, t))],
                   "登记为单位 TS01 的报送邮箱，附件却是单位 TS10 的模板"),
    "other_month": (ADDRESS, lambda c, t: [("TS10.xlsx", filled_template(c, UNIT, "2025-04", t))],
                    "附件是 2025-04 的模板"),
    "not_template": (ADDRESS, lambda c, t: [("统计表.xlsx", plain_workbook())],
                     "不是本局下发的报表模板"),
    "corrupt": (ADDRESS, lambda c, t: [("TS10.xlsx", b"PK\x03\x04" + b"\x00broken" * 50)],
                "无法读取"),
    "two_workbooks": (ADDRESS, lambda c, t: [("TS10.xlsx", filled_template(c, UNIT, PERIOD, t)),
                                             ("TS10-2.xlsx", filled_template(c, UNIT, PERIOD, t))],
                      "含有 2 个 Excel 附件"),
    "no_workbook": (ADDRESS, lambda c, t: [("说明.pdf", b"%PDF-1.4 ...")], "没有 Excel 报表附件"),
    "not_email_channel": ("ts03@qinghe.example", lambda c, t: [("TS03.xlsx", filled_template(c, "TS03", PERIOD, t))],
                          "登记的报送方式不含电子邮件"),
}


def test_every_bad_message_is_quarantined_kept_and_told_to_the_admins(dovecot, catalog, data, settings,
                                                                       tmp_path, smtp_inbox):
    raws = {}
    for key, (sender, attachments, _) in CASES.items():
        raws[key] = email(sender, f"报表 {key}", attachments(catalog, tmp_path))
        dovecot.deliver(raws[key])
    fetched = fetch(dovecot, catalog, data, settings)
    by_subject = {e.subject.split()[-1]: e for e in fetched}
    assert set(by_subject) == set(CASES)
    for key, (_, _, phrase) in CASES.items():
        entry = by_subject[key]
        assert entry.outcome == mailbox.QUARANTINED and entry.reason_key == key, (key, entry.reason)
        assert phrase in entry.reason, (key, entry.reason)
        assert archive.read(data, entry.sha256).replace(b"\r\n", b"\n") == raws[key]   # kept
        assert (data / "mailbox" / "quarantine").is_dir()
    assert not (data / "inbox").exists()                           # never accepted
    assert unprocessed(dovecot, settings) == []

    host, port, received = smtp_inbox
    send = channels.smtplib_sender(host, port, timeout=5)
    told = mail_notices.notify_admins(data, settings, send)
    assert len(told) == len(CASES)
    [notice] = received.to(settings.admins[0])
    body = notice.get_content()
    for _, (_, _, phrase) in CASES.items():
        assert phrase in body
    assert mail_notices.notify_admins(data, settings, send) == []      # told once
    # a registered, proven sender is told why; the stranger is not, nor the unit whose channel
    # is not e-mail (its From may be forged: the real unit must not get mail about it)
    told = mail_notices.tell_senders(catalog, data, settings, send)
    assert len(told) == len(CASES) - 2 and received.to("stranger@example.com") == []
    assert received.to("ts03@qinghe.example") == []
    answer = next(m for m in received.to(ADDRESS) if m["In-Reply-To"] == by_subject["corrupt"].message_id)
    assert by_subject["corrupt"].reason in answer.get_content()
    assert mail_notices.tell_senders(catalog, data, settings, send) == []


def test_the_reply_answers_the_units_own_message_with_its_feedback(dovecot, catalog, data, settings,
                                                                   tmp_path, smtp_inbox):
    from county_reports.validate import intake
    from county_reports.collect import pulls
    import pandas as pd

    book = filled_template(catalog, UNIT, PERIOD, tmp_path, changes={"RURAL_ROAD_KM": "abc"})
    raw = email(ADDRESS, "新华镇6月报表", [("TS10.xlsx", book)], message_id="<m1@qinghe.example>")
    dovecot.deliver(raw)
    [entry] = fetch(dovecot, catalog, data, settings)
    outcome = pulls.read_inbox_file(catalog, catalog.unit_by_code[UNIT], PERIOD,
                                      inbox.inbox_path(data, PERIOD, UNIT), data_dir=data)
    files = intake.validate_outcomes([outcome], catalog, data, history=pd.DataFrame(
        columns=["unit", "period", "indicator", "value"]), docs_dir=None, out_dir=tmp_path / "verdicts")
    from county_reports.validate.model import read_verdicts

    [verdict] = read_verdicts(files[0])
    assert verdict.status == "rejected"

    host, port, received = smtp_inbox
    send = channels.smtplib_sender(host, port, timeout=5)
    result = notify.reply_by_mail([verdict], catalog, data, settings, send)
    assert len(result["sent"]) == 1
    [answer] = received.to(ADDRESS)
    assert answer["In-Reply-To"] == "<m1@qinghe.example>" and "<m1@qinghe.example>" in answer["References"]
    assert answer["Subject"] == "回复：新华镇6月报表"
    text = answer.get_content()
    assert "未通过审核，已退回" in text and "RURAL_ROAD_KM" in text and "abc" in text
    assert notify.reply_by_mail([verdict], catalog, data, settings, send)["sent"] == []   # once


def test_a_message_stays_new_on_the_server_until_its_workbook_is_in_the_inbox(dovecot, catalog, data,
                                                                               settings, tmp_path):
    from county_reports.core.atomic import DataFolderError

    dovecot.deliver(email(ADDRESS, "6月报表", [("TS10.xlsx", filled_template(catalog, UNIT, PERIOD, tmp_path))]))
    blocked = inbox.inbox_path(data, PERIOD, UNIT).parent
    blocked.parent.mkdir(parents=True)
    blocked.write_text("not a folder")             # the inbox cannot be written
    with pytest.raises(DataFolderError):
        fetch(dovecot, catalog, data, settings)
    assert len(unprocessed(dovecot, settings)) == 1 and mailbox.entries(data) == []
    blocked.unlink()
    [entry] = fetch(dovecot, catalog, data, settings)
    assert entry.outcome == mailbox.INBOXED and inbox.inbox_path(data, PERIOD, UNIT).is_file()
    assert unprocessed(dovecot, settings) == []


def test_a_template_for_a_later_month_waits_for_the_run_that_collects_it(dovecot, catalog, data,
                                                                         settings, tmp_path):
    dovecot.deliver(email(ADDRESS, "7月报表",
                          [("TS10.xlsx", filled_template(catalog, UNIT, "2025-07", tmp_path))]))
    assert fetch(dovecot, catalog, data, settings, wanted=("2025-06",)) == []   # a run for June
    assert len(unprocessed(dovecot, settings)) == 1 and mailbox.entries(data) == []
    [entry] = fetch(dovecot, catalog, data, settings, wanted=("2025-07",))
    assert entry.outcome == mailbox.INBOXED and entry.period == "2025-07"
