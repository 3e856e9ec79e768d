"""Migrations: idempotent, the same schema as warehouse.schema, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, insert, select

from county_reports.warehouse import Warehouse, migrations
from county_reports.warehouse import schema as t

TABLES = {"units", "submissions", "submission_values", "narratives", "validation_issues", "project_rows", "event_rows",
          "collection_status", "feedback", "audit", "deliveries", "value_flags"}


def test_migrate_creates_every_table_and_is_idempotent(wh):
    assert wh.migrate() == migrations.head_revision() == "0008"
    before = wh.table_snapshot()
    assert wh.migrate() == "0008"                      # second run: nothing to do, no error
    names = set(inspect(wh.engine).get_table_names())
    assert TABLES | {"county_reports_alembic_version"} == names
    assert "alembic_version" not in names
    assert wh.table_snapshot() == before
    with wh.engine.connect() as conn:
        assert migrations.current_revision(conn) == "0008"


def test_province_indexes_and_their_downgrade(wh, db_url):
    """0006: reads by month find their rows through an index; the downgrade removes only those."""
    from alembic import command

    def indexes():
        found = inspect(wh.engine)
        return {(table, i["name"], tuple(i["column_names"])) for table in ("submissions", "feedback")
                for i in found.get_indexes(table)}

    assert {("submissions", "ix_submissions_period_unit", ("period", "unit")),
            ("feedback", "ix_feedback_unit_period", ("unit", "period"))} <= indexes()
    if wh.engine.dialect.name == "sqlite":
        with wh.engine.connect() as conn:
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id, unit, status FROM submissions WHERE period IN ('2024-05', '2024-06')"))
        assert "ix_submissions_period_unit" in plan
    wh.engine.dispose()
    command.downgrade(migrations.alembic_config(db_url), "0003")
    assert not {name for _, name, _ in indexes()} & {"ix_submissions_period_unit", "ix_feedback_unit_period"}
    command.upgrade(migrations.alembic_config(db_url), "head")


def test_migrations_match_schema_module(wh):
    with wh.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                      "version_table": migrations.VERSION_TABLE})
        assert compare_metadata(ctx, t.metadata) == []


def test_unique_version_per_unit_period(wh):
    # (unit, period, content_hash) was unique up to 0002: a reverted correction repeats content.
    cols = inspect(wh.engine).get_unique_constraints("submissions")
    assert {tuple(c["column_names"]) for c in cols} == {("unit", "period", "version")}


def test_timestamps_come_back_utc_aware(wh):
    local = datetime(2024, 7, 6, 0, 30, tzinfo=timezone(timedelta(hours=8)))
    with wh.engine.begin() as conn:
        conn.execute(insert(t.collection_status).values(unit="A1", period="2024-06", status="missing",
                                                        last_checked_at=local))
        got = conn.execute(select(t.collection_status.c.last_checked_at)).scalar_one()
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)
    assert got == local and got.hour == 16


def test_naive_timestamps_are_refused(wh):
    with pytest.raises(Exception, match="timezone-aware"), wh.engine.begin() as conn:
        conn.execute(insert(t.collection_status).values(
            unit="A1", period="2024-06", status="missing", last_checked_at=datetime(2024, 7, 6)))


def test_default_url_is_sqlite_under_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("COUNTY_REPORTS_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("COUNTY_REPORTS_DB_URL", raising=False)
    with Warehouse() as wh:
        assert wh.url == f"sqlite:///{tmp_path / 'data' / 'warehouse.db'}"
        wh.migrate()
    assert (tmp_path / "data" / "warehouse.db").is_file()


def test_in_memory_sqlite_works(make_verdict):
    with Warehouse("sqlite://") as wh:
        wh.migrate()
        wh.record_verdicts([make_verdict("A1", "2024-06")], "r1")
        assert len(wh.current_values(["2024-06"])) == 2


def test_sqlite_enforces_foreign_keys(tmp_path):
    with Warehouse(f"sqlite:///{tmp_path / 'w.db'}") as wh:
        wh.migrate()
        with pytest.raises(Exception, match="(?i)foreign key"), wh.engine.begin() as conn:
            conn.execute(insert(t.submission_values).values(submission_id=999, indicator="X", value=1.0))


def test_downgrade_and_upgrade_again_through_a_url_config(wh, db_url):
    from alembic import command

    wh.engine.dispose()
    cfg = migrations.alembic_config(db_url)            # env.py's own-engine path
    command.downgrade(cfg, "base")
    assert set(inspect(wh.engine).get_table_names()) == {"county_reports_alembic_version"}
    command.upgrade(cfg, "head")
    assert set(inspect(wh.engine).get_table_names()) > TABLES


def test_offline_sql_for_both_dialects():
    import io

    from alembic import command

    # SQLite's batch migrations (0002 on) copy tables and need a live database to reflect them;
    # offline SQL is for PostgreSQL DBAs, so SQLite is checked up to the initial revision.
    for url, marker, target in (("sqlite:///unused.db", "DATETIME", "0001"),
                                ("postgresql+psycopg2://nobody@127.0.0.1/unused", "TIMESTAMP WITH TIME ZONE", "head")):
        cfg = migrations.alembic_config(url)
        cfg.output_buffer = io.StringIO()
        command.upgrade(cfg, target, sql=True)
        sql = cfg.output_buffer.getvalue()
        assert "CREATE TABLE county_reports_alembic_version" in sql and marker in sql
        since_0007 = {"project_rows", "event_rows", "value_flags"} if target == "0001" else set()
        assert all(f"CREATE TABLE {name} " in sql for name in TABLES - since_0007)
