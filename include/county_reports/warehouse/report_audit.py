"""The audit rows of the reports' decisions and deliveries (the approval gate writes and reads them
through here, so all SQL against the warehouse stays in warehouse/)."""
from __future__ import annotations

from datetime import datetime, UTC
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from county_reports.warehouse.schema import audit


def add_event(engine: Engine, entity: str, action: str, run_id: str | None, note: str) -> None:
    """One audit row for ``entity`` (e.g. the report gate), stamped now."""
    with engine.begin() as conn:
        conn.execute(audit.insert().values(at=datetime.now(UTC), run_id=run_id, entity=entity,
                                           to_status=action, note=note))


def events(engine: Engine, entity: str) -> list[Any]:
    """Every audit row of ``entity``, oldest first."""
    with engine.connect() as conn:
        return conn.execute(select(audit).where(audit.c.entity == entity).order_by(audit.c.id)).all()
