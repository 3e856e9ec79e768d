"""reporting_circular's tasks as plain Python: the month from the run's moment, the circular
written from a seeded warehouse, and sent (or not) through a real SMTP server."""
from __future__ import annotations

import logging

import pendulum
import pytest
import seeded_warehouse

from county_reports.runs import reporting_circular
from county_reports.deliver import channels
from county_reports.core import paths

MOMENT = pendulum.datetime(2025, 7, 8, 10, tz="Asia/Shanghai")


@pytest.fixture
def data(tmp_path, monkeypatch, catalog):
    return seeded_warehouse.seed(tmp_path, monkeypatch, catalog, "2025-06", "2025-06", skip={("TS01", "2025-06")})


def test_the_circular_of_the_month_before_written_then_sent_once(data, smtp_inbox, caplog):
    caplog.set_level(logging.INFO, logger="county_reports")     # the task log
    built = reporting_circular.write({}, MOMENT)
    assert built["docx"] == "circulars/2025-06/circular-2025-06.docx" and paths.at(built["docx"], data).is_file()
    assert built["counts"]["missing"] == 1 and built["counts"]["reported"] == built["counts"]["expected"] - 1
    assert reporting_circular.send(built, {"send": False}, lambda conn_id: None) == {"status": "not_sent"}
    host, port, received = smtp_inbox
    result = reporting_circular.send(built, {"send": True}, lambda conn_id: channels.smtplib_sender(host, port, timeout=5))
    assert result["status"] == "sent" and result["to"]
    assert reporting_circular.send(built, {}, lambda conn_id: channels.smtplib_sender(host, port, timeout=5))["status"] \
        == "already_sent"                           # once per month
    assert "Circular sent" in caplog.text


def test_the_form_names_the_month(data):
    assert reporting_circular.write({"period": "2025-05"}, MOMENT)["docx"] == "circulars/2025-05/circular-2025-05.docx"


def test_a_run_started_by_new_figures_writes_the_newest_month_once_its_deadlines_have_passed(data, catalog):
    from datetime import date

    from county_reports.render import circular

    # June's units are due on 5 or 6 July: the collection of the 5th names a month still open
    assert reporting_circular.month_due(["2025-05", "2025-06"], date(2025, 7, 5), catalog) is None
    assert reporting_circular.month_due(["2025-06"], date(2025, 7, 6), catalog) is None
    assert reporting_circular.month_due(["2025-05", "2025-06"], date(2025, 7, 8), catalog) == "2025-06"
    assert reporting_circular.write({}, MOMENT, named=["2025-06"])["counts"]["period"] == "2025-06"
    assert reporting_circular.write({}, pendulum.datetime(2025, 7, 5, 7, tz="Asia/Shanghai"), named=["2025-06"]) is None
    (circular.folder(data, "2025-06") / circular.SENT).write_text("{}", encoding="utf-8")
    assert reporting_circular.month_due(["2025-06"], date(2025, 7, 20), catalog) is None     # sent: stays as sent
    assert reporting_circular.write({"period": "2025-06"}, MOMENT, named=["2025-06"])["docx"]   # by hand: rewritten
