"""The real half-year report waiting for approval, in a real browser: the admin opens
Browse ▸ Required Actions, finds the report's request, reads what it says (coverage, the unit
missing, the figures behind the time schedule, the draft's link), writes a cover note and
chooses 批准; the waiting run then delivers the document.

The waiting report is dags/summary_reports.py's ``half_year_report`` for 2025, run by
``dag.test()`` in a separate process on the api-server's metadata DB and data folder (the
warehouse of tests/status_seed.py: 2025-01 … 2025-06, TS03 missing June). It checks coverage,
renders the .docx and waits in its ``approve`` task (Airflow's HITLOperator) like a scheduled run
would; the api-server shows the request. Its config is the project's own, with two changes:
delivery to a folder (``{data}/outbox``) instead of the county office's HTTP endpoint, and
``ui_url`` pointing at this api-server, so the draft link in the request opens here.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from county_reports.core import paths

pytestmark = pytest.mark.airflow

DAG_ID, YEAR = "half_year_report", 2025
TITLE = "清河县交通运输局2025年上半年工作总结及下半年工作计划"
SUBJECT = f"审批：《{TITLE}》报送县政府办"
NOTE = "同意报送"
WAIT = 60
# dag.test() of the real DAG, loaded as every dag.test() of these DAGs is (dags/_dag_test.py);
# prints the run's outcome as one JSON line.
RUN_REPORT = """\
import json, sys
sys.path.insert(0, sys.argv[1])
from _dag_test import dag_test_bag
from airflow.models.xcom import XComModel
from airflow.utils.session import create_session
from sqlalchemy import select
bag = dag_test_bag()
assert not bag.import_errors, bag.import_errors
run = bag.get_dag(sys.argv[2]).test(run_conf=json.loads(sys.argv[3]))
with create_session() as session:
    value = session.scalars(select(XComModel.value).where(
        XComModel.dag_id == run.dag_id, XComModel.run_id == run.run_id,
        XComModel.task_id == "deliver", XComModel.key == "return_value")).first()
print("RESULT " + json.dumps({
    "state": str(run.state), "run_id": run.run_id,
    "tasks": {ti.task_id: str(ti.state) for ti in run.get_task_instances()},
    "deliver": json.loads(value) if isinstance(value, str) else value}, ensure_ascii=False), flush=True)
"""


def _admin_id(status_server) -> str:
    """The FAB user id of ``admin`` (the users are created concurrently: not always 1)."""
    done = subprocess.run([sys.executable, "-m", "airflow", "users", "list", "--output", "json"],
                          env=status_server.environment, cwd=status_server.workdir, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    [admin_id] = [str(u["id"]) for u in json.loads(done.stdout[done.stdout.index("[{"):]) if u["username"] == "admin"]
    return admin_id


def _config(folder: Path, ui_url: str, admin_id: str) -> Path:
    """The project's config with delivery to a folder, the UI's address set to this api-server
    and its admin as the approver."""
    shutil.copytree(paths.PROJECT_ROOT / "include" / "config", folder)
    approvers = folder / "admins.yaml"
    old = '\n  - {id: "1", name: admin}\n'
    assert approvers.read_text(encoding="utf-8").count(old) == 1
    approvers.write_text(approvers.read_text(encoding="utf-8").replace(old, f'\n  - {{id: "{admin_id}", name: admin}}\n'),
                         encoding="utf-8")
    for name, old, new in (("delivery.yaml", "\nchannel: http ", "\nchannel: folder "),
                           ("admins.yaml", "\nui_url: http://127.0.0.1:8080\n", f"\nui_url: {ui_url}\n")):
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, (name, old)
        path.write_text(text.replace(old, new), encoding="utf-8")
    return folder


def _waiting(status_server, token) -> list[dict]:
    status, body = status_server.get(f"/api/v2/dags/{DAG_ID}/dagRuns/~/hitlDetails", token)
    if status != 200:
        return []
    return [d for d in json.loads(body)["hitl_details"] if not d["response_received"]]


@pytest.fixture(scope="module")
def waiting_report(status_server, tmp_path_factory):
    """half_year_report 2025 waiting in its approve task; yields its process (it ends once answered)."""
    work = tmp_path_factory.mktemp("half-year-report")
    env = {**status_server.environment,
           "COUNTY_REPORTS_CONFIG": str(_config(work / "config", status_server.url, _admin_id(status_server)))}
    run_conf = {"year": YEAR, "dry_run": False, "force_delivery": False, "correction": False}
    log = work / "dag-test.log"
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", RUN_REPORT, str(paths.PROJECT_ROOT / "dags"), DAG_ID,
             json.dumps(run_conf)],
            env=env, cwd=work, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    token = status_server.token("admin")
    deadline = time.monotonic() + 180
    try:
        while not _waiting(status_server, token):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no waiting approval:\n{log.read_text('utf-8')[-4000:]}")
            time.sleep(1)
        print(f"\n{DAG_ID} waiting for approval after {time.monotonic() - started:.1f} s")
        proc.log = log
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def _result(log: Path) -> dict:
    text = log.read_text("utf-8")
    lines = [line for line in text.splitlines() if line.startswith("RESULT ")]
    assert lines, text[-4000:]
    return json.loads(lines[-1][len("RESULT "):])


def test_admin_approves_the_waiting_half_year_report_on_the_required_actions_page(
        signed_in, status_server, waiting_report, screenshot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver, wait = signed_in, WebDriverWait(signed_in, WAIT)
    driver.get(status_server.url + "/")
    wait.until(ec.element_to_be_clickable((By.XPATH, "//button[normalize-space()='Browse']"))).click()
    wait.until(ec.element_to_be_clickable(
        (By.XPATH, "//a[@role='menuitem'][normalize-space()='Required Actions']"))).click()
    wait.until(lambda d: d.current_url.endswith("/airflow/required_actions"))
    link = wait.until(ec.element_to_be_clickable((By.XPATH, f"//a[normalize-space()='{SUBJECT}']")))
    screenshot("01-required-actions")
    link.click()

    approve = wait.until(ec.element_to_be_clickable((By.XPATH, "//button[normalize-space()='批准']")))
    assert driver.find_element(By.XPATH, "//button[normalize-space()='驳回']").is_displayed()
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "Awaiting Input" in body
    assert f"《{TITLE}》草稿已生成，批准后报送县人民政府办公室。" in body
    assert "报送率：95/96 个单位·月（99.0%），阈值 90%。" in body            # 17 units × 6 months, one missing
    assert "未报送单位：TS03 石桥镇交通运输管理站（2025-06）。" in body
    behind = next(line for line in body.splitlines() if line.startswith("滞后于时间进度的指标："))
    assert "公路建设完成投资" in behind and "交通建设完成投资合计" in behind, behind
    assert "需要审批的原因：reports.yaml 规定报送前须经批准。" in body
    # The draft's link opens the document on the status page, under this api-server's base_url.
    draft = driver.find_element(By.XPATH, f"//a[normalize-space()='{TITLE}.docx']")
    href = draft.get_attribute("href")
    assert href == f"{status_server.url}/county-reports/documents/{YEAR}/{quote(TITLE + '.docx')}", href
    fetched = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(async r => done([r.status, new Uint8Array(await r.arrayBuffer()).length,"
        " r.headers.get('content-type')])).catch(e => done([0, 0, String(e)]));", href)
    on_disk = status_server.data_dir / "reports" / str(YEAR) / f"{TITLE}.docx"
    assert fetched[:2] == [200, on_disk.stat().st_size], fetched       # the admin's session opens it
    assert on_disk.read_bytes()[:2] == b"PK"
    # The cover note (附言或驳回理由) and the gap confirmation are the request's fields.
    assert "附言或驳回理由" in body and "确认缺报情况" in body
    note = driver.find_element(By.NAME, "element_note")
    assert note.get_attribute("required") is None, "the cover note is optional"
    note.send_keys(NOTE)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", approve)
    screenshot("02-approval-waiting")
    answered_at = time.monotonic()
    approve.click()

    try:
        waiting_report.wait(timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the run did not finish after the approval:\n{waiting_report.log.read_text('utf-8')[-4000:]}")
    print(f"\nrun finished {time.monotonic() - answered_at:.1f} s after 批准")
    result = _result(waiting_report.log)
    assert result["state"] == "success", result
    assert result["tasks"] == {"check_coverage": "success", "render": "success", "request_approval": "success",
                               "approve": "success", "deliver": "success"}, result
    receipt = result["deliver"]
    assert receipt["status"] == "delivered" and receipt["channel"] == "folder" and receipt["receipt_id"], receipt

    # Delivered: the document is in the outbox, byte for byte the approved draft.
    [delivered] = list((status_server.data_dir / "outbox").glob(f"*/{TITLE}.docx"))
    assert delivered.read_bytes() == on_disk.read_bytes()
    # Airflow recorded the admin's answer, and so did the warehouse's audit trail.
    token = status_server.token("admin")
    details = json.loads(status_server.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{quote(result['run_id'])}/hitlDetails",
                                           token)[1])["hitl_details"]
    [answered] = details
    assert answered["chosen_options"] == ["批准"] and answered["params_input"]["note"] == NOTE
    assert answered["responded_by_user"]["name"] == "admin"
    from county_reports.deliver import approval
    from county_reports.warehouse import Warehouse

    with Warehouse(f"sqlite:///{status_server.data_dir / 'warehouse.db'}") as warehouse:
        history = approval.history(warehouse.engine, "half_year", YEAR)
    approved, sent = [h for h in history if h["run_id"] == result["run_id"]]
    assert (approved["action"], approved["by"], approved["note"]) == ("approved", "admin", NOTE)
    assert (sent["action"], sent["receipt_id"], sent["approved_by"]) == ("delivered", receipt["receipt_id"], "admin")

    driver.refresh()
    wait.until(lambda d: "Awaiting Input" not in d.find_element(By.TAG_NAME, "body").text)
    wait.until(lambda d: "from admin" in d.find_element(By.TAG_NAME, "body").text)   # Response received … from admin
    screenshot("03-approved")
