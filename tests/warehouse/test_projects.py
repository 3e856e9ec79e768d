"""Ledger rows and events stored with their submission version and read back (SQLite and
PostgreSQL): a project's months against plan and schedule, milestones, status history, land; a
span's events; a correction's rows replace the old version's, a rejected one's never count."""
from __future__ import annotations

from datetime import date

import pytest

from county_reports.validate.projects.events import Event
from county_reports.validate.projects.ledger import LedgerRow
from county_reports.core.projects.register import load_register
from county_reports.warehouse import projects as store

CODE = "QH2024-01"


@pytest.fixture(scope="module")
def register(real_catalog):
    return load_register(real_catalog)


def row(month: int, done: float, status="normal", **more) -> LedgerRow:
    return LedgerRow(CODE, "progress", 500.0, done, 6000.0 + done, f"路基完成{month * 10}%", status, **more)


def stored(wh, make_verdict, unit, period, rows=(), events=(), *, salt="", status="accepted") -> int:
    [result] = wh.record_verdicts([make_verdict(unit, period, {"INV_TOTAL": 900.0 + len(salt)}, salt=salt,
                                                status=status)], "r")
    store.store_rows(wh.engine, result["submission_id"], rows, events)
    return result["submission_id"]


def test_a_projects_months_round_trip(wh, make_verdict, register):
    stored(wh, make_verdict, "RC01", "2025-04", [row(4, 1500.0)])
    stored(wh, make_verdict, "RC01", "2025-05", [row(5, 2100.0)])
    stored(wh, make_verdict, "RC01", "2025-06", [row(6, 2600.0, "delayed", cause="land",
                                                     cause_text="K12段3户房屋拆迁未完成",
                                                     milestones=(("路基完工", date(2025, 6, 18)),))])
    stored(wh, make_verdict, "TS03", "2025-06", [LedgerRow(CODE, "land", land_acres=40.5, land_households=6)])
    page = store.project_months(wh.engine, register.by_code[CODE], 2025)
    assert [m["period"] for m in page["months"]] == ["2025-04", "2025-05", "2025-06"]
    june = page["months"][-1]
    assert (june["plan"], june["due"], june["share_of_plan"]) == (9000.0, 3690.0, 28.9)
    assert june["against_schedule"] == -1090.0 and june["total_investment"] == 8600.0
    assert june["cause_text"] == "K12段3户房屋拆迁未完成"
    assert page["milestones"][0] == {"name": "路基完工", "planned": date(2025, 6, 30), "reached": date(2025, 6, 18)}
    assert page["milestones"][1]["reached"] is None
    assert [(h["period"], h["status"]) for h in page["status_history"]] == [("2025-04", "normal"),
                                                                           ("2025-06", "delayed")]
    assert page["land"] == {"TS03": {"period": "2025-06", "acres": 40.5, "households": 6}}


def test_a_correction_replaces_the_rows_and_a_rejected_version_never_counts(wh, make_verdict, register):
    stored(wh, make_verdict, "RC01", "2025-06", [row(6, 2600.0)])
    stored(wh, make_verdict, "RC01", "2025-06", [row(6, 2650.0)], salt="corrected")
    stored(wh, make_verdict, "RC01", "2025-06", [row(6, 99999.0)], salt="wrong", status="rejected")
    [(period, unit, current)] = store.ledger_rows(wh.engine, CODE, "2025-01", "2025-12")
    assert (period, unit, current.year_investment) == ("2025-06", "RC01", 2650.0)


def test_storing_a_versions_rows_again_replaces_them(wh, make_verdict):
    sid = stored(wh, make_verdict, "RC01", "2025-06", [row(6, 2600.0)])
    assert store.store_rows(wh.engine, sid, [row(6, 2600.0)], []) == (1, 0)
    assert len(store.ledger_rows(wh.engine, CODE, "2025-06", "2025-06")) == 1
    with pytest.raises(KeyError):
        store.store_rows(wh.engine, sid + 100, [row(6, 1.0)], [])


def test_a_spans_events_round_trip(wh, make_verdict):
    campaign = Event("campaign", date(2025, 5, 20), date(2025, 6, 10), "异地交叉执法行动",
                     counts={"deployed": 320, "found": 46}, of_which=(("超限超载", 30),))
    document = Event("document", date(2025, 6, 3), title="关于开展异地交叉执法的通知", number="清交执发〔2025〕12号")
    stored(wh, make_verdict, "EB01", "2025-06", [], [campaign, document])
    stored(wh, make_verdict, "SC01", "2025-07", [], [Event("petition", subkind="hotline",
                                                          counts={"received": 38, "closed": 36})])
    found = store.span_events(wh.engine, "2025-01", "2025-06")
    assert [(e["unit"], e["kind"]) for e in found] == [("EB01", "campaign"), ("EB01", "document")]
    assert found[0]["counts"] == {"deployed": 320, "found": 46} and found[0]["of_which"] == [("超限超载", 30)]
    assert (found[0]["date"], found[0]["end"]) == ("2025-05-20", "2025-06-10")
    assert found[1]["number"] == "清交执发〔2025〕12号"
    assert [e["unit"] for e in store.span_events(wh.engine, "2025-01", "2025-12", units=["SC01"])] == ["SC01"]
    assert store.current_submission(wh.engine, "EB01", "2025-06") is not None
    assert store.current_submission(wh.engine, "EB01", "2025-05") is None


def test_the_previous_months_rows_feed_the_cumulative_check(wh, make_verdict, register):
    from county_reports.validate.projects import ledger
    from county_reports.core.projects.vocabulary import load_vocabulary

    stored(wh, make_verdict, "RC01", "2025-05", [row(5, 2100.0)])
    before = store.previous_rows(wh.engine, "RC01", "2025-06")
    assert before[CODE].year_investment == 2100.0 and store.previous_rows(wh.engine, "RC01", "2025-05") == {}
    sent = {"projects": [{"code": CODE, "month_investment": 10, "year_investment": 2000, "total_investment": 8200,
                          "status": "normal"}]}
    _, issues = ledger.check_rows(sent, unit="RC01", unit_name="县公路事务中心", period="2025-06",
                                  register=register, vocabulary=load_vocabulary(), previous=before)
    assert [i.rule for i in issues] == ["PROJECT_CUMULATIVE"]


def test_migration_0007_downgrades_to_0006_and_back(wh, db_url):
    from alembic import command
    from sqlalchemy import inspect

    from county_reports.warehouse import migrations

    wh.engine.dispose()
    command.downgrade(migrations.alembic_config(db_url), "0006")
    names = set(inspect(wh.engine).get_table_names())
    assert not names & {"project_rows", "event_rows"} and "submissions" in names
    command.upgrade(migrations.alembic_config(db_url), "head")
    assert {"project_rows", "event_rows"} <= set(inspect(wh.engine).get_table_names())


def test_record_verdicts_stores_an_accepted_versions_rows_through_the_bulk_path(wh, make_verdict, real_catalog):
    """The store path (COPY on PostgreSQL, executemany on SQLite) writes the rows a verdict carries
    for an accepted version, none for a rejected one; history for validation reads them back."""
    import dataclasses

    from county_reports.validate.key_projects import event_to_dict, row_to_dict

    june = row(6, 2600.0, "delayed", cause="land", cause_text="K12段3户房屋拆迁未完成",
               milestones=(("路基完工", date(2025, 6, 18)),))
    meeting = Event("meeting", date(2025, 6, 14), title="安全生产形势分析", subkind="on_site")
    base = make_verdict("RC01", "2025-06", {"INV_TOTAL": 3000.0})
    accepted = dataclasses.replace(base, projects=(row_to_dict(june),), events=(event_to_dict(meeting),))
    rejected = dataclasses.replace(make_verdict("RC01", "2025-07", {"INV_TOTAL": 1.0}, status="rejected"),
                                   projects=(row_to_dict(row(7, 3000.0)),))
    results = wh.record_verdicts([accepted, rejected], "r")
    assert [r["outcome"] for r in results] == ["new", "new"]
    assert store.previous_rows(wh.engine, "RC01", "2025-07") == {CODE: june}
    assert store.previous_rows(wh.engine, "RC01", "2025-08") == {}          # the rejected July
    [event] = store.span_events(wh.engine, "2025-06", "2025-06")
    assert (event["kind"], event["title"], event["subkind"]) == ("meeting", "安全生产形势分析", "on_site")
    history = store.validation_history(wh.engine, ["2025-07"], "INV_TOTAL")
    assert history.rows == {("RC01", "2025-06"): {CODE: june}} and history.invested == {("RC01", "2025-06"): 3000.0}
    assert history.year_before("RC01", "2025-07") is None                   # January–May unknown
    # the same verdict without its projects is other content: a new version, not a duplicate
    assert wh.record_verdicts([dataclasses.replace(base, sha256="b" * 64)], "r")[0]["outcome"] == "new"
