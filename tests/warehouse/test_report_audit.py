"""warehouse/report_audit.py: the reports' audit rows, written and read back in order."""
from __future__ import annotations

from county_reports.warehouse import Warehouse, report_audit


def test_events_come_back_oldest_first_and_only_for_their_entity(tmp_path):
    with Warehouse(f"sqlite:///{tmp_path / 'wh.db'}") as warehouse:
        warehouse.migrate()
        report_audit.add_event(warehouse.engine, "report", "approved", "run-1", '{"kind": "annual"}')
        report_audit.add_event(warehouse.engine, "other", "x", None, "")
        report_audit.add_event(warehouse.engine, "report", "delivered", "run-2", '{"kind": "annual"}')
        rows = report_audit.events(warehouse.engine, "report")
    assert [(r.to_status, r.run_id) for r in rows] == [("approved", "run-1"), ("delivered", "run-2")]
    assert all(r.at is not None for r in rows)
