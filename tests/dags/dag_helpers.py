"""Helpers of the report DAG tests: answering an approval while dag.test() runs."""
from __future__ import annotations

import json
import threading

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
