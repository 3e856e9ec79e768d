"""warehouse.history_import on SQLite and PostgreSQL: a past year stored in one transaction or
not at all, idempotent, never over collected submissions, never county totals beside unit figures."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from county_reports.warehouse import history_import

SOURCE, COUNTY = "history_import", "_COUNTY"


def _year(make_verdict, unit: str, values: dict, months=range(1, 13)):
    return [make_verdict(unit, f"2023-{m:02d}", values, source=SOURCE, contact={},
                         received_at="2026-01-05T10:00:00+08:00") for m in months]


def test_a_year_in_one_transaction_then_duplicates(wh, make_verdict, make_unit):
    verdicts = _year(make_verdict, "A1", {"HAZARD_FOUND": 3.0}) + _year(make_verdict, "OLD1", {"HAZARD_FOUND": 2.0})
    retired = [make_unit("OLD1", active_from="2023-01", active_to="2023-12")]
    results = history_import.store(wh, verdicts, retired, SOURCE, {"files": {"a.xlsx": "ab"}}, "r1", COUNTY)
    assert [r["outcome"] for r in results] == ["new"] * 24
    snapshot = wh.table_snapshot()
    assert set(wh.submissions()["source"]) == {SOURCE}
    assert [u["code"] for u in snapshot["units"]] == ["OLD1"]
    assert [a["entity"] for a in snapshot["audit"]].count("history_import") == 1
    again = history_import.store(wh, verdicts, retired, SOURCE, {"files": {}}, "r2", COUNTY)
    assert {r["outcome"] for r in again} == {"duplicate"}
    assert wh.table_snapshot() == snapshot              # no version, no unit, no audit row


def test_collected_months_and_mixed_totals_are_refused_whole(wh, make_verdict):
    wh.record_verdicts([make_verdict("A2", "2023-05", {"ROAD_INVEST": 5.0})], "collect")
    before = wh.table_snapshot()
    with pytest.raises(history_import.CollectedConflict) as info:
        history_import.store(wh, _year(make_verdict, "A2", {"HAZARD_FOUND": 1.0}), [], SOURCE, {}, "r", COUNTY)
    assert info.value.keys == [("A2", "2023-05")] and wh.table_snapshot() == before
    history_import.store(wh, _year(make_verdict, COUNTY, {"HAZARD_FOUND": 40.0}), [], SOURCE, {}, "r", COUNTY)
    before = wh.table_snapshot()
    with pytest.raises(history_import.MixedConflict) as info:
        history_import.store(wh, _year(make_verdict, "A1", {"HAZARD_FOUND": 1.0}, [3]), [], SOURCE, {}, "r", COUNTY)
    assert info.value.pairs == [("HAZARD_FOUND", "2023")] and wh.table_snapshot() == before
    # another indicator of the same year is no conflict
    history_import.store(wh, _year(make_verdict, "A1", {"BUS_LINES": 2.0}, [3]), [], SOURCE, {}, "r", COUNTY)


@pytest.mark.postgres
def test_a_row_the_database_refuses_leaves_nothing(pg_url, make_verdict, clock):
    from county_reports.warehouse import Warehouse

    with Warehouse(pg_url, clock=clock) as wh:
        wh.migrate()
        verdicts = _year(make_verdict, "A1", {"HAZARD_FOUND": 3.0}) + \
            _year(make_verdict, "X" * 17, {"HAZARD_FOUND": 1.0}, [12])   # longer than the column
        with pytest.raises(DBAPIError):
            history_import.store(wh, verdicts, [], SOURCE, {}, "r", COUNTY)
        assert wh.submissions().empty and wh.table_snapshot()["audit"] == []
