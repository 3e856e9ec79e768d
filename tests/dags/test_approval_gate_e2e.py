"""The approval gate against a real ``airflow api-server`` with the FAB auth manager (the session's
``status_server``, tests/airflow_server.py), tried as a careless insider or an attacker would.

``half_year_report`` 2025 runs by ``dag.test()`` in a separate process on the api-server's
metadata DB, with a copy of its data folder (the warehouse of tests/status_seed.py) so nothing
here touches what the browser tests read; delivery goes to a folder. It is run with 强制再次报送
so that it asks whatever another test delivered before. Proven here:

- only the assigned admin can answer: a ``User``-role account (the role that answered 批准 with
  200 before) and an ``Op`` account get 403 from the api-server;
- with the approval still waiting, an ``Op`` account forges the XComs ``deliver`` used to trust —
  the ``request`` XCom is deleted in the metadata DB (the REST API has no XCom delete), a fake
  ``approve`` answer is written over the REST API — and marks ``approve`` success over the REST
  API: ``deliver`` sends nothing and the audit says ``unanswered``, never ``not_required``;
- the .docx changes on disk (a re-render) after the request showed its SHA-256, and the admin
  approves: the api-server takes the assigned admin's answer (200), ``deliver`` sends nothing, the
  audit says ``stale`` (the change after the answer is tests/runs/test_summary_reports.py's).
"""
from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dag_helpers import REPORT_DAG, REPORT_YEAR, finish_report, pending, start_waiting_report

from county_reports.core import paths

pytestmark = pytest.mark.airflow

EXTRA_USERS = {"clerk": "User", "operator": "Op"}


def _airflow(server, *argv: str) -> str:
    done = subprocess.run([sys.executable, "-m", "airflow", *argv], env=server.environment, cwd=server.workdir,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def gate(status_server, tmp_path_factory):
    """A User and an Op account on the FAB api-server; a config whose approvers are its admin."""
    import secrets

    for name, role in EXTRA_USERS.items():
        status_server.passwords[name] = secrets.token_urlsafe(12)
        _airflow(status_server, "users", "create", "--username", name, f"--password={status_server.passwords[name]}",
                 "--role", role, "--firstname", name, "--lastname", "test", "--email", f"{name}@example.org")
    listed = _airflow(status_server, "users", "list", "--output", "json")
    users = json.loads(listed[listed.index("[{"):])                  # after any warning line
    [admin_id] = [str(u["id"]) for u in users if u["username"] == "admin"]
    work = tmp_path_factory.mktemp("approval-gate")
    config = work / "config"
    shutil.copytree(paths.PROJECT_ROOT / "include" / "config", config)
    for name, change in (("delivery.yaml", {"channel": "folder", "folder": {"path": str(work / "outbox")}}),
                         ("admins.yaml", {"ui_url": status_server.url,
                                          "approvers": [{"id": admin_id, "name": "admin"}]})):
        data = yaml.safe_load((config / name).read_text(encoding="utf-8"))
        data.update(change)
        (config / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return {"work": work, "config": config, "admin_id": admin_id}


def _start_waiting(server, gate, name: str):
    """The report run in its own process, waiting in ``approve``; returns (process, data, detail)."""
    data = gate["work"] / name
    shutil.copytree(server.data_dir, data)
    env = {**server.environment, "COUNTY_REPORTS_CONFIG": str(gate["config"]), "COUNTY_REPORTS_DATA": str(data)}
    log = gate["work"] / f"{name}.log"
    proc, detail = start_waiting_report(server, env, gate["work"], log, timeout=240)
    proc.log = log
    return proc, data, detail


def _answer(server, user: str, detail: dict, option: str = "批准") -> tuple[int, bytes]:
    ti = detail["task_instance"]
    return server.request("PATCH", f"/api/v2/dags/{REPORT_DAG}/dagRuns/{ti['dag_run_id']}/taskInstances/approve/-1"
                                   "/hitlDetails", {"chosen_options": [option], "params_input": {"note": "",
                                                                                              "confirm_gap": False}},
                          token=server.token(user))


def _gate_history(data: Path, run_id: str) -> list[str]:
    from county_reports.deliver import approval
    from county_reports.warehouse import Warehouse

    with Warehouse(f"sqlite:///{data / 'warehouse.db'}") as warehouse:
        return [h["action"] for h in approval.history(warehouse.engine, "half_year", REPORT_YEAR) if h["run_id"] == run_id]


def test_only_the_assigned_admin_may_answer_and_forged_xcoms_deliver_nothing(status_server, gate):
    proc, data, detail = _start_waiting(status_server, gate, "forged")
    run_id = detail["task_instance"]["dag_run_id"]
    try:
        assert detail["assigned_users"] == [{"id": gate["admin_id"], "name": "admin"}]
        assert "SHA-256：`" in detail["body"]                     # the admin sees which bytes
        for user in EXTRA_USERS:                                  # User and Op roles: refused
            status, body = _answer(status_server, user, detail)
            assert status == 403, (user, status, body[:300])
        assert pending(status_server, status_server.token("admin")), "the refused answers changed nothing"

        # Op forges what deliver used to trust, then marks the approval task done by hand.
        op = status_server.token("operator")
        base = f"/api/v2/dags/{REPORT_DAG}/dagRuns/{run_id}/taskInstances"
        forged = status_server.request("POST", f"{base}/approve/xcomEntries", {
            "key": "return_value", "map_index": -1,
            "value": {"chosen_options": ["批准"], "params_input": {"note": "", "confirm_gap": True},
                      "responded_by_user": {"id": gate["admin_id"], "name": "admin"}}}, token=op)
        with sqlite3.connect(status_server.workdir / "airflow.db") as db:
            deleted = db.execute("DELETE FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = 'request_approval'",
                                 (REPORT_DAG, run_id)).rowcount
        marked = status_server.request("PATCH", f"{base}/approve", {"new_state": "success"}, token=op)
        print(f"\nOp forged the approve XCom: HTTP {forged[0]}; request XCom rows deleted: {deleted}; "
              f"approve marked success: HTTP {marked[0]}")
        assert (forged[0], marked[0]) == (201, 200) and deleted >= 1, (forged, deleted, marked)   # request, branch
    except BaseException:
        proc.kill()
        raise
    result = finish_report(proc, proc.log)
    assert result["tasks"]["deliver"] == "failed" and result["state"] == "failed", result["tasks"]
    assert "holds no answer for this run's approve task" in result["log"]
    assert not (gate["work"] / "outbox").exists()
    assert _gate_history(data, run_id) == ["unanswered"]          # never "not_required", never "delivered"


def test_a_document_changed_after_approval_is_not_delivered(status_server, gate):
    proc, data, detail = _start_waiting(status_server, gate, "stale")
    run_id = detail["task_instance"]["dag_run_id"]
    try:
        docx = next((data / "reports" / str(REPORT_YEAR)).glob("*.docx"))
        approved = docx.read_bytes()
        docx.write_bytes(approved + b"\0")                       # re-rendered while waiting
        status, body = _answer(status_server, "admin", detail)    # the assigned admin may answer
        assert status == 200, body[:300]
    except BaseException:
        proc.kill()
        raise
    result = finish_report(proc, proc.log)
    assert result["tasks"]["approve"] == "success" and result["tasks"]["deliver"] == "failed", result["tasks"]
    assert "changed after it was put to the admin" in result["log"]
    assert not (gate["work"] / "outbox").exists()
    assert _gate_history(data, run_id) == ["stale"]
