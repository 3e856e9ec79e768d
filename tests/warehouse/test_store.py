"""Roster sync, versions, supersession, duplicates, quarantine and idempotent re-runs."""
from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pandas as pd
from sqlalchemy import func, select

from county_reports.warehouse import schema as t
from county_reports.warehouse.stored_verdict import content_hash

P = "2024-06"


def audit_rows(wh, entity=None):
    with wh.engine.connect() as conn:
        q = select(t.audit).order_by(t.audit.c.id)
        if entity:
            q = q.where(t.audit.c.entity == entity)
        return [dict(r._mapping) for r in conn.execute(q)]


def count(wh, table):
    with wh.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def values_of(df, unit, period=P):
    sel = df[(df["unit"] == unit) & (df["period"] == period)]
    return dict(zip(sel["indicator"], sel["value"], strict=False))


# ---------------------------------------------------------------------------- roster


def test_sync_roster_adds_changes_and_audits_only_changes(wh, roster, clock):
    out = wh.sync_roster(roster, "r1")
    assert sorted(out["added"]) == ["A1", "A2", "B1", "NEW", "OLD"] and not out["changed"]
    added = audit_rows(wh, "unit")
    assert len(added) == 5 and {a["to_status"] for a in added} == {"added"}
    assert {a["run_id"] for a in added} == {"r1"}

    clock.now += timedelta(days=1)
    assert wh.sync_roster(roster, "r2") == {"added": [], "changed": [], "unchanged": [u.code for u in roster.units]}
    assert len(audit_rows(wh, "unit")) == 5

    units = (dataclasses.replace(roster.units[0], name="城关镇交通运输所"),
             dataclasses.replace(roster.units[1], active_to="2024-12"), *roster.units[2:])
    out = wh.sync_roster(dataclasses.replace(roster, units=units), "r3")
    assert sorted(out["changed"]) == ["A1", "A2"]
    changes = audit_rows(wh, "unit")[5:]
    assert [(a["unit"], a["to_status"], a["run_id"]) for a in changes] == [("A1", "changed", "r3"), ("A2", "changed", "r3")]
    assert json.loads(changes[0]["note"]) == {"name": ["A1交通运输管理站", "城关镇交通运输所"]}
    assert json.loads(changes[1]["note"]) == {"active_to": [None, "2024-12"]}
    with wh.engine.connect() as conn:
        rows = {r.code: r for r in conn.execute(select(t.units))}
    assert rows["A1"].name == "城关镇交通运输所" and rows["A2"].active_to == "2024-12"
    assert rows["A1"].updated_at == clock.now and rows["OLD"].updated_at == clock.now - timedelta(days=1)
    assert rows["OLD"].active_to == "2024-09" and rows["B1"].deadline_day == 6


def test_sync_roster_with_the_real_catalogue(wh, real_catalog):
    out = wh.sync_roster(real_catalog, "r1")
    assert len(out["added"]) == len(real_catalog.units) == count(wh, t.units)
    assert wh.sync_roster(real_catalog, "r2")["added"] == []


# ---------------------------------------------------------------------------- versions


def test_new_version_supersedes_the_accepted_one_as_a_whole(wh, make_verdict):
    v1 = make_verdict("A1", P, {"ROAD_INVEST": 100.0, "HAZARD_FOUND": 3.0, "HAZARD_FIXED": 2.0},
                      narratives=({"kind": "highlight", "section": "rural_roads", "text": "旧的亮点"},))
    [r1] = wh.record_verdicts([v1], "r1")
    assert r1 == {"unit": "A1", "period": P, "submission_id": r1["submission_id"], "version": 1,
                  "outcome": "new", "status": "accepted", "superseded_id": None}
    # the correction no longer reports HAZARD_FIXED: no value of version 1 may stay current
    v2 = make_verdict("A1", P, {"ROAD_INVEST": 120.0, "HAZARD_FOUND": 3.0}, status="accepted_with_warnings",
                      received_at="2024-07-10T09:00:00+08:00",
                      narratives=({"kind": "plan", "section": "safety", "text": "新的计划"},))
    [r2] = wh.record_verdicts([v2], "r2")
    assert (r2["outcome"], r2["version"], r2["superseded_id"], r2["status"]) == \
        ("new", 2, r1["submission_id"], "accepted_with_warnings")

    cur = wh.current_values([P])
    assert values_of(cur, "A1") == {"ROAD_INVEST": 120.0, "HAZARD_FOUND": 3.0}
    assert set(cur["submission_id"]) == {r2["submission_id"]} and set(cur["version"]) == {2}
    assert list(cur.columns) == ["unit", "period", "indicator", "value", "submission_id", "version"]
    narr = wh.current_narratives([P])
    assert list(narr["text"]) == ["新的计划"] and list(narr.columns) == ["unit", "period", "kind", "section", "text", "seq"]
    pd.testing.assert_frame_equal(wh.history(["A1"], [P]), cur)
    assert wh.history(["A2"], [P]).empty

    subs = wh.submissions("A1", P)
    assert list(subs["version"]) == [1, 2]
    assert list(subs["superseded_by"].astype(object).where(subs["superseded_by"].notna(), None)) == \
        [r2["submission_id"], None]
    assert count(wh, t.submission_values) == 5          # both versions kept in full
    trail = [(a["submission_id"], a["from_status"], a["to_status"]) for a in audit_rows(wh, "submission")]
    assert trail == [(r1["submission_id"], None, "accepted"),
                     (r1["submission_id"], "accepted", "superseded"),
                     (r2["submission_id"], None, "accepted_with_warnings")]


def test_same_content_in_other_bytes_is_a_duplicate(wh, make_verdict, clock):
    v1 = make_verdict("A1", P, {"ROAD_INVEST": 1234.5, "HAZARD_FOUND": 12.0})
    [r1] = wh.record_verdicts([v1], "r1")
    before, audits = wh.table_snapshot(), audit_rows(wh)
    clock.now += timedelta(hours=3)
    # other bytes (another sha256, other raw spelling, later arrival), same normalised content
    again = make_verdict("A1", P, {"HAZARD_FOUND": 12, "ROAD_INVEST": 1234.50},
                         raw_values={"ROAD_INVEST": "1234.50", "HAZARD_FOUND": "12"},
                         received_at="2024-07-08T10:00:00+08:00", source="inbox", salt="x")
    assert again.sha256 != v1.sha256 and content_hash(again) == content_hash(v1)
    [r2] = wh.record_verdicts([again], "r2")
    assert r2 == {**r1, "outcome": "duplicate"}
    assert wh.table_snapshot() == before and audit_rows(wh) == audits
    row = wh.submissions("A1", P).iloc[0]
    assert row["last_seen_run"] == "r2" and row["last_seen_at"] == clock.now
    assert row["sha256"] == v1.sha256 and row["received_at"] == pd.Timestamp("2024-07-03T02:00:00Z")


def test_reverting_to_an_older_version_is_a_new_version(wh, make_verdict):
    """A, B, then A again: the unit's latest word (A) is current, not B."""
    a, b = make_verdict("A1", P, {"ROAD_INVEST": 1.0}), make_verdict("A1", P, {"ROAD_INVEST": 2.0})
    wh.record_verdicts([a], "r1")
    wh.record_verdicts([b], "r2")
    a_again = make_verdict("A1", P, {"ROAD_INVEST": 1.0}, salt="re-sent later, new bytes")
    assert a_again.sha256 != a.sha256
    [ra] = wh.record_verdicts([a_again], "r3")
    assert ra["outcome"] == "new" and ra["version"] == 3
    assert values_of(wh.current_values([P]), "A1") == {"ROAD_INVEST": 1.0}
    assert set(wh.current_values([P])["submission_id"]) == {ra["submission_id"]}
    for replay in (a, a_again):                              # replays change nothing now
        [again] = wh.record_verdicts([replay], "r4")
        assert again["outcome"] == "duplicate"


def test_same_content_judged_differently_is_a_new_version(wh, make_verdict, make_issue):
    """An admin corrects a rule and re-runs the month: the unit's unchanged file is re-judged."""
    values = {"ROAD_INVEST": 100.0}
    rejected = make_verdict("A1", P, values, status="rejected", issues=(make_issue("A1", P),))
    [first] = wh.record_verdicts([rejected], "r1")
    [second] = wh.record_verdicts([make_verdict("A1", P, values)], "r2")
    assert (first["status"], second["status"], second["outcome"], second["version"]) == \
        ("rejected", "accepted", "new", 2)
    assert values_of(wh.current_values([P]), "A1") == values


def test_whatever_a_unit_sends_is_stored_at_any_length(wh, make_verdict, make_issue):
    """Rejected submissions keep the unit's own codes and sections, however long (PostgreSQL too)."""
    code, section = "X" * 300, "交通运输" * 50
    v = make_verdict("A1", P, {code: 1.0}, status="rejected",
                     narratives=({"kind": "k" * 100, "section": section, "text": "t"},),
                     issues=(make_issue("A1", P, indicator=code, rule="KNOWN_CODE"),))
    [row] = wh.record_verdicts([v], "r1")
    assert row["outcome"] == "new" and row["status"] == "rejected"


def test_content_hash_covers_narratives_contact_and_non_numeric_values(make_verdict):
    base = make_verdict("A1", P)
    assert content_hash(base) != content_hash(make_verdict("A1", P, narratives=({"kind": "plan", "section": "s", "text": "x"},)))
    assert content_hash(base) != content_hash(make_verdict("A1", P, contact={"name": "李四"}))
    bad1 = make_verdict("A1", P, {}, raw_values={"ROAD_INVEST": "abc"}, status="rejected")
    bad2 = make_verdict("A1", P, {}, raw_values={"ROAD_INVEST": "xyz"}, status="rejected")
    assert content_hash(bad1) != content_hash(bad2)
    crlf = make_verdict("A1", P, narratives=({"kind": "plan", "section": "s", "text": " 一\r\n二 "},))
    lf = make_verdict("A1", P, narratives=({"kind": "plan", "section": "s", "text": "一\n二"},))
    assert content_hash(crlf) == content_hash(lf)
    # nothing readable at all: the raw bytes identify it
    unreadable = [dataclasses.replace(make_verdict("A1", P, {}, raw_values={}, contact={}, status="rejected"),
                                      sha256=c * 64) for c in "ab"]
    assert content_hash(unreadable[0]) != content_hash(unreadable[1])


def test_rejected_correction_never_erases_accepted_figures(wh, make_verdict, make_issue):
    [ok] = wh.record_verdicts([make_verdict("A1", P, {"ROAD_INVEST": 100.0})], "r1")
    bad = make_verdict("A1", P, {"ROAD_INVEST": -5.0}, status="rejected",
                       received_at="2024-07-12T09:00:00+08:00",
                       issues=(make_issue("A1", P, value="-5"),
                               make_issue("A1", P, "HAZARD_FOUND", "warning", "REQUIRED", None)))
    [rej] = wh.record_verdicts([bad], "r2")
    assert (rej["outcome"], rej["version"], rej["status"], rej["superseded_id"]) == ("new", 2, "rejected", None)
    cur = wh.current_values([P])
    assert values_of(cur, "A1") == {"ROAD_INVEST": 100.0} and set(cur["version"]) == {1}
    subs = wh.submissions("A1", P)
    assert list(subs["status"]) == ["accepted", "rejected"] and subs["superseded_by"].isna().all()
    with wh.engine.connect() as conn:
        issues = conn.execute(select(t.validation_issues).order_by(t.validation_issues.c.seq)).all()
        kept = conn.execute(select(t.submission_values.c.value)
                            .where(t.submission_values.c.submission_id == rej["submission_id"])).scalars().all()
    assert [(i.submission_id, i.seq, i.indicator, i.value, i.rule, i.importance) for i in issues] == \
        [(rej["submission_id"], 1, "ROAD_INVEST", "-5", "BOUNDS", "error"),
         (rej["submission_id"], 2, "HAZARD_FOUND", None, "REQUIRED", "warning")]
    assert kept == [-5.0]                               # quarantined, not deleted
    note = audit_rows(wh, "submission")[-1]
    assert note["to_status"] == "rejected" and "stays current" in note["note"]
    # a later accepted correction supersedes the accepted version (the rejected one stays as is)
    [fix] = wh.record_verdicts([make_verdict("A1", P, {"ROAD_INVEST": 105.0},
                                             received_at="2024-07-13T09:00:00+08:00")], "r3")
    assert fix["version"] == 3 and fix["superseded_id"] == ok["submission_id"]
    assert values_of(wh.current_values([P]), "A1") == {"ROAD_INVEST": 105.0}
    assert wh.submissions("A1", P)["superseded_by"].notna().tolist() == [True, False, False]


def test_rejected_first_then_accepted(wh, make_verdict):
    [rej] = wh.record_verdicts([make_verdict("A1", P, {"ROAD_INVEST": -1.0}, status="rejected")], "r1")
    assert wh.current_values([P]).empty
    [ok] = wh.record_verdicts([make_verdict("A1", P, {"ROAD_INVEST": 1.0})], "r2")
    assert ok["version"] == 2 and ok["superseded_id"] is None
    assert values_of(wh.current_values([P]), "A1") == {"ROAD_INVEST": 1.0}


def test_non_numeric_values_are_kept_but_not_current(wh, make_verdict):
    v = make_verdict("A1", P, {"ROAD_INVEST": 10.0}, raw_values={"ROAD_INVEST": "10", "NOTE_X": "见附件"},
                     status="accepted_with_warnings")
    wh.record_verdicts([v], "r1")
    assert values_of(wh.current_values([P]), "A1") == {"ROAD_INVEST": 10.0}
    with wh.engine.connect() as conn:
        rows = {r.indicator: (r.value, r.raw_value) for r in conn.execute(select(t.submission_values))}
    assert rows == {"ROAD_INVEST": (10.0, "10"), "NOTE_X": (None, "见附件")}


def test_batch_is_applied_in_order_of_arrival(wh, make_verdict):
    late = make_verdict("A1", P, {"ROAD_INVEST": 2.0}, received_at="2024-07-04T10:00:00+08:00")
    early = make_verdict("A1", P, {"ROAD_INVEST": 1.0}, received_at="2024-07-04T10:00:00+08:00",
                         submitted_at="2024-07-01T08:00:00+08:00", source="inbox")
    out = wh.record_verdicts([late, early], "r1")
    assert [(o["version"], o["superseded_id"] is not None) for o in out] == [(2, True), (1, False)]
    assert values_of(wh.current_values([P]), "A1") == {"ROAD_INVEST": 2.0}


def test_submission_row_has_archive_path_and_utc_times(wh, make_verdict):
    v = make_verdict("A1", P, received_at="2024-07-05T10:00:00+08:00", submitted_at="2024-07-03T09:12:00+08:00")
    wh.record_verdicts([v], "r1")
    row = wh.submissions("A1", P).iloc[0]
    assert row["raw_path"] == f"raw/{v.sha256[:2]}/{v.sha256}"
    assert row["submitted_at"] == pd.Timestamp("2024-07-03T01:12:00Z")
    assert row["arrived_at"] == row["submitted_at"] and row["received_at"] == pd.Timestamp("2024-07-05T02:00:00Z")
    assert row["content_hash"] == content_hash(v) and row["last_seen_run"] == "r1"


# ---------------------------------------------------------------------------- idempotency


def test_recording_the_same_verdicts_twice_changes_nothing(wh, roster, make_verdict, make_issue, clock):
    batch = [
        make_verdict("A1", P, {"ROAD_INVEST": 1.0}, narratives=({"kind": "highlight", "section": "s", "text": "甲"},)),
        make_verdict("A1", P, {"ROAD_INVEST": 2.0}, received_at="2024-07-04T10:00:00+08:00"),
        make_verdict("A2", P, {"ROAD_INVEST": -1.0}, status="rejected", issues=(make_issue("A2", P),)),
        make_verdict("A2", "2024-07", {"ROAD_INVEST": 3.0}, status="accepted_with_warnings",
                     issues=(make_issue("A2", "2024-07", importance="warning"),)),
        make_verdict("OLD", "2024-10", {"ROAD_INVEST": 9.0}),
    ]
    wh.sync_roster(roster, "r1")
    wh.record_not_received("B1", P, "missing", "404", "r1")
    first = wh.record_verdicts(batch, "r1")
    wh.record_feedback("A2", P, first[2]["submission_id"], [make_issue("A2", P)], True, 200, None, "r1")
    snap, audits = wh.table_snapshot(), audit_rows(wh)

    clock.now += timedelta(days=1)
    wh.sync_roster(roster, "r2")
    second = wh.record_verdicts(batch, "r2")
    assert [o["outcome"] for o in first] == ["new"] * 5
    assert [o["outcome"] for o in second] == ["duplicate"] * 5
    assert [(o["submission_id"], o["version"]) for o in second] == [(o["submission_id"], o["version"]) for o in first]
    assert wh.table_snapshot() == snap
    assert audit_rows(wh) == audits
    full = wh.table_snapshot(exclude_columns=())
    assert {r["last_seen_run"] for r in full["submissions"]} == {"r2"}


def test_concurrent_writers_get_distinct_versions_and_one_current(wh, make_verdict):
    from concurrent.futures import ThreadPoolExecutor

    batch = [make_verdict("A1", P, {"ROAD_INVEST": float(i)}) for i in range(6)]
    batch += [batch[0]] * 2                                     # and two racing duplicates
    with ThreadPoolExecutor(max_workers=len(batch)) as pool:
        out = list(pool.map(lambda v: wh.record_verdicts([v], "r1")[0], batch))
    assert sorted(o["version"] for o in out if o["outcome"] == "new") == [1, 2, 3, 4, 5, 6]
    assert [o["outcome"] for o in out].count("duplicate") == 2
    subs = wh.submissions("A1", P)
    assert len(subs) == 6 and subs["superseded_by"].isna().sum() == 1
    assert list(subs[subs["superseded_by"].isna()]["version"]) == [6]
    # each version is superseded by the next one: one unbroken chain
    chain = dict(zip(subs["id"], subs["superseded_by"], strict=False))
    by_version = dict(zip(subs["version"], subs["id"], strict=False))
    assert all(chain[by_version[v]] == by_version[v + 1] for v in range(1, 6))
    assert len(wh.current_values([P])) == 1


def test_undelivered_feedback_is_offered_again_until_delivered(wh, make_verdict, make_issue):
    v = make_verdict("A1", P, status="rejected", issues=(make_issue("A1", P),))
    [row] = wh.record_verdicts([v], "r1")
    wh.record_feedback("A1", P, row["submission_id"], [{"text": "m"}], False, None, "HTTP 503", "r1")
    [pending] = wh.undelivered_feedback()
    assert pending["submission_id"] == row["submission_id"] and pending["messages"] == [{"text": "m"}]
    assert pending["source"] == "http"
    wh.record_feedback("A1", P, row["submission_id"], [{"text": "m"}], True, 200, None, "r2")
    assert wh.undelivered_feedback() == []
