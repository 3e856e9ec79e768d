"""warehouse/engine.py: SQLite set up to behave like the production database where it matters."""
from __future__ import annotations

import os
import sqlite3
import stat

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from county_reports.warehouse.engine import WRITE, is_memory_sqlite, make_engine
from sqlalchemy.engine import make_url


def test_memory_urls():
    assert is_memory_sqlite(make_url("sqlite://")) and is_memory_sqlite(make_url("sqlite:///:memory:"))
    assert not is_memory_sqlite(make_url("sqlite:////tmp/x.db"))
    assert not is_memory_sqlite(make_url("postgresql://u@h/db"))


def _schema(engine):
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE a (id INTEGER PRIMARY KEY)"))
        conn.execute(text("CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id))"))


def test_foreign_keys_enforced_and_transactions_real():
    engine = make_engine("sqlite://")
    _schema(engine)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO b VALUES (1, 99)"))
    # a transaction that fails half-way leaves nothing: BEGIN really started at the first statement
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO a VALUES (1)"))
        conn.execute(text("INSERT INTO a VALUES (1)"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM a")).scalar() == 0
    assert make_engine("sqlite://", foreign_keys=False).connect().execute(
        text("PRAGMA foreign_keys")).scalar() == 0


def test_a_file_is_created_owner_only(tmp_path):
    path = tmp_path / "new" / "wh.db"
    engine = make_engine(f"sqlite:///{path}")
    assert path.is_file() and stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0
    _schema(engine)


def test_writes_begin_immediate_and_take_the_lock(tmp_path):
    path = tmp_path / "wh.db"
    engine = make_engine(f"sqlite:///{path}")
    _schema(engine)
    other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    with engine.connect().execution_options(**WRITE) as conn, conn.begin():
        conn.execute(text("SELECT 1"))             # a read, but the write lock is already held
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SELECT 1"))             # a plain transaction takes no write lock
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    other.close()


def test_read_only_refuses_writes_and_creates_nothing(tmp_path):
    path = tmp_path / "wh.db"
    _schema(make_engine(f"sqlite:///{path}"))
    reader = make_engine(f"sqlite:///{path}", read_only=True)
    with reader.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM a")).scalar() == 0
    with pytest.raises(OperationalError, match="readonly"), reader.begin() as conn:
        conn.execute(text("INSERT INTO a VALUES (1)"))
    missing = tmp_path / "absent.db"
    with pytest.raises(OperationalError):
        make_engine(f"sqlite:///{missing}", read_only=True).connect()
    assert not missing.exists()
