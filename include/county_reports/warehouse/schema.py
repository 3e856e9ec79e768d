"""The warehouse tables, in SQLAlchemy Core: the same schema on SQLite (default) and PostgreSQL.

Only portable types are used. Timestamps are ``UTCDateTime``: written and read back as
timezone-aware UTC datetimes on both backends (SQLite has no time zone type, so the UTC wall
time is stored there and UTC is attached on the way out).

The tables are created by the Alembic migrations in ``migrations/versions``, never by
``metadata.create_all`` in production code; a test checks that the migrations and this module
describe the same schema.
"""
from __future__ import annotations

from datetime import datetime, UTC

from sqlalchemy import (Boolean, CheckConstraint, Column, DateTime, Float, ForeignKey, Index, Integer,
                        MetaData, PrimaryKeyConstraint, String, Table, Text, UniqueConstraint)
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names: Alembic batch mode on SQLite needs names to alter constraints.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED = "accepted", "accepted_with_warnings", "rejected"
SUBMISSION_STATUSES = (ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED)
ACCEPTED_STATUSES = (ACCEPTED, ACCEPTED_WITH_WARNINGS)
NOT_RECEIVED_STATUSES = ("missing", "failed")

UNIT_CODE = String(16)
PERIOD = String(7)          # YYYY-MM
SHA256 = String(64)
RUN_ID = String(250)


class UTCDateTime(TypeDecorator):
    """``DateTime(timezone=True)`` that only accepts aware datetimes and always returns UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"warehouse timestamps must be timezone-aware datetimes, got {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


metadata = MetaData(naming_convention=NAMING_CONVENTION)

units = Table(
    "units", metadata,
    Column("code", UNIT_CODE, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("kind_name", String(200), nullable=False),
    Column("deadline_day", Integer, nullable=False),
    Column("active_from", PERIOD, nullable=False),
    Column("active_to", PERIOD, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

submissions = Table(
    "submissions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("unit", UNIT_CODE, nullable=False),
    Column("period", PERIOD, nullable=False),
    Column("version", Integer, nullable=False),
    Column("sha256", SHA256, nullable=False),
    Column("raw_path", Text, nullable=False),
    Column("source", String(20), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("submitted_at", UTCDateTime, nullable=True),
    Column("arrived_at", UTCDateTime, nullable=False),
    Column("status", String(32), nullable=False),
    Column("content_hash", SHA256, nullable=False),
    Column("superseded_by", Integer, ForeignKey("submissions.id"), nullable=True),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_run", RUN_ID, nullable=True),
    UniqueConstraint("unit", "period", "version"),
    CheckConstraint(_in("status", SUBMISSION_STATUSES), name="status"),
    Index("ix_submissions_period_unit", "period", "unit"),      # reads by month (0006)
)

submission_values = Table(
    "submission_values", metadata,
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("indicator", Text, nullable=False),   # as sent: any length
    Column("value", Float, nullable=True),
    Column("raw_value", Text, nullable=True),
    PrimaryKeyConstraint("submission_id", "indicator"),
)

narratives = Table(
    "narratives", metadata,
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", Text, nullable=False),        # as sent
    Column("section", Text, nullable=True),      # as sent
    Column("text", Text, nullable=False),
    PrimaryKeyConstraint("submission_id", "seq"),
)

validation_issues = Table(
    "validation_issues", metadata,
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("indicator", Text, nullable=True),    # as sent
    Column("value", Text, nullable=True),
    Column("rule", String(60), nullable=False),
    Column("importance", String(10), nullable=False),
    Column("message", Text, nullable=False),
    Column("effect", Float, nullable=True),      # |value − expected| / county total: the rank (0008)
    PrimaryKeyConstraint("submission_id", "seq"),
)

# A value flagged as a likely slip (an OUTLIER warning) in a stored version (issue 20, migration
# 0008): unconfirmed until the unit answers "核实无误" with a reason in a later version of the month
# (then that version's row is confirmed) or corrects it (a new version without the flag).
value_flags = Table(
    "value_flags", metadata,
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("indicator", Text, nullable=False),
    Column("expected", Float, nullable=True),     # what the check expected (the history's median)
    Column("effect", Float, nullable=True),       # |value − expected| / the month's county total
    Column("confirmed", Boolean, nullable=False),
    Column("reason", Text, nullable=True),        # the unit's one line, when confirmed
    PrimaryKeyConstraint("submission_id", "indicator"),
)

collection_status = Table(
    "collection_status", metadata,
    Column("unit", UNIT_CODE, nullable=False),
    Column("period", PERIOD, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("last_checked_at", UTCDateTime, nullable=False),
    Column("last_run", RUN_ID, nullable=True),
    PrimaryKeyConstraint("unit", "period"),
    CheckConstraint(_in("status", NOT_RECEIVED_STATUSES), name="status"),
)

feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=True),
    Column("unit", UNIT_CODE, nullable=False),
    Column("period", PERIOD, nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("delivered", Boolean, nullable=False),
    Column("http_status", Integer, nullable=True),
    Column("messages", Text, nullable=False),      # JSON list of messages, ensure_ascii=False
    Column("error", Text, nullable=True),
    Column("run_id", RUN_ID, nullable=True),
    Index("ix_feedback_unit_period", "unit", "period"),        # a unit's or a month's attempts (0006)
)

audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("run_id", RUN_ID, nullable=True),
    Column("entity", String(20), nullable=False),    # submission | unit
    Column("unit", UNIT_CODE, nullable=True),
    Column("period", PERIOD, nullable=True),
    Column("submission_id", Integer, nullable=True),
    Column("from_status", String(32), nullable=True),
    Column("to_status", String(32), nullable=True),
    Column("note", Text, nullable=True),
)

deliveries = Table(
    "deliveries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_kind", String(20), nullable=False),   # half_year | annual
    Column("year", Integer, nullable=False),
    Column("document_sha256", SHA256, nullable=True),
    Column("filename", Text, nullable=True),
    Column("channel", String(20), nullable=True),
    Column("receipt_id", Text, nullable=True),
    Column("delivered_at", UTCDateTime, nullable=True),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text, nullable=True),
    Column("idempotency_key", Text, nullable=True),     # what the attempt is sent under (0003)
    Column("manifest_sha256", SHA256, nullable=True),   # archived manifest of the files sent (0003)
)

# The key-projects ledger and the register of events (issue 19, migration 0007): rows of one
# submission version, so a correction's rows replace the old ones with it (the version's
# ``superseded_by``), and what a unit sent in a rejected version stays beside it.
project_rows = Table(
    "project_rows", metadata,
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("project", String(40), nullable=False),
    Column("kind", String(10), nullable=False),           # progress | land
    Column("month_investment", Float, nullable=True),      # 万元
    Column("year_investment", Float, nullable=True),
    Column("total_investment", Float, nullable=True),
    Column("progress", Text, nullable=True),               # 形象进度
    Column("status", String(20), nullable=True),           # ledger.yaml statuses code
    Column("cause", String(20), nullable=True),            # ledger.yaml causes code
    Column("cause_text", Text, nullable=True),
    Column("milestones", Text, nullable=True),             # JSON [[name, YYYY-MM-DD], …]
    Column("land_acres", Float, nullable=True),
    Column("land_households", Integer, nullable=True),
    PrimaryKeyConstraint("submission_id", "seq"),
    CheckConstraint(_in("kind", ("progress", "land")), name="kind"),
    Index("ix_project_rows_project", "project"),
)

event_rows = Table(
    "event_rows", metadata,
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(20), nullable=False),            # ledger.yaml event_kinds code
    Column("date", String(10), nullable=True),             # YYYY-MM-DD; a campaign's first day
    Column("end_date", String(10), nullable=True),
    Column("title", Text, nullable=True),
    Column("number", Text, nullable=True),                 # 文号
    Column("body", Text, nullable=True),                   # awarding body
    Column("subkind", String(20), nullable=True),
    Column("counts", Text, nullable=True),                 # JSON {code: n}
    Column("of_which", Text, nullable=True),               # JSON [[name, n], …]
    PrimaryKeyConstraint("submission_id", "seq"),
)

TABLES = (units, submissions, submission_values, narratives, validation_issues,
          collection_status, feedback, audit, deliveries, project_rows, event_rows, value_flags)
