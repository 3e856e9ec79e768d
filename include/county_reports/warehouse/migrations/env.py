"""Alembic environment of the warehouse. Run through ``county_reports.warehouse.migrations``.

The connection comes from ``config.attributes["connection"]`` (what ``Warehouse.migrate()``
passes) or else from the ``sqlalchemy.url`` main option. SQLite gets ``render_as_batch`` so
that later ALTERs are done by copying the table.
"""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from county_reports.warehouse.migrations import VERSION_TABLE
from county_reports.warehouse.schema import metadata

config = context.config
target_metadata = metadata


def _configure(**kwargs) -> None:
    context.configure(target_metadata=target_metadata, version_table=VERSION_TABLE,
                      compare_type=True, **kwargs)


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"},
               render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection) -> None:
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _run_on(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
