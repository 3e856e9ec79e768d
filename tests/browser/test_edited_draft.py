"""The office's edited draft in a real browser (issue 21's must-show): the admin signs in, opens
the waiting half-year report's page in the status plugin (Browse ▸ 报送情况 ▸ 修改稿与核对),
uploads the clerk's edited .docx through the page's file input, sees the changed figure listed
and the paragraph diff, restores the layout the edit broke, then opens Browse ▸ Required Actions,
ticks each hand-changed figure and chooses 批准: the run delivers, and the county office's
receiver gets the edited bytes, once, with a receipt for their hash.

The waiting report is dags/summary_reports.py's ``half_year_report`` for 2025, run by
``dag.test()`` in a separate process on the api-server's metadata DB, data folder and config
(as tests/browser/test_required_actions.py does: its script and helpers are reused). This module
has an api-server of its own (``status_server`` below, seeded as the session's one): its upload,
audit rows and delivery must not change what the shared server's tests expect. The server's
config copy names its FAB admin the approver (the upload route and the approval both ask
admins.yaml) and its own address as ``ui_url``; delivery goes over HTTP to an
:class:`OfficeReceiver` of this module. The edited .docx is made here with python-docx from the
rendered draft (a paragraph added, a figure changed, a heading restyled:
``render/test_edited.clerk_edit``); nothing is downloaded.

Screenshots of each step: their paths are printed (``-s``); BROWSER_SCREENSHOTS=folder keeps a copy.
"""
from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from browser.test_required_actions import DAG_ID, RUN_REPORT, SUBJECT, TITLE, YEAR, _admin_id, _result, _waiting
from county_reports.core import paths

pytestmark = pytest.mark.airflow

NAME = f"{TITLE}.docx"
WAIT = 90                     # seconds for one page or element: generous on a loaded machine
RUN_WAIT = 300                # seconds for the run to reach its approval, and to finish after it
OFFICE_TOKEN = "office-token-for-the-browser-test"
NOTE = "办公室修改稿，同意报送"


@pytest.fixture(scope="module")
def status_server(catalog, tmp_path_factory):
    """This module's own api-server (FAB; admin, viewer, outsider) on a warehouse seeded as the
    session's ``status_server`` is (tests/status_seed.py: TS03 missing June, 95/96 reported)."""
    import status_seed
    from airflow_server import ApiServer

    root = tmp_path_factory.mktemp("edited-draft-server")
    data = root / "data"
    data.mkdir()
    status_seed.seed(data, catalog, url=f"sqlite:///{data / 'warehouse.db'}")
    server = ApiServer(root / "airflow-work", data)
    try:
        server.start()
        print(f"\napi-server up in {server.setup_seconds:.1f} s at {server.url}")
        yield server
    except BaseException:
        print(server.tail())
        raise
    finally:
        server.stop()


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """The county office's document intake (simulator.office) on a port of its own."""
    from county_reports.simulator.office import OfficeReceiver

    receiver = OfficeReceiver(token=OFFICE_TOKEN, root=tmp_path_factory.mktemp("office"))
    receiver.start()
    yield receiver
    receiver.stop()


def _configure(server) -> None:
    """The server's config copy (read by its plugin and by the run): its FAB admin the one approver,
    its own address the UI's."""
    path = Path(server.environment["COUNTY_REPORTS_CONFIG"]) / "admins.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in (('\n  - {id: "1", name: admin}\n', f'\n  - {{id: "{_admin_id(server)}", name: admin}}\n'),
                     ("\nui_url: http://127.0.0.1:8080\n", f"\nui_url: {server.url}\n")):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def waiting_report(status_server, office, tmp_path_factory):
    """half_year_report 2025 waiting in its approve task; yields its process (it ends once answered)."""
    _configure(status_server)
    work = tmp_path_factory.mktemp("half-year-report")
    env = {**status_server.environment, "COUNTY_REPORTS_OFFICE_URL": office.url,
           "AIRFLOW_CONN_COUNTY_OFFICE": json.dumps({"conn_type": "http", "password": OFFICE_TOKEN})}
    run_conf = {"year": YEAR, "dry_run": False, "force_delivery": False, "correction": False}
    log = work / "dag-test.log"
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", RUN_REPORT, str(paths.PROJECT_ROOT / "dags"), DAG_ID, json.dumps(run_conf)],
            env=env, cwd=work, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    proc.log = log
    token = status_server.token("admin")
    deadline = time.monotonic() + RUN_WAIT
    try:
        while not _waiting(status_server, token):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no waiting approval:\n{log.read_text('utf-8')[-4000:]}")
            time.sleep(1)
        print(f"\n{DAG_ID} waiting for approval after {time.monotonic() - started:.1f} s")
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def edited_docx(status_server, waiting_report, tmp_path):
    """The clerk's edit of the draft the run rendered, as a file to pick in the browser's dialog."""
    from render.test_edited import ADDED, clerk_edit

    from county_reports.deliver import edited_drafts

    target = edited_drafts.draft(YEAR, NAME, status_server.data_dir)
    assert target is not None, f"no rendered draft {NAME}"
    draft = target.docx.read_bytes()
    raw, where = clerk_edit(draft, json.loads(target.sidecar.read_text(encoding="utf-8")))
    path = tmp_path / "edited.docx"
    path.write_bytes(raw)
    return {"path": path, "raw": raw, "where": where, "draft": draft, "added": ADDED, "target": target}


def _text(driver, by, what) -> str:
    return driver.find_element(by, what).text


def _docx_text(raw: bytes) -> str:
    import docx

    return "\n".join(p.text for p in docx.Document(io.BytesIO(raw)).paragraphs)


def test_admin_uploads_the_offices_edit_restores_its_layout_and_approves_figure_by_figure(
        signed_in, status_server, waiting_report, office, edited_docx, screenshot):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    # A page posted in the frame replaces the one read a moment ago: retry, within WAIT.
    driver = signed_in
    wait = WebDriverWait(driver, WAIT, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
    where, target = edited_docx["where"], edited_docx["target"]
    edited_sha = hashlib.sha256(edited_docx["raw"]).hexdigest()

    # ---- Browse ▸ 报送情况 ▸ the report's page (in the UI's frame)
    driver.get(status_server.url + "/")
    wait.until(ec.element_to_be_clickable((By.XPATH, "//button[normalize-space()='Browse']"))).click()
    wait.until(ec.element_to_be_clickable((By.XPATH, "//a[@role='menuitem'][normalize-space()='报送情况']"))).click()
    frame = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "iframe[title='报送情况']")))
    driver.switch_to.frame(frame)
    wait.until(ec.element_to_be_clickable(
        (By.XPATH, f"//li[a[normalize-space()='{YEAR}/{NAME}']]/a[normalize-space()='修改稿与核对']"))).click()
    wait.until(lambda d: d.find_element(By.TAG_NAME, "h1").text == NAME)
    assert driver.execute_script("return decodeURIComponent(location.pathname)") == \
        f"/airflow/county-reports/reports/{YEAR}/{NAME}"
    assert "修改稿核对结果" not in _text(driver, By.TAG_NAME, "body")          # nothing uploaded yet
    driver.switch_to.default_content()
    screenshot("01-report-page")

    # ---- the edited .docx through the page's file input
    driver.switch_to.frame(frame)
    driver.find_element(By.CSS_SELECTOR, "form input[type='file'][name='file']").send_keys(str(edited_docx["path"]))
    driver.find_element(By.XPATH, "//button[normalize-space()='上传并核对']").click()
    wait.until(lambda d: edited_sha in d.find_element(By.ID, "sha256").text)
    message = _text(driver, By.ID, "message")
    assert "修改稿已上传并核对" in message and edited_sha in message, message
    assert "正在等待的审批（1项）已改为审批这份修改稿" in message, message     # the waiting request rebound
    listed = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#to-confirm li")]
    changed = next(label for label in listed if "“2.35亿元”" in label)
    assert where["old_total"] in changed, listed
    layout = _text(driver, By.ID, "layout")
    assert "没有发现版式问题" not in layout, layout
    added = driver.find_elements(By.CSS_SELECTOR, "#diff .diff-added")
    assert any(edited_docx["added"] in a.text for a in added), [a.text for a in added]
    stored = target.docx.parent / "edited" / NAME
    assert stored.read_bytes() == edited_docx["raw"]
    driver.switch_to.default_content()
    screenshot("02-uploaded-figures-and-layout")
    driver.switch_to.frame(frame)
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", driver.find_element(By.ID, "diff"))
    driver.switch_to.default_content()
    screenshot("03-paragraph-diff")

    # ---- restore the layout, if offered: the words stay, the break goes
    driver.switch_to.frame(frame)
    restore = driver.find_elements(By.XPATH, "//button[normalize-space()='恢复公文格式']")
    if restore:
        restore[0].click()
        wait.until(lambda d: "恢复版式" in d.find_element(By.ID, "message").text)
        assert "没有发现版式问题" in _text(driver, By.ID, "layout")
        assert "正在等待的审批（1项）" in _text(driver, By.ID, "message")
    bound_sha = _text(driver, By.ID, "sha256").strip()
    assert bound_sha == hashlib.sha256(stored.read_bytes()).hexdigest()
    assert (bound_sha != edited_sha) == bool(restore)
    assert any(edited_docx["added"] in a.text for a in driver.find_elements(By.CSS_SELECTOR, "#diff .diff-added"))
    to_confirm = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#to-confirm li")]
    assert any("“2.35亿元”" in label for label in to_confirm), to_confirm
    driver.switch_to.default_content()
    screenshot("04-layout-restored")

    # ---- Browse ▸ Required Actions: the request now asks about the edited version
    driver.get(status_server.url + "/")
    wait.until(ec.element_to_be_clickable((By.XPATH, "//button[normalize-space()='Browse']"))).click()
    wait.until(ec.element_to_be_clickable(
        (By.XPATH, "//a[@role='menuitem'][normalize-space()='Required Actions']"))).click()
    wait.until(lambda d: d.current_url.endswith("/airflow/required_actions"))
    wait.until(ec.element_to_be_clickable((By.XPATH, f"//a[normalize-space()='{SUBJECT}']"))).click()
    approve = wait.until(ec.element_to_be_clickable((By.XPATH, "//button[normalize-space()='批准']")))
    body = _text(driver, By.TAG_NAME, "body")
    assert "待批文件为办公室修改稿" in body and bound_sha in body, body[:3000]
    assert "确认人工改动的数字" in body
    figures = driver.find_element(By.ID, "element_confirm_figures")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", figures)
    screenshot("05-approval-form")

    # ---- tick each hand-changed figure (the field's multi-select offers exactly the page's list)
    option = (By.CSS_SELECTOR, "[id^='react-select-'][id*='-option-']")
    offered = None
    for label in to_confirm:
        figures.find_element(By.CSS_SELECTOR, "input[role='combobox']").click()
        choices = wait.until(lambda d: d.find_elements(*option))
        if offered is None:
            offered = sorted(c.text for c in choices)
            assert offered == sorted(to_confirm), (offered, to_confirm)
        next(c for c in choices if c.text == label).click()
        wait.until(lambda d, label=label: label in figures.text)
    chosen = [i.get_attribute("value") for i in figures.find_elements(By.CSS_SELECTOR, "input[type='hidden']")]
    assert sorted(chosen) == sorted(to_confirm), chosen
    driver.find_element(By.NAME, "element_note").send_keys(NOTE)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', inline: 'start'})", figures)
    screenshot("06-figures-ticked")
    answered_at = time.monotonic()
    approve.click()

    # ---- the run delivers the approved edited bytes to the office, once
    try:
        waiting_report.wait(timeout=RUN_WAIT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the run did not finish after the approval:\n{waiting_report.log.read_text('utf-8')[-4000:]}")
    print(f"\nrun finished {time.monotonic() - answered_at:.1f} s after 批准")
    result = _result(waiting_report.log)
    assert result["state"] == "success", result
    receipt = result["deliver"]
    assert receipt["status"] == "delivered" and receipt["channel"] == "http" and receipt["receipt_id"], receipt
    [sent] = office.received
    assert sent["receipt_id"] == receipt["receipt_id"] and sent["sha256"] == bound_sha, sent
    received = (office.root / sent["receipt_id"] / sent["filename"]).read_bytes()
    assert received == stored.read_bytes() and received != edited_docx["draft"]
    assert hashlib.sha256(received).hexdigest() == bound_sha and edited_docx["added"] in _docx_text(received)
    [answered] = [d for d in json.loads(status_server.get(
        f"/api/v2/dags/{DAG_ID}/dagRuns/{quote(result['run_id'])}/hitlDetails",
        status_server.token("admin"))[1])["hitl_details"]]
    assert answered["chosen_options"] == ["批准"] and answered["responded_by_user"]["name"] == "admin"
    assert sorted(answered["params_input"]["confirm_figures"]) == sorted(to_confirm), answered["params_input"]

    driver.refresh()
    wait.until(lambda d: "Awaiting Input" not in d.find_element(By.TAG_NAME, "body").text)
    wait.until(lambda d: "from admin" in d.find_element(By.TAG_NAME, "body").text)
    screenshot("07-approved")
