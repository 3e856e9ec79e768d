"""The pages' side of the warehouse: opened read-only on both backends, and its read queries."""
from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError

import status_seed
from county_reports.render import status_page
from county_reports.warehouse import pages, schema


def test_read_only_warehouse_refuses_writes_and_reads(db_url, catalog, tmp_path):
    status_seed.seed(tmp_path, catalog, url=db_url)
    with status_page.open_warehouse(db_url) as warehouse:
        assert warehouse.read_only
        before = len(warehouse.submissions())
        with pytest.raises(DBAPIError, match="(?i)read-only|readonly"), warehouse.engine.begin() as conn:
            conn.execute(insert(schema.units).values(
                code="XX99", name="x", kind="x", kind_name="x", deadline_day=5,
                active_from="2025-01", updated_at=warehouse.clock()))
        assert len(warehouse.submissions()) == before

        history = pages.unit_history(warehouse.engine, "TS02")
        june = history.versions[("TS02", status_seed.PERIOD)]
        assert [v.version for v in june] == [2, 1] and june[0].current and not june[1].current
        assert {r["indicator"]: r["raw_value"] for r in june[0].values}[status_seed.INDICATOR] == status_seed.RAW
        assert june[1].issues[0]["message"] == status_seed.REJECTION
        [sent] = history.feedback[("TS02", status_seed.PERIOD)]
        assert sent.delivered and sent.submission_id == june[1].id
        assert sent.messages[0]["message"] == status_seed.REJECTION

        month = pages.month_history(warehouse.engine, status_seed.PERIOD)
        assert month.not_received[("TS03", status_seed.PERIOD)].status == "missing"
        assert {u for u, _ in month.versions} == \
            {u.code for u in catalog.units_active_in(status_seed.PERIOD)} - {"TS03"}


def test_an_unmigrated_warehouse_is_reported_not_created(db_url, tmp_path):
    with pytest.raises(status_page.WarehouseUnavailable, match="missing tables|OperationalError"):
        status_page.open_warehouse(db_url)
    if db_url.startswith("sqlite"):
        assert not (tmp_path / "warehouse.db").exists(), "read-only open created the file"

