"""A test's own data folder and SQLite warehouse, seeded with accepted figures."""
from __future__ import annotations

from pathlib import Path

from county_reports.simulator.seeding import accepted_verdicts
from county_reports.warehouse import Warehouse


def seed(tmp_path: Path, monkeypatch, catalog, first: str, last: str, skip=frozenset()) -> Path:
    """``tmp_path/data`` and ``tmp_path/wh.db`` (selected by environment), holding every active
    unit's accepted figures for ``first`` … ``last`` except the (unit, month) pairs in ``skip``."""
    monkeypatch.setenv("COUNTY_REPORTS_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("COUNTY_REPORTS_DB_URL", f"sqlite:///{tmp_path / 'wh.db'}")
    with Warehouse() as warehouse:
        warehouse.migrate()
        warehouse.sync_roster(catalog, "test")
        warehouse.record_verdicts(accepted_verdicts(catalog, first, last, skip=set(skip)), "test")
    return tmp_path / "data"
