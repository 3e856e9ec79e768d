"""End to end: a unit e-mails its template → Dovecot → collect_monthly (dag.test) → archived,
validated, stored → the unit gets a reply; a correction next day is version 2; the same message
again is a duplicate; bad messages are quarantined and the admins told."""
from __future__ import annotations

import os
from datetime import datetime, UTC

import pytest
from mail_helpers import email, filled_template, plain_workbook, use_template_key

from county_reports.collect import ledger, mail_notices, mailbox
from county_reports.core import mail, paths

pytestmark = pytest.mark.airflow
PERIOD = "2025-09"
UNIT = "TS10"


@pytest.fixture(scope="module")
def collect_dag(airflow_db):
    from _dag_test import dag_test_bag

    bag = dag_test_bag()
    assert not bag.import_errors
    return bag.get_dag("collect_monthly")


@pytest.fixture
def connections(dovecot, smtp_inbox, monkeypatch):
    import json

    use_template_key(monkeypatch)          # the template key Connection, as the DAG reads it
    host, port, _ = smtp_inbox
    cfg = mail.load_settings()
    names = [f"AIRFLOW_CONN_{cfg.imap_conn_id.upper()}", f"AIRFLOW_CONN_{cfg.smtp_conn_id.upper()}"]
    os.environ[names[0]] = dovecot.connection_env()
    os.environ[names[1]] = json.dumps({"conn_type": "smtp", "host": host, "port": port,
                                       "extra": {"disable_ssl": True, "disable_tls": True, "retry_limit": 1}})
    yield cfg
    for name in names:
        os.environ.pop(name, None)


def test_templates_by_email_through_collect_monthly(collect_dag, simulator, catalog, dovecot, smtp_inbox,
                                                    connections, tmp_path):
    from county_reports.warehouse import Warehouse

    _, _, received = smtp_inbox
    simulator.clear_faults()
    address = catalog.unit_by_code[UNIT].emails[0]
    # Day 1: the clerk's first workbook has a figure that is not a number.
    first = email(f"新华镇交通运输管理站 <{address}>", "新华镇9月报表",
                  [(f"{UNIT}.xlsx", filled_template(catalog, UNIT, PERIOD, tmp_path, changes={"RURAL_ROAD_KM": "十二"}))],
                  message_id="<first@qinghe.example>", date=datetime(2025, 10, 3, 1, 0, tzinfo=UTC))
    dovecot.deliver(first, received=datetime(2025, 10, 3, 1, 0, tzinfo=UTC))
    bad = {
        "unknown_sender": email("someone@example.com", "报表", [("TS10.xlsx", filled_template(catalog, UNIT, PERIOD, tmp_path))]),
        "not_email_channel": email(address, "报表", [("TS02.xlsx", filled_template(catalog, "TS02", PERIOD, tmp_path))]),
        "other_month": email(address, "报表", [("TS10.xlsx", filled_template(catalog, UNIT, "2025-07", tmp_path))]),
        "not_template": email(address, "报表", [("表.xlsx", plain_workbook())]),
        "corrupt": email(address, "报表", [("TS10.xlsx", b"PK\x03\x04 truncated")]),
        "two_workbooks": email(address, "报表", [("a.xlsx", filled_template(catalog, UNIT, PERIOD, tmp_path)),
                                               ("b.xlsx", filled_template(catalog, UNIT, PERIOD, tmp_path))]),
    }
    for raw in bad.values():
        dovecot.deliver(raw)

    assert collect_dag.test(run_conf={"period": PERIOD}).state == "success"
    data = paths.data_dir()
    outcome = ledger.latest_by_unit(data, PERIOD)[UNIT]
    assert outcome["status"] == "received" and outcome["source"] == "inbox"
    with Warehouse() as warehouse:
        versions = warehouse.submissions(unit=UNIT, period=PERIOD)
    assert list(versions["version"]) == [1] and versions["status"].iloc[0] == "rejected"
    def answers(message_id):
        return [m for m in received.to(address) if m["In-Reply-To"] == message_id]

    [reply] = answers("<first@qinghe.example>")
    assert reply["In-Reply-To"] == "<first@qinghe.example>" and reply["Subject"] == "回复：新华镇9月报表"
    text = reply.get_content()
    assert "未通过审核，已退回" in text and "十二" in text and "RURAL_ROAD_KM" in text

    # the six bad messages: quarantined, never in the warehouse, each reason told to the admins
    entries = {e.message_id: e for e in mailbox.entries(data)}
    quarantined = [e for e in entries.values() if e.outcome == mailbox.QUARANTINED]
    assert sorted(e.reason_key for e in quarantined) == sorted(bad)
    [notice] = received.to(connections.admins[0])
    for e in quarantined:
        assert e.reason in notice.get_content()
        # the unit is told too when it sent the message; an unknown or unproven sender never is
        if e.reason_key != "unknown_sender" and e.reason_key not in mail_notices.UNPROVEN:
            [told] = answers(e.message_id)
            assert "未被接收" in told.get_content() and e.reason in told.get_content()
    assert received.to("someone@example.com") == []
    sent_to_unit = len(received.to(address))

    # Day 2: the corrected workbook, a new message → version 2, accepted, answered
    second = email(address, "回复：新华镇9月报表", [(f"{UNIT}.xlsx", filled_template(catalog, UNIT, PERIOD, tmp_path))],
                   message_id="<second@qinghe.example>", date=datetime(2025, 10, 4, 1, 0, tzinfo=UTC))
    dovecot.deliver(second, received=datetime(2025, 10, 4, 1, 0, tzinfo=UTC))
    assert collect_dag.test(run_conf={"period": PERIOD}).state == "success"
    with Warehouse() as warehouse:
        versions = warehouse.submissions(unit=UNIT, period=PERIOD).set_index("version")
        status = warehouse.completeness(catalog, [PERIOD]).set_index("unit").loc[UNIT, "status"]
    assert list(versions.index) == [1, 2] and versions.loc[2, "status"] in ("accepted", "accepted_with_warnings")
    assert status == "on_time"                       # taken by the server 4 October, due the 5th
    [answer] = answers("<second@qinghe.example>")
    assert len(received.to(address)) == sent_to_unit + 1
    assert "已收到" in answer.get_content() and "退回" not in answer.get_content()

    # The first message once more (a client re-sending it): a duplicate, nothing changes
    with Warehouse() as warehouse:
        before = warehouse.table_snapshot()
    dovecot.deliver(first)
    assert collect_dag.test(run_conf={"period": PERIOD}).state == "success"
    with Warehouse() as warehouse:
        assert warehouse.table_snapshot() == before
    assert [e.outcome for e in mailbox.entries(data)][-1] == mailbox.DUPLICATE
    assert len(received.to(address)) == sent_to_unit + 1 and len(received.to(connections.admins[0])) == 1
