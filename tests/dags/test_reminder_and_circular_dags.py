"""unit_reminders and reporting_circular through dag.test(), with the simulator and an SMTP server."""
from __future__ import annotations

import json
import os

import pytest

from county_reports.core import mail, paths

pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def dagbag(airflow_db):
    from _dag_test import dag_test_bag

    bag = dag_test_bag()
    assert not bag.import_errors
    return bag


@pytest.fixture
def smtp_connection(smtp_inbox):
    host, port, received = smtp_inbox
    name = f"AIRFLOW_CONN_{mail.load_settings().smtp_conn_id.upper()}"
    os.environ[name] = json.dumps({"conn_type": "smtp", "host": host, "port": port,
                                   "extra": {"disable_ssl": True, "disable_tls": True, "retry_limit": 1}})
    yield received
    os.environ.pop(name, None)


def test_unit_reminders_posts_to_http_units_once(dagbag, simulator, catalog, smtp_connection):
    period, day = "2025-11", "2025-12-04"        # nothing collected for November: everyone is due
    dag = dagbag.get_dag("unit_reminders")
    assert dag.test(run_conf={"day": day}).state == "success"
    due_soon = {u.code for u in catalog.units_active_in(period)}       # deadlines 5th/6th, 2 days before
    assert {code for code, p in simulator.reminders if p == period} == due_soon
    assert dag.test(run_conf={"day": day}).state == "success"
    assert all(len(simulator.reminders[(code, period)]) == 1 for code in due_soon)   # once


def test_reporting_circular_writes_and_sends_the_month(dagbag, catalog, smtp_connection):
    from county_reports.warehouse import Warehouse

    period = "2025-11"
    dag = dagbag.get_dag("reporting_circular")
    assert dag.test(run_conf={"period": period}).state == "success"
    summary = json.loads((paths.data_dir() / "circulars" / period / f"circular-{period}.json").read_text())
    assert paths.location(summary["docx"]).is_file()
    with Warehouse() as warehouse:
        rate = warehouse.reporting_rate(catalog, [period]).iloc[0]
    assert all(summary["counts"][k] == int(rate[k]) for k in ("expected", "reported", "missing"))
    [msg] = smtp_connection.messages
    assert msg["Subject"] == summary["title"] and len(list(msg.iter_attachments())) == 1
