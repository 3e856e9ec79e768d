"""End to end: collect from the simulator, then both report DAGs render and deliver, once."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from county_reports import settings

pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def dags(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(settings.PROJECT_ROOT / "dags"))
    assert not bag.import_errors
    return bag


@pytest.fixture(scope="module")
def office(simulator, tmp_path_factory):
    from county_reports.simulator.office import OfficeDocuments

    token = "office-token-for-tests"
    receiver = OfficeDocuments(tmp_path_factory.mktemp("office"), token)
    receiver.mount(simulator)
    os.environ["COUNTY_REPORTS_OFFICE_URL"] = f"{simulator.url}/office"
    os.environ["AIRFLOW_CONN_COUNTY_OFFICE"] = json.dumps({"conn_type": "http", "password": token})
    return receiver


@pytest.fixture(scope="module")
def collected(dags, simulator):
    simulator.clear_faults()
    for unit, period, fault in (("TS03", "2024-03", "missing"), ("TS07", "2024-11", "invalid_values"),
                                ("SC01", "2025-02", "server_error")):
        simulator.set_fault(unit, period, fault)
    run = dags.get_dag("collect_monthly").test(run_conf={"period": "2024-01", "through": "2025-06"})
    assert run.state == "success"
    simulator.clear_faults()


def conf(year: int, kind: str, *, dry_run: bool = False, force: bool = False) -> dict:
    # Always the whole form: dag.test() keeps the previous run's conf in the DAG's params.
    return {"year": year, "kind": kind, "dry_run": dry_run, "force_delivery": force}


def xcom(run, task_id):
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        value = session.scalars(select(XComModel.value).where(
            XComModel.dag_id == run.dag_id, XComModel.run_id == run.run_id,
            XComModel.task_id == task_id, XComModel.key == "return_value")).first()
    return json.loads(value) if isinstance(value, str) else value


def test_half_year_report_renders_delivers_once_and_can_be_forced(dags, collected, office):
    dag = dags.get_dag("half_year_report")
    dry = dag.test(run_conf=conf(2025, "half_year", dry_run=True))
    assert dry.state == "success" and xcom(dry, "deliver") == {"status": "dry_run"}
    assert office.received == []
    built = xcom(dry, "render")
    assert Path(built["docx"]).is_file() and built["title"] == "清河县交通运输局2025年上半年工作总结及下半年工作计划"

    first = dag.test(run_conf=conf(2025, "half_year"))
    receipt = xcom(first, "deliver")
    assert first.state == "success" and receipt["status"] == "delivered" and receipt["receipt_id"]
    assert len(office.received) == 1

    second = dag.test(run_conf=conf(2025, "half_year"))
    again = xcom(second, "deliver")
    assert again["status"] == "already_delivered" and again["receipt_id"] == receipt["receipt_id"]
    assert len(office.received) == 1                      # never twice

    forced = dag.test(run_conf=conf(2025, "half_year", force=True))
    assert xcom(forced, "deliver")["status"] == "delivered" and len(office.received) == 2

    from county_reports.warehouse import Warehouse
    from county_reports.warehouse.schema import deliveries
    from sqlalchemy import select

    with Warehouse() as warehouse, warehouse.engine.connect() as conn:
        rows = conn.execute(select(deliveries).where(deliveries.c.document_kind == "half_year")).all()
    assert sum(r.status == "delivered" for r in rows) == 2


def test_annual_report_for_the_previous_year(dags, collected, office):
    run = dags.get_dag("annual_report").test(run_conf=conf(2024, "annual"))
    assert run.state == "success"
    built, receipt = xcom(run, "render"), xcom(run, "deliver")
    assert built["title"] == "清河县交通运输局2024年工作总结及2025年工作打算"
    assert receipt["status"] == "delivered"
    assert any(r["receipt_id"] == receipt["receipt_id"] for r in office.received)


def test_refuses_below_threshold_when_configured(dags, collected, office, tmp_path, monkeypatch):
    config = tmp_path / "config"
    shutil.copytree(settings.PROJECT_ROOT / "include" / "config", config)
    reports = yaml.safe_load((config / "reports.yaml").read_text(encoding="utf-8"))
    reports.update(completeness_threshold=0.999, below_threshold="refuse")
    (config / "reports.yaml").write_text(yaml.safe_dump(reports), encoding="utf-8")
    monkeypatch.setenv("COUNTY_REPORTS_CONFIG", str(config))
    before = len(office.received)
    run = dags.get_dag("annual_report").test(run_conf=conf(2024, "annual", force=True))
    assert run.state == "failed"
    assert len(office.received) == before                 # nothing rendered, nothing sent


def test_email_through_airflows_smtp_provider(dags, collected, tmp_path, monkeypatch):
    """delivery.yaml channel smtp: the DAG sends through SmtpHook to a real SMTP server process."""
    import mailbox
    import socket
    import subprocess
    import sys
    import time
    from email.header import decode_header, make_header

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    maildir = tmp_path / "maildir"
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                               "-c", "aiosmtpd.handlers.Mailbox", str(maildir)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        config = tmp_path / "config"
        shutil.copytree(settings.PROJECT_ROOT / "include" / "config", config)
        delivery = yaml.safe_load((config / "delivery.yaml").read_text(encoding="utf-8"))
        delivery.update(channel="smtp", retries=0)
        (config / "delivery.yaml").write_text(yaml.safe_dump(delivery, allow_unicode=True), encoding="utf-8")
        monkeypatch.setenv("COUNTY_REPORTS_CONFIG", str(config))
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps({
            "conn_type": "smtp", "host": "127.0.0.1", "port": port,
            "extra": {"disable_tls": True, "disable_ssl": True}}))
        run = dags.get_dag("annual_report").test(run_conf=conf(2024, "annual", force=True))
        assert run.state == "success"
        receipt = xcom(run, "deliver")
        assert receipt["status"] == "delivered" and receipt["channel"] == "smtp"
        [message] = list(mailbox.Maildir(maildir, create=False))
        subject = str(make_header(decode_header(message["Subject"])))
        assert "清河县交通运输局2024年工作总结及2025年工作打算" in subject
        names = [part.get_filename() for part in message.walk() if part.get_filename()]
        assert any(n.endswith(".docx") for n in names) and any(n.endswith(".xlsx") for n in names)
        assert message["Message-ID"] == receipt["receipt_id"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_report_before_its_last_deadline_is_rendered_not_delivered(dags, collected, office):
    before = len(office.received)
    from datetime import date

    run = dags.get_dag("half_year_report").test(run_conf=conf(date.today().year + 1, "half_year"))
    assert run.state == "success"
    assert xcom(run, "check_coverage")["span_open"] is True
    assert xcom(run, "deliver") == {"status": "span_open"}
    assert Path(xcom(run, "render")["docx"]).is_file() and len(office.received) == before
