"""Unconfirmed values at the approval gate (issue 20 part 3) against a real ``airflow api-server``:
``half_year_report`` 2025 by ``dag.test()`` in its own process on a copy of the api-server's data
folder in which one highway-investment value is ten times too large and flagged, unconfirmed.
The request Airflow holds lists the value with its effect on the county figure and the form has
the required 未核实数据的处理 field; the assigned admin answers over the REST API, and:

- 按报送数使用 — the draft leaves, as rendered;
- 剔除后汇总 — the document rendered without the value (its SHA-256 in the request) leaves;
- 暂缓报送 — nothing leaves, the run ends without failing, the audit says ``unconfirmed_wait``.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dag_helpers import REPORT_DAG, REPORT_YEAR, finish_report, start_waiting_report
from sqlalchemy import select, update

from county_reports.core import paths

pytestmark = pytest.mark.airflow

WORDS = {"use": "按报送数使用", "leave_out": "剔除后汇总", "wait": "暂缓报送"}


def _admin_id(server) -> str:
    done = subprocess.run([sys.executable, "-m", "airflow", "users", "list", "--output", "json"],
                          env=server.environment, cwd=server.workdir, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    users = json.loads(done.stdout[done.stdout.index("[{"):])
    return next(str(u["id"]) for u in users if u["username"] == "admin")


def _setup(server, work: Path) -> tuple[Path, Path]:
    """A config (folder channel into work/outbox, the api-server's admin the approver) and a copy
    of the data folder with one value flagged; returns (config, data)."""
    config, data = work / "config", work / "data"
    shutil.copytree(paths.PROJECT_ROOT / "include" / "config", config)
    for name, change in (("delivery.yaml", {"channel": "folder", "folder": {"path": str(work / "outbox")}}),
                         ("admins.yaml", {"ui_url": server.url,
                                          "approvers": [{"id": _admin_id(server), "name": "admin"}]})):
        loaded = yaml.safe_load((config / name).read_text(encoding="utf-8"))
        loaded.update(change)
        (config / name).write_text(yaml.safe_dump(loaded, allow_unicode=True), encoding="utf-8")
    shutil.copytree(server.data_dir, data)
    return config, data


def _flag(data: Path) -> tuple[str, str, str]:
    """The span's first highway investment (in unit order) made ten times too large, flagged."""
    from county_reports.warehouse import Warehouse
    from county_reports.warehouse import schema as t

    s, v = t.submissions, t.submission_values
    with Warehouse(f"sqlite:///{data / 'warehouse.db'}") as warehouse, warehouse.engine.begin() as conn:
        sid, unit, period, value = conn.execute(
            select(s.c.id, s.c.unit, s.c.period, v.c.value).join(v, v.c.submission_id == s.c.id)
            .where(s.c.period.between(f"{REPORT_YEAR}-01", f"{REPORT_YEAR}-06") & (v.c.indicator == "INV_HIGHWAY")
                   & s.c.superseded_by.is_(None) & (v.c.value > 0))
            .order_by(s.c.unit, s.c.period)).first()
        conn.execute(update(v).where((v.c.submission_id == sid) & (v.c.indicator == "INV_HIGHWAY"))
                     .values(value=value * 10))
        conn.execute(t.value_flags.insert().values(submission_id=sid, indicator="INV_HIGHWAY", expected=value,
                                                   effect=0.3, confirmed=False))
    return unit, period, "INV_HIGHWAY"


def _run_waiting(server, config: Path, data: Path, work: Path):
    env = {**server.environment, "COUNTY_REPORTS_CONFIG": str(config), "COUNTY_REPORTS_DATA": str(data)}
    log = work / "run.log"
    proc, detail = start_waiting_report(server, env, work, log)
    return proc, log, detail


def _history(data: Path, run_id: str) -> list[dict]:
    from county_reports.deliver import approval
    from county_reports.warehouse import Warehouse

    with Warehouse(f"sqlite:///{data / 'warehouse.db'}") as warehouse:
        return [h for h in approval.history(warehouse.engine, "half_year", REPORT_YEAR) if h["run_id"] == run_id]


@pytest.mark.parametrize("choice", ["use", "leave_out", "wait"])
def test_the_request_lists_unconfirmed_values_and_each_choice_does_what_it_says(status_server, tmp_path, choice,
                                                                                catalog):
    config, data = _setup(status_server, tmp_path)
    unit, period, _ = _flag(data)
    proc, log, detail = _run_waiting(status_server, config, data, tmp_path)
    try:
        body = detail["body"]
        name = catalog.unit_by_code[unit].name
        assert "未核实的数据" in body and f"1. {name} {period}「公路建设完成投资」" in body, body
        assert "影响县汇总数 " in body and "剔除后 " in body
        field = detail["params"]["unconfirmed"]
        assert field["schema"]["enum"] == list(WORDS.values()), field
        left = next((data / "reports" / str(REPORT_YEAR) / "left_out").glob("*.docx"))
        from county_reports.deliver.approval import fingerprint
        assert fingerprint(left) in body                          # what 剔除后汇总 would send, by hash
        status, answered = status_server.request(
            "PATCH", f"/api/v2/dags/{REPORT_DAG}/dagRuns/{detail['task_instance']['dag_run_id']}/taskInstances/approve/-1"
                     "/hitlDetails", {"chosen_options": ["批准"], "params_input": {
                         "note": "", "confirm_gap": False, "unconfirmed": WORDS[choice]}},
            token=status_server.token("admin"))
        assert status == 200, answered[:300]
    except BaseException:
        proc.kill()
        raise
    result = finish_report(proc, log)
    assert result["state"] == "success" and result["tasks"]["deliver"] == "success", (result["tasks"],
                                                                                      result["log"][-3000:])
    [approved, *rest] = _history(data, result["run_id"])
    outbox = tmp_path / "outbox"
    if choice == "wait":
        assert approved["action"] == "unconfirmed_wait" and approved["unconfirmed_choice"] == "wait" and not rest
        assert not outbox.exists() and "the admins' e-mail on 暂缓报送" in result["log"]     # no SMTP here: tried
        return
    assert approved["action"] == "approved" and approved["unconfirmed_choice"] == choice
    assert rest[0]["action"] == "delivered"
    [sent] = list(outbox.rglob("*.docx"))
    draft = data / "reports" / str(REPORT_YEAR) / left.name
    expected = left if choice == "leave_out" else draft
    assert sent.read_bytes() == expected.read_bytes() and left.read_bytes() != draft.read_bytes()
