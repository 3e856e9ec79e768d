"""warehouse/recording.py: one verdict's trouble kept to itself, the database's raised. Against a
real SQLite database whose table refuses a value (CHECK) — a unit's fault — or is read-only —
the database's."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, ProgrammingError, StatementError

from county_reports.validate.model import ACCEPTED, Verdict
from county_reports.warehouse import bulk
from county_reports.warehouse import recording as r

TZ = "Asia/Shanghai"


def _verdict(unit, value=1.0, status=ACCEPTED):
    return Verdict(unit, "2025-06", unit * 16, "http", "2025-07-05T06:00:00+08:00", None, status,
                   values={"A": value}, raw_values={"A": str(value)})


@pytest.fixture
def db(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE v (unit TEXT, indicator TEXT, value REAL CHECK (value < 1000))")
    return engine


def _writer(engine, calls):
    def write(chunk):
        calls.append([p.verdict.unit for p in chunk])
        with engine.begin() as conn:                       # one transaction per chunk
            for p in chunk:
                for code, value, _ in p.values:
                    conn.execute(sa.text("INSERT INTO v VALUES (:u, :c, :x)"), {"u": p.verdict.unit, "c": code, "x": value})
        return [(p, {"unit": p.verdict.unit}) for p in chunk]
    return write


def _prober(engine):
    def probe(p):
        plain = bulk.plain_copy(p)
        with engine.connect() as conn, conn.begin() as tx:
            for code, value, _ in plain.values:
                conn.execute(sa.text("INSERT INTO v VALUES (:u, :c, :x)"), {"u": p.verdict.unit, "c": code, "x": value})
            tx.rollback()
    return probe


def _stored(engine):
    with engine.connect() as conn:
        return sorted(row[0] for row in conn.execute(sa.text("SELECT unit FROM v")))


def test_unit_fault_and_needs_proof():
    assert r.unit_fault(IntegrityError("x", {}, Exception())) and r.unit_fault(DataError("x", {}, Exception()))
    assert not r.unit_fault(OperationalError("x", {}, Exception()))
    assert not r.unit_fault(ProgrammingError("x", {}, Exception()))
    assert r.unit_fault(StatementError("bind", "x", {}, TypeError("naive")))
    assert not r.unit_fault(StatementError("bind", "x", {}, RuntimeError("?")))
    assert r.unit_fault(KeyError("x")) and not r.unit_fault(RuntimeError("x"))
    assert r.needs_proof(IntegrityError("x", {}, Exception())) and not r.needs_proof(ValueError())


def test_prepare_all_isolates_a_verdict_python_cannot_take():
    ready, failures = r.prepare_all([_verdict("TS01"), _verdict("TS02", status="maybe"), _verdict("TS03")], TZ)
    assert [p.index for p in ready] == [0, 2]
    assert [(i, v.unit) for i, v, _ in failures] == [(1, "TS02")]


def test_a_refused_chunk_is_written_one_by_one_and_only_the_culprit_fails(db):
    verdicts = [_verdict("TS01"), _verdict("TS02", 5000.0), _verdict("TS03"), _verdict("TS04")]
    ready, failures = r.prepare_all(verdicts, TZ)
    calls = []
    results = r.write_in_chunks(ready, 2, _writer(db, calls), failures, _prober(db))
    assert sorted(results) == [0, 2, 3] and _stored(db) == ["TS01", "TS03", "TS04"]
    assert [(i, v.unit) for i, v, _ in failures] == [(1, "TS02")]
    assert calls == [["TS01", "TS02"], ["TS01"], ["TS02"], ["TS03", "TS04"]]


def test_a_refusal_of_plain_rows_too_is_the_databases(db):
    with db.begin() as conn:                 # the schema refuses everything: not a unit's fault
        conn.exec_driver_sql("CREATE TRIGGER no BEFORE INSERT ON v BEGIN SELECT RAISE(ABORT, 'constraint failed'); END")
    ready, failures = r.prepare_all([_verdict("TS01"), _verdict("TS02")], TZ)
    with pytest.raises(IntegrityError):
        r.write_in_chunks(ready, 2, _writer(db, []), failures, _prober(db))
    assert failures == [] and _stored(db) == []


def test_the_database_down_raises_at_once_as_store_refused(db, tmp_path):
    ready, failures = r.prepare_all([_verdict("TS01")], TZ)
    ro = sa.create_engine(f"sqlite:///file:{tmp_path / 'w.db'}?mode=ro&uri=true")
    calls = []
    with pytest.raises(r.StoreRefused) as err, r.refusals_raised():
        r.write_in_chunks(ready, 10, _writer(ro, calls), failures, _prober(ro))
    assert calls == [["TS01"]] and failures == []
    assert "OperationalError" in str(err.value) and "readonly" in str(err.value)
    assert isinstance(err.value.__cause__, OperationalError)


def test_missing_archives_are_logged_not_refused(tmp_path, caplog):
    ready, _ = r.prepare_all([_verdict("TS01")], TZ)
    with caplog.at_level("WARNING"):
        r.warn_missing_archives(ready, tmp_path)
    assert "TS01" in caplog.text and "not found" in caplog.text
