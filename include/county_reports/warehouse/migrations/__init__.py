"""Alembic migrations of the warehouse, configured in code: no alembic.ini is needed.

``alembic_config(url)`` gives a Config for any Alembic command, e.g. to write a new revision::

    from alembic import command
    from county_reports.warehouse.migrations import alembic_config
    command.revision(alembic_config("sqlite:///scratch.db"), "add x", autogenerate=True)

(autogenerate compares ``warehouse.schema.metadata`` with the database, which must be at head.)
``upgrade_serialised(url, engine)`` is what ``Warehouse.migrate()`` runs: ``upgrade`` with
concurrent callers taking turns.
"""
from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Iterator

from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import URL, Connection, Engine

from county_reports.core import paths
from county_reports.warehouse.engine import WRITE, is_memory_sqlite

SCRIPT_LOCATION = Path(__file__).resolve().parent
VERSION_TABLE = "county_reports_alembic_version"


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """A Config pointing at this folder; the database is ``connection`` if given, else ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    if url is not None:
        # ConfigParser interpolates '%': escape it (URL-encoded passwords contain it).
        cfg.set_main_option("sqlalchemy.url", str(url).replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Upgrade the database behind ``connection`` (in its transaction) to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(connection=connection), revision)


def upgrade_serialised(url: URL, engine: Engine, revision: str = "head") -> str | None:
    """Upgrade the database at ``url`` through ``engine`` to ``revision``, in one transaction;
    returns the revision now current.

    Concurrent callers (mapped tasks starting together on a fresh database) take turns — an
    advisory lock on PostgreSQL (held to the end of the migration's transaction), an ``flock`` on
    a lock file beside the database on SQLite — so the second one finds the schema in place
    instead of racing to create the same types and tables.
    """
    with _sqlite_file_lock(url), engine.connect() as conn:
        conn.execution_options(**WRITE)
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK_KEY})
            upgrade(conn, revision)
        return current_revision(conn)


# pg_advisory_xact_lock key of upgrade_serialised(): the first 8 bytes of sha256("county_reports:migrate").
MIGRATE_LOCK_KEY = int.from_bytes(hashlib.sha256(b"county_reports:migrate").digest()[:8], "big", signed=True)


@contextmanager
def _sqlite_file_lock(url) -> Iterator[None]:
    """An exclusive flock on ``<database>.migrate.lock`` for a SQLite file; nothing otherwise."""
    if url.get_backend_name() != "sqlite" or is_memory_sqlite(url):
        yield
        return
    import fcntl

    lock_path = Path(url.database).expanduser().with_name(Path(url.database).name + ".migrate.lock")
    paths.make_folder(lock_path.parent)
    with os.fdopen(os.open(lock_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, paths.FILE_MODE), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
