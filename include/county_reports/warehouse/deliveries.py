"""The delivery ledger over the warehouse ``deliveries`` table (SQLAlchemy Core, any backend).

One row per delivery attempt: written *before* anything is sent (status ``sending``, with the
idempotency key and the archived manifest of the files), then concluded in place as
``delivered``, ``failed`` (certainly not stored by the office) or ``unconfirmed`` (the office
may hold it: the answer was lost). A row still ``sending`` or ``unconfirmed`` and newer than
the last delivery is *open*: the next ``deliver()`` resumes it with the same key and bytes.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from county_reports.core.delivery_status import DELIVERED, OPEN, SENDING
from county_reports.warehouse.schema import deliveries as t


class WarehouseDeliveryLedger:
    def __init__(self, engine):
        self.engine = engine

    def _latest(self, kind: str, year: int, statuses: tuple[str, ...]) -> dict[str, Any] | None:
        query = (select(t).where(t.c.document_kind == kind, t.c.year == year, t.c.status.in_(statuses))
                 .order_by(t.c.id.desc()).limit(1))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return dict(row._mapping) if row else None

    def already_delivered(self, kind: str, year: int) -> dict[str, Any] | None:
        """The latest *delivered* row for (kind, year): receipt_id, document_sha256, channel, …"""
        return self._latest(kind, year, (DELIVERED,))

    def open_attempt(self, kind: str, year: int) -> dict[str, Any] | None:
        """The latest attempt that may have reached the office without a receipt, if it is newer
        than the last delivery."""
        row = self._latest(kind, year, OPEN)
        done = self.already_delivered(kind, year)
        return row if row and (done is None or row["id"] > done["id"]) else None

    def begin_attempt(self, *, kind: str, year: int, sha256: str, filename: str, channel: str,
                      key: str, manifest_sha256: str | None) -> int:
        with self.engine.begin() as conn:
            return conn.execute(t.insert().values(
                document_kind=kind, year=year, document_sha256=sha256, filename=filename, channel=channel,
                status=SENDING, attempts=0, idempotency_key=key, manifest_sha256=manifest_sha256)
            ).inserted_primary_key[0]

    def finish_attempt(self, attempt_id: int, *, status: str, attempts: int, receipt_id: str | None = None,
                       error: str | None = None, delivered_at: datetime | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(t).where(t.c.id == attempt_id).values(
                status=status, attempts=attempts, receipt_id=receipt_id, error=error, delivered_at=delivered_at))

    def record_delivery(self, *, kind, year, sha256, filename, channel, status, attempts,
                        receipt_id=None, error=None, delivered_at=None) -> None:
        """One concluded row (a call that failed before sending anything, e.g. no token)."""
        with self.engine.begin() as conn:
            conn.execute(t.insert().values(
                document_kind=kind, year=year, document_sha256=sha256, filename=filename,
                channel=channel, receipt_id=receipt_id, delivered_at=delivered_at, status=status,
                attempts=attempts, error=error))
