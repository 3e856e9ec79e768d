"""A report waiting for approval, in a real browser: the admin opens Browse ▸ Required Actions,
finds the waiting approval, reads what it asks, and approves it; the waiting run then finishes.

The waiting report is a tiny DAG (dags/hitl_probe.py: one ApprovalOperator, Airflow's
human-in-the-loop operator) run by ``dag.test()`` in a separate process on the api-server's
metadata DB: it waits for the answer like a scheduled run would, and the api-server shows it.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.airflow

PROBE_DAGS = Path(__file__).parent / "dags"
SUBJECT = "批准报送：2025年上半年工作总结"
WAIT = 60
RUN_PROBE = (
    "import sys\n"
    "from airflow.dag_processing.dagbag import DagBag\n"
    "bag = DagBag(dag_folder=sys.argv[1])\n"
    "assert not bag.import_errors, bag.import_errors\n"
    "run = bag.get_dag('hitl_probe').test()\n"
    "print('STATE', run.state, flush=True)\n")


@pytest.fixture(scope="module")
def waiting_report(status_server, tmp_path_factory):
    """A run of hitl_probe waiting for an answer; yields its process (it ends once answered)."""
    env = {**status_server.environment, "AIRFLOW__CORE__DAGS_FOLDER": str(PROBE_DAGS)}
    log = tmp_path_factory.mktemp("hitl-probe") / "dag-test.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", RUN_PROBE, str(PROBE_DAGS)], env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    token = status_server.token("admin")
    deadline = time.monotonic() + 120
    try:
        while True:
            status, body = status_server.get("/api/v2/dags/hitl_probe/dagRuns/~/hitlDetails", token)
            if status == 200 and any(not d["response_received"] for d in json.loads(body)["hitl_details"]):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no waiting approval ({status}):\n{log.read_text('utf-8')[-3000:]}")
            time.sleep(1)
        proc.log = log
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def test_admin_approves_a_waiting_report_on_the_required_actions_page(signed_in, status_server,
                                                                       waiting_report, screenshot):
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
    approve = wait.until(ec.element_to_be_clickable((By.XPATH, "//button[normalize-space()='Approve']")))
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "覆盖率 94%，未报单位：石桥镇交通运输管理站。" in body and "Awaiting Input" in body
    assert driver.find_element(By.XPATH, "//button[normalize-space()='Reject']").is_displayed()
    screenshot("02-approval-waiting")
    approve.click()
    try:
        waiting_report.wait(timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("the run did not finish after the approval")
    log = waiting_report.log.read_text("utf-8")
    assert "STATE success" in log, log[-3000:]
    token = status_server.token("admin")
    details = json.loads(status_server.get("/api/v2/dags/hitl_probe/dagRuns/~/hitlDetails", token)[1])
    [answered] = [d for d in details["hitl_details"] if d["response_received"]]
    assert answered["chosen_options"] == ["Approve"]
    assert answered["responded_by_user"]["name"] == "admin"
    driver.refresh()
    wait.until(lambda d: "Awaiting Input" not in d.find_element(By.TAG_NAME, "body").text)
    screenshot("03-approved")
