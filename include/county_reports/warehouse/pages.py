"""Read queries behind the admins' pages (status_page): one unit's history, one month's report.

Plain SQLAlchemy Core, no pandas: the pages show rows as they are stored. Nothing here writes;
the pages open the warehouse read-only (``Warehouse(read_only=True)``).
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from county_reports.warehouse import schema as t

# The tables a page needs; if one is missing the warehouse was never migrated.
_PAGE_TABLES = {"submissions", "submission_values", "validation_issues", "feedback",
                "collection_status"}


@dataclass
class Version:
    """One stored version of a (unit, period) submission, with what the page shows about it."""
    id: int
    unit: str
    period: str
    version: int
    status: str
    source: str
    received_at: datetime
    submitted_at: datetime | None
    arrived_at: datetime
    superseded_by: int | None
    sha256: str
    values: list[dict[str, Any]] = field(default_factory=list)   # indicator, raw_value, value
    issues: list[dict[str, Any]] = field(default_factory=list)   # rule, importance, indicator, value, message

    @property
    def current(self) -> bool:
        return self.superseded_by is None and self.status in t.ACCEPTED_STATUSES


@dataclass
class Feedback:
    unit: str
    period: str
    submission_id: int | None
    sent_at: datetime
    delivered: bool
    http_status: int | None
    messages: list[Any]
    error: str | None


@dataclass
class NotReceived:
    unit: str
    period: str
    status: str
    reason: str | None
    last_checked_at: datetime


@dataclass
class History:
    """Everything stored for a selection of (unit, period): versions newest first per month."""
    versions: dict[tuple[str, str], list[Version]]
    feedback: dict[tuple[str, str], list[Feedback]]
    not_received: dict[tuple[str, str], NotReceived]

    def keys(self) -> list[tuple[str, str]]:
        return sorted(set(self.versions) | set(self.feedback) | set(self.not_received))


def schema_missing(engine: Engine) -> str | None:
    """None when the page tables exist, else why not (database unreachable or not migrated)."""
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
    except (OperationalError, ProgrammingError) as exc:
        return f"{type(exc).__name__}: {str(exc.orig).splitlines()[0] if exc.orig else exc}"
    missing = sorted(_PAGE_TABLES - present)
    return f"missing tables: {', '.join(missing)}" if missing else None


def unit_history(engine: Engine, unit: str) -> History:
    """Every version, value, issue, feedback attempt and not-received record of one unit."""
    with engine.connect() as conn:
        return _history(conn, t.submissions.c.unit == unit, t.feedback.c.unit == unit,
                        t.collection_status.c.unit == unit)


def month_history(engine: Engine, period: str) -> History:
    """The same for every unit of one month: what the month's validation report is built from."""
    with engine.connect() as conn:
        return _history(conn, t.submissions.c.period == period, t.feedback.c.period == period,
                        t.collection_status.c.period == period)


def _history(conn: Connection, where_sub, where_feedback, where_status) -> History:
    s, v, i, f, c = (t.submissions, t.submission_values, t.validation_issues, t.feedback,
                     t.collection_status)
    versions: dict[int, Version] = {}
    for row in conn.execute(select(s).where(where_sub).order_by(s.c.period, s.c.unit, s.c.version)):
        versions[row.id] = Version(
            id=row.id, unit=row.unit, period=row.period, version=row.version, status=row.status,
            source=row.source, received_at=row.received_at, submitted_at=row.submitted_at,
            arrived_at=row.arrived_at, superseded_by=row.superseded_by, sha256=row.sha256)
    ids = select(s.c.id).where(where_sub)
    for row in conn.execute(select(v).where(v.c.submission_id.in_(ids))
                            .order_by(v.c.submission_id, v.c.indicator)):
        versions[row.submission_id].values.append(
            {"indicator": row.indicator, "raw_value": row.raw_value, "value": row.value})
    for row in conn.execute(select(i).where(i.c.submission_id.in_(ids))
                            .order_by(i.c.submission_id, i.c.seq)):
        versions[row.submission_id].issues.append(
            {"rule": row.rule, "importance": row.importance, "indicator": row.indicator,
             "value": row.value, "message": row.message, "effect": row.effect})
    for version in versions.values():
        version.issues.sort(key=issue_rank)
    by_key: dict[tuple[str, str], list[Version]] = defaultdict(list)
    for version in sorted(versions.values(), key=lambda x: -x.version):
        by_key[(version.unit, version.period)].append(version)

    feedback: dict[tuple[str, str], list[Feedback]] = defaultdict(list)
    for row in conn.execute(select(f).where(where_feedback).order_by(f.c.sent_at.desc(), f.c.id.desc())):
        feedback[(row.unit, row.period)].append(Feedback(
            unit=row.unit, period=row.period, submission_id=row.submission_id, sent_at=row.sent_at,
            delivered=row.delivered, http_status=row.http_status, messages=_messages(row.messages),
            error=row.error))
    not_received = {(row.unit, row.period): NotReceived(row.unit, row.period, row.status, row.reason,
                                                         row.last_checked_at)
                    for row in conn.execute(select(c).where(where_status))}
    return History(dict(by_key), dict(feedback), not_received)


def issue_rank(issue: dict[str, Any]) -> tuple:
    """Errors first (in the order validation found them), then warnings by their effect on the
    county total, largest first (a warning without one last): selective editing (issue 20)."""
    effect = issue.get("effect")
    return (issue["importance"] != "error", -(effect if effect is not None else -1.0))


def _messages(text: str) -> list[Any]:
    try:
        found = json.loads(text)
    except ValueError:
        return [text]
    return found if isinstance(found, list) else [found]
