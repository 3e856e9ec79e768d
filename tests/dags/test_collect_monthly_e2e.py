"""End to end: collect_monthly through Airflow's dag.test() against the real simulator."""
from __future__ import annotations

import pytest

from dag_helpers import assert_no_local_paths

from county_reports.collect import ledger
from county_reports.core import paths

pytestmark = pytest.mark.airflow
PERIOD = "2025-08"
FAULTS = {"TS01": "missing", "TS02": "server_error", "TS03": "truncated", "TS04": "wrong_content_type",
          "TS05": "flaky", "TS06": "gbk", "TS07": "invalid_values", "RC01": "messy_values",
          "TS08": "late"}
EXPECTED = {"TS01": "missing", "TS02": "failed", "TS03": "refused", "TS04": "refused",
            "TS05": "received", "TS06": "received"}


@pytest.fixture(scope="module")
def collect_dag(airflow_db):
    from _dag_test import dag_test_bag

    bag = dag_test_bag()
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
    assert_no_local_paths(run, paths.data_dir())       # keys in the data folder, never local paths

    outcomes = ledger.latest_by_unit(paths.data_dir(), PERIOD)
    active = {u.code for u in catalog.units_active_in(PERIOD)}
    assert set(outcomes) == active           # every active unit, and only those (TS09 closed)
    for code in active:
        assert outcomes[code]["status"] == EXPECTED.get(code, "received"), (code, outcomes[code])
    assert outcomes["TS02"]["attempts"] == 4 and "HTTP 500" in outcomes["TS02"]["reason"]
    assert outcomes["TS05"]["attempts"] == 3

    # the grid: one pull per unit, each named by the unit's code and name
    pulls = [ti for ti in run.get_task_instances() if ti.task_id == "pull"]
    assert len(pulls) == len(active)
    names = {ti.rendered_map_index for ti in pulls}
    assert names == {f"{PERIOD} {code} {catalog.unit_by_code[code].name}" for code in active}

    # validate → store: the warehouse holds what was accepted, and quarantines the rest
    from county_reports.warehouse import Warehouse

    with Warehouse() as warehouse:
        versions = warehouse.submissions(period=PERIOD).set_index("unit")
        current = warehouse.current_values([PERIOD])
        status = warehouse.completeness(catalog, [PERIOD]).set_index("unit")["status"]
    assert versions.loc["TS07", "status"] == "rejected"          # invalid values
    assert versions.loc["TS03", "status"] == "rejected"          # truncated: kept, unreadable
    assert versions.loc["RC01", "status"] in ("accepted", "accepted_with_warnings")  # messy but valid
    assert versions.loc["TS06", "status"] in ("accepted", "accepted_with_warnings")  # GBK decoded
    assert {"TS05", "TS06", "RC01"} <= set(current["unit"]) and "TS07" not in set(current["unit"])
    assert status["TS01"] == "missing" and status["TS02"] == "missing" and status["TS07"] == "rejected"
    assert status["TS08"] == "late" and status["TS05"] == "on_time"    # submitted after its deadline

    # notify: the rejected units received their Chinese feedback over protocol v1
    for code in ("TS07", "TS03"):
        [messages] = simulator.feedback[(code, PERIOD)]
        assert messages and all(m["importance"] in ("error", "warning") for m in messages)
        assert any(m["importance"] == "error" for m in messages)
        assert catalog.unit_by_code[code].name in messages[0]["text"]
    assert ("TS01", PERIOD) not in simulator.feedback            # nothing to say to a missing unit

    # new accepted figures: an event for summary_drafts naming the month
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        events = session.scalars(select(AssetEvent).join(AssetModel, AssetEvent.asset_id == AssetModel.id)
                                 .where(AssetModel.name == "county_reports_accepted_submissions")).all()
        assert any(e.extra.get("periods") == [PERIOD] for e in events)


def test_second_run_with_same_data_changes_nothing(collect_dag, simulator, catalog):
    """Idempotency end to end: re-collecting a month leaves the warehouse as it was."""
    from county_reports.warehouse import Warehouse

    simulator.clear_faults()
    period = "2025-07"
    assert collect_dag.test(run_conf={"period": period}).state == "success"
    with Warehouse() as warehouse:
        before = warehouse.table_snapshot()
    second = collect_dag.test(run_conf={"period": period})
    assert second.state == "success"
    with Warehouse() as warehouse:
        assert warehouse.table_snapshot() == before
    # nothing new accepted: no event for the drafts
    [announce] = [ti for ti in second.get_task_instances() if ti.task_id == "announce"]
    assert announce.state == "skipped"
