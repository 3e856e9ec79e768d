"""Completeness, timeliness and reporting rate across a roster change; not-received records."""
from __future__ import annotations

import dataclasses
import json
import math
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from county_reports.core import periods
from county_reports.warehouse import schema as t

MONTHS = periods.span("2024-06", "2024-10")


def status_of(df, unit, period):
    row = df[(df["unit"] == unit) & (df["period"] == period)]
    assert len(row) == 1, f"{unit} {period}: {len(row)} rows"
    return row.iloc[0]


def not_received_rows(wh):
    with wh.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(t.collection_status))]


def test_expected_units_follow_the_roster(wh, roster):
    df = wh.completeness(roster, MONTHS)
    expected = {p: sorted(df[df["period"] == p]["unit"]) for p in MONTHS}
    assert expected == {
        "2024-06": ["A1", "A2", "B1", "OLD"],             # NEW starts in July
        "2024-07": ["A1", "A2", "B1", "NEW", "OLD"],
        "2024-08": ["A1", "A2", "B1", "NEW", "OLD"],
        "2024-09": ["A1", "A2", "B1", "NEW", "OLD"],      # OLD's last month
        "2024-10": ["A1", "A2", "B1", "NEW"],
    }
    assert set(df["status"]) == {"missing"}
    assert list(df.columns[:6]) == ["unit", "unit_name", "kind", "period", "status", "due"]


def test_on_time_late_rejected_missing_at_the_deadline_boundary(wh, roster, make_verdict):
    p = "2024-06"   # A*: due 2024-07-05 (deadline day 5), B1: 2024-07-06 (day 6), Asia/Shanghai
    wh.record_verdicts([
        make_verdict("A1", p, received_at="2024-07-05T15:59:59+00:00"),        # 23:59:59 local
        make_verdict("A2", p, received_at="2024-07-06T00:00:00+08:00"),        # one second later
        make_verdict("OLD", p, {"ROAD_INVEST": -1.0}, status="rejected", received_at="2024-07-01T09:00:00+08:00"),
        make_verdict("B1", p, received_at="2024-07-06T23:59:59+08:00"),
    ], "r1")
    df = wh.completeness(roster, [p])
    assert {u: status_of(df, u, p)["status"] for u in ("A1", "A2", "OLD", "B1")} == \
        {"A1": "on_time", "A2": "late", "OLD": "rejected", "B1": "on_time"}
    a1 = status_of(df, "A1", p)
    assert a1["due"] == pd.Timestamp("2024-07-05T23:59:59+08:00") and str(a1["due"].tz) == "Asia/Shanghai"
    assert a1["first_accepted_arrived_at"] == pd.Timestamp("2024-07-05T23:59:59+08:00")
    assert (a1["submissions"], a1["accepted_versions"], a1["rejected_versions"], a1["current_version"]) == (1, 1, 0, 1)
    old = status_of(df, "OLD", p)
    assert pd.isna(old["first_accepted_arrived_at"]) and pd.isna(old["current_submission_id"])
    assert (old["submissions"], old["rejected_versions"]) == (1, 1)
    assert status_of(wh.completeness(roster, ["2024-06"]), "B1", p)["due"] == pd.Timestamp("2024-07-06T23:59:59+08:00")


def test_submitted_at_counts_when_earlier_than_receipt(wh, roster, make_verdict):
    wh.record_verdicts([make_verdict("A1", "2024-06", received_at="2024-07-08T10:00:00+08:00",
                                     submitted_at="2024-07-05T18:00:00+08:00", source="inbox")], "r1")
    assert status_of(wh.completeness(roster, ["2024-06"]), "A1", "2024-06")["status"] == "on_time"


def test_the_first_accepted_version_decides_timeliness(wh, roster, make_verdict):
    p = "2024-06"
    wh.record_verdicts([
        make_verdict("A1", p, {"ROAD_INVEST": 1.0}, received_at="2024-07-03T10:00:00+08:00"),
        make_verdict("A1", p, {"ROAD_INVEST": 2.0}, received_at="2024-07-20T10:00:00+08:00"),   # late correction
        make_verdict("A2", p, {"ROAD_INVEST": -1.0}, status="rejected", received_at="2024-07-03T10:00:00+08:00"),
        make_verdict("A2", p, {"ROAD_INVEST": 1.0}, received_at="2024-07-09T10:00:00+08:00"),   # fixed too late
    ], "r1")
    df = wh.completeness(roster, [p])
    a1, a2 = status_of(df, "A1", p), status_of(df, "A2", p)
    assert (a1["status"], a1["accepted_versions"], a1["current_version"]) == ("on_time", 2, 2)
    assert (a2["status"], a2["rejected_versions"], a2["current_version"]) == ("late", 1, 2)
    assert a2["first_arrived_at"] < a2["first_accepted_arrived_at"]


def test_reporting_rate_across_a_roster_change(wh, roster, make_verdict):
    sent = []
    for p in MONTHS:
        for u in ("A1", "A2", "OLD", "NEW", "B1"):                # everybody sends every month …
            sent.append(make_verdict(u, p, received_at=f"{periods.shift(p, 1)}-02T10:00:00+08:00"))
    wh.record_verdicts(sent, "r1")
    rate = wh.reporting_rate(roster, MONTHS).set_index("period")
    # … but only active units are expected: OLD after 2024-09 and NEW before 2024-07 do not count
    assert rate["expected"].to_dict() == {"2024-06": 4, "2024-07": 5, "2024-08": 5, "2024-09": 5, "2024-10": 4}
    assert (rate["reported"] == rate["expected"]).all() and (rate["rate"] == 1.0).all()
    assert (rate["on_time"] == rate["expected"]).all() and (rate["on_time_rate"] == 1.0).all()
    assert list(rate.reset_index().columns) == ["period", "expected", "reported", "on_time", "late",
                                                 "rejected", "missing", "rate", "on_time_rate"]
    # the data of inactive units stays stored (it is what they sent) — the rate ignores it
    assert "NEW" in set(wh.current_values(["2024-06"])["unit"])


def test_reporting_rate_mixed_and_empty_period(wh, roster, make_verdict):
    p = "2024-10"        # expected: A1, A2, NEW, B1
    wh.record_verdicts([
        make_verdict("A1", p, received_at="2024-11-01T10:00:00+08:00"),
        make_verdict("A2", p, received_at="2024-11-20T10:00:00+08:00"),
        make_verdict("NEW", p, {"ROAD_INVEST": -1.0}, status="rejected", received_at="2024-11-01T10:00:00+08:00"),
        make_verdict("OLD", p, received_at="2024-11-01T10:00:00+08:00"),        # merged away: not expected
    ], "r1")
    row = wh.reporting_rate(roster, [p]).iloc[0].to_dict()
    assert row == {"period": p, "expected": 4, "reported": 2, "on_time": 1, "late": 1, "rejected": 1,
                   "missing": 1, "rate": 0.5, "on_time_rate": 0.25}

    nobody = dataclasses.replace(roster, units=tuple(dataclasses.replace(u, active_from="2025-01") for u in roster.units))
    empty = wh.reporting_rate(nobody, ["2024-10"]).iloc[0]
    assert empty["expected"] == 0 and math.isnan(empty["rate"]) and math.isnan(empty["on_time_rate"])
    assert wh.completeness(nobody, ["2024-10"]).empty


def test_record_not_received_is_idempotent_and_never_overrides_a_submission(wh, roster, make_verdict, clock):
    p = "2024-06"
    assert wh.record_not_received("A1", p, "missing", "HTTP 404", "r1") is True
    assert wh.record_not_received("A1", p, "missing", "HTTP 404", "r1") is True
    clock.now += timedelta(hours=1)
    assert wh.record_not_received("A1", p, "failed", "HTTP 503 after 3 attempts", "r2") is True
    [row] = not_received_rows(wh)
    assert (row["unit"], row["period"], row["status"], row["reason"], row["last_run"], row["last_checked_at"]) == \
        ("A1", p, "failed", "HTTP 503 after 3 attempts", "r2", clock.now)
    wh.record_not_received("A2", p, "missing", None, "r2")
    df = wh.completeness(roster, [p])
    assert (status_of(df, "A1", p)["status"], status_of(df, "A1", p)["collection_status"]) == ("missing", "failed")
    assert status_of(df, "A2", p)["collection_status"] == "missing"

    wh.record_verdicts([make_verdict("A1", p, {"ROAD_INVEST": -1.0}, status="rejected")], "r3")   # something arrived
    assert [r["unit"] for r in not_received_rows(wh)] == ["A2"]
    assert wh.record_not_received("A1", p, "missing", "HTTP 404", "r4") is False                  # no-op
    assert [r["unit"] for r in not_received_rows(wh)] == ["A2"]
    a1 = status_of(wh.completeness(roster, [p]), "A1", p)
    assert a1["status"] == "rejected" and pd.isna(a1["collection_status"])


def test_record_not_received_refuses_unknown_status(wh):
    with pytest.raises(ValueError, match="missing, failed"):
        wh.record_not_received("A1", "2024-06", "received", None, "r1")


def test_record_feedback(wh, make_verdict, make_issue, clock):
    [rej] = wh.record_verdicts([make_verdict("A1", "2024-06", {"ROAD_INVEST": -1.0}, status="rejected")], "r1")
    assert wh.feedback_delivered(rej["submission_id"]) is False
    first = wh.record_feedback("A1", "2024-06", rej["submission_id"], [make_issue("A1", "2024-06")],
                               delivered=False, http_status=503, error="Service Unavailable", run_id="r1")
    second = wh.record_feedback("A1", "2024-06", rej["submission_id"], [make_issue("A1", "2024-06")],
                                delivered=True, http_status=200, error=None, run_id="r2")
    assert second > first and wh.feedback_delivered(rej["submission_id"]) is True
    with wh.engine.connect() as conn:
        rows = conn.execute(select(t.feedback).order_by(t.feedback.c.id)).all()
    assert [(r.delivered, r.http_status, r.error, r.run_id) for r in rows] == \
        [(False, 503, "Service Unavailable", "r1"), (True, 200, None, "r2")]
    msg = json.loads(rows[1].messages)
    assert msg[0]["indicator"] == "ROAD_INVEST" and msg[0]["rule"] == "BOUNDS" and "值 -1" in msg[0]["message"]
    assert rows[1].sent_at == clock.now
    wh.record_feedback("B1", "2024-06", None, [{"message": "未报送"}], False, None, "no endpoint", "r3")


def test_a_submission_time_before_the_month_ended_is_not_believed(wh, roster, make_verdict):
    """A stale stamp (a copied file's old mtime) counts from the month's end, not before it."""
    from county_reports.warehouse import stored_verdict

    v = make_verdict("A1", "2024-06", submitted_at="2024-05-20T09:00:00+08:00",
                     received_at="2024-07-09T10:00:00+08:00")
    _, _, arrived = stored_verdict.arrival(v, "Asia/Shanghai")
    from datetime import datetime

    assert arrived == datetime.fromisoformat("2024-07-01T00:00:00+08:00")   # the month's end
    ok = make_verdict("A1", "2024-06", submitted_at="2024-07-03T09:00:00+08:00",
                      received_at="2024-07-09T10:00:00+08:00")
    assert stored_verdict.arrival(ok, "Asia/Shanghai")[2] == datetime.fromisoformat("2024-07-03T09:00:00+08:00")
