"""Timeliness never rests on a time the bureau knows to be false: a unit's claimed submission time
(``submitted_at``) stands only between the last time the bureau looked and found nothing
(``record_not_received(..., "missing", ...)``) and the bureau's own receipt; on SQLite and
PostgreSQL (COPY), and through ``runs.collect_monthly``'s tasks against the simulator."""
from __future__ import annotations

import time
from datetime import datetime, UTC

import pandas as pd
import pytest
from sqlalchemy import select

from county_reports.warehouse import Warehouse, stored_verdict
from county_reports.warehouse import schema as t

P = "2024-06"
TZ = "Asia/Shanghai"
PULL_5TH = datetime(2024, 7, 4, 22, 0, tzinfo=UTC)       # 06:00 on the 5th, Beijing time
RECEIVED = "2024-07-08T06:00:00+08:00"                            # the pull on the 8th


def stamp(text: str) -> pd.Timestamp:
    return pd.Timestamp(datetime.fromisoformat(text)).tz_convert("UTC")


def arrived(wh, unit: str = "A1") -> dict[str, pd.Timestamp]:
    rows = wh.submissions(unit, P).sort_values("version")
    return {str(r["source"]): r["arrived_at"] for _, r in rows.iterrows()}


def collection_status(wh) -> list[tuple]:
    with wh.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(t.collection_status.c.unit,
                                                      t.collection_status.c.status))]


@pytest.mark.parametrize("claimed, expected", [
    ("2024-07-03T09:00:00+08:00", PULL_5TH.isoformat()),     # contradicted by the 5th's 404: that pull
    ("2024-07-06T09:00:00+08:00", "2024-07-06T09:00:00+08:00"),   # after the 404, before receipt: the claim
    ("2024-07-09T09:00:00+08:00", RECEIVED),                 # after our receipt: the receipt
    (None, RECEIVED),                                        # no claim: the receipt
])
def test_a_claim_is_clamped_between_the_last_missing_look_and_the_receipt(wh, clock, make_verdict,
                                                                          claimed, expected):
    clock.now = PULL_5TH
    assert wh.record_not_received("A1", P, "missing", "HTTP 404", "run-5th") is True
    clock.now = stamp(RECEIVED).to_pydatetime()
    v = make_verdict("A1", P, received_at=RECEIVED, submitted_at=claimed)
    assert wh.record_verdicts([v], "run-8th")[0]["outcome"] == "new"
    assert arrived(wh) == {"http": stamp(expected)}
    assert collection_status(wh) == []             # something arrived: the record is gone …
    again = wh.record_verdicts([v], "run-9th")     # … and a re-run is a duplicate, nothing changes
    assert again[0]["outcome"] == "duplicate" and arrived(wh) == {"http": stamp(expected)}
    # the pure rule says the same as the warehouse
    assert stamp(stored_verdict.arrival(v, TZ, PULL_5TH)[2].isoformat()) == stamp(expected)


@pytest.mark.parametrize("record", [None, "failed", "other unit", "other month"])
def test_without_a_missing_look_at_that_unit_and_month_the_claim_stands(wh, clock, make_verdict, record):
    clock.now = PULL_5TH
    if record == "failed":          # the endpoint was down: that says nothing of the unit
        wh.record_not_received("A1", P, "failed", "HTTP 503 after 3 attempts", "run-5th")
    elif record == "other unit":
        wh.record_not_received("A2", P, "missing", "HTTP 404", "run-5th")
    elif record == "other month":
        wh.record_not_received("A1", "2024-05", "missing", "HTTP 404", "run-5th")
    wh.record_verdicts([make_verdict("A1", P, received_at=RECEIVED,
                                     submitted_at="2024-07-03T09:00:00+08:00")], "run-8th")
    assert arrived(wh) == {"http": stamp("2024-07-03T09:00:00+08:00")}
    if record == "other unit":      # and that record is A2's own: it stays
        assert collection_status(wh) == [("A2", "missing")]


def test_a_receipt_before_the_missing_look_is_the_arrival(wh, clock, make_verdict):
    """The mail server took the workbook on the 4th; a pull on the 5th found the endpoint empty:
    our own receipt stands, the missing look cannot push it later."""
    clock.now = PULL_5TH
    wh.record_not_received("A1", P, "missing", "HTTP 404", "run-5th")
    wh.record_verdicts([make_verdict("A1", P, received_at="2024-07-04T10:00:00+08:00",
                                     submitted_at="2024-07-03T09:00:00+08:00", source="email")], "r")
    assert arrived(wh) == {"email": stamp("2024-07-04T10:00:00+08:00")}


@pytest.mark.parametrize("chunk_size", [500, 1])
def test_the_order_of_arrival_is_the_bounded_one_even_across_chunks(db_url, clock, make_verdict, chunk_size):
    """An inbox file seen on the 4th, a pull on the 5th finding nothing, then the 8th's pull
    claiming the 3rd: the pulled version arrived at the 5th, after the file, so it is version 2
    and current. Ordered by the bare claim it would come first and the file would be current;
    with one verdict per chunk the file's chunk clears the record before the pull's is written."""
    wh = Warehouse(db_url, clock=clock, chunk_size=chunk_size)
    wh.migrate()
    try:
        clock.now = PULL_5TH
        wh.record_not_received("A1", P, "missing", "HTTP 404", "run-5th")
        pulled = make_verdict("A1", P, {"ROAD_INVEST": 2.0}, received_at=RECEIVED,
                              submitted_at="2024-07-03T09:00:00+08:00", source="http")
        dropped = make_verdict("A1", P, {"ROAD_INVEST": 1.0}, received_at="2024-07-04T10:00:00+08:00",
                               source="inbox")
        out = wh.record_verdicts([pulled, dropped], "run-8th")
        assert [(o["version"], o["superseded_id"] is not None) for o in out] == [(2, True), (1, False)]
        assert arrived(wh) == {"inbox": stamp("2024-07-04T10:00:00+08:00"), "http": stamp(PULL_5TH.isoformat())}
        current = wh.current_values([P])
        assert current[current["unit"] == "A1"].set_index("indicator")["value"]["ROAD_INVEST"] == 2.0
    finally:
        wh.close()


def test_a_look_made_after_the_calls_own_read_still_bounds_its_chunk(wh, clock, make_verdict):
    """The chunk reads the missing time again under its lock, before it clears the record: a
    collection that found the unit missing after ``record_verdicts`` read (and ordered) its
    verdicts still bounds them."""
    from county_reports.warehouse import bulk

    ready = [bulk.prepare(0, make_verdict("A1", P, received_at=RECEIVED,
                                          submitted_at="2024-07-03T09:00:00+08:00"), TZ)]
    bulk.bound_by_missing(ready, {})                # the call's own read found no record
    clock.now = PULL_5TH
    wh.record_not_received("A1", P, "missing", "HTTP 404", "run-5th")     # a look made since
    with wh.engine.begin() as conn:
        bulk.write_chunk(conn, ready, "run-8th", clock(), lambda *a: {"submission_id": a[1]})
    assert arrived(wh) == {"http": stamp(PULL_5TH.isoformat())} and collection_status(wh) == []


def test_the_missing_look_decides_on_time_or_late(wh, roster, clock, make_verdict):
    """Deadline the 5th. A1 claims the 3rd but the 8th's pull was its first sight after a 404 on
    the 6th: late. A2 claims the 3rd with no look contradicting it: on time."""
    wh.sync_roster(roster, "r0")
    clock.now = stamp("2024-07-06T06:00:00+08:00").to_pydatetime()
    wh.record_not_received("A1", P, "missing", "HTTP 404", "run-6th")
    claim = "2024-07-03T09:00:00+08:00"
    wh.record_verdicts([make_verdict(u, P, received_at=RECEIVED, submitted_at=claim) for u in ("A1", "A2")],
                       "run-8th")
    status = wh.completeness(roster, [P]).set_index("unit")["status"]
    assert (status["A1"], status["A2"]) == ("late", "on_time")


# ---------------------------------------------------------------------------- through collect_monthly's tasks

PERIOD = "2025-09"


def test_a_unit_found_missing_by_one_run_arrives_no_earlier_than_that_run(
        tmp_path, monkeypatch, simulator, demo_tokens):
    """Run 1 finds TS01 missing (the simulator's 404), run 2 pulls its report, which claims a day
    in October 2025 — long before run 1 looked: it arrived when run 1 looked. TS05, received in
    run 1 with no look against it, keeps its claim."""
    import pendulum

    from county_reports.runs import collect_monthly

    monkeypatch.setenv("COUNTY_REPORTS_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("COUNTY_REPORTS_DB_URL", f"sqlite:///{tmp_path / 'wh.db'}")
    moment = pendulum.datetime(2025, 10, 5, 6, tz=TZ)

    def run(run_id: str) -> list[dict]:
        batches = collect_monthly.plan({"period": PERIOD, "units": ["TS01", "TS05"]}, moment)
        pulled = [collect_monthly.pull(b, demo_tokens.get, record_as=(run_id, 1)) for b in batches]
        return collect_monthly.store(collect_monthly.validate(pulled, run_id), run_id)

    simulator.clear_faults()
    simulator.set_fault("TS01", PERIOD, "missing")
    try:
        assert {r["unit"] for r in run("run-1")} == {"TS05"}
    finally:
        simulator.clear_faults()
    with Warehouse() as wh:
        with wh.engine.connect() as conn:
            looked = conn.execute(select(t.collection_status.c.last_checked_at).where(
                (t.collection_status.c.unit == "TS01") & (t.collection_status.c.status == "missing"))).scalar_one()
        time.sleep(1.0)         # a pull's receipt time has whole seconds: run 2 receives after the look
        assert {r["unit"] for r in run("run-2") if r["outcome"] == "new"} == {"TS01"}
        ts01, ts05 = wh.submissions("TS01", PERIOD).iloc[0], wh.submissions("TS05", PERIOD).iloc[0]
    assert ts01["submitted_at"] < pd.Timestamp(looked) < ts01["received_at"]
    assert ts01["arrived_at"] == pd.Timestamp(looked)
    assert ts05["arrived_at"] == ts05["submitted_at"] < ts05["received_at"]
