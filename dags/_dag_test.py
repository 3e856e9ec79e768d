"""Loading these DAGs for ``dag.test()`` (the demo, the end-to-end tests): Airflow glue.

The DAG folder is read as Airflow's own processes read it (``BundleDagBag``: the folder on
``sys.path``, so the DAG files import their ``_*.py`` helpers plainly, and ``.airflowignore``).

Why one Airflow-internal method is still widened here: Airflow 3.3.2's ``dag.test()`` hands
``DagRun.update_state`` a DAG whose ``deadline`` holds the serialized alerts themselves instead of
their row ids (the scheduler's DAG, read from the database, holds ids), so a successful run fails
in ``DeadlineAlert.get_by_id``. ``dag.test()`` has no hook for this, and the other way — handing it
the DAGs without their alerts — was tried and loses the Deadline rows that
tests/dags/test_report_dags_e2e.py::test_a_missed_deadline_emails_the_admins drives through the
scheduler's and the triggerer's own code. So only that call is widened, for ``dag.test()``: given a
serialized alert it answers with its reference class, which is all ``update_state`` asks for
before pruning the run's deadlines. The scheduler path is untouched. Remove it once Airflow's
``dag.test()`` passes ids.
"""
from __future__ import annotations

import sys
import types
from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def dag_test_bag(folder: Path = FOLDER):
    """Every DAG of ``folder`` parsed as the DAG processor parses it, ready for ``dag.test()``."""
    from airflow.dag_processing.dagbag import BundleDagBag

    _allow_deadlines_in_dag_test()
    # The helpers (_alerts, _bureau …) read the config at import; a process that parsed or ran the
    # DAGs before under another COUNTY_REPORTS_CONFIG would hand the new parse its cached copies.
    for name in {p.stem for p in folder.glob("_*.py")} - {"_dag_test"}:
        sys.modules.pop(name, None)
    return BundleDagBag(dag_folder=str(folder), bundle_path=folder)


def _allow_deadlines_in_dag_test() -> None:
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
