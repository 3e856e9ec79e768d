"""End to end: collect from the simulator, then both report DAGs render, wait for an admin's
approval (answered through the REST API of a real api-server, as in the Required Actions page),
and deliver once; a rejection, an unanswered request and a catch-up run deliver nothing."""
from __future__ import annotations

import json
import os
import shutil
import sys

import pytest
import yaml

from dag_helpers import assert_no_local_paths

from county_reports.core import paths
from county_reports.deliver.required_actions import first_choices
from datetime import UTC

pytestmark = pytest.mark.airflow


APPROVER_CONFIG: dict = {}


@pytest.fixture(scope="module")
def dags(airflow_db, tmp_path_factory):
    """The report DAGs, parsed with the api-server's admin as the approver (the simple auth
    manager's user id is the user name; the shipped approvers are FAB ids)."""
    from _dag_test import dag_test_bag

    config = APPROVER_CONFIG["path"] = tmp_path_factory.mktemp("approver-config") / "config"
    shutil.copytree(paths.PROJECT_ROOT / "include" / "config", config)
    data = yaml.safe_load((config / "admins.yaml").read_text(encoding="utf-8"))
    data["approvers"] = [{"id": "admin", "name": "admin"}]
    (config / "admins.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    os.environ["COUNTY_REPORTS_CONFIG"] = str(config)
    _forget_dag_helpers()       # _alerts read admins.yaml at import: read this config, not a cached one
    try:
        bag = dag_test_bag()
    finally:
        del os.environ["COUNTY_REPORTS_CONFIG"]
        _forget_dag_helpers()   # and the next DAG parse in this process reads the shipped config again
    assert not bag.import_errors
    return bag


def _forget_dag_helpers() -> None:
    """The DAG folder's helper modules (``_alerts``, ``_bureau`` …) out of ``sys.modules``."""
    helpers = {p.stem for p in (paths.PROJECT_ROOT / "dags").glob("_*.py")} - {"_dag_test"}
    for name in helpers & set(sys.modules):
        del sys.modules[name]


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


def conf(year: int, kind: str, *, dry_run: bool = False, force: bool = False, correction: bool = False) -> dict:
    # Always the whole form: dag.test() keeps the previous run's conf in the DAG's params.
    # (kind is the DAG's own: the form has no such field; it only names the test's intent.)
    return {"year": year, "dry_run": dry_run, "force_delivery": force, "correction": correction}


APPROVE, REJECT = "批准", "驳回"


def approve(note: str = "", confirm_gap: bool = False):
    """批准, with 按报送数使用 where the span has unconfirmed values (the demo's collected months do)."""
    return lambda detail: (APPROVE, first_choices(detail, {"note": note, "confirm_gap": confirm_gap}))


def reject(reason: str):
    return lambda detail: (REJECT, {"note": reason, "confirm_gap": False})


def never_asked(detail):
    """Rejects (so the run ends) and is recorded: the test then fails on ``asked is not None``."""
    return REJECT, {"note": "unexpected request", "confirm_gap": False}


def run_answering(api, dag, run_conf: dict, choose, **kwargs):
    """dag.test() in this thread; the answer comes from another one over the REST API."""
    from dag_helpers import Answerer

    answerer = Answerer(api, dag.dag_id, choose)
    answerer.start()
    try:
        run = dag.test(run_conf=run_conf, **kwargs)
    finally:
        answered = answerer.finish()
    return run, answered


def xcom(run, task_id):
    from dag_helpers import run_xcoms

    return run_xcoms(run).get((task_id, -1, "return_value"))


def test_half_year_report_is_approved_then_delivered_once_and_can_be_forced(dags, collected, office, api_server):
    dag = dags.get_dag("half_year_report")
    dry, asked = run_answering(api_server, dag, conf(2025, "half_year", dry_run=True), never_asked)
    assert dry.state == "success" and xcom(dry, "deliver") == {"status": "dry_run"} and asked is None
    assert office.received == []
    built = xcom(dry, "render")
    assert paths.at(built["docx"]).is_file() and built["title"] == "清河县交通运输局2025年上半年工作总结及下半年工作计划"

    first, asked = run_answering(api_server, dag, conf(2025, "half_year"), approve("请审阅"))
    receipt = xcom(first, "deliver")
    assert first.state == "success" and receipt["status"] == "delivered" and receipt["receipt_id"]
    assert_no_local_paths(dry, paths.data_dir())
    assert_no_local_paths(first, paths.data_dir())
    assert len(office.received) == 1
    # What the admin was shown: coverage, who is missing, what is behind, the draft's link.
    body = asked["body"]
    assert "报送率" in body and "/county-reports/documents/2025/" in body and ".docx" in body
    assert "未报送单位" in body or "各单位均已报送" in body
    assert "滞后于时间进度的指标" in body or "没有滞后于时间进度的指标" in body
    assert asked["subject"] == f"审批：《{built['title']}》报送县政府办"
    # … and the exact document it approves, by SHA-256 (deliver sends only these bytes).
    from county_reports.deliver import approval

    assert f"SHA-256：`{approval.fingerprint(paths.at(built['docx']))}`" in body
    assert office.received[0]["sha256"] == approval.fingerprint(paths.at(built["docx"]))

    second, asked = run_answering(api_server, dag, conf(2025, "half_year"), never_asked)
    again = xcom(second, "deliver")
    assert again["status"] == "already_delivered" and again["receipt_id"] == receipt["receipt_id"]
    assert len(office.received) == 1 and asked is None     # never twice, and nothing to approve

    forced, asked = run_answering(api_server, dag, conf(2025, "half_year", force=True), approve())
    assert asked and xcom(forced, "deliver")["status"] == "delivered" and len(office.received) == 2

    from county_reports.warehouse import Warehouse
    from county_reports.warehouse.schema import deliveries
    from sqlalchemy import select

    with Warehouse() as warehouse, warehouse.engine.connect() as conn:
        rows = conn.execute(select(deliveries).where(deliveries.c.document_kind == "half_year")).all()
    assert sum(r.status == "delivered" for r in rows) == 2


def test_the_admins_are_told_by_mail_when_a_report_waits(dags, collected, office, api_server, smtp_server,
                                                         monkeypatch):
    """The approval's notifier e-mails the admins (SMTP server process) the request and a link to its
    Required Actions page under Airflow's own [api] base_url — a link the api-server serves."""
    import requests

    monkeypatch.setenv("AIRFLOW__API__BASE_URL", api_server.base_url)
    dag = dags.get_dag("annual_report")
    run, asked = run_answering(api_server, dag, conf(2024, "annual", force=True), reject("邮件通知测试"))
    assert asked and run.state == "success" and xcom(run, "deliver")["status"] == "rejected"
    from county_reports.deliver import approval

    link = approval.required_actions_url(api_server.base_url, "annual_report", run.run_id, "approve")
    [mail] = smtp_server.wait_for(lambda m: "待审批" in smtp_server.subject(m) and link in smtp_server.text(m))
    assert smtp_server.subject(mail) == f"【报表系统】待审批：{asked['subject']}"
    assert mail["To"] == "jtj-office@qinghe.example"
    text = smtp_server.text(mail)
    assert "报送率" in text and "滞后于时间进度的指标" in text and "SHA-256" in text
    draft = f'href="{api_server.base_url}/county-reports/documents/2024/'
    assert draft in text
    assert f'<a href="{link}">' in text
    assert requests.get(link, timeout=30).status_code == 200        # the UI serves the page


def test_annual_report_for_the_previous_year(dags, collected, office, api_server):
    run, _ = run_answering(api_server, dags.get_dag("annual_report"), conf(2024, "annual"), approve())
    assert run.state == "success"
    built, receipt = xcom(run, "render"), xcom(run, "deliver")
    assert built["title"] == "清河县交通运输局2024年工作总结及2025年工作打算"
    assert receipt["status"] == "delivered"
    assert any(r["receipt_id"] == receipt["receipt_id"] for r in office.received)


def test_refuses_below_threshold_when_configured(dags, collected, office, tmp_path, monkeypatch, smtp_server):
    """Also: the failing task e-mails the admins' list (admins.yaml) through the SMTP provider."""
    config = tmp_path / "config"
    shutil.copytree(paths.PROJECT_ROOT / "include" / "config", config)
    reports = yaml.safe_load((config / "reports.yaml").read_text(encoding="utf-8"))
    reports.update(completeness_threshold=0.999, below_threshold="refuse")
    (config / "reports.yaml").write_text(yaml.safe_dump(reports), encoding="utf-8")
    monkeypatch.setenv("COUNTY_REPORTS_CONFIG", str(config))
    before = len(office.received)
    run = dags.get_dag("annual_report").test(run_conf=conf(2024, "annual", force=True))
    assert run.state == "failed"
    assert len(office.received) == before                 # nothing rendered, nothing sent
    [mail] = smtp_server.wait_for(lambda m: run.run_id in smtp_server.text(m))
    assert smtp_server.subject(mail) == "【报表系统】annual_report 的任务 check_coverage 失败"
    assert mail["To"] == "jtj-office@qinghe.example" and "below_threshold: refuse" in smtp_server.text(mail)


def test_email_through_airflows_smtp_provider(dags, collected, tmp_path, monkeypatch, api_server):
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
        shutil.copytree(paths.PROJECT_ROOT / "include" / "config", config)
        delivery = yaml.safe_load((config / "delivery.yaml").read_text(encoding="utf-8"))
        delivery.update(channel="smtp", retries=0)
        (config / "delivery.yaml").write_text(yaml.safe_dump(delivery, allow_unicode=True), encoding="utf-8")
        monkeypatch.setenv("COUNTY_REPORTS_CONFIG", str(config))
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps({
            "conn_type": "smtp", "host": "127.0.0.1", "port": port,
            "extra": {"disable_tls": True, "disable_ssl": True}}))
        run, _ = run_answering(api_server, dags.get_dag("annual_report"), conf(2024, "annual", force=True),
                               approve())
        assert run.state == "success"
        receipt = xcom(run, "deliver")
        assert receipt["status"] == "delivered" and receipt["channel"] == "smtp"
        # the same server also took the admins' "waiting for approval" notice: the delivery is the
        # one message with the document attached, and there is exactly one
        [message] = [m for m in mailbox.Maildir(maildir, create=False)
                     if any((p.get_filename() or "").endswith(".docx") for p in m.walk())]
        subject = str(make_header(decode_header(message["Subject"])))
        assert "清河县交通运输局2024年工作总结及2025年工作打算" in subject
        names = [part.get_filename() for part in message.walk() if part.get_filename()]
        assert any(n.endswith(".docx") for n in names) and any(n.endswith(".xlsx") for n in names)
        assert message["Message-ID"] == receipt["receipt_id"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_report_before_its_last_deadline_is_rendered_not_delivered(dags, collected, office, api_server):
    before = len(office.received)
    from datetime import date

    run, _ = run_answering(api_server, dags.get_dag("half_year_report"),
                           conf(date.today().year + 1, "half_year"), never_asked)
    assert run.state == "success"
    assert xcom(run, "check_coverage")["span_open"] is True
    assert xcom(run, "deliver") == {"status": "span_open"}
    assert paths.at(xcom(run, "render")["docx"]).is_file() and len(office.received) == before


def with_config(tmp_path, monkeypatch, name: str, **changes) -> None:
    config = tmp_path / "config"
    if not config.exists():       # the shipped config with the api-server's admin as the approver
        shutil.copytree(APPROVER_CONFIG["path"], config)
    data = yaml.safe_load((config / name).read_text(encoding="utf-8"))
    data.update(changes)
    (config / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("COUNTY_REPORTS_CONFIG", str(config))


def report_history(kind: str, year: int) -> list[dict]:
    from county_reports.deliver import approval
    from county_reports.warehouse import Warehouse

    with Warehouse() as warehouse:
        return approval.history(warehouse.engine, kind, year)


def test_rejected_report_is_not_delivered_and_the_reason_is_recorded(dags, collected, office, api_server):
    before = len(office.received)
    run, asked = run_answering(api_server, dags.get_dag("annual_report"), conf(2024, "annual", force=True),
                               reject("第三季度数据待核实，暂缓报送"))
    assert run.state == "success" and asked is not None
    assert xcom(run, "deliver") == {"status": "rejected", "reason": "第三季度数据待核实，暂缓报送"}
    assert len(office.received) == before                        # nothing sent
    assert paths.at(xcom(run, "render")["docx"]).is_file()           # the draft is kept
    last = report_history("annual", 2024)[-1]
    assert last["action"] == "rejected" and last["note"] == "第三季度数据待核实，暂缓报送"
    assert last["by"] == "admin" and last["run_id"] == run.run_id


def _expire_approval_when_waiting(dag_id: str, found: dict, stop, timeout_hours: float) -> None:
    """What the scheduler does once the response time is over: its AWAITING_INPUT sweep.

    Waits until the approval task is parked, checks the configured time-out was applied, moves
    that time-out into the past (time passing) and runs SchedulerJobRunner's own sweep."""
    import logging
    import types
    from datetime import datetime, timedelta

    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    while not stop.is_set():
        with create_session() as session:
            ti = session.scalars(select(TaskInstance).where(
                TaskInstance.dag_id == dag_id, TaskInstance.task_id == "approve",
                TaskInstance.state == TaskInstanceState.AWAITING_INPUT)).first()
            if ti is not None:
                found["timeout_in"] = ti.trigger_timeout - datetime.now(UTC)
                found["body"] = session.scalar(select(HITLDetail.body).where(HITLDetail.ti_id == ti.id))
                ti.trigger_timeout = datetime.now(UTC) - timedelta(seconds=1)
                session.commit()
                break
        stop.wait(0.3)
    SchedulerJobRunner.check_awaiting_input_timeouts(types.SimpleNamespace(log=logging.getLogger("sweep")))


def test_a_catch_up_run_waits_for_approval_and_an_unanswered_one_sends_nothing(
        dags, collected, office, smtp_server, tmp_path, monkeypatch):
    """Unpausing half_year_report in December runs the July interval at once: even with
    ``approval: none`` that catch-up run waits for an admin; nobody answers within
    approval_timeout_hours → nothing is delivered and the admins get an e-mail."""
    import threading

    import pendulum
    from _dag_test import dag_test_bag

    with_config(tmp_path, monkeypatch, "reports.yaml", approval="none", approval_timeout_hours=5)
    dag = dag_test_bag().get_dag("half_year_report")
    before = len(office.received)
    found, stop = {}, threading.Event()
    sweeper = threading.Thread(target=_expire_approval_when_waiting,
                               args=(dag.dag_id, found, stop, 5), daemon=True)
    sweeper.start()
    try:
        run = dag.test(run_conf=conf(2025, "half_year", force=True),
                       logical_date=pendulum.datetime(2025, 7, 10, 8, tz="Asia/Shanghai"))
    finally:
        stop.set()
        sweeper.join(timeout=30)
    assert 4.9 * 3600 < found["timeout_in"].total_seconds() <= 5 * 3600    # reports.yaml's time
    assert "晚于计划时间" in found["body"]
    assert run.state == "failed" and len(office.received) == before          # nothing sent
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["approve"] == "failed" and states["deliver"] == "upstream_failed"
    [mail] = smtp_server.wait_for(lambda m: "审批无人处理" in smtp_server.subject(m) and run.run_id in smtp_server.text(m))
    assert smtp_server.subject(mail) == "【报表系统】half_year_report 的报送审批无人处理，文件未报送"


def test_below_threshold_needs_an_approval_that_confirms_the_gap(dags, collected, office, api_server,
                                                                  tmp_path, monkeypatch):
    with_config(tmp_path, monkeypatch, "reports.yaml", completeness_threshold=0.999)
    from _dag_test import dag_test_bag

    dag = dag_test_bag().get_dag("annual_report")
    before = len(office.received)
    run, asked = run_answering(api_server, dag, conf(2024, "annual", force=True), approve("同意"))
    assert "报送率低于阈值" in asked["body"] and "TS03" in asked["body"]     # the gap is named
    assert run.state == "failed" and len(office.received) == before          # approved, gap not confirmed
    assert report_history("annual", 2024)[-1]["action"] == "not_confirmed"
    run, asked = run_answering(api_server, dag, conf(2024, "annual", force=True),
                               approve("已知晓缺报", confirm_gap=True))
    assert run.state == "success" and xcom(run, "deliver")["status"] == "delivered"
    assert len(office.received) == before + 1


def test_a_missed_deadline_emails_the_admins(dags, collected, smtp_server):
    """A report run for 15 January 2025 not delivered by the 25th (report day + delivery_due_days):
    the scheduler's deadline check marks it missed and queues the callback; the triggerer's
    CallbackTrigger sends the SmtpNotifier e-mail. Both steps run here as they do there."""
    import asyncio

    import pendulum
    from airflow.models import Deadline
    from airflow.models.trigger import Trigger
    from airflow.triggers.callback import CallbackTrigger
    from airflow.utils.session import create_session
    from sqlalchemy import select

    run = dags.get_dag("annual_report").test(run_conf=conf(2024, "annual", dry_run=True),
                                             logical_date=pendulum.datetime(2025, 1, 15, 8, tz="Asia/Shanghai"))
    assert run.state == "success"
    with create_session() as session:
        [deadline] = session.scalars(select(Deadline).where(Deadline.dagrun_id == run.id)).all()
        assert deadline.deadline_time == pendulum.datetime(2025, 1, 25, 0, tz="UTC")
        deadline.handle_miss(session)                  # what the scheduler loop does for expired ones
        session.flush()
        trigger = session.get(Trigger, deadline.callback.trigger_id)
        kwargs = dict(trigger.kwargs)
    assert trigger.classpath.endswith("CallbackTrigger")

    async def fire():
        return [event.payload async for event in CallbackTrigger(**kwargs).run()]

    events = asyncio.run(fire())
    assert events[-1]["state"] == "success", events
    [mail] = smtp_server.wait_for(lambda m: "未按期完成" in smtp_server.subject(m) and run.run_id in smtp_server.text(m))
    assert smtp_server.subject(mail) == "【报表系统】annual_report 未按期完成"
    assert "未在报送期限内报送" in smtp_server.text(mail)


def test_a_late_correction_names_the_stale_report_and_a_corrected_version_follows_approval(
        dags, collected, office, api_server, smtp_server, simulator):
    """TS03 had not reported March 2024 when the 2024 annual summary was delivered; it does now."""
    original = [r for r in office.received if r["kind"] == "annual" and r["year"] == 2024][-1]
    simulator.clear_faults()
    run = dags.get_dag("collect_monthly").test(run_conf={"period": "2024-03", "through": None, "units": ["TS03"]})
    assert run.state == "success"
    [notice] = xcom(run, "check_corrections")
    assert notice["title"] == "清河县交通运输局2024年工作总结及2025年工作打算" and notice["units"] == ["TS03"]
    assert notice["periods"] == ["2024-03"] and notice["receipt_id"]
    assert notice["changes"] and all(c["old"] != c["new"] for c in notice["changes"])
    [mail] = smtp_server.wait_for(lambda m: "数据有更正" in smtp_server.subject(m))
    assert notice["title"] in smtp_server.subject(mail)
    assert notice["changes"][0]["new"] in smtp_server.text(mail)

    before = len(office.received)
    dag = dags.get_dag("annual_report")
    run, asked = run_answering(api_server, dag, conf(2024, "annual", correction=True), approve("更正后报送"))
    assert run.state == "success" and "更正" in asked["body"]
    assert len(office.received) == before + 1
    corrected = office.received[-1]
    assert corrected["title"].endswith("（更正）") and corrected["filename"].endswith("（更正）.docx")
    assert corrected["correction_of"] == notice["receipt_id"]
    assert any(r["receipt_id"] == original["receipt_id"] for r in office.received)   # both held


def _status_plugin():
    """plugins/county_reports_status.py as the api-server loads it (its rebind_waiting is called here
    on this process's metadata DB, the one the api-server serves)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("status_plugin_e2e", paths.PROJECT_ROOT / "plugins"
                                                  / "county_reports_status.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _upload_edited(draft_name: str, change):
    """The office's edit uploaded (deliver.edited_drafts, as the plugin's route does) or its layout
    restored; the approvals waiting on the draft rebound to it. Returns the stored review and how many."""
    from county_reports.core.catalog import load_catalog
    from county_reports.deliver import edited_drafts
    from county_reports.warehouse import Warehouse

    target = edited_drafts.draft(2025, draft_name)
    sidecar = json.loads(target.sidecar.read_text(encoding="utf-8"))
    catalog = load_catalog()
    with Warehouse() as warehouse:
        args = {"engine": warehouse.engine, "unit_names": {u.name: u.code for u in catalog.units},
                "traceable": edited_drafts.warehouse_traceable(warehouse, catalog, sidecar)}
        record = change(target, sidecar, args)
        return record, _status_plugin().rebind_waiting(target, warehouse.engine)


def _clerk_edits(target, sidecar, args):
    from render.test_edited import clerk_edit

    from county_reports.deliver import edited_drafts

    raw, _ = clerk_edit(target.docx.read_bytes(), sidecar)     # a paragraph added, a figure changed, a heading restyled
    return edited_drafts.upload(target, raw, user="admin", **args)


def _restores(target, sidecar, args):
    from county_reports.deliver import edited_drafts

    return edited_drafts.restore(target, user="admin", **args)


def test_the_offices_edited_draft_is_approved_figure_by_figure_and_its_bytes_are_delivered_once(
        dags, collected, office, api_server):
    """An edited .docx uploaded while the report waits: the waiting request now shows it, its changed
    figure blocks the approval until ticked, its layout break is listed and restored, and the office
    receives exactly the approved edited bytes, once, with a receipt for that hash."""
    from county_reports.deliver import approval

    dag, seen = dags.get_dag("half_year_report"), {}

    def upload_then_approve_unconfirmed(detail):
        seen["generated"] = detail["body"]
        name = detail["body"].split("待批文件：", 1)[1].split("，SHA-256", 1)[0]
        seen["record"], seen["rebound"] = _upload_edited(name, _clerk_edits)
        seen["name"], [fresh] = name, api_server.pending(dag.dag_id)
        seen["asked"] = fresh
        return APPROVE, first_choices(detail, {"note": "", "confirm_gap": False})   # the figures left unticked

    before = len(office.received)
    refused, _ = run_answering(api_server, dag, conf(2025, "half_year", force=True), upload_then_approve_unconfirmed)
    record, asked = seen["record"], seen["asked"]
    assert seen["rebound"] == 1 and f"SHA-256：`{record['sha256']}`" in asked["body"]
    assert record["sha256"] not in seen["generated"] and "2.35亿元" in asked["body"]     # the changed figure, listed
    labels = asked["params"][approval.FIGURES_PARAM]["schema"]["examples"]
    assert any("2.35亿元" in label for label in labels) and record["layout"]          # and the heading's layout break
    assert refused.state == "failed" and len(office.received) == before                # blocked until confirmed
    assert report_history("half_year", 2025)[-1]["action"] == approval.FIGURES_NOT_CONFIRMED

    def restore_then_confirm_each(detail):
        assert f"SHA-256：`{record['sha256']}`" in detail["body"]          # the same draft: asked about the edit
        seen["restored"], seen["rebound"] = _upload_edited(seen["name"], _restores)
        [fresh] = api_server.pending(dag.dag_id)
        seen["body"] = fresh["body"]
        ticked = fresh["params"][approval.FIGURES_PARAM]["schema"]["examples"]
        return APPROVE, first_choices(detail, {"note": "办公室修改稿", "confirm_gap": False, approval.FIGURES_PARAM: ticked})

    run, _ = run_answering(api_server, dag, conf(2025, "half_year", force=True), restore_then_confirm_each)
    restored = seen["restored"]
    assert restored["layout"] == [] and restored["sha256"] != record["sha256"] and seen["rebound"] == 1
    assert f"SHA-256：`{restored['sha256']}`" in seen["body"]
    assert run.state == "success" and xcom(run, "deliver")["status"] == "delivered"
    [sent] = office.received[before:]                                     # once
    assert sent["sha256"] == restored["sha256"] and sent["receipt_id"] == xcom(run, "deliver")["receipt_id"]
    kept = office.root / sent["receipt_id"]
    assert (kept / sent["filename"]).read_bytes() == paths.at(f"reports/2025/edited/{seen['name']}").read_bytes()
    sidecar = json.loads(next(kept.glob("*.figures.json")).read_text(encoding="utf-8"))
    assert sidecar["edited"]["edited_by"] == "admin" and sidecar["edited"]["sha256"] == restored["sha256"]
    assert sidecar["edited"]["edited_paragraphs"]
    approved, delivered = report_history("half_year", 2025)[-2:]
    assert approved["edited"] and approved["figures_confirmed"] and delivered["docx_sha256"] == restored["sha256"]


def test_a_correction_after_the_edited_delivery_starts_from_the_clerks_text_and_is_delivered_as_the_correction(
        dags, collected, office, api_server, smtp_server, simulator):
    """SC01's February 2025 (lost to a server error) arrives after the office's edited half-year
    summary was delivered: the admins' notice locates the changes in the edited text; the correction
    run's corrected version keeps the clerk's paragraph and restyled heading with the changed figures
    replaced; the approval binds it and the office receives exactly it, as the 更正."""
    import io

    import docx
    from render.test_edited import ADDED

    from county_reports.deliver import approval, corrections, edited_drafts
    from county_reports.render import layout

    edited = [r for r in office.received if r["kind"] == "half_year" and r["year"] == 2025][-1]
    simulator.clear_faults()
    run = dags.get_dag("collect_monthly").test(run_conf={"period": "2025-02", "through": None, "units": ["SC01"]})
    assert run.state == "success"
    [notice] = [n for n in xcom(run, "check_corrections") if n["kind"] == "half_year"]
    assert notice["receipt_id"] == edited["receipt_id"] and notice["in_edited"]
    [mail] = smtp_server.wait_for(lambda m: "数据有更正" in smtp_server.subject(m)
                                  and "2025年上半年" in smtp_server.subject(m))
    assert "已报送的是办公室修改稿" in smtp_server.text(mail)

    dag, seen = dags.get_dag("half_year_report"), {}

    def confirm_each(detail):
        seen["body"] = detail["body"]
        ticked = detail["params"][approval.FIGURES_PARAM]["schema"].get("examples") or []
        return APPROVE, first_choices(detail, {"note": "更正版", "confirm_gap": False, approval.FIGURES_PARAM: ticked})

    before = len(office.received)
    run, _ = run_answering(api_server, dag, conf(2025, "half_year", correction=True), confirm_each)
    assert run.state == "success" and xcom(run, "deliver")["status"] == "delivered"
    built = xcom(run, "render")
    bound = edited_drafts.bound(2025, built["docx"], built["sidecar"])
    assert bound.edited and bound.review["correction"]["receipt_id"] == edited["receipt_id"]
    assert f"SHA-256：`{bound.sha256}`" in seen["body"] and "本更正版以已报送的办公室修改稿" in seen["body"]
    replaced = [c for c in bound.review["correction"]["located"] if c["status"] == corrections.REPLACED]
    assert replaced and f"{replaced[0]['old']} → {replaced[0]['new']}" in seen["body"]
    [sent] = office.received[before:]                                           # once, as the 更正
    assert sent["sha256"] == bound.sha256 and sent["correction_of"] == edited["receipt_id"]
    assert sent["filename"].endswith("（更正）.docx")
    raw = (office.root / sent["receipt_id"] / sent["filename"]).read_bytes()
    texts = [p.text for p in docx.Document(io.BytesIO(raw)).paragraphs]
    heading = next(p.text for p in docx.Document(io.BytesIO(paths.at(built["docx"]).read_bytes())).paragraphs
                   if p.style.name == layout.STYLE_HEADING1)                  # the one the clerk restyled
    assert ADDED in texts and heading in texts                                  # the clerk's paragraphs kept
    assert all(c["new"] in "\n".join(texts) + _cells(raw) for c in replaced)  # the changed figures replaced
    assert report_history("half_year", 2025)[-1]["docx_sha256"] == bound.sha256


def _cells(raw: bytes) -> str:
    import io

    import docx

    document = docx.Document(io.BytesIO(raw))
    return "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
