"""Loading these DAGs for ``dag.test()`` (the demo, the end-to-end tests): Airflow glue.

The DAG folder is read as Airflow's own processes read it (``BundleDagBag``: the folder on
``sys.path``, so the DAG files import their ``_*.py`` helpers plainly, and ``.airflowignore``).

The DAGs are handed to ``dag.test()`` without their Deadline Alerts. Airflow 3.3.2's
``dag.test()`` builds its scheduler DAG in memory, whose ``deadline`` holds the serialized alerts
instead of the row ids the scheduler's DAG holds, and a successful run then fails in
``DeadlineAlert.get_by_id``. A test run has no triggerer to fire an alert anyway; the alerts
themselves are checked on the parsed DAGs (tests/dags/test_dag_integrity.py). No Airflow
internal is patched.
"""
from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def dag_test_bag(folder: Path = FOLDER):
    """Every DAG of ``folder`` parsed as the DAG processor parses it, ready for ``dag.test()``."""
    from airflow.dag_processing.dagbag import BundleDagBag

    bag = BundleDagBag(dag_folder=str(folder), bundle_path=folder)
    for dag in bag.dags.values():
        dag.deadline = None
    return bag
