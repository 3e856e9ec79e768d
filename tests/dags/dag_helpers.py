"""Helpers of the report DAG tests: answering an approval while dag.test() runs; a report run in
its own process, waiting in ``approve`` for a test that answers it over the api-server."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from county_reports.core import paths
from county_reports.deliver.required_actions import awaiting

from object_store import local_paths_in


def run_xcoms(run) -> dict[tuple[str, int, str], object]:
    """Every value a run's tasks handed on, by (task, map index, key)."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(select(XComModel.task_id, XComModel.map_index, XComModel.key, XComModel.value)
                               .where(XComModel.dag_id == run.dag_id, XComModel.run_id == run.run_id)).all()
    return {(task, index, key): _decoded(value) for task, index, key, value in rows}


def _decoded(value):
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def assert_no_local_paths(run, data_dir) -> None:
    """XComs carry data-folder keys: a worker on another machine has no such local path."""
    values = run_xcoms(run)
    assert values, f"{run.run_id}: no XComs read"
    found = {k: local_paths_in(v, data_dir) for k, v in values.items() if local_paths_in(v, data_dir)}
    assert not found, f"XComs carrying local paths: {found}"


class Answerer(threading.Thread):
    """Answers the DAG's next approval request over the REST API while dag.test() runs."""

    # Long enough for the tasks before the approval on a loaded 2-core machine (giving up early
    # leaves dag.test() waiting for an answer that never comes; pytest-timeout ends it at 600 s).
    def __init__(self, api, dag_id: str, choose, timeout: float = 480.0):
        super().__init__(daemon=True)
        self.api, self.dag_id, self.choose, self.timeout = api, dag_id, choose, timeout
        self.answered = None
        self.error: BaseException | None = None
        self._halt = threading.Event()

    def run(self):
        from county_reports.deliver.required_actions import answer_when_asked

        try:
            self.answered = answer_when_asked(self.api, self.dag_id, self.choose, timeout=self.timeout,
                                              stop=self._halt.is_set)
        except BaseException as exc:  # reported by the test
            self.error = exc

    def finish(self):
        self._halt.set()
        self.join(timeout=30)
        if self.error:
            raise self.error
        return self.answered


REPORT_DAG, REPORT_YEAR = "half_year_report", 2025
REPORT_CONF = {"year": REPORT_YEAR, "dry_run": False, "force_delivery": True, "correction": False}
# dag.test() of the real DAG with the deadline shim (dags/_dag_test.py); the outcome as one JSON line.
RUN_REPORT = """\
import json, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from _dag_test import dag_test_bag
bag = dag_test_bag(Path(sys.argv[1]))
assert not bag.import_errors, bag.import_errors
run = bag.get_dag(sys.argv[2]).test(run_conf=json.loads(sys.argv[3]))
print("RESULT " + json.dumps({"state": str(run.state), "run_id": run.run_id,
      "tasks": {ti.task_id: str(ti.state) for ti in run.get_task_instances()}}), flush=True)
"""


def pending(server, token) -> list[dict]:
    """The report DAG's requests with no answer yet, as the api-server lists them."""
    status, body = server.get(f"/api/v2/dags/{REPORT_DAG}/dagRuns/~/hitlDetails?response_received=false", token)
    return json.loads(body)["hitl_details"] if status == 200 else []


def start_waiting_report(server, env: dict, work: Path, log: Path, timeout: float = 300):
    """The report run in its own process, until its request waits (``awaiting_input``: answered
    while its task is still running, an answer is lost); returns (process, request)."""
    token = server.token("admin")
    # A request left unanswered by an earlier run (its task marked done by hand) stays listed.
    earlier = {d["task_instance"]["id"] for d in pending(server, token)}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", RUN_REPORT, str(paths.PROJECT_ROOT / "dags"), REPORT_DAG,
                                 json.dumps(REPORT_CONF)], env=env, cwd=work, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while not (waiting := [d for d in pending(server, token) if d["task_instance"]["id"] not in earlier
                           and awaiting(d["task_instance"]["state"])]):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"no waiting approval:\n{log.read_text('utf-8')[-4000:]}")
        time.sleep(1)
    return proc, waiting[0]


def finish_report(proc, log: Path) -> dict:
    """The run's outcome line (state, run_id, tasks) and its log."""
    try:
        proc.wait(timeout=420)           # a loaded 2-core machine: the report run is slow
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"the run did not finish:\n{log.read_text('utf-8')[-4000:]}")
    text = log.read_text("utf-8")
    lines = [line for line in text.splitlines() if line.startswith("RESULT ")]
    assert lines, text[-4000:]
    return json.loads(lines[-1][len("RESULT "):]) | {"log": text}
