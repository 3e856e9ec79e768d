"""Alembic migrations of the warehouse, configured in code: no alembic.ini is needed.

``alembic_config(url)`` gives a Config for any Alembic command, e.g. to write a new revision::

    from alembic import command
    from county_reports.warehouse.migrations import alembic_config
    command.revision(alembic_config("sqlite:///scratch.db"), "add x", autogenerate=True)

(autogenerate compares ``warehouse.schema.metadata`` with the database, which must be at head.)
``upgrade(connection)`` is what ``Warehouse.migrate()`` runs.
"""
from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy.engine import Connection

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


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
