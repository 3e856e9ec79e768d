"""A partial re-run (units: ["TS05"]) no longer overwrites the month's validation report with one
unit: collect_monthly rebuilds data/validation/{period}.html from the warehouse, every unit."""
from __future__ import annotations

import pytest

from county_reports.core import paths
from county_reports.simulator.seeding import accepted_verdicts
from county_reports.warehouse import Warehouse

pytestmark = pytest.mark.airflow
PERIOD = "2025-11"


def test_partial_rerun_keeps_every_unit_in_the_months_report(airflow_db, simulator, catalog):
    from _dag_test import dag_test_bag

    with Warehouse() as warehouse:       # the month as an earlier full run left it, minus TS05
        warehouse.migrate()
        warehouse.sync_roster(catalog, "earlier")
        warehouse.record_verdicts(accepted_verdicts(catalog, PERIOD, PERIOD, skip={("TS05", PERIOD)}),
                                  "earlier")
    bag = dag_test_bag()
    simulator.clear_faults()
    run = bag.get_dag("collect_monthly").test(run_conf={"period": PERIOD, "units": ["TS05"]})
    assert run.state == "success"

    html = (paths.data_dir() / "validation" / f"{PERIOD}.html").read_text("utf-8")
    for unit in catalog.units_active_in(PERIOD):
        assert f"units/{unit.code}#m{PERIOD}" in html, f"{unit.code} missing from the month's report"
    ts05 = html.split(f"units/TS05#m{PERIOD}")[1].split("</tr>")[0]
    assert "第 1 版" in ts05, "the unit of this run, stored and shown"
    assert (paths.data_dir() / "validation" / "checks" / f"{PERIOD}.html").is_file(), \
        "this run's Great Expectations checks, kept apart"
