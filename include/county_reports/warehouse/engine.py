"""Engines for the warehouse URL: SQLite (default, one file under the data dir) or PostgreSQL.

SQLite is set up so that it behaves like the production database where it matters:
foreign keys are enforced, SQLAlchemy (not the sqlite3 module) emits BEGIN, so a transaction
really starts at its first statement, and writes start with ``BEGIN IMMEDIATE`` so that two
processes (Airflow mapped tasks) queue for the write lock instead of failing half-way.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

from county_reports.core import paths

WRITE = {"county_reports_write": True}   # execution option: this transaction will write
SQLITE_BUSY_TIMEOUT_S = 60


def is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def make_engine(url: str | URL, *, foreign_keys: bool = True, read_only: bool = False) -> Engine:
    """``read_only``: the database refuses every write (SQLite opened ``mode=ro``, a PostgreSQL
    session with ``default_transaction_read_only``) and nothing is created, not even the file:
    what the status page's GETs use."""
    url = make_url(url)
    if url.get_backend_name() != "sqlite":
        if read_only and url.get_backend_name() == "postgresql":
            return create_engine(url, pool_pre_ping=True,
                                 connect_args={"options": "-c default_transaction_read_only=on"})
        return create_engine(url, pool_pre_ping=True)

    kwargs: dict = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
    if read_only and not is_memory_sqlite(url):
        path = Path(url.database).expanduser().resolve()
        kwargs["creator"] = lambda: sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True,
                                                    timeout=SQLITE_BUSY_TIMEOUT_S,
                                                    check_same_thread=False)
    elif is_memory_sqlite(url):
        # One connection for the whole engine, or every connection sees a new empty database.
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        database = Path(url.database).expanduser()
        paths.make_folder(database.parent)
        # made here owner-only: SQLite would create it (and its journals, which copy its mode) 0644;
        # an existing file is left to SQLite (opening it for writing here would fail a read-only one)
        if not database.exists():
            with contextlib.suppress(FileExistsError):      # another process made it meanwhile
                os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, paths.FILE_MODE))
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None      # SQLAlchemy emits BEGIN below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection):
        immediate = conn.get_execution_options().get("county_reports_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
