"""Running these DAGs with ``dag.test()`` (the demo, the end-to-end tests): Airflow glue.

Airflow 3.3.2's ``dag.test()`` hands ``DagRun.update_state`` a DAG whose ``deadline`` holds the
serialized alerts themselves instead of their row ids (the scheduler's DAG, read from the
database, holds ids). A successful run then fails in ``DeadlineAlert.get_by_id``. Only that call
is widened here, for dag.test(): given a serialized alert it answers with its reference class,
which is all ``update_state`` asks for before pruning the run's deadlines. The scheduler path
is untouched.
"""
from __future__ import annotations

import types


def allow_deadlines_in_dag_test() -> None:
    from airflow.models.deadline_alert import DeadlineAlert

    if getattr(DeadlineAlert.get_by_id, "_dag_test_compatible", False):
        return
    original = DeadlineAlert.get_by_id

    def get_by_id(deadline_alert_id, **kwargs):
        if isinstance(deadline_alert_id, dict):
            alert = deadline_alert_id.get("__var", deadline_alert_id)
            reference_class = DeadlineAlert.reference_class.fget(types.SimpleNamespace(reference=alert["reference"]))
            return types.SimpleNamespace(reference_class=reference_class)
        return original(deadline_alert_id, **kwargs)

    get_by_id._dag_test_compatible = True
    DeadlineAlert.get_by_id = get_by_id
