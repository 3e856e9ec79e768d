"""Feedback to units, each on its own: one unit's failure is recorded for it, the others are told;
inbox units get their feedback as a file."""
from __future__ import annotations

from county_reports.deliver import notify
from county_reports.validate.model import Issue, Verdict
from county_reports.warehouse import Warehouse

PERIOD = "2025-06"


def _rejected(unit, source):
    issue = Issue(unit, PERIOD, "ROAD_INVEST", "-1", "NEGATIVE", "error", f"{unit}：数值不能为负。")
    return Verdict(unit, PERIOD, f"{unit:0<64}", source, "2025-07-03T09:00:00+08:00", None, "rejected",
                   {}, {"ROAD_INVEST": "-1"}, (), {}, (issue,))


def test_one_units_failure_does_not_stop_the_others(catalog, tmp_path):
    verdicts = [_rejected("TS01", "inbox"), _rejected("TS02", "http"), _rejected("TS03", "inbox")]

    def token_for(conn_id):
        raise RuntimeError("the secrets backend is down")   # only TS02 (http) asks for a token

    with Warehouse(f"sqlite:///{tmp_path / 'w.db'}") as warehouse:
        warehouse.migrate()
        warehouse.sync_roster(catalog, "t")
        stored, failures = warehouse.record_each(verdicts, "t")
        assert failures == []
        ids = {(r["unit"], r["period"]): r["submission_id"] for r in stored}
        context = notify.FeedbackContext(warehouse, catalog, token_for=token_for, data_dir=tmp_path, run_id="t")
        result = notify.send_all(verdicts, ids, context)
        assert sorted(result["sent"]) == ["TS01 2025-06", "TS03 2025-06"]
        assert result["failed"] == ["TS02 2025-06"]
        assert [p["unit"] for p in warehouse.undelivered_feedback()] == ["TS02"]   # tried again next run
    assert (tmp_path / "inbox" / "TS03" / PERIOD / "TS03.feedback.txt").read_text(encoding="utf-8").startswith("1. TS03")


def test_a_verdict_the_warehouse_cannot_take_is_noted_for_its_unit_alone(catalog, tmp_path):
    bad = _rejected("TS02", "http")
    bad = Verdict(**{**bad.__dict__, "received_at": "not a time"})
    with Warehouse(f"sqlite:///{tmp_path / 'w.db'}") as warehouse:
        warehouse.migrate()
        warehouse.sync_roster(catalog, "t")
        stored, failures = warehouse.record_each([_rejected("TS01", "http"), bad], "t")
        assert [r["unit"] for r in stored] == ["TS01"]
        assert [f["unit"] for f in failures] == ["TS02"] and "入库时出错" in failures[0]["reason"]
        from sqlalchemy import select

        from county_reports.warehouse.schema import collection_status as cs

        with warehouse.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(select(cs.c.unit, cs.c.status, cs.c.reason))]
    assert rows == [{"unit": "TS02", "status": "failed", "reason": failures[0]["reason"]}]


def test_inbox_units_get_their_feedback_as_a_file(catalog, tmp_path):
    period = "2025-09"       # the month the message speaks of
    messages = [{"text": "石桥镇交通运输管理站（TS03）2025年9月报表：……", "indicator": "X", "value": "1",
                 "rule": "BOUNDS", "importance": "error"}]
    result = notify.send(catalog.unit_by_code["TS03"], period, messages, source="inbox", token=None,
                         data_dir=tmp_path)
    assert result["delivered"]
    text = (tmp_path / "inbox" / "TS03" / period / "TS03.feedback.txt").read_text(encoding="utf-8")
    assert text.startswith("1. 石桥镇交通运输管理站（TS03）")
