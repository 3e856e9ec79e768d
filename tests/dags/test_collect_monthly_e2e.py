"""End to end: collect_monthly through Airflow's dag.test() against the real simulator."""
from __future__ import annotations

import pytest

from county_reports import ledger, settings

pytestmark = pytest.mark.airflow
PERIOD = "2025-08"
FAULTS = {"TS01": "missing", "TS02": "server_error", "TS03": "truncated", "TS04": "wrong_content_type",
          "TS05": "flaky", "TS06": "gbk"}
EXPECTED = {"TS01": "missing", "TS02": "failed", "TS03": "refused", "TS04": "refused",
            "TS05": "received", "TS06": "received"}


@pytest.fixture(scope="module")
def collect_dag(airflow_db):
    from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=str(settings.PROJECT_ROOT / "dags"))
    assert not bag.import_errors
    return bag.get_dag("collect_monthly")


def test_collect_monthly_records_every_units_outcome(collect_dag, simulator, catalog):
    simulator.clear_faults()
    for code, fault in FAULTS.items():
        simulator.set_fault(code, PERIOD, fault)
    try:
        run = collect_dag.test(run_conf={"period": PERIOD})
    finally:
        simulator.clear_faults()
    assert run.state == "success"

    outcomes = ledger.latest_by_unit(settings.data_dir(), PERIOD)
    active = {u.code for u in catalog.units_active_in(PERIOD)}
    assert set(outcomes) == active           # every active unit, and only those (TS09 closed)
    for code in active:
        assert outcomes[code]["status"] == EXPECTED.get(code, "received"), (code, outcomes[code])
    assert outcomes["TS02"]["attempts"] == 4 and "HTTP 500" in outcomes["TS02"]["reason"]
    assert outcomes["TS05"]["attempts"] == 3
